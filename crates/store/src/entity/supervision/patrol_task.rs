use sea_orm::entity::prelude::*;

/// A patrol task (巡课任务) the school gives a patrol teacher: on the `weekdays` (digits 1–7)
/// from `from_date` to `to_date`, patrol `lessons_per_day` lessons. Status active or
/// closed (the school stopped it early).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patrol_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub patroller_name: String,
    pub title: String,
    pub from_date: Date,
    pub to_date: Date,
    pub weekdays: String,
    pub lessons_per_day: i32,
    pub note: String,
    pub status: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
