//! Room pages (C4): a school's rooms with filters, export, create and edit; bureau users
//! pick a school of their jurisdiction and see its rooms read-only.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::{OrgKind, Permission};
use kehou_service::Principal;
use kehou_service::school::room::{RoomFilter, RoomInput, RoomView};
use serde::Deserialize;

use kehou_service::platform::page::every;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, ListInfo, Opt, PageError, PageResult, frame, page_of, render,
    rerender,
};

#[derive(Deserialize, Default)]
pub struct RoomQuery {
    school_id: Option<String>,
    q: Option<String>,
    available: Option<String>,
    page: Option<String>,
    /// Rows per page: 20, 50 or 100.
    size: Option<String>,
    notice: Option<String>,
}

impl RoomQuery {
    fn filter(&self) -> RoomFilter {
        RoomFilter {
            q: self.q.clone(),
            available: self.available.as_deref().and_then(|a| a.parse().ok()),
        }
    }
}

#[derive(Default)]
struct RoomForm {
    name: String,
    building: String,
    purpose: String,
    capacity: String,
    available: bool,
}

impl RoomForm {
    fn from_data(d: &FormData) -> Self {
        Self {
            name: d.text("name"),
            building: d.text("building"),
            purpose: d.text("purpose"),
            capacity: d.text("capacity"),
            available: d.get("available") == Some("true"),
        }
    }

    /// The form as a change; a capacity that is not a number is a field error.
    fn input(&self, with_available: bool) -> Result<RoomInput, kehou_service::Error> {
        let capacity = match self.capacity.trim() {
            "" => None,
            c => Some(
                c.parse::<i64>()
                    .map_err(|_| kehou_service::Error::invalid("capacity", "容纳人数应为整数"))?,
            ),
        };
        Ok(RoomInput {
            name: Some(self.name.clone()),
            building: Some(self.building.clone()),
            purpose: Some(self.purpose.clone()),
            capacity,
            available: with_available.then_some(self.available),
        })
    }
}

#[derive(Template)]
#[template(path = "school/rooms.html")]
struct ListPage {
    frame: Frame,
    school_id: i64,
    school_id_text: String,
    school_name: String,
    schools: Vec<Opt>,
    items: Vec<RoomView>,
    list: ListInfo,
    q: String,
    available: String,
    can_manage: bool,
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    school_id: Option<i64>,
    q: &RoomQuery,
) -> Result<ListPage, PageError> {
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
    let (items, list, school_name) = match school_id {
        Some(id) => {
            let page = kehou_service::school::room::list_rooms(
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
            let (qs, available) = (
                q.q.clone().unwrap_or_default(),
                q.available.clone().unwrap_or_default(),
            );
            let list = ListInfo::new(&page, &[("q", &qs), ("available", &available)]);
            (page.items, list, name)
        }
        None => (Vec::new(), crate::http::page::empty_list(), String::new()),
    };
    Ok(ListPage {
        frame: frame(
            state,
            p,
            "场室管理",
            "/rooms",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id: school_id.unwrap_or(0),
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        school_name,
        schools,
        items,
        list,
        q: q.q.clone().unwrap_or_default(),
        available: q.available.clone().unwrap_or_default(),
        can_manage: a.can(Permission::SchoolManage) && school_id.is_some(),
    })
}

/// `/rooms`: a school's own rooms, or a picker of the jurisdiction's schools.
pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<RoomQuery>,
) -> PageResult {
    let a = &actor;
    a.require(kehou_domain::Permission::SchoolView)?;
    if a.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/rooms", a.org_id)).into_response());
    }
    let school_id = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    Ok(render(&list_page(&state, &p, school_id, &q).await?))
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<RoomQuery>,
) -> PageResult {
    Ok(render(&list_page(&state, &p, Some(school_id), &q).await?))
}

/// The form for a new room, on a page of its own (errors at the top, not under the list).
pub async fn new_page(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
) -> PageResult {
    kehou_service::school::school_for(&state.app.db, &actor, school_id, Permission::SchoolManage)
        .await?;
    let form = RoomForm {
        available: true,
        ..RoomForm::default()
    };
    Ok(render(
        &form_page(&state, &p, school_id, None, form, FormErrors::default()).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = RoomForm::from_data(&data);
    let result = match form.input(false) {
        Ok(input) => {
            kehou_service::school::room::create_room(&state.app, &actor, school_id, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/schools/{school_id}/rooms?notice=created")).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, school_id, None, form, errors).await?,
            ))
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<RoomQuery>,
) -> PageResult {
    let filter = q.filter();
    let page = every(|page| {
        kehou_service::school::room::list_rooms(&state.app, &actor, school_id, &filter, page)
    })
    .await?;
    let rows: Vec<Vec<String>> = page
        .items
        .into_iter()
        .map(|r| {
            vec![
                r.name,
                r.building.unwrap_or_default(),
                r.purpose.unwrap_or_default(),
                r.capacity.to_string(),
                if r.available { "可用" } else { "停用" }.to_string(),
            ]
        })
        .collect();
    Ok(crate::http::xlsx::download(
        "场室.xlsx",
        &["名称", "位置", "用途", "容纳人数", "状态"],
        &rows,
    ))
}

/// The form of a new room (`room_id` none) or of an existing one.
#[derive(Template)]
#[template(path = "school/room_edit.html")]
struct FormPage {
    frame: Frame,
    school_id: i64,
    room_id: Option<i64>,
    form: RoomForm,
    errors: FormErrors,
}

async fn form_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    room_id: Option<i64>,
    form: RoomForm,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let title = if room_id.is_some() {
        "编辑场室"
    } else {
        "新增场室"
    };
    Ok(FormPage {
        frame: frame(state, p, title, "/rooms", "").await?,
        school_id,
        room_id,
        form,
        errors,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, room_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let a = &actor;
    a.require(Permission::SchoolManage)?;
    let r = kehou_service::school::room::get_room(&state.app, a, school_id, room_id).await?;
    let form = RoomForm {
        name: r.name,
        building: r.building.unwrap_or_default(),
        purpose: r.purpose.unwrap_or_default(),
        capacity: r.capacity.to_string(),
        available: r.available,
    };
    Ok(render(
        &form_page(
            &state,
            &p,
            school_id,
            Some(room_id),
            form,
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, room_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = RoomForm::from_data(&data);
    let result = match form.input(true) {
        Ok(input) => {
            kehou_service::school::room::update_room(&state.app, &actor, school_id, room_id, input)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/schools/{school_id}/rooms?notice=saved")).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, school_id, Some(room_id), form, errors).await?,
            ))
        }
    }
}
