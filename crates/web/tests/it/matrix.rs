//! The authorization matrix: every preset role against every protected route, and against
//! another tenant's ids. A missing permission answers 403; an id outside the jurisdiction
//! 404; nothing in this test changes data (bodies are deliberately invalid).

use axum::http::{Method, StatusCode};
use kehou_domain::Permission;
use kehou_service::system::demo::DEMO_ACCOUNTS;
use serde_json::{Value, json};

use crate::common::*;

/// Method, path, body, the permission it needs, and the answer when permitted.
type Route = (
    Method,
    String,
    Option<Value>,
    Option<Permission>,
    StatusCode,
);

#[tokio::test]
async fn a3_every_preset_role_against_every_protected_route() {
    let t = TestApp::new().await;
    let platform_root = {
        let admin = t.login(PLATFORM_ADMIN).await;
        let (_, body) = t.get("/api/v1/orgs?kind=platform", &admin).await;
        body["items"][0]["id"].as_i64().expect("root")
    };
    let platform_admin_user = t.user_id(PLATFORM_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let mut checked = 0;
    for account in DEMO_ACCOUNTS {
        let role_code = account.memberships[0].1;
        let preset = kehou_domain::role::preset(role_code).expect("preset");
        let has = |p: Permission| preset.permissions.contains(&p);
        let is_platform = role_code == "platform_admin";
        let token = t.login(account.phone).await;
        let (_, me) = t.get("/api/v1/me", &token).await;
        let own_org = me["memberships"][0]["org_id"].as_i64().expect("org");

        // (method, path, body, permission, expected when permitted)
        let mut routes: Vec<Route> = vec![
            (
                Method::GET,
                "/api/v1/permissions".into(),
                None,
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                "/api/v1/orgs".into(),
                None,
                Some(Permission::OrgView),
                StatusCode::OK,
            ),
            (
                Method::GET,
                format!("/api/v1/orgs/{own_org}"),
                None,
                Some(Permission::OrgView),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/orgs".into(),
                Some(json!({"name": ""})),
                Some(Permission::OrgManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::PATCH,
                format!("/api/v1/orgs/{own_org}"),
                Some(json!({"name": ""})),
                Some(Permission::OrgManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/v1/users".into(),
                None,
                Some(Permission::UserView),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/users".into(),
                Some(json!({})),
                Some(Permission::UserManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/v1/roles".into(),
                None,
                Some(Permission::RoleView),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/roles".into(),
                Some(json!({"name": ""})),
                Some(Permission::RoleManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/v1/audit-events".into(),
                None,
                Some(Permission::AuditView),
                StatusCode::OK,
            ),
        ];
        // Rooms of 示例第一小学: inside the jurisdiction of the platform, the city, the
        // street and the school itself; another tenant's elsewhere.
        let school1_in_scope = is_platform
            || [
                CITY_LEADER,
                STREET_OFFICER,
                SCHOOL1_ADMIN,
                TEACHER,
                PARENT,
                PATROL_TEACHER,
                HEAD_TEACHER,
            ]
            .contains(&account.phone);
        let in_scope = |ok: StatusCode| {
            if school1_in_scope {
                ok
            } else {
                StatusCode::NOT_FOUND
            }
        };
        routes.extend([
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/rooms"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/schools/{school1}/rooms"),
                Some(json!({"name": ""})),
                Some(Permission::SchoolManage),
                in_scope(StatusCode::BAD_REQUEST),
            ),
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/students"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/staff"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/schools/{school1}/staff"),
                Some(json!({"name": ""})),
                Some(Permission::SchoolManage),
                in_scope(StatusCode::BAD_REQUEST),
            ),
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/imports/students/template"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                // An empty upload: refused before any job starts.
                Method::POST,
                format!("/api/v1/schools/{school1}/imports/students"),
                None,
                Some(Permission::SchoolManage),
                in_scope(StatusCode::BAD_REQUEST),
            ),
        ]);
        if !is_platform {
            // Another tenant's ids: the platform root and the platform administrator.
            routes.extend([
                (
                    Method::GET,
                    format!("/api/v1/orgs/{platform_root}"),
                    None,
                    Some(Permission::OrgView),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::PATCH,
                    format!("/api/v1/orgs/{platform_root}"),
                    Some(json!({"name": "x"})),
                    Some(Permission::OrgManage),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::GET,
                    format!("/api/v1/users/{platform_admin_user}"),
                    None,
                    Some(Permission::UserView),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::POST,
                    format!("/api/v1/users/{platform_admin_user}/freeze"),
                    None,
                    Some(Permission::UserManage),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::POST,
                    format!("/api/v1/users/{platform_admin_user}/reset-password"),
                    None,
                    Some(Permission::UserManage),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::PATCH,
                    format!("/api/v1/users/{platform_admin_user}"),
                    Some(json!({"name": "x"})),
                    Some(Permission::UserManage),
                    StatusCode::NOT_FOUND,
                ),
            ]);
        }
        for (method, path, body, permission, when_permitted) in routes {
            let expected = match permission {
                Some(p) if !has(p) => StatusCode::FORBIDDEN,
                _ => when_permitted,
            };
            let (status, answer) = t.api(method.clone(), &path, Some(&token), body).await;
            assert_eq!(status, expected, "{role_code} {method} {path}: {answer}");
            if !status.is_success() {
                assert!(
                    answer["code"].is_string() && answer["message"].is_string(),
                    "{role_code} {method} {path}: error body {answer}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "checked {checked} combinations");
    // Nothing above changed data: the platform administrator still logs in, names are intact.
    assert_eq!(
        t.try_login(PLATFORM_ADMIN, PASSWORD).await.0,
        StatusCode::OK
    );
    let admin = t.login(PLATFORM_ADMIN).await;
    assert_eq!(
        t.get(&format!("/api/v1/orgs/{platform_root}"), &admin)
            .await
            .1["name"],
        kehou_service::org::PLATFORM_NAME
    );
}

/// What a route needs: nothing, a session, an acting membership, or permissions (all of
/// them), and whether its `{school_id}` / `{id}` is a school whose jurisdiction counts.
#[derive(Debug, Clone, Copy)]
enum Need {
    Public,
    Session,
    Actor,
    /// An account manager of the platform itself.
    PlatformAdmin,
    Perms(&'static [Permission]),
}

use Permission::*;

/// The expectation of every route, by method and declared path. A route missing here
/// fails the matrix: a new route must say who may call it.
fn expectation(method: &Method, path: &str) -> Option<(Need, bool)> {
    const VIEW: &[Permission] = &[SchoolView];
    const MANAGE: &[Permission] = &[SchoolManage];
    const PERSONAL: &[Permission] = &[SchoolView, PersonalDataView];
    let m = method.as_str();
    let school =
        path.starts_with("/api/v1/schools/{school_id}") || path.starts_with("/schools/{id}");
    let need = match (m, path) {
        (
            "POST",
            "/api/v1/auth/token" | "/api/v1/auth/sms-code" | "/api/v1/auth/password-reset",
        )
        | (_, "/login" | "/login/sms-code" | "/login/reset")
        | (_, "/register/institution" | "/register/institution/sms-code")
        | ("GET", "/static/app.css")
        | ("GET", "/static/app.js" | "/static/favicon.svg" | "/favicon.ico") => Need::Public,
        (
            _,
            "/api/v1/auth/logout"
            | "/api/v1/auth/password"
            | "/api/v1/me"
            | "/api/v1/me/membership"
            | "/api/v1/me/children"
            | "/"
            | "/logout"
            | "/password"
            | "/switch"
            | "/messages"
            | "/messages/stream"
            | "/messages/read-all"
            | "/messages/{id}/open"
            | "/invitations/{id}",
        ) => Need::Session,
        // Messages and invitations are a person's own: anyone else's is not found.
        (_, p) if p.starts_with("/api/v1/messages") || p.starts_with("/api/v1/invitations") => {
            Need::Session
        }
        ("GET", "/api/v1/sandbox/sms" | "/sandbox/sms" | "/system") => Need::PlatformAdmin,
        ("GET", "/api/v1/permissions") => Need::Actor,
        // A job is found only by the person who started it: anyone else gets 404.
        ("GET", p) if p.contains("/imports/jobs/") => Need::Actor,
        // A bureau's departments: seen with the roles, configured with them.
        (
            "GET",
            "/api/v1/orgs/{id}/departments" | "/api/v1/orgs/{id}/departments/{department_id}",
        ) => Need::Perms(&[RoleView]),
        // An institution's own departments: read with it, kept by it.
        ("GET", "/api/v1/institutions/{id}/departments") => Need::Perms(&[InstitutionView]),
        (
            _,
            "/api/v1/institutions/{id}/departments"
            | "/api/v1/institutions/{id}/departments/{department_id}"
            | "/api/v1/institutions/{id}/teachers/{teacher_id}/department"
            | "/institution/departments"
            | "/institution/departments/{department_id}/delete"
            | "/institution/teachers/{teacher_id}/department",
        ) => Need::Perms(&[InstitutionManage]),
        (_, p) if p.contains("/departments") => Need::Perms(&[RoleManage]),
        ("POST", "/orgs/{id}/active") => Need::Perms(&[OrgManage, SupervisionHalt]),
        ("GET", "/api/v1/users/{id}/phone") | ("POST", "/users/{id}/phone") => {
            Need::Perms(&[UserView, PersonalDataView])
        }
        (
            "GET",
            "/api/v1/users" | "/api/v1/users/{id}" | "/users" | "/users/export" | "/users/{id}",
        ) => Need::Perms(&[UserView]),
        (_, p) if p.starts_with("/api/v1/users") || p.starts_with("/users") => {
            Need::Perms(&[UserManage])
        }
        ("GET", "/roles/new") => Need::Perms(&[RoleManage]),
        // Course specs: read by every member (a school's are its city's), kept by the city.
        (
            "GET",
            "/api/v1/course-specs"
            | "/api/v1/course-specs/{id}"
            | "/course-specs"
            | "/course-specs/{id}",
        ) => Need::Actor,
        (_, p) if p.starts_with("/api/v1/course-specs") || p.starts_with("/course-specs") => {
            Need::Perms(&[CourseSpecManage])
        }
        // Courses and libraries: read by every member in scope, kept with course.manage,
        // reviewed with library.review; offerings approved with offering.approve.
        (
            "GET",
            "/api/v1/courses"
            | "/api/v1/courses/{id}"
            | "/courses"
            | "/courses/{id}"
            | "/api/v1/library"
            | "/library"
            | "/offering"
            | "/offering/published"
            | "/api/v1/course-policy",
        ) => Need::Actor,
        ("GET", "/api/v1/courses/{id}/files/{file_id}" | "/courses/{id}/files/{file_id}") => {
            Need::Actor
        }
        ("POST", "/courses/{id}/files" | "/courses/{id}/files/{file_id}/remove") => {
            Need::Perms(&[CourseManage])
        }
        (
            "POST",
            "/api/v1/courses" | "/courses" | "/courses/{id}" | "/api/v1/library" | "/library",
        )
        | ("PATCH", "/api/v1/courses/{id}")
        | ("GET", "/courses/new" | "/courses/{id}/edit") => Need::Perms(&[CourseManage]),
        ("POST", "/api/v1/library/{id}/decision" | "/library/{id}/decision") => {
            Need::Perms(&[LibraryReview])
        }
        ("PUT", "/api/v1/course-policy") | ("POST", "/offerings/policy") => {
            Need::Perms(&[CoursePolicy])
        }
        ("GET", "/api/v1/offerings" | "/offerings") => Need::Perms(VIEW),
        // The notice is for anyone of the school (parents) and its bureaus.
        ("GET", p) if school && p.ends_with("/offering/published") => Need::Actor,
        ("POST", p) if school && p.ends_with("/offering/decision") => {
            Need::Perms(&[OfferingApprove])
        }
        ("GET", p)
            if school
                && (p.ends_with("/offering/items/new") || p.ends_with("/items/{item_id}/edit")) =>
        {
            Need::Perms(&[OfferingManage])
        }
        ("GET", p) if school && (p.contains("/offering") || p.contains("/plans")) => {
            Need::Perms(VIEW)
        }
        // Patrol: tasks need patrol.manage; the patrol teacher's day and a lesson's patrol
        // patrol.record; the report attendance.view (or patrol.manage); a record's photos
        // answer its author and the school (others: not found).
        (
            _,
            "/api/v1/schools/{school_id}/patrollers" | "/api/v1/schools/{school_id}/patrol-tasks",
        )
        | ("POST", "/schools/{id}/patrol/tasks" | "/patrol/tasks/{task_id}/close")
        | ("POST", "/api/v1/patrol-tasks/{task_id}/close") => Need::Perms(&[PatrolManage]),
        ("GET", "/api/v1/schools/{school_id}/patrol")
        | (_, "/api/v1/lessons/{lesson_id}/patrol" | "/patrol/lessons/{lesson_id}")
        | ("GET", "/patrol") => Need::Perms(&[PatrolRecord]),
        (
            "GET",
            "/api/v1/schools/{school_id}/patrol/report"
            | "/schools/{id}/patrol"
            | "/schools/{id}/patrol/report.xlsx",
        ) => Need::Perms(&[AttendanceView]),
        (_, p) if p.starts_with("/patrol/") => Need::Actor,
        // Attendance: a school's fence, day and requests need attendance.view (drawing the
        // fence attendance.manage); a lesson's check-in and roll call answer its teachers,
        // leave a child's guardians and head teacher, decisions the school or the head
        // teacher (anyone else: not found, checked inside).
        ("PUT", "/api/v1/schools/{school_id}/fence")
        | ("POST", "/schools/{id}/attendance/fence") => Need::Perms(&[AttendanceManage]),
        ("GET", p)
            if school
                && (p.ends_with("/fence")
                    || p.ends_with("/attendance")
                    || p.contains("/attendance/report")
                    || p.contains("/attendance/hours")
                    || p.contains("/lesson-hours/")
                    || p.contains("/lesson-changes")
                    || p.ends_with("/teacher-leaves")
                    || p.ends_with("/punch-requests")) =>
        {
            Need::Perms(&[AttendanceView])
        }
        (
            "GET",
            "/api/v1/attendance/jurisdiction"
            | "/api/v1/attendance/symptoms"
            | "/attendance/symptoms"
            | "/attendance/symptoms.xlsx",
        ) => Need::Perms(&[AttendanceView]),
        (
            "GET",
            "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/close-check",
        ) => Need::Perms(&[TeachingManage]),
        (
            "POST",
            "/api/v1/punch-requests/{request_id}/decide"
            | "/attendance/punch-requests/{request_id}/decide"
            | "/api/v1/lesson-changes/{change_id}/decide"
            | "/attendance/lesson-changes/{change_id}/decide"
            | "/api/v1/teacher-leaves/{leave_id}/decide"
            | "/attendance/teacher-leaves/{leave_id}/decide",
        ) => Need::Perms(&[AttendanceManage]),
        ("POST", "/api/v1/teacher-leaves" | "/attendance/teacher-leaves") => Need::Perms(VIEW),
        (_, p)
            if p.starts_with("/attendance")
                || p.starts_with("/api/v1/lessons/")
                || p.starts_with("/api/v1/leave-requests")
                || p.starts_with("/api/v1/punch-requests")
                || p.starts_with("/api/v1/lesson-changes")
                || p == "/api/v1/me/check-ins"
                || p == "/api/v1/me/teacher-leaves"
                || p.starts_with("/api/v1/teacher-leaves/")
                || p == "/api/v1/students/{student_id}/attendance"
                || p == "/api/v1/students/{student_id}/whereabouts"
                || p == "/api/v1/students/{student_id}/lesson-hours" =>
        {
            Need::Actor
        }
        // Money: the channel's notifications prove themselves by their signature; a
        // school's accounts and refunds need billing.manage; payments, receipts and an
        // order's ledger answer their payer, the child's guardians and the school.
        ("POST", "/api/v1/pay/notify/{channel}") => Need::Public,
        (
            "POST",
            "/api/v1/orders/{order_id}/refunds"
            | "/api/v1/orders/{order_id}/waivers"
            | "/api/v1/orders/{order_id}/extension"
            | "/api/v1/refund-reports/{report_id}/answer"
            | "/api/v1/refunds/{refund_id}/resolve"
            | "/api/v1/recon-differences/{difference_id}/resolve",
        ) => Need::Perms(&[BillingManage]),
        ("PUT", "/api/v1/offering-items/{item_id}/fee-rules") => Need::Perms(&[BillingManage]),
        ("POST", "/api/v1/orders/{order_id}/refund-offers") => Need::Perms(&[BillingManage]),
        // A parent answers for their own child's order (others: not found).
        ("POST", "/api/v1/refund-offers/{offer_id}/answer") => Need::Actor,
        ("GET", "/api/v1/billing/jurisdiction") => Need::Perms(&[BillingView]),
        ("GET", p)
            if school
                && (p.ends_with("/reconciliation")
                    || p.ends_with("/orders")
                    || p.ends_with("/orders/summary")
                    || p.ends_with("/orders/export")
                    || p.ends_with("/fee-rules")) =>
        {
            Need::Perms(&[BillingView])
        }
        ("POST", p)
            if school && (p.ends_with("/reconciliation") || p.ends_with("/payment-reminders")) =>
        {
            Need::Perms(&[BillingManage])
        }
        // A parent reports a refund of their child's order (others: not found).
        ("POST", "/api/v1/refunds/{refund_id}/reports") => Need::Actor,
        (_, p)
            if school
                && (p.contains("/receiving-accounts")
                    || p.contains("/billing")
                    || p.ends_with("/refund-reports")) =>
        {
            Need::Perms(&[BillingManage])
        }
        ("GET", "/billing") => Need::Perms(&[BillingView]),
        (_, p) if p.starts_with("/api/v1/payments") => Need::Actor,
        (_, "/pay/sandbox/{prepay_id}") => Need::Session,
        // Enrollment: the notice is read by the school's staff and its parents (others: not
        // found); the rest of a school's side needs enrollment.manage; a parent's routes
        // answer only for their own children (checked inside).
        ("GET", "/api/v1/schools/{school_id}/terms/{term_id}/notice") => Need::Actor,
        (_, p)
            if school
                && (p.contains("/enrollment")
                    || p.contains("/notice")
                    || p.contains("/lottery")
                    || p.contains("/class-assignment")
                    || p.contains("/class-merges")
                    || p.contains("/drop-requests")
                    || p.contains("/exclusive-groups")) =>
        {
            Need::Perms(&[EnrollmentManage])
        }
        ("POST", "/api/v1/drop-requests/{request_id}/decision")
        | ("POST", "/api/v1/enrollment-changes/{request_id}/decision") => {
            Need::Perms(&[EnrollmentManage])
        }
        (_, p)
            if p.starts_with("/enroll")
                || p == "/api/v1/me/admin-class-enrollments"
                || p.starts_with("/api/v1/enrollments")
                || p.starts_with("/api/v1/orders")
                || p.starts_with("/api/v1/waitlist")
                || p == "/api/v1/drop-requests/{request_id}/withdraw"
                || p == "/api/v1/enrollment-changes/{request_id}/withdraw"
                || p == "/api/v1/notice-signatures"
                || (p.starts_with("/api/v1/students/{student_id}/")
                    && (p.ends_with("/selectable-courses")
                        || p.ends_with("/preferences")
                        || p.ends_with("/enrollments")
                        || p.ends_with("/waitlist"))) =>
        {
            Need::Actor
        }
        // Teaching: read with school.view, kept with teaching.manage; a class's students
        // with student.view_all.
        ("GET", "/schools/{id}/teaching/template") => Need::Perms(&[TeachingManage]),
        ("GET", p) if school && p.ends_with("/teaching-classes/{class_id}/students") => {
            Need::Perms(&[StudentViewAll])
        }
        ("GET", p)
            if school
                && (p.contains("/teaching")
                    || p.contains("/schedule")
                    || p.ends_with("/conflicts")) =>
        {
            Need::Perms(VIEW)
        }
        (_, p) if school && (p.contains("/teaching") || p.contains("/schedule")) => {
            Need::Perms(&[TeachingManage])
        }
        // Timetables: everyone reads the ones that concern them (checked inside); the
        // calendar feed answers its private link without a session.
        ("GET", "/teaching" | "/api/v1/timetable" | "/timetable" | "/timetable/export") => {
            Need::Actor
        }
        (
            _,
            "/api/v1/me/timetable"
            | "/api/v1/me/calendar-feed"
            | "/me/timetable"
            | "/me/calendar-feed"
            | "/me/calendar-feed/revoke",
        ) => Need::Actor,
        ("GET", "/calendar/{token}") => Need::Public,
        (_, p) if school && p.contains("/plans") => Need::Perms(&[OfferingManage]),
        (_, p) if school && p.contains("/offering") => Need::Perms(&[OfferingManage]),
        // Institutions: seen with institution.view, decided with institution.review (the
        // halting decisions need more, tested with them).
        ("POST", "/api/v1/institutions/{id}/decision" | "/institutions/{id}/decision") => {
            Need::Perms(&[InstitutionView, InstitutionReview])
        }
        (
            "POST",
            "/api/v1/institutions/{id}/teachers"
            | "/institution/teachers"
            | "/institution/teachers/{teacher_id}/record"
            | "/institution/profile",
        )
        | ("PATCH", "/api/v1/institutions/{id}")
        | ("GET", "/institution/teachers/new") => Need::Perms(&[InstitutionManage]),
        (
            "POST",
            "/api/v1/institutions/{id}/dispatches"
            | "/api/v1/institutions/{id}/dispatches/{dispatch_id}/cancel"
            | "/institution/dispatches"
            | "/institution/dispatches/{dispatch_id}/cancel",
        )
        | ("GET", "/institution/dispatches/new" | "/institution/dispatches/{dispatch_id}/cancel") => {
            Need::Perms(&[InstitutionManage])
        }
        (_, p) if p.starts_with("/api/v1/institutions") || p.starts_with("/institution") => {
            Need::Perms(&[InstitutionView])
        }
        ("GET", p) if p.starts_with("/api/v1/roles") || p.starts_with("/roles") => {
            Need::Perms(&[RoleView])
        }
        (_, p) if p.starts_with("/api/v1/roles") || p.starts_with("/roles") => {
            Need::Perms(&[RoleManage])
        }
        ("GET", "/api/v1/audit-events" | "/audit" | "/audit/export") => Need::Perms(&[AuditView]),
        ("GET", "/api/v1/orgs" | "/api/v1/orgs/{id}" | "/orgs" | "/orgs/export" | "/orgs/{id}") => {
            Need::Perms(&[OrgView])
        }
        (_, p) if p.starts_with("/api/v1/orgs") || p.starts_with("/orgs") => {
            Need::Perms(&[OrgManage])
        }
        (
            "GET",
            "/rooms" | "/school" | "/admin-classes" | "/calendar" | "/students" | "/staff"
            | "/dispatches",
        ) => Need::Perms(VIEW),
        ("GET", p) if school && (p.ends_with("/phone") || p.ends_with("/id-number")) => {
            Need::Perms(PERSONAL)
        }
        ("POST", p) if school && (p.ends_with("/reveal") || p.ends_with("/id-number")) => {
            Need::Perms(PERSONAL)
        }
        // The upload form and the edit forms are for those who may change the data.
        (
            "GET",
            "/schools/{id}/imports/{kind}"
            | "/schools/{id}/admin-classes/{class_id}"
            | "/schools/{id}/rooms/{room_id}"
            | "/schools/{id}/staff/{staff_id}"
            | "/schools/{id}/rooms/new"
            | "/schools/{id}/staff/new"
            | "/schools/{id}/students/new"
            | "/schools/{id}/admin-classes/new"
            | "/schools/{id}/students/{student_id}/edit"
            | "/schools/{id}/students/{student_id}/guardians/new"
            | "/schools/{id}/admin-classes/promote"
            | "/api/v1/schools/{school_id}/admin-classes/promote",
        ) => Need::Perms(MANAGE),
        ("GET", _) if school => Need::Perms(VIEW),
        (_, _) if school => Need::Perms(MANAGE),
        _ => return None,
    };
    Some((need, school))
}

/// The concrete path: schools by id, `{kind}` a real import kind, every other id missing.
fn concrete(path: &str, school: i64) -> String {
    let mut out = String::new();
    for segment in path.split('/').skip(1) {
        out.push('/');
        out.push_str(&match segment {
            "{school_id}" | "{id}"
                if path.starts_with("/schools/") || path.starts_with("/api/v1/schools/") =>
            {
                school.to_string()
            }
            "{kind}" => "students".into(),
            s if s.starts_with('{') => "999999".into(),
            s => s.into(),
        });
    }
    out
}

/// A signed-in API token and browser session acting through one membership.
struct Session<'a> {
    token: String,
    browser: crate::pages::Browser<'a>,
    csrf: String,
}

async fn session<'a>(t: &'a TestApp, phone: &str, membership_id: i64) -> Session<'a> {
    let token = t.login(phone).await;
    let (status, body) = t
        .put(
            "/api/v1/me/membership",
            &token,
            json!({"membership_id": membership_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "switch {phone}: {body}");
    let mut browser = crate::pages::Browser::new(t);
    browser.login(phone, PASSWORD).await;
    let home = browser.get("/").await;
    let csrf = crate::pages::Browser::csrf(&home);
    let switched = browser
        .post(
            "/switch",
            &[
                ("_csrf", &csrf),
                ("membership_id", &membership_id.to_string()),
            ],
        )
        .await;
    assert!(
        switched.status.is_redirection(),
        "page switch {phone}: {}",
        switched.status
    );
    Session {
        token,
        browser,
        csrf,
    }
}

#[tokio::test]
async fn a3_generated_matrix_covers_every_route_and_every_preset_role() {
    let t = TestApp::new().await;
    let admin = t.login(PLATFORM_ADMIN).await;
    // The preset roles no demo account holds get an account of their own.
    let school1 = t.org_id("示例第一小学").await;
    let school2 = t.org_id("示例第二小学").await;
    let institution = t.org_id("示例艺术培训中心").await;
    let (_, root) = t.get("/api/v1/orgs?kind=platform", &admin).await;
    let root = root["items"][0]["id"].as_i64().expect("root");
    let (status, operator) = t
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"parent_id": root, "kind": "operator", "name": "示例运营公司"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{operator}");
    let operator = operator["id"].as_i64().expect("operator org");
    let extra = [
        ("13800000011", "admin_teacher", school1),
        ("13800000012", "institution_teacher", institution),
        ("13800000013", "operator", operator),
    ];
    for (phone, role, org) in extra {
        let role_id = t.role_id(role).await;
        let (status, body) = t
            .post(
                "/api/v1/users",
                &admin,
                json!({"phone": phone, "name": "测试", "org_id": org, "role_id": role_id, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{role}: {body}");
        // Accounts made by an administrator change their password first; make it the
        // demo password again by way of another one.
        let (_, token) = t.try_login(phone, PASSWORD).await;
        let token = token["token"].as_str().expect("token").to_string();
        for (old, new) in [(PASSWORD, "Matrix@2026x"), ("Matrix@2026x", PASSWORD)] {
            let (status, body) = t
                .post(
                    "/api/v1/auth/password",
                    &token,
                    json!({"old_password": old, "new_password": new}),
                )
                .await;
            assert!(status.is_success(), "{role}: {body}");
        }
    }
    let phones: Vec<&str> = DEMO_ACCOUNTS
        .iter()
        .map(|a| a.phone)
        .chain(extra.iter().map(|e| e.0))
        .collect();

    // The tree decides the jurisdiction: an organization's subtree.
    let (_, orgs) = t.get("/api/v1/orgs?page_size=100", &admin).await;
    let parent_of = |id: i64| -> Option<i64> {
        orgs["items"]
            .as_array()
            .and_then(|items| items.iter().find(|o| o["id"] == id))
            .and_then(|o| o["parent_id"].as_i64())
    };
    let within = |org: i64, ancestor: i64| -> bool {
        let mut at = Some(org);
        while let Some(id) = at {
            if id == ancestor {
                return true;
            }
            at = parent_of(id);
        }
        false
    };

    let routes = kehou_web::routes();
    let missing: Vec<String> = routes
        .iter()
        .filter(|r| expectation(&r.method, &r.path).is_none())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an expectation: {missing:#?}"
    );

    let mut roles_seen = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for phone in phones {
        let token = t.login(phone).await;
        let (_, me) = t.get("/api/v1/me", &token).await;
        let memberships = me["memberships"].as_array().cloned().unwrap_or_default();
        assert!(!memberships.is_empty(), "{phone} has memberships");
        for membership in memberships {
            let role_code = membership["role_code"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let preset = kehou_domain::role::preset(&role_code)
                .unwrap_or_else(|| panic!("{phone}: preset role {role_code}"));
            roles_seen.insert(role_code.clone());
            let own_org = membership["org_id"].as_i64().expect("org id");
            let mut s = session(&t, phone, membership["id"].as_i64().expect("membership id")).await;
            for route in &routes {
                let Some((need, school_scoped)) = expectation(&route.method, &route.path) else {
                    continue;
                };
                let targets = if school_scoped {
                    vec![school1, school2]
                } else {
                    vec![0]
                };
                for school in targets {
                    let path = concrete(&route.path, school);
                    let permitted = match need {
                        Need::Perms(ps) => ps.iter().all(|p| preset.permissions.contains(p)),
                        _ => true,
                    };
                    let in_scope = !school_scoped || within(school, own_org);
                    let logout = path.ends_with("/logout");
                    let (status, body) = if route.path.starts_with("/api/") {
                        let token = if logout {
                            t.login(phone).await
                        } else {
                            s.token.clone()
                        };
                        let body = (route.method != Method::GET).then(|| json!({}));
                        let (status, answer) =
                            t.api(route.method.clone(), &path, Some(&token), body).await;
                        (status, answer.to_string())
                    } else if path == "/messages/stream" {
                        // An event stream does not end: its status is the answer.
                        let res = s.browser.raw_get(&path).await;
                        (res.status(), String::new())
                    } else if route.method == Method::GET {
                        let page = s.browser.get(&path).await;
                        (page.status, page.location)
                    } else if logout {
                        let mut b = crate::pages::Browser::new(&t);
                        b.login(phone, PASSWORD).await;
                        let csrf = crate::pages::Browser::csrf(&b.get("/").await);
                        let page = b.post(&path, &[("_csrf", &csrf)]).await;
                        (page.status, page.location)
                    } else {
                        let page = s.browser.post(&path, &[("_csrf", &s.csrf.clone())]).await;
                        (page.status, page.location)
                    };
                    let what = format!(
                        "{role_code} ({phone}) {} {path} → {status} {body}",
                        route.method
                    );
                    let signed_out = status == StatusCode::UNAUTHORIZED
                        || (!logout && body.starts_with("/login"));
                    let right = !status.is_server_error()
                        && !signed_out
                        && match need {
                            // The login form checks a token of its own (tested with the login).
                            Need::Public => true,
                            Need::Session | Need::Actor => status != StatusCode::FORBIDDEN,
                            Need::PlatformAdmin => {
                                (status == StatusCode::FORBIDDEN) != (role_code == "platform_admin")
                            }
                            Need::Perms(_) if !permitted => status == StatusCode::FORBIDDEN,
                            Need::Perms(_) if !in_scope => status == StatusCode::NOT_FOUND,
                            Need::Perms(_) => status != StatusCode::FORBIDDEN,
                        };
                    if !right {
                        wrong.push(format!(
                            "{what} (permitted {permitted}, in scope {in_scope})"
                        ));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        roles_seen.len(),
        kehou_domain::role::PRESET_ROLES.len(),
        "every preset role was tried: {roles_seen:?}"
    );
    assert!(checked > 1500, "checked {checked}");
}
