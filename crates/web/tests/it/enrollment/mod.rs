//! Enrollment (issue 14): rules with reasons, the notice, orders with snapshots, waitlist
//! offers when a hold expires, and many concurrent selections keeping every invariant.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{PARENT, SCHOOL1_ADMIN, TestApp};
use crate::teaching::{class, current_term};

async fn child(t: &TestApp, token: &str) -> i64 {
    let (_, list) = t.get("/api/v1/me/children", token).await;
    list["items"][0]["student_id"].as_i64().expect("a child")
}

/// The demo child's free choir enrollment is cancelled by the school: the choir is the one
/// class that fits the child's week, and these tests choose it afresh.
async fn free_the_choir(t: &TestApp, parent: &str, kid: i64) {
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), parent)
        .await;
    let choir = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["course"] == "合唱" && e["status"] == "confirmed")
        .unwrap_or_else(|| panic!("the demo's free enrollment: {h}"))["id"]
        .as_i64()
        .unwrap();
    let (s, v) = t
        .post(
            &format!("/api/v1/enrollments/{choir}/cancel"),
            &admin,
            json!({"reason": "重新选课"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "dropped");
}

async fn choices(t: &TestApp, token: &str, student: i64) -> Value {
    let (s, v) = t
        .get(
            &format!("/api/v1/students/{student}/selectable-courses"),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn enroll(t: &TestApp, token: &str, student: i64, classes: &[i64]) -> Value {
    let items: Vec<Value> = classes
        .iter()
        .map(|c| json!({"teaching_class_id": c}))
        .collect();
    let (s, v) = t
        .post(
            "/api/v1/enrollments",
            token,
            json!({"student_id": student, "items": items}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn f7_a_selection_answers_each_item_with_an_order_or_a_reason() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    // The demo's unpaid basketball is cancelled: the paid class this test chooses afresh.
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let unpaid = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "pending_payment")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, _) = t
        .post(
            &format!("/api/v1/enrollments/{unpaid}/drop"),
            &parent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let v = choices(&t, &parent, kid).await;
    assert_eq!(v["open"], true, "{v}");
    assert!(v["notice_signed"].as_bool().unwrap());
    let list = v["choices"].as_array().unwrap();
    let available = list
        .iter()
        .find(|c| c["state"] == "available")
        .unwrap_or_else(|| panic!("an available class: {v}"));
    let basketball = class(&t, &admin, school, term, "篮球班").await;
    let piano = class(&t, &admin, school, term, "钢琴启蒙班").await;
    let id = available["teaching_class_id"].as_i64().unwrap();
    let r = enroll(
        &t,
        &parent,
        kid,
        &[
            id,
            basketball["id"].as_i64().unwrap(),
            piano["id"].as_i64().unwrap(),
            999_999,
        ],
    )
    .await;
    let items = r["items"].as_array().unwrap();
    assert_eq!(items[0]["outcome"], "accepted", "{r}");
    assert_eq!(items[1]["reason"], "duplicate", "{r}");
    assert!(
        ["full", "time_conflict"].contains(&items[2]["reason"].as_str().unwrap()),
        "{r}"
    );
    assert_eq!(items[3]["reason"], "unavailable", "{r}");
    assert_eq!(r["accepted"], 1);
    // The order keeps what was bought.
    let order = items[0]["order_id"].as_i64().unwrap();
    let (s, o) = t.get(&format!("/api/v1/orders/{order}"), &parent).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["snapshot"]["teaching_class_id"], id);
    assert_eq!(
        o["total_fen"].as_i64().unwrap(),
        o["snapshot"]["price_fen"].as_i64().unwrap() * o["snapshot"]["lessons"].as_i64().unwrap()
    );
    // Nobody else reads it.
    let other = t.login(crate::common::TEACHER).await;
    let (s, _) = t.get(&format!("/api/v1/orders/{order}"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Bad input changes nothing.
    for body in [
        json!({"items": [{"teaching_class_id": id}]}),
        json!({"student_id": kid, "items": []}),
        json!({"student_id": kid, "items": [{"teaching_class_id": id, "offering_item_id": 1}]}),
        json!({"student_id": kid, "items": [{"teaching_class_id": id, "optional_fees": ["caviar"]}]}),
    ] {
        let (s, _) = t.post("/api/v1/enrollments", &parent, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let (s, _) = t
        .post(
            "/api/v1/enrollments",
            &parent,
            json!({"student_id": kid + 1, "items": [{"teaching_class_id": id}]}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another's child");
    // Cancelling the unpaid order frees the seat and keeps the history.
    let e = items[0]["enrollment_id"].as_i64().unwrap();
    let (s, d) = t
        .post(&format!("/api/v1/enrollments/{e}/drop"), &parent, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "cancelled");
    let (s, _) = t
        .post(&format!("/api/v1/enrollments/{e}/drop"), &parent, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    assert!(h["items"].as_array().unwrap().iter().any(|x| x["id"] == e));
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn f1_f3_rules_windows_and_the_notice_refuse_with_reasons() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    free_the_choir(&t, &parent, kid).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let v = choices(&t, &parent, kid).await;
    let id = v["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "available")
        .and_then(|c| c["teaching_class_id"].as_i64())
        .unwrap();
    // At most as many courses as the child has: refused.
    let taken = v["courses_taken"].as_i64().unwrap();
    let (s, _) = t
        .put(
            &format!("{base}/enrollment-settings"),
            &admin,
            json!({"max_courses": taken, "hold_minutes": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = enroll(&t, &parent, kid, &[id]).await;
    assert_eq!(r["items"][0]["reason"], "max_courses", "{r}");
    let (s, e) = t
        .put(
            &format!("{base}/enrollment-settings"),
            &admin,
            json!({"max_courses": 99, "hold_minutes": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // A new version of the notice must be signed first.
    let (s, n) = t
        .post(
            &format!("{base}/notice"),
            &admin,
            json!({"title": "报名须知（修订）", "body": "第二版"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(n["version"], 2);
    let r = enroll(&t, &parent, kid, &[id]).await;
    assert_eq!(r["items"][0]["reason"], "notice_unsigned", "{r}");
    let (s, _) = t
        .post(
            "/api/v1/notice-signatures",
            &parent,
            json!({"student_id": kid, "notice_id": n["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, sigs) = t.get(&format!("{base}/notice-signatures"), &admin).await;
    assert!(
        sigs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["version"] == 2 && x["student_id"] == kid)
    );
    // Without an open window: refused with the window's dates.
    let (_, settings) = t.get(&format!("{base}/enrollment-settings"), &admin).await;
    for w in settings["windows"].as_array().unwrap() {
        let (s, _) = t
            .delete(&format!("{base}/enrollment-windows/{}", w["id"]), &admin)
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _) = t
        .post(
            &format!("{base}/enrollment-windows"),
            &admin,
            json!({"kind": "open", "opens_at": "2026-10-01 08:00", "closes_at": "2026-10-08 17:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let r = enroll(&t, &parent, kid, &[id]).await;
    assert_eq!(r["items"][0]["reason"], "window_closed", "{r}");
    assert!(
        r["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10月1日 08:00"),
        "{r}"
    );
    for bad in [
        json!({"kind": "party", "opens_at": "2026-10-01 08:00", "closes_at": "2026-10-08 17:00"}),
        json!({"kind": "open", "opens_at": "2026-10-08 08:00", "closes_at": "2026-10-01 17:00"}),
        json!({"kind": "open", "opens_at": "yesterday", "closes_at": "2026-10-01 17:00"}),
    ] {
        let (s, _) = t
            .post(&format!("{base}/enrollment-windows"), &admin, bad)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    // Parents do not manage windows.
    let (s, _) = t
        .post(
            &format!("{base}/enrollment-windows"),
            &parent,
            json!({"kind": "open", "opens_at": "2026-09-01 08:00", "closes_at": "2026-09-08 17:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn h4_an_expired_hold_passes_the_seat_to_the_waitlist() {
    let t = TestApp::without_worker(Default::default()).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let piano = class(&t, &admin, school, term, "钢琴启蒙班").await;
    let path = format!(
        "/api/v1/schools/{school}/terms/{term}/enrollments?teaching_class_id={}",
        piano["id"]
    );
    let (_, before) = t.get(&path, &admin).await;
    assert!(
        before["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["enrollment"]["source"] != "waitlist")
    );
    // The demo holds unpaid seats a day; after it the worker releases them.
    t.clock.advance(chrono::Duration::minutes(24 * 60 + 1));
    while kehou_service::system::worker::run_next(&t.app, "w")
        .await
        .unwrap()
    {}
    // The session ran out meanwhile.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, after) = t.get(&path, &admin).await;
    let rows = after["items"].as_array().unwrap();
    assert!(
        rows.iter().any(|e| e["enrollment"]["status"] == "expired"),
        "{after}"
    );
    assert!(
        rows.iter().any(|e| e["enrollment"]["source"] == "waitlist"
            && e["enrollment"]["status"] == "pending_payment"),
        "{after}"
    );
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn concurrent_selections_never_oversell_a_class() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    // Every grade-1 to 6 student of the school asks for the same few classes at once,
    // through the school's selection (the same transaction as a parent's).
    let (_, students) = t
        .get(
            &format!("/api/v1/schools/{school}/students?size=200"),
            &admin,
        )
        .await;
    let ids: Vec<i64> = students["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    let classes: Vec<i64> = ["合唱班", "科学实验班", "英语绘本班"]
        .iter()
        .map(|n| async {
            class(&t, &admin, school, term, n).await["id"]
                .as_i64()
                .unwrap()
        })
        .collect::<futures_util::future::JoinAll<_>>()
        .await;
    let path = format!("/api/v1/schools/{school}/enrollments");
    let items: Vec<Value> = classes
        .iter()
        .map(|c| json!({"teaching_class_id": c}))
        .collect();
    let tasks = ids.iter().map(|s| {
        t.post(
            &path,
            &admin,
            json!({"student_id": s, "items": items.clone()}),
        )
    });
    let results = futures_util::future::join_all(tasks).await;
    let mut accepted = 0;
    for (s, r) in &results {
        assert_eq!(*s, StatusCode::OK, "{r}");
        for i in r["items"].as_array().unwrap() {
            if i["outcome"] == "accepted" {
                assert!(i["order_id"].is_i64());
                accepted += 1;
            } else {
                assert!(i["reason"].is_string(), "{i}");
            }
        }
    }
    assert!(accepted > 0);
    let violations = kehou_service::enrollment::check::run(&t.app.db)
        .await
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn f7_pre_registration_is_drawn_with_a_published_seed_and_verifiable() {
    use kehou_store::sea_orm::ConnectionTrait;
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let prefs = format!("/api/v1/students/{kid}/preferences");
    // Outside the window: refused with its dates.
    let (s, _) = t.put(&prefs, &parent, json!({"slots": [[1]]})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = t
        .post(
            &format!("{base}/enrollment-windows"),
            &admin,
            json!({"kind": "pre_registration", "opens_at": "2026-09-01 15:00", "closes_at": "2026-09-01 17:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = t.get(&prefs, &parent).await;
    assert_eq!(v["open"], true, "{v}");
    let classes: Vec<i64> = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["teaching_class_id"].as_i64())
        .collect();
    assert!(classes.len() >= 3);
    for bad in [
        json!({"slots": [[classes[0]], [classes[1]], [classes[2]], [classes[0]]]}),
        json!({"slots": [[classes[0], classes[0]]]}),
        json!({"slots": [[classes[0], classes[1], classes[2], classes[0]]]}),
        json!({"slots": [[999_999]]}),
        json!({"slots": [[]]}),
        json!({}),
    ] {
        let (s, _) = t.put(&prefs, &parent, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let (s, v) = t
        .put(
            &prefs,
            &parent,
            json!({"slots": [[classes[0], classes[1]]]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["slots"][0].as_array().unwrap().len(), 2);
    // No seed, no draw, while the window is open.
    let (s, _) = t
        .post(
            &format!("{base}/lottery/seed"),
            &admin,
            json!({"seed": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    t.clock.advance(chrono::Duration::hours(2));
    let admin = t.login(SCHOOL1_ADMIN).await;
    let parent = t.login(PARENT).await;
    let (s, _) = t
        .post(&format!("{base}/lottery/draw"), &admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "no seed yet");
    let (s, d) = t
        .post(
            &format!("{base}/lottery/seed"),
            &admin,
            json!({"seed": "2026秋-公开种子"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (s, _) = t
        .post(
            &format!("{base}/lottery/seed"),
            &admin,
            json!({"seed": "another"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the seed never changes");
    let (_, v) = t.get(&prefs, &parent).await;
    assert_eq!(v["seed"], "2026秋-公开种子");
    let (s, d) = t
        .post(&format!("{base}/lottery/draw"), &admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "drawn");
    let row = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == kid)
        .cloned()
        .expect("the child's row");
    // Parents see nothing until the school publishes.
    let (_, v) = t.get(&prefs, &parent).await;
    assert!(v["results"].as_array().unwrap().is_empty());
    let (s, _) = t
        .post(&format!("{base}/lottery/publish"), &admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = t.get(&prefs, &parent).await;
    assert_eq!(
        v["results"][0]["teaching_class_id"],
        row["teaching_class_id"]
    );
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert!(msgs.to_string().contains("志愿录取结果已公布"), "{msgs}");
    if let Some(c) = row["teaching_class_id"].as_i64() {
        let (_, h) = t
            .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
            .await;
        assert!(
            h["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| { e["teaching_class_id"] == c && e["source"] == "lottery" })
        );
    }
    // Anyone recomputes the draw from what was published; a changed result is caught.
    let v = kehou_service::enrollment::lottery::verify(&t.app.db, term)
        .await
        .unwrap();
    assert!(v.differences.is_empty(), "{:?}", v.differences);
    t.app
        .db
        .execute_unprepared(&format!(
            "UPDATE lottery_draws SET results = REPLACE(results, '\"student_id\":{kid},', '\"student_id\":{},') WHERE term_id = {term}",
            kid + 100_000
        ))
        .await
        .unwrap();
    let v = kehou_service::enrollment::lottery::verify(&t.app.db, term)
        .await
        .unwrap();
    assert!(!v.differences.is_empty());
}

#[tokio::test]
async fn f6_the_parent_page_selects_and_the_school_page_lists() {
    use crate::pages::Browser;
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let parent = t.login(PARENT).await;
    let page_before = {
        let mut b = Browser::new(&t);
        b.login(PARENT, crate::common::PASSWORD).await;
        b.get("/enroll").await
    };
    // The demo's free choir shows as enrolled (已报名) beside the unpaid basketball.
    assert!(page_before.body.contains("合唱班") && page_before.body.contains("已报名"));
    free_the_choir(&t, &parent, child(&t, &parent).await).await;
    let mut b = Browser::new(&t);
    b.login(PARENT, crate::common::PASSWORD).await;
    let page = b.get("/enroll").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("篮球班") && page.body.contains("待支付"),
        "{}",
        page.body
    );
    assert!(page.body.contains("钢琴启蒙班"));
    let csrf = Browser::csrf(&page);
    // The first class the page offers, ticked, with its textbook if it has one.
    let pick = page
        .body
        .split("name=\"pick\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a class to pick")
        .to_string();
    let student = page
        .body
        .split("name=\"student_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let done = b
        .post(
            "/enroll",
            &[
                ("_csrf", &csrf),
                ("student_id", &student),
                ("pick", &pick),
                ("textbook", &pick),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.body.contains("报名结果") && done.body.contains("请在"),
        "{}",
        done.body
    );
    // Nothing ticked: the form says so.
    let none = b
        .post("/enroll", &[("_csrf", &csrf), ("student_id", &student)])
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.body.contains("请选择1至10门课程"));
    let mut a = Browser::new(&t);
    a.login(SCHOOL1_ADMIN, crate::common::PASSWORD).await;
    let manage = a.get(&format!("/schools/{school}/enrollment")).await;
    assert_eq!(manage.status, StatusCode::OK);
    assert!(
        manage.body.contains("报名须知") && manage.body.contains("周俊"),
        "{}",
        manage.body
    );
    assert!(
        manage.body.contains("aria-label=\"分页\""),
        "the roster is paged"
    );
    let second = a
        .get(&format!("/schools/{school}/enrollment?size=20&page=2"))
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.contains("第 2 / "), "{}", second.body);
    let lottery = a
        .get(&format!("/schools/{school}/enrollment/lottery"))
        .await;
    assert_eq!(lottery.status, StatusCode::OK);
    let xlsx = a
        .get_bytes(&format!("/schools/{school}/enrollment/signatures"))
        .await;
    let rows = crate::common::workbook_rows(&xlsx);
    assert!(
        rows.iter().any(|r| r.iter().any(|c| c == "周俊")),
        "{rows:?}"
    );
    assert!(rows.iter().any(|r| r.iter().any(|c| c == "周杰")));
}

#[tokio::test]
async fn g2_g3_enroll_first_courses_are_assigned_merged_and_split() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    free_the_choir(&t, &parent, kid).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    // The term's plan becomes "enroll first": parents choose courses, not classes.
    let (_, plans) = t.get(&format!("{base}/plans"), &admin).await;
    let plan = plans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["enabled"] == true)
        .cloned()
        .expect("an enabled plan");
    let (s, p) = t
        .patch(
            &format!("{base}/plans/{}", plan["id"]),
            &admin,
            json!({"mode": "enroll_first"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let v = choices(&t, &parent, kid).await;
    assert_eq!(v["mode"], "course", "{v}");
    let chorus = crate::teaching::item(&t, &admin, school, term, "合唱").await;
    let item_id = chorus["id"].as_i64().unwrap();
    let (s, r) = t
        .post(
            "/api/v1/enrollments",
            &parent,
            json!({"student_id": kid, "items": [{"offering_item_id": item_id}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["items"][0]["outcome"], "accepted", "{r}");
    // A class is named only by the school's assignment.
    let (_, a) = t
        .get(
            &format!("{base}/class-assignment?item_id={item_id}"),
            &admin,
        )
        .await;
    let waiting = a["students"].as_array().unwrap();
    assert!(waiting.iter().any(|x| x["student_id"] == kid), "{a}");
    let (s, a) = t
        .post(
            &format!("{base}/class-assignment/run"),
            &admin,
            json!({"item_id": item_id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let mine = a["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["student_id"] == kid)
        .cloned()
        .unwrap();
    let class_id = mine["proposed_class_id"]
        .as_i64()
        .expect("a proposed class");
    // A class of another course is refused; taking the proposal back and giving it again works.
    let other = class(&t, &admin, school, term, "篮球班").await;
    let (s, _) = t
        .post(
            &format!("{base}/class-assignment/moves"),
            &admin,
            json!({"enrollment_id": mine["enrollment_id"], "teaching_class_id": other["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = t
        .post(
            &format!("{base}/class-assignment/moves"),
            &admin,
            json!({"enrollment_id": mine["enrollment_id"], "teaching_class_id": class_id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, a) = t
        .post(
            &format!("{base}/class-assignment/publish"),
            &admin,
            json!({"item_id": item_id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert!(
        a["students"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["student_id"] != kid)
    );
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    assert!(
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["teaching_class_id"] == class_id)
    );
    let (s, _) = t
        .post(
            &format!("{base}/class-assignment/publish"),
            &admin,
            json!({"item_id": item_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing left to publish");
    // A second chorus class of two seats: splitting one student in works, merging the
    // whole first class into it does not (the engine's reason).
    let zhao = crate::teaching::staff_id(&t, &admin, school, "赵敏").await;
    let (s, second) = t
        .post(
            &crate::teaching::classes_path(school, term),
            &admin,
            json!({"item_id": item_id, "name": "合唱二班", "capacity_max": 2, "grade_from": 1, "grade_to": 6, "staff_ids": [zhao]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let first = class(&t, &admin, school, term, "合唱班").await;
    let (_, members) = t
        .get(
            &format!(
                "{}/{}/students",
                crate::teaching::classes_path(school, term),
                first["id"]
            ),
            &admin,
        )
        .await;
    let one = members["items"][0]["student_id"].as_i64().unwrap();
    let (s, e) = t
        .post(
            &format!("{base}/class-merges"),
            &admin,
            json!({"from_class_id": first["id"], "into_class_id": second["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap().contains("超过"), "{e}");
    let (s, e) = t
        .post(
            &format!("{base}/class-merges"),
            &admin,
            json!({"from_class_id": first["id"], "into_class_id": second["id"], "student_ids": [one]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, moved) = t
        .get(
            &format!(
                "{}/{}/students",
                crate::teaching::classes_path(school, term),
                second["id"]
            ),
            &admin,
        )
        .await;
    assert_eq!(moved["items"][0]["student_id"], one);
    let (s, _) = t
        .post(
            &format!("{base}/class-merges"),
            &admin,
            json!({"from_class_id": first["id"], "into_class_id": first["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn f9_a_head_teacher_sees_the_class_and_cancels_for_a_student() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let head = t.login(crate::common::HEAD_TEACHER).await;
    let teacher = t.login(crate::common::TEACHER).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let (s, h) = t.get("/api/v1/me/admin-class-enrollments", &head).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert!(!h["classes"].as_array().unwrap().is_empty(), "{h}");
    let student = h["without"][0]["student_id"].as_i64().expect("a student");
    // The school selects a class for one of them.
    let chorus = class(&t, &admin, school, term, "合唱班").await;
    let (s, r) = t
        .post(
            &format!("/api/v1/schools/{school}/enrollments"),
            &admin,
            json!({"student_id": student, "items": [{"teaching_class_id": chorus["id"]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let e = r["items"][0]["enrollment_id"].as_i64().expect("accepted");
    let (_, h) = t.get("/api/v1/me/admin-class-enrollments", &head).await;
    assert!(
        h["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["enrollment"]["id"] == e)
    );
    // A teacher who is not the head teacher cannot; a reason is required.
    let path = format!("/api/v1/enrollments/{e}/cancel");
    let (s, _) = t.post(&path, &teacher, json!({"reason": "家长要求"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.post(&path, &head, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, c) = t
        .post(&path, &head, json!({"reason": "家长电话要求取消"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    // The choir is free: confirmed at once, so cancelling drops it.
    assert_eq!(c["status"], "dropped");
    assert!(
        c["end_reason"]
            .as_str()
            .unwrap()
            .contains("家长电话要求取消")
    );
    let (s, _) = t.post(&path, &head, json!({"reason": "again"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The page shows the class.
    let mut b = crate::pages::Browser::new(&t);
    b.login(crate::common::HEAD_TEACHER, crate::common::PASSWORD)
        .await;
    let page = b.get("/enrollment/my-classes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("已退课"), "{}", page.body);
}

#[tokio::test]
async fn the_schools_changes_by_hand_keep_seats_and_enrollments_true() {
    use kehou_store::sea_orm::ConnectionTrait;
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let parent = t.login(PARENT).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let classes = crate::teaching::classes_path(school, term);
    // 钢琴启蒙班 is full with unpaid holds: adding a student by hand is refused.
    let piano = class(&t, &admin, school, term, "钢琴启蒙班").await;
    let outsider = crate::teaching::students_of_grade(&t, &admin, school, 1)
        .await
        .into_iter()
        .last()
        .unwrap();
    let (s, e) = t
        .post(
            &format!("{classes}/{}/students", piano["id"]),
            &admin,
            json!({"student_ids": [outsider]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap().contains("待支付"), "{e}");
    // A paid enrollment (as the money issue will confirm it), then removed by hand: the
    // enrollment is dropped, not left pointing at a class the student is not in.
    let kid = child(&t, &parent).await;
    let basketball = class(&t, &admin, school, term, "篮球班").await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let e = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["teaching_class_id"] == basketball["id"])
        .cloned()
        .unwrap();
    t.app
        .db
        .execute_unprepared(&format!(
            "UPDATE enrollments SET status = 'confirmed' WHERE id = {}",
            e["id"]
        ))
        .await
        .unwrap();
    let (s, _) = t
        .post(
            &format!("{classes}/{}/students", basketball["id"]),
            &admin,
            json!({"student_ids": [kid]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t
        .delete(
            &format!("{classes}/{}/students/{kid}", basketball["id"]),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let after = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == e["id"])
        .cloned()
        .unwrap();
    assert_eq!(after["status"], "dropped", "{after}");
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn f3_f6_confirmations_download_as_pdf_and_courses_show_their_pictures() {
    use kehou_service::platform::pdf::text_of;
    use kehou_store::entity::course::course_file;
    use kehou_store::sea_orm::EntityTrait;
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;

    // F6: each class carries its course's pictures, which the parent may open.
    let v = choices(&t, &parent, kid).await;
    let shown: Vec<String> = v["choices"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["pictures"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    assert!(shown.len() >= 4, "{v}");
    let piano = v["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["course"] == "钢琴启蒙")
        .unwrap();
    assert_eq!(piano["pictures"].as_array().unwrap().len(), 1, "{piano}");
    // Pictures are page resources: the parent's session opens them.
    let mut b = crate::pages::Browser::new(&t);
    b.login(PARENT, crate::common::PASSWORD).await;
    let picture = b.get(&shown[0]).await;
    assert_eq!(picture.status, StatusCode::OK);
    assert_eq!(picture.headers["content-type"], "image/png");
    assert!(b.get_bytes(&shown[0]).await.starts_with(b"\x89PNG"));
    // A picture of a course the child's school does not offer (示例第二小学's own 篮球),
    // someone else's child, or another user: not found.
    let all = course_file::Entity::find().all(&t.app.db).await.unwrap();
    let unseen: Vec<i64> = all
        .iter()
        .map(|f| f.id)
        .filter(|id| {
            !shown
                .iter()
                .any(|p| p.ends_with(&format!("/pictures/{id}")))
        })
        .collect();
    assert!(!unseen.is_empty(), "{all:?}");
    for id in unseen {
        let page = b
            .get(&format!("/enroll/students/{kid}/pictures/{id}"))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "picture {id}");
    }
    let other = t.first_student(t.org_id("示例第二小学").await).await;
    let elsewhere = shown[0].replace(&format!("/students/{kid}/"), &format!("/students/{other}/"));
    assert_eq!(b.get(&elsewhere).await.status, StatusCode::NOT_FOUND);
    let mut teacher = crate::pages::Browser::new(&t);
    teacher
        .login(crate::common::TEACHER, crate::common::PASSWORD)
        .await;
    assert_eq!(teacher.get(&shown[0]).await.status, StatusCode::NOT_FOUND);
    // The page shows them.
    let page = b.get("/enroll").await;
    assert!(
        page.body.contains(&format!("<img src=\"{}\"", shown[0])),
        "{}",
        page.body
    );

    // F3: the demo parent signed the notice; the school downloads the confirmation singly
    // and the term's together, reading who signed which version.
    let (s, list) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/notice-signatures"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let signature = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == kid)
        .unwrap()
        .clone();
    let id = signature["id"].as_i64().unwrap();
    let (s, content_type, pdf) = t
        .download(
            &format!("/api/v1/schools/{school}/notice-signatures/{id}/confirmation"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(content_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = text_of(&pdf);
    for expected in [
        "报名须知签署确认书",
        "示例第一小学",
        "周俊（学号",
        "第1版",
        "签署人：",
        "周杰",
        "课后服务遵循家长自愿原则",
        "第 1 / 1 页",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // Another reader sees the same Chinese text.
    if let Some(read) = crate::common::pdftotext(&pdf) {
        for expected in [
            "报名须知签署确认书",
            "签署人：周杰",
            "课后服务遵循家长自愿原则",
        ] {
            assert!(read.contains(expected), "{expected}: {read}");
        }
    }
    // The whole term: one page (at least) per signature.
    let (s, _, all_pdf) = t
        .download(
            &format!("/api/v1/schools/{school}/terms/{term}/notice-confirmations"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let all_text = text_of(&all_pdf);
    let count = list["items"].as_array().unwrap().len();
    assert_eq!(all_text.matches("签署人：").count(), count, "{all_text}");
    // The page's links: the roster row's confirmation and a class's.
    let mut a = crate::pages::Browser::new(&t);
    a.login(SCHOOL1_ADMIN, crate::common::PASSWORD).await;
    let manage = a.get(&format!("/schools/{school}/enrollment")).await;
    let link = format!("/schools/{school}/enrollment/confirmations/{id}");
    assert!(manage.body.contains(&link), "{}", manage.body);
    let single = a.get_bytes(&link).await;
    assert!(text_of(&single).contains("周杰"));
    // The child is in 少儿国画班 (its free enrollment is confirmed).
    let class = class(&t, &admin, school, term, "少儿国画班").await["id"]
        .as_i64()
        .unwrap();
    let by_class = a
        .get_bytes(&format!(
            "/schools/{school}/enrollment/confirmations?term={term}&class={class}"
        ))
        .await;
    let class_text = text_of(&by_class);
    assert!(class_text.contains("周俊"), "{class_text}");
    assert_eq!(class_text.matches("签署人：").count(), 1, "{class_text}");

    // Out of scope or unknown: not found; without the permission: forbidden.
    let school2 = t.org_id("示例第二小学").await;
    for path in [
        format!("/api/v1/schools/{school2}/notice-signatures/{id}/confirmation"),
        format!("/api/v1/schools/{school}/notice-signatures/999999/confirmation"),
    ] {
        let (s, _, _) = t.download(&path, &admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    let (s, _, _) = t
        .download(
            &format!("/api/v1/schools/{school}/notice-signatures/{id}/confirmation"),
            &parent,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn enrollment_texts_refuse_control_and_direction_characters_and_change_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let (_, before) = t.get(&format!("{base}/notice"), &admin).await;
    for (title, body, field) in [
        ("须知\u{202E}txt.exe", "正文", "title"),
        ("须知", "正文\u{0007}响铃", "body"),
        ("须知", "正文\u{2066}隔离", "body"),
        (&*"长".repeat(101), "正文", "title"),
    ] {
        let (s, e) = t
            .post(
                &format!("{base}/notice"),
                &admin,
                json!({"title": title, "body": body}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["details"][0]["field"], field, "{e}");
    }
    let (_, after) = t.get(&format!("{base}/notice"), &admin).await;
    assert_eq!(before["version"], after["version"]);
    let v = t
        .get(&format!("{base}/enrollment-settings"), &admin)
        .await
        .1;
    let items: Vec<i64> = v["courses"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|c| c["item_id"].as_i64().unwrap())
        .collect();
    let groups = v["groups"].as_array().map_or(0, Vec::len);
    let (s, e) = t
        .post(
            &format!("{base}/exclusive-groups"),
            &admin,
            json!({"name": "球类\u{202D}组", "item_ids": items}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let v = t
        .get(&format!("{base}/enrollment-settings"), &admin)
        .await
        .1;
    assert_eq!(v["groups"].as_array().map_or(0, Vec::len), groups);
    let (s, e) = t
        .post(
            &format!("{base}/lottery/seed"),
            &admin,
            json!({"seed": "seed\u{200F}1"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // A cancel with such a reason leaves the enrollment as it was.
    let (_, roster) = t.get(&format!("{base}/enrollments"), &admin).await;
    let row = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["enrollment"]["can_cancel"] == true)
        .unwrap_or_else(|| panic!("{roster}"))
        .clone();
    let status = row["enrollment"]["status"].clone();
    let id = row["enrollment"]["id"].as_i64().unwrap();
    let (s, e) = t
        .post(
            &format!("/api/v1/enrollments/{id}/cancel"),
            &admin,
            json!({"reason": "家长\u{0000}要求"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (_, roster) = t.get(&format!("{base}/enrollments"), &admin).await;
    assert!(
        roster["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["enrollment"]["id"] == id && r["enrollment"]["status"] == status)
    ); // The roster comes a page at a time.
    let total = roster["total"].as_u64().unwrap();
    assert!(total >= 2, "{roster}");
    let (s, one) = t
        .get(&format!("{base}/enrollments?page=2&page_size=1"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(one["total"], total);
    assert_eq!(one["items"][0], roster["items"][1]);
    for bad in ["page=0", "page_size=0", "page_size=101", "status=paid"] {
        let (s, _) = t.get(&format!("{base}/enrollments?{bad}"), &admin).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn f5_a_drop_is_requested_reviewed_and_frees_the_seat() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    let requests = format!("/api/v1/schools/{school}/terms/{term}/drop-requests");
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let e = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "confirmed" && e["can_drop"] == true)
        .unwrap_or_else(|| panic!("{h}"))
        .clone();
    let id = e["id"].as_i64().unwrap();
    let class_id = e["teaching_class_id"].as_i64().unwrap();
    let path =
        format!("/api/v1/schools/{school}/terms/{term}/teaching-classes/{class_id}/students");
    let members = async |t: &TestApp| {
        let (_, v) = t.get(&path, &admin).await;
        v["items"].as_array().map_or(0, Vec::len)
    };
    let before = members(&t).await;
    let drop = format!("/api/v1/enrollments/{id}/drop");
    // A hostile reason changes nothing.
    let (s, _) = t
        .post(&drop, &parent, json!({"reason": "不想\u{202E}上了"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, list) = t.get(&requests, &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");

    // The request: the enrollment stays confirmed and keeps its seat until decided.
    let (s, v) = t.post(&drop, &parent, json!({"reason": "时间冲突"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "confirmed");
    assert_eq!(v["drop_request"]["status"], "pending");
    assert_eq!(v["can_drop"], false);
    let (s, _) = t.post(&drop, &parent, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "one request at a time");
    let (_, list) = t.get(&requests, &admin).await;
    let r = &list["items"][0];
    assert_eq!(r["reason"], "时间冲突");
    assert_eq!(r["student_id"], kid);
    let rid = r["id"].as_i64().unwrap();

    // Withdrawn by the parent; then asked again.
    let (s, w) = t
        .post(
            &format!("/api/v1/drop-requests/{rid}/withdraw"),
            &parent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["status"], "withdrawn");
    let (s, _) = t
        .post(
            &format!("/api/v1/drop-requests/{rid}/withdraw"),
            &parent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, v) = t.post(&drop, &parent, json!({"reason": "孩子生病"})).await;
    let rid = v["drop_request"]["id"].as_i64().unwrap();
    let decision = format!("/api/v1/drop-requests/{rid}/decision");

    // Bad decisions change nothing; others may not decide.
    for (body, field) in [
        (json!({}), "approve"),
        (json!({"approve": false}), "note"),
        (json!({"approve": false, "note": "x".repeat(201)}), "note"),
    ] {
        let (s, e) = t.post(&decision, &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["details"][0]["field"], field, "{e}");
    }
    let (s, _) = t.post(&decision, &parent, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = t.login(crate::common::SCHOOL2_ADMIN).await;
    let (s, _) = t.post(&decision, &other, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(members(&t).await, before);

    // The school's page: rejecting without a reason is refused there too.
    {
        let mut b = crate::pages::Browser::new(&t);
        b.login(SCHOOL1_ADMIN, crate::common::PASSWORD).await;
        let manage = b
            .get(&format!("/schools/{school}/enrollment?term={term}"))
            .await;
        let form = format!("/schools/{school}/enrollment/drop-requests/{rid}?term={term}");
        assert!(manage.body.contains(&form), "{}", manage.body);
        assert!(manage.body.contains("孩子生病"));
        let csrf = crate::pages::Browser::csrf(&manage);
        let bad = b
            .post(&form, &[("_csrf", &csrf), ("decision", "reject")])
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("不同意退课时请填写原因"), "{}", bad.body);
    }
    // Rejected with a reason: the parent reads it; the enrollment stands.
    let (s, d) = t
        .post(
            &decision,
            &admin,
            json!({"approve": false, "note": "已上课过半"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "rejected");
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let now = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(now["status"], "confirmed");
    assert_eq!(now["drop_request"]["decision_note"], "已上课过半");
    assert_eq!(now["can_drop"], true);
    let (_, inbox) = t.get("/api/v1/messages", &parent).await;
    assert!(inbox.to_string().contains("已上课过半"), "{inbox}");

    // Approved: dropped (已退课), the seat freed, the invariants kept.
    let (_, v) = t.post(&drop, &parent, json!({"reason": "搬家"})).await;
    let rid = v["drop_request"]["id"].as_i64().unwrap();
    let decision = format!("/api/v1/drop-requests/{rid}/decision");
    let (s, d) = t.post(&decision, &admin, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "approved");
    let (s, _) = t
        .post(&decision, &admin, json!({"approve": false, "note": "x"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let now = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(now["status"], "dropped");
    assert_eq!(now["status_label"], "已退课");
    assert_eq!(members(&t).await, before - 1);
    let (_, list) = t.get(&format!("{requests}?status=approved"), &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (s, _) = t.get(&format!("{requests}?status=bogus"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_waiting_child_gets_the_seat_another_parent_gives_up() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    free_the_choir(&t, &parent, kid).await;
    let choir = class(&t, &admin, school, term, "合唱班").await;
    let choir_id = choir["id"].as_i64().unwrap();
    // The school places another student (of a known demo family) in the choir...
    let (_, students) = t
        .get(
            &format!("/api/v1/schools/{school}/students?page_size=100"),
            &admin,
        )
        .await;
    let mut other = None;
    for s in students["items"].as_array().unwrap() {
        let id = s["id"].as_i64().unwrap();
        let no = s["student_no"].as_str().unwrap();
        if id == kid {
            continue;
        }
        let (_, r) = t
            .post(
                &format!("/api/v1/schools/{school}/enrollments"),
                &admin,
                json!({"student_id": id, "items": [{"teaching_class_id": choir_id}]}),
            )
            .await;
        if r["items"][0]["outcome"] == "accepted" {
            // The demo's families: the father of student number n has 13901 and 2n.
            let n: u32 = no[no.len() - 5..].parse().unwrap();
            other = Some((id, format!("13901{:06}", 2 * n)));
            break;
        }
    }
    let (other_id, other_phone) = other.expect("a student the choir fits");
    // ...and the choir is full.
    let path = format!("/api/v1/schools/{school}/terms/{term}/teaching-classes/{choir_id}");
    let (_, members) = t.get(&format!("{path}/students"), &admin).await;
    let count = members["items"].as_array().unwrap().len();
    let (s, v) = t.patch(&path, &admin, json!({"capacity_max": count})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = enroll(&t, &parent, kid, &[choir_id]).await;
    assert_eq!(r["items"][0]["reason"], "full", "{r}");
    // The kid waits.
    let (s, w) = t
        .post(
            "/api/v1/waitlist",
            &parent,
            json!({"student_id": kid, "teaching_class_id": choir_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    // The other parent declines the school's selection: the seat frees at once.
    let other_parent = t.login(&other_phone).await;
    let (_, h) = t
        .get(
            &format!("/api/v1/students/{other_id}/enrollments"),
            &other_parent,
        )
        .await;
    let theirs = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["teaching_class_id"] == choir_id && e["status"] == "confirmed")
        .unwrap_or_else(|| panic!("{h}"))["id"]
        .as_i64()
        .unwrap();
    let (s, d) = t
        .post(
            &format!("/api/v1/enrollments/{theirs}/drop"),
            &other_parent,
            json!({"reason": "孩子不想参加"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "dropped");
    // The waiting kid has the seat (the choir is free: confirmed at once) and is told.
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    assert!(
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["teaching_class_id"] == choir_id
                && e["source"] == "waitlist"
                && e["status"] == "confirmed"),
        "{h}"
    );
    let (_, w) = t
        .get(&format!("/api/v1/students/{kid}/waitlist"), &parent)
        .await;
    assert_eq!(w["items"][0]["status"], "offered", "{w}");
    let (_, inbox) = t.get("/api/v1/messages", &parent).await;
    assert!(inbox.to_string().contains("合唱"), "{inbox}");

    // The other child now waits in turn; a capacity below the seats taken is refused and
    // changes nothing; raising it gives the waiting child the seat.
    let (_, n) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/notice"),
            &other_parent,
        )
        .await;
    let (s, v) = t
        .post(
            "/api/v1/notice-signatures",
            &other_parent,
            json!({"student_id": other_id, "notice_id": n["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, w) = t
        .post(
            "/api/v1/waitlist",
            &other_parent,
            json!({"student_id": other_id, "teaching_class_id": choir_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let (s, e) = t
        .patch(&path, &admin, json!({"capacity_max": count - 1}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["details"][0]["field"], "capacity_max", "{e}");
    let (s, e) = t
        .patch(
            &path,
            &admin,
            json!({"capacity_max": count + 1, "name": "改名"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "only the capacity changes once students are in: {e}"
    );
    let (_, k) = t.get(&path, &admin).await;
    assert_eq!(k["capacity_max"], count, "{k}");
    assert_eq!(k["name"], "合唱班");
    let (s, k) = t
        .patch(&path, &admin, json!({"capacity_max": count + 1}))
        .await;
    assert_eq!(s, StatusCode::OK, "{k}");
    let (_, w) = t
        .get(
            &format!("/api/v1/students/{other_id}/waitlist"),
            &other_parent,
        )
        .await;
    assert_eq!(w["items"][0]["status"], "offered", "{w}");
    let (_, members) = t.get(&format!("{path}/students"), &admin).await;
    assert_eq!(members["items"].as_array().unwrap().len(), count + 1);
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}
