//! What the school tells the solver (E1, E3): forbidden and preferred weekly times of
//! courses, teachers and rooms, and when each grade's regular lessons end on each weekday
//! (after-school lessons start after it).

use std::collections::HashMap;

use chrono::NaiveTime;
use kehou_domain::course::weekday_name;
use kehou_domain::school::grade_name;
use kehou_domain::teaching::{PreferenceKind, PreferenceTarget};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::school::room;
use kehou_store::entity::teaching::{day_end, preference};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::class::SlotInput;
use super::{Term, check_current, hhmm, term_for};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreferenceView {
    /// course (an offering item), staff, institution_teacher or room.
    pub target: String,
    pub target_label: &'static str,
    pub target_id: i64,
    pub target_name: String,
    /// forbidden or preferred.
    pub kind: String,
    pub kind_label: &'static str,
    pub weekday: i32,
    pub period_no: i32,
    pub time_label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayEndView {
    pub grade: i32,
    pub grade_name: String,
    pub weekday: i32,
    pub weekday_label: &'static str,
    /// `HH:MM`.
    pub ends_at: String,
}

/// Someone or something whose times can be set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetChoice {
    pub target: String,
    pub target_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub preferences: Vec<PreferenceView>,
    pub day_ends: Vec<DayEndView>,
    pub targets: Vec<TargetChoice>,
}

/// The times of one kind for one target; they replace what it had.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PreferenceInput {
    #[schema(required = true)]
    pub target: Option<String>,
    #[schema(required = true)]
    pub target_id: Option<i64>,
    /// forbidden or preferred.
    #[schema(required = true)]
    pub kind: Option<String>,
    /// Empty clears them.
    #[schema(required = true)]
    pub times: Option<Vec<SlotInput>>,
}

/// When a grade's regular lessons end on the given weekdays.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DayEndInput {
    #[schema(required = true)]
    pub grade: Option<i32>,
    /// 1–7; Monday to Friday when absent.
    pub weekdays: Option<Vec<i32>>,
    /// `HH:MM`; empty clears them.
    #[schema(required = true)]
    pub ends_at: Option<String>,
}

/// The names of everything whose times can be set in a term.
pub(crate) async fn targets(db: &impl ConnectionTrait, t: &Term) -> Result<Vec<TargetChoice>> {
    let mut out = Vec::new();
    for i in crate::course::offering::approved_items(db, t.school.id, t.term.id).await? {
        out.push(TargetChoice {
            target: PreferenceTarget::Course.code().into(),
            target_id: i.id,
            name: i.name,
        });
    }
    for (id, name) in crate::school::staff::active_staff(db, t.school.id).await? {
        out.push(TargetChoice {
            target: PreferenceTarget::Staff.code().into(),
            target_id: id,
            name,
        });
    }
    let mut seen = std::collections::HashSet::new();
    for d in crate::institution::dispatch::dispatched_to(
        db,
        t.school.id,
        t.term.start_date,
        t.term.end_date,
    )
    .await?
    {
        if seen.insert(d.teacher_id) {
            out.push(TargetChoice {
                target: PreferenceTarget::InstitutionTeacher.code().into(),
                target_id: d.teacher_id,
                name: d.teacher_name,
            });
        }
    }
    for r in room::Entity::find()
        .filter(room::Column::SchoolId.eq(t.school.id))
        .filter(room::Column::Available.eq(true))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?
    {
        out.push(TargetChoice {
            target: PreferenceTarget::Room.code().into(),
            target_id: r.id,
            name: r.name,
        });
    }
    Ok(out)
}

pub(crate) async fn preferences(
    db: &impl ConnectionTrait,
    t: &Term,
) -> Result<Vec<preference::Model>> {
    Ok(preference::Entity::find()
        .filter(preference::Column::SchoolId.eq(t.school.id))
        .filter(preference::Column::TermId.eq(t.term.id))
        .order_by_asc(preference::Column::Target)
        .order_by_asc(preference::Column::TargetId)
        .order_by_asc(preference::Column::Weekday)
        .order_by_asc(preference::Column::PeriodNo)
        .all(db)
        .await?)
}

