use sea_orm::entity::prelude::*;

/// The sandbox channel's side of a refund.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mch_id: String,
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub amount_fen: i64,
    pub total_fen: i64,
    pub status: String,
    pub notify_url: String,
    pub success_time: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
