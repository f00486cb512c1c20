use sea_orm::entity::prelude::*;

/// A channel's notification as received, with what became of it (applied, duplicate, refused, failed).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: String,
    pub notification_id: Option<String>,
    pub event_type: String,
    pub outcome: String,
    pub reason: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
