//! The enrollment notice (报名须知, F3): the school publishes its terms for a term, each
//! publication a new version; a parent signs the current version for a child before the
//! child's first order of the term; the school lists and downloads the signatures.

use chrono::{DateTime, Utc};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::enrollment::{notice, signature};
use kehou_store::entity::org;
use kehou_store::entity::school::{guardian, student};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::{child_of, record, term_row};
use crate::platform::audit::By;
use crate::platform::clock::{china_label, china_time};
use crate::platform::error::check;
use crate::platform::sheet;
use crate::{Actor, App, Error, Result};

pub const TITLE_MAX: usize = 100;
pub const BODY_MAX: usize = 20_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub version: i32,
    pub title: String,
    pub body: String,
    pub published_at: DateTime<Utc>,
    pub published_label: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NoticeInput {
    #[schema(required = true)]
    pub title: Option<String>,
    #[schema(required = true)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SignInput {
    #[schema(required = true)]
    pub student_id: Option<i64>,
    #[schema(required = true)]
    pub notice_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignatureView {
    pub id: i64,
    pub notice_id: i64,
    pub version: i32,
    pub student_id: i64,
    pub student_name: String,
    pub student_no: String,
    pub signer_name: String,
    /// The address the signature came from.
    pub ip: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub signed_label: String,
}

fn view(n: notice::Model) -> NoticeView {
    NoticeView {
        id: n.id,
        school_id: n.school_id,
        term_id: n.term_id,
        version: n.version,
        title: n.title,
        body: n.body,
        published_label: china_label(n.published_at),
        published_at: n.published_at,
    }
}

/// The version in force for a term, if any was published.
pub(crate) async fn current_of(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Option<notice::Model>> {
    Ok(notice::Entity::find()
        .filter(notice::Column::SchoolId.eq(school_id))
        .filter(notice::Column::TermId.eq(term_id))
        .order_by_desc(notice::Column::Version)
        .one(db)
        .await?)
}

/// Whether the student's guardians signed `notice_id`.
pub(crate) async fn signed(
    db: &impl ConnectionTrait,
    notice_id: i64,
    student_id: i64,
) -> Result<bool> {
    Ok(signature::Entity::find()
        .filter(signature::Column::NoticeId.eq(notice_id))
        .filter(signature::Column::StudentId.eq(student_id))
        .one(db)
        .await?
        .is_some())
}

/// The school's staff with `school.view` read it, and so does any guardian of one of its
/// students.
async fn readable(app: &App, actor: &Actor, school_id: i64) -> Result<()> {
    if crate::school::school_for(&app.db, actor, school_id, Permission::SchoolView)
        .await
        .is_ok()
    {
        return Ok(());
    }
    let children: Vec<i64> = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(actor.user_id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|g| g.student_id)
        .collect();
    let any = student::Entity::find()
        .filter(student::Column::Id.is_in(children))
        .filter(student::Column::SchoolId.eq(school_id))
        .one(&app.db)
        .await?
        .is_some();
    if any {
        Ok(())
    } else {
        Err(Error::NotFound("学校"))
    }
}

/// The notice in force for a term (none published: not found).
pub async fn current(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<NoticeView> {
    readable(app, actor, school_id).await?;
    term_row(&app.db, school_id, term_id).await?;
    current_of(&app.db, school_id, term_id)
        .await?
        .map(view)
        .ok_or(Error::NotFound("报名须知"))
}

/// Publishes a new version (`enrollment.manage`): parents who signed an earlier one sign
/// again before their next order.
pub async fn publish(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: NoticeInput,
) -> Result<NoticeView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    if t.end_date < app.today() {
        return Err(Error::conflict("学期已结束，不能再发布报名须知"));
    }
    let mut invalid = Invalid::default();
    let title = invalid.text("title", input.title.as_deref().unwrap_or(""), TITLE_MAX);
    let body = invalid.multiline("body", input.body.as_deref(), BODY_MAX);
    if body.as_deref() == Some("") {
        invalid.push("body", "请填写须知内容");
    }
    check(invalid)?;
    let (Some(title), Some(body)) = (title, body) else {
        return Err(Error::invalid("body", "请填写须知内容"));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let version = current_of(&txn, school.id, t.id)
        .await?
        .map_or(1, |n| n.version + 1);
    let row = notice::ActiveModel {
        school_id: Set(school.id),
        term_id: Set(t.id),
        version: Set(version),
        title: Set(title.clone()),
        body: Set(body),
        published_at: Set(app.now()),
        published_by: Set(Some(actor.user_id)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique(
        "title",
        "另一位管理员刚刚发布了新版本，请刷新后再试",
    ))?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.notice_publish",
        ("enrollment_notice", row.id),
        format!(
            "发布 {} {} 的报名须知第{}版“{}”",
            t.school_year, t.name, version, title
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

/// A guardian signs the notice in force for a child: name, time, address and version are
/// kept. Signing again answers the signature already made.
pub async fn sign(app: &App, actor: &Actor, input: SignInput) -> Result<SignatureView> {
    let mut invalid = Invalid::default();
    if input.student_id.is_none() {
        invalid.push("student_id", "请选择孩子");
    }
    if input.notice_id.is_none() {
        invalid.push("notice_id", "请指明所签署的报名须知");
    }
    check(invalid)?;
    let (Some(student_id), Some(notice_id)) = (input.student_id, input.notice_id) else {
        return Err(Error::invalid("student_id", "请选择孩子"));
    };
    let child = child_of(&app.db, actor, student_id).await?;
    let n = notice::Entity::find_by_id(notice_id)
        .filter(notice::Column::SchoolId.eq(child.school_id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("报名须知"))?;
    let latest = current_of(&app.db, n.school_id, n.term_id).await?;
    if latest.as_ref().is_some_and(|l| l.id != n.id) {
        return Err(Error::conflict(
            "学校已发布新版本的报名须知，请阅读最新版本后签署",
        ));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let existing = signature::Entity::find()
        .filter(signature::Column::NoticeId.eq(n.id))
        .filter(signature::Column::StudentId.eq(child.id))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(s) => s,
        None => {
            let row = signature::ActiveModel {
                notice_id: Set(n.id),
                student_id: Set(child.id),
                user_id: Set(actor.user_id),
                signer_name: Set(actor.user_name.chars().take(50).collect()),
                ip: Set(actor.ip.clone()),
                signed_at: Set(app.now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let school = org::Entity::find_by_id(n.school_id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("学校"))?;
            record(
                &txn,
                app,
                &By::actor(actor),
                (school.id, &school.path),
                "enrollment.notice_sign",
                ("enrollment_notice", n.id),
                format!("为学生 {} 签署报名须知第{}版", child.name, n.version),
            )
            .await?;
            row
        }
    };
    txn.commit().await?;
    Ok(signature_view(&row, n.version, &child))
}

fn signature_view(s: &signature::Model, version: i32, child: &student::Model) -> SignatureView {
    SignatureView {
        id: s.id,
        notice_id: s.notice_id,
        version,
        student_id: child.id,
        student_name: child.name.clone(),
        student_no: child.student_no.clone(),
        signer_name: s.signer_name.clone(),
        ip: s.ip.clone(),
        signed_at: s.signed_at,
        signed_label: china_label(s.signed_at),
    }
}

/// The signatures of a term's notice, every version, newest first (`enrollment.manage`);
/// with `class_id`, only the students of that teaching class.
pub async fn signatures(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: Option<i64>,
) -> Result<Vec<SignatureView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    let notices = notice::Entity::find()
        .filter(notice::Column::SchoolId.eq(school.id))
        .filter(notice::Column::TermId.eq(t.id))
        .all(&app.db)
        .await?;
    let students_of_class = match class_id {
        Some(c) => Some(crate::teaching::class::member_ids(&app.db, school.id, t.id, c).await?),
        None => None,
    };
    let mut rows = signature::Entity::find()
        .filter(signature::Column::NoticeId.is_in(notices.iter().map(|n| n.id)))
        .order_by_desc(signature::Column::SignedAt)
        .order_by_desc(signature::Column::Id)
        .all(&app.db)
        .await?;
    if let Some(ids) = &students_of_class {
        rows.retain(|s| ids.contains(&s.student_id));
    }
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|s| s.student_id)))
        .all(&app.db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|s| {
            let child = students.iter().find(|c| c.id == s.student_id)?;
            let version = notices.iter().find(|n| n.id == s.notice_id)?.version;
            Some(signature_view(s, version, child))
        })
        .collect())
}

/// The signatures as a workbook, one row each.
pub fn workbook(rows: &[SignatureView]) -> Result<Vec<u8>> {
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            vec![
                s.student_name.clone(),
                s.student_no.clone(),
                format!("第{}版", s.version),
                s.signer_name.clone(),
                s.signed_label.clone(),
                s.ip.clone().unwrap_or_default(),
            ]
        })
        .collect();
    sheet::workbook(&[sheet::SheetData {
        name: "报名须知签署",
        headers: &["学生", "学号", "须知版本", "签署人", "签署时间", "签署地址"],
        rows: &data,
    }])
}

/// Each student's latest signature of a term's notice (any version), by student.
pub(crate) async fn latest_signatures(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
    student_ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, i64>> {
    let notices: Vec<i64> = notice::Entity::find()
        .filter(notice::Column::SchoolId.eq(school_id))
        .filter(notice::Column::TermId.eq(term_id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
    let mut latest = std::collections::HashMap::new();
    if notices.is_empty() || student_ids.is_empty() {
        return Ok(latest);
    }
    for s in signature::Entity::find()
        .filter(signature::Column::NoticeId.is_in(notices))
        .filter(signature::Column::StudentId.is_in(student_ids))
        .order_by_asc(signature::Column::Id)
        .all(db)
        .await?
    {
        latest.insert(s.student_id, s.id);
    }
    Ok(latest)
}

/// One signed confirmation as PDF, found by its signature (`enrollment.manage`).
pub async fn confirmation(
    app: &App,
    actor: &Actor,
    school_id: i64,
    signature_id: i64,
) -> Result<Vec<u8>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let s = signature::Entity::find_by_id(signature_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("签署记录"))?;
    let n = notice::Entity::find_by_id(s.notice_id)
        .one(&app.db)
        .await?
        .filter(|n| n.school_id == school.id)
        .ok_or(Error::NotFound("签署记录"))?;
    confirmations(app, actor, school.id, n.term_id, None, Some(s.id)).await
}

/// The most confirmations one PDF holds; a larger school downloads them class by class.
pub const CONFIRMATIONS_MAX: usize = 600;

/// Signed confirmations as PDF (`enrollment.manage`): one signature (`signature_id`), a
/// teaching class's (`class_id`) or the whole term's, each on its own page(s) with the text
/// of the version signed and who signed it, when and from where.
pub async fn confirmations(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: Option<i64>,
    signature_id: Option<i64>,
) -> Result<Vec<u8>> {
    let mut rows = signatures(app, actor, school_id, term_id, class_id).await?;
    if let Some(id) = signature_id {
        rows.retain(|s| s.id == id);
        if rows.is_empty() {
            return Err(Error::NotFound("签署记录"));
        }
    }
    if rows.len() > CONFIRMATIONS_MAX {
        return Err(Error::conflict(format!(
            "共{}份确认书，一次最多下载{CONFIRMATIONS_MAX}份，请按教学班下载",
            rows.len()
        )));
    }
    // Oldest first, as a binder is filed.
    rows.reverse();
    let school = org::Entity::find_by_id(school_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("学校"))?;
    let t = term_row(&app.db, school.id, term_id).await?;
    let notices = notice::Entity::find()
        .filter(notice::Column::Id.is_in(rows.iter().map(|s| s.notice_id)))
        .all(&app.db)
        .await?;
    let title = "报名须知签署确认书";
    let mut doc = crate::platform::pdf::Document::new(title);
    if rows.is_empty() {
        doc.heading(title);
        doc.field("学校", &school.name);
        doc.field("学期", &format!("{} {}", t.school_year, t.name));
        doc.text("暂无签署记录。");
    }
    for (i, s) in rows.iter().enumerate() {
        let Some(n) = notices.iter().find(|n| n.id == s.notice_id) else {
            continue;
        };
        if i > 0 {
            doc.new_page();
        }
        doc.heading(title);
        doc.field("学校", &school.name);
        doc.field("学期", &format!("{} {}", t.school_year, t.name));
        doc.field(
            "学生",
            &format!("{}（学号 {}）", s.student_name, s.student_no),
        );
        doc.field(
            "报名须知",
            &format!(
                "《{}》第{}版，发布于 {}",
                n.title,
                n.version,
                china_time(n.published_at)
            ),
        );
        doc.rule();
        doc.text(&n.body);
        doc.rule();
        doc.text("监护人已在平台上阅读上述报名须知并在线签署同意，签署记录如下：");
        doc.gap(4.0);
        doc.field("签署人", &s.signer_name);
        doc.field("签署时间", &china_time(s.signed_at));
        doc.field("签署地址", s.ip.as_deref().unwrap_or("未记录"));
        doc.field("签署编号", &format!("{}-{}", n.id, s.id));
        doc.gap(6.0);
        doc.small(&format!(
            "本确认书由课后服务平台根据签署记录生成，生成时间 {}。",
            china_time(app.now())
        ));
    }
    Ok(doc.finish())
}

/// Keeps an erased person's signatures as evidence of what was agreed, with the signer's
/// name masked and the address gone.
pub(crate) async fn mask_signer(db: &impl ConnectionTrait, user_id: i64) -> Result<()> {
    for s in signature::Entity::find()
        .filter(signature::Column::UserId.eq(user_id))
        .all(db)
        .await?
    {
        let masked = crate::school::student::erased_name(&s.signer_name);
        let mut m = s.into_active_model();
        m.signer_name = Set(masked);
        m.ip = Set(None);
        m.update(db).await?;
    }
    Ok(())
}
