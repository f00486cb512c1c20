//! Payment modes (H4): a course paid by the month gets a bill each month, one paid by the
//! lesson a bill after each month for the lessons held; the school sets the mode and the
//! refund rule per course; the bureau sees the money and the relief of its schools.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{check, confirm, kid, pay, quiet, run_jobs};
use crate::common::{CITY_LEADER, PARENT, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TestApp};
use crate::teaching::{class, current_term};

/// The basketball item's fee rules row, as the school lists them.
async fn basketball_rules(t: &TestApp, admin: &str, school: i64) -> Value {
    let (s, list) = t
        .get(&format!("/api/v1/schools/{school}/fee-rules"), admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["course"].as_str().unwrap_or("").contains("篮球"))
        .unwrap_or_else(|| panic!("basketball is priced: {list}"))
        .clone()
}

/// Sets basketball's mode, then the demo child's unpaid basketball order is cancelled
/// and chosen afresh under it. Answers the new order.
async fn rebuy_basketball(t: &TestApp, mode: &str) -> Value {
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let rules = basketball_rules(t, &admin, school).await;
    let item = rules["item_id"].as_i64().unwrap();
    let (s, v) = t
        .put(
            &format!("/api/v1/offering-items/{item}/fee-rules"),
            &admin,
            json!({"pay_mode": mode, "refund_leave": true, "refund_absence": false, "materials_before_start_only": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["pay_mode"], mode);
    let k = kid(t, &parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), &parent)
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
    let term = current_term(t, &admin, school).await;
    let basketball = class(t, &admin, school, term, "篮球班").await;
    let (s, r) = t
        .post(
            "/api/v1/enrollments",
            &parent,
            json!({"student_id": k, "items": [{"teaching_class_id": basketball["id"]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["items"][0]["outcome"], "accepted", "{r}");
    let order = r["items"][0]["order_id"].as_i64().unwrap();
    let (_, o) = t.get(&format!("/api/v1/orders/{order}"), &parent).await;
    assert_eq!(o["pay_mode"], mode, "{o}");
    o
}

async fn ledger(t: &TestApp, token: &str, order: i64) -> Value {
    let (s, l) = t
        .get(&format!("/api/v1/orders/{order}/ledger"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    l
}

/// The billing cycle as the worker runs it: queued once a day, then run.
async fn cycle(t: &TestApp) {
    kehou_service::billing::bill::schedule_due(&t.app)
        .await
        .unwrap();
    run_jobs(t).await;
}

#[tokio::test]
async fn h4_a_course_paid_by_the_month_bills_each_month_and_settles_on_drop() {
    let t = quiet().await;
    let o = rebuy_basketball(&t, "monthly").await;
    let order = o["id"].as_i64().unwrap();
    let total = o["total_fen"].as_i64().unwrap();
    let parent = t.login(PARENT).await;
    // Only September is due now.
    let l = ledger(&t, &parent, order).await;
    let first = l["totals"]["charged_fen"].as_i64().unwrap();
    assert!(first > 0 && first < total, "one month of {total}: {l}");
    assert!(
        l["entries"][0]["note"]
            .as_str()
            .unwrap()
            .contains("2026年9月"),
        "{l}"
    );
    assert_eq!(o["status"], "pending_payment");
    let p = pay(&t, &parent, &[order]).await;
    assert_eq!(p["amount_fen"], first);
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let (_, now) = t.get(&format!("/api/v1/orders/{order}"), &parent).await;
    assert_eq!(now["status"], "paid");
    // Paid up for now: nothing to pay, the cycle bills nothing in September.
    cycle(&t).await;
    assert_eq!(ledger(&t, &parent, order).await["totals"]["balance_fen"], 0);
    let (s, _) = t
        .post("/api/v1/payments", &parent, json!({"order_ids": [order]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing owed");

    // October comes: its bill is charged once, however often the cycle runs, and the
    // parent is told.
    t.clock.advance(chrono::Duration::days(31));
    cycle(&t).await;
    kehou_service::billing::bill::run_cycle(&t.app)
        .await
        .unwrap();
    let parent = t.login(PARENT).await;
    let l = ledger(&t, &parent, order).await;
    let october = l["totals"]["balance_fen"].as_i64().unwrap();
    assert!(october > 0, "{l}");
    assert_eq!(l["totals"]["charged_fen"], first + october);
    assert!(l.to_string().contains("2026年10月"), "{l}");
    let (_, inbox) = t.get("/api/v1/messages", &parent).await;
    assert!(inbox.to_string().contains("缴费账单"), "{inbox}");
    let k = kid(&t, &parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), &parent)
        .await;
    let e = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["order"]["id"] == order)
        .unwrap()
        .clone();
    assert_eq!(
        e["money"]["due"],
        kehou_domain::Fen(october).to_string(),
        "{e}"
    );
    let p = pay(&t, &parent, &[order]).await;
    assert_eq!(p["amount_fen"], october);
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let l = ledger(&t, &parent, order).await;
    assert_eq!(l["totals"]["paid_fen"], first + october, "{l}");
    assert_eq!(l["totals"]["balance_fen"], 0);
    assert!(check(&t).await.is_empty(), "{:?}", check(&t).await);

    // The child leaves: what came in beyond the lessons held goes back, over both
    // payments if need be; later months are never billed.
    let (_, preview) = t
        .get(&format!("/api/v1/orders/{order}/refund-preview"), &parent)
        .await;
    let back = preview["computation"]["amount_fen"].as_i64().unwrap();
    assert!(back > 0 && back < first + october, "{preview}");
    // The drop window has closed: the school ends the enrollment for the parent.
    let eid = e["id"].as_i64().unwrap();
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, v) = t
        .post(
            &format!("/api/v1/enrollments/{eid}/cancel"),
            &admin,
            json!({"reason": "搬家"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    run_jobs(&t).await;
    let l = ledger(&t, &parent, order).await;
    assert_eq!(l["totals"]["refunded_fen"], back, "{l}");
    assert_eq!(l["totals"]["balance_fen"], 0, "{l}");
    t.clock.advance(chrono::Duration::days(31));
    cycle(&t).await;
    let parent = t.login(PARENT).await;
    let after = ledger(&t, &parent, order).await;
    assert_eq!(
        after["entries"], l["entries"],
        "an ended order is not billed"
    );
    assert!(check(&t).await.is_empty(), "{:?}", check(&t).await);
}

#[tokio::test]
async fn h4_a_course_paid_by_the_lesson_bills_the_lessons_held_after_each_month() {
    let t = quiet().await;
    let o = rebuy_basketball(&t, "per_lesson").await;
    let order = o["id"].as_i64().unwrap();
    let parent = t.login(PARENT).await;
    // Nothing due before a lesson is held: confirmed at once.
    assert_eq!(o["status"], "on_account", "{o}");
    let l = ledger(&t, &parent, order).await;
    assert_eq!(l["totals"]["charged_fen"], 0, "{l}");
    let k = kid(&t, &parent).await;
    let (_, h) = t
        .get(&format!("/api/v1/students/{k}/enrollments"), &parent)
        .await;
    assert!(
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["order"]["id"] == order && e["status"] == "confirmed"),
        "{h}"
    );
    // In October, September's held lessons are billed at the lesson price.
    t.clock.advance(chrono::Duration::days(31));
    cycle(&t).await;
    let parent = t.login(PARENT).await;
    let l = ledger(&t, &parent, order).await;
    let billed = l["totals"]["charged_fen"].as_i64().unwrap();
    let price = o["snapshot"]["price_fen"].as_i64().unwrap();
    assert!(
        billed > 0 && billed % price == 0,
        "{billed} of {price}: {l}"
    );
    assert!(billed < o["total_fen"].as_i64().unwrap());
    assert!(l.to_string().contains("实际上课"), "{l}");
    let p = pay(&t, &parent, &[order]).await;
    assert_eq!(p["amount_fen"], billed);
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let l = ledger(&t, &parent, order).await;
    assert_eq!(l["totals"]["balance_fen"], 0, "{l}");
    assert!(check(&t).await.is_empty(), "{:?}", check(&t).await);
}

#[tokio::test]
async fn fee_rules_refuse_bad_input_and_other_schools_and_change_nothing() {
    let t = quiet().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let other = t.login(SCHOOL2_ADMIN).await;
    let parent = t.login(PARENT).await;
    let school = t.org_id("示例第一小学").await;
    let before = basketball_rules(&t, &admin, school).await;
    let item = before["item_id"].as_i64().unwrap();
    let path = format!("/api/v1/offering-items/{item}/fee-rules");
    for (token, body, want) in [
        (
            &admin,
            json!({"pay_mode": "weekly"}),
            StatusCode::BAD_REQUEST,
        ),
        (&admin, json!({}), StatusCode::BAD_REQUEST),
        (&admin, json!({"pay_mode": 3}), StatusCode::BAD_REQUEST),
        (
            &other,
            json!({"pay_mode": "monthly"}),
            StatusCode::NOT_FOUND,
        ),
        (
            &parent,
            json!({"pay_mode": "monthly"}),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (s, v) = t.put(&path, token, body.clone()).await;
        assert_eq!(s, want, "{body}: {v}");
    }
    let (s, _) = t
        .put(
            "/api/v1/offering-items/999999/fee-rules",
            &admin,
            json!({"pay_mode": "monthly"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(basketball_rules(&t, &admin, school).await, before);
    let (s, _) = t
        .get(&format!("/api/v1/schools/{school}/fee-rules"), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The rule set on the page is the one a drop is computed by.
    let (s, v) = t
        .put(
            &path,
            &admin,
            json!({"pay_mode": "term", "refund_leave": false, "refund_absence": true, "materials_before_start_only": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["refund_rule_text"]
            .as_str()
            .unwrap()
            .contains("缺勤课次退还"),
        "{v}"
    );
    let mut b = crate::pages::Browser::new(&t);
    b.login(SCHOOL1_ADMIN, crate::common::PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/billing")).await.body;
    assert!(
        page.contains("收费与退费规则") && page.contains("按月缴费"),
        "{page}"
    );
}

#[tokio::test]
async fn the_bureau_sees_each_schools_money_and_relief() {
    let t = quiet().await;
    let leader = t.login(CITY_LEADER).await;
    let (s, v) = t.get("/api/v1/billing/jurisdiction", &leader).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let school = v["schools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["school_name"] == "示例第一小学")
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    assert!(school["paid_fen"].as_i64().unwrap() > 0, "{v}");
    assert!(
        school["refunded_fen"].as_i64().unwrap() > 0,
        "the demo's refund: {v}"
    );
    let waivers = v["total"]["waivers"].as_i64().unwrap();
    let waived = v["total"]["waived_fen"].as_i64().unwrap();
    // A waiver shows in the bureau's totals.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let parent = t.login(PARENT).await;
    let o = super::unpaid_order(&t, &parent).await;
    let (s, w) = t
        .post(
            &format!("/api/v1/orders/{}/waivers", o["id"]),
            &admin,
            json!({"amount_fen": 1000, "reason": "低保家庭", "approved_by": "校长 王某"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let (_, v) = t.get("/api/v1/billing/jurisdiction", &leader).await;
    assert_eq!(v["total"]["waivers"], waivers + 1);
    assert_eq!(v["total"]["waived_fen"], waived + 1000);
    let mut b = crate::pages::Browser::new(&t);
    b.login(CITY_LEADER, crate::common::PASSWORD).await;
    let page = b.get("/billing").await.body;
    assert!(
        page.contains("收费监管") && page.contains("示例第一小学"),
        "{page}"
    );
    // Bad periods and people without the right.
    for q in [
        "from=2026-13-01",
        "from=2026-10-01&to=2026-09-01",
        "from=2020-01-01&to=2026-12-31",
    ] {
        let (s, _) = t
            .get(&format!("/api/v1/billing/jurisdiction?{q}"), &leader)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
    }
    let (s, _) = t.get("/api/v1/billing/jurisdiction", &parent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Outside the period: nothing.
    let (_, v) = t
        .get(
            "/api/v1/billing/jurisdiction?from=2025-01-01&to=2025-12-31",
            &leader,
        )
        .await;
    assert_eq!(v["total"]["charged_fen"], 0, "{v}");
}

#[tokio::test]
async fn h5_a_refund_amount_the_school_proposes_is_refunded_only_once_the_parent_confirms() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let o = super::unpaid_order(&t, &parent).await;
    let order = o["id"].as_i64().unwrap();
    let total = o["total_fen"].as_i64().unwrap();
    // Not paid yet: nothing to offer back.
    let (s, v) = t
        .post(
            &format!("/api/v1/orders/{order}/refund-offers"),
            &admin,
            json!({"amount_fen": 1000, "reason": "场地维修停课两次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let p = pay(&t, &parent, &[order]).await;
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let path = format!("/api/v1/orders/{order}/refund-offers");
    for (token, body, want) in [
        (
            &admin,
            json!({"amount_fen": 0, "reason": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (&admin, json!({"amount_fen": 1000}), StatusCode::BAD_REQUEST),
        (
            &admin,
            json!({"amount_fen": 1000, "reason": "a\u{202e}b"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            &admin,
            json!({"amount_fen": total + 1, "reason": "多退"}),
            StatusCode::CONFLICT,
        ),
        (
            &parent,
            json!({"amount_fen": 1000, "reason": "我要退"}),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (s, v) = t.post(&path, token, body.clone()).await;
        assert_eq!(s, want, "{body}: {v}");
    }
    let other = t.login(SCHOOL2_ADMIN).await;
    let (s, _) = t
        .post(&path, &other, json!({"amount_fen": 1000, "reason": "停课"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, offer) = t
        .post(
            &path,
            &admin,
            json!({"amount_fen": 1000, "reason": "场地维修停课两次"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{offer}");
    assert_eq!(offer["status"], "proposed");
    // One waits at a time; nothing is refunded before the parent confirms.
    let (s, _) = t
        .post(&path, &admin, json!({"amount_fen": 500, "reason": "再退"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, l) = t
        .get(&format!("/api/v1/orders/{order}/ledger"), &parent)
        .await;
    assert_eq!(l["totals"]["refunded_fen"], 0);
    let (_, inbox) = t.get("/api/v1/messages", &parent).await;
    assert!(inbox.to_string().contains("请确认退款金额"), "{inbox}");
    let (_, preview) = t
        .get(&format!("/api/v1/orders/{order}/refund-preview"), &parent)
        .await;
    assert_eq!(preview["offers"][0]["amount_fen"], 1000, "{preview}");
    // Only the child's guardian answers; the school cannot answer for them.
    let id = offer["id"].as_i64().unwrap();
    let answer = format!("/api/v1/refund-offers/{id}/answer");
    let (s, _) = t.post(&answer, &admin, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.post(&answer, &parent, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = t.post(&answer, &parent, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
    let (s, _) = t.post(&answer, &parent, json!({"accept": false})).await;
    assert_eq!(s, StatusCode::CONFLICT, "answered once");
    run_jobs(&t).await;
    let (_, l) = t
        .get(&format!("/api/v1/orders/{order}/ledger"), &parent)
        .await;
    assert_eq!(l["totals"]["refunded_fen"], 1000, "{l}");
    let (_, preview) = t
        .get(&format!("/api/v1/orders/{order}/refund-preview"), &parent)
        .await;
    assert!(
        preview["refunds"][0]["explanation"]["lines"]
            .to_string()
            .contains("家长确认"),
        "{preview}"
    );
    // A declined one refunds nothing.
    let (_, offer) = t
        .post(
            &path,
            &admin,
            json!({"amount_fen": 700, "reason": "教材未用完"}),
        )
        .await;
    let answer = format!("/api/v1/refund-offers/{}/answer", offer["id"]);
    let (s, v) = t.post(&answer, &parent, json!({"accept": false})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    run_jobs(&t).await;
    let (_, l) = t
        .get(&format!("/api/v1/orders/{order}/ledger"), &parent)
        .await;
    assert_eq!(l["totals"]["refunded_fen"], 1000, "{l}");
    assert!(check(&t).await.is_empty(), "{:?}", check(&t).await);
}
