//! Running the platform for real (P4, P5): backup and restore on the engine the suite runs
//! on, key rotation while serving, health, readiness and metrics, and upgrades from the
//! first schema.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kehou_service::billing::channel::{Incoming, Merchant, Notice, Trade, TradeState};
use kehou_service::billing::sandbox::{self, Signed};
use kehou_service::platform::keys;
use kehou_service::platform::vault::Vault;
use kehou_service::system::backup;
use kehou_service::{App, ManualClock};
use kehou_store::entity::billing::receiving_account;
use kehou_store::entity::identity::user;
use kehou_store::entity::school::student;
use kehou_store::sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use tower::ServiceExt;

use crate::common::*;

/// The backups call pg_dump and pg_restore; on PostgreSQL the tools must be there.
fn pg_tools_missing() -> bool {
    on_postgres()
        && std::process::Command::new("sh")
            .args([
                "-c",
                "command -v pg_dump || ls /usr/lib/postgresql/*/bin/pg_dump",
            ])
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
}

/// Every student's ID number in clear, by student id.
async fn id_numbers(db: &impl ConnectionTrait, vault: &Vault) -> BTreeMap<i64, String> {
    student::Entity::find()
        .all(db)
        .await
        .expect("students")
        .into_iter()
        .filter_map(|s| {
            Some((
                s.id,
                vault.decrypt(s.id_no_enc.as_deref()?).expect("decrypt"),
            ))
        })
        .collect()
}

/// Rows of every table, as a user of SQL sees them.
async fn table_rows(url: &str) -> BTreeMap<String, u64> {
    let db = kehou_store::open(url).await.expect("open");
    let backend = db.get_database_backend();
    let list = if on_postgres() {
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    let mut out = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .expect("tables")
    {
        let name: String = row.try_get("", "name").expect("name");
        let n: i64 = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM \"{name}\""),
            ))
            .await
            .expect("count")
            .expect("row")
            .try_get("", "n")
            .expect("n");
        out.insert(name, n as u64);
    }
    db.close().await.expect("close");
    out
}

/// A password login on a router of its own (another instance, a restored platform).
async fn login_on(router: &axum::Router, phone: &str) -> axum::response::Response {
    router
        .clone()
        .oneshot(
            Request::post("/api/v1/auth/token")
                .header("content-type", "application/json")
                .body(Body::from(format!(
                    r#"{{"phone":"{phone}","password":"{PASSWORD}"}}"#
                )))
                .expect("request"),
        )
        .await
        .expect("answer")
}

async fn start(url: &str, vault: Vault) -> kehou_service::Result<App> {
    App::start(
        url,
        Arc::new(ManualClock::new(chrono::Utc::now())),
        Arc::new(vault),
    )
    .await
}

