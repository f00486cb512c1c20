use sea_orm::entity::prelude::*;

/// The admission record of an institution, beside its organization (`org_id`). The
/// organization sits under the bureau that reviews it. `service_types` is a
/// comma-separated list of codes; `status` an `InstitutionStatus` code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "institutions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i64,
    #[sea_orm(unique)]
    pub credit_code: String,
    pub legal_rep: String,
    pub contact_name: String,
    /// The account that applied (the contact); its phone is the contact phone.
    pub applicant_user_id: Option<i64>,
    pub address: String,
    pub business_scope: String,
    pub service_types: String,
    pub status: String,
    pub applied_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
