//! Dispatches (D10): an admitted institution sends one of its teachers to a school of its
//! bureau's jurisdiction for a period and for some course categories; it may cancel with a
//! reason. A teacher is never dispatched twice for the same days. A dispatch is in force
//! only while its institution is admitted: suspending the institution stops it.

use chrono::NaiveDate;
use kehou_domain::course::Category;
use kehou_domain::institution::{DispatchStatus, InstitutionStatus, overlaps};
use kehou_domain::{Invalid, OrgKind, Permission};
use kehou_store::entity::institution::{admission, dispatch, teacher};
use kehou_store::entity::org;
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
pub struct DispatchView {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub certificate_no: String,
    pub school_id: i64,
    pub school_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// care, quality, featured.
    pub course_types: Vec<String>,
    pub course_type_labels: Vec<&'static str>,
    /// active or cancelled.
    pub status: String,
    pub status_label: &'static str,
    pub cancel_reason: Option<String>,
    /// Active, its institution admitted, and today within its days.
    pub in_force: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DispatchInput {
    #[schema(required = true)]
    pub teacher_id: Option<i64>,
    #[schema(required = true)]
    pub school_id: Option<i64>,
    #[schema(required = true)]
    pub starts_on: Option<NaiveDate>,
    #[schema(required = true)]
    pub ends_on: Option<NaiveDate>,
    /// care, quality, featured; at least one.
    #[schema(required = true)]
    pub course_types: Option<Vec<String>>,
}

async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<dispatch::Model>,
) -> Result<Vec<DispatchView>> {
    let org_ids: Vec<i64> = rows.iter().flat_map(|d| [d.org_id, d.school_id]).collect();
    let orgs: std::collections::HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let admitted = super::admitted(db, rows.iter().map(|d| d.org_id).collect()).await?;
    let teachers: std::collections::HashMap<i64, teacher::Model> = teacher::Entity::find()
        .filter(teacher::Column::Id.is_in(rows.iter().map(|d| d.teacher_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let today = app.today();
    Ok(rows
        .into_iter()
        .map(|d| {
            let status = DispatchStatus::parse(&d.status).unwrap_or(DispatchStatus::Cancelled);
            let (course_types, course_type_labels) = d
                .course_types
                .split(',')
                .filter_map(Category::parse)
                .map(|c| (c.code().to_string(), c.label()))
                .unzip();
            let teacher = teachers.get(&d.teacher_id);
            DispatchView {
                id: d.id,
                institution_id: d.org_id,
                institution_name: orgs.get(&d.org_id).cloned().unwrap_or_default(),
                teacher_id: d.teacher_id,
                teacher_name: teacher.map(|t| t.name.clone()).unwrap_or_default(),
                certificate_no: teacher
                    .map(|t| t.certificate_no.clone())
                    .unwrap_or_default(),
                school_id: d.school_id,
                school_name: orgs.get(&d.school_id).cloned().unwrap_or_default(),
                in_force: status == DispatchStatus::Active
                    && admitted.contains(&d.org_id)
                    && d.starts_on <= today
                    && today <= d.ends_on,
                starts_on: d.starts_on,
                ends_on: d.ends_on,
                course_types,
                course_type_labels,
                status: status.code().into(),
                status_label: status.label(),
                cancel_reason: d.cancel_reason,
            }
        })
        .collect())
}

/// An institution's dispatches, the latest first.
pub async fn list(app: &App, actor: &Actor, org_id: i64) -> Result<Vec<DispatchView>> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionView).await?;
    let rows = dispatch::Entity::find()
        .filter(dispatch::Column::OrgId.eq(o.id))
        .order_by_desc(dispatch::Column::StartsOn)
        .order_by_desc(dispatch::Column::Id)
        .all(&app.db)
        .await?;
    views(app, &app.db, rows).await
}

/// The teachers institutions have dispatched to a school (D2), the latest first.
pub async fn for_school(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<DispatchView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let rows = dispatch::Entity::find()
        .filter(dispatch::Column::SchoolId.eq(school.id))
        .order_by_desc(dispatch::Column::StartsOn)
        .order_by_desc(dispatch::Column::Id)
        .all(&app.db)
        .await?;
    views(app, &app.db, rows).await
}

/// The schools an institution may send teachers to: those of its bureau's jurisdiction.
pub async fn schools(app: &App, actor: &Actor, org_id: i64) -> Result<Vec<(i64, String)>> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionManage).await?;
    let bureau_path = o.path.trim_end_matches(&format!("{}/", o.id)).to_string();
    Ok(org::Entity::find()
        .filter(org::Column::Kind.eq(OrgKind::School.code()))
        .filter(org::Column::Active.eq(true))
        .filter(org::Column::Path.starts_with(&bureau_path))
        .order_by_asc(org::Column::Name)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Sends a teacher of the actor's institution to a school.
pub async fn create(
    app: &App,
    actor: &Actor,
    org_id: i64,
    input: DispatchInput,
) -> Result<DispatchView> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionManage).await?;
    if o.id != actor.org_id {
        return Err(Error::Forbidden("只能派遣本机构的教师".into()));
    }
    let mut invalid = Invalid::default();
    if input.teacher_id.is_none() {
        invalid.push("teacher_id", "请选择教师");
    }
    if input.school_id.is_none() {
        invalid.push("school_id", "请选择学校");
    }
    let today = app.today();
    match (input.starts_on, input.ends_on) {
        (None, _) => invalid.push("starts_on", "请填写开始日期"),
        (_, None) => invalid.push("ends_on", "请填写结束日期"),
        (Some(from), Some(to)) if to < from => invalid.push("ends_on", "结束日期不能早于开始日期"),
        (Some(_), Some(to)) if to < today => invalid.push("ends_on", "结束日期已过，不能派遣"),
        (Some(from), Some(to)) if (to - from).num_days() > 366 => {
            invalid.push("ends_on", "一次派遣不超过一年")
        }
        _ => {}
    }
    let mut types: Vec<&'static str> = Vec::new();
    for code in input.course_types.as_deref().unwrap_or_default() {
        match Category::parse(code) {
            Some(c) if !types.contains(&c.code()) => types.push(c.code()),
            Some(_) => {}
            None => invalid.push("course_types", "课程类别须为 care、quality 或 featured"),
        }
    }
    if types.is_empty() && invalid.0.iter().all(|e| e.field != "course_types") {
        invalid.push("course_types", "请至少选择一种课程类别");
    }
    check(invalid)?;
    let (Some(teacher_id), Some(school_id), Some(from), Some(to)) = (
        input.teacher_id,
        input.school_id,
        input.starts_on,
        input.ends_on,
    ) else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = institution_for(&txn, actor, org_id, Permission::InstitutionManage).await?;
    let status = admission::Entity::find_by_id(o.id)
        .one(&txn)
        .await?
        .and_then(|i| InstitutionStatus::parse(&i.status));
    if !status.is_some_and(InstitutionStatus::offerable) {
        return Err(Error::conflict("机构尚未准入或已被暂停，不能派遣教师"));
    }
    let t = teacher::Entity::find_by_id(teacher_id)
        .filter(teacher::Column::OrgId.eq(o.id))
        .filter(teacher::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("teacher_id", "请选择本机构在职的教师"))?;
    let bureau_path = o.path.trim_end_matches(&format!("{}/", o.id)).to_string();
    let school = org::Entity::find_by_id(school_id)
        .filter(org::Column::Kind.eq(OrgKind::School.code()))
        .filter(org::Column::Active.eq(true))
        .filter(org::Column::Path.starts_with(&bureau_path))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("school_id", "请选择受理部门辖区内的学校"))?;
    // A teacher may be sent to several schools at once (the timetables keep them from being
    // in two places at the same time), but to one school only once for any day.
    let clash = dispatch::Entity::find()
        .filter(dispatch::Column::TeacherId.eq(t.id))
        .filter(dispatch::Column::SchoolId.eq(school.id))
        .filter(dispatch::Column::Status.eq(DispatchStatus::Active.code()))
        .all(&txn)
        .await?
        .into_iter()
        .find(|d| overlaps((d.starts_on, d.ends_on), (from, to)));
    if let Some(d) = clash {
        let other = org::Entity::find_by_id(d.school_id)
            .one(&txn)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        return Err(Error::conflict_on(
            "starts_on",
            format!(
                "{} 在 {} 至 {} 已派遣到{other}，时间不能重叠",
                t.name, d.starts_on, d.ends_on
            ),
        ));
    }
    let created = dispatch::ActiveModel {
        org_id: Set(o.id),
        teacher_id: Set(t.id),
        school_id: Set(school.id),
        starts_on: Set(from),
        ends_on: Set(to),
        course_types: Set(types.join(",")),
        status: Set(DispatchStatus::Active.code().into()),
        cancel_reason: Set(None),
        cancelled_at: Set(None),
        created_at: Set(now),
        created_by: Set(actor.user_name.clone()),
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
            action: "dispatch.create",
            entity_type: "dispatch",
            entity_id: Some(created.id),
            summary: format!("派遣 {} 到{}，{from} 至 {to}", t.name, school.name),
        },
    )
    .await?;
    let mut all = views(app, &txn, vec![created]).await?;
    txn.commit().await?;
    all.pop().ok_or(Error::NotFound("派遣"))
}

