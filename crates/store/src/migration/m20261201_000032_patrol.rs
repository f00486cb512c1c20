//! Patrol (J1, J2): the school's patrol tasks, patrol teachers' records of the lessons
//! they visited (scores, notes) and the records' photos.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PatrolTasks {
    Table,
    Id,
    SchoolId,
    UserId,
    PatrollerName,
    Title,
    FromDate,
    ToDate,
    Weekdays,
    LessonsPerDay,
    Note,
    Status,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PatrolRecords {
    Table,
    Id,
    SchoolId,
    LessonId,
    LessonDate,
    UserId,
    PatrollerName,
    LessonScore,
    TeacherScore,
    TeacherPresent,
    StudentsSeen,
    Note,
    PhotoCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PatrolPhotos {
    Table,
    Id,
    RecordId,
    ContentType,
    Size,
    StorageKey,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PatrolTasks::Table)
                .col(big_pk_auto(PatrolTasks::Id))
                .col(big_integer(PatrolTasks::SchoolId))
                .col(big_integer(PatrolTasks::UserId))
                .col(string_len(PatrolTasks::PatrollerName, 50))
                .col(string_len(PatrolTasks::Title, 50))
                .col(date(PatrolTasks::FromDate))
                .col(date(PatrolTasks::ToDate))
                .col(string_len(PatrolTasks::Weekdays, 7))
                .col(integer(PatrolTasks::LessonsPerDay))
                .col(string_len(PatrolTasks::Note, 200))
                .col(string_len(PatrolTasks::Status, 16))
                .col(big_integer(PatrolTasks::CreatedBy))
                .col(timestamp_with_time_zone(PatrolTasks::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_patrol_tasks_school",
            PatrolTasks::Table,
            &["school_id", "to_date"],
            false,
        )
        .await?;
        super::index(
            m,
            "ix_patrol_tasks_user",
            PatrolTasks::Table,
            &["user_id", "to_date"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PatrolRecords::Table)
                .col(big_pk_auto(PatrolRecords::Id))
                .col(big_integer(PatrolRecords::SchoolId))
                .col(big_integer(PatrolRecords::LessonId))
                .col(date(PatrolRecords::LessonDate))
                .col(big_integer(PatrolRecords::UserId))
                .col(string_len(PatrolRecords::PatrollerName, 50))
                .col(integer(PatrolRecords::LessonScore))
                .col(integer(PatrolRecords::TeacherScore))
                .col(boolean(PatrolRecords::TeacherPresent))
                .col(integer_null(PatrolRecords::StudentsSeen))
                .col(string_len(PatrolRecords::Note, 500))
                .col(integer(PatrolRecords::PhotoCount))
                .col(timestamp_with_time_zone(PatrolRecords::CreatedAt))
                .col(timestamp_with_time_zone(PatrolRecords::UpdatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ux_patrol_records_lesson_user",
            PatrolRecords::Table,
            &["lesson_id", "user_id"],
            true,
        )
        .await?;
        super::index(
            m,
            "ix_patrol_records_school_date",
            PatrolRecords::Table,
            &["school_id", "lesson_date"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PatrolPhotos::Table)
                .col(big_pk_auto(PatrolPhotos::Id))
                .col(big_integer(PatrolPhotos::RecordId))
                .col(string_len(PatrolPhotos::ContentType, 50))
                .col(big_integer(PatrolPhotos::Size))
                .col(string_len(PatrolPhotos::StorageKey, 100))
                .col(timestamp_with_time_zone(PatrolPhotos::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_patrol_photos_record",
            PatrolPhotos::Table,
            &["record_id"],
            false,
        )
        .await?;
        Ok(())
    }
}
