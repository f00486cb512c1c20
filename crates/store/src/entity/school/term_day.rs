use sea_orm::entity::prelude::*;

/// An exception of a term's calendar: a holiday (a range of days off), or a swapped or
/// make-up teaching day following the weekday `follows` (1 = Monday … 5 = Friday).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "term_days")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub term_id: i64,
    /// holiday, swapped or makeup.
    pub kind: String,
    pub name: Option<String>,
    pub start_date: Date,
    pub end_date: Date,
    pub follows: Option<i16>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
