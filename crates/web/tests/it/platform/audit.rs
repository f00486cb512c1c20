use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a7_changes_are_audited_and_seen_within_the_jurisdiction() {
    let t = TestApp::new().await;
    let admin1 = t.login(SCHOOL1_ADMIN).await;
    let teacher = t.user_id(TEACHER).await;
    t.patch(
        &format!("/api/v1/users/{teacher}"),
        &admin1,
        json!({"name": "赵老师"}),
    )
    .await;

    let (status, body) = t
        .get(
            "/api/v1/audit-events?entity_type=user&page_size=100",
            &admin1,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let event = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "user.update")
        .expect("update event")
        .clone();
    assert_eq!(event["entity_id"], teacher);
    assert_eq!(event["actor_name"], "刘芳");
    assert!(event["membership_id"].is_i64());
    assert!(
        event["summary"]
            .as_str()
            .expect("summary")
            .contains("赵老师")
    );

    // School 2's administrator does not see school 1's events; the street officer does.
    let (_, body) = t
        .get(
            "/api/v1/audit-events?page_size=100",
            &t.login(SCHOOL2_ADMIN).await,
        )
        .await;
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["action"] != "user.update")
    );
    let (_, body) = t
        .get(
            &format!("/api/v1/audit-events?entity_id={teacher}&entity_type=user"),
            &t.login(STREET_OFFICER).await,
        )
        .await;
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "user.update")
    );

    // Filters by actor and time.
    let actor = t.user_id(SCHOOL1_ADMIN).await;
    let (_, body) = t
        .get(
            &format!("/api/v1/audit-events?actor_user_id={actor}&entity_type=user"),
            &admin1,
        )
        .await;
    assert!(body["total"].as_i64().expect("total") >= 1);
    let (_, body) = t
        .get("/api/v1/audit-events?from=2030-01-01T00:00:00Z", &admin1)
        .await;
    assert_eq!(body["total"], 0);
    assert_eq!(
        t.get("/api/v1/audit-events?from=yesterday", &admin1)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // Teachers hold no audit permission.
    assert_eq!(
        t.get("/api/v1/audit-events", &t.login(TEACHER).await)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a7_client_address_is_recorded_behind_a_trusted_proxy() {
    let trusted = kehou_web::http::proxy::TrustedProxies::parse(&[
        "127.0.0.1".to_string(),
        "10.0.0.0/8".to_string(),
    ])
    .expect("proxies");
    let t = TestApp::with_config(kehou_web::WebConfig {
        trusted_proxies: trusted,
        ..Default::default()
    })
    .await;
    // The client sent a made-up address first; nginx (10.0.0.1) and the local proxy added
    // the real one and theirs.
    let login_from = |peer: &str, forwarded: &str| {
        let mut req = axum::http::Request::post("/api/v1/auth/token")
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded)
            .body(axum::body::Body::from(
                json!({"phone": SCHOOL1_ADMIN, "password": PASSWORD}).to_string(),
            ))
            .expect("req");
        let peer: std::net::SocketAddr = format!("{peer}:40000").parse().expect("peer");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        req
    };
    let req = login_from("127.0.0.1", "198.51.100.66, 203.0.113.7, 10.0.0.1");
    assert_eq!(t.request(req).await.status(), StatusCode::OK);
    // Straight from a client that is no proxy: its header is not believed.
    let req = login_from("192.0.2.5", "198.51.100.66");
    assert_eq!(t.request(req).await.status(), StatusCode::OK);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, body) = t.get("/api/v1/audit-events?page_size=100", &admin).await;
    let ips: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "auth.login")
        .filter_map(|e| e["ip"].as_str())
        .collect();
    assert!(
        ips.contains(&"203.0.113.7") && ips.contains(&"192.0.2.5"),
        "{ips:?}"
    );
    assert!(
        !ips.contains(&"198.51.100.66"),
        "a client-written address was believed: {ips:?}"
    );
}

#[tokio::test]
async fn a7_audit_export_reads_back() {
    let t = TestApp::new().await;
    let mut b = crate::pages::Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let rows = workbook_rows(&b.get_bytes("/audit/export").await);
    assert!(rows.len() > 1, "{rows:?}");
    assert!(
        rows.iter()
            .skip(1)
            .any(|r| r.iter().any(|c| c.contains("登录"))),
        "the login is exported: {rows:?}"
    );
}

#[tokio::test]
async fn a7_the_audit_page_speaks_chinese_and_finds_people_by_name() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    // A student edit and a staff import-like change leave events of their own kinds.
    let (_, students) = t
        .get(
            &format!("/api/v1/schools/{school}/students?page_size=1"),
            &admin,
        )
        .await;
    let id = students["items"][0]["id"].as_i64().expect("student");
    let name = students["items"][0]["name"]
        .as_str()
        .expect("name")
        .to_string();
    let (status, _) = t
        .patch(
            &format!("/api/v1/schools/{school}/students/{id}"),
            &admin,
            json!({"name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut b = crate::pages::Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!(
            "/audit?entity_type=student&actor_name={}",
            urlencode("刘芳")
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("修改学生"), "{}", page.body);
    assert!(
        !page.body.contains("student.update"),
        "a raw code on the page"
    );
    // Nobody by that name: nothing.
    let page = b
        .get(&format!("/audit?actor_name={}", urlencode("不存在的人")))
        .await;
    assert!(
        page.body.contains("没有符合条件的操作记录"),
        "{}",
        page.body
    );
}

/// Edits of students and staff record the changed fields, personal data masked.
#[tokio::test]
async fn a7_edits_record_old_and_new_values() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/students?q=周俊"), &admin)
        .await;
    let id = list["items"][0]["id"].as_i64().expect("id");
    let (status, body) = t
        .patch(
            &format!("/api/v1/schools/{school}/students/{id}"),
            &admin,
            serde_json::json!({"name": "周小俊", "status": "transferred"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, events) = t
        .get(
            &format!("/api/v1/audit-events?entity_type=student&entity_id={id}"),
            &admin,
        )
        .await;
    assert_eq!(
        events["items"][0]["summary"],
        format!(
            "修改学生 周俊（学号 {}）：姓名：周俊 → 周小俊；状态：在读 → 转出",
            list["items"][0]["student_no"].as_str().unwrap_or("")
        )
    );
    // Nothing changed says so.
    t.patch(
        &format!("/api/v1/schools/{school}/students/{id}"),
        &admin,
        serde_json::json!({"name": "周小俊"}),
    )
    .await;
    let (_, events) = t
        .get(
            &format!("/api/v1/audit-events?entity_type=student&entity_id={id}"),
            &admin,
        )
        .await;
    assert!(
        events["items"][0]["summary"]
            .as_str()
            .unwrap_or("")
            .ends_with("（无变化）")
    );

    let (_, staff) = t
        .get(&format!("/api/v1/schools/{school}/staff?q=赵敏"), &admin)
        .await;
    let staff_id = staff["items"][0]["id"].as_i64().expect("staff");
    let (status, _) = t
        .patch(
            &format!("/api/v1/schools/{school}/staff/{staff_id}"),
            &admin,
            serde_json::json!({"title": "高级教师", "certificate_no": "20264400000999"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, events) = t
        .get(
            &format!("/api/v1/audit-events?entity_type=staff&entity_id={staff_id}"),
            &admin,
        )
        .await;
    let summary = events["items"][0]["summary"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(summary.contains("职称：一级教师 → 高级教师"), "{summary}");
    assert!(
        summary.contains("教师资格证号：已更改") && !summary.contains("20264400000999"),
        "{summary}"
    );
}
