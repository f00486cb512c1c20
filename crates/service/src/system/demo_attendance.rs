//! The demo's attendance at 示例第一小学: the check-in fence (a 300 m circle in GCJ-02),
//! 赵敏's lessons of the past week checked in (one late, one refused outside the fence and
//! made up with the school's approval) and their rolls called (a few absent or late); for
//! 周杰's child 周俊 a sick leave approved by the head teacher 郑丽 and a personal one
//! waiting.

use chrono::{Duration, NaiveDateTime, TimeZone};
use kehou_domain::attendance::{Mark, RequestStatus};
use kehou_store::entity::attendance::{check_in, punch_request, roll_mark, school_fence};
use kehou_store::entity::org;
use kehou_store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::demo_courses::acting_for;
use super::demo_teaching::user_id;
use crate::attendance::fence::FenceInput;
use crate::attendance::leave::LeaveInput;
use crate::{Actor, App, Error, Result};

/// Where the demo school stands (GCJ-02, 石岐, 中山).
pub const SCHOOL_1_CENTER: (f64, f64) = (22.5176, 113.3926);

fn utc(t: NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    crate::platform::clock::china()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

pub(super) async fn ensure(app: &App, school: &org::Model) -> Result<usize> {
    let has = school_fence::Entity::find()
        .filter(school_fence::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let (Some(teacher), Some(head), Some(parent), Some(admin_user)) = (
        user_id(app, "13800000006").await?,
        user_id(app, "13800000010").await?,
        user_id(app, "13800000007").await?,
        user_id(app, "13800000004").await?,
    ) else {
        return Ok(0);
    };
    let admin = Actor {
        user_id: admin_user,
        user_name: "刘芳".into(),
        ..acting_for(school, "school_admin")
    };
    crate::attendance::fence::save(
        app,
        &admin,
        school.id,
        FenceInput {
            datum: "gcj02".into(),
            kind: "circle".into(),
            center_lat: Some(SCHOOL_1_CENTER.0),
            center_lng: Some(SCHOOL_1_CENTER.1),
            radius_m: Some(300.0),
            corners: Vec::new(),
            open_before_min: Some(30),
        },
    )
    .await?;
    let mut made = 1;
    let today = app.today();
    let lessons = crate::teaching::timetable::taught_by(
        &app.db,
        teacher,
        today - Duration::days(7),
        today - Duration::days(1),
    )
    .await?;
    for (i, e) in lessons.iter().enumerate() {
        let Ok(start) = chrono::NaiveTime::parse_from_str(&e.start, "%H:%M") else {
            continue;
        };
        let start = e.date.and_time(start);
        let row = |status: &str, at: NaiveDateTime, distance: i32, request: Option<i64>| {
            check_in::ActiveModel {
                school_id: Set(school.id),
                lesson_id: Set(e.lesson_id),
                user_id: Set(teacher),
                teacher_name: Set("赵敏".into()),
                status: Set(status.into()),
                distance_m: Set(distance),
                accuracy_m: Set(25),
                request_id: Set(request),
                created_at: Set(utc(at)),
                ..Default::default()
            }
        };
        match i {
            // Refused 1.2 km away, then made up with the school's approval.
            0 => {
                row("refused", start - Duration::minutes(4), 1_236, None)
                    .insert(&app.db)
                    .await?;
                let r = punch_request::ActiveModel {
                    school_id: Set(school.id),
                    lesson_id: Set(e.lesson_id),
                    user_id: Set(teacher),
                    teacher_name: Set("赵敏".into()),
                    kind: Set("make_up".into()),
                    reason: Set("带学生外出比赛回校途中，定位在校外，实际按时到校上课".into()),
                    status: Set(RequestStatus::Approved.code().into()),
                    decided_by: Set(Some(admin_user)),
                    decided_at: Set(Some(utc(start + Duration::hours(3)))),
                    decision_note: Set("已核实".into()),
                    created_at: Set(utc(start + Duration::hours(1))),
                    ..Default::default()
                }
                .insert(&app.db)
                .await?;
                row("made_up", start + Duration::hours(3), 0, Some(r.id))
                    .insert(&app.db)
                    .await?;
            }
            1 => {
                row("late", start + Duration::minutes(6), 0, None)
                    .insert(&app.db)
                    .await?;
            }
            _ => {
                row("on_time", start - Duration::minutes(8), 0, None)
                    .insert(&app.db)
                    .await?;
            }
        }
        made += 1;
        let members =
            crate::teaching::class::members(&app.db, school.id, e.teaching_class_id).await?;
        let n = members.len();
        let marks: Vec<roll_mark::ActiveModel> = members
            .iter()
            .enumerate()
            .map(|(k, s)| {
                // Now and then the last student is absent and the one before late.
                let mark = match (i % 2, n - k) {
                    (0, 1) => Mark::Absent,
                    (1, 2) => Mark::Late,
                    _ => Mark::Present,
                };
                roll_mark::ActiveModel {
                    lesson_id: Set(e.lesson_id),
                    student_id: Set(s.student_id),
                    status: Set(mark.code().into()),
                    marked_by: Set(teacher),
                    marked_at: Set(utc(start + Duration::minutes(5))),
                    ..Default::default()
                }
            })
            .collect();
        if !marks.is_empty() {
            roll_mark::Entity::insert_many(marks).exec(&app.db).await?;
            made += n;
        }
    }
    // The other teachers' rolls of the week were called too (their check-ins are left
    // out: the school's page shows them missing); 周俊 was late once.
    let taught: std::collections::HashSet<i64> = lessons.iter().map(|e| e.lesson_id).collect();
    let child = crate::school::student::guardian_children(&app.db, parent)
        .await?
        .into_iter()
        .next();
    let mut child_late = false;
    for e in crate::teaching::timetable::of_school(
        &app.db,
        school.id,
        today - Duration::days(7),
        today - Duration::days(1),
    )
    .await?
    {
        if taught.contains(&e.lesson_id) {
            continue;
        }
        let Ok(start) = chrono::NaiveTime::parse_from_str(&e.start, "%H:%M") else {
            continue;
        };
        let at = utc(e.date.and_time(start) + Duration::minutes(5));
        let members =
            crate::teaching::class::members(&app.db, school.id, e.teaching_class_id).await?;
        let marks: Vec<roll_mark::ActiveModel> = members
            .iter()
            .map(|s| {
                let mark = if Some(s.student_id) == child && !child_late {
                    child_late = true;
                    Mark::Late
                } else {
                    Mark::Present
                };
                roll_mark::ActiveModel {
                    lesson_id: Set(e.lesson_id),
                    student_id: Set(s.student_id),
                    status: Set(mark.code().into()),
                    marked_by: Set(admin_user),
                    marked_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        made += marks.len();
        if !marks.is_empty() {
            roll_mark::Entity::insert_many(marks).exec(&app.db).await?;
        }
    }
    made += leave_for_child(app, school, parent, head).await?;
    Ok(made)
}

/// 周俊's leave: a sick day approved by 郑丽, a personal one waiting.
async fn leave_for_child(app: &App, school: &org::Model, parent: i64, head: i64) -> Result<usize> {
    let Some(child) = crate::school::student::guardian_children(&app.db, parent)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(0);
    };
    let today = app.today();
    let mut dates: Vec<chrono::NaiveDate> = crate::teaching::timetable::of_students(
        &app.db,
        &[child],
        today + Duration::days(1),
        today + Duration::days(30),
    )
    .await?
    .into_iter()
    .map(|e| e.date)
    .collect();
    dates.dedup();
    let (Some(first), Some(second)) = (dates.first().copied(), dates.get(1).copied()) else {
        return Ok(0);
    };
    let parent_actor = Actor {
        user_id: parent,
        user_name: "周杰".into(),
        ..acting_for(school, "parent")
    };
    let head_actor = Actor {
        user_id: head,
        user_name: "郑丽".into(),
        ..acting_for(school, "head_teacher")
    };
    let sick = crate::attendance::leave::create(
        app,
        &parent_actor,
        LeaveInput {
            student_id: Some(child),
            kind: "sick".into(),
            symptom: "发热".into(),
            reason: "发烧 38.2℃，在家休息".into(),
            from: first.to_string(),
            to: first.to_string(),
        },
    )
    .await?;
    crate::attendance::leave::decide(
        app,
        &head_actor,
        sick.id,
        crate::attendance::Decision {
            approve: Some(true),
            note: "注意休息，早日康复".into(),
        },
    )
    .await?;
    // The parent has read the approval; the welcome stays the one unread message.
    kehou_store::entity::platform::message::Entity::update_many()
        .col_expr(
            kehou_store::entity::platform::message::Column::ReadAt,
            kehou_store::sea_orm::sea_query::Expr::value(Some(app.now())),
        )
        .filter(kehou_store::entity::platform::message::Column::UserId.eq(parent))
        .exec(&app.db)
        .await?;
    crate::attendance::leave::create(
        app,
        &parent_actor,
        LeaveInput {
            student_id: Some(child),
            kind: "personal".into(),
            symptom: String::new(),
            reason: "回老家参加亲戚婚礼".into(),
            from: second.to_string(),
            to: second.to_string(),
        },
    )
    .await
    .map_err(|e| Error::Internal(format!("demo leave: {e}")))?;
    Ok(2)
}
