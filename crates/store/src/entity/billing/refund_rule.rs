use sea_orm::entity::prelude::*;

/// A course of the term's fee rules: how parents pay it and how it refunds (the defaults
/// — the whole term, the default refund rule — when it has none).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub item_id: i64,
    pub refund_leave: bool,
    pub refund_absence: bool,
    pub materials_before_start_only: bool,
    /// `term`, `monthly` or `per_lesson`.
    pub pay_mode: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
