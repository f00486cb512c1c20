use sea_orm::entity::prelude::*;

/// A parent's report that a refund has not arrived, and the school's answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub refund_id: i64,
    pub user_id: i64,
    pub note: String,
    pub status: String,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
