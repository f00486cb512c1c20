//! Organizations (A2): the tree of bureaus, schools, institutions and operators.

use chrono::{DateTime, Utc};
use kehou_domain::org::OrgType;
use kehou_domain::{BureauLevel, Invalid, OrgKind, Permission};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Page, PageRequest, Result};

pub const PLATFORM_NAME: &str = "课后服务管理平台";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub parent_name: Option<String>,
    pub kind: OrgKind,
    pub level: Option<BureauLevel>,
    pub type_label: &'static str,
    pub name: String,
    pub code: Option<String>,
    pub region_code: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn type_of(m: &org::Model) -> OrgType {
    // Rows are only written through `OrgType`, so the stored codes are valid.
    let kind = OrgKind::parse(&m.kind).unwrap_or(OrgKind::Operator);
    let level = m.level.as_deref().and_then(|l| BureauLevel::parse(l).ok());
    OrgType { kind, level }
}

fn view(m: org::Model, parent_name: Option<String>) -> OrgView {
    let t = type_of(&m);
    OrgView {
        id: m.id,
        parent_id: m.parent_id,
        parent_name,
        kind: t.kind,
        level: t.level,
        type_label: t.label(),
        name: m.name,
        code: m.code,
        region_code: m.region_code,
        active: m.active,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// The root of the organization tree (the platform), once it exists.
pub(crate) async fn platform_root(db: &impl ConnectionTrait) -> Result<Option<org::Model>> {
    Ok(org::Entity::find()
        .filter(org::Column::ParentId.is_null())
        .order_by_asc(org::Column::Id)
        .one(db)
        .await?)
}

/// The names of these organizations by id.
pub(crate) async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, String>> {
    Ok(org::Entity::find()
        .filter(org::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// Creates the root of the tree on a new database.
pub async fn ensure_platform_root(app: &App) -> Result<org::Model> {
    if let Some(root) = platform_root(&app.db).await? {
        return Ok(root);
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let now = app.now();
    let platform = OrgType {
        kind: OrgKind::Platform,
        level: None,
    };
    let root = insert(&txn, None, platform, PLATFORM_NAME.into(), None, None, now).await?;
    audit::record(
        &txn,
        now,
        &By::system(),
        Change {
            org_id: Some(root.id),
            org_path: &root.path,
            action: "org.create",
            entity_type: "org",
            entity_id: Some(root.id),
            summary: format!("创建平台根节点 {}", root.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(root)
}

/// Inserts an organization under `parent` (none for the root) and sets its path.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    parent: Option<&org::Model>,
    org_type: OrgType,
    name: String,
    code: Option<String>,
    region_code: Option<String>,
    now: DateTime<Utc>,
) -> Result<org::Model> {
    let created = org::ActiveModel {
        parent_id: Set(parent.map(|p| p.id)),
        kind: Set(org_type.kind.code().into()),
        level: Set(org_type.level.map(|l| l.code().into())),
        name: Set(name),
        code: Set(code),
        region_code: Set(region_code),
        path: Set(String::new()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The path holds the row's own id, known only after the insert.
    let path = format!("{}{}/", parent.map_or("/", |p| p.path.as_str()), created.id);
    let mut active = created.into_active_model();
    active.path = Set(path);
    Ok(active.update(db).await?)
}

/// Loads an organization the actor may see, or answers 404.
pub(crate) async fn load_in_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<org::Model> {
    match org::Entity::find_by_id(id).one(db).await? {
        Some(m) if actor.in_scope(&m.path) => Ok(m),
        _ => Err(Error::NotFound("组织机构")),
    }
}

async fn parent_names(
    db: &impl ConnectionTrait,
    rows: &[org::Model],
) -> Result<std::collections::HashMap<i64, String>> {
    let ids: Vec<i64> = rows.iter().filter_map(|m| m.parent_id).collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let parents = org::Entity::find()
        .filter(org::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(parents.into_iter().map(|p| (p.id, p.name)).collect())
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Matches the name or the code.
    pub q: Option<String>,
    pub kind: Option<OrgKind>,
    pub parent_id: Option<i64>,
    pub active: Option<bool>,
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &OrgFilter,
    page: PageRequest,
) -> Result<Page<OrgView>> {
    actor.require(Permission::OrgView)?;
    let mut query = org::Entity::find().filter(org::Column::Path.starts_with(&actor.org_path));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(org::Column::Name.contains(q))
                .add(org::Column::Code.contains(q)),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(org::Column::Kind.eq(kind.code()));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(org::Column::ParentId.eq(parent));
    }
    if let Some(active) = filter.active {
        query = query.filter(org::Column::Active.eq(active));
    }
    let total = query.clone().count(&app.db).await?;
    let rows = query
        .order_by_asc(org::Column::Path)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    let names = parent_names(&app.db, &rows).await?;
    let items = rows
        .into_iter()
        .map(|m| {
            let parent = m.parent_id.and_then(|p| names.get(&p).cloned());
            view(m, parent)
        })
        .collect();
    Ok(Page {
        items,
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<OrgView> {
    actor.require(Permission::OrgView)?;
    let m = load_in_scope(&app.db, actor, id).await?;
    let names = parent_names(&app.db, std::slice::from_ref(&m)).await?;
    let parent = m.parent_id.and_then(|p| names.get(&p).cloned());
    Ok(view(m, parent))
}

/// The organizations a new child may be placed under, for forms.
pub async fn possible_parents(app: &App, actor: &Actor) -> Result<Vec<OrgView>> {
    actor.require(Permission::OrgView)?;
    let rows = org::Entity::find()
        .filter(org::Column::Path.starts_with(&actor.org_path))
        .filter(org::Column::Kind.is_in([OrgKind::Platform.code(), OrgKind::Bureau.code()]))
        .filter(org::Column::Active.eq(true))
        .order_by_asc(org::Column::Path)
        .limit(2000)
        .all(&app.db)
        .await?;
    Ok(rows.into_iter().map(|m| view(m, None)).collect())
}

#[derive(Debug, Clone, Default)]
pub struct NewOrg {
    pub parent_id: Option<i64>,
    pub kind: Option<String>,
    pub level: Option<String>,
    pub name: Option<String>,
    pub code: Option<String>,
    pub region_code: Option<String>,
}

fn parse_region_code(invalid: &mut Invalid, value: Option<&str>) -> Option<Option<String>> {
    let value = invalid.optional_text("region_code", value, 12)?;
    if let Some(code) = &value
        && !(code.len() == 6 || code.len() == 9 || code.len() == 12)
    {
        invalid.push("region_code", "行政区划代码应为6、9或12位数字");
        return None;
    }
    if let Some(code) = &value
        && !code.bytes().all(|b| b.is_ascii_digit())
    {
        invalid.push("region_code", "行政区划代码应为6、9或12位数字");
        return None;
    }
    Some(value)
}

pub async fn create(app: &App, actor: &Actor, input: NewOrg) -> Result<OrgView> {
    actor.require(Permission::OrgManage)?;
    let mut invalid = Invalid::default();
    let kind = match input.kind.as_deref() {
        None | Some("") => {
            invalid.push("kind", "请选择组织类型");
            None
        }
        Some(k) => invalid.take("kind", OrgKind::parse(k)),
    };
    let level = match input.level.as_deref() {
        None | Some("") => Some(None),
        Some(l) => invalid.take("level", BureauLevel::parse(l)).map(Some),
    };
    let org_type = match (kind, level) {
        (Some(k), Some(l)) => invalid.take("level", OrgType::new(k, l)),
        _ => None,
    };
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 100);
    let code = invalid.optional_text("code", input.code.as_deref(), 50);
    let region_code = parse_region_code(&mut invalid, input.region_code.as_deref());
    if input.parent_id.is_none() {
        invalid.push("parent_id", "请选择上级组织");
    }
    check(invalid)?;
    let (Some(org_type), Some(name), Some(code), Some(region_code), Some(parent_id)) =
        (org_type, name, code, region_code, input.parent_id)
    else {
        return Err(Error::Internal("validation".into()));
    };

    let txn = kehou_store::begin_write(&app.db).await?;
    let parent = load_in_scope(&txn, actor, parent_id)
        .await
        .map_err(|_| Error::invalid("parent_id", "上级组织不存在或不在管辖范围内"))?;
    if !parent.active {
        return Err(Error::invalid("parent_id", "上级组织已停用"));
    }
    type_of(&parent)
        .may_contain(org_type)
        .map_err(|reason| Error::invalid("kind", reason))?;
    let now = app.now();
    let created = insert(&txn, Some(&parent), org_type, name, code, region_code, now).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(created.id),
            org_path: &created.path,
            action: "org.create",
            entity_type: "org",
            entity_id: Some(created.id),
            summary: format!(
                "在“{}”下新增{}“{}”",
                parent.name,
                org_type.label(),
                created.name
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view(created, Some(parent.name)))
}

/// A partial update: only the fields given change. `parent_id` moves the organization
/// with its whole subtree.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    pub region_code: Option<String>,
    pub parent_id: Option<i64>,
    pub active: Option<bool>,
}

pub async fn update(app: &App, actor: &Actor, id: i64, patch: OrgPatch) -> Result<OrgView> {
    actor.require(Permission::OrgManage)?;
    // Halting an organization (or letting it work again) is the leader's power (A3).
    if patch.active.is_some() {
        actor.require(Permission::SupervisionHalt)?;
    }
    let mut invalid = Invalid::default();
    let name = patch.name.as_deref().map(|n| invalid.text("name", n, 100));
    let code = patch
        .code
        .as_deref()
        .map(|c| invalid.optional_text("code", Some(c), 50));
    let region_code = patch
        .region_code
        .as_deref()
        .map(|c| parse_region_code(&mut invalid, Some(c)));
    check(invalid)?;

    let txn = kehou_store::begin_write(&app.db).await?;
    let current = load_in_scope(&txn, actor, id).await?;
    if current.id == actor.org_id && (patch.parent_id.is_some() || patch.active.is_some()) {
        return Err(Error::Forbidden("不能移动或停用自己所在的组织".into()));
    }
    let mut changes = Vec::new();
    let now = app.now();
    let mut model = current.clone().into_active_model();
    if let Some(Some(name)) = name
        && name != current.name
    {
        changes.push(format!("名称：{} → {}", current.name, name));
        model.name = Set(name);
    }
    if let Some(Some(code)) = code
        && code != current.code
    {
        changes.push(format!(
            "代码：{} → {}",
            current.code.as_deref().unwrap_or("无"),
            code.as_deref().unwrap_or("无")
        ));
        model.code = Set(code);
    }
    if let Some(Some(region)) = region_code
        && region != current.region_code
    {
        changes.push(format!(
            "行政区划：{} → {}",
            current.region_code.as_deref().unwrap_or("无"),
            region.as_deref().unwrap_or("无")
        ));
        model.region_code = Set(region);
    }
    if let Some(active) = patch.active {
        if active == current.active {
            return Err(Error::conflict(if active {
                "该组织已是启用状态"
            } else {
                "该组织已是停用状态"
            }));
        }
        if !active {
            let active_children = org::Entity::find()
                .filter(org::Column::ParentId.eq(current.id))
                .filter(org::Column::Active.eq(true))
                .count(&txn)
                .await?;
            if active_children > 0 {
                return Err(Error::conflict(format!(
                    "该组织下还有{active_children}个启用的下级组织，请先停用它们"
                )));
            }
        }
        changes.push(if active {
            "启用".to_string()
        } else {
            "停用".to_string()
        });
        model.active = Set(active);
    }
    let mut new_parent_name = None;
    if let Some(parent_id) = patch.parent_id
        && Some(parent_id) != current.parent_id
    {
        let parent = load_in_scope(&txn, actor, parent_id)
            .await
            .map_err(|_| Error::invalid("parent_id", "上级组织不存在或不在管辖范围内"))?;
        if parent.path.starts_with(&current.path) {
            return Err(Error::invalid(
                "parent_id",
                "不能移动到自己或自己的下级组织之下",
            ));
        }
        type_of(&parent)
            .may_contain(type_of(&current))
            .map_err(|reason| Error::invalid("parent_id", reason))?;
        let new_path = format!("{}{}/", parent.path, current.id);
        move_subtree(&txn, &current.path, &new_path, now).await?;
        changes.push(format!("移动到“{}”下", parent.name));
        model.parent_id = Set(Some(parent.id));
        model.path = Set(new_path);
        new_parent_name = Some(parent.name);
    }
    if changes.is_empty() {
        txn.rollback().await?;
        return get(app, actor, id).await;
    }
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(updated.id),
            org_path: &updated.path,
            action: "org.update",
            entity_type: "org",
            entity_id: Some(updated.id),
            summary: format!("修改组织“{}”：{}", updated.name, changes.join("；")),
        },
    )
    .await?;
    txn.commit().await?;
    let parent_name = match new_parent_name {
        Some(n) => Some(n),
        None => parent_names(&app.db, std::slice::from_ref(&updated))
            .await?
            .get(&updated.parent_id.unwrap_or_default())
            .cloned(),
    };
    Ok(view(updated, parent_name))
}

/// Rewrites the paths of every descendant of the node at `old_path`.
async fn move_subtree(
    db: &impl ConnectionTrait,
    old_path: &str,
    new_path: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let descendants = org::Entity::find()
        .filter(org::Column::Path.starts_with(old_path))
        .filter(org::Column::Path.ne(old_path))
        .all(db)
        .await?;
    for d in descendants {
        let path = format!("{new_path}{}", &d.path[old_path.len()..]);
        let mut m = d.into_active_model();
        m.path = Set(path);
        m.updated_at = Set(now);
        m.update(db).await?;
    }
    Ok(())
}
