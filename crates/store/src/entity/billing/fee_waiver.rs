use sea_orm::entity::prelude::*;

/// A fee reduced or waived for a student in financial difficulty, with the reason and who approved it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fee_waivers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub order_id: i64,
    pub student_id: i64,
    pub amount_fen: i64,
    pub reason: String,
    pub approved_by: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
