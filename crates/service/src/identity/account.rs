//! User accounts (A1) and their memberships.
//!
//! A user is visible to an actor when any of their memberships lies in the actor's
//! jurisdiction; changing a user requires all of them to lie there, so that a school
//! administrator cannot reset the password of a bureau leader who is also a parent.

use chrono::{DateTime, Utc};
use kehou_domain::{Invalid, Password, Permission, Phone};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::org;
use kehou_store::sea_orm::sea_query::Query;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use rand::Rng;
use serde::Serialize;

use crate::identity::auth::{MembershipView, hash_password, membership_views, revoke_sessions};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Page, PageRequest, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub frozen: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The memberships that lie in the viewer's jurisdiction.
    pub memberships: Vec<MembershipView>,
}

/// A created or reset account, with the one-time password to hand to its owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedPassword {
    pub user: UserView,
    pub initial_password: String,
}

/// Users with a membership in the actor's jurisdiction.
fn in_scope_condition(actor: &Actor) -> Condition {
    let org_ids = Query::select()
        .column(org::Column::Id)
        .from(org::Entity)
        .and_where(org::Column::Path.starts_with(&actor.org_path))
        .to_owned();
    let user_ids = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::OrgId.in_subquery(org_ids))
        .to_owned();
    Condition::all().add(user::Column::Id.in_subquery(user_ids))
}

