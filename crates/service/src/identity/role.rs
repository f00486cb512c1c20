//! Roles and permissions (A3): preset roles seeded from the domain, custom roles made by
//! administrators, permissions granted singly or in batch.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use kehou_domain::{Invalid, OrgKind, PERMISSIONS, PRESET_ROLES, Permission};
use kehou_store::entity::identity::{membership, permission_seed, role, role_permission};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PermissionView {
    pub code: &'static str,
    pub name: &'static str,
    pub group: &'static str,
}

pub fn catalog() -> Vec<PermissionView> {
    PERMISSIONS
        .iter()
        .map(|d| PermissionView {
            code: d.code,
            name: d.name,
            group: d.group,
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub org_kind: OrgKind,
    pub org_kind_label: &'static str,
    pub preset: bool,
    pub owner_org_id: Option<i64>,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// Whether the caller may change this role's permissions.
    pub editable: bool,
    pub updated_at: DateTime<Utc>,
}

fn view(m: role::Model, permissions: Vec<String>) -> RoleView {
    let org_kind = OrgKind::parse(&m.org_kind).unwrap_or(OrgKind::School);
    RoleView {
        id: m.id,
        preset: m.owner_org_id.is_none(),
        code: m.code,
        name: m.name,
        org_kind,
        org_kind_label: org_kind.label(),
        owner_org_id: m.owner_org_id,
        description: m.description,
        permissions,
        editable: false,
        updated_at: m.updated_at,
    }
}

/// Whether the actor may change a role's permissions: presets only the platform, custom
/// roles the organization that made them and those above it. `owner_path` is the path of
/// the role's owner, when it has one.
fn editable(actor: &Actor, m: &role::Model, owner_path: Option<&str>) -> bool {
    actor.can(Permission::RoleManage)
        && match m.owner_org_id {
            None => actor.is_platform(),
            Some(_) => owner_path.is_some_and(|path| actor.in_scope(path)),
        }
}

/// [`editable`] for one role, reading its owner.
async fn editable_by(db: &impl ConnectionTrait, actor: &Actor, m: &role::Model) -> Result<bool> {
    let owner = match m.owner_org_id {
        Some(id) => org::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(editable(actor, m, owner.as_ref().map(|o| o.path.as_str())))
}

/// Inserts the preset roles a database lacks, with their seed permissions. Existing roles
/// keep whatever permissions administrators gave them.
pub async fn ensure_preset_roles(app: &App) -> Result<()> {
    let existing: BTreeSet<String> = role::Entity::find()
        .filter(role::Column::Code.is_not_null())
        .all(&app.db)
        .await?
        .into_iter()
        .filter_map(|r| r.code)
        .collect();
    let missing: Vec<_> = PRESET_ROLES
        .iter()
        .filter(|p| !existing.contains(p.code))
        .collect();
    if missing.is_empty() {
        return seed_new_permissions(app).await;
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let now = app.now();
    for preset in missing {
        let created = role::ActiveModel {
            code: Set(Some(preset.code.into())),
            name: Set(preset.name.into()),
            org_kind: Set(preset.org_kind.code().into()),
            owner_org_id: Set(None),
            description: Set(Some("预置角色".into())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for p in preset.permissions {
            role_permission::ActiveModel {
                role_id: Set(created.id),
                permission: Set(p.code().into()),
            }
            .insert(&txn)
            .await?;
        }
        audit::record(
            &txn,
            now,
            &By::system(),
            Change {
                org_id: None,
                org_path: "/",
                action: "role.create",
                entity_type: "role",
                entity_id: Some(created.id),
                summary: format!("创建预置角色“{}”", preset.name),
            },
        )
        .await?;
    }
    txn.commit().await?;
    seed_new_permissions(app).await
}

/// Grants the catalog permissions this database has not seen yet to the preset roles that
/// list them, once: a permission an administrator revokes later stays revoked.
async fn seed_new_permissions(app: &App) -> Result<()> {
    let seen: BTreeSet<String> = permission_seed::Entity::find()
        .all(&app.db)
        .await?
        .into_iter()
        .map(|s| s.permission)
        .collect();
    let new: Vec<_> = PERMISSIONS
        .iter()
        .filter(|d| !seen.contains(d.code))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let now = app.now();
    let presets: HashMap<String, role::Model> = role::Entity::find()
        .filter(role::Column::Code.is_not_null())
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|r| r.code.clone().map(|c| (c, r)))
        .collect();
    for def in new {
        let mut granted = Vec::new();
        for preset in PRESET_ROLES
            .iter()
            .filter(|p| p.permissions.contains(&def.permission))
        {
            let Some(r) = presets.get(preset.code) else {
                continue;
            };
            let has = role_permission::Entity::find_by_id((r.id, def.code.to_string()))
                .one(&txn)
                .await?
                .is_some();
            if !has {
                role_permission::ActiveModel {
                    role_id: Set(r.id),
                    permission: Set(def.code.into()),
                }
                .insert(&txn)
                .await?;
                granted.push(preset.name);
            }
        }
        permission_seed::ActiveModel {
            permission: Set(def.code.into()),
            seeded_at: Set(now),
        }
        .insert(&txn)
        .await?;
        if !granted.is_empty() {
            audit::record(
                &txn,
                now,
                &By::system(),
                Change {
                    org_id: None,
                    org_path: "/",
                    action: "role.permissions",
                    entity_type: "role",
                    entity_id: None,
                    summary: format!(
                        "新增权限“{}”，授予预置角色：{}",
                        def.name,
                        granted.join("、")
                    ),
                },
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The permission codes of a role, read fresh on every request.
pub(crate) async fn permissions_of(
    db: &impl ConnectionTrait,
    role_id: i64,
) -> Result<BTreeSet<&'static str>> {
    let rows = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.eq(role_id))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Permission::from_code(&r.permission))
        .map(Permission::code)
        .collect())
}

async fn permissions_by_role(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<String>>> {
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    let rows = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.is_in(ids))
        .order_by_asc(role_permission::Column::Permission)
        .all(db)
        .await?;
    for r in rows {
        map.entry(r.role_id).or_default().push(r.permission);
    }
    Ok(map)
}

/// Custom roles are visible to their owner's jurisdiction and to the owners' superiors;
/// preset roles to everyone who may view roles.
async fn visible_condition(db: &impl ConnectionTrait, actor: &Actor) -> Result<Condition> {
    let ancestor_ids: Vec<i64> = actor
        .org_path
        .split('/')
        .filter_map(|s| s.parse().ok())
        .collect();
    let in_scope: Vec<i64> = org::Entity::find()
        .filter(org::Column::Path.starts_with(&actor.org_path))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    Ok(Condition::any()
        .add(role::Column::OwnerOrgId.is_null())
        .add(role::Column::OwnerOrgId.is_in(ancestor_ids))
        .add(role::Column::OwnerOrgId.is_in(in_scope)))
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<RoleView>> {
    actor.require(Permission::RoleView)?;
    let rows = role::Entity::find()
        .filter(visible_condition(&app.db, actor).await?)
        .order_by_asc(role::Column::OwnerOrgId)
        .order_by_asc(role::Column::Id)
        .all(&app.db)
        .await?;
    let mut perms = permissions_by_role(&app.db, rows.iter().map(|r| r.id).collect()).await?;
    // The owners' paths in one query, not one per role.
    let owners: std::collections::HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(rows.iter().filter_map(|r| r.owner_org_id)))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.path))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let owner = r
                .owner_org_id
                .and_then(|id| owners.get(&id))
                .map(String::as_str);
            RoleView {
                editable: editable(actor, &r, owner),
                ..view(r.clone(), perms.remove(&r.id).unwrap_or_default())
            }
        })
        .collect())
}

