use sea_orm::entity::prelude::*;

/// A parent's request to move a confirmed enrollment to another teaching class of the
/// term: `class` (same course, 调班) or `course` (another course, 调课). Pending, then
/// `approved` (with the enrollment it became and the money moved), `rejected` or
/// `withdrawn`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollment_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub enrollment_id: i64,
    pub student_id: i64,
    pub to_class_id: i64,
    pub kind: String,
    pub reason: String,
    pub status: String,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    /// The enrollment of the new course (a course change).
    pub new_enrollment_id: Option<i64>,
    /// What the old course's refund paid towards the new one.
    pub carried_fen: i64,
    /// What went back to the parent.
    pub refund_fen: i64,
    /// What the parent still had to pay for the new course.
    pub due_fen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
