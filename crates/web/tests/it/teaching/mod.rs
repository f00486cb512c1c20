//! Teaching classes, scheduling, dated lessons and timetables (issue 13).

pub mod classes;
pub mod close;
pub mod flow;
pub mod schedule;
pub mod timetable;
pub mod transfer;

use serde_json::Value;

use crate::common::TestApp;

/// The current term (2026-2027 第一学期) of a school.
pub async fn current_term(t: &TestApp, token: &str, school: i64) -> i64 {
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/terms"), token)
        .await;
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["school_year"] == "2026-2027")
        .and_then(|x| x["id"].as_i64())
        .expect("current term")
}

/// The term before it, which has ended.
pub async fn past_term(t: &TestApp, token: &str, school: i64) -> i64 {
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/terms"), token)
        .await;
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["school_year"] == "2025-2026")
        .and_then(|x| x["id"].as_i64())
        .expect("past term")
}

/// The approved offered course whose name is `name`.
pub async fn item(t: &TestApp, token: &str, school: i64, term: i64, name: &str) -> Value {
    let (_, o) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/offering"),
            token,
        )
        .await;
    o["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("offered course {name}: {o}"))
}

pub fn classes_path(school: i64, term: i64) -> String {
    format!("/api/v1/schools/{school}/terms/{term}/teaching-classes")
}

/// The term's classes.
pub async fn classes(t: &TestApp, token: &str, school: i64, term: i64) -> Vec<Value> {
    let (_, list) = t.get(&classes_path(school, term), token).await;
    list["items"].as_array().cloned().unwrap_or_default()
}

/// A class of the term by name.
pub async fn class(t: &TestApp, token: &str, school: i64, term: i64, name: &str) -> Value {
    classes(t, token, school, term)
        .await
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("class {name}"))
}

/// The staff id of an account at a school.
pub async fn staff_id(t: &TestApp, token: &str, school: i64, name: &str) -> i64 {
    let (_, list) = t
        .get(
            &format!(
                "/api/v1/schools/{school}/staff?q={}",
                crate::common::urlencode(name)
            ),
            token,
        )
        .await;
    list["items"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("staff {name}: {list}"))
}

/// Students of a grade of a school.
pub async fn students_of_grade(t: &TestApp, token: &str, school: i64, grade: i64) -> Vec<i64> {
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/admin-classes"), token)
        .await;
    let mut out = Vec::new();
    for c in list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["grade"] == grade)
    {
        let (_, s) = t
            .get(
                &format!(
                    "/api/v1/schools/{school}/students?class_id={}&page_size=100",
                    c["id"]
                ),
                token,
            )
            .await;
        out.extend(
            s["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["id"].as_i64()),
        );
    }
    out
}
