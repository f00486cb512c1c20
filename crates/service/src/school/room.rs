//! Rooms and venues of a school (C4): list, create, edit, import.

use chrono::{DateTime, Utc};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::org;
use kehou_store::entity::school::room;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::{load_school, school_for};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Page, PageRequest, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomView {
    pub id: i64,
    pub school_id: i64,
    pub name: String,
    pub building: Option<String>,
    pub purpose: Option<String>,
    pub capacity: i32,
    pub available: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<room::Model> for RoomView {
    fn from(m: room::Model) -> Self {
        Self {
            id: m.id,
            school_id: m.school_id,
            name: m.name,
            building: m.building,
            purpose: m.purpose,
            capacity: m.capacity,
            available: m.available,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RoomFilter {
    /// Matches the name, building or purpose.
    pub q: Option<String>,
    pub available: Option<bool>,
}

pub async fn list_rooms(
    app: &App,
    actor: &Actor,
    school_id: i64,
    filter: &RoomFilter,
    page: PageRequest,
) -> Result<Page<RoomView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let mut query = room::Entity::find().filter(room::Column::SchoolId.eq(school.id));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(room::Column::Name.contains(q))
                .add(room::Column::Building.contains(q))
                .add(room::Column::Purpose.contains(q)),
        );
    }
    if let Some(available) = filter.available {
        query = query.filter(room::Column::Available.eq(available));
    }
    let total = query.clone().count(&app.db).await?;
    let rows = query
        .order_by_asc(room::Column::Building)
        .order_by_asc(room::Column::Name)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    Ok(Page {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

async fn load_room(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
    room_id: i64,
) -> Result<(org::Model, room::Model)> {
    let school = load_school(db, actor, school_id).await?;
    let found = room::Entity::find_by_id(room_id)
        .filter(room::Column::SchoolId.eq(school.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("场室"))?;
    Ok((school, found))
}

pub async fn get_room(app: &App, actor: &Actor, school_id: i64, room_id: i64) -> Result<RoomView> {
    actor.require(Permission::SchoolView)?;
    Ok(load_room(&app.db, actor, school_id, room_id)
        .await?
        .1
        .into())
}

/// The fields of a room; on update only those given change.
#[derive(Debug, Clone, Default)]
pub struct RoomInput {
    pub name: Option<String>,
    pub building: Option<String>,
    pub purpose: Option<String>,
    pub capacity: Option<i64>,
    pub available: Option<bool>,
}

pub const MAX_ROOM_CAPACITY: i64 = 5000;

/// Checked room fields: `None` where the input left a field out.
pub(crate) struct RoomFields {
    name: Option<String>,
    building: Option<Option<String>>,
    purpose: Option<Option<String>>,
    capacity: Option<i32>,
}

fn check_room(input: &RoomInput, creating: bool) -> Result<RoomFields> {
    let mut invalid = Invalid::default();
    let name = match (&input.name, creating) {
        (None, true) => {
            invalid.push("name", "请填写场室名称");
            None
        }
        (None, false) => None,
        (Some(n), _) => invalid.text("name", n, 50),
    };
    let building = input
        .building
        .as_deref()
        .map(|b| invalid.optional_text("building", Some(b), 50))
        .unwrap_or(Some(None));
    let purpose = input
        .purpose
        .as_deref()
        .map(|p| invalid.optional_text("purpose", Some(p), 50))
        .unwrap_or(Some(None));
    let capacity = match input.capacity {
        None if creating => {
            invalid.push("capacity", "请填写容纳人数");
            None
        }
        None => None,
        Some(c) if !(1..=MAX_ROOM_CAPACITY).contains(&c) => {
            invalid.push(
                "capacity",
                format!("容纳人数应在1到{MAX_ROOM_CAPACITY}之间"),
            );
            None
        }
        Some(c) => i32::try_from(c).ok(),
    };
    check(invalid)?;
    Ok(RoomFields {
        name,
        building: input.building.as_ref().and(building),
        purpose: input.purpose.as_ref().and(purpose),
        capacity,
    })
}

pub async fn create_room(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: RoomInput,
) -> Result<RoomView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    // Another tenant's school is not found, whatever the input.
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let fields = check_room(&input, true)?;
    let now = app.now();
    let created = room::ActiveModel {
        school_id: Set(school.id),
        name: Set(fields.name.unwrap_or_default()),
        building: Set(fields.building.flatten()),
        purpose: Set(fields.purpose.flatten()),
        capacity: Set(fields.capacity.unwrap_or(1)),
        available: Set(input.available.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("name", "本校已有同名场室"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "room.create",
            entity_type: "room",
            entity_id: Some(created.id),
            summary: format!("新增场室“{}”，容纳{}人", created.name, created.capacity),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

pub async fn update_room(
    app: &App,
    actor: &Actor,
    school_id: i64,
    room_id: i64,
    input: RoomInput,
) -> Result<RoomView> {
    actor.require(Permission::SchoolManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, current) = load_room(&txn, actor, school_id, room_id).await?;
    let fields = check_room(&input, false)?;
    let mut changes = Vec::new();
    let mut m = current.clone().into_active_model();
    if let Some(name) = fields.name.filter(|n| *n != current.name) {
        changes.push(format!("名称：{} → {name}", current.name));
        m.name = Set(name);
    }
    if let Some(building) = fields.building.filter(|b| *b != current.building) {
        changes.push(format!(
            "位置：{} → {}",
            current.building.as_deref().unwrap_or("无"),
            building.as_deref().unwrap_or("无")
        ));
        m.building = Set(building);
    }
    if let Some(purpose) = fields.purpose.filter(|p| *p != current.purpose) {
        changes.push(format!(
            "用途：{} → {}",
            current.purpose.as_deref().unwrap_or("无"),
            purpose.as_deref().unwrap_or("无")
        ));
        m.purpose = Set(purpose);
    }
    if let Some(capacity) = fields.capacity.filter(|c| *c != current.capacity) {
        changes.push(format!("容纳人数：{} → {capacity}", current.capacity));
        m.capacity = Set(capacity);
    }
    if let Some(available) = input.available.filter(|a| *a != current.available) {
        changes.push(if available {
            "设为可用".to_string()
        } else {
            "设为停用".to_string()
        });
        m.available = Set(available);
    }
    if changes.is_empty() {
        txn.rollback().await?;
        return Ok(current.into());
    }
    let now = app.now();
    m.updated_at = Set(now);
    let updated = m
        .update(&txn)
        .await
        .map_err(Error::unique("name", "本校已有同名场室"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "room.update",
            entity_type: "room",
            entity_id: Some(updated.id),
            summary: format!("修改场室“{}”：{}", updated.name, changes.join("；")),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated.into())
}

pub const ROOM_COLUMNS: &[crate::platform::sheet::Column] = &[
    crate::platform::sheet::Column {
        title: "名称",
        required: true,
        help: "本校唯一，最多50个字符；再次导入时按名称更新",
    },
    crate::platform::sheet::Column {
        title: "位置",
        required: false,
        help: "楼栋或位置，最多50个字符",
    },
    crate::platform::sheet::Column {
        title: "用途",
        required: false,
        help: "如 美术、体育，最多50个字符",
    },
    crate::platform::sheet::Column {
        title: "容纳人数",
        required: true,
        help: "1 到 5000 的整数",
    },
    crate::platform::sheet::Column {
        title: "状态",
        required: false,
        help: "可用 或 停用；不填为可用",
    },
];

pub const ROOM_EXAMPLE: &[&str] = &["书法室", "综合楼四楼", "书法", "40", "可用"];

/// Imports rooms; a room with the same name is updated.
pub(crate) async fn import_rooms(
    app: &App,
    runner: &crate::import::Runner,
    school: &org::Model,
    rows: Vec<crate::platform::sheet::Row>,
    mode: crate::import::Mode,
    progress: &crate::import::Progress,
) -> Result<crate::import::Outcome> {
    use crate::import::{Outcome, RowErrors};
    progress.stage("校验数据", rows.len());
    let mut errors = RowErrors::default();
    let mut seen = std::collections::HashMap::new();
    let mut good = Vec::new();
    for row in &rows {
        progress.advance(1);
        let capacity = match row.get(3).parse::<i64>() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(row.number, "容纳人数", "应为1到5000的整数");
                None
            }
        };
        let available = match row.get(4) {
            "" | "可用" => Some(true),
            "停用" => Some(false),
            _ => {
                errors.push(row.number, "状态", "应为“可用”或“停用”");
                None
            }
        };
        let input = RoomInput {
            name: Some(row.get(0).to_string()),
            building: Some(row.get(1).to_string()),
            purpose: Some(row.get(2).to_string()),
            capacity,
            available,
        };
        match check_room(&input, true) {
            Ok(fields) if capacity.is_some() && available.is_some() => {
                let name = fields.name.clone().unwrap_or_default();
                if let Some(first) = seen.insert(name.clone(), row.number) {
                    errors.push(row.number, "名称", format!("与第{first}行的场室同名"));
                } else if !errors.has(row.number) {
                    good.push((fields, available.unwrap_or(true)));
                }
            }
            Ok(_) => {}
            Err(Error::Invalid(fields)) => {
                for f in fields {
                    let column = match f.field.as_str() {
                        "name" => "名称",
                        "building" => "位置",
                        "purpose" => "用途",
                        _ => "容纳人数",
                    };
                    if !(column == "容纳人数" && capacity.is_none()) {
                        errors.push(row.number, column, f.reason);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    let (mut outcome, write) = Outcome::validated(rows.len(), errors, good.len(), mode);
    if !write {
        return Ok(outcome);
    }
    progress.stage("写入数据库", good.len());
    let txn = kehou_store::begin_write(&app.db).await?;
    let existing: std::collections::HashMap<String, room::Model> = room::Entity::find()
        .filter(room::Column::SchoolId.eq(school.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.name.clone(), r))
        .collect();
    let now = app.now();
    for (f, available) in good {
        let name = f.name.unwrap_or_default();
        match existing.get(&name) {
            Some(current) => {
                let mut m = current.clone().into_active_model();
                m.building = Set(f.building.flatten());
                m.purpose = Set(f.purpose.flatten());
                m.capacity = Set(f.capacity.unwrap_or(1));
                m.available = Set(available);
                m.updated_at = Set(now);
                m.update(&txn).await?;
                outcome.updated += 1;
            }
            None => {
                room::ActiveModel {
                    school_id: Set(school.id),
                    name: Set(name),
                    building: Set(f.building.flatten()),
                    purpose: Set(f.purpose.flatten()),
                    capacity: Set(f.capacity.unwrap_or(1)),
                    available: Set(available),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                outcome.created += 1;
            }
        }
        progress.advance(1);
    }
    outcome
        .record(&txn, now, runner, school, crate::import::Kind::Rooms)
        .await?;
    txn.commit().await?;
    Ok(outcome)
}
