//! The pages as a browser without JavaScript uses them: cookies, forms, redirects.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::common::*;

/// A cookie-keeping client of the pages.
pub struct Browser<'a> {
    t: &'a TestApp,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl<'a> Browser<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Self {
            t,
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = req
            .header(header::COOKIE, cookie.join("; "))
            .body(body)
            .expect("request");
        let res = self.t.request(req).await;
        for set in res.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().expect("ascii cookie");
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = pair.split_once('=').expect("cookie pair");
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
            .await
            .expect("body");
        Page {
            status,
            location,
            headers,
            body: String::from_utf8_lossy(&bytes).into(),
        }
    }

    /// The response itself, unread (a stream).
    pub async fn raw_get(&mut self, path: &str) -> axum::response::Response {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = Request::get(path)
            .header(header::COOKIE, cookie.join("; "))
            .body(Body::empty())
            .expect("request");
        self.t.request(req).await
    }

    /// The raw bytes of a download.
    pub async fn get_bytes(&mut self, path: &str) -> Vec<u8> {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = Request::get(path)
            .header(header::COOKIE, cookie.join("; "))
            .body(Body::empty())
            .expect("request");
        let res = self.t.request(req).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        axum::body::to_bytes(res.into_body(), 50 << 20)
            .await
            .expect("body")
            .to_vec()
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    /// A form post whose answer is read by the caller (a download).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> axum::response::Response {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie.join("; "))
            .body(Body::from(body))
            .expect("request");
        self.t.request(req).await
    }

    /// The `_csrf` value of the first form of a page.
    pub fn csrf(page: &Page) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = page.body.find(marker).expect("csrf field") + marker.len();
        page.body[start..]
            .split('"')
            .next()
            .expect("value")
            .to_string()
    }

    pub async fn login(&mut self, phone: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        let csrf = Self::csrf(&page);
        self.post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("next", "/"),
                ("phone", phone),
                ("password", password),
            ],
        )
        .await
    }
}

