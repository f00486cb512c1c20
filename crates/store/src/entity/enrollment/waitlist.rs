use sea_orm::entity::prelude::*;

/// A student waiting for a seat in a full teaching class, first come first served; `enrollment_id` is the enrollment made when a seat was offered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "waitlist_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub class_id: i64,
    pub student_id: i64,
    pub user_id: Option<i64>,
    pub status: String,
    pub enrollment_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
