//! Dispatches (派遣): an institution sends one of its teachers to a school for a period and
//! for some kinds of course.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Dispatches {
    Table,
    Id,
    OrgId,
    TeacherId,
    SchoolId,
    StartsOn,
    EndsOn,
    CourseTypes,
    Status,
    CancelReason,
    CancelledAt,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Dispatches::Table)
                .col(big_pk_auto(Dispatches::Id))
                .col(big_integer(Dispatches::OrgId))
                .col(big_integer(Dispatches::TeacherId))
                .col(big_integer(Dispatches::SchoolId))
                .col(date(Dispatches::StartsOn))
                .col(date(Dispatches::EndsOn))
                .col(string_len(Dispatches::CourseTypes, 60))
                .col(string_len(Dispatches::Status, 16))
                .col(string_len_null(Dispatches::CancelReason, 200))
                .col(timestamp_with_time_zone_null(Dispatches::CancelledAt))
                .col(timestamp_with_time_zone(Dispatches::CreatedAt))
                .col(string_len(Dispatches::CreatedBy, 100))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_dispatches_teacher", Dispatches::TeacherId),
            ("ix_dispatches_school", Dispatches::SchoolId),
            ("ix_dispatches_org", Dispatches::OrgId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Dispatches::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Dispatches::Table).to_owned())
            .await
    }
}
