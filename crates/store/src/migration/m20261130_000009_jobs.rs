//! The durable job queue: background work stored in the database, claimed by the workers
//! of every instance under a lease.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    OrgId,
    UserId,
    MembershipId,
    Ip,
    Params,
    Input,
    Status,
    Attempts,
    MaxAttempts,
    RunAfter,
    LockedBy,
    LeaseUntil,
    Stage,
    Done,
    Total,
    Result,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(big_pk_auto(Jobs::Id))
                .col(string_len(Jobs::Kind, 40))
                .col(big_integer_null(Jobs::OrgId))
                .col(big_integer_null(Jobs::UserId))
                .col(big_integer_null(Jobs::MembershipId))
                .col(string_len_null(Jobs::Ip, 64))
                .col(text(Jobs::Params))
                .col(blob_null(Jobs::Input))
                .col(string_len(Jobs::Status, 16))
                .col(integer(Jobs::Attempts))
                .col(integer(Jobs::MaxAttempts))
                .col(timestamp_with_time_zone(Jobs::RunAfter))
                .col(string_len_null(Jobs::LockedBy, 64))
                .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                .col(string_len(Jobs::Stage, 100))
                .col(big_integer(Jobs::Done))
                .col(big_integer(Jobs::Total))
                .col(text_null(Jobs::Result))
                .col(text_null(Jobs::Error))
                .col(timestamp_with_time_zone(Jobs::CreatedAt))
                .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                .to_owned(),
        )
        .await?;
        // What the workers look for: runnable work by status and time.
        m.create_index(
            Index::create()
                .name("ix_jobs_status_run_after")
                .table(Jobs::Table)
                .col(Jobs::Status)
                .col(Jobs::RunAfter)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}
