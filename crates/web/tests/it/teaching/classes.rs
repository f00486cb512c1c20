//! Teaching classes (G1, E4): made from the approved offering singly or in batch, their
//! checks, students and lifecycle.

use axum::http::StatusCode;
use serde_json::json;

use super::{class, classes, classes_path, current_term, item, past_term, staff_id};
use crate::common::{INSTITUTION_ADMIN, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp};

#[tokio::test]
async fn g1_classes_are_made_from_the_approved_offering_singly_and_in_batch() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let basketball = item(&t, &admin, school, term, "篮球").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let before = classes(&t, &admin, school, term).await.len();
    let audit = t.audit_count("teaching_class.create").await;
    let rooms = t
        .get(&format!("/api/v1/schools/{school}/rooms"), &admin)
        .await
        .1;
    let court = rooms["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "篮球场")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let (status, c) = t
        .post(
            &classes_path(school, term),
            &admin,
            json!({"item_id": basketball["id"], "name": "篮球提高班", "capacity_min": 10, "capacity_max": 30,
                   "grade_from": 3, "grade_to": 4, "weekly_lessons": 2, "room_id": court,
                   "staff_ids": [zhao], "post_teacher_id": zhao,
                   "slots": [{"weekday": 1, "period_no": 2}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["course"], "篮球");
    assert_eq!(c["status"], "planned");
    assert_eq!(c["enrolled"], 0);
    assert_eq!(c["capacity_min"], 10);
    assert_eq!(c["capacity_max"], 30);
    assert_eq!(c["grade_from"], 3);
    assert_eq!(c["grade_to"], 4);
    assert_eq!(c["fee_fen"], basketball["price_fen"], "the offering's fee");
    assert_eq!(c["room"], "篮球场");
    assert_eq!(c["teacher_names"], "赵敏");
    assert_eq!(c["post_teacher"], "赵敏");
    let slots = c["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 2, "two lessons a week");
    assert_eq!(
        slots.iter().filter(|s| s["locked"] == true).count(),
        1,
        "the fixed one is locked"
    );
    assert!(
        slots
            .iter()
            .any(|s| s["weekday"] == 1 && s["period_no"] == 2 && s["start"] == "16:30")
    );
    assert!(
        slots.iter().any(|s| s["weekday"].is_null()),
        "the other is left to the solver"
    );

    // Three more of the same course at once, numbered after the names taken.
    let (status, batch) = t
        .post(
            &format!("{}/batch", classes_path(school, term)),
            &admin,
            json!({"count": 3, "class": {"item_id": basketball["id"], "capacity_max": 20, "staff_ids": [zhao]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let names: Vec<&str> = batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(!names.contains(&"篮球班"), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("篮球") && n.ends_with("班")),
        "{names:?}"
    );
    assert_eq!(classes(&t, &admin, school, term).await.len(), before + 4);
    assert_eq!(
        t.audit_count("teaching_class.create").await,
        audit + 2,
        "one event for the class, one for the batch"
    );

    // A course nobody approved cannot have classes: the previous term's offering is history.
    let past = past_term(&t, &admin, school).await;
    let (status, body) = t
        .post(
            &classes_path(school, past),
            &admin,
            json!({"item_id": basketball["id"], "name": "旧学期班"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn g1_bad_input_is_refused_naming_the_thing_and_nothing_changes() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let basketball = item(&t, &admin, school, term, "篮球").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let rooms = t
        .get(&format!("/api/v1/schools/{school}/rooms"), &admin)
        .await
        .1;
    let small = rooms["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "科学实验室")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let before = classes(&t, &admin, school, term).await.len();
    let audit = t.audit_count("teaching_class.create").await;
    let base = json!({"item_id": basketball["id"], "name": "测试班", "staff_ids": [zhao]});
    let with = |extra: serde_json::Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (
            json!({"name": "测试班", "staff_ids": [zhao]}),
            "item_id",
            "已审批通过",
        ),
        (with(json!({"name": "班".repeat(51)})), "name", "50"),
        (with(json!({"name": "坏\u{202e}名"})), "name", "控制"),
        (
            with(json!({"capacity_max": 50, "room_id": small})),
            "room_id",
            "科学实验室",
        ),
        (
            with(json!({"slots": [{"weekday": 1, "period_no": 9}]})),
            "slots.0",
            "第9节",
        ),
        (
            with(json!({"slots": [{"weekday": 8, "period_no": 1}]})),
            "slots.0",
            "星期",
        ),
        (with(json!({"capacity_max": 100000})), "capacity_max", "人"),
        (
            with(json!({"capacity_min": 40, "capacity_max": 20})),
            "capacity_min",
            "下限",
        ),
        (
            with(json!({"grade_from": 9, "grade_to": 9})),
            "grade_from",
            "九年级",
        ),
        (with(json!({"weekly_lessons": 11})), "weekly_lessons", "10"),
        (
            with(json!({"starts_on": "2026-08-01"})),
            "starts_on",
            "学期内",
        ),
        (with(json!({"starts_on": "9/1"})), "starts_on", "YYYY-MM-DD"),
        (with(json!({"staff_ids": [999999]})), "staff_ids", "999999"),
        (with(json!({"staff_ids": []})), "staff_ids", "任课教师"),
        (
            with(json!({"post_teacher_id": 999999})),
            "post_teacher_id",
            "行政坐班",
        ),
        (
            with(json!({"institution_teacher_ids": [999999]})),
            "institution_teacher_ids",
            "999999",
        ),
    ];
    for (body, field, words) in cases {
        let (status, answer) = t
            .post(&classes_path(school, term), &admin, body.clone())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        let reason = answer["details"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["field"] == field)
            .and_then(|d| d["reason"].as_str())
            .unwrap_or_else(|| panic!("{field} in {answer}"));
        assert!(reason.contains(words), "{field}: {reason}");
    }
    // A teacher outside their dispatch dates: 罗志明 comes to the school in October only.
    let art = crate::institution::institution_id(&t, "示例艺术培训中心").await;
    let inst = t.login(INSTITUTION_ADMIN).await;
    let (_, list) = t
        .get(&format!("/api/v1/institutions/{art}/dispatches"), &inst)
        .await;
    let luo = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["teacher_name"] == "罗志明" && d["school_id"] == school)
        .unwrap()
        .clone();
    let (status, _) = t
        .post(
            &format!("/api/v1/institutions/{art}/dispatches/{}/cancel", luo["id"]),
            &inst,
            json!({"reason": "改派"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .post(
            &format!("/api/v1/institutions/{art}/dispatches"),
            &inst,
            json!({"teacher_id": luo["teacher_id"], "school_id": school, "starts_on": "2026-10-01", "ends_on": "2026-10-31", "course_types": ["quality"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, o) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/offering"),
            &admin,
        )
        .await;
    let art_item = o["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == "institution")
        .unwrap()
        .clone();
    let (status, body) = t
        .post(
            &classes_path(school, term),
            &admin,
            json!({"item_id": art_item["id"], "name": "机构班", "institution_teacher_ids": [luo["teacher_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.to_string().contains("2026-10-01 至 2026-10-31"),
        "{body}"
    );
    let (status, body) = t
        .post(
            &classes_path(school, term),
            &admin,
            json!({"item_id": art_item["id"], "name": "机构十月班", "starts_on": "2026-10-08", "ends_on": "2026-10-30",
                   "institution_teacher_ids": [luo["teacher_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "inside the dispatch: {body}");

    // Wrong people and places.
    let (status, _) = t
        .post(
            &classes_path(school, term),
            &t.login(TEACHER).await,
            base.clone(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a teacher does not make classes"
    );
    let (status, _) = t
        .post(
            &classes_path(school, term),
            &t.login(SCHOOL2_ADMIN).await,
            base.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another school");
    let (status, _) = t
        .post(&classes_path(school, 999999), &admin, base.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .get(&format!("{}/999999", classes_path(school, term)), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(classes(&t, &admin, school, term).await.len(), before + 1);
    assert_eq!(t.audit_count("teaching_class.create").await, audit + 1);
}

#[tokio::test]
async fn g1_students_lifecycle_and_deleting() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let chorus = item(&t, &admin, school, term, "合唱").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let (status, c) = t
        .post(
            &classes_path(school, term),
            &admin,
            json!({"item_id": chorus["id"], "name": "合唱二班", "capacity_max": 2, "grade_from": 1, "grade_to": 1, "staff_ids": [zhao]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let path = format!("{}/{}", classes_path(school, term), c["id"]);
    let first = super::students_of_grade(&t, &admin, school, 1).await;
    let third = super::students_of_grade(&t, &admin, school, 3).await;
    assert!(first.len() >= 3 && !third.is_empty());

    // Only its grades, within its capacity.
    let (status, body) = t
        .post(
            &format!("{path}/students"),
            &admin,
            json!({"student_ids": [third[0]]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("一年级"), "{body}");
    let (status, body) = t
        .post(
            &format!("{path}/students"),
            &admin,
            json!({"student_ids": [first[0], first[1], first[2]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "three into two seats: {body}");
    let (status, body) = t
        .post(
            &format!("{path}/students"),
            &admin,
            json!({"student_ids": [first[0]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1);
    let (_, v) = t.get(&path, &admin).await;
    assert_eq!(v["enrolled"], 1);

    // With a student only its capacity changes (not below the seats taken), and it
    // cannot go.
    let (status, body) = t.patch(&path, &admin, json!({"capacity_max": 3})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["capacity_max"], 3);
    let (status, body) = t.patch(&path, &admin, json!({"capacity_max": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = t
        .patch(&path, &admin, json!({"capacity_max": 3, "grade_to": 2}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The same on the class's page: a capacity form once students are in.
    {
        let class_id = v["id"].as_i64().unwrap();
        let mut b = crate::pages::Browser::new(&t);
        b.login(crate::common::SCHOOL1_ADMIN, crate::common::PASSWORD)
            .await;
        let page = b
            .get(&format!(
                "/schools/{school}/teaching/{class_id}?term={term}"
            ))
            .await;
        let form = format!("/schools/{school}/teaching/{class_id}/capacity?term={term}");
        assert!(page.body.contains(&form), "{}", page.body);
        let csrf = crate::pages::Browser::csrf(&page);
        let bad = b
            .post(
                &form,
                &[
                    ("_csrf", &csrf),
                    ("capacity_min", "1"),
                    ("capacity_max", "0"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("班额上限应在1至"), "{}", bad.body);
        let good = b
            .post(
                &form,
                &[
                    ("_csrf", &csrf),
                    ("capacity_min", "1"),
                    ("capacity_max", "4"),
                ],
            )
            .await;
        assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
        let (_, k) = t.get(&path, &admin).await;
        assert_eq!(k["capacity_max"], 4);
    }
    assert!(
        body["message"].as_str().unwrap().contains("1名学生"),
        "{body}"
    );
    let (status, body) = t.delete(&path, &admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("合唱二班"),
        "{body}"
    );

    // Lifecycle: opening needs every lesson placed; running cannot be skipped to.
    let status_path = format!("{path}/status");
    let (status, body) = t
        .post(&status_path, &admin, json!({"status": "running"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = t
        .post(&status_path, &admin, json!({"status": "open"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not scheduled: {body}");
    assert!(body["message"].as_str().unwrap().contains("未排"), "{body}");
    let (status, body) = t
        .post(&status_path, &admin, json!({"status": "nonsense"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let slot = v["slots"][0]["id"].as_i64().unwrap();
    let (status, moved) = t
        .put(
            &format!("/api/v1/schools/{school}/terms/{term}/schedule/slots/{slot}"),
            &admin,
            json!({"weekday": 4, "period_no": 2, "locked": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    for to in ["open", "running"] {
        let (status, body) = t.post(&status_path, &admin, json!({"status": to})).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
        assert_eq!(body["status"], to);
    }
    let (status, _) = t.patch(&path, &admin, json!({"name": "改名"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a running class keeps its settings"
    );

    // Out again, it can be deleted only while it is planned or open and has held nothing.
    let student = format!("{path}/students/{}", first[0]);
    let (status, _) = t.delete(&student, &admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.delete(&student, &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t.delete(&path, &admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "running: {body}");
    // Nothing held yet: only an early close (结课 checks the lessons held).
    let (status, body) = t
        .post(&status_path, &admin, json!({"status": "closed"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = t
        .post(
            &status_path,
            &admin,
            json!({"status": "closed", "early": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, tt) = t
        .get(
            &format!(
                "/api/v1/timetable?teaching_class_id={}&from=2026-09-01&to=2026-10-31",
                c["id"]
            ),
            &admin,
        )
        .await;
    assert_eq!(
        tt["entries"].as_array().unwrap().len(),
        0,
        "a closed class has no lessons ahead"
    );

    // A fresh class without students is deleted.
    let (_, fresh) = t
        .post(
            &classes_path(school, term),
            &admin,
            json!({"item_id": chorus["id"], "name": "临时班", "staff_ids": [zhao]}),
        )
        .await;
    let fresh_path = format!("{}/{}", classes_path(school, term), fresh["id"]);
    let (status, _) = t.delete(&fresh_path, &admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.get(&fresh_path, &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        class(&t, &admin, school, term, "合唱班").await["id"].is_i64(),
        "the demo's class is untouched"
    );
}

#[tokio::test]
async fn g1_classes_are_imported_from_a_sheet_with_every_bad_row_named() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let before = classes(&t, &admin, school, term).await.len();
    let headers = [
        "课程",
        "教学班名称",
        "开班人数下限",
        "班额上限",
        "最低年级",
        "最高年级",
        "开始日期",
        "结束日期",
        "每周课时",
        "场室",
        "任课教师",
        "行政坐班教师",
        "固定上课时间",
    ];
    let row = |cells: &[&str]| -> Vec<String> { cells.iter().map(|c| c.to_string()).collect() };
    let good = row(&[
        "篮球",
        "篮球导入1班",
        "5",
        "30",
        "三年级",
        "四年级",
        "",
        "",
        "2",
        "篮球场",
        "赵敏",
        "郑丽",
        "周二第1节",
    ]);
    let good2 = row(&[
        "合唱",
        "合唱导入班",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "郑丽",
        "",
        "",
    ]);
    let bad = [
        row(&[
            "没有的课",
            "甲班",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "赵敏",
            "",
            "",
        ]),
        row(&[
            "篮球",
            "乙班",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "篮球场",
            "赵敏",
            "",
            "周八第1节",
        ]),
        row(&[
            "篮球",
            "丙班",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "没有的场室",
            "陌生人",
            "",
            "",
        ]),
        row(&[
            "篮球",
            "篮球导入1班",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "赵敏",
            "",
            "",
        ]),
        row(&[
            "篮球",
            "丁班",
            "",
            "x",
            "",
            "",
            "",
            "",
            "",
            "",
            "赵敏",
            "",
            "周一第9节",
        ]),
    ];
    let path = format!("{}/import", classes_path(school, term));
    let mut rows = vec![good.clone(), good2.clone()];
    rows.extend(bad.iter().cloned());
    let book = crate::import::imports::xlsx(&headers, &rows);
    let (status, out) = crate::course::plans::raw(&t, "POST", &path, &admin, book.clone()).await;
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["committed"], false, "all or nothing: {out}");
    let errors = out["errors"].as_array().unwrap();
    let at = |r: u64, col: &str| errors.iter().any(|e| e["row"] == r && e["column"] == col);
    assert!(at(4, "课程"), "{out}");
    assert!(at(5, "固定上课时间"), "{out}");
    assert!(at(6, "场室") && at(6, "任课教师"), "{out}");
    assert!(at(7, "教学班名称"), "a name twice: {out}");
    assert!(at(8, "班额上限"), "{out}");
    assert_eq!(
        classes(&t, &admin, school, term).await.len(),
        before,
        "nothing written"
    );

    let (status, out) =
        crate::course::plans::raw(&t, "POST", &format!("{path}?mode=good_rows"), &admin, book)
            .await;
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["created"], 2, "{out}");
    assert_eq!(out["skipped"], 5, "{out}");
    let c = class(&t, &admin, school, term, "篮球导入1班").await;
    assert_eq!(c["room"], "篮球场");
    assert_eq!(c["post_teacher"], "郑丽");
    assert_eq!(c["grade_from"], 3);
    assert!(
        c["slots"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["weekday"] == 2 && s["period_no"] == 1 && s["locked"] == true)
    );
    assert_eq!(classes(&t, &admin, school, term).await.len(), before + 2);
    assert_eq!(t.audit_count("teaching_class.import").await, 1);

    // Not a workbook, or someone else's school.
    let (status, _) =
        crate::course::plans::raw(&t, "POST", &path, &admin, b"not a sheet".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        crate::course::plans::raw(&t, "POST", &path, &t.login(SCHOOL2_ADMIN).await, vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
