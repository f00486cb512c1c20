//! Student pages (C6): the list with search, class and status filters, export and import;
//! a student's page with guardians and the audited full view of the ID number. Bureau
//! users pick a school of their jurisdiction and see it read-only, masked.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_service::school::student::{
    self, GuardianInput, RELATIONS, STATUSES, StudentFilter, StudentInput, StudentPatch,
    StudentView,
};
use kehou_service::{Actor, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, ListInfo, Opt, PageError, PageResult, empty_list, frame, page_of,
    render, rerender, school_choice,
};

#[derive(Deserialize, Default)]
pub struct StudentQuery {
    school_id: Option<String>,
    q: Option<String>,
    class_id: Option<String>,
    status: Option<String>,
    page: Option<String>,
    /// Rows per page: 20, 50 or 100.
    size: Option<String>,
    notice: Option<String>,
}

impl StudentQuery {
    fn filter(&self) -> StudentFilter {
        StudentFilter {
            q: self.q.clone(),
            class_id: self.class_id.as_deref().and_then(|c| c.parse().ok()),
            status: self.status.clone().filter(|s| !s.is_empty()),
        }
    }
}

/// The new-student form: the student and one guardian.
#[derive(Default)]
struct StudentForm {
    student_no: String,
    name: String,
    gender: String,
    id_number: String,
    birth_date: String,
    class_id: String,
    guardian_name: String,
    guardian_phone: String,
    guardian_relation: String,
}

impl StudentForm {
    fn from_data(d: &FormData) -> Self {
        Self {
            student_no: d.text("student_no"),
            name: d.text("name"),
            gender: d.text("gender"),
            id_number: d.text("id_number"),
            birth_date: d.text("birth_date"),
            class_id: d.text("class_id"),
            guardian_name: d.text("guardian_name"),
            guardian_phone: d.text("guardian_phone"),
            guardian_relation: d.text("guardian_relation"),
        }
    }

    fn input(&self) -> StudentInput {
        let some = |v: &str| Some(v.to_string()).filter(|v| !v.trim().is_empty());
        StudentInput {
            student_no: some(&self.student_no),
            name: some(&self.name),
            gender: some(&self.gender),
            id_number: some(&self.id_number),
            birth_date: some(&self.birth_date),
            class_id: self.class_id.parse().ok(),
            status: None,
            guardians: vec![GuardianInput {
                name: some(&self.guardian_name),
                phone: some(&self.guardian_phone),
                relation: some(&self.guardian_relation),
            }],
        }
    }
}

/// The classes of the newest school year, for filters and forms.
async fn class_options(state: &AppState, a: &Actor, school_id: i64) -> Result<Vec<Opt>, PageError> {
    let classes = kehou_service::school::admin_class::list_admin_classes(
        &state.app, a, school_id, None, None,
    )
    .await?;
    let newest = classes.first().map(|c| c.school_year.clone());
    Ok(classes
        .into_iter()
        .filter(|c| Some(&c.school_year) == newest.as_ref())
        .map(|c| Opt::new(c.id, c.display_name))
        .collect())
}

fn status_options() -> Vec<Opt> {
    STATUSES.iter().map(|(c, l)| Opt::new(c, *l)).collect()
}

fn relation_options() -> Vec<Opt> {
    RELATIONS.iter().map(|r| Opt::new(r, *r)).collect()
}

fn gender_options() -> Vec<Opt> {
    vec![Opt::new("男", "男"), Opt::new("女", "女")]
}

