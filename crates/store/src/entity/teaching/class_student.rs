use sea_orm::entity::prelude::*;

/// A student in a teaching class.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "teaching_class_students")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub class_id: i64,
    pub student_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