#[tokio::test]
async fn a6_login_page_logs_in_and_shows_the_school_and_navigation() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    let page = b.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("登录") && page.body.contains("手机号"));

    let page = b.login(SCHOOL1_ADMIN, "Wrong1234").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("手机号或密码错误"));

    let page = b.login(SCHOOL1_ADMIN, PASSWORD).await;
    assert_eq!(
        (page.status, page.location.as_str()),
        (StatusCode::SEE_OTHER, "/")
    );
    let cookie = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .find(|c| c.starts_with("kehou_session="))
        .expect("session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    for text in [
        "示例第一小学",
        "学校课后服务管理员",
        "刘芳",
        "href=\"/orgs\"",
        "href=\"/users\"",
        "href=\"/roles\"",
        "href=\"/audit\"",
    ] {
        assert!(home.body.contains(text), "home page lacks {text}");
    }

    // A teacher's navigation holds none of the administration pages.
    let mut teacher = Browser::new(&t);
    teacher.login(TEACHER, PASSWORD).await;
    let home = teacher.get("/").await;
    assert!(home.body.contains("示例第一小学") && !home.body.contains("href=\"/users\""));
    assert_eq!(teacher.get("/users").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a6_pages_need_a_session_and_a_valid_login_form() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    let page = b.get("/users?q=1").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/login?next=/users%3Fq%3D1");
    // A login post without the form's token is refused.
    let page = b
        .post(
            "/login",
            &[("phone", SCHOOL1_ADMIN), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.contains_key("kehou_session"));
    // Only local paths are followed after login.
    let login = b.get("/login?next=//evil.example/").await;
    let csrf = Browser::csrf(&login);
    let page = b
        .post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("next", "//evil.example/"),
                ("phone", SCHOOL1_ADMIN),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.location, "/");
    // Unknown pages answer the error page.
    let page = b.get("/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("返回首页"));
}

#[tokio::test]
async fn a6_forced_password_change_comes_first() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let role = t.role_id("teacher").await;
    t.post("/api/v1/users", &admin, json!({"phone": "13955556666", "name": "新人", "org_id": school, "role_id": role, "password": "Start2026"})).await;

    let mut b = Browser::new(&t);
    let page = b.login("13955556666", "Start2026").await;
    assert_eq!(page.location, "/password");
    assert_eq!(b.get("/").await.location, "/password");
    let form = b.get("/password").await;
    assert!(form.body.contains("请先设置新密码"));
    let csrf = Browser::csrf(&form);
    let page = b
        .post(
            "/password",
            &[
                ("_csrf", &csrf),
                ("old_password", "Start2026"),
                ("new_password", "Next2026x"),
                ("confirm_password", "Other2026"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("两次输入的新密码不一致"));
    let page = b
        .post(
            "/password",
            &[
                ("_csrf", &csrf),
                ("old_password", "Start2026"),
                ("new_password", "Next2026x"),
                ("confirm_password", "Next2026x"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(b.get(&page.location).await.body.contains("密码已修改"));
    assert_eq!(
        b.get("/users").await.status,
        StatusCode::FORBIDDEN,
        "a teacher, no longer redirected"
    );
}

#[tokio::test]
async fn a2_org_form_shows_field_errors_and_needs_csrf() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(STREET_OFFICER, PASSWORD).await;
    let form = b.get("/orgs/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = Browser::csrf(&form);
    let shiqi = t.org_id("石岐街道").await.to_string();

    let page = b
        .post(
            "/orgs/new",
            &[
                ("kind", "school"),
                ("parent_id", &shiqi),
                ("name", "无令牌小学"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = b
        .post(
            "/orgs/new",
            &[
                ("_csrf", &csrf),
                ("kind", "school"),
                ("parent_id", &shiqi),
                ("name", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("has-error") && page.body.contains("不能为空"));
    let page = b
        .post(
            "/orgs/new",
            &[
                ("_csrf", &csrf),
                ("kind", "school"),
                ("parent_id", "abc"),
                ("name", "坏上级"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let officer = t.login(STREET_OFFICER).await;
    assert_eq!(
        t.get("/api/v1/orgs?kind=school", &officer).await.1["total"],
        2,
        "nothing created"
    );

    let page = b
        .post(
            "/orgs/new",
            &[
                ("_csrf", &csrf),
                ("kind", "school"),
                ("parent_id", &shiqi),
                ("name", "示例第三小学"),
                ("region_code", "442000001"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = b.get(&page.location).await;
    assert!(detail.body.contains("示例第三小学") && detail.body.contains("已创建"));
    let list = b.get("/orgs?kind=school").await;
    assert!(list.body.contains("示例第三小学"));
}

#[tokio::test]
async fn a1_user_pages_create_freeze_and_export() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let form = b.get("/users/new").await;
    let csrf = Browser::csrf(&form);
    let school = t.org_id("示例第一小学").await.to_string();
    let role = t.role_id("teacher").await.to_string();
    let page = b
        .post(
            "/users/new",
            &[
                ("_csrf", &csrf),
                ("name", "钱老师"),
                ("phone", "139"),
                ("org_id", &school),
                ("role_id", &role),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("手机号格式不正确"));
    let page = b
        .post(
            "/users/new",
            &[
                ("_csrf", &csrf),
                ("name", "钱老师"),
                ("phone", "13966667777"),
                ("org_id", &school),
                ("role_id", &role),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED);
    assert!(page.body.contains("初始密码") && page.body.contains("class=\"secret\""));
    assert_eq!(
        page.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let page = b
        .post(
            "/users/new",
            &[
                ("_csrf", &csrf),
                ("name", "重复"),
                ("phone", "13966667777"),
                ("org_id", &school),
                ("role_id", &role),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);

    let id = t.user_id("13966667777").await;
    let page = b
        .post(&format!("/users/{id}/freeze"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let detail = b.get(&page.location).await;
    assert!(detail.body.contains("账号已冻结") && detail.body.contains("解冻账号"));
    let page = b
        .post(&format!("/users/{id}/freeze"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("该账号已是冻结状态"));

    let export = b.get("/users/export?q=139").await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(
        export
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let rows = workbook_rows(
        &b.get_bytes(&format!("/users/export?q={}", urlencode("钱老师")))
            .await,
    );
    assert!(
        rows.iter()
            .skip(1)
            .any(|r| r.contains(&"钱老师".to_string())),
        "the new account is exported: {rows:?}"
    );
}

#[tokio::test]
async fn a3_role_page_grants_permissions_in_batch() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(PLATFORM_ADMIN, PASSWORD).await;
    let role = t.role_id("teacher").await;
    let page = b.get(&format!("/roles/{role}")).await;
    assert!(page.body.contains("查看用户账号"));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            &format!("/roles/{role}"),
            &[
                ("_csrf", &csrf),
                ("permissions", "org.view"),
                ("permissions", "user.view"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let teacher = t.login(TEACHER).await;
    assert_eq!(
        t.get("/api/v1/me", &teacher).await.1["permissions"],
        json!(["org.view", "user.view"])
    );
    let page = b
        .post(
            &format!("/roles/{role}"),
            &[("_csrf", &csrf), ("permissions", "made.up")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        t.get("/api/v1/me", &teacher).await.1["permissions"],
        json!(["org.view", "user.view"]),
        "unchanged"
    );
}

#[tokio::test]
async fn a7_audit_page_filters_and_rejects_bad_dates() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get("/audit?entity_type=user").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("登录"));
    let page = b.get("/audit?from=31-12-2026").await;
    assert!(page.body.contains("开始日期格式应为"));
    let page = b.get("/audit?from=2030-01-01").await;
    assert!(page.body.contains("没有符合条件的操作记录"));
}

impl Browser<'_> {
    /// Submits a `multipart/form-data` form with text fields and one file.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> Page {
        self.upload_files(path, fields, &[("file", file_name, file)])
            .await
    }

    /// Submits a `multipart/form-data` form with text fields and files, each given as
    /// (field, file name, bytes).
    pub async fn upload_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "----kehou-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, file_name, file) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post(path).header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Body::from(body),
        )
        .await
    }
}

#[tokio::test]
async fn l2_a_parents_home_lists_their_children_and_the_site_has_an_icon() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(PARENT, PASSWORD).await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("我的孩子"), "{}", home.body);
    assert!(
        home.body.contains("周俊") && home.body.contains("三年级(2)班"),
        "{}",
        home.body
    );
    assert!(!home.body.contains("左侧"), "no left side on a phone");
    assert!(home.body.contains("rel=\"icon\""));
    let icon = b.get("/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert!(icon.body.starts_with("<svg"), "{}", icon.body);
    // A school admin has no children: no such section.
    let mut admin = Browser::new(&t);
    admin.login(SCHOOL1_ADMIN, PASSWORD).await;
    assert!(!admin.get("/").await.body.contains("我的孩子"));
}

#[tokio::test]
async fn a3_a_school_admin_is_offered_to_configure_only_roles_it_may_change() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let list = b.get("/roles").await;
    assert_eq!(list.status, StatusCode::OK);
    // Presets are shown, but only to look at.
    assert!(list.body.contains("查看"), "{}", list.body);
    assert!(!list.body.contains("配置权限</a>"), "{}", list.body);
    // A 403 names the permission the page needs, in words that fit it.
    let mut teacher = Browser::new(&t);
    teacher.login(PARENT, PASSWORD).await;
    let school = t.org_id("示例第一小学").await;
    let page = teacher.get(&format!("/schools/{school}/students")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("学生"), "{}", page.body);
}

#[tokio::test]
async fn p1_lists_page_by_number_and_size_and_lead_back_from_an_empty_page() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let list = format!("/schools/{school}/students");
    let first = b.get(&format!("{list}?status=enrolled")).await;
    assert_eq!(first.status, StatusCode::OK);
    // Numbered pages, the last among them, keeping the filter.
    assert!(
        first.body.contains("aria-current=\"page\">1</span>"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains("status=enrolled&#38;page=2\">2</a>"),
        "{}",
        first.body
    );
    assert!(first.body.contains("…"), "a gap before the last page");
    // Fifty a page, kept by the page links.
    let fifty = b.get(&format!("{list}?status=enrolled&size=50")).await;
    assert_eq!(fifty.body.matches("data-label=\"学号\"").count(), 50);
    assert!(fifty.body.contains("size=50&#38;page=2"), "{}", fifty.body);
    // A size nobody offers falls back to 20; a page past the end leads back.
    let odd = b.get(&format!("{list}?size=7")).await;
    assert_eq!(odd.body.matches("data-label=\"学号\"").count(), 20);
    let past = b.get(&format!("{list}?page=999")).await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(past.body.contains("返回第 1 页"), "{}", past.body);
}

/// A refused form marks its fields for assistive technology: required fields say so, the
/// field in error carries aria-invalid and points at its message; every page has a skip
/// link to the main content.
#[tokio::test]
async fn p1_forms_mark_required_and_invalid_fields() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/staff/new")).await;
    assert!(
        page.body
            .contains(r##"<a class="skip" href="#main">跳到主要内容</a>"##)
    );
    assert!(page.body.contains(r#"<main id="main" tabindex="-1">"#));
    assert!(
        page.body
            .contains(r#"id="f-name" name="name" type="text" value="" required"#),
        "required"
    );
    let csrf = Browser::csrf(&page);
    let refused = b
        .post(
            &format!("/schools/{school}/staff"),
            &[
                ("_csrf", &csrf),
                ("name", ""),
                ("phone", "12"),
                ("gender", "男"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains(r#"id="f-phone" name="phone" type="tel" value="12" required aria-invalid="true" aria-describedby="f-phone-hint f-phone-error""#),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"<div class="error" id="f-phone-error">"#)
    );
}

/// On a phone a refused form used to come back under a long list, its errors thousands of
/// pixels below the top: every create and edit form now has a page of its own, reached
/// from its list, and a refused submit answers that page with the errors above the form
/// and no list, keeping what was typed.
#[tokio::test]
async fn p1_create_and_edit_forms_have_pages_of_their_own() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let student = t.first_student(school).await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let s = |p: &str| format!("/schools/{school}{p}");
    // (list that links to the form, the form's page, where it posts, a bad submission)
    type Case<'a> = (String, String, String, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            s("/rooms"),
            s("/rooms/new"),
            s("/rooms"),
            vec![("name", "琴房〈一〉"), ("capacity", "many")],
        ),
        (
            s("/staff"),
            s("/staff/new"),
            s("/staff"),
            vec![("name", "王芳芳"), ("phone", "12"), ("gender", "女")],
        ),
        (
            s("/students"),
            s("/students/new"),
            s("/students"),
            vec![
                ("student_no", "X1"),
                ("name", "李雷雷"),
                ("gender", "男"),
                ("id_number", "123"),
            ],
        ),
        (
            s("/admin-classes"),
            s("/admin-classes/new"),
            s("/admin-classes"),
            vec![("school_year", "明年"), ("grade", "1"), ("number", "9")],
        ),
        (
            "/roles".into(),
            "/roles/new".into(),
            "/roles".into(),
            vec![
                ("name", ""),
                ("org_kind", "school"),
                ("description", "新角色说明"),
            ],
        ),
        (
            s(&format!("/students/{student}")),
            s(&format!("/students/{student}/edit")),
            s(&format!("/students/{student}")),
            vec![
                ("name", "改名的学生"),
                ("class_id", ""),
                ("status", "enrolled"),
            ],
        ),
        (
            s(&format!("/students/{student}")),
            s(&format!("/students/{student}/guardians/new")),
            s(&format!("/students/{student}/guardians")),
            vec![("name", "周大伯"), ("phone", "139"), ("relation", "其他")],
        ),
    ];
    for (list, form_page, action, fields) in cases {
        let listed = b.get(&list).await;
        assert_eq!(listed.status, StatusCode::OK, "{list}");
        assert!(
            listed.body.contains(&format!(r#"href="{form_page}"#)),
            "{list} links to {form_page}"
        );
        assert!(
            !listed
                .body
                .contains(&format!(r#"method="post" action="{action}""#)),
            "{list} no longer holds the form"
        );
        let page = b.get(&form_page).await;
        assert_eq!(page.status, StatusCode::OK, "{form_page}");
        assert!(
            page.body.contains(&format!(r#"action="{action}""#)),
            "{form_page}"
        );
        let csrf = Browser::csrf(&page);
        let mut body = vec![("_csrf", csrf.as_str())];
        body.extend(fields.iter().copied());
        let refused = b.post(&action, &body).await;
        assert!(
            refused.status.is_client_error(),
            "{action}: {}",
            refused.status
        );
        let alert = refused
            .body
            .find(r#"class="alert" role="alert""#)
            .unwrap_or_else(|| panic!("{action}: no error box"));
        let form = refused
            .body
            .find(r#"<form class="form""#)
            .unwrap_or_else(|| panic!("{action}: no form"));
        assert!(alert < form, "{action}: the errors come before the form");
        assert!(
            !refused.body.contains(r#"<table class="data">"#),
            "{action}: no list above the form"
        );
        assert!(
            refused.body.contains(r#"aria-invalid="true""#),
            "{action}: a field is marked"
        );
        // What was typed comes back.
        let typed = fields
            .iter()
            .map(|(_, v)| *v)
            .find(|v| v.chars().count() > 2)
            .unwrap_or_default();
        assert!(refused.body.contains(typed), "{action} keeps {typed}");
    }
}
