use sea_orm::entity::prelude::*;

/// A forbidden or preferred weekly time of a course (offering item), staff member, institution teacher or room, for the solver.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "time_preferences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub target: String,
    pub target_id: i64,
    pub weekday: i32,
    pub period_no: i32,
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
