use sea_orm::entity::prelude::*;

/// One patrol teacher's visit to one lesson: the lesson's and the teacher's score (1–5),
/// whether the teacher was there, how many students were seen, notes; `photo_count` photos
/// in `patrol_photos`. One per lesson and patrol teacher; saving again updates it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patrol_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub lesson_id: i64,
    pub lesson_date: Date,
    pub user_id: i64,
    pub patroller_name: String,
    pub lesson_score: i32,
    pub teacher_score: i32,
    pub teacher_present: bool,
    pub students_seen: Option<i32>,
    pub note: String,
    pub photo_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
