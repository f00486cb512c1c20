//! Terms of a school with their calendar exceptions (A5), and the bell schedule (D3).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Terms {
    Table,
    Id,
    SchoolId,
    SchoolYear,
    Name,
    StartDate,
    EndDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TermDays {
    Table,
    Id,
    TermId,
    Kind,
    Name,
    StartDate,
    EndDate,
    Follows,
}

#[derive(DeriveIden)]
enum Periods {
    Table,
    Id,
    SchoolId,
    DayType,
    Name,
    StartTime,
    EndTime,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Terms::Table)
                .col(big_pk_auto(Terms::Id))
                .col(big_integer(Terms::SchoolId))
                .col(string_len(Terms::SchoolYear, 20))
                .col(string_len(Terms::Name, 30))
                .col(date(Terms::StartDate))
                .col(date(Terms::EndDate))
                .col(timestamp_with_time_zone(Terms::CreatedAt))
                .col(timestamp_with_time_zone(Terms::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Terms::Table, Terms::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_terms_school_year_name")
                .table(Terms::Table)
                .col(Terms::SchoolId)
                .col(Terms::SchoolYear)
                .col(Terms::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TermDays::Table)
                .col(big_pk_auto(TermDays::Id))
                .col(big_integer(TermDays::TermId))
                .col(string_len(TermDays::Kind, 10))
                .col(string_len_null(TermDays::Name, 30))
                .col(date(TermDays::StartDate))
                .col(date(TermDays::EndDate))
                .col(small_integer_null(TermDays::Follows))
                .foreign_key(
                    ForeignKey::create()
                        .from(TermDays::Table, TermDays::TermId)
                        .to(Terms::Table, Terms::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_term_days_term")
                .table(TermDays::Table)
                .col(TermDays::TermId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Periods::Table)
                .col(big_pk_auto(Periods::Id))
                .col(big_integer(Periods::SchoolId))
                .col(string_len(Periods::DayType, 20))
                .col(string_len(Periods::Name, 20))
                .col(time(Periods::StartTime))
                .col(time(Periods::EndTime))
                .foreign_key(
                    ForeignKey::create()
                        .from(Periods::Table, Periods::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_periods_school")
                .table(Periods::Table)
                .col(Periods::SchoolId)
                .col(Periods::DayType)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
