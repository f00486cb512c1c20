//! `kehou`: the after-school service platform's server and command line.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use kehou_service::platform::storage::LocalFolder;
use kehou_service::platform::vault::Vault;
use kehou_service::system::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use kehou_service::{App, SystemClock};
use kehou_web::WebConfig;
use serde::Deserialize;

mod attbench;
mod bench;
mod fetbench;
mod keybench;
mod paybench;
mod rush;
mod schedule;

const DEFAULT_DB: &str = "sqlite://data/kehou.db";
const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Parser)]
#[command(name = "kehou", version, about = "课后服务管理平台 kehou")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrations run first).
    Serve(ServeArgs),
    /// Load the demo data set, then serve and print where to log in.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Load the data and exit.
        #[arg(long)]
        load_only: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Verify the enrollment invariants (capacity, maximum courses, exclusive groups,
    /// time conflicts, one order per enrollment); exits non-zero on a violation.
    Check(DbArgs),
    /// Pre-registration draws.
    Lottery {
        #[command(subcommand)]
        command: LotteryCommand,
    },
    /// Manage platform administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Import an Excel file into a school, with the checks of the web page.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// students, staff, classes or rooms.
        kind: String,
        /// The .xlsx file (download the template from the import page).
        file: PathBuf,
        /// The id of the school.
        #[arg(long)]
        school: i64,
        /// Import the good rows and report the bad ones (default: all or nothing).
        #[arg(long)]
        good_rows: bool,
        /// Write the rejected rows to this .xlsx file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Timetables: solve and check FET files.
    Schedule {
        #[command(subcommand)]
        command: schedule::ScheduleCommand,
    },
    /// Personal-data keys: make one, see which keys the data needs, rotate.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Back up the database, the uploaded files and a manifest into a new folder (the
    /// platform may keep serving). The keys are not in it: keep them apart.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The folder to create.
        out: PathBuf,
    },
    /// Restore a backup folder into an empty database, after checking its manifest, its
    /// digest and that the configured keys can read it.
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup folder.
        from: PathBuf,
    },
    /// A person's personal data, on their documented request: a copy, or erasure.
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// Apply the retention policy (the config file's [retention]) now; the job workers do it
    /// once a day by themselves.
    Retention(DbArgs),
    /// Write a generated roster (students with guardians) as a student import workbook,
    /// to try an import: class 1 of each grade, e.g. 一年级(1)班.
    SampleRoster {
        /// The .xlsx file to write.
        out: PathBuf,
        /// Number of students.
        #[arg(long, default_value_t = 60)]
        students: usize,
        /// Prefix of the student numbers (keep it apart from the school's own).
        #[arg(long, default_value = "S")]
        prefix: String,
        /// Another seed, other names, ID numbers and guardian phone numbers (1–30).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=30))]
        seed: u32,
    },
    /// Benchmarks (results go into docs/BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum LotteryCommand {
    /// Recompute a term's draw from its published seed and inputs, and compare it with the
    /// published result and the enrollments made; exits non-zero on a difference.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// The id of the term.
        #[arg(long)]
        term: i64,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print a new random key (32 hex characters) and its id.
    Generate,
    /// Which keys the stored personal data needs, and how much each encrypted.
    Status(DbArgs),
    /// Re-encrypt every value not under the current key (personal_data_key) and recompute
    /// its blind index; the previous keys must be configured too (previous_data_keys). The
    /// platform keeps serving; an interrupted run is finished by running it again.
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
}

/// Whose data, and on which documented request.
#[derive(clap::Args)]
struct PersonRequest {
    #[arg(long)]
    phone: String,
    /// The request's reference (ticket number, letter): recorded in the audit trail.
    #[arg(long)]
    request: String,
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Write everything the platform holds about the account with this phone number to a
    /// JSON file, for that person.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        person: PersonRequest,
        /// The JSON file to write (only its owner may read it).
        out: PathBuf,
    },
    /// Erase the personal data of the account with this phone number; money records stay
    /// with the person's name gone.
    Erase {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        person: PersonRequest,
        /// Confirm: erasure cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform administrator.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://path or postgres://user:pass@host/db.
    #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
    database_url: Option<String>,
    /// A TOML file with database_url, bind, personal_data_key, secure_cookies, trusted_proxies.
    #[arg(long, env = "KEHOU_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "KEHOU_BIND")]
    bind: Option<String>,
}

