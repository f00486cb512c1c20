//! Students and their guardians (C6). Resident ID numbers are stored SM4-encrypted with a
//! blind index; a guardian is a parent account.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Students {
    Table,
    Id,
    SchoolId,
    StudentNo,
    Name,
    Gender,
    IdNoEnc,
    IdNoIndex,
    BirthDate,
    ClassId,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Guardians {
    Table,
    Id,
    StudentId,
    UserId,
    Relation,
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

#[derive(DeriveIden)]
enum AdminClasses {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Students::Table)
                .col(big_pk_auto(Students::Id))
                .col(big_integer(Students::SchoolId))
                .col(string_len(Students::StudentNo, 30))
                .col(string_len(Students::Name, 50))
                .col(string_len(Students::Gender, 10))
                .col(string_len_null(Students::IdNoEnc, 200))
                .col(string_len_null(Students::IdNoIndex, 64))
                .col(date_null(Students::BirthDate))
                .col(big_integer_null(Students::ClassId))
                .col(string_len(Students::Status, 20))
                .col(timestamp_with_time_zone(Students::CreatedAt))
                .col(timestamp_with_time_zone(Students::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Students::Table, Students::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Students::Table, Students::ClassId)
                        .to(AdminClasses::Table, AdminClasses::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_students_school_no")
                .table(Students::Table)
                .col(Students::SchoolId)
                .col(Students::StudentNo)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_students_school_id_no")
                .table(Students::Table)
                .col(Students::SchoolId)
                .col(Students::IdNoIndex)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_students_class")
                .table(Students::Table)
                .col(Students::ClassId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Guardians::Table)
                .col(big_pk_auto(Guardians::Id))
                .col(big_integer(Guardians::StudentId))
                .col(big_integer(Guardians::UserId))
                .col(string_len(Guardians::Relation, 10))
                .col(timestamp_with_time_zone(Guardians::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Guardians::Table, Guardians::StudentId)
                        .to(Students::Table, Students::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Guardians::Table, Guardians::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_guardians")
                .table(Guardians::Table)
                .col(Guardians::StudentId)
                .col(Guardians::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_guardians_user")
                .table(Guardians::Table)
                .col(Guardians::UserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
