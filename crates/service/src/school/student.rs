//! Students and guardians (C6). ID numbers are encrypted at rest and masked in every list
//! unless the role may see them whole; each whole view is audited (P4). Guardians are
//! parent accounts, created or linked by phone number; a parent sees their own children.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kehou_domain::school::class_name;
use kehou_domain::{Gender, IdCardNo, Invalid, Password, Permission, Phone};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::org;
use kehou_store::entity::school::{admin_class, guardian, student};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::school::{load_school, school_for};
use crate::{Actor, App, Error, Page, PageRequest, Principal, Result};

pub const STATUSES: [(&str, &str); 3] = [
    ("enrolled", "在读"),
    ("transferred", "转出"),
    ("graduated", "毕业"),
];

fn status_label(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("在读")
}

/// The display names of a school's classes by id (三年级(2)班), for audit lines.
pub(crate) async fn class_names(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<HashMap<i64, String>> {
    Ok(admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            let name = kehou_domain::school::class_name(
                u8::try_from(c.grade).unwrap_or(0),
                u8::try_from(c.number).unwrap_or(0),
            );
            (c.id, format!("{} {name}", c.school_year))
        })
        .collect())
}

/// What changed between two versions of a student, the ID number masked.
pub(crate) fn student_diff(
    old: &student::Model,
    new: &student::Model,
    classes: &HashMap<i64, String>,
) -> crate::platform::audit::Diff {
    let gender = |g: &str| if g == "female" { "女" } else { "男" };
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let class = |c: Option<i64>| {
        c.and_then(|id| classes.get(&id).cloned())
            .unwrap_or_default()
    };
    let mut d = crate::platform::audit::Diff::default();
    d.field("姓名", &old.name, &new.name);
    d.field("性别", gender(&old.gender), gender(&new.gender));
    d.secret("身份证号", old.id_no_index != new.id_no_index);
    d.field("出生日期", &date(old.birth_date), &date(new.birth_date));
    d.field("班级", &class(old.class_id), &class(new.class_id));
    d.field("状态", status_label(&old.status), status_label(&new.status));
    d
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GuardianView {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// Masked: `138****0007`.
    pub phone: String,
    pub relation: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StudentView {
    pub id: i64,
    pub school_id: i64,
    pub student_no: String,
    pub name: String,
    /// male or female.
    pub gender: String,
    pub gender_label: &'static str,
    /// Masked (`4420**********123X`); the whole number through the audited endpoint.
    pub id_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub class_id: Option<i64>,
    pub class_name: Option<String>,
    /// enrolled, transferred or graduated.
    pub status: String,
    pub status_label: &'static str,
    pub guardians: Vec<GuardianView>,
    pub updated_at: DateTime<Utc>,
}

fn masked_id(app: &App, enc: Option<&str>) -> Option<String> {
    let enc = enc?;
    Some(
        app.vault
            .decrypt(enc)
            .ok()
            .and_then(|plain| IdCardNo::parse(&plain).ok())
            .map(|id| id.masked())
            .unwrap_or_else(|| "无法解密".into()),
    )
}

/// Views of students with their class names and guardians, in three queries.
async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<student::Model>,
) -> Result<Vec<StudentView>> {
    let class_ids: Vec<i64> = rows.iter().filter_map(|s| s.class_id).collect();
    let classes: HashMap<i64, admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::Id.is_in(class_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let gs = guardian::Entity::find()
        .filter(guardian::Column::StudentId.is_in(rows.iter().map(|s| s.id)))
        .order_by_asc(guardian::Column::Id)
        .all(db)
        .await?;
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(gs.iter().map(|g| g.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| {
            let class = s.class_id.and_then(|id| classes.get(&id));
            let guardians = gs
                .iter()
                .filter(|g| g.student_id == s.id)
                .filter_map(|g| {
                    let u = users.get(&g.user_id)?;
                    Some(GuardianView {
                        id: g.id,
                        user_id: u.id,
                        name: u.name.clone(),
                        phone: app.vault.masked_account_phone(u),
                        relation: g.relation.clone(),
                    })
                })
                .collect();
            StudentView {
                id: s.id,
                school_id: s.school_id,
                id_number: masked_id(app, s.id_no_enc.as_deref()),
                class_name: class.map(|c| {
                    c.alias.clone().unwrap_or_else(|| {
                        class_name(
                            u8::try_from(c.grade).unwrap_or(0),
                            u8::try_from(c.number).unwrap_or(0),
                        )
                    })
                }),
                gender_label: if s.gender == "female" { "女" } else { "男" },
                status_label: status_label(&s.status),
                student_no: s.student_no,
                name: s.name,
                gender: s.gender,
                birth_date: s.birth_date,
                class_id: s.class_id,
                status: s.status,
                guardians,
                updated_at: s.updated_at,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct StudentFilter {
    /// A name or student number fragment, or a whole ID number.
    pub q: Option<String>,
    pub class_id: Option<i64>,
    pub status: Option<String>,
}

/// The administrative classes whose students the actor may see in a school: `None` for
/// all of them (`student.view_all`), otherwise the classes the actor heads. Teachers,
/// head teachers and patrol teachers see their own classes' students, not the school's.
async fn visible_classes(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
) -> Result<Option<Vec<i64>>> {
    if actor.can(Permission::StudentViewAll) {
        return Ok(None);
    }
    Ok(Some(
        admin_class::Entity::find()
            .filter(admin_class::Column::SchoolId.eq(school_id))
            .filter(admin_class::Column::HeadTeacherId.eq(actor.user_id))
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    ))
}

/// The students of a school that match a filter, within `classes` when given.
fn matching(
    app: &App,
    school_id: i64,
    filter: &StudentFilter,
    classes: Option<&[i64]>,
) -> kehou_store::sea_orm::Select<student::Entity> {
    let mut q = student::Entity::find().filter(student::Column::SchoolId.eq(school_id));
    if let Some(classes) = classes {
        q = q.filter(student::Column::ClassId.is_in(classes.iter().copied()));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = match IdCardNo::parse(text) {
            // A whole ID number is found through its blind index, never by decrypting.
            Ok(id) => {
                q.filter(student::Column::IdNoIndex.is_in(app.vault.blind_indexes(id.as_str())))
            }
            Err(_) => q.filter(
                Condition::any()
                    .add(student::Column::Name.contains(text))
                    .add(student::Column::StudentNo.contains(text)),
            ),
        };
    }
    if let Some(class_id) = filter.class_id {
        q = q.filter(student::Column::ClassId.eq(class_id));
    }
    if let Some(status) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(student::Column::Status.eq(status));
    }
    q
}

pub async fn list_students(
    app: &App,
    actor: &Actor,
    school_id: i64,
    filter: &StudentFilter,
    page: PageRequest,
) -> Result<Page<StudentView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let classes = visible_classes(&app.db, actor, school.id).await?;
    let q = matching(app, school.id, filter, classes.as_deref());
    let total = q.clone().count(&app.db).await?;
    let rows = q
        .order_by_asc(student::Column::StudentNo)
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

async fn load_student(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
    student_id: i64,
) -> Result<(org::Model, student::Model)> {
    let school = load_school(db, actor, school_id).await?;
    let s = student::Entity::find_by_id(student_id)
        .filter(student::Column::SchoolId.eq(school.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("学生"))?;
    Ok((school, s))
}

pub async fn get_student(
    app: &App,
    actor: &Actor,
    school_id: i64,
    student_id: i64,
) -> Result<StudentView> {
    actor.require(Permission::SchoolView)?;
    let (school, s) = load_student(&app.db, actor, school_id, student_id).await?;
    if let Some(classes) = visible_classes(&app.db, actor, school.id).await?
        && !s.class_id.is_some_and(|c| classes.contains(&c))
    {
        return Err(Error::NotFound("学生"));
    }
    Ok(views(app, &app.db, vec![s]).await?.remove(0))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct GuardianInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// 父亲, 母亲, 祖父, 祖母, 外祖父, 外祖母, 其他.
    pub relation: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct StudentInput {
    pub student_no: Option<String>,
    pub name: Option<String>,
    pub gender: Option<String>,
    pub id_number: Option<String>,
    pub birth_date: Option<String>,
    pub class_id: Option<i64>,
    pub status: Option<String>,
    pub guardians: Vec<GuardianInput>,
}

pub const RELATIONS: [&str; 7] = ["父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "其他"];

/// Checked student fields.
pub struct StudentFields {
    pub student_no: String,
    pub name: String,
    pub gender: Gender,
    pub id_number: Option<IdCardNo>,
    pub birth_date: Option<NaiveDate>,
    pub class_id: Option<i64>,
    pub status: &'static str,
}

/// The one rule on a student's class, for the form, the edit and the import alike.
pub const CLASS_REQUIRED: &str = "在读学生须有班级（转出或毕业的学生可以不填）";

/// Checks a student's fields: the birth date and gender must agree with the ID number, and
/// a student at school has a class.
pub fn check_student(input: &StudentInput, invalid: &mut Invalid) -> Option<StudentFields> {
    let student_no = invalid.text("student_no", input.student_no.as_deref().unwrap_or(""), 30);
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    let gender = invalid.take(
        "gender",
        Gender::parse(input.gender.as_deref().unwrap_or("")),
    );
    let id_number = match input
        .id_number
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Some(None),
        Some(v) => invalid.take("id_number", IdCardNo::parse(v)).map(Some),
    };
    let birth_date = match input
        .birth_date
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Some(None),
        Some(v) => invalid
            .take(
                "birth_date",
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| "出生日期格式应为 年-月-日".to_string()),
            )
            .map(Some),
    };
    let status = match input.status.as_deref().filter(|s| !s.is_empty()) {
        None => Some("enrolled"),
        Some(s) => STATUSES
            .iter()
            .find(|(c, l)| *c == s || *l == s)
            .map(|(c, _)| *c)
            .or_else(|| {
                invalid.push("status", "状态应为在读、转出或毕业");
                None
            }),
    };
    if let (Some(Some(id)), Some(Some(birth))) = (&id_number, &birth_date)
        && id.birth_date() != *birth
    {
        invalid.push(
            "birth_date",
            format!("出生日期与身份证号不符（身份证号为 {}）", id.birth_date()),
        );
    }
    if let (Some(Some(id)), Some(g)) = (&id_number, &gender)
        && id.gender() != *g
    {
        invalid.push("gender", "性别与身份证号不符");
    }
    if status == Some("enrolled") && input.class_id.is_none() {
        invalid.push("class_id", CLASS_REQUIRED);
    }
    let (student_no, name, gender, id_number, birth_date, status) = (
        student_no?,
        name?,
        gender?,
        id_number?,
        birth_date?,
        status?,
    );
    let birth_date = birth_date.or_else(|| id_number.as_ref().map(IdCardNo::birth_date));
    Some(StudentFields {
        student_no,
        name,
        gender,
        id_number,
        birth_date,
        class_id: input.class_id,
        status,
    })
}

async fn check_class(
    db: &impl ConnectionTrait,
    school_id: i64,
    class_id: Option<i64>,
) -> Result<()> {
    if let Some(id) = class_id
        && admin_class::Entity::find_by_id(id)
            .filter(admin_class::Column::SchoolId.eq(school_id))
            .one(db)
            .await?
            .is_none()
    {
        return Err(Error::invalid("class_id", "班级不存在"));
    }
    Ok(())
}

/// A student number or ID number already used in the school answers 409 on that field.
async fn check_unique(
    app: &App,
    db: &impl ConnectionTrait,
    school_id: i64,
    f: &StudentFields,
) -> Result<()> {
    let same_no = student::Entity::find()
        .filter(student::Column::SchoolId.eq(school_id))
        .filter(student::Column::StudentNo.eq(f.student_no.as_str()))
        .one(db)
        .await?;
    if same_no.is_some() {
        return Err(Error::conflict_on(
            "student_no",
            format!("学号 {} 已存在", f.student_no),
        ));
    }
    if let Some(id) = &f.id_number {
        let same_id = student::Entity::find()
            .filter(student::Column::SchoolId.eq(school_id))
            .filter(student::Column::IdNoIndex.is_in(app.vault.blind_indexes(id.as_str())))
            .one(db)
            .await?;
        if let Some(other) = same_id {
            return Err(Error::conflict_on(
                "id_number",
                format!(
                    "本校学生 {}（学号 {}）已使用该身份证号",
                    other.name, other.student_no
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn gender_code(g: Gender) -> &'static str {
    match g {
        Gender::Male => "male",
        Gender::Female => "female",
    }
}

pub async fn create_student(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: StudentInput,
) -> Result<StudentView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let mut invalid = Invalid::default();
    let fields = check_student(&input, &mut invalid);
    for (i, g) in input.guardians.iter().enumerate() {
        check_guardian(g, &mut invalid, &format!("guardians[{i}]."));
    }
    check(invalid)?;
    let Some(f) = fields else {
        return Err(Error::Internal("validation".into()));
    };
    check_class(&txn, school.id, f.class_id).await?;
    check_unique(app, &txn, school.id, &f).await?;
    let now = app.now();
    let created = student::ActiveModel {
        school_id: Set(school.id),
        student_no: Set(f.student_no),
        name: Set(f.name),
        gender: Set(gender_code(f.gender).into()),
        id_no_enc: Set(f
            .id_number
            .as_ref()
            .map(|id| app.vault.encrypt(id.as_str()))
            .transpose()?),
        id_no_index: Set(f
            .id_number
            .as_ref()
            .map(|id| app.vault.blind_index(id.as_str()))),
        birth_date: Set(f.birth_date),
        class_id: Set(f.class_id),
        status: Set(f.status.into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique(
        "student_no",
        "学号或身份证号与本校已有学生重复",
    ))?;
    for g in &input.guardians {
        link_guardian(app, &txn, &school, &created, g).await?;
    }
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "student.create",
            entity_type: "student",
            entity_id: Some(created.id),
            summary: format!(
                "新增学生 {}（学号 {}），监护人{}位",
                created.name,
                created.student_no,
                input.guardians.len()
            ),
        },
    )
    .await?;
    let out = views(app, &txn, vec![created]).await?.remove(0);
    txn.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct StudentPatch {
    pub name: Option<String>,
    pub class_id: Option<Option<i64>>,
    pub status: Option<String>,
}

pub async fn update_student(
    app: &App,
    actor: &Actor,
    school_id: i64,
    student_id: i64,
    patch: StudentPatch,
) -> Result<StudentView> {
    actor.require(Permission::SchoolManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, current) = load_student(&txn, actor, school_id, student_id).await?;
    let mut invalid = Invalid::default();
    let name = patch.name.as_deref().map(|n| invalid.text("name", n, 50));
    let status = patch.status.as_deref().map(|s| {
        STATUSES
            .iter()
            .find(|(c, l)| *c == s || *l == s)
            .map(|(c, _)| *c)
    });
    if let Some(None) = status {
        invalid.push("status", "状态应为在读、转出或毕业");
    }
    check(invalid)?;
    let mut m = current.clone().into_active_model();
    if let Some(Some(name)) = name {
        m.name = Set(name);
    }
    if let Some(Some(status)) = status {
        m.status = Set(status.into());
    }
    if let Some(class_id) = patch.class_id {
        check_class(&txn, school.id, class_id).await?;
        m.class_id = Set(class_id);
    }
    let status_now = match status {
        Some(Some(s)) => s,
        _ => current.status.as_str(),
    };
    let class_now = patch.class_id.unwrap_or(current.class_id);
    if status_now == "enrolled" && class_now.is_none() {
        return Err(Error::invalid("class_id", CLASS_REQUIRED));
    }
    let now = app.now();
    m.updated_at = Set(now);
    let updated = m.update(&txn).await?;
    let diff = student_diff(&current, &updated, &class_names(&txn, school.id).await?);
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "student.update",
            entity_type: "student",
            entity_id: Some(updated.id),
            summary: format!(
                "修改学生 {}（学号 {}）{}",
                current.name,
                updated.student_no,
                diff.suffix()
            ),
        },
    )
    .await?;
    let out = views(app, &txn, vec![updated]).await?.remove(0);
    txn.commit().await?;
    Ok(out)
}

pub fn check_guardian(
    g: &GuardianInput,
    invalid: &mut Invalid,
    prefix: &str,
) -> Option<(String, Phone, String)> {
    let name = invalid.text(
        &format!("{prefix}name"),
        g.name.as_deref().unwrap_or(""),
        50,
    );
    let phone = invalid.take(
        &format!("{prefix}phone"),
        Phone::parse(g.phone.as_deref().unwrap_or("")),
    );
    let relation = match g.relation.as_deref().map(str::trim) {
        Some(r) if RELATIONS.contains(&r) => Some(r.to_string()),
        _ => {
            invalid.push(
                &format!("{prefix}relation"),
                "关系应为父亲、母亲、祖父、祖母、外祖父、外祖母或其他",
            );
            None
        }
    };
    Some((name?, phone?, relation?))
}

/// Finds or creates the parent account of `phone`, gives it the parent role at the school,
/// and links it to the student.
async fn link_guardian(
    app: &App,
    db: &impl ConnectionTrait,
    school: &org::Model,
    s: &student::Model,
    g: &GuardianInput,
) -> Result<()> {
    let mut invalid = Invalid::default();
    let checked = check_guardian(g, &mut invalid, "");
    check(invalid)?;
    let Some((name, phone, relation)) = checked else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let account = match crate::identity::account::find_by_phone(app, db, &phone).await? {
        Some(u) => u,
        None => {
            // The parent sets a password through "forgot password" or a school reset.
            let unusable = Password::parse(&format!(
                "{}a1",
                &crate::identity::auth::random_token()[..30]
            ))
            .map_err(Error::Internal)?;
            crate::identity::account::insert_user(
                app,
                db,
                &phone,
                name,
                crate::identity::auth::hash_password(&unusable)?,
                true,
                now,
            )
            .await?
        }
    };
    let parent_role = role::Entity::find()
        .filter(role::Column::Code.eq("parent"))
        .one(db)
        .await?
        .ok_or(Error::NotFound("家长角色"))?;
    let has_membership = membership::Entity::find()
        .filter(membership::Column::UserId.eq(account.id))
        .filter(membership::Column::OrgId.eq(school.id))
        .filter(membership::Column::RoleId.eq(parent_role.id))
        .one(db)
        .await?
        .is_some();
    if !has_membership {
        membership::ActiveModel {
            user_id: Set(account.id),
            org_id: Set(school.id),
            role_id: Set(parent_role.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    guardian::ActiveModel {
        student_id: Set(s.id),
        user_id: Set(account.id),
        relation: Set(relation),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(Error::unique("phone", "该家长已是这名学生的监护人"))?;
    Ok(())
}

pub async fn add_guardian(
    app: &App,
    actor: &Actor,
    school_id: i64,
    student_id: i64,
    g: GuardianInput,
) -> Result<StudentView> {
    actor.require(Permission::SchoolManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, s) = load_student(&txn, actor, school_id, student_id).await?;
    link_guardian(app, &txn, &school, &s, &g).await?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "guardian.create",
            entity_type: "student",
            entity_id: Some(s.id),
            summary: format!(
                "为学生 {} 添加监护人 {}（{}）",
                s.name,
                g.name.as_deref().unwrap_or(""),
                g.relation.as_deref().unwrap_or("")
            ),
        },
    )
    .await?;
    let out = views(app, &txn, vec![s]).await?.remove(0);
    txn.commit().await?;
    Ok(out)
}

pub async fn remove_guardian(
    app: &App,
    actor: &Actor,
    school_id: i64,
    student_id: i64,
    guardian_id: i64,
) -> Result<StudentView> {
    actor.require(Permission::SchoolManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, s) = load_student(&txn, actor, school_id, student_id).await?;
    let g = guardian::Entity::find_by_id(guardian_id)
        .filter(guardian::Column::StudentId.eq(s.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("监护人"))?;
    guardian::Entity::delete_by_id(g.id).exec(&txn).await?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "guardian.delete",
            entity_type: "student",
            entity_id: Some(s.id),
            summary: format!("移除学生 {} 的一位监护人（{}）", s.name, g.relation),
        },
    )
    .await?;
    let out = views(app, &txn, vec![s]).await?.remove(0);
    txn.commit().await?;
    Ok(out)
}

/// The whole ID number of a student, for roles allowed to see it; every look is audited.
pub async fn reveal_id_number(
    app: &App,
    actor: &Actor,
    school_id: i64,
    student_id: i64,
) -> Result<String> {
    actor.require(Permission::PersonalDataView)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, s) = load_student(&txn, actor, school_id, student_id).await?;
    let enc = s.id_no_enc.as_deref().ok_or(Error::NotFound("身份证号"))?;
    let plain = app.vault.decrypt(enc)?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "personal.view",
            entity_type: "student",
            entity_id: Some(s.id),
            summary: format!("查看学生 {}（学号 {}）的完整身份证号", s.name, s.student_no),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(plain)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildView {
    pub student_id: i64,
    pub name: String,
    pub school_id: i64,
    pub school_name: String,
    pub class_name: Option<String>,
    pub relation: String,
}

/// The children of the signed-in parent, in every school: their own and nobody else's.
pub async fn my_children(app: &App, principal: &Principal) -> Result<Vec<ChildView>> {
    let links = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(principal.user_id))
        .all(&app.db)
        .await?;
    let rows = student::Entity::find()
        .filter(student::Column::Id.is_in(links.iter().map(|g| g.student_id)))
        .all(&app.db)
        .await?;
    let schools: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(rows.iter().map(|s| s.school_id)))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let full = views(app, &app.db, rows).await?;
    Ok(full
        .into_iter()
        .map(|s| ChildView {
            relation: links
                .iter()
                .find(|g| g.student_id == s.id)
                .map(|g| g.relation.clone())
                .unwrap_or_default(),
            student_id: s.id,
            school_name: schools.get(&s.school_id).cloned().unwrap_or_default(),
            school_id: s.school_id,
            name: s.name,
            class_name: s.class_name,
        })
        .collect())
}

/// The columns of the students export: the import's columns, so that an export can be
/// edited and imported again.
pub fn export_headers() -> Vec<&'static str> {
    crate::school::student_import::COLUMNS
        .iter()
        .map(|c| c.title)
        .collect()
}

/// The students matching the filter as export rows, ID numbers and phones masked.
pub async fn export_rows(
    app: &App,
    actor: &Actor,
    school_id: i64,
    filter: &StudentFilter,
) -> Result<Vec<Vec<String>>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let classes = visible_classes(&app.db, actor, school.id).await?;
    rows_of(app, matching(app, school.id, filter, classes.as_deref())).await
}

/// Every student of a school as export rows, for the operator of the machine (the
/// export benchmark): no actor, no scope.
pub(crate) async fn all_rows_of(app: &App, school_id: i64) -> Result<Vec<Vec<String>>> {
    rows_of(
        app,
        matching(app, school_id, &StudentFilter::default(), None),
    )
    .await
}

async fn rows_of(
    app: &App,
    q: kehou_store::sea_orm::Select<student::Entity>,
) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    let mut last_id = 0;
    // Keyset pages keep every query's parameter list short on both engines.
    loop {
        let rows = q
            .clone()
            .filter(student::Column::Id.gt(last_id))
            .order_by_asc(student::Column::Id)
            .limit(crate::import::CHUNK as u64 * 2)
            .all(&app.db)
            .await?;
        let Some(last) = rows.last() else { break };
        last_id = last.id;
        for s in views(app, &app.db, rows).await? {
            let mut row = vec![
                s.student_no,
                s.name,
                s.gender_label.to_string(),
                s.id_number.unwrap_or_default(),
                s.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                s.class_name.unwrap_or_default(),
                s.status_label.to_string(),
            ];
            for g in s.guardians.iter().take(2) {
                row.extend([g.name.clone(), g.phone.clone(), g.relation.clone()]);
            }
            out.push(row);
        }
    }
    out.sort_by(|a, b| a[0].cmp(&b[0]));
    Ok(out)
}

/// The accounts of the guardians of some students, by student.
pub(crate) async fn guardian_users(
    db: &impl ConnectionTrait,
    student_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    let mut out: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for chunk in student_ids.chunks(500) {
        for g in guardian::Entity::find()
            .filter(guardian::Column::StudentId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.entry(g.student_id).or_default().push(g.user_id);
        }
    }
    Ok(out)
}

/// The account of the head teacher (班主任) of a student's administrative class, if any.
pub(crate) async fn head_teacher_user(
    db: &impl ConnectionTrait,
    s: &student::Model,
) -> Result<Option<i64>> {
    let Some(class_id) = s.class_id else {
        return Ok(None);
    };
    Ok(admin_class::Entity::find_by_id(class_id)
        .one(db)
        .await?
        .and_then(|c| c.head_teacher_id))
}

/// The students whose administrative class `user_id` is head teacher of.
pub(crate) async fn students_of_head_teacher(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<student::Model>> {
    let classes: Vec<i64> = admin_class::Entity::find()
        .filter(admin_class::Column::HeadTeacherId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if classes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(student::Entity::find()
        .filter(student::Column::ClassId.is_in(classes))
        .all(db)
        .await?)
}

/// The students whose guardian `user_id` is, by id.
pub(crate) async fn guardian_children(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.student_id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Names and administrative classes (三年级(2)班) of a school's students by id, for the
/// reports that count them.
pub(crate) async fn names_of(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<HashMap<i64, (String, String)>> {
    let classes: HashMap<i64, String> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            let grade = u8::try_from(c.grade).unwrap_or(0);
            let number = u8::try_from(c.number).unwrap_or(0);
            (c.id, class_name(grade, number))
        })
        .collect();
    Ok(student::Entity::find()
        .filter(student::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| {
            let class = s
                .class_id
                .and_then(|c| classes.get(&c).cloned())
                .unwrap_or_default();
            (s.id, (s.name, class))
        })
        .collect())
}

/// A name as kept after its person's data is erased: the family name and `*` for the rest.
pub(crate) fn erased_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 3))),
        None => String::new(),
    }
}

/// Erases the personal data of students who left (transferred or graduated) before
/// `cutoff`: the ID number and its index, the birth date, the links to guardians' accounts;
/// the name is masked. The row stays, with its student number, for the money and
/// attendance records that must be kept.
pub(crate) async fn erase_departed(app: &App, cutoff: DateTime<Utc>) -> Result<u64> {
    use kehou_store::sea_orm::sea_query::Query;
    let linked = Query::select()
        .column(guardian::Column::StudentId)
        .from(guardian::Entity)
        .to_owned();
    let departed = student::Entity::find()
        .filter(student::Column::Status.is_in(["transferred", "graduated"]))
        .filter(student::Column::UpdatedAt.lt(cutoff))
        .filter(
            Condition::any()
                .add(student::Column::IdNoEnc.is_not_null())
                .add(student::Column::BirthDate.is_not_null())
                .add(student::Column::Id.in_subquery(linked)),
        )
        .all(&app.db)
        .await?;
    if departed.is_empty() {
        return Ok(0);
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    for s in &departed {
        let mut m = s.clone().into_active_model();
        m.name = Set(erased_name(&s.name));
        m.id_no_enc = Set(None);
        m.id_no_index = Set(None);
        m.birth_date = Set(None);
        m.update(&txn).await?;
    }
    guardian::Entity::delete_many()
        .filter(guardian::Column::StudentId.is_in(departed.iter().map(|s| s.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(departed.len() as u64)
}

/// The students this account is a guardian of.
pub(crate) async fn children_of_guardian(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<i64>> {
    Ok(guardian::Entity::find()
        .select_only()
        .column(guardian::Column::StudentId)
        .filter(guardian::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// The children an account is a guardian of, as their guardian's personal-data export
/// shows them (with their ID numbers), and their names by id for the other areas' sections.
pub(crate) async fn personal_data_of_guardian(
    app: &App,
    user_id: i64,
) -> Result<(Vec<serde_json::Value>, HashMap<i64, String>)> {
    let links = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(user_id))
        .all(&app.db)
        .await?;
    let children = student::Entity::find()
        .filter(student::Column::Id.is_in(links.iter().map(|g| g.student_id)))
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await?;
    let schools = crate::org::names_of(&app.db, children.iter().map(|s| s.school_id)).await?;
    let relation: HashMap<i64, &str> = links
        .iter()
        .map(|g| (g.student_id, g.relation.as_str()))
        .collect();
    let rows = children
        .iter()
        .map(|s| {
            serde_json::json!({
                "姓名": s.name,
                "关系": relation.get(&s.id),
                "学校": schools.get(&s.school_id),
                "学号": s.student_no,
                "身份证号": s.id_no_enc.as_deref().and_then(|e| app.vault.decrypt(e).ok()),
                "出生日期": s.birth_date.map(|d| d.to_string()),
            })
        })
        .collect();
    let names = children.into_iter().map(|s| (s.id, s.name)).collect();
    Ok((rows, names))
}

/// Removes an account's links to the children it is a guardian of (erasure); returns how
/// many.
pub(crate) async fn unlink_guardian(db: &impl ConnectionTrait, user_id: i64) -> Result<u64> {
    Ok(guardian::Entity::delete_many()
        .filter(guardian::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
