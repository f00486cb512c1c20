use sea_orm::entity::prelude::*;

/// A unit of background work (an import, later seat releases, payment follow-ups, bill
/// downloads, reporting), claimed by one worker of any instance under a lease. `params` is
/// the kind's JSON; `input` an optional uploaded file; `result` the kind's JSON outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    /// The organization the job works for (its school), for scope checks and purging.
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub membership_id: Option<i64>,
    pub ip: Option<String>,
    pub params: String,
    pub input: Option<Vec<u8>>,
    /// `queued`, `running`, `finished` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// A queued job is not claimed before this time (retries back off).
    pub run_after: DateTimeUtc,
    pub locked_by: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub stage: String,
    pub done: i64,
    pub total: i64,
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
