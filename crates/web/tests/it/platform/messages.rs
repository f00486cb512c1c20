//! The message centre: messages, their read state, the badge and its live feed, and the
//! invitation that an account of another organization answers there.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::Browser;

async fn staff_names(t: &TestApp, token: &str, school: i64) -> Vec<String> {
    let (_, list) = t
        .get(
            &format!("/api/v1/schools/{school}/staff?page_size=100"),
            token,
        )
        .await;
    names(&list)
}

async fn messages(t: &TestApp, token: &str) -> Value {
    let (status, body) = t.get("/api/v1/messages", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a1_an_account_of_another_organization_is_invited_not_revealed() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let teacher_role = t.role_id("teacher").await;
    let before = staff_names(&t, &admin, school).await;
    let offers = t.audit_count("membership.offer").await;
    // The city bureau leader's number, under a name the school typed.
    let (status, body) = t
        .post(
            &format!("/api/v1/schools/{school}/staff"),
            &admin,
            json!({"name": "张老师", "phone": CITY_LEADER, "gender": "男", "role_ids": [teacher_role]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["invited"], true);
    assert!(body["staff"].is_null());
    assert!(
        !body.to_string().contains("李明"),
        "the account's name stays hidden: {body}"
    );
    assert_eq!(
        staff_names(&t, &admin, school).await,
        before,
        "no staff yet"
    );
    // The school sees its pending invitation under the name it typed, the number masked.
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/staff")).await;
    assert!(page.body.contains("待对方接受的邀请"));
    assert!(page.body.contains("张老师") && page.body.contains("138****0002"));
    assert!(!page.body.contains("李明") && !page.body.contains(CITY_LEADER));

    // The leader holds no school role until accepting.
    let leader = t.login(CITY_LEADER).await;
    let (_, me) = t.get("/api/v1/me", &leader).await;
    assert_eq!(me["memberships"].as_array().map(Vec::len), Some(1));
    let inbox = messages(&t, &leader).await;
    assert_eq!(inbox["total"], 1, "{inbox}");
    let offer = &inbox["items"][0];
    assert_eq!(offer["kind"], "membership_offer");
    assert_eq!(offer["read"], false);
    assert!(
        offer["title"]
            .as_str()
            .unwrap_or("")
            .contains("示例第一小学")
    );
    let link = offer["link"].as_str().expect("link").to_string();
    let offer_id: i64 = link
        .rsplit('/')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("id");
    let (status, unread) = t.get("/api/v1/messages/unread-count", &leader).await;
    assert_eq!(
        (status, unread["unread"].as_u64()),
        (StatusCode::OK, Some(1))
    );

    // Nobody else sees or answers it.
    let other = t.login(TEACHER).await;
    for path in [
        format!("/api/v1/invitations/{offer_id}"),
        format!("/api/v1/invitations/{offer_id}/accept"),
    ] {
        let method = if path.ends_with("accept") {
            Method::POST
        } else {
            Method::GET
        };
        let (status, _) = t.api(method, &path, Some(&other), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, view) = t
        .get(&format!("/api/v1/invitations/{offer_id}"), &leader)
        .await;
    assert_eq!(
        (status, view["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    assert_eq!(view["roles"], json!(["任课教师"]));

    let (status, view) = t
        .api(
            Method::POST,
            &format!("/api/v1/invitations/{offer_id}/accept"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(
        (status, view["status"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{view}"
    );
    let (_, me) = t.get("/api/v1/me", &leader).await;
    assert!(
        me["memberships"]
            .as_array()
            .expect("memberships")
            .iter()
            .any(|m| m["org_name"] == "示例第一小学")
    );
    assert!(
        staff_names(&t, &admin, school)
            .await
            .contains(&"李明".to_string()),
        "staff now"
    );
    let (status, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/invitations/{offer_id}/accept"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "answered once");
    // The school admin hears the answer.
    let inbox = messages(&t, &admin).await;
    assert_eq!(inbox["items"][0]["kind"], "membership_answer", "{inbox}");
    assert_eq!(t.audit_count("membership.offer").await, offers + 1);
    assert_eq!(t.audit_count("membership.accept").await, 1);
}

#[tokio::test]
async fn a1_a_declined_invitation_adds_nothing() {
    let t = TestApp::new().await;
    // The demo: the second school invited 赵敏 of the first.
    let teacher = t.login(TEACHER).await;
    let inbox = messages(&t, &teacher).await;
    let offer = inbox["items"]
        .as_array()
        .and_then(|items| items.iter().find(|m| m["kind"] == "membership_offer"))
        .expect("the demo invitation")
        .clone();
    let offer_id: i64 = offer["link"]
        .as_str()
        .and_then(|l| l.rsplit('/').next())
        .and_then(|v| v.parse().ok())
        .expect("id");
    // In the browser: the message leads to the invitation, which is declined there.
    let mut b = Browser::new(&t);
    b.login(TEACHER, PASSWORD).await;
    let page = b.get("/messages").await;
    assert!(page.body.contains("示例第二小学邀请您加入"));
    let csrf = Browser::csrf(&page);
    let opened = b
        .post(
            &format!("/messages/{}/open", offer["id"]),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(opened.location, format!("/invitations/{offer_id}"));
    let page = b.get(&opened.location).await;
    assert!(page.body.contains("接受邀请") && page.body.contains("黄磊"));
    let csrf = Browser::csrf(&page);
    let done = b
        .post(
            &format!("/invitations/{offer_id}"),
            &[("_csrf", &csrf), ("decision", "decline")],
        )
        .await;
    assert_eq!(done.location, "/messages?notice=offer_declined");
    let (_, me) = t.get("/api/v1/me", &teacher).await;
    assert!(
        !me["memberships"]
            .as_array()
            .expect("m")
            .iter()
            .any(|m| m["org_name"] == "示例第二小学")
    );
    let school2 = t.org_id("示例第二小学").await;
    let admin2 = t.login(SCHOOL2_ADMIN).await;
    assert!(
        !staff_names(&t, &admin2, school2)
            .await
            .contains(&"赵敏".to_string())
    );
    // A form without the session's token changes nothing.
    let (status, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/invitations/{offer_id}/accept"),
            Some(&teacher),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn l2_messages_are_read_one_by_one_or_all_and_stay_private() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let inbox = messages(&t, &parent).await;
    // The demo's welcome, unread, above the leave approval already read.
    assert_eq!(inbox["total"], 2, "{inbox}");
    assert_eq!(inbox["items"][0]["title"], "欢迎使用课后服务管理平台");
    assert_eq!(inbox["items"][1]["read"], true);
    let id = inbox["items"][0]["id"].as_i64().expect("id");
    // Another person's message is not found.
    let teacher = t.login(TEACHER).await;
    let (status, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/messages/{id}/read"),
            Some(&teacher),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t
        .api(
            Method::POST,
            &format!("/api/v1/messages/{id}/read"),
            Some(&parent),
            None,
        )
        .await;
    assert_eq!(
        (status, body["read"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, unread) = t.get("/api/v1/messages?unread=true", &parent).await;
    assert_eq!(unread["total"], 0);
    let (status, body) = t
        .api(
            Method::POST,
            "/api/v1/messages/read-all",
            Some(&teacher),
            None,
        )
        .await;
    assert_eq!((status, body["marked"].as_u64()), (StatusCode::OK, Some(1)));
    for bad in [
        "/api/v1/messages?page=0",
        "/api/v1/messages?page_size=101",
        "/api/v1/messages?unread=maybe",
    ] {
        assert_eq!(
            t.get(bad, &parent).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        t.api(
            Method::POST,
            "/api/v1/messages/abc/read",
            Some(&parent),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.api(Method::GET, "/api/v1/messages", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn l2_the_badge_counts_unread_messages_and_follows_them_live() {
    use futures_util::StreamExt;
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(PARENT, PASSWORD).await;
    let home = b.get("/").await;
    assert!(
        home.body.contains("data-unread>1</span>"),
        "one unread: the welcome"
    );
    // The live feed: the count at once, then each change.
    let res = b.raw_get("/messages/stream").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut body = res.into_body().into_data_stream();
    let mut next_event = async || {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("bytes");
        String::from_utf8_lossy(&chunk).to_string()
    };
    let first = next_event().await;
    assert!(
        first.contains("event: unread") && first.contains("\"unread\":1"),
        "{first}"
    );
    let parent_id = t.user_id(PARENT).await;
    kehou_service::platform::messages::send(
        &t.app.db,
        parent_id,
        kehou_service::platform::messages::NewMessage {
            kind: "system",
            title: "测试通知".into(),
            body: "内容".into(),
            link: None,
        },
        t.app.now(),
    )
    .await
    .expect("send");
    kehou_service::platform::messages::announce(&t.app, parent_id);
    let second = next_event().await;
    assert!(
        second.contains("\"unread\":2") && second.contains("测试通知"),
        "{second}"
    );
    assert!(second.contains("\"announce\":true"));
    // Reading all on the page clears the badge.
    let page = b.get("/messages").await;
    assert!(page.body.contains("测试通知") && page.body.contains("全部标为已读"));
    let csrf = Browser::csrf(&page);
    let done = b.post("/messages/read-all", &[("_csrf", &csrf)]).await;
    assert_eq!(done.location, "/messages?notice=all_read");
    assert!(
        b.get("/")
            .await
            .body
            .contains("data-unread hidden>0</span>")
    );
    // Without a session there is no stream.
    let mut stranger = Browser::new(&t);
    assert_eq!(
        stranger.raw_get("/messages/stream").await.status(),
        StatusCode::SEE_OTHER
    );
}
