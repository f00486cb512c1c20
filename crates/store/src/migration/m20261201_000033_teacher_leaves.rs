//! Teachers' own leave (I1): a teacher asks for days off; the school approves it and names
//! the substitute of every lesson in those days in one step (each substitution is also a
//! `lesson_changes` row, with its pay), or rejects it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TeacherLeaves {
    Table,
    Id,
    SchoolId,
    UserId,
    TeacherName,
    FromDate,
    ToDate,
    Reason,
    Status,
    SubstituteStaffId,
    SubstituteName,
    Lessons,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TeacherLeaves::Table)
                .col(big_pk_auto(TeacherLeaves::Id))
                .col(big_integer(TeacherLeaves::SchoolId))
                .col(big_integer(TeacherLeaves::UserId))
                .col(string_len(TeacherLeaves::TeacherName, 50))
                .col(date(TeacherLeaves::FromDate))
                .col(date(TeacherLeaves::ToDate))
                .col(string_len(TeacherLeaves::Reason, 200))
                .col(string_len(TeacherLeaves::Status, 16))
                .col(big_integer_null(TeacherLeaves::SubstituteStaffId))
                .col(string_len(TeacherLeaves::SubstituteName, 50))
                .col(integer(TeacherLeaves::Lessons))
                .col(big_integer_null(TeacherLeaves::DecidedBy))
                .col(timestamp_with_time_zone_null(TeacherLeaves::DecidedAt))
                .col(string_len(TeacherLeaves::DecisionNote, 200))
                .col(timestamp_with_time_zone(TeacherLeaves::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_teacher_leaves_school",
            TeacherLeaves::Table,
            &["school_id", "status"],
            false,
        )
        .await?;
        super::index(
            m,
            "ix_teacher_leaves_user",
            TeacherLeaves::Table,
            &["user_id", "from_date"],
            false,
        )
        .await
    }
}
