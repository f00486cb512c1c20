//! A school's term offering (开课计划, D1, D2, D7, D9, D12). Per term the school offers its
//! own courses (taught by its staff) and admitted institutions' courses (taught by the
//! teachers they dispatched to it for that term). Each item copies what parents buy when
//! it is added: name, category, the spec's price on the term's first day, textbook and
//! misc fees, grades, capacity, teachers, the parts of a series course and a care
//! service's days; so a course or price changed later leaves this term as it was, and a
//! past term's offering never changes. The school submits it; its bureau approves it
//! (some items may be refused, with reasons) or rejects it as a whole; the approved
//! offering is published (开课公示) for parents and the bureau.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kehou_domain::course::{
    CareTime, Category, OfferingAction, OfferingStatus, PriceUnit, join_numbers, parse_numbers,
    split_numbers, weekday_name,
};
use kehou_domain::{Fen, Invalid, OrgKind, Permission};
use kehou_store::entity::course::{
    catalog as course, offering, offering_item, offering_part, offering_teacher,
};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::catalog::grade_names;
use super::library::{self, Kind};
use super::policy::{self, Policy};
use crate::institution::dispatch::{Dispatched, dispatched_to};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::school::calendar::{self, TermSpan, TermView};
use crate::{Actor, App, Error, Result};

/// The highest textbook or misc fee, in fen (¥2 000).
pub const FEE_MAX: i64 = 200_000;
pub const CAPACITY_MAX: i32 = 5000;
pub const PARTS_MAX: usize = 20;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemTeacher {
    /// A staff member of the school, for its own courses.
    pub staff_id: Option<i64>,
    /// A dispatched institution teacher, for an institution's course.
    pub institution_teacher_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub course_id: i64,
    pub name: String,
    pub category: String,
    pub category_label: &'static str,
    /// school (校内, the school's own) or institution (校外).
    pub source: String,
    pub source_label: &'static str,
    pub institution_id: Option<i64>,
    pub institution_name: String,
    pub spec_id: i64,
    /// The spec's price on the term's first day, in fen.
    pub price_fen: i64,
    pub price: String,
    /// lesson or term.
    pub price_unit: String,
    pub price_unit_label: &'static str,
    pub textbook_fee_fen: i64,
    pub textbook_fee: String,
    pub misc_fee_fen: i64,
    pub misc_fee: String,
    pub grades: Vec<i32>,
    pub grade_names: String,
    pub capacity: i32,
    /// noon (午托) or evening (晚托), for care services.
    pub care_time: Option<String>,
    pub care_time_label: &'static str,
    /// Weekdays 1–7 a care service runs.
    pub care_days: Vec<i32>,
    pub care_day_names: String,
    /// The parts of a series course (系列课的子项目).
    pub parts: Vec<String>,
    pub teachers: Vec<ItemTeacher>,
    pub teacher_names: String,
    /// pending, approved or rejected: the bureau's decision on this course.
    pub status: String,
    pub status_label: &'static str,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferingView {
    /// Absent until the school adds its first course.
    pub id: Option<i64>,
    pub school_id: i64,
    pub school_name: String,
    pub term_id: i64,
    pub term_name: String,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    /// draft, submitted, approved, rejected or published.
    pub status: String,
    pub status_label: &'static str,
    /// The bureau's reason when it rejected the whole offering.
    pub reason: Option<String>,
    /// The term has ended: the offering is history and never changes.
    pub past: bool,
    /// The school may change its items now.
    pub editable: bool,
    /// The rules of the bureaus above the school.
    pub policy: Policy,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub items: Vec<ItemView>,
}

/// An offered course as the school sets it. On a change, absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// The school's own course or an admitted institution's (creation only).
    pub course_id: Option<i64>,
    /// Must equal the spec's price for the term when sent: prices are never typed.
    pub price_fen: Option<i64>,
    pub textbook_fee_fen: Option<i64>,
    pub misc_fee_fen: Option<i64>,
    /// A subset of the course's grades; all of them when absent on creation.
    pub grades: Option<Vec<i32>>,
    /// Planned places; the course's largest class when absent on creation.
    pub capacity: Option<i32>,
    /// Staff of the school (own courses).
    pub staff_ids: Option<Vec<i64>>,
    /// Dispatched institution teachers (institution courses).
    pub teacher_ids: Option<Vec<i64>>,
    /// noon or evening: the course is a care service (托管) on `care_days`.
    pub care_time: Option<String>,
    pub care_days: Option<Vec<i32>>,
    /// The parts of a series course; none for a single course.
    pub parts: Option<Vec<String>>,
}

/// The bureau's decision on a submitted offering.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// approve or reject (the whole offering).
    #[schema(required = true)]
    pub action: Option<String>,
    /// Required to reject.
    pub reason: Option<String>,
    /// On approval: the courses refused, each with its reason.
    #[serde(default)]
    pub refused: Vec<Refusal>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Refusal {
    pub item_id: i64,
    pub reason: String,
}

/// A course the school may add to an offering.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseChoice {
    pub course_id: i64,
    pub name: String,
    pub category_label: &'static str,
    pub owner_name: String,
    pub institution: bool,
    /// Admitted by a library above the school.
    pub admitted: bool,
    /// Whether the rules let the school offer it.
    pub allowed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemStatus {
    Pending,
    Approved,
    Rejected,
}

impl ItemStatus {
    fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审批",
            Self::Approved => "通过",
            Self::Rejected => "未通过",
        }
    }

    fn parse(code: &str) -> Self {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Self::Pending)
    }
}

/// Whether the actor works in a school that may offer courses of `owner`: an admitted
/// institution of a bureau above the school.
pub(crate) async fn offerable_to(
    db: &impl ConnectionTrait,
    actor: &Actor,
    owner: &org::Model,
) -> Result<bool> {
    if actor.org_kind != OrgKind::School || owner.kind != OrgKind::Institution.code() {
        return Ok(false);
    }
    let bureau_path = owner.path.trim_end_matches(&format!("{}/", owner.id));
    Ok(actor.org_path.starts_with(bureau_path)
        && !crate::institution::admitted(db, vec![owner.id])
            .await?
            .is_empty())
}

