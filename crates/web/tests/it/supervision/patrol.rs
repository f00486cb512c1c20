//! J1, J2: the school gives a patrol teacher a task; the patrol teacher sees the day's
//! lessons (total, started, patrolled) with their check-ins and roll calls, scores a lesson
//! and its teacher with notes and photos; the school and the bureau read the report and
//! its export.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::attendance::roll_call::choir_lesson;
use crate::attendance::{at_lesson, my_lessons, names_field};
use crate::common::{
    CITY_LEADER, HEAD_TEACHER, PASSWORD, PATROL_TEACHER, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER,
    TestApp, workbook_rows,
};
use crate::institution::{PDF, PNG};
use crate::pages::Browser;

/// A good record of a lesson.
fn good_record() -> Value {
    json!({"lesson_score": 4, "teacher_score": 5, "teacher_present": true,
           "students_seen": 20, "note": "课堂秩序良好"})
}

/// Gives 孙伟 a Friday task for the second half of September.
async fn friday_task(t: &TestApp, school: i64) -> Value {
    let admin = t.login(SCHOOL1_ADMIN).await;
    let sun = t.user_id(PATROL_TEACHER).await;
    let (s, task) = t
        .post(
            &format!("/api/v1/schools/{school}/patrol-tasks"),
            &admin,
            json!({"user_id": sun, "title": "九月周五巡课", "from": "2026-09-14",
                   "to": "2026-09-30", "weekdays": [5], "lessons_per_day": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{task}");
    task
}

#[tokio::test]
async fn j1_the_school_gives_tasks_only_to_its_patrol_teachers_and_bad_tasks_change_nothing() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, list) = t
        .get(&format!("/api/v1/schools/{school}/patrollers"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"孙伟"), "{names:?}");
    assert!(
        !names.contains(&"赵敏"),
        "a plain teacher does not patrol: {names:?}"
    );

    let sun = t.user_id(PATROL_TEACHER).await;
    let zhao = t.user_id(TEACHER).await;
    let url = format!("/api/v1/schools/{school}/patrol-tasks");
    // The demo's own task is there already.
    let (_, tasks) = t.get(&url, &admin).await;
    let before = tasks["items"].as_array().unwrap().len();
    let good = json!({"user_id": sun, "title": "周五巡课", "from": "2026-09-14",
                      "to": "2026-09-30", "weekdays": [5], "lessons_per_day": 1});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("user_id", Value::Null), "user_id"),
        (with("user_id", json!(zhao)), "user_id"),
        (with("title", json!("")), "title"),
        (with("title", json!("巡".repeat(51))), "title"),
        (with("title", json!("巡课\u{202E}任务")), "title"),
        (with("from", json!("2026-13-01")), "from"),
        (with("to", json!("2026-09-01")), "to"),
        (with("to", json!("2027-09-01")), "to"),
        (with("weekdays", json!([])), "weekdays"),
        (with("weekdays", json!([8])), "weekdays"),
        (with("lessons_per_day", json!(0)), "lessons_per_day"),
        (with("lessons_per_day", json!(21)), "lessons_per_day"),
    ] {
        let (s, v) = t.post(&url, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {v}");
        assert!(names_field(&v, field), "{field}: {v}");
    }
    let (_, tasks) = t.get(&url, &admin).await;
    assert_eq!(
        tasks["items"].as_array().unwrap().len(),
        before,
        "nothing created"
    );
    // Another school's admin and the patrol teacher themselves may not give tasks.
    let other = t.login(SCHOOL2_ADMIN).await;
    let (s, _) = t.post(&url, &other, good.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let patrol = t.login(PATROL_TEACHER).await;
    let (s, _) = t.post(&url, &patrol, good.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let task = friday_task(&t, school).await;
    assert_eq!(task["weekdays_label"], "周五");
    assert_eq!(task["status"], "active");
    // The patrol teacher is told.
    let (_, inbox) = t.get("/api/v1/messages", &patrol).await;
    assert!(
        inbox.to_string().contains("巡课任务：九月周五巡课"),
        "{inbox}"
    );
    // Stopping: only the school, once.
    let close = format!("/api/v1/patrol-tasks/{}/close", task["id"]);
    let (s, _) = t.post(&close, &patrol, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.post(&close, &other, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = t.post(&close, &admin, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status_label"], "已停止");
    let (s, _) = t.post(&close, &admin, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn j2_the_patrol_teacher_scores_a_started_lesson_and_the_report_counts_it() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let task = friday_task(&t, school).await;
    let lesson = choir_lesson(&t).await;
    let id = lesson["lesson_id"].as_i64().unwrap();
    let date = lesson["date"].as_str().unwrap().to_string();
    let url = format!("/api/v1/lessons/{id}/patrol");

    // Before the lesson starts: the day lists it, and it cannot be scored yet.
    at_lesson(&t, &lesson, -10);
    let patrol = t.login(PATROL_TEACHER).await;
    let day_url = format!("/api/v1/schools/{school}/patrol?date={date}");
    let (s, day) = t.get(&day_url, &patrol).await;
    assert_eq!(s, StatusCode::OK, "{day}");
    let total = day["total"].as_i64().unwrap();
    assert!(total > 0, "{day}");
    let ours = |day: &Value| {
        day["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == task["id"])
            .cloned()
            .expect("our task covers the day")
    };
    assert_eq!(ours(&day)["due_today"], true, "{day}");
    let patrolled_before = day["patrolled"].as_i64().unwrap();
    let (s, v) = t.put(&url, &patrol, good_record()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("尚未开始"), "{v}");

    at_lesson(&t, &lesson, 10);
    let patrol = t.login(PATROL_TEACHER).await;
    let with = |k: &str, v: Value| {
        let mut b = good_record();
        b[k] = v;
        b
    };
    let mut missing = good_record();
    missing.as_object_mut().unwrap().remove("teacher_score");
    for (body, field) in [
        (with("lesson_score", json!(0)), "lesson_score"),
        (with("lesson_score", json!(6)), "lesson_score"),
        (missing, "teacher_score"),
        (with("teacher_present", Value::Null), "teacher_present"),
        (with("students_seen", json!(-1)), "students_seen"),
        (with("note", json!("好".repeat(501))), "note"),
        (with("note", json!("良好\u{202E}差")), "note"),
    ] {
        let (s, v) = t.put(&url, &patrol, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {v}");
        assert!(names_field(&v, field), "{field}: {v}");
    }
    let (s, v) = t.get(&url, &patrol).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["mine"].is_null(), "nothing recorded: {v}");
    assert_eq!(v["can_record"], true);
    assert!(v["roll_call"]["expected"].as_i64().unwrap() > 0, "{v}");
    // Teachers without patrol.record, and another school's patroller, cannot.
    for (who, status) in [
        (HEAD_TEACHER, StatusCode::FORBIDDEN),
        (TEACHER, StatusCode::FORBIDDEN),
        (SCHOOL2_ADMIN, StatusCode::NOT_FOUND),
    ] {
        let token = t.login(who).await;
        let (s, _) = t.put(&url, &token, good_record()).await;
        assert_eq!(s, status, "{who}");
    }

    let (s, rec) = t.put(&url, &patrol, good_record()).await;
    assert_eq!(s, StatusCode::OK, "{rec}");
    assert_eq!(rec["patroller_name"], "孙伟");
    // Saving again corrects the same record.
    let (s, again) = t.put(&url, &patrol, with("lesson_score", json!(3))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["id"], rec["id"]);
    assert_eq!(again["lesson_score"], 3);
    let (_, day) = t.get(&day_url, &patrol).await;
    assert_eq!(day["patrolled"], patrolled_before + 1, "{day}");
    assert_eq!(day["patrolled_by_me"], 1);
    assert_eq!(ours(&day)["today_patrolled"], 1);
    assert_eq!(ours(&day)["days_done"], 1, "{day}");
    let choir = day["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lesson"]["lesson"]["lesson_id"] == id)
        .unwrap();
    assert_eq!(choir["records"].as_array().unwrap().len(), 1);

    // The school admin also patrols, but not a lesson of their own.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let own = my_lessons(&t, &admin, "2026-09-14", &date)
        .await
        .into_iter()
        .map(|x| x["lesson"].clone())
        .find(|l| l["date"].as_str().unwrap() < date.as_str())
        .expect("a lesson of 刘芳's that week");
    let (s, v) = t
        .put(
            &format!("/api/v1/lessons/{}/patrol", own["lesson_id"]),
            &admin,
            good_record(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("自己"), "{v}");

    // Photos from the phone page: PNG or JPEG only, three at most, nothing kept on error.
    let mut b = Browser::new(&t);
    b.login(PATROL_TEACHER, PASSWORD).await;
    let page = b.get(&format!("/patrol/lessons/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = Browser::csrf(&page);
    let photos = format!("/patrol/records/{}/photos", rec["id"]);
    let fields = [("_csrf", csrf.as_str()), ("lesson_id", &id.to_string())];
    let page = b
        .upload_files(&photos, &fields, &[("photos", "现场.pdf", PDF)])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("只接受PNG或JPG照片"), "{}", page.body);
    let four: Vec<(&str, &str, &[u8])> = (0..4).map(|_| ("photos", "现场.png", PNG)).collect();
    let page = b.upload_files(&photos, &fields, &four).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("最多3张照片"), "{}", page.body);
    let page = b
        .upload_files(&photos, &fields, &[("photos", "现场.png", PNG)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, v) = t.get(&url, &patrol).await;
    let shots = v["mine"]["photos"].as_array().unwrap().clone();
    assert_eq!(shots.len(), 1, "one kept: {v}");
    let photo = format!("{photos}/{}", shots[0]["id"]);
    assert!(b.get_bytes(&photo).await.starts_with(b"\x89PNG"));
    let mut other = Browser::new(&t);
    other.login(TEACHER, PASSWORD).await;
    assert_eq!(other.get(&photo).await.status, StatusCode::NOT_FOUND);
    let mut school_b = Browser::new(&t);
    school_b.login(SCHOOL1_ADMIN, PASSWORD).await;
    assert_eq!(school_b.get(&photo).await.status, StatusCode::OK);

    // The report: the school and the bureau read it; a plain teacher may not.
    let report = format!("/api/v1/schools/{school}/patrol/report?from=2026-09-01&to=2026-09-30");
    let (s, r) = t.get(&report, &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["records_total"], 1, "{r}");
    assert_eq!(r["lesson_score"], "3.0");
    assert_eq!(r["rows"][0]["class_name"], "合唱班");
    let zheng = r["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "郑丽")
        .expect("the choir's teacher is scored");
    assert_eq!(zheng["teacher_score"], "5.0");
    assert_eq!(zheng["patrols"], 1);
    assert_eq!(r["patrollers"][0]["photos"], 1);
    assert!(
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == task["id"]),
        "{r}"
    );
    let city = t.login(CITY_LEADER).await;
    let (s, _) = t.get(&report, &city).await;
    assert_eq!(s, StatusCode::OK);
    let teacher = t.login(TEACHER).await;
    let (s, _) = t.get(&report, &teacher).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for q in ["?from=2026-13-01", "?from=2026-09-10&to=2026-09-01"] {
        let (s, _) = t
            .get(
                &format!("/api/v1/schools/{school}/patrol/report{q}"),
                &admin,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
    }
    // The export holds the record as the page shows it.
    let bytes = school_b
        .get_bytes(&format!(
            "/schools/{school}/patrol/report.xlsx?from=2026-09-01&to=2026-09-30"
        ))
        .await;
    let rows = workbook_rows(&bytes);
    assert_eq!(rows[0][0], "日期");
    let row = rows
        .iter()
        .find(|r| r.contains(&"合唱班".to_string()))
        .unwrap();
    assert!(row.contains(&"孙伟".to_string()), "{row:?}");
    assert!(row.contains(&"课堂秩序良好".to_string()), "{row:?}");
}

#[tokio::test]
async fn j2_the_phone_pages_list_the_day_and_take_a_record() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    friday_task(&t, school).await;
    let lesson = choir_lesson(&t).await;
    let id = lesson["lesson_id"].as_i64().unwrap();
    let date = lesson["date"].as_str().unwrap().to_string();
    at_lesson(&t, &lesson, 5);
    let mut b = Browser::new(&t);
    b.login(PATROL_TEACHER, PASSWORD).await;
    let page = b.get(&format!("/patrol?date={date}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("总课数"), "{}", page.body);
    assert!(page.body.contains("合唱班"));
    assert!(page.body.contains("待巡课"));
    assert!(page.body.contains("九月周五巡课：今天已巡 0/1 节"));
    let page = b.get(&format!("/patrol/lessons/{id}")).await;
    assert!(page.body.contains("应到"));
    let csrf = Browser::csrf(&page);
    // A score missing: the form comes back with the message and what was typed.
    let page = b
        .post(
            &format!("/patrol/lessons/{id}"),
            &[
                ("_csrf", &csrf),
                ("teacher_score", "5"),
                ("teacher_present", "1"),
                ("note", "学生很投入"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("请为课堂评分"), "{}", page.body);
    assert!(page.body.contains("学生很投入"));
    let page = b
        .post(
            &format!("/patrol/lessons/{id}"),
            &[
                ("_csrf", &csrf),
                ("lesson_score", "five"),
                ("teacher_score", "5"),
                ("teacher_present", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = b
        .post(
            &format!("/patrol/lessons/{id}"),
            &[
                ("_csrf", &csrf),
                ("lesson_score", "4"),
                ("teacher_score", "5"),
                ("teacher_present", "1"),
                ("students_seen", "18"),
                ("note", "学生很投入"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = b.get(&page.location).await;
    assert!(page.body.contains("巡课记录已保存"));
    assert!(page.body.contains("上传照片"));
    let page = b.get(&format!("/patrol?date={date}")).await;
    assert!(page.body.contains("我已巡课"));
    assert!(page.body.contains("今天已巡 1/1 节"));
    // The school's page shows the record and the task's form.
    let mut admin = Browser::new(&t);
    admin.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = admin
        .get(&format!(
            "/schools/{school}/patrol?from=2026-09-01&to=2026-09-30"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("学生很投入"));
    assert!(page.body.contains("新增巡课任务"));
    let csrf = Browser::csrf(&page);
    let page = admin
        .post(
            &format!("/schools/{school}/patrol/tasks"),
            &[("_csrf", &csrf), ("title", ""), ("lessons_per_day", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("请填写整数"), "{}", page.body);
}
