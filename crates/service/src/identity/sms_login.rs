//! Login and password reset by SMS code (A6), the convention parents expect: a code of 6
//! digits, valid 5 minutes, 5 tries, a new one after 60 seconds, and daily caps per phone
//! number and per client address. The login works while a password lockout holds, so
//! that nobody can lock an owner out by guessing their password.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use kehou_domain::{Password, Phone};
use kehou_store::entity::identity::{sms_code, user};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use rand::Rng;
use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::identity::auth::{self, Login, SessionKind};
use crate::platform::audit::{self, By, Change};
use crate::{App, Error, Result};

pub const CODE_LIFETIME: Duration = Duration::minutes(5);
pub const MAX_TRIES: i32 = 5;
pub const RESEND_AFTER: Duration = Duration::seconds(60);
/// Codes one phone number may receive in a day (China time).
pub const DAILY_PER_PHONE: u64 = 10;
/// Codes one client address may ask for in a day.
pub const DAILY_PER_ADDRESS: u64 = 50;

/// What a code is for; a code for one purpose does not serve the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Reset,
    /// Proving a number while registering an institution: sent whether or not the number
    /// has an account.
    Register,
}

impl Purpose {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "login" => Some(Self::Login),
            "reset" => Some(Self::Reset),
            "register" => Some(Self::Register),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Reset => "reset",
            Self::Register => "register",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Login => "登录",
            Self::Reset => "重置密码",
            Self::Register => "机构入驻申请",
        }
    }
}

/// The answer to a code request; the same whether or not the number has an account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    /// Seconds until another code may be requested.
    pub resend_after_seconds: i64,
    /// Seconds the code stays valid.
    pub expires_in_seconds: i64,
    /// Whether the platform's SMS channel is the sandbox (no real message was sent).
    pub sandbox: bool,
}

fn code_hash(phone_index: &str, code: &str) -> String {
    hex::encode(Sm3::digest(format!("{phone_index}:{code}").as_bytes()))
}

/// The start and end of the China day holding `now`.
fn china_day(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let china = crate::platform::clock::china();
    let local = now
        .with_timezone(&china)
        .date_naive()
        .and_time(NaiveTime::MIN);
    let start = china
        .from_local_datetime(&local)
        .single()
        .map_or(now, |t| t.with_timezone(&Utc));
    (start, start + Duration::days(1))
}

fn parse_phone(phone: &str) -> Result<Phone> {
    if phone.trim().is_empty() {
        return Err(Error::invalid("phone", "请输入手机号"));
    }
    Phone::parse(phone).map_err(|reason| Error::invalid("phone", reason))
}

