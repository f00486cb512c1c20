//! The school information page (C1, C5): profile, stages and grades, campuses, and the
//! emergency contacts with masked phone numbers whose full view is audited.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect};
use kehou_domain::school::{Nature, SchoolType};
use kehou_domain::{OrgKind, Permission};
use kehou_service::school::profile::{ProfileInput, ProfileView};
use kehou_service::{Error, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender};

#[derive(Deserialize, Default)]
pub struct SchoolQuery {
    school_id: Option<String>,
    notice: Option<String>,
}

#[derive(Default)]
struct ProfileForm {
    school_type: String,
    nature: String,
    address: String,
    campuses: String,
}

#[derive(Default)]
struct ContactForm {
    name: String,
    title: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "school/school.html")]
struct SchoolPage {
    frame: Frame,
    schools: Vec<Opt>,
    school_id_text: String,
    profile: Option<ProfileView>,
    can_manage: bool,
    can_reveal: bool,
    form: ProfileForm,
    contact_form: ContactForm,
    errors: FormErrors,
    revealed: String,
    types: Vec<Opt>,
    natures: Vec<Opt>,
}

#[derive(Default)]
struct Extras {
    form: Option<ProfileForm>,
    contact_form: ContactForm,
    errors: FormErrors,
    revealed: String,
    notice: String,
}

async fn page(
    state: &AppState,
    p: &Principal,
    school_id: Option<i64>,
    extras: Extras,
) -> Result<SchoolPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let schools: Vec<Opt> = if a.org_kind == OrgKind::School {
        Vec::new()
    } else {
        kehou_service::school::schools_in_scope(&state.app, a)
            .await?
            .into_iter()
            .map(|s| Opt::new(s.id, s.name))
            .collect()
    };
    let school_id = school_id.or_else(|| schools.first().and_then(|s| s.value.parse().ok()));
    let profile = match school_id {
        Some(id) => Some(kehou_service::school::profile::profile(&state.app, a, id).await?),
        None => None,
    };
    let form = extras.form.unwrap_or_else(|| ProfileForm {
        school_type: profile
            .as_ref()
            .and_then(|p| p.school_type.clone())
            .unwrap_or_default(),
        nature: profile
            .as_ref()
            .and_then(|p| p.nature.clone())
            .unwrap_or_default(),
        address: profile
            .as_ref()
            .and_then(|p| p.address.clone())
            .unwrap_or_default(),
        campuses: profile
            .as_ref()
            .map(|p| p.campuses.join("\n"))
            .unwrap_or_default(),
    });
    Ok(SchoolPage {
        frame: frame(state, p, "学校信息", "/school", &extras.notice).await?,
        schools,
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        profile,
        can_manage: a.can(Permission::SchoolManage) && school_id.is_some(),
        can_reveal: a.can(Permission::PersonalDataView),
        form,
        contact_form: extras.contact_form,
        errors: extras.errors,
        revealed: extras.revealed,
        types: SchoolType::ALL
            .iter()
            .map(|t| Opt::new(t.code(), t.label()))
            .collect(),
        natures: [Nature::Public, Nature::Private]
            .iter()
            .map(|n| Opt::new(n.code(), n.label()))
            .collect(),
    })
}

pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<SchoolQuery>,
) -> PageResult {
    let a = &actor;
    a.require(kehou_domain::Permission::SchoolView)?;
    if a.org_kind == OrgKind::School && q.school_id.is_none() {
        let notice = q.notice.map(|n| format!("&notice={n}")).unwrap_or_default();
        return Ok(
            Redirect::to(&format!("/school?school_id={}{notice}", a.org_id)).into_response(),
        );
    }
    let school_id = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    let extras = Extras {
        notice: q.notice.unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(&page(&state, &p, school_id, extras).await?))
}

async fn after(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    result: Result<(), Error>,
    extras: Extras,
) -> PageResult {
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/school?school_id={school_id}&notice=saved")).into_response(),
        ),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &page(state, p, Some(school_id), Extras { errors, ..extras }).await?,
            ))
        }
    }
}

pub async fn save_profile(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = ProfileForm {
        school_type: data.text("school_type"),
        nature: data.text("nature"),
        address: data.text("address"),
        campuses: data.text("campuses"),
    };
    let input = ProfileInput {
        school_type: Some(form.school_type.clone()),
        nature: Some(form.nature.clone()),
        address: Some(form.address.clone()),
        campuses: form.campuses.lines().map(String::from).collect(),
    };
    let result = kehou_service::school::profile::set_profile(&state.app, &actor, school_id, input)
        .await
        .map(|_| ());
    after(
        &state,
        &p,
        school_id,
        result,
        Extras {
            form: Some(form),
            ..Default::default()
        },
    )
    .await
}

pub async fn add_contact(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = ContactForm {
        name: data.text("name"),
        title: data.text("title"),
        phone: data.text("phone"),
    };
    let result = kehou_service::school::profile::add_contact(
        &state.app,
        &actor,
        school_id,
        Some(&form.name),
        Some(&form.title),
        Some(&form.phone),
    )
    .await
    .map(|_| ());
    after(
        &state,
        &p,
        school_id,
        result,
        Extras {
            contact_form: form,
            ..Default::default()
        },
    )
    .await
}

pub async fn remove_contact(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, contact_id)): PagePath<(i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let result =
        kehou_service::school::profile::remove_contact(&state.app, &actor, school_id, contact_id)
            .await
            .map(|_| ());
    after(&state, &p, school_id, result, Extras::default()).await
}

/// Shows one contact's whole number once, on a page nothing caches.
pub async fn reveal_contact(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, contact_id)): PagePath<(i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let phone = kehou_service::school::profile::reveal_contact_phone(
        &state.app, &actor, school_id, contact_id,
    )
    .await?;
    let mut response = render(
        &page(
            &state,
            &p,
            Some(school_id),
            Extras {
                revealed: format!("完整手机号：{phone}"),
                ..Default::default()
            },
        )
        .await?,
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
