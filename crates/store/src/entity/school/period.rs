use sea_orm::entity::prelude::*;

/// A period of a school's bell schedule for one day type (课后一 15:40–16:20). The periods
/// of a day type share `weekdays`, the days (1 = Monday … 7 = Sunday, comma-separated)
/// whose timetable they serve; a school's day types do not share a weekday.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "periods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub day_type: String,
    pub name: String,
    pub start_time: Time,
    pub end_time: Time,
    pub weekdays: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
