//! Patrol tasks (巡课任务, J1): the school names a patrol teacher, the weekdays and the span,
//! and how many lessons a day to patrol; each task shows its completion — the due days on
//! which the teacher patrolled enough lessons.

use std::collections::HashMap;

use chrono::NaiveDate;
use kehou_domain::supervision::{TASK_MAX_DAYS, due_days, weekdays, weekdays_label};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::supervision::{patrol_record, patrol_task};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::platform::audit::By;
use crate::{Actor, App, Error, Result};

pub const ACTIVE: &str = "active";
pub const CLOSED: &str = "closed";

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TaskInput {
    /// A member of the school holding `patrol.record` (see the patrol teachers list).
    pub user_id: Option<i64>,
    /// At most 50 characters, e.g. 第十三周巡课.
    pub title: String,
    /// `YYYY-MM-DD`.
    pub from: String,
    /// `YYYY-MM-DD`; at most 200 days after `from`.
    pub to: String,
    /// 1 (Monday) to 7 (Sunday).
    pub weekdays: Vec<u32>,
    /// Lessons to patrol on each due day, 1 to 20.
    pub lessons_per_day: Option<i32>,
    /// At most 200 characters.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub patroller_name: String,
    pub title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub weekdays: String,
    /// 周一、周三、周五
    pub weekdays_label: String,
    pub lessons_per_day: i32,
    pub note: String,
    /// active or closed.
    pub status: String,
    /// 进行中, 未开始, 已结束, 已停止
    pub status_label: &'static str,
    /// Due days up to today (or the task's end).
    pub days_due: usize,
    /// Due days on which enough lessons were patrolled.
    pub days_done: usize,
    /// Lessons patrolled on the task's due days so far.
    pub lessons_patrolled: i64,
    /// Today: lessons patrolled, and whether today is a due day.
    pub today_patrolled: i64,
    pub due_today: bool,
}

/// A patrol teacher the school may give a task to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Patroller {
    pub user_id: i64,
    pub name: String,
}

