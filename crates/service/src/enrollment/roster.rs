//! The school's side of enrollment (F1, F2): every enrollment of a term with its order's
//! state, by class, course or student; and a selection the school makes for a student,
//! which the parent confirms by paying (or at once, when free) or declines by cancelling.

use kehou_domain::Permission;
use kehou_domain::enrollment::EnrollmentStatus;
use kehou_store::entity::enrollment::enrollment;
use kehou_store::entity::school::{guardian, student};
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::order::{EnrollmentView, views};
use super::select::{EnrollInput, EnrollResult, Source, place};
use super::term_row;
use crate::platform::audit::By;
use crate::platform::messages::{self, NewMessage};
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    pub teaching_class_id: Option<i64>,
    pub offering_item_id: Option<i64>,
    pub student_id: Option<i64>,
    /// pending_payment, confirmed, dropped, expired or cancelled.
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RosterRow {
    pub student_name: String,
    pub student_no: String,
    pub admin_class: String,
    pub enrollment: EnrollmentView,
}

/// The enrollments of a term (`enrollment.manage`), newest first, filtered.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    q: &RosterQuery,
) -> Result<Vec<RosterRow>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    let mut find = enrollment::Entity::find()
        .filter(enrollment::Column::SchoolId.eq(school.id))
        .filter(enrollment::Column::TermId.eq(t.id));
    if let Some(c) = q.teaching_class_id {
        find = find.filter(enrollment::Column::ClassId.eq(c));
    }
    if let Some(i) = q.offering_item_id {
        find = find.filter(enrollment::Column::ItemId.eq(i));
    }
    if let Some(s) = q.student_id {
        find = find.filter(enrollment::Column::StudentId.eq(s));
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        let status =
            EnrollmentStatus::parse(s).ok_or_else(|| Error::invalid("status", "状态无效"))?;
        find = find.filter(enrollment::Column::Status.eq(status.code()));
    }
    let rows = find
        .order_by_desc(enrollment::Column::Id)
        .all(&app.db)
        .await?;
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|e| e.student_id)))
        .all(&app.db)
        .await?;
    let classes = crate::school::student::class_names(&app.db, school.id).await?;
    let views = views(app, &app.db, rows).await?;
    Ok(views
        .into_iter()
        .map(|e| {
            let s = students.iter().find(|s| s.id == e.student_id);
            RosterRow {
                student_name: s.map(|s| s.name.clone()).unwrap_or_default(),
                student_no: s.map(|s| s.student_no.clone()).unwrap_or_default(),
                admin_class: s
                    .and_then(|s| s.class_id)
                    .and_then(|c| classes.get(&c).cloned())
                    .unwrap_or_default(),
                enrollment: e,
            }
        })
        .collect())
}

/// The school selects for one of its students (F2): the rules hold as for a parent, but
/// not the windows nor the notice; the guardians get a message to pay (confirm) or cancel
/// (decline).
pub async fn select_for(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: EnrollInput,
) -> Result<EnrollResult> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let Some(student_id) = input.student_id else {
        return Err(Error::invalid("student_id", "请选择学生"));
    };
    let wanted = super::select::parse_items(input.items)?;
    let child = student::Entity::find_by_id(student_id)
        .filter(student::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("学生"))?;
    let result = place(
        app,
        child.clone(),
        &wanted,
        Source::School,
        &By::actor(actor),
        Some(actor.user_id),
    )
    .await?;
    if result.accepted > 0 {
        let parents: Vec<i64> = guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(child.id))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|g| g.user_id)
            .collect();
        let txn = kehou_store::begin_write(&app.db).await?;
        for p in &parents {
            messages::send(
                &txn,
                *p,
                NewMessage {
                    kind: "enrollment",
                    title: format!("学校为{}选了{}门课程", child.name, result.accepted),
                    body: format!(
                        "{}为{}选择了课程，请在“报名选课”中确认：需付费的课程按时支付即确认，不需要的请取消。",
                        school.name, child.name
                    ),
                    link: Some(format!("/enroll?student_id={}", child.id)),
                },
                app.now(),
            )
            .await?;
        }
        txn.commit().await?;
        for p in parents {
            messages::announce(app, p);
        }
    }
    Ok(result)
}