#[derive(Template)]
#[template(path = "school/students.html")]
struct ListPage {
    frame: Frame,
    school_id: i64,
    school_id_text: String,
    school_name: String,
    schools: Vec<Opt>,
    classes: Vec<Opt>,
    statuses: Vec<Opt>,
    items: Vec<StudentView>,
    list: ListInfo,
    q: String,
    class_id: String,
    status: String,
    can_manage: bool,
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    requested: Option<i64>,
    q: &StudentQuery,
) -> Result<ListPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let (schools, school_id) = school_choice(state, a, requested).await?;
    let (items, list, school_name, classes) = match school_id {
        Some(id) => {
            let page = student::list_students(
                &state.app,
                a,
                id,
                &q.filter(),
                page_of(q.page.as_deref(), q.size.as_deref()),
            )
            .await?;
            let name = kehou_service::school::school_for(
                &state.app.db,
                a,
                id,
                kehou_domain::Permission::SchoolView,
            )
            .await?
            .name;
            let (text, class_id, status) = (
                q.q.clone().unwrap_or_default(),
                q.class_id.clone().unwrap_or_default(),
                q.status.clone().unwrap_or_default(),
            );
            let list = ListInfo::new(
                &page,
                &[("q", &text), ("class_id", &class_id), ("status", &status)],
            );
            (page.items, list, name, class_options(state, a, id).await?)
        }
        None => (Vec::new(), empty_list(), String::new(), Vec::new()),
    };
    Ok(ListPage {
        frame: frame(
            state,
            p,
            "学生管理",
            "/students",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id: school_id.unwrap_or(0),
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        school_name,
        schools,
        classes,
        statuses: status_options(),
        items,
        list,
        q: q.q.clone().unwrap_or_default(),
        class_id: q.class_id.clone().unwrap_or_default(),
        status: q.status.clone().unwrap_or_default(),
        can_manage: a.can(Permission::SchoolManage) && school_id.is_some(),
    })
}

/// The form for a new student, on a page of its own (errors at the top, not under the list).
#[derive(Template)]
#[template(path = "school/student_new.html")]
struct NewPage {
    frame: Frame,
    school_id: i64,
    school_name: String,
    classes: Vec<Opt>,
    relations: Vec<Opt>,
    genders: Vec<Opt>,
    form: StudentForm,
    errors: FormErrors,
}

async fn new_student_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    form: StudentForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    let a = p.actor()?;
    let school =
        kehou_service::school::school_for(&state.app.db, a, school_id, Permission::SchoolManage)
            .await?;
    Ok(NewPage {
        frame: frame(state, p, "新增学生", "/students", "").await?,
        school_id,
        school_name: school.name,
        classes: class_options(state, a, school_id).await?,
        relations: relation_options(),
        genders: gender_options(),
        form,
        errors,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &new_student_page(
            &state,
            &p,
            school_id,
            StudentForm::default(),
            FormErrors::default(),
        )
        .await?,
    ))
}

/// `/students`: a school's own students, or a picker of the jurisdiction's schools.
pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<StudentQuery>,
) -> PageResult {
    let a = &actor;
    a.require(kehou_domain::Permission::SchoolView)?;
    if a.org_kind == kehou_domain::OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/students", a.org_id)).into_response());
    }
    let requested = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    Ok(render(&list_page(&state, &p, requested, &q).await?))
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<StudentQuery>,
) -> PageResult {
    Ok(render(&list_page(&state, &p, Some(school_id), &q).await?))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = StudentForm::from_data(&data);
    match student::create_student(&state.app, &actor, school_id, form.input()).await {
        Ok(s) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/students/{}?notice=created",
            s.id
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_student_page(&state, &p, school_id, form, errors).await?,
            ))
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<StudentQuery>,
) -> PageResult {
    let rows = student::export_rows(&state.app, &actor, school_id, &q.filter()).await?;
    Ok(crate::http::xlsx::download(
        "学生名单.xlsx",
        &student::export_headers(),
        &rows,
    ))
}

