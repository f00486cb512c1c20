//! Course plans (课程方案, D4). Per term a school keeps plans for the whole school or for
//! one grade; each plan's lines say, per offered course and grade, how many teaching
//! classes of what size with how many lessons a week (开课计划). A plan runs in one of
//! two modes (schedule first or enroll first). For each grade at most one enabled plan
//! covers it: enabling a plan disables those it overlaps. Plans are exported and
//! imported as .xlsx with the row-error report of the other imports. A past term's plans
//! do not change.

use std::collections::HashMap;

use kehou_domain::course::PlanMode;
use kehou_domain::school::grade_name;
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::course::{plan, plan_line};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::offering::{ItemView, items_for_term, school_and_term};
use crate::import::{Mode, Outcome, RowErrors};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::platform::sheet::{self, Column, Row};
use crate::school::calendar::TermView;
use crate::{Actor, App, Error, Result};

pub const CLASSES_MAX: i32 = 50;
pub const CLASS_SIZE_MAX: i32 = 200;
pub const WEEKLY_MAX: i32 = 10;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub id: i64,
    pub item_id: i64,
    pub course_name: String,
    pub grade: i32,
    pub grade_name: String,
    /// Teaching classes planned.
    pub classes: i32,
    pub class_size: i32,
    pub weekly_lessons: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    pub name: String,
    /// The grade it is for; none for the whole school.
    pub grade: Option<i32>,
    pub scope_label: String,
    /// schedule_first or enroll_first.
    pub mode: String,
    pub mode_label: &'static str,
    /// Used for the term's enrollment.
    pub enabled: bool,
    pub lines: Vec<LineView>,
    /// Places planned: classes × size over all lines.
    pub places: i32,
}

/// A new plan or a change; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    pub name: Option<String>,
    /// A grade 1–12; absent (on creation) for the whole school. Fixed afterwards.
    pub grade: Option<i32>,
    /// schedule_first or enroll_first.
    pub mode: Option<String>,
    /// true enables it (and disables the plans it overlaps).
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct LineInput {
    /// An item of the term's offering.
    #[schema(required = true)]
    pub item_id: Option<i64>,
    /// One of the course's grades (the plan's grade for a grade plan).
    #[schema(required = true)]
    pub grade: Option<i32>,
    #[schema(required = true)]
    pub classes: Option<i32>,
    #[schema(required = true)]
    pub class_size: Option<i32>,
    #[schema(required = true)]
    pub weekly_lessons: Option<i32>,
}

fn scope_label(grade: Option<i32>) -> String {
    grade.map_or("全校".into(), |g| grade_name(g as u8))
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<plan::Model>,
    items: &[ItemView],
) -> Result<Vec<PlanView>> {
    let names: HashMap<i64, &str> = items.iter().map(|i| (i.id, i.name.as_str())).collect();
    let mut lines: HashMap<i64, Vec<LineView>> = HashMap::new();
    for l in plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.is_in(rows.iter().map(|p| p.id)))
        .order_by_asc(plan_line::Column::Grade)
        .order_by_asc(plan_line::Column::Id)
        .all(db)
        .await?
    {
        lines.entry(l.plan_id).or_default().push(LineView {
            id: l.id,
            item_id: l.item_id,
            course_name: names.get(&l.item_id).copied().unwrap_or("").to_string(),
            grade: l.grade,
            grade_name: grade_name(l.grade as u8),
            classes: l.classes,
            class_size: l.class_size,
            weekly_lessons: l.weekly_lessons,
        });
    }
    Ok(rows
        .into_iter()
        .map(|p| {
            let mode = PlanMode::parse(&p.mode).unwrap_or(PlanMode::ScheduleFirst);
            let lines = lines.remove(&p.id).unwrap_or_default();
            PlanView {
                id: p.id,
                school_id: p.school_id,
                term_id: p.term_id,
                name: p.name,
                scope_label: scope_label(p.grade),
                grade: p.grade,
                mode: mode.code().into(),
                mode_label: mode.label(),
                enabled: p.enabled,
                places: lines.iter().map(|l| l.classes * l.class_size).sum(),
                lines,
            }
        })
        .collect())
}

