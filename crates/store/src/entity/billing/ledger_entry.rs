use sea_orm::entity::prelude::*;

/// One money movement of an order; never updated or deleted (the database refuses).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub order_id: i64,
    pub kind: String,
    pub amount_fen: i64,
    pub payment_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub waiver_id: Option<i64>,
    pub note: String,
    /// The period a charge bills: `term`, `start` or a month (`2026-10`); empty for
    /// other entries and for charges from before payment modes.
    pub period: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
