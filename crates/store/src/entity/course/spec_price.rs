use sea_orm::entity::prelude::*;

/// A spec's price from `effective_from` on, in fen, until a later row replaces it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_spec_prices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub spec_id: i64,
    pub price_fen: i64,
    pub effective_from: Date,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