async fn load_offering(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Option<offering::Model>> {
    Ok(offering::Entity::find()
        .filter(offering::Column::SchoolId.eq(school_id))
        .filter(offering::Column::TermId.eq(term_id))
        .one(db)
        .await?)
}

async fn item_views(
    db: &impl ConnectionTrait,
    rows: Vec<offering_item::Model>,
) -> Result<Vec<ItemView>> {
    let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
    let mut teachers: HashMap<i64, Vec<ItemTeacher>> = HashMap::new();
    for t in offering_teacher::Entity::find()
        .filter(offering_teacher::Column::ItemId.is_in(ids.clone()))
        .order_by_asc(offering_teacher::Column::Id)
        .all(db)
        .await?
    {
        teachers.entry(t.item_id).or_default().push(ItemTeacher {
            staff_id: t.staff_id,
            institution_teacher_id: t.institution_teacher_id,
            name: t.name,
        });
    }
    let mut parts: HashMap<i64, Vec<String>> = HashMap::new();
    for p in offering_part::Entity::find()
        .filter(offering_part::Column::ItemId.is_in(ids))
        .order_by_asc(offering_part::Column::Position)
        .all(db)
        .await?
    {
        parts.entry(p.item_id).or_default().push(p.name);
    }
    let institutions: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(rows.iter().filter_map(|i| i.institution_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|i| {
            let category = Category::parse(&i.category).unwrap_or(Category::Quality);
            let unit = PriceUnit::parse(&i.price_unit).unwrap_or(PriceUnit::Lesson);
            let care = i.care_time.as_deref().and_then(CareTime::parse);
            let care_days = i
                .care_days
                .as_deref()
                .map(split_numbers)
                .unwrap_or_default();
            let grades = split_numbers(&i.grades);
            let status = ItemStatus::parse(&i.status);
            let teachers = teachers.remove(&i.id).unwrap_or_default();
            ItemView {
                id: i.id,
                course_id: i.course_id,
                name: i.name,
                category: category.code().into(),
                category_label: category.label(),
                source: if i.institution_id.is_some() {
                    "institution"
                } else {
                    "school"
                }
                .into(),
                source_label: if i.institution_id.is_some() {
                    "校外"
                } else {
                    "校内"
                },
                institution_name: i
                    .institution_id
                    .and_then(|id| institutions.get(&id).cloned())
                    .unwrap_or_default(),
                institution_id: i.institution_id,
                spec_id: i.spec_id,
                price_fen: i.price_fen,
                price: Fen(i.price_fen).to_string(),
                price_unit: unit.code().into(),
                price_unit_label: unit.label(),
                textbook_fee_fen: i.textbook_fee_fen,
                textbook_fee: Fen(i.textbook_fee_fen).to_string(),
                misc_fee_fen: i.misc_fee_fen,
                misc_fee: Fen(i.misc_fee_fen).to_string(),
                grade_names: grade_names(&grades),
                grades,
                capacity: i.capacity,
                care_time: care.map(|c| c.code().to_string()),
                care_time_label: care.map_or("", CareTime::label),
                care_day_names: care_days
                    .iter()
                    .map(|d| weekday_name(*d))
                    .collect::<Vec<_>>()
                    .join("、"),
                care_days,
                parts: parts.remove(&i.id).unwrap_or_default(),
                teacher_names: teachers
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                teachers,
                status: status.code().into(),
                status_label: status.label(),
                reason: i.reason,
            }
        })
        .collect())
}

/// The items of some offerings in one pass, by offering.
async fn items_of(
    db: &impl ConnectionTrait,
    offering_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<ItemView>>> {
    let rows = offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.is_in(offering_ids))
        .order_by_asc(offering_item::Column::Category)
        .order_by_asc(offering_item::Column::Id)
        .all(db)
        .await?;
    let owner: HashMap<i64, i64> = rows.iter().map(|i| (i.id, i.offering_id)).collect();
    let mut out: HashMap<i64, Vec<ItemView>> = HashMap::new();
    for v in item_views(db, rows).await? {
        out.entry(owner[&v.id]).or_default().push(v);
    }
    Ok(out)
}

fn assemble(
    today: NaiveDate,
    school: &org::Model,
    term: &TermSpan,
    o: Option<offering::Model>,
    items: Vec<ItemView>,
    policy: Policy,
) -> OfferingView {
    let status = o
        .as_ref()
        .and_then(|o| OfferingStatus::parse(&o.status))
        .unwrap_or(OfferingStatus::Draft);
    let past = term.end_date < today;
    OfferingView {
        id: o.as_ref().map(|o| o.id),
        school_id: school.id,
        school_name: school.name.clone(),
        term_id: term.id,
        term_name: term.label.clone(),
        term_start: term.start_date,
        term_end: term.end_date,
        status: status.code().into(),
        status_label: status.label(),
        reason: o.as_ref().and_then(|o| o.reason.clone()),
        past,
        editable: !past && status.editable(),
        policy,
        submitted_at: o.as_ref().and_then(|o| o.submitted_at),
        decided_at: o.as_ref().and_then(|o| o.decided_at),
        published_at: o.as_ref().and_then(|o| o.published_at),
        items,
    }
}

async fn view_of(
    app: &App,
    db: &impl ConnectionTrait,
    school: &org::Model,
    term: &TermView,
    o: Option<offering::Model>,
) -> Result<OfferingView> {
    let items = match &o {
        Some(o) => items_of(db, vec![o.id])
            .await?
            .remove(&o.id)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let policy = policy::for_path(db, &school.path).await?;
    Ok(assemble(
        app.today(),
        school,
        &term.into(),
        o,
        items,
        policy,
    ))
}

/// The school and term of a use case: the permission first, then the school's scope.
pub(crate) async fn school_and_term(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    permission: Permission,
) -> Result<(org::Model, TermView)> {
    let school = crate::school::school_for(&app.db, actor, school_id, permission).await?;
    let term = calendar::get_term(app, actor, school.id, term_id).await?;
    Ok((school, term))
}

/// A school's offering of a term, with every item (an empty draft before the first).
pub async fn get(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<OfferingView> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let o = load_offering(&app.db, school.id, term.id).await?;
    view_of(app, &app.db, &school, &term, o).await
}

/// The published offering (开课公示) for anyone of the school or its bureaus, parents
/// included: the approved courses only.
pub async fn published(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<OfferingView> {
    let school = crate::school::school_visible(&app.db, actor, school_id).await?;
    let term = calendar::term_of(&app.db, school.id, term_id).await?;
    let o = load_offering(&app.db, school.id, term.id)
        .await?
        .filter(|o| o.status == OfferingStatus::Published.code())
        .ok_or(Error::NotFound("开课公示"))?;
    let mut v = view_of(app, &app.db, &school, &term, Some(o)).await?;
    v.items.retain(|i| i.status == ItemStatus::Approved.code());
    Ok(v)
}

/// The offerings of the schools in the actor's jurisdiction, optionally of one status:
/// what a bureau approves and reads.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<OfferingStatus>,
) -> Result<Vec<OfferingView>> {
    actor.require(Permission::SchoolView)?;
    let schools: HashMap<i64, org::Model> = crate::school::schools_in_scope(app, actor)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut q =
        offering::Entity::find().filter(offering::Column::SchoolId.is_in(schools.keys().copied()));
    if let Some(s) = status {
        q = q.filter(offering::Column::Status.eq(s.code()));
    }
    let rows = q
        .order_by_desc(offering::Column::UpdatedAt)
        .all(&app.db)
        .await?;
    let terms: HashMap<i64, TermSpan> =
        calendar::spans(&app.db, rows.iter().map(|o| o.term_id).collect())
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
    let mut items = items_of(&app.db, rows.iter().map(|o| o.id).collect()).await?;
    let mut policies: HashMap<i64, Policy> = HashMap::new();
    let today = app.today();
    let mut out = Vec::new();
    for o in rows {
        let (Some(school), Some(term)) = (schools.get(&o.school_id), terms.get(&o.term_id)) else {
            continue;
        };
        let policy = match policies.get(&school.id) {
            Some(p) => *p,
            None => {
                let p = policy::for_path(&app.db, &school.path).await?;
                policies.insert(school.id, p);
                p
            }
        };
        let own = items.remove(&o.id).unwrap_or_default();
        out.push(assemble(today, school, term, Some(o), own, policy));
    }
    Ok(out)
}

/// The courses a school may add: its own active courses and the active courses of the
/// admitted institutions of the bureaus above it.
pub async fn choices(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<CourseChoice>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::OfferingManage).await?;
    let rules = policy::for_path(&app.db, &school.path).await?;
    let institutions: Vec<org::Model> = org::Entity::find()
        .filter(org::Column::Kind.eq(OrgKind::Institution.code()))
        .filter(
            org::Column::Id.is_in(
                crate::institution::admitted(&app.db, admitted_candidates(&app.db, &school).await?)
                    .await?,
            ),
        )
        .all(&app.db)
        .await?;
    let mut owners: HashMap<i64, (String, bool)> = institutions
        .into_iter()
        .map(|o| (o.id, (o.name, true)))
        .collect();
    owners.insert(school.id, (school.name.clone(), false));
    let rows = course::Entity::find()
        .filter(course::Column::OwnerOrgId.is_in(owners.keys().copied()))
        .filter(course::Column::Active.eq(true))
        .order_by_asc(course::Column::OwnerOrgId)
        .order_by_asc(course::Column::Name)
        .all(&app.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let admitted = library::admitted_above(&app.db, Kind::Course, &ids, &school.path).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let (owner_name, institution) =
                owners.get(&c.owner_org_id).cloned().unwrap_or_default();
            let category = Category::parse(&c.category).unwrap_or(Category::Quality);
            let needs = institution || category == Category::Featured;
            CourseChoice {
                course_id: c.id,
                name: c.name,
                category_label: category.label(),
                owner_name,
                institution,
                admitted: admitted.contains(&c.id),
                allowed: !(rules.only_admitted && needs) || admitted.contains(&c.id),
            }
        })
        .collect())
}