/// The plans of a school's term.
pub async fn list(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<Vec<PlanView>> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let rows = plan::Entity::find()
        .filter(plan::Column::SchoolId.eq(school.id))
        .filter(plan::Column::TermId.eq(term.id))
        .order_by_asc(plan::Column::Name)
        .all(&app.db)
        .await?;
    let items = items_for_term(&app.db, school.id, term.id).await?;
    views(&app.db, rows, &items).await
}

async fn load(
    db: &impl ConnectionTrait,
    school: &org::Model,
    term: &TermView,
    plan_id: i64,
) -> Result<plan::Model> {
    plan::Entity::find_by_id(plan_id)
        .filter(plan::Column::SchoolId.eq(school.id))
        .filter(plan::Column::TermId.eq(term.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("课程方案"))
}

pub async fn get(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    plan_id: i64,
) -> Result<PlanView> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::SchoolView).await?;
    one(app, &school, &term, plan_id).await
}

async fn one(app: &App, school: &org::Model, term: &TermView, plan_id: i64) -> Result<PlanView> {
    let p = load(&app.db, school, term, plan_id).await?;
    let items = items_for_term(&app.db, school.id, term.id).await?;
    views(&app.db, vec![p], &items)
        .await?
        .pop()
        .ok_or(Error::NotFound("课程方案"))
}

/// The school and term of a change: `offering.manage`, in scope, and not a past term.
async fn for_change(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<(org::Model, TermView)> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    if term.end_date < app.today() {
        return Err(Error::conflict("往届学期的课程方案已归档，不能修改"));
    }
    Ok((school, term))
}

async fn record(
    db: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    school: &org::Model,
    plan_id: i64,
    action: &str,
    summary: String,
) -> Result<()> {
    audit::record(
        db,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action,
            entity_type: "course_plan",
            entity_id: Some(plan_id),
            summary,
        },
    )
    .await
}

/// Disables the other enabled plans of the term that cover a grade this one covers.
async fn enable_alone(db: &impl ConnectionTrait, p: &plan::Model) -> Result<Vec<String>> {
    let others = plan::Entity::find()
        .filter(plan::Column::SchoolId.eq(p.school_id))
        .filter(plan::Column::TermId.eq(p.term_id))
        .filter(plan::Column::Enabled.eq(true))
        .filter(plan::Column::Id.ne(p.id))
        .all(db)
        .await?;
    let mut off = Vec::new();
    for o in others {
        if p.grade.is_none() || o.grade.is_none() || o.grade == p.grade {
            off.push(o.name.clone());
            let mut m = o.into_active_model();
            m.enabled = Set(false);
            m.update(db).await?;
        }
    }
    Ok(off)
}

/// A new plan of a term.
pub async fn create(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: PlanInput,
) -> Result<PlanView> {
    let (school, term) = for_change(app, actor, school_id, term_id).await?;
    let mut invalid = Invalid::default();
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    if input.grade.is_some_and(|g| !(1..=12).contains(&g)) {
        invalid.push("grade", "年级应为1到12；全校方案不填");
    }
    let mode = match input.mode.as_deref().map(PlanMode::parse) {
        None => Some(PlanMode::ScheduleFirst),
        Some(Some(m)) => Some(m),
        Some(None) => {
            invalid.push("mode", "模式须为 schedule_first 或 enroll_first");
            None
        }
    };
    check(invalid)?;
    let (Some(name), Some(mode)) = (name, mode) else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let p = plan::ActiveModel {
        school_id: Set(school.id),
        term_id: Set(term.id),
        name: Set(name),
        grade: Set(input.grade),
        mode: Set(mode.code().into()),
        enabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("name", "本学期已有同名课程方案"))?;
    let p = if input.enabled == Some(true) {
        enable_alone(&txn, &p).await?;
        let mut m = p.into_active_model();
        m.enabled = Set(true);
        m.update(&txn).await?
    } else {
        p
    };
    record(
        &txn,
        app,
        actor,
        &school,
        p.id,
        "course_plan.create",
        format!(
            "{}新增课程方案“{}”（{}，{}）",
            term.name,
            p.name,
            scope_label(p.grade),
            mode.label()
        ),
    )
    .await?;
    txn.commit().await?;
    one(app, &school, &term, p.id).await
}

