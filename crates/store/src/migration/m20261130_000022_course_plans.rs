//! Course plans (课程方案, D4): per term, for the whole school or one grade, how many
//! teaching classes of which offered course, their size and weekly lessons; one plan per
//! grade is enabled for the term's enrollment, in one of the two modes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoursePlans {
    Table,
    Id,
    SchoolId,
    TermId,
    Name,
    Grade,
    Mode,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CoursePlanLines {
    Table,
    Id,
    PlanId,
    ItemId,
    Grade,
    Classes,
    ClassSize,
    WeeklyLessons,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CoursePlans::Table)
                .col(big_pk_auto(CoursePlans::Id))
                .col(big_integer(CoursePlans::SchoolId))
                .col(big_integer(CoursePlans::TermId))
                .col(string_len(CoursePlans::Name, 50))
                .col(integer_null(CoursePlans::Grade))
                .col(string_len(CoursePlans::Mode, 20))
                .col(boolean(CoursePlans::Enabled))
                .col(timestamp_with_time_zone(CoursePlans::CreatedAt))
                .col(timestamp_with_time_zone(CoursePlans::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_course_plans_name")
                .table(CoursePlans::Table)
                .col(CoursePlans::SchoolId)
                .col(CoursePlans::TermId)
                .col(CoursePlans::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoursePlanLines::Table)
                .col(big_pk_auto(CoursePlanLines::Id))
                .col(big_integer(CoursePlanLines::PlanId))
                .col(big_integer(CoursePlanLines::ItemId))
                .col(integer(CoursePlanLines::Grade))
                .col(integer(CoursePlanLines::Classes))
                .col(integer(CoursePlanLines::ClassSize))
                .col(integer(CoursePlanLines::WeeklyLessons))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_course_plan_lines_course_grade")
                .table(CoursePlanLines::Table)
                .col(CoursePlanLines::PlanId)
                .col(CoursePlanLines::ItemId)
                .col(CoursePlanLines::Grade)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CoursePlanLines::Table.into_iden(),
            CoursePlans::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
