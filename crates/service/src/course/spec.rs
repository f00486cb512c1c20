//! Course specifications and prices (D1). A city bureau keeps its specs (科目规格):
//! category, class-size band, how the price is counted, validity. A course's price always
//! comes from its spec: the price in force on the day its term starts. A price change
//! takes effect from a future date, so a term that has begun keeps the price it had.

use chrono::{DateTime, NaiveDate, Utc};
use kehou_domain::course::{Category, PriceUnit};
use kehou_domain::{BureauLevel, Fen, Invalid, OrgKind, Permission};
use kehou_store::entity::course::{spec, spec_price};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

/// The highest price a spec may have, in fen (¥10 000).
pub const PRICE_MAX: i64 = 1_000_000;
/// The largest class a spec may allow.
pub const CLASS_SIZE_MAX: i32 = 200;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceView {
    /// In fen (分).
    pub price_fen: i64,
    /// The price in yuan with two decimals, for display.
    pub price: String,
    pub effective_from: NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpecView {
    pub id: i64,
    /// The stable identity (the city system's code).
    pub code: String,
    pub name: String,
    /// care, quality or featured.
    pub category: String,
    pub category_label: &'static str,
    pub class_size_min: i32,
    pub class_size_max: i32,
    /// lesson or term.
    pub price_unit: String,
    pub price_unit_label: &'static str,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub owner_org_id: i64,
    pub owner_name: String,
    /// The price in force today.
    pub current_price: Option<PriceView>,
    /// Every price, the newest first (future ones included).
    pub prices: Vec<PriceView>,
}

/// A new spec or a change to one; absent fields stay (category and unit never change).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SpecInput {
    /// Optional on creation (one is made); fixed afterwards.
    pub code: Option<String>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub class_size_min: Option<i32>,
    pub class_size_max: Option<i32>,
    pub price_unit: Option<String>,
    /// The first price, in fen (creation only).
    pub price_fen: Option<i64>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct SpecFilter {
    pub category: Option<Category>,
    /// Only specs valid on this day.
    pub valid_on: Option<NaiveDate>,
}

fn price_view(p: &spec_price::Model) -> PriceView {
    PriceView {
        price_fen: p.price_fen,
        price: Fen(p.price_fen).to_string(),
        effective_from: p.effective_from,
    }
}

/// The price in force on `day`: the latest that took effect on or before it.
fn price_on(prices: &[spec_price::Model], day: NaiveDate) -> Option<&spec_price::Model> {
    prices
        .iter()
        .filter(|p| p.effective_from <= day)
        .max_by_key(|p| p.effective_from)
}

async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<spec::Model>,
) -> Result<Vec<SpecView>> {
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let prices = spec_price::Entity::find()
        .filter(spec_price::Column::SpecId.is_in(ids))
        .order_by_desc(spec_price::Column::EffectiveFrom)
        .all(db)
        .await?;
    let owners: std::collections::HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(rows.iter().map(|s| s.owner_org_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let today = app.today();
    Ok(rows
        .into_iter()
        .map(|s| {
            let own: Vec<spec_price::Model> = prices
                .iter()
                .filter(|p| p.spec_id == s.id)
                .cloned()
                .collect();
            let category = Category::parse(&s.category).unwrap_or(Category::Quality);
            let unit = PriceUnit::parse(&s.price_unit).unwrap_or(PriceUnit::Lesson);
            SpecView {
                id: s.id,
                code: s.code,
                name: s.name,
                category: category.code().into(),
                category_label: category.label(),
                class_size_min: s.class_size_min,
                class_size_max: s.class_size_max,
                price_unit: unit.code().into(),
                price_unit_label: unit.label(),
                valid_from: s.valid_from,
                valid_to: s.valid_to,
                owner_name: owners.get(&s.owner_org_id).cloned().unwrap_or_default(),
                owner_org_id: s.owner_org_id,
                current_price: price_on(&own, today).map(price_view),
                prices: own.iter().map(price_view).collect(),
            }
        })
        .collect())
}

/// The organizations whose specs the actor works with: its own and its ancestors' (a
/// school uses its city's), and for bureaus and the platform those below them too.
fn visible(actor: &Actor) -> Condition {
    let ancestors: Vec<i64> = actor
        .org_path
        .split('/')
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut c = Condition::any().add(spec::Column::OwnerOrgId.is_in(ancestors));
    if matches!(actor.org_kind, OrgKind::Bureau | OrgKind::Platform) {
        c = c.add(
            spec::Column::OwnerOrgId.in_subquery(
                kehou_store::sea_orm::sea_query::Query::select()
                    .column(org::Column::Id)
                    .from(org::Entity)
                    .and_where(org::Column::Path.starts_with(&actor.org_path))
                    .to_owned(),
            ),
        );
    }
    c
}

/// The specs a person works with, by category and name.
pub async fn list(app: &App, actor: &Actor, filter: &SpecFilter) -> Result<Vec<SpecView>> {
    let mut q = spec::Entity::find().filter(visible(actor));
    if let Some(c) = filter.category {
        q = q.filter(spec::Column::Category.eq(c.code()));
    }
    if let Some(day) = filter.valid_on {
        q = q.filter(spec::Column::ValidFrom.lte(day)).filter(
            Condition::any()
                .add(spec::Column::ValidTo.is_null())
                .add(spec::Column::ValidTo.gte(day)),
        );
    }
    let rows = q
        .order_by_asc(spec::Column::Category)
        .order_by_asc(spec::Column::Name)
        .all(&app.db)
        .await?;
    views(app, &app.db, rows).await
}

async fn load(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<spec::Model> {
    spec::Entity::find_by_id(id)
        .filter(visible(actor))
        .one(db)
        .await?
        .ok_or(Error::NotFound("课程规格"))
}

/// Specs by id, whoever owns them: for views of courses the caller may already read.
pub(crate) async fn by_ids(
    app: &App,
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, SpecView>> {
    let rows = spec::Entity::find()
        .filter(spec::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(views(app, db, rows)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<SpecView> {
    let s = load(&app.db, actor, id).await?;
    let mut all = views(app, &app.db, vec![s]).await?;
    all.pop().ok_or(Error::NotFound("课程规格"))
}

/// The spec's owner must be the actor's own organization: a city bureau or the platform.
async fn owner_for(db: &impl ConnectionTrait, actor: &Actor) -> Result<org::Model> {
    actor.require(Permission::CourseSpecManage)?;
    let o = org::Entity::find_by_id(actor.org_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("组织机构"))?;
    let city =
        o.kind == OrgKind::Bureau.code() && o.level.as_deref() == Some(BureauLevel::City.code());
    if !city && o.kind != OrgKind::Platform.code() {
        return Err(Error::Forbidden("课程规格由市级教育局维护".into()));
    }
    Ok(o)
}

/// A spec the actor may change: theirs.
async fn load_own(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<spec::Model> {
    let owner = owner_for(db, actor).await?;
    let s = load(db, actor, id).await?;
    if s.owner_org_id != owner.id {
        return Err(Error::Forbidden("只能修改本单位的课程规格".into()));
    }
    Ok(s)
}

fn check_sizes(invalid: &mut Invalid, min: i32, max: i32) {
    if !(1..=CLASS_SIZE_MAX).contains(&min) {
        invalid.push(
            "class_size_min",
            format!("班额下限应在1到{CLASS_SIZE_MAX}之间"),
        );
    }
    if !(1..=CLASS_SIZE_MAX).contains(&max) {
        invalid.push(
            "class_size_max",
            format!("班额上限应在1到{CLASS_SIZE_MAX}之间"),
        );
    } else if min > max {
        invalid.push("class_size_max", "班额上限不能小于下限");
    }
}

fn check_price(invalid: &mut Invalid, fen: Option<i64>) -> Option<i64> {
    match fen {
        None => {
            invalid.push("price_fen", "请填写价格");
            None
        }
        // 0 is a free course (公益课程): confirmed at enrollment without payment.
        Some(f) if !(0..=PRICE_MAX).contains(&f) => {
            invalid.push("price_fen", "价格不能为负数，且不超过10000元（0表示免费）");
            None
        }
        Some(f) => Some(f),
    }
}

fn check_code(invalid: &mut Invalid, code: &str) -> Option<String> {
    let code = invalid.text("code", code, 40)?;
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        invalid.push("code", "规格编码只能含字母、数字、“-”和“_”");
        return None;
    }
    Some(code)
}

pub async fn create(app: &App, actor: &Actor, input: SpecInput) -> Result<SpecView> {
    owner_for(&app.db, actor).await?;
    let mut invalid = Invalid::default();
    let code = match input
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => check_code(&mut invalid, c).map(Some),
        None => Some(None),
    };
    let name = invalid.text("name", input.name.as_deref().unwrap_or(""), 50);
    let category = match input.category.as_deref().and_then(Category::parse) {
        Some(c) => Some(c),
        None => {
            invalid.push(
                "category",
                "类别须为 care（托管）、quality（素质）或 featured（特色）",
            );
            None
        }
    };
    let unit = match input.price_unit.as_deref().and_then(PriceUnit::parse) {
        Some(u) => Some(u),
        None => {
            invalid.push(
                "price_unit",
                "计价方式须为 lesson（每课时）或 term（每学期）",
            );
            None
        }
    };
    let (min, max) = (
        input.class_size_min.unwrap_or(0),
        input.class_size_max.unwrap_or(0),
    );
    check_sizes(&mut invalid, min, max);
    let price = check_price(&mut invalid, input.price_fen);
    let valid_from = input.valid_from.unwrap_or_else(|| app.today());
    if input.valid_to.is_some_and(|to| to < valid_from) {
        invalid.push("valid_to", "有效期止不能早于起");
    }
    check(invalid)?;
    let (Some(code), Some(name), Some(category), Some(unit), Some(price)) =
        (code, name, category, unit, price)
    else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let owner = owner_for(&txn, actor).await?;
    let taken = spec::Entity::find()
        .filter(spec::Column::OwnerOrgId.eq(owner.id))
        .filter(spec::Column::Name.eq(&name))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(Error::conflict_on("name", "本单位已有同名课程规格"));
    }
    let created = spec::ActiveModel {
        owner_org_id: Set(owner.id),
        // A made-up code is replaced by one from the id below.
        code: Set(code
            .clone()
            .unwrap_or_else(|| format!("tmp-{}", crate::platform::storage::new_key()))),
        name: Set(name),
        category: Set(category.code().into()),
        class_size_min: Set(min),
        class_size_max: Set(max),
        price_unit: Set(unit.code().into()),
        valid_from: Set(valid_from),
        valid_to: Set(input.valid_to),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("code", "规格编码已被使用"))?;
    let created = if code.is_none() {
        let id = created.id;
        let mut m = created.into_active_model();
        m.code = Set(format!("GG{id:06}"));
        m.update(&txn).await?
    } else {
        created
    };
    add_price_row(&txn, created.id, price, valid_from, actor, now).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(owner.id),
            org_path: &owner.path,
            action: "course_spec.create",
            entity_type: "course_spec",
            entity_id: Some(created.id),
            summary: format!(
                "新增课程规格“{}”（{}，{}-{}人，{}{}元）",
                created.name,
                category.label(),
                min,
                max,
                unit.label(),
                Fen(price)
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, created.id).await
}

async fn add_price_row(
    db: &impl ConnectionTrait,
    spec_id: i64,
    price: i64,
    from: NaiveDate,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    spec_price::ActiveModel {
        spec_id: Set(spec_id),
        price_fen: Set(price),
        effective_from: Set(from),
        created_at: Set(now),
        created_by: Set(actor.user_name.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Renames a spec, changes its class-size band or its validity.
pub async fn update(app: &App, actor: &Actor, id: i64, input: SpecInput) -> Result<SpecView> {
    let current = load_own(&app.db, actor, id).await?;
    let mut invalid = Invalid::default();
    if input
        .code
        .as_deref()
        .is_some_and(|c| c.trim() != current.code)
    {
        invalid.push("code", "规格编码不能修改");
    }
    if input
        .category
        .as_deref()
        .is_some_and(|c| c != current.category)
    {
        invalid.push("category", "类别不能修改，请新建规格");
    }
    if input
        .price_unit
        .as_deref()
        .is_some_and(|u| u != current.price_unit)
    {
        invalid.push("price_unit", "计价方式不能修改，请新建规格");
    }
    if input.price_fen.is_some() {
        invalid.push("price_fen", "价格请通过调价设置生效日期");
    }
    let name = input.name.as_deref().map(|n| invalid.text("name", n, 50));
    let min = input.class_size_min.unwrap_or(current.class_size_min);
    let max = input.class_size_max.unwrap_or(current.class_size_max);
    check_sizes(&mut invalid, min, max);
    let valid_from = input.valid_from.unwrap_or(current.valid_from);
    let valid_to = input.valid_to.or(current.valid_to);
    if valid_to.is_some_and(|to| to < valid_from) {
        invalid.push("valid_to", "有效期止不能早于起");
    }
    check(invalid)?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let current = load_own(&txn, actor, id).await?;
    let mut changes = Vec::new();
    let mut m = current.clone().into_active_model();
    if let Some(Some(name)) = name
        && name != current.name
    {
        let taken = spec::Entity::find()
            .filter(spec::Column::OwnerOrgId.eq(current.owner_org_id))
            .filter(spec::Column::Name.eq(&name))
            .one(&txn)
            .await?
            .is_some();
        if taken {
            return Err(Error::conflict_on("name", "本单位已有同名课程规格"));
        }
        changes.push(format!("名称：{} → {name}", current.name));
        m.name = Set(name);
    }
    if (min, max) != (current.class_size_min, current.class_size_max) {
        changes.push(format!(
            "班额：{}-{} → {min}-{max}",
            current.class_size_min, current.class_size_max
        ));
        m.class_size_min = Set(min);
        m.class_size_max = Set(max);
    }
    if (valid_from, valid_to) != (current.valid_from, current.valid_to) {
        changes.push(format!(
            "有效期：{} 至 {} → {valid_from} 至 {}",
            current.valid_from,
            current.valid_to.map_or("长期".into(), |d| d.to_string()),
            valid_to.map_or("长期".into(), |d| d.to_string())
        ));
        m.valid_from = Set(valid_from);
        m.valid_to = Set(valid_to);
    }
    if changes.is_empty() {
        txn.rollback().await?;
        return get(app, actor, id).await;
    }
    m.updated_at = Set(now);
    let updated = m.update(&txn).await?;
    let owner = owner_for(&txn, actor).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(owner.id),
            org_path: &owner.path,
            action: "course_spec.update",
            entity_type: "course_spec",
            entity_id: Some(id),
            summary: format!("修改课程规格“{}”：{}", updated.name, changes.join("；")),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, id).await
}

/// A new price from a future day on; terms that start before it keep the old one.
pub async fn change_price(
    app: &App,
    actor: &Actor,
    id: i64,
    price_fen: Option<i64>,
    effective_from: Option<NaiveDate>,
) -> Result<SpecView> {
    load_own(&app.db, actor, id).await?;
    let mut invalid = Invalid::default();
    let price = check_price(&mut invalid, price_fen);
    let today = app.today();
    match effective_from {
        None => invalid.push("effective_from", "请填写生效日期"),
        Some(d) if d <= today => invalid.push(
            "effective_from",
            "生效日期须在今天之后，已开始的学期价格不变",
        ),
        Some(_) => {}
    }
    check(invalid)?;
    let (Some(price), Some(from)) = (price, effective_from) else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let current = load_own(&txn, actor, id).await?;
    let prices = spec_price::Entity::find()
        .filter(spec_price::Column::SpecId.eq(id))
        .all(&txn)
        .await?;
    if prices.iter().any(|p| p.effective_from >= from) {
        return Err(Error::conflict_on(
            "effective_from",
            "该日期或之后已有调价，请选择更晚的生效日期",
        ));
    }
    let before = price_on(&prices, from).map(|p| Fen(p.price_fen));
    add_price_row(&txn, id, price, from, actor, now).await?;
    let owner = owner_for(&txn, actor).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(owner.id),
            org_path: &owner.path,
            action: "course_spec.price",
            entity_type: "course_spec",
            entity_id: Some(id),
            summary: format!(
                "课程规格“{}”调价：{} → {} 元，{from} 起生效",
                current.name,
                before.map_or("无".into(), |f| f.to_string()),
                Fen(price)
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get(app, actor, id).await
}

/// The price of a spec for a term starting on `term_start`: what the later issues charge.
pub async fn price_for_term(
    db: &impl ConnectionTrait,
    spec_id: i64,
    term_start: NaiveDate,
) -> Result<Option<Fen>> {
    let prices = spec_price::Entity::find()
        .filter(spec_price::Column::SpecId.eq(spec_id))
        .all(db)
        .await?;
    Ok(price_on(&prices, term_start).map(|p| Fen(p.price_fen)))
}
