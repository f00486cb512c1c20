//! Personal information protection (P4, GB/T 35273): the retention policy applied by its
//! daily job, and a person's data exported for them and erased on their request.

use axum::http::StatusCode;
use chrono::Duration;
use kehou_service::platform::retention::{self, Policy};
use kehou_service::system::privacy;
use kehou_store::entity::enrollment::order;
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::platform::{audit_event, message};
use kehou_store::entity::school::{guardian, student};
use kehou_store::entity::supervision::{patrol_photo, patrol_record};
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::common::*;

#[test]
fn p4_retention_periods_have_floors() {
    assert!(Policy::default().check().is_ok());
    let short_audit = Policy {
        audit_events_days: 100,
        ..Policy::default()
    };
    let err = short_audit.check().expect_err("audit below 180 days");
    assert!(
        err.contains("audit_events_days") && err.contains("180"),
        "{err}"
    );
    let no_jobs = Policy {
        finished_jobs_days: 0,
        ..Policy::default()
    };
    assert!(no_jobs.check().is_err());
}

#[tokio::test]
async fn p4_retention_deletes_what_is_past_its_period_and_keeps_money() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let db = &t.app.db;
    let now = t.app.now();
    // An audit event four years old, a message two years old.
    let first_event = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .one(db)
        .await
        .expect("read")
        .expect("an event");
    let mut e = first_event.clone().into_active_model();
    e.occurred_at = Set(now - Duration::days(4 * 365));
    e.update(db).await.expect("age the event");
    let first_message = message::Entity::find()
        .order_by_asc(message::Column::Id)
        .one(db)
        .await
        .expect("read")
        .expect("a message");
    let mut m = first_message.clone().into_active_model();
    m.created_at = Set(now - Duration::days(2 * 365));
    m.update(db).await.expect("age the message");
    // A patrol record with two photos, one taken 400 days ago.
    let any_lesson = lesson::Entity::find()
        .one(db)
        .await
        .expect("read")
        .expect("a lesson");
    let record = patrol_record::ActiveModel {
        school_id: Set(any_lesson.school_id),
        lesson_id: Set(any_lesson.id),
        lesson_date: Set(t.app.today()),
        user_id: Set(t.user_id(PATROL_TEACHER).await),
        patroller_name: Set("孙伟".into()),
        lesson_score: Set(5),
        teacher_score: Set(5),
        teacher_present: Set(true),
        students_seen: Set(None),
        note: Set(String::new()),
        photo_count: Set(2),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("record");
    let mut keys = Vec::new();
    for age in [400, 1] {
        let key = kehou_service::platform::storage::new_key();
        t.app.files.put(&key, b"jpeg").await.expect("file");
        patrol_photo::ActiveModel {
            record_id: Set(record.id),
            content_type: Set("image/jpeg".into()),
            size: Set(4),
            storage_key: Set(key.clone()),
            created_at: Set(now - Duration::days(age)),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("photo");
        keys.push(key);
    }
    // A student who graduated two years ago, with a paid or pending order, and another
    // who graduated last month.
    let with_order = order::Entity::find()
        .one(db)
        .await
        .expect("read")
        .expect("an order");
    let old_grad = student::Entity::find_by_id(with_order.student_id)
        .one(db)
        .await
        .expect("read")
        .expect("student");
    assert!(old_grad.id_no_enc.is_some());
    let mut s = old_grad.clone().into_active_model();
    s.status = Set("graduated".into());
    s.updated_at = Set(now - Duration::days(2 * 365));
    s.update(db).await.expect("graduate");
    let recent = student::Entity::find()
        .filter(student::Column::Id.ne(old_grad.id))
        .filter(student::Column::IdNoEnc.is_not_null())
        .one(db)
        .await
        .expect("read")
        .expect("student");
    let mut s = recent.clone().into_active_model();
    s.status = Set("graduated".into());
    s.updated_at = Set(now - Duration::days(30));
    s.update(db).await.expect("graduate");
    let orders_before = order::Entity::find().count(db).await.expect("count");

    // The daily job applies it.
    assert!(retention::schedule_due(&t.app).await.expect("schedule"));
    assert!(!retention::schedule_due(&t.app).await.expect("once a day"));
    let mut ran = false;
    while kehou_service::system::worker::run_next(&t.app, "test-worker")
        .await
        .expect("run")
    {
        ran = true;
    }
    assert!(ran);
    let job = kehou_store::entity::platform::job::Entity::find()
        .filter(kehou_store::entity::platform::job::Column::Kind.eq(retention::JOB_KIND))
        .one(db)
        .await
        .expect("read")
        .expect("the job");
    assert_eq!(job.status, "finished", "{:?}", job.error);
    let result: serde_json::Value =
        serde_json::from_str(job.result.as_deref().unwrap_or("{}")).expect("result");
    assert!(result["audit_events"].as_u64() >= Some(1), "{result}");
    assert!(result["messages"].as_u64() >= Some(1), "{result}");
    assert_eq!(result["patrol_photos"], 1, "{result}");
    assert_eq!(result["departed_students"], 1, "{result}");

    assert!(
        audit_event::Entity::find_by_id(first_event.id)
            .one(db)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        message::Entity::find_by_id(first_message.id)
            .one(db)
            .await
            .expect("read")
            .is_none()
    );
    let photos = patrol_photo::Entity::find()
        .filter(patrol_photo::Column::RecordId.eq(record.id))
        .all(db)
        .await
        .expect("read");
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].storage_key, keys[1]);
    assert!(
        t.app.files.get(&keys[0]).await.is_err(),
        "the old photo's file is gone"
    );
    assert!(t.app.files.get(&keys[1]).await.is_ok());
    let r = patrol_record::Entity::find_by_id(record.id)
        .one(db)
        .await
        .expect("read")
        .expect("record");
    assert_eq!(r.photo_count, 1);
    let erased = student::Entity::find_by_id(old_grad.id)
        .one(db)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(erased.id_no_enc, None);
    assert_eq!(erased.id_no_index, None);
    assert_eq!(erased.birth_date, None);
    assert_eq!(erased.student_no, old_grad.student_no);
    assert!(
        erased.name.ends_with('*')
            && erased
                .name
                .starts_with(old_grad.name.chars().next().expect("name"))
    );
    assert_eq!(
        guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(old_grad.id))
            .count(db)
            .await
            .expect("count"),
        0
    );
    let kept = student::Entity::find_by_id(recent.id)
        .one(db)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        kept.id_no_enc, recent.id_no_enc,
        "inside its period: untouched"
    );
    assert_eq!(
        order::Entity::find().count(db).await.expect("count"),
        orders_before,
        "money records stay"
    );
    assert_eq!(t.audit_count("retention.apply").await, 1);

    // Nothing more to do: a second run deletes nothing and records nothing.
    let again = retention::apply(&t.app).await.expect("apply");
    assert_eq!(again, retention::Applied::default());
    assert_eq!(t.audit_count("retention.apply").await, 1);
}

