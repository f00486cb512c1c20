//! An institution's teachers (the 教师 fields of the city's data requirements): who they
//! are, their qualifications, and the account they work with.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstitutionTeachers {
    Table,
    Id,
    OrgId,
    UserId,
    Name,
    Gender,
    IdNoEnc,
    IdNoIndex,
    Education,
    CertificateType,
    CertificateNo,
    Title,
    TeachingYears,
    Speciality,
    Resume,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InstitutionTeachers::Table)
                .col(big_pk_auto(InstitutionTeachers::Id))
                .col(big_integer(InstitutionTeachers::OrgId))
                .col(big_integer(InstitutionTeachers::UserId))
                .col(string_len(InstitutionTeachers::Name, 30))
                .col(string_len(InstitutionTeachers::Gender, 8))
                .col(string_len(InstitutionTeachers::IdNoEnc, 200))
                .col(string_len(InstitutionTeachers::IdNoIndex, 64))
                .col(string_len(InstitutionTeachers::Education, 20))
                .col(string_len(InstitutionTeachers::CertificateType, 20))
                .col(string_len(InstitutionTeachers::CertificateNo, 40))
                .col(string_len(InstitutionTeachers::Title, 20))
                .col(integer(InstitutionTeachers::TeachingYears))
                .col(string_len(InstitutionTeachers::Speciality, 100))
                .col(text(InstitutionTeachers::Resume))
                .col(boolean(InstitutionTeachers::Active))
                .col(timestamp_with_time_zone(InstitutionTeachers::CreatedAt))
                .col(timestamp_with_time_zone(InstitutionTeachers::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_institution_teachers_id_no")
                .table(InstitutionTeachers::Table)
                .col(InstitutionTeachers::OrgId)
                .col(InstitutionTeachers::IdNoIndex)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_institution_teachers_user")
                .table(InstitutionTeachers::Table)
                .col(InstitutionTeachers::OrgId)
                .col(InstitutionTeachers::UserId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(InstitutionTeachers::Table).to_owned())
            .await
    }
}
