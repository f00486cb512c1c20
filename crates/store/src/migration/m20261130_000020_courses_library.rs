//! Courses of schools and institutions (D6, D11) with their syllabus and auxiliary
//! materials; bureaus' course and teacher libraries (D8) and the rules a bureau sets for
//! its schools' offerings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    OwnerOrgId,
    Name,
    Category,
    SpecId,
    Intro,
    Grades,
    ClassSizeMin,
    ClassSizeMax,
    LessonCount,
    LessonMinutes,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseChapters {
    Table,
    Id,
    CourseId,
    Number,
    Name,
}

#[derive(DeriveIden)]
enum CourseMaterials {
    Table,
    Id,
    CourseId,
    Position,
    Name,
    Description,
    Quantity,
}

#[derive(DeriveIden)]
enum LibraryEntries {
    Table,
    Id,
    BureauId,
    Kind,
    SubjectId,
    OwnerOrgId,
    Status,
    Comment,
    SubmittedAt,
    SubmittedBy,
    DecidedAt,
    DecidedBy,
}

#[derive(DeriveIden)]
enum BureauPolicies {
    Table,
    BureauId,
    OnlyAdmitted,
    NeedsApproval,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Courses::Table)
                .col(big_pk_auto(Courses::Id))
                .col(big_integer(Courses::OwnerOrgId))
                .col(string_len(Courses::Name, 50))
                .col(string_len(Courses::Category, 16))
                .col(big_integer(Courses::SpecId))
                .col(text(Courses::Intro))
                .col(string_len(Courses::Grades, 40))
                .col(integer(Courses::ClassSizeMin))
                .col(integer(Courses::ClassSizeMax))
                .col(integer(Courses::LessonCount))
                .col(integer(Courses::LessonMinutes))
                .col(boolean(Courses::Active))
                .col(timestamp_with_time_zone(Courses::CreatedAt))
                .col(timestamp_with_time_zone(Courses::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_courses_owner_name")
                .table(Courses::Table)
                .col(Courses::OwnerOrgId)
                .col(Courses::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CourseChapters::Table)
                .col(big_pk_auto(CourseChapters::Id))
                .col(big_integer(CourseChapters::CourseId))
                .col(integer(CourseChapters::Number))
                .col(string_len(CourseChapters::Name, 60))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_course_chapters_number")
                .table(CourseChapters::Table)
                .col(CourseChapters::CourseId)
                .col(CourseChapters::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CourseMaterials::Table)
                .col(big_pk_auto(CourseMaterials::Id))
                .col(big_integer(CourseMaterials::CourseId))
                .col(integer(CourseMaterials::Position))
                .col(string_len(CourseMaterials::Name, 50))
                .col(string_len(CourseMaterials::Description, 200))
                .col(integer(CourseMaterials::Quantity))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_course_materials_course")
                .table(CourseMaterials::Table)
                .col(CourseMaterials::CourseId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LibraryEntries::Table)
                .col(big_pk_auto(LibraryEntries::Id))
                .col(big_integer(LibraryEntries::BureauId))
                .col(string_len(LibraryEntries::Kind, 16))
                .col(big_integer(LibraryEntries::SubjectId))
                .col(big_integer(LibraryEntries::OwnerOrgId))
                .col(string_len(LibraryEntries::Status, 16))
                .col(text_null(LibraryEntries::Comment))
                .col(timestamp_with_time_zone(LibraryEntries::SubmittedAt))
                .col(string_len(LibraryEntries::SubmittedBy, 100))
                .col(timestamp_with_time_zone_null(LibraryEntries::DecidedAt))
                .col(string_len_null(LibraryEntries::DecidedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_library_entries_subject")
                .table(LibraryEntries::Table)
                .col(LibraryEntries::BureauId)
                .col(LibraryEntries::Kind)
                .col(LibraryEntries::SubjectId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BureauPolicies::Table)
                .col(big_integer(BureauPolicies::BureauId).primary_key())
                .col(boolean(BureauPolicies::OnlyAdmitted))
                .col(boolean(BureauPolicies::NeedsApproval))
                .col(timestamp_with_time_zone(BureauPolicies::UpdatedAt))
                .col(string_len(BureauPolicies::UpdatedBy, 100))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            BureauPolicies::Table.into_iden(),
            LibraryEntries::Table.into_iden(),
            CourseMaterials::Table.into_iden(),
            CourseChapters::Table.into_iden(),
            Courses::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
