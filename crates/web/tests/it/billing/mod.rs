//! Money (issue 15): payments through the sandbox channel settled once whatever the
//! notifications do, forged ones refused, receipts, refunds computed from lessons and
//! never above what was paid, the append-only ledger and `kehou check`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use kehou_service::billing::channel::{Merchant, Notice};
use kehou_store::entity::billing::{notification, receiving_account};
use kehou_store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::{PARENT, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TestApp};

mod attendance;
mod change;
mod modes;

pub async fn run_jobs(t: &TestApp) {
    while kehou_service::system::worker::run_next(&t.app, "test")
        .await
        .expect("job")
    {}
}

pub(super) async fn quiet() -> TestApp {
    TestApp::without_worker(kehou_web::WebConfig::default()).await
}

pub(super) async fn kid(t: &TestApp, token: &str) -> i64 {
    let (_, list) = t.get("/api/v1/me/children", token).await;
    list["items"][0]["student_id"].as_i64().expect("a child")
}

/// The demo child's unpaid basketball order.
pub(super) async fn unpaid_order(t: &TestApp, parent: &str) -> Value {
    let k = kid(t, parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), parent)
        .await;
    h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "pending_payment")
        .unwrap_or_else(|| panic!("the demo's unpaid order: {h}"))["order"]
        .clone()
}

pub(super) async fn pay(t: &TestApp, parent: &str, orders: &[i64]) -> Value {
    let (s, p) = t
        .post("/api/v1/payments", parent, json!({ "order_ids": orders }))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p
}

/// The parent confirms on the sandbox's cashier.
pub(super) async fn confirm(t: &TestApp, p: &Value) {
    let prepay = p["pay"]["prepay_id"].as_str().expect("pay params");
    t.app
        .payments
        .sandbox()
        .pay(prepay, true, t.app.now())
        .await
        .expect("sandbox pays");
}

async fn merchant_of(t: &TestApp, school: i64) -> Merchant {
    let a = receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school))
        .one(&t.app.db)
        .await
        .unwrap()
        .expect("the demo school's sandbox account");
    Merchant {
        account_id: a.id,
        merchant_id: a.merchant_id.clone(),
        app_id: a.app_id.clone(),
        api_key: t.app.vault.decrypt(&a.api_key).unwrap(),
    }
}

