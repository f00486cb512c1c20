//! An invitation to join an organization, as its invitee sees it: accept or decline.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_service::identity::offer::{self, OfferView};

use crate::AppState;
use crate::http::extract::{CsrfForm, PagePath, PagePrincipal};
use crate::http::page::{Frame, PageResult, china_time, frame, render};

#[derive(Template)]
#[template(path = "identity/invitation.html")]
struct InvitationPage {
    frame: Frame,
    offer: OfferView,
    time: String,
}

pub async fn show(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let offer = offer::get(&state.app, &p, id).await?;
    Ok(render(&InvitationPage {
        frame: frame(&state, &p, "加入邀请", "/messages", "").await?,
        time: china_time(offer.created_at),
        offer,
    }))
}

pub async fn decide(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PagePath(id): PagePath<i64>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let accept = form.text("decision") == "accept";
    offer::decide(&state.app, &p, id, accept).await?;
    let notice = if accept {
        "offer_accepted"
    } else {
        "offer_declined"
    };
    Ok(Redirect::to(&format!("/messages?notice={notice}")).into_response())
}
