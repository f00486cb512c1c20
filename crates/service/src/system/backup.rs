//! Backup and restore (P4): a backup is a folder with the database (SQLite: an online copy
//! made while the platform serves; PostgreSQL: `pg_dump` of one consistent snapshot), the
//! uploaded files, and `manifest.json`, which names the installation, the schema, the ids
//! of the keys the personal data needs, the row count of every table and the SM3 digest of
//! the database file. A restore checks all of it before it writes anything and refuses a
//! database that is not empty. The keys themselves are never in a backup: without them its
//! ID and phone numbers cannot be read, so they are kept apart, as `docs/DEPLOY.md` says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use kehou_store::sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, IsolationLevel, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};

use crate::platform::vault::Vault;
use crate::{App, Error, Result};

pub const FORMAT: &str = "kehou-backup-1";
pub const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";
const FILES: &str = "files";
/// A manifest is a few kilobytes; anything much larger is not one of ours.
const MANIFEST_LIMIT: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub kehou_version: String,
    pub created_at: DateTime<Utc>,
    /// `sqlite` or `postgres`.
    pub engine: String,
    pub installation_id: String,
    /// The last migration applied.
    pub schema: String,
    /// The keys the personal data in the backup needs (ids only, never the keys).
    pub key_ids: Vec<String>,
    pub database_file: String,
    pub database_sm3: String,
    /// Rows of every table.
    pub rows: BTreeMap<String, u64>,
    /// Uploaded files copied.
    pub files: u64,
}

fn engine_of(url: &str) -> Result<&'static str> {
    if url.starts_with("sqlite:") {
        Ok("sqlite")
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok("postgres")
    } else {
        Err(Error::Internal(format!("不支持的数据库地址：{url}")))
    }
}

fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Internal(format!("{what}：{e}"))
}

/// Every table of the database and its rows, as one snapshot sees them.
async fn count_rows(db: &impl ConnectionTrait) -> Result<BTreeMap<String, u64>> {
    let backend = db.get_database_backend();
    let list = match backend {
        DatabaseBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
    };
    let mut out = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, list))
        .await?
    {
        let name: String = row.try_get("", "name")?;
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let n = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {quoted}"),
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        out.insert(name, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

/// The last migration applied to a database, if any.
async fn schema_of(db: &impl ConnectionTrait) -> Result<Option<String>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        ))
        .await;
    match row {
        Ok(row) => Ok(row
            .map(|r| r.try_get::<String>("", "version"))
            .transpose()?),
        // No migration table: an empty database.
        Err(_) => Ok(None),
    }
}

