//! I6 course changes (调课) a parent asks for and the school approves: the old course ends,
//! the new one is admitted under the selection's rules, and what the old course's refund
//! rule gives back pays the new order first — the difference paid by the parent, or the
//! rest refunded by the way the money came — all in one transaction; a move that breaks a
//! rule changes nothing; the money invariants hold throughout.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{check, confirm, kid, pay, quiet, run_jobs, unpaid_order};
use crate::common::{PARENT, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TestApp};
use crate::teaching::{class, current_term};

struct Setup {
    parent: String,
    admin: String,
    kid: i64,
    school: i64,
    term: i64,
    /// The paid basketball enrollment and its order.
    enrollment: i64,
    order: i64,
}

/// The demo school placed the child in 午托1班, 国画 and 书法 by hand: they are taken out,
/// so that the child's week has room for the classes these tests move to.
async fn clear_week(t: &TestApp, admin: &str, school: i64, term: i64, kid: i64) {
    for name in ["课后托管（午托）1班", "少儿国画班", "硬笔书法班"] {
        let c = class(t, admin, school, term, name).await["id"]
            .as_i64()
            .unwrap();
        let (st, v) = t
            .delete(
                &format!(
                    "/api/v1/schools/{school}/terms/{term}/teaching-classes/{c}/students/{kid}"
                ),
                admin,
            )
            .await;
        assert!(st.is_success(), "{name}: {st} {v}");
    }
}

/// The demo child's basketball paid, a week of lessons held.
async fn paid_basketball(t: &TestApp) -> Setup {
    let parent = t.login(PARENT).await;
    let o = unpaid_order(t, &parent).await;
    let order = o["id"].as_i64().unwrap();
    let p = pay(t, &parent, &[order]).await;
    confirm(t, &p).await;
    run_jobs(t).await;
    t.clock.advance(chrono::Duration::days(7));
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(t, &admin, school).await;
    let kid = kid(t, &parent).await;
    clear_week(t, &admin, school, term, kid).await;
    let e = enrollment_of(t, &parent, kid, order).await;
    assert_eq!(e["status"], "confirmed", "{e}");
    assert_eq!(e["can_change"], true, "{e}");
    Setup {
        parent,
        admin,
        kid,
        school,
        term,
        enrollment: e["id"].as_i64().unwrap(),
        order,
    }
}

async fn basketball_of(t: &TestApp, s: &Setup) -> i64 {
    class(t, &s.admin, s.school, s.term, "篮球班").await["id"]
        .as_i64()
        .unwrap()
}

async fn history(t: &TestApp, parent: &str, kid: i64) -> Vec<Value> {
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), parent)
        .await;
    h["items"].as_array().cloned().unwrap_or_default()
}

async fn enrollment_of(t: &TestApp, parent: &str, kid: i64, order: i64) -> Value {
    history(t, parent, kid)
        .await
        .into_iter()
        .find(|e| e["order"]["id"] == order)
        .unwrap_or_else(|| panic!("order {order}"))
}

