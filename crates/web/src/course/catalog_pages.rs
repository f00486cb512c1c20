//! Course pages (D6, D11): a school's or institution's courses, a new course and its
//! changes (syllabus one chapter a line, materials one a line), a course with its library
//! entries; and the libraries (D8): submissions, the reviewers' decisions.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_domain::course::{LibraryAction, LibraryStatus};
use kehou_domain::school::grade_name;
use kehou_service::Principal;
use kehou_service::course::catalog::{self, Chapter, CourseInput, CourseView, Material};
use kehou_service::course::library::{self, EntryFilter, EntryView, Kind};
use kehou_service::institution::UploadedFile;
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfFiles, CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender,
};

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "course/courses.html")]
struct ListPage {
    frame: Frame,
    items: Vec<CourseView>,
    can_manage: bool,
}

/// `/courses`: the courses of the actor's school or institution, or a bureau's jurisdiction.
pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    Ok(render(&ListPage {
        frame: frame(
            &state,
            &p,
            "课程管理",
            "/courses",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        items: catalog::list(&state.app, &actor).await?,
        can_manage: actor.can(Permission::CourseManage),
    }))
}

/// The course form as typed.
#[derive(Default)]
struct CourseForm {
    name: String,
    spec_id: String,
    intro: String,
    grades: Vec<String>,
    class_size_min: String,
    class_size_max: String,
    lesson_count: String,
    lesson_minutes: String,
    chapters: String,
    materials: String,
    active: bool,
}

impl CourseForm {
    fn from(d: &FormData) -> Self {
        Self {
            name: d.text("name"),
            spec_id: d.text("spec_id"),
            intro: d.text("intro"),
            grades: d.all("grades"),
            class_size_min: d.text("class_size_min"),
            class_size_max: d.text("class_size_max"),
            lesson_count: d.text("lesson_count"),
            lesson_minutes: d.text("lesson_minutes"),
            chapters: d.text("chapters"),
            materials: d.text("materials"),
            active: d.get("active").is_some(),
        }
    }

    fn of(c: &CourseView) -> Self {
        Self {
            name: c.name.clone(),
            spec_id: c.spec_id.to_string(),
            intro: c.intro.clone(),
            grades: c.grades.iter().map(i32::to_string).collect(),
            class_size_min: c.class_size_min.to_string(),
            class_size_max: c.class_size_max.to_string(),
            lesson_count: c.lesson_count.to_string(),
            lesson_minutes: c.lesson_minutes.to_string(),
            chapters: c
                .chapters
                .iter()
                .map(|ch| format!("{} {}", ch.number, ch.name))
                .collect::<Vec<_>>()
                .join("\n"),
            materials: c
                .materials
                .iter()
                .map(|m| format!("{} | {} | {}", m.name, m.description, m.quantity))
                .collect::<Vec<_>>()
                .join("\n"),
            active: c.active,
        }
    }

    fn has_grade(&self, g: &u8) -> bool {
        self.grades.contains(&g.to_string())
    }

    /// The typed values as input; lines that do not read are field errors.
    fn input(&self) -> Result<CourseInput, kehou_service::Error> {
        let mut invalid = kehou_domain::Invalid::default();
        let number = |invalid: &mut kehou_domain::Invalid, field: &str, v: &str| match v.trim() {
            "" => None,
            t => t.parse().map_err(|_| invalid.push(field, "应为整数")).ok(),
        };
        let mut chapters = Vec::new();
        for (i, line) in self
            .chapters
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            // "3 画竹" or "画竹" (numbered by its line).
            let (n, name) = match line.split_once(char::is_whitespace) {
                Some((n, rest)) if n.parse::<i32>().is_ok() => {
                    (n.parse().unwrap_or(0), rest.trim())
                }
                _ => (i as i32 + 1, line),
            };
            chapters.push(Chapter {
                number: n,
                name: name.to_string(),
            });
        }
        let mut materials = Vec::new();
        for line in self
            .materials
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let quantity = parts.get(2).map_or(Some(1), |q| q.parse().ok());
            match (parts.first(), quantity) {
                (Some(name), Some(quantity)) if parts.len() <= 3 => materials.push(Material {
                    name: (*name).to_string(),
                    description: parts.get(1).map(|d| d.to_string()).unwrap_or_default(),
                    quantity,
                }),
                _ => invalid.push("materials", format!("“{line}”应为：名称 | 说明 | 数量")),
            }
        }
        let input = CourseInput {
            name: Some(self.name.clone()),
            category: None,
            spec_id: number(&mut invalid, "spec_id", &self.spec_id).map(i64::from),
            intro: Some(self.intro.clone()),
            grades: Some(self.grades.iter().filter_map(|g| g.parse().ok()).collect()),
            class_size_min: number(&mut invalid, "class_size_min", &self.class_size_min),
            class_size_max: number(&mut invalid, "class_size_max", &self.class_size_max),
            lesson_count: number(&mut invalid, "lesson_count", &self.lesson_count),
            lesson_minutes: number(&mut invalid, "lesson_minutes", &self.lesson_minutes),
            chapters: Some(chapters),
            materials: Some(materials),
            active: Some(self.active),
        };
        if invalid.is_empty() {
            Ok(input)
        } else {
            Err(invalid.into())
        }
    }
}

