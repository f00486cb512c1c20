//! The whole flow on the pages, as a new user would go through it: the school admin
//! makes a teaching class, runs scheduling, moves a lesson onto a clash, sees it, fixes it and
//! prints the school's timetable; the parent sees the child's week and subscribes to it.

use axum::http::StatusCode;

use super::{classes_path, current_term, item, staff_id};
use crate::common::{PARENT, PASSWORD, SCHOOL1_ADMIN, TestApp};
use crate::pages::Browser;

#[tokio::test]
async fn e1_g1_the_school_schedules_in_the_browser_and_the_parent_subscribes() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let token = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &token, school).await;
    let math = item(&t, &token, school, term, "趣味数学").await;
    let zhao = staff_id(&t, &token, school, "赵敏").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;

    // A new class of an approved course, on the page.
    let list = b
        .get(&format!("/schools/{school}/teaching?term={term}"))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let csrf = Browser::csrf(&list);
    let created = b
        .post(
            &format!("/schools/{school}/teaching?term={term}"),
            &[
                ("_csrf", &csrf),
                ("item_id", &math["id"].to_string()),
                ("name", "数学拓展班"),
                ("capacity_max", "25"),
                ("weekly_lessons", "1"),
                ("staff_ids", &zhao.to_string()),
            ],
        )
        .await;
    assert!(created.status.is_redirection(), "{}", created.body);
    let list = b.get(&created.location).await;
    assert!(
        list.body.contains("数学拓展班") && list.body.contains("待排课"),
        "{}",
        list.body
    );

    // Scheduling runs in the background; the page shows it until it is done.
    let grid_path = format!("/schools/{school}/schedule?term={term}");
    let started = b
        .post(
            &format!("/schools/{school}/schedule/runs?term={term}"),
            &[("_csrf", &csrf), ("seconds", "5")],
        )
        .await;
    assert!(started.status.is_redirection(), "{}", started.body);
    let mut grid = b.get(&started.location).await;
    for _ in 0..300 {
        if !grid.body.contains("data-refresh") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        grid = b.get(&grid_path).await;
    }
    assert!(grid.body.contains("已完成"), "{}", grid.body);
    assert!(grid.body.contains("无冲突"), "{}", grid.body);

    // Move the new lesson onto another of 赵敏's: the page shows the clash, with a link.
    let (_, classes) = t.get(&classes_path(school, term), &token).await;
    let classes = classes["items"].as_array().unwrap().clone();
    let mine = classes.iter().find(|c| c["name"] == "数学拓展班").unwrap();
    let other = classes
        .iter()
        .find(|c| {
            c["name"] != "数学拓展班"
                && c["teachers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["staff_id"] == zhao)
        })
        .unwrap();
    let slot = &mine["slots"][0];
    let target = &other["slots"][0];
    let moved = b
        .post(
            &format!(
                "/schools/{school}/schedule/slots/{}?term={term}",
                slot["id"]
            ),
            &[
                ("_csrf", &csrf),
                (
                    "time",
                    &format!("{}-{}", target["weekday"], target["period_no"]),
                ),
            ],
        )
        .await;
    assert!(
        moved.location.contains("notice=moved_conflict"),
        "{}",
        moved.location
    );
    let page = b.get(&moved.location).await;
    assert!(
        page.body.contains("教师冲突") && page.body.contains("赵敏"),
        "{}",
        page.body
    );
    assert!(page.body.contains("去调整"));
    // Fixed: back where the solver had put it.
    let fixed = b
        .post(
            &format!(
                "/schools/{school}/schedule/slots/{}?term={term}",
                slot["id"]
            ),
            &[
                ("_csrf", &csrf),
                (
                    "time",
                    &format!("{}-{}", slot["weekday"], slot["period_no"]),
                ),
                ("locked", "1"),
            ],
        )
        .await;
    assert!(
        fixed.location.contains("notice=moved#"),
        "{}",
        fixed.location
    );
    let page = b.get(&grid_path).await;
    assert!(page.body.contains("无冲突"), "{}", page.body);

    // The school's timetable, ready to print.
    let printable = b
        .get(&format!(
            "/timetable?view=school&id={school}&date=2026-09-07"
        ))
        .await;
    assert_eq!(printable.status, StatusCode::OK);
    assert!(
        printable.body.contains("data-print") && printable.body.contains("数学拓展班"),
        "{}",
        printable.body
    );

    // The parent: the child's week, and a calendar feed to subscribe to.
    let mut p = Browser::new(&t);
    p.login(PARENT, PASSWORD).await;
    let week = p.get("/me/timetable?date=2026-09-07").await;
    assert_eq!(week.status, StatusCode::OK);
    assert!(
        week.body.matches("class=\"tt-entry\"").count() >= 2,
        "the child's two classes: {}",
        week.body
    );
    let made = p
        .post("/me/calendar-feed", &[("_csrf", &Browser::csrf(&week))])
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let start = made.body.find("/calendar/").expect("the feed's link");
    let link: String = made.body[start..]
        .chars()
        .take_while(|c| *c != '<' && *c != '"')
        .collect();
    assert!(link.ends_with(".ics"), "{link}");
    let mut phone = Browser::new(&t);
    let feed = phone.get(&link).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.body.contains("BEGIN:VEVENT"), "{}", feed.body);
}