/// The school's members holding `patrol.record`, by name.
pub(crate) async fn patrollers_of(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<Vec<Patroller>> {
    let ids = crate::identity::auth::members_with(db, school_id, Permission::PatrolRecord).await?;
    let names = crate::identity::account::names_of(db, &ids).await?;
    let mut out: Vec<Patroller> = ids
        .into_iter()
        .map(|user_id| Patroller {
            user_id,
            name: names.get(&user_id).cloned().unwrap_or_default(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The school's patrol teachers (`patrol.manage`).
pub async fn patrollers(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<Patroller>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::PatrolManage).await?;
    patrollers_of(&app.db, school.id).await
}

/// Records a patrol teacher made per day, from `from` to `to`.
async fn patrolled_per_day(
    db: &impl ConnectionTrait,
    user_ids: Vec<i64>,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<(i64, NaiveDate), i64>> {
    let rows: Vec<(i64, NaiveDate, i64)> = patrol_record::Entity::find()
        .select_only()
        .column(patrol_record::Column::UserId)
        .column(patrol_record::Column::LessonDate)
        .column_as(patrol_record::Column::Id.count(), "n")
        .filter(patrol_record::Column::SchoolId.eq(school_id))
        .filter(patrol_record::Column::UserId.is_in(user_ids))
        .filter(patrol_record::Column::LessonDate.gte(from))
        .filter(patrol_record::Column::LessonDate.lte(to))
        .group_by(patrol_record::Column::UserId)
        .group_by(patrol_record::Column::LessonDate)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(u, d, n)| ((u, d), n)).collect())
}

/// Tasks with their completion as of `today`.
pub(crate) async fn views(
    db: &impl ConnectionTrait,
    tasks: Vec<patrol_task::Model>,
    today: NaiveDate,
) -> Result<Vec<TaskView>> {
    let Some(school_id) = tasks.first().map(|t| t.school_id) else {
        return Ok(Vec::new());
    };
    let from = tasks.iter().map(|t| t.from_date).min().unwrap_or(today);
    let to = tasks
        .iter()
        .map(|t| t.to_date)
        .max()
        .unwrap_or(today)
        .min(today);
    let users: Vec<i64> = tasks.iter().map(|t| t.user_id).collect();
    let per_day = patrolled_per_day(db, users, school_id, from, to).await?;
    Ok(tasks
        .into_iter()
        .map(|t| {
            let due = due_days(&t.weekdays, t.from_date, t.to_date.min(today));
            let counts: Vec<i64> = due
                .iter()
                .map(|d| per_day.get(&(t.user_id, *d)).copied().unwrap_or(0))
                .collect();
            let status_label = if t.status == CLOSED {
                "已停止"
            } else if today < t.from_date {
                "未开始"
            } else if today > t.to_date {
                "已结束"
            } else {
                "进行中"
            };
            TaskView {
                id: t.id,
                school_id: t.school_id,
                user_id: t.user_id,
                weekdays_label: weekdays_label(&t.weekdays),
                days_due: due.len(),
                days_done: counts
                    .iter()
                    .filter(|n| **n >= i64::from(t.lessons_per_day))
                    .count(),
                lessons_patrolled: counts.iter().sum(),
                today_patrolled: per_day.get(&(t.user_id, today)).copied().unwrap_or(0),
                due_today: t.status == ACTIVE
                    && (t.from_date..=t.to_date).contains(&today)
                    && kehou_domain::supervision::due_on(&t.weekdays, today),
                patroller_name: t.patroller_name,
                title: t.title,
                from: t.from_date,
                to: t.to_date,
                weekdays: t.weekdays,
                lessons_per_day: t.lessons_per_day,
                note: t.note,
                status_label,
                status: t.status,
            }
        })
        .collect())
}

/// One task with its completion.
async fn one(
    db: &impl ConnectionTrait,
    t: patrol_task::Model,
    today: NaiveDate,
) -> Result<TaskView> {
    views(db, vec![t], today)
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound("巡课任务"))
}

/// The school's tasks, newest first, at most 200 (`patrol.manage`).
pub async fn list(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<TaskView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::PatrolManage).await?;
    let tasks = patrol_task::Entity::find()
        .filter(patrol_task::Column::SchoolId.eq(school.id))
        .order_by_desc(patrol_task::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?;
    views(&app.db, tasks, app.today()).await
}

/// The actor's own active tasks at a school that cover today.
pub(crate) async fn mine_today(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<TaskView>> {
    let today = app.today();
    let tasks = patrol_task::Entity::find()
        .filter(patrol_task::Column::SchoolId.eq(school_id))
        .filter(patrol_task::Column::UserId.eq(actor.user_id))
        .filter(patrol_task::Column::Status.eq(ACTIVE))
        .filter(patrol_task::Column::FromDate.lte(today))
        .filter(patrol_task::Column::ToDate.gte(today))
        .order_by_asc(patrol_task::Column::Id)
        .all(&app.db)
        .await?;
    views(&app.db, tasks, today).await
}

/// Gives a patrol teacher a task (`patrol.manage`); they are told in their messages.
pub async fn create(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: TaskInput,
) -> Result<TaskView> {
    let db = &app.db;
    let school = crate::school::school_for(db, actor, school_id, Permission::PatrolManage).await?;
    let mut invalid = Invalid::default();
    let title = invalid.text("title", &input.title, 50);
    let note = invalid.multiline("note", Some(&input.note), 200);
    let from = match input.from.trim() {
        "" => {
            invalid.push("from", "请填写开始日期");
            None
        }
        v => invalid.date("from", v),
    };
    let to = match input.to.trim() {
        "" => {
            invalid.push("to", "请填写结束日期");
            None
        }
        v => invalid.date("to", v),
    };
    let days = invalid.take("weekdays", weekdays(&input.weekdays));
    let per_day = match input.lessons_per_day {
        Some(n) if (1..=20).contains(&n) => Some(n),
        Some(_) => {
            invalid.push("lessons_per_day", "每天巡课节数应为1到20");
            None
        }
        None => {
            invalid.push("lessons_per_day", "请填写每天巡课节数");
            None
        }
    };
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            invalid.push("to", "结束日期不能早于开始日期");
        } else if (t - f).num_days() >= TASK_MAX_DAYS {
            invalid.push("to", format!("一个任务最多{TASK_MAX_DAYS}天"));
        } else if t < app.today() {
            invalid.push("to", "结束日期已过");
        }
    }
    let patrollers = patrollers_of(db, school.id).await?;
    let patroller = match input.user_id {
        None => {
            invalid.push("user_id", "请选择巡课教师");
            None
        }
        Some(id) => {
            let p = patrollers.into_iter().find(|p| p.user_id == id);
            if p.is_none() {
                invalid.push("user_id", "请选择本校的巡课教师");
            }
            p
        }
    };
    if !invalid.is_empty() {
        return Err(Error::Invalid(invalid.0));
    }
    let (Some(title), Some(note), Some(from), Some(to), Some(days), Some(per_day), Some(patroller)) =
        (title, note, from, to, days, per_day, patroller)
    else {
        return Err(Error::invalid("title", "请检查填写的内容"));
    };
    let txn = kehou_store::begin_write(db).await?;
    let row = patrol_task::ActiveModel {
        school_id: Set(school.id),
        user_id: Set(patroller.user_id),
        patroller_name: Set(patroller.name.chars().take(50).collect()),
        title: Set(title.clone()),
        from_date: Set(from),
        to_date: Set(to),
        weekdays: Set(days.clone()),
        lessons_per_day: Set(per_day),
        note: Set(note),
        status: Set(ACTIVE.into()),
        created_by: Set(actor.user_id),
        created_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::platform::audit::record_at_school(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "patrol.task",
        ("patrol_task", row.id),
        format!(
            "巡课任务“{title}”：{}，{from} 至 {to} {}，每天{per_day}节",
            patroller.name,
            weekdays_label(&days)
        ),
    )
    .await?;
    crate::platform::messages::send(
        &txn,
        patroller.user_id,
        crate::platform::messages::NewMessage {
            kind: "patrol",
            title: format!("巡课任务：{title}"),
            body: format!(
                "{} 请您 {from} 至 {to} 每逢{}巡课，每天{per_day}节。打开“巡课”查看当天课程。",
                school.name,
                weekdays_label(&days)
            ),
            link: Some("/patrol".into()),
        },
        app.now(),
    )
    .await?;
    txn.commit().await?;
    crate::platform::messages::announce(app, patroller.user_id);
    one(db, row, app.today()).await
}

/// Stops a task early (`patrol.manage`); a closed task stays closed.
pub async fn close(app: &App, actor: &Actor, task_id: i64) -> Result<TaskView> {
    actor.require(Permission::PatrolManage)?;
    let db = &app.db;
    let t = patrol_task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("巡课任务"))?;
    let school = crate::school::school_for(db, actor, t.school_id, Permission::PatrolManage)
        .await
        .map_err(|e| match e {
            Error::Forbidden(_) => e,
            _ => Error::NotFound("巡课任务"),
        })?;
    if t.status == CLOSED {
        return Err(Error::conflict("该巡课任务已停止"));
    }
    let txn = kehou_store::begin_write(db).await?;
    let mut a = t.clone().into_active_model();
    a.status = Set(CLOSED.into());
    let t = a.update(&txn).await?;
    crate::platform::audit::record_at_school(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "patrol.task_close",
        ("patrol_task", t.id),
        format!("停止巡课任务“{}”（{}）", t.title, t.patroller_name),
    )
    .await?;
    txn.commit().await?;
    one(db, t, app.today()).await
}
