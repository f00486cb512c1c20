use sea_orm::entity::prelude::*;

/// The sandbox channel's side of a payment (what a real channel keeps on its servers).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_trades")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mch_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub prepay_id: String,
    pub description: String,
    pub amount_fen: i64,
    pub state: String,
    pub notify_url: String,
    pub return_url: String,
    pub expires_at: DateTimeUtc,
    pub success_time: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
