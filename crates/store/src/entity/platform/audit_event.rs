use sea_orm::entity::prelude::*;

/// One change, written in the same transaction as the change itself. Never updated.
/// `org_path` is the path of the organization the change belongs to, so that an
/// administrator sees exactly the events of their jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub membership_id: Option<i64>,
    pub org_id: Option<i64>,
    pub org_path: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub summary: String,
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
