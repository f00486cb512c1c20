//! Courses of schools and institutions (D6, D11): name, category, the spec their price
//! comes from, an intro, target grades, class size within the spec's band, the number and
//! length of lessons, a syllabus of numbered chapters and auxiliary materials. A school's
//! own courses are taught by its staff; an institution's by its dispatched teachers.

use std::collections::HashMap;

use kehou_domain::course::{Category, join_numbers, parse_numbers, split_numbers};
use kehou_domain::school::grade_name;
use kehou_domain::{Fen, Invalid, OrgKind, Permission};
use kehou_store::entity::course::{catalog as course, chapter, course_file, material, spec};
use kehou_store::entity::org;
use kehou_store::sea_orm::sea_query::Query;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::library::{self, EntryView};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

pub const CHAPTERS_MAX: usize = 100;
pub const MATERIALS_MAX: usize = 50;
/// The largest picture or attachment, in bytes.
pub const FILE_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most pictures and attachments a course keeps.
pub const FILES_MAX: usize = 20;

/// What a course's file is: a picture of the intro (PNG or JPEG) or an attachment (also
/// PDF).
pub const FILE_KINDS: &[(&str, &str)] = &[("picture", "图片"), ("attachment", "附件")];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseFileView {
    pub id: i64,
    /// picture or attachment.
    pub kind: String,
    pub kind_label: &'static str,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Chapter {
    pub number: i32,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Material {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseView {
    pub id: i64,
    pub owner_org_id: i64,
    pub owner_name: String,
    /// school or institution.
    pub owner_kind: String,
    pub name: String,
    pub category: String,
    pub category_label: &'static str,
    pub spec_id: i64,
    pub spec_code: String,
    pub spec_name: String,
    /// The spec's price in force today, in yuan, with its unit (每课时 / 每学期).
    pub current_price: String,
    pub price_unit_label: &'static str,
    pub intro: String,
    pub grades: Vec<i32>,
    pub grade_names: String,
    pub class_size_min: i32,
    pub class_size_max: i32,
    pub lesson_count: i32,
    pub lesson_minutes: i32,
    pub active: bool,
    pub chapters: Vec<Chapter>,
    pub materials: Vec<Material>,
    /// Where it stands in the bureaus' course libraries.
    pub library: Vec<EntryView>,
    /// Pictures of the intro and attachments.
    pub files: Vec<CourseFileView>,
}

/// A new course or a change; absent fields keep their value (required on creation).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CourseInput {
    #[schema(required = true)]
    pub name: Option<String>,
    /// care, quality or featured; must be the spec's.
    pub category: Option<String>,
    #[schema(required = true)]
    pub spec_id: Option<i64>,
    pub intro: Option<String>,
    /// Grades 1–12 (一年级 = 1).
    #[schema(required = true)]
    pub grades: Option<Vec<i32>>,
    #[schema(required = true)]
    pub class_size_min: Option<i32>,
    #[schema(required = true)]
    pub class_size_max: Option<i32>,
    #[schema(required = true)]
    pub lesson_count: Option<i32>,
    /// Minutes per lesson.
    #[schema(required = true)]
    pub lesson_minutes: Option<i32>,
    /// The whole syllabus; replaces the stored one.
    pub chapters: Option<Vec<Chapter>>,
    /// Every material; replaces the stored ones.
    pub materials: Option<Vec<Material>>,
    /// false takes the course out of new offerings.
    pub active: Option<bool>,
}

pub(crate) fn grade_names(grades: &[i32]) -> String {
    grades
        .iter()
        .map(|g| grade_name(*g as u8))
        .collect::<Vec<_>>()
        .join("、")
}

async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<course::Model>,
    with_details: bool,
) -> Result<Vec<CourseView>> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let owners: HashMap<i64, org::Model> = org::Entity::find()
        .filter(org::Column::Id.is_in(rows.iter().map(|c| c.owner_org_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let specs = super::spec::by_ids(app, db, rows.iter().map(|c| c.spec_id).collect()).await?;
    let (mut chapters, mut materials, mut files) = (HashMap::new(), HashMap::new(), HashMap::new());
    if with_details {
        for f in course_file::Entity::find()
            .filter(course_file::Column::CourseId.is_in(ids.clone()))
            .order_by_asc(course_file::Column::Id)
            .all(db)
            .await?
        {
            files
                .entry(f.course_id)
                .or_insert_with(Vec::new)
                .push(CourseFileView {
                    id: f.id,
                    kind_label: FILE_KINDS
                        .iter()
                        .find(|(k, _)| *k == f.kind)
                        .map_or("附件", |(_, l)| l),
                    kind: f.kind,
                    file_name: f.file_name,
                    content_type: f.content_type,
                    size: f.size,
                });
        }
        for c in chapter::Entity::find()
            .filter(chapter::Column::CourseId.is_in(ids.clone()))
            .order_by_asc(chapter::Column::Number)
            .all(db)
            .await?
        {
            chapters
                .entry(c.course_id)
                .or_insert_with(Vec::new)
                .push(Chapter {
                    number: c.number,
                    name: c.name,
                });
        }
        for m in material::Entity::find()
            .filter(material::Column::CourseId.is_in(ids.clone()))
            .order_by_asc(material::Column::Position)
            .all(db)
            .await?
        {
            materials
                .entry(m.course_id)
                .or_insert_with(Vec::new)
                .push(Material {
                    name: m.name,
                    description: m.description,
                    quantity: m.quantity,
                });
        }
    }
    let mut entries = library::entries_for(db, library::Kind::Course, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let owner = owners.get(&c.owner_org_id);
            let s = specs.get(&c.spec_id);
            let category = Category::parse(&c.category).unwrap_or(Category::Quality);
            let grades = split_numbers(&c.grades);
            CourseView {
                id: c.id,
                owner_org_id: c.owner_org_id,
                owner_name: owner.map(|o| o.name.clone()).unwrap_or_default(),
                owner_kind: owner.map(|o| o.kind.clone()).unwrap_or_default(),
                name: c.name,
                category: category.code().into(),
                category_label: category.label(),
                spec_id: c.spec_id,
                spec_code: s.map(|s| s.code.clone()).unwrap_or_default(),
                spec_name: s.map(|s| s.name.clone()).unwrap_or_default(),
                current_price: s
                    .and_then(|s| s.current_price.as_ref())
                    .map(|p| p.price.clone())
                    .unwrap_or_default(),
                price_unit_label: s.map_or("", |s| s.price_unit_label),
                intro: c.intro,
                grade_names: grade_names(&grades),
                grades,
                class_size_min: c.class_size_min,
                class_size_max: c.class_size_max,
                lesson_count: c.lesson_count,
                lesson_minutes: c.lesson_minutes,
                active: c.active,
                chapters: chapters.remove(&c.id).unwrap_or_default(),
                materials: materials.remove(&c.id).unwrap_or_default(),
                library: entries.remove(&c.id).unwrap_or_default(),
                files: files.remove(&c.id).unwrap_or_default(),
            }
        })
        .collect())
}

