//! The selection (F6, F7, F4): what a student may choose this term, and choosing several
//! at once. Each item is judged by the rules in a fixed order (available, window, notice,
//! grade, duplicate, exclusive group, maximum, time conflict, seats) and answered on its
//! own: accepted with its order, or refused with a reason.
//!
//! Correct under a rush: the whole selection is one write transaction that first locks
//! the student's row, then the chosen classes (or offered courses) in ascending id order,
//! so that two selections never count the same free seat, nor the same student's courses,
//! and never wait on each other in a cycle. On SQLite the transaction holds the database's
//! single write lock, which gives the same.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kehou_domain::course::{PlanMode, PriceUnit};
use kehou_domain::enrollment::{EnrollmentStatus, OptionalFee, OrderStatus, Refusal, WindowKind};
use kehou_domain::teaching::ClassStatus;
use kehou_domain::{Fen, Invalid};
use kehou_store::entity::course::{offering, offering_item};
use kehou_store::entity::enrollment::{enrollment, notice, order};
use kehou_store::entity::school::student;
use kehou_store::entity::teaching::class;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::{TermRules, child_of, current_term, grade_of, term_row, term_rules};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::error::check;
use crate::platform::jobs;
use crate::{Actor, App, Error, Result};

/// The most items one selection may hold.
pub const ITEMS_MAX: usize = 10;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct EnrollInput {
    #[schema(required = true)]
    pub student_id: Option<i64>,
    /// 1–10 items, each a teaching class (schedule first) or an offered course (enroll
    /// first).
    #[schema(required = true)]
    pub items: Option<Vec<ItemInput>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SelectionItemInput)]
pub struct ItemInput {
    pub teaching_class_id: Option<i64>,
    pub offering_item_id: Option<i64>,
    /// "textbook" and/or "misc".
    pub optional_fees: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemOutcome {
    pub teaching_class_id: Option<i64>,
    pub offering_item_id: Option<i64>,
    /// accepted or refused.
    pub outcome: &'static str,
    pub enrollment_id: Option<i64>,
    pub order_id: Option<i64>,
    /// pending_payment or free, when accepted.
    pub order_status: Option<&'static str>,
    pub total_fen: Option<i64>,
    /// Until when an unpaid order holds its seat.
    pub hold_until: Option<DateTime<Utc>>,
    /// full, time_conflict, exclusive, grade, max_courses, window_closed, duplicate,
    /// notice_unsigned or unavailable, when refused.
    pub reason: Option<&'static str>,
    /// What happened, in plain words.
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollResult {
    pub student_id: i64,
    pub accepted: usize,
    pub refused: usize,
    /// One per item, in the order given.
    pub items: Vec<ItemOutcome>,
}

/// What was bought, as it was at the moment of the order; never changes afterwards.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub student_name: String,
    pub course_id: i64,
    pub offering_item_id: i64,
    pub course: String,
    pub category: String,
    pub teaching_class_id: Option<i64>,
    pub class_name: Option<String>,
    pub teachers: String,
    pub times: String,
    pub room: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// The lessons the price counts.
    pub lessons: i32,
    pub price_fen: i64,
    pub price_unit: String,
    pub price_unit_label: String,
    pub course_fee_fen: i64,
    pub textbook_fee_fen: i64,
    pub misc_fee_fen: i64,
    pub total_fen: i64,
    pub notice_id: Option<i64>,
    pub notice_version: Option<i32>,
    pub taken_at: DateTime<Utc>,
}

/// What an item of a selection points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Class(i64),
    Course(i64),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted {
    pub target: Target,
    pub textbook: bool,
    pub misc: bool,
}

/// Who asked, for the rows and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Parent,
    School,
    Waitlist,
    /// Won in the pre-registration draw.
    Lottery,
    /// A course change the school approved (调课).
    Change,
}

impl Source {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Source::Parent => "parent",
            Source::School => "school",
            Source::Waitlist => "waitlist",
            Source::Lottery => "lottery",
            Source::Change => "change",
        }
    }
}

type Lesson = (NaiveDate, NaiveTime, NaiveTime);

/// What the rules need about one student in one term.
pub(crate) struct Ctx {
    pub child: student::Model,
    pub grade: Option<i32>,
    pub school_id: i64,
    pub term_id: i64,
    pub rules: TermRules,
    pub notice: Option<notice::Model>,
    pub signed: bool,
    pub mode: Option<PlanMode>,
    /// The courses the student holds (offering item → its name).
    pub items: HashMap<i64, String>,
    /// The classes the student is in or holds a seat in.
    pub classes: HashSet<i64>,
    /// Their lessons from today, with the course's name.
    pub busy: Vec<(Lesson, String)>,
    /// Chosen by the school (the parent confirms by paying or declines) or offered from
    /// the waitlist (asked for in a window, notice signed): windows and the notice are not
    /// checked again.
    pub trusted: bool,
}

/// One thing that may be chosen, with its seats counted.
pub(crate) struct Candidate {
    pub item: offering_item::Model,
    pub offering: Option<offering::Model>,
    pub course_lessons: i32,
    pub class: Option<class::Model>,
    pub lessons: Vec<Lesson>,
    pub capacity: i64,
    pub taken: i64,
    /// Teachers, times and room for the snapshot, when read beforehand.
    pub brief: Option<crate::teaching::class::Brief>,
}

