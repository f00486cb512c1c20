//! An institution's teachers (D6, D10): the city's 教师 fields, the ID number encrypted,
//! shown masked. A teacher works with an account of the institution-teacher role: a new
//! number gets one (its owner logs in by SMS code and sets a password); a number that
//! already belongs to another organization gets an invitation to accept in its messages.

use kehou_domain::institution::{CERTIFICATE_TYPES, EDUCATION};
use kehou_domain::{Gender, IdCardNo, Invalid, Permission, Phone};
use kehou_store::entity::identity::{membership, role};
use kehou_store::entity::institution::teacher;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use super::institution_for;
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeacherView {
    pub id: i64,
    pub name: String,
    pub gender: String,
    /// Masked: the first four and last four characters.
    pub id_number: String,
    /// The account's number, masked.
    pub phone: String,
    pub age: Option<i32>,
    pub education: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub title: String,
    pub teaching_years: i32,
    pub speciality: String,
    pub resume: String,
    pub active: bool,
    /// Whether the teacher can log in as the institution's teacher yet (an invitation to an
    /// account of another organization waits for its answer).
    pub joined: bool,
    /// The department (部门) it belongs to.
    pub department_id: Option<i64>,
    pub department: Option<String>,
    /// The criminal-record check document's name, when uploaded.
    pub record_file_name: Option<String>,
    pub record_uploaded_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TeacherInput {
    #[schema(required = true)]
    pub name: Option<String>,
    /// 男 or 女; taken from the ID number when absent.
    pub gender: Option<String>,
    #[schema(required = true)]
    pub id_number: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub education: Option<String>,
    #[schema(required = true)]
    pub certificate_type: Option<String>,
    #[schema(required = true)]
    pub certificate_no: Option<String>,
    pub title: Option<String>,
    pub teaching_years: Option<i32>,
    pub speciality: Option<String>,
    pub resume: Option<String>,
}

fn age_on(id: &IdCardNo, today: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    let born = id.birth_date();
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<teacher::Model>,
    org_id: i64,
) -> Result<Vec<TeacherView>> {
    let users: std::collections::HashMap<i64, String> =
        kehou_store::entity::identity::user::Entity::find()
            .filter(
                kehou_store::entity::identity::user::Column::Id
                    .is_in(rows.iter().map(|t| t.user_id)),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, app.vault.masked_account_phone(&u)))
            .collect();
    let members: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership::Column::UserId.is_in(rows.iter().map(|t| t.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let departments = super::department::names(db, org_id).await?;
    let today = app.today();
    Ok(rows
        .into_iter()
        .map(|t| {
            let id = app
                .vault
                .decrypt(&t.id_no_enc)
                .ok()
                .and_then(|plain| IdCardNo::parse(&plain).ok());
            TeacherView {
                id: t.id,
                name: t.name,
                gender: t.gender,
                id_number: id.as_ref().map_or("无法解密".into(), IdCardNo::masked),
                phone: users.get(&t.user_id).cloned().unwrap_or_default(),
                age: id.as_ref().map(|i| age_on(i, today)),
                education: t.education,
                certificate_type: t.certificate_type,
                certificate_no: t.certificate_no,
                title: t.title,
                teaching_years: t.teaching_years,
                speciality: t.speciality,
                resume: t.resume,
                active: t.active,
                joined: members.contains(&t.user_id),
                department: t.department_id.and_then(|d| departments.get(&d).cloned()),
                department_id: t.department_id,
                record_file_name: t.record_file_name,
                record_uploaded_at: t.record_uploaded_at,
            }
        })
        .collect())
}

/// The teachers of an institution, by name.
pub async fn list(app: &App, actor: &Actor, org_id: i64) -> Result<Vec<TeacherView>> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionView).await?;
    let rows = teacher::Entity::find()
        .filter(teacher::Column::OrgId.eq(o.id))
        .order_by_asc(teacher::Column::Name)
        .all(&app.db)
        .await?;
    views(app, &app.db, rows, o.id).await
}

fn one_of(
    invalid: &mut Invalid,
    field: &str,
    value: Option<&str>,
    list: &[&str],
) -> Option<String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if list.contains(&v) => Some(v.to_string()),
        Some(_) => {
            invalid.push(field, format!("应为：{}", list.join("、")));
            None
        }
        None => {
            invalid.push(field, "请选择");
            None
        }
    }
}

