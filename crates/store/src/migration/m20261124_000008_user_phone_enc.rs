//! Account phone numbers encrypted at rest (P4): the `phone` column keeps its unique index
//! but holds the HMAC-SM3 blind index of the number (64 hex characters); `phone_enc` holds
//! the SM4 ciphertext. Existing rows are converted by the application at startup, since
//! only it has the key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Phone,
    PhoneEnc,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite does not enforce lengths; PostgreSQL needs room for the index.
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.alter_table(
                Table::alter()
                    .table(Users::Table)
                    .modify_column(ColumnDef::new(Users::Phone).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(ColumnDef::new(Users::PhoneEnc).string_len(200).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::PhoneEnc)
                .to_owned(),
        )
        .await
    }
}