/// A guardian with no other role and no order waiting for payment.
async fn plain_parent(t: &TestApp) -> (user::Model, String) {
    let db = &t.app.db;
    let parent_role = role::Entity::find()
        .filter(role::Column::Code.eq("parent"))
        .one(db)
        .await
        .expect("read")
        .expect("role");
    let pending: Vec<i64> = order::Entity::find()
        .filter(order::Column::Status.eq("pending_payment"))
        .all(db)
        .await
        .expect("read")
        .into_iter()
        .map(|o| o.student_id)
        .collect();
    for g in guardian::Entity::find()
        .order_by_asc(guardian::Column::Id)
        .all(db)
        .await
        .expect("read")
    {
        if pending.contains(&g.student_id) {
            continue;
        }
        let roles: Vec<i64> = membership::Entity::find()
            .filter(membership::Column::UserId.eq(g.user_id))
            .all(db)
            .await
            .expect("read")
            .into_iter()
            .map(|m| m.role_id)
            .collect();
        let links = guardian::Entity::find()
            .filter(guardian::Column::UserId.eq(g.user_id))
            .all(db)
            .await
            .expect("read");
        if roles.iter().all(|r| *r == parent_role.id)
            && links.iter().all(|l| !pending.contains(&l.student_id))
        {
            let u = user::Entity::find_by_id(g.user_id)
                .one(db)
                .await
                .expect("read")
                .expect("user");
            let phone = t.app.vault.account_phone(&u);
            return (u, phone);
        }
    }
    panic!("no plain parent in the demo");
}

