//! The installation's identity (P4 backups): one row with a random id made at first start,
//! which every backup names, so that a restore can say where a backup came from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The column is the installation's id, named as the entity's field.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Installation {
    Table,
    Id,
    InstallationId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Installation::Table)
                .col(big_pk_auto(Installation::Id))
                .col(string_len(Installation::InstallationId, 40).unique_key())
                .col(timestamp_with_time_zone(Installation::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Installation::Table).to_owned())
            .await
    }
}
