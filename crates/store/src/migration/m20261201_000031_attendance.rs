//! Attendance (I7–I10): each school's check-in fence, teachers' check-ins per lesson (the
//! refused ones kept as anomalies), make-up punches and appeals the school decides, the
//! roll call's marks per student and lesson, students' leave, and substitutes and swaps
//! (调代课) with the note a changed lesson carries.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SchoolFences {
    Table,
    Id,
    SchoolId,
    Datum,
    Fence,
    OpenBeforeMin,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CheckIns {
    Table,
    Id,
    SchoolId,
    LessonId,
    UserId,
    TeacherName,
    Status,
    DistanceM,
    AccuracyM,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PunchRequests {
    Table,
    Id,
    SchoolId,
    LessonId,
    UserId,
    TeacherName,
    Kind,
    Reason,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RollMarks {
    Table,
    Id,
    LessonId,
    StudentId,
    Status,
    MarkedBy,
    MarkedAt,
}

#[derive(DeriveIden)]
enum LeaveRequests {
    Table,
    Id,
    SchoolId,
    StudentId,
    ApplicantId,
    Kind,
    Symptom,
    Reason,
    FromDate,
    ToDate,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LessonChanges {
    Table,
    Id,
    SchoolId,
    Kind,
    LessonId,
    OtherLessonId,
    RequestedBy,
    RequesterName,
    SubstituteStaffId,
    SubstituteName,
    Reason,
    Status,
    FeeFen,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    ChangeNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SchoolFences::Table)
                .col(big_pk_auto(SchoolFences::Id))
                .col(big_integer(SchoolFences::SchoolId).unique_key())
                .col(string_len(SchoolFences::Datum, 8))
                .col(text(SchoolFences::Fence))
                .col(integer(SchoolFences::OpenBeforeMin))
                .col(big_integer(SchoolFences::UpdatedBy))
                .col(timestamp_with_time_zone(SchoolFences::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Where the teacher stood is not kept: only how far outside and how exact.
        m.create_table(
            Table::create()
                .table(CheckIns::Table)
                .col(big_pk_auto(CheckIns::Id))
                .col(big_integer(CheckIns::SchoolId))
                .col(big_integer(CheckIns::LessonId))
                .col(big_integer(CheckIns::UserId))
                .col(string_len(CheckIns::TeacherName, 50))
                .col(string_len(CheckIns::Status, 16))
                .col(integer(CheckIns::DistanceM))
                .col(integer(CheckIns::AccuracyM))
                .col(big_integer_null(CheckIns::RequestId))
                .col(timestamp_with_time_zone(CheckIns::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_check_ins_lesson",
            CheckIns::Table,
            &["lesson_id", "user_id"],
            false,
        )
        .await?;
        super::index(
            m,
            "ix_check_ins_school",
            CheckIns::Table,
            &["school_id", "created_at"],
            false,
        )
        .await?;
        // One counted check-in per teacher and lesson; refused attempts are many.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_check_in_counted ON check_ins (lesson_id, user_id) \
                 WHERE status <> 'refused'",
            )
            .await?;
        m.create_table(
            Table::create()
                .table(PunchRequests::Table)
                .col(big_pk_auto(PunchRequests::Id))
                .col(big_integer(PunchRequests::SchoolId))
                .col(big_integer(PunchRequests::LessonId))
                .col(big_integer(PunchRequests::UserId))
                .col(string_len(PunchRequests::TeacherName, 50))
                .col(string_len(PunchRequests::Kind, 16))
                .col(string_len(PunchRequests::Reason, 200))
                .col(string_len(PunchRequests::Status, 16))
                .col(big_integer_null(PunchRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(PunchRequests::DecidedAt))
                .col(string_len(PunchRequests::DecisionNote, 200))
                .col(timestamp_with_time_zone(PunchRequests::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_punch_requests_school",
            PunchRequests::Table,
            &["school_id", "status"],
            false,
        )
        .await?;
        super::index(
            m,
            "ix_punch_requests_lesson",
            PunchRequests::Table,
            &["lesson_id", "user_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RollMarks::Table)
                .col(big_pk_auto(RollMarks::Id))
                .col(big_integer(RollMarks::LessonId))
                .col(big_integer(RollMarks::StudentId))
                .col(string_len(RollMarks::Status, 16))
                .col(big_integer(RollMarks::MarkedBy))
                .col(timestamp_with_time_zone(RollMarks::MarkedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ux_roll_marks",
            RollMarks::Table,
            &["lesson_id", "student_id"],
            true,
        )
        .await?;
        super::index(
            m,
            "ix_roll_marks_student",
            RollMarks::Table,
            &["student_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LeaveRequests::Table)
                .col(big_pk_auto(LeaveRequests::Id))
                .col(big_integer(LeaveRequests::SchoolId))
                .col(big_integer(LeaveRequests::StudentId))
                .col(big_integer(LeaveRequests::ApplicantId))
                .col(string_len(LeaveRequests::Kind, 16))
                .col(string_len(LeaveRequests::Symptom, 16))
                .col(string_len(LeaveRequests::Reason, 200))
                .col(date(LeaveRequests::FromDate))
                .col(date(LeaveRequests::ToDate))
                .col(string_len(LeaveRequests::Status, 16))
                .col(big_integer_null(LeaveRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(LeaveRequests::DecidedAt))
                .col(string_len(LeaveRequests::DecisionNote, 200))
                .col(timestamp_with_time_zone(LeaveRequests::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_leave_requests_student",
            LeaveRequests::Table,
            &["student_id", "from_date"],
            false,
        )
        .await?;
        super::index(
            m,
            "ix_leave_requests_school",
            LeaveRequests::Table,
            &["school_id", "status"],
            false,
        )
        .await?;
        // A lesson taught by a substitute or swapped says so, and keeps its teachers when
        // the timetable's lessons are regenerated.
        m.alter_table(
            Table::alter()
                .table(Lessons::Table)
                .add_column(string_len(Lessons::ChangeNote, 100).default(""))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LessonChanges::Table)
                .col(big_pk_auto(LessonChanges::Id))
                .col(big_integer(LessonChanges::SchoolId))
                .col(string_len(LessonChanges::Kind, 16))
                .col(big_integer(LessonChanges::LessonId))
                .col(big_integer_null(LessonChanges::OtherLessonId))
                .col(big_integer(LessonChanges::RequestedBy))
                .col(string_len(LessonChanges::RequesterName, 50))
                .col(big_integer_null(LessonChanges::SubstituteStaffId))
                .col(string_len(LessonChanges::SubstituteName, 50))
                .col(string_len(LessonChanges::Reason, 200))
                .col(string_len(LessonChanges::Status, 16))
                .col(big_integer(LessonChanges::FeeFen))
                .col(big_integer_null(LessonChanges::DecidedBy))
                .col(timestamp_with_time_zone_null(LessonChanges::DecidedAt))
                .col(string_len(LessonChanges::DecisionNote, 200))
                .col(timestamp_with_time_zone(LessonChanges::CreatedAt))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_lesson_changes_school",
            LessonChanges::Table,
            &["school_id", "status"],
            false,
        )
        .await?;
        super::index(
            m,
            "ix_lesson_changes_lesson",
            LessonChanges::Table,
            &["lesson_id"],
            false,
        )
        .await?;
        Ok(())
    }
}