#[tokio::test]
async fn p4_backup_wipe_restore_finds_every_row_and_id_number() {
    if pg_tools_missing() {
        assert!(!require_all(), "pg_dump is needed for the backup test");
        println!("skipped: pg_dump not installed");
        return;
    }
    // No job worker: nothing but the test changes the data.
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let key = template_key().await;
    let vault = Vault::from_hex(&key).expect("vault");
    let ids_before = id_numbers(&t.app.db, &vault).await;
    assert!(
        ids_before.len() > 100,
        "the demo has students with ID numbers"
    );
    let dir = tempfile::tempdir().expect("dir");
    let files = dir.path().join("files");
    std::fs::create_dir_all(files.join("q")).expect("files");
    std::fs::write(files.join("q/photo.jpg"), b"not really a photo").expect("file");

    // Backed up while the platform serves.
    let token = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let mut rows_before = table_rows(&t.url).await;
    let out = dir.path().join("backup");
    let list = format!("/api/v1/schools/{school}/students");
    let (manifest, (status, _)) = tokio::join!(
        backup::backup(&t.app, &t.url, Some(&files), &out),
        t.get(&list, &token)
    );
    let manifest = manifest.expect("backup");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(manifest.key_ids, vec![Vault::key_id(&key).expect("id")]);
    assert_eq!(manifest.files, 1);
    assert!(manifest.rows["students"] > 100);
    let written = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    assert!(!written.contains(&key), "the key is never in a backup");
    assert_eq!(
        manifest.rows, rows_before,
        "the manifest counts every table"
    );
    // The backup itself is in the audit trail (after the snapshot).
    assert_eq!(t.audit_count("system.backup").await, 1);

    // Wiped: the database is gone (SQLite: its file; PostgreSQL: a new empty database).
    t.app.db.clone().close().await.expect("close");
    let target = if on_postgres() {
        empty_database(dir.path()).await
    } else {
        let path = kehou_store::sqlite_path(&t.url).expect("path").to_string();
        for f in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
            let _ = std::fs::remove_file(f);
        }
        t.url.clone()
    };

    // A restore without the backup's key is refused before anything is written.
    let other = Vault::from_hex(&Vault::generate_key()).expect("vault");
    let err = backup::restore(&target, &other, None, &out)
        .await
        .expect_err("wrong key");
    assert!(err.to_string().contains(&manifest.key_ids[0]), "{err}");
    assert!(err.to_string().contains(&manifest.installation_id), "{err}");
    assert!(table_rows(&target).await.is_empty(), "nothing written");

    let restored_files = dir.path().join("restored-files");
    backup::restore(&target, &vault, Some(&restored_files), &out)
        .await
        .expect("restore");
    assert_eq!(
        std::fs::read(restored_files.join("q/photo.jpg")).expect("file back"),
        b"not really a photo"
    );
    // Every row is back, and the restore's own audit event.
    *rows_before.get_mut("audit_events").expect("audit") += 1;
    assert_eq!(table_rows(&target).await, rows_before, "every row is back");
    let app = start(&target, Vault::from_hex(&key).expect("vault"))
        .await
        .expect("start on the restored database");
    assert_eq!(id_numbers(&app.db, &vault).await, ids_before);
    let router = kehou_web::router(app.clone(), kehou_web::WebConfig::default());
    let status = login_on(&router, PARENT).await.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "the parent logs in on the restored platform"
    );

    // Restoring over it again: refused, nothing changed.
    let err = backup::restore(&target, &vault, None, &out)
        .await
        .expect_err("not empty");
    assert!(err.to_string().contains("不是空的"), "{err}");
    assert_eq!(
        student::Entity::find().count(&app.db).await.expect("count") as usize,
        rows_before["students"] as usize
    );
}

#[tokio::test]
async fn p4_damaged_or_foreign_backups_are_refused() {
    if pg_tools_missing() {
        assert!(!require_all(), "pg_dump is needed for the backup test");
        println!("skipped: pg_dump not installed");
        return;
    }
    let t = TestApp::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("backup");
    let m = backup::backup(&t.app, &t.url, None, &out)
        .await
        .expect("backup");
    // The folder exists now: a second backup into it is refused.
    let err = backup::backup(&t.app, &t.url, None, &out)
        .await
        .expect_err("not empty");
    assert!(err.to_string().contains("不是空目录"), "{err}");

    let vault = Vault::from_hex(&template_key().await).expect("vault");
    let target = empty_database(dir.path()).await;
    // Another installation's backup: its key is not ours.
    let mut foreign = m.clone();
    foreign.installation_id = "another-installation".into();
    foreign.key_ids = vec!["0badc0de".into()];
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec(&foreign).expect("json"),
    )
    .expect("write");
    let err = backup::restore(&target, &vault, None, &out)
        .await
        .expect_err("foreign");
    assert!(err.to_string().contains("another-installation"), "{err}");
    assert!(err.to_string().contains("0badc0de"), "{err}");

    // A changed database file: the digest says so.
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec(&m).expect("json"),
    )
    .expect("write");
    let db_file = out.join(&m.database_file);
    let mut bytes = std::fs::read(&db_file).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&db_file, bytes).expect("write");
    let err = backup::restore(&target, &vault, None, &out)
        .await
        .expect_err("damaged");
    assert!(err.to_string().contains("摘要不符"), "{err}");

    // Not a backup at all; a manifest of another format; a huge manifest.
    let err = backup::restore(&target, &vault, None, dir.path())
        .await
        .expect_err("no manifest");
    assert!(err.to_string().contains("不是 kehou 备份"), "{err}");
    std::fs::write(out.join("manifest.json"), r#"{"format":"x"}"#).expect("write");
    let err = backup::restore(&target, &vault, None, &out)
        .await
        .expect_err("other format");
    assert!(err.to_string().contains("不是 kehou 备份"), "{err}");
    std::fs::write(out.join("manifest.json"), vec![b' '; 2 << 20]).expect("write");
    let err = backup::restore(&target, &vault, None, &out)
        .await
        .expect_err("huge");
    assert!(err.to_string().contains("过大"), "{err}");
    assert!(table_rows(&target).await.is_empty(), "nothing written");
}