/// Renames a plan, changes its mode, enables or disables it.
pub async fn update(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    plan_id: i64,
    input: PlanInput,
) -> Result<PlanView> {
    let (school, term) = for_change(app, actor, school_id, term_id).await?;
    let current = load(&app.db, &school, &term, plan_id).await?;
    let mut invalid = Invalid::default();
    let name = input.name.as_deref().map(|n| invalid.text("name", n, 50));
    if input.grade.is_some() && input.grade != current.grade {
        invalid.push("grade", "方案的适用范围不能修改，请新建方案");
    }
    let mode = match input.mode.as_deref() {
        None => None,
        Some(m) => match PlanMode::parse(m) {
            Some(m) => Some(m),
            None => {
                invalid.push("mode", "模式须为 schedule_first 或 enroll_first");
                None
            }
        },
    };
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let current = load(&txn, &school, &term, plan_id).await?;
    let mut changes = Vec::new();
    let mut turned_off = Vec::new();
    if input.enabled == Some(true) && !current.enabled {
        turned_off = enable_alone(&txn, &current).await?;
    }
    let mut m = current.clone().into_active_model();
    if let Some(Some(name)) = name
        && name != current.name
    {
        changes.push(format!("名称：{} → {name}", current.name));
        m.name = Set(name);
    }
    if let Some(mode) = mode
        && mode.code() != current.mode
    {
        changes.push(format!("模式：{}", mode.label()));
        m.mode = Set(mode.code().into());
    }
    if let Some(enabled) = input.enabled
        && enabled != current.enabled
    {
        changes.push(if enabled {
            "启用".into()
        } else {
            "停用".into()
        });
        m.enabled = Set(enabled);
    }
    if changes.is_empty() {
        txn.rollback().await?;
        return one(app, &school, &term, plan_id).await;
    }
    m.updated_at = Set(app.now());
    let updated = m
        .update(&txn)
        .await
        .map_err(Error::unique("name", "本学期已有同名课程方案"))?;
    if !turned_off.is_empty() {
        changes.push(format!("同时停用：{}", turned_off.join("、")));
    }
    record(
        &txn,
        app,
        actor,
        &school,
        plan_id,
        "course_plan.update",
        format!("修改课程方案“{}”：{}", updated.name, changes.join("；")),
    )
    .await?;
    txn.commit().await?;
    one(app, &school, &term, plan_id).await
}

/// A line checked against the offering and the plan.
struct CheckedLine {
    item_id: i64,
    grade: i32,
    classes: i32,
    class_size: i32,
    weekly_lessons: i32,
}

/// Checks one line; errors are pushed under `field(name)`.
fn check_line(
    p: &plan::Model,
    item: Option<&ItemView>,
    grade: Option<i32>,
    numbers: (Option<i32>, Option<i32>, Option<i32>),
    push: &mut dyn FnMut(&str, String),
) -> Option<CheckedLine> {
    let Some(item) = item else {
        push("item_id", "不是本学期开课计划中的课程".into());
        return None;
    };
    if item.status == "rejected" {
        push("item_id", "该课程未通过开课审批".into());
    }
    let grade = match grade.or(p.grade) {
        None => {
            push("grade", "请填写年级".into());
            None
        }
        Some(g) if p.grade.is_some_and(|pg| pg != g) => {
            push("grade", format!("本方案只用于{}", scope_label(p.grade)));
            None
        }
        Some(g) if !item.grades.contains(&g) => {
            push(
                "grade",
                format!(
                    "{}不在课程的开课年级（{}）内",
                    grade_name(g as u8),
                    item.grade_names
                ),
            );
            None
        }
        Some(g) => Some(g),
    };
    let mut bounded = |field: &str, v: Option<i32>, max: i32, what: &str| match v {
        Some(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            push(field, format!("{what}应为1到{max}的整数"));
            None
        }
    };
    let classes = bounded("classes", numbers.0, CLASSES_MAX, "班数");
    let size = bounded("class_size", numbers.1, CLASS_SIZE_MAX, "每班人数");
    let weekly = bounded("weekly_lessons", numbers.2, WEEKLY_MAX, "每周课时");
    Some(CheckedLine {
        item_id: item.id,
        grade: grade?,
        classes: classes?,
        class_size: size?,
        weekly_lessons: weekly?,
    })
}

