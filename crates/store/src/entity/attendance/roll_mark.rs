use sea_orm::entity::prelude::*;

/// One student's mark in a lesson's roll call (点名): present, late, absent or leave.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roll_marks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub lesson_id: i64,
    pub student_id: i64,
    pub status: String,
    pub marked_by: i64,
    pub marked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
