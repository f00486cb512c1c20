//! What an operator watches (P5), in the Prometheus text format: requests by route and
//! status with latency histograms, SMS and payment channel calls and failures (counted as
//! they happen), and, read when scraped, jobs by kind and state, the age of the oldest
//! waiting job, the database pool and the job worker's last sign of life.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use kehou_store::sea_orm::DatabaseBackend;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{App, Error, Result};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route as declared (`/api/v1/schools/{school_id}`), never the path itself: one
    /// series per route, not one per id.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabels {
    /// `sms` or a payment channel's code.
    channel: String,
    operation: String,
    /// `ok` or `failed`.
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

fn latency_histogram() -> Histogram {
    // 5 ms … about 10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    channel_calls: Family<ChannelLabels, Counter>,
    jobs: Family<JobLabels, Gauge>,
    queue_age: Gauge<f64, AtomicU64>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    worker_age: Gauge<f64, AtomicU64>,
    /// When this instance's job worker last went round its loop (Unix seconds; 0: never).
    worker_seen: AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kehou");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by method and route",
            latency.clone(),
        );
        let channel_calls = Family::<ChannelLabels, Counter>::default();
        registry.register(
            "channel_calls",
            "Calls to the SMS and payment channels, by channel, operation and outcome",
            channel_calls.clone(),
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register(
            "jobs",
            "Background jobs in the queue, by kind and state",
            jobs.clone(),
        );
        let queue_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "job_queue_oldest_age_seconds",
            "How long the oldest job due to run has waited (0 when none waits)",
            queue_age.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this instance's pool, by state (idle, in_use)",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections this instance's pool opens",
            pool_max.clone(),
        );
        let worker_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "job_worker_last_seen_age_seconds",
            "Seconds since this instance's job worker last showed it is alive",
            worker_age.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            channel_calls,
            jobs,
            queue_age,
            pool,
            pool_max,
            worker_age,
            worker_seen: AtomicI64::new(0),
        }
    }
}

impl Metrics {
    /// One request answered.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// One call to an outside channel.
    pub fn channel_call(&self, channel: &str, operation: &str, ok: bool) {
        self.channel_calls
            .get_or_create(&ChannelLabels {
                channel: channel.to_string(),
                operation: operation.to_string(),
                outcome: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }

    /// The job worker is alive (it went round its loop, or renewed a running job's lease).
    pub fn worker_alive(&self, now: chrono::DateTime<chrono::Utc>) {
        self.worker_seen.store(now.timestamp(), Ordering::Relaxed);
    }

    /// Seconds since the job worker last showed it is alive; `None` if it never did.
    pub fn worker_age(&self, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
        match self.worker_seen.load(Ordering::Relaxed) {
            0 => None,
            seen => Some((now.timestamp() - seen).max(0)),
        }
    }

    /// Every metric in the Prometheus text format (version 0.0.4), the queue and the pool
    /// read now.
    pub async fn render(&self, app: &App) -> Result<String> {
        self.read_queue(app).await?;
        self.read_pool(app);
        if let Some(age) = self.worker_age(app.now()) {
            self.worker_age.set(age as f64);
        }
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .map_err(|e| Error::Internal(format!("指标无法写出：{e}")))?;
        Ok(out)
    }

    async fn read_queue(&self, app: &App) -> Result<()> {
        let counts = crate::platform::jobs::counts(&app.db).await?;
        // Kinds and states that emptied since the last scrape are gone, not stuck at their
        // old count.
        self.jobs.clear();
        for (kind, state, n) in counts {
            self.jobs.get_or_create(&JobLabels { kind, state }).set(n);
        }
        let oldest = crate::platform::jobs::oldest_due(&app.db, app.now()).await?;
        let age = oldest
            .map(|t| (app.now() - t).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        self.queue_age.set(age);
        Ok(())
    }

    fn read_pool(&self, app: &App) {
        let (size, idle, max) = match app.db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let p = app.db.get_postgres_connection_pool();
                (p.size(), p.num_idle(), p.options().get_max_connections())
            }
            DatabaseBackend::Sqlite => {
                let p = app.db.get_sqlite_connection_pool();
                (p.size(), p.num_idle(), p.options().get_max_connections())
            }
            _ => return,
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        for (state, n) in [("idle", idle), ("in_use", size.saturating_sub(idle))] {
            self.pool
                .get_or_create(&PoolLabels {
                    state: state.into(),
                })
                .set(i64::from(n));
        }
        self.pool_max.set(i64::from(max));
    }
}
