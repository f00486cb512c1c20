use sea_orm::entity::prelude::*;

/// A teacher's check-in (签到) for a lesson: on_time, late, refused (outside the fence: `distance_m` tells how far), or made_up (补打卡, by the approved request `request_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "check_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub lesson_id: i64,
    pub user_id: i64,
    pub teacher_name: String,
    pub status: String,
    pub distance_m: i32,
    pub accuracy_m: i32,
    pub request_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
