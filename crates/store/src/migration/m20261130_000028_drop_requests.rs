//! Drop requests (F5): a parent asks to drop a confirmed enrollment; the school approves
//! (the enrollment is dropped, the seat freed) or rejects with a reason. At most one
//! request of an enrollment waits at a time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DropRequests {
    Table,
    Id,
    SchoolId,
    TermId,
    EnrollmentId,
    StudentId,
    Reason,
    Status,
    RequestedBy,
    RequestedAt,
    DecidedBy,
    DecidedAt,
    DecisionNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DropRequests::Table)
                .col(big_pk_auto(DropRequests::Id))
                .col(big_integer(DropRequests::SchoolId))
                .col(big_integer(DropRequests::TermId))
                .col(big_integer(DropRequests::EnrollmentId))
                .col(big_integer(DropRequests::StudentId))
                .col(string_len(DropRequests::Reason, 200))
                .col(string_len(DropRequests::Status, 20))
                .col(big_integer(DropRequests::RequestedBy))
                .col(timestamp_with_time_zone(DropRequests::RequestedAt))
                .col(big_integer_null(DropRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(DropRequests::DecidedAt))
                .col(string_len_null(DropRequests::DecisionNote, 200))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_drop_requests_term",
            DropRequests::Table,
            &["school_id", "term_id", "status"],
            false,
        )
        .await?;
        index(
            m,
            "ix_drop_requests_enrollment",
            DropRequests::Table,
            &["enrollment_id"],
            false,
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_drop_requests_pending ON drop_requests (enrollment_id) \
                 WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DropRequests::Table).to_owned())
            .await
    }
}
