use sea_orm::entity::prelude::*;

/// One day's channel bill of a receiving account, matched against the ledger.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recon_days")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub account_id: i64,
    pub bill_date: Date,
    pub status: String,
    pub bill_lines: i32,
    pub matched: i32,
    pub differences: i32,
    pub fetched_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
