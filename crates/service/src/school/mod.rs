//! School master data (C1–C6, A5, D3): profile and contacts, rooms, calendar and bell
//! schedule, administrative classes, departments and posts, staff, students and guardians.
//! Every use case here reaches its school through [`school_for`], which checks the
//! permission and the jurisdiction together.

pub mod admin_class;
pub mod calendar;
pub mod initial_password;
pub mod profile;
pub mod room;
pub mod staff;
pub mod student;
pub mod student_import;

use kehou_domain::{OrgKind, Permission};
use kehou_store::entity::org;
use kehou_store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{Actor, App, Error, Result};

/// The school a school-scoped use case works on: the permission is checked first (403),
/// then the jurisdiction (404 for a school outside it, as for one that does not exist).
/// The one way a use case outside this module reaches a school.
pub async fn school_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
    permission: Permission,
) -> Result<org::Model> {
    actor.require(permission)?;
    load_school(db, actor, school_id).await
}

/// Loads a school of the actor's jurisdiction, or answers 404. Private to the area: its
/// helpers call it after their use case checked the permission.
async fn load_school(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
) -> Result<org::Model> {
    crate::org::load_in_scope(db, actor, school_id)
        .await
        .ok()
        .filter(|o| o.kind == OrgKind::School.code())
        .ok_or(Error::NotFound("学校"))
}

/// A school anyone of it or of its bureaus may read the public side of (a published
/// offering, its terms), whatever their permissions: parents hold none. 404 outside.
pub async fn school_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
) -> Result<org::Model> {
    load_school(db, actor, school_id).await
}

/// The schools of the actor's jurisdiction, for pickers.
pub async fn schools_in_scope(app: &App, actor: &Actor) -> Result<Vec<org::Model>> {
    Ok(org::Entity::find()
        .filter(org::Column::Path.starts_with(&actor.org_path))
        .filter(org::Column::Kind.eq(OrgKind::School.code()))
        .order_by_asc(org::Column::Name)
        .all(&app.db)
        .await?)
}
