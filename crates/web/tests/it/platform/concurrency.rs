//! Concurrent writes queue instead of failing: on SQLite a transaction that read first and
//! wrote later used to fail with "database is locked" when another writer came between.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn p5_concurrent_writes_queue_instead_of_failing() {
    let t = std::sync::Arc::new(TestApp::new().await);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let mut tasks = Vec::new();
    // Twenty logins of one account (each writes a session and an audit event) …
    for _ in 0..20 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            t.try_login(SCHOOL1_ADMIN, PASSWORD).await
        }));
    }
    // … while rooms are created and a student is edited at the same school.
    for i in 0..10 {
        let (t, admin) = (t.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            t.api(
                Method::POST,
                &format!("/api/v1/schools/{school}/rooms"),
                Some(&admin),
                Some(json!({"name": format!("并发室{i}"), "capacity": 30})),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    for (status, body) in &answers {
        assert!(status.is_success(), "{status} {body}");
    }
    let (_, rooms) = t
        .get(
            &format!("/api/v1/schools/{school}/rooms?q={}", urlencode("并发室")),
            &admin,
        )
        .await;
    assert_eq!(rooms["total"], 10, "{rooms}");
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == StatusCode::OK).count(),
        20
    );
}
