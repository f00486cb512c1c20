//! Staff of a school (C2): teachers and other staff with subjects, title, certificate,
//! department and posts. Each is an account (found or created by phone) holding one or
//! more roles at the school; one person may hold several.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kehou_domain::{Gender, Invalid, OrgKind, Password, Permission, Phone};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::org;
use kehou_store::entity::school::{school_unit, staff};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::import::{Mode, Outcome, Progress, RowErrors, Runner};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::platform::sheet::{Column, Row};
use crate::school::school_for;
use crate::{Actor, App, Error, Page, PageRequest, Result};

/// Professional titles of primary and secondary school teachers.
pub const TITLES: [&str; 6] = [
    "正高级教师",
    "高级教师",
    "一级教师",
    "二级教师",
    "三级教师",
    "未定级",
];

pub const COLUMNS: &[Column] = &[
    Column {
        title: "姓名",
        required: true,
        help: "最多50个字符",
    },
    Column {
        title: "手机号",
        required: true,
        help: "11位手机号，用于登录；再次导入时按手机号更新；已有账号的自动关联",
    },
    Column {
        title: "性别",
        required: true,
        help: "男 或 女",
    },
    Column {
        title: "角色",
        required: true,
        help: "本校可分配的角色名称，多个用“、”分隔，如 任课教师、班主任",
    },
    Column {
        title: "任教学科",
        required: false,
        help: "多个用“、”分隔，如 语文、书法；最多100个字符",
    },
    Column {
        title: "职称",
        required: false,
        help: "正高级教师、高级教师、一级教师、二级教师、三级教师 或 未定级",
    },
    Column {
        title: "教师资格证号",
        required: false,
        help: "字母和数字，最多30位",
    },
    Column {
        title: "教研组",
        required: false,
        help: "本校已建的教研组名称，如 语文教研组",
    },
    Column {
        title: "岗位",
        required: false,
        help: "本校已建的岗位名称，多个用“、”分隔",
    },
];

