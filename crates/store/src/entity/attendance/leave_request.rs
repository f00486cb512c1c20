use sea_orm::entity::prelude::*;

/// A student's leave (请假) from `from_date` to `to_date`, asked by a guardian, decided by the head teacher or the school; a sick leave records the symptom.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub student_id: i64,
    pub applicant_id: i64,
    pub kind: String,
    pub symptom: String,
    pub reason: String,
    pub from_date: Date,
    pub to_date: Date,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
