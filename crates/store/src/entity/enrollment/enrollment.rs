use sea_orm::entity::prelude::*;

/// A student in a course of the term's offering (`item_id`) and, once known, its teaching class. Never deleted: a dropped, expired or cancelled one keeps its history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub student_id: i64,
    pub item_id: i64,
    pub class_id: Option<i64>,
    /// The class the school's assignment proposes, until it is published (enroll first).
    pub proposed_class_id: Option<i64>,
    pub status: String,
    /// parent, school or waitlist.
    pub source: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
