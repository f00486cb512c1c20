use sea_orm::entity::prelude::*;

/// A verification code sent by SMS, for login or password reset. Only a digest of the
/// code is kept; the phone number only as its blind index.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub phone_index: String,
    /// `login` or `reset`.
    pub purpose: String,
    pub code_hash: String,
    pub ip: Option<String>,
    /// Wrong codes tried against this one.
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
