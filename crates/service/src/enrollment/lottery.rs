//! Pre-registration (志愿填报) and the draw. While a pre-registration window is open,
//! parents rank up to three teaching classes for each seat they want (at most three
//! seats). After it closes the school publishes a seed, then runs the draw: the inputs
//! (seats, applications, what each student holds, priorities) are frozen and published
//! with the seed, the pure `kehou_domain::lottery::draw` gives the allocation, and the
//! winners get their enrollments and orders. The school reviews the allocation report and
//! publishes it to parents. `kehou lottery verify --term T` recomputes it from the
//! published inputs.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use kehou_domain::enrollment::WindowKind;
use kehou_domain::lottery::{
    self, Application, DrawClass, DrawInput, DrawStudent, Placement, WeeklyTime,
};
use kehou_domain::teaching::ClassStatus;
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::enrollment::{draw, enrollment, preference};
use kehou_store::entity::school::{guardian, student, term};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::select::{Source, Target, Wanted, admit, candidates, load_ctx};
use super::{child_of, current_term, grade_of, record, term_row, term_rules};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::error::check;
use crate::platform::messages::{self, NewMessage};
use crate::{Actor, App, Error, Result};

/// Seats a student may ask for in pre-registration, and choices per seat.
pub const SLOTS_MAX: usize = 3;
pub const CHOICES_MAX: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DrawStatus {
    Seeded,
    Drawn,
    Published,
}

impl DrawStatus {
    fn code(self) -> &'static str {
        match self {
            Self::Seeded => "seeded",
            Self::Drawn => "drawn",
            Self::Published => "published",
        }
    }

    fn label(code: &str) -> &'static str {
        match code {
            "seeded" => "已公布随机种子，待抽签",
            "drawn" => "已抽签，待公布结果",
            "published" => "结果已公布",
            _ => "",
        }
    }
}

