//! Institution pages: the public application form, the institution's own page (status,
//! reasons, documents, sending a returned application again), and the bureau's list,
//! detail and decisions.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kehou_domain::institution::{
    DOCUMENT_KINDS, InstitutionAction, InstitutionStatus, SERVICE_TYPES,
};
use kehou_domain::{OrgKind, Permission};
use kehou_service::identity::sms_login::{self, Purpose};
use kehou_service::institution::department::{self, DepartmentView};
use kehou_service::institution::dispatch::{self, DispatchInput, DispatchView};
use kehou_service::institution::registration::{self, Application};
use kehou_service::institution::review::{self, InstitutionFilter};
use kehou_service::institution::teacher::{self, TeacherInput, TeacherView};
use kehou_service::institution::{self, InstitutionDetail, InstitutionView, UploadedFile};
use kehou_service::{Error, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{
    ClientIp, CsrfFiles, CsrfForm, FilesForm, PageActor, PagePath, PageQuery, PublicFiles, cookie,
    cookie_header,
};
use crate::http::page::{
    FormErrors, Frame, ListInfo, Opt, PageError, PageResult, china_time, frame, page_of, render,
    rerender,
};

/// The cookie holding the application form's CSRF token (there is no session yet).
const FORM_COOKIE: &str = "kehou_apply";

/// A kind of document and the file input for it.
struct DocumentInput {
    code: &'static str,
    label: &'static str,
    required: bool,
    error: String,
}

fn document_inputs(errors: &FormErrors, with_required: bool) -> Vec<DocumentInput> {
    DOCUMENT_KINDS
        .iter()
        .map(|k| DocumentInput {
            code: k.code,
            label: k.label,
            required: with_required && k.required,
            error: errors.get(&format!("documents.{}", k.code)).to_string(),
        })
        .collect()
}

/// Uploaded files as documents: the input's name is the document kind.
fn uploaded(form: &FilesForm) -> Vec<UploadedFile> {
    form.files
        .iter()
        .map(|f| UploadedFile {
            kind: f.field.clone(),
            file_name: f.file_name.clone(),
            bytes: f.bytes.clone(),
        })
        .collect()
}

#[derive(Default)]
struct ApplicationForm {
    name: String,
    credit_code: String,
    legal_rep: String,
    contact_name: String,
    phone: String,
    sms_code: String,
    address: String,
    business_scope: String,
    service_types: Vec<String>,
    bureau_id: String,
}

impl ApplicationForm {
    fn from(form: &FilesForm) -> Self {
        let f = &form.fields;
        Self {
            name: f.text("name"),
            credit_code: f.text("credit_code"),
            legal_rep: f.text("legal_rep"),
            contact_name: f.text("contact_name"),
            phone: f.text("phone"),
            sms_code: f.text("sms_code"),
            address: f.text("address"),
            business_scope: f.text("business_scope"),
            service_types: f.all("service_types"),
            bureau_id: f.text("bureau_id"),
        }
    }

    fn offers(&self, code: &str) -> bool {
        self.service_types.iter().any(|s| s == code)
    }
}

#[derive(Template)]
#[template(path = "institution/register.html")]
struct RegisterPage {
    csrf: String,
    form: ApplicationForm,
    errors: FormErrors,
    notice: String,
    bureaus: Vec<Opt>,
    services: Vec<Opt>,
    documents: Vec<DocumentInput>,
    sandbox: bool,
}

async fn register_response(
    state: &AppState,
    form: ApplicationForm,
    errors: FormErrors,
    notice: &str,
    status: StatusCode,
) -> Response {
    let token = kehou_service::identity::auth::random_token();
    let bureaus = match institution::bureaus(&state.app).await {
        Ok(b) => b.into_iter().map(|(id, name)| Opt::new(id, name)).collect(),
        Err(e) => return PageError(e).into_response(),
    };
    let page = RegisterPage {
        csrf: token.clone(),
        documents: document_inputs(&errors, true),
        form,
        errors,
        notice: notice.into(),
        bureaus,
        services: SERVICE_TYPES.iter().map(|(c, l)| Opt::new(c, *l)).collect(),
        sandbox: state.app.sms.sandbox().is_some(),
    };
    let mut response = rerender(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(state, FORM_COOKIE, &token, 3600),
    );
    response
}

/// `/register/institution`: the application form, open to anyone.
pub async fn register_page(State(state): State<AppState>) -> Response {
    register_response(
        &state,
        ApplicationForm::default(),
        FormErrors::default(),
        "",
        StatusCode::OK,
    )
    .await
}

/// Reads the posted form and checks its token against the form's cookie.
fn read_application(
    headers: &HeaderMap,
    upload: Result<FilesForm, Error>,
) -> Result<FilesForm, Box<(Error, ApplicationForm)>> {
    let form = upload.map_err(|e| Box::new((e, ApplicationForm::default())))?;
    let expected = cookie(headers, FORM_COOKIE);
    if expected.is_none() || expected != form.fields.get("_csrf") {
        let typed = ApplicationForm::from(&form);
        return Err(Box::new((
            Error::invalid("form", "页面已过期，请检查后重新提交"),
            typed,
        )));
    }
    Ok(form)
}

async fn refused(state: &AppState, e: Error, form: ApplicationForm, had_files: bool) -> Response {
    let status = crate::http::error::status_of(&e);
    let message = e.one_line();
    match FormErrors::from_error(e) {
        Ok((_, mut errors)) => {
            // Problems of the form as a whole have no field to stand by.
            if errors.field("form").is_some() || errors.field("file").is_some() {
                errors.general = message;
            }
            let notice = if had_files {
                "为了安全，已选择的文件需要重新选择"
            } else {
                ""
            };
            register_response(state, form, errors, notice, status).await
        }
        Err(page) => page.into_response(),
    }
}

/// Sends the SMS code that proves the contact's number, keeping what was typed.
pub async fn register_sms_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    PublicFiles(upload): PublicFiles,
) -> Response {
    let form = match read_application(&headers, upload) {
        Ok(f) => f,
        Err(refusal) => {
            let (e, typed) = *refusal;
            return refused(&state, e, typed, false).await;
        }
    };
    let typed = ApplicationForm::from(&form);
    let had_files = !form.files.is_empty();
    match sms_login::send_code(&state.app, &typed.phone, Purpose::Register, ip.as_deref()).await {
        Ok(_) => {
            let notice = if had_files {
                "验证码已发送，5分钟内有效。为了安全，已选择的文件需要重新选择"
            } else {
                "验证码已发送，5分钟内有效"
            };
            register_response(&state, typed, FormErrors::default(), notice, StatusCode::OK).await
        }
        Err(e) => {
            let e = match e {
                Error::TooManyAttempts(_, message) => Error::invalid("phone", message),
                other => other,
            };
            refused(&state, e, typed, had_files).await
        }
    }
}

