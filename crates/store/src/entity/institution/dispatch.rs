use sea_orm::entity::prelude::*;

/// A teacher of an institution (`org_id`) sent to a school from `starts_on` to `ends_on`
/// (both included) for some course categories (`course_types`, comma-separated codes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub teacher_id: i64,
    pub school_id: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub course_types: String,
    pub status: String,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