fn sm3_of(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(io(path.display()))?;
    let mut hasher = Sm3::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io(path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Copies a folder tree, leaving files that already exist alone; returns files copied.
fn copy_tree(from: &Path, to: &Path) -> Result<u64> {
    let mut copied = 0;
    std::fs::create_dir_all(to).map_err(io(to.display()))?;
    for entry in std::fs::read_dir(from).map_err(io(from.display()))? {
        let entry = entry.map_err(io(from.display()))?;
        let kind = entry.file_type().map_err(io(entry.path().display()))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copied += copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() && !target.exists() {
            std::fs::copy(entry.path(), &target).map_err(io(target.display()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// PostgreSQL's command-line tools: `KEHOU_PG_BIN`, else the `PATH`, else the newest
/// version installed under `/usr/lib/postgresql` (Debian).
fn pg_tool(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("KEHOU_PG_BIN")
        && !dir.is_empty()
    {
        return Path::new(&dir).join(name);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if on_path {
        return PathBuf::from(name);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join(name))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|p| p.is_file());
    versions.sort_by_key(|p| {
        p.components()
            .nth(4)
            .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// A PostgreSQL URL without its password, and the password (given to the tools through
/// the environment, not the command line, which other users of the machine can read).
fn split_password(url: &str) -> (String, Option<String>) {
    if let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@'))
        && at > scheme
    {
        let userinfo = &url[scheme + 3..at];
        if let Some((user, password)) = userinfo.split_once(':') {
            return (
                format!("{}{}{}", &url[..scheme + 3], user, &url[at..]),
                Some(password.to_string()),
            );
        }
    }
    (url.to_string(), None)
}

async fn run_pg_tool(name: &str, url: &str, args: &[&str]) -> Result<()> {
    let (url, password) = split_password(url);
    let mut cmd = tokio::process::Command::new(pg_tool(name));
    cmd.args(args).arg("--dbname").arg(&url);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().await.map_err(|e| {
        Error::Internal(format!(
            "无法运行 {name}（安装 postgresql-client 或设置 KEHOU_PG_BIN）：{e}"
        ))
    })?;
    if !out.status.success() {
        return Err(Error::Internal(format!(
            "{name} 失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Backs up the database of `app` (at `url`) and the uploaded files into the new folder
/// `out`. The platform may keep serving meanwhile.
pub async fn backup(
    app: &App,
    url: &str,
    files_dir: Option<&Path>,
    out: &Path,
) -> Result<Manifest> {
    let engine = engine_of(url)?;
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(io(out.display()))?
            .next()
            .is_some()
    {
        return Err(Error::Internal(format!(
            "{} 已存在且不是空目录：备份不覆盖已有文件 / not an empty folder",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(io(out.display()))?;
    restrict(out)?;
    // Rows and keys are read from the copy itself (a rotation may run meanwhile).
    let (database_file, rows, usage) = match engine {
        "sqlite" => {
            let file = out.join(SQLITE_FILE);
            let quoted = file.display().to_string().replace('\'', "''");
            // One read transaction: a consistent copy while others write.
            app.db
                .execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
                .await?;
            let copy = kehou_store::open(&format!("sqlite://{}", file.display())).await?;
            let rows = count_rows(&copy).await?;
            let usage = crate::platform::keys::usage(&copy).await?;
            copy.close().await?;
            (SQLITE_FILE, rows, usage)
        }
        _ => {
            // The rows are counted in the snapshot pg_dump reads.
            let txn = app
                .db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?;
            let snapshot: String = txn
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT pg_export_snapshot() AS s",
                ))
                .await?
                .ok_or_else(|| Error::Internal("pg_export_snapshot 无结果".into()))?
                .try_get("", "s")?;
            let rows = count_rows(&txn).await?;
            let usage = crate::platform::keys::usage(&txn).await?;
            let file = out.join(PG_FILE).display().to_string();
            let dumped = run_pg_tool(
                "pg_dump",
                url,
                &[
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    &format!("--snapshot={snapshot}"),
                    "--file",
                    &file,
                ],
            )
            .await;
            txn.commit().await?;
            dumped?;
            (PG_FILE, rows, usage)
        }
    };
    // The files after the database: every file a copied row names was written before its
    // row, so it is there unless deleted since (a replaced photo, the retention job).
    let files = match files_dir.filter(|d| d.is_dir()) {
        Some(dir) => copy_tree(dir, &out.join(FILES))?,
        None => 0,
    };
    let mut key_ids: Vec<String> = usage.by_key.keys().cloned().collect();
    if usage.first_form > 0 {
        // Values of the first form name no key: any key held may be the one.
        key_ids.extend(app.vault.key_ids().iter().map(|k| k.to_string()));
    }
    key_ids.sort();
    key_ids.dedup();
    let manifest = Manifest {
        format: FORMAT.into(),
        kehou_version: env!("CARGO_PKG_VERSION").into(),
        created_at: app.now(),
        engine: engine.into(),
        installation_id: crate::platform::installation::id(&app.db).await?,
        schema: schema_of(&app.db).await?.unwrap_or_default(),
        key_ids,
        database_file: database_file.into(),
        database_sm3: sm3_of(&out.join(database_file))?,
        rows,
        files,
    };
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::Internal(format!("清单无法写出：{e}")))?;
    std::fs::write(out.join(MANIFEST), text).map_err(io(MANIFEST))?;
    record(
        &app.db,
        app.now(),
        "system.backup",
        format!(
            "备份到 {}：{} 张表 {} 行，{} 个文件，数据库结构 {}，所需密钥 {}",
            out.display(),
            manifest.rows.len(),
            manifest.rows.values().sum::<u64>(),
            manifest.files,
            manifest.schema,
            manifest.key_ids.join("、")
        ),
    )
    .await?;
    Ok(manifest)
}

/// The operator's backup or restore in the audit trail.
async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    action: &'static str,
    summary: String,
) -> Result<()> {
    crate::platform::audit::record(
        db,
        now,
        &crate::platform::audit::By::system(),
        crate::platform::audit::Change {
            org_id: None,
            org_path: "/",
            action,
            entity_type: "platform",
            entity_id: None,
            summary,
        },
    )
    .await
}

/// Only the owner may read a backup: it holds every row of the platform.
fn restrict(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir.display()))
}

/// Reads and checks a backup's manifest: ours, complete, the database file intact.
pub fn read_manifest(from: &Path) -> Result<Manifest> {
    use std::io::Read;
    let path = from.join(MANIFEST);
    let not_ours = |why: String| {
        Error::Internal(format!(
            "{} 不是 kehou 备份（{why}）/ not a kehou backup",
            from.display()
        ))
    };
    let f = std::fs::File::open(&path).map_err(|e| not_ours(format!("没有 {MANIFEST}：{e}")))?;
    let mut text = Vec::new();
    f.take(MANIFEST_LIMIT + 1)
        .read_to_end(&mut text)
        .map_err(io(path.display()))?;
    if text.len() as u64 > MANIFEST_LIMIT {
        return Err(not_ours(format!("{MANIFEST} 过大")));
    }
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| not_ours(format!("{MANIFEST} 无法读取：{e}")))?;
    if manifest.format != FORMAT {
        return Err(not_ours(format!("格式 {}", manifest.format)));
    }
    if manifest.database_file != SQLITE_FILE && manifest.database_file != PG_FILE {
        return Err(not_ours(format!("数据库文件 {}", manifest.database_file)));
    }
    let file = from.join(&manifest.database_file);
    if sm3_of(&file)? != manifest.database_sm3 {
        return Err(Error::Internal(format!(
            "{} 与清单中的摘要不符：备份已损坏或被改动 / the database file does not match its manifest",
            file.display()
        )));
    }
    Ok(manifest)
}

/// Restores the backup in `from` into the empty database at `url` (and the uploaded files
/// into `files_dir`), with `vault` holding the keys the backup's data needs. Checks first:
/// the manifest and digest, the engine, the keys, the schema known to this version, an
/// empty target; then restores, compares every table's rows with the manifest, and
/// migrates forward.
pub async fn restore(
    url: &str,
    vault: &Vault,
    files_dir: Option<&Path>,
    from: &Path,
) -> Result<Manifest> {
    let manifest = read_manifest(from)?;
    let engine = engine_of(url)?;
    if manifest.engine != engine {
        return Err(Error::Internal(format!(
            "这是 {} 数据库的备份，不能恢复到 {engine} / the backup is of another database engine",
            manifest.engine
        )));
    }
    let held = vault.key_ids();
    let missing: Vec<&str> = manifest
        .key_ids
        .iter()
        .map(String::as_str)
        .filter(|k| !held.contains(k))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Internal(format!(
            "备份来自安装 {}，其个人信息由密钥 {} 加密，当前配置的密钥是 {}：没有该密钥，备份中的身份证号和手机号无法读取。请配置那套安装的密钥后再恢复 / the backup needs key(s) {} that are not configured",
            manifest.installation_id,
            missing.join("、"),
            held.join("、"),
            missing.join(", ")
        )));
    }
    let known = kehou_store::migration_names();
    if !manifest.schema.is_empty() && !known.contains(&manifest.schema) {
        return Err(Error::Internal(format!(
            "备份的数据库结构 {} 比本程序新（kehou {}）：请用相同或更新的版本恢复 / the backup is from a newer version",
            manifest.schema, manifest.kehou_version
        )));
    }
    let target = kehou_store::open(url).await?;
    let present = count_rows(&target).await?;
    if !present.is_empty() {
        let rows: u64 = present.values().sum();
        target.close().await?;
        return Err(Error::Internal(format!(
            "目标数据库不是空的（{} 张表，{rows} 行）：恢复只写入空数据库，请新建一个数据库或先删除它 / the target database is not empty",
            present.len()
        )));
    }
    let file = from.join(&manifest.database_file);
    match engine {
        "sqlite" => {
            target.close().await?;
            let path = kehou_store::sqlite_path(url)
                .ok_or_else(|| Error::Internal("SQLite 地址没有文件路径".into()))?;
            for leftover in ["", "-wal", "-shm"] {
                let p = format!("{path}{leftover}");
                if Path::new(&p).exists() {
                    std::fs::remove_file(&p).map_err(io(&p))?;
                }
            }
            std::fs::copy(&file, path).map_err(io(path))?;
        }
        _ => {
            target.close().await?;
            let file = file.display().to_string();
            run_pg_tool(
                "pg_restore",
                url,
                &["--no-owner", "--no-privileges", "--exit-on-error", &file],
            )
            .await?;
        }
    }
    let restored = kehou_store::open(url).await?;
    let rows = count_rows(&restored).await?;
    if rows != manifest.rows {
        let differ: Vec<String> = manifest
            .rows
            .iter()
            .filter(|(t, n)| rows.get(*t) != Some(n))
            .map(|(t, n)| format!("{t}: {n} → {}", rows.get(t).copied().unwrap_or(0)))
            .collect();
        restored.close().await?;
        return Err(Error::Internal(format!(
            "恢复后的行数与清单不符：{}",
            differ.join("；")
        )));
    }
    kehou_store::migrate(&restored).await?;
    crate::platform::keys::check(&restored, vault).await?;
    record(
        &restored,
        chrono::Utc::now(),
        "system.restore",
        format!(
            "从 {} 恢复：备份于 {}，来自安装 {}，{} 张表 {} 行",
            from.display(),
            manifest
                .created_at
                .with_timezone(&crate::platform::clock::china())
                .format("%Y-%m-%d %H:%M"),
            manifest.installation_id,
            manifest.rows.len(),
            manifest.rows.values().sum::<u64>()
        ),
    )
    .await?;
    restored.close().await?;
    if let Some(dir) = files_dir
        && from.join(FILES).is_dir()
    {
        copy_tree(&from.join(FILES), dir)?;
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_go_to_the_environment() {
        let (url, pw) = super::split_password("postgres://kehou:s3cr@t@db.local:5432/kehou");
        assert_eq!(url, "postgres://kehou@db.local:5432/kehou");
        assert_eq!(pw.as_deref(), Some("s3cr@t"));
        let (url, pw) = super::split_password("postgres://kehou@db.local/kehou");
        assert_eq!(url, "postgres://kehou@db.local/kehou");
        assert_eq!(pw, None);
    }
}
