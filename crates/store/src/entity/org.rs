use sea_orm::entity::prelude::*;

/// A node of the organization tree. `path` lists the ids from the root down to this node
/// (`/1/4/9/`), so a jurisdiction is every row whose path starts with the bureau's path.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub level: Option<String>,
    pub name: String,
    pub code: Option<String>,
    pub region_code: Option<String>,
    pub path: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