/// The optional config file; flags and environment variables take precedence.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    /// The SM4 key for personal data, 32 hex characters (or env `KEHOU_DATA_KEY`).
    personal_data_key: Option<kehou_domain::Secret>,
    /// During a key rotation: the keys used before, still read until `kehou key rotate`
    /// has re-encrypted everything (or env `KEHOU_PREVIOUS_DATA_KEYS`, comma-separated).
    #[serde(default)]
    previous_data_keys: Vec<kehou_domain::Secret>,
    /// Mark cookies `Secure`. Default: yes, unless the server listens on a loopback
    /// address only (plain-http local use).
    secure_cookies: Option<bool>,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
    #[serde(default)]
    trusted_proxies: Vec<String>,
    /// Who may read `/metrics` (addresses or CIDR ranges of the Prometheus servers, judged
    /// by the connection, not by a forwarded header). Default: this machine only.
    metrics_from: Option<Vec<String>>,
    /// Before `trusted_proxies`: `true` meant a proxy on this machine. Still read, so that
    /// an old config file keeps working; it trusts loopback only.
    #[serde(default)]
    trust_proxy: bool,
    /// How long each kind of data is kept, in days (defaults in docs/DEPLOY.md).
    #[serde(default)]
    retention: kehou_service::platform::retention::Policy,
    /// Where uploaded files are kept (env `KEHOU_FILES_DIR`). Default: a folder `files`
    /// beside the SQLite database; with PostgreSQL it has to be configured (a folder every
    /// server instance shares).
    files_dir: Option<PathBuf>,
}

impl DbArgs {
    fn file(&self) -> Result<FileConfig> {
        match &self.config {
            None => Ok(FileConfig::default()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                let file: FileConfig = toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", path.display()))?;
                file.retention
                    .check()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                Ok(file)
            }
        }
    }

    fn url(&self, file: &FileConfig) -> String {
        self.database_url
            .clone()
            .or_else(|| file.database_url.clone())
            .unwrap_or_else(|| DEFAULT_DB.into())
    }

    async fn app(&self) -> Result<(App, FileConfig)> {
        let file = self.file()?;
        let url = self.url(&file);
        let db = kehou_store::connect(&url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact(&url)))?;
        let vault = vault(&file, &url, Some(&db)).await?;
        let mut app = App::with_database(db, Arc::new(SystemClock), Arc::new(vault))
            .await
            .map_err(describe)?;
        app.files = Arc::new(LocalFolder::new(files_dir(&file, &url)?));
        app.retention = file.retention;
        Ok((app, file))
    }
}

/// The folder of uploaded files: env `KEHOU_FILES_DIR`, the config file, or `files` beside
/// a SQLite database.
fn files_dir(file: &FileConfig, url: &str) -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("KEHOU_FILES_DIR")
        && !dir.trim().is_empty()
    {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = &file.files_dir {
        return Ok(dir.clone());
    }
    match kehou_store::sqlite_path(url) {
        Some(db_path) => Ok(std::path::Path::new(db_path).with_file_name("files")),
        None => bail!(
            "no folder for uploaded files: set KEHOU_FILES_DIR or files_dir in the config file"
        ),
    }
}

const DATA_KEY_FILE: &str = "kehou.key";

/// The personal-data vault: the current key and, during a rotation, the previous ones.
/// With `db`, a SQLite installation without a key gets one generated; without (a restore),
/// the key has to be there already.
async fn vault(
    file: &FileConfig,
    url: &str,
    db: Option<&kehou_service::DatabaseConnection>,
) -> Result<Vault> {
    let previous: Vec<String> = match std::env::var("KEHOU_PREVIOUS_DATA_KEYS") {
        Ok(keys) if !keys.trim().is_empty() => keys
            .split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect(),
        _ => file
            .previous_data_keys
            .iter()
            .map(|k| k.expose().to_string())
            .collect(),
    };
    let previous: Vec<&str> = previous.iter().map(String::as_str).collect();
    let current = match (configured_key(file, url)?, db) {
        (Some(key), _) => key,
        (None, Some(db)) => new_key_file(url, db).await?,
        (None, None) => bail!(
            "no personal data key: set KEHOU_DATA_KEY or personal_data_key in the config file to the key of the data (for SQLite, or put its {DATA_KEY_FILE} beside the database)"
        ),
    };
    Vault::with_keys(&current, &previous)
        .map_err(describe)
        .context("personal_data_key / previous_data_keys")
}

