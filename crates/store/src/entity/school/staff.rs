use sea_orm::entity::prelude::*;

/// A member of a school's staff (教职工). Name and phone live on the user account; roles
/// are the user's memberships at the school.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub gender: String,
    /// Subjects taught, separated by 、.
    pub subjects: Option<String>,
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    pub department_id: Option<i64>,
    /// Post names, separated by 、.
    pub posts: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