#[tokio::test]
async fn p4_key_rotation_while_serving_interrupted_and_finished() {
    let t = TestApp::new().await;
    let old = template_key().await;
    let new = Vault::generate_key();
    let old_vault = Vault::from_hex(&old).expect("vault");
    let ids_before = id_numbers(&t.app.db, &old_vault).await;
    let school = t.org_id("示例第一小学").await;

    // An instance with both keys (the new one current), beside the old instance.
    let both = start(&t.url, Vault::with_keys(&new, &[&old]).expect("vault"))
        .await
        .expect("start with both keys");
    let both_router = kehou_web::router(both.clone(), kehou_web::WebConfig::default());
    // Interrupted after the first batch of 50.
    let first = keys::rotate(&both, 50, |_, _| false).await.expect("rotate");
    assert_eq!(first.rewritten, 50);
    let new_id = Vault::key_id(&new).expect("id");
    let old_id = Vault::key_id(&old).expect("id");
    assert_eq!(first.after.by_key[&new_id], 50);
    assert!(first.after.by_key[&old_id] > 0);

    // Half-way: people are found by phone and ID number whichever key their row is under.
    for phone in [PLATFORM_ADMIN, PARENT, SCHOOL1_ADMIN] {
        assert_eq!(login_on(&both_router, phone).await.status(), StatusCode::OK);
    }
    let res = login_on(&both_router, SCHOOL1_ADMIN).await;
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let admin = serde_json::from_slice::<serde_json::Value>(&body).expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let students = student::Entity::find().all(&t.app.db).await.expect("all");
    let rotated = students.iter().find(|s| {
        s.school_id == school && s.id_no_enc.as_deref().is_some_and(|e| e.contains(&new_id))
    });
    let waiting = students
        .iter()
        .find(|s| {
            s.school_id == school && s.id_no_enc.as_deref().is_some_and(|e| e.contains(&old_id))
        })
        .expect("a student not rotated yet");
    for s in rotated.into_iter().chain([waiting]) {
        let id_no = &ids_before[&s.id];
        let res = both_router
            .clone()
            .oneshot(
                Request::get(format!("/api/v1/schools/{school}/students?q={id_no}"))
                    .header("authorization", format!("Bearer {admin}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            body["total"], 1,
            "student {} found by ID number: {body}",
            s.id
        );
    }
    // An instance without the new key cannot start on this data, nor one without the old.
    let err = start(&t.url, Vault::from_hex(&old).expect("vault"))
        .await
        .err()
        .expect("old key only");
    assert!(err.to_string().contains(&new_id), "{err}");
    let err = start(&t.url, Vault::from_hex(&new).expect("vault"))
        .await
        .err()
        .expect("new key only");
    assert!(err.to_string().contains(&old_id), "{err}");

    // Running it again finishes it; then the new key alone reads everything.
    let second = keys::rotate(&both, 200, |_, _| true).await.expect("rotate");
    assert_eq!(second.after.left(&new_id), 0);
    assert_eq!(
        second.after.by_key.keys().collect::<Vec<_>>(),
        vec![&new_id]
    );
    let only_new = start(&t.url, Vault::from_hex(&new).expect("vault"))
        .await
        .expect("new key alone");
    let new_vault = Vault::from_hex(&new).expect("vault");
    assert_eq!(id_numbers(&only_new.db, &new_vault).await, ids_before);
    let router = kehou_web::router(only_new.clone(), kehou_web::WebConfig::default());
    assert_eq!(login_on(&router, PARENT).await.status(), StatusCode::OK);
    let u = user::Entity::find().all(&only_new.db).await.expect("users");
    assert!(
        u.iter()
            .all(|u| new_vault.index_matches(&new_vault.account_phone(u), &u.phone_index))
    );
    // Nothing left: a third run rewrites nothing.
    let third = keys::rotate(&both, 200, |_, _| true).await.expect("rotate");
    assert_eq!(third.rewritten, 0);
}

/// Whether `app`'s sandbox accepts the signed notification `n` (an error names why not).
fn sandbox_accepts(app: &App, m: &Merchant, n: &Signed) -> Result<(), String> {
    let channel = app.payments.get("sandbox").expect("the sandbox channel");
    let incoming = Incoming {
        headers: &n.headers,
        body: n.body.as_bytes(),
    };
    channel
        .verify(m, &incoming, app.now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Another instance on the test's database, with these keys and the test's clock.
async fn instance(t: &TestApp, vault: Vault) -> App {
    App::start(
        &t.url,
        Arc::new(ManualClock::new(t.app.now())),
        Arc::new(vault),
    )
    .await
    .expect("start")
}

#[tokio::test]
async fn p4_sandbox_signatures_follow_a_key_switch() {
    let t = TestApp::new().await;
    let old = template_key().await;
    let new = Vault::generate_key();
    let account = receiving_account::Entity::find()
        .one(&t.app.db)
        .await
        .expect("read")
        .expect("a demo receiving account");
    let m = Merchant {
        account_id: account.id,
        merchant_id: account.merchant_id.clone(),
        app_id: account.app_id.clone(),
        api_key: t.app.vault.decrypt(&account.api_key).expect("api key"),
    };
    let trade = Trade {
        mchid: m.merchant_id.clone(),
        out_trade_no: "P-KEY-SWITCH".into(),
        transaction_id: Some("4200000000000000000000000099".into()),
        trade_state: TradeState::Success,
        trade_state_desc: "支付成功".into(),
        amount_fen: 100,
        success_time: Some(t.app.now()),
    };
    let sign = |app: &App| {
        app.payments
            .sandbox()
            .notification(&m, &Notice::Trade(trade.clone()), app.now())
            .expect("signed")
    };
    let serial = |n: &Signed| {
        n.headers
            .iter()
            .find(|h| h.0 == "Wechatpay-Serial")
            .map(|h| h.1.clone())
            .expect("serial")
    };
    let by_old = sign(&t.app);
    // During the switch an instance signs with the new key and verifies either.
    let both = instance(&t, Vault::with_keys(&new, &[&old]).expect("vault")).await;
    let by_new = sign(&both);
    let new_id = Vault::key_id(&new).expect("id");
    assert_eq!(serial(&by_new), sandbox::serial_of(&new_id));
    assert_eq!(
        serial(&by_old),
        sandbox::serial_of(&Vault::key_id(&old).expect("id"))
    );
    assert_eq!(sandbox_accepts(&both, &m, &by_old), Ok(()));
    assert_eq!(sandbox_accepts(&both, &m, &by_new), Ok(()));
    // An instance not restarted yet refuses the new serial (the sandbox delivers again
    // later); after the rotation an instance with the new key alone refuses the old one.
    let err = sandbox_accepts(&t.app, &m, &by_new).expect_err("unknown serial");
    assert!(err.contains("序列号"), "{err}");
    keys::rotate(&both, 500, |_, _| true).await.expect("rotate");
    let only_new = instance(&t, Vault::from_hex(&new).expect("vault")).await;
    assert_eq!(sandbox_accepts(&only_new, &m, &by_new), Ok(()));
    let err = sandbox_accepts(&only_new, &m, &by_old).expect_err("old serial");
    assert!(err.contains("序列号"), "{err}");
    // A notification whose serial is right but whose signature was made with another key.
    let mut forged = by_old.clone();
    for h in forged
        .headers
        .iter_mut()
        .filter(|h| h.0 == "Wechatpay-Serial")
    {
        h.1 = sandbox::serial_of(&new_id);
    }
    let err = sandbox_accepts(&only_new, &m, &forged).expect_err("forged");
    assert!(err.contains("签名不符"), "{err}");
}

#[tokio::test]
async fn p4_a_text_message_code_sent_before_a_key_switch_still_signs_in() {
    let t = TestApp::new().await;
    let old = template_key().await;
    let new = Vault::generate_key();
    let ask = serde_json::json!({ "phone": PARENT });
    let (status, body) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/sms-code",
            None,
            Some(ask.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin = t.login(PLATFORM_ADMIN).await;
    let (_, sent) = t
        .get(&format!("/api/v1/sandbox/sms?phone={PARENT}"), &admin)
        .await;
    let text = sent["items"][0]["text"].as_str().expect("a code was sent");
    let at = text.find("验证码 ").expect("code") + "验证码 ".len();
    let code = text[at..at + 6].to_string();
    // The instance restarted with the new key: asking again within the minute is still
    // refused (the limits span both keys), and the code sent before the switch signs in.
    let both = instance(&t, Vault::with_keys(&new, &[&old]).expect("vault")).await;
    let router = kehou_web::router(both, kehou_web::WebConfig::default());
    let post = |path: &str, body: serde_json::Value| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let res = router
        .clone()
        .oneshot(post("/api/v1/auth/sms-code", ask))
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let login = serde_json::json!({ "phone": PARENT, "sms_code": code });
    let res = router
        .clone()
        .oneshot(post("/api/v1/auth/token", login.clone()))
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::OK);
    // Once only, whichever key.
    let res = router
        .oneshot(post("/api/v1/auth/token", login))
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn text(t: &TestApp, req: Request<Body>) -> (StatusCode, String) {
    let res = t.request(req).await;
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 4 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

#[tokio::test]
async fn p5_health_readiness_and_metrics() {
    // No job worker: alive, not ready, and the body says why.
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    assert_eq!(
        text(&t, get("/healthz")).await,
        (StatusCode::OK, "ok".into())
    );
    let (status, body) = text(&t, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("job worker: not started"), "{body}");
    t.app.metrics.worker_alive(t.app.now());
    let (status, body) = text(&t, get("/readyz")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ready\n"));
    t.clock.advance(chrono::Duration::minutes(5));
    let (status, body) = text(&t, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("job worker: silent for 300 s"), "{body}");

    // Requests by route (not by path) and status, with latency; the job queue.
    let school = t.org_id("示例第一小学").await;
    let token = t.login(PARENT).await;
    let (status, _) = t.try_login(PARENT, "wrong password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = t
        .get(&format!("/api/v1/schools/{school}/students"), &token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = text(&t, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "kehou_http_requests_total{method=\"POST\",route=\"/api/v1/auth/token\",status=\"200\"} 2",
        "kehou_http_requests_total{method=\"POST\",route=\"/api/v1/auth/token\",status=\"401\"} 1",
        "kehou_http_requests_total{method=\"GET\",route=\"/api/v1/schools/{school_id}/students\",status=\"403\"} 1",
        "kehou_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/auth/token\"} 3",
        "kehou_jobs{kind=\"seat_hold\",state=\"queued\"}",
        "kehou_db_pool_max_connections",
        "# TYPE kehou_http_request_duration_seconds histogram",
        "kehou_job_queue_oldest_age_seconds",
    ] {
        assert!(body.contains(line), "missing {line}:\n{body}");
    }
    assert!(!body.contains(PARENT), "no phone number in the metrics");
    assert!(
        !body.contains(&format!("/schools/{school}/")),
        "routes, not paths"
    );

    // A text message through the SMS channel is counted.
    let before = body
        .lines()
        .filter(|l| l.starts_with("kehou_channel_calls_total"))
        .count();
    let (status, _) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/auth/sms-code",
            None,
            Some(serde_json::json!({"phone": PARENT, "purpose": "login"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = text(&t, get("/metrics")).await;
    assert!(
        body.contains(
            "kehou_channel_calls_total{channel=\"sms\",operation=\"send\",outcome=\"ok\"} 1"
        ),
        "{body}"
    );
    assert!(
        before
            < body
                .lines()
                .filter(|l| l.starts_with("kehou_channel_calls_total"))
                .count()
    );
}

#[tokio::test]
async fn p5_metrics_only_for_the_configured_addresses() {
    let allowed =
        kehou_web::http::proxy::TrustedProxies::parse(&["10.1.2.3".to_string()]).expect("list");
    let t = TestApp::with_config(kehou_web::WebConfig {
        metrics_from: Some(allowed),
        ..Default::default()
    })
    .await;
    let from = |ip: &str| {
        let mut req = get("/metrics");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                ip.parse().expect("ip"),
                40000,
            )));
        req
    };
    assert_eq!(text(&t, from("10.1.2.3")).await.0, StatusCode::OK);
    assert_eq!(text(&t, from("10.1.2.4")).await.0, StatusCode::NOT_FOUND);
    // A forwarded header does not open it: the connection counts.
    let mut req = from("203.0.113.9");
    req.headers_mut()
        .insert("x-forwarded-for", "10.1.2.3".parse().expect("header"));
    assert_eq!(text(&t, req).await.0, StatusCode::NOT_FOUND);
    assert_eq!(text(&t, get("/metrics")).await.0, StatusCode::NOT_FOUND);
}

/// The first version that landed had only the first migration (organizations, accounts
/// with plain phone numbers, roles, memberships, sessions, audit). A database made with
/// it, holding data, is migrated to this version and everything is still there: the
/// account's phone is encrypted and found, the person logs in, the audit trail is intact.
#[tokio::test]
async fn p4_upgrade_from_the_first_schema_keeps_the_data() {
    let dir = tempfile::tempdir().expect("dir");
    let url = empty_database(dir.path()).await;
    let db = kehou_store::open(&url).await.expect("open");
    kehou_store::migrate_first(&db, 1)
        .await
        .expect("first schema");
    let hash = kehou_service::identity::auth::hash_password(
        &kehou_domain::Password::parse(PASSWORD).expect("password"),
    )
    .expect("hash");
    let t = "2026-11-24 10:00:00+00:00";
    for sql in [
        format!(
            "INSERT INTO orgs (id, parent_id, kind, level, name, code, region_code, path, active, created_at, updated_at) \
             VALUES (1, NULL, 'platform', NULL, '课后服务管理平台', NULL, NULL, '/1/', true, '{t}', '{t}')"
        ),
        format!(
            "INSERT INTO users (id, phone, name, password_hash, frozen, must_change_password, failed_logins, locked_until, created_at, updated_at) \
             VALUES (1, '13911112222', '首版管理员', '{hash}', false, false, 0, NULL, '{t}', '{t}')"
        ),
        format!(
            "INSERT INTO roles (id, code, name, org_kind, owner_org_id, description, created_at, updated_at) \
             VALUES (1, 'platform_admin', '平台管理员', 'platform', NULL, '预置角色', '{t}', '{t}')"
        ),
        "INSERT INTO role_permissions (role_id, permission) VALUES (1, 'org.view')".to_string(),
        format!(
            "INSERT INTO memberships (id, user_id, org_id, role_id, created_at) VALUES (1, 1, 1, 1, '{t}')"
        ),
        format!(
            "INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_name, membership_id, org_id, org_path, action, entity_type, entity_id, summary, ip) \
             VALUES (1, '{t}', 1, '首版管理员', 1, 1, '/1/', 'user.create', 'user', 1, '首版创建的账号', '127.0.0.1')"
        ),
    ] {
        db.execute_unprepared(&sql).await.expect(&sql);
    }
    if on_postgres() {
        // Rows given explicit ids: move the sequences past them, as the old version would have.
        for table in ["orgs", "users", "roles", "memberships", "audit_events"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"
            ))
            .await
            .expect("sequence");
        }
    }
    assert_eq!(
        kehou_store::pending_migrations(&db).await.expect("pending"),
        kehou_store::migration_names().len() - 1
    );
    db.close().await.expect("close");

    // This version starts on it: migrations run forward, old data is brought along.
    let key = Vault::generate_key();
    let app = start(&url, Vault::from_hex(&key).expect("vault"))
        .await
        .expect("upgrade");
    assert_eq!(app.pending_migrations().await.expect("pending"), 0);
    let u = user::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the account is still there");
    assert_eq!(u.name, "首版管理员");
    assert_eq!(app.vault.account_phone(&u), "13911112222");
    assert_ne!(u.phone_index, "13911112222", "the plain number is gone");
    let router = kehou_web::router(app.clone(), kehou_web::WebConfig::default());
    let res = login_on(&router, "13911112222").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the first version's admin logs in"
    );
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let token = serde_json::from_slice::<serde_json::Value>(&body).expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let res = router
        .oneshot(
            Request::get("/api/v1/audit-events?actor_user_id=1&entity_type=user")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("首版创建的账号"), "{body}");
    // And the platform works on: a second start finds nothing to do.
    app.db.clone().close().await.expect("close");
    start(&url, Vault::from_hex(&key).expect("vault"))
        .await
        .expect("second start");
}

#[tokio::test]
async fn p4_p5_platform_admins_see_how_the_installation_runs() {
    let t = TestApp::new().await;
    t.app.metrics.worker_alive(t.app.now());
    let dir = tempfile::tempdir().expect("dir");
    backup::backup(&t.app, &t.url, None, &dir.path().join("b"))
        .await
        .expect("backup");
    let mut browser = crate::pages::Browser::new(&t);
    browser.login(PLATFORM_ADMIN, PASSWORD).await;
    let page = browser.get("/system").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let key_id = Vault::key_id(&template_key().await).expect("id");
    for text in [
        "系统运行",
        "正常",
        key_id.as_str(),
        "全部个人信息由当前密钥加密",
        "保存期限",
        "1095",
        "最近的备份",
        "备份到",
        "未支付订单的座位保留到期",
        "排队中",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
    assert!(
        page.body.contains("href=\"/system\""),
        "in the platform admin's menu"
    );
    // Nobody else: not a school's admin, not a city leader, not a parent.
    for phone in [SCHOOL1_ADMIN, CITY_LEADER, PARENT] {
        let mut browser = crate::pages::Browser::new(&t);
        browser.login(phone, PASSWORD).await;
        let page = browser.get("/system").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{phone}");
        assert!(!page.body.contains(&key_id));
        let home = browser.get("/").await;
        assert!(!home.body.contains("href=\"/system\""), "{phone}");
    }
}
