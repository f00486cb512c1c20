use sea_orm::entity::prelude::*;

/// A line where the channel's bill and the ledger disagree, until the school resolves it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recon_differences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub day_id: i64,
    pub school_id: i64,
    pub kind: String,
    pub trade_no: String,
    pub refund_no: Option<String>,
    pub ledger_fen: Option<i64>,
    pub bill_fen: Option<i64>,
    pub status: String,
    pub note: Option<String>,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
