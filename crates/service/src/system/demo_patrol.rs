//! The demo's patrol and swap at 示例第一小学: a patrol task for 孙伟 (weekdays, two lessons
//! a day, from a week ago for four weeks) with his records of the past week — scores, notes,
//! one lesson whose teacher was away — one swap of 赵敏's next lesson with a colleague's,
//! approved by the school, and 郑丽's leave for the coming week waiting for the school.

use chrono::{Duration, NaiveDateTime, TimeZone};
use kehou_store::entity::org;
use kehou_store::entity::platform::message;
use kehou_store::entity::supervision::{patrol_record, patrol_task};
use kehou_store::sea_orm::sea_query::Expr;
use kehou_store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::demo_courses::acting_for;
use super::demo_teaching::user_id;
use crate::supervision::task::TaskInput;
use crate::{Actor, App, Error, Result};

fn utc(t: NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    crate::platform::clock::china()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

/// What 孙伟 wrote, in turn.
const NOTES: &[(i32, i32, bool, &str)] = &[
    (5, 5, true, "课堂秩序良好，学生参与积极"),
    (4, 4, true, "教学内容充实，个别学生注意力不集中"),
    (4, 5, true, "教师示范清楚，器材准备到位"),
    (3, 2, false, "上课十分钟后教师仍未到场，学生自习，已提醒"),
    (5, 4, true, "分组练习有序，安全措施到位"),
];

pub(super) async fn ensure(app: &App, school: &org::Model) -> Result<usize> {
    let has = patrol_task::Entity::find()
        .filter(patrol_task::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let (Some(patroller), Some(admin_user), Some(teacher)) = (
        user_id(app, "13800000009").await?,
        user_id(app, "13800000004").await?,
        user_id(app, "13800000006").await?,
    ) else {
        return Ok(0);
    };
    let admin = Actor {
        user_id: admin_user,
        user_name: "刘芳".into(),
        ..acting_for(school, "school_admin")
    };
    let today = app.today();
    crate::supervision::task::create(
        app,
        &admin,
        school.id,
        TaskInput {
            user_id: Some(patroller),
            title: "课后服务常规巡课".into(),
            from: (today - Duration::days(7)).to_string(),
            to: (today + Duration::days(21)).to_string(),
            weekdays: vec![1, 2, 3, 4, 5],
            lessons_per_day: Some(2),
            note: "每天至少巡两节，重点看教师到岗和学生安全".into(),
        },
    )
    .await
    .map_err(|e| Error::Internal(format!("demo patrol task: {e}")))?;
    let mut made = 1;
    let lessons = crate::teaching::timetable::of_school(
        &app.db,
        school.id,
        today - Duration::days(7),
        today - Duration::days(1),
    )
    .await?;
    let mut per_day: std::collections::HashMap<chrono::NaiveDate, usize> = Default::default();
    for e in &lessons {
        let n = per_day.entry(e.date).or_default();
        if *n >= 2 {
            continue;
        }
        let Ok(start) = chrono::NaiveTime::parse_from_str(&e.start, "%H:%M") else {
            continue;
        };
        let (lesson_score, teacher_score, present, note) = NOTES[made % NOTES.len()];
        let at = utc(e.date.and_time(start) + Duration::minutes(15));
        patrol_record::ActiveModel {
            school_id: Set(school.id),
            lesson_id: Set(e.lesson_id),
            lesson_date: Set(e.date),
            user_id: Set(patroller),
            patroller_name: Set("孙伟".into()),
            lesson_score: Set(lesson_score),
            teacher_score: Set(teacher_score),
            teacher_present: Set(present),
            students_seen: Set(None),
            note: Set(note.into()),
            photo_count: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(&app.db)
        .await?;
        *n += 1;
        made += 1;
    }
    made += swap(app, school, &admin, teacher).await?;
    made += teacher_leave(app, school, admin_user).await?;
    Ok(made)
}

/// 赵敏 swaps one of her lessons of the coming week with a colleague's that neither
/// clashes with; the school approves. Nothing when no pair fits.
async fn swap(app: &App, school: &org::Model, admin: &Actor, teacher: i64) -> Result<usize> {
    let today = app.today();
    let (from, to) = (today + Duration::days(1), today + Duration::days(7));
    let zhao = Actor {
        user_id: teacher,
        user_name: "赵敏".into(),
        ..acting_for(school, "teacher")
    };
    let mine = crate::teaching::timetable::taught_by(&app.db, teacher, from, to).await?;
    let mine_ids: Vec<i64> = mine.iter().map(|e| e.lesson_id).collect();
    let others: Vec<_> = crate::teaching::timetable::of_school(&app.db, school.id, from, to)
        .await?
        .into_iter()
        .filter(|e| !mine_ids.contains(&e.lesson_id) && !e.teacher_ids.is_empty())
        .collect();
    for m in mine.iter().take(3) {
        for o in others.iter().filter(|o| o.date == m.date).take(10) {
            let asked = crate::attendance::change::request(
                app,
                &zhao,
                m.lesson_id,
                crate::attendance::change::ChangeInput {
                    kind: crate::attendance::change::SWAP.into(),
                    reason: "当天下午区里教研活动，与同事对调".into(),
                    substitute_staff_id: None,
                    other_lesson_id: Some(o.lesson_id),
                },
            )
            .await;
            let Ok(c) = asked else { continue };
            crate::attendance::change::decide(
                app,
                admin,
                c.id,
                crate::attendance::change::ChangeDecision {
                    approve: Some(true),
                    note: "同意对调".into(),
                    fee_fen: Some(0),
                },
            )
            .await
            .map_err(|e| Error::Internal(format!("demo swap: {e}")))?;
            // Both teachers have read the notices; their welcome stays the one unread.
            let mut users = crate::teaching::timetable::teacher_users(&app.db, m.lesson_id).await?;
            users.extend(crate::teaching::timetable::teacher_users(&app.db, o.lesson_id).await?);
            message::Entity::update_many()
                .col_expr(message::Column::ReadAt, Expr::value(Some(app.now())))
                .filter(message::Column::UserId.is_in(users))
                .filter(message::Column::Kind.eq("attendance"))
                .exec(&app.db)
                .await?;
            return Ok(1);
        }
    }
    Ok(0)
}

/// 郑丽 asks for leave for the coming week; the school has it to decide (its notice read).
async fn teacher_leave(app: &App, school: &org::Model, admin_user: i64) -> Result<usize> {
    let Some(head) = user_id(app, "13800000010").await? else {
        return Ok(0);
    };
    let today = app.today();
    let zheng = Actor {
        user_id: head,
        user_name: "郑丽".into(),
        ..acting_for(school, "head_teacher")
    };
    let asked = crate::attendance::teacher_leave::request(
        app,
        &zheng,
        crate::attendance::teacher_leave::TeacherLeaveInput {
            from: (today + Duration::days(1)).to_string(),
            to: (today + Duration::days(7)).to_string(),
            reason: "参加区合唱指挥培训".into(),
        },
    )
    .await;
    if asked.is_err() {
        // No lesson of hers that week: nothing to ask.
        return Ok(0);
    }
    message::Entity::update_many()
        .col_expr(message::Column::ReadAt, Expr::value(Some(app.now())))
        .filter(message::Column::UserId.eq(admin_user))
        .filter(message::Column::Kind.eq("attendance"))
        .exec(&app.db)
        .await?;
    Ok(1)
}