/// Sends a code to `phone` when it has an account. Numbers without one get the same answer
/// and count against the same limits, so that the answer says nothing about who is here.
pub async fn send_code(
    app: &App,
    phone: &str,
    purpose: Purpose,
    ip: Option<&str>,
) -> Result<CodeSent> {
    let phone = parse_phone(phone)?;
    let index = app.vault.blind_index(phone.as_str());
    // The limits count codes stored under any key held (a key switch does not reset them).
    let indexes = app.vault.blind_indexes(phone.as_str());
    let now = app.now();
    let (day_start, day_end) = china_day(now);
    let txn = kehou_store::begin_write(&app.db).await?;
    let last = sms_code::Entity::find()
        .filter(sms_code::Column::PhoneIndex.is_in(indexes.clone()))
        .order_by_desc(sms_code::Column::CreatedAt)
        .one(&txn)
        .await?;
    if let Some(last) = last
        && last.created_at + RESEND_AFTER > now
    {
        let wait = (last.created_at + RESEND_AFTER - now).num_seconds().max(1);
        return Err(Error::TooManyAttempts(
            last.created_at + RESEND_AFTER,
            format!("验证码已发送，请{wait}秒后再获取"),
        ));
    }
    let sent_today = sms_code::Entity::find()
        .filter(sms_code::Column::PhoneIndex.is_in(indexes))
        .filter(sms_code::Column::CreatedAt.gte(day_start))
        .count(&txn)
        .await?;
    if sent_today >= DAILY_PER_PHONE {
        return Err(Error::TooManyAttempts(
            day_end,
            "该手机号今日获取验证码次数已达上限，请明天再试".into(),
        ));
    }
    if let Some(ip) = ip {
        let asked_today = sms_code::Entity::find()
            .filter(sms_code::Column::Ip.eq(ip))
            .filter(sms_code::Column::CreatedAt.gte(day_start))
            .count(&txn)
            .await?;
        if asked_today >= DAILY_PER_ADDRESS {
            return Err(Error::TooManyAttempts(
                day_end,
                "本网络今日获取验证码次数已达上限，请明天再试".into(),
            ));
        }
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let row = sms_code::ActiveModel {
        phone_index: Set(index.clone()),
        purpose: Set(purpose.code().into()),
        code_hash: Set(code_hash(&index, &code)),
        ip: Set(ip.map(String::from)),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(now + CODE_LIFETIME),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let has_account = crate::identity::account::find_by_phone(app, &txn, &phone)
        .await?
        .is_some();
    txn.commit().await?;
    if has_account || purpose == Purpose::Register {
        let text = format!(
            "【课后服务】验证码 {code}，用于{}，{}分钟内有效。如非本人操作，请忽略本短信。",
            purpose.label(),
            CODE_LIFETIME.num_minutes()
        );
        let sent = app.sms.send(&phone, &text, now).await;
        app.metrics.channel_call("sms", "send", sent.is_ok());
        if let Err(e) = sent {
            // A code nobody received must not hold the number back from the next try.
            sms_code::Entity::delete_by_id(row.id).exec(&app.db).await?;
            tracing::warn!(error = %e, "SMS not sent");
            return Err(Error::Internal("短信发送失败，请稍后再试".into()));
        }
    }
    Ok(CodeSent {
        resend_after_seconds: RESEND_AFTER.num_seconds(),
        expires_in_seconds: CODE_LIFETIME.num_seconds(),
        sandbox: app.sms.sandbox().is_some(),
    })
}

/// Checks `code` against the latest code sent to `phone` for `purpose`, counting a wrong
/// try, and marks it used when right. Returns the account, or why not.
async fn use_code(
    app: &App,
    db: &impl ConnectionTrait,
    phone: &Phone,
    purpose: Purpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<user::Model, Error>> {
    let wrong = || Error::Unauthenticated("验证码错误或已过期".into());
    if let Err(e) = verify_code(app, db, phone, purpose, code, now).await? {
        return Ok(Err(e));
    }
    Ok(crate::identity::account::find_by_phone(app, db, phone)
        .await?
        .ok_or_else(wrong))
}

/// Checks `code` against the latest code sent to `phone` for `purpose`, counting a wrong
/// try (in `db`: commit it even when the answer is no), and marks it used when right.
pub(crate) async fn verify_code(
    app: &App,
    db: &impl ConnectionTrait,
    phone: &Phone,
    purpose: Purpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), Error>> {
    let wrong = || Error::Unauthenticated("验证码错误或已过期".into());
    // A code sent before a key switch is stored under the older key's index.
    let latest = sms_code::Entity::find()
        .filter(sms_code::Column::PhoneIndex.is_in(app.vault.blind_indexes(phone.as_str())))
        .filter(sms_code::Column::Purpose.eq(purpose.code()))
        .filter(sms_code::Column::UsedAt.is_null())
        .order_by_desc(sms_code::Column::CreatedAt)
        .one(db)
        .await?;
    let Some(latest) = latest.filter(|c| c.expires_at > now) else {
        return Ok(Err(wrong()));
    };
    if latest.attempts >= MAX_TRIES {
        return Ok(Err(Error::Unauthenticated(
            "验证码错误次数过多，请重新获取".into(),
        )));
    }
    let right = code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && code_hash(&latest.phone_index, code) == latest.code_hash;
    let mut m = latest.into_active_model();
    if !right {
        let tries = m.attempts.take().unwrap_or(0) + 1;
        m.attempts = Set(tries);
        m.update(db).await?;
        return Ok(Err(if tries >= MAX_TRIES {
            Error::Unauthenticated("验证码错误次数过多，请重新获取".into())
        } else {
            wrong()
        }));
    }
    m.used_at = Set(Some(now));
    m.update(db).await?;
    Ok(Ok(()))
}

/// Logs in by phone number and SMS code. A password lockout does not hold here (and ends).
pub async fn login(
    app: &App,
    phone: &str,
    code: &str,
    kind: SessionKind,
    ip: Option<&str>,
) -> Result<Login> {
    let phone = parse_phone(phone)?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = match use_code(app, &txn, &phone, Purpose::Login, code.trim(), now).await? {
        Ok(u) => u,
        Err(e) => {
            // The wrong try counts.
            txn.commit().await?;
            return Err(e);
        }
    };
    let login = auth::start_session(&txn, &u, kind, now, ip, "短信验证码").await?;
    txn.commit().await?;
    Ok(login)
}

/// Sets a new password for the owner of `phone`, proven by an SMS code; every session of
/// the account ends and a password lockout is lifted.
pub async fn reset_password(
    app: &App,
    phone: &str,
    code: &str,
    new_password: &str,
    ip: Option<&str>,
) -> Result<()> {
    let phone = parse_phone(phone)?;
    let new = Password::parse(new_password).map_err(|r| Error::invalid("new_password", r))?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = match use_code(app, &txn, &phone, Purpose::Reset, code.trim(), now).await? {
        Ok(u) => u,
        Err(e) => {
            txn.commit().await?;
            return Err(e);
        }
    };
    if u.frozen {
        return Err(Error::Frozen);
    }
    auth::replace_password(&txn, u.clone(), auth::hash_password(&new)?, false, now).await?;
    let (org_id, path) = auth::home_path(&txn, u.id).await?;
    audit::record(
        &txn,
        now,
        &By {
            user_id: Some(u.id),
            name: &u.name,
            membership_id: None,
            ip,
        },
        Change {
            org_id,
            org_path: &path,
            action: "user.reset_password_sms",
            entity_type: "user",
            entity_id: Some(u.id),
            summary: "通过短信验证码重置本人密码".into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What the sandbox sent, newest first, for platform administrators; `None` when a real
/// provider is the channel (then nothing sent is kept).
pub fn sandbox_inbox(
    app: &App,
    actor: &crate::Actor,
    phone: Option<&str>,
) -> Result<Option<Vec<crate::platform::sms::SandboxMessage>>> {
    actor.require(kehou_domain::Permission::UserManage)?;
    if !actor.is_platform() {
        return Err(Error::Forbidden("仅平台管理员可查看短信沙箱".into()));
    }
    let phone = match phone.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(parse_phone(p)?),
        None => None,
    };
    Ok(app.sms.sandbox().map(|s| s.inbox(phone.as_ref())))
}
