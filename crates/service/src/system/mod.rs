//! Work done without a person: the command line, start-up and background jobs. Nothing
//! here checks permissions, so nothing here is reachable from a web handler; the
//! functions say in their names and docs what they do on the operator's behalf.

pub mod backup;
pub mod bench_attendance;
pub mod bench_keys;
pub mod bench_payments;
pub mod bench_rush;
pub mod bench_term;
pub mod demo;
mod demo_attendance;
mod demo_billing;
mod demo_courses;
mod demo_enrollment;
mod demo_patrol;
mod demo_teaching;
pub mod privacy;
pub mod sample;

use kehou_domain::OrgKind;
use kehou_store::entity::org;
use kehou_store::sea_orm::{ConnectionTrait, EntityTrait};

use crate::{Error, Result};

/// Loads a school without a scope check, for the operator of the machine (command line).
pub async fn load_any_school(db: &impl ConnectionTrait, school_id: i64) -> Result<org::Model> {
    org::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .filter(|o| o.kind == OrgKind::School.code())
        .ok_or(Error::NotFound("学校"))
}

pub mod worker;

/// Runs an import in the foreground for the operator of the machine (`kehou import`):
/// no permission check, audited as the system.
pub async fn import_file(
    app: &crate::App,
    kind: crate::import::Kind,
    school_id: i64,
    bytes: Vec<u8>,
    mode: crate::import::Mode,
    progress: &crate::import::Progress,
) -> Result<crate::import::Outcome> {
    crate::import::run(
        app,
        &crate::import::Runner::System,
        kind,
        school_id,
        bytes,
        mode,
        progress,
    )
    .await
}

/// Every student of a school as the export's rows, for the export benchmark.
pub async fn student_export_rows(app: &crate::App, school_id: i64) -> Result<Vec<Vec<String>>> {
    crate::school::student::all_rows_of(app, school_id).await
}
