//! Patrol pages. The patrol teacher (phone first): the day's lessons with their check-ins,
//! roll calls and patrol state, and one lesson's page with the roll call and the record
//! form (scores, notes, photos). The school: tasks to give and stop, and the report of a
//! period with its export; the bureau reads the report.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_domain::supervision::{PHOTOS_MAX, SCORE_MAX, SCORE_MIN};
use kehou_service::attendance::report::PeriodQuery;
use kehou_service::supervision::patrol::{self, LessonPatrol, PatrolDay, PhotoUpload, RecordInput};
use kehou_service::supervision::report::{self, PatrolReport};
use kehou_service::supervision::task::{self, Patroller, TaskInput, TaskView};
use kehou_service::{Actor, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfFiles, CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{FormData, FormErrors, Frame, PageError, PageResult, frame, rerender};

#[derive(Deserialize, Default)]
pub struct DayQuery {
    date: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "supervision/day.html")]
struct DayPage {
    frame: Frame,
    d: PatrolDay,
    manage: bool,
}

/// `GET /patrol?date=`: the patrol teacher's day at their school.
pub async fn day(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<DayQuery>,
) -> PageResult {
    let d = patrol::day(&state.app, &actor, None, q.date.as_deref()).await?;
    Ok(crate::http::page::render(&DayPage {
        frame: frame(
            &state,
            &p,
            "巡课",
            "/patrol",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        manage: actor.can(Permission::PatrolManage),
        d,
    }))
}

/// `GET /patrol/school`: the school's own patrol page.
pub async fn school_redirect(PageActor(_, actor): PageActor) -> PageResult {
    Ok(Redirect::to(&format!("/schools/{}/patrol", actor.org_id)).into_response())
}

#[derive(Template)]
#[template(path = "supervision/lesson.html")]
struct LessonPage {
    frame: Frame,
    l: LessonPatrol,
    form: RecordForm,
    scores: Vec<i32>,
    photos_max: usize,
    errors: FormErrors,
}

/// The record form as shown: the caller's record, or what they sent.
#[derive(Default)]
struct RecordForm {
    lesson_score: String,
    teacher_score: String,
    teacher_present: String,
    students_seen: String,
    note: String,
}

impl RecordForm {
    fn of(l: &LessonPatrol) -> Self {
        match &l.mine {
            Some(r) => Self {
                lesson_score: r.lesson_score.to_string(),
                teacher_score: r.teacher_score.to_string(),
                teacher_present: if r.teacher_present { "1" } else { "0" }.into(),
                students_seen: r.students_seen.map(|n| n.to_string()).unwrap_or_default(),
                note: r.note.clone(),
            },
            None => Self {
                teacher_present: "1".into(),
                ..Default::default()
            },
        }
    }

    fn from_data(data: &FormData) -> Self {
        Self {
            lesson_score: data.text("lesson_score"),
            teacher_score: data.text("teacher_score"),
            teacher_present: data.text("teacher_present"),
            students_seen: data.text("students_seen"),
            note: data.text("note"),
        }
    }
}

async fn lesson_page(
    state: &AppState,
    p: &Principal,
    actor: &Actor,
    lesson_id: i64,
    notice: &str,
    form: Option<RecordForm>,
    (status, errors): (StatusCode, FormErrors),
) -> PageResult {
    let l = patrol::lesson(&state.app, actor, lesson_id).await?;
    Ok(rerender(
        status,
        &LessonPage {
            frame: frame(state, p, "巡课记录", "/patrol", notice).await?,
            form: form.unwrap_or_else(|| RecordForm::of(&l)),
            l,
            scores: (SCORE_MIN..=SCORE_MAX).rev().collect(),
            photos_max: PHOTOS_MAX,
            errors,
        },
    ))
}

/// `GET /patrol/lessons/{id}`: the lesson's attendance, roll call and the record form.
pub async fn lesson(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    PageQuery(q): PageQuery<DayQuery>,
) -> PageResult {
    lesson_page(
        &state,
        &p,
        &actor,
        lesson_id,
        q.notice.as_deref().unwrap_or(""),
        None,
        (StatusCode::OK, FormErrors::default()),
    )
    .await
}

/// A whole number a form sent; blank is none, anything else unreadable is `Err`.
fn whole(data: &FormData, key: &str) -> Result<Option<i32>, kehou_service::Error> {
    match data.text(key).trim() {
        "" => Ok(None),
        v => v
            .parse::<i32>()
            .map(Some)
            .map_err(|_| kehou_service::Error::invalid(key, "请填写整数")),
    }
}

/// `POST /patrol/lessons/{id}`: saves the caller's record of the lesson.
pub async fn save(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = (|| {
        Ok(RecordInput {
            lesson_score: whole(&data, "lesson_score")?,
            teacher_score: whole(&data, "teacher_score")?,
            teacher_present: match data.text("teacher_present").as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            },
            students_seen: whole(&data, "students_seen")?,
            note: data.text("note"),
        })
    })();
    let result = match input {
        Ok(input) => patrol::save(&state.app, &actor, lesson_id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/patrol/lessons/{lesson_id}?notice=patrol_saved"))
                .into_response(),
        ),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            lesson_page(
                &state,
                &p,
                &actor,
                lesson_id,
                "",
                Some(RecordForm::from_data(&data)),
                errors,
            )
            .await
        }
    }
}

