//! Scheduling in the platform (E1, E3): runs as jobs, moves with conflict checks, locks,
//! infeasibility named with where to fix it, teachers at two schools.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{class, classes_path, current_term, item, staff_id};
use crate::common::{SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp};

fn base(school: i64, term: i64) -> String {
    format!("/api/v1/schools/{school}/terms/{term}")
}

/// Waits for a run to end (the worker runs it) and answers it.
async fn finished_run(t: &TestApp, token: &str, school: i64, term: i64, id: i64) -> Value {
    for _ in 0..300 {
        let (status, r) = t
            .get(&format!("{}/schedule-runs/{id}", base(school, term)), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        if r["status"] != "queued" && r["status"] != "running" {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the run did not finish");
}

/// Every placed lesson of the term: slot id → (weekday, period, locked).
async fn placements(
    t: &TestApp,
    token: &str,
    school: i64,
    term: i64,
) -> Vec<(i64, Value, Value, bool)> {
    let (_, g) = t
        .get(&format!("{}/schedule", base(school, term)), token)
        .await;
    let mut out = Vec::new();
    for row in g["rows"].as_array().unwrap() {
        for cell in row["cells"].as_array().unwrap() {
            for l in cell["lessons"].as_array().unwrap() {
                out.push((
                    l["id"].as_i64().unwrap(),
                    l["weekday"].clone(),
                    l["period_no"].clone(),
                    l["locked"] == true,
                ));
            }
        }
    }
    out.sort_by_key(|p| p.0);
    out
}

#[tokio::test]
async fn e1_a_run_places_every_lesson_without_conflicts_and_keeps_locks() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let math = item(&t, &admin, school, term, "趣味数学").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let (status, c) = t
        .post(&classes_path(school, term), &admin,
            json!({"item_id": math["id"], "name": "数学思维班", "weekly_lessons": 3, "staff_ids": [zhao],
                   "slots": [{"weekday": 3, "period_no": 2}]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (_, g) = t
        .get(&format!("{}/schedule", base(school, term)), &admin)
        .await;
    assert_eq!(
        g["unplaced"].as_array().unwrap().len(),
        2,
        "two lessons wait for the solver"
    );
    assert_eq!(
        g["conflicts"].as_array().unwrap().len(),
        0,
        "{}",
        g["conflicts"]
    );
    let before = placements(&t, &admin, school, term).await;

    let (status, run) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({"seconds": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    assert!(run["job_id"].is_i64());
    let (status, body) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({}),
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::ACCEPTED,
        "{body}"
    );
    let done = finished_run(&t, &admin, school, term, run["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["hard"], 0);

    let (_, g) = t
        .get(&format!("{}/schedule", base(school, term)), &admin)
        .await;
    assert_eq!(
        g["unplaced"].as_array().unwrap().len(),
        0,
        "{}",
        g["unplaced"]
    );
    let (_, conflicts) = t
        .get(&format!("{}/conflicts", base(school, term)), &admin)
        .await;
    assert_eq!(conflicts["total"], 0, "{conflicts}");
    let after = placements(&t, &admin, school, term).await;
    for (id, w, p, locked) in &before {
        if *locked {
            let now = after.iter().find(|a| a.0 == *id).unwrap();
            assert_eq!((&now.1, &now.2), (w, p), "a locked lesson stays");
        }
    }
    let (_, v) = t
        .get(
            &format!("{}/{}", classes_path(school, term), c["id"]),
            &admin,
        )
        .await;
    let days: Vec<i64> = v["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["weekday"].as_i64().unwrap())
        .collect();
    let mut distinct = days.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "spread over three days: {days:?}");
    // Its dated lessons follow.
    let (_, tt) = t
        .get(
            &format!(
                "/api/v1/timetable?teaching_class_id={}&from=2026-09-07&to=2026-09-13",
                c["id"]
            ),
            &admin,
        )
        .await;
    assert_eq!(tt["entries"].as_array().unwrap().len(), 3, "{tt}");
    assert_eq!(t.audit_count("schedule.result").await, 1);
}

#[tokio::test]
async fn e1_moves_show_conflicts_and_locks_cannot_contradict() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    // Two classes of 赵敏.
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let (_, list) = t.get(&classes_path(school, term), &admin).await;
    let hers: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["teachers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["staff_id"] == zhao)
        })
        .cloned()
        .collect();
    assert!(hers.len() >= 2, "the demo gives 赵敏 two classes at least");
    let (a, b) = (&hers[0]["slots"][0], &hers[1]["slots"][0]);
    let slot = |s: &Value| format!("{}/schedule/slots/{}", base(school, term), s["id"]);

    // Moved onto b's time (not locked): allowed, and the clash is reported at once.
    let (status, moved) = t
        .put(
            &slot(a),
            &admin,
            json!({"weekday": b["weekday"], "period_no": b["period_no"], "locked": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let kinds: Vec<&str> = moved["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"teacher"), "{moved}");
    let (_, conflicts) = t
        .get(&format!("{}/conflicts", base(school, term)), &admin)
        .await;
    let clash = conflicts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "teacher")
        .expect("listed")
        .clone();
    assert!(
        clash["message"].as_str().unwrap().contains("赵敏"),
        "{clash}"
    );
    assert!(
        clash["link"].as_str().unwrap().contains("/schedule?term="),
        "{clash}"
    );

    // Both locked there contradict each other: the second lock is refused.
    let (status, _) = t
        .put(
            &slot(b),
            &admin,
            json!({"weekday": b["weekday"], "period_no": b["period_no"], "locked": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .put(
            &slot(a),
            &admin,
            json!({"weekday": b["weekday"], "period_no": b["period_no"], "locked": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("已锁定"),
        "{body}"
    );

    // Bad moves change nothing.
    for (input, code) in [
        (
            json!({"weekday": 1, "period_no": 9}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"weekday": 0, "period_no": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({}), StatusCode::BAD_REQUEST),
        (
            json!({"weekday": 1, "period_no": 1, "room_id": 999999}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = t.put(&slot(a), &admin, input.clone()).await;
        assert_eq!(status, code, "{input}: {body}");
    }
    let (status, _) = t
        .put(
            &format!("{}/schedule/slots/999999", base(school, term)),
            &admin,
            json!({"weekday": 1, "period_no": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .put(
            &slot(a),
            &t.login(TEACHER).await,
            json!({"weekday": 1, "period_no": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .put(
            &slot(a),
            &t.login(SCHOOL2_ADMIN).await,
            json!({"weekday": 1, "period_no": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Moved back: no conflict left.
    let (status, moved) = t
        .put(
            &slot(a),
            &admin,
            json!({"weekday": a["weekday"], "period_no": a["period_no"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["conflicts"].as_array().unwrap().len(), 0, "{moved}");
    assert_eq!(
        moved["slot"]["locked"], true,
        "a lesson placed by hand is locked"
    );
    let (_, conflicts) = t
        .get(&format!("{}/conflicts", base(school, term)), &admin)
        .await;
    assert_eq!(conflicts["total"], 0, "{conflicts}");
}

#[tokio::test]
async fn e1_an_infeasible_or_cancelled_run_names_why_and_leaves_the_timetable() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let before = placements(&t, &admin, school, term).await;
    // 赵敏 can come at no time at all.
    let all: Vec<Value> = (1..=5)
        .flat_map(|w| (1..=3).map(move |p| json!({"weekday": w, "period_no": p})))
        .collect();
    let (status, s) = t
        .put(
            &format!("{}/schedule-settings/preferences", base(school, term)),
            &admin,
            json!({"target": "staff", "target_id": zhao, "kind": "forbidden", "times": all}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["preferences"].as_array().unwrap().len(), 15);
    // Her lessons now sit at forbidden times: listed as conflicts.
    let (_, conflicts) = t
        .get(&format!("{}/conflicts", base(school, term)), &admin)
        .await;
    assert!(
        conflicts["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "forbidden" && c["message"].as_str().unwrap().contains("赵敏")),
        "{conflicts}"
    );

    let (_, run) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({"seconds": 2}),
        )
        .await;
    let done = finished_run(&t, &admin, school, term, run["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "infeasible", "{done}");
    let blocking = done["blocking"].as_array().unwrap();
    let hers = blocking
        .iter()
        .find(|b| b["message"].as_str().unwrap().contains("赵敏"))
        .unwrap_or_else(|| panic!("{done}"));
    assert!(
        hers["link"]
            .as_str()
            .unwrap()
            .contains("/schedule/settings"),
        "{hers}"
    );
    assert_eq!(
        placements(&t, &admin, school, term).await,
        before,
        "the timetable is as it was"
    );

    // Bad settings.
    for body in [
        json!({"target": "nobody", "target_id": zhao, "kind": "forbidden", "times": []}),
        json!({"target": "staff", "target_id": 999999, "kind": "forbidden", "times": []}),
        json!({"target": "staff", "target_id": zhao, "kind": "maybe", "times": []}),
        json!({"target": "staff", "target_id": zhao, "kind": "forbidden", "times": [{"weekday": 1, "period_no": 7}]}),
    ] {
        let (status, answer) = t
            .put(
                &format!("{}/schedule-settings/preferences", base(school, term)),
                &admin,
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
    }
    for body in [
        json!({"grade": 13, "ends_at": "15:00"}),
        json!({"grade": 3, "ends_at": "25:00"}),
        json!({"grade": 3, "weekdays": [8], "ends_at": "15:00"}),
    ] {
        let (status, answer) = t
            .put(
                &format!("{}/schedule-settings/regular-ends", base(school, term)),
                &admin,
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
    }
    let (status, _) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({"seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &t.login(TEACHER).await,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn e1_a_cancelled_run_changes_nothing() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let math = item(&t, &admin, school, term, "趣味数学").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    t.post(
        &classes_path(school, term),
        &admin,
        json!({"item_id": math["id"], "name": "待排班", "staff_ids": [zhao]}),
    )
    .await;
    let before = placements(&t, &admin, school, term).await;
    let (_, run) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({"seconds": 2}),
        )
        .await;
    let path = format!("{}/schedule-runs/{}", base(school, term), run["id"]);
    let (status, cancelled) = t.post(&format!("{path}/cancel"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let (status, _) = t.post(&format!("{path}/cancel"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "already over");
    // A worker that comes along finds nothing to run.
    while kehou_service::system::worker::run_next(&t.app, "test")
        .await
        .unwrap()
    {}
    assert_eq!(placements(&t, &admin, school, term).await, before);
    let (_, g) = t
        .get(&format!("{}/schedule", base(school, term)), &admin)
        .await;
    assert_eq!(g["unplaced"].as_array().unwrap().len(), 1, "still waiting");
    assert_eq!(g["last_run"]["status"], "cancelled");

    // A run whose job was given up (its worker died) does not block the next one.
    let (status, stuck) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({"seconds": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one run at a time");
    {
        use kehou_store::entity::platform::job;
        use kehou_store::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        let j = job::Entity::find_by_id(stuck["job_id"].as_i64().unwrap())
            .one(&t.app.db)
            .await
            .unwrap()
            .unwrap();
        let mut m = j.into_active_model();
        m.status = Set("failed".into());
        m.update(&t.app.db).await.unwrap();
    }
    let (status, next) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{next}");
    let (_, old) = t
        .get(
            &format!("{}/schedule-runs/{}", base(school, term), stuck["id"]),
            &admin,
        )
        .await;
    assert_eq!(old["status"], "failed", "{old}");
}

#[tokio::test]
async fn e1_an_institution_teacher_is_never_at_two_schools_at_once() {
    let t = TestApp::new().await;
    let s1 = t.org_id("示例第一小学").await;
    let s2 = t.org_id("示例第二小学").await;
    let a1 = t.login(SCHOOL1_ADMIN).await;
    let a2 = t.login(SCHOOL2_ADMIN).await;
    let (t1, t2) = (
        current_term(&t, &a1, s1).await,
        current_term(&t, &a2, s2).await,
    );
    let (_, l1) = t.get(&classes_path(s1, t1), &a1).await;
    let he = l1["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["teachers"].as_array().unwrap().iter())
        .find(|x| x["name"] == "何雅琴" && x["institution_teacher_id"].is_i64())
        .map(|x| x["institution_teacher_id"].as_i64().unwrap())
        .expect("the art centre's teacher at school 1");
    let hers_in = |c: &Value| {
        c["teachers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["institution_teacher_id"] == he)
    };
    let days_of = |list: &Value| -> Vec<i64> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| hers_in(c))
            .flat_map(|c| {
                c["slots"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|s| s["weekday"].as_i64())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (_, l2) = t.get(&classes_path(s2, t2), &a2).await;
    let (d1, d2) = (days_of(&l1), days_of(&l2));
    assert!(
        !d1.is_empty() && !d2.is_empty(),
        "she teaches at both: {d1:?} {d2:?}"
    );
    assert!(
        d2.iter().all(|d| !d1.contains(d)),
        "on different days: {d1:?} {d2:?}"
    );

    // Her class at the second school moved onto a time she teaches at the first: a conflict.
    let first = l1["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| hers_in(c))
        .unwrap();
    let busy = &first["slots"][0];
    let hers = l2["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| hers_in(c))
        .unwrap();
    let (status, moved) = t
        .put(
            &format!("{}/schedule/slots/{}", base(s2, t2), hers["slots"][0]["id"]),
            &a2,
            json!({"weekday": busy["weekday"], "period_no": busy["period_no"], "locked": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let elsewhere = moved["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "teacher_elsewhere")
        .unwrap_or_else(|| panic!("{moved}"));
    assert!(
        elsewhere["message"]
            .as_str()
            .unwrap()
            .contains("示例第一小学"),
        "{elsewhere}"
    );
    // The solver moves it away again.
    let (_, run) = t
        .post(
            &format!("{}/schedule-runs", base(s2, t2)),
            &a2,
            json!({"seconds": 5}),
        )
        .await;
    let done = finished_run(&t, &a2, s2, t2, run["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (_, conflicts) = t.get(&format!("{}/conflicts", base(s2, t2)), &a2).await;
    assert_eq!(conflicts["total"], 0, "{conflicts}");
}

#[tokio::test]
async fn e3_after_school_lessons_come_after_the_regular_ones() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    // The demo: fifth and sixth grades have regular lessons until 16:20 on Fridays.
    let (_, s) = t
        .get(&format!("{}/schedule-settings", base(school, term)), &admin)
        .await;
    assert!(
        s["day_ends"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["grade"] == 5 && d["weekday"] == 5 && d["ends_at"] == "16:20"),
        "{s}"
    );
    let (_, g) = t
        .get(&format!("{}/schedule", base(school, term)), &admin)
        .await;
    let friday_first = g["rows"][0]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["weekday"] == 5)
        .unwrap()
        .clone();
    assert!(
        friday_first["regular"].as_str().unwrap().contains("五年级"),
        "shown against the regular timetable: {friday_first}"
    );
    // Every grade's lessons end at 17:00 on Mondays: what sits before is a conflict, and a run clears it.
    for grade in 1..=6 {
        let (status, body) = t
            .put(
                &format!("{}/schedule-settings/regular-ends", base(school, term)),
                &admin,
                json!({"grade": grade, "weekdays": [1], "ends_at": "17:00"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, conflicts) = t
        .get(&format!("{}/conflicts", base(school, term)), &admin)
        .await;
    let regular = conflicts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "regular_lessons")
        .count();
    let monday_early = placements(&t, &admin, school, term)
        .await
        .iter()
        .filter(|p| p.1 == 1 && p.2.as_i64().unwrap() < 3)
        .count();
    assert_eq!(regular, monday_early, "{conflicts}");
    assert!(regular > 0);
    let (_, run) = t
        .post(
            &format!("{}/schedule-runs", base(school, term)),
            &admin,
            json!({"seconds": 5}),
        )
        .await;
    let done = finished_run(&t, &admin, school, term, run["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        placements(&t, &admin, school, term)
            .await
            .iter()
            .all(|p| !(p.1 == 1 && p.2.as_i64().unwrap() < 3))
    );
    let basketball = class(&t, &admin, school, term, "篮球班").await;
    assert_eq!(basketball["status"], "open");
}
