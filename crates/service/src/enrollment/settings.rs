//! The school's enrollment settings for a term (F1, F4): windows (pre-registration, open,
//! drop, supplementary, mid-term; all grades or one), the most courses per student, how
//! long an unpaid order holds its seat, and mutually exclusive course groups.

use chrono::{DateTime, Utc};
use kehou_domain::enrollment::WindowKind;
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::enrollment::{exclusive_group, settings as term_settings, window};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};

use super::{HOLD_MINUTES_DEFAULT, record, term_rules};
use crate::platform::audit::By;
use crate::platform::clock::{china_label, parse_china};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

pub const MAX_COURSES_LIMIT: i32 = 20;
pub const HOLD_MINUTES_RANGE: std::ops::RangeInclusive<i32> = 5..=1440;
pub const WINDOWS_MAX: usize = 30;
pub const GROUPS_MAX: usize = 30;
pub const GROUP_ITEMS_MAX: usize = 20;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    pub id: i64,
    /// pre_registration, open, drop, supplementary or mid_term.
    pub kind: String,
    pub kind_label: &'static str,
    /// One grade, or none for every grade.
    pub grade: Option<i32>,
    pub grade_label: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// China time, as the school set it.
    pub opens_label: String,
    pub closes_label: String,
    pub open_now: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub item_ids: Vec<i64>,
    pub courses: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = EnrollmentSettingsView)]
pub struct SettingsView {
    pub school_id: i64,
    pub term_id: i64,
    pub term: String,
    /// None: no limit.
    pub max_courses: Option<i32>,
    pub hold_minutes: i32,
    pub windows: Vec<WindowView>,
    pub groups: Vec<GroupView>,
    /// The term's offered courses, for the groups' form.
    pub courses: Vec<CourseChoice>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = GroupCourseChoice)]
