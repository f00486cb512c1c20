use sea_orm::entity::prelude::*;

/// A course (the catalog of courses) of a school or an institution (`owner_org_id`); its price comes from `spec_id`;
/// `grades` is "1,2,3".
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_org_id: i64,
    pub name: String,
    pub category: String,
    pub spec_id: i64,
    pub intro: String,
    pub grades: String,
    pub class_size_min: i32,
    pub class_size_max: i32,
    pub lesson_count: i32,
    pub lesson_minutes: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