async fn ledger(t: &TestApp, token: &str, order: i64) -> Value {
    let (s, l) = t
        .get(&format!("/api/v1/orders/{order}/ledger"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    l
}

async fn preview(t: &TestApp, token: &str, order: i64) -> i64 {
    let (_, p) = t
        .get(&format!("/api/v1/orders/{order}/refund-preview"), token)
        .await;
    p["computation"]["amount_fen"].as_i64().unwrap()
}

async fn members(t: &TestApp, s: &Setup, class_id: i64) -> Vec<i64> {
    let (_, v) = t
        .get(
            &format!(
                "/api/v1/schools/{}/terms/{}/teaching-classes/{class_id}/students",
                s.school, s.term
            ),
            &s.admin,
        )
        .await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["student_id"].as_i64().unwrap())
        .collect()
}

async fn ask(t: &TestApp, s: &Setup, enrollment: i64, to: i64) -> Value {
    let (st, v) = t
        .post(
            &format!("/api/v1/enrollments/{enrollment}/change"),
            &s.parent,
            json!({"to_class_id": to, "reason": "时间与兴趣班冲突"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "pending");
    v
}

async fn decide(t: &TestApp, s: &Setup, id: &Value, body: Value) -> (StatusCode, Value) {
    t.post(
        &format!("/api/v1/enrollment-changes/{id}/decision"),
        &s.admin,
        body,
    )
    .await
}

#[tokio::test]
async fn i6_a_course_change_carries_the_money_and_the_parent_pays_the_difference() {
    let t = quiet().await;
    let s = paid_basketball(&t).await;
    let id = |v: &Value| v["id"].as_i64().unwrap();
    let basketball = id(&class(&t, &s.admin, s.school, s.term, "篮球班").await);
    let science = id(&class(&t, &s.admin, s.school, s.term, "科学实验班").await);
    // 午托2班 meets on Friday's third period, as the child's choir does.
    let clashing = id(&class(&t, &s.admin, s.school, s.term, "课后托管（午托）2班").await);
    let url = format!("/api/v1/enrollments/{}/change", s.enrollment);
    let changes = format!(
        "/api/v1/schools/{}/terms/{}/enrollment-changes",
        s.school, s.term
    );

    // Bad requests change nothing (the demo's own request from another parent stays).
    let (_, list) = t.get(&changes, &s.admin).await;
    let demo = list["items"].as_array().unwrap().len();
    for (body, field) in [
        (json!({"reason": "想换"}), "to_class_id"),
        (json!({"to_class_id": science}), "reason"),
        (
            json!({"to_class_id": science, "reason": "想\u{202E}换"}),
            "reason",
        ),
        (
            json!({"to_class_id": science, "reason": "长".repeat(201)}),
            "reason",
        ),
        (
            json!({"to_class_id": basketball, "reason": "想换"}),
            "to_class_id",
        ),
        (
            json!({"to_class_id": 999_999, "reason": "想换"}),
            "to_class_id",
        ),
    ] {
        let (st, e) = t.post(&url, &s.parent, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body} → {e}");
        assert_eq!(e["details"][0]["field"], field, "{e}");
    }
    // Another school's class is not one of this term's.
    let other = t.login(SCHOOL2_ADMIN).await;
    let school2 = t.org_id("示例第二小学").await;
    let term2 = current_term(&t, &other, school2).await;
    let theirs = id(&class(&t, &other, school2, term2, "少儿国画班").await);
    let (st, e) = t
        .post(
            &url,
            &s.parent,
            json!({"to_class_id": theirs, "reason": "想换"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["details"][0]["field"], "to_class_id", "{e}");
    // Not one's own child's enrollment.
    let (st, _) = t
        .post(
            &url,
            &s.admin,
            json!({"to_class_id": science, "reason": "想换"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = t.get(&changes, &s.admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), demo, "{list}");

    // A move that clashes with the child's choir is refused at approval: nothing changes.
    let before = ledger(&t, &s.parent, s.order).await;
    let r = ask(&t, &s, s.enrollment, clashing).await;
    assert_eq!(r["kind"], "course");
    let (st, e) = decide(&t, &s, &r["id"], json!({"approve": true})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap().contains("冲突"), "{e}");
    assert_eq!(ledger(&t, &s.parent, s.order).await, before);
    let e = enrollment_of(&t, &s.parent, s.kid, s.order).await;
    assert_eq!(e["status"], "confirmed");
    assert!(members(&t, &s, basketball).await.contains(&s.kid));
    // Others may not decide; a rejection needs a reason and is read by the parent.
    let (st, _) = t
        .post(
            &format!("/api/v1/enrollment-changes/{}/decision", r["id"]),
            &s.parent,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = t
        .post(
            &format!("/api/v1/enrollment-changes/{}/decision", r["id"]),
            &other,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = decide(&t, &s, &r["id"], json!({"approve": false})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, v) = decide(
        &t,
        &s,
        &r["id"],
        json!({"approve": false, "note": "与合唱时间冲突"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status_label"], "调课未通过");
    let (st, _) = decide(&t, &s, &r["id"], json!({"approve": true})).await;
    assert_eq!(st, StatusCode::CONFLICT, "decided once");

    // One request at a time; withdrawn before the decision.
    let r = ask(&t, &s, s.enrollment, science).await;
    let e = enrollment_of(&t, &s.parent, s.kid, s.order).await;
    assert_eq!(e["can_change"], false);
    assert_eq!(e["change_request"]["status"], "pending");
    let (st, _) = t
        .post(
            &url,
            &s.parent,
            json!({"to_class_id": science, "reason": "再申请"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    // Nor a drop while the change waits.
    let (st, v) = t
        .post(
            &format!("/api/v1/enrollments/{}/drop", s.enrollment),
            &s.parent,
            json!({"reason": "不想上了"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("调课申请"), "{v}");
    let withdraw = format!("/api/v1/enrollment-changes/{}/withdraw", r["id"]);
    let (st, v) = t.post(&withdraw, &s.parent, json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "withdrawn");
    let (st, _) = t.post(&withdraw, &s.parent, json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Approved: the old course's refund pays the new course; the rest is the parent's.
    let credit = preview(&t, &s.parent, s.order).await;
    assert!(credit > 0, "a week held, most of the course left");
    let r = ask(&t, &s, s.enrollment, science).await;
    let (st, v) = decide(&t, &s, &r["id"], json!({"approve": true, "note": "同意"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status_label"], "已调课");
    let new_enrollment = v["new_enrollment_id"].as_i64().unwrap();
    let old = enrollment_of(&t, &s.parent, s.kid, s.order).await;
    assert_eq!(old["status"], "dropped", "{old}");
    assert!(!members(&t, &s, basketball).await.contains(&s.kid));
    let new = history(&t, &s.parent, s.kid)
        .await
        .into_iter()
        .find(|e| e["id"] == new_enrollment)
        .unwrap();
    assert_eq!(new["status"], "pending_payment", "{new}");
    assert_eq!(new["source"], "change");
    let new_order = new["order"]["id"].as_i64().unwrap();
    let fee = new["order"]["total_fen"].as_i64().unwrap();
    assert!(fee > credit, "science costs more: {fee} vs {credit}");
    assert_eq!(v["carried"], kehou_domain::Fen(credit).to_string());
    assert_eq!(v["refunded"], "0.00");
    assert_eq!(v["due"], kehou_domain::Fen(fee - credit).to_string());
    // The old order is settled: what it kept is what the lessons held cost.
    let l = ledger(&t, &s.parent, s.order).await;
    assert_eq!(l["totals"]["carried_fen"], -credit, "{l}");
    assert_eq!(l["totals"]["balance_fen"], 0, "{l}");
    let l = ledger(&t, &s.parent, new_order).await;
    assert_eq!(l["totals"]["carried_fen"], credit, "{l}");
    assert_eq!(l["totals"]["balance_fen"], fee - credit, "{l}");
    let (_, inbox) = t.get("/api/v1/messages", &s.parent).await;
    assert!(inbox.to_string().contains("调课到“科学实验班”"), "{inbox}");
    assert_eq!(check(&t).await, Vec::<String>::new());

    // The parent pays the difference only; the child is then in the class.
    let p = pay(&t, &s.parent, &[new_order]).await;
    assert_eq!(p["amount_fen"], fee - credit, "{p}");
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let new = enrollment_of(&t, &s.parent, s.kid, new_order).await;
    assert_eq!(new["status"], "confirmed", "{new}");
    assert!(members(&t, &s, science).await.contains(&s.kid));
    assert_eq!(
        ledger(&t, &s.parent, new_order).await["totals"]["balance_fen"],
        0
    );
    assert_eq!(check(&t).await, Vec::<String>::new());

    // Then to a cheaper course: the credit covers it, the rest goes back by both ways the
    // money came (the basketball payment carried, the difference paid).
    let maths = id(&class(&t, &s.admin, s.school, s.term, "趣味数学班").await);
    let credit = preview(&t, &s.parent, new_order).await;
    let r = ask(&t, &s, new_enrollment, maths).await;
    let (st, v) = decide(&t, &s, &r["id"], json!({"approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let third = history(&t, &s.parent, s.kid)
        .await
        .into_iter()
        .find(|e| Some(e["id"].as_i64().unwrap()) == v["new_enrollment_id"].as_i64())
        .unwrap();
    assert_eq!(third["status"], "confirmed", "paid by the credit: {third}");
    let maths_fee = third["order"]["total_fen"].as_i64().unwrap();
    assert!(maths_fee < credit);
    assert_eq!(v["carried"], kehou_domain::Fen(maths_fee).to_string());
    assert_eq!(
        v["refunded"],
        kehou_domain::Fen(credit - maths_fee).to_string()
    );
    assert!(members(&t, &s, maths).await.contains(&s.kid));
    assert!(!members(&t, &s, science).await.contains(&s.kid));
    run_jobs(&t).await;
    let (_, p) = t
        .get(
            &format!("/api/v1/orders/{new_order}/refund-preview"),
            &s.parent,
        )
        .await;
    let back: i64 = p["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|r| assert_eq!(r["status"], "succeeded", "{r}"))
        .map(|r| r["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(back, credit - maths_fee, "{p}");
    assert_eq!(
        ledger(&t, &s.parent, third["order"]["id"].as_i64().unwrap()).await["totals"]["balance_fen"],
        0
    );
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn i6_a_difference_never_paid_cancels_the_change_and_returns_the_carried_money() {
    let t = quiet().await;
    let s = paid_basketball(&t).await;
    let science = class(&t, &s.admin, s.school, s.term, "科学实验班").await["id"]
        .as_i64()
        .unwrap();
    let credit = preview(&t, &s.parent, s.order).await;
    let r = ask(&t, &s, s.enrollment, science).await;
    let (st, v) = decide(&t, &s, &r["id"], json!({"approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let new = v["new_enrollment_id"].as_i64().unwrap();
    // The hold (a day in the demo) runs out unpaid: the carried money goes back.
    t.clock.advance(chrono::Duration::days(2));
    run_jobs(&t).await;
    let parent = t.login(PARENT).await;
    let e = history(&t, &parent, s.kid)
        .await
        .into_iter()
        .find(|e| e["id"] == new)
        .unwrap();
    assert_eq!(e["status"], "expired", "{e}");
    let order = e["order"]["id"].as_i64().unwrap();
    let (_, p) = t
        .get(&format!("/api/v1/orders/{order}/refund-preview"), &parent)
        .await;
    assert_eq!(p["refunds"][0]["amount_fen"], credit, "{p}");
    assert_eq!(p["refunds"][0]["status"], "succeeded", "{p}");
    assert_eq!(ledger(&t, &parent, order).await["totals"]["balance_fen"], 0);
    assert_eq!(check(&t).await, Vec::<String>::new());
}

#[tokio::test]
async fn i6_the_parent_asks_on_the_page_and_the_school_answers_there() {
    let t = quiet().await;
    let s = paid_basketball(&t).await;
    let mut b = crate::pages::Browser::new(&t);
    b.login(PARENT, PASSWORD).await;
    let page = b.get(&format!("/enroll?student_id={}", s.kid)).await;
    assert!(page.body.contains("申请调班或调课"), "{}", page.body);
    let form = format!("/enroll/enrollments/{}/change", s.enrollment);
    assert!(page.body.contains(&form));
    let science = class(&t, &s.admin, s.school, s.term, "科学实验班").await["id"]
        .as_i64()
        .unwrap();
    let csrf = crate::pages::Browser::csrf(&page);
    let kid = s.kid.to_string();
    let bad = b
        .post(
            &form,
            &[("_csrf", &csrf), ("student_id", &kid), ("reason", "想换")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("请选择要调入的教学班"), "{}", bad.body);
    let to = science.to_string();
    let done = b
        .post(
            &form,
            &[
                ("_csrf", &csrf),
                ("student_id", &kid),
                ("to_class_id", &to),
                ("reason", "周一下午有空"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = b.get(&format!("/enroll?student_id={}", s.kid)).await;
    assert!(page.body.contains("调课审核中"), "{}", page.body);
    // A request waiting blocks closing either class.
    for c in [science, basketball_of(&t, &s).await] {
        let (_, check) = t
            .get(
                &format!(
                    "/api/v1/schools/{}/terms/{}/teaching-classes/{c}/close-check",
                    s.school, s.term
                ),
                &s.admin,
            )
            .await;
        assert!(
            check["blockers"]
                .to_string()
                .contains("调课、调班申请待审核"),
            "{check}"
        );
    }
    // The school sees it on 报名管理 and rejects it there with a reason.
    let mut school = crate::pages::Browser::new(&t);
    school.login(SCHOOL1_ADMIN, PASSWORD).await;
    let manage = school
        .get(&format!("/schools/{}/enrollment?term={}", s.school, s.term))
        .await;
    assert!(manage.body.contains("周一下午有空"), "{}", manage.body);
    let (_, list) = t
        .get(
            &format!(
                "/api/v1/schools/{}/terms/{}/enrollment-changes?status=pending",
                s.school, s.term
            ),
            &s.admin,
        )
        .await;
    let rid = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == s.kid)
        .unwrap_or_else(|| panic!("{list}"))["id"]
        .as_i64()
        .unwrap();
    let action = format!(
        "/schools/{}/enrollment/changes/{rid}?term={}",
        s.school, s.term
    );
    assert!(manage.body.contains(&action));
    let csrf = crate::pages::Browser::csrf(&manage);
    let bad = school
        .post(&action, &[("_csrf", &csrf), ("decision", "reject")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let done = school
        .post(
            &action,
            &[
                ("_csrf", &csrf),
                ("decision", "reject"),
                ("note", "班额已满"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/enroll?student_id={}", s.kid)).await;
    assert!(page.body.contains("班额已满"), "{}", page.body);
    let (_, bad) = t
        .get(
            &format!(
                "/api/v1/schools/{}/terms/{}/enrollment-changes?status=bogus",
                s.school, s.term
            ),
            &s.admin,
        )
        .await;
    assert_eq!(bad["details"][0]["field"], "status", "{bad}");
}

#[tokio::test]
async fn i6_a_class_transfer_the_parent_asks_for_moves_the_seat_and_keeps_the_money() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let k = kid(&t, &parent).await;
    clear_week(&t, &admin, school, term, k).await;
    // The choir meets when 午托2班 does: the school cancels it first.
    let choir = history(&t, &parent, k)
        .await
        .into_iter()
        .find(|e| e["course"] == "合唱" && e["status"] == "confirmed")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (st, v) = t
        .post(
            &format!("/api/v1/enrollments/{choir}/cancel"),
            &admin,
            json!({"reason": "重新选课"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let one = class(&t, &admin, school, term, "课后托管（午托）1班").await["id"]
        .as_i64()
        .unwrap();
    let two = class(&t, &admin, school, term, "课后托管（午托）2班").await["id"]
        .as_i64()
        .unwrap();
    let (st, r) = t
        .post(
            "/api/v1/enrollments",
            &parent,
            json!({"student_id": k, "items": [{"teaching_class_id": one}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let order = r["items"][0]["order_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"));
    let p = pay(&t, &parent, &[order]).await;
    confirm(&t, &p).await;
    run_jobs(&t).await;
    let s = Setup {
        parent,
        admin,
        kid: k,
        school,
        term,
        enrollment: r["items"][0]["enrollment_id"].as_i64().unwrap(),
        order,
    };
    let before = ledger(&t, &s.parent, order).await;
    let v = ask(&t, &s, s.enrollment, two).await;
    assert_eq!(v["kind"], "class");
    assert_eq!(v["status_label"], "调班审核中");
    let (st, d) = decide(&t, &s, &v["id"], json!({"approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["status_label"], "已调班");
    assert_eq!(d["new_enrollment_id"], Value::Null);
    let e = enrollment_of(&t, &s.parent, k, order).await;
    assert_eq!(e["status"], "confirmed");
    assert_eq!(e["teaching_class_id"], two, "{e}");
    assert!(members(&t, &s, two).await.contains(&k));
    assert!(!members(&t, &s, one).await.contains(&k));
    assert_eq!(
        ledger(&t, &s.parent, order).await,
        before,
        "the money stays"
    );
    assert_eq!(check(&t).await, Vec::<String>::new());
}