pub struct CourseChoice {
    pub item_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RulesInput {
    /// 1–20; none or 0: no limit.
    pub max_courses: Option<i32>,
    /// 5–1440 minutes; none: 30.
    pub hold_minutes: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct WindowInput {
    #[schema(required = true)]
    pub kind: Option<String>,
    /// None: every grade.
    pub grade: Option<i32>,
    /// China time, "2026-09-01 08:00".
    #[schema(required = true)]
    pub opens_at: Option<String>,
    #[schema(required = true)]
    pub closes_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct GroupInput {
    #[schema(required = true)]
    pub name: Option<String>,
    /// Two or more offered courses (offering items) of the term.
    #[schema(required = true)]
    pub item_ids: Option<Vec<i64>>,
}

struct Scope {
    school_id: i64,
    school_path: String,
    term_id: i64,
    term_label: String,
    term_end: chrono::NaiveDate,
}

async fn scope(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<Scope> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = super::term_row(&app.db, school.id, term_id).await?;
    Ok(Scope {
        school_id: school.id,
        school_path: school.path,
        term_id: t.id,
        term_label: format!("{} {}", t.school_year, t.name),
        term_end: t.end_date,
    })
}

fn check_current(app: &App, s: &Scope) -> Result<()> {
    if s.term_end < app.today() {
        return Err(Error::conflict(format!(
            "{} 已结束，报名设置不能再修改",
            s.term_label
        )));
    }
    Ok(())
}

pub fn grade_label(grade: Option<i32>) -> String {
    grade.map_or("全部年级".into(), |g| format!("{g}年级"))
}

pub(crate) fn window_view(w: &window::Model, now: DateTime<Utc>) -> WindowView {
    WindowView {
        id: w.id,
        kind: w.kind.clone(),
        kind_label: WindowKind::parse(&w.kind).map_or("", WindowKind::label),
        grade: w.grade,
        grade_label: grade_label(w.grade),
        opens_at: w.opens_at,
        closes_at: w.closes_at,
        opens_label: china_label(w.opens_at),
        closes_label: china_label(w.closes_at),
        open_now: w.opens_at <= now && now < w.closes_at,
    }
}

async fn view(app: &App, s: &Scope) -> Result<SettingsView> {
    let rules = term_rules(&app.db, s.school_id, s.term_id).await?;
    let items = crate::course::offering::items_for_term(&app.db, s.school_id, s.term_id).await?;
    let name_of = |id: i64| {
        items
            .iter()
            .find(|i| i.id == id)
            .map_or_else(|| format!("课程 {id}"), |i| i.name.clone())
    };
    let groups = exclusive_group::Entity::find()
        .filter(exclusive_group::Column::SchoolId.eq(s.school_id))
        .filter(exclusive_group::Column::TermId.eq(s.term_id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|g| {
            let ids = super::ids_of(&g.item_ids);
            GroupView {
                id: g.id,
                name: g.name,
                courses: ids
                    .iter()
                    .map(|i| name_of(*i))
                    .collect::<Vec<_>>()
                    .join("、"),
                item_ids: ids,
            }
        })
        .collect();
    let now = app.now();
    Ok(SettingsView {
        school_id: s.school_id,
        term_id: s.term_id,
        term: s.term_label.clone(),
        max_courses: rules.max_courses,
        hold_minutes: rules.hold_minutes,
        windows: rules.windows.iter().map(|w| window_view(w, now)).collect(),
        groups,
        courses: items
            .iter()
            .map(|i| CourseChoice {
                item_id: i.id,
                name: i.name.clone(),
            })
            .collect(),
    })
}

pub async fn get(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<SettingsView> {
    let s = scope(app, actor, school_id, term_id).await?;
    view(app, &s).await
}

pub async fn set_rules(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: RulesInput,
) -> Result<SettingsView> {
    let s = scope(app, actor, school_id, term_id).await?;
    check_current(app, &s)?;
    let mut invalid = Invalid::default();
    let max = match input.max_courses {
        None | Some(0) => None,
        Some(n) if (1..=MAX_COURSES_LIMIT).contains(&n) => Some(n),
        Some(_) => {
            invalid.push(
                "max_courses",
                format!("选课上限应为1至{MAX_COURSES_LIMIT}门，不限请留空"),
            );
            None
        }
    };
    let hold = input.hold_minutes.unwrap_or(HOLD_MINUTES_DEFAULT);
    if !HOLD_MINUTES_RANGE.contains(&hold) {
        invalid.push(
            "hold_minutes",
            format!(
                "未支付订单保留名额的时间应为{}至{}分钟",
                HOLD_MINUTES_RANGE.start(),
                HOLD_MINUTES_RANGE.end()
            ),
        );
    }
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let now = app.now();
    match term_settings::Entity::find()
        .filter(term_settings::Column::SchoolId.eq(s.school_id))
        .filter(term_settings::Column::TermId.eq(s.term_id))
        .one(&txn)
        .await?
    {
        Some(row) => {
            let mut m = row.into_active_model();
            m.max_courses = Set(max);
            m.hold_minutes = Set(hold);
            m.updated_at = Set(now);
            m.update(&txn).await?;
        }
        None => {
            term_settings::ActiveModel {
                school_id: Set(s.school_id),
                term_id: Set(s.term_id),
                max_courses: Set(max),
                hold_minutes: Set(hold),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.rules",
        ("term", s.term_id),
        format!(
            "设置 {} 的报名规则：选课上限{}，未支付保留{}分钟",
            s.term_label,
            max.map_or("不限".into(), |m| format!("{m}门")),
            hold
        ),
    )
    .await?;
    txn.commit().await?;
    view(app, &s).await
}

pub async fn add_window(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: WindowInput,
) -> Result<SettingsView> {
    let s = scope(app, actor, school_id, term_id).await?;
    check_current(app, &s)?;
    let mut invalid = Invalid::default();
    let kind = match input.kind.as_deref().map(str::trim) {
        None | Some("") => {
            invalid.push("kind", "请选择时段类型");
            None
        }
        Some(k) => WindowKind::parse(k).or_else(|| {
            invalid.push("kind", "时段类型无效");
            None
        }),
    };
    if let Some(g) = input.grade
        && !(1..=12).contains(&g)
    {
        invalid.push("grade", "年级应为1至12");
    }
    let mut time = |field: &str, raw: Option<&str>| match raw.map(str::trim) {
        None | Some("") => {
            invalid.push(field, "请填写时间");
            None
        }
        Some(v) if v.chars().count() > 25 => {
            invalid.push(field, "时间格式应为 YYYY-MM-DD HH:MM");
            None
        }
        Some(v) => parse_china(v).or_else(|| {
            invalid.push(field, "时间格式应为 YYYY-MM-DD HH:MM");
            None
        }),
    };
    let opens = time("opens_at", input.opens_at.as_deref());
    let closes = time("closes_at", input.closes_at.as_deref());
    if let (Some(o), Some(c)) = (opens, closes)
        && o >= c
    {
        invalid.push("closes_at", "结束时间应晚于开始时间");
    }
    check(invalid)?;
    let (Some(kind), Some(opens), Some(closes)) = (kind, opens, closes) else {
        return Err(Error::invalid("kind", "请填写时段"));
    };
    // Money for the school's courses goes to the school's own account (H1).
    if kind != WindowKind::Drop
        && crate::course::offering::has_priced_items(&app.db, s.school_id, s.term_id).await?
        && crate::billing::account::receiving(&app.db, s.school_id)
            .await?
            .is_none()
    {
        return Err(Error::conflict(
            "学校尚未配置有效的收款账户，不能开放收费课程的报名（请先在“收费管理”中配置）",
        ));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let have = window::Entity::find()
        .filter(window::Column::SchoolId.eq(s.school_id))
        .filter(window::Column::TermId.eq(s.term_id))
        .all(&txn)
        .await?;
    if have.len() >= WINDOWS_MAX {
        return Err(Error::conflict(format!(
            "一个学期最多{WINDOWS_MAX}个报名时段"
        )));
    }
    let row = window::ActiveModel {
        school_id: Set(s.school_id),
        term_id: Set(s.term_id),
        kind: Set(kind.code().into()),
        grade: Set(input.grade),
        opens_at: Set(opens),
        closes_at: Set(closes),
        created_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.window_add",
        ("term", s.term_id),
        format!(
            "新增 {} 的{}（{}）：{} 至 {}",
            s.term_label,
            kind.label(),
            grade_label(row.grade),
            china_label(opens),
            china_label(closes)
        ),
    )
    .await?;
    txn.commit().await?;
    view(app, &s).await
}

pub async fn remove_window(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    window_id: i64,
) -> Result<SettingsView> {
    let s = scope(app, actor, school_id, term_id).await?;
    check_current(app, &s)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let w = window::Entity::find_by_id(window_id)
        .filter(window::Column::SchoolId.eq(s.school_id))
        .filter(window::Column::TermId.eq(s.term_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("报名时段"))?;
    window::Entity::delete_by_id(w.id).exec(&txn).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.window_remove",
        ("term", s.term_id),
        format!(
            "删除 {} 的{}（{}）：{} 至 {}",
            s.term_label,
            WindowKind::parse(&w.kind).map_or("", WindowKind::label),
            grade_label(w.grade),
            china_label(w.opens_at),
            china_label(w.closes_at)
        ),
    )
    .await?;
    txn.commit().await?;
    view(app, &s).await
}

pub async fn add_group(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: GroupInput,
) -> Result<SettingsView> {
    let s = scope(app, actor, school_id, term_id).await?;
    check_current(app, &s)?;
    let mut invalid = Invalid::default();
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    let mut ids = input.item_ids.unwrap_or_default();
    ids.sort_unstable();
    ids.dedup();
    let items = crate::course::offering::items_for_term(&app.db, s.school_id, s.term_id).await?;
    if ids.len() < 2 || ids.len() > GROUP_ITEMS_MAX {
        invalid.push(
            "item_ids",
            format!("互斥课程组应有2至{GROUP_ITEMS_MAX}门课程"),
        );
    } else if let Some(bad) = ids.iter().find(|id| !items.iter().any(|i| i.id == **id)) {
        invalid.push("item_ids", format!("课程 {bad} 不在本学期开课计划中"));
    }
    check(invalid)?;
    let name = name.unwrap_or_default();
    let txn = kehou_store::begin_write(&app.db).await?;
    let count = exclusive_group::Entity::find()
        .filter(exclusive_group::Column::SchoolId.eq(s.school_id))
        .filter(exclusive_group::Column::TermId.eq(s.term_id))
        .all(&txn)
        .await?
        .len();
    if count >= GROUPS_MAX {
        return Err(Error::conflict(format!(
            "一个学期最多{GROUPS_MAX}个互斥课程组"
        )));
    }
    let row = exclusive_group::ActiveModel {
        school_id: Set(s.school_id),
        term_id: Set(s.term_id),
        name: Set(name.clone()),
        item_ids: Set(ids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let names: Vec<String> = ids
        .iter()
        .filter_map(|id| items.iter().find(|i| i.id == *id).map(|i| i.name.clone()))
        .collect();
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.group_add",
        ("term", s.term_id),
        format!(
            "新增 {} 的互斥课程组“{}”（{}）：{}",
            s.term_label,
            name,
            row.id,
            names.join("、")
        ),
    )
    .await?;
    txn.commit().await?;
    view(app, &s).await
}

pub async fn remove_group(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    group_id: i64,
) -> Result<SettingsView> {
    let s = scope(app, actor, school_id, term_id).await?;
    check_current(app, &s)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let g = exclusive_group::Entity::find_by_id(group_id)
        .filter(exclusive_group::Column::SchoolId.eq(s.school_id))
        .filter(exclusive_group::Column::TermId.eq(s.term_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("互斥课程组"))?;
    exclusive_group::Entity::delete_by_id(g.id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.group_remove",
        ("term", s.term_id),
        format!("删除 {} 的互斥课程组“{}”", s.term_label, g.name),
    )
    .await?;
    txn.commit().await?;
    view(app, &s).await
}