/// Adds a teacher to the actor's own institution.
pub async fn create(
    app: &App,
    actor: &Actor,
    org_id: i64,
    input: TeacherInput,
) -> Result<TeacherView> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionManage).await?;
    if o.id != actor.org_id {
        return Err(Error::Forbidden("只能维护本机构的教师".into()));
    }
    let mut invalid = Invalid::default();
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 30);
    let id_number = match input
        .id_number
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => invalid.take("id_number", IdCardNo::parse(v)),
        None => {
            invalid.push("id_number", "请填写身份证号");
            None
        }
    };
    let gender = match input
        .gender
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        Some(g) => invalid.take("gender", Gender::parse(g)),
        None => id_number.as_ref().map(IdCardNo::gender),
    };
    if let (Some(g), Some(id)) = (gender, &id_number)
        && g != id.gender()
    {
        invalid.push("gender", "性别与身份证号不符");
    }
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => invalid.take("phone", Phone::parse(v)),
        None => {
            invalid.push("phone", "请填写手机号");
            None
        }
    };
    let education = one_of(
        &mut invalid,
        "education",
        input.education.as_deref(),
        EDUCATION,
    );
    let certificate_type = one_of(
        &mut invalid,
        "certificate_type",
        input.certificate_type.as_deref(),
        CERTIFICATE_TYPES,
    );
    let certificate_no = invalid.text(
        "certificate_no",
        input.certificate_no.as_deref().unwrap_or(""),
        40,
    );
    let title = invalid
        .optional_text("title", input.title.as_deref(), 20)
        .map(Option::unwrap_or_default);
    let teaching_years = input.teaching_years.unwrap_or(0);
    if !(0..=60).contains(&teaching_years) {
        invalid.push("teaching_years", "教龄应在0到60年之间");
    }
    let speciality = invalid
        .optional_text("speciality", input.speciality.as_deref(), 100)
        .map(Option::unwrap_or_default);
    let resume = invalid.multiline("resume", input.resume.as_deref(), 2000);
    check(invalid)?;
    let (
        Some(name),
        Some(id_number),
        Some(gender),
        Some(phone),
        Some(education),
        Some(certificate_type),
        Some(certificate_no),
        Some(title),
        Some(speciality),
        Some(resume),
    ) = (
        name,
        id_number,
        gender,
        phone,
        education,
        certificate_type,
        certificate_no,
        title,
        speciality,
        resume,
    )
    else {
        return Err(Error::Internal("validation".into()));
    };

    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = institution_for(&txn, actor, org_id, Permission::InstitutionManage).await?;
    let index = app.vault.blind_index(id_number.as_str());
    let same = teacher::Entity::find()
        .filter(teacher::Column::OrgId.eq(o.id))
        .filter(teacher::Column::IdNoIndex.is_in(app.vault.blind_indexes(id_number.as_str())))
        .one(&txn)
        .await?;
    if let Some(other) = same {
        return Err(Error::conflict_on(
            "id_number",
            format!("本机构教师 {} 已使用该身份证号", other.name),
        ));
    }
    let teacher_role = role::Entity::find()
        .filter(role::Column::Code.eq("institution_teacher"))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("预置角色"))?;
    let existing = crate::identity::account::find_by_phone(app, &txn, &phone).await?;
    let (user_id, invited) = match existing {
        None => {
            // Nobody knows this password: the teacher logs in by SMS code and sets one.
            let hash = crate::identity::auth::hash_password(
                &kehou_domain::Password::parse(&format!(
                    "T{}a1",
                    &crate::identity::auth::random_token()[..30]
                ))
                .map_err(Error::Internal)?,
            )?;
            let u = crate::identity::account::insert_user(
                app,
                &txn,
                &phone,
                name.clone(),
                hash,
                true,
                now,
            )
            .await?;
            membership::ActiveModel {
                user_id: Set(u.id),
                org_id: Set(o.id),
                role_id: Set(teacher_role.id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (u.id, false)
        }
        Some(u) => {
            let taken = teacher::Entity::find()
                .filter(teacher::Column::OrgId.eq(o.id))
                .filter(teacher::Column::UserId.eq(u.id))
                .one(&txn)
                .await?
                .is_some();
            if taken {
                return Err(Error::conflict_on("phone", "本机构已有使用该手机号的教师"));
            }
            let member = membership::Entity::find()
                .filter(membership::Column::UserId.eq(u.id))
                .filter(membership::Column::OrgId.eq(o.id))
                .filter(membership::Column::RoleId.eq(teacher_role.id))
                .one(&txn)
                .await?
                .is_some();
            if !member {
                let by = By::actor(actor);
                crate::identity::offer::offer(
                    &txn,
                    crate::identity::offer::NewOffer {
                        user_id: u.id,
                        org: &o,
                        role_ids: &[teacher_role.id],
                        payload: "{}".into(),
                        by: &by,
                    },
                    now,
                )
                .await?;
            }
            (u.id, !member)
        }
    };
    let created = teacher::ActiveModel {
        org_id: Set(o.id),
        user_id: Set(user_id),
        name: Set(name),
        gender: Set(gender.label().into()),
        id_no_enc: Set(app.vault.encrypt(id_number.as_str())?),
        id_no_index: Set(index),
        education: Set(education),
        certificate_type: Set(certificate_type),
        certificate_no: Set(certificate_no),
        title: Set(title),
        teaching_years: Set(teaching_years),
        speciality: Set(speciality),
        resume: Set(resume),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(o.id),
            org_path: &o.path,
            action: "institution_teacher.create",
            entity_type: "institution_teacher",
            entity_id: Some(created.id),
            summary: format!(
                "新增教师 {}（身份证 {}，教师资格证 {}）{}",
                created.name,
                id_number.masked(),
                created.certificate_no,
                if invited {
                    "，已向其账号发出加入邀请"
                } else {
                    ""
                }
            ),
        },
    )
    .await?;
    let mut all = views(app, &txn, vec![created], o.id).await?;
    txn.commit().await?;
    if invited {
        crate::platform::messages::announce(app, user_id);
    }
    all.pop().ok_or(Error::NotFound("教师"))
}

