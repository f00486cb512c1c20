use sea_orm::entity::prelude::*;

/// A department of a bureau assigned to a membership in that bureau.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub membership_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
