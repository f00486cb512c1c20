use sea_orm::entity::prelude::*;

/// A run of the solver for a school's term; the job runs it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "schedule_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub job_id: Option<i64>,
    pub status: String,
    pub hard: i32,
    pub soft: f64,
    pub moved: i32,
    /// JSON: what blocked a timetable, with where each is set.
    pub blocking: String,
    pub cancelled: bool,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
