//! The profile of a school (C1) and its emergency contacts (C5), whose phone numbers are
//! stored encrypted with a blind index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SchoolProfiles {
    Table,
    SchoolId,
    SchoolType,
    Nature,
    Address,
    Campuses,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SchoolContacts {
    Table,
    Id,
    SchoolId,
    Name,
    Title,
    PhoneEnc,
    PhoneIndex,
    CreatedAt,
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
                .table(SchoolProfiles::Table)
                .col(big_integer(SchoolProfiles::SchoolId).primary_key())
                .col(string_len(SchoolProfiles::SchoolType, 20))
                .col(string_len(SchoolProfiles::Nature, 10))
                .col(string_len_null(SchoolProfiles::Address, 200))
                .col(text(SchoolProfiles::Campuses))
                .col(timestamp_with_time_zone(SchoolProfiles::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SchoolProfiles::Table, SchoolProfiles::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SchoolContacts::Table)
                .col(big_pk_auto(SchoolContacts::Id))
                .col(big_integer(SchoolContacts::SchoolId))
                .col(string_len(SchoolContacts::Name, 50))
                .col(string_len_null(SchoolContacts::Title, 50))
                .col(string_len(SchoolContacts::PhoneEnc, 200))
                .col(string_len(SchoolContacts::PhoneIndex, 64))
                .col(timestamp_with_time_zone(SchoolContacts::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SchoolContacts::Table, SchoolContacts::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_school_contacts_school")
                .table(SchoolContacts::Table)
                .col(SchoolContacts::SchoolId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
