//! The identity area: login and sessions, the acting membership, accounts, roles.

mod api;
pub(crate) mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    use api::{auth, departments, invitations, roles, users};
    use pages::{
        departments as department_pages, invitations as invitation_pages, roles as role_pages,
        session, users as user_pages,
    };
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(auth::token))
            .routes(routes!(auth::sms_code))
            .routes(routes!(auth::password_reset))
            .routes(routes!(auth::sandbox_sms))
            .routes(routes!(auth::logout))
            .routes(routes!(auth::change_password))
            .routes(routes!(auth::me))
            .routes(routes!(auth::switch_membership))
            .routes(routes!(users::list, users::create))
            .routes(routes!(users::get, users::update))
            .routes(routes!(users::freeze))
            .routes(routes!(users::unfreeze))
            .routes(routes!(users::reset_password))
            .routes(routes!(users::reveal_phone))
            .routes(routes!(users::add_membership))
            .routes(routes!(users::remove_membership))
            .routes(routes!(departments::assign))
            .routes(routes!(departments::list, departments::create))
            .routes(routes!(
                departments::get,
                departments::update,
                departments::delete
            ))
            .routes(routes!(invitations::get))
            .routes(routes!(invitations::accept))
            .routes(routes!(invitations::decline))
            .routes(routes!(roles::permissions))
            .routes(routes!(roles::list, roles::create))
            .routes(routes!(roles::get))
            .routes(routes!(roles::set_permissions)),
        pages: PageRoutes::new()
            .get("/", session::home)
            .get("/login", session::login_page)
            .post("/login", session::login)
            .post("/login/sms-code", session::send_sms_code)
            .post("/login/reset", session::reset_password)
            .post("/logout", session::logout)
            .get("/password", session::password_page)
            .post("/password", session::change_password)
            .post("/switch", session::switch)
            .get("/users", user_pages::list)
            .get("/users/export", user_pages::export)
            .get("/users/new", user_pages::new_page)
            .post("/users/new", user_pages::create)
            .get("/users/{id}", user_pages::detail)
            .post("/users/{id}", user_pages::update)
            .post("/users/{id}/freeze", user_pages::freeze)
            .post("/users/{id}/unfreeze", user_pages::unfreeze)
            .post("/users/{id}/reset-password", user_pages::reset_password)
            .post("/users/{id}/phone", user_pages::reveal_phone)
            .post("/users/{id}/memberships", user_pages::add_membership)
            .post(
                "/users/{id}/memberships/{membership_id}/delete",
                user_pages::remove_membership,
            )
            .get(
                "/users/{id}/memberships/{membership_id}/departments",
                department_pages::assign_form,
            )
            .post(
                "/users/{id}/memberships/{membership_id}/departments",
                department_pages::assign,
            )
            .get("/orgs/{id}/departments/new", department_pages::new_page)
            .post("/orgs/{id}/departments", department_pages::create)
            .get(
                "/orgs/{id}/departments/{department_id}",
                department_pages::edit,
            )
            .post(
                "/orgs/{id}/departments/{department_id}",
                department_pages::update,
            )
            .post(
                "/orgs/{id}/departments/{department_id}/delete",
                department_pages::delete,
            )
            .get("/invitations/{id}", invitation_pages::show)
            .post("/invitations/{id}", invitation_pages::decide)
            .get("/roles", role_pages::list)
            .post("/roles", role_pages::create)
            .get("/roles/new", role_pages::new_page)
            .get("/roles/{id}", role_pages::detail)
            .post("/roles/{id}", role_pages::save),
    }
}