#[derive(Template)]
#[template(path = "institution/registered.html")]
struct RegisteredPage {
    applied: registration::Applied,
    phone: String,
}

/// Files the application.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    PublicFiles(upload): PublicFiles,
) -> Response {
    let form = match read_application(&headers, upload) {
        Ok(f) => f,
        Err(refusal) => {
            let (e, typed) = *refusal;
            return refused(&state, e, typed, false).await;
        }
    };
    let typed = ApplicationForm::from(&form);
    let had_files = !form.files.is_empty();
    let application = Application {
        name: typed.name.clone(),
        credit_code: typed.credit_code.clone(),
        legal_rep: typed.legal_rep.clone(),
        contact_name: typed.contact_name.clone(),
        phone: typed.phone.clone(),
        sms_code: typed.sms_code.clone(),
        password: form.fields.text("password"),
        address: typed.address.clone(),
        business_scope: typed.business_scope.clone(),
        service_types: typed.service_types.clone(),
        bureau_id: typed.bureau_id.parse().ok(),
        documents: uploaded(&form),
    };
    match registration::apply(&state.app, application, ip.as_deref()).await {
        Ok(applied) => {
            let mut response = render(&RegisteredPage {
                applied,
                phone: typed.phone,
            });
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&state, FORM_COOKIE, "", 0),
            );
            response
        }
        Err(e) => refused(&state, e, typed, had_files).await,
    }
}

/// Who did what in an institution's history, as the pages show it.
struct Step {
    label: &'static str,
    status: &'static str,
    reason: String,
    by: String,
    at: String,
}

fn steps(d: &InstitutionDetail) -> Vec<Step> {
    d.history
        .iter()
        .rev()
        .map(|e| Step {
            label: e.action_label,
            status: e.status_label,
            reason: e.reason.clone().unwrap_or_default(),
            by: e.by.clone(),
            at: china_time(e.at),
        })
        .collect()
}

