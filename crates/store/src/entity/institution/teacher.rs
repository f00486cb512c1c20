use sea_orm::entity::prelude::*;

/// A teacher of an institution, with the account (`user_id`) they work with. The ID number
/// is SM4-encrypted (`id_no_enc`) with a blind index for uniqueness.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "institution_teachers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub name: String,
    pub gender: String,
    pub id_no_enc: String,
    pub id_no_index: String,
    pub education: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub title: String,
    pub teaching_years: i32,
    pub speciality: String,
    pub resume: String,
    pub active: bool,
    /// The department (部门) of the institution it belongs to.
    pub department_id: Option<i64>,
    /// The criminal-record check document, when uploaded.
    pub record_file_name: Option<String>,
    pub record_content_type: Option<String>,
    pub record_storage_key: Option<String>,
    pub record_uploaded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
