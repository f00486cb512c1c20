//! The school's side of enrollment (F1, F2): every enrollment of a term with its order's
//! state, by class, course or student; and a selection the school makes for a student,
//! which the parent confirms by paying (or at once, when free) or declines by cancelling.

use kehou_domain::Permission;
use kehou_domain::enrollment::EnrollmentStatus;
use kehou_store::entity::enrollment::enrollment;
use kehou_store::entity::school::student;
use kehou_store::sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::order::{EnrollmentView, views};
use super::select::{EnrollInput, EnrollResult, Source, place};
use super::term_row;
use crate::platform::audit::By;
use crate::platform::messages;
use crate::{Actor, App, Error, Page, PageRequest, Result};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    pub teaching_class_id: Option<i64>,
    pub offering_item_id: Option<i64>,
    pub student_id: Option<i64>,
    /// pending_payment, confirmed, dropped, expired or cancelled.
    pub status: Option<String>,
    /// From 1.
    pub page: Option<u64>,
    /// 1–100, default 20.
    pub page_size: Option<u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RosterRow {
    pub student_name: String,
    pub student_no: String,
    pub admin_class: String,
    /// The student's latest signature of the term's notice, for its confirmation.
    pub signature_id: Option<i64>,
    pub enrollment: EnrollmentView,
}