async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    actor: &Actor,
    rows: Vec<user::Model>,
) -> Result<Vec<UserView>> {
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let ms = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(ids))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let memberships = membership_views(db, &ms, |o| actor.in_scope(&o.path)).await?;
    Ok(rows
        .into_iter()
        .map(|u| {
            let memberships = memberships
                .iter()
                .filter(|(user_id, _)| *user_id == u.id)
                .map(|(_, view)| view.clone())
                .collect();
            UserView {
                id: u.id,
                // Lists, details and exports show the number masked; the whole number
                // is one audited look away (`reveal_phone`).
                phone: app.vault.masked_account_phone(&u),
                name: u.name,
                frozen: u.frozen,
                locked_until: u.locked_until,
                must_change_password: u.must_change_password,
                created_at: u.created_at,
                updated_at: u.updated_at,
                memberships,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the name, or a whole phone number (numbers are stored encrypted).
    pub q: Option<String>,
    pub frozen: Option<bool>,
    pub org_id: Option<i64>,
    pub role_id: Option<i64>,
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &UserFilter,
    page: PageRequest,
) -> Result<Page<UserView>> {
    actor.require(Permission::UserView)?;
    let mut query = user::Entity::find().filter(in_scope_condition(actor));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Phone numbers are stored encrypted: a whole number is found through its blind
        // index, anything else matches the name.
        query = match Phone::parse(q) {
            Ok(phone) => query.filter(phone_is(app, &phone)),
            Err(_) => query.filter(user::Column::Name.contains(q)),
        };
    }
    if let Some(frozen) = filter.frozen {
        query = query.filter(user::Column::Frozen.eq(frozen));
    }
    if filter.org_id.is_some() || filter.role_id.is_some() {
        let mut sub = Query::select()
            .column(membership::Column::UserId)
            .from(membership::Entity)
            .to_owned();
        if let Some(org_id) = filter.org_id {
            sub.and_where(membership::Column::OrgId.eq(org_id));
        }
        if let Some(role_id) = filter.role_id {
            sub.and_where(membership::Column::RoleId.eq(role_id));
        }
        query = query.filter(user::Column::Id.in_subquery(sub));
    }
    let total = query.clone().count(&app.db).await?;
    let rows = query
        .order_by_asc(user::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    let items = views(app, &app.db, actor, rows).await?;
    Ok(Page {
        items,
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

async fn load_visible(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<user::Model> {
    user::Entity::find_by_id(id)
        .filter(in_scope_condition(actor))
        .one(db)
        .await?
        .ok_or(Error::NotFound("用户"))
}

/// Loads a user the actor may change: every membership in the actor's jurisdiction.
async fn load_manageable(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<user::Model> {
    let u = load_visible(db, actor, id).await?;
    let ms = membership::Entity::find()
        .filter(membership::Column::UserId.eq(u.id))
        .all(db)
        .await?;
    let org_ids: Vec<i64> = ms.iter().map(|m| m.org_id).collect();
    let outside = org::Entity::find()
        .filter(org::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .any(|o| !actor.in_scope(&o.path));
    if outside {
        return Err(Error::Forbidden(
            "该用户在您的管辖范围之外还有其他身份，不能由您修改".into(),
        ));
    }
    Ok(u)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<UserView> {
    actor.require(Permission::UserView)?;
    let u = load_visible(&app.db, actor, id).await?;
    Ok(views(app, &app.db, actor, vec![u]).await?.remove(0))
}

/// The whole phone number of an account, for those who may see personal data; every look
/// is audited.
pub async fn reveal_phone(app: &App, actor: &Actor, id: i64) -> Result<String> {
    actor.require(Permission::UserView)?;
    actor.require(Permission::PersonalDataView)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = load_visible(&txn, actor, id).await?;
    let phone = app.vault.account_phone(&u);
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(actor.org_id),
            org_path: &actor.org_path,
            action: "personal.view",
            entity_type: "user",
            entity_id: Some(u.id),
            summary: format!("查看用户 {} 的完整手机号", u.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(phone)
}

/// A password that meets the policy, for new and reset accounts.
pub(crate) fn generate_password() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut s = String::new();
    for i in 0..10 {
        let set = if i % 3 == 2 { DIGITS } else { LETTERS };
        s.push(set[rng.random_range(0..set.len())] as char);
    }
    s
}

fn issued_password(given: Option<&str>, invalid: &mut Invalid) -> Option<(Password, String)> {
    match given.filter(|p| !p.is_empty()) {
        Some(p) => invalid
            .take("password", Password::parse(p))
            .map(|parsed| (parsed, p.to_string())),
        None => {
            let plain = generate_password();
            Password::parse(&plain).ok().map(|parsed| (parsed, plain))
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub phone: Option<String>,
    pub name: Option<String>,
    /// Left out, a password is generated and returned once.
    pub password: Option<String>,
    pub org_id: Option<i64>,
    pub role_id: Option<i64>,
}

async fn check_membership_target(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_id: i64,
    role_id: i64,
) -> Result<(org::Model, role::Model)> {
    let target = crate::org::load_in_scope(db, actor, org_id)
        .await
        .map_err(|_| Error::invalid("org_id", "组织不存在或不在管辖范围内"))?;
    if !target.active {
        return Err(Error::invalid("org_id", "该组织已停用"));
    }
    let r = crate::identity::role::load_visible(db, actor, role_id)
        .await
        .map_err(|_| Error::invalid("role_id", "角色不存在"))?;
    crate::identity::role::check_assignable(db, actor, &r, &target).await?;
    Ok((target, r))
}

pub async fn create(app: &App, actor: &Actor, input: NewUser) -> Result<IssuedPassword> {
    actor.require(Permission::UserManage)?;
    let mut invalid = Invalid::default();
    let phone = invalid.take("phone", Phone::parse(input.phone.as_deref().unwrap_or("")));
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    let password = issued_password(input.password.as_deref(), &mut invalid);
    if input.org_id.is_none() {
        invalid.push("org_id", "请选择所属组织");
    }
    if input.role_id.is_none() {
        invalid.push("role_id", "请选择角色");
    }
    check(invalid)?;
    let (Some(phone), Some(name), Some((password, plain)), Some(org_id), Some(role_id)) =
        (phone, name, password, input.org_id, input.role_id)
    else {
        return Err(Error::Internal("validation".into()));
    };
    let hash = hash_password(&password)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (target, r) = check_membership_target(&txn, actor, org_id, role_id).await?;
    if find_by_phone(app, &txn, &phone).await?.is_some() {
        return Err(Error::conflict_on(
            "phone",
            "该手机号已注册，请在用户详情中为其添加身份",
        ));
    }
    let now = app.now();
    let created = insert_user(app, &txn, &phone, name, hash, true, now).await?;
    membership::ActiveModel {
        user_id: Set(created.id),
        org_id: Set(target.id),
        role_id: Set(r.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(target.id),
            org_path: &target.path,
            action: "user.create",
            entity_type: "user",
            entity_id: Some(created.id),
            summary: format!(
                "新增用户{}（{}），身份：{}·{}",
                created.name,
                phone.masked(),
                target.name,
                r.name
            ),
        },
    )
    .await?;
    txn.commit().await?;
    let user = views(app, &app.db, actor, vec![created]).await?.remove(0);
    Ok(IssuedPassword {
        user,
        initial_password: plain,
    })
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub phone: Option<String>,
    pub name: Option<String>,
}

/// The organization an event about a user belongs to: the first of their memberships in
/// the actor's jurisdiction.
async fn event_org(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_id: i64,
) -> Result<(Option<i64>, String)> {
    let ms = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    for m in ms {
        if let Some(o) = org::Entity::find_by_id(m.org_id).one(db).await?
            && actor.in_scope(&o.path)
        {
            return Ok((Some(o.id), o.path));
        }
    }
    Ok((Some(actor.org_id), actor.org_path.clone()))
}

pub async fn update(app: &App, actor: &Actor, id: i64, patch: UserPatch) -> Result<UserView> {
    actor.require(Permission::UserManage)?;
    let mut invalid = Invalid::default();
    let phone = patch
        .phone
        .as_deref()
        .map(|p| invalid.take("phone", Phone::parse(p)));
    let name = patch.name.as_deref().map(|n| invalid.text("name", n, 50));
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = load_manageable(&txn, actor, id).await?;
    let mut changes = Vec::new();
    let mut m = u.clone().into_active_model();
    if let Some(Some(phone)) = phone
        && !app.vault.index_matches(phone.as_str(), &u.phone_index)
    {
        if find_by_phone(app, &txn, &phone).await?.is_some() {
            return Err(Error::conflict_on("phone", "该手机号已被其他账号使用"));
        }
        changes.push(format!(
            "手机号：{} → {}",
            Phone::parse(&app.vault.account_phone(&u))
                .map(|p| p.masked())
                .unwrap_or_default(),
            phone.masked()
        ));
        m.phone_index = Set(app.vault.blind_index(phone.as_str()));
        m.phone_enc = Set(Some(app.vault.encrypt(phone.as_str())?));
    }
    if let Some(Some(name)) = name
        && name != u.name
    {
        changes.push(format!("姓名：{} → {}", u.name, name));
        m.name = Set(name);
    }
    if changes.is_empty() {
        txn.rollback().await?;
        return get(app, actor, id).await;
    }
    let now = app.now();
    m.updated_at = Set(now);
    let updated = m
        .update(&txn)
        .await
        .map_err(Error::unique("phone", "该手机号已被其他账号使用"))?;
    let (org_id, path) = event_org(&txn, actor, id).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id,
            org_path: &path,
            action: "user.update",
            entity_type: "user",
            entity_id: Some(id),
            summary: format!("修改用户{}：{}", updated.name, changes.join("；")),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, id).await
}

pub async fn set_frozen(app: &App, actor: &Actor, id: i64, frozen: bool) -> Result<UserView> {
    actor.require(Permission::UserManage)?;
    if id == actor.user_id {
        return Err(Error::Forbidden("不能冻结或解冻自己的账号".into()));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = load_manageable(&txn, actor, id).await?;
    if u.frozen == frozen {
        return Err(Error::conflict(if frozen {
            "该账号已是冻结状态"
        } else {
            "该账号未被冻结"
        }));
    }
    let now = app.now();
    let mut m = u.clone().into_active_model();
    m.frozen = Set(frozen);
    m.updated_at = Set(now);
    m.update(&txn).await?;
    if frozen {
        revoke_sessions(&txn, id, None, now).await?;
    }
    let (org_id, path) = event_org(&txn, actor, id).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id,
            org_path: &path,
            action: if frozen {
                "user.freeze"
            } else {
                "user.unfreeze"
            },
            entity_type: "user",
            entity_id: Some(id),
            summary: format!("{}账号 {}", if frozen { "冻结" } else { "解冻" }, u.name),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, id).await
}

/// Sets a new password (given, or generated), which its owner must change at next login,
/// and lifts any lockout.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    id: i64,
    password: Option<&str>,
) -> Result<IssuedPassword> {
    actor.require(Permission::UserManage)?;
    let mut invalid = Invalid::default();
    let issued = issued_password(password, &mut invalid);
    check(invalid)?;
    let Some((password, plain)) = issued else {
        return Err(Error::Internal("validation".into()));
    };
    if id == actor.user_id {
        return Err(Error::Forbidden(
            "不能重置自己的密码，请使用“修改密码”".into(),
        ));
    }
    let hash = hash_password(&password)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = load_manageable(&txn, actor, id).await?;
    let now = app.now();
    crate::identity::auth::replace_password(&txn, u.clone(), hash, true, now).await?;
    let (org_id, path) = event_org(&txn, actor, id).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id,
            org_path: &path,
            action: "user.reset_password",
            entity_type: "user",
            entity_id: Some(id),
            summary: format!("重置 {} 的密码", u.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedPassword {
        user: get(app, actor, id).await?,
        initial_password: plain,
    })
}

pub async fn add_membership(
    app: &App,
    actor: &Actor,
    user_id: i64,
    org_id: Option<i64>,
    role_id: Option<i64>,
) -> Result<UserView> {
    actor.require(Permission::UserManage)?;
    let mut invalid = Invalid::default();
    if org_id.is_none() {
        invalid.push("org_id", "请选择所属组织");
    }
    if role_id.is_none() {
        invalid.push("role_id", "请选择角色");
    }
    check(invalid)?;
    let (Some(org_id), Some(role_id)) = (org_id, role_id) else {
        return Err(Error::Internal("validation".into()));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = load_visible(&txn, actor, user_id).await?;
    let (target, r) = check_membership_target(&txn, actor, org_id, role_id).await?;
    let now = app.now();
    membership::ActiveModel {
        user_id: Set(u.id),
        org_id: Set(target.id),
        role_id: Set(r.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("role_id", "该用户在此组织已有这个角色"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(target.id),
            org_path: &target.path,
            action: "membership.create",
            entity_type: "user",
            entity_id: Some(u.id),
            summary: format!("为 {} 添加身份：{}·{}", u.name, target.name, r.name),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, user_id).await
}

pub async fn remove_membership(
    app: &App,
    actor: &Actor,
    user_id: i64,
    membership_id: i64,
) -> Result<()> {
    actor.require(Permission::UserManage)?;
    if membership_id == actor.membership_id {
        return Err(Error::Forbidden("不能移除自己正在使用的身份".into()));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let u = load_visible(&txn, actor, user_id).await?;
    let m = membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::UserId.eq(u.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("身份"))?;
    let target = crate::org::load_in_scope(&txn, actor, m.org_id)
        .await
        .map_err(|_| Error::NotFound("身份"))?;
    let role_name = role::Entity::find_by_id(m.role_id)
        .one(&txn)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    crate::identity::department::forget_membership(&txn, m.id).await?;
    membership::Entity::delete_by_id(m.id).exec(&txn).await?;
    let now = app.now();
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(target.id),
            org_path: &target.path,
            action: "membership.delete",
            entity_type: "user",
            entity_id: Some(u.id),
            summary: format!("移除 {} 的身份：{}·{}", u.name, target.name, role_name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Inserts a new, unfrozen account; a phone already registered answers 409.
pub(crate) async fn insert_user(
    app: &App,
    db: &impl ConnectionTrait,
    phone: &Phone,
    name: String,
    password_hash: String,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    user::ActiveModel {
        phone_index: Set(app.vault.blind_index(phone.as_str())),
        phone_enc: Set(Some(app.vault.encrypt(phone.as_str())?)),
        name: Set(name),
        password_hash: Set(password_hash),
        frozen: Set(false),
        must_change_password: Set(must_change_password),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(Error::unique("phone", "该手机号已注册"))
}

/// Creates a platform administrator from the command line (no actor: the operator of the
/// machine is trusted).
pub async fn create_platform_admin(
    app: &App,
    phone: &str,
    name: &str,
    password: &str,
) -> Result<i64> {
    let mut invalid = Invalid::default();
    let phone = invalid.take("phone", Phone::parse(phone));
    let name = invalid.text("name", name, 50);
    let password = invalid.take("password", Password::parse(password));
    check(invalid)?;
    let (Some(phone), Some(name), Some(password)) = (phone, name, password) else {
        return Err(Error::Internal("validation".into()));
    };
    let root = crate::org::ensure_platform_root(app).await?;
    let admin_role = role::Entity::find()
        .filter(role::Column::Code.eq("platform_admin"))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("平台管理员角色"))?;
    let hash = hash_password(&password)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    if find_by_phone(app, &txn, &phone).await?.is_some() {
        return Err(Error::conflict_on("phone", "该手机号已注册"));
    }
    let now = app.now();
    let created = insert_user(app, &txn, &phone, name, hash, false, now).await?;
    membership::ActiveModel {
        user_id: Set(created.id),
        org_id: Set(root.id),
        role_id: Set(admin_role.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &By::system(),
        Change {
            org_id: Some(root.id),
            org_path: &root.path,
            action: "user.create",
            entity_type: "user",
            entity_id: Some(created.id),
            summary: format!(
                "命令行创建平台管理员 {}（{}）",
                created.name,
                phone.masked()
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// The condition "the account's phone number is `phone`", through the blind index (under
/// every key held: during a key rotation a row may still carry the older key's).
pub(crate) fn phone_is(app: &App, phone: &Phone) -> kehou_store::sea_orm::sea_query::SimpleExpr {
    user::Column::PhoneIndex.is_in(app.vault.blind_indexes(phone.as_str()))
}

/// The account with this phone number, if any.
pub(crate) async fn find_by_phone(
    app: &App,
    db: &impl ConnectionTrait,
    phone: &Phone,
) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(phone_is(app, phone))
        .one(db)
        .await?)
}

/// Encrypts the phone numbers of accounts stored before numbers were encrypted: they hold
/// the number itself where the blind index belongs, and no ciphertext. Runs at startup.
pub(crate) async fn encrypt_legacy_phones(app: &App) -> Result<usize> {
    let legacy = user::Entity::find()
        .filter(user::Column::PhoneEnc.is_null())
        // An erased account holds no number at all (`system::privacy`).
        .filter(user::Column::PhoneIndex.not_like("erased:%"))
        .all(&app.db)
        .await?;
    if legacy.is_empty() {
        return Ok(0);
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    for u in &legacy {
        let plain = u.phone_index.clone();
        let mut m = u.clone().into_active_model();
        m.phone_index = Set(app.vault.blind_index(&plain));
        m.phone_enc = Set(Some(app.vault.encrypt(&plain)?));
        m.update(&txn).await?;
    }
    txn.commit().await?;
    tracing::info!(accounts = legacy.len(), "encrypted account phone numbers");
    Ok(legacy.len())
}

/// The names of accounts by id, for areas that keep user ids (a patrol task's teacher).
pub(crate) async fn names_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// Where the account holds a role other than 家长 (a post its employer has to end before
/// the person's data can be erased): that organization's name.
pub(crate) async fn role_other_than_parent(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<String>> {
    Ok(posts_of(db, user_id)
        .await?
        .into_iter()
        .find(|(_, v)| v.role_code.as_deref() != Some("parent"))
        .map(|(_, v)| v.org_name))
}

/// Every membership of the account, named, with when it began.
async fn posts_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<(DateTime<Utc>, MembershipView)>> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let since: std::collections::HashMap<i64, DateTime<Utc>> =
        memberships.iter().map(|m| (m.id, m.created_at)).collect();
    Ok(membership_views(db, &memberships, |_| true)
        .await?
        .into_iter()
        .map(|(_, v)| (since.get(&v.id).copied().unwrap_or_default(), v))
        .collect())
}

/// Erases an account's personal data (`system::privacy`): its sessions, memberships and
/// their departments, its text-message codes go; the row stays, nameless and unusable, so
/// that the records naming its id still add up. Returns (memberships, sessions) removed.
pub(crate) async fn forget(
    app: &App,
    db: &impl ConnectionTrait,
    u: &user::Model,
    phone: &Phone,
) -> Result<(u64, u64)> {
    use kehou_store::entity::identity::{membership_department, session, sms_code};
    let sessions = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id))
        .exec(db)
        .await?
        .rows_affected;
    let ids: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(u.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    membership_department::Entity::delete_many()
        .filter(membership_department::Column::MembershipId.is_in(ids.clone()))
        .exec(db)
        .await?;
    let memberships = membership::Entity::delete_many()
        .filter(membership::Column::Id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected;
    sms_code::Entity::delete_many()
        .filter(sms_code::Column::PhoneIndex.is_in(app.vault.blind_indexes(phone.as_str())))
        .exec(db)
        .await?;
    let mut m = u.clone().into_active_model();
    m.name = Set(ERASED_NAME.into());
    // Unique and never a blind index (those are 64 hex characters): the number is free
    // for a new account.
    m.phone_index = Set(format!("erased:{}", u.id));
    m.phone_enc = Set(None);
    m.password_hash = Set("!".into());
    m.frozen = Set(true);
    m.updated_at = Set(app.now());
    m.update(db).await?;
    Ok((memberships, sessions))
}

/// What the account holds about its person, for their personal-data export: the account
/// itself and the roles it holds where (with their departments).
pub(crate) async fn personal_data_of(
    db: &impl ConnectionTrait,
    u: &user::Model,
    phone: &Phone,
) -> Result<(serde_json::Value, Vec<serde_json::Value>)> {
    use crate::platform::clock::china_time;
    use serde_json::json;
    let account = json!({
        "姓名": u.name,
        "手机号": phone.as_str(),
        "注册时间": china_time(u.created_at),
        "已冻结": u.frozen,
    });
    let posts = posts_of(db, u.id)
        .await?
        .into_iter()
        .map(|(since, v)| {
            json!({
                "单位": v.org_name,
                "角色": v.role_name,
                "科室": v.departments.into_iter().map(|d| d.name).collect::<Vec<_>>(),
                "开始时间": china_time(since),
            })
        })
        .collect();
    Ok((account, posts))
}

/// The name an erased account shows wherever it is named.
pub const ERASED_NAME: &str = "已注销用户";