pub(crate) async fn day_ends(db: &impl ConnectionTrait, t: &Term) -> Result<Vec<day_end::Model>> {
    Ok(day_end::Entity::find()
        .filter(day_end::Column::SchoolId.eq(t.school.id))
        .filter(day_end::Column::TermId.eq(t.term.id))
        .order_by_asc(day_end::Column::Grade)
        .order_by_asc(day_end::Column::Weekday)
        .all(db)
        .await?)
}

async fn view(db: &impl ConnectionTrait, t: &Term) -> Result<SettingsView> {
    let targets = targets(db, t).await?;
    let names: HashMap<(String, i64), String> = targets
        .iter()
        .map(|c| ((c.target.clone(), c.target_id), c.name.clone()))
        .collect();
    let preferences = preferences(db, t)
        .await?
        .into_iter()
        .map(|p| {
            let target = PreferenceTarget::parse(&p.target).unwrap_or(PreferenceTarget::Course);
            let kind = PreferenceKind::parse(&p.kind).unwrap_or(PreferenceKind::Forbidden);
            PreferenceView {
                target_label: target.label(),
                target_name: names
                    .get(&(p.target.clone(), p.target_id))
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", p.target_id)),
                target: p.target,
                target_id: p.target_id,
                kind: kind.code().into(),
                kind_label: kind.label(),
                time_label: format!(
                    "{} {}",
                    weekday_name(p.weekday),
                    t.bell
                        .period(p.weekday, p.period_no)
                        .map(|b| b.name.clone())
                        .unwrap_or_else(|| format!("第{}节", p.period_no))
                ),
                weekday: p.weekday,
                period_no: p.period_no,
            }
        })
        .collect();
    let day_ends = day_ends(db, t)
        .await?
        .into_iter()
        .map(|d| DayEndView {
            grade: d.grade,
            grade_name: grade_name(u8::try_from(d.grade).unwrap_or(0)),
            weekday: d.weekday,
            weekday_label: weekday_name(d.weekday),
            ends_at: hhmm(d.ends_at),
        })
        .collect();
    Ok(SettingsView {
        preferences,
        day_ends,
        targets,
    })
}

pub async fn get(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<SettingsView> {
    let t = term_for(app, actor, school_id, term_id, Permission::SchoolView).await?;
    view(&app.db, &t).await
}

async fn record(
    app: &App,
    db: &impl ConnectionTrait,
    actor: &Actor,
    t: &Term,
    summary: String,
) -> Result<()> {
    audit::record(
        db,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(t.school.id),
            org_path: &t.school.path,
            action: "schedule.settings",
            entity_type: "timetable",
            entity_id: Some(t.term.id),
            summary,
        },
    )
    .await
}