/// Cancels an active dispatch of the actor's institution, with a reason.
pub async fn cancel(
    app: &App,
    actor: &Actor,
    org_id: i64,
    id: i64,
    reason: Option<&str>,
) -> Result<DispatchView> {
    let o = institution_for(&app.db, actor, org_id, Permission::InstitutionManage).await?;
    if o.id != actor.org_id {
        return Err(Error::Forbidden("只能取消本机构的派遣".into()));
    }
    let current = dispatch::Entity::find_by_id(id)
        .filter(dispatch::Column::OrgId.eq(o.id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("派遣"))?;
    let reason = kehou_domain::field::required_text(reason.unwrap_or(""), 200)
        .map_err(|why| Error::invalid("reason", format!("取消原因{why}")))?;
    let status = DispatchStatus::parse(&current.status).unwrap_or(DispatchStatus::Cancelled);
    let next = status.cancel().map_err(Error::conflict)?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let d = dispatch::Entity::find_by_id(id)
        .filter(dispatch::Column::OrgId.eq(o.id))
        .filter(dispatch::Column::Status.eq(status.code()))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::conflict("派遣状态已变化，请刷新后重试"))?;
    let mut m = d.into_active_model();
    m.status = Set(next.code().into());
    m.cancel_reason = Set(Some(reason.clone()));
    m.cancelled_at = Set(Some(now));
    let updated = m.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(o.id),
            org_path: &o.path,
            action: "dispatch.cancel",
            entity_type: "dispatch",
            entity_id: Some(id),
            summary: format!(
                "取消派遣（{} 至 {}）：{reason}",
                updated.starts_on, updated.ends_on
            ),
        },
    )
    .await?;
    let mut all = views(app, &txn, vec![updated]).await?;
    txn.commit().await?;
    all.pop().ok_or(Error::NotFound("派遣"))
}

