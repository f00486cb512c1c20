//! The departments (科室) of a bureau: each a named set of permissions; an officer's
//! membership works only inside the departments assigned to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BureauDepartments {
    Table,
    Id,
    OrgId,
    Name,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MembershipDepartments {
    Table,
    MembershipId,
    DepartmentId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(BureauDepartments::Table)
                .col(big_pk_auto(BureauDepartments::Id))
                .col(big_integer(BureauDepartments::OrgId))
                .col(string_len(BureauDepartments::Name, 50))
                .col(string_len(BureauDepartments::Permissions, 1000))
                .col(timestamp_with_time_zone(BureauDepartments::CreatedAt))
                .col(timestamp_with_time_zone(BureauDepartments::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_bureau_departments_org_name")
                .table(BureauDepartments::Table)
                .col(BureauDepartments::OrgId)
                .col(BureauDepartments::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MembershipDepartments::Table)
                .col(big_integer(MembershipDepartments::MembershipId))
                .col(big_integer(MembershipDepartments::DepartmentId))
                .primary_key(
                    Index::create()
                        .col(MembershipDepartments::MembershipId)
                        .col(MembershipDepartments::DepartmentId),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_membership_departments_department")
                .table(MembershipDepartments::Table)
                .col(MembershipDepartments::DepartmentId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            MembershipDepartments::Table.into_iden(),
            BureauDepartments::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