pub(crate) async fn load_ctx(
    app: &App,
    db: &impl ConnectionTrait,
    child: student::Model,
    term_id: i64,
) -> Result<Ctx> {
    let mut ctx = rules_ctx(db, child, term_id).await?;
    load_holdings(app, db, &mut ctx).await?;
    Ok(ctx)
}

/// The context without the student's holdings: what does not change while a selection
/// waits for its locks (read before them, outside the write transaction).
pub(crate) async fn rules_ctx(
    db: &impl ConnectionTrait,
    child: student::Model,
    term_id: i64,
) -> Result<Ctx> {
    let grade = grade_of(db, &child).await?;
    let rules = term_rules(db, child.school_id, term_id).await?;
    let notice = super::notice::current_of(db, child.school_id, term_id).await?;
    let signed = match &notice {
        Some(n) => super::notice::signed(db, n.id, child.id).await?,
        None => true,
    };
    let mode = match grade {
        Some(g) => crate::course::plan::mode_for_grade(db, child.school_id, term_id, g).await?,
        None => None,
    };
    Ok(Ctx {
        school_id: child.school_id,
        term_id,
        child,
        grade,
        rules,
        notice,
        signed,
        mode,
        items: HashMap::new(),
        classes: HashSet::new(),
        busy: Vec::new(),
        trusted: false,
    })
}

/// The courses, classes and lessons the student holds: read under the student's lock.
pub(crate) async fn load_holdings(
    app: &App,
    db: &impl ConnectionTrait,
    ctx: &mut Ctx,
) -> Result<()> {
    let active = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(ctx.child.id))
        .filter(enrollment::Column::TermId.eq(ctx.term_id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::ACTIVE.map(|s| s.code())))
        .all(db)
        .await?;
    let in_classes =
        crate::teaching::class::classes_of_student(db, ctx.child.id, ctx.term_id).await?;
    let mut item_ids: Vec<i64> = active.iter().map(|e| e.item_id).collect();
    item_ids.extend(in_classes.iter().map(|c| c.item_id));
    let names = crate::course::offering::item_names(db, item_ids.clone()).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    ctx.items = item_ids.iter().map(|id| (*id, name(*id))).collect();
    let mut class_item: HashMap<i64, i64> = in_classes.iter().map(|c| (c.id, c.item_id)).collect();
    for e in &active {
        if let Some(c) = e.class_id {
            class_item.insert(c, e.item_id);
        }
    }
    ctx.classes = class_item.keys().copied().collect();
    let times =
        crate::teaching::lesson::times_of(db, ctx.classes.iter().copied().collect(), app.today())
            .await?;
    ctx.busy = times
        .into_iter()
        .flat_map(|(c, ls)| {
            let n = class_item.get(&c).map(|i| name(*i)).unwrap_or_default();
            ls.into_iter().map(move |l| (l, n.clone()))
        })
        .collect();
    Ok(())
}

fn refuse(r: Refusal, message: String) -> (Refusal, String) {
    (r, message)
}

fn date_label(d: NaiveDate) -> String {
    d.format("%-m月%-d日").to_string()
}

/// Judges one candidate for the student, at `now`: the first rule it breaks.
pub(crate) fn judge(ctx: &Ctx, c: &Candidate, now: DateTime<Utc>) -> Result<(), (Refusal, String)> {
    let course = &c.item.name;
    // Available to this student at all.
    let running = match &c.class {
        Some(k) => {
            let status = ClassStatus::parse(&k.status);
            if k.school_id != ctx.school_id
                || k.term_id != ctx.term_id
                || !matches!(status, Some(ClassStatus::Open | ClassStatus::Running))
            {
                return Err(refuse(
                    Refusal::Unavailable,
                    format!("“{}”未开放报名", k.name),
                ));
            }
            status == Some(ClassStatus::Running)
        }
        None => {
            let mine = c
                .offering
                .as_ref()
                .is_some_and(|o| o.school_id == ctx.school_id && o.term_id == ctx.term_id);
            if !mine || c.item.status != "approved" {
                return Err(refuse(
                    Refusal::Unavailable,
                    format!("“{course}”未开放报名"),
                ));
            }
            if ctx.mode != Some(PlanMode::EnrollFirst) {
                return Err(refuse(
                    Refusal::Unavailable,
                    "本年级按教学班报名，请选择具体的教学班".into(),
                ));
            }
            false
        }
    };
    let admits = |k: WindowKind| {
        if running {
            k == WindowKind::MidTerm
        } else {
            k.admits()
        }
    };
    if !ctx.trusted && ctx.rules.open_window(ctx.grade, now, admits).is_none() {
        return Err(refuse(
            Refusal::WindowClosed,
            format!(
                "{}。{}",
                if running {
                    "课程已开课，不在插班报名时间内"
                } else {
                    "不在报名时间内"
                },
                ctx.rules.when(ctx.grade, admits)
            ),
        ));
    }
    if let Some(n) = &ctx.notice
        && !ctx.signed
        && !ctx.trusted
    {
        return Err(refuse(
            Refusal::NoticeUnsigned,
            format!("请先阅读并签署《{}》（第{}版）", n.title, n.version),
        ));
    }
    let fits = match (ctx.grade, &c.class) {
        (None, _) => false,
        (Some(g), Some(k)) => (k.grade_from..=k.grade_to).contains(&g),
        (Some(g), None) => super::ids_of(&c.item.grades).contains(&i64::from(g)),
    };
    if !fits {
        return Err(refuse(
            Refusal::Grade,
            match ctx.grade {
                None => "学生尚未分入行政班，无法确定年级".into(),
                Some(g) => format!("“{course}”不面向{g}年级"),
            },
        ));
    }
    if ctx.items.contains_key(&c.item.id) {
        return Err(refuse(Refusal::Duplicate, format!("已报名“{course}”")));
    }
    for (group, ids) in &ctx.rules.groups {
        if !ids.contains(&c.item.id) {
            continue;
        }
        if let Some((_, other)) = ctx
            .items
            .iter()
            .find(|(id, _)| **id != c.item.id && ids.contains(id))
        {
            return Err(refuse(
                Refusal::Exclusive,
                format!("“{course}”与已报的“{other}”同属互斥课程组“{group}”，只能选其一"),
            ));
        }
    }
    if let Some(max) = ctx.rules.max_courses
        && ctx.items.len() >= usize::try_from(max).unwrap_or(0)
    {
        return Err(refuse(
            Refusal::MaxCourses,
            format!("本学期每名学生最多选{max}门课程，已选{}门", ctx.items.len()),
        ));
    }
    for l in &c.lessons {
        if let Some(((d, s, _), other)) = ctx
            .busy
            .iter()
            .find(|(b, _)| kehou_domain::enrollment::overlaps(*l, *b))
        {
            return Err(refuse(
                Refusal::TimeConflict,
                format!(
                    "与已报的“{other}”时间冲突：{} {}",
                    date_label(*d),
                    s.format("%H:%M")
                ),
            ));
        }
    }
    if c.taken >= c.capacity {
        return Err(refuse(
            Refusal::Full,
            match &c.class {
                Some(k) => format!("“{}”{}个名额已满，可加入候补", k.name, c.capacity),
                None => format!("“{course}”{}个名额已满", c.capacity),
            },
        ));
    }
    Ok(())
}

