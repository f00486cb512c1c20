use sea_orm::entity::prelude::*;

/// An order of one enrollment: the amounts and the JSON `snapshot` of what was bought, which never changes; `hold_until` is when an unpaid order lets its seat go.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_no: String,
    pub school_id: i64,
    pub term_id: i64,
    pub student_id: i64,
    pub enrollment_id: i64,
    pub user_id: Option<i64>,
    pub status: String,
    pub course_fee_fen: i64,
    pub textbook_fee_fen: i64,
    pub misc_fee_fen: i64,
    pub total_fen: i64,
    /// How this order is paid (`term`, `monthly`, `per_lesson`), from the course of the
    /// term when placed.
    pub pay_mode: String,
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
    pub notice_id: Option<i64>,
    pub hold_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
