use sea_orm::entity::prelude::*;

/// A course offered in a term: what the school offers is copied here when added, the price
/// from the spec on the term's first day, so the row does not change when the course does.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offering_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub offering_id: i64,
    pub course_id: i64,
    pub name: String,
    pub category: String,
    pub institution_id: Option<i64>,
    pub spec_id: i64,
    pub price_fen: i64,
    pub price_unit: String,
    pub textbook_fee_fen: i64,
    pub misc_fee_fen: i64,
    pub grades: String,
    pub capacity: i32,
    pub care_time: Option<String>,
    pub care_days: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
