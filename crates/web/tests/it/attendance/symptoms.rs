//! I12: the day's sick-leave symptoms counted by class and school and rolled up the
//! bureaus — town-street, district, city — each reader seeing their own jurisdiction.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::roll_call::{child, choir_lesson};
use crate::common::{
    CITY_LEADER, PARENT, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TestApp, workbook_rows,
};
use crate::pages::Browser;

fn find<'a>(r: &'a Value, level: &str, name: &str) -> Option<&'a Value> {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["level"] == level && x["name"] == name)
}

#[tokio::test]
async fn i12_a_sick_leave_is_counted_by_symptom_up_to_the_city() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    let date = lesson["date"].as_str().unwrap().to_string();
    let kid = child(&t).await;
    let url = format!("/api/v1/attendance/symptoms?date={date}");
    let city = t.login(CITY_LEADER).await;
    let (s, before) = t.get(&url, &city).await;
    assert_eq!(s, StatusCode::OK, "{before}");
    let before_total = before["total"].as_i64().unwrap();

    let parent = t.login(PARENT).await;
    let (s, l) = t
        .post(
            "/api/v1/leave-requests",
            &parent,
            json!({"student_id": kid, "kind": "sick", "symptom": "发热",
                   "reason": "发烧38度", "from": date, "to": date}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");

    // Waiting leave counts: the city sees it at every level down to the class.
    let (_, r) = t.get(&url, &city).await;
    assert_eq!(r["total"], before_total + 1, "{r}");
    assert_eq!(r["symptoms"][0], "发热");
    assert_eq!(r["rows"][0]["depth"], 0);
    assert_eq!(r["rows"][0]["total"], r["total"]);
    let street = find(&r, "镇街教育办", "石岐街道").expect("the street");
    let school = find(&r, "学校", "示例第一小学").expect("the school");
    assert!(street["depth"].as_i64() < school["depth"].as_i64());
    assert!(school["counts"][0].as_i64().unwrap() >= 1, "{school}");
    let class = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["level"] == "班级")
        .expect("a class row");
    assert!(class["counts"][0].as_i64().unwrap() >= 1);

    // The school sees itself; the other school nothing of it; a parent nothing at all.
    let (_, own) = t.get(&url, &t.login(SCHOOL1_ADMIN).await).await;
    assert_eq!(own["rows"][0]["name"], "示例第一小学");
    assert_eq!(own["total"], r["total"]);
    let (_, other) = t.get(&url, &t.login(SCHOOL2_ADMIN).await).await;
    assert_eq!(other["rows"][0]["name"], "示例第二小学");
    assert_eq!(other["total"], 0, "{other}");
    let (s, _) = t.get(&url, &parent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .get("/api/v1/attendance/symptoms?date=2026-02-30", &city)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The page and the export say the same.
    let mut b = Browser::new(&t);
    b.login(CITY_LEADER, PASSWORD).await;
    let page = b.get(&format!("/attendance/symptoms?date={date}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("示例第一小学"));
    assert!(page.body.contains("发热"));
    let rows = workbook_rows(
        &b.get_bytes(&format!("/attendance/symptoms.xlsx?date={date}"))
            .await,
    );
    assert_eq!(rows[0][..4], ["级别", "名称", "病假人数", "发热"]);
    assert!(
        rows.iter().any(|x| x[1].trim() == "示例第一小学"),
        "{rows:?}"
    );

    // Revoked, it no longer counts.
    let (s, _) = t
        .post(
            &format!("/api/v1/leave-requests/{}/revoke", l["id"]),
            &parent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, after) = t.get(&url, &city).await;
    assert_eq!(after["total"], before_total, "{after}");
}