async fn post_notification(
    t: &TestApp,
    account: i64,
    headers: &[(String, String)],
    body: &str,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/pay/notify/sandbox?account={account}"));
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let res = t
        .request(req.body(Body::from(body.to_string())).unwrap())
        .await;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `kehou check`: the invariants of enrollment and of money.
pub(super) async fn check(t: &TestApp) -> Vec<String> {
    let mut found = kehou_service::enrollment::check::run(&t.app.db)
        .await
        .unwrap();
    found.extend(kehou_service::billing::check::run(&t.app.db).await.unwrap());
    found
        .into_iter()
        .map(|v| format!("[{}] {}", v.rule, v.detail))
        .collect()
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    let row = t
        .app
        .db
        .query_one_raw(kehou_store::sea_orm::Statement::from_string(
            t.app.db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn h3_h4_a_parent_pays_in_the_sandbox_once_whatever_the_notifications_do() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    let total = o["total_fen"].as_i64().unwrap();
    assert!(total > 0);
    let (_, ledger) = t
        .get(&format!("/api/v1/orders/{order_id}/ledger"), &parent)
        .await;
    assert_eq!(ledger["totals"]["balance_fen"], total, "{ledger}");

    let p = pay(&t, &parent, &[order_id]).await;
    assert_eq!(p["status"], "created");
    assert_eq!(p["amount_fen"], total);
    assert!(
        p["pay"]["pay_url"]
            .as_str()
            .unwrap()
            .starts_with("/pay/sandbox/wx")
    );
    // Asked again for the same order: the same payment.
    let again = pay(&t, &parent, &[order_id]).await;
    assert_eq!(again["id"], p["id"]);

    // Paid at the cashier; the parent comes back before the notification arrives: the
    // channel is asked, and the payment is settled.
    t.app
        .payments
        .sandbox()
        .set_behaviour(kehou_service::billing::sandbox::Behaviour {
            duplicate: true,
            down: false,
        });
    let before = notification::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .len();
    confirm(&t, &p).await;
    let pid = p["id"].as_i64().unwrap();
    let (s, got) = t.get(&format!("/api/v1/payments/{pid}"), &parent).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["status"], "paid", "{got}");
    assert!(got["transaction_id"].as_str().unwrap().starts_with("4200"));
    // Then the notification arrives, twice: nothing changes.
    t.clock.advance(chrono::Duration::seconds(5));
    run_jobs(&t).await;
    let outcomes: Vec<String> = notification::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .skip(before)
        .map(|n| n.outcome)
        .collect();
    assert_eq!(
        outcomes,
        ["duplicate", "duplicate"],
        "settled by asking first"
    );
    let (_, ledger) = t
        .get(&format!("/api/v1/orders/{order_id}/ledger"), &parent)
        .await;
    assert_eq!(ledger["totals"]["paid_fen"], total, "{ledger}");
    assert_eq!(ledger["totals"]["balance_fen"], 0);
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 2);
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "paid");
    assert!(order["hold_until"].is_null());
    let k = kid(&t, &parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), &parent)
        .await;
    let e = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["order"]["id"] == order_id)
        .unwrap();
    assert_eq!(e["status"], "confirmed");
    assert_eq!(e["money"]["paid_by"], pid);
    // Paying a paid order is refused.
    let (s, _) = t
        .post(
            "/api/v1/payments",
            &parent,
            json!({ "order_ids": [order_id] }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The receipt: JSON, then the PDF's own text.
    let (s, r) = t
        .get(&format!("/api/v1/payments/{pid}/receipt"), &parent)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["payment"]["amount_fen"], total);
    assert!(r["payer_phone"].as_str().unwrap().contains("****"), "{r}");
    assert!(!r.to_string().contains(PARENT), "the phone is masked: {r}");
    let (s, ct, pdf) = t
        .download(&format!("/api/v1/payments/{pid}/receipt.pdf"), &parent)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    let text = kehou_service::platform::pdf::text_of(&pdf);
    assert!(text.contains("课后服务收费电子票据"), "{text}");
    assert!(
        text.contains(r["payment"]["amount"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        text.contains(r["amount_in_words"].as_str().unwrap()),
        "{text}"
    );
    // Another school's admin and another parent see nothing of it.
    for token in [t.login(SCHOOL2_ADMIN).await] {
        let (s, _) = t.get(&format!("/api/v1/payments/{pid}"), &token).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = t
            .get(&format!("/api/v1/orders/{order_id}/ledger"), &token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // The school sees the ledger.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .get(&format!("/api/v1/orders/{order_id}/ledger"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn h3_forged_tampered_stale_and_unknown_notifications_are_refused_and_recorded() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    let p = pay(&t, &parent, &[order_id]).await;
    let school = p["school_id"].as_i64().unwrap();
    let m = merchant_of(&t, school).await;
    let sandbox = t.app.payments.sandbox();
    let trade = kehou_service::billing::channel::Trade {
        mchid: m.merchant_id.clone(),
        out_trade_no: p["payment_no"].as_str().unwrap().into(),
        transaction_id: Some("4200000000000000000000000001".into()),
        trade_state: kehou_service::billing::channel::TradeState::Success,
        trade_state_desc: "支付成功".into(),
        amount_fen: p["amount_fen"].as_i64().unwrap(),
        success_time: Some(t.app.now()),
    };
    let now = t.app.now();
    let good = sandbox
        .notification(&m, &Notice::Trade(trade.clone()), now)
        .unwrap();

    // Tampered body: the signature no longer holds.
    let tampered = good
        .body
        .replacen("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESs", 1);
    let (s, a) = post_notification(&t, m.account_id, &good.headers, &tampered).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{a}");
    assert_eq!(a["code"], "FAIL");
    // No signature at all; a made-up one.
    let (s, _) = post_notification(&t, m.account_id, &[], &good.body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let mut forged = good.headers.clone();
    for h in forged.iter_mut().filter(|h| h.0 == "Wechatpay-Signature") {
        h.1 = "00".repeat(32);
    }
    let (s, _) = post_notification(&t, m.account_id, &forged, &good.body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Signed, but encrypted with another school's key.
    let other = merchant_of(&t, t.org_id("示例第二小学").await).await;
    let wrong_key = Merchant {
        api_key: other.api_key.clone(),
        ..m.clone()
    };
    let sealed_wrong = sandbox
        .notification(&wrong_key, &Notice::Trade(trade.clone()), now)
        .unwrap();
    let (s, _) =
        post_notification(&t, m.account_id, &sealed_wrong.headers, &sealed_wrong.body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A malformed account in the URL: the endpoint's own answer, as JSON.
    let res = t
        .request(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/pay/notify/sandbox?account=9223372036854775808")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // Sent to another account's URL.
    let (s, _) = post_notification(&t, other.account_id, &good.headers, &good.body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Too old (a replay ten minutes later).
    t.clock.advance(chrono::Duration::minutes(10));
    let (s, _) = post_notification(&t, m.account_id, &good.headers, &good.body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let now = t.app.now();
    // Properly signed, but the amount is wrong, or the trade unknown: refused too.
    let mut wrong = trade.clone();
    wrong.amount_fen += 1;
    let n = sandbox
        .notification(&m, &Notice::Trade(wrong), now)
        .unwrap();
    let (s, a) = post_notification(&t, m.account_id, &n.headers, &n.body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{a}");
    assert!(a["message"].as_str().unwrap().contains("金额不符"), "{a}");
    let mut unknown = trade.clone();
    unknown.out_trade_no = "PY20260901000000000000".into();
    let n = sandbox
        .notification(&m, &Notice::Trade(unknown), now)
        .unwrap();
    let (s, a) = post_notification(&t, m.account_id, &n.headers, &n.body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        a["message"].as_str().unwrap().contains("未知的商户订单号"),
        "{a}"
    );
    // Nothing was applied; every one was recorded.
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "pending_payment");
    let refused = notification::Entity::find()
        .filter(notification::Column::Outcome.eq("refused"))
        .all(&t.app.db)
        .await
        .unwrap();
    assert_eq!(refused.len(), 8, "{refused:?}");
    let paid_rows = format!(
        "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment' AND order_id = {order_id}"
    );
    assert_eq!(count(&t, &paid_rows).await, 0);
    let applied_before = count(
        &t,
        "SELECT COUNT(*) FROM pay_notifications WHERE outcome = 'applied'",
    )
    .await;

    // The genuine one, applied once; the same delivered again changes nothing.
    let n = sandbox
        .notification(&m, &Notice::Trade(trade), now)
        .unwrap();
    let (s, a) = post_notification(&t, m.account_id, &n.headers, &n.body).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["code"], "SUCCESS");
    let (s, _) = post_notification(&t, m.account_id, &n.headers, &n.body).await;
    assert_eq!(s, StatusCode::OK);
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(count(&t, &paid_rows).await, 1);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM pay_notifications WHERE outcome = 'applied'"
        )
        .await,
        applied_before + 1
    );
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn h5_f5_a_paid_drop_is_refunded_by_the_rule_explained_and_returned() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    let p = pay(&t, &parent, &[order_id]).await;
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "paid");
    let paid = order["total_fen"].as_i64().unwrap();

    // Three weeks on, some lessons have been held.
    t.clock.advance(chrono::Duration::days(21));
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, preview) = t
        .get(
            &format!("/api/v1/orders/{order_id}/refund-preview"),
            &parent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    let c = &preview["computation"];
    let amount = c["amount_fen"].as_i64().unwrap();
    assert!(amount > 0 && amount < paid, "a partial refund: {preview}");
    assert!(c["rule"].as_str().unwrap().contains("未上课次全额退还"));
    let lines = c["lines"].to_string();
    assert!(lines.contains("未上课次"), "{lines}");
    assert!(lines.contains("已上课次"), "{lines}");

    // The parent asks to drop; the history shows the same preview.
    let k = kid(&t, &parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), &parent)
        .await;
    let e = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["order"]["id"] == order_id)
        .unwrap()
        .clone();
    assert_eq!(e["refund_preview"]["amount_fen"], amount, "{e}");
    let eid = e["id"].as_i64().unwrap();
    let (s, v) = t
        .post(
            &format!("/api/v1/enrollments/{eid}/drop"),
            &parent,
            json!({"reason": "时间冲突"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rid = v["drop_request"]["id"].as_i64().unwrap();
    let (s, d) = t
        .post(
            &format!("/api/v1/drop-requests/{rid}/decision"),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    // The refund goes to the channel, which returns the money a moment later.
    run_jobs(&t).await;
    let (_, preview) = t
        .get(
            &format!("/api/v1/orders/{order_id}/refund-preview"),
            &parent,
        )
        .await;
    let r = &preview["refunds"][0];
    assert_eq!(r["amount_fen"], amount, "{preview}");
    assert_eq!(r["source"], "drop");
    assert_eq!(r["status"], "succeeded", "{preview}");
    assert!(r["explanation"]["lines"].to_string().contains("未上课次"));
    let (_, ledger) = t
        .get(&format!("/api/v1/orders/{order_id}/ledger"), &parent)
        .await;
    assert_eq!(ledger["totals"]["refunded_fen"], amount, "{ledger}");
    assert_eq!(ledger["totals"]["balance_fen"], 0, "{ledger}");
    assert_eq!(ledger["totals"]["charged_fen"], paid - amount);
    // The parent was told.
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert!(msgs.to_string().contains("退款已到账"), "{msgs}");
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn h5_refunds_never_exceed_what_was_paid_even_when_racing() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    let total = o["total_fen"].as_i64().unwrap();
    let refunds = format!("/api/v1/orders/{order_id}/refunds");
    // Nothing paid: nothing to refund.
    let (s, _) = t
        .post(
            &refunds,
            &admin,
            json!({"amount_fen": 100, "reason": "测试"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let p = pay(&t, &parent, &[order_id]).await;
    confirm(&t, &p).await;
    run_jobs(&t).await;

    // Bad input changes nothing.
    for (body, field) in [
        (json!({"amount_fen": 100}), "reason"),
        (json!({"amount_fen": 0, "reason": "x"}), "amount_fen"),
        (json!({"amount_fen": -5, "reason": "x"}), "amount_fen"),
        (
            json!({"amount_fen": 100, "reason": "x".repeat(201)}),
            "reason",
        ),
        (json!({"amount_fen": 100, "reason": "a\u{202e}b"}), "reason"),
    ] {
        let (s, e) = t.post(&refunds, &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["details"][0]["field"], field, "{e}");
    }
    let (s, _) = t
        .post(&refunds, &parent, json!({"amount_fen": 100, "reason": "x"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "parents do not refund themselves");
    let (s, _) = t
        .post(
            &refunds,
            &t.login(SCHOOL2_ADMIN).await,
            json!({"amount_fen": 100, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        count(
            &t,
            &format!("SELECT COUNT(*) FROM refunds WHERE order_id = {order_id}")
        )
        .await,
        0
    );

    // Two refunds of 60 % each, at once: one is refused.
    let part = total * 6 / 10;
    let body = json!({"amount_fen": part, "reason": "部分退费"});
    let (a, b) = tokio::join!(
        t.post(&refunds, &admin, body.clone()),
        t.post(&refunds, &admin, body)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    // The rest still may go; one fen more may not.
    let rest = total - part;
    let (s, e) = t
        .post(
            &refunds,
            &admin,
            json!({"amount_fen": rest + 1, "reason": "超额"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap().contains("最多还可退"));
    let (s, r) = t
        .post(
            &refunds,
            &admin,
            json!({"amount_fen": rest, "reason": "余款"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    run_jobs(&t).await;
    let (_, ledger) = t
        .get(&format!("/api/v1/orders/{order_id}/ledger"), &admin)
        .await;
    assert_eq!(ledger["totals"]["refunded_fen"], total, "{ledger}");
    assert_eq!(ledger["totals"]["balance_fen"], 0);
    assert_eq!(check(&t).await, Vec::<String>::new());
    // The ledger is append-only: the database itself refuses a change.
    let changed = t
        .app
        .db
        .execute_unprepared("UPDATE ledger_entries SET amount_fen = 1")
        .await;
    assert!(changed.is_err());
    let removed = t
        .app
        .db
        .execute_unprepared("DELETE FROM ledger_entries")
        .await;
    assert!(removed.is_err());
}

#[tokio::test]
async fn h4_channel_down_money_after_expiry_and_bad_payment_requests() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    // Bad requests.
    for body in [
        json!({"order_ids": []}),
        json!({}),
        json!({"order_ids": (1..=21).collect::<Vec<i64>>()}),
    ] {
        let (s, e) = t.post("/api/v1/payments", &parent, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    }
    let (s, _) = t
        .post("/api/v1/payments", &parent, json!({"order_ids": [999_999]}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .post("/api/v1/payments", &admin, json!({"order_ids": [order_id]}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only the child's guardian pays");

    // The channel is down: a clear 503, the order keeps its seat.
    let sandbox = t.app.payments.sandbox();
    sandbox.set_behaviour(kehou_service::billing::sandbox::Behaviour {
        duplicate: false,
        down: true,
    });
    let (s, e) = t
        .post(
            "/api/v1/payments",
            &parent,
            json!({"order_ids": [order_id]}),
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "pending_payment");
    sandbox.set_behaviour(Default::default());

    // Paid at the last moment while the seat's hold runs out: the hold job finds it
    // paid and keeps the seat.
    let p = pay(&t, &parent, &[order_id]).await;
    confirm(&t, &p).await;
    t.clock.advance(chrono::Duration::days(2));
    run_jobs(&t).await;
    let parent = t.login(PARENT).await;
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn h4_money_arriving_for_a_closed_order_goes_back_by_itself() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    let p = pay(&t, &parent, &[order_id]).await;
    let school = p["school_id"].as_i64().unwrap();
    // The parent cancels the order while the cashier is open; the channel then reports
    // the money arrived (it was paid in the same second).
    let k = kid(&t, &parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), &parent)
        .await;
    let eid = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["order"]["id"] == order_id)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, _) = t
        .post(
            &format!("/api/v1/enrollments/{eid}/drop"),
            &parent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let m = merchant_of(&t, school).await;
    let trade = kehou_service::billing::channel::Trade {
        mchid: m.merchant_id.clone(),
        out_trade_no: p["payment_no"].as_str().unwrap().into(),
        transaction_id: Some("4200000000000000000000000002".into()),
        trade_state: kehou_service::billing::channel::TradeState::Success,
        trade_state_desc: "支付成功".into(),
        amount_fen: p["amount_fen"].as_i64().unwrap(),
        success_time: Some(t.app.now()),
    };
    // The sandbox itself must know the trade paid for the refund to go through.
    confirm(&t, &p).await;
    let n = t
        .app
        .payments
        .sandbox()
        .notification(&m, &Notice::Trade(trade), t.app.now())
        .unwrap();
    let (s, a) = post_notification(&t, m.account_id, &n.headers, &n.body).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    run_jobs(&t).await;
    let (_, order) = t.get(&format!("/api/v1/orders/{order_id}"), &parent).await;
    assert_eq!(order["status"], "cancelled");
    let (_, ledger) = t
        .get(&format!("/api/v1/orders/{order_id}/ledger"), &parent)
        .await;
    let paid = p["amount_fen"].as_i64().unwrap();
    assert_eq!(ledger["totals"]["paid_fen"], paid, "{ledger}");
    assert_eq!(ledger["totals"]["refunded_fen"], paid, "{ledger}");
    assert_eq!(ledger["totals"]["balance_fen"], 0);
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn h1_receiving_accounts_are_the_schools_own_and_their_keys_stay_secret() {
    let t = quiet().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/receiving-accounts");
    let (s, list) = t.get(&path, &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"][0]["channel"], "sandbox");
    assert_eq!(list["items"][0]["key_set"], true);
    let key = "0123456789abcdef0123456789abcdef";
    for (body, field) in [
        (
            json!({"channel": "paypal", "merchant_id": "1", "app_id": "a", "account_name": "x", "active": true}),
            "channel",
        ),
        (
            json!({"channel": "sandbox", "merchant_id": "", "app_id": "a", "account_name": "x", "active": true}),
            "merchant_id",
        ),
        (
            json!({"channel": "sandbox", "merchant_id": "12 34", "app_id": "a", "account_name": "x", "active": true}),
            "merchant_id",
        ),
        (
            json!({"channel": "sandbox", "merchant_id": "1".repeat(33), "app_id": "a", "account_name": "x", "active": true}),
            "merchant_id",
        ),
        (
            json!({"channel": "sandbox", "merchant_id": "1900000001", "app_id": "a", "account_name": "", "active": true}),
            "account_name",
        ),
        (
            json!({"channel": "sandbox", "merchant_id": "1900000001", "app_id": "a", "account_name": "x", "api_key": "short", "active": true}),
            "api_key",
        ),
    ] {
        let (s, e) = t.put(&path, &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["details"][0]["field"], field, "{e}");
    }
    // Another school's merchant id: refused.
    let other = t.org_id("示例第二小学").await;
    let (_, theirs) = t
        .get(
            &format!("/api/v1/schools/{other}/receiving-accounts"),
            &t.login(SCHOOL2_ADMIN).await,
        )
        .await;
    let (s, e) = t
        .put(&path, &admin, json!({"channel": "sandbox", "merchant_id": theirs["items"][0]["merchant_id"], "app_id": "wx1", "account_name": "x", "active": true}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, v) = t
        .put(&path, &admin, json!({"channel": "sandbox", "merchant_id": "1900000999", "app_id": "wx1", "account_name": "示例第一小学", "api_key": key, "active": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(!v.to_string().contains(key), "never shown: {v}");
    let stored = receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.api_key.contains(key), "encrypted at rest");
    assert_eq!(t.app.vault.decrypt(&stored.api_key).unwrap(), key);
    // Others may not read or change it.
    let parent = t.login(PARENT).await;
    let (s, _) = t.get(&path, &parent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.get(&path, &t.login(SCHOOL2_ADMIN).await).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Without an active account the school cannot take payments.
    let (s, _) = t
        .put(&path, &admin, json!({"channel": "sandbox", "merchant_id": "1900000999", "app_id": "wx1", "account_name": "示例第一小学", "active": false}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let o = unpaid_order(&t, &parent).await;
    let (s, e) = t
        .post("/api/v1/payments", &parent, json!({"order_ids": [o["id"]]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap().contains("收款账户"));
}

#[tokio::test]
async fn h6_the_days_bill_is_matched_line_by_line_and_differences_are_resolved() {
    let t = quiet().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/reconciliation");
    // The demo: today matched, yesterday with one payment the platform does not know.
    let (s, r) = t.get(&path, &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["open"], 1, "{r}");
    let days = r["days"].as_array().unwrap();
    let today = days
        .iter()
        .find(|d| d["status"] == "matched")
        .expect("a matched day");
    assert!(
        today["bill_lines"].as_i64().unwrap() >= 4,
        "3 payments and a refund: {today}"
    );
    assert_eq!(today["bill_lines"], today["matched"]);
    let diff = days
        .iter()
        .flat_map(|d| d["differences"].as_array().unwrap())
        .find(|x| x["status"] == "open")
        .unwrap()
        .clone();
    assert_eq!(diff["kind"], "missing_here");
    assert_eq!(diff["bill"], "300.00");

    // A new payment today: not on the bill until reconciled again; then matched.
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let p = pay(&t, &parent, &[o["id"].as_i64().unwrap()]).await;
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let date = today["date"].as_str().unwrap();
    let (s, r) = t.post(&path, &admin, json!({"date": date})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let today_after = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap();
    assert_eq!(today_after["status"], "matched", "{today_after}");
    assert_eq!(
        today_after["matched"].as_i64().unwrap(),
        today["matched"].as_i64().unwrap() + 1
    );
    // A platform payment the channel lost (its record edited away here): found.
    t.app
        .db
        .execute_unprepared(&format!(
            "UPDATE sandbox_trades SET amount_fen = amount_fen + 1 WHERE out_trade_no = '{}'",
            p["payment_no"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let (_, r) = t.post(&path, &admin, json!({"date": date})).await;
    let d = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap();
    assert_eq!(d["status"], "differences");
    assert_eq!(d["differences"][0]["kind"], "amount", "{d}");

    // Bad input changes nothing.
    for (body, field) in [
        (json!({}), "date"),
        (json!({"date": "2026-13-01"}), "date"),
        (json!({"date": "2099-01-01"}), "date"),
    ] {
        let (s, e) = t.post(&path, &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["details"][0]["field"], field);
    }
    let id = diff["id"].as_i64().unwrap();
    let resolve = format!("/api/v1/recon-differences/{id}/resolve");
    let (s, e) = t.post(&resolve, &admin, json!({"note": ""})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = t
        .post(
            &resolve,
            &t.login(SCHOOL2_ADMIN).await,
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = t
        .post(&resolve, &admin, json!({"note": "线下扫码收款，已补登记"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "resolved");
    let (s, _) = t.post(&resolve, &admin, json!({"note": "again"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Parents and other schools see none of it.
    let (s, _) = t.get(&path, &parent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn h2_h3_orders_are_listed_summed_exported_reminded_and_relieved() {
    let t = quiet().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let parent = t.login(PARENT).await;
    let school = t.org_id("示例第一小学").await;
    let (s, list) = t
        .get(
            &format!("/api/v1/schools/{school}/orders?status=paid"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 3, "the demo's paid orders: {list}");
    let (_, sum) = t
        .get(&format!("/api/v1/schools/{school}/orders/summary"), &admin)
        .await;
    let demo_waived = sum["total"]["waived_fen"].as_i64().unwrap();
    assert!(demo_waived > 0, "the demo's waiver: {sum}");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "paid")
    );
    let (s, e) = t
        .get(
            &format!("/api/v1/schools/{school}/orders?status=nope"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (_, sum) = t
        .get(
            &format!("/api/v1/schools/{school}/orders/summary?by=channel"),
            &admin,
        )
        .await;
    let sandbox = sum["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "沙箱支付")
        .unwrap_or_else(|| panic!("{sum}"));
    assert_eq!(sandbox["orders"], 3);
    assert!(
        sandbox["refunded_fen"].as_i64().unwrap() > 0,
        "the demo's refund: {sum}"
    );
    let (s, _) = t
        .get(
            &format!("/api/v1/schools/{school}/orders/summary?by=colour"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, ct, bytes) = t
        .download(
            &format!("/api/v1/schools/{school}/orders/export?status=paid"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"));
    let rows = crate::common::workbook_rows(&bytes);
    assert_eq!(rows[0][0], "订单号");
    assert_eq!(rows.len(), 4, "{rows:?}");

    // 一键催缴: the unpaid orders' guardians, once a day each.
    let remind = format!("/api/v1/schools/{school}/payment-reminders");
    let (s, r) = t.post(&remind, &admin, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(r["reminded"].as_i64().unwrap() >= 1, "{r}");
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert!(msgs.to_string().contains("缴费提醒"), "{msgs}");
    let (_, again) = t.post(&remind, &admin, json!({})).await;
    assert_eq!(again["reminded"], 0, "{again}");
    assert_eq!(again["skipped_recent"], r["reminded"]);
    let (s, _) = t.post(&remind, &parent, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // 困难家庭减免: the parent then pays only the rest.
    let o = unpaid_order(&t, &parent).await;
    let id = o["id"].as_i64().unwrap();
    let total = o["total_fen"].as_i64().unwrap();
    let waive = format!("/api/v1/orders/{id}/waivers");
    for (body, field) in [
        (json!({"amount_fen": 100, "approved_by": "校长"}), "reason"),
        (
            json!({"amount_fen": 100, "reason": "低保家庭"}),
            "approved_by",
        ),
        (
            json!({"amount_fen": 0, "reason": "低保家庭", "approved_by": "校长"}),
            "amount_fen",
        ),
        (
            json!({"amount_fen": 100, "reason": "x".repeat(201), "approved_by": "校长"}),
            "reason",
        ),
    ] {
        let (s, e) = t.post(&waive, &admin, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["details"][0]["field"], field, "{e}");
    }
    let (s, _) = t
        .post(
            &waive,
            &admin,
            json!({"amount_fen": total + 1, "reason": "低保家庭", "approved_by": "校长"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let half = total / 2;
    let (s, w) = t
        .post(
            &waive,
            &admin,
            json!({"amount_fen": half, "reason": "低保家庭", "approved_by": "校长 王明"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["left_fen"], total - half);
    let p = pay(&t, &parent, &[id]).await;
    assert_eq!(p["amount_fen"], total - half);
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let (_, ledger) = t.get(&format!("/api/v1/orders/{id}/ledger"), &parent).await;
    assert_eq!(ledger["totals"]["waived_fen"], half);
    assert_eq!(ledger["totals"]["balance_fen"], 0);
    let (_, sum) = t
        .get(&format!("/api/v1/schools/{school}/orders/summary"), &admin)
        .await;
    // Besides the demo's own waiver.
    assert_eq!(
        sum["total"]["waived_fen"].as_i64().unwrap() - demo_waived,
        half,
        "{sum}"
    );
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn h3_a_parent_pays_on_the_pages_and_reads_the_receipt() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let id = o["id"].as_i64().unwrap().to_string();
    let mut b = crate::pages::Browser::new(&t);
    b.login(PARENT, crate::common::PASSWORD).await;
    let page = b.get("/enroll").await;
    assert!(page.body.contains("去支付"), "{}", page.body);
    let csrf = crate::pages::Browser::csrf(&page);
    // A bad order id changes nothing.
    let bad = b
        .post("/enroll/pay", &[("_csrf", &csrf), ("order_id", "x")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let to_cashier = b
        .post_raw("/enroll/pay", &[("_csrf", &csrf), ("order_id", &id)])
        .await;
    assert_eq!(to_cashier.status(), StatusCode::SEE_OTHER);
    let cashier_url = to_cashier.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cashier_url.starts_with("/pay/sandbox/"));
    let cashier = b.get(&cashier_url).await;
    assert!(cashier.body.contains("确认支付"), "{}", cashier.body);
    assert!(cashier.body.contains(o["total"].as_str().unwrap()));
    let csrf = crate::pages::Browser::csrf(&cashier);
    let back = b
        .post_raw(&cashier_url, &[("_csrf", &csrf), ("action", "pay")])
        .await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let result_url = back.headers()["location"].to_str().unwrap().to_string();
    let result = b.get(&result_url).await;
    assert!(result.body.contains("支付成功"), "{}", result.body);
    let receipt = b.get(&format!("{result_url}/receipt")).await;
    assert!(receipt.body.contains("课后服务收费电子票据"));
    assert!(receipt.body.contains("****"), "the payer's phone is masked");
    assert!(!receipt.body.contains(PARENT));
    let pdf = b.get_bytes(&format!("{result_url}/receipt.pdf")).await;
    assert!(kehou_service::platform::pdf::text_of(&pdf).contains("电子票据"));
    // Paid: the cashier says so and pays nothing twice.
    let again = b.get(&cashier_url).await;
    assert!(again.body.contains("已支付"));
    // The school's page lists it, with the reconciliation.
    let mut s = crate::pages::Browser::new(&t);
    s.login(SCHOOL1_ADMIN, crate::common::PASSWORD).await;
    let school = t.org_id("示例第一小学").await;
    let manage = s.get(&format!("/schools/{school}/billing")).await;
    assert_eq!(manage.status, StatusCode::OK);
    assert!(manage.body.contains(o["order_no"].as_str().unwrap()));
    assert!(manage.body.contains("对账"));
    assert!(
        manage.body.contains("通道有、平台无"),
        "the demo's difference"
    );
}

#[tokio::test]
async fn h3_h5_deadlines_are_extended_and_refunds_not_received_are_answered() {
    let t = quiet().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let parent = t.login(PARENT).await;
    let o = unpaid_order(&t, &parent).await;
    let id = o["id"].as_i64().unwrap();
    let extend = format!("/api/v1/orders/{id}/extension");
    for until in [
        "",
        "tomorrow",
        "2026-08-01 10:00",
        "2027-09-01 10:00",
        "2026-09-01 17:00",
    ] {
        let (s, e) = t.post(&extend, &admin, json!({ "until": until })).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{until}: {e}");
        assert_eq!(e["details"][0]["field"], "until");
    }
    let (s, _) = t
        .post(&extend, &parent, json!({"until": "2026-09-10 18:00"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = t
        .post(&extend, &admin, json!({"until": "2026-09-10 18:00"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Past the old hold, the seat is still held; past the new one, it goes.
    t.clock.advance(chrono::Duration::days(3));
    run_jobs(&t).await;
    let parent = t.login(PARENT).await;
    let (_, order) = t.get(&format!("/api/v1/orders/{id}"), &parent).await;
    assert_eq!(order["status"], "pending_payment", "{order}");
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert!(msgs.to_string().contains("缴费期限已延长"));
    t.clock.advance(chrono::Duration::days(7));
    run_jobs(&t).await;
    let parent = t.login(PARENT).await;
    let (_, order) = t.get(&format!("/api/v1/orders/{id}"), &parent).await;
    assert_eq!(order["status"], "expired", "{order}");
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .post(&extend, &admin, json!({"until": "2026-09-20 18:00"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "an expired order is not extended");
    assert_eq!(check(&t).await, Vec::<String>::new());

    // The demo's partial refund: its parent reports it missing; the school answers.
    let school = t.org_id("示例第一小学").await;
    let (_, paid) = t
        .get(
            &format!("/api/v1/schools/{school}/orders?status=paid"),
            &admin,
        )
        .await;
    let refunded = paid["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["totals"]["refunded_fen"].as_i64().unwrap() > 0)
        .unwrap()
        .clone();
    let oid = refunded["order_id"].as_i64().unwrap();
    let (_, preview) = t
        .get(&format!("/api/v1/orders/{oid}/refund-preview"), &admin)
        .await;
    let rid = preview["refunds"][0]["id"].as_i64().unwrap();
    let report = format!("/api/v1/refunds/{rid}/reports");
    // Not the parent of that child: not found.
    let (s, _) = t.post(&report, &parent, json!({"note": "没收到"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let sid = refunded["student_id"].as_i64().unwrap();
    let guardian_phone = {
        use kehou_store::entity::school::guardian;
        let g = guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(sid))
            .one(&t.app.db)
            .await
            .unwrap()
            .unwrap();
        let u = kehou_store::entity::identity::user::Entity::find_by_id(g.user_id)
            .one(&t.app.db)
            .await
            .unwrap()
            .unwrap();
        t.app.vault.account_phone(&u)
    };
    let theirs = t.login(&guardian_phone).await;
    let (s, e) = t.post(&report, &theirs, json!({"note": ""})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, r) = t
        .post(&report, &theirs, json!({"note": "已过7天仍未到账"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = t.post(&report, &theirs, json!({"note": "再问一次"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "one open report at a time");
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/refund-reports"), &admin)
        .await;
    assert_eq!(list["items"][0]["status"], "open");
    let answer = format!("/api/v1/refund-reports/{}/answer", r["id"]);
    let (s, _) = t.post(&answer, &theirs, json!({"answer": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, a) = t
        .post(
            &answer,
            &admin,
            json!({"answer": "通道显示已原路退回，请查看微信零钱明细"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "answered");
    let (_, msgs) = t.get("/api/v1/messages", &theirs).await;
    assert!(msgs.to_string().contains("微信零钱明细"), "{msgs}");
}
