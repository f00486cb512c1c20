//! Excel imports and exports (C2, C3, C4, C6): templates, row validation with a report,
//! all-or-nothing and good-rows modes, re-import as update, file-level errors, pages.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kehou_service::platform::sheet::{self, Column, SheetData};
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::Browser;
use crate::school::students::id_number;

const STUDENT_HEADERS: [&str; 13] = [
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
    "监护人2姓名",
    "监护人2手机号",
    "监护人2关系",
];

pub fn xlsx(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    sheet::workbook(&[SheetData {
        name: "Sheet1",
        headers,
        rows,
    }])
    .expect("workbook")
}

pub fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// A valid student row in 三年级(2)班 with one guardian.
pub fn student(no: &str, name: &str, id_seq: u32, phone: &str) -> Vec<String> {
    row(&[
        no,
        name,
        if id_seq % 2 == 1 { "男" } else { "女" },
        &id_number("20170305", id_seq),
        "",
        "三年级(2)班",
        "在读",
        "家长",
        phone,
        "母亲",
    ])
}

/// Sends a file to the import API; answers the status and the job (or the error).
pub async fn upload(
    t: &TestApp,
    token: &str,
    school: i64,
    kind: &str,
    mode: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let req = Request::post(format!(
        "/api/v1/schools/{school}/imports/{kind}?mode={mode}&file_name=test.xlsx"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {token}"))
    .header(
        header::CONTENT_TYPE,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .body(Body::from(bytes))
    .expect("request");
    let res = t.request(req).await;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())),
    )
}