/// Courses whose owner is in the actor's jurisdiction (their own organization's, or for a
/// bureau those of its schools and institutions).
fn in_scope(actor: &Actor) -> Condition {
    Condition::all().add(
        course::Column::OwnerOrgId.in_subquery(
            Query::select()
                .column(org::Column::Id)
                .from(org::Entity)
                .and_where(org::Column::Path.starts_with(&actor.org_path))
                .to_owned(),
        ),
    )
}

/// The courses of one school or institution, by name.
pub async fn list_of(app: &App, actor: &Actor, owner_org_id: i64) -> Result<Vec<CourseView>> {
    actor.require(Permission::InstitutionView)?;
    let o = crate::org::load_in_scope(&app.db, actor, owner_org_id)
        .await
        .map_err(|_| Error::NotFound("机构"))?;
    if o.kind != OrgKind::School.code() && o.kind != OrgKind::Institution.code() {
        return Err(Error::NotFound("机构"));
    }
    let rows = course::Entity::find()
        .filter(course::Column::OwnerOrgId.eq(o.id))
        .order_by_asc(course::Column::Category)
        .order_by_asc(course::Column::Name)
        .all(&app.db)
        .await?;
    views(app, &app.db, rows, false).await
}

/// Every course of the actor's jurisdiction (their own, for schools and institutions).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<CourseView>> {
    let rows = course::Entity::find()
        .filter(in_scope(actor))
        .order_by_asc(course::Column::OwnerOrgId)
        .order_by_asc(course::Column::Category)
        .order_by_asc(course::Column::Name)
        .all(&app.db)
        .await?;
    views(app, &app.db, rows, false).await
}

