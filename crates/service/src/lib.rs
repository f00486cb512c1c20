//! Use cases of kehou. Every call that reads or changes business data takes an [`Actor`]
//! and checks permission and scope itself (default deny); every change writes its audit
//! event in the same transaction.

//!
//! One module per business area (the same names in every crate, see
//! `docs/ARCHITECTURE.md`): `platform` (shared services), `identity`, `org`, `school`,
//! `course`, `institution`, `import`, and `system` for what runs without a person.

pub mod attendance;
pub mod billing;
pub mod course;
pub mod enrollment;
pub mod identity;
pub mod import;
pub mod institution;
pub mod org;
pub mod platform;
pub mod school;
pub mod supervision;
pub mod system;
pub mod teaching;

use std::sync::Arc;

pub use identity::actor::{Actor, Principal};
pub use kehou_store::sea_orm::DatabaseConnection;
pub use platform::clock::{Clock, ManualClock, SystemClock};
pub use platform::error::{Error, Result};
pub use platform::page::{Page, PageRequest};

/// The state every use case needs: the database, the clock, the personal-data vault, the
/// SMS channel, the job worker's wake-up and the message centre's live feed.
#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub vault: Arc<platform::vault::Vault>,
    /// Woken when this instance queues a job, so that its worker starts at once.
    pub job_wakeup: Arc<tokio::sync::Notify>,
    /// The SMS channel: the sandbox unless a provider is configured.
    pub sms: Arc<dyn platform::sms::SmsChannel>,
    /// Uploaded files (qualification documents, pictures): a local folder by default.
    pub files: Arc<dyn platform::storage::FileStore>,
    /// The ids of people who just got a message on this instance, for open pages' live
    /// badges (other instances' messages arrive by polling).
    pub message_feed: tokio::sync::broadcast::Sender<i64>,
    /// The payment channels: the sandbox unless a real one is configured.
    pub payments: Arc<billing::Channels>,
    /// Counters and histograms of this instance, for `/metrics`.
    pub metrics: Arc<platform::metrics::Metrics>,
    /// How long each kind of data is kept (the config file's `[retention]`).
    pub retention: platform::retention::Policy,
}

impl App {
    /// Connects, migrates, and makes sure the platform root and the preset roles exist.
    pub async fn start(
        database_url: &str,
        clock: Arc<dyn Clock>,
        vault: Arc<platform::vault::Vault>,
    ) -> Result<Self> {
        let db = kehou_store::connect(database_url).await?;
        Self::with_database(db, clock, vault).await
    }

    /// Like [`App::start`], on a database already connected and migrated.
    pub async fn with_database(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        vault: Arc<platform::vault::Vault>,
    ) -> Result<Self> {
        let job_wakeup: Arc<tokio::sync::Notify> = Arc::default();
        // The sandbox's signing keys follow from the data keys: stable across restarts and
        // instances, unknown outside, and switched by a key rotation (the older key's
        // signatures still verify while it is held).
        let sandbox = billing::sandbox::Sandbox::new(
            db.clone(),
            clock.clone(),
            vault.derived_secrets("kehou sandbox payment platform key"),
            job_wakeup.clone(),
        );
        let metrics: Arc<platform::metrics::Metrics> = Arc::default();
        let app = Self {
            payments: Arc::new(billing::Channels::new(Arc::new(sandbox), metrics.clone())),
            metrics,
            retention: platform::retention::Policy::default(),
            db,
            clock,
            vault,
            job_wakeup,
            sms: Arc::new(platform::sms::Sandbox::default()),
            // The command line points this at its configured folder.
            files: Arc::new(platform::storage::LocalFolder::new(
                std::env::temp_dir().join("kehou-files"),
            )),
            message_feed: tokio::sync::broadcast::channel(256).0,
        };
        platform::keys::check(&app.db, &app.vault).await?;
        platform::installation::id(&app.db).await?;
        identity::account::encrypt_legacy_phones(&app).await?;
        org::ensure_platform_root(&app).await?;
        identity::role::ensure_preset_roles(&app).await?;
        Ok(app)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today's date in China (UTC+8): the day terms, prices and calendars speak of.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&platform::clock::china())
            .date_naive()
    }

    /// The date and time of day in China (UTC+8): when lessons start and end.
    pub fn local_now(&self) -> chrono::NaiveDateTime {
        self.now()
            .with_timezone(&platform::clock::china())
            .naive_local()
    }

    /// How many migrations of this version the database has not run (0 when current).
    pub async fn pending_migrations(&self) -> Result<usize> {
        Ok(kehou_store::pending_migrations(&self.db).await?)
    }

    /// Answers once the database accepts a query.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(Error::from)
    }
}
