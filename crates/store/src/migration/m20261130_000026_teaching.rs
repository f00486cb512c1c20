//! Teaching classes (教学班, G1, E4), their weekly timetable and the school's scheduling
//! settings (E1, E3), the dated lessons (课次) the timetable and the term calendar give,
//! schedule runs, and private calendar feeds (E2, M9).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TeachingClasses {
    Table,
    Id,
    SchoolId,
    TermId,
    ItemId,
    CourseId,
    Name,
    Status,
    CapacityMin,
    CapacityMax,
    GradeFrom,
    GradeTo,
    StartsOn,
    EndsOn,
    WeeklyLessons,
    RoomId,
    PostTeacherId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TeachingClassTeachers {
    Table,
    Id,
    ClassId,
    StaffId,
    InstitutionTeacherId,
    Name,
}

#[derive(DeriveIden)]
enum TeachingClassStudents {
    Table,
    Id,
    ClassId,
    StudentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TimetableSlots {
    Table,
    Id,
    ClassId,
    SchoolId,
    TermId,
    Weekday,
    PeriodNo,
    RoomId,
    Locked,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TimePreferences {
    Table,
    Id,
    SchoolId,
    TermId,
    Target,
    TargetId,
    Weekday,
    PeriodNo,
    Kind,
}

#[derive(DeriveIden)]
enum RegularDayEnds {
    Table,
    Id,
    SchoolId,
    TermId,
    Grade,
    Weekday,
    EndsAt,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
    SchoolId,
    TermId,
    ClassId,
    Date,
    PeriodNo,
    StartsAt,
    EndsAt,
    RoomId,
    SeqNo,
    ChapterName,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LessonTeachers {
    Table,
    Id,
    LessonId,
    StaffId,
    InstitutionTeacherId,
    Name,
}

#[derive(DeriveIden)]
enum ScheduleRuns {
    Table,
    Id,
    SchoolId,
    TermId,
    JobId,
    Status,
    Hard,
    Soft,
    Moved,
    Blocking,
    Cancelled,
    CreatedBy,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TeachingClasses::Table)
                .col(big_pk_auto(TeachingClasses::Id))
                .col(big_integer(TeachingClasses::SchoolId))
                .col(big_integer(TeachingClasses::TermId))
                .col(big_integer(TeachingClasses::ItemId))
                .col(big_integer(TeachingClasses::CourseId))
                .col(string_len(TeachingClasses::Name, 50))
                .col(string_len(TeachingClasses::Status, 20))
                .col(integer(TeachingClasses::CapacityMin))
                .col(integer(TeachingClasses::CapacityMax))
                .col(integer(TeachingClasses::GradeFrom))
                .col(integer(TeachingClasses::GradeTo))
                .col(date(TeachingClasses::StartsOn))
                .col(date(TeachingClasses::EndsOn))
                .col(integer(TeachingClasses::WeeklyLessons))
                .col(big_integer_null(TeachingClasses::RoomId))
                .col(big_integer_null(TeachingClasses::PostTeacherId))
                .col(timestamp_with_time_zone(TeachingClasses::CreatedAt))
                .col(timestamp_with_time_zone(TeachingClasses::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_teaching_classes_name",
            TeachingClasses::Table,
            &["school_id", "term_id", "name"],
            true,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TeachingClassTeachers::Table)
                .col(big_pk_auto(TeachingClassTeachers::Id))
                .col(big_integer(TeachingClassTeachers::ClassId))
                .col(big_integer_null(TeachingClassTeachers::StaffId))
                .col(big_integer_null(
                    TeachingClassTeachers::InstitutionTeacherId,
                ))
                .col(string_len(TeachingClassTeachers::Name, 50))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_teaching_class_teachers_class",
            TeachingClassTeachers::Table,
            &["class_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TeachingClassStudents::Table)
                .col(big_pk_auto(TeachingClassStudents::Id))
                .col(big_integer(TeachingClassStudents::ClassId))
                .col(big_integer(TeachingClassStudents::StudentId))
                .col(timestamp_with_time_zone(TeachingClassStudents::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_teaching_class_students",
            TeachingClassStudents::Table,
            &["class_id", "student_id"],
            true,
        )
        .await?;
        index(
            m,
            "ix_teaching_class_students_student",
            TeachingClassStudents::Table,
            &["student_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TimetableSlots::Table)
                .col(big_pk_auto(TimetableSlots::Id))
                .col(big_integer(TimetableSlots::ClassId))
                .col(big_integer(TimetableSlots::SchoolId))
                .col(big_integer(TimetableSlots::TermId))
                .col(integer_null(TimetableSlots::Weekday))
                .col(integer_null(TimetableSlots::PeriodNo))
                .col(big_integer_null(TimetableSlots::RoomId))
                .col(boolean(TimetableSlots::Locked))
                .col(timestamp_with_time_zone(TimetableSlots::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_timetable_slots_term",
            TimetableSlots::Table,
            &["school_id", "term_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_timetable_slots_class",
            TimetableSlots::Table,
            &["class_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TimePreferences::Table)
                .col(big_pk_auto(TimePreferences::Id))
                .col(big_integer(TimePreferences::SchoolId))
                .col(big_integer(TimePreferences::TermId))
                .col(string_len(TimePreferences::Target, 30))
                .col(big_integer(TimePreferences::TargetId))
                .col(integer(TimePreferences::Weekday))
                .col(integer(TimePreferences::PeriodNo))
                .col(string_len(TimePreferences::Kind, 20))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_time_preferences",
            TimePreferences::Table,
            &[
                "school_id",
                "term_id",
                "target",
                "target_id",
                "weekday",
                "period_no",
            ],
            true,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RegularDayEnds::Table)
                .col(big_pk_auto(RegularDayEnds::Id))
                .col(big_integer(RegularDayEnds::SchoolId))
                .col(big_integer(RegularDayEnds::TermId))
                .col(integer(RegularDayEnds::Grade))
                .col(integer(RegularDayEnds::Weekday))
                .col(time(RegularDayEnds::EndsAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_regular_day_ends",
            RegularDayEnds::Table,
            &["school_id", "term_id", "grade", "weekday"],
            true,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Lessons::Table)
                .col(big_pk_auto(Lessons::Id))
                .col(big_integer(Lessons::SchoolId))
                .col(big_integer(Lessons::TermId))
                .col(big_integer(Lessons::ClassId))
                .col(date(Lessons::Date))
                .col(integer(Lessons::PeriodNo))
                .col(time(Lessons::StartsAt))
                .col(time(Lessons::EndsAt))
                .col(big_integer_null(Lessons::RoomId))
                .col(integer(Lessons::SeqNo))
                .col(string_len(Lessons::ChapterName, 100))
                .col(string_len(Lessons::Status, 20))
                .col(timestamp_with_time_zone(Lessons::CreatedAt))
                .col(timestamp_with_time_zone(Lessons::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_lessons_class_date",
            Lessons::Table,
            &["class_id", "date"],
            false,
        )
        .await?;
        index(
            m,
            "ix_lessons_school_date",
            Lessons::Table,
            &["school_id", "date"],
            false,
        )
        .await?;
        index(
            m,
            "ix_lessons_room_date",
            Lessons::Table,
            &["room_id", "date"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LessonTeachers::Table)
                .col(big_pk_auto(LessonTeachers::Id))
                .col(big_integer(LessonTeachers::LessonId))
                .col(big_integer_null(LessonTeachers::StaffId))
                .col(big_integer_null(LessonTeachers::InstitutionTeacherId))
                .col(string_len(LessonTeachers::Name, 50))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_lesson_teachers_lesson",
            LessonTeachers::Table,
            &["lesson_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_lesson_teachers_staff",
            LessonTeachers::Table,
            &["staff_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_lesson_teachers_inst",
            LessonTeachers::Table,
            &["institution_teacher_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ScheduleRuns::Table)
                .col(big_pk_auto(ScheduleRuns::Id))
                .col(big_integer(ScheduleRuns::SchoolId))
                .col(big_integer(ScheduleRuns::TermId))
                .col(big_integer_null(ScheduleRuns::JobId))
                .col(string_len(ScheduleRuns::Status, 20))
                .col(integer(ScheduleRuns::Hard))
                .col(double(ScheduleRuns::Soft))
                .col(integer(ScheduleRuns::Moved))
                .col(text(ScheduleRuns::Blocking))
                .col(boolean(ScheduleRuns::Cancelled))
                .col(big_integer(ScheduleRuns::CreatedBy))
                .col(timestamp_with_time_zone(ScheduleRuns::CreatedAt))
                .col(timestamp_with_time_zone_null(ScheduleRuns::FinishedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_schedule_runs_term",
            ScheduleRuns::Table,
            &["school_id", "term_id"],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CalendarFeeds::Table)
                .col(big_pk_auto(CalendarFeeds::Id))
                .col(big_integer(CalendarFeeds::UserId))
                .col(string_len(CalendarFeeds::TokenHash, 64))
                .col(timestamp_with_time_zone(CalendarFeeds::CreatedAt))
                .col(timestamp_with_time_zone_null(CalendarFeeds::RevokedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_calendar_feeds_token",
            CalendarFeeds::Table,
            &["token_hash"],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CalendarFeeds::Table.into_iden(),
            ScheduleRuns::Table.into_iden(),
            LessonTeachers::Table.into_iden(),
            Lessons::Table.into_iden(),
            RegularDayEnds::Table.into_iden(),
            TimePreferences::Table.into_iden(),
            TimetableSlots::Table.into_iden(),
            TeachingClassStudents::Table.into_iden(),
            TeachingClassTeachers::Table.into_iden(),
            TeachingClasses::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
