use sea_orm::entity::prelude::*;

/// A dated lesson (课次) of a teaching class: the weekly timetable on one teaching day of the term calendar.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lessons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub class_id: i64,
    pub date: Date,
    pub period_no: i32,
    pub starts_at: Time,
    pub ends_at: Time,
    pub room_id: Option<i64>,
    /// The lesson's number in the class, which names its chapter of the syllabus.
    pub seq_no: i32,
    pub chapter_name: String,
    pub status: String,
    /// 代课：郑丽 … when a substitute or a swap changed its teachers (kept on regeneration).
    pub change_note: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
