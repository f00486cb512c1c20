use sea_orm::entity::prelude::*;

/// A course specification (科目规格) of a bureau (`owner_org_id`): category, class-size
/// band, how its price is counted, validity. `code` is its stable identity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_specs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_org_id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub category: String,
    pub class_size_min: i32,
    pub class_size_max: i32,
    pub price_unit: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
