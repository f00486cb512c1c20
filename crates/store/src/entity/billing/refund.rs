use sea_orm::entity::prelude::*;

/// Money going back to a parent by the payment's channel; `explanation` is how the amount was reached (JSON), `result` the channel's last answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub refund_no: String,
    pub school_id: i64,
    pub term_id: i64,
    pub order_id: i64,
    pub payment_id: i64,
    pub amount_fen: i64,
    pub status: String,
    pub source: String,
    pub reason: String,
    #[sea_orm(column_type = "Text")]
    pub explanation: String,
    pub channel_refund_id: Option<String>,
    pub failure: Option<String>,
    pub requested_by: Option<i64>,
    pub resolved_by: Option<i64>,
    pub resolved_note: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub succeeded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
