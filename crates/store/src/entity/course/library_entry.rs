use sea_orm::entity::prelude::*;

/// A course or teacher (`kind`, `subject_id`) submitted by `owner_org_id` to the library of
/// `bureau_id`, and the reviewers' decision.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "library_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bureau_id: i64,
    pub kind: String,
    pub subject_id: i64,
    pub owner_org_id: i64,
    pub status: String,
    pub comment: Option<String>,
    pub submitted_at: DateTimeUtc,
    pub submitted_by: String,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
