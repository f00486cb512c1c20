//! Enrollment (F1–F9, H4's seat hold): a term's windows and rules, exclusive course
//! groups, enrollments and their orders with the snapshot of what was bought, waitlists,
//! the versioned enrollment notice (报名须知) with parents' signatures, and pre-registration:
//! ranked choices (志愿) and the term's draw with its published seed, inputs and results.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EnrollmentSettings {
    Table,
    Id,
    SchoolId,
    TermId,
    MaxCourses,
    HoldMinutes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EnrollmentWindows {
    Table,
    Id,
    SchoolId,
    TermId,
    Kind,
    Grade,
    OpensAt,
    ClosesAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExclusiveGroups {
    Table,
    Id,
    SchoolId,
    TermId,
    Name,
    ItemIds,
}

#[derive(DeriveIden)]
enum Enrollments {
    Table,
    Id,
    SchoolId,
    TermId,
    StudentId,
    ItemId,
    ClassId,
    ProposedClassId,
    Status,
    Source,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    EndedAt,
    EndReason,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    OrderNo,
    SchoolId,
    TermId,
    StudentId,
    EnrollmentId,
    UserId,
    Status,
    CourseFeeFen,
    TextbookFeeFen,
    MiscFeeFen,
    TotalFen,
    Snapshot,
    NoticeId,
    HoldUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WaitlistEntries {
    Table,
    Id,
    SchoolId,
    TermId,
    ClassId,
    StudentId,
    UserId,
    Status,
    EnrollmentId,
    Note,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EnrollmentNotices {
    Table,
    Id,
    SchoolId,
    TermId,
    Version,
    Title,
    Body,
    PublishedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum Preferences {
    Table,
    Id,
    SchoolId,
    TermId,
    StudentId,
    SlotNo,
    Rank,
    ClassId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LotteryDraws {
    Table,
    Id,
    SchoolId,
    TermId,
    Seed,
    SeedPublishedAt,
    SeedPublishedBy,
    Status,
    Inputs,
    Results,
    DrawnAt,
    ReportPublishedAt,
}

#[derive(DeriveIden)]
enum NoticeSignatures {
    Table,
    Id,
    NoticeId,
    StudentId,
    UserId,
    SignerName,
    Ip,
    SignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EnrollmentSettings::Table)
                .col(big_pk_auto(EnrollmentSettings::Id))
                .col(big_integer(EnrollmentSettings::SchoolId))
                .col(big_integer(EnrollmentSettings::TermId))
                .col(integer_null(EnrollmentSettings::MaxCourses))
                .col(integer(EnrollmentSettings::HoldMinutes))
                .col(timestamp_with_time_zone(EnrollmentSettings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_enrollment_settings_term",
            EnrollmentSettings::Table,
            &["school_id", "term_id"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EnrollmentWindows::Table)
                .col(big_pk_auto(EnrollmentWindows::Id))
                .col(big_integer(EnrollmentWindows::SchoolId))
                .col(big_integer(EnrollmentWindows::TermId))
                .col(string_len(EnrollmentWindows::Kind, 20))
                .col(integer_null(EnrollmentWindows::Grade))
                .col(timestamp_with_time_zone(EnrollmentWindows::OpensAt))
                .col(timestamp_with_time_zone(EnrollmentWindows::ClosesAt))
                .col(timestamp_with_time_zone(EnrollmentWindows::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_enrollment_windows_term",
            EnrollmentWindows::Table,
            &["school_id", "term_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ExclusiveGroups::Table)
                .col(big_pk_auto(ExclusiveGroups::Id))
                .col(big_integer(ExclusiveGroups::SchoolId))
                .col(big_integer(ExclusiveGroups::TermId))
                .col(string_len(ExclusiveGroups::Name, 50))
                .col(string_len(ExclusiveGroups::ItemIds, 1000))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_exclusive_groups_term",
            ExclusiveGroups::Table,
            &["school_id", "term_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Enrollments::Table)
                .col(big_pk_auto(Enrollments::Id))
                .col(big_integer(Enrollments::SchoolId))
                .col(big_integer(Enrollments::TermId))
                .col(big_integer(Enrollments::StudentId))
                .col(big_integer(Enrollments::ItemId))
                .col(big_integer_null(Enrollments::ClassId))
                .col(big_integer_null(Enrollments::ProposedClassId))
                .col(string_len(Enrollments::Status, 20))
                .col(string_len(Enrollments::Source, 20))
                .col(big_integer_null(Enrollments::CreatedBy))
                .col(timestamp_with_time_zone(Enrollments::CreatedAt))
                .col(timestamp_with_time_zone(Enrollments::UpdatedAt))
                .col(timestamp_with_time_zone_null(Enrollments::EndedAt))
                .col(string_len_null(Enrollments::EndReason, 200))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_enrollments_student",
            Enrollments::Table,
            &["student_id", "term_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_enrollments_class",
            Enrollments::Table,
            &["class_id", "status"],
            false,
        )
        .await?;
        index(
            m,
            "ix_enrollments_term",
            Enrollments::Table,
            &["school_id", "term_id", "status"],
            false,
        )
        .await?;
        // The last guard against selling a course twice to one student: at most one
        // enrollment that holds a seat per student and course (both engines take partial
        // indexes).
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_enrollments_active ON enrollments (student_id, item_id) \
                 WHERE status IN ('pending_payment', 'confirmed')",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(big_pk_auto(Orders::Id))
                .col(string_len(Orders::OrderNo, 32))
                .col(big_integer(Orders::SchoolId))
                .col(big_integer(Orders::TermId))
                .col(big_integer(Orders::StudentId))
                .col(big_integer(Orders::EnrollmentId))
                .col(big_integer_null(Orders::UserId))
                .col(string_len(Orders::Status, 20))
                .col(big_integer(Orders::CourseFeeFen))
                .col(big_integer(Orders::TextbookFeeFen))
                .col(big_integer(Orders::MiscFeeFen))
                .col(big_integer(Orders::TotalFen))
                .col(text(Orders::Snapshot))
                .col(big_integer_null(Orders::NoticeId))
                .col(timestamp_with_time_zone_null(Orders::HoldUntil))
                .col(timestamp_with_time_zone(Orders::CreatedAt))
                .col(timestamp_with_time_zone(Orders::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(m, "ux_orders_no", Orders::Table, &["order_no"], true).await?;
        index(
            m,
            "ix_orders_enrollment",
            Orders::Table,
            &["enrollment_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_orders_student",
            Orders::Table,
            &["student_id", "term_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_orders_hold",
            Orders::Table,
            &["status", "hold_until"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WaitlistEntries::Table)
                .col(big_pk_auto(WaitlistEntries::Id))
                .col(big_integer(WaitlistEntries::SchoolId))
                .col(big_integer(WaitlistEntries::TermId))
                .col(big_integer(WaitlistEntries::ClassId))
                .col(big_integer(WaitlistEntries::StudentId))
                .col(big_integer_null(WaitlistEntries::UserId))
                .col(string_len(WaitlistEntries::Status, 20))
                .col(big_integer_null(WaitlistEntries::EnrollmentId))
                .col(string_len_null(WaitlistEntries::Note, 200))
                .col(timestamp_with_time_zone(WaitlistEntries::CreatedAt))
                .col(timestamp_with_time_zone(WaitlistEntries::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_waitlist_class",
            WaitlistEntries::Table,
            &["class_id", "status", "id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_waitlist_student",
            WaitlistEntries::Table,
            &["student_id"],
            false,
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_waitlist_waiting ON waitlist_entries (class_id, student_id) \
                 WHERE status = 'waiting'",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(EnrollmentNotices::Table)
                .col(big_pk_auto(EnrollmentNotices::Id))
                .col(big_integer(EnrollmentNotices::SchoolId))
                .col(big_integer(EnrollmentNotices::TermId))
                .col(integer(EnrollmentNotices::Version))
                .col(string_len(EnrollmentNotices::Title, 100))
                .col(text(EnrollmentNotices::Body))
                .col(timestamp_with_time_zone(EnrollmentNotices::PublishedAt))
                .col(big_integer_null(EnrollmentNotices::PublishedBy))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_enrollment_notices_version",
            EnrollmentNotices::Table,
            &["school_id", "term_id", "version"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NoticeSignatures::Table)
                .col(big_pk_auto(NoticeSignatures::Id))
                .col(big_integer(NoticeSignatures::NoticeId))
                .col(big_integer(NoticeSignatures::StudentId))
                .col(big_integer(NoticeSignatures::UserId))
                .col(string_len(NoticeSignatures::SignerName, 50))
                .col(string_len_null(NoticeSignatures::Ip, 64))
                .col(timestamp_with_time_zone(NoticeSignatures::SignedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_notice_signatures",
            NoticeSignatures::Table,
            &["notice_id", "student_id"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Preferences::Table)
                .col(big_pk_auto(Preferences::Id))
                .col(big_integer(Preferences::SchoolId))
                .col(big_integer(Preferences::TermId))
                .col(big_integer(Preferences::StudentId))
                .col(integer(Preferences::SlotNo))
                .col(integer(Preferences::Rank))
                .col(big_integer(Preferences::ClassId))
                .col(big_integer_null(Preferences::UserId))
                .col(timestamp_with_time_zone(Preferences::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_preferences",
            Preferences::Table,
            &["term_id", "student_id", "slot_no", "rank"],
            true,
        )
        .await?;
        index(
            m,
            "ix_preferences_term",
            Preferences::Table,
            &["school_id", "term_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LotteryDraws::Table)
                .col(big_pk_auto(LotteryDraws::Id))
                .col(big_integer(LotteryDraws::SchoolId))
                .col(big_integer(LotteryDraws::TermId))
                .col(string_len(LotteryDraws::Seed, 100))
                .col(timestamp_with_time_zone(LotteryDraws::SeedPublishedAt))
                .col(big_integer_null(LotteryDraws::SeedPublishedBy))
                .col(string_len(LotteryDraws::Status, 20))
                .col(text_null(LotteryDraws::Inputs))
                .col(text_null(LotteryDraws::Results))
                .col(timestamp_with_time_zone_null(LotteryDraws::DrawnAt))
                .col(timestamp_with_time_zone_null(
                    LotteryDraws::ReportPublishedAt,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_lottery_draws_term",
            LotteryDraws::Table,
            &["school_id", "term_id"],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LotteryDraws::Table.into_iden(),
            Preferences::Table.into_iden(),
            NoticeSignatures::Table.into_iden(),
            EnrollmentNotices::Table.into_iden(),
            WaitlistEntries::Table.into_iden(),
            Orders::Table.into_iden(),
            Enrollments::Table.into_iden(),
            ExclusiveGroups::Table.into_iden(),
            EnrollmentWindows::Table.into_iden(),
            EnrollmentSettings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
