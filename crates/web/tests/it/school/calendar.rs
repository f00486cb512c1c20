use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

async fn autumn_term(t: &TestApp, token: &str, school: i64) -> i64 {
    let (status, term) = t
        .post(
            &format!("/api/v1/schools/{school}/terms"),
            token,
            json!({"school_year": "2026-2027", "name": "秋季学期", "start_date": "2026-09-01", "end_date": "2027-01-22"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{term}");
    term["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a5_term_calendar_answers_teaching_days_and_schedules() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = autumn_term(&t, &admin, school).await;
    let calendar = json!({
        "holidays": [{"name": "国庆节", "start": "2026-10-01", "end": "2026-10-07"}],
        "extra_days": [
            {"date": "2026-09-27", "follows": 3, "kind": "swapped"},
            {"date": "2026-10-10", "follows": 5, "kind": "makeup"}
        ]
    });
    let (status, body) = t
        .put(
            &format!("/api/v1/schools/{school}/terms/{term}/calendar"),
            &admin,
            calendar,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["holidays"][0]["name"], "国庆节");
    assert_eq!(body["extra_days"].as_array().map(Vec::len), Some(2));
    let teaching_days = body["teaching_days"].as_i64().expect("count");

    let (status, days) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/days?from=2026-09-26&to=2026-10-10"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let day = |date: &str| {
        days["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|d| d["date"] == date)
            .cloned()
            .expect("day")
    };
    assert_eq!(day("2026-09-26")["kind"], "weekend");
    // A make-up Saturday runs the bell schedule of the weekday it follows; a holiday none.
    let periods_on = |date: &'static str| {
        let (t, admin) = (&t, &admin);
        async move {
            t.get(
                &format!("/api/v1/schools/{school}/periods/on?date={date}"),
                admin,
            )
            .await
            .1
        }
    };
    let makeup = periods_on("2026-10-10").await;
    assert_eq!(
        (makeup["weekday"].as_u64(), makeup["day_type"].as_str()),
        (Some(5), Some("默认")),
        "{makeup}"
    );
    assert_eq!(
        makeup["periods"].as_array().map(Vec::len),
        Some(3),
        "the demo's three periods"
    );
    let holiday = periods_on("2026-10-02").await;
    assert_eq!(
        (
            holiday["kind"].as_str(),
            holiday["periods"].as_array().map(Vec::len)
        ),
        (Some("holiday"), Some(0))
    );
    assert_eq!(
        (
            day("2026-09-27")["kind"].as_str(),
            day("2026-09-27")["schedule"].as_i64(),
            day("2026-09-27")["exception"].as_str()
        ),
        (Some("teaching"), Some(3), Some("swapped"))
    );
    assert_eq!(day("2026-09-28")["schedule"], 1);
    assert_eq!(day("2026-10-05")["kind"], "holiday");
    assert_eq!(
        (
            day("2026-10-10")["schedule"].as_i64(),
            day("2026-10-10")["exception"].as_str()
        ),
        (Some(5), Some("makeup"))
    );
    let (_, whole) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/days"),
            &admin,
        )
        .await;
    let counted = whole["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|d| d["kind"] == "teaching")
        .count() as i64;
    assert_eq!(counted, teaching_days);

    // The bureau reads; another school does not find the term.
    assert_eq!(
        t.get(
            &format!("/api/v1/schools/{school}/terms"),
            &t.login(STREET_OFFICER).await
        )
        .await
        .1["total"],
        3,
        "the demo's two terms and the new one"
    );
    assert_eq!(
        t.get(
            &format!("/api/v1/schools/{school}/terms/{term}"),
            &t.login(SCHOOL2_ADMIN).await
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert!(t.audit_count("term.calendar").await == 1);
}

#[tokio::test]
async fn a5_bad_terms_and_calendars_change_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/terms");
    let cases = [
        (
            json!({"school_year": "2026-2027", "name": "秋季学期", "start_date": "2027-01-22", "end_date": "2026-09-01"}),
            "end_date",
        ),
        (
            json!({"school_year": "2026", "name": "秋季学期", "start_date": "2026-09-01", "end_date": "2027-01-22"}),
            "school_year",
        ),
        (
            json!({"school_year": "2026-2028", "name": "秋季学期", "start_date": "2026-09-01", "end_date": "2027-01-22"}),
            "school_year",
        ),
        (
            json!({"school_year": "2026-2027", "name": "", "start_date": "2026-09-01", "end_date": "2027-01-22"}),
            "name",
        ),
        (
            json!({"school_year": "2026-2027", "name": "秋季学期", "start_date": "2026/09/01", "end_date": "2027-01-22"}),
            "start_date",
        ),
        (
            json!({"school_year": "2026-2027", "name": "秋季学期", "start_date": "2026-09-01", "end_date": "2028-01-22"}),
            "end_date",
        ),
        (
            json!({"school_year": "2026-2027", "name": "秋季学期", "start_date": "2026-09-01"}),
            "end_date",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = t.post(&path, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert!(
            answer["details"]
                .as_array()
                .expect("details")
                .iter()
                .any(|d| d["field"] == field),
            "{body} → {answer}"
        );
    }
    assert_eq!(
        t.get(&path, &admin).await.1["total"],
        2,
        "only the demo's terms"
    );
    let term = autumn_term(&t, &admin, school).await;
    let (status, _) = t.post(&path, &admin, json!({"school_year": "2026-2027", "name": "秋季学期", "start_date": "2026-09-01", "end_date": "2027-01-22"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let calendar_path = format!("{path}/{term}/calendar");
    let good =
        json!({"holidays": [{"name": "国庆节", "start": "2026-10-01", "end": "2026-10-07"}]});
    assert_eq!(t.put(&calendar_path, &admin, good).await.0, StatusCode::OK);
    let bad_calendars = [
        json!({"holidays": [{"name": "寒假", "start": "2027-01-20", "end": "2027-02-20"}]}),
        json!({"holidays": [{"name": "", "start": "2026-10-01", "end": "2026-10-07"}]}),
        json!({"extra_days": [{"date": "2026-09-28", "follows": 3, "kind": "swapped"}]}),
        json!({"extra_days": [{"date": "2026-09-27", "follows": 6, "kind": "swapped"}]}),
        json!({"extra_days": [{"date": "2026-09-27", "follows": 3, "kind": "party"}]}),
        json!({"holidays": [{"name": "国庆节", "start": "2026-10-01", "end": "2026-10-07"}], "extra_days": [{"date": "2026-10-03", "follows": 1, "kind": "makeup"}]}),
    ];
    for body in bad_calendars {
        let (status, answer) = t.put(&calendar_path, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
    }
    let (_, kept) = t.get(&format!("{path}/{term}"), &admin).await;
    assert_eq!(
        kept["holidays"].as_array().map(Vec::len),
        Some(1),
        "the calendar is unchanged"
    );
    // Shrinking the term so that the holiday falls outside it is refused.
    let (status, body) = t
        .patch(
            &format!("{path}/{term}"),
            &admin,
            json!({"end_date": "2026-09-30"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        t.get(&format!("{path}/{term}"), &admin).await.1["end_date"],
        "2027-01-22"
    );
    // Bureaus read only.
    assert_eq!(
        t.put(&calendar_path, &t.login(STREET_OFFICER).await, json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn d3_bell_schedule_by_day_type() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/periods");
    let body = json!({"day_type": "默认", "weekdays": [1, 2, 3, 4], "periods": [
        {"name": "课后二", "start": "16:30", "end": "17:10"},
        {"name": "课后一", "start": "15:40", "end": "16:20"}
    ]});
    let (status, list) = t.put(&path, &admin, body).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(names(&list), vec!["课后一", "课后二"]);
    assert_eq!(list["items"][0]["break_after"], 10);
    assert_eq!(list["items"][0]["weekdays_label"], "周一至周四");
    assert_eq!(list["items"][1]["break_after"], serde_json::Value::Null);
    let (status, body) = t.put(&path, &admin, json!({"day_type": "周五", "weekdays": [5], "periods": [{"name": "课后一", "start": "15:00", "end": "15:40"}]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(t.get(&path, &admin).await.1["total"], 3);

    // Which periods run on a date: the calendar decides the day, the weekdays the schedule.
    let on = |date: &str| {
        let (t, admin, path) = (&t, &admin, &path);
        let date = date.to_string();
        async move { t.get(&format!("{path}/on?date={date}"), admin).await }
    };
    let (status, monday) = on("2026-09-07").await;
    assert_eq!(status, StatusCode::OK, "{monday}");
    assert_eq!(
        (
            monday["kind"].as_str(),
            monday["weekday"].as_u64(),
            monday["day_type"].as_str()
        ),
        (Some("teaching"), Some(1), Some("默认"))
    );
    assert_eq!(monday["periods"].as_array().map(Vec::len), Some(2));
    let (_, friday) = on("2026-09-11").await;
    assert_eq!(
        (
            friday["day_type"].as_str(),
            friday["periods"][0]["start"].as_str()
        ),
        (Some("周五"), Some("15:00"))
    );
    let (_, sunday) = on("2026-09-06").await;
    assert_eq!(
        (
            sunday["kind"].as_str(),
            sunday["periods"].as_array().map(Vec::len)
        ),
        (Some("weekend"), Some(0))
    );
    let (_, summer) = on("2026-08-01").await;
    assert_eq!(summer["kind"], "outside_term");
    for bad in ["", "2026-13-01", "abc"] {
        assert_eq!(on(bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Two day types never share a weekday.
    let (status, body) = t
        .put(&path, &admin, json!({"day_type": "短课", "weekdays": [3], "periods": [{"name": "课后一", "start": "15:00", "end": "15:30"}]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("周三已使用作息“默认”"),
        "{body}"
    );

    let bad = [
        json!({"day_type": "默认", "periods": [{"name": "课后一", "start": "15:40", "end": "16:20"}, {"name": "课后二", "start": "16:10", "end": "17:00"}]}),
        json!({"day_type": "默认", "periods": [{"name": "课后一", "start": "16:20", "end": "15:40"}]}),
        json!({"day_type": "默认", "periods": [{"name": "课后一", "start": "25:00", "end": "26:00"}]}),
        json!({"day_type": "默认", "periods": [{"name": "", "start": "15:40", "end": "16:20"}]}),
        json!({"day_type": "", "periods": []}),
        json!({"day_type": "默认", "periods": [{"name": "课后一", "start": "15:40", "end": "16:20"}]}),
        json!({"day_type": "默认", "weekdays": [8], "periods": [{"name": "课后一", "start": "15:40", "end": "16:20"}]}),
        json!({"day_type": "默认", "weekdays": [0], "periods": [{"name": "课后一", "start": "15:40", "end": "16:20"}]}),
    ];
    for body in bad {
        let (status, answer) = t.put(&path, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
    }
    assert_eq!(t.get(&path, &admin).await.1["total"], 3, "unchanged");
    // An empty list removes the day type.
    t.put(&path, &admin, json!({"day_type": "周五", "periods": []}))
        .await;
    assert_eq!(t.get(&path, &admin).await.1["total"], 2);
    assert_eq!(
        t.put(
            &path,
            &t.login(TEACHER).await,
            json!({"day_type": "默认", "periods": []})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a5_calendar_page_builds_a_term_and_its_bell_schedule() {
    use crate::pages::Browser;
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let index = b.get("/calendar").await;
    assert_eq!(index.location, format!("/schools/{school}/calendar"));
    let page = b.get(&index.location).await;
    assert!(page.body.contains("2026-2027 第一学期"), "the demo term");
    let csrf = Browser::csrf(&page);

    let bad = b
        .post(
            &format!("/schools/{school}/terms"),
            &[
                ("_csrf", &csrf),
                ("school_year", "2026"),
                ("name", "秋季学期"),
                ("start_date", "2026-09-01"),
                ("end_date", "2027-01-22"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("学年格式应为"));
    let ok = b
        .post(
            &format!("/schools/{school}/terms"),
            &[
                ("_csrf", &csrf),
                ("school_year", "2026-2027"),
                ("name", "秋季学期"),
                ("start_date", "2026-09-01"),
                ("end_date", "2027-01-22"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, terms) = t
        .get(&format!("/api/v1/schools/{school}/terms"), &admin)
        .await;
    let term = terms["items"]
        .as_array()
        .and_then(|items| items.iter().find(|t| t["name"] == "秋季学期"))
        .and_then(|t| t["id"].as_i64())
        .expect("term");

    let added = b
        .post(
            &format!("/schools/{school}/terms/{term}/holidays"),
            &[
                ("_csrf", &csrf),
                ("name", "国庆节"),
                ("start", "2026-10-01"),
                ("end", "2026-10-07"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let refused = b
        .post(
            &format!("/schools/{school}/terms/{term}/extra-days"),
            &[
                ("_csrf", &csrf),
                ("date", "2026-09-28"),
                ("kind", "swapped"),
                ("follows", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("应为周六或周日"));
    let swapped = b
        .post(
            &format!("/schools/{school}/terms/{term}/extra-days"),
            &[
                ("_csrf", &csrf),
                ("date", "2026-09-27"),
                ("kind", "swapped"),
                ("follows", "3"),
            ],
        )
        .await;
    assert_eq!(swapped.status, StatusCode::SEE_OTHER);
    let page = b
        .get(&format!("/schools/{school}/calendar?term_id={term}"))
        .await;
    assert!(
        page.body.contains("国庆节")
            && page.body.contains("调休")
            && page.body.contains("class=\"holiday\"")
            && page.body.contains("按周三课表")
    );
    assert!(page.body.contains("2026年9月") && page.body.contains("2027年1月"));

    assert!(page.body.contains("适用星期"));
    let no_days = b
        .post(
            &format!("/schools/{school}/periods"),
            &[
                ("_csrf", &csrf),
                ("day_type", "默认"),
                ("lines", "课后一 15:40-16:20"),
            ],
        )
        .await;
    assert_eq!(no_days.status, StatusCode::BAD_REQUEST);
    assert!(no_days.body.contains("请选择该作息适用的星期"));
    let mut fields: Vec<(&str, &str)> = vec![
        ("_csrf", &csrf),
        ("day_type", "默认"),
        ("lines", "课后一 15:40-16:20\n课后二 16:30-17:10"),
    ];
    for day in ["1", "2", "3", "4", "5"] {
        fields.push(("weekdays", day));
    }
    let periods = b.post(&format!("/schools/{school}/periods"), &fields).await;
    assert_eq!(periods.status, StatusCode::SEE_OTHER, "{}", periods.body);
    let overlapping = b
        .post(
            &format!("/schools/{school}/periods"),
            &[
                ("_csrf", &csrf),
                ("day_type", "默认"),
                ("lines", "课后一 15:40-16:20\n课后二 16:00-17:10"),
                ("weekdays", "1"),
            ],
        )
        .await;
    assert_eq!(overlapping.status, StatusCode::BAD_REQUEST);
    assert!(overlapping.body.contains("时间重叠"));
    let malformed = b
        .post(
            &format!("/schools/{school}/periods"),
            &[("_csrf", &csrf), ("day_type", "默认"), ("lines", "课后一")],
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let page = b.get(&format!("/schools/{school}/calendar")).await;
    assert!(page.body.contains("15:40") && page.body.contains("16:30"));
    assert!(page.body.contains("周一至周五"));

    // Deleting the holiday by its row.
    let deleted = b
        .post(
            &format!("/schools/{school}/terms/{term}/holidays/0/delete"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.get(&format!("/api/v1/schools/{school}/terms/{term}"), &admin)
            .await
            .1["holidays"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}
