//! Rooms of a school (C4), and the record of which catalog permissions have been granted
//! to the preset roles, so a permission added to the catalog reaches existing databases once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PermissionSeeds {
    Table,
    Permission,
    SeededAt,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
    SchoolId,
    Name,
    Building,
    Purpose,
    Capacity,
    Available,
    CreatedAt,
    UpdatedAt,
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
                .table(PermissionSeeds::Table)
                .col(string_len(PermissionSeeds::Permission, 50).primary_key())
                .col(timestamp_with_time_zone(PermissionSeeds::SeededAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Rooms::Table)
                .col(big_pk_auto(Rooms::Id))
                .col(big_integer(Rooms::SchoolId))
                .col(string_len(Rooms::Name, 50))
                .col(string_len_null(Rooms::Building, 50))
                .col(string_len_null(Rooms::Purpose, 50))
                .col(integer(Rooms::Capacity))
                .col(boolean(Rooms::Available))
                .col(timestamp_with_time_zone(Rooms::CreatedAt))
                .col(timestamp_with_time_zone(Rooms::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Rooms::Table, Rooms::SchoolId)
                        .to(Orgs::Table, Orgs::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_rooms_school_name")
                .table(Rooms::Table)
                .col(Rooms::SchoolId)
                .col(Rooms::Name)
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