/// The personal-data key configured: env `KEHOU_DATA_KEY`, the config file, or, for a
/// SQLite database, the key file beside it. Several servers sharing a PostgreSQL database
/// must share one key, so there it has to be configured.
fn configured_key(file: &FileConfig, url: &str) -> Result<Option<String>> {
    if let Ok(key) = std::env::var("KEHOU_DATA_KEY")
        && !key.trim().is_empty()
    {
        return Ok(Some(key));
    }
    if let Some(key) = &file.personal_data_key {
        return Ok(Some(key.expose().to_string()));
    }
    let Some(db_path) = kehou_store::sqlite_path(url) else {
        bail!(
            "no personal data key: set KEHOU_DATA_KEY or personal_data_key in the config file (32 hex characters; `kehou key generate` makes one)"
        );
    };
    let path = std::path::Path::new(db_path).with_file_name(DATA_KEY_FILE);
    if !path.exists() {
        return Ok(None);
    }
    std::fs::read_to_string(&path)
        .map(Some)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// A key file beside a SQLite database, made on first use; never for a database that
/// already holds encrypted data: that would hide the loss of its key.
async fn new_key_file(url: &str, db: &kehou_service::DatabaseConnection) -> Result<String> {
    let db_path = kehou_store::sqlite_path(url).context("no SQLite path")?;
    let path = std::path::Path::new(db_path).with_file_name(DATA_KEY_FILE);
    let usage = kehou_service::platform::keys::usage(db)
        .await
        .map_err(describe)?;
    if usage.first_form > 0 || !usage.by_key.is_empty() {
        bail!(
            "{} is missing, but the database holds personal data encrypted with key(s) {}: put the key file back (from where the backup's key is kept) or set KEHOU_DATA_KEY; a new key cannot read the data",
            path.display(),
            usage.by_key.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let key = Vault::generate_key();
    write_secret(&path, &key)?;
    println!(
        "已生成个人信息加密密钥 / personal data key created: {} (keep a copy apart from the backups)",
        path.display()
    );
    Ok(key)
}

/// Writes a file only its owner may read.
fn write_secret(path: &std::path::Path, content: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

/// Hides the password of a database URL in messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line for people, whatever RUST_BACKTRACE says.
            eprintln!("错误 / error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEHOU_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm_migration=warn".into());
    // One JSON object per line for log collectors (KEHOU_LOG_FORMAT=json), text otherwise.
    match std::env::var("KEHOU_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
        Ok("text") | Err(_) => tracing_subscriber::fmt().with_env_filter(filter).init(),
        Ok(other) => {
            tracing_subscriber::fmt().with_env_filter(filter).init();
            tracing::warn!(
                format = other,
                "KEHOU_LOG_FORMAT is json or text; using text"
            );
        }
    }
    match Cli::parse().command {
        Command::Serve(args) => {
            let (app, file) = args.db.app().await?;
            serve(app, &args, file, false).await
        }
        Command::Demo {
            serve: args,
            load_only,
        } => {
            let (app, file) = args.db.app().await?;
            let created = kehou_service::system::demo::load(&app).await?;
            println!(
                "演示数据已就绪（本次新增 {created} 条记录）/ demo data loaded ({created} rows created)"
            );
            if load_only {
                print_accounts();
                return Ok(());
            }
            serve(app, &args, file, true).await
        }
        Command::Migrate(db) => {
            let file = db.file()?;
            let url = db.url(&file);
            kehou_store::connect(&url)
                .await
                .map_err(|e| anyhow::anyhow!("migration failed on {}: {e}", redact(&url)))?;
            println!("数据库已是最新 / database is up to date: {}", redact(&url));
            Ok(())
        }
        Command::Lottery {
            command: LotteryCommand::Verify { db, term },
        } => {
            let file = db.file()?;
            let url = db.url(&file);
            let conn = kehou_store::connect(&url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", redact(&url)))?;
            let v = kehou_service::enrollment::lottery::verify(&conn, term).await?;
            println!(
                "学期 {}：种子 {}，{} 组志愿，录取 {} 组",
                v.term_id, v.seed, v.applications, v.won
            );
            if v.differences.is_empty() {
                println!("核验通过：按公布的种子和输入重算，结果与公布的一致 / same result");
                return Ok(());
            }
            for d in &v.differences {
                println!("不一致：{d}");
            }
            anyhow::bail!(
                "{} 处不一致 / {} differences",
                v.differences.len(),
                v.differences.len()
            )
        }
        Command::Check(db) => {
            let file = db.file()?;
            let url = db.url(&file);
            let conn = kehou_store::connect(&url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", redact(&url)))?;
            let mut found = kehou_service::enrollment::check::run(&conn).await?;
            found.extend(kehou_service::billing::check::run(&conn).await?);
            if found.is_empty() {
                println!("检查通过：报名与收费数据没有违反任何规则 / no violations");
                return Ok(());
            }
            for v in &found {
                println!("[{}] {}", v.rule, v.detail);
            }
            anyhow::bail!("发现 {} 处违规 / {} violations", found.len(), found.len())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    db,
                    phone,
                    name,
                    password_stdin,
                },
        } => {
            let password = read_password(password_stdin)?;
            let (app, _) = db.app().await?;
            let id = kehou_service::identity::account::create_platform_admin(
                &app, &phone, &name, &password,
            )
            .await
            .map_err(describe)?;
            println!("已创建平台管理员 / platform admin created: id {id}, phone {phone}");
            Ok(())
        }
        Command::Import {
            db,
            kind,
            file,
            school,
            good_rows,
            report,
        } => {
            use kehou_service::import::{Kind, Mode};
            let kind = Kind::parse(&kind).with_context(|| {
                format!("unknown kind {kind}: students, staff, classes or rooms")
            })?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let (app, _) = db.app().await?;
            let mode = if good_rows {
                Mode::GoodRows
            } else {
                Mode::AllOrNothing
            };
            let started = std::time::Instant::now();
            let outcome = import_file(&app, kind, school, bytes, mode).await?;
            println!(
                "{} 行：新增 {}，更新 {}，跳过 {}，错误 {} 处（{:.1} 秒）/ rows {}: created {}, updated {}, skipped {}, errors {}",
                outcome.rows,
                outcome.created,
                outcome.updated,
                outcome.skipped,
                outcome.errors.len(),
                started.elapsed().as_secs_f64(),
                outcome.rows,
                outcome.created,
                outcome.updated,
                outcome.skipped,
                outcome.errors.len()
            );
            for e in outcome.errors.iter().take(20) {
                println!("  第{}行 {}：{}", e.row, e.column, e.reason);
            }
            if outcome.errors.len() > 20 {
                println!("  ……共 {} 处", outcome.errors.len());
            }
            if let Some(path) = report
                && !outcome.errors.is_empty()
            {
                std::fs::write(&path, outcome.report().map_err(describe)?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("错误报告 / report: {}", path.display());
            }
            if !outcome.committed {
                bail!("nothing was imported");
            }
            Ok(())
        }
        Command::Key { command } => key_command(command).await,
        Command::Privacy { command } => privacy_command(command).await,
        Command::Retention(db) => {
            let (app, _) = db.app().await?;
            let done = kehou_service::platform::retention::apply(&app)
                .await
                .map_err(describe)?;
            println!(
                "已按保存期限清理 / retention applied: 审计记录 audit events {}，消息 messages {}，已结束的任务 finished jobs {}，巡课照片 patrol photos {}，离校学生 departed students {}",
                done.audit_events,
                done.messages,
                done.finished_jobs,
                done.patrol_photos,
                done.departed_students
            );
            Ok(())
        }
        Command::Backup { db, out } => {
            let (app, file) = db.app().await?;
            let url = db.url(&file);
            let files = files_dir(&file, &url).ok();
            let m = kehou_service::system::backup::backup(&app, &url, files.as_deref(), &out)
                .await
                .map_err(describe)?;
            println!(
                "已备份 / backed up: {} — {} 张表 {} 行，{} 个文件，数据库结构 {}，安装 {}",
                out.display(),
                m.rows.len(),
                m.rows.values().sum::<u64>(),
                m.files,
                m.schema,
                m.installation_id
            );
            println!(
                "个人信息所需密钥 / keys the data needs: {}（备份中没有密钥，请另行保管 / the keys are not in the backup）",
                m.key_ids.join(", ")
            );
            Ok(())
        }
        Command::Restore { db, from } => {
            let file = db.file()?;
            let url = db.url(&file);
            let vault = vault(&file, &url, None).await?;
            let files = files_dir(&file, &url).ok();
            let m = kehou_service::system::backup::restore(&url, &vault, files.as_deref(), &from)
                .await
                .map_err(describe)?;
            println!(
                "已恢复 / restored into {}: {} 张表 {} 行（与清单一致），{} 个文件；备份于 {}，来自安装 {}",
                redact(&url),
                m.rows.len(),
                m.rows.values().sum::<u64>(),
                m.files,
                m.created_at
                    .with_timezone(&kehou_service::platform::clock::china())
                    .format("%Y-%m-%d %H:%M"),
                m.installation_id
            );
            Ok(())
        }
        Command::SampleRoster {
            out,
            students,
            prefix,
            seed,
        } => {
            let bytes = bench::roster_workbook(students, &prefix, seed)?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{} 名学生 / students: {}", students, out.display());
            Ok(())
        }
        Command::Bench { command } => bench::run(command).await,
        Command::Schedule { command } => schedule::run(command),
    }
}

async fn privacy_command(command: PrivacyCommand) -> Result<()> {
    use kehou_service::system::privacy;
    match command {
        PrivacyCommand::Export { db, person, out } => {
            let (app, _) = db.app().await?;
            let data = privacy::export(&app, &person.phone, &person.request)
                .await
                .map_err(describe)?;
            let text = serde_json::to_string_pretty(&data)?;
            write_secret(&out, &text)?;
            println!(
                "已导出个人信息 / personal data exported: {}（已记入审计 / audited）",
                out.display()
            );
            Ok(())
        }
        PrivacyCommand::Erase { db, person, yes } => {
            if !yes {
                bail!(
                    "erasure cannot be undone: add --yes to erase the personal data of {}",
                    person.phone
                );
            }
            let (app, _) = db.app().await?;
            let done = privacy::erase(&app, &person.phone, &person.request)
                .await
                .map_err(describe)?;
            println!(
                "已删除个人信息 / personal data erased: account {}, memberships {}, children links {}, messages {}, sessions {}; orders and payments kept",
                done.user_id, done.memberships, done.children_links, done.messages, done.sessions
            );
            Ok(())
        }
    }
}

async fn key_command(command: KeyCommand) -> Result<()> {
    use kehou_service::platform::keys;
    match command {
        KeyCommand::Generate => {
            let key = Vault::generate_key();
            println!("{key}");
            eprintln!(
                "密钥编号 / key id: {}（密钥只显示这一次，请妥善保管 / shown once: keep it safe）",
                Vault::key_id(&key).map_err(describe)?
            );
            Ok(())
        }
        KeyCommand::Status(db) => {
            let (app, _) = db.app().await?;
            let usage = keys::usage(&app.db).await.map_err(describe)?;
            let current = app.vault.current_key_id();
            println!("当前密钥 / current key: {current}");
            for (id, n) in &usage.by_key {
                let mark = if id == current { "（当前）" } else { "" };
                println!("  {id}{mark}: {n}");
            }
            if usage.first_form > 0 {
                println!("  无编号的旧格式 / first form: {}", usage.first_form);
            }
            println!("待轮换 / left to rotate: {}", usage.left(current));
            Ok(())
        }
        KeyCommand::Rotate { db, batch } => {
            if batch == 0 {
                bail!("--batch must be at least 1");
            }
            let (app, _) = db.app().await?;
            let current = app.vault.current_key_id().to_string();
            let before = keys::usage(&app.db).await.map_err(describe)?;
            println!(
                "轮换到密钥 {current}：待重新加密 {} 项 / rotating to key {current}: {} values to rewrite",
                before.left(&current),
                before.left(&current)
            );
            let done = keys::rotate(&app, batch, |table, n| {
                eprintln!("  {table}: {n}");
                true
            })
            .await
            .map_err(describe)?;
            let left = done.after.left(&current);
            if left > 0 {
                bail!(
                    "{left} values are still under other keys (written meanwhile by an instance without the new key?): run the rotation again"
                );
            }
            println!(
                "轮换完成：重新加密 {} 项，个人信息全部由密钥 {current} 加密；现在可从 previous_data_keys 删除旧密钥并逐台重启 / done: {} rewritten; remove the old keys from previous_data_keys",
                done.rewritten, done.rewritten
            );
            Ok(())
        }
    }
}

/// Runs an import in the foreground, drawing a progress bar on standard error.
async fn import_file(
    app: &App,
    kind: kehou_service::import::Kind,
    school: i64,
    bytes: Vec<u8>,
    mode: kehou_service::import::Mode,
) -> Result<kehou_service::import::Outcome> {
    let progress = Arc::new(kehou_service::import::Progress::default());
    let bar = tokio::spawn(draw_progress(progress.clone()));
    let outcome =
        kehou_service::system::import_file(app, kind, school, bytes, mode, &progress).await;
    bar.abort();
    eprintln!();
    outcome.map_err(describe)
}

/// Redraws `stage [#####     ] done/total` every 200 ms until aborted; into a log (not a
/// terminal) it writes one line per stage instead.
async fn draw_progress(progress: Arc<kehou_service::import::Progress>) {
    use std::io::Write;
    let terminal = std::io::stderr().is_terminal();
    let mut last_stage = "";
    loop {
        let (stage, done, total) = progress.snapshot();
        if !terminal {
            if stage != last_stage && !stage.is_empty() {
                eprintln!("{stage}…");
                last_stage = stage;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        }
        let filled = (done * 30).checked_div(total).unwrap_or(0).min(30) as usize;
        eprint!(
            "\r{stage} [{}{}] {done}/{total}   ",
            "#".repeat(filled),
            " ".repeat(30 - filled)
        );
        let _ = std::io::stderr().flush();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

fn describe(e: kehou_service::Error) -> anyhow::Error {
    match e {
        kehou_service::Error::Invalid(fields) => {
            anyhow::anyhow!(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
        // The operator reads the message itself, not "internal error".
        kehou_service::Error::Internal(message) => anyhow::anyhow!(message),
        other => anyhow::anyhow!(other.to_string()),
    }
}

fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(line);
    }
    let first = rpassword::prompt_password("密码 / password: ")?;
    let second = rpassword::prompt_password("再次输入 / again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

fn print_accounts() {
    println!("\n演示账号（密码均为 {DEMO_PASSWORD}）/ demo accounts (password {DEMO_PASSWORD}):");
    for a in DEMO_ACCOUNTS {
        let roles: Vec<String> = a
            .memberships
            .iter()
            .map(|(org, role)| {
                let name = kehou_domain::role::preset(role)
                    .map(|r| r.name)
                    .unwrap_or(role);
                format!("{org}·{name}")
            })
            .collect();
        println!("  {}  {:<4}  {}", a.phone, a.name, roles.join("，"));
    }
    println!(
        "生成的教职工和家长账号密码也是 {DEMO_PASSWORD} / generated staff and guardians use it too."
    );
    println!(
        "验证码登录：短信沙箱不真正发送，验证码打印在本日志中 / SMS login: the sandbox prints codes in this log."
    );
    println!(
        "科室：石岐街道设有基础教育科、综合办公室、民办教育科、课程审批科，干事陈红在这些科室内工作；领导李明可在“组织机构 → 石岐街道”调整 / bureau departments: the officer works inside the departments of 石岐街道."
    );
    println!(
        "机构入驻：任何人可在 /register/institution 申请；示例科创教育中心的申请待陈红审核 / institutions apply at /register/institution; one application waits for the street officer."
    );
    println!(
        "课程与开课：各校本学期开课计划已审批公示（开课计划 / 开课公示）；机构课程和教师由专家高远在“课程库”评审入库；陈红在“开课审批”审批学校提交的开课计划 / courses: each school's offering of this term is approved and published; the expert reviewer admits library entries; the street officer approves offerings."
    );
    println!(
        "教学班与课表：各校本学期的教学班已排好课（教学班排课 → 排课，可拖动调整、自动排课）；赵敏、郑丽在“我的课表”看自己的课，家长周杰看孩子的课并可订阅到手机日历；机构教师何雅琴在两所小学不同日上课 / teaching: each school's classes are scheduled (drag to move, run the solver); teachers and the parent see their own timetables and can subscribe to an .ics feed."
    );
    println!(
        "报名选课：示例第一小学本学期正在报名；家长周杰在“报名选课”（手机页面）看课程图片、为孩子选课，免费的合唱班已报名（可申请退课），篮球班订单待支付，钢琴启蒙班已满并有候补；刘芳在“报名管理”设置时段、规则、须知，审核退课申请和调课、调班申请（已有一位家长申请从钢琴启蒙班调课，同意后原课程应退款先抵扣新课程费用，多退少补），下载签署确认书（PDF），分班；郑丽在“本班报名”查看本班；示例第二小学少儿国画班已完成志愿抽签（kehou lottery verify 可核验）/ enrollment: the parent selects on a phone page; one free enrollment confirmed, one order awaits payment, one class is full with a waitlist; the school reviews drop requests and course changes (one waits: the old course's refund pays the new one) and downloads signed confirmations as PDF; school 2 published a pre-registration draw."
    );
    println!(
        "缴费与退费：支付通道为内置沙箱（模拟微信支付，不产生真实扣款）；周杰点“去支付”在沙箱收银台确认支付，得到电子票据（网页和 PDF），在退课时间内申请退课可先看到按课时计算的退费明细，刘芳同意后款项原路退回；刘芳在“收费管理”查看订单和收费统计、导出 Excel、一键催缴、减免（已有一笔困难家庭减免）、延期、退款，按课程设置缴费方式（整学期、按月、按实际课时）和退费规则，查看对账（今日已平，昨日有一笔差异待处理）；领导李明在“收费管理”看辖区各校的应收、实收、退费和减免/ money: the sandbox channel (WeChat-Pay-like, no real money); the parent pays at the sandbox cashier and gets a receipt, sees the refund computed before dropping; the school lists orders, reminds, waives (one waiver), extends, refunds, sets each course's pay mode (term, monthly, per lesson held) and refund rule, and reconciles (one difference waits); the city leader sees every school's money and relief."
    );
    println!(
        "签到点名：示例第一小学已设置签到电子围栏（半径 300 米）；赵敏在“签到点名”（手机页面）用定位签到、点名（一键全部到课），近一周的课已签到和点名（一次迟到，一次在校外被拒后补打卡已批准）；家长周杰在“孩子考勤”看周俊的出勤（页面打开时点名结果即时更新）、请假（一次病假已由班主任郑丽批准，一次事假待审批）；刘芳在“考勤管理”看当天各课签到与点名、审批补打卡和请假、设置围栏 / attendance: the school's fence is set; the teacher checks in by location and calls the roll on a phone page, the past week is checked in (one late, one refused outside the fence and made up); the parent sees the child's attendance live and asks leave (one approved by the head teacher, one waiting); the school sees each lesson's check-ins and rolls and decides requests."
    );
    println!(
        "巡课：孙伟（巡课教师）在“巡课”（手机页面）看当天全校课数、已开课、已巡课，每节课的教师签到和学生点名，为课堂和教师评分、写意见、拍照；刘芳在“巡课管理”给巡课教师布置任务（已有一项：工作日每天两节），看任务完成情况、巡课记录和教师评分并导出 Excel；赵敏下周的一节课已与同事对调（调课已批准，课表标注“调课”）；郑丽下周的请假待刘芳在“考勤管理”批准并指定代课教师；“课时统计”按日/周/月、课程、托管/素质、校内/校外统计教师和学生课时，家长在“孩子考勤”看孩子的课时，机构在“教师课时”看本机构教师在各校的课时；“症状日报”按班级、学校、街道、区、市汇总当天病假症状 / patrol: the patrol teacher sees today's lessons (total, started, patrolled) with check-ins and rolls, scores lessons and teachers with notes and photos; the school gives tasks, reads completion, records and scores and exports them; one approved swap shows on the timetables; a teacher's leave waits for the school to name a substitute; lesson hours by day, week, month, course, kind and provider for teachers, students, parents and institutions; the daily sick-leave symptom report rolls up class, school, street, district and city."
    );
    println!(
        "运维：平台管理员在“系统运行”查看本实例状态、个人信息密钥编号、保存期限、最近的备份和后台任务；/healthz、/readyz 和 /metrics（Prometheus）供运维监控；kehou backup 备份、kehou key rotate 轮换密钥、kehou privacy export/erase 处理个人信息申请，部署见 docs/DEPLOY.md / operations: the platform admin's 系统运行 page; /healthz, /readyz, /metrics; kehou backup, key rotate, privacy export/erase; docs/DEPLOY.md."
    );
}

async fn serve(app: App, args: &ServeArgs, file: FileConfig, demo: bool) -> Result<()> {
    let bind = args
        .bind
        .clone()
        .or(file.bind)
        .unwrap_or_else(|| DEFAULT_BIND.into());
    let addr: SocketAddr = bind
        .parse()
        .with_context(|| format!("invalid bind address {bind}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let mut proxies = file.trusted_proxies.clone();
    if file.trust_proxy && proxies.is_empty() {
        eprintln!(
            "trust_proxy 已不再使用：只信任本机代理（127.0.0.1、::1）；请改用 trusted_proxies"
        );
        proxies = vec!["127.0.0.1".into(), "::1".into()];
    }
    let trusted_proxies = kehou_web::http::proxy::TrustedProxies::parse(&proxies)
        .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
    let metrics_from = file
        .metrics_from
        .clone()
        .unwrap_or_else(|| vec!["127.0.0.1".into(), "::1".into()]);
    let metrics_from = kehou_web::http::proxy::TrustedProxies::parse(&metrics_from)
        .map_err(|e| anyhow::anyhow!("metrics_from: {e}"))?;
    let config = WebConfig {
        secure_cookies: file.secure_cookies.unwrap_or(!local.ip().is_loopback()),
        trusted_proxies,
        metrics_from: Some(metrics_from),
    };
    // This instance's share of the background work (imports, later reminders and reports).
    kehou_service::system::worker::spawn(app.clone());
    let router = kehou_web::router(app, config);
    let shown = if local.ip().is_unspecified() {
        format!("127.0.0.1:{}", local.port())
    } else {
        local.to_string()
    };
    println!("kehou 已启动 / listening: http://{shown}/login");
    if demo {
        print_accounts();
    }
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn time_limits_must_be_positive_numbers() {
        let parse = |args: &[&str]| super::Cli::try_parse_from(args).map(|_| ());
        let solve = ["kehou", "schedule", "solve", "x.fet"];
        assert!(parse(&[&solve[..], &["--seconds", "2.5"]].concat()).is_ok());
        for bad in [
            "--seconds=-1",
            "--seconds=0",
            "--seconds=abc",
            "--seconds=inf",
        ] {
            let err = parse(&[&solve[..], &[bad]].concat())
                .expect_err(bad)
                .to_string();
            assert!(err.contains("seconds"), "{bad}: {err}");
        }
        assert!(parse(&["kehou", "bench", "fet", "--polish", "0"]).is_ok());
        assert!(parse(&["kehou", "bench", "fet", "--polish=-2"]).is_err());
        assert!(parse(&["kehou", "bench", "schedule", "--seconds", "0"]).is_err());
        assert!(parse(&["kehou", "bench", "keys", "--batch", "0"]).is_err());
        assert!(
            parse(&[
                "kehou",
                "bench",
                "keys",
                "--students",
                "1000",
                "--batch",
                "500"
            ])
            .is_ok()
        );
    }

    /// A SQLite installation whose key file went missing: refused with a message that says
    /// so, and no new key is written over the loss.
    #[tokio::test]
    async fn p4_a_lost_key_file_is_not_replaced() {
        let dir = std::env::temp_dir().join(format!("kehou-keytest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}", dir.join("kehou.db").display());
        let file = super::FileConfig::default();
        // First start: the key file is made.
        let db = kehou_store::connect(&url).await.expect("db");
        let vault = super::vault(&file, &url, Some(&db)).await.expect("vault");
        let key_path = dir.join(super::DATA_KEY_FILE);
        assert!(key_path.exists());
        let app = kehou_service::App::with_database(
            db.clone(),
            std::sync::Arc::new(kehou_service::SystemClock),
            std::sync::Arc::new(vault),
        )
        .await
        .expect("app");
        kehou_service::identity::account::create_platform_admin(
            &app,
            "13800000001",
            "管理员",
            "Demo@2026x",
        )
        .await
        .expect("admin");
        // The key file is lost: no new one, a clear refusal.
        std::fs::remove_file(&key_path).expect("remove");
        let err = super::vault(&file, &url, Some(&db))
            .await
            .expect_err("refused")
            .to_string();
        assert!(err.contains("kehou.key is missing"), "{err}");
        assert!(!key_path.exists(), "no key written over the loss");
        // A restore has no database to make a key for: the key must be configured.
        let err = super::vault(&file, &url, None)
            .await
            .expect_err("refused")
            .to_string();
        assert!(err.contains("no personal data key"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://kehou:secret@db:5432/kehou"),
            "postgres://kehou:***@db:5432/kehou"
        );
        assert_eq!(
            super::redact("sqlite://data/kehou.db"),
            "sqlite://data/kehou.db"
        );
    }
}