pub(crate) async fn load_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<role::Model> {
    role::Entity::find_by_id(id)
        .filter(visible_condition(db, actor).await?)
        .one(db)
        .await?
        .ok_or(Error::NotFound("角色"))
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<RoleView> {
    actor.require(Permission::RoleView)?;
    let m = load_visible(&app.db, actor, id).await?;
    let perms = permissions_of(&app.db, m.id)
        .await?
        .into_iter()
        .map(String::from)
        .collect();
    let editable = editable_by(&app.db, actor, &m).await?;
    Ok(RoleView {
        editable,
        ..view(m, perms)
    })
}

/// Parses permission codes; an actor may only hand out permissions they hold themselves.
fn parse_grant(actor: &Actor, codes: &[String], invalid: &mut Invalid) -> BTreeSet<&'static str> {
    let mut set = BTreeSet::new();
    for code in codes {
        match Permission::from_code(code) {
            None => invalid.push("permissions", format!("未知的权限：{code}")),
            Some(p) if !actor.can(p) => invalid.push(
                "permissions",
                format!("不能授予自己没有的权限：{}", p.def().name),
            ),
            Some(p) => {
                set.insert(p.code());
            }
        }
    }
    set
}

#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: Option<String>,
    pub org_kind: Option<String>,
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

pub async fn create(app: &App, actor: &Actor, input: NewRole) -> Result<RoleView> {
    actor.require(Permission::RoleManage)?;
    let mut invalid = Invalid::default();
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    let description = invalid.optional_text("description", input.description.as_deref(), 200);
    let org_kind = match input.org_kind.as_deref() {
        None | Some("") => Some(actor.org_kind),
        Some(k) => invalid.take("org_kind", OrgKind::parse(k)),
    };
    // An organization defines roles for its own kind of organization; the platform for any.
    if let Some(kind) = org_kind
        && kind != actor.org_kind
        && !actor.is_platform()
    {
        invalid.push(
            "org_kind",
            format!("只能创建本单位类型（{}）的角色", actor.org_kind.label()),
        );
    }
    let permissions = parse_grant(actor, &input.permissions, &mut invalid);
    check(invalid)?;
    let (Some(name), Some(description), Some(org_kind)) = (name, description, org_kind) else {
        return Err(Error::Internal("validation".into()));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let taken = role::Entity::find()
        .filter(role::Column::OwnerOrgId.eq(actor.org_id))
        .filter(role::Column::Name.eq(&name))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(Error::conflict_on("name", "本单位已有同名角色"));
    }
    let now = app.now();
    let created = role::ActiveModel {
        code: Set(None),
        name: Set(name),
        org_kind: Set(org_kind.code().into()),
        owner_org_id: Set(Some(actor.org_id)),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for p in &permissions {
        role_permission::ActiveModel {
            role_id: Set(created.id),
            permission: Set((*p).into()),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(actor.org_id),
            org_path: &actor.org_path,
            action: "role.create",
            entity_type: "role",
            entity_id: Some(created.id),
            summary: format!("新增角色“{}”，权限：{}", created.name, names(&permissions)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(RoleView {
        // Its maker may change it.
        editable: true,
        ..view(created, permissions.into_iter().map(String::from).collect())
    })
}

fn names(codes: &BTreeSet<&'static str>) -> String {
    if codes.is_empty() {
        return "无".into();
    }
    codes
        .iter()
        .filter_map(|c| Permission::from_code(c))
        .map(|p| p.def().name)
        .collect::<Vec<_>>()
        .join("、")
}

/// Replaces a role's permissions in one step (batch grant and revoke). Preset roles are
/// changed by the platform only; custom roles by their owner's jurisdiction.
pub async fn set_permissions(
    app: &App,
    actor: &Actor,
    id: i64,
    codes: Option<&[String]>,
) -> Result<RoleView> {
    actor.require(Permission::RoleManage)?;
    let codes = codes.ok_or_else(|| Error::invalid("permissions", "请给出权限列表（可为空）"))?;
    let mut invalid = Invalid::default();
    let wanted = parse_grant(actor, codes, &mut invalid);
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let m = load_visible(&txn, actor, id).await?;
    if !editable_by(&txn, actor, &m).await? {
        return Err(Error::Forbidden(if m.owner_org_id.is_none() {
            "预置角色的权限只能由平台管理员修改".into()
        } else {
            "只能修改本单位及下级单位创建的角色".into()
        }));
    }
    let current = permissions_of(&txn, m.id).await?;
    let added: BTreeSet<_> = wanted.difference(&current).copied().collect();
    let removed: BTreeSet<_> = current.difference(&wanted).copied().collect();
    if !removed.is_empty() {
        role_permission::Entity::delete_many()
            .filter(role_permission::Column::RoleId.eq(m.id))
            .filter(role_permission::Column::Permission.is_in(removed.iter().copied()))
            .exec(&txn)
            .await?;
    }
    for p in &added {
        role_permission::ActiveModel {
            role_id: Set(m.id),
            permission: Set((*p).into()),
        }
        .insert(&txn)
        .await?;
    }
    let now = app.now();
    if !(added.is_empty() && removed.is_empty()) {
        let mut active: role::ActiveModel = m.clone().into();
        active.updated_at = Set(now);
        active.update(&txn).await?;
        let owner_path = match m.owner_org_id {
            Some(owner) => org::Entity::find_by_id(owner)
                .one(&txn)
                .await?
                .map(|o| o.path)
                .unwrap_or_else(|| "/".into()),
            None => "/".into(),
        };
        audit::record(
            &txn,
            now,
            &By::actor(actor),
            Change {
                org_id: m.owner_org_id,
                org_path: &owner_path,
                action: "role.permissions",
                entity_type: "role",
                entity_id: Some(m.id),
                summary: format!(
                    "角色“{}”授予：{}；收回：{}",
                    m.name,
                    names(&added),
                    names(&removed)
                ),
            },
        )
        .await?;
    }
    txn.commit().await?;
    get(app, actor, id).await
}

/// Whether the actor may give this role to someone at `org`: the role must fit the kind
/// of organization and grant nothing the actor lacks.
pub(crate) async fn check_assignable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    role: &role::Model,
    target: &org::Model,
) -> Result<()> {
    if role.org_kind != target.kind {
        return Err(Error::invalid(
            "role_id",
            format!(
                "该角色只能分配给{}的人员",
                OrgKind::parse(&role.org_kind)
                    .map(|k| k.label())
                    .unwrap_or("其他组织")
            ),
        ));
    }
    let perms = permissions_of(db, role.id).await?;
    if let Some(missing) = perms.iter().find(|p| !actor.permissions.contains(*p)) {
        let name = Permission::from_code(missing)
            .map(|p| p.def().name)
            .unwrap_or(missing);
        return Err(Error::invalid(
            "role_id",
            format!("该角色含有您没有的权限：{name}"),
        ));
    }
    Ok(())
}

/// Whether any membership still uses the role (for future deletion rules and the UI).
/// How many memberships hold a role the actor may see.
pub async fn member_count(app: &App, actor: &Actor, role_id: i64) -> Result<u64> {
    use kehou_store::sea_orm::PaginatorTrait;
    actor.require(Permission::RoleView)?;
    load_visible(&app.db, actor, role_id).await?;
    Ok(membership::Entity::find()
        .filter(membership::Column::RoleId.eq(role_id))
        .count(&app.db)
        .await?)
}
