use sea_orm::entity::prelude::*;

/// A picture or attachment of a course; the bytes are in the file store under
/// `storage_key`, their type checked by content (`content_type`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub course_id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub uploaded_at: DateTimeUtc,
    pub uploaded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
