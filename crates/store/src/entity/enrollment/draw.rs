use sea_orm::entity::prelude::*;

/// A term's pre-registration draw: the seed, published before the draw; the inputs and the
/// results (JSON of `kehou_domain::lottery`), kept so that anyone can recompute them;
/// when the report was published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lottery_draws")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub seed: String,
    pub seed_published_at: DateTimeUtc,
    pub seed_published_by: Option<i64>,
    /// seeded, drawn or published.
    pub status: String,
    pub inputs: Option<String>,
    pub results: Option<String>,
    pub drawn_at: Option<DateTimeUtc>,
    pub report_published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