#[derive(Template)]
#[template(path = "course/course_form.html")]
struct FormPage {
    frame: Frame,
    /// The course changed, or none for a new one.
    id: Option<i64>,
    form: CourseForm,
    errors: FormErrors,
    specs: Vec<Opt>,
    grades: Vec<u8>,
}

impl FormPage {
    fn grade_label(&self, g: &u8) -> String {
        grade_name(*g)
    }
}

async fn form_page(
    state: &AppState,
    p: &Principal,
    id: Option<i64>,
    form: Option<CourseForm>,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::CourseManage)?;
    let form = match (form, id) {
        (Some(f), _) => f,
        (None, Some(id)) => CourseForm::of(&catalog::get(&state.app, a, id).await?),
        (None, None) => CourseForm {
            lesson_minutes: "60".into(),
            active: true,
            ..Default::default()
        },
    };
    let specs = catalog::spec_choices(&state.app, a)
        .await?
        .into_iter()
        .map(|(id, label)| Opt::new(id, label))
        .collect();
    Ok(FormPage {
        frame: frame(
            state,
            p,
            if id.is_some() {
                "修改课程"
            } else {
                "新增课程"
            },
            "/courses",
            "",
        )
        .await?,
        id,
        form,
        errors,
        specs,
        grades: (1..=9).collect(),
    })
}

