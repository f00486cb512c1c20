use sea_orm::entity::prelude::*;

/// A membership offered to an account that already belongs to another organization: it
/// starts only when the account's owner accepts it in their messages. `role_ids` is a
/// comma-separated list; `payload` the offering area's JSON (a staff record to create).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub org_id: i64,
    pub role_ids: String,
    pub payload: String,
    /// The name of the person who made the offer, as shown to the invitee.
    pub offered_by: String,
    pub offered_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub accepted: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
