use sea_orm::entity::prelude::*;

/// A catalog permission already granted to the preset roles that list it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "permission_seeds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub permission: String,
    pub seeded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