/// Seats taken in each class: its students and the unpaid orders holding a seat.
pub(crate) async fn taken_in_classes(
    db: &impl ConnectionTrait,
    class_ids: Vec<i64>,
) -> Result<HashMap<i64, i64>> {
    let mut taken = crate::teaching::class::member_counts(db, class_ids.clone()).await?;
    for e in enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::ClassId)
        .filter(enrollment::Column::ClassId.is_in(class_ids))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::PendingPayment.code()))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
    {
        *taken.entry(e).or_default() += 1;
    }
    Ok(taken)
}

/// Seats taken in each offered course (enroll first): its enrollments holding a seat.
async fn taken_in_courses(
    db: &impl ConnectionTrait,
    item_ids: Vec<i64>,
) -> Result<HashMap<i64, i64>> {
    let mut taken: HashMap<i64, i64> = HashMap::new();
    for i in enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::ItemId)
        .filter(enrollment::Column::ItemId.is_in(item_ids))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::ACTIVE.map(|s| s.code())))
        .into_tuple::<i64>()
        .all(db)
        .await?
    {
        *taken.entry(i).or_default() += 1;
    }
    Ok(taken)
}

/// The candidates for targets, in the targets' order (none where a target does not
/// exist). With `lock`, each class or course row is locked, in ascending id order, and the
/// seats are counted under the locks.
pub(crate) async fn candidates(
    app: &App,
    db: &impl ConnectionTrait,
    targets: &[Target],
    lock: bool,
) -> Result<Vec<Option<Candidate>>> {
    let mut cands = prepare_candidates(app, db, targets).await?;
    if lock {
        lock_candidates(db, &mut cands).await?;
    } else {
        count_seats(db, &mut cands).await?;
    }
    Ok(cands)
}

/// What does not change while a selection waits for its locks: the classes' courses and
/// lessons (seats are counted later).
pub(crate) async fn prepare_candidates(
    app: &App,
    db: &impl ConnectionTrait,
    targets: &[Target],
) -> Result<Vec<Option<Candidate>>> {
    let mut class_ids: Vec<i64> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Class(id) => Some(*id),
            Target::Course(_) => None,
        })
        .collect();
    class_ids.sort_unstable();
    class_ids.dedup();
    let classes: HashMap<i64, class::Model> = crate::teaching::class::by_ids(db, class_ids.clone())
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut offerings: HashMap<i64, offering::Model> = HashMap::new();
    for t in targets {
        if let Target::Course(id) = t
            && let Some((item, o)) = crate::course::offering::item_with_offering(db, *id).await?
        {
            offerings.insert(item.id, o);
        }
    }
    let mut item_ids: Vec<i64> = classes.values().map(|c| c.item_id).collect();
    item_ids.extend(offerings.keys());
    let items = crate::course::offering::items_by_id(db, item_ids).await?;
    let mut lessons = crate::teaching::lesson::times_of(db, class_ids, app.today()).await?;
    Ok(targets
        .iter()
        .map(|t| match t {
            Target::Class(id) => {
                let k = classes.get(id)?;
                let (item, course_lessons, _) = items.get(&k.item_id)?.clone();
                Some(Candidate {
                    item,
                    offering: None,
                    course_lessons,
                    lessons: lessons.remove(id).unwrap_or_default(),
                    capacity: i64::from(k.capacity_max),
                    taken: 0,
                    brief: None,
                    class: Some(k.clone()),
                })
            }
            Target::Course(id) => {
                let o = offerings.get(id)?;
                let (item, course_lessons, _) = items.get(id)?.clone();
                Some(Candidate {
                    capacity: i64::from(item.capacity),
                    taken: 0,
                    item,
                    offering: Some(o.clone()),
                    course_lessons,
                    lessons: Vec::new(),
                    brief: None,
                    class: None,
                })
            }
        })
        .collect())
}