/// The institutions of the bureaus above a school (not yet filtered by admission).
async fn admitted_candidates(db: &impl ConnectionTrait, school: &org::Model) -> Result<Vec<i64>> {
    let bureaus = library::ancestors(&school.path);
    Ok(org::Entity::find()
        .filter(org::Column::Kind.eq(OrgKind::Institution.code()))
        .filter(org::Column::ParentId.is_in(bureaus))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect())
}

/// The teachers an item of a course may name this term: the school's staff for its own
/// courses, the institution's teachers dispatched to the school for the term otherwise.
pub async fn teacher_choices(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    course_id: i64,
) -> Result<Vec<(i64, String)>> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    let c = super::catalog::load(&app.db, actor, course_id).await?;
    if c.owner_org_id == school.id {
        return crate::school::staff::active_staff(&app.db, school.id).await;
    }
    let mut seen = HashSet::new();
    Ok(
        dispatched_to(&app.db, school.id, term.start_date, term.end_date)
            .await?
            .into_iter()
            .filter(|d| d.institution_id == c.owner_org_id && seen.insert(d.teacher_id))
            .map(|d| {
                (
                    d.teacher_id,
                    format!(
                        "{}（派驻 {} 至 {}）",
                        d.teacher_name, d.starts_on, d.ends_on
                    ),
                )
            })
            .collect(),
    )
}