/// Loads a course the actor may read: in their jurisdiction, or one a school may offer.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<course::Model> {
    let c = course::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("课程"))?;
    let owner = org::Entity::find_by_id(c.owner_org_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("课程"))?;
    if actor.in_scope(&owner.path) || super::offering::offerable_to(db, actor, &owner).await? {
        Ok(c)
    } else {
        Err(Error::NotFound("课程"))
    }
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<CourseView> {
    let c = load(&app.db, actor, id).await?;
    let mut all = views(app, &app.db, vec![c], true).await?;
    all.pop().ok_or(Error::NotFound("课程"))
}

/// The organization whose courses the actor keeps: their own school or institution.
async fn own_org(db: &impl ConnectionTrait, actor: &Actor) -> Result<org::Model> {
    actor.require(Permission::CourseManage)?;
    if !matches!(actor.org_kind, OrgKind::School | OrgKind::Institution) {
        return Err(Error::Forbidden("课程由学校或机构维护".into()));
    }
    org::Entity::find_by_id(actor.org_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("组织机构"))
}

async fn load_own(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<course::Model> {
    actor.require(Permission::CourseManage)?;
    let c = load(db, actor, id).await?;
    let owner = own_org(db, actor).await?;
    if c.owner_org_id != owner.id {
        return Err(Error::Forbidden("只能修改本单位的课程".into()));
    }
    Ok(c)
}

/// A course's fields after checking, ready to store.
struct Checked {
    name: String,
    category: Category,
    spec_id: i64,
    intro: String,
    grades: Vec<i32>,
    class_size_min: i32,
    class_size_max: i32,
    lesson_count: i32,
    lesson_minutes: i32,
    chapters: Option<Vec<Chapter>>,
    materials: Option<Vec<Material>>,
    active: bool,
}

fn check_chapters(invalid: &mut Invalid, list: &[Chapter]) -> Option<Vec<Chapter>> {
    if list.len() > CHAPTERS_MAX {
        invalid.push("chapters", format!("大纲最多{CHAPTERS_MAX}章"));
        return None;
    }
    let mut out: Vec<Chapter> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let field = format!("chapters.{i}");
        if !(1..=999).contains(&c.number) {
            invalid.push(&field, "章节序号应在1到999之间");
        } else if out.iter().any(|o| o.number == c.number) {
            invalid.push(&field, format!("章节序号 {} 重复", c.number));
        }
        if let Some(name) = invalid.text(&field, &c.name, 60) {
            out.push(Chapter {
                number: c.number,
                name,
            });
        }
    }
    out.sort_by_key(|c| c.number);
    Some(out)
}

fn check_materials(invalid: &mut Invalid, list: &[Material]) -> Option<Vec<Material>> {
    if list.len() > MATERIALS_MAX {
        invalid.push("materials", format!("教辅材料最多{MATERIALS_MAX}项"));
        return None;
    }
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let field = format!("materials.{i}");
        let name = invalid.text(&field, &m.name, 50);
        let description = invalid
            .optional_text(&field, Some(&m.description), 200)
            .map(Option::unwrap_or_default);
        if !(1..=9999).contains(&m.quantity) {
            invalid.push(&field, "数量应在1到9999之间");
        }
        if let (Some(name), Some(description)) = (name, description) {
            out.push(Material {
                name,
                description,
                quantity: m.quantity,
            });
        }
    }
    Some(out)
}