/// Locks the candidates' rows in ascending id order (the class as it is now replaces the
/// one read before), then counts their seats.
pub(crate) async fn lock_candidates(
    db: &impl ConnectionTrait,
    cands: &mut [Option<Candidate>],
) -> Result<()> {
    let mut class_ids: Vec<i64> = cands
        .iter()
        .flatten()
        .filter_map(|c| c.class.as_ref().map(|k| k.id))
        .collect();
    class_ids.sort_unstable();
    class_ids.dedup();
    let mut locked: HashMap<i64, class::Model> = HashMap::new();
    for id in &class_ids {
        if let Some(c) = crate::teaching::class::lock(db, *id).await? {
            locked.insert(c.id, c);
        }
    }
    let mut item_ids: Vec<i64> = cands
        .iter()
        .flatten()
        .filter(|c| c.class.is_none())
        .map(|c| c.item.id)
        .collect();
    item_ids.sort_unstable();
    item_ids.dedup();
    for id in &item_ids {
        crate::course::offering::lock_item(db, *id).await?;
    }
    for c in cands.iter_mut().flatten() {
        if let Some(k) = &c.class
            && let Some(now) = locked.get(&k.id)
        {
            c.capacity = i64::from(now.capacity_max);
            c.class = Some(now.clone());
        }
    }
    count_seats(db, cands).await
}

async fn count_seats(db: &impl ConnectionTrait, cands: &mut [Option<Candidate>]) -> Result<()> {
    let class_ids: Vec<i64> = cands
        .iter()
        .flatten()
        .filter_map(|c| c.class.as_ref().map(|k| k.id))
        .collect();
    let item_ids: Vec<i64> = cands
        .iter()
        .flatten()
        .filter(|c| c.class.is_none())
        .map(|c| c.item.id)
        .collect();
    let taken_c = if class_ids.is_empty() {
        HashMap::new()
    } else {
        taken_in_classes(db, class_ids).await?
    };
    let taken_i = if item_ids.is_empty() {
        HashMap::new()
    } else {
        taken_in_courses(db, item_ids).await?
    };
    for c in cands.iter_mut().flatten() {
        c.taken = match &c.class {
            Some(k) => taken_c.get(&k.id).copied().unwrap_or(0),
            None => taken_i.get(&c.item.id).copied().unwrap_or(0),
        };
    }
    Ok(())
}

/// The amounts of an order: the course fee by the price's unit (per lesson: the lessons
/// from today on, or the course's lessons while no class is known), and the fees chosen.
fn amounts(c: &Candidate, w: &Wanted) -> (i32, i64, i64, i64) {
    let lessons = if c.class.is_some() {
        i32::try_from(c.lessons.len()).unwrap_or(i32::MAX)
    } else {
        c.course_lessons
    };
    let course_fee = match PriceUnit::parse(&c.item.price_unit) {
        Some(PriceUnit::Lesson) => c.item.price_fen.saturating_mul(i64::from(lessons)),
        _ => c.item.price_fen,
    };
    let textbook = if w.textbook {
        c.item.textbook_fee_fen
    } else {
        0
    };
    let misc = if w.misc { c.item.misc_fee_fen } else { 0 };
    (lessons, course_fee, textbook, misc)
}

/// What was admitted.
pub(crate) struct Admitted {
    pub enrollment_id: i64,
    pub order_id: i64,
    pub status: OrderStatus,
    pub total_fen: i64,
    /// What is due now (the first bill when paid by the month or by the lesson).
    pub due_fen: i64,
    pub hold_until: Option<DateTime<Utc>>,
}