/// Replaces the forbidden or preferred times of one course, teacher or room.
pub async fn set_preferences(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: PreferenceInput,
) -> Result<SettingsView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let mut invalid = Invalid::default();
    let target = input.target.as_deref().and_then(PreferenceTarget::parse);
    if target.is_none() {
        invalid.push(
            "target",
            "对象应为 course、staff、institution_teacher 或 room",
        );
    }
    let kind = input.kind.as_deref().and_then(PreferenceKind::parse);
    if kind.is_none() {
        invalid.push("kind", "类型应为 forbidden（不可排）或 preferred（优先排）");
    }
    let mut times: Vec<(i32, i32)> = Vec::new();
    let given = input.times.clone().unwrap_or_default();
    if given.len() > 100 {
        return Err(Error::invalid("times", "一次最多设置100个时间"));
    }
    for (i, s) in given.iter().enumerate() {
        let field = format!("times.{i}");
        match (s.weekday, s.period_no) {
            (Some(w), Some(p)) if t.bell.period(w, p).is_some() => {
                if !times.contains(&(w, p)) {
                    times.push((w, p));
                }
            }
            (Some(w), Some(p)) => invalid.push(
                &field,
                format!(
                    "{}没有第{p}节课后服务",
                    if weekday_name(w).is_empty() {
                        "该日"
                    } else {
                        weekday_name(w)
                    }
                ),
            ),
            _ => invalid.push(&field, "请选择星期和节次"),
        }
    }
    check(invalid)?;
    let (Some(target), Some(kind)) = (target, kind) else {
        return Err(Error::invalid("target", "请选择对象"));
    };
    let name = targets(&app.db, &t)
        .await?
        .into_iter()
        .find(|c| c.target == target.code() && Some(c.target_id) == input.target_id)
        .map(|c| c.name)
        .ok_or_else(|| Error::invalid("target_id", format!("本学期没有这个{}", target.label())))?;
    let target_id = input.target_id.unwrap_or(0);
    let txn = kehou_store::begin_write(&app.db).await?;
    preference::Entity::delete_many()
        .filter(preference::Column::SchoolId.eq(t.school.id))
        .filter(preference::Column::TermId.eq(t.term.id))
        .filter(preference::Column::Target.eq(target.code()))
        .filter(preference::Column::TargetId.eq(target_id))
        .filter(preference::Column::Kind.eq(kind.code()))
        .exec(&txn)
        .await?;
    // A time is either forbidden or preferred: setting one kind takes it from the other.
    for (w, p) in &times {
        preference::Entity::delete_many()
            .filter(preference::Column::SchoolId.eq(t.school.id))
            .filter(preference::Column::TermId.eq(t.term.id))
            .filter(preference::Column::Target.eq(target.code()))
            .filter(preference::Column::TargetId.eq(target_id))
            .filter(preference::Column::Weekday.eq(*w))
            .filter(preference::Column::PeriodNo.eq(*p))
            .exec(&txn)
            .await?;
        preference::ActiveModel {
            school_id: Set(t.school.id),
            term_id: Set(t.term.id),
            target: Set(target.code().into()),
            target_id: Set(target_id),
            weekday: Set(*w),
            period_no: Set(*p),
            kind: Set(kind.code().into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    record(
        app,
        &txn,
        actor,
        &t,
        format!(
            "设置{}“{name}”的{}时间：{}处",
            target.label(),
            kind.label(),
            times.len()
        ),
    )
    .await?;
    txn.commit().await?;
    view(&app.db, &t).await
}

/// Sets (or clears) when a grade's regular lessons end.
pub async fn set_day_end(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: DayEndInput,
) -> Result<SettingsView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let mut invalid = Invalid::default();
    let grade = input.grade.unwrap_or(0);
    if !(1..=12).contains(&grade) {
        invalid.push("grade", "年级应为1至12");
    }
    let mut weekdays = input
        .weekdays
        .clone()
        .unwrap_or_else(|| vec![1, 2, 3, 4, 5]);
    weekdays.sort_unstable();
    weekdays.dedup();
    if weekdays.is_empty() || weekdays.iter().any(|w| !(1..=7).contains(w)) {
        invalid.push("weekdays", "星期应为1（周一）至7（周日）");
    }
    let ends_at = match input.ends_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => match NaiveTime::parse_from_str(v, "%H:%M") {
            Ok(time) => Some(time),
            Err(_) => {
                invalid.push("ends_at", "时间格式应为 HH:MM，如 15:30");
                None
            }
        },
    };
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    for w in &weekdays {
        day_end::Entity::delete_many()
            .filter(day_end::Column::SchoolId.eq(t.school.id))
            .filter(day_end::Column::TermId.eq(t.term.id))
            .filter(day_end::Column::Grade.eq(grade))
            .filter(day_end::Column::Weekday.eq(*w))
            .exec(&txn)
            .await?;
        if let Some(time) = ends_at {
            day_end::ActiveModel {
                school_id: Set(t.school.id),
                term_id: Set(t.term.id),
                grade: Set(grade),
                weekday: Set(*w),
                ends_at: Set(time),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    record(
        app,
        &txn,
        actor,
        &t,
        match ends_at {
            Some(time) => format!(
                "设置{}正课结束时间为 {}（{}天）",
                grade_name(u8::try_from(grade).unwrap_or(0)),
                hhmm(time),
                weekdays.len()
            ),
            None => format!(
                "清除{}正课结束时间",
                grade_name(u8::try_from(grade).unwrap_or(0))
            ),
        },
    )
    .await?;
    txn.commit().await?;
    view(&app.db, &t).await
}