/// A teacher an institution sent to a school, as other areas see it.
#[derive(Debug, Clone)]
pub struct Dispatched {
    pub institution_id: i64,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The active dispatches to a school of admitted institutions that share a day with
/// `from`–`to`: the institution teachers an offering of that period may name. The caller
/// has checked its own permission.
pub async fn dispatched_to(
    db: &impl ConnectionTrait,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Dispatched>> {
    let rows = dispatch::Entity::find()
        .filter(dispatch::Column::SchoolId.eq(school_id))
        .filter(dispatch::Column::Status.eq(DispatchStatus::Active.code()))
        .filter(dispatch::Column::StartsOn.lte(to))
        .filter(dispatch::Column::EndsOn.gte(from))
        .order_by_asc(dispatch::Column::StartsOn)
        .all(db)
        .await?;
    let admitted = super::admitted(db, rows.iter().map(|d| d.org_id).collect()).await?;
    let names: std::collections::HashMap<i64, String> = teacher::Entity::find()
        .filter(teacher::Column::Id.is_in(rows.iter().map(|d| d.teacher_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(rows
        .into_iter()
        .filter(|d| admitted.contains(&d.org_id))
        .map(|d| Dispatched {
            institution_id: d.org_id,
            teacher_id: d.teacher_id,
            teacher_name: names.get(&d.teacher_id).cloned().unwrap_or_default(),
            starts_on: d.starts_on,
            ends_on: d.ends_on,
        })
        .collect())
}
