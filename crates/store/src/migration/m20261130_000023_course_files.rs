//! A course's pictures and attachments (D6): the bytes in the file store, their type
//! checked by content.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CourseFiles {
    Table,
    Id,
    CourseId,
    Kind,
    FileName,
    ContentType,
    Size,
    StorageKey,
    UploadedAt,
    UploadedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CourseFiles::Table)
                .col(big_pk_auto(CourseFiles::Id))
                .col(big_integer(CourseFiles::CourseId))
                .col(string_len(CourseFiles::Kind, 16))
                .col(string_len(CourseFiles::FileName, 100))
                .col(string_len(CourseFiles::ContentType, 40))
                .col(big_integer(CourseFiles::Size))
                .col(string_len_uniq(CourseFiles::StorageKey, 80))
                .col(timestamp_with_time_zone(CourseFiles::UploadedAt))
                .col(string_len(CourseFiles::UploadedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_course_files_course")
                .table(CourseFiles::Table)
                .col(CourseFiles::CourseId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CourseFiles::Table).to_owned())
            .await
    }
}