async fn checked(
    app: &App,
    actor: &Actor,
    input: &CourseInput,
    current: Option<&course::Model>,
) -> Result<Checked> {
    let mut invalid = Invalid::default();
    let name = match (&input.name, current) {
        (Some(n), _) => invalid.text("name", n, 50),
        (None, Some(c)) => Some(c.name.clone()),
        (None, None) => invalid.text("name", "", 50),
    };
    let spec_id = input.spec_id.or(current.map(|c| c.spec_id));
    let spec = match spec_id {
        None => {
            invalid.push("spec_id", "请选择课程规格");
            None
        }
        Some(id) => match super::spec::get(app, actor, id).await {
            Ok(s) => Some(s),
            Err(Error::NotFound(_)) => {
                invalid.push("spec_id", "课程规格不存在");
                None
            }
            Err(e) => return Err(e),
        },
    };
    let today = app.today();
    if let Some(s) = &spec
        && (s.valid_from > today || s.valid_to.is_some_and(|to| to < today))
        && input.spec_id.is_some()
    {
        invalid.push("spec_id", "该课程规格不在有效期内");
    }
    let category = spec.as_ref().and_then(|s| Category::parse(&s.category));
    if let (Some(raw), Some(c)) = (
        input.category.as_deref().filter(|c| !c.is_empty()),
        category,
    ) && raw != c.code()
    {
        invalid.push("category", format!("类别须与课程规格一致（{}）", c.label()));
    }
    let intro = match &input.intro {
        Some(t) => invalid.multiline("intro", Some(t), 2000),
        None => Some(current.map(|c| c.intro.clone()).unwrap_or_default()),
    };
    let grades = match (&input.grades, current) {
        (Some(g), _) => invalid.take("grades", parse_numbers(g, 1..=12)),
        (None, Some(c)) => Some(split_numbers(&c.grades)),
        (None, None) => Some(Vec::new()),
    };
    if grades.as_ref().is_some_and(Vec::is_empty) {
        invalid.push("grades", "请选择适用年级");
    }
    let number =
        |invalid: &mut Invalid, field: &str, v: Option<i32>, old: Option<i32>| match v.or(old) {
            Some(n) => Some(n),
            None => {
                invalid.push(field, "请填写");
                None
            }
        };
    let min = number(
        &mut invalid,
        "class_size_min",
        input.class_size_min,
        current.map(|c| c.class_size_min),
    );
    let max = number(
        &mut invalid,
        "class_size_max",
        input.class_size_max,
        current.map(|c| c.class_size_max),
    );
    if let (Some(min), Some(max), Some(s)) = (min, max, &spec) {
        if min < s.class_size_min || min > s.class_size_max {
            invalid.push(
                "class_size_min",
                format!(
                    "班额须在课程规格的{}-{}人之间",
                    s.class_size_min, s.class_size_max
                ),
            );
        }
        if max < s.class_size_min || max > s.class_size_max {
            invalid.push(
                "class_size_max",
                format!(
                    "班额须在课程规格的{}-{}人之间",
                    s.class_size_min, s.class_size_max
                ),
            );
        } else if min > max {
            invalid.push("class_size_max", "班额上限不能小于下限");
        }
    }
    let lessons = number(
        &mut invalid,
        "lesson_count",
        input.lesson_count,
        current.map(|c| c.lesson_count),
    );
    if lessons.is_some_and(|n| !(1..=200).contains(&n)) {
        invalid.push("lesson_count", "课时数应在1到200之间");
    }
    let minutes = number(
        &mut invalid,
        "lesson_minutes",
        input.lesson_minutes,
        current.map(|c| c.lesson_minutes),
    );
    if minutes.is_some_and(|n| !(20..=240).contains(&n)) {
        invalid.push("lesson_minutes", "每课时长应在20到240分钟之间");
    }
    let chapters = match &input.chapters {
        Some(list) => check_chapters(&mut invalid, list).map(Some),
        None => Some(None),
    };
    if let (Some(Some(ch)), Some(n)) = (&chapters, lessons)
        && ch.len() > n as usize
    {
        invalid.push("chapters", "大纲章节数不能多于课时数");
    }
    let materials = match &input.materials {
        Some(list) => check_materials(&mut invalid, list).map(Some),
        None => Some(None),
    };
    check(invalid)?;
    let (
        Some(name),
        Some(category),
        Some(spec),
        Some(intro),
        Some(grades),
        Some(min),
        Some(max),
        Some(lessons),
        Some(minutes),
        Some(chapters),
        Some(materials),
    ) = (
        name, category, spec, intro, grades, min, max, lessons, minutes, chapters, materials,
    )
    else {
        return Err(Error::Internal("validation".into()));
    };
    Ok(Checked {
        name,
        category,
        spec_id: spec.id,
        intro,
        grades,
        class_size_min: min,
        class_size_max: max,
        lesson_count: lessons,
        lesson_minutes: minutes,
        chapters,
        materials,
        active: input.active.or(current.map(|c| c.active)).unwrap_or(true),
    })
}

