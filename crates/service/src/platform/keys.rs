//! The keys of the personal-data vault (P4): which keys the stored data needs, the check at
//! start that the configured keys can read it, and the rotation that re-encrypts every
//! ciphertext (and recomputes every blind index) under the current key while the platform
//! keeps serving.

use std::collections::BTreeMap;

use kehou_store::sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use kehou_store::sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TryGetable};

use crate::platform::vault::{KEY_ID_LEN, PREFIX, Vault};
use crate::{App, Error, Result};

/// A column that holds ciphertexts, with the blind index kept beside it, if any.
pub struct Encrypted {
    pub table: &'static str,
    pub column: &'static str,
    pub index: Option<&'static str>,
}

/// Every encrypted column of the database. A new one must be added here, or rotation and
/// the start-up check would not know it.
pub const ENCRYPTED: [Encrypted; 5] = [
    Encrypted {
        table: "users",
        column: "phone_enc",
        // The entity calls it `phone_index`; the column kept its first name.
        index: Some("phone"),
    },
    Encrypted {
        table: "students",
        column: "id_no_enc",
        index: Some("id_no_index"),
    },
    Encrypted {
        table: "school_contacts",
        column: "phone_enc",
        index: Some("phone_index"),
    },
    Encrypted {
        table: "institution_teachers",
        column: "id_no_enc",
        index: Some("id_no_index"),
    },
    Encrypted {
        table: "receiving_accounts",
        column: "api_key",
        index: None,
    },
];

/// How many stored values each key encrypted; `first_form` counts values from before key
/// ids were recorded.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub by_key: BTreeMap<String, u64>,
    pub first_form: u64,
}

impl Usage {
    /// Values not under `current`: what a rotation still has to rewrite.
    pub fn left(&self, current: &str) -> u64 {
        self.first_form
            + self
                .by_key
                .iter()
                .filter(|(k, _)| k.as_str() != current)
                .map(|(_, n)| n)
                .sum::<u64>()
    }
}

fn get<T: TryGetable>(row: &kehou_store::sea_orm::QueryResult, col: &str) -> Result<T> {
    row.try_get::<T>("", col)
        .map_err(|e| Error::Internal(format!("读取 {col} 失败：{e}")))
}

/// Which keys the stored personal data needs, counted over every encrypted column.
pub async fn usage(db: &impl ConnectionTrait) -> Result<Usage> {
    let backend = db.get_database_backend();
    let mut usage = Usage::default();
    // The key id sits at a fixed place of the stored form: `sm4gcm2:` then 8 characters.
    let start = PREFIX.len() + 1;
    for e in &ENCRYPTED {
        let (t, c) = (e.table, e.column);
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT substr({c}, {start}, {KEY_ID_LEN}) AS k, COUNT(*) AS n FROM {t} \
                     WHERE {c} LIKE '{PREFIX}%' GROUP BY substr({c}, {start}, {KEY_ID_LEN})"
                ),
            ))
            .await?;
        for row in rows {
            let key: String = get(&row, "k")?;
            let n: i64 = get(&row, "n")?;
            *usage.by_key.entry(key).or_default() += u64::try_from(n).unwrap_or(0);
        }
        let first = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {t} WHERE {c} LIKE 'sm4gcm1:%'"),
            ))
            .await?;
        if let Some(row) = first {
            usage.first_form += u64::try_from(get::<i64>(&row, "n")?).unwrap_or(0);
        }
    }
    Ok(usage)
}

/// Refuses to start with keys that cannot read the stored data: every key the data names
/// must be held, and a value of the first form (no key id) must decrypt with one of them.
/// Saying so at start is better than blank phone numbers on every page.
pub async fn check(db: &DatabaseConnection, vault: &Vault) -> Result<()> {
    let usage = usage(db).await?;
    let held = vault.key_ids();
    let missing: Vec<String> = usage
        .by_key
        .iter()
        .filter(|(k, _)| !held.contains(&k.as_str()))
        .map(|(k, n)| format!("{k}（{n} 项）"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Internal(format!(
            "数据库中的个人信息由未配置的密钥加密：{}；已配置的密钥：{}。请配置与数据相符的 personal_data_key（轮换期间旧密钥放在 previous_data_keys）/ the stored personal data needs keys that are not configured",
            missing.join("、"),
            held.join("、")
        )));
    }
    if usage.first_form > 0 {
        for e in &ENCRYPTED {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!(
                        "SELECT {c} AS v FROM {t} WHERE {c} LIKE 'sm4gcm1:%' LIMIT 1",
                        c = e.column,
                        t = e.table
                    ),
                ))
                .await?;
            if let Some(row) = row
                && vault.decrypt(&get::<String>(&row, "v")?).is_err()
            {
                return Err(Error::Internal(format!(
                    "配置的密钥（{}）无法解密数据库中的个人信息：密钥与数据不符 / the configured key does not match the stored data",
                    held.join("、")
                )));
            }
        }
    }
    Ok(())
}

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Values re-encrypted by this run.
    pub rewritten: u64,
    /// Which keys the data needs afterwards (only the current one when it finished).
    pub after: Usage,
}

/// Re-encrypts every value not under the current key, `batch` rows per transaction, and
/// recomputes the blind index beside it. Safe while the platform serves: each row is
/// rewritten only if it still holds what was read (a row changed meanwhile was written
/// under the current key anyway), and instances holding both keys read either form. Safe to
/// interrupt: a second run finds what is left and finishes it. `report` hears after each
/// batch the table and the values rewritten so far, and stops the run by answering `false`.
pub async fn rotate(
    app: &App,
    batch: u64,
    mut report: impl FnMut(&str, u64) -> bool,
) -> Result<Rotation> {
    let db = &app.db;
    let backend = db.get_database_backend();
    let current = app.vault.current_key_id().to_string();
    let mut rewritten = 0;
    for e in &ENCRYPTED {
        let (t, c) = (e.table, e.column);
        let mut last_id: i64 = 0;
        loop {
            // Both values put into the text are ours: a hex key id and a number.
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT id, {c} AS v FROM {t} WHERE {c} IS NOT NULL AND {c} NOT LIKE '{PREFIX}{current}:%' \
                         AND id > {last_id} ORDER BY id LIMIT {batch}"
                    ),
                ))
                .await?;
            if rows.is_empty() {
                break;
            }
            let txn = kehou_store::begin_write(db).await?;
            for row in &rows {
                let id: i64 = get(row, "id")?;
                let stored: String = get(row, "v")?;
                last_id = id;
                let plain = app
                    .vault
                    .decrypt(&stored)
                    .map_err(|err| Error::Internal(format!("{t}.{c} 第 {id} 行无法解密：{err}")))?;
                let mut update = Query::update();
                update
                    .table(Alias::new(t))
                    .value(Alias::new(c), app.vault.encrypt(&plain)?)
                    .and_where(Expr::col(Alias::new("id")).eq(id))
                    .and_where(Expr::col(Alias::new(c)).eq(stored.as_str()));
                if let Some(index) = e.index {
                    update.value(Alias::new(index), app.vault.blind_index(&plain));
                }
                rewritten += txn.execute(&update).await?.rows_affected();
            }
            txn.commit().await?;
            if !report(t, rewritten) {
                return Ok(Rotation {
                    rewritten,
                    after: usage(db).await?,
                });
            }
        }
    }
    Ok(Rotation {
        rewritten,
        after: usage(db).await?,
    })
}
