//! Login by phone and password (A6), sessions and bearer tokens, password changes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use kehou_domain::{OrgKind, Password, Phone};
use kehou_store::entity::identity::{membership, role, session, user};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use rand::RngCore;
use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::platform::audit::{self, By, Change};
use crate::{Actor, App, Error, Principal, Result};

pub const MAX_FAILED_LOGINS: i32 = 5;
pub const LOCKOUT: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A bearer token of the JSON API.
    Api,
    /// A browser's cookie session.
    Web,
}

impl SessionKind {
    fn code(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Web => "web",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Self::Api => Duration::hours(12),
            Self::Web => Duration::hours(8),
        }
    }
}

pub fn hash_password(password: &Password) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

thread_local! {
    static PASSWORD_CHECKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many password checks this thread has run. A login of an unknown number costs the
/// same one check as a known one (timing would tell an attacker which numbers exist);
/// tests count with this instead of timing.
pub fn password_checks_on_this_thread() -> u64 {
    PASSWORD_CHECKS.with(std::cell::Cell::get)
}

/// A hash of nothing anyone knows, checked when the phone number has no account.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Password::parse(&format!("Decoy#{}", &random_token()[..16]))
            .ok()
            .and_then(|p| hash_password(&p).ok())
            .unwrap_or_default()
    })
}

