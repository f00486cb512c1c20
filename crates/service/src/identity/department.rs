//! The departments (科室) of a bureau (A3). A department is a named set of permissions
//! (its line of work: basic education, finance, safety…). A bureau leader sees the whole
//! jurisdiction; an officer (a role whose preset says so) works only inside the
//! departments assigned to their membership: their permissions are the role's, cut to the
//! union of those departments'. Once a bureau has departments, an officer of it without
//! one has no permissions; a bureau without any is not divided.
//!
//! Setting up departments and assigning them configure permissions, so both need
//! `role.manage` over the bureau.

use std::collections::{BTreeSet, HashMap};

use kehou_domain::{Invalid, OrgKind, Permission};
use kehou_store::entity::identity::{bureau_department, membership, membership_department, user};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

/// The longest department name, in characters.
pub const NAME_MAX: usize = 30;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    /// Catalog codes, sorted.
    pub permissions: Vec<String>,
    /// The memberships assigned to it.
    pub members: Vec<DepartmentMember>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentMember {
    pub membership_id: i64,
    pub user_id: i64,
    pub user_name: String,
}

/// A department as a membership shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentRef {
    pub id: i64,
    pub name: String,
}

/// A new department, or a change to one (absent fields stay).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DepartmentInput {
    pub name: Option<String>,
    /// Catalog codes (`school.view`…); at least one.
    pub permissions: Option<Vec<String>>,
}

fn codes_of(m: &bureau_department::Model) -> Vec<String> {
    m.permissions
        .split(',')
        .filter(|c| Permission::from_code(c).is_some())
        .map(String::from)
        .collect()
}

/// The bureau whose departments these are: the permission first (403), then the
/// jurisdiction (404), then the kind (only bureaus have departments).
async fn bureau_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_id: i64,
    permission: Permission,
) -> Result<org::Model> {
    actor.require(permission)?;
    let o = crate::org::load_in_scope(db, actor, org_id).await?;
    if OrgKind::parse(&o.kind) != Ok(OrgKind::Bureau) {
        return Err(Error::conflict("只有教育行政部门设置科室"));
    }
    Ok(o)
}

