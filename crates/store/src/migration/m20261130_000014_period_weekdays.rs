//! A bell schedule (the periods of one day type) applies to chosen weekdays, so that the
//! periods that run on a date can be found: the term calendar says which weekday's
//! timetable a date follows, the weekdays say which schedule that is. Existing schedules
//! apply Monday to Friday.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Periods {
    Table,
    Weekdays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Periods::Table)
                .add_column(
                    ColumnDef::new(Periods::Weekdays)
                        .string_len(20)
                        .not_null()
                        .default("1,2,3,4,5"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Periods::Table)
                .drop_column(Periods::Weekdays)
                .to_owned(),
        )
        .await
    }
}