pub async fn new_page(State(state): State<AppState>, PageActor(p, _): PageActor) -> PageResult {
    Ok(render(
        &form_page(&state, &p, None, None, FormErrors::default()).await?,
    ))
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &form_page(&state, &p, Some(id), None, FormErrors::default()).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::CourseManage)?;
    let form = CourseForm::from(&data);
    let result = match form.input() {
        Ok(input) => catalog::create(&state.app, &actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/courses/{}?notice=created", c.id)).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, None, Some(form), errors).await?,
            ))
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::CourseManage)?;
    let form = CourseForm::from(&data);
    let result = match form.input() {
        Ok(input) => catalog::update(&state.app, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/courses/{id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, Some(id), Some(form), errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "course/course.html")]
struct DetailPage {
    frame: Frame,
    c: CourseView,
    can_manage: bool,
    bureaus: Vec<Opt>,
    error: String,
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    notice: &str,
    error: String,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    let c = catalog::get(&state.app, a, id).await?;
    let can_manage = a.can(Permission::CourseManage) && c.owner_org_id == a.org_id;
    let bureaus = if can_manage {
        library::bureaus_above(&state.app, a)
            .await?
            .into_iter()
            .map(|(id, name)| Opt::new(id, name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(DetailPage {
        frame: frame(state, p, &c.name, "/courses", notice).await?,
        c,
        can_manage,
        bureaus,
        error,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    Ok(render(
        &detail_page(
            &state,
            &p,
            id,
            q.notice.as_deref().unwrap_or(""),
            String::new(),
        )
        .await?,
    ))
}

/// Submits a course, an institution teacher or a staff member to a bureau's library; back
/// to where the form was.
pub async fn submit(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    // A teacher comes as "teacher:7" or "staff:7" from the library page's picker; anything
    // unreadable is missing, which the use case names.
    let (kind, subject) = match data.text("teacher").split_once(':') {
        Some((k, id)) => (Kind::parse(k), id.parse().ok()),
        None => (
            Kind::parse(&data.text("kind")),
            data.text("subject_id").parse().ok(),
        ),
    };
    let bureau = data.text("bureau_id").parse().ok();
    let result = library::submit(&state.app, &actor, kind, subject, bureau).await;
    let back_to_course = kind == Some(Kind::Course) && subject.is_some();
    match (result, back_to_course) {
        (Ok(_), true) => Ok(Redirect::to(&format!(
            "/courses/{}?notice=submitted",
            subject.unwrap_or_default()
        ))
        .into_response()),
        (Ok(_), false) => Ok(Redirect::to("/library?notice=submitted").into_response()),
        (Err(e), true) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let message = errors.first_message();
            Ok(rerender(
                status,
                &detail_page(&state, &p, subject.unwrap_or_default(), "", message).await?,
            ))
        }
        (Err(e), false) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &library_page(&state, &p, &LibraryQuery::default(), errors.first_message()).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct LibraryQuery {
    kind: Option<String>,
    status: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "course/library.html")]
struct LibraryPage {
    frame: Frame,
    items: Vec<EntryView>,
    kind: String,
    status: String,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    can_review: bool,
    /// The reviewer's own bureau: entries of other bureaus are read only.
    org_id: i64,
    error: String,
    /// The actor's teachers to submit ("kind:id"), and the bureaus above.
    teachers: Vec<Opt>,
    bureaus: Vec<Opt>,
}

async fn library_page(
    state: &AppState,
    p: &Principal,
    q: &LibraryQuery,
    error: String,
) -> Result<LibraryPage, PageError> {
    let a = p.actor()?;
    let kind = q.kind.clone().unwrap_or_default();
    let status = q.status.clone().unwrap_or_default();
    let filter = EntryFilter {
        kind: Kind::parse(&kind),
        status: LibraryStatus::parse(&status),
        bureau_id: None,
    };
    Ok(LibraryPage {
        frame: frame(
            state,
            p,
            "课程库与师资库",
            "/library",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        items: library::list(&state.app, a, &filter).await?,
        kind,
        status,
        kinds: Kind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.label()))
            .collect(),
        statuses: LibraryStatus::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.label()))
            .collect(),
        can_review: a.can(Permission::LibraryReview),
        org_id: a.org_id,
        error,
        teachers: if a.can(Permission::CourseManage) {
            library::own_teachers(&state.app, a)
                .await?
                .into_iter()
                .map(|(k, id, name)| Opt::new(format!("{}:{id}", k.code()), name))
                .collect()
        } else {
            Vec::new()
        },
        bureaus: if a.can(Permission::CourseManage) {
            library::bureaus_above(&state.app, a)
                .await?
                .into_iter()
                .map(|(id, name)| Opt::new(id, name))
                .collect()
        } else {
            Vec::new()
        },
    })
}

/// `/library`: the entries the actor reads, with the reviewers' decision forms.
pub async fn library_index(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<LibraryQuery>,
) -> PageResult {
    Ok(render(&library_page(&state, &p, &q, String::new()).await?))
}

pub async fn library_decide(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let action = LibraryAction::parse(&data.text("action"));
    let comment = Some(data.text("comment"));
    match library::decide(&state.app, &actor, id, action, comment).await {
        Ok(_) => Ok(Redirect::to("/library?status=submitted&notice=saved").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &library_page(&state, &p, &LibraryQuery::default(), errors.first_message()).await?,
            ))
        }
    }
}

/// Uploads pictures and attachments (the file inputs are named `picture` or `attachment`).
pub async fn add_files(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfFiles(upload): CsrfFiles,
) -> PageResult {
    actor.require(Permission::CourseManage)?;
    let result = match upload {
        Ok(form) => {
            let files = form
                .files
                .into_iter()
                .map(|f| UploadedFile {
                    kind: f.field,
                    file_name: f.file_name,
                    bytes: f.bytes,
                })
                .collect();
            catalog::add_files(&state.app, &actor, id, files).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/courses/{id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &detail_page(&state, &p, id, "", errors.first_message()).await?,
            ))
        }
    }
}

pub async fn remove_file(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((id, file_id)): PagePath<(i64, i64)>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    catalog::remove_file(&state.app, &actor, id, file_id).await?;
    Ok(Redirect::to(&format!("/courses/{id}?notice=saved")).into_response())
}

/// A picture or attachment, to anyone who may read the course.
pub async fn file(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((id, file_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let (content_type, name, bytes) = catalog::file(&state.app, &actor, id, file_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}
