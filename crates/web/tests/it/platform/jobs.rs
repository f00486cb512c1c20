//! The durable job queue (P5): a job is visible from every instance, survives a worker
//! that dies mid-job, retries with back-off, and is purged a day after it finished.

use axum::http::StatusCode;
use chrono::Duration;
use kehou_service::platform::jobs::{self, Failure};
use kehou_service::system::worker;
use kehou_store::entity::platform::job;
use kehou_store::sea_orm::EntityTrait;

use crate::common::*;
use crate::import::imports::{student, upload, xlsx};

const HEADERS: [&str; 10] = [
    "学号",
    "姓名",
    "性别",
    "身份证号",
    "出生日期",
    "班级",
    "状态",
    "监护人1姓名",
    "监护人1手机号",
    "监护人1关系",
];

async fn queued_import(t: &TestApp) -> (String, i64, i64) {
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let rows = vec![
        student("J0001", "任一", 1, "13900000101"),
        student("J0002", "任二", 2, "13900000102"),
    ];
    let (status, job) = upload(
        t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(&HEADERS, &rows),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "queued", "{job}");
    (admin, school, job["id"].as_i64().expect("job id"))
}

async fn row(t: &TestApp, id: i64) -> job::Model {
    job::Entity::find_by_id(id)
        .one(&t.app.db)
        .await
        .expect("read job")
        .expect("job exists")
}

#[tokio::test]
async fn p5_a_job_survives_a_worker_killed_mid_job() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let (admin, school, id) = queued_import(&t).await;
    let path = format!("/api/v1/schools/{school}/imports/jobs/{id}");

    // A second instance over the same database sees the job.
    let other = kehou_web::router(
        kehou_service::App::with_database(t.app.db.clone(), t.clock.clone(), t.app.vault.clone())
            .await
            .expect("second instance"),
        kehou_web::WebConfig::default(),
    );
    let seen = {
        use tower::ServiceExt;
        let req = axum::http::Request::get(&path)
            .header("authorization", format!("Bearer {admin}"))
            .body(axum::body::Body::empty())
            .expect("request");
        other.oneshot(req).await.expect("answer").status()
    };
    assert_eq!(seen, StatusCode::OK);

    // Worker A claims the job and dies before finishing it.
    let claimed = jobs::claim(&t.app.db, "worker-a", t.app.now())
        .await
        .expect("claim")
        .expect("a job to claim");
    assert_eq!((claimed.id, claimed.attempts), (id, 1));
    assert_eq!(t.get(&path, &admin).await.1["status"], "running");

    // While A's lease holds, nobody else takes the job.
    assert!(!worker::run_next(&t.app, "worker-b").await.expect("run"));
    assert_eq!(row(&t, id).await.locked_by.as_deref(), Some("worker-a"));

    // Once the lease has run out, worker B takes it over and completes it.
    t.clock.advance(jobs::LEASE + Duration::seconds(1));
    assert!(worker::run_next(&t.app, "worker-b").await.expect("run"));
    let (status, view) = t.get(&path, &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "finished", "{view}");
    assert_eq!(view["outcome"]["created"], 2, "{view}");
    let done = row(&t, id).await;
    assert_eq!(done.attempts, 2);
    assert!(done.input.is_none(), "the upload is dropped once done");
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/students?q=任一"), &admin)
        .await;
    assert_eq!(list["total"], 1, "{list}");

    // The dead worker, had it woken, can neither renew nor overwrite the result.
    assert!(
        !jobs::heartbeat(&t.app.db, id, "worker-a", t.app.now(), ("x", 0, 0))
            .await
            .expect("heartbeat")
    );
    assert!(
        !jobs::finish(
            &t.app.db,
            id,
            "worker-a",
            t.app.now(),
            &serde_json::json!({})
        )
        .await
        .expect("finish")
    );
    assert_eq!(t.get(&path, &admin).await.1["outcome"]["created"], 2);
}

#[tokio::test]
async fn p5_transient_failures_retry_with_backoff_then_stop() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let (admin, school, id) = queued_import(&t).await;
    let path = format!("/api/v1/schools/{school}/imports/jobs/{id}");
    for attempt in 1..=3 {
        let held = jobs::claim(&t.app.db, "w", t.app.now())
            .await
            .expect("claim")
            .expect("claimable");
        assert_eq!(held.attempts, attempt);
        jobs::fail(
            &t.app.db,
            &held,
            "w",
            t.app.now(),
            Failure::Transient("数据库暂时不可用".into()),
        )
        .await
        .expect("fail");
        if attempt < 3 {
            assert_eq!(t.get(&path, &admin).await.1["status"], "queued");
            // Not before the back-off has passed.
            assert!(
                jobs::claim(&t.app.db, "w", t.app.now())
                    .await
                    .expect("claim")
                    .is_none()
            );
            t.clock.advance(jobs::backoff(attempt));
        }
    }
    let (_, view) = t.get(&path, &admin).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert_eq!(view["failure"], "数据库暂时不可用");

    // Failed a day ago: purged, and the job is gone for everyone.
    t.clock.advance(jobs::KEEP_FINISHED + Duration::seconds(1));
    // (The demo's own finished jobs go with it.)
    assert!(
        jobs::purge(&t.app.db, t.app.now(), jobs::KEEP_FINISHED)
            .await
            .expect("purge")
            >= 1
    );
    let admin = t.login(SCHOOL1_ADMIN).await;
    assert_eq!(t.get(&path, &admin).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn p5_a_job_that_keeps_killing_its_workers_is_failed() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let (admin, school, id) = queued_import(&t).await;
    for _ in 0..3 {
        jobs::claim(&t.app.db, "dies", t.app.now())
            .await
            .expect("claim")
            .expect("claimable");
        t.clock.advance(jobs::LEASE + Duration::seconds(1));
    }
    assert!(!worker::run_next(&t.app, "w").await.expect("run"));
    let (_, view) = t
        .get(
            &format!("/api/v1/schools/{school}/imports/jobs/{id}"),
            &admin,
        )
        .await;
    assert_eq!(view["status"], "failed", "{view}");
}
