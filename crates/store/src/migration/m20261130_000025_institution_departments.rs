//! An institution's departments (部门, D6): named units its teachers belong to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstitutionDepartments {
    Table,
    Id,
    OrgId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InstitutionTeachers {
    Table,
    DepartmentId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InstitutionDepartments::Table)
                .col(big_pk_auto(InstitutionDepartments::Id))
                .col(big_integer(InstitutionDepartments::OrgId))
                .col(string_len(InstitutionDepartments::Name, 30))
                .col(timestamp_with_time_zone(InstitutionDepartments::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_institution_departments_name")
                .table(InstitutionDepartments::Table)
                .col(InstitutionDepartments::OrgId)
                .col(InstitutionDepartments::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(InstitutionTeachers::Table)
                .add_column(
                    ColumnDef::new(InstitutionTeachers::DepartmentId)
                        .big_integer()
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(InstitutionTeachers::Table)
                .drop_column(InstitutionTeachers::DepartmentId)
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(InstitutionDepartments::Table)
                .to_owned(),
        )
        .await
    }
}
