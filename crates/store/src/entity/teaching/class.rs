use sea_orm::entity::prelude::*;

/// A teaching class (教学班) of an offered course (`item_id`) in a term.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "teaching_classes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub item_id: i64,
    pub course_id: i64,
    pub name: String,
    pub status: String,
    pub capacity_min: i32,
    pub capacity_max: i32,
    pub grade_from: i32,
    pub grade_to: i32,
    pub starts_on: Date,
    pub ends_on: Date,
    pub weekly_lessons: i32,
    pub room_id: Option<i64>,
    /// The administrative-post teacher (行政坐班教师), a staff member.
    pub post_teacher_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