#[derive(Template)]
#[template(path = "school/student.html")]
struct DetailPage {
    frame: Frame,
    school_id: i64,
    s: StudentView,
    can_manage: bool,
    can_reveal: bool,
    full_id: String,
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    student_id: i64,
    notice: &str,
    full_id: String,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    let s = student::get_student(&state.app, a, school_id, student_id).await?;
    Ok(DetailPage {
        frame: frame(state, p, &s.name, "/students", notice).await?,
        school_id,
        can_manage: a.can(Permission::SchoolManage),
        can_reveal: a.can(Permission::PersonalDataView) && s.id_number.is_some(),
        full_id,
        s,
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, student_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    Ok(render(
        &detail_page(
            &state,
            &p,
            school_id,
            student_id,
            q.notice.as_deref().unwrap_or(""),
            String::new(),
        )
        .await?,
    ))
}

/// The form changing a student's name, class and status, on a page of its own.
#[derive(Template)]
#[template(path = "school/student_edit.html")]
struct EditPage {
    frame: Frame,
    school_id: i64,
    student_id: i64,
    student_name: String,
    classes: Vec<Opt>,
    statuses: Vec<Opt>,
    /// The form's values (named apart from the macros' own parameters).
    value_name: String,
    value_class_id: String,
    value_status: String,
    errors: FormErrors,
}

/// The edit page; `submitted` holds the values sent (name, class, status) when they failed.
async fn edit_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    student_id: i64,
    submitted: Option<(String, String, String)>,
    errors: FormErrors,
) -> Result<EditPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolManage)?;
    let s = student::get_student(&state.app, a, school_id, student_id).await?;
    let (name, class_id, status) = submitted.unwrap_or_else(|| {
        (
            s.name.clone(),
            s.class_id.map(|c| c.to_string()).unwrap_or_default(),
            s.status.clone(),
        )
    });
    Ok(EditPage {
        frame: frame(state, p, "修改学籍信息", "/students", "").await?,
        school_id,
        student_id,
        student_name: s.name,
        classes: class_options(state, a, school_id).await?,
        statuses: status_options(),
        value_name: name,
        value_class_id: class_id,
        value_status: status,
        errors,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, student_id)): PagePath<(i64, i64)>,
) -> PageResult {
    Ok(render(
        &edit_page(
            &state,
            &p,
            school_id,
            student_id,
            None,
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, student_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let mut invalid = kehou_domain::Invalid::default();
    let class_id = data.id("class_id", &mut invalid);
    let result = if invalid.is_empty() {
        let patch = StudentPatch {
            name: Some(data.text("name")),
            class_id: Some(class_id),
            status: Some(data.text("status")),
        };
        student::update_student(&state.app, &actor, school_id, student_id, patch).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/students/{student_id}?notice=saved"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let submitted = (
                data.text("name"),
                data.text("class_id"),
                data.text("status"),
            );
            Ok(rerender(
                status,
                &edit_page(&state, &p, school_id, student_id, Some(submitted), errors).await?,
            ))
        }
    }
}

/// The form adding a guardian to a student, on a page of its own.
#[derive(Template)]
#[template(path = "school/guardian_new.html")]
struct GuardianPage {
    frame: Frame,
    school_id: i64,
    student_id: i64,
    student_name: String,
    relations: Vec<Opt>,
    guardian: GuardianInput,
    errors: FormErrors,
}

async fn guardian_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    student_id: i64,
    guardian: GuardianInput,
    errors: FormErrors,
) -> Result<GuardianPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolManage)?;
    let s = student::get_student(&state.app, a, school_id, student_id).await?;
    Ok(GuardianPage {
        frame: frame(state, p, "添加监护人", "/students", "").await?,
        school_id,
        student_id,
        student_name: s.name,
        relations: relation_options(),
        guardian,
        errors,
    })
}

pub async fn new_guardian(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, student_id)): PagePath<(i64, i64)>,
) -> PageResult {
    Ok(render(
        &guardian_page(
            &state,
            &p,
            school_id,
            student_id,
            GuardianInput::default(),
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn add_guardian(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, student_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let guardian = GuardianInput {
        name: Some(data.text("name")),
        phone: Some(data.text("phone")),
        relation: Some(data.text("relation")),
    };
    match student::add_guardian(&state.app, &actor, school_id, student_id, guardian.clone()).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/students/{student_id}?notice=saved"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &guardian_page(&state, &p, school_id, student_id, guardian, errors).await?,
            ))
        }
    }
}

pub async fn remove_guardian(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((school_id, student_id, guardian_id)): PagePath<(i64, i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    student::remove_guardian(&state.app, &actor, school_id, student_id, guardian_id).await?;
    Ok(Redirect::to(&format!(
        "/schools/{school_id}/students/{student_id}?notice=saved"
    ))
    .into_response())
}

/// Shows the whole ID number once, on this response only; the look is audited.
pub async fn reveal_id(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, student_id)): PagePath<(i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let full_id = student::reveal_id_number(&state.app, &actor, school_id, student_id).await?;
    Ok(render(
        &detail_page(&state, &p, school_id, student_id, "", full_id).await?,
    ))
}
