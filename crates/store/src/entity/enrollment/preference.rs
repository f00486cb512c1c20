use sea_orm::entity::prelude::*;

/// One ranked choice (志愿) of a student in pre-registration: for wanted seat `slot_no`,
/// choice `rank` (1–3) is teaching class `class_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "preferences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub student_id: i64,
    pub slot_no: i32,
    pub rank: i32,
    pub class_id: i64,
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
