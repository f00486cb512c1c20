//! An institution teacher's criminal-record check document (无犯罪记录证明, D6): the bytes
//! in the file store, the type checked by content; a newer one replaces it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstitutionTeachers {
    Table,
    RecordFileName,
    RecordContentType,
    RecordStorageKey,
    RecordUploadedAt,
}

fn columns() -> [ColumnDef; 4] {
    [
        ColumnDef::new(InstitutionTeachers::RecordFileName)
            .string_len(100)
            .null()
            .to_owned(),
        ColumnDef::new(InstitutionTeachers::RecordContentType)
            .string_len(40)
            .null()
            .to_owned(),
        ColumnDef::new(InstitutionTeachers::RecordStorageKey)
            .string_len(80)
            .null()
            .to_owned(),
        ColumnDef::new(InstitutionTeachers::RecordUploadedAt)
            .timestamp_with_time_zone()
            .null()
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters a table one column at a time.
        for mut c in columns() {
            m.alter_table(
                Table::alter()
                    .table(InstitutionTeachers::Table)
                    .add_column(&mut c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [
            InstitutionTeachers::RecordFileName,
            InstitutionTeachers::RecordContentType,
            InstitutionTeachers::RecordStorageKey,
            InstitutionTeachers::RecordUploadedAt,
        ] {
            m.alter_table(
                Table::alter()
                    .table(InstitutionTeachers::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