/// Adds a line to a plan, or changes the line of the same course and grade.
pub async fn set_line(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    plan_id: i64,
    input: LineInput,
) -> Result<PlanView> {
    let (school, term) = for_change(app, actor, school_id, term_id).await?;
    let p = load(&app.db, &school, &term, plan_id).await?;
    let items = items_for_term(&app.db, school.id, term.id).await?;
    let mut invalid = Invalid::default();
    let item = input
        .item_id
        .and_then(|id| items.iter().find(|i| i.id == id));
    let line = check_line(
        &p,
        item,
        input.grade,
        (input.classes, input.class_size, input.weekly_lessons),
        &mut |field, reason| invalid.push(field, reason),
    );
    check(invalid)?;
    let Some(line) = line else {
        return Err(Error::Internal("validation".into()));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let p = load(&txn, &school, &term, plan_id).await?;
    upsert_line(&txn, p.id, &line).await?;
    record(
        &txn,
        app,
        actor,
        &school,
        p.id,
        "course_plan.line",
        format!(
            "课程方案“{}”：{} {} {}个班，每班{}人，每周{}课时",
            p.name,
            item.map_or("", |i| i.name.as_str()),
            grade_name(line.grade as u8),
            line.classes,
            line.class_size,
            line.weekly_lessons
        ),
    )
    .await?;
    txn.commit().await?;
    one(app, &school, &term, plan_id).await
}

/// Writes a line; an existing line of that course and grade is changed. Answers whether
/// it was new.
async fn upsert_line(db: &impl ConnectionTrait, plan_id: i64, l: &CheckedLine) -> Result<bool> {
    let existing = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(plan_id))
        .filter(plan_line::Column::ItemId.eq(l.item_id))
        .filter(plan_line::Column::Grade.eq(l.grade))
        .one(db)
        .await?;
    match existing {
        Some(e) => {
            let mut m = e.into_active_model();
            m.classes = Set(l.classes);
            m.class_size = Set(l.class_size);
            m.weekly_lessons = Set(l.weekly_lessons);
            m.update(db).await?;
            Ok(false)
        }
        None => {
            plan_line::ActiveModel {
                plan_id: Set(plan_id),
                item_id: Set(l.item_id),
                grade: Set(l.grade),
                classes: Set(l.classes),
                class_size: Set(l.class_size),
                weekly_lessons: Set(l.weekly_lessons),
                ..Default::default()
            }
            .insert(db)
            .await?;
            Ok(true)
        }
    }
}

