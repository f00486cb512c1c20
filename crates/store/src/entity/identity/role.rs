use sea_orm::entity::prelude::*;

/// A named set of permissions. Preset roles have a `code` and no owner; custom roles belong
/// to the organization that made them and are visible within its scope.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: Option<String>,
    pub name: String,
    pub org_kind: String,
    pub owner_org_id: Option<i64>,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
