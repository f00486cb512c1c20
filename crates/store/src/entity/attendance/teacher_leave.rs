use sea_orm::entity::prelude::*;

/// A teacher's own leave from `from_date` to `to_date` at a school; approved, the school's
/// substitute (`substitute_staff_id`) teaches its `lessons` lessons.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "teacher_leaves")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub teacher_name: String,
    pub from_date: Date,
    pub to_date: Date,
    pub reason: String,
    pub status: String,
    pub substitute_staff_id: Option<i64>,
    pub substitute_name: String,
    pub lessons: i32,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
