//! Attendance: the school's fence, teachers' check-ins and their requests, roll calls with
//! live notices to parents, leave, a student's record, the school's day.

pub(crate) mod change;
mod check_in;
mod hours;
mod leave;
mod report;
pub(crate) mod roll_call;
mod symptoms;
mod teacher_leave;

use axum::http::StatusCode;
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::common::TestApp;

/// The demo fence's centre (GCJ-02) and a WGS-84 point that falls on it: what a phone in
/// the schoolyard reports.
pub(super) fn inside_wgs84() -> (f64, f64) {
    use kehou_domain::geo::{Point, wgs84_to_gcj02};
    let gcj = Point {
        lat: 22.5176,
        lng: 113.3926,
    };
    // One step of the inverse is exact to a metre or so here.
    let shifted = wgs84_to_gcj02(gcj);
    (
        gcj.lat - (shifted.lat - gcj.lat),
        gcj.lng - (shifted.lng - gcj.lng),
    )
}

/// Moves the test clock to `minutes` after a lesson's start (China time, negative before).
pub(crate) fn at_lesson(t: &TestApp, lesson: &Value, minutes: i64) {
    let date = lesson["date"].as_str().unwrap();
    let start = lesson["start"].as_str().unwrap();
    let local =
        NaiveDateTime::parse_from_str(&format!("{date} {start}"), "%Y-%m-%d %H:%M").unwrap();
    let when = chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&local)
        .single()
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::minutes(minutes);
    let now = t.app.now();
    assert!(when >= now, "the clock only moves forward: {when} < {now}");
    t.clock.advance(when - now);
}

/// The lessons a teacher teaches over a span, as `GET /me/check-ins` lists them.
pub(crate) async fn my_lessons(t: &TestApp, token: &str, from: &str, to: &str) -> Vec<Value> {
    let (s, v) = t
        .get(&format!("/api/v1/me/check-ins?from={from}&to={to}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

/// Whether an error body names `field` among its details.
pub(crate) fn names_field(v: &Value, field: &str) -> bool {
    v["details"]
        .as_array()
        .is_some_and(|d| d.iter().any(|f| f["field"] == field))
}
