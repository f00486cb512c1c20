//! Forward-only migrations, one per change, run at start-up.

use sea_orm_migration::prelude::*;

mod m20261124_000001_foundation;
mod m20261124_000002_rooms;
mod m20261124_000003_calendar;
mod m20261124_000004_school_profile;
mod m20261124_000005_classes;
mod m20261124_000006_students;
mod m20261124_000007_staff;
mod m20261124_000008_user_phone_enc;
mod m20261130_000009_jobs;
mod m20261130_000010_admin_class_audit_codes;
mod m20261130_000011_audit_ip_index;
mod m20261130_000012_session_school;
mod m20261130_000013_sms_messages_offers;
mod m20261130_000014_period_weekdays;
mod m20261130_000015_bureau_departments;
mod m20261130_000016_institutions;
mod m20261130_000017_course_specs;
mod m20261130_000018_institution_teachers;
mod m20261130_000019_dispatches;
mod m20261130_000020_courses_library;
mod m20261130_000021_offerings;
mod m20261130_000022_course_plans;
mod m20261130_000023_course_files;
mod m20261130_000024_teacher_records;
mod m20261130_000025_institution_departments;
mod m20261130_000026_teaching;
mod m20261130_000027_enrollment;
mod m20261130_000028_drop_requests;
mod m20261130_000029_billing;
mod m20261201_000030_pay_modes;
mod m20261201_000031_attendance;
mod m20261201_000032_patrol;
mod m20261201_000033_teacher_leaves;
mod m20261201_000034_enrollment_changes;
mod m20261201_000035_installation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261124_000002_rooms::Migration),
            Box::new(m20261124_000003_calendar::Migration),
            Box::new(m20261124_000004_school_profile::Migration),
            Box::new(m20261124_000005_classes::Migration),
            Box::new(m20261124_000006_students::Migration),
            Box::new(m20261124_000007_staff::Migration),
            Box::new(m20261124_000008_user_phone_enc::Migration),
            Box::new(m20261130_000009_jobs::Migration),
            Box::new(m20261130_000010_admin_class_audit_codes::Migration),
            Box::new(m20261130_000011_audit_ip_index::Migration),
            Box::new(m20261130_000012_session_school::Migration),
            Box::new(m20261130_000013_sms_messages_offers::Migration),
            Box::new(m20261130_000014_period_weekdays::Migration),
            Box::new(m20261130_000015_bureau_departments::Migration),
            Box::new(m20261130_000016_institutions::Migration),
            Box::new(m20261130_000017_course_specs::Migration),
            Box::new(m20261130_000018_institution_teachers::Migration),
            Box::new(m20261130_000019_dispatches::Migration),
            Box::new(m20261130_000020_courses_library::Migration),
            Box::new(m20261130_000021_offerings::Migration),
            Box::new(m20261130_000022_course_plans::Migration),
            Box::new(m20261130_000023_course_files::Migration),
            Box::new(m20261130_000024_teacher_records::Migration),
            Box::new(m20261130_000025_institution_departments::Migration),
            Box::new(m20261130_000026_teaching::Migration),
            Box::new(m20261130_000027_enrollment::Migration),
            Box::new(m20261130_000028_drop_requests::Migration),
            Box::new(m20261130_000029_billing::Migration),
            Box::new(m20261201_000030_pay_modes::Migration),
            Box::new(m20261201_000031_attendance::Migration),
            Box::new(m20261201_000032_patrol::Migration),
            Box::new(m20261201_000033_teacher_leaves::Migration),
            Box::new(m20261201_000034_enrollment_changes::Migration),
            Box::new(m20261201_000035_installation::Migration),
        ]
    }
}

/// Creates an index on columns named as in the database.
async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}
