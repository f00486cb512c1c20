//! The school area: profile and contacts, rooms, calendar and bell schedule,
//! administrative classes, departments and posts, staff, students and guardians.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    use api::{admin_class, calendar, initial_password, profile, room, staff, student};
    use pages::{
        admin_classes as class_pages, calendar as calendar_pages, profile as profile_pages,
        rooms as room_pages, staff as staff_pages, students as student_pages,
    };
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(room::list_rooms, room::create_room))
            .routes(routes!(room::get_room, room::update_room))
            .routes(routes!(calendar::list_terms, calendar::create_term))
            .routes(routes!(calendar::get_term, calendar::update_term))
            .routes(routes!(calendar::set_calendar))
            .routes(routes!(calendar::term_days))
            .routes(routes!(calendar::list_periods, calendar::set_periods))
            .routes(routes!(calendar::periods_on))
            .routes(routes!(profile::get_profile, profile::set_profile))
            .routes(routes!(profile::add_contact))
            .routes(routes!(profile::remove_contact))
            .routes(routes!(profile::contact_phone))
            .routes(routes!(
                admin_class::list_admin_classes,
                admin_class::create_admin_class
            ))
            .routes(routes!(
                admin_class::promote_admin_classes,
                admin_class::promotion_preview
            ))
            .routes(routes!(admin_class::update_admin_class))
            .routes(routes!(admin_class::list_units, admin_class::add_unit))
            .routes(routes!(admin_class::remove_unit))
            .routes(routes!(admin_class::list_grades))
            .routes(routes!(student::list_students, student::create_student))
            .routes(routes!(student::get_student, student::update_student))
            .routes(routes!(student::add_guardian))
            .routes(routes!(student::remove_guardian))
            .routes(routes!(student::student_id_number))
            .routes(routes!(student::my_children))
            .routes(routes!(staff::list, staff::create))
            .routes(routes!(staff::get, staff::update))
            .routes(routes!(initial_password::issue)),
        pages: PageRoutes::new()
            .get("/rooms", room_pages::index)
            .get("/schools/{id}/rooms", room_pages::list)
            .post("/schools/{id}/rooms", room_pages::create)
            .get("/schools/{id}/rooms/new", room_pages::new_page)
            .get("/schools/{id}/rooms/export", room_pages::export)
            .get("/schools/{id}/rooms/{room_id}", room_pages::edit)
            .post("/schools/{id}/rooms/{room_id}", room_pages::update)
            .get("/school", profile_pages::index)
            .post("/schools/{id}/profile", profile_pages::save_profile)
            .post("/schools/{id}/contacts", profile_pages::add_contact)
            .post(
                "/schools/{id}/contacts/{contact_id}/delete",
                profile_pages::remove_contact,
            )
            .post(
                "/schools/{id}/contacts/{contact_id}/reveal",
                profile_pages::reveal_contact,
            )
            .get("/admin-classes", class_pages::index)
            .get("/schools/{id}/admin-classes", class_pages::list)
            .post("/schools/{id}/admin-classes", class_pages::create)
            .get(
                "/schools/{id}/admin-classes/promote",
                class_pages::promotion_preview,
            )
            .post("/schools/{id}/admin-classes/promote", class_pages::promote)
            .get("/schools/{id}/admin-classes/new", class_pages::new_page)
            .get("/schools/{id}/admin-classes/export", class_pages::export)
            .get("/schools/{id}/admin-classes/{class_id}", class_pages::edit)
            .post(
                "/schools/{id}/admin-classes/{class_id}",
                class_pages::update,
            )
            .post("/schools/{id}/units", class_pages::add_unit)
            .post(
                "/schools/{id}/units/{unit_id}/delete",
                class_pages::remove_unit,
            )
            .get("/calendar", calendar_pages::index)
            .get("/schools/{id}/calendar", calendar_pages::show)
            .post("/schools/{id}/terms", calendar_pages::create_term)
            .post(
                "/schools/{id}/terms/{term_id}/holidays",
                calendar_pages::add_holiday,
            )
            .post(
                "/schools/{id}/terms/{term_id}/holidays/{index}/delete",
                calendar_pages::delete_holiday,
            )
            .post(
                "/schools/{id}/terms/{term_id}/extra-days",
                calendar_pages::add_extra_day,
            )
            .post(
                "/schools/{id}/terms/{term_id}/extra-days/{index}/delete",
                calendar_pages::delete_extra_day,
            )
            .post("/schools/{id}/periods", calendar_pages::set_periods)
            .get("/students", student_pages::index)
            .get("/schools/{id}/students", student_pages::list)
            .post("/schools/{id}/students", student_pages::create)
            .get("/schools/{id}/students/new", student_pages::new_page)
            .get("/schools/{id}/students/export", student_pages::export)
            .post(
                "/schools/{id}/students/guardian-passwords",
                pages::initial_passwords::guardians,
            )
            .get("/schools/{id}/students/{student_id}", student_pages::detail)
            .get(
                "/schools/{id}/students/{student_id}/edit",
                student_pages::edit,
            )
            .get(
                "/schools/{id}/students/{student_id}/guardians/new",
                student_pages::new_guardian,
            )
            .post("/schools/{id}/students/{student_id}", student_pages::update)
            .post(
                "/schools/{id}/students/{student_id}/guardians",
                student_pages::add_guardian,
            )
            .post(
                "/schools/{id}/students/{student_id}/guardians/{guardian_id}/delete",
                student_pages::remove_guardian,
            )
            .post(
                "/schools/{id}/students/{student_id}/id-number",
                student_pages::reveal_id,
            )
            .get("/staff", staff_pages::index)
            .get("/schools/{id}/staff", staff_pages::list)
            .post("/schools/{id}/staff", staff_pages::create)
            .get("/schools/{id}/staff/new", staff_pages::new_page)
            .get("/schools/{id}/staff/export", staff_pages::export)
            .post(
                "/schools/{id}/staff/initial-passwords",
                pages::initial_passwords::staff,
            )
            .get("/schools/{id}/staff/{staff_id}", staff_pages::edit)
            .post("/schools/{id}/staff/{staff_id}", staff_pages::update),
    }
}
