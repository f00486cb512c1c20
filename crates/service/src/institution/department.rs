//! An institution's departments (部门, D6): named units of the institution that its
//! teachers belong to. Kept by the institution (`institution.manage`), read with it by its
//! bureaus. A department with teachers is not removed.

use kehou_domain::{Invalid, Permission};
use kehou_store::entity::institution::{department, teacher};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use super::institution_for;
use crate::platform::audit::{self, By, Change};
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = InstitutionDepartmentView)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    /// Its teachers.
    pub teachers: u64,
}

/// An institution's departments, by name.
pub async fn list(app: &App, actor: &Actor, org_id: i64) -> Result<Vec<DepartmentView>> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionView).await?;
    let rows = department::Entity::find()
        .filter(department::Column::OrgId.eq(o.id))
        .order_by_asc(department::Column::Name)
        .all(&app.db)
        .await?;
    let members = teacher::Entity::find()
        .filter(teacher::Column::OrgId.eq(o.id))
        .all(&app.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|d| DepartmentView {
            teachers: members
                .iter()
                .filter(|t| t.department_id == Some(d.id))
                .count() as u64,
            id: d.id,
            name: d.name,
        })
        .collect())
}

/// The actor's own institution, to change its departments.
async fn own(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_id: i64,
) -> Result<kehou_store::entity::org::Model> {
    let o = institution_for(db, actor, org_id, Permission::InstitutionManage).await?;
    if o.id != actor.org_id {
        return Err(Error::Forbidden("只能维护本机构的部门".into()));
    }
    Ok(o)
}

async fn record(
    db: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    o: &kehou_store::entity::org::Model,
    id: i64,
    action: &str,
    summary: String,
) -> Result<()> {
    audit::record(
        db,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(o.id),
            org_path: &o.path,
            action,
            entity_type: "institution_department",
            entity_id: Some(id),
            summary,
        },
    )
    .await
}

pub async fn create(
    app: &App,
    actor: &Actor,
    org_id: i64,
    name: Option<String>,
) -> Result<DepartmentView> {
    let o = own(&app.db, actor, org_id).await?;
    let mut invalid = Invalid::default();
    let name = invalid.text("name", name.as_deref().unwrap_or(""), 30);
    crate::platform::error::check(invalid)?;
    let Some(name) = name else {
        return Err(Error::Internal("validation".into()));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let d = department::ActiveModel {
        org_id: Set(o.id),
        name: Set(name),
        created_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("name", "已有同名部门"))?;
    record(
        &txn,
        app,
        actor,
        &o,
        d.id,
        "institution_department.create",
        format!("新增部门“{}”", d.name),
    )
    .await?;
    txn.commit().await?;
    Ok(DepartmentView {
        id: d.id,
        name: d.name,
        teachers: 0,
    })
}

async fn load(db: &impl ConnectionTrait, org_id: i64, id: i64) -> Result<department::Model> {
    department::Entity::find_by_id(id)
        .filter(department::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("部门"))
}

/// Removes a department without teachers.
pub async fn delete(app: &App, actor: &Actor, org_id: i64, id: i64) -> Result<()> {
    let o = own(&app.db, actor, org_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let d = load(&txn, o.id, id).await?;
    let members = teacher::Entity::find()
        .filter(teacher::Column::DepartmentId.eq(d.id))
        .count(&txn)
        .await?;
    if members > 0 {
        return Err(Error::conflict(format!(
            "部门“{}”还有{members}名教师，请先调整他们的部门",
            d.name
        )));
    }
    department::Entity::delete_by_id(d.id).exec(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &o,
        d.id,
        "institution_department.delete",
        format!("删除部门“{}”", d.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Puts a teacher into a department of the institution, or into none.
pub async fn assign(
    app: &App,
    actor: &Actor,
    org_id: i64,
    teacher_id: i64,
    department_id: Option<i64>,
) -> Result<()> {
    let o = own(&app.db, actor, org_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let t = teacher::Entity::find_by_id(teacher_id)
        .filter(teacher::Column::OrgId.eq(o.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("教师"))?;
    let d = match department_id {
        Some(id) => Some(
            load(&txn, o.id, id)
                .await
                .map_err(|_| Error::invalid("department_id", "部门不存在"))?,
        ),
        None => None,
    };
    let name = t.name.clone();
    let mut m = t.into_active_model();
    m.department_id = Set(d.as_ref().map(|d| d.id));
    m.updated_at = Set(app.now());
    m.update(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &o,
        teacher_id,
        "institution_department.assign",
        format!(
            "教师“{name}”的部门：{}",
            d.as_ref().map_or("无".to_string(), |d| d.name.clone())
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The names of an institution's departments by id, for its teachers' views.
pub(crate) async fn names(
    db: &impl ConnectionTrait,
    org_id: i64,
) -> Result<std::collections::HashMap<i64, String>> {
    Ok(department::Entity::find()
        .filter(department::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}
