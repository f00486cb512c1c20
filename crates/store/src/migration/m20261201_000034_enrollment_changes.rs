//! Course changes and class transfers a parent asks for (I6): from a confirmed enrollment
//! to another teaching class of the term — of the same course (调班) or of another (调课).
//! The school approves (seats, enrollment and money move in one transaction) or rejects
//! with a reason. At most one request of an enrollment waits at a time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EnrollmentChanges {
    Table,
    Id,
    SchoolId,
    TermId,
    EnrollmentId,
    StudentId,
    ToClassId,
    Kind,
    Reason,
    Status,
    RequestedBy,
    RequestedAt,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    NewEnrollmentId,
    CarriedFen,
    RefundFen,
    DueFen,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EnrollmentChanges::Table)
                .col(big_pk_auto(EnrollmentChanges::Id))
                .col(big_integer(EnrollmentChanges::SchoolId))
                .col(big_integer(EnrollmentChanges::TermId))
                .col(big_integer(EnrollmentChanges::EnrollmentId))
                .col(big_integer(EnrollmentChanges::StudentId))
                .col(big_integer(EnrollmentChanges::ToClassId))
                .col(string_len(EnrollmentChanges::Kind, 10))
                .col(string_len(EnrollmentChanges::Reason, 200))
                .col(string_len(EnrollmentChanges::Status, 20))
                .col(big_integer(EnrollmentChanges::RequestedBy))
                .col(timestamp_with_time_zone(EnrollmentChanges::RequestedAt))
                .col(big_integer_null(EnrollmentChanges::DecidedBy))
                .col(timestamp_with_time_zone_null(EnrollmentChanges::DecidedAt))
                .col(string_len_null(EnrollmentChanges::DecisionNote, 200))
                .col(big_integer_null(EnrollmentChanges::NewEnrollmentId))
                .col(big_integer(EnrollmentChanges::CarriedFen).default(0))
                .col(big_integer(EnrollmentChanges::RefundFen).default(0))
                .col(big_integer(EnrollmentChanges::DueFen).default(0))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_enrollment_changes_term",
            EnrollmentChanges::Table,
            &["school_id", "term_id", "status"],
            false,
        )
        .await?;
        index(
            m,
            "ix_enrollment_changes_enrollment",
            EnrollmentChanges::Table,
            &["enrollment_id"],
            false,
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_enrollment_changes_pending ON enrollment_changes \
                 (enrollment_id) WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(EnrollmentChanges::Table).to_owned())
            .await
    }
}