pub const EXAMPLE: &[&str] = &[
    "李老师",
    "13900001234",
    "女",
    "任课教师",
    "语文、书法",
    "一级教师",
    "20194400000123",
    "语文教研组",
    "",
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffView {
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub name: String,
    /// Masked: `139****1234`.
    pub phone: String,
    pub gender: String,
    pub gender_label: &'static str,
    pub subjects: Option<String>,
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub posts: Option<String>,
    /// The roles the person holds at the school.
    pub roles: Vec<String>,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<staff::Model>,
) -> Result<Vec<StaffView>> {
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|s| s.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let school_ids: Vec<i64> = rows.iter().map(|s| s.school_id).collect();
    let units: HashMap<i64, String> = school_unit::Entity::find()
        .filter(school_unit::Column::SchoolId.is_in(school_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let ms = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(rows.iter().map(|s| s.user_id)))
        .filter(membership::Column::OrgId.is_in(school_ids))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let role_names: HashMap<i64, String> = role::Entity::find()
        .filter(role::Column::Id.is_in(ms.iter().map(|m| m.role_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| {
            let u = users.get(&s.user_id);
            StaffView {
                id: s.id,
                school_id: s.school_id,
                user_id: s.user_id,
                name: u.map(|u| u.name.clone()).unwrap_or_default(),
                phone: u
                    .map(|u| app.vault.masked_account_phone(u))
                    .unwrap_or_default(),
                gender_label: if s.gender == "female" { "女" } else { "男" },
                gender: s.gender,
                subjects: s.subjects,
                title: s.title,
                certificate_no: s.certificate_no,
                department: s.department_id.and_then(|d| units.get(&d).cloned()),
                department_id: s.department_id,
                posts: s.posts,
                roles: ms
                    .iter()
                    .filter(|m| m.user_id == s.user_id && m.org_id == s.school_id)
                    .filter_map(|m| role_names.get(&m.role_id).cloned())
                    .collect(),
                active: s.active,
                updated_at: s.updated_at,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// A name fragment or a whole phone number.
    pub q: Option<String>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
}

pub async fn list_staff(
    app: &App,
    actor: &Actor,
    school_id: i64,
    filter: &StaffFilter,
    page: PageRequest,
) -> Result<Page<StaffView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let mut q = staff::Entity::find().filter(staff::Column::SchoolId.eq(school.id));
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // A whole phone number is found through its blind index, anything else by name.
        let matches = match Phone::parse(text) {
            Ok(phone) => Condition::all().add(crate::identity::account::phone_is(app, &phone)),
            Err(_) => Condition::all().add(user::Column::Name.contains(text)),
        };
        let users = kehou_store::sea_orm::sea_query::Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .cond_where(matches)
            .to_owned();
        q = q.filter(staff::Column::UserId.in_subquery(users));
    }
    if let Some(d) = filter.department_id {
        q = q.filter(staff::Column::DepartmentId.eq(d));
    }
    if let Some(active) = filter.active {
        q = q.filter(staff::Column::Active.eq(active));
    }
    let total = q.clone().count(&app.db).await?;
    let rows = q
        .order_by_asc(staff::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    Ok(Page {
        items: views(app, &app.db, rows).await?,
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

pub async fn get_staff(app: &App, actor: &Actor, school_id: i64, id: i64) -> Result<StaffView> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let s = staff::Entity::find_by_id(id)
        .filter(staff::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("教职工"))?;
    Ok(views(app, &app.db, vec![s]).await?.remove(0))
}

/// A staff member as entered on the form, the API or a sheet row.
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub gender: Option<String>,
    pub subjects: Option<String>,
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    pub department_id: Option<i64>,
    pub posts: Option<String>,
    pub role_ids: Vec<i64>,
}

struct StaffFields {
    name: String,
    phone: Phone,
    gender: Gender,
    subjects: Option<String>,
    title: Option<String>,
    certificate_no: Option<String>,
    posts: Option<String>,
}

/// Lists separated by 、 , ， or ; are kept joined by 、.
fn list_text(value: &str) -> String {
    value
        .split(['、', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("、")
}

fn check_fields(input: &StaffInput, invalid: &mut Invalid) -> Option<StaffFields> {
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    let phone = invalid.take("phone", Phone::parse(input.phone.as_deref().unwrap_or("")));
    let gender = invalid.take(
        "gender",
        Gender::parse(input.gender.as_deref().unwrap_or("")),
    );
    let subjects = invalid.optional_text(
        "subjects",
        input.subjects.as_deref().map(list_text).as_deref(),
        100,
    );
    let title = match input.title.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(t) if TITLES.contains(&t) => Some(Some(t.to_string())),
        Some(_) => {
            invalid.push(
                "title",
                "职称应为正高级教师、高级教师、一级教师、二级教师、三级教师或未定级",
            );
            None
        }
    };
    let certificate_no = match input.certificate_no.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(c) if c.len() <= 30 && c.chars().all(|ch| ch.is_ascii_alphanumeric()) => {
            Some(Some(c.to_string()))
        }
        Some(_) => {
            invalid.push("certificate_no", "教师资格证号应为字母和数字，最多30位");
            None
        }
    };
    let posts = invalid.optional_text(
        "posts",
        input.posts.as_deref().map(list_text).as_deref(),
        200,
    );
    Some(StaffFields {
        name: name?,
        phone: phone?,
        gender: gender?,
        subjects: subjects?,
        title: title?,
        certificate_no: certificate_no?,
        posts: posts?,
    })
}

/// The roles that may be given at the school: school roles other than parent, visible to
/// the runner, and (for a person) holding no permission the person lacks.
async fn assignable_roles(
    db: &impl ConnectionTrait,
    runner: &Runner,
    school: &org::Model,
) -> Result<Vec<role::Model>> {
    let candidates = role::Entity::find()
        .filter(role::Column::OrgKind.eq(OrgKind::School.code()))
        .order_by_asc(role::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for r in candidates {
        if r.code.as_deref() == Some("parent") {
            continue;
        }
        let allowed = match runner {
            Runner::System => r.owner_org_id.is_none() || r.owner_org_id == Some(school.id),
            Runner::Actor(actor) => {
                crate::identity::role::load_visible(db, actor, r.id)
                    .await
                    .is_ok()
                    && crate::identity::role::check_assignable(db, actor, &r, school)
                        .await
                        .is_ok()
            }
        };
        if allowed {
            out.push(r);
        }
    }
    Ok(out)
}

/// The roles a school administrator may give to staff, for the form's choices.
pub async fn staff_roles(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<(i64, String)>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let runner = Runner::Actor(Box::new(actor.clone()));
    Ok(assignable_roles(&app.db, &runner, &school)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

/// What changed between two versions of a staff record; the certificate number masked.
async fn staff_diff(
    db: &impl ConnectionTrait,
    school_id: i64,
    old: &staff::Model,
    new: &staff::Model,
) -> Result<audit::Diff> {
    // The names are read only when the department changed (an import diffs every row).
    let departments: HashMap<i64, String> = if old.department_id == new.department_id {
        HashMap::new()
    } else {
        school_unit::Entity::find()
            .filter(school_unit::Column::SchoolId.eq(school_id))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let dept = |d: Option<i64>| {
        d.and_then(|id| departments.get(&id).cloned())
            .unwrap_or_default()
    };
    let active = |a: bool| if a { "在职" } else { "离职" };
    let mut d = audit::Diff::default();
    d.field("任教学科", &text(&old.subjects), &text(&new.subjects));
    d.field("职称", &text(&old.title), &text(&new.title));
    d.secret("教师资格证号", old.certificate_no != new.certificate_no);
    d.field("教研组", &dept(old.department_id), &dept(new.department_id));
    d.field("岗位", &text(&old.posts), &text(&new.posts));
    d.field(
        "性别",
        if old.gender == "female" { "女" } else { "男" },
        if new.gender == "female" { "女" } else { "男" },
    );
    d.field("状态", active(old.active), active(new.active));
    Ok(d)
}

/// What [`upsert`] did.
enum Upserted {
    Staff {
        record: staff::Model,
        created: bool,
        new_account: bool,
    },
    /// The number's account belongs to another organization: it was offered the roles, and
    /// its owner decides in their messages. `user_id` is to announce the message to.
    Offered { user_id: i64 },
}

/// What a school entered for a person whose account belongs elsewhere: the staff record
/// to create when they accept.
#[derive(Debug, Serialize, serde::Deserialize)]
struct OfferedStaff {
    name: String,
    gender: String,
    subjects: Option<String>,
    title: Option<String>,
    certificate_no: Option<String>,
    department_id: Option<i64>,
    posts: Option<String>,
}

fn gender_code(g: Gender) -> &'static str {
    match g {
        Gender::Male => "male",
        Gender::Female => "female",
    }
}

/// Creates or updates the staff record of one person and adds the roles they lack; an
/// account that belongs to another organization is offered the roles instead.
#[allow(clippy::too_many_arguments)]
async fn upsert(
    app: &App,
    txn: &DatabaseTransaction,
    school: &org::Model,
    f: &StaffFields,
    department_id: Option<i64>,
    roles: &[i64],
    new_account_hash: &str,
    now: DateTime<Utc>,
    update_existing: bool,
    by: &By<'_>,
) -> Result<Upserted> {
    let (account, new_account) =
        match crate::identity::account::find_by_phone(app, txn, &f.phone).await? {
            Some(u) => (u, false),
            None => (
                crate::identity::account::insert_user(
                    app,
                    txn,
                    &f.phone,
                    f.name.clone(),
                    new_account_hash.to_string(),
                    true,
                    now,
                )
                .await?,
                true,
            ),
        };
    let existing = staff::Entity::find()
        .filter(staff::Column::SchoolId.eq(school.id))
        .filter(staff::Column::UserId.eq(account.id))
        .one(txn)
        .await?;
    if !new_account
        && existing.is_none()
        && crate::identity::offer::belongs_elsewhere(txn, account.id, school.id).await?
    {
        let payload = serde_json::to_string(&OfferedStaff {
            name: f.name.clone(),
            gender: gender_code(f.gender).into(),
            subjects: f.subjects.clone(),
            title: f.title.clone(),
            certificate_no: f.certificate_no.clone(),
            department_id,
            posts: f.posts.clone(),
        })
        .map_err(|e| Error::Internal(e.to_string()))?;
        crate::identity::offer::offer(
            txn,
            crate::identity::offer::NewOffer {
                user_id: account.id,
                org: school,
                role_ids: roles,
                payload,
                by,
            },
            now,
        )
        .await?;
        return Ok(Upserted::Offered {
            user_id: account.id,
        });
    }
    let gender = gender_code(f.gender);
    let (record, created) = match existing {
        Some(_) if !update_existing => {
            return Err(Error::conflict_on(
                "phone",
                format!("手机号 {} 已是本校教职工", f.phone.masked()),
            ));
        }
        Some(current) => {
            let mut m = current.clone().into_active_model();
            m.gender = Set(gender.into());
            m.subjects = Set(f.subjects.clone());
            m.title = Set(f.title.clone());
            m.certificate_no = Set(f.certificate_no.clone());
            m.department_id = Set(department_id);
            m.posts = Set(f.posts.clone());
            m.active = Set(true);
            m.updated_at = Set(now);
            let updated = m.update(txn).await?;
            let diff = staff_diff(txn, school.id, &current, &updated).await?;
            if !diff.is_empty() {
                audit::record(
                    txn,
                    now,
                    by,
                    Change {
                        org_id: Some(school.id),
                        org_path: &school.path,
                        action: "staff.update",
                        entity_type: "staff",
                        entity_id: Some(updated.id),
                        summary: format!("导入更新教职工 {}{}", f.name, diff.suffix()),
                    },
                )
                .await?;
            }
            (updated, false)
        }
        None => (
            staff::ActiveModel {
                school_id: Set(school.id),
                user_id: Set(account.id),
                gender: Set(gender.into()),
                subjects: Set(f.subjects.clone()),
                title: Set(f.title.clone()),
                certificate_no: Set(f.certificate_no.clone()),
                department_id: Set(department_id),
                posts: Set(f.posts.clone()),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?,
            true,
        ),
    };
    let held: Vec<i64> = membership::Entity::find()
        .select_only()
        .column(membership::Column::RoleId)
        .filter(membership::Column::UserId.eq(account.id))
        .filter(membership::Column::OrgId.eq(school.id))
        .into_tuple()
        .all(txn)
        .await?;
    for role_id in roles.iter().filter(|r| !held.contains(r)) {
        membership::ActiveModel {
            user_id: Set(account.id),
            org_id: Set(school.id),
            role_id: Set(*role_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(Upserted::Staff {
        record,
        created,
        new_account,
    })
}

/// Creates the staff record a school offered, once its person accepted (nothing when the
/// offer was not for staff, or the record exists).
pub(crate) async fn create_from_offer(
    db: &impl ConnectionTrait,
    offer: &kehou_store::entity::identity::membership_offer::Model,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let Ok(o) = serde_json::from_str::<OfferedStaff>(&offer.payload) else {
        return Ok(());
    };
    let exists = staff::Entity::find()
        .filter(staff::Column::SchoolId.eq(offer.org_id))
        .filter(staff::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    // The department may have gone since the offer.
    let department_id = match o.department_id {
        Some(id) => school_unit::Entity::find_by_id(id)
            .filter(school_unit::Column::SchoolId.eq(offer.org_id))
            .one(db)
            .await?
            .map(|u| u.id),
        None => None,
    };
    staff::ActiveModel {
        school_id: Set(offer.org_id),
        user_id: Set(user_id),
        gender: Set(o.gender),
        subjects: Set(o.subjects),
        title: Set(o.title),
        certificate_no: Set(o.certificate_no),
        department_id: Set(department_id),
        posts: Set(o.posts),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The school's offers still awaiting an answer, with the names the school entered.
pub async fn pending_invitations(
    app: &App,
    actor: &Actor,
    school_id: i64,
) -> Result<Vec<crate::identity::offer::PendingOffer>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    crate::identity::offer::pending_of(app, &app.db, school.id, |payload| {
        serde_json::from_str::<OfferedStaff>(payload)
            .map(|o| o.name)
            .unwrap_or_default()
    })
    .await
}

/// A created staff member, with the one-time password when a new account was made; or,
/// when the number's account belongs to another organization, no staff yet: the roles
/// were offered and the person decides (`invited`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedStaff {
    pub staff: Option<StaffView>,
    pub initial_password: Option<String>,
    pub invited: bool,
}

async fn check_department(
    db: &impl ConnectionTrait,
    school_id: i64,
    department_id: Option<i64>,
) -> Result<()> {
    if let Some(id) = department_id
        && school_unit::Entity::find_by_id(id)
            .filter(school_unit::Column::SchoolId.eq(school_id))
            .filter(school_unit::Column::Kind.eq("department"))
            .one(db)
            .await?
            .is_none()
    {
        return Err(Error::invalid("department_id", "教研组不存在"));
    }
    Ok(())
}

pub async fn create_staff(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: StaffInput,
) -> Result<CreatedStaff> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let mut invalid = Invalid::default();
    let fields = check_fields(&input, &mut invalid);
    if input.role_ids.is_empty() {
        invalid.push("role_ids", "请至少选择一个角色");
    }
    check(invalid)?;
    let Some(f) = fields else {
        return Err(Error::Internal("validation".into()));
    };
    check_department(&txn, school.id, input.department_id).await?;
    let runner = Runner::Actor(Box::new(actor.clone()));
    let allowed = assignable_roles(&txn, &runner, &school).await?;
    if let Some(bad) = input
        .role_ids
        .iter()
        .find(|id| !allowed.iter().any(|r| r.id == **id))
    {
        return Err(Error::invalid(
            "role_ids",
            format!("角色 {bad} 不存在或不能由您分配"),
        ));
    }
    let plain = crate::identity::account::generate_password();
    let hash =
        crate::identity::auth::hash_password(&Password::parse(&plain).map_err(Error::Internal)?)?;
    let now = app.now();
    let by = By::actor(actor);
    let upserted = upsert(
        app,
        &txn,
        &school,
        &f,
        input.department_id,
        &input.role_ids,
        &hash,
        now,
        false,
        &by,
    )
    .await?;
    let (record, new_account) = match upserted {
        Upserted::Staff {
            record,
            new_account,
            ..
        } => (record, new_account),
        Upserted::Offered { user_id } => {
            audit::record(
                &txn,
                now,
                &by,
                Change {
                    org_id: Some(school.id),
                    org_path: &school.path,
                    action: "membership.offer",
                    entity_type: "staff",
                    entity_id: None,
                    summary: format!(
                        "邀请 {}（{}）加入本校任教职工，待对方接受",
                        f.name,
                        f.phone.masked()
                    ),
                },
            )
            .await?;
            txn.commit().await?;
            crate::platform::messages::announce(app, user_id);
            return Ok(CreatedStaff {
                staff: None,
                initial_password: None,
                invited: true,
            });
        }
    };
    audit::record(
        &txn,
        now,
        &by,
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "staff.create",
            entity_type: "staff",
            entity_id: Some(record.id),
            summary: format!(
                "新增教职工 {}（{}）{}",
                f.name,
                f.phone.masked(),
                if new_account {
                    "，并开通账号"
                } else {
                    "，关联已有账号"
                }
            ),
        },
    )
    .await?;
    let view = views(app, &txn, vec![record]).await?.remove(0);
    txn.commit().await?;
    Ok(CreatedStaff {
        staff: Some(view),
        initial_password: new_account.then_some(plain),
        invited: false,
    })
}

#[derive(Debug, Clone, Default)]
pub struct StaffPatch {
    pub subjects: Option<String>,
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    pub department_id: Option<Option<i64>>,
    pub posts: Option<String>,
    pub active: Option<bool>,
}

pub async fn update_staff(
    app: &App,
    actor: &Actor,
    school_id: i64,
    id: i64,
    patch: StaffPatch,
) -> Result<StaffView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let current = staff::Entity::find_by_id(id)
        .filter(staff::Column::SchoolId.eq(school.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("教职工"))?;
    let mut invalid = Invalid::default();
    // The shared checks need a name, phone and gender; the patch does not change them.
    let probe = StaffInput {
        name: Some("-".into()),
        phone: Some("13800000000".into()),
        gender: Some("男".into()),
        subjects: patch.subjects.clone(),
        title: patch.title.clone(),
        certificate_no: patch.certificate_no.clone(),
        posts: patch.posts.clone(),
        ..Default::default()
    };
    let fields = check_fields(&probe, &mut invalid);
    check(invalid)?;
    let Some(f) = fields else {
        return Err(Error::Internal("validation".into()));
    };
    let mut m = current.clone().into_active_model();
    if patch.subjects.is_some() {
        m.subjects = Set(f.subjects);
    }
    if patch.title.is_some() {
        m.title = Set(f.title);
    }
    if patch.certificate_no.is_some() {
        m.certificate_no = Set(f.certificate_no);
    }
    if patch.posts.is_some() {
        m.posts = Set(f.posts);
    }
    if let Some(department_id) = patch.department_id {
        check_department(&txn, school.id, department_id).await?;
        m.department_id = Set(department_id);
    }
    if let Some(active) = patch.active {
        m.active = Set(active);
    }
    let now = app.now();
    m.updated_at = Set(now);
    let updated = m.update(&txn).await?;
    let diff = staff_diff(&txn, school.id, &current, &updated).await?;
    let view = views(app, &txn, vec![updated]).await?.remove(0);
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "staff.update",
            entity_type: "staff",
            entity_id: Some(view.id),
            summary: format!("修改教职工 {}{}", view.name, diff.suffix()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

fn column_of(field: &str) -> &'static str {
    match field {
        "name" => "姓名",
        "phone" => "手机号",
        "gender" => "性别",
        "subjects" => "任教学科",
        "title" => "职称",
        "certificate_no" => "教师资格证号",
        _ => "岗位",
    }
}

/// Imports staff rows; a phone already on the staff updates that person.
pub(crate) async fn import(
    app: &App,
    runner: &Runner,
    school: &org::Model,
    rows: Vec<Row>,
    mode: Mode,
    progress: &Progress,
) -> Result<Outcome> {
    progress.stage("校验数据", rows.len());
    let roles = assignable_roles(&app.db, runner, school).await?;
    let units = school_unit::Entity::find()
        .filter(school_unit::Column::SchoolId.eq(school.id))
        .all(&app.db)
        .await?;
    let mut errors = RowErrors::default();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut good = Vec::new();
    for row in &rows {
        progress.advance(1);
        let cell = |i: usize| Some(row.get(i).to_string()).filter(|v| !v.is_empty());
        let mut invalid = Invalid::default();
        let fields = check_fields(
            &StaffInput {
                name: cell(0),
                phone: cell(1),
                gender: cell(2),
                subjects: cell(4),
                title: cell(5),
                certificate_no: cell(6),
                posts: cell(8),
                ..Default::default()
            },
            &mut invalid,
        );
        for e in invalid.0 {
            errors.push(row.number, column_of(&e.field), e.reason);
        }
        let mut role_ids = Vec::new();
        for name in list_text(row.get(3)).split('、').filter(|n| !n.is_empty()) {
            match roles.iter().find(|r| r.name == name) {
                Some(r) => role_ids.push(r.id),
                None => errors.push(
                    row.number,
                    "角色",
                    format!(
                        "没有可分配的角色“{name}”，可选：{}",
                        roles
                            .iter()
                            .map(|r| r.name.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                ),
            }
        }
        if row.get(3).is_empty() {
            errors.push(row.number, "角色", "不能为空");
        }
        let department_id = match row.get(7) {
            "" => None,
            name => {
                let found = units
                    .iter()
                    .find(|u| u.kind == "department" && u.name == name);
                if found.is_none() {
                    errors.push(
                        row.number,
                        "教研组",
                        format!("本校没有教研组“{name}”，请先在“班级管理”中添加"),
                    );
                }
                found.map(|u| u.id)
            }
        };
        for post in list_text(row.get(8)).split('、').filter(|n| !n.is_empty()) {
            if !units.iter().any(|u| u.kind == "post" && u.name == post) {
                errors.push(row.number, "岗位", format!("本校没有岗位“{post}”"));
            }
        }
        let Some(f) = fields else { continue };
        if let Some(first) = seen.insert(f.phone.as_str().to_string(), row.number) {
            errors.push(row.number, "手机号", format!("与第{first}行的手机号重复"));
        }
        if !errors.has(row.number) {
            good.push((f, department_id, role_ids));
        }
    }
    let (mut outcome, write) = Outcome::validated(rows.len(), errors, good.len(), mode);
    if !write {
        return Ok(outcome);
    }
    progress.stage("写入数据库", good.len());
    let unusable = Password::parse(&format!(
        "{}a1",
        &crate::identity::auth::random_token()[..30]
    ))
    .map_err(Error::Internal)?;
    let hash = crate::identity::auth::hash_password(&unusable)?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let by = runner.by();
    let mut invited = Vec::new();
    for (f, department_id, role_ids) in &good {
        match upsert(
            app,
            &txn,
            school,
            f,
            *department_id,
            role_ids,
            &hash,
            now,
            true,
            &by,
        )
        .await?
        {
            Upserted::Staff { created: true, .. } => outcome.created += 1,
            Upserted::Staff { .. } => outcome.updated += 1,
            Upserted::Offered { user_id } => {
                outcome.invited += 1;
                invited.push(user_id);
            }
        }
        progress.advance(1);
    }
    outcome
        .record(&txn, now, runner, school, crate::import::Kind::Staff)
        .await?;
    txn.commit().await?;
    for user_id in invited {
        crate::platform::messages::announce(app, user_id);
    }
    Ok(outcome)
}

/// The active staff of a school as (id, name), by name: the teachers other areas may
/// assign (an offering's own courses). The caller has checked its own permission.
pub async fn active_staff(db: &impl ConnectionTrait, school_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = staff::Entity::find()
        .filter(staff::Column::SchoolId.eq(school_id))
        .filter(staff::Column::Active.eq(true))
        .all(db)
        .await?;
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|s| s.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out: Vec<(i64, String)> = rows
        .into_iter()
        .map(|s| (s.id, names.get(&s.user_id).cloned().unwrap_or_default()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// A staff member's school, account and name, when active: whom a substitute request
/// names.
pub(crate) async fn active_member(
    db: &impl ConnectionTrait,
    staff_id: i64,
) -> Result<Option<(i64, i64, String)>> {
    let Some(s) = staff::Entity::find_by_id(staff_id)
        .one(db)
        .await?
        .filter(|s| s.active)
    else {
        return Ok(None);
    };
    let name = user::Entity::find_by_id(s.user_id)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(Some((s.school_id, s.user_id, name)))
}

/// The staff record of an account at a school, if any: whose lessons a teacher's leave
/// hands over.
pub(crate) async fn staff_id_of(
    db: &impl ConnectionTrait,
    school_id: i64,
    user_id: i64,
) -> Result<Option<i64>> {
    Ok(staff::Entity::find()
        .filter(staff::Column::SchoolId.eq(school_id))
        .filter(staff::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(|s| s.id))
}
