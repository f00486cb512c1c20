//! I2, I5, I11: lesson hours counted from the lessons held and the roll call — a school's
//! teachers (with minutes) and students, by day, week, month or in total, by kind and by
//! provider; an institution's teachers across schools; one child for their parent.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::at_lesson;
use super::my_lessons;
use super::roll_call::{child, choir_lesson};
use crate::common::{
    CITY_LEADER, HEAD_TEACHER, INSTITUTION_ADMIN, PARENT, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN,
    TEACHER, TestApp, workbook_rows,
};
use crate::pages::Browser;

fn row<'a>(r: &'a Value, name: &str) -> Option<&'a Value> {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
}

/// Moves past the choir lesson of 2026-09-18 and calls its roll: the child late, the
/// others present. Returns (lesson, the child, how many were marked).
async fn after_the_choir(t: &TestApp) -> (Value, i64, usize) {
    let lesson = choir_lesson(t).await;
    let id = lesson["lesson_id"].as_i64().unwrap();
    let kid = child(t).await;
    at_lesson(t, &lesson, 80);
    let head = t.login(HEAD_TEACHER).await;
    let (_, roll) = t
        .get(&format!("/api/v1/lessons/{id}/roll-call"), &head)
        .await;
    let marks: Vec<Value> = roll["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = r["student_id"].as_i64().unwrap();
            json!({"student_id": s, "status": if s == kid { "late" } else { "present" }})
        })
        .collect();
    let n = marks.len();
    let (s, _) = t
        .put(
            &format!("/api/v1/lessons/{id}/roll-call"),
            &head,
            json!({"marks": marks}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    (lesson, kid, n)
}

#[tokio::test]
async fn i2_i5_a_schools_teacher_and_student_hours_by_week_kind_and_provider() {
    let t = TestApp::new().await;
    let (_, _, marked) = after_the_choir(&t).await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let head = t.login(HEAD_TEACHER).await;
    // 郑丽's lessons so far this term, and their minutes.
    let hers = my_lessons(&t, &head, "2026-09-01", "2026-09-18").await;
    let held = hers.len() as i64;
    assert!(held >= 3, "three Fridays at least: {held}");
    let minutes: i64 = hers
        .iter()
        .map(|x| {
            let m = |k: &str| {
                let v = x["lesson"][k].as_str().unwrap();
                let (h, m) = v.split_once(':').unwrap();
                h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()
            };
            m("end") - m("start")
        })
        .sum();

    let base = format!("/api/v1/schools/{school}/lesson-hours");
    let (s, r) = t
        .get(
            &format!("{base}/teachers?from=2026-09-01&to=2026-09-18&by=week"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(
        r["buckets"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-09-14 起一周")),
        "{r}"
    );
    let zheng = row(&r, "郑丽").expect("郑丽 taught");
    assert_eq!(zheng["lessons"], held, "{zheng}");
    assert_eq!(zheng["minutes"], minutes);
    let kinds: i64 = ["care", "quality", "featured"]
        .iter()
        .map(|k| zheng[*k].as_i64().unwrap())
        .sum();
    assert_eq!(kinds, held, "every lesson has its kind: {zheng}");
    assert!(
        zheng["quality"].as_i64().unwrap() >= 3,
        "the choir is quality"
    );
    let per_week: i64 = zheng["per_bucket"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(per_week, held);
    let all: i64 = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["lessons"].as_i64().unwrap())
        .sum();
    assert_eq!(r["total"]["lessons"], all, "the total adds the teachers up");
    // By kind: care lessons are 刘芳's 晚托, not the choir.
    let (_, care) = t
        .get(
            &format!("{base}/teachers?from=2026-09-01&to=2026-09-18&category=care"),
            &admin,
        )
        .await;
    assert!(row(&care, "郑丽").is_none(), "{care}");
    assert!(row(&care, "刘芳").is_some(), "{care}");
    assert_eq!(care["total"]["care"], care["total"]["lessons"]);
    // By provider: out-of-school lessons are the institution's teacher's.
    let (_, out) = t
        .get(
            &format!("{base}/teachers?from=2026-09-01&to=2026-09-18&source=out"),
            &admin,
        )
        .await;
    let he = row(&out, "何雅琴").expect("the institution's teacher");
    assert_eq!(he["detail"], "机构教师");
    assert_eq!(out["rows"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["total"]["in_school"], 0);

    // Students: the lessons each attended — late counts, nothing else was called.
    let (s, st) = t
        .get(
            &format!("{base}/students?from=2026-09-01&to=2026-09-18"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["total"]["lessons"], marked as i64, "{st}");
    let (_, children) = t.get("/api/v1/me/children", &t.login(PARENT).await).await;
    let name = children["items"][0]["name"].as_str().unwrap().to_string();
    let mine = row(&st, &name).expect("the child attended");
    assert_eq!(mine["lessons"], 1);
    assert!(!mine["detail"].as_str().unwrap().is_empty(), "{mine}");
    assert_eq!(st["courses"][0]["name"], "合唱");

    // Bad filters, other people: a clear answer, nothing else.
    for q in [
        "?by=year",
        "?category=sports",
        "?source=abroad",
        "?from=2026-13-01",
        "?from=2026-09-10&to=2026-09-01",
    ] {
        let (s, v) = t.get(&format!("{base}/teachers{q}"), &admin).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
    }
    let (s, _) = t
        .get(&format!("{base}/teachers"), &t.login(TEACHER).await)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .get(&format!("{base}/students"), &t.login(SCHOOL2_ADMIN).await)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The page and its export say the same.
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!(
            "/schools/{school}/attendance/hours?from=2026-09-01&to=2026-09-18&by=week"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("教师课时统计"));
    assert!(page.body.contains("郑丽"));
    assert!(page.body.contains("2026-09-14 起一周"));
    let bytes = b
        .get_bytes(&format!(
            "/schools/{school}/attendance/hours.xlsx?who=students&from=2026-09-01&to=2026-09-18"
        ))
        .await;
    let rows = workbook_rows(&bytes);
    assert_eq!(rows[0][0], "学生");
    let line = rows.iter().find(|r| r[0] == name).expect("the child's row");
    assert_eq!(line[2], "1", "{line:?}");
    assert_eq!(rows.last().unwrap()[0], "合计");
}

#[tokio::test]
async fn i11_a_parent_sees_their_childs_hours_by_day_week_and_month() {
    let t = TestApp::new().await;
    let (_, kid, _) = after_the_choir(&t).await;
    let parent = t.login(PARENT).await;
    let url = format!("/api/v1/students/{kid}/lesson-hours");
    let (s, r) = t
        .get(
            &format!("{url}?by=day&from=2026-09-14&to=2026-09-18"),
            &parent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["buckets"].as_array().unwrap().len(), 5);
    assert_eq!(r["buckets"][4], "2026-09-18");
    assert_eq!(r["total"]["per_bucket"], json!([0, 0, 0, 0, 1]));
    assert_eq!(r["total"]["minutes"], 70);
    let (_, m) = t
        .get(&format!("{url}?by=month&from=2026-09-01"), &parent)
        .await;
    assert_eq!(m["buckets"], json!(["2026-09"]), "{m}");
    let (s, _) = t.get(&format!("{url}?by=hour"), &parent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Not theirs: not found.
    let (s, _) = t.get(&url, &t.login(TEACHER).await).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The parent's phone page shows them, by day when asked.
    let mut b = Browser::new(&t);
    b.login(PARENT, PASSWORD).await;
    let page = b
        .get(&format!(
            "/attendance/children?student_id={kid}&hours_by=day"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("课时统计"));
    assert!(page.body.contains("2026-09-18"));
    assert!(
        page.body.contains("合唱：1 课时（1.2 小时）"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn i2_an_institutions_teachers_hours_across_schools() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    at_lesson(&t, &lesson, 80);
    let inst = t.org_id("示例艺术培训中心").await;
    let url = format!("/api/v1/institutions/{inst}/lesson-hours?from=2026-09-01&to=2026-09-18");
    let admin = t.login(INSTITUTION_ADMIN).await;
    let (s, r) = t.get(&url, &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let rows = r["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{r}");
    assert!(rows.iter().all(|x| x["name"] == "何雅琴"), "{r}");
    let schools: Vec<&str> = rows.iter().map(|x| x["detail"].as_str().unwrap()).collect();
    assert!(schools.contains(&"示例第一小学"), "{schools:?}");
    assert!(
        schools.contains(&"示例第二小学"),
        "one row per school: {schools:?}"
    );
    assert_eq!(r["total"]["out_of_school"], r["total"]["lessons"]);
    // The bureau over it reads it too; a school's admin may not.
    let (s, _) = t.get(&url, &t.login(CITY_LEADER).await).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t.get(&url, &t.login(SCHOOL1_ADMIN).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut b = Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let page = b
        .get("/institution/lesson-hours?from=2026-09-01&to=2026-09-18")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("何雅琴"));
    assert!(page.body.contains("示例第二小学"));
}