fn verify_password(plain: &str, hash: &str) -> bool {
    PASSWORD_CHECKS.with(|n| n.set(n.get() + 1));
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(plain.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A random secret of 32 bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Only the SM3 digest of a token is stored, so a copy of the database opens no session.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sm3::digest(token.as_bytes()))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Login {
    #[schema(value_type = String)]
    pub token: kehou_domain::Secret,
    pub expires_at: DateTime<Utc>,
    pub must_change_password: bool,
}

/// The organization path the events of a user belong to: their first membership's.
pub(crate) async fn home_path(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(Option<i64>, String)> {
    let first = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::Id)
        .one(db)
        .await?;
    match first {
        Some(m) => {
            let o = org::Entity::find_by_id(m.org_id).one(db).await?;
            Ok((
                Some(m.org_id),
                o.map(|o| o.path).unwrap_or_else(|| "/".into()),
            ))
        }
        None => Ok((None, "/".into())),
    }
}

pub async fn login(
    app: &App,
    phone: &str,
    password: &str,
    kind: SessionKind,
    ip: Option<&str>,
) -> Result<Login> {
    let wrong = || Error::Unauthenticated("手机号或密码错误".into());
    let phone = Phone::parse(phone).map_err(|_| wrong())?;
    let now = app.now();
    // One address guessing at many accounts is stopped before it can lock them all.
    if let Some(ip) = ip
        && failures_from(&app.db, ip, now).await? >= MAX_FAILURES_PER_ADDRESS
    {
        return Err(Error::TooManyAttempts(
            now + LOCKOUT,
            "登录失败次数过多，请15分钟后再试".into(),
        ));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let Some(u) = crate::identity::account::find_by_phone(app, &txn, &phone).await? else {
        // The same work as for a known number, so that the answer's time says nothing.
        verify_password(password, decoy_hash());
        record_failure(&txn, now, None, &phone, ip).await?;
        txn.commit().await?;
        return Err(wrong());
    };
    if let Some(until) = u.locked_until
        && until > now
    {
        return Err(Error::Locked(until));
    }
    let by = By {
        user_id: Some(u.id),
        name: &u.name,
        membership_id: None,
        ip,
    };
    if !verify_password(password, &u.password_hash) {
        let failures = u.failed_logins + 1;
        let mut m = u.clone().into_active_model();
        let locked = failures >= MAX_FAILED_LOGINS;
        if locked {
            m.failed_logins = Set(0);
            m.locked_until = Set(Some(now + LOCKOUT));
        } else {
            m.failed_logins = Set(failures);
        }
        m.update(&txn).await?;
        record_failure(&txn, now, Some(&u), &phone, ip).await?;
        if locked {
            let (org_id, path) = home_path(&txn, u.id).await?;
            audit::record(
                &txn,
                now,
                &by,
                Change {
                    org_id,
                    org_path: &path,
                    action: "user.lock",
                    entity_type: "user",
                    entity_id: Some(u.id),
                    summary: format!("连续{MAX_FAILED_LOGINS}次密码错误，账号锁定15分钟"),
                },
            )
            .await?;
        }
        txn.commit().await?;
        return Err(if locked {
            Error::Locked(now + LOCKOUT)
        } else {
            wrong()
        });
    }
    let login = start_session(&txn, &u, kind, now, ip, "密码").await?;
    txn.commit().await?;
    Ok(login)
}

/// Opens a session for `u`, whose password or SMS code was right: ends a lockout, audits
/// the login. `how` names the way in for the audit trail.
pub(crate) async fn start_session(
    txn: &impl ConnectionTrait,
    u: &user::Model,
    kind: SessionKind,
    now: DateTime<Utc>,
    ip: Option<&str>,
    how: &str,
) -> Result<Login> {
    if u.frozen {
        return Err(Error::Frozen);
    }
    let by = By {
        user_id: Some(u.id),
        name: &u.name,
        membership_id: None,
        ip,
    };
    let must_change = u.must_change_password;
    if u.failed_logins != 0 || u.locked_until.is_some() {
        let mut m = u.clone().into_active_model();
        m.failed_logins = Set(0);
        m.locked_until = Set(None);
        m.update(txn).await?;
    }
    let first = membership::Entity::find()
        .filter(membership::Column::UserId.eq(u.id))
        .order_by_asc(membership::Column::Id)
        .one(txn)
        .await?;
    let token = random_token();
    let expires_at = now + kind.lifetime();
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(u.id),
        membership_id: Set(first.map(|m| m.id)),
        kind: Set(kind.code().into()),
        csrf_token: Set(random_token()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let (org_id, path) = home_path(txn, u.id).await?;
    audit::record(
        txn,
        now,
        &by,
        Change {
            org_id,
            org_path: &path,
            action: "auth.login",
            entity_type: "user",
            entity_id: Some(u.id),
            summary: format!(
                "登录（{}，{how}）",
                if kind == SessionKind::Api {
                    "接口"
                } else {
                    "网页"
                }
            ),
        },
    )
    .await?;
    Ok(Login {
        token: token.into(),
        expires_at,
        must_change_password: must_change,
    })
}

/// Failed logins one client address may make in [`LOCKOUT`] before it must wait.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;

/// The failed logins from `ip` within the last [`LOCKOUT`], read from the audit trail.
async fn failures_from(
    db: &impl ConnectionTrait,
    ip: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64> {
    use kehou_store::entity::platform::audit_event;
    use kehou_store::sea_orm::PaginatorTrait;
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(FAILED_LOGIN))
        .filter(audit_event::Column::Ip.eq(ip))
        .filter(audit_event::Column::OccurredAt.gt(now - LOCKOUT))
        .count(db)
        .await?)
}

const FAILED_LOGIN: &str = "auth.login_failed";

/// Audits a failed login: under the account when the number has one (its organization's
/// administrators see it), else under the platform with the number masked.
async fn record_failure(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
    user: Option<&user::Model>,
    phone: &Phone,
    ip: Option<&str>,
) -> Result<()> {
    let (org_id, path) = match user {
        Some(u) => home_path(db, u.id).await?,
        None => match crate::org::platform_root(db).await? {
            Some(root) => (Some(root.id), root.path),
            None => (None, "/".to_string()),
        },
    };
    audit::record(
        db,
        now,
        &By {
            user_id: user.map(|u| u.id),
            name: user.map(|u| u.name.as_str()).unwrap_or("未知用户"),
            membership_id: None,
            ip,
        },
        Change {
            org_id,
            org_path: &path,
            action: FAILED_LOGIN,
            entity_type: "user",
            entity_id: user.map(|u| u.id),
            summary: format!("登录失败：{} 密码错误或账号不存在", phone.masked()),
        },
    )
    .await
}

/// Resolves a token to its session, user and acting membership, with the role's
/// permissions as they are now.
pub async fn authenticate(app: &App, token: &str, ip: Option<&str>) -> Result<Principal> {
    let expired = || Error::Unauthenticated("登录已失效，请重新登录".into());
    let s = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .one(&app.db)
        .await?
        .ok_or_else(expired)?;
    principal_of(app, s, ip).await
}

/// Reads a principal again, after its session changed (a membership switch).
pub async fn reload(app: &App, principal: &Principal) -> Result<Principal> {
    let s = session::Entity::find_by_id(principal.session_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("会话"))?;
    principal_of(app, s, principal.ip.as_deref()).await
}

async fn principal_of(app: &App, s: session::Model, ip: Option<&str>) -> Result<Principal> {
    let expired = || Error::Unauthenticated("登录已失效，请重新登录".into());
    let now = app.now();
    if s.revoked_at.is_some() || s.expires_at <= now {
        return Err(expired());
    }
    let u = user::Entity::find_by_id(s.user_id)
        .one(&app.db)
        .await?
        .ok_or_else(expired)?;
    if u.frozen {
        return Err(Error::Frozen);
    }
    let actor = match s.membership_id {
        Some(mid) => load_actor(&app.db, &u, mid, ip).await?,
        None => None,
    };
    Ok(Principal {
        session_id: s.id,
        user_id: u.id,
        phone: app.vault.account_phone(&u),
        user_name: u.name,
        must_change_password: u.must_change_password,
        csrf_token: s.csrf_token.into(),
        actor,
        ip: ip.map(String::from),
        chosen_school_id: s.school_id,
    })
}

/// The actor of a membership, for work a person started and a job finishes later; `None`
/// when the membership is gone, the account frozen or the organization stopped.
pub(crate) async fn actor_of_membership(
    db: &impl ConnectionTrait,
    user_id: i64,
    membership_id: i64,
    ip: Option<&str>,
) -> Result<Option<Actor>> {
    let Some(u) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    if u.frozen {
        return Ok(None);
    }
    load_actor(db, &u, membership_id, ip).await
}

async fn load_actor(
    db: &impl ConnectionTrait,
    u: &user::Model,
    membership_id: i64,
    ip: Option<&str>,
) -> Result<Option<Actor>> {
    let Some(m) = membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::UserId.eq(u.id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let (Some(o), Some(r)) = (
        org::Entity::find_by_id(m.org_id).one(db).await?,
        role::Entity::find_by_id(m.role_id).one(db).await?,
    ) else {
        return Ok(None);
    };
    if !o.active {
        return Err(Error::Forbidden(format!(
            "“{}”已停用，请切换身份或联系管理员",
            o.name
        )));
    }
    let permissions = effective_permissions(db, &m, &r).await?;
    Ok(Some(Actor {
        user_id: u.id,
        user_name: u.name.clone(),
        membership_id: m.id,
        org_id: o.id,
        org_name: o.name,
        org_kind: OrgKind::parse(&o.kind).unwrap_or(OrgKind::School),
        org_path: o.path,
        role_id: r.id,
        role_name: r.name,
        permissions,
        ip: ip.map(String::from),
    }))
}

/// The actor of a person's first membership in an organization: for what the system does
/// in someone's name (the demo's data), never for a request.
pub(crate) async fn actor_in(
    db: &impl ConnectionTrait,
    user: &user::Model,
    org_id: i64,
) -> Result<Option<Actor>> {
    let Some(m) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .filter(membership::Column::OrgId.eq(org_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    load_actor(db, user, m.id, None).await
}

/// A membership's permissions now: its role's, cut to its departments when the role
/// works by department.
async fn effective_permissions(
    db: &impl ConnectionTrait,
    m: &membership::Model,
    r: &role::Model,
) -> Result<std::collections::BTreeSet<&'static str>> {
    let permissions = crate::identity::role::permissions_of(db, r.id).await?;
    let by_department = r
        .code
        .as_deref()
        .and_then(kehou_domain::role::preset)
        .is_some_and(|p| p.by_department());
    if by_department {
        crate::identity::department::within_departments(db, m, permissions).await
    } else {
        Ok(permissions)
    }
}

/// The people whose membership in `org_id` holds `permission` now (departments
/// considered): whom to tell about work waiting for that permission.
pub(crate) async fn members_with(
    db: &impl ConnectionTrait,
    org_id: i64,
    permission: kehou_domain::Permission,
) -> Result<Vec<i64>> {
    use kehou_store::entity::identity::role_permission;
    // The roles granting it, then the memberships holding those roles: two queries; only
    // members working by department need a look at their departments.
    let granting: Vec<i64> = role_permission::Entity::find()
        .filter(role_permission::Column::Permission.eq(permission.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|rp| rp.role_id)
        .collect();
    let by_department: Vec<i64> = role::Entity::find()
        .filter(role::Column::Id.is_in(granting.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter(|r| {
            r.code
                .as_deref()
                .and_then(kehou_domain::role::preset)
                .is_some_and(|p| p.by_department())
        })
        .map(|r| r.id)
        .collect();
    let ms = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership::Column::RoleId.is_in(granting))
        .all(db)
        .await?;
    let mut users = Vec::new();
    for m in ms {
        let holds = !by_department.contains(&m.role_id)
            || crate::identity::department::within_departments(
                db,
                &m,
                std::iter::once(permission.code()).collect(),
            )
            .await?
            .contains(permission.code());
        if holds && !users.contains(&m.user_id) {
            users.push(m.user_id);
        }
    }
    Ok(users)
}

/// Keeps the school a person chose with their session (not audited: a view setting).
pub async fn remember_school(app: &App, principal: &Principal, school_id: i64) -> Result<()> {
    if principal.chosen_school_id == Some(school_id) {
        return Ok(());
    }
    session::Entity::update_many()
        .col_expr(
            session::Column::SchoolId,
            kehou_store::sea_orm::sea_query::Expr::value(Some(school_id)),
        )
        .filter(session::Column::Id.eq(principal.session_id))
        .exec(&app.db)
        .await?;
    Ok(())
}

pub async fn logout(app: &App, principal: &Principal) -> Result<()> {
    let now = app.now();
    session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            kehou_store::sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(session::Column::Id.eq(principal.session_id))
        .exec(&app.db)
        .await?;
    Ok(())
}

/// Gives `u` a new password someone else chose (an administrator, an SMS reset): the
/// lockout ends and every session of the account is revoked; `must_change` asks for a
/// change at the next login.
pub(crate) async fn replace_password(
    db: &impl ConnectionTrait,
    u: user::Model,
    hash: String,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = u.id;
    let mut m = u.into_active_model();
    m.password_hash = Set(hash);
    m.must_change_password = Set(must_change);
    m.failed_logins = Set(0);
    m.locked_until = Set(None);
    m.updated_at = Set(now);
    m.update(db).await?;
    revoke_sessions(db, id, None, now).await
}

/// Revokes every session of a user but `keep` (after a password change, freeze or reset).
pub(crate) async fn revoke_sessions(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut q = session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            kehou_store::sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    q.exec(db).await?;
    Ok(())
}

pub async fn change_password(app: &App, principal: &Principal, old: &str, new: &str) -> Result<()> {
    let new = Password::parse(new).map_err(|reason| Error::invalid("new_password", reason))?;
    if old == new.expose() {
        return Err(Error::invalid("new_password", "新密码不能与原密码相同"));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = user::Entity::find_by_id(principal.user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("用户"))?;
    if !verify_password(old, &u.password_hash) {
        return Err(Error::invalid("old_password", "原密码不正确"));
    }
    let now = app.now();
    let mut m = u.clone().into_active_model();
    m.password_hash = Set(hash_password(&new)?);
    m.must_change_password = Set(false);
    m.updated_at = Set(now);
    m.update(&txn).await?;
    revoke_sessions(&txn, u.id, Some(principal.session_id), now).await?;
    let (org_id, path) = home_path(&txn, u.id).await?;
    let by = By {
        user_id: Some(u.id),
        name: &u.name,
        membership_id: principal.actor.as_ref().map(|a| a.membership_id),
        ip: principal.ip.as_deref(),
    };
    audit::record(
        &txn,
        now,
        &by,
        Change {
            org_id,
            org_path: &path,
            action: "user.change_password",
            entity_type: "user",
            entity_id: Some(u.id),
            summary: "修改本人密码".into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Switches the session to another of the user's memberships.
pub async fn switch_membership(app: &App, principal: &Principal, membership_id: i64) -> Result<()> {
    let m = membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::UserId.eq(principal.user_id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("身份"))?;
    let s = session::Entity::find_by_id(principal.session_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("会话"))?;
    let mut s = s.into_active_model();
    s.membership_id = Set(Some(m.id));
    // Another membership has another jurisdiction: the school chosen before may lie outside.
    s.school_id = Set(None);
    s.update(&app.db).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub role_id: i64,
    pub role_name: String,
    /// The preset role's code (`school_admin`, `teacher`…); none for a custom role.
    pub role_code: Option<String>,
    /// The bureau departments (科室) assigned to it; an officer works only inside them.
    pub departments: Vec<crate::identity::department::DepartmentRef>,
}

/// All memberships of a user, for the switcher and `GET /me`.
pub async fn memberships_of(app: &App, principal: &Principal) -> Result<Vec<MembershipView>> {
    let db = &app.db;
    let ms = membership::Entity::find()
        .filter(membership::Column::UserId.eq(principal.user_id))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    Ok(membership_views(db, &ms, |_| true)
        .await?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

/// Views of memberships, each with its user id, keeping those whose organization passes
/// `keep`; two queries whatever the number of memberships.
pub(crate) async fn membership_views(
    db: &impl ConnectionTrait,
    ms: &[membership::Model],
    keep: impl Fn(&org::Model) -> bool,
) -> Result<Vec<(i64, MembershipView)>> {
    let org_ids: Vec<i64> = ms.iter().map(|m| m.org_id).collect();
    let role_ids: Vec<i64> = ms.iter().map(|m| m.role_id).collect();
    let orgs: std::collections::HashMap<i64, org::Model> = org::Entity::find()
        .filter(org::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let roles: std::collections::HashMap<i64, role::Model> = role::Entity::find()
        .filter(role::Column::Id.is_in(role_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let ids: Vec<i64> = ms.iter().map(|m| m.id).collect();
    let mut departments = crate::identity::department::departments_of(db, &ids).await?;
    Ok(ms
        .iter()
        .filter_map(|m| {
            let o = orgs.get(&m.org_id).filter(|o| keep(o))?;
            let r = roles.get(&m.role_id)?;
            let view = MembershipView {
                id: m.id,
                org_id: o.id,
                org_name: o.name.clone(),
                org_kind: OrgKind::parse(&o.kind).unwrap_or(OrgKind::School),
                role_id: r.id,
                role_name: r.name.clone(),
                role_code: r.code.clone(),
                departments: departments.remove(&m.id).unwrap_or_default(),
            };
            Some((m.user_id, view))
        })
        .collect())
}