async fn store_parts(db: &impl ConnectionTrait, course_id: i64, c: &Checked) -> Result<()> {
    if let Some(chapters) = &c.chapters {
        chapter::Entity::delete_many()
            .filter(chapter::Column::CourseId.eq(course_id))
            .exec(db)
            .await?;
        for ch in chapters {
            chapter::ActiveModel {
                course_id: Set(course_id),
                number: Set(ch.number),
                name: Set(ch.name.clone()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    if let Some(materials) = &c.materials {
        material::Entity::delete_many()
            .filter(material::Column::CourseId.eq(course_id))
            .exec(db)
            .await?;
        for (i, m) in materials.iter().enumerate() {
            material::ActiveModel {
                course_id: Set(course_id),
                position: Set(i as i32 + 1),
                name: Set(m.name.clone()),
                description: Set(m.description.clone()),
                quantity: Set(m.quantity),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// A new course of the actor's school or institution.
pub async fn create(app: &App, actor: &Actor, input: CourseInput) -> Result<CourseView> {
    actor.require(Permission::CourseManage)?;
    let c = checked(app, actor, &input, None).await?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let owner = own_org(&txn, actor).await?;
    let created = course::ActiveModel {
        owner_org_id: Set(owner.id),
        name: Set(c.name.clone()),
        category: Set(c.category.code().into()),
        spec_id: Set(c.spec_id),
        intro: Set(c.intro.clone()),
        grades: Set(join_numbers(&c.grades)),
        class_size_min: Set(c.class_size_min),
        class_size_max: Set(c.class_size_max),
        lesson_count: Set(c.lesson_count),
        lesson_minutes: Set(c.lesson_minutes),
        active: Set(c.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("name", "本单位已有同名课程"))?;
    store_parts(&txn, created.id, &c).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(owner.id),
            org_path: &owner.path,
            action: "course.create",
            entity_type: "course",
            entity_id: Some(created.id),
            summary: format!(
                "新增课程“{}”（{}，{}课时）",
                created.name,
                c.category.label(),
                c.lesson_count
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, created.id).await
}

/// Changes a course of the actor's own organization. Offerings keep what they copied.
pub async fn update(app: &App, actor: &Actor, id: i64, input: CourseInput) -> Result<CourseView> {
    let current = load_own(&app.db, actor, id).await?;
    let c = checked(app, actor, &input, Some(&current)).await?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let current = load_own(&txn, actor, id).await?;
    let owner = own_org(&txn, actor).await?;
    let mut m = current.clone().into_active_model();
    m.name = Set(c.name.clone());
    m.category = Set(c.category.code().into());
    m.spec_id = Set(c.spec_id);
    m.intro = Set(c.intro.clone());
    m.grades = Set(join_numbers(&c.grades));
    m.class_size_min = Set(c.class_size_min);
    m.class_size_max = Set(c.class_size_max);
    m.lesson_count = Set(c.lesson_count);
    m.lesson_minutes = Set(c.lesson_minutes);
    m.active = Set(c.active);
    m.updated_at = Set(now);
    let updated = m
        .update(&txn)
        .await
        .map_err(Error::unique("name", "本单位已有同名课程"))?;
    store_parts(&txn, id, &c).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(owner.id),
            org_path: &owner.path,
            action: "course.update",
            entity_type: "course",
            entity_id: Some(id),
            summary: format!("修改课程“{}”", updated.name),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, id).await
}

/// The specs a course may use: the actor's city's, valid today.
pub async fn spec_choices(app: &App, actor: &Actor) -> Result<Vec<(i64, String)>> {
    let filter = super::spec::SpecFilter {
        category: None,
        valid_on: Some(app.today()),
    };
    Ok(super::spec::list(app, actor, &filter)
        .await?
        .into_iter()
        .map(|s| {
            let price = s.current_price.map_or(String::new(), |p| {
                format!("，¥{} {}", p.price, s.price_unit_label)
            });
            (
                s.id,
                format!(
                    "{}（{}，{}-{}人{price}）",
                    s.name, s.category_label, s.class_size_min, s.class_size_max
                ),
            )
        })
        .collect())
}

/// The price in fen a spec gives a term starting on `start`, for offerings.
pub(crate) async fn term_price(
    db: &impl ConnectionTrait,
    spec_id: i64,
    start: chrono::NaiveDate,
) -> Result<Option<(Fen, String)>> {
    let Some(s) = spec::Entity::find_by_id(spec_id).one(db).await? else {
        return Ok(None);
    };
    Ok(super::spec::price_for_term(db, spec_id, start)
        .await?
        .map(|f| (f, s.price_unit)))
}

/// Adds pictures and attachments to a course of the actor's organization. Each is checked
/// by content (a picture PNG or JPEG, an attachment also PDF), its name must agree, and it
/// is at most 5 MB; nothing is kept unless all are good.
pub async fn add_files(
    app: &App,
    actor: &Actor,
    id: i64,
    uploads: Vec<crate::institution::UploadedFile>,
) -> Result<CourseView> {
    let current = load_own(&app.db, actor, id).await?;
    let mut invalid = Invalid::default();
    let mut checked = Vec::new();
    let uploads: Vec<_> = uploads
        .into_iter()
        .filter(|f| !f.bytes.is_empty())
        .collect();
    if uploads.is_empty() {
        invalid.push("files", "请选择文件");
    }
    for f in &uploads {
        let field = format!("files.{}", f.kind);
        let Some((kind, label)) = FILE_KINDS.iter().find(|(k, _)| *k == f.kind) else {
            invalid.push("files", "文件类型应为图片或附件");
            continue;
        };
        match kehou_domain::file::check_upload(&f.file_name, &f.bytes, FILE_MAX_BYTES) {
            Ok((kehou_domain::file::FileType::Pdf, _)) if *kind == "picture" => {
                invalid.push(&field, format!("{label}：只接受PNG或JPG图片"));
            }
            Ok((file_type, file_name)) => checked.push((*kind, file_name, file_type, &f.bytes)),
            Err(reason) => invalid.push(&field, format!("{label}：{reason}")),
        }
    }
    let existing = course_file::Entity::find()
        .filter(course_file::Column::CourseId.eq(current.id))
        .all(&app.db)
        .await?
        .len();
    if existing + uploads.len() > FILES_MAX {
        invalid.push("files", format!("每门课程最多{FILES_MAX}个图片和附件"));
    }
    check(invalid)?;
    let now = app.now();
    let mut stored = Vec::new();
    let result: Result<()> = async {
        let txn = kehou_store::begin_write(&app.db).await?;
        let c = load_own(&txn, actor, id).await?;
        let owner = own_org(&txn, actor).await?;
        let mut names = Vec::new();
        for (kind, file_name, file_type, bytes) in &checked {
            let key = crate::platform::storage::new_key();
            app.files.put(&key, bytes).await?;
            stored.push(key.clone());
            course_file::ActiveModel {
                course_id: Set(c.id),
                kind: Set((*kind).into()),
                file_name: Set(file_name.clone()),
                content_type: Set(file_type.content_type().into()),
                size: Set(bytes.len() as i64),
                storage_key: Set(key),
                uploaded_at: Set(now),
                uploaded_by: Set(actor.user_name.clone()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            names.push(file_name.clone());
        }
        audit::record(
            &txn,
            now,
            &By::actor(actor),
            Change {
                org_id: Some(owner.id),
                org_path: &owner.path,
                action: "course.files",
                entity_type: "course",
                entity_id: Some(c.id),
                summary: format!("课程“{}”上传：{}", c.name, names.join("、")),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        // Bytes of a change that did not happen are not kept.
        for key in &stored {
            let _ = app.files.delete(key).await;
        }
        return Err(e);
    }
    get(app, actor, id).await
}

/// Removes a picture or attachment of a course of the actor's organization.
pub async fn remove_file(app: &App, actor: &Actor, id: i64, file_id: i64) -> Result<CourseView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let c = load_own(&txn, actor, id).await?;
    let owner = own_org(&txn, actor).await?;
    let f = course_file::Entity::find_by_id(file_id)
        .filter(course_file::Column::CourseId.eq(c.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("文件"))?;
    course_file::Entity::delete_by_id(f.id).exec(&txn).await?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(owner.id),
            org_path: &owner.path,
            action: "course.files",
            entity_type: "course",
            entity_id: Some(c.id),
            summary: format!("课程“{}”删除文件：{}", c.name, f.file_name),
        },
    )
    .await?;
    txn.commit().await?;
    if let Err(e) = app.files.delete(&f.storage_key).await {
        tracing::warn!(error = %e, "a removed course file was not deleted");
    }
    get(app, actor, id).await
}

/// A file of a course the actor may read: its checked content type, safe name and bytes.
pub async fn file(
    app: &App,
    actor: &Actor,
    id: i64,
    file_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let c = load(&app.db, actor, id).await?;
    let f = course_file::Entity::find_by_id(file_id)
        .filter(course_file::Column::CourseId.eq(c.id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("文件"))?;
    let bytes = app.files.get(&f.storage_key).await?;
    Ok((f.content_type, f.file_name, bytes))
}

/// The pictures of courses (ids in upload order) by course id, for the pages that show
/// courses to parents.
pub(crate) async fn picture_ids(
    db: &impl ConnectionTrait,
    course_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<i64>>> {
    let mut by_course: HashMap<i64, Vec<i64>> = HashMap::new();
    if course_ids.is_empty() {
        return Ok(by_course);
    }
    let rows = course_file::Entity::find()
        .filter(course_file::Column::CourseId.is_in(course_ids))
        .filter(course_file::Column::Kind.eq("picture"))
        .order_by_asc(course_file::Column::Id)
        .all(db)
        .await?;
    for f in rows {
        by_course.entry(f.course_id).or_default().push(f.id);
    }
    Ok(by_course)
}

/// A course's picture: its course, content type, name and bytes. The caller decides who
/// may see it.
pub(crate) async fn picture(app: &App, file_id: i64) -> Result<(i64, String, String, Vec<u8>)> {
    let f = course_file::Entity::find_by_id(file_id)
        .filter(course_file::Column::Kind.eq("picture"))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("图片"))?;
    let bytes = app.files.get(&f.storage_key).await?;
    Ok((f.course_id, f.content_type, f.file_name, bytes))
}
