//! Staff of a school (C2): teachers and other staff, each an account with memberships.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
    SchoolId,
    UserId,
    Gender,
    Subjects,
    Title,
    CertificateNo,
    DepartmentId,
    Posts,
    Active,
    CreatedAt,
    UpdatedAt,
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

#[derive(DeriveIden)]
enum SchoolUnits {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Staff::Table)
                .col(big_pk_auto(Staff::Id))
                .col(big_integer(Staff::SchoolId))
                .col(big_integer(Staff::UserId))
                .col(string_len(Staff::Gender, 10))
                .col(string_len_null(Staff::Subjects, 100))
                .col(string_len_null(Staff::Title, 20))
                .col(string_len_null(Staff::CertificateNo, 30))
                .col(big_integer_null(Staff::DepartmentId))
                .col(string_len_null(Staff::Posts, 200))
                .col(boolean(Staff::Active))
                .col(timestamp_with_time_zone(Staff::CreatedAt))
                .col(timestamp_with_time_zone(Staff::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Staff::Table, Staff::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Staff::Table, Staff::UserId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Staff::Table, Staff::DepartmentId)
                        .to(SchoolUnits::Table, SchoolUnits::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_staff_school_user")
                .table(Staff::Table)
                .col(Staff::SchoolId)
                .col(Staff::UserId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Staff::Table).to_owned())
            .await
    }
}