/// The offered courses of a school's term (none before the first is added).
/// The courses of a term's offering that may run: the offering approved by the bureau (or
/// published) and the course not refused. Teaching classes are made only of these.
pub(crate) async fn approved_items(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Vec<ItemView>> {
    let Some(o) = load_offering(db, school_id, term_id).await? else {
        return Ok(Vec::new());
    };
    let status = OfferingStatus::parse(&o.status);
    if !matches!(
        status,
        Some(OfferingStatus::Approved | OfferingStatus::Published)
    ) {
        return Ok(Vec::new());
    }
    let mut items = items_of(db, vec![o.id])
        .await?
        .remove(&o.id)
        .unwrap_or_default();
    items.retain(|i| i.status == ItemStatus::Approved.code());
    Ok(items)
}

pub(crate) async fn items_for_term(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Vec<ItemView>> {
    Ok(match load_offering(db, school_id, term_id).await? {
        Some(o) => items_of(db, vec![o.id])
            .await?
            .remove(&o.id)
            .unwrap_or_default(),
        None => Vec::new(),
    })
}

/// Refuses changes to a past term's offering and to one that is not being built.
fn check_editable(term: &TermView, o: Option<&offering::Model>, today: NaiveDate) -> Result<()> {
    if term.end_date < today {
        return Err(Error::conflict("往届学期的开课计划已归档，不能修改"));
    }
    let status = o
        .and_then(|o| OfferingStatus::parse(&o.status))
        .unwrap_or(OfferingStatus::Draft);
    if !status.editable() {
        return Err(Error::conflict(format!(
            "开课计划{}，不能修改",
            status.label()
        )));
    }
    Ok(())
}

/// What an item stores besides its offering.
struct CheckedItem {
    course: course::Model,
    institution_id: Option<i64>,
    price_fen: i64,
    price_unit: String,
    textbook_fee_fen: i64,
    misc_fee_fen: i64,
    grades: Vec<i32>,
    capacity: i32,
    care: Option<(CareTime, Vec<i32>)>,
    parts: Vec<String>,
    teachers: Vec<ItemTeacher>,
}

fn fee(invalid: &mut Invalid, field: &str, v: Option<i64>, old: i64) -> i64 {
    let v = v.unwrap_or(old);
    if !(0..=FEE_MAX).contains(&v) {
        invalid.push(field, "费用应在0到2000元之间");
    }
    v
}

async fn check_item(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school: &org::Model,
    term: &TermView,
    input: &ItemInput,
    current: Option<&ItemView>,
) -> Result<CheckedItem> {
    let mut invalid = Invalid::default();
    let course_id = current.map(|c| c.course_id).or(input.course_id);
    if current.is_some() && input.course_id.is_some_and(|id| Some(id) != course_id) {
        invalid.push("course_id", "课程不能更换，请删除后重新添加");
    }
    let Some(course_id) = course_id else {
        invalid.push("course_id", "请选择课程");
        check(invalid)?;
        return Err(Error::Internal("validation".into()));
    };
    let course = match super::catalog::load(db, actor, course_id).await {
        Ok(c) => c,
        Err(Error::NotFound(_)) => {
            return Err(Error::invalid("course_id", "课程不存在或不能开设"));
        }
        Err(e) => return Err(e),
    };
    let own = course.owner_org_id == school.id;
    let institution_id = (!own).then_some(course.owner_org_id);
    if current.is_none() && !course.active {
        invalid.push("course_id", "该课程已停用");
    }
    if let Some(id) = institution_id {
        let owner = org::Entity::find_by_id(id).one(db).await?;
        let fine = match &owner {
            Some(o) => offerable_to(db, actor, o).await?,
            None => false,
        };
        if !fine {
            invalid.push("course_id", "该机构未入驻或已被暂停，不能开设其课程");
        }
    }
    let category = Category::parse(&course.category).unwrap_or(Category::Quality);
    let rules = policy::for_path(db, &school.path).await?;
    let needs_admission =
        rules.only_admitted && (institution_id.is_some() || category == Category::Featured);
    if needs_admission
        && library::admitted_above(db, Kind::Course, &[course.id], &school.path)
            .await?
            .is_empty()
    {
        invalid.push("course_id", "教育局要求只开设入库课程，该课程尚未入库");
    }
    // The price comes from the spec, for the term's first day.
    let price = super::catalog::term_price(db, course.spec_id, term.start_date).await?;
    let (price_fen, price_unit) = match price {
        Some((f, unit)) => (f.fen(), unit),
        None => {
            invalid.push("course_id", "该课程的规格在学期开始日没有价格");
            (0, String::new())
        }
    };
    if input.price_fen.is_some_and(|p| p != price_fen) {
        invalid.push(
            "price_fen",
            format!("价格取自课程规格（¥{}），不能自行填写", Fen(price_fen)),
        );
    }
    let textbook_fee_fen = fee(
        &mut invalid,
        "textbook_fee_fen",
        input.textbook_fee_fen,
        current.map_or(0, |c| c.textbook_fee_fen),
    );
    let misc_fee_fen = fee(
        &mut invalid,
        "misc_fee_fen",
        input.misc_fee_fen,
        current.map_or(0, |c| c.misc_fee_fen),
    );
    let course_grades = split_numbers(&course.grades);
    let grades = match &input.grades {
        Some(g) => invalid
            .take("grades", parse_numbers(g, 1..=12))
            .unwrap_or_default(),
        None => current.map_or(course_grades.clone(), |c| c.grades.clone()),
    };
    if grades.is_empty() {
        invalid.push("grades", "请选择年级");
    } else if let Some(g) = grades.iter().find(|g| !course_grades.contains(g)) {
        invalid.push(
            "grades",
            format!(
                "{}不在课程的适用年级（{}）内",
                grade_names(&[*g]),
                grade_names(&course_grades)
            ),
        );
    }
    let capacity = input
        .capacity
        .unwrap_or(current.map_or(course.class_size_max, |c| c.capacity));
    if !(1..=CAPACITY_MAX).contains(&capacity) {
        invalid.push("capacity", format!("计划人数应在1到{CAPACITY_MAX}之间"));
    }
    let care_time = match (&input.care_time, current) {
        (Some(t), _) if t.is_empty() => None,
        (Some(t), _) => match CareTime::parse(t) {
            Some(c) => Some(c),
            None => {
                invalid.push("care_time", "托管时段须为 noon（午托）或 evening（晚托）");
                None
            }
        },
        (None, Some(c)) => c.care_time.as_deref().and_then(CareTime::parse),
        (None, None) => None,
    };
    let care_days = match (&input.care_days, current) {
        (Some(d), _) => invalid
            .take("care_days", parse_numbers(d, 1..=7))
            .unwrap_or_default(),
        (None, Some(c)) => c.care_days.clone(),
        (None, None) => Vec::new(),
    };
    let care = match care_time {
        Some(_) if category != Category::Care => {
            invalid.push("care_time", "只有托管类课程可以设置午托、晚托");
            None
        }
        Some(_) if care_days.is_empty() => {
            invalid.push("care_days", "请选择托管的星期");
            None
        }
        Some(t) => Some((t, care_days)),
        None if !care_days.is_empty() => {
            invalid.push("care_time", "请选择午托或晚托");
            None
        }
        None => None,
    };
    let parts = match &input.parts {
        Some(list) if list.len() > PARTS_MAX => {
            invalid.push("parts", format!("子项目最多{PARTS_MAX}个"));
            Vec::new()
        }
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for (i, p) in list.iter().enumerate() {
                if let Some(p) = invalid.text(&format!("parts.{i}"), p, 50) {
                    if out.contains(&p) {
                        invalid.push(&format!("parts.{i}"), format!("子项目“{p}”重复"));
                    }
                    out.push(p);
                }
            }
            if out.len() == 1 {
                invalid.push("parts", "系列课至少两个子项目；单一课程不填");
            }
            out
        }
        None => current.map(|c| c.parts.clone()).unwrap_or_default(),
    };
    let teachers = check_teachers(
        db,
        &mut invalid,
        school,
        term,
        &course,
        own,
        input,
        current,
        needs_admission,
    )
    .await?;
    if teachers.is_empty() && category != Category::Care {
        invalid.push(
            if own { "staff_ids" } else { "teacher_ids" },
            "请选择任课教师",
        );
    }
    check(invalid)?;
    Ok(CheckedItem {
        course,
        institution_id,
        price_fen,
        price_unit,
        textbook_fee_fen,
        misc_fee_fen,
        grades,
        capacity,
        care,
        parts,
        teachers,
    })
}

#[allow(clippy::too_many_arguments)]
async fn check_teachers(
    db: &impl ConnectionTrait,
    invalid: &mut Invalid,
    school: &org::Model,
    term: &TermView,
    course: &course::Model,
    own: bool,
    input: &ItemInput,
    current: Option<&ItemView>,
    needs_admission: bool,
) -> Result<Vec<ItemTeacher>> {
    let staff_ids = input.staff_ids.clone().unwrap_or_else(|| {
        current
            .map(|c| c.teachers.iter().filter_map(|t| t.staff_id).collect())
            .unwrap_or_default()
    });
    let teacher_ids = input.teacher_ids.clone().unwrap_or_else(|| {
        current
            .map(|c| {
                c.teachers
                    .iter()
                    .filter_map(|t| t.institution_teacher_id)
                    .collect()
            })
            .unwrap_or_default()
    });
    let mut out = Vec::new();
    if own {
        if !teacher_ids.is_empty() {
            invalid.push("teacher_ids", "本校课程由本校教师任教");
        }
        let staff: HashMap<i64, String> = crate::school::staff::active_staff(db, school.id)
            .await?
            .into_iter()
            .collect();
        for id in dedup(staff_ids) {
            match staff.get(&id) {
                Some(name) => out.push(ItemTeacher {
                    staff_id: Some(id),
                    institution_teacher_id: None,
                    name: name.clone(),
                }),
                None => invalid.push("staff_ids", "任课教师须为本校在职教职工"),
            }
        }
        let featured = course.category == Category::Featured.code();
        if needs_admission && featured {
            let ids: Vec<i64> = out.iter().filter_map(|t| t.staff_id).collect();
            let admitted = library::admitted_above(db, Kind::Staff, &ids, &school.path).await?;
            if let Some(t) = out
                .iter()
                .find(|t| !t.staff_id.is_some_and(|id| admitted.contains(&id)))
            {
                invalid.push(
                    "staff_ids",
                    format!("教育局要求只选用入库师资，{}尚未入库", t.name),
                );
            }
        }
        return Ok(out);
    }
    if !staff_ids.is_empty() {
        invalid.push("staff_ids", "机构课程由机构派驻教师任教");
    }
    let dispatched: Vec<Dispatched> = dispatched_to(db, school.id, term.start_date, term.end_date)
        .await?
        .into_iter()
        .filter(|d| d.institution_id == course.owner_org_id)
        .collect();
    for id in dedup(teacher_ids) {
        match dispatched.iter().find(|d| d.teacher_id == id) {
            Some(d) => out.push(ItemTeacher {
                staff_id: None,
                institution_teacher_id: Some(id),
                name: d.teacher_name.clone(),
            }),
            None => invalid.push(
                "teacher_ids",
                format!(
                    "该教师没有在本学期（{} 至 {}）派驻到本校",
                    term.start_date, term.end_date
                ),
            ),
        }
    }
    if needs_admission {
        let ids: Vec<i64> = out
            .iter()
            .filter_map(|t| t.institution_teacher_id)
            .collect();
        let admitted = library::admitted_above(db, Kind::Teacher, &ids, &school.path).await?;
        if let Some(t) = out.iter().find(|t| {
            !t.institution_teacher_id
                .is_some_and(|id| admitted.contains(&id))
        }) {
            invalid.push(
                "teacher_ids",
                format!("教育局要求只选用入库师资，{}尚未入库", t.name),
            );
        }
    }
    Ok(out)
}

fn dedup(mut ids: Vec<i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}

/// Removes an item's teachers and parts (before they are stored again, or the item goes).
async fn clear_item_parts(db: &impl ConnectionTrait, item_id: i64) -> Result<()> {
    offering_teacher::Entity::delete_many()
        .filter(offering_teacher::Column::ItemId.eq(item_id))
        .exec(db)
        .await?;
    offering_part::Entity::delete_many()
        .filter(offering_part::Column::ItemId.eq(item_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the bureau's decision of every item of an offering at once.
async fn set_item_statuses(
    db: &impl ConnectionTrait,
    offering_id: i64,
    status: ItemStatus,
) -> Result<()> {
    offering_item::Entity::update_many()
        .col_expr(
            offering_item::Column::Status,
            kehou_store::sea_orm::sea_query::Expr::value(status.code()),
        )
        .col_expr(
            offering_item::Column::Reason,
            kehou_store::sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(offering_item::Column::OfferingId.eq(offering_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn store_item_parts(db: &impl ConnectionTrait, item_id: i64, c: &CheckedItem) -> Result<()> {
    clear_item_parts(db, item_id).await?;
    for t in &c.teachers {
        offering_teacher::ActiveModel {
            item_id: Set(item_id),
            staff_id: Set(t.staff_id),
            institution_teacher_id: Set(t.institution_teacher_id),
            name: Set(t.name.clone()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (i, name) in c.parts.iter().enumerate() {
        offering_part::ActiveModel {
            item_id: Set(item_id),
            position: Set(i as i32 + 1),
            name: Set(name.clone()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn record(
    db: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    school: &org::Model,
    offering_id: i64,
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
            entity_type: "offering",
            entity_id: Some(offering_id),
            summary,
        },
    )
    .await
}

/// The offering of a term, made when the first course is added.
async fn offering_row(
    app: &App,
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<offering::Model> {
    if let Some(o) = load_offering(db, school_id, term_id).await? {
        return Ok(o);
    }
    let now = app.now();
    offering::ActiveModel {
        school_id: Set(school_id),
        term_id: Set(term_id),
        status: Set(OfferingStatus::Draft.code().into()),
        reason: Set(None),
        submitted_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        published_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(Error::unique("term_id", "开课计划正在被其他人创建，请刷新"))
}

async fn touch(app: &App, db: &impl ConnectionTrait, o: offering::Model) -> Result<()> {
    let mut m = o.into_active_model();
    m.updated_at = Set(app.now());
    m.update(db).await?;
    Ok(())
}

/// Adds a course to a term's offering.
pub async fn add_item(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: ItemInput,
) -> Result<ItemView> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    check_editable(
        &term,
        load_offering(&app.db, school.id, term.id).await?.as_ref(),
        app.today(),
    )?;
    let c = check_item(&app.db, actor, &school, &term, &input, None).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = offering_row(app, &txn, school.id, term.id).await?;
    check_editable(&term, Some(&o), app.today())?;
    let item = offering_item::ActiveModel {
        offering_id: Set(o.id),
        course_id: Set(c.course.id),
        name: Set(c.course.name.clone()),
        category: Set(c.course.category.clone()),
        institution_id: Set(c.institution_id),
        spec_id: Set(c.course.spec_id),
        price_fen: Set(c.price_fen),
        price_unit: Set(c.price_unit.clone()),
        textbook_fee_fen: Set(c.textbook_fee_fen),
        misc_fee_fen: Set(c.misc_fee_fen),
        grades: Set(join_numbers(&c.grades)),
        capacity: Set(c.capacity),
        care_time: Set(c.care.as_ref().map(|(t, _)| t.code().to_string())),
        care_days: Set(c.care.as_ref().map(|(_, d)| join_numbers(d))),
        status: Set(ItemStatus::Pending.code().into()),
        reason: Set(None),
        created_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("course_id", "该课程已在本学期开课计划中"))?;
    store_item_parts(&txn, item.id, &c).await?;
    record(
        &txn,
        app,
        actor,
        &school,
        o.id,
        "offering.item_add",
        format!(
            "{}开课计划添加“{}”（¥{} {}，教材费¥{}，杂费¥{}）",
            term.name,
            item.name,
            Fen(c.price_fen),
            PriceUnit::parse(&c.price_unit).map_or("", PriceUnit::label),
            Fen(c.textbook_fee_fen),
            Fen(c.misc_fee_fen)
        ),
    )
    .await?;
    touch(app, &txn, o).await?;
    txn.commit().await?;
    item_views(&app.db, vec![item])
        .await?
        .pop()
        .ok_or(Error::NotFound("开课课程"))
}

async fn load_item(
    db: &impl ConnectionTrait,
    offering_id: i64,
    item_id: i64,
) -> Result<offering_item::Model> {
    offering_item::Entity::find_by_id(item_id)
        .filter(offering_item::Column::OfferingId.eq(offering_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("开课课程"))
}

/// Changes an offered course: fees, grades, capacity, teachers, care days, parts.
pub async fn update_item(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    item_id: i64,
    input: ItemInput,
) -> Result<ItemView> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    let o = load_offering(&app.db, school.id, term.id)
        .await?
        .ok_or(Error::NotFound("开课课程"))?;
    let row = load_item(&app.db, o.id, item_id).await?;
    check_editable(&term, Some(&o), app.today())?;
    let current = item_views(&app.db, vec![row])
        .await?
        .pop()
        .ok_or(Error::NotFound("开课课程"))?;
    let c = check_item(&app.db, actor, &school, &term, &input, Some(&current)).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = load_offering(&txn, school.id, term.id)
        .await?
        .ok_or(Error::NotFound("开课课程"))?;
    check_editable(&term, Some(&o), app.today())?;
    let row = load_item(&txn, o.id, item_id).await?;
    let mut m = row.into_active_model();
    // The price stays what the term was given when the course was added.
    m.textbook_fee_fen = Set(c.textbook_fee_fen);
    m.misc_fee_fen = Set(c.misc_fee_fen);
    m.grades = Set(join_numbers(&c.grades));
    m.capacity = Set(c.capacity);
    m.care_time = Set(c.care.as_ref().map(|(t, _)| t.code().to_string()));
    m.care_days = Set(c.care.as_ref().map(|(_, d)| join_numbers(d)));
    m.status = Set(ItemStatus::Pending.code().into());
    m.reason = Set(None);
    let item = m.update(&txn).await?;
    store_item_parts(&txn, item.id, &c).await?;
    record(
        &txn,
        app,
        actor,
        &school,
        o.id,
        "offering.item_update",
        format!("{}开课计划修改“{}”", term.name, item.name),
    )
    .await?;
    touch(app, &txn, o).await?;
    txn.commit().await?;
    item_views(&app.db, vec![item])
        .await?
        .pop()
        .ok_or(Error::NotFound("开课课程"))
}

/// Takes a course out of a term's offering.
pub async fn remove_item(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    item_id: i64,
) -> Result<()> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = load_offering(&txn, school.id, term.id)
        .await?
        .ok_or(Error::NotFound("开课课程"))?;
    let item = load_item(&txn, o.id, item_id).await?;
    check_editable(&term, Some(&o), app.today())?;
    clear_item_parts(&txn, item.id).await?;
    offering_item::Entity::delete_by_id(item.id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        app,
        actor,
        &school,
        o.id,
        "offering.item_remove",
        format!("{}开课计划删除“{}”", term.name, item.name),
    )
    .await?;
    touch(app, &txn, o).await?;
    txn.commit().await?;
    Ok(())
}

/// Starts a term's offering from the school's latest earlier term that had one. Each
/// course is taken again with the new term's price; a course no longer offerable, or a
/// teacher no longer there, is left out and named in the answer.
pub async fn copy_last(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<(OfferingView, Vec<String>)> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    let current = load_offering(&app.db, school.id, term.id).await?;
    check_editable(&term, current.as_ref(), app.today())?;
    if let Some(o) = &current
        && offering_item::Entity::find()
            .filter(offering_item::Column::OfferingId.eq(o.id))
            .one(&app.db)
            .await?
            .is_some()
    {
        return Err(Error::conflict("本学期开课计划已有课程，不能再复制上学期"));
    }
    let terms = calendar::list_terms(app, actor, school.id).await?;
    let mut source = None;
    // Newest first: the latest earlier term with an offering is the source.
    for t in terms.iter().filter(|t| t.start_date < term.start_date) {
        if let Some(o) = load_offering(&app.db, school.id, t.id).await? {
            source = Some((t.clone(), o));
            break;
        }
    }
    let Some((from, o)) = source else {
        return Err(Error::conflict("没有更早学期的开课计划可以复制"));
    };
    let rows = offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.eq(o.id))
        .order_by_asc(offering_item::Column::Id)
        .all(&app.db)
        .await?;
    let old = item_views(&app.db, rows).await?;
    // Who can still teach here this term, read once for all the courses.
    let staff_here: HashSet<i64> = crate::school::staff::active_staff(&app.db, school.id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let dispatched_here: HashSet<i64> =
        dispatched_to(&app.db, school.id, term.start_date, term.end_date)
            .await?
            .into_iter()
            .map(|d| d.teacher_id)
            .collect();
    let mut left_out = Vec::new();
    let mut copied = 0;
    for item in old {
        // Teachers no longer dispatched are dropped one by one; the rest are kept.
        let mut input = ItemInput {
            course_id: Some(item.course_id),
            textbook_fee_fen: Some(item.textbook_fee_fen),
            misc_fee_fen: Some(item.misc_fee_fen),
            grades: Some(item.grades.clone()),
            capacity: Some(item.capacity),
            staff_ids: Some(item.teachers.iter().filter_map(|t| t.staff_id).collect()),
            teacher_ids: Some(
                item.teachers
                    .iter()
                    .filter_map(|t| t.institution_teacher_id)
                    .collect(),
            ),
            care_time: item.care_time.clone(),
            care_days: Some(item.care_days.clone()),
            parts: Some(item.parts.clone()),
            price_fen: None,
        };
        if let Some(ids) = input.staff_ids.as_mut() {
            ids.retain(|id| staff_here.contains(id));
        }
        if let Some(ids) = input.teacher_ids.as_mut() {
            ids.retain(|id| dispatched_here.contains(id));
        }
        match add_item(app, actor, school.id, term.id, input).await {
            Ok(_) => copied += 1,
            Err(Error::Invalid(errors)) => left_out.push(format!(
                "{}：{}",
                item.name,
                errors
                    .iter()
                    .map(|e| e.reason.clone())
                    .collect::<Vec<_>>()
                    .join("；")
            )),
            Err(e) => return Err(e),
        }
    }
    if copied > 0
        && let Some(o) = load_offering(&app.db, school.id, term.id).await?
    {
        record(
            &app.db,
            app,
            actor,
            &school,
            o.id,
            "offering.copy",
            format!(
                "从{} {}复制开课计划：{copied}门课程{}",
                from.school_year,
                from.name,
                if left_out.is_empty() {
                    String::new()
                } else {
                    format!("，{}门未复制", left_out.len())
                }
            ),
        )
        .await?;
    }
    Ok((get(app, actor, school.id, term.id).await?, left_out))
}

/// The school submits, withdraws or publishes its offering.
pub async fn school_action(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    action: Option<OfferingAction>,
) -> Result<OfferingView> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingManage).await?;
    let action = match action {
        Some(a @ (OfferingAction::Submit | OfferingAction::Withdraw | OfferingAction::Publish)) => {
            a
        }
        _ => {
            return Err(Error::invalid(
                "action",
                "操作须为 submit、withdraw 或 publish",
            ));
        }
    };
    if term.end_date < app.today() {
        return Err(Error::conflict("往届学期的开课计划已归档，不能修改"));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = load_offering(&txn, school.id, term.id)
        .await?
        .ok_or_else(|| Error::conflict("开课计划还没有课程"))?;
    let items = offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.eq(o.id))
        .all(&txn)
        .await?;
    if items.is_empty() {
        return Err(Error::conflict("开课计划还没有课程"));
    }
    let rules = policy::for_path(&txn, &school.path).await?;
    let status = OfferingStatus::parse(&o.status).unwrap_or(OfferingStatus::Draft);
    let next = status
        .next(action, rules.needs_approval)
        .map_err(Error::conflict)?;
    let offering_id = o.id;
    let mut m = o.into_active_model();
    m.status = Set(next.code().into());
    m.updated_at = Set(now);
    match action {
        OfferingAction::Submit => {
            m.submitted_at = Set(Some(now));
            m.reason = Set(None);
            set_item_statuses(&txn, offering_id, ItemStatus::Pending).await?;
        }
        OfferingAction::Publish => {
            m.published_at = Set(Some(now));
            if status != OfferingStatus::Approved {
                // Published without approval: every course stands.
                set_item_statuses(&txn, offering_id, ItemStatus::Approved).await?;
            }
        }
        _ => {}
    }
    m.update(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &school,
        offering_id,
        &format!("offering.{}", action.code()),
        format!(
            "{}开课计划{}（{}门课程）",
            term.name,
            action.label(),
            items.len()
        ),
    )
    .await?;
    let told = match (action, school.parent_id) {
        (OfferingAction::Submit, Some(bureau)) => {
            super::tell(
                &txn,
                bureau,
                Permission::OfferingApprove,
                format!("{}提交了{}开课计划，请审批", school.name, term.name),
                format!("/offerings/{}/{}", school.id, term.id),
                now,
            )
            .await?
        }
        _ => Vec::new(),
    };
    txn.commit().await?;
    super::announce(app, &told);
    get(app, actor, school.id, term.id).await
}

/// The bureau approves a submitted offering (refusing some courses, with reasons) or
/// rejects it as a whole.
pub async fn decide(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    d: Decision,
) -> Result<OfferingView> {
    let (school, term) =
        school_and_term(app, actor, school_id, term_id, Permission::OfferingApprove).await?;
    if actor.org_kind != OrgKind::Bureau && !actor.is_platform() {
        return Err(Error::Forbidden("开课审批由教育局进行".into()));
    }
    let mut invalid = Invalid::default();
    let action = match d.action.as_deref().and_then(OfferingAction::parse) {
        Some(a @ (OfferingAction::Approve | OfferingAction::Reject)) => Some(a),
        _ => {
            invalid.push("action", "操作须为 approve 或 reject");
            None
        }
    };
    let reason = invalid
        .optional_text("reason", d.reason.as_deref(), 500)
        .flatten();
    if action == Some(OfferingAction::Reject) && reason.is_none() {
        invalid.push("reason", "请填写驳回理由");
    }
    if action == Some(OfferingAction::Reject) && !d.refused.is_empty() {
        invalid.push("refused", "整体驳回时不逐门审批");
    }
    let mut refused: HashMap<i64, String> = HashMap::new();
    for (i, r) in d.refused.iter().enumerate() {
        if let Some(text) = invalid.text(&format!("refused.{i}"), &r.reason, 200) {
            refused.insert(r.item_id, text);
        }
    }
    check(invalid)?;
    let Some(action) = action else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = load_offering(&txn, school.id, term.id)
        .await?
        .ok_or(Error::NotFound("开课计划"))?;
    let status = OfferingStatus::parse(&o.status).unwrap_or(OfferingStatus::Draft);
    let next = status.next(action, true).map_err(Error::conflict)?;
    let items = offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.eq(o.id))
        .all(&txn)
        .await?;
    if let Some(id) = refused
        .keys()
        .find(|id| !items.iter().any(|i| i.id == **id))
    {
        return Err(Error::invalid(
            "refused",
            format!("开课课程 {id} 不在该开课计划中"),
        ));
    }
    if action == OfferingAction::Approve && refused.len() == items.len() {
        return Err(Error::invalid(
            "refused",
            "不能逐门驳回全部课程，请整体驳回",
        ));
    }
    if action == OfferingAction::Approve {
        // Everything stands but the courses refused, each with its reason.
        set_item_statuses(&txn, o.id, ItemStatus::Approved).await?;
        for item in items
            .iter()
            .filter(|i| refused.contains_key(&i.id))
            .cloned()
        {
            let reason = refused.get(&item.id).cloned();
            let mut m = item.into_active_model();
            m.status = Set(ItemStatus::Rejected.code().into());
            m.reason = Set(reason);
            m.update(&txn).await?;
        }
    }
    let offering_id = o.id;
    let mut m = o.into_active_model();
    m.status = Set(next.code().into());
    m.reason = Set(reason.clone());
    m.decided_at = Set(Some(now));
    m.decided_by = Set(Some(actor.user_name.clone()));
    m.updated_at = Set(now);
    m.update(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &school,
        offering_id,
        &format!("offering.{}", action.code()),
        format!(
            "{} {}开课计划{}{}{}",
            school.name,
            term.name,
            action.label(),
            if refused.is_empty() {
                String::new()
            } else {
                format!("，{}门课程未通过", refused.len())
            },
            reason
                .as_deref()
                .map(|r| format!("：{r}"))
                .unwrap_or_default()
        ),
    )
    .await?;
    let told = super::tell(
        &txn,
        school.id,
        Permission::OfferingManage,
        format!("{}开课计划：{}", term.name, next.label()),
        format!("/schools/{}/offering?term={}", school.id, term.id),
        now,
    )
    .await?;
    txn.commit().await?;
    super::announce(app, &told);
    get(app, actor, school.id, term.id).await
}

/// An offered course and its offering's school and term, locked until the caller's
/// transaction ends: enroll-first selections count its seats one at a time.
pub(crate) async fn lock_item(
    db: &impl ConnectionTrait,
    item_id: i64,
) -> Result<Option<(offering_item::Model, offering::Model)>> {
    use kehou_store::sea_orm::QuerySelect;
    let item = offering_item::Entity::find_by_id(item_id)
        .lock_exclusive()
        .one(db)
        .await?;
    with_offering(db, item).await
}

/// An offered course and its offering's school and term.
pub(crate) async fn item_with_offering(
    db: &impl ConnectionTrait,
    item_id: i64,
) -> Result<Option<(offering_item::Model, offering::Model)>> {
    let item = offering_item::Entity::find_by_id(item_id).one(db).await?;
    with_offering(db, item).await
}

async fn with_offering(
    db: &impl ConnectionTrait,
    item: Option<offering_item::Model>,
) -> Result<Option<(offering_item::Model, offering::Model)>> {
    let Some(item) = item else {
        return Ok(None);
    };
    Ok(offering::Entity::find_by_id(item.offering_id)
        .one(db)
        .await?
        .map(|o| (item, o)))
}

/// Offered courses by id with their course's number of lessons and intro, for enrollment.
pub(crate) async fn items_by_id(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<HashMap<i64, (offering_item::Model, i32, String)>> {
    let items = offering_item::Entity::find()
        .filter(offering_item::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let courses: HashMap<i64, (i32, String)> = course::Entity::find()
        .filter(course::Column::Id.is_in(items.iter().map(|i| i.course_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.lesson_count, c.intro)))
        .collect();
    Ok(items
        .into_iter()
        .map(|i| {
            let (lessons, intro) = courses.get(&i.course_id).cloned().unwrap_or_default();
            (i.id, (i, lessons, intro))
        })
        .collect())
}

/// The names of offered courses by id.
pub(crate) async fn item_names(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(offering_item::Entity::find()
        .filter(offering_item::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect())
}

/// Whether a school has ever offered a course (any term, approved item): what lets its
/// parents see the course's pictures.
pub(crate) async fn school_offers(
    db: &impl ConnectionTrait,
    school_id: i64,
    course_id: i64,
) -> Result<bool> {
    let offerings: Vec<i64> = offering::Entity::find()
        .filter(offering::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    if offerings.is_empty() {
        return Ok(false);
    }
    Ok(offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.is_in(offerings))
        .filter(offering_item::Column::CourseId.eq(course_id))
        .filter(offering_item::Column::Status.eq(ItemStatus::Approved.code()))
        .one(db)
        .await?
        .is_some())
}

/// Whether the school's offering of a term has a course with something to pay.
pub(crate) async fn has_priced_items(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<bool> {
    let offerings: Vec<i64> = offering::Entity::find()
        .filter(offering::Column::SchoolId.eq(school_id))
        .filter(offering::Column::TermId.eq(term_id))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    if offerings.is_empty() {
        return Ok(false);
    }
    Ok(offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.is_in(offerings))
        .all(db)
        .await?
        .iter()
        .any(|i| i.price_fen > 0 || i.textbook_fee_fen > 0 || i.misc_fee_fen > 0))
}