#[tokio::test]
async fn p4_a_person_gets_a_copy_of_their_data() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    // Bad requests: nothing exported, nothing recorded.
    for (phone, request, expect) in [
        (PARENT, "", "申请的编号"),
        (PARENT, "工单\u{202e}1", "申请的编号"),
        (PARENT, &"长".repeat(101), "申请的编号"),
        ("12345", "工单 1", "手机号"),
        ("13999999999", "工单 1", "不存在"),
    ] {
        let err = privacy::export(&t.app, phone, request)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(expect), "{phone} {request}: {err}");
    }
    assert_eq!(t.audit_count("privacy.export").await, 0);

    // The parent starts paying their order: the payment is theirs too.
    let parent = t.login(PARENT).await;
    let (_, me) = t.get("/api/v1/me", &parent).await;
    let pending = order::Entity::find()
        .filter(order::Column::UserId.eq(me["user"]["id"].as_i64().expect("id")))
        .filter(order::Column::Status.eq("pending_payment"))
        .one(&t.app.db)
        .await
        .expect("read")
        .expect("the demo parent's unpaid order");
    let (status, paying) = t
        .post(
            "/api/v1/payments",
            &parent,
            serde_json::json!({ "order_ids": [pending.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paying}");
    let data = privacy::export(&t.app, PARENT, "工单 2026-001")
        .await
        .expect("export");
    let text = data.to_string();
    assert_eq!(data["账号"]["手机号"], PARENT, "their own number in full");
    assert_eq!(data["账号"]["姓名"], "周杰");
    let child = &data["孩子"][0];
    assert_eq!(child["姓名"], "周俊");
    assert_eq!(
        child["身份证号"].as_str().map(str::len),
        Some(18),
        "{child}"
    );
    assert!(
        text.contains("篮球班") && text.contains("合唱班"),
        "enrollments: {text}"
    );
    assert!(!data["请假申请"].as_array().expect("leave").is_empty());
    assert!(!data["操作记录"].as_array().expect("activity").is_empty());
    // Each area answers in the person's words: roles by name, money in yuan, states in
    // Chinese.
    assert!(
        data["任职与身份"]
            .as_array()
            .expect("posts")
            .iter()
            .any(|m| m["角色"] == "家长" && m["单位"].is_string() && m["科室"].is_array()),
        "{text}"
    );
    let orders = data["订单"].as_array().expect("orders");
    let payments = data["支付"].as_array().expect("payments");
    assert!(!orders.is_empty() && !payments.is_empty(), "{text}");
    for row in orders.iter().chain(payments) {
        let status = row["状态"].as_str().expect("state");
        assert!(!status.is_empty() && !status.is_ascii(), "{row}");
        let yuan = row["金额（元）"].as_str().expect("amount");
        assert!(
            yuan.split_once('.').is_some_and(|(_, f)| f.len() == 2),
            "{row}"
        );
    }
    // Nothing of other families.
    assert!(
        !text.contains(SCHOOL1_ADMIN) && !text.contains("刘芳"),
        "{text}"
    );
    assert_eq!(t.audit_count("privacy.export").await, 1);
    let event = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("privacy.export"))
        .one(&t.app.db)
        .await
        .expect("read")
        .expect("event");
    assert!(
        event.summary.contains("工单 2026-001") && event.summary.contains("138****0007"),
        "{}",
        event.summary
    );
    assert!(
        !event.summary.contains(PARENT),
        "the audit trail masks the number"
    );
}

#[tokio::test]
async fn p4_erasure_removes_the_person_and_keeps_the_money() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let db = &t.app.db;
    // Refused: a teacher still works at the school; a parent with an order waiting.
    let err = privacy::erase(&t.app, TEACHER, "工单 1")
        .await
        .expect_err("employed");
    assert!(err.to_string().contains("任职"), "{err}");
    let err = privacy::erase(&t.app, PARENT, "工单 1")
        .await
        .expect_err("pending order");
    assert!(err.to_string().contains("待支付的订单"), "{err}");
    let err = privacy::erase(&t.app, PARENT, " ")
        .await
        .expect_err("no reference");
    assert!(err.to_string().contains("申请的编号"), "{err}");
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::OK);
    assert_eq!(t.try_login(PARENT, PASSWORD).await.0, StatusCode::OK);
    assert_eq!(t.audit_count("privacy.erase").await, 0);

    let (u, phone) = plain_parent(&t).await;
    assert_eq!(t.try_login(&phone, PASSWORD).await.0, StatusCode::OK);
    let children: Vec<i64> = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(u.id))
        .all(db)
        .await
        .expect("read")
        .into_iter()
        .map(|g| g.student_id)
        .collect();
    assert!(!children.is_empty());
    let orders_before = order::Entity::find()
        .filter(order::Column::StudentId.is_in(children.clone()))
        .count(db)
        .await
        .expect("count");

    let done = privacy::erase(&t.app, &phone, "工单 2026-002")
        .await
        .expect("erase");
    assert_eq!(done.user_id, u.id);
    assert!(done.memberships >= 1 && done.children_links >= 1);
    let after = user::Entity::find_by_id(u.id)
        .one(db)
        .await
        .expect("read")
        .expect("row kept");
    assert_eq!(after.name, privacy::ERASED_NAME);
    assert_eq!(after.phone_enc, None);
    assert!(after.frozen);
    assert_eq!(
        t.try_login(&phone, PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        membership::Entity::find()
            .filter(membership::Column::UserId.eq(u.id))
            .count(db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        guardian::Entity::find()
            .filter(guardian::Column::UserId.eq(u.id))
            .count(db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        message::Entity::find()
            .filter(message::Column::UserId.eq(u.id))
            .count(db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        order::Entity::find()
            .filter(order::Column::StudentId.is_in(children))
            .count(db)
            .await
            .expect("count"),
        orders_before,
        "the children's orders stay"
    );
    let event = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("privacy.erase"))
        .one(db)
        .await
        .expect("read")
        .expect("event");
    assert!(event.summary.contains("工单 2026-002") && !event.summary.contains(&phone));
    // Asked again: the number belongs to nobody now.
    let err = privacy::erase(&t.app, &phone, "工单 2026-003")
        .await
        .expect_err("gone");
    assert!(err.to_string().contains("不存在"), "{err}");
    // A restart leaves the erased account as it is (no number to encrypt).
    let again = kehou_service::App::start(
        &t.url,
        t.clock.clone(),
        std::sync::Arc::new(
            kehou_service::platform::vault::Vault::from_hex(&template_key().await).expect("vault"),
        ),
    )
    .await
    .expect("restart");
    let row = user::Entity::find_by_id(u.id)
        .one(&again.db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.phone_enc, None);
    assert_eq!(row.phone_index, format!("erased:{}", u.id));
}
