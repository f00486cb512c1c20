use sea_orm::entity::prelude::*;

/// An administrative class (行政班): grade `grade` (1–12), class number `number`, in one
/// school year; shown as 三年级(2)班 unless it has an alias.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_classes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub school_year: String,
    pub grade: i16,
    pub number: i16,
    pub alias: Option<String>,
    pub head_teacher_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