/// Writes the enrollment and its order for an accepted candidate, and updates `ctx` and
/// the candidate's seats so that the next item of the same selection sees them.
pub(crate) async fn admit(
    app: &App,
    db: &impl ConnectionTrait,
    ctx: &mut Ctx,
    c: &mut Candidate,
    w: &Wanted,
    source: Source,
    by_user: Option<i64>,
) -> Result<Admitted> {
    let now = app.now();
    let (lessons, course_fee, textbook, misc) = amounts(c, w);
    let total = course_fee + textbook + misc;
    // What the course's payment mode makes due now: everything, the first month, or the
    // fees only (the lessons billed once held).
    let pay_mode = crate::billing::bill::mode_for_item(db, c.item.id).await?;
    let facts: Vec<kehou_domain::billing::LessonFact> = c
        .lessons
        .iter()
        .map(|(date, _, _)| kehou_domain::billing::LessonFact {
            date: *date,
            held: false,
            presence: None,
        })
        .collect();
    let due = kehou_domain::billing::bills(
        pay_mode,
        Fen(course_fee),
        Fen(textbook + misc),
        &facts,
        app.today(),
    );
    let due_now: i64 = due.iter().map(|b| b.amount.0).sum();
    let (e_status, o_status) = if due_now > 0 {
        (
            EnrollmentStatus::PendingPayment,
            OrderStatus::PendingPayment,
        )
    } else if total > 0 {
        (EnrollmentStatus::Confirmed, OrderStatus::OnAccount)
    } else {
        (EnrollmentStatus::Confirmed, OrderStatus::Free)
    };
    let hold_until =
        (due_now > 0).then(|| now + chrono::Duration::minutes(i64::from(ctx.rules.hold_minutes)));
    let view = match (&c.class, &c.brief) {
        (Some(_), Some(b)) => Some(b.clone()),
        (Some(k), None) => {
            crate::teaching::class::briefs(db, ctx.school_id, std::slice::from_ref(k))
                .await?
                .remove(&k.id)
        }
        (None, _) => None,
    };
    let snapshot = Snapshot {
        student_name: ctx.child.name.clone(),
        course_id: c.item.course_id,
        offering_item_id: c.item.id,
        course: c.item.name.clone(),
        category: c.item.category.clone(),
        teaching_class_id: c.class.as_ref().map(|k| k.id),
        class_name: c.class.as_ref().map(|k| k.name.clone()),
        teachers: view
            .as_ref()
            .map(|v| v.teachers.clone())
            .unwrap_or_default(),
        times: view
            .as_ref()
            .map(|v| v.times.clone())
            .unwrap_or_else(|| "分班后确定".into()),
        room: view.as_ref().map(|v| v.room.clone()).unwrap_or_default(),
        starts_on: c.class.as_ref().map(|k| k.starts_on),
        ends_on: c.class.as_ref().map(|k| k.ends_on),
        lessons,
        price_fen: c.item.price_fen,
        price_unit: c.item.price_unit.clone(),
        price_unit_label: PriceUnit::parse(&c.item.price_unit)
            .map_or("", PriceUnit::label)
            .into(),
        course_fee_fen: course_fee,
        textbook_fee_fen: textbook,
        misc_fee_fen: misc,
        total_fen: total,
        notice_id: ctx.notice.as_ref().map(|n| n.id),
        notice_version: ctx.notice.as_ref().map(|n| n.version),
        taken_at: now,
    };
    let e = enrollment::ActiveModel {
        school_id: Set(ctx.school_id),
        term_id: Set(ctx.term_id),
        student_id: Set(ctx.child.id),
        item_id: Set(c.item.id),
        class_id: Set(c.class.as_ref().map(|k| k.id)),
        proposed_class_id: Set(None),
        status: Set(e_status.code().into()),
        source: Set(source.code().into()),
        created_by: Set(by_user),
        created_at: Set(now),
        updated_at: Set(now),
        ended_at: Set(None),
        end_reason: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(Error::unique("items", "已报过这门课"))?;
    let o = order::ActiveModel {
        order_no: Set(format!("KH{}{:010}", app.today().format("%Y%m%d"), e.id)),
        school_id: Set(ctx.school_id),
        term_id: Set(ctx.term_id),
        student_id: Set(ctx.child.id),
        enrollment_id: Set(e.id),
        user_id: Set(by_user),
        status: Set(o_status.code().into()),
        course_fee_fen: Set(course_fee),
        textbook_fee_fen: Set(textbook),
        misc_fee_fen: Set(misc),
        total_fen: Set(total),
        pay_mode: Set(pay_mode.code().into()),
        snapshot: Set(serde_json::to_string(&snapshot)
            .map_err(|e| Error::Internal(format!("订单快照：{e}")))?),
        notice_id: Set(snapshot.notice_id),
        hold_until: Set(hold_until),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::billing::ledger::charge(db, &o, &due, now).await?;
    if let Some(k) = &c.class
        && e_status == EnrollmentStatus::Confirmed
    {
        crate::teaching::class::enter(db, k.id, ctx.child.id, now).await?;
    }
    if let Some(until) = hold_until {
        jobs::enqueue_at(
            db,
            now,
            until,
            jobs::NewJob {
                kind: super::order::HOLD_JOB_KIND,
                org_id: Some(ctx.school_id),
                user_id: by_user,
                membership_id: None,
                ip: None,
                params: serde_json::json!({ "order_id": o.id }),
                input: None,
                max_attempts: 5,
            },
        )
        .await?;
    }
    ctx.items.insert(c.item.id, c.item.name.clone());
    if let Some(k) = &c.class {
        ctx.classes.insert(k.id);
        ctx.busy
            .extend(c.lessons.iter().map(|l| (*l, c.item.name.clone())));
    }
    c.taken += 1;
    Ok(Admitted {
        enrollment_id: e.id,
        order_id: o.id,
        status: o_status,
        total_fen: total,
        due_fen: due_now,
        hold_until,
    })
}

pub(crate) fn parse_items(items: Option<Vec<ItemInput>>) -> Result<Vec<Wanted>> {
    let items = items.unwrap_or_default();
    let mut invalid = Invalid::default();
    if items.is_empty() || items.len() > ITEMS_MAX {
        invalid.push("items", format!("请选择1至{ITEMS_MAX}门课程"));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("items.{i}");
        let target = match (item.teaching_class_id, item.offering_item_id) {
            (Some(c), None) => Some(Target::Class(c)),
            (None, Some(o)) => Some(Target::Course(o)),
            _ => {
                invalid.push(&field, "每一项请指定一个教学班或一门课程");
                None
            }
        };
        let mut textbook = false;
        let mut misc = false;
        let fees = item.optional_fees.clone().unwrap_or_default();
        if fees.len() > OptionalFee::ALL.len() {
            invalid.push(&field, "可选费用只有教材费和杂费");
        }
        for f in &fees {
            match OptionalFee::parse(f.trim()) {
                Some(OptionalFee::Textbook) => textbook = true,
                Some(OptionalFee::Misc) => misc = true,
                None => invalid.push(&field, "可选费用只能是 textbook 或 misc"),
            }
        }
        if let Some(target) = target {
            out.push(Wanted {
                target,
                textbook,
                misc,
            });
        }
    }
    check(invalid)?;
    Ok(out)
}

/// A parent's selection for a child: each item accepted with its order, or refused with
/// its reason.
pub async fn enroll(app: &App, actor: &Actor, input: EnrollInput) -> Result<EnrollResult> {
    let Some(student_id) = input.student_id else {
        return Err(Error::invalid("student_id", "请选择孩子"));
    };
    let wanted = parse_items(input.items)?;
    let child = child_of(&app.db, actor, student_id).await?;
    place(
        app,
        child,
        &wanted,
        Source::Parent,
        &By::actor(actor),
        Some(actor.user_id),
    )
    .await
}

/// The term of a selection: that of its first class or course that exists, else the
/// school's current one.
async fn term_of_targets(app: &App, child: &student::Model, targets: &[Target]) -> Result<i64> {
    for t in targets {
        match t {
            Target::Class(id) => {
                if let Some(k) = crate::teaching::class::by_ids(&app.db, vec![*id])
                    .await?
                    .pop()
                    && k.school_id == child.school_id
                {
                    return Ok(k.term_id);
                }
            }
            Target::Course(id) => {
                if let Some((_, o)) =
                    crate::course::offering::item_with_offering(&app.db, *id).await?
                    && o.school_id == child.school_id
                {
                    return Ok(o.term_id);
                }
            }
        }
    }
    Ok(current_term(app, &app.db, child.school_id).await?.id)
}

/// Judges and admits the wanted items for a student in one transaction.
pub(crate) async fn place(
    app: &App,
    child: student::Model,
    wanted: &[Wanted],
    source: Source,
    by: &By<'_>,
    by_user: Option<i64>,
) -> Result<EnrollResult> {
    let targets: Vec<Target> = wanted.iter().map(|w| w.target).collect();
    let term_id = term_of_targets(app, &child, &targets).await?;
    // What does not change under the locks is read before them, so that the write
    // transaction, which selections take one at a time, stays short.
    let school = crate::system::load_any_school(&app.db, child.school_id).await?;
    let mut ctx = rules_ctx(&app.db, child, term_id).await?;
    ctx.trusted = source != Source::Parent;
    let mut cands = prepare_candidates(app, &app.db, &targets).await?;
    let rows: Vec<class::Model> = cands
        .iter()
        .flatten()
        .filter_map(|c| c.class.clone())
        .collect();
    let mut briefs = crate::teaching::class::briefs(&app.db, ctx.school_id, &rows).await?;
    for c in cands.iter_mut().flatten() {
        if let Some(k) = &c.class {
            c.brief = briefs.get(&k.id).cloned();
        }
    }
    briefs.clear();
    let txn = kehou_store::begin_write(&app.db).await?;
    student::Entity::find_by_id(ctx.child.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("学生"))?;
    lock_candidates(&txn, &mut cands).await?;
    load_holdings(app, &txn, &mut ctx).await?;
    let now = app.now();
    let mut out = Vec::with_capacity(wanted.len());
    let mut accepted_names = Vec::new();
    for (w, cand) in wanted.iter().zip(cands.iter_mut()) {
        let (class_id, item_id) = match w.target {
            Target::Class(id) => (Some(id), None),
            Target::Course(id) => (None, Some(id)),
        };
        let refused = |r: Refusal, message: String| ItemOutcome {
            teaching_class_id: class_id,
            offering_item_id: item_id,
            outcome: "refused",
            enrollment_id: None,
            order_id: None,
            order_status: None,
            total_fen: None,
            hold_until: None,
            reason: Some(r.code()),
            message,
        };
        let Some(c) = cand.as_mut() else {
            out.push(refused(Refusal::Unavailable, "没有这门课程或教学班".into()));
            continue;
        };
        // A second item for a course already taken in this selection is a duplicate:
        // `admit` added it to the context.
        if let Err((r, message)) = judge(&ctx, c, now) {
            out.push(refused(r, message));
            continue;
        }
        let a = admit(app, &txn, &mut ctx, c, w, source, by_user).await?;
        accepted_names.push(
            c.class
                .as_ref()
                .map_or(c.item.name.clone(), |k| k.name.clone()),
        );
        out.push(ItemOutcome {
            teaching_class_id: class_id,
            offering_item_id: item_id,
            outcome: "accepted",
            enrollment_id: Some(a.enrollment_id),
            order_id: Some(a.order_id),
            order_status: Some(a.status.code()),
            total_fen: Some(a.total_fen),
            hold_until: a.hold_until,
            reason: None,
            message: match a.status {
                OrderStatus::Free => "报名成功（免费课程，已确认）".into(),
                OrderStatus::OnAccount => "报名成功（按实际课时缴费，每月初出上月账单）".into(),
                _ => format!(
                    "已为您保留名额，请在{}前支付{}元",
                    china_label(a.hold_until.unwrap_or(now)),
                    Fen(a.due_fen)
                ),
            },
        });
    }
    if !accepted_names.is_empty() {
        super::record(
            &txn,
            app,
            by,
            (school.id, &school.path),
            "enrollment.select",
            ("student", ctx.child.id),
            format!(
                "{}为学生 {} 报名：{}",
                match source {
                    Source::Parent => "家长",
                    Source::School => "学校",
                    Source::Waitlist => "候补递补",
                    Source::Lottery => "志愿抽签",
                    Source::Change => "调课",
                },
                ctx.child.name,
                accepted_names.join("、")
            ),
        )
        .await?;
    }
    txn.commit().await?;
    let accepted = out.iter().filter(|o| o.outcome == "accepted").count();
    Ok(EnrollResult {
        student_id: ctx.child.id,
        accepted,
        refused: out.len() - accepted,
        items: out,
    })
}

// ---- what a student may choose ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Choice {
    /// Set when choosing a teaching class (schedule first).
    pub teaching_class_id: Option<i64>,
    pub offering_item_id: i64,
    pub course_id: i64,
    pub course: String,
    pub class_name: Option<String>,
    pub category: String,
    pub intro: String,
    pub teachers: String,
    pub times: String,
    pub room: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub lessons: i32,
    pub price_fen: i64,
    pub price: String,
    pub price_unit_label: String,
    /// What the course fee comes to now.
    pub course_fee_fen: i64,
    pub course_fee: String,
    pub textbook_fee_fen: i64,
    pub textbook_fee: String,
    pub misc_fee_fen: i64,
    pub misc_fee: String,
    pub capacity: i64,
    pub seats_left: i64,
    /// enrolled, pending_payment, waitlisted, available or refused.
    pub state: &'static str,
    pub state_label: String,
    /// Why it cannot be chosen now, when refused.
    pub reason: Option<&'static str>,
    /// Where the course's pictures are (for this child: `/enroll/students/{id}/pictures/{file}`).
    pub pictures: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeBrief {
    pub id: i64,
    pub version: i32,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SelectableView {
    pub student_id: i64,
    pub student_name: String,
    pub grade: Option<i32>,
    pub school_id: i64,
    pub term_id: i64,
    pub term: String,
    /// class (choose teaching classes) or course (choose courses; the school assigns
    /// classes).
    pub mode: &'static str,
    pub open: bool,
    pub windows: String,
    pub notice: Option<NoticeBrief>,
    pub notice_signed: bool,
    pub max_courses: Option<i32>,
    pub courses_taken: usize,
    pub choices: Vec<Choice>,
}

/// What a child may choose in a term (the current one by default), each with its seats
/// and whether the rules let the child take it now.
pub async fn selectable(
    app: &App,
    actor: &Actor,
    student_id: i64,
    term_id: Option<i64>,
) -> Result<SelectableView> {
    let child = child_of(&app.db, actor, student_id).await?;
    selectable_for(app, child, term_id).await
}

pub(crate) async fn selectable_for(
    app: &App,
    child: student::Model,
    term_id: Option<i64>,
) -> Result<SelectableView> {
    let db = &app.db;
    let term = match term_id {
        Some(id) => term_row(db, child.school_id, id).await?,
        None => current_term(app, db, child.school_id).await?,
    };
    let ctx = load_ctx(app, db, child, term.id).await?;
    let by_course = ctx.mode == Some(PlanMode::EnrollFirst);
    let (targets, views) = if by_course {
        let items = crate::course::offering::approved_items(db, ctx.school_id, term.id).await?;
        let targets: Vec<Target> = items
            .iter()
            .filter(|i| ctx.grade.is_some_and(|g| i.grades.contains(&g)))
            .map(|i| Target::Course(i.id))
            .collect();
        (targets, Vec::new())
    } else {
        let rows = crate::teaching::class::enrollable(db, ctx.school_id, term.id).await?;
        let rows: Vec<class::Model> = rows
            .into_iter()
            .filter(|k| {
                ctx.grade
                    .is_some_and(|g| (k.grade_from..=k.grade_to).contains(&g))
            })
            .collect();
        let targets = rows.iter().map(|k| Target::Class(k.id)).collect();
        let views = crate::teaching::class::views_of(db, ctx.school_id, term.id, rows).await?;
        (targets, views)
    };
    let cands = candidates(app, db, &targets, false).await?;
    let intros = crate::course::offering::items_by_id(
        db,
        cands.iter().flatten().map(|c| c.item.id).collect(),
    )
    .await?;
    let mine = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(ctx.child.id))
        .filter(enrollment::Column::TermId.eq(term.id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::ACTIVE.map(|s| s.code())))
        .all(db)
        .await?;
    let waiting = super::waitlist::waiting_classes(db, ctx.child.id).await?;
    let pictures = crate::course::catalog::picture_ids(
        db,
        cands.iter().flatten().map(|c| c.item.course_id).collect(),
    )
    .await?;
    let now = app.now();
    let child_id = ctx.child.id;
    let choices = cands
        .into_iter()
        .flatten()
        .map(|c| {
            let view = c
                .class
                .as_ref()
                .and_then(|k| views.iter().find(|v| v.id == k.id));
            let (lessons, course_fee, _, _) = amounts(
                &c,
                &Wanted {
                    target: Target::Course(c.item.id),
                    textbook: false,
                    misc: false,
                },
            );
            let held = mine.iter().find(|e| match &c.class {
                Some(k) => e.class_id == Some(k.id),
                None => e.item_id == c.item.id,
            });
            let (state, state_label, reason) = match held {
                Some(e) if e.status == EnrollmentStatus::Confirmed.code() => {
                    ("enrolled", "已报名".to_string(), None)
                }
                Some(_) => ("pending_payment", "待支付".to_string(), None),
                None if c
                    .class
                    .as_ref()
                    .is_some_and(|k| ctx.classes.contains(&k.id)) =>
                {
                    ("enrolled", "已在班".to_string(), None)
                }
                None if c.class.as_ref().is_some_and(|k| waiting.contains(&k.id)) => {
                    ("waitlisted", "候补中".to_string(), None)
                }
                None => match judge(&ctx, &c, now) {
                    Ok(()) => ("available", "可报名".to_string(), None),
                    Err((r, m)) => ("refused", m, Some(r.code())),
                },
            };
            Choice {
                teaching_class_id: c.class.as_ref().map(|k| k.id),
                offering_item_id: c.item.id,
                course_id: c.item.course_id,
                course: c.item.name.clone(),
                class_name: c.class.as_ref().map(|k| k.name.clone()),
                category: c.item.category.clone(),
                intro: intros
                    .get(&c.item.id)
                    .map(|i| i.2.clone())
                    .unwrap_or_default(),
                teachers: view.map(|v| v.teacher_names.clone()).unwrap_or_default(),
                times: view
                    .map(|v| v.times_label.clone())
                    .unwrap_or_else(|| "分班后确定".into()),
                room: view.map(|v| v.room.clone()).unwrap_or_default(),
                starts_on: c.class.as_ref().map(|k| k.starts_on),
                ends_on: c.class.as_ref().map(|k| k.ends_on),
                lessons,
                price_fen: c.item.price_fen,
                price: Fen(c.item.price_fen).to_string(),
                price_unit_label: PriceUnit::parse(&c.item.price_unit)
                    .map_or("", PriceUnit::label)
                    .into(),
                course_fee_fen: course_fee,
                course_fee: Fen(course_fee).to_string(),
                textbook_fee_fen: c.item.textbook_fee_fen,
                textbook_fee: Fen(c.item.textbook_fee_fen).to_string(),
                misc_fee_fen: c.item.misc_fee_fen,
                misc_fee: Fen(c.item.misc_fee_fen).to_string(),
                capacity: c.capacity,
                seats_left: (c.capacity - c.taken).max(0),
                state,
                state_label,
                reason,
                pictures: pictures
                    .get(&c.item.course_id)
                    .map(|ids| {
                        ids.iter()
                            .map(|f| format!("/enroll/students/{child_id}/pictures/{f}"))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let admits = |k: WindowKind| k.admits();
    Ok(SelectableView {
        student_id: ctx.child.id,
        student_name: ctx.child.name.clone(),
        grade: ctx.grade,
        school_id: ctx.school_id,
        term_id: term.id,
        term: format!("{} {}", term.school_year, term.name),
        mode: if by_course { "course" } else { "class" },
        open: ctx.rules.open_window(ctx.grade, now, admits).is_some(),
        windows: ctx.rules.when(ctx.grade, admits),
        notice: ctx.notice.as_ref().map(|n| NoticeBrief {
            id: n.id,
            version: n.version,
            title: n.title.clone(),
        }),
        notice_signed: ctx.signed,
        max_courses: ctx.rules.max_courses,
        courses_taken: ctx.items.len(),
        choices,
    })
}

/// A picture of a course the child's school offers, for the parent's page.
pub async fn picture(
    app: &App,
    actor: &Actor,
    student_id: i64,
    file_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let child = child_of(&app.db, actor, student_id).await?;
    let (course_id, content_type, name, bytes) =
        crate::course::catalog::picture(app, file_id).await?;
    if !crate::course::offering::school_offers(&app.db, child.school_id, course_id).await? {
        return Err(Error::NotFound("图片"));
    }
    Ok((content_type, name, bytes))
}

/// Marks an enrollment row as ended (dropped, expired, cancelled) in the caller's
/// transaction, checking the transition.
pub(crate) async fn end_enrollment(
    db: &impl ConnectionTrait,
    e: enrollment::Model,
    to: EnrollmentStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<enrollment::Model> {
    let from = EnrollmentStatus::parse(&e.status).unwrap_or(EnrollmentStatus::Cancelled);
    if !from.can_become(to) {
        return Err(Error::conflict(format!(
            "报名{}，不能改为{}",
            from.label(),
            to.label()
        )));
    }
    let mut m = e.into_active_model();
    m.status = Set(to.code().into());
    m.updated_at = Set(now);
    if to != EnrollmentStatus::Confirmed {
        m.ended_at = Set(Some(now));
        m.end_reason = Set(Some(reason.chars().take(200).collect()));
    }
    Ok(m.update(db).await?)
}

/// The proposed classes of a course's enrollments without a class: enrollment → class.
pub(crate) async fn proposals(
    db: &impl ConnectionTrait,
    term_id: i64,
    item_id: i64,
) -> Result<HashMap<i64, i64>> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::TermId.eq(term_id))
        .filter(enrollment::Column::ItemId.eq(item_id))
        .filter(enrollment::Column::ClassId.is_null())
        .filter(enrollment::Column::ProposedClassId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| Some((e.id, e.proposed_class_id?)))
        .collect())
}

/// Sets (or clears) the proposed class of an enrollment.
pub(crate) async fn propose(
    db: &impl ConnectionTrait,
    enrollment_id: i64,
    class_id: Option<i64>,
) -> Result<()> {
    enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::ProposedClassId,
            kehou_store::sea_orm::sea_query::Expr::value(class_id),
        )
        .filter(enrollment::Column::Id.eq(enrollment_id))
        .exec(db)
        .await?;
    Ok(())
}
