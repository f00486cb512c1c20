use sea_orm::entity::prelude::*;

/// The profile of a school; its name and region live on the organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "school_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub school_id: i64,
    pub school_type: String,
    pub nature: String,
    pub address: Option<String>,
    /// One campus per line.
    pub campuses: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
