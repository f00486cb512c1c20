use sea_orm::entity::prelude::*;

/// A school's check-in area: a circle or polygon (JSON of `kehou_domain::geo::Fence`) drawn in `datum` (gcj02 or wgs84), and how many minutes before a lesson check-in opens.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "school_fences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub datum: String,
    pub fence: String,
    pub open_before_min: i32,
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
