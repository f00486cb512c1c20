use sea_orm::entity::prelude::*;

/// An emergency contact of a school. The phone number is stored SM4-encrypted, with its
/// HMAC-SM3 blind index for look-up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "school_contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone_enc: String,
    pub phone_index: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
