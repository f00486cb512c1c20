use sea_orm::entity::prelude::*;

/// A teacher's make-up punch (补打卡, kind make_up) or appeal of a late check-in (kind appeal), decided by the school.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "punch_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub lesson_id: i64,
    pub user_id: i64,
    pub teacher_name: String,
    pub kind: String,
    pub reason: String,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
