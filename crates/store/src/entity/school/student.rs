use sea_orm::entity::prelude::*;

/// A pupil of a school. The resident ID number is stored SM4-encrypted (`id_no_enc`) and
/// found through its HMAC-SM3 blind index (`id_no_index`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "students")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub student_no: String,
    pub name: String,
    /// male or female.
    pub gender: String,
    pub id_no_enc: Option<String>,
    pub id_no_index: Option<String>,
    pub birth_date: Option<Date>,
    pub class_id: Option<i64>,
    /// enrolled (在读), transferred (转出) or graduated (毕业).
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
