use sea_orm::entity::prelude::*;

/// One weekly lesson of a teaching class: its weekday (1 = Monday) and period (1 = the day's first after-school period), unplaced while both are empty; locked ones stay where they are when the solver runs.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "timetable_slots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub class_id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub weekday: Option<i32>,
    pub period_no: Option<i32>,
    pub room_id: Option<i64>,
    pub locked: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
