use sea_orm::entity::prelude::*;

/// A school's receiving account (merchant) at one payment channel; `api_key` is encrypted by the vault.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receiving_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub channel: String,
    pub merchant_id: String,
    pub app_id: String,
    pub account_name: String,
    #[sea_orm(column_type = "Text")]
    pub api_key: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