/// Uploads a teacher's criminal-record check document (无犯罪记录证明): PDF, PNG or JPEG by
/// content, its name agreeing, 5 MB at most; it replaces the previous one.
pub async fn set_record(
    app: &App,
    actor: &Actor,
    org_id: i64,
    teacher_id: i64,
    file: Option<super::UploadedFile>,
) -> Result<TeacherView> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionManage).await?;
    if o.id != actor.org_id {
        return Err(Error::Forbidden("只能维护本机构的教师".into()));
    }
    let t = load_teacher(&app.db, o.id, teacher_id).await?;
    let Some(file) = file.filter(|f| !f.bytes.is_empty()) else {
        return Err(Error::invalid("record", "请选择无犯罪记录证明文件"));
    };
    let (file_type, file_name) =
        kehou_domain::file::check_upload(&file.file_name, &file.bytes, super::DOCUMENT_MAX_BYTES)
            .map_err(|reason| Error::invalid("record", format!("无犯罪记录证明：{reason}")))?;
    let key = crate::platform::storage::new_key();
    app.files.put(&key, &file.bytes).await?;
    let now = app.now();
    let result: Result<Option<String>> = async {
        let txn = kehou_store::begin_write(&app.db).await?;
        let t = load_teacher(&txn, o.id, t.id).await?;
        let old = t.record_storage_key.clone();
        let mut m = t.clone().into_active_model();
        m.record_file_name = Set(Some(file_name.clone()));
        m.record_content_type = Set(Some(file_type.content_type().into()));
        m.record_storage_key = Set(Some(key.clone()));
        m.record_uploaded_at = Set(Some(now));
        m.updated_at = Set(now);
        m.update(&txn).await?;
        audit::record(
            &txn,
            now,
            &By::actor(actor),
            Change {
                org_id: Some(o.id),
                org_path: &o.path,
                action: "institution_teacher.record",
                entity_type: "institution_teacher",
                entity_id: Some(t.id),
                summary: format!("上传教师“{}”的无犯罪记录证明：{file_name}", t.name),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(old)
    }
    .await;
    match result {
        Ok(old) => {
            if let Some(old) = old
                && let Err(e) = app.files.delete(&old).await
            {
                tracing::warn!(error = %e, "a replaced record was not deleted");
            }
        }
        Err(e) => {
            let _ = app.files.delete(&key).await;
            return Err(e);
        }
    }
    let row = load_teacher(&app.db, o.id, teacher_id).await?;
    views(app, &app.db, vec![row], o.id)
        .await?
        .pop()
        .ok_or(Error::NotFound("教师"))
}

/// A teacher's criminal-record check document, to the institution and its bureaus.
pub async fn record_file(
    app: &App,
    actor: &Actor,
    org_id: i64,
    teacher_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionView).await?;
    let t = load_teacher(&app.db, o.id, teacher_id).await?;
    let (Some(key), Some(content_type), Some(name)) = (
        t.record_storage_key,
        t.record_content_type,
        t.record_file_name,
    ) else {
        return Err(Error::NotFound("无犯罪记录证明"));
    };
    Ok((content_type, name, app.files.get(&key).await?))
}

async fn load_teacher(
    db: &impl ConnectionTrait,
    org_id: i64,
    teacher_id: i64,
) -> Result<teacher::Model> {
    teacher::Entity::find_by_id(teacher_id)
        .filter(teacher::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("教师"))
}