/// Removes a line of a plan.
pub async fn remove_line(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    plan_id: i64,
    line_id: i64,
) -> Result<PlanView> {
    let (school, term) = for_change(app, actor, school_id, term_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let p = load(&txn, &school, &term, plan_id).await?;
    let line = plan_line::Entity::find_by_id(line_id)
        .filter(plan_line::Column::PlanId.eq(p.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("方案中的课程"))?;
    plan_line::Entity::delete_by_id(line.id).exec(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &school,
        p.id,
        "course_plan.line_remove",
        format!(
            "课程方案“{}”删除一行（{}）",
            p.name,
            grade_name(line.grade as u8)
        ),
    )
    .await?;
    txn.commit().await?;
    one(app, &school, &term, plan_id).await
}

/// The columns of a plan's workbook, exported and imported alike.
pub const COLUMNS: &[Column] = &[
    Column {
        title: "课程",
        required: true,
        help: "本学期开课计划中的课程名称",
    },
    Column {
        title: "年级",
        required: true,
        help: "如 三年级；年级方案只能填本年级",
    },
    Column {
        title: "班数",
        required: true,
        help: "1 到 50 的整数",
    },
    Column {
        title: "每班人数",
        required: true,
        help: "1 到 200 的整数",
    },
    Column {
        title: "每周课时",
        required: true,
        help: "1 到 10 的整数",
    },
];

pub const EXAMPLE: &[&str] = &["（示例）篮球", "三年级", "2", "30", "2"];

/// The plan's lines as a workbook with the import's columns: what comes out goes back in.
pub async fn export(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    plan_id: i64,
) -> Result<(String, Vec<u8>)> {
    let v = get(app, actor, school_id, term_id, plan_id).await?;
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.title).collect();
    let rows: Vec<Vec<String>> = v
        .lines
        .iter()
        .map(|l| {
            vec![
                l.course_name.clone(),
                l.grade_name.clone(),
                l.classes.to_string(),
                l.class_size.to_string(),
                l.weekly_lessons.to_string(),
            ]
        })
        .collect();
    let bytes = sheet::workbook(&[sheet::SheetData {
        name: "课程方案",
        headers: &headers,
        rows: &rows,
    }])?;
    Ok((format!("课程方案-{}.xlsx", v.name), bytes))
}

/// The import template.
pub fn template() -> Result<Vec<u8>> {
    sheet::template("课程方案", COLUMNS, EXAMPLE)
}

fn parse_grade(text: &str) -> Option<i32> {
    let t = text.trim();
    (1..=12).find(|g| grade_name(*g as u8) == t || g.to_string() == t)
}

/// Imports lines into a plan: each row names a course of the term's offering and a grade;
/// a line of the same course and grade is changed. Every row is checked first; in
/// all-or-nothing mode one bad row writes nothing.
pub async fn import(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    plan_id: i64,
    bytes: &[u8],
    mode: Mode,
) -> Result<Outcome> {
    let (school, term) = for_change(app, actor, school_id, term_id).await?;
    let p = load(&app.db, &school, &term, plan_id).await?;
    sheet::check_upload(bytes)?;
    let rows: Vec<Row> = sheet::read(bytes, COLUMNS, EXAMPLE)?;
    let items = items_for_term(&app.db, school.id, term.id).await?;
    let mut errors = RowErrors::default();
    let mut good = Vec::new();
    let mut seen = HashMap::new();
    for row in &rows {
        let item = items.iter().find(|i| i.name == row.get(0).trim());
        let grade = parse_grade(row.get(1));
        let number = |i: usize| row.get(i).trim().parse::<i32>().ok();
        let mut push = |field: &str, reason: String| {
            let column = match field {
                "item_id" => "课程",
                "grade" => "年级",
                "classes" => "班数",
                "class_size" => "每班人数",
                _ => "每周课时",
            };
            errors.push(row.number, column, reason);
        };
        if grade.is_none() && !row.get(1).trim().is_empty() {
            push("grade", format!("“{}”不是年级", row.get(1).trim()));
        }
        let line = check_line(
            &p,
            item,
            grade,
            (number(2), number(3), number(4)),
            &mut push,
        );
        if let Some(l) = line {
            if let Some(first) = seen.insert((l.item_id, l.grade), row.number) {
                errors.push(row.number, "课程", format!("与第{first}行重复"));
            } else if !errors.has(row.number) {
                good.push(l);
            }
        }
    }
    let (mut outcome, write) = Outcome::validated(rows.len(), errors, good.len(), mode);
    if !write {
        return Ok(outcome);
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let p = load(&txn, &school, &term, plan_id).await?;
    for l in &good {
        if upsert_line(&txn, p.id, l).await? {
            outcome.created += 1;
        } else {
            outcome.updated += 1;
        }
    }
    outcome.committed = true;
    record(
        &txn,
        app,
        actor,
        &school,
        p.id,
        "course_plan.import",
        format!(
            "导入课程方案“{}”：新增{}行，更新{}行，跳过{}行",
            p.name, outcome.created, outcome.updated, outcome.skipped
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// How a grade enrolls in a term: the mode of the enabled plan covering it (none when no
/// plan is enabled: teaching classes are chosen, as in schedule-first).
pub(crate) async fn mode_for_grade(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
    grade: i32,
) -> Result<Option<PlanMode>> {
    Ok(plan::Entity::find()
        .filter(plan::Column::SchoolId.eq(school_id))
        .filter(plan::Column::TermId.eq(term_id))
        .filter(plan::Column::Enabled.eq(true))
        .all(db)
        .await?
        .into_iter()
        .find(|p| p.grade.is_none_or(|g| g == grade))
        .and_then(|p| PlanMode::parse(&p.mode)))
}