fn reason_label(code: &str) -> &'static str {
    match code {
        "full" => "名额已满（抽签未中）",
        "duplicate" => "已有同一课程",
        "exclusive" => "与已录取课程互斥",
        "max_courses" => "已达选课上限",
        "time_conflict" => "与已录取课程时间冲突",
        "unknown_class" => "教学班已不存在",
        _ => "未录取",
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PreferencesInput {
    /// The term; the school's current one when left out.
    pub term_id: Option<i64>,
    /// Up to three seats, each up to three teaching classes best first; empty clears.
    #[schema(required = true)]
    pub slots: Option<Vec<Vec<i64>>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChoiceBrief {
    pub teaching_class_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub student_id: i64,
    pub student_name: String,
    pub student_no: String,
    pub slot: u32,
    pub choices: String,
    /// Drawn first: lost out in the previous term's draw.
    pub priority: bool,
    pub teaching_class_id: Option<i64>,
    pub class_name: Option<String>,
    /// Which choice was won (1–3).
    pub rank: Option<u32>,
    /// Why earlier choices (or all) were not given.
    pub reasons: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreferencesView {
    pub student_id: i64,
    pub term_id: i64,
    /// Whether a pre-registration window is open for the child now.
    pub open: bool,
    pub windows: String,
    pub slots: Vec<Vec<ChoiceBrief>>,
    /// The classes that may be ranked.
    pub classes: Vec<ChoiceBrief>,
    /// The draw's seed, once published.
    pub seed: Option<String>,
    /// The child's results, once the school published them.
    pub results: Vec<ReportRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawView {
    pub school_id: i64,
    pub term_id: i64,
    /// none, seeded, drawn or published.
    pub status: String,
    pub status_label: &'static str,
    pub seed: Option<String>,
    pub seed_published_label: Option<String>,
    pub drawn_label: Option<String>,
    pub applications: usize,
    pub students: usize,
    pub won: usize,
    pub rows: Vec<ReportRow>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SeedInput {
    /// 1–64 printable characters; none: a random one.
    pub seed: Option<String>,
}

async fn class_names(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, String>> {
    Ok(crate::teaching::class::by_ids(db, ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

async fn draw_of(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Option<draw::Model>> {
    Ok(draw::Entity::find()
        .filter(draw::Column::SchoolId.eq(school_id))
        .filter(draw::Column::TermId.eq(term_id))
        .one(db)
        .await?)
}

fn parsed<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<Option<T>> {
    raw.map(|r| {
        serde_json::from_str(r).map_err(|e| Error::Internal(format!("抽签数据无法读取：{e}")))
    })
    .transpose()
}

/// The rows of the allocation report for `placements` (all, or one student's).
async fn report_rows(
    db: &impl ConnectionTrait,
    input: &DrawInput,
    placements: &[Placement],
) -> Result<Vec<ReportRow>> {
    let mut ids: Vec<i64> = input.classes.iter().map(|c| c.id).collect();
    ids.extend(
        input
            .applications
            .iter()
            .flat_map(|a| a.choices.iter().copied()),
    );
    let names = class_names(db, ids).await?;
    let students: HashMap<i64, student::Model> = student::Entity::find()
        .filter(student::Column::Id.is_in(placements.iter().map(|p| p.student_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let name = |c: i64| {
        names
            .get(&c)
            .cloned()
            .unwrap_or_else(|| format!("教学班 {c}"))
    };
    Ok(placements
        .iter()
        .map(|p| {
            let app = input
                .applications
                .iter()
                .find(|a| a.student_id == p.student_id && a.slot == p.slot);
            let s = students.get(&p.student_id);
            ReportRow {
                student_id: p.student_id,
                student_name: s.map(|s| s.name.clone()).unwrap_or_default(),
                student_no: s.map(|s| s.student_no.clone()).unwrap_or_default(),
                slot: p.slot,
                choices: app
                    .map(|a| {
                        a.choices
                            .iter()
                            .enumerate()
                            .map(|(i, c)| format!("{}.{}", i + 1, name(*c)))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default(),
                priority: input
                    .students
                    .iter()
                    .any(|x| x.id == p.student_id && x.priority),
                teaching_class_id: p.class_id,
                class_name: p.class_id.map(name),
                rank: p.rank,
                reasons: p
                    .reasons
                    .iter()
                    .enumerate()
                    .map(|(i, r)| format!("第{}志愿：{}", i + 1, reason_label(r)))
                    .collect::<Vec<_>>()
                    .join("；"),
            }
        })
        .collect())
}

// ---- parents: ranked choices ----

async fn ranked(db: &impl ConnectionTrait, student_id: i64, term_id: i64) -> Result<Vec<Vec<i64>>> {
    let mut slots: BTreeMap<i32, Vec<(i32, i64)>> = BTreeMap::new();
    for p in preference::Entity::find()
        .filter(preference::Column::StudentId.eq(student_id))
        .filter(preference::Column::TermId.eq(term_id))
        .all(db)
        .await?
    {
        slots
            .entry(p.slot_no)
            .or_default()
            .push((p.rank, p.class_id));
    }
    Ok(slots
        .into_values()
        .map(|mut v| {
            v.sort_unstable();
            v.into_iter().map(|(_, c)| c).collect()
        })
        .collect())
}

/// The classes a child may rank: open classes of the term for the child's grade.
async fn rankable(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
    grade: Option<i32>,
) -> Result<Vec<ChoiceBrief>> {
    Ok(crate::teaching::class::enrollable(db, school_id, term_id)
        .await?
        .into_iter()
        .filter(|k| k.status == ClassStatus::Open.code())
        .filter(|k| grade.is_some_and(|g| (k.grade_from..=k.grade_to).contains(&g)))
        .map(|k| ChoiceBrief {
            teaching_class_id: k.id,
            name: k.name,
        })
        .collect())
}

pub async fn preferences(
    app: &App,
    actor: &Actor,
    student_id: i64,
    term_id: Option<i64>,
) -> Result<PreferencesView> {
    let child = child_of(&app.db, actor, student_id).await?;
    let term = match term_id {
        Some(id) => term_row(&app.db, child.school_id, id).await?,
        None => current_term(app, &app.db, child.school_id).await?,
    };
    view_for(app, &child, &term).await
}

async fn view_for(
    app: &App,
    child: &student::Model,
    term: &term::Model,
) -> Result<PreferencesView> {
    let db = &app.db;
    let grade = grade_of(db, child).await?;
    let rules = term_rules(db, child.school_id, term.id).await?;
    let pre = |k: WindowKind| k == WindowKind::PreRegistration;
    let slots = ranked(db, child.id, term.id).await?;
    let names = class_names(db, slots.iter().flatten().copied().collect()).await?;
    let d = draw_of(db, child.school_id, term.id).await?;
    let results = match &d {
        Some(d) if d.status == DrawStatus::Published.code() => {
            let input: Option<DrawInput> = parsed(d.inputs.as_deref())?;
            let placements: Option<Vec<Placement>> = parsed(d.results.as_deref())?;
            match (input, placements) {
                (Some(i), Some(p)) => {
                    let mine: Vec<Placement> =
                        p.into_iter().filter(|x| x.student_id == child.id).collect();
                    report_rows(db, &i, &mine).await?
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    Ok(PreferencesView {
        student_id: child.id,
        term_id: term.id,
        open: rules.open_window(grade, app.now(), pre).is_some(),
        windows: rules.when(grade, pre),
        slots: slots
            .iter()
            .map(|s| {
                s.iter()
                    .map(|c| ChoiceBrief {
                        teaching_class_id: *c,
                        name: names.get(c).cloned().unwrap_or_default(),
                    })
                    .collect()
            })
            .collect(),
        classes: rankable(db, child.school_id, term.id, grade).await?,
        seed: d.map(|d| d.seed),
        results,
    })
}

/// A guardian ranks choices for a child while pre-registration is open; the new ranking
/// replaces the old one.
pub async fn set_preferences(
    app: &App,
    actor: &Actor,
    student_id: i64,
    input: PreferencesInput,
) -> Result<PreferencesView> {
    let child = child_of(&app.db, actor, student_id).await?;
    let term = match input.term_id {
        Some(id) => term_row(&app.db, child.school_id, id).await?,
        None => current_term(app, &app.db, child.school_id).await?,
    };
    let Some(slots) = input.slots else {
        return Err(Error::invalid("slots", "请填写志愿"));
    };
    let grade = grade_of(&app.db, &child).await?;
    let rules = term_rules(&app.db, child.school_id, term.id).await?;
    let pre = |k: WindowKind| k == WindowKind::PreRegistration;
    if rules.open_window(grade, app.now(), pre).is_none() {
        return Err(Error::conflict(format!(
            "不在志愿填报时间内。{}",
            rules.when(grade, pre)
        )));
    }
    if let Some(n) = super::notice::current_of(&app.db, child.school_id, term.id).await?
        && !super::notice::signed(&app.db, n.id, child.id).await?
    {
        return Err(Error::conflict(format!(
            "请先阅读并签署《{}》（第{}版）",
            n.title, n.version
        )));
    }
    let allowed: HashSet<i64> = rankable(&app.db, child.school_id, term.id, grade)
        .await?
        .into_iter()
        .map(|c| c.teaching_class_id)
        .collect();
    let mut invalid = Invalid::default();
    if slots.len() > SLOTS_MAX {
        invalid.push("slots", format!("最多填报{SLOTS_MAX}组志愿"));
    }
    for (i, s) in slots.iter().enumerate() {
        let field = format!("slots.{i}");
        if s.is_empty() || s.len() > CHOICES_MAX {
            invalid.push(&field, format!("每组填1至{CHOICES_MAX}个志愿"));
        }
        let unique: HashSet<&i64> = s.iter().collect();
        if unique.len() != s.len() {
            invalid.push(&field, "同一组志愿不能重复填同一个教学班");
        }
        if let Some(bad) = s.iter().find(|c| !allowed.contains(c)) {
            invalid.push(&field, format!("教学班 {bad} 不可填报"));
        }
    }
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    preference::Entity::delete_many()
        .filter(preference::Column::StudentId.eq(child.id))
        .filter(preference::Column::TermId.eq(term.id))
        .exec(&txn)
        .await?;
    let now = app.now();
    for (i, s) in slots.iter().enumerate() {
        for (r, c) in s.iter().enumerate() {
            preference::ActiveModel {
                school_id: Set(child.school_id),
                term_id: Set(term.id),
                student_id: Set(child.id),
                slot_no: Set(i32::try_from(i + 1).unwrap_or(0)),
                rank: Set(i32::try_from(r + 1).unwrap_or(0)),
                class_id: Set(*c),
                user_id: Set(Some(actor.user_id)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    view_for(app, &child, &term).await
}

// ---- the school: seed, draw, report ----

async fn manage_scope(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<(kehou_store::entity::org::Model, term::Model)> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    Ok((school, t))
}

async fn draw_view(app: &App, school_id: i64, term_id: i64) -> Result<DrawView> {
    let db = &app.db;
    let d = draw_of(db, school_id, term_id).await?;
    let applicants: Vec<preference::Model> = preference::Entity::find()
        .filter(preference::Column::SchoolId.eq(school_id))
        .filter(preference::Column::TermId.eq(term_id))
        .all(db)
        .await?;
    let students: HashSet<i64> = applicants.iter().map(|p| p.student_id).collect();
    let apps: HashSet<(i64, i32)> = applicants
        .iter()
        .map(|p| (p.student_id, p.slot_no))
        .collect();
    let (rows, won) = match &d {
        Some(d) => {
            let input: Option<DrawInput> = parsed(d.inputs.as_deref())?;
            let placements: Option<Vec<Placement>> = parsed(d.results.as_deref())?;
            match (input, placements) {
                (Some(i), Some(p)) => {
                    let won = p.iter().filter(|x| x.class_id.is_some()).count();
                    (report_rows(db, &i, &p).await?, won)
                }
                _ => (Vec::new(), 0),
            }
        }
        None => (Vec::new(), 0),
    };
    Ok(DrawView {
        school_id,
        term_id,
        status: d.as_ref().map_or("none".into(), |d| d.status.clone()),
        status_label: d
            .as_ref()
            .map_or("未开始", |d| DrawStatus::label(&d.status)),
        seed: d.as_ref().map(|d| d.seed.clone()),
        seed_published_label: d.as_ref().map(|d| china_label(d.seed_published_at)),
        drawn_label: d.as_ref().and_then(|d| d.drawn_at).map(china_label),
        applications: apps.len(),
        students: students.len(),
        won,
        rows,
    })
}

/// The term's draw and its report (`enrollment.manage`).
pub async fn get_draw(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<DrawView> {
    let (school, t) = manage_scope(app, actor, school_id, term_id).await?;
    draw_view(app, school.id, t.id).await
}

fn check_closed(rules: &super::TermRules, now: DateTime<Utc>) -> Result<()> {
    let pre = rules
        .windows
        .iter()
        .filter(|w| WindowKind::parse(&w.kind) == Some(WindowKind::PreRegistration))
        .collect::<Vec<_>>();
    if pre.is_empty() {
        return Err(Error::conflict("本学期没有志愿填报时段"));
    }
    if let Some(w) = pre.iter().find(|w| w.closes_at > now) {
        return Err(Error::conflict(format!(
            "志愿填报到 {} 才结束，结束后才能公布种子和抽签",
            china_label(w.closes_at)
        )));
    }
    Ok(())
}

/// Publishes the seed of the term's draw, once, after pre-registration has closed and
/// before the draw: the school cannot choose a seed knowing its result.
pub async fn publish_seed(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: SeedInput,
) -> Result<DrawView> {
    let (school, t) = manage_scope(app, actor, school_id, term_id).await?;
    let seed = match input.seed.as_deref().map(str::trim) {
        None | Some("") => crate::identity::auth::random_token()
            .chars()
            .take(32)
            .collect::<String>(),
        Some(s) => {
            kehou_domain::field::required_text(s, 64).map_err(|m| Error::invalid("seed", m))?
        }
    };
    let rules = term_rules(&app.db, school.id, t.id).await?;
    check_closed(&rules, app.now())?;
    let txn = kehou_store::begin_write(&app.db).await?;
    if draw_of(&txn, school.id, t.id).await?.is_some() {
        return Err(Error::conflict("本学期的随机种子已公布，不能更改"));
    }
    draw::ActiveModel {
        school_id: Set(school.id),
        term_id: Set(t.id),
        seed: Set(seed.clone()),
        seed_published_at: Set(app.now()),
        seed_published_by: Set(Some(actor.user_id)),
        status: Set(DrawStatus::Seeded.code().into()),
        inputs: Set(None),
        results: Set(None),
        drawn_at: Set(None),
        report_published_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("seed", "本学期的随机种子已公布，不能更改"))?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.lottery_seed",
        ("term", t.id),
        format!(
            "公布 {} {} 志愿抽签的随机种子：{seed}",
            t.school_year, t.name
        ),
    )
    .await?;
    txn.commit().await?;
    draw_view(app, school.id, t.id).await
}

fn weekly(slots: &[crate::teaching::class::SlotView]) -> Vec<WeeklyTime> {
    let minutes = |s: &str| {
        let (h, m) = s.split_once(':')?;
        Some(h.parse::<u16>().ok()? * 60 + m.parse::<u16>().ok()?)
    };
    slots
        .iter()
        .filter_map(|s| {
            Some(WeeklyTime {
                weekday: u8::try_from(s.weekday?).ok()?,
                start: minutes(&s.start)?,
                end: minutes(&s.end)?,
            })
        })
        .collect()
}

/// The inputs of the draw, read in the caller's transaction.
async fn build_input(
    app: &App,
    db: &impl ConnectionTrait,
    school_id: i64,
    t: &term::Model,
    seed: &str,
) -> Result<DrawInput> {
    let prefs = preference::Entity::find()
        .filter(preference::Column::SchoolId.eq(school_id))
        .filter(preference::Column::TermId.eq(t.id))
        .order_by_asc(preference::Column::StudentId)
        .order_by_asc(preference::Column::SlotNo)
        .order_by_asc(preference::Column::Rank)
        .all(db)
        .await?;
    let mut apps: BTreeMap<(i64, i32), Vec<i64>> = BTreeMap::new();
    for p in &prefs {
        apps.entry((p.student_id, p.slot_no))
            .or_default()
            .push(p.class_id);
    }
    let class_ids: Vec<i64> = prefs
        .iter()
        .map(|p| p.class_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows = crate::teaching::class::by_ids(db, class_ids.clone()).await?;
    let briefs = crate::teaching::class::briefs(db, school_id, &rows).await?;
    let taken = super::select::taken_in_classes(db, class_ids).await?;
    let mut classes: Vec<DrawClass> = rows
        .iter()
        .map(|k| DrawClass {
            id: k.id,
            item_id: k.item_id,
            seats: u32::try_from(
                (i64::from(k.capacity_max) - taken.get(&k.id).copied().unwrap_or(0)).max(0),
            )
            .unwrap_or(0),
            times: briefs
                .get(&k.id)
                .map(|b| weekly(&b.slots))
                .unwrap_or_default(),
        })
        .collect();
    classes.sort_by_key(|c| c.id);
    let losers = previous_losers(db, school_id, t).await?;
    let rules = term_rules(db, school_id, t.id).await?;
    let student_ids: Vec<i64> = apps
        .keys()
        .map(|(s, _)| *s)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut students = Vec::with_capacity(student_ids.len());
    for id in student_ids {
        let Some(s) = student::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        let ctx = load_ctx(app, db, s, t.id).await?;
        let held =
            crate::teaching::class::by_ids(db, ctx.classes.iter().copied().collect()).await?;
        let held_briefs = crate::teaching::class::briefs(db, school_id, &held).await?;
        let mut items: Vec<i64> = ctx.items.keys().copied().collect();
        items.sort_unstable();
        students.push(DrawStudent {
            id,
            priority: losers.contains(&id),
            items,
            times: held_briefs
                .values()
                .flat_map(|b| weekly(&b.slots))
                .collect(),
            room: rules.max_courses.map(|m| {
                u32::try_from((i64::from(m) - ctx.items.len() as i64).max(0)).unwrap_or(0)
            }),
        });
    }
    Ok(DrawInput {
        seed: seed.to_string(),
        classes,
        students,
        groups: rules.groups.iter().map(|(_, ids)| ids.clone()).collect(),
        applications: apps
            .into_iter()
            .map(|((s, slot), choices)| Application {
                student_id: s,
                slot: u32::try_from(slot).unwrap_or(0),
                choices,
            })
            .collect(),
    })
}

/// Students with a seat they asked for and did not get in the school's previous draw.
async fn previous_losers(
    db: &impl ConnectionTrait,
    school_id: i64,
    t: &term::Model,
) -> Result<HashSet<i64>> {
    let earlier: Vec<i64> = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school_id))
        .filter(term::Column::StartDate.lt(t.start_date))
        .order_by_desc(term::Column::StartDate)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    for id in earlier {
        if let Some(d) = draw_of(db, school_id, id).await?
            && let Some(p) = parsed::<Vec<Placement>>(d.results.as_deref())?
        {
            return Ok(p
                .into_iter()
                .filter(|x| x.class_id.is_none())
                .map(|x| x.student_id)
                .collect());
        }
    }
    Ok(HashSet::new())
}

/// Runs the draw: freezes the inputs, allocates, and gives the winners their enrollments
/// and orders, all in one transaction.
pub async fn run_draw(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<DrawView> {
    let (school, t) = manage_scope(app, actor, school_id, term_id).await?;
    let rules = term_rules(&app.db, school.id, t.id).await?;
    check_closed(&rules, app.now())?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let Some(d) = draw_of(&txn, school.id, t.id).await? else {
        return Err(Error::conflict("请先公布随机种子，再抽签"));
    };
    if d.status != DrawStatus::Seeded.code() {
        return Err(Error::conflict("本学期已经抽过签"));
    }
    let input = build_input(app, &txn, school.id, &t, &d.seed).await?;
    let placements = lottery::draw(&input);
    for p in &placements {
        let Some(class_id) = p.class_id else {
            continue;
        };
        let Some(s) = student::Entity::find_by_id(p.student_id).one(&txn).await? else {
            continue;
        };
        let Some(mut cand) = candidates(app, &txn, &[Target::Class(class_id)], true)
            .await?
            .pop()
            .flatten()
        else {
            continue;
        };
        let mut ctx = load_ctx(app, &txn, s, t.id).await?;
        ctx.trusted = true;
        let wanted = Wanted {
            target: Target::Class(class_id),
            textbook: false,
            misc: false,
        };
        admit(
            app,
            &txn,
            &mut ctx,
            &mut cand,
            &wanted,
            Source::Lottery,
            None,
        )
        .await?;
    }
    let won = placements.iter().filter(|p| p.class_id.is_some()).count();
    let mut m = d.into_active_model();
    m.status = Set(DrawStatus::Drawn.code().into());
    m.inputs = Set(Some(
        serde_json::to_string(&input).map_err(|e| Error::Internal(e.to_string()))?,
    ));
    m.results = Set(Some(
        serde_json::to_string(&placements).map_err(|e| Error::Internal(e.to_string()))?,
    ));
    m.drawn_at = Set(Some(app.now()));
    m.update(&txn).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.lottery_draw",
        ("term", t.id),
        format!(
            "{} {} 志愿抽签：{} 组志愿，录取 {} 组",
            t.school_year,
            t.name,
            placements.len(),
            won
        ),
    )
    .await?;
    txn.commit().await?;
    draw_view(app, school.id, t.id).await
}

/// Publishes the allocation report: each applicant's guardians get a message.
pub async fn publish_report(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<DrawView> {
    let (school, t) = manage_scope(app, actor, school_id, term_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let Some(d) = draw_of(&txn, school.id, t.id).await? else {
        return Err(Error::conflict("还没有抽签"));
    };
    if d.status != DrawStatus::Drawn.code() {
        return Err(Error::conflict(
            if d.status == DrawStatus::Published.code() {
                "结果已公布"
            } else {
                "还没有抽签"
            },
        ));
    }
    let placements: Vec<Placement> = parsed(d.results.as_deref())?.unwrap_or_default();
    let mut m = d.into_active_model();
    m.status = Set(DrawStatus::Published.code().into());
    m.report_published_at = Set(Some(app.now()));
    m.update(&txn).await?;
    let students: HashSet<i64> = placements.iter().map(|p| p.student_id).collect();
    let parents: Vec<(i64, i64)> = guardian::Entity::find()
        .filter(guardian::Column::StudentId.is_in(students))
        .all(&txn)
        .await?
        .into_iter()
        .map(|g| (g.user_id, g.student_id))
        .collect();
    let now = app.now();
    for (user, student_id) in &parents {
        let won = placements
            .iter()
            .filter(|p| p.student_id == *student_id && p.class_id.is_some())
            .count();
        messages::send(
            &txn,
            *user,
            NewMessage {
                kind: "enrollment",
                title: format!("{} {} 志愿录取结果已公布", t.school_year, t.name),
                body: format!(
                    "孩子共录取 {won} 组志愿。请在“报名选课”中查看结果，并按时支付录取课程的费用。"
                ),
                link: Some(format!("/enroll?student_id={student_id}")),
            },
            now,
        )
        .await?;
    }
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.lottery_publish",
        ("term", t.id),
        format!("公布 {} {} 志愿录取结果", t.school_year, t.name),
    )
    .await?;
    txn.commit().await?;
    for (user, _) in parents {
        messages::announce(app, user);
    }
    draw_view(app, school.id, t.id).await
}

/// What `kehou lottery verify` found.
#[derive(Debug, Clone)]
pub struct Verification {
    pub term_id: i64,
    pub seed: String,
    pub applications: usize,
    pub won: usize,
    /// Empty when the published result is the recomputed one and the enrollments match.
    pub differences: Vec<String>,
}

/// Recomputes a term's draw from its published inputs and compares the result with the
/// published one and with the enrollments the draw made.
pub async fn verify(db: &impl ConnectionTrait, term_id: i64) -> Result<Verification> {
    let d = draw::Entity::find()
        .filter(draw::Column::TermId.eq(term_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("该学期的志愿抽签"))?;
    let input: DrawInput =
        parsed(d.inputs.as_deref())?.ok_or_else(|| Error::conflict("还没有抽签"))?;
    let stored: Vec<Placement> =
        parsed(d.results.as_deref())?.ok_or_else(|| Error::conflict("还没有抽签"))?;
    let again = lottery::draw(&input);
    let mut differences = lottery::differences(&stored, &again);
    if input.seed != d.seed {
        differences.push("抽签输入中的种子与公布的种子不同".into());
    }
    let made: HashSet<(i64, i64)> = enrollment::Entity::find()
        .filter(enrollment::Column::TermId.eq(term_id))
        .filter(enrollment::Column::Source.eq(Source::Lottery.code()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| Some((e.student_id, e.class_id?)))
        .collect();
    let won: HashSet<(i64, i64)> = stored
        .iter()
        .filter_map(|p| Some((p.student_id, p.class_id?)))
        .collect();
    for (s, c) in won.difference(&made) {
        differences.push(format!("学生 {s} 抽中教学班 {c}，但没有相应的报名"));
    }
    for (s, c) in made.difference(&won) {
        differences.push(format!(
            "学生 {s} 有教学班 {c} 的抽签报名，但公布结果中没有"
        ));
    }
    Ok(Verification {
        term_id,
        seed: d.seed,
        applications: stored.len(),
        won: won.len(),
        differences,
    })
}
