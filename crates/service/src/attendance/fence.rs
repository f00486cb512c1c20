//! The school's check-in fence (电子围栏, I7): a circle or a polygon drawn on a map in
//! GCJ-02 (Chinese maps) or WGS-84, and how long before a lesson check-in opens.

use kehou_domain::Permission;
use kehou_domain::attendance::OPEN_BEFORE_MIN;
use kehou_domain::geo::{Datum, Fence, Point};
use kehou_store::entity::attendance::school_fence;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};

use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FenceView {
    pub school_id: i64,
    /// Whether the school has drawn one; without it nobody can check in.
    pub configured: bool,
    /// gcj02 or wgs84.
    pub datum: String,
    /// circle or polygon.
    pub kind: String,
    pub center_lat: Option<f64>,
    pub center_lng: Option<f64>,
    pub radius_m: Option<f64>,
    /// The polygon's corners, `[lat, lng]`, in order.
    pub corners: Vec<[f64; 2]>,
    pub open_before_min: i32,
    /// 圆形，半径 300 米 / 多边形，5 个顶点.
    pub summary: String,
    pub updated_label: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FenceInput {
    /// gcj02 (Chinese maps: AMap, Tencent) or wgs84 (GPS).
    pub datum: String,
    /// circle or polygon.
    pub kind: String,
    pub center_lat: Option<f64>,
    pub center_lng: Option<f64>,
    pub radius_m: Option<f64>,
    /// `[lat, lng]` pairs, 3 to 100.
    pub corners: Vec<[f64; 2]>,
    /// Minutes before a lesson starts that check-in opens: 0 to 120 (30 when absent).
    pub open_before_min: Option<i32>,
}

/// The fence a school drew, parsed; `None` before it drew one.
pub(crate) struct SchoolFence {
    pub datum: Datum,
    pub fence: Fence,
    pub open_before_min: i64,
}

fn datum_code(d: Datum) -> &'static str {
    match d {
        Datum::Gcj02 => "gcj02",
        Datum::Wgs84 => "wgs84",
    }
}

fn parse_datum(code: &str) -> Option<Datum> {
    match code {
        "gcj02" => Some(Datum::Gcj02),
        "wgs84" => Some(Datum::Wgs84),
        _ => None,
    }
}

pub(crate) async fn of_school(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<Option<SchoolFence>> {
    let Some(row) = school_fence::Entity::find()
        .filter(school_fence::Column::SchoolId.eq(school_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let fence: Fence = serde_json::from_str(&row.fence)
        .map_err(|e| Error::Internal(format!("school fence {}: {e}", row.id)))?;
    Ok(Some(SchoolFence {
        datum: parse_datum(&row.datum).unwrap_or(Datum::Gcj02),
        fence,
        open_before_min: i64::from(row.open_before_min),
    }))
}

fn view(school_id: i64, row: Option<school_fence::Model>) -> Result<FenceView> {
    let Some(row) = row else {
        return Ok(FenceView {
            school_id,
            configured: false,
            datum: "gcj02".into(),
            kind: "circle".into(),
            center_lat: None,
            center_lng: None,
            radius_m: None,
            corners: Vec::new(),
            open_before_min: OPEN_BEFORE_MIN as i32,
            summary: "尚未设置".into(),
            updated_label: None,
        });
    };
    let fence: Fence = serde_json::from_str(&row.fence)
        .map_err(|e| Error::Internal(format!("school fence {}: {e}", row.id)))?;
    let datum = if row.datum == "wgs84" {
        "WGS-84"
    } else {
        "GCJ-02"
    };
    let (kind, center, radius, corners, summary) = match fence {
        Fence::Circle { center, radius_m } => (
            "circle",
            Some(center),
            Some(radius_m),
            Vec::new(),
            format!("圆形，半径 {radius_m:.0} 米（{datum} 坐标）"),
        ),
        Fence::Polygon { corners } => {
            let summary = format!("多边形，{} 个顶点（{datum} 坐标）", corners.len());
            (
                "polygon",
                None,
                None,
                corners.iter().map(|p| [p.lat, p.lng]).collect(),
                summary,
            )
        }
    };
    Ok(FenceView {
        school_id,
        configured: true,
        datum: row.datum,
        kind: kind.into(),
        center_lat: center.map(|c| c.lat),
        center_lng: center.map(|c| c.lng),
        radius_m: radius,
        corners,
        open_before_min: row.open_before_min,
        summary,
        updated_label: Some(china_label(row.updated_at)),
    })
}

/// The school's fence (`attendance.view`).
pub async fn get(app: &App, actor: &Actor, school_id: i64) -> Result<FenceView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceView).await?;
    let row = school_fence::Entity::find()
        .filter(school_fence::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?;
    view(school.id, row)
}

/// Draws or redraws the school's fence (`attendance.manage`).
pub async fn save(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: FenceInput,
) -> Result<FenceView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceManage).await?;
    let datum = parse_datum(input.datum.trim())
        .ok_or_else(|| Error::invalid("datum", "请选择坐标系：gcj02（国内地图）或 wgs84（GPS）"))?;
    let fence = match input.kind.trim() {
        "circle" => {
            let (Some(lat), Some(lng)) = (input.center_lat, input.center_lng) else {
                return Err(Error::invalid("center_lat", "请填写圆心的纬度和经度"));
            };
            let Some(radius_m) = input.radius_m else {
                return Err(Error::invalid("radius_m", "请填写半径（米）"));
            };
            Fence::Circle {
                center: Point { lat, lng },
                radius_m,
            }
        }
        "polygon" => Fence::Polygon {
            corners: input
                .corners
                .iter()
                .map(|[lat, lng]| Point {
                    lat: *lat,
                    lng: *lng,
                })
                .collect(),
        },
        _ => {
            return Err(Error::invalid(
                "kind",
                "请选择围栏形状：circle（圆形）或 polygon（多边形）",
            ));
        }
    };
    if let Err(m) = fence.validate() {
        let field = match fence {
            Fence::Circle { .. } if m.contains("半径") => "radius_m",
            Fence::Circle { .. } => "center_lat",
            Fence::Polygon { .. } => "corners",
        };
        return Err(Error::invalid(field, m));
    }
    let open_before_min = input.open_before_min.unwrap_or(OPEN_BEFORE_MIN as i32);
    if !(0..=120).contains(&open_before_min) {
        return Err(Error::invalid(
            "open_before_min",
            "提前签到时间应在 0 至 120 分钟之间",
        ));
    }
    let json = serde_json::to_string(&fence).map_err(|e| Error::Internal(e.to_string()))?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let existing = school_fence::Entity::find()
        .filter(school_fence::Column::SchoolId.eq(school.id))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(r) => {
            let mut m: school_fence::ActiveModel = r.into();
            m.datum = Set(datum_code(datum).into());
            m.fence = Set(json);
            m.open_before_min = Set(open_before_min);
            m.updated_by = Set(actor.user_id);
            m.updated_at = Set(now);
            m.update(&txn).await?
        }
        None => {
            school_fence::ActiveModel {
                school_id: Set(school.id),
                datum: Set(datum_code(datum).into()),
                fence: Set(json),
                open_before_min: Set(open_before_min),
                updated_by: Set(actor.user_id),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let v = view(school.id, Some(row.clone()))?;
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.fence",
        ("school_fence", row.id),
        format!(
            "设置签到电子围栏：{}，提前 {open_before_min} 分钟可签到",
            v.summary
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(v)
}
