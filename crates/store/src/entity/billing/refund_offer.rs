use sea_orm::entity::prelude::*;

/// A refund amount the school proposes for an order; refunded once the parent confirms
/// it (`proposed`, `accepted`, `declined`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub order_id: i64,
    pub amount_fen: i64,
    pub reason: String,
    pub status: String,
    pub proposed_by: i64,
    pub proposed_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    /// The first refund made when accepted.
    pub refund_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