/// `POST /patrol/records/{id}/photos`: photos for the caller's record (file inputs named
/// `photos`; the form names its lesson in `lesson_id`).
pub async fn add_photos(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(record_id): PagePath<i64>,
    CsrfFiles(upload): CsrfFiles,
) -> PageResult {
    let (lesson_id, result) = match upload {
        Ok(form) => {
            let lesson_id = form
                .fields
                .get("lesson_id")
                .and_then(|v| v.trim().parse::<i64>().ok());
            let photos = form
                .files
                .into_iter()
                .map(|f| PhotoUpload {
                    file_name: f.file_name,
                    bytes: f.bytes,
                })
                .collect();
            (
                lesson_id,
                patrol::add_photos(&state.app, &actor, record_id, photos).await,
            )
        }
        Err(e) => (None, Err(e)),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!(
            "/patrol/lessons/{}?notice=photos_added",
            r.lesson_id
        ))
        .into_response()),
        Err(e) => match lesson_id {
            Some(lesson_id) => {
                let errors = FormErrors::from_error(e)?;
                lesson_page(&state, &p, &actor, lesson_id, "", None, errors).await
            }
            None => Err(PageError(e)),
        },
    }
}

/// `GET /patrol/records/{id}/photos/{photo_id}`: a photo, to its author and the school.
pub async fn photo(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath((record_id, photo_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let (content_type, name, bytes) =
        patrol::photo(&state.app, &actor, record_id, photo_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}

#[derive(Template)]
#[template(path = "supervision/school.html")]
struct SchoolPage {
    frame: Frame,
    r: PatrolReport,
    from: String,
    to: String,
    manage: bool,
    tasks: Vec<TaskView>,
    patrollers: Vec<Patroller>,
    weekdays: Vec<(u32, &'static str, bool)>,
    form: TaskForm,
    errors: FormErrors,
}

#[derive(Default)]
struct TaskForm {
    user_id: String,
    title: String,
    from: String,
    to: String,
    lessons_per_day: String,
    note: String,
    weekdays: Vec<u32>,
}

#[derive(Deserialize, Default)]
pub struct SchoolQuery {
    from: Option<String>,
    to: Option<String>,
    notice: Option<String>,
}

async fn school_page(
    state: &AppState,
    p: &Principal,
    actor: &Actor,
    school_id: i64,
    q: &SchoolQuery,
    form: Option<TaskForm>,
    (status, errors): (StatusCode, FormErrors),
) -> PageResult {
    let r = report::school(
        &state.app,
        actor,
        school_id,
        &PeriodQuery {
            from: q.from.clone(),
            to: q.to.clone(),
        },
    )
    .await?;
    let manage = actor.can(Permission::PatrolManage);
    let (tasks, patrollers) = if manage {
        (
            task::list(&state.app, actor, school_id).await?,
            task::patrollers(&state.app, actor, school_id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let today = state.app.today();
    let form = form.unwrap_or_else(|| TaskForm {
        from: today.to_string(),
        to: (today + chrono::Duration::days(27)).to_string(),
        lessons_per_day: "2".into(),
        weekdays: vec![1, 2, 3, 4, 5],
        ..Default::default()
    });
    const NAMES: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    Ok(rerender(
        status,
        &SchoolPage {
            frame: frame(
                state,
                p,
                "巡课管理",
                "/patrol/school",
                q.notice.as_deref().unwrap_or(""),
            )
            .await?,
            from: r.from.to_string(),
            to: r.to.to_string(),
            r,
            manage,
            tasks,
            patrollers,
            weekdays: (1..=7u32)
                .map(|d| (d, NAMES[d as usize - 1], form.weekdays.contains(&d)))
                .collect(),
            form,
            errors,
        },
    ))
}

/// `GET /schools/{id}/patrol?from=&to=`: tasks and the report of a period.
pub async fn school(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<SchoolQuery>,
) -> PageResult {
    school_page(
        &state,
        &p,
        &actor,
        school_id,
        &q,
        None,
        (StatusCode::OK, FormErrors::default()),
    )
    .await
}

/// `POST /schools/{id}/patrol/tasks`: gives a patrol teacher a task.
pub async fn create_task(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = TaskForm {
        user_id: data.text("user_id"),
        title: data.text("title"),
        from: data.text("from"),
        to: data.text("to"),
        lessons_per_day: data.text("lessons_per_day"),
        note: data.text("note"),
        weekdays: data
            .all("weekday")
            .iter()
            .filter_map(|d| d.trim().parse().ok())
            .collect(),
    };
    let result = match whole(&data, "lessons_per_day") {
        Ok(per_day) => {
            task::create(
                &state.app,
                &actor,
                school_id,
                TaskInput {
                    user_id: form.user_id.trim().parse().ok(),
                    title: form.title.clone(),
                    from: form.from.clone(),
                    to: form.to.clone(),
                    weekdays: form.weekdays.clone(),
                    lessons_per_day: per_day,
                    note: form.note.clone(),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/schools/{school_id}/patrol?notice=created#tasks"))
                .into_response(),
        ),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            school_page(
                &state,
                &p,
                &actor,
                school_id,
                &SchoolQuery::default(),
                Some(form),
                errors,
            )
            .await
        }
    }
}

/// `POST /patrol/tasks/{id}/close`: stops a task.
pub async fn close_task(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(task_id): PagePath<i64>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let t = task::close(&state.app, &actor, task_id).await?;
    Ok(Redirect::to(&format!(
        "/schools/{}/patrol?notice=task_closed#tasks",
        t.school_id
    ))
    .into_response())
}

/// `GET /schools/{id}/patrol/report.xlsx?from=&to=`.
pub async fn report_xlsx(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<PeriodQuery>,
) -> PageResult {
    let r = report::school(&state.app, &actor, school_id, &q).await?;
    Ok(crate::http::xlsx::file(
        &format!("巡课统计{}至{}.xlsx", r.from, r.to),
        report::workbook(&r),
    ))
}