struct DocumentRow {
    id: i64,
    kind: &'static str,
    name: String,
    size: String,
    at: String,
}

fn document_rows(d: &InstitutionDetail) -> Vec<DocumentRow> {
    d.documents
        .iter()
        .map(|doc| DocumentRow {
            id: doc.id,
            kind: doc.kind_label,
            name: doc.file_name.clone(),
            size: if doc.size >= 1024 * 1024 {
                format!("{:.1} MB", doc.size as f64 / (1024.0 * 1024.0))
            } else {
                format!("{} KB", (doc.size + 1023) / 1024)
            },
            at: china_time(doc.uploaded_at),
        })
        .collect()
}

fn tone(status: &str) -> &'static str {
    match status {
        "admitted" => "ok",
        "pending" | "returned" => "info",
        _ => "bad",
    }
}

#[derive(Template)]
#[template(path = "institution/own.html")]
struct OwnPage {
    frame: Frame,
    i: InstitutionView,
    services: Vec<Opt>,
    /// The correction form's values: the stored ones, or what was typed when refused.
    fix: registration::Corrections,
    tone: &'static str,
    steps: Vec<Step>,
    documents: Vec<DocumentRow>,
    uploads: Vec<DocumentInput>,
    can_resubmit: bool,
    /// An admitted institution's manager keeps its details.
    can_edit: bool,
    note: String,
    errors: FormErrors,
}

