//! Receiving accounts (H1): each school's own merchant at each payment channel. Money for
//! a school's orders goes to the school's account; the API key is encrypted at rest and
//! never shown again; a school without an active account cannot take payments.

use chrono::{DateTime, Utc};
use kehou_domain::Permission;
use kehou_store::entity::billing::receiving_account;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::channel::Merchant;
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub school_id: i64,
    pub channel: String,
    pub channel_name: String,
    pub merchant_id: String,
    pub app_id: String,
    pub account_name: String,
    pub active: bool,
    /// The key is stored (encrypted); it is never shown.
    pub key_set: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_label: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AccountInput {
    /// A channel of this platform: `sandbox` unless a real one is configured.
    pub channel: String,
    /// The merchant id (商户号) the channel gave the school.
    pub merchant_id: String,
    /// The app id (公众号/小程序 AppID) payments are made under.
    pub app_id: String,
    /// The account holder as the bank knows it.
    pub account_name: String,
    /// The API key; for the sandbox 32 hex characters, made for you when left empty on a
    /// new account. Left empty on an existing account: the stored key stays.
    pub api_key: Option<String>,
    pub active: bool,
}

fn view(app: &App, a: receiving_account::Model) -> AccountView {
    AccountView {
        id: a.id,
        school_id: a.school_id,
        channel_name: app
            .payments
            .all()
            .into_iter()
            .find(|(c, _)| *c == a.channel)
            .map_or_else(|| a.channel.clone(), |(_, n)| n.to_string()),
        channel: a.channel,
        merchant_id: a.merchant_id,
        app_id: a.app_id,
        account_name: a.account_name,
        active: a.active,
        key_set: !a.api_key.is_empty(),
        updated_label: china_label(a.updated_at),
        updated_at: a.updated_at,
    }
}

/// The school's receiving accounts.
pub async fn list(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<AccountView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingManage).await?;
    Ok(receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school.id))
        .order_by_asc(receiving_account::Column::Id)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|a| view(app, a))
        .collect())
}

fn id_text(field: &str, raw: &str, label: &str) -> Result<String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("请填写{label}")));
    }
    if v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::invalid(
            field,
            format!("{label}应为字母、数字或下划线，最多32位"),
        ));
    }
    Ok(v.to_string())
}

/// Creates or replaces the school's account at one channel.
pub async fn save(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: AccountInput,
) -> Result<AccountView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingManage).await?;
    let channel = input.channel.trim();
    if app.payments.get(channel).is_none() {
        return Err(Error::invalid("channel", "没有这个支付通道"));
    }
    let merchant_id = id_text("merchant_id", &input.merchant_id, "商户号")?;
    let app_id = id_text("app_id", &input.app_id, "AppID")?;
    let account_name = kehou_domain::field::required_text(&input.account_name, 100)
        .map_err(|m| Error::invalid("account_name", m))?;
    let key = input
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(k) = key {
        let ok = if channel == "sandbox" {
            k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit())
        } else {
            k.len() <= 256 && k.bytes().all(|b| b.is_ascii_graphic())
        };
        if !ok {
            return Err(Error::invalid(
                "api_key",
                if channel == "sandbox" {
                    "沙箱密钥应为32位十六进制字符"
                } else {
                    "密钥格式无效"
                },
            ));
        }
    }
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let existing = receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school.id))
        .filter(receiving_account::Column::Channel.eq(channel))
        .one(&txn)
        .await?;
    let stored_key = match (key, &existing) {
        (Some(k), _) => app.vault.encrypt(k)?,
        (None, Some(e)) => e.api_key.clone(),
        (None, None) if channel == "sandbox" => app.vault.encrypt(&super::sandbox::new_api_key())?,
        (None, None) => return Err(Error::invalid("api_key", "请填写密钥")),
    };
    let saved = match existing {
        Some(e) => {
            let mut m = e.into_active_model();
            m.merchant_id = Set(merchant_id.clone());
            m.app_id = Set(app_id);
            m.account_name = Set(account_name);
            m.api_key = Set(stored_key);
            m.active = Set(input.active);
            m.updated_at = Set(now);
            m.update(&txn).await
        }
        None => {
            receiving_account::ActiveModel {
                school_id: Set(school.id),
                channel: Set(channel.to_string()),
                merchant_id: Set(merchant_id.clone()),
                app_id: Set(app_id),
                account_name: Set(account_name),
                api_key: Set(stored_key),
                active: Set(input.active),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
        }
    }
    .map_err(Error::unique("merchant_id", "该商户号已被其他学校使用"))?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.account",
        ("receiving_account", saved.id),
        format!(
            "收款账户 {} 商户号 {}{}",
            channel,
            merchant_id,
            if saved.active { "" } else { "（停用）" }
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(app, saved))
}

/// The account a school's payments go to now: its active account at a real channel,
/// else at the sandbox.
pub(crate) async fn receiving(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<Option<receiving_account::Model>> {
    let mut accounts = receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school_id))
        .filter(receiving_account::Column::Active.eq(true))
        .order_by_asc(receiving_account::Column::Id)
        .all(db)
        .await?;
    accounts.sort_by_key(|a| a.channel == "sandbox");
    Ok(accounts.into_iter().next())
}

pub(crate) async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<receiving_account::Model> {
    receiving_account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("收款账户"))
}

/// The account's keys, decrypted for one call to its channel.
pub(crate) fn merchant(app: &App, a: &receiving_account::Model) -> Result<Merchant> {
    Ok(Merchant {
        account_id: a.id,
        merchant_id: a.merchant_id.clone(),
        app_id: a.app_id.clone(),
        api_key: app.vault.decrypt(&a.api_key)?,
    })
}

/// Gives a school a sandbox account (demo data, benchmarks): no person acts.
pub async fn system_sandbox_account(app: &App, school_id: i64, name: &str) -> Result<i64> {
    let now = app.now();
    if let Some(a) = receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school_id))
        .filter(receiving_account::Column::Channel.eq("sandbox"))
        .one(&app.db)
        .await?
    {
        return Ok(a.id);
    }
    let a = receiving_account::ActiveModel {
        school_id: Set(school_id),
        channel: Set("sandbox".into()),
        merchant_id: Set(format!("19{:08}", school_id)),
        app_id: Set("wxsandbox000000001".into()),
        account_name: Set(name.chars().take(100).collect()),
        api_key: Set(app.vault.encrypt(&super::sandbox::new_api_key())?),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    Ok(a.id)
}