/// Checks a name and a permission list; `None` leaves the value as it is.
fn validate(input: &DepartmentInput) -> Result<(Option<String>, Option<String>)> {
    let mut invalid = Invalid::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| invalid.text("name", n, NAME_MAX));
    let permissions = match &input.permissions {
        None => None,
        Some(codes) => {
            let mut set = BTreeSet::new();
            for code in codes {
                match Permission::from_code(code.trim()) {
                    Some(p) => {
                        set.insert(p.code());
                    }
                    None => invalid.push("permissions", "含有不存在的权限"),
                }
            }
            if set.is_empty() && invalid.is_empty() {
                invalid.push("permissions", "请至少选择一项权限");
            }
            Some(set.into_iter().collect::<Vec<_>>().join(","))
        }
    };
    check(invalid)?;
    Ok((name, permissions))
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<bureau_department::Model>,
) -> Result<Vec<DepartmentView>> {
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let links = membership_department::Entity::find()
        .filter(membership_department::Column::DepartmentId.is_in(ids))
        .all(db)
        .await?;
    let memberships: HashMap<i64, membership::Model> = membership::Entity::find()
        .filter(membership::Column::Id.is_in(links.iter().map(|l| l.membership_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(memberships.values().map(|m| m.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|d| {
            let members = links
                .iter()
                .filter(|l| l.department_id == d.id)
                .filter_map(|l| memberships.get(&l.membership_id))
                .map(|m| DepartmentMember {
                    membership_id: m.id,
                    user_id: m.user_id,
                    user_name: names.get(&m.user_id).cloned().unwrap_or_default(),
                })
                .collect();
            DepartmentView {
                id: d.id,
                org_id: d.org_id,
                permissions: codes_of(&d),
                name: d.name,
                members,
            }
        })
        .collect())
}

/// The departments of a bureau, by name.
pub async fn list(app: &App, actor: &Actor, org_id: i64) -> Result<Vec<DepartmentView>> {
    let bureau = bureau_for(&app.db, actor, org_id, Permission::RoleView).await?;
    let rows = bureau_department::Entity::find()
        .filter(bureau_department::Column::OrgId.eq(bureau.id))
        .order_by_asc(bureau_department::Column::Name)
        .all(&app.db)
        .await?;
    views(&app.db, rows).await
}

pub async fn get(app: &App, actor: &Actor, org_id: i64, id: i64) -> Result<DepartmentView> {
    let bureau = bureau_for(&app.db, actor, org_id, Permission::RoleView).await?;
    let d = load(&app.db, bureau.id, id).await?;
    let mut all = views(&app.db, vec![d]).await?;
    all.pop().ok_or(Error::NotFound("科室"))
}

async fn load(db: &impl ConnectionTrait, org_id: i64, id: i64) -> Result<bureau_department::Model> {
    bureau_department::Entity::find_by_id(id)
        .filter(bureau_department::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("科室"))
}

async fn name_taken(
    db: &impl ConnectionTrait,
    org_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<bool> {
    let mut q = bureau_department::Entity::find()
        .filter(bureau_department::Column::OrgId.eq(org_id))
        .filter(bureau_department::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(bureau_department::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

fn permission_names(codes: &str) -> String {
    codes
        .split(',')
        .filter_map(Permission::from_code)
        .map(|p| p.def().name)
        .collect::<Vec<_>>()
        .join("、")
}

pub async fn create(
    app: &App,
    actor: &Actor,
    org_id: i64,
    input: DepartmentInput,
) -> Result<DepartmentView> {
    bureau_for(&app.db, actor, org_id, Permission::RoleManage).await?;
    let (name, permissions) = validate(&input)?;
    let mut invalid = Invalid::default();
    if input.name.is_none() {
        invalid.push("name", "请填写科室名称");
    }
    if input.permissions.is_none() {
        invalid.push("permissions", "请至少选择一项权限");
    }
    check(invalid)?;
    let (Some(name), Some(permissions)) = (name, permissions) else {
        return Err(Error::invalid("name", "请填写科室名称"));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let bureau = bureau_for(&txn, actor, org_id, Permission::RoleManage).await?;
    if name_taken(&txn, bureau.id, &name, None).await? {
        return Err(Error::conflict_on("name", "本单位已有同名科室"));
    }
    let now = app.now();
    let created = bureau_department::ActiveModel {
        org_id: Set(bureau.id),
        name: Set(name),
        permissions: Set(permissions),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(bureau.id),
            org_path: &bureau.path,
            action: "department.create",
            entity_type: "department",
            entity_id: Some(created.id),
            summary: format!(
                "新增科室“{}”，权限：{}",
                created.name,
                permission_names(&created.permissions)
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, org_id, created.id).await
}

pub async fn update(
    app: &App,
    actor: &Actor,
    org_id: i64,
    id: i64,
    input: DepartmentInput,
) -> Result<DepartmentView> {
    bureau_for(&app.db, actor, org_id, Permission::RoleManage).await?;
    let (name, permissions) = validate(&input)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let bureau = bureau_for(&txn, actor, org_id, Permission::RoleManage).await?;
    let current = load(&txn, bureau.id, id).await?;
    let mut changes = Vec::new();
    let mut model = current.clone().into_active_model();
    if let Some(name) = name
        && name != current.name
    {
        if name_taken(&txn, bureau.id, &name, Some(id)).await? {
            return Err(Error::conflict_on("name", "本单位已有同名科室"));
        }
        changes.push(format!("名称：{} → {}", current.name, name));
        model.name = Set(name);
    }
    if let Some(permissions) = permissions
        && permissions != current.permissions
    {
        changes.push(format!(
            "权限：{} → {}",
            permission_names(&current.permissions),
            permission_names(&permissions)
        ));
        model.permissions = Set(permissions);
    }
    if changes.is_empty() {
        txn.rollback().await?;
        return get(app, actor, org_id, id).await;
    }
    let now = app.now();
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(bureau.id),
            org_path: &bureau.path,
            action: "department.update",
            entity_type: "department",
            entity_id: Some(id),
            summary: format!("修改科室“{}”：{}", updated.name, changes.join("；")),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, org_id, id).await
}

/// Deletes a department; its officers lose what only it granted, at once.
pub async fn delete(app: &App, actor: &Actor, org_id: i64, id: i64) -> Result<()> {
    bureau_for(&app.db, actor, org_id, Permission::RoleManage).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let bureau = bureau_for(&txn, actor, org_id, Permission::RoleManage).await?;
    let current = load(&txn, bureau.id, id).await?;
    let members = membership_department::Entity::delete_many()
        .filter(membership_department::Column::DepartmentId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    bureau_department::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(bureau.id),
            org_path: &bureau.path,
            action: "department.delete",
            entity_type: "department",
            entity_id: Some(id),
            summary: format!("删除科室“{}”（原有 {members} 人）", current.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets the departments of a membership in a bureau (all of them: an empty list removes
/// every one). Answers the departments it now has.
pub async fn assign(
    app: &App,
    actor: &Actor,
    user_id: i64,
    membership_id: i64,
    department_ids: Option<Vec<i64>>,
) -> Result<Vec<DepartmentRef>> {
    actor.require(Permission::RoleManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let m = membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::UserId.eq(user_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("身份"))?;
    let bureau = crate::org::load_in_scope(&txn, actor, m.org_id)
        .await
        .map_err(|_| Error::NotFound("身份"))?;
    if OrgKind::parse(&bureau.kind) != Ok(OrgKind::Bureau) {
        return Err(Error::conflict("只有教育行政部门的身份分配科室"));
    }
    let Some(department_ids) = department_ids else {
        return Err(Error::invalid("department_ids", "请给出科室列表"));
    };
    let wanted: BTreeSet<i64> = department_ids.into_iter().collect();
    let found = bureau_department::Entity::find()
        .filter(bureau_department::Column::OrgId.eq(bureau.id))
        .filter(bureau_department::Column::Id.is_in(wanted.iter().copied()))
        .order_by_asc(bureau_department::Column::Name)
        .all(&txn)
        .await?;
    if found.len() != wanted.len() {
        return Err(Error::invalid(
            "department_ids",
            format!("科室须是“{}”的科室", bureau.name),
        ));
    }
    let before = departments_of(&txn, &[m.id]).await?.remove(&m.id);
    let before = before.unwrap_or_default();
    membership_department::Entity::delete_many()
        .filter(membership_department::Column::MembershipId.eq(m.id))
        .exec(&txn)
        .await?;
    for d in &found {
        membership_department::ActiveModel {
            membership_id: Set(m.id),
            department_id: Set(d.id),
        }
        .insert(&txn)
        .await?;
    }
    let person = user::Entity::find_by_id(m.user_id)
        .one(&txn)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let names = |ds: &[DepartmentRef]| {
        if ds.is_empty() {
            "无".to_string()
        } else {
            ds.iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        }
    };
    let after: Vec<DepartmentRef> = found
        .into_iter()
        .map(|d| DepartmentRef {
            id: d.id,
            name: d.name,
        })
        .collect();
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(bureau.id),
            org_path: &bureau.path,
            action: "membership.departments",
            entity_type: "user",
            entity_id: Some(m.user_id),
            summary: format!(
                "设置 {person} 在“{}”的科室：{} → {}",
                bureau.name,
                names(&before),
                names(&after)
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The departments of each membership, by name.
pub(crate) async fn departments_of(
    db: &impl ConnectionTrait,
    membership_ids: &[i64],
) -> Result<HashMap<i64, Vec<DepartmentRef>>> {
    let links = membership_department::Entity::find()
        .filter(membership_department::Column::MembershipId.is_in(membership_ids.iter().copied()))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let departments: HashMap<i64, bureau_department::Model> = bureau_department::Entity::find()
        .filter(bureau_department::Column::Id.is_in(links.iter().map(|l| l.department_id)))
        .order_by_asc(bureau_department::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut out: HashMap<i64, Vec<DepartmentRef>> = HashMap::new();
    for l in links {
        if let Some(d) = departments.get(&l.department_id) {
            out.entry(l.membership_id).or_default().push(DepartmentRef {
                id: d.id,
                name: d.name.clone(),
            });
        }
    }
    for refs in out.values_mut() {
        refs.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

/// A membership's permissions cut to its departments: what the role grants and at least
/// one of the departments assigned to the membership grants too. A bureau that has set up
/// no departments is not divided: its officers work with their role's permissions.
pub(crate) async fn within_departments(
    db: &impl ConnectionTrait,
    m: &membership::Model,
    role_permissions: BTreeSet<&'static str>,
) -> Result<BTreeSet<&'static str>> {
    let departments = bureau_department::Entity::find()
        .filter(bureau_department::Column::OrgId.eq(m.org_id))
        .all(db)
        .await?;
    if departments.is_empty() {
        return Ok(role_permissions);
    }
    let assigned: BTreeSet<i64> = membership_department::Entity::find()
        .filter(membership_department::Column::MembershipId.eq(m.id))
        .all(db)
        .await?
        .iter()
        .map(|l| l.department_id)
        .collect();
    let granted: BTreeSet<String> = departments
        .iter()
        .filter(|d| assigned.contains(&d.id))
        .flat_map(codes_of)
        .collect();
    Ok(role_permissions
        .into_iter()
        .filter(|p| granted.contains(*p))
        .collect())
}

/// Forgets a membership's departments when the membership goes.
pub(crate) async fn forget_membership(db: &impl ConnectionTrait, membership_id: i64) -> Result<()> {
    membership_department::Entity::delete_many()
        .filter(membership_department::Column::MembershipId.eq(membership_id))
        .exec(db)
        .await?;
    Ok(())
}