/// The enrollments of a term (`enrollment.manage`), newest first, filtered, a page at a
/// time.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    q: &RosterQuery,
) -> Result<Page<RosterRow>> {
    let page = PageRequest::new(q.page, q.page_size)?;
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
    let total = find.clone().count(&app.db).await?;
    let rows = find
        .order_by_desc(enrollment::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|e| e.student_id)))
        .all(&app.db)
        .await?;
    let classes = crate::school::student::class_names(&app.db, school.id).await?;
    let signed = super::notice::latest_signatures(
        &app.db,
        school.id,
        t.id,
        students.iter().map(|s| s.id).collect(),
    )
    .await?;
    let views = views(app, &app.db, rows).await?;
    Ok(Page {
        items: views
            .into_iter()
            .map(|e| {
                let signature = signed.get(&e.student_id).copied();
                roster_row(&students, &classes, signature, e)
            })
            .collect(),
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

fn roster_row(
    students: &[student::Model],
    classes: &std::collections::HashMap<i64, String>,
    signature_id: Option<i64>,
    e: EnrollmentView,
) -> RosterRow {
    let s = students.iter().find(|s| s.id == e.student_id);
    RosterRow {
        student_name: s.map(|s| s.name.clone()).unwrap_or_default(),
        student_no: s.map(|s| s.student_no.clone()).unwrap_or_default(),
        admin_class: s
            .and_then(|s| s.class_id)
            .and_then(|c| classes.get(&c).cloned())
            .unwrap_or_default(),
        signature_id,
        enrollment: e,
    }
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
        let txn = kehou_store::begin_write(&app.db).await?;
        let parents = super::tell_guardians(
            &txn,
            child.id,
            format!("学校为{}选了{}门课程", child.name, result.accepted),
            format!(
                "{}为{}选择了课程，请在“报名选课”中确认：需付费的课程按时支付即确认，不需要的请取消。",
                school.name, child.name
            ),
            app.now(),
        )
        .await?;
        txn.commit().await?;
        for p in parents {
            messages::announce(app, p);
        }
    }
    Ok(result)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeadView {
    pub school_id: i64,
    pub term_id: i64,
    pub term: String,
    /// The administrative classes the caller heads.
    pub classes: Vec<String>,
    pub rows: Vec<RosterRow>,
    /// Students of those classes with no enrollment this term.
    pub without: Vec<HeadStudent>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeadStudent {
    pub student_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CancelInput {
    /// Why, for the parents and the record (1–200 characters).
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// A head teacher's view (F9): the enrollments of the students of the administrative
/// classes they head, in a term (the current one by default).
pub async fn head_teacher(app: &App, actor: &Actor, term_id: Option<i64>) -> Result<HeadView> {
    use kehou_store::entity::school::admin_class;
    if actor.org_kind != kehou_domain::OrgKind::School {
        return Err(Error::NotFound("班级"));
    }
    let school_id = actor.org_id;
    let term = match term_id {
        Some(id) => term_row(&app.db, school_id, id).await?,
        None => super::current_term(app, &app.db, school_id).await?,
    };
    let heads: Vec<admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school_id))
        .filter(admin_class::Column::HeadTeacherId.eq(actor.user_id))
        .all(&app.db)
        .await?;
    let names = crate::school::student::class_names(&app.db, school_id).await?;
    let students = student::Entity::find()
        .filter(student::Column::ClassId.is_in(heads.iter().map(|c| c.id)))
        .order_by_asc(student::Column::StudentNo)
        .all(&app.db)
        .await?;
    let rows = enrollment::Entity::find()
        .filter(enrollment::Column::TermId.eq(term.id))
        .filter(enrollment::Column::StudentId.is_in(students.iter().map(|s| s.id)))
        .order_by_desc(enrollment::Column::Id)
        .all(&app.db)
        .await?;
    let with: std::collections::HashSet<i64> = rows.iter().map(|e| e.student_id).collect();
    let views = views(app, &app.db, rows).await?;
    Ok(HeadView {
        school_id,
        term_id: term.id,
        term: format!("{} {}", term.school_year, term.name),
        classes: heads
            .iter()
            .filter_map(|c| names.get(&c.id).cloned())
            .collect(),
        rows: views
            .into_iter()
            .map(|e| roster_row(&students, &names, None, e))
            .collect(),
        without: students
            .iter()
            .filter(|s| !with.contains(&s.id))
            .map(|s| HeadStudent {
                student_id: s.id,
                name: s.name.clone(),
            })
            .collect(),
    })
}

/// The school or the student's head teacher cancels an enrollment (F9): an unpaid one is
/// cancelled, a confirmed one dropped (已退课), at any time, with a reason the guardians
/// read; the seat goes to the waitlist.
pub async fn cancel_for(
    app: &App,
    actor: &Actor,
    enrollment_id: i64,
    input: CancelInput,
) -> Result<EnrollmentView> {
    use kehou_store::entity::school::admin_class;
    let e = enrollment::Entity::find_by_id(enrollment_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    let s = student::Entity::find_by_id(e.student_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    let manager =
        crate::school::school_for(&app.db, actor, e.school_id, Permission::EnrollmentManage)
            .await
            .is_ok();
    let head = actor.org_id == e.school_id
        && match s.class_id {
            Some(c) => admin_class::Entity::find_by_id(c)
                .one(&app.db)
                .await?
                .is_some_and(|k| k.head_teacher_id == Some(actor.user_id)),
            None => false,
        };
    if !manager && !head {
        return Err(Error::NotFound("报名"));
    }
    let reason = kehou_domain::field::required_text(input.reason.as_deref().unwrap_or(""), 200)
        .map_err(|m| Error::invalid("reason", m))?;
    let txn = kehou_store::begin_write(&app.db).await?;
    student::Entity::find_by_id(s.id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let e = enrollment::Entity::find_by_id(e.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    let to = match EnrollmentStatus::parse(&e.status) {
        Some(EnrollmentStatus::PendingPayment) => EnrollmentStatus::Cancelled,
        Some(EnrollmentStatus::Confirmed) => EnrollmentStatus::Dropped,
        _ => return Err(Error::conflict("这条报名已经结束")),
    };
    let now = app.now();
    let (e, class_id) = super::order::release(
        &txn,
        app,
        Some(actor),
        e,
        to,
        &format!("学校取消：{reason}"),
        now,
    )
    .await?;
    let school = crate::system::load_any_school(&txn, e.school_id).await?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.cancel_for",
        ("enrollment", e.id),
        format!("为学生 {} {}：{reason}", s.name, to.label()),
    )
    .await?;
    let parents = super::tell_guardians(
        &txn,
        s.id,
        format!("{}的一门课程{}", s.name, to.label()),
        format!("学校为{}办理了{}，原因：{reason}", s.name, to.label()),
        now,
    )
    .await?;
    txn.commit().await?;
    for p in parents {
        messages::announce(app, p);
    }
    if let Some(c) = class_id {
        super::waitlist::offer_seats(app, c).await?;
    }
    views(app, &app.db, vec![e])
        .await?
        .pop()
        .ok_or(Error::NotFound("报名"))
}

/// [`select_for`] with the student given by number (学号), as the school's form has it.
pub async fn select_by_number(
    app: &App,
    actor: &Actor,
    school_id: i64,
    student_no: &str,
    teaching_class_id: Option<i64>,
) -> Result<EnrollResult> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let no = student_no.trim();
    if no.is_empty() || no.chars().count() > 30 {
        return Err(Error::invalid("student_no", "请填写学号"));
    }
    let Some(class_id) = teaching_class_id else {
        return Err(Error::invalid("teaching_class_id", "请选择教学班"));
    };
    let s = student::Entity::find()
        .filter(student::Column::SchoolId.eq(school.id))
        .filter(student::Column::StudentNo.eq(no))
        .one(&app.db)
        .await?
        .ok_or_else(|| Error::invalid("student_no", format!("本校没有学号为 {no} 的学生")))?;
    select_for(
        app,
        actor,
        school.id,
        EnrollInput {
            student_id: Some(s.id),
            items: Some(vec![super::select::ItemInput {
                teaching_class_id: Some(class_id),
                offering_item_id: None,
                optional_fees: None,
            }]),
        },
    )
    .await
}