async fn own_page(
    state: &AppState,
    p: &Principal,
    notice: &str,
    note: String,
    typed: Option<registration::Corrections>,
    errors: FormErrors,
) -> Result<OwnPage, PageError> {
    let a = p.actor()?;
    let d = registration::own(&state.app, a).await?;
    let i = &d.institution;
    let fix = typed.unwrap_or_else(|| registration::Corrections {
        legal_rep: Some(i.legal_rep.clone()),
        contact_name: Some(i.contact_name.clone()),
        address: Some(i.address.clone()),
        business_scope: Some(i.business_scope.clone()),
        service_types: Some(i.service_types.clone()),
    });
    Ok(OwnPage {
        fix,
        frame: frame(state, p, "机构入驻", "/institution", notice).await?,
        tone: tone(&d.institution.status),
        steps: steps(&d),
        documents: document_rows(&d),
        uploads: document_inputs(&errors, false),
        can_resubmit: d.institution.status == InstitutionStatus::Returned.code(),
        can_edit: d.institution.status == InstitutionStatus::Admitted.code()
            && a.can(Permission::InstitutionManage),
        services: SERVICE_TYPES.iter().map(|(c, l)| Opt::new(c, *l)).collect(),
        i: d.institution,
        note,
        errors,
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `/institution`: the institution's own admission, for its people.
pub async fn own(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    Ok(render(
        &own_page(
            &state,
            &p,
            q.notice.as_deref().unwrap_or(""),
            String::new(),
            None,
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn resubmit(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfFiles(upload): CsrfFiles,
) -> PageResult {
    actor.require(Permission::InstitutionView)?;
    let (note, typed, result) = match upload {
        Ok(form) => {
            let note = form.fields.text("note");
            let f = &form.fields;
            let corrections = registration::Corrections {
                legal_rep: f.get("legal_rep").map(String::from),
                contact_name: None,
                address: f.get("address").map(String::from),
                business_scope: f.get("business_scope").map(String::from),
                service_types: f.get("services_shown").map(|_| f.all("service_types")),
            };
            let result = registration::resubmit(
                &state.app,
                &actor,
                &note,
                corrections.clone(),
                uploaded(&form),
            )
            .await;
            (note, Some(corrections), result.map(|_| ()))
        }
        Err(e) => (String::new(), None, Err(e)),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/institution?notice=resubmitted").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &own_page(&state, &p, "", note, typed, errors).await?,
            ))
        }
    }
}

/// An admitted institution changes its details and adds documents.
pub async fn update_profile(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfFiles(upload): CsrfFiles,
) -> PageResult {
    actor.require(Permission::InstitutionManage)?;
    let (typed, result) = match upload {
        Ok(form) => {
            let f = &form.fields;
            let corrections = registration::Corrections {
                legal_rep: None,
                contact_name: f.get("contact_name").map(String::from),
                address: f.get("address").map(String::from),
                business_scope: f.get("business_scope").map(String::from),
                service_types: f.get("services_shown").map(|_| f.all("service_types")),
            };
            let result = registration::update_profile(
                &state.app,
                &actor,
                actor.org_id,
                corrections.clone(),
                uploaded(&form),
            )
            .await;
            (Some(corrections), result.map(|_| ()))
        }
        Err(e) => (None, Err(e)),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/institution?notice=saved").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &own_page(&state, &p, "", String::new(), typed, errors).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

#[derive(Template)]
#[template(path = "institution/list.html")]
struct ListPage {
    frame: Frame,
    items: Vec<(InstitutionView, &'static str)>,
    list: ListInfo,
    q: String,
    status: String,
    statuses: Vec<Opt>,
}

/// `/institutions`: the jurisdiction's institutions and applications.
pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    actor.require(Permission::InstitutionView)?;
    if actor.org_kind == OrgKind::Institution {
        return Ok(Redirect::to("/institution").into_response());
    }
    let status = q.status.clone().unwrap_or_default();
    let filter = InstitutionFilter {
        q: q.q.clone(),
        status: InstitutionStatus::parse(&status),
    };
    let page = review::list(
        &state.app,
        &actor,
        &filter,
        page_of(q.page.as_deref(), q.size.as_deref()),
    )
    .await?;
    let text = q.q.clone().unwrap_or_default();
    let list = ListInfo::new(&page, &[("q", &text), ("status", &status)]);
    Ok(render(&ListPage {
        frame: frame(&state, &p, "机构管理", "/institutions", "").await?,
        items: page
            .items
            .into_iter()
            .map(|i| {
                let t = tone(&i.status);
                (i, t)
            })
            .collect(),
        list,
        q: text,
        status,
        statuses: InstitutionStatus::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.label()))
            .collect(),
    }))
}

/// A decision the page offers: its action, its button, whether a reason is asked.
struct Choice {
    code: &'static str,
    label: &'static str,
    needs_reason: bool,
    danger: bool,
}

#[derive(Template)]
#[template(path = "institution/detail.html")]
struct DetailPage {
    frame: Frame,
    i: InstitutionView,
    dispatches: Vec<DispatchView>,
    /// The bureau reads dispatches; only the institution changes them.
    can_manage: bool,
    /// Its teachers (the shared table calls them `items`, its institution `org_id`).
    items: Vec<TeacherView>,
    org_id: i64,
    departments: Vec<DepartmentView>,
    tone: &'static str,
    steps: Vec<Step>,
    documents: Vec<DocumentRow>,
    choices: Vec<Choice>,
    reason: String,
    errors: FormErrors,
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    notice: &str,
    reason: String,
    errors: FormErrors,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    let d = institution::get(&state.app, a, id).await?;
    let status = InstitutionStatus::parse(&d.institution.status);
    let choices = InstitutionAction::ALL
        .into_iter()
        .filter(|action| *action != InstitutionAction::Resubmit)
        .filter(|action| status.is_some_and(|s| s.next(*action).is_ok()))
        .filter(|action| {
            a.can(if action.halts() {
                Permission::SupervisionHalt
            } else {
                Permission::InstitutionReview
            })
        })
        .map(|action| Choice {
            code: action.code(),
            label: action.label(),
            needs_reason: action.needs_reason(),
            danger: matches!(
                action,
                InstitutionAction::Reject | InstitutionAction::Suspend | InstitutionAction::Remove
            ),
        })
        .collect();
    Ok(DetailPage {
        items: teacher::list(&state.app, a, id).await?,
        departments: department::list(&state.app, a, id).await?,
        org_id: id,
        dispatches: dispatch::list(&state.app, a, id).await?,
        can_manage: false,
        frame: frame(state, p, &d.institution.name, "/institutions", notice).await?,
        tone: tone(&d.institution.status),
        steps: steps(&d),
        documents: document_rows(&d),
        i: d.institution,
        choices,
        reason,
        errors,
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
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn decide(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let reason = data.text("reason");
    match review::decide(&state.app, &actor, id, data.get("action"), Some(&reason)).await {
        Ok(_) => Ok(Redirect::to(&format!("/institutions/{id}?notice=saved")).into_response()),
        Err(e) => {
            let message = e.one_line();
            let (status, mut errors) = FormErrors::from_error(e)?;
            errors.general = message;
            Ok(rerender(
                status,
                &detail_page(&state, &p, id, "", reason, errors).await?,
            ))
        }
    }
}

pub async fn document(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((id, document_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let (content_type, name, bytes) =
        institution::document_file(&state.app, &actor, id, document_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}

#[derive(Template)]
#[template(path = "institution/teachers.html")]
struct TeachersPage {
    frame: Frame,
    items: Vec<TeacherView>,
    can_manage: bool,
    /// The institution whose teachers these are (the shared table links by it).
    org_id: i64,
    error: String,
    departments: Vec<DepartmentView>,
}

/// The acting institution's id, for pages about its own teachers and dispatches: the
/// permission first (403), then the kind of organization (404).
fn own_institution(a: &kehou_service::Actor, permission: Permission) -> Result<i64, PageError> {
    a.require(permission)?;
    if a.org_kind != OrgKind::Institution {
        return Err(PageError(Error::NotFound("机构")));
    }
    Ok(a.org_id)
}

/// `/institution/teachers`: the institution's own teachers.
async fn teachers_page(
    state: &AppState,
    p: &Principal,
    notice: &str,
    error: String,
) -> Result<TeachersPage, PageError> {
    let actor = p.actor()?;
    let own = own_institution(actor, Permission::InstitutionView)?;
    Ok(TeachersPage {
        frame: frame(state, p, "机构教师", "/institution/teachers", notice).await?,
        items: teacher::list(&state.app, actor, own).await?,
        can_manage: actor.can(Permission::InstitutionManage),
        departments: department::list(&state.app, actor, own).await?,
        org_id: own,
        error,
    })
}

pub async fn teachers(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    let notice = q.notice.as_deref().unwrap_or("");
    Ok(render(
        &teachers_page(&state, &p, notice, String::new()).await?,
    ))
}

/// Answers a change on the teachers' page: back to it, or it again with what went wrong.
async fn teachers_answer(state: &AppState, p: &Principal, result: Result<(), Error>) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to("/institution/teachers?notice=saved").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &teachers_page(state, p, "", errors.first_message()).await?,
            ))
        }
    }
}

pub async fn add_department(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let own = own_institution(&actor, Permission::InstitutionManage)?;
    let result = department::create(&state.app, &actor, own, Some(data.text("name")))
        .await
        .map(|_| ());
    teachers_answer(&state, &p, result).await
}

pub async fn delete_department(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(department_id): PagePath<i64>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let own = own_institution(&actor, Permission::InstitutionManage)?;
    let result = department::delete(&state.app, &actor, own, department_id).await;
    teachers_answer(&state, &p, result).await
}

pub async fn assign_department(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(teacher_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let own = own_institution(&actor, Permission::InstitutionManage)?;
    let chosen = data.text("department_id").parse().ok();
    let result = department::assign(&state.app, &actor, own, teacher_id, chosen).await;
    teachers_answer(&state, &p, result).await
}

/// Uploads a teacher's criminal-record check document (the file input `record`).
pub async fn upload_record(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(teacher_id): PagePath<i64>,
    CsrfFiles(upload): CsrfFiles,
) -> PageResult {
    let own = own_institution(&actor, Permission::InstitutionManage)?;
    let result = match upload {
        Ok(form) => {
            let file = form
                .files
                .into_iter()
                .find(|f| f.field == "record")
                .map(|f| UploadedFile {
                    kind: f.field,
                    file_name: f.file_name,
                    bytes: f.bytes,
                });
            teacher::set_record(&state.app, &actor, own, teacher_id, file).await
        }
        Err(e) => Err(e),
    };
    teachers_answer(&state, &p, result.map(|_| ())).await
}

/// A teacher's criminal-record check document, to the institution and its bureaus.
pub async fn record(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((id, teacher_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let (content_type, name, bytes) =
        teacher::record_file(&state.app, &actor, id, teacher_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}

/// The new teacher's form as typed.
#[derive(Default)]
struct TeacherForm {
    name: String,
    gender: String,
    id_number: String,
    phone: String,
    education: String,
    certificate_type: String,
    certificate_no: String,
    title: String,
    teaching_years: String,
    speciality: String,
    resume: String,
}

#[derive(Template)]
#[template(path = "institution/teacher_new.html")]
struct NewTeacherPage {
    frame: Frame,
    form: TeacherForm,
    errors: FormErrors,
    genders: Vec<Opt>,
    educations: Vec<Opt>,
    certificate_types: Vec<Opt>,
}

async fn new_teacher_page(
    state: &AppState,
    p: &Principal,
    form: TeacherForm,
    errors: FormErrors,
) -> Result<NewTeacherPage, PageError> {
    own_institution(p.actor()?, Permission::InstitutionManage)?;
    let opts = |list: &[&str]| list.iter().map(|v| Opt::new(v, *v)).collect();
    Ok(NewTeacherPage {
        frame: frame(state, p, "新增教师", "/institution/teachers", "").await?,
        form,
        errors,
        genders: opts(&["男", "女"]),
        educations: opts(kehou_domain::institution::EDUCATION),
        certificate_types: opts(kehou_domain::institution::CERTIFICATE_TYPES),
    })
}

pub async fn new_teacher(State(state): State<AppState>, PageActor(p, _): PageActor) -> PageResult {
    Ok(render(
        &new_teacher_page(&state, &p, TeacherForm::default(), FormErrors::default()).await?,
    ))
}

pub async fn add_teacher(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::InstitutionManage)?;
    let form = TeacherForm {
        name: data.text("name"),
        gender: data.text("gender"),
        id_number: data.text("id_number"),
        phone: data.text("phone"),
        education: data.text("education"),
        certificate_type: data.text("certificate_type"),
        certificate_no: data.text("certificate_no"),
        title: data.text("title"),
        teaching_years: data.text("teaching_years"),
        speciality: data.text("speciality"),
        resume: data.text("resume"),
    };
    let years = match form.teaching_years.trim() {
        "" => Ok(None),
        y => y
            .parse::<i32>()
            .map(Some)
            .map_err(|_| Error::invalid("teaching_years", "教龄应为整数")),
    };
    let some = |v: &str| Some(v.to_string());
    let result = match years {
        Ok(teaching_years) => {
            let input = TeacherInput {
                name: some(&form.name),
                gender: some(&form.gender),
                id_number: some(&form.id_number),
                phone: some(&form.phone),
                education: some(&form.education),
                certificate_type: some(&form.certificate_type),
                certificate_no: some(&form.certificate_no),
                title: some(&form.title),
                teaching_years,
                speciality: some(&form.speciality),
                resume: some(&form.resume),
            };
            teacher::create(&state.app, &actor, actor.org_id, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => {
            let notice = if t.joined {
                "created"
            } else {
                "invited_teacher"
            };
            Ok(Redirect::to(&format!("/institution/teachers?notice={notice}")).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_teacher_page(&state, &p, form, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "institution/dispatches.html")]
struct DispatchesPage {
    frame: Frame,
    dispatches: Vec<DispatchView>,
    can_manage: bool,
}

/// `/institution/dispatches`: where the institution's teachers are sent.
pub async fn dispatches(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    let own = own_institution(&actor, Permission::InstitutionView)?;
    Ok(render(&DispatchesPage {
        frame: frame(
            &state,
            &p,
            "教师派遣",
            "/institution/dispatches",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        dispatches: dispatch::list(&state.app, &actor, own).await?,
        can_manage: actor.can(Permission::InstitutionManage),
    }))
}

#[derive(Default)]
struct DispatchForm {
    teacher_id: String,
    school_id: String,
    starts_on: String,
    ends_on: String,
    course_types: Vec<String>,
}

impl DispatchForm {
    fn covers(&self, code: &str) -> bool {
        self.course_types.iter().any(|c| c == code)
    }
}

#[derive(Template)]
#[template(path = "institution/dispatch_new.html")]
struct NewDispatchPage {
    frame: Frame,
    form: DispatchForm,
    errors: FormErrors,
    teachers: Vec<Opt>,
    schools: Vec<Opt>,
    categories: Vec<Opt>,
}

async fn new_dispatch_page(
    state: &AppState,
    p: &Principal,
    form: DispatchForm,
    errors: FormErrors,
) -> Result<NewDispatchPage, PageError> {
    let a = p.actor()?;
    let own = own_institution(a, Permission::InstitutionManage)?;
    Ok(NewDispatchPage {
        frame: frame(state, p, "派遣教师", "/institution/dispatches", "").await?,
        form,
        errors,
        teachers: teacher::list(&state.app, a, own)
            .await?
            .into_iter()
            .filter(|t| t.active)
            .map(|t| Opt::new(t.id, t.name))
            .collect(),
        schools: dispatch::schools(&state.app, a, own)
            .await?
            .into_iter()
            .map(|(id, name)| Opt::new(id, name))
            .collect(),
        categories: kehou_domain::course::Category::ALL
            .iter()
            .map(|c| Opt::new(c.code(), c.label()))
            .collect(),
    })
}

pub async fn new_dispatch(State(state): State<AppState>, PageActor(p, _): PageActor) -> PageResult {
    Ok(render(
        &new_dispatch_page(&state, &p, DispatchForm::default(), FormErrors::default()).await?,
    ))
}

pub async fn dispatch_teacher(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::InstitutionManage)?;
    let form = DispatchForm {
        teacher_id: data.text("teacher_id"),
        school_id: data.text("school_id"),
        starts_on: data.text("starts_on"),
        ends_on: data.text("ends_on"),
        course_types: data.all("course_types"),
    };
    let mut invalid = kehou_domain::Invalid::default();
    let teacher_id = data.id("teacher_id", &mut invalid);
    let school_id = data.id("school_id", &mut invalid);
    let starts_on = invalid.date("starts_on", &form.starts_on);
    let ends_on = invalid.date("ends_on", &form.ends_on);
    let result = if invalid.is_empty() {
        let input = DispatchInput {
            teacher_id,
            school_id,
            starts_on,
            ends_on,
            course_types: Some(form.course_types.clone()),
        };
        dispatch::create(&state.app, &actor, actor.org_id, input).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(_) => Ok(Redirect::to("/institution/dispatches?notice=created").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_dispatch_page(&state, &p, form, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "institution/dispatch_cancel.html")]
struct CancelPage {
    frame: Frame,
    d: DispatchView,
    reason: String,
    errors: FormErrors,
}

async fn cancel_form(
    state: &AppState,
    p: &Principal,
    id: i64,
    reason: String,
    errors: FormErrors,
) -> Result<CancelPage, PageError> {
    let a = p.actor()?;
    let own = own_institution(a, Permission::InstitutionManage)?;
    let d = dispatch::list(&state.app, a, own)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(PageError(Error::NotFound("派遣")))?;
    Ok(CancelPage {
        frame: frame(state, p, "取消派遣", "/institution/dispatches", "").await?,
        d,
        reason,
        errors,
    })
}

pub async fn cancel_page(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &cancel_form(&state, &p, id, String::new(), FormErrors::default()).await?,
    ))
}

pub async fn cancel_dispatch(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::InstitutionManage)?;
    let reason = data.text("reason");
    match dispatch::cancel(&state.app, &actor, actor.org_id, id, Some(&reason)).await {
        Ok(_) => Ok(Redirect::to("/institution/dispatches?notice=saved").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &cancel_form(&state, &p, id, reason, errors).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SchoolQuery {
    school_id: Option<String>,
}

#[derive(Template)]
#[template(path = "institution/school_dispatches.html")]
struct SchoolDispatchesPage {
    frame: Frame,
    schools: Vec<Opt>,
    school_id: i64,
    school_id_text: String,
    dispatches: Vec<DispatchView>,
    can_manage: bool,
}

async fn school_dispatches_page(
    state: &AppState,
    p: &Principal,
    requested: Option<i64>,
) -> Result<SchoolDispatchesPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let (schools, school_id) = crate::http::page::school_choice(state, a, requested).await?;
    let dispatches = match school_id {
        Some(id) => dispatch::for_school(&state.app, a, id).await?,
        None => Vec::new(),
    };
    Ok(SchoolDispatchesPage {
        frame: frame(state, p, "派驻教师", "/dispatches", "").await?,
        schools,
        school_id: school_id.unwrap_or(0),
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        dispatches,
        can_manage: false,
    })
}

/// `/dispatches`: the teachers institutions send to a school (D2); bureaus pick a school.
pub async fn dispatches_index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<SchoolQuery>,
) -> PageResult {
    actor.require(Permission::SchoolView)?;
    if actor.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/dispatches", actor.org_id)).into_response());
    }
    let requested = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    Ok(render(
        &school_dispatches_page(&state, &p, requested).await?,
    ))
}

pub async fn school_dispatches(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &school_dispatches_page(&state, &p, Some(school_id)).await?,
    ))
}
