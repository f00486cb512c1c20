use sea_orm::entity::prelude::*;

/// One payment at a channel for one or several orders (`payment_orders`); `result` is the channel's answer when it settled, never changed after.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payment_no: String,
    pub school_id: i64,
    pub account_id: i64,
    pub channel: String,
    pub user_id: i64,
    pub amount_fen: i64,
    pub status: String,
    pub description: String,
    pub prepay_id: Option<String>,
    pub pay_url: Option<String>,
    pub transaction_id: Option<String>,
    pub expires_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
