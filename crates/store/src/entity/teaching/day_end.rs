use sea_orm::entity::prelude::*;

/// When a grade's regular lessons end on a weekday: after-school lessons start after it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regular_day_ends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub grade: i32,
    pub weekday: i32,
    pub ends_at: Time,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
