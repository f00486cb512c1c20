use sea_orm::entity::prelude::*;

/// A line of a plan (开课计划): an offered course (`item_id`) for a grade, how many teaching
/// classes, their size and weekly lessons.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_plan_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub item_id: i64,
    pub grade: i32,
    pub classes: i32,
    pub class_size: i32,
    pub weekly_lessons: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
