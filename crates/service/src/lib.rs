//! Use cases of kehou. Every call that reads or changes business data takes an [`Actor`]
//! and checks permission and scope itself (default deny); every change writes its audit
//! event in the same transaction.

pub mod account;
pub mod actor;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod classes;
pub mod clock;
pub mod demo;
pub mod error;
pub mod import;
pub mod org;
pub mod page;
pub mod role;
pub mod sample;
pub mod school;
pub mod sheet;
pub mod staff;
pub mod student;
pub mod student_import;
pub mod vault;

use std::sync::Arc;

pub use actor::{Actor, Principal};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use kehou_store::sea_orm::DatabaseConnection;
pub use page::{Page, PageRequest};

/// The state every use case needs: the database, the clock, the personal-data vault and
/// the running imports.
#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub vault: Arc<vault::Vault>,
    /// Background imports of this process.
    pub jobs: Arc<import::Jobs>,
}

impl App {
    /// Connects, migrates, and makes sure the platform root and the preset roles exist.
    pub async fn start(
        database_url: &str,
        clock: Arc<dyn Clock>,
        vault: Arc<vault::Vault>,
    ) -> Result<Self> {
        let db = kehou_store::connect(database_url).await?;
        Self::with_database(db, clock, vault).await
    }

    /// Like [`App::start`], on a database already connected and migrated.
    pub async fn with_database(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        vault: Arc<vault::Vault>,
    ) -> Result<Self> {
        let app = Self {
            db,
            clock,
            vault,
            jobs: Arc::default(),
        };
        account::encrypt_legacy_phones(&app).await?;
        org::ensure_platform_root(&app).await?;
        role::ensure_preset_roles(&app).await?;
        Ok(app)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Answers once the database accepts a query.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(Error::from)
    }
}
