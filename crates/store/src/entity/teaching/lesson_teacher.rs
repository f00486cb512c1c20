use sea_orm::entity::prelude::*;

/// A teacher of a dated lesson.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lesson_teachers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub lesson_id: i64,
    pub staff_id: Option<i64>,
    pub institution_teacher_id: Option<i64>,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