/// Polls a job until it has ended.
async fn finished(t: &TestApp, token: &str, school: i64, job: &Value) -> Value {
    let id = job["id"].as_u64().expect("job id");
    for _ in 0..500 {
        let (status, view) = t
            .get(
                &format!("/api/v1/schools/{school}/imports/jobs/{id}"),
                token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        if view["status"] == "finished" || view["status"] == "failed" {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("import did not end");
}

/// Uploads and waits: the ended job.
async fn import(
    t: &TestApp,
    token: &str,
    school: i64,
    kind: &str,
    mode: &str,
    bytes: Vec<u8>,
) -> Value {
    let (status, job) = upload(t, token, school, kind, mode, bytes).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    finished(t, token, school, &job).await
}

async fn student_count(t: &TestApp, token: &str, school: i64) -> u64 {
    let (_, list) = t
        .get(
            &format!("/api/v1/schools/{school}/students?page_size=1"),
            token,
        )
        .await;
    list["total"].as_u64().expect("total")
}

fn errors(job: &Value) -> Vec<(u64, String, String)> {
    job["outcome"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["column"].as_str().unwrap_or("").to_string(),
                e["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has_error(job: &Value, row: u64, column: &str, reason_part: &str) -> bool {
    errors(job)
        .iter()
        .any(|(r, c, reason)| *r == row && c == column && reason.contains(reason_part))
}

#[tokio::test]
async fn c6_all_or_nothing_reports_every_bad_row_and_writes_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let before = student_count(&t, &admin, school).await;
    let users_before = t.audit_count("student.import").await;
    let mut wrong_check = student("T003", "校验错", 23, "13911110003");
    let last = wrong_check[3].pop().expect("check char");
    wrong_check[3].push(if last == '0' { '1' } else { '0' });
    let mut wrong_birth = student("T004", "生日错", 25, "13911110004");
    wrong_birth[4] = "2017-03-06".into();
    let mut unknown_class = student("T005", "班级错", 27, "13911110005");
    unknown_class[5] = "三年级(9)班".into();
    let duplicate_no = student("T001", "学号重", 29, "13911110006");
    let mut bad_phone = student("T007", "电话错", 31, "1391111");
    bad_phone[9] = "邻居".into();
    let rows = vec![
        student("T001", "正确一", 21, "13911110001"),
        wrong_check,
        wrong_birth,
        unknown_class,
        duplicate_no,
        bad_phone,
    ];
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(&STUDENT_HEADERS, &rows),
    )
    .await;
    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(job["outcome"]["committed"], false);
    assert_eq!(job["outcome"]["rows"], 6);
    // Row numbers are Excel's: the header is row 1.
    assert!(has_error(&job, 3, "身份证号", "校验位"), "{job}");
    assert!(has_error(&job, 4, "出生日期", "与身份证号不符"), "{job}");
    assert!(has_error(&job, 5, "班级", "三年级(9)班"), "{job}");
    assert!(has_error(&job, 6, "学号", "与第2行重复"), "{job}");
    assert!(has_error(&job, 7, "监护人1手机号", ""), "{job}");
    assert!(has_error(&job, 7, "监护人1关系", ""), "{job}");
    assert!(
        !errors(&job).iter().any(|(r, _, _)| *r == 2),
        "row 2 is good"
    );
    assert_eq!(
        student_count(&t, &admin, school).await,
        before,
        "nothing written"
    );
    assert_eq!(t.audit_count("student.import").await, users_before);

    // The report lists the same cells.
    let id = job["id"].as_u64().expect("id");
    let res = t
        .request(
            Request::get(format!("/api/v1/schools/{school}/imports/jobs/{id}/report"))
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let columns = [
        Column {
            title: "行号",
            required: true,
            help: "",
        },
        Column {
            title: "列",
            required: true,
            help: "",
        },
        Column {
            title: "原因",
            required: true,
            help: "",
        },
    ];
    let report = sheet::read(&bytes, &columns, &[]).expect("report reads back");
    assert_eq!(report.len(), errors(&job).len());
    assert_eq!(report[0].cells[0], "3");
    assert_eq!(report[0].cells[1], "身份证号");
}

#[tokio::test]
async fn c6_good_rows_mode_then_reimport_updates_instead_of_duplicating() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let before = student_count(&t, &admin, school).await;
    let imports_before = t.audit_count("student.import").await;
    let mut second = student("G002", "导入二", 22, "13922220002");
    second.extend(row(&["导入二父", "13922220003", "父亲"]));
    let mut bad = student("G003", "导入三", 23, "13922220004");
    bad[2] = "未知".into();
    let rows = vec![student("G001", "导入一", 21, PARENT), second.clone(), bad];
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "good_rows",
        xlsx(&STUDENT_HEADERS, &rows),
    )
    .await;
    assert_eq!(job["outcome"]["committed"], true, "{job}");
    assert_eq!(job["outcome"]["created"], 2);
    assert_eq!(job["outcome"]["skipped"], 1);
    assert!(has_error(&job, 4, "性别", "男"), "{job}");
    assert_eq!(student_count(&t, &admin, school).await, before + 2);
    assert_eq!(t.audit_count("student.import").await, imports_before + 1);

    // The existing parent account is linked: the demo parent now sees a second child.
    let (_, children) = t.get("/api/v1/me/children", &t.login(PARENT).await).await;
    assert!(
        children["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["name"] == "导入一"),
        "{children}"
    );
    // New guardians get parent accounts at the school, with no usable password yet.
    let (status, _) = t.try_login("13922220003", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, users) = t
        .get(
            "/api/v1/users?q=13922220003",
            &t.login(PLATFORM_ADMIN).await,
        )
        .await;
    assert_eq!(
        users["items"][0]["memberships"][0]["role_name"], "家长",
        "{users}"
    );

    // Import again with a changed class and name: updated, not duplicated.
    let mut moved = second;
    moved[1] = "导入二改".into();
    moved[5] = "三年级(1)班".into();
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(
            &STUDENT_HEADERS,
            &[student("G001", "导入一", 21, PARENT), moved],
        ),
    )
    .await;
    assert_eq!(job["outcome"]["created"], 0, "{job}");
    assert_eq!(job["outcome"]["updated"], 2);
    assert_eq!(student_count(&t, &admin, school).await, before + 2);
    let (_, found) = t
        .get(&format!("/api/v1/schools/{school}/students?q=G002"), &admin)
        .await;
    assert_eq!(found["items"][0]["name"], "导入二改");
    assert_eq!(found["items"][0]["class_name"], "三年级(1)班");
    assert_eq!(
        found["items"][0]["guardians"].as_array().map(Vec::len),
        Some(2),
        "guardians are not linked twice"
    );

    // One ID number on two students is refused, against the school and within the file.
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(
            &STUDENT_HEADERS,
            &[student("G009", "重号", 21, "13922220009")],
        ),
    )
    .await;
    assert!(has_error(&job, 2, "身份证号", "G001"), "{job}");
}

#[tokio::test]
async fn import_file_errors_are_named_and_change_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let before = student_count(&t, &admin, school).await;

    // Refused before any job starts: empty, oversized, bad mode, unknown kind.
    let (status, body) = upload(&t, &admin, school, "students", "all_or_nothing", Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["details"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("文件为空"),
        "{body}"
    );
    let big = vec![b'x'; 20 * 1024 * 1024];
    let (status, body) = upload(&t, &admin, school, "students", "all_or_nothing", big).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["details"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("超过 20 MB"),
        "{body}"
    );
    let (status, _) = upload(&t, &admin, school, "students", "sometimes", vec![1]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = upload(&t, &admin, school, "parents", "all_or_nothing", vec![1]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Read in the job: not a workbook, renamed and missing columns, no data rows.
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        b"name,phone\n".to_vec(),
    )
    .await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["failure"]
            .as_str()
            .unwrap_or("")
            .contains("无法读取文件"),
        "{job}"
    );
    let mut renamed = STUDENT_HEADERS;
    renamed[1] = "学生姓名";
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(&renamed, &[student("R001", "改名", 21, "13933330001")]),
    )
    .await;
    let failure = job["failure"].as_str().unwrap_or("");
    assert!(
        failure.contains("第1行第B列的列名“学生姓名”无法识别"),
        "{job}"
    );
    assert!(failure.contains("缺少必填列：姓名"), "{job}");
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(&STUDENT_HEADERS, &[]),
    )
    .await;
    assert!(
        job["failure"].as_str().unwrap_or("").contains("没有数据行"),
        "{job}"
    );
    assert_eq!(student_count(&t, &admin, school).await, before);

    // Out of scope: another school's administrator, a teacher, a parent.
    let other = t.login(SCHOOL2_ADMIN).await;
    let file = xlsx(
        &STUDENT_HEADERS,
        &[student("R002", "越权", 21, "13933330002")],
    );
    let (status, _) = upload(
        &t,
        &other,
        school,
        "students",
        "all_or_nothing",
        file.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for who in [TEACHER, PARENT] {
        let (status, _) = upload(
            &t,
            &t.login(who).await,
            school,
            "students",
            "all_or_nothing",
            file.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    // A job is visible only to whoever started it.
    let job = import(&t, &admin, school, "students", "all_or_nothing", file).await;
    let id = job["id"].as_u64().expect("id");
    let (status, _) = t
        .get(
            &format!("/api/v1/schools/{school}/imports/jobs/{id}"),
            &t.login(PLATFORM_ADMIN).await,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn templates_have_the_import_columns_and_an_example_row() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    for kind in kehou_service::import::Kind::ALL {
        let res = t
            .request(
                Request::get(format!(
                    "/api/v1/schools/{school}/imports/{}/template",
                    kind.code()
                ))
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .expect("request"),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", kind.code());
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        // Its headers are exactly the import's; its only row is the example, skipped.
        let err = sheet::read(&bytes, kind.columns(), kind.example()).expect_err("example only");
        assert!(
            format!("{err:?}").contains("没有数据行"),
            "{}: {err:?}",
            kind.code()
        );
        // With the example's cells read as data, every example passes the import.
        let rows = vec![
            kind.example()
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
        ];
        let headers: Vec<&str> = kind.columns().iter().map(|c| c.title).collect();
        let mut rows = rows;
        // A row identical to the example is skipped as the example: change one cell.
        let changed = match kind {
            kehou_service::import::Kind::Staff => 1,
            kehou_service::import::Kind::AdminClasses => 3,
            _ => 0,
        };
        rows[0][changed] = if changed == 1 {
            "13900009999".into()
        } else {
            format!("{}1", rows[0][changed])
        };
        let job = import(
            &t,
            &admin,
            school,
            kind.code(),
            "all_or_nothing",
            xlsx(&headers, &rows),
        )
        .await;
        assert_eq!(job["outcome"]["committed"], true, "{}: {job}", kind.code());
    }
}

#[tokio::test]
async fn c2_staff_with_accounts_roles_and_import() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let teacher_role = t.role_id("teacher").await;
    let head_role = t.role_id("head_teacher").await;
    let (_, units) = t
        .get(&format!("/api/v1/schools/{school}/units"), &admin)
        .await;
    let chinese = units["items"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == "语文教研组"))
        .and_then(|u| u["id"].as_i64())
        .expect("语文教研组");
    let body = json!({"name": "钱老师", "phone": "13944440001", "gender": "女", "subjects": "语文，书法",
        "title": "一级教师", "certificate_no": "20194400000123", "department_id": chinese,
        "role_ids": [teacher_role, head_role]});
    let (status, created) = t
        .post(
            &format!("/api/v1/schools/{school}/staff"),
            &admin,
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["staff"]["subjects"], "语文、书法");
    assert_eq!(created["staff"]["department"], "语文教研组");
    assert_eq!(created["staff"]["phone"], "139****0001");
    assert_eq!(created["staff"]["roles"].as_array().map(Vec::len), Some(2));
    let password = created["initial_password"]
        .as_str()
        .expect("one-time password");
    let (status, login) = t.try_login("13944440001", password).await;
    assert_eq!(status, StatusCode::OK, "{login}");

    // Bad input: duplicate, title, certificate, no role, a role above the admin, a parent role.
    let (status, _) = t
        .post(&format!("/api/v1/schools/{school}/staff"), &admin, body)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let parent_role = t.role_id("parent").await;
    let bureau_role = t.role_id("bureau_officer").await;
    for (patch, field) in [
        (json!({"title": "特级大师"}), "title"),
        (json!({"certificate_no": "证-123"}), "certificate_no"),
        (json!({"role_ids": []}), "role_ids"),
        (json!({"role_ids": [parent_role]}), "role_ids"),
        (json!({"role_ids": [bureau_role]}), "role_ids"),
        (json!({"phone": "1234"}), "phone"),
        (json!({"department_id": 999999}), "department_id"),
    ] {
        let mut b = json!({"name": "孙老师", "phone": "13944440002", "gender": "男", "role_ids": [teacher_role]});
        for (k, v) in patch.as_object().expect("object") {
            b[k] = v.clone();
        }
        let (status, err) = t
            .post(&format!("/api/v1/schools/{school}/staff"), &admin, b)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {err}");
        assert_eq!(err["details"][0]["field"], field, "{err}");
    }
    let (_, list) = t
        .get(
            &format!("/api/v1/schools/{school}/staff?q=13944440002"),
            &admin,
        )
        .await;
    assert_eq!(list["total"], 0, "nothing half-created");

    // Import: a new teacher, an update by phone, and a row naming an unknown role.
    let headers: Vec<&str> = kehou_service::school::staff::COLUMNS
        .iter()
        .map(|c| c.title)
        .collect();
    let rows = vec![
        row(&[
            "新老师",
            "13944440003",
            "男",
            "任课教师",
            "科学",
            "",
            "",
            "",
            "",
        ]),
        row(&[
            "钱老师",
            "13944440001",
            "女",
            "任课教师",
            "语文",
            "高级教师",
            "",
            "语文教研组",
            "课后服务主管",
        ]),
        row(&["错老师", "13944440004", "男", "校长", "", "", "", "", ""]),
    ];
    let job = import(
        &t,
        &admin,
        school,
        "staff",
        "good_rows",
        xlsx(&headers, &rows),
    )
    .await;
    assert_eq!(job["outcome"]["created"], 1, "{job}");
    assert_eq!(job["outcome"]["updated"], 1);
    assert!(has_error(&job, 4, "角色", "校长"), "{job}");
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/staff?q=钱老师"), &admin)
        .await;
    assert_eq!(list["items"][0]["title"], "高级教师");
    assert_eq!(list["items"][0]["posts"], "课后服务主管");

    // A row with the number of an account of another organization invites it.
    let job = import(
        &t,
        &admin,
        school,
        "staff",
        "all_or_nothing",
        xlsx(
            &headers,
            &[row(&[
                "某老师",
                CITY_LEADER,
                "男",
                "任课教师",
                "",
                "",
                "",
                "",
                "",
            ])],
        ),
    )
    .await;
    assert_eq!(
        (
            job["outcome"]["created"].as_u64(),
            job["outcome"]["invited"].as_u64()
        ),
        (Some(0), Some(1)),
        "{job}"
    );
    assert!(!job.to_string().contains("李明"), "{job}");
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/staff?q=李明"), &admin)
        .await;
    assert_eq!(list["total"], 0, "not staff before accepting");
    let (_, inbox) = t.get("/api/v1/messages", &t.login(CITY_LEADER).await).await;
    assert_eq!(inbox["items"][0]["kind"], "membership_offer", "{inbox}");

    // Bureau users read the staff of their schools; other schools' admins do not.
    let (status, _) = t
        .get(
            &format!("/api/v1/schools/{school}/staff"),
            &t.login(STREET_OFFICER).await,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .get(
            &format!("/api/v1/schools/{school}/staff"),
            &t.login(SCHOOL2_ADMIN).await,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The demo staff are there.
    let (_, demo) = t
        .get(&format!("/api/v1/schools/{school}/staff?q=郑丽"), &admin)
        .await;
    assert_eq!(
        demo["items"][0]["roles"].as_array().map(Vec::len),
        Some(2),
        "{demo}"
    );
}

#[tokio::test]
async fn c3_c4_classes_and_rooms_import_and_update_by_key() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let headers: Vec<&str> = kehou_service::school::admin_class::IMPORT_COLUMNS
        .iter()
        .map(|c| c.title)
        .collect();
    let rows = vec![
        row(&["2026-2027", "三年级", "2", "向日葵班", HEAD_TEACHER]),
        row(&["2026-2027", "6", "9", "", ""]),
        row(&["2026-2027", "七年级", "1", "", ""]),
        row(&["2026", "一年级", "1", "", ""]),
        row(&["2026-2027", "一年级", "1", "", PARENT]),
    ];
    let job = import(
        &t,
        &admin,
        school,
        "admin_classes",
        "all_or_nothing",
        xlsx(&headers, &rows),
    )
    .await;
    assert_eq!(job["outcome"]["committed"], false);
    assert!(has_error(&job, 4, "年级", "七年级"), "{job}");
    assert!(has_error(&job, 5, "学年", "2026-2027"), "{job}");
    assert!(has_error(&job, 6, "班主任手机号", "教职工"), "{job}");
    let job = import(
        &t,
        &admin,
        school,
        "admin_classes",
        "good_rows",
        xlsx(&headers, &rows),
    )
    .await;
    assert_eq!(job["outcome"]["created"], 1, "{job}");
    assert_eq!(job["outcome"]["updated"], 1);
    let (_, third) = t
        .get(
            &format!("/api/v1/schools/{school}/admin-classes?school_year=2026-2027&grade=3"),
            &admin,
        )
        .await;
    assert!(
        third["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["alias"] == "向日葵班"),
        "{third}"
    );

    let headers: Vec<&str> = kehou_service::school::room::ROOM_COLUMNS
        .iter()
        .map(|c| c.title)
        .collect();
    let rows = vec![
        row(&["美术室", "综合楼三楼", "美术", "50", "停用"]),
        row(&["书法室", "", "书法", "30", ""]),
        row(&["舞蹈室", "", "", "十", ""]),
        row(&["", "", "", "10", "维修"]),
    ];
    let job = import(
        &t,
        &admin,
        school,
        "rooms",
        "good_rows",
        xlsx(&headers, &rows),
    )
    .await;
    assert_eq!(job["outcome"]["created"], 1, "{job}");
    assert_eq!(job["outcome"]["updated"], 1);
    assert!(has_error(&job, 4, "容纳人数", "整数"), "{job}");
    assert!(has_error(&job, 5, "名称", "不能为空"), "{job}");
    assert!(has_error(&job, 5, "状态", "停用"), "{job}");
    let (_, rooms) = t
        .get(&format!("/api/v1/schools/{school}/rooms?q=美术室"), &admin)
        .await;
    assert_eq!(rooms["items"][0]["capacity"], 50);
    assert_eq!(rooms["items"][0]["available"], false);
}

#[tokio::test]
async fn c6_pages_list_filter_export_and_import_through_the_browser() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get("/students").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/schools/{school}/students?q=周")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("周杰（父亲）138****0007"),
        "guardian masked"
    );
    assert!(page.body.contains("4420**********"), "ID masked");

    // Export with a class filter: only that class, masked.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, classes) = t
        .get(
            &format!("/api/v1/schools/{school}/admin-classes?school_year=2026-2027&grade=3"),
            &admin,
        )
        .await;
    let class = classes["items"]
        .as_array()
        .and_then(|i| i.iter().find(|c| c["number"] == 2))
        .expect("三年级(2)班");
    let (_, list) = t
        .get(
            &format!("/api/v1/schools/{school}/students?class_id={}", class["id"]),
            &admin,
        )
        .await;
    let export = b
        .get_bytes(&format!(
            "/schools/{school}/students/export?class_id={}",
            class["id"]
        ))
        .await;
    let rows = sheet::read(
        &export,
        kehou_service::import::Kind::Students.columns(),
        &[],
    )
    .expect("export reads back");
    assert_eq!(rows.len() as u64, list["total"].as_u64().expect("total"));
    assert!(rows.iter().all(|r| r.cells[5] == "三年级(2)班"));
    assert!(rows.iter().all(|r| r.cells[3].contains("**********")));
    assert!(rows.iter().all(|r| r.cells[8].contains("****")));

    // Upload through the page: the job page, then the result.
    let form = b.get(&format!("/schools/{school}/imports/students")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("下载导入模板"));
    let csrf = Browser::csrf(&form);
    let file = xlsx(
        &STUDENT_HEADERS,
        &[student("P001", "页面导入", 21, "13955550001")],
    );
    let sent = b
        .upload(
            &format!("/schools/{school}/imports/students"),
            &[("_csrf", &csrf), ("mode", "all_or_nothing")],
            "名单.xlsx",
            &file,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let mut job = b.get(&sent.location).await;
    for _ in 0..200 {
        if !job.body.contains("http-equiv=\"refresh\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        job = b.get(&sent.location).await;
    }
    assert!(
        job.body.contains("导入完成：共 1 行，新增 1"),
        "{}",
        job.body
    );
    assert!(job.body.contains("名单.xlsx"));

    // A forged upload (wrong token) and an empty file are refused on the page.
    let forged = b
        .upload(
            &format!("/schools/{school}/imports/students"),
            &[("_csrf", "x")],
            "a.xlsx",
            &file,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let empty = b
        .upload(
            &format!("/schools/{school}/imports/students"),
            &[("_csrf", &csrf)],
            "a.xlsx",
            b"",
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("文件为空"));

    // Bureau officers read the list, masked, with no import or create.
    let mut officer = Browser::new(&t);
    officer.login(STREET_OFFICER, PASSWORD).await;
    let page = officer.get(&format!("/students?school_id={school}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("138****0007"));
    assert!(!page.body.contains("Excel导入"));
    assert!(!page.body.contains("新增学生"));
    // Parents have no student list.
    let mut parent = Browser::new(&t);
    parent.login(PARENT, PASSWORD).await;
    let page = parent.get(&format!("/schools/{school}/students")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn c6_student_page_reveals_the_id_once_with_an_audit_entry() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/students?q=周俊"), &admin)
        .await;
    let sid = list["items"][0]["id"].as_i64().expect("周俊");
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/students/{sid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("查看完整号码"));
    let csrf = Browser::csrf(&page);
    let before = t.audit_count("personal.view").await;
    let shown = b
        .post(
            &format!("/schools/{school}/students/{sid}/id-number"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let (_, full) = t
        .get(
            &format!("/api/v1/schools/{school}/students/{sid}/id-number"),
            &admin,
        )
        .await;
    let whole = full["id_number"].as_str().expect("id number");
    assert!(shown.body.contains(whole));
    assert_eq!(t.audit_count("personal.view").await, before + 2);
    // The next view is masked again.
    let again = b.get(&format!("/schools/{school}/students/{sid}")).await;
    assert!(!again.body.contains(whole));

    // Adding a guardian with a bad phone shows the error and adds nobody.
    let bad = b
        .post(
            &format!("/schools/{school}/students/{sid}/guardians"),
            &[
                ("_csrf", &csrf),
                ("name", "某某"),
                ("phone", "12"),
                ("relation", "其他"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let (_, after) = t
        .get(&format!("/api/v1/schools/{school}/students/{sid}"), &admin)
        .await;
    assert_eq!(
        after["guardians"].as_array().map(Vec::len),
        list["items"][0]["guardians"].as_array().map(Vec::len)
    );
}

#[tokio::test]
async fn c1_c3_grades_follow_the_school_type_with_classes_and_students() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let (status, grades) = t
        .get(&format!("/api/v1/schools/{school}/grades"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{grades}");
    let grades = grades.as_array().expect("grades");
    assert_eq!(grades.len(), 6);
    assert_eq!(grades[2]["name"], "三年级");
    assert_eq!(grades[2]["stage"], "小学");
    assert_eq!(grades[2]["classes"], 3);
    let total: u64 = grades.iter().filter_map(|g| g["students"].as_u64()).sum();
    assert_eq!(total, student_count(&t, &admin, school).await);
    let middle = t.org_id("示例实验中学").await;
    let (status, _) = t
        .get(&format!("/api/v1/schools/{middle}/grades"), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another school");
    let (_, mid) = t
        .get(
            &format!("/api/v1/schools/{middle}/grades?school_year=2030-2031"),
            &t.login(CITY_LEADER).await,
        )
        .await;
    assert_eq!(mid[0]["name"], "七年级", "{mid}");
    assert_eq!(mid[0]["classes"], 0);
}

#[tokio::test]
async fn c3_a_queued_import_page_refreshes_and_links_back_to_its_list() {
    let t = TestApp::without_worker(kehou_web::WebConfig::default()).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let headers = ["学年", "年级", "班号", "班级别名", "班主任手机号"];
    let rows = vec![row(&["2026-2027", "一年级", "9", "", ""])];
    let (status, job) = upload(
        &t,
        &admin,
        school,
        "admin_classes",
        "all_or_nothing",
        xlsx(&headers, &rows),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!("/schools/{school}/imports/jobs/{}", job["id"]))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("排队中"), "{}", page.body);
    assert!(
        page.body.contains("http-equiv=\"refresh\""),
        "a queued job's page refreshes"
    );
    assert!(
        page.body
            .contains(&format!("href=\"/schools/{school}/admin-classes\"")),
        "{}",
        page.body
    );
}

/// A workbook whose shared strings are rewritten: `PLACEHOLDER` becomes `replacement`.
fn with_shared_string(bytes: &[u8], replacement: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..source.len() {
        let mut entry = source.by_index(i).expect("entry");
        let name = entry.name().expect("name").to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read");
        if name == "xl/sharedStrings.xml" {
            content = String::from_utf8(content)
                .expect("utf-8")
                .replace("PLACEHOLDER", replacement)
                .into_bytes();
        }
        out.start_file(name, options).expect("start");
        out.write_all(&content).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[tokio::test]
async fn p4_hostile_workbooks_fail_their_job_not_the_server() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;

    // A 2 KB file declaring a cell at XFD1048576.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in STUDENT_HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet
        .write_string(1_048_575, 16_383, "x")
        .expect("far cell");
    let far = book.save_to_buffer().expect("save");
    assert!(far.len() < 10_000, "{} bytes", far.len());
    let job = import(&t, &admin, school, "students", "all_or_nothing", far).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("超过 200 列"),
        "{job}"
    );

    // A small file that unpacks a 50 MB string.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in STUDENT_HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet.write_string(1, 1, "PLACEHOLDER").expect("cell");
    let huge = with_shared_string(
        &book.save_to_buffer().expect("save"),
        &"甲".repeat(16_000_000),
    );
    assert!(huge.len() < 1_000_000, "{} bytes", huge.len());
    let job = import(&t, &admin, school, "students", "all_or_nothing", huge).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("32767"),
        "{job}"
    );

    // The server still answers everyone.
    assert_eq!(t.try_login(SCHOOL2_ADMIN, PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn c6_the_import_applies_the_forms_class_rule() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let mut at_school = student("K0001", "空班在读", 1, "13900000301");
    at_school[5] = String::new();
    let mut graduate = student("K0002", "空班毕业", 2, "13900000302");
    graduate[5] = String::new();
    graduate[6] = "毕业".into();
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "good_rows",
        xlsx(&STUDENT_HEADERS[..10], &[at_school, graduate]),
    )
    .await;
    assert_eq!(job["outcome"]["created"], 1, "{job}");
    assert!(has_error(&job, 2, "班级", "在读学生须有班级"), "{job}");
}

/// An import that updates a student records what changed, old → new, per row.
#[tokio::test]
async fn a7_an_import_records_what_each_row_changed() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/students?q=周俊"), &admin)
        .await;
    let s = list["items"][0].clone();
    let headers: Vec<&str> = kehou_service::school::student_import::COLUMNS
        .iter()
        .map(|c| c.title)
        .collect();
    let no = s["student_no"].as_str().expect("no");
    let job = import(
        &t,
        &admin,
        school,
        "students",
        "all_or_nothing",
        xlsx(
            &headers,
            &[row(&[
                no,
                "周小俊",
                "男",
                "",
                "",
                "三年级(3)班",
                "在读",
                "周杰",
                PARENT,
                "父亲",
                "",
                "",
                "",
            ])],
        ),
    )
    .await;
    assert_eq!(job["outcome"]["updated"], 1, "{job}");
    let (_, events) = t
        .get(
            &format!(
                "/api/v1/audit-events?entity_type=student&entity_id={}",
                s["id"]
            ),
            &admin,
        )
        .await;
    let summary = events["items"][0]["summary"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(summary.starts_with("导入更新学生 周俊"), "{summary}");
    assert!(summary.contains("姓名：周俊 → 周小俊"), "{summary}");
    assert!(
        summary.contains("三年级(2)班 → 2026-2027 三年级(3)班"),
        "{summary}"
    );
}

/// A sheet with many bad rows answers its errors a page at a time; the report has them all.
#[tokio::test]
async fn p4_an_import_answers_its_row_errors_in_pages() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let headers: Vec<&str> = kehou_service::school::admin_class::IMPORT_COLUMNS
        .iter()
        .map(|c| c.title)
        .collect();
    // 45 rows, each with a bad grade.
    let rows: Vec<Vec<String>> = (1..=45)
        .map(|n| row(&["2026-2027", "九十年级", &n.to_string(), "", ""]))
        .collect();
    let job = import(
        &t,
        &admin,
        school,
        "admin_classes",
        "all_or_nothing",
        xlsx(&headers, &rows),
    )
    .await;
    assert_eq!(job["errors_total"], 45, "{job}");
    assert_eq!(
        job["outcome"]["errors"].as_array().map(Vec::len),
        Some(20),
        "the first page"
    );
    let id = job["id"].as_i64().expect("id");
    let path = format!("/api/v1/schools/{school}/imports/jobs/{id}");
    let (status, page3) = t
        .get(&format!("{path}?errors_page=3&errors_page_size=20"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let errors = page3["outcome"]["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0]["row"], 42, "rows 2–46, the 41st error is row 42");
    for bad in ["errors_page=0", "errors_page_size=101", "errors_page=x"] {
        assert_eq!(
            t.get(&format!("{path}?{bad}"), &admin).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // The page shows a pager; the report holds all 45.
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!("/schools/{school}/imports/jobs/{id}?page=3"))
        .await;
    assert!(page.body.contains("共 45 条，第 3 / 3 页"), "{}", page.body);
    let report = b
        .get_bytes(&format!("/schools/{school}/imports/jobs/{id}/report"))
        .await;
    assert_eq!(workbook_rows(&report).len(), 46, "a header and 45 errors");
}
