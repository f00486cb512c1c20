//! Administrative classes (行政班) per school year and grade, and a school's departments
//! (教研组) and posts (岗位) (C3).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminClasses {
    Table,
    Id,
    SchoolId,
    SchoolYear,
    Grade,
    Number,
    Alias,
    HeadTeacherId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SchoolUnits {
    Table,
    Id,
    SchoolId,
    Kind,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AdminClasses::Table)
                .col(big_pk_auto(AdminClasses::Id))
                .col(big_integer(AdminClasses::SchoolId))
                .col(string_len(AdminClasses::SchoolYear, 20))
                .col(small_integer(AdminClasses::Grade))
                .col(small_integer(AdminClasses::Number))
                .col(string_len_null(AdminClasses::Alias, 30))
                .col(big_integer_null(AdminClasses::HeadTeacherId))
                .col(timestamp_with_time_zone(AdminClasses::CreatedAt))
                .col(timestamp_with_time_zone(AdminClasses::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AdminClasses::Table, AdminClasses::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AdminClasses::Table, AdminClasses::HeadTeacherId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_admin_classes")
                .table(AdminClasses::Table)
                .col(AdminClasses::SchoolId)
                .col(AdminClasses::SchoolYear)
                .col(AdminClasses::Grade)
                .col(AdminClasses::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SchoolUnits::Table)
                .col(big_pk_auto(SchoolUnits::Id))
                .col(big_integer(SchoolUnits::SchoolId))
                .col(string_len(SchoolUnits::Kind, 12))
                .col(string_len(SchoolUnits::Name, 30))
                .col(timestamp_with_time_zone(SchoolUnits::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SchoolUnits::Table, SchoolUnits::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_school_units")
                .table(SchoolUnits::Table)
                .col(SchoolUnits::SchoolId)
                .col(SchoolUnits::Kind)
                .col(SchoolUnits::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
