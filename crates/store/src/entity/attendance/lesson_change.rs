use sea_orm::entity::prelude::*;

/// A teacher's request for a substitute (代课, kind substitute: `substitute_staff_id` teaches
/// `lesson_id`) or a swap (调课, kind swap: the teachers of `lesson_id` and `other_lesson_id`
/// exchange), decided by the school, which records the substitute's pay (`fee_fen`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lesson_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub kind: String,
    pub lesson_id: i64,
    pub other_lesson_id: Option<i64>,
    pub requested_by: i64,
    pub requester_name: String,
    pub substitute_staff_id: Option<i64>,
    pub substitute_name: String,
    pub reason: String,
    pub status: String,
    pub fee_fen: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
