//! Waitlists: when a teaching class is full a parent may join its waitlist; when a seat
//! frees (a drop, a cancelled or expired order) the first waiting student who still fits
//! the rules is given an enrollment — with an order that holds the seat for the term's
//! hold time, or confirmed at once for a free course — and a message. An offer left unpaid
//! expires like any order, and the seat passes to the next.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use kehou_domain::enrollment::{Refusal, WaitStatus};
use kehou_store::entity::enrollment::waitlist;
use kehou_store::entity::school::student;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::select::{Source, Target, Wanted, admit, candidates, judge, load_ctx};
use super::{child_of, record};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages::{self, NewMessage};
use crate::{Actor, App, Error, Result};

/// How many seats one freeing offers at most in a row (a guard, not a rule).
const OFFERS_MAX: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct JoinInput {
    #[schema(required = true)]
    pub student_id: Option<i64>,
    #[schema(required = true)]
    pub teaching_class_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitView {
    pub id: i64,
    pub student_id: i64,
    pub teaching_class_id: i64,
    pub class_name: String,
    /// waiting, offered or withdrawn.
    pub status: String,
    pub status_label: &'static str,
    /// 1 = next to be offered a seat, while waiting.
    pub position: Option<usize>,
    /// The enrollment made when a seat was offered.
    pub enrollment_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_label: String,
}

async fn view(db: &impl ConnectionTrait, w: waitlist::Model) -> Result<WaitView> {
    let position = if w.status == WaitStatus::Waiting.code() {
        let ahead = waitlist::Entity::find()
            .select_only()
            .column(waitlist::Column::Id)
            .filter(waitlist::Column::ClassId.eq(w.class_id))
            .filter(waitlist::Column::Status.eq(WaitStatus::Waiting.code()))
            .filter(waitlist::Column::Id.lt(w.id))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .len();
        Some(ahead + 1)
    } else {
        None
    };
    let class_name = crate::teaching::class::by_ids(db, vec![w.class_id])
        .await?
        .pop()
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(WaitView {
        id: w.id,
        student_id: w.student_id,
        teaching_class_id: w.class_id,
        class_name,
        status_label: WaitStatus::parse(&w.status).map_or("", WaitStatus::label),
        status: w.status,
        position,
        enrollment_id: w.enrollment_id,
        note: w.note,
        created_label: china_label(w.created_at),
        created_at: w.created_at,
    })
}

/// The classes whose waitlist a student is on.
pub(crate) async fn waiting_classes(
    db: &impl ConnectionTrait,
    student_id: i64,
) -> Result<HashSet<i64>> {
    Ok(waitlist::Entity::find()
        .filter(waitlist::Column::StudentId.eq(student_id))
        .filter(waitlist::Column::Status.eq(WaitStatus::Waiting.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.class_id)
        .collect())
}

/// A guardian puts a child on a full class's waitlist. Every rule but the seats must hold
/// already; a class with seats left is chosen directly instead.
pub async fn join(app: &App, actor: &Actor, input: JoinInput) -> Result<WaitView> {
    let Some(student_id) = input.student_id else {
        return Err(Error::invalid("student_id", "请选择孩子"));
    };
    let Some(class_id) = input.teaching_class_id else {
        return Err(Error::invalid("teaching_class_id", "请选择教学班"));
    };
    let child = child_of(&app.db, actor, student_id).await?;
    let Some(k) = crate::teaching::class::by_ids(&app.db, vec![class_id])
        .await?
        .pop()
    else {
        return Err(Error::NotFound("教学班"));
    };
    if k.school_id != child.school_id {
        return Err(Error::NotFound("教学班"));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let child = student::Entity::find_by_id(child.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("学生"))?;
    let cand = candidates(app, &txn, &[Target::Class(class_id)], true)
        .await?
        .pop()
        .flatten()
        .ok_or(Error::NotFound("教学班"))?;
    let ctx = load_ctx(app, &txn, child, k.term_id).await?;
    match judge(&ctx, &cand, app.now()) {
        Ok(()) => {
            return Err(Error::conflict_on(
                "teaching_class_id",
                "这个教学班还有名额，请直接报名",
            ));
        }
        Err((Refusal::Full, _)) => {}
        Err((_, message)) => return Err(Error::conflict_on("teaching_class_id", message)),
    }
    let now = app.now();
    let row = waitlist::ActiveModel {
        school_id: Set(k.school_id),
        term_id: Set(k.term_id),
        class_id: Set(k.id),
        student_id: Set(ctx.child.id),
        user_id: Set(Some(actor.user_id)),
        status: Set(WaitStatus::Waiting.code().into()),
        enrollment_id: Set(None),
        note: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique(
        "teaching_class_id",
        "已在这个教学班的候补名单中",
    ))?;
    let school = crate::system::load_any_school(&txn, k.school_id).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.waitlist_join",
        ("teaching_class", k.id),
        format!("学生 {} 加入“{}”的候补名单", ctx.child.name, k.name),
    )
    .await?;
    txn.commit().await?;
    view(&app.db, row).await
}

/// A guardian takes a child off a waitlist.
pub async fn leave(app: &App, actor: &Actor, entry_id: i64) -> Result<WaitView> {
    let w = waitlist::Entity::find_by_id(entry_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("候补"))?;
    child_of(&app.db, actor, w.student_id)
        .await
        .map_err(|_| Error::NotFound("候补"))?;
    if w.status != WaitStatus::Waiting.code() {
        return Err(Error::conflict("已不在候补中"));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let mut m = w.into_active_model();
    m.status = Set(WaitStatus::Withdrawn.code().into());
    m.note = Set(Some("家长退出候补".into()));
    m.updated_at = Set(app.now());
    let row = m.update(&txn).await?;
    txn.commit().await?;
    view(&app.db, row).await
}

/// A child's waitlist places, newest first.
pub async fn of_student(app: &App, actor: &Actor, student_id: i64) -> Result<Vec<WaitView>> {
    let child = child_of(&app.db, actor, student_id).await?;
    let rows = waitlist::Entity::find()
        .filter(waitlist::Column::StudentId.eq(child.id))
        .order_by_desc(waitlist::Column::Id)
        .all(&app.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for w in rows {
        out.push(view(&app.db, w).await?);
    }
    Ok(out)
}

/// Offers a class's free seats to its waitlist, first come first served, one student per
/// transaction (student locked before class, as a selection does). Answers how many
/// seats were offered.
pub(crate) async fn offer_seats(app: &App, class_id: i64) -> Result<usize> {
    let mut offered = 0;
    for _ in 0..OFFERS_MAX {
        let Some(first) = waitlist::Entity::find()
            .filter(waitlist::Column::ClassId.eq(class_id))
            .filter(waitlist::Column::Status.eq(WaitStatus::Waiting.code()))
            .order_by_asc(waitlist::Column::Id)
            .one(&app.db)
            .await?
        else {
            break;
        };
        match offer_one(app, first).await? {
            Offer::Made => offered += 1,
            Offer::Skipped => {}
            Offer::NoSeat => break,
        }
    }
    Ok(offered)
}

enum Offer {
    Made,
    Skipped,
    NoSeat,
}

async fn offer_one(app: &App, entry: waitlist::Model) -> Result<Offer> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let Some(child) = student::Entity::find_by_id(entry.student_id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(Offer::Skipped);
    };
    let Some(mut cand) = candidates(app, &txn, &[Target::Class(entry.class_id)], true)
        .await?
        .pop()
        .flatten()
    else {
        return Ok(Offer::NoSeat);
    };
    // Another instance may have offered it meanwhile.
    let Some(entry) = waitlist::Entity::find_by_id(entry.id)
        .one(&txn)
        .await?
        .filter(|w| w.status == WaitStatus::Waiting.code())
    else {
        return Ok(Offer::Skipped);
    };
    let mut ctx = load_ctx(app, &txn, child, entry.term_id).await?;
    ctx.trusted = true;
    let now = app.now();
    let class_name = cand
        .class
        .as_ref()
        .map(|k| k.name.clone())
        .unwrap_or_default();
    let school = crate::system::load_any_school(&txn, entry.school_id).await?;
    let user = entry.user_id;
    let (outcome, message) = match judge(&ctx, &cand, now) {
        Err((Refusal::Full, _)) => return Ok(Offer::NoSeat),
        Err((_, reason)) => {
            let mut m = entry.into_active_model();
            m.status = Set(WaitStatus::Withdrawn.code().into());
            m.note = Set(Some(reason.chars().take(200).collect()));
            m.updated_at = Set(now);
            m.update(&txn).await?;
            (
                Offer::Skipped,
                NewMessage {
                    kind: "enrollment",
                    title: format!("“{class_name}”候补未能递补"),
                    body: format!("“{class_name}”有名额空出，但{}：{reason}", ctx.child.name),
                    link: Some("/enroll".into()),
                },
            )
        }
        Ok(()) => {
            let wanted = Wanted {
                target: Target::Class(entry.class_id),
                textbook: false,
                misc: false,
            };
            let a = admit(
                app,
                &txn,
                &mut ctx,
                &mut cand,
                &wanted,
                Source::Waitlist,
                user,
            )
            .await?;
            let class_id = entry.class_id;
            let mut m = entry.into_active_model();
            m.status = Set(WaitStatus::Offered.code().into());
            m.enrollment_id = Set(Some(a.enrollment_id));
            m.updated_at = Set(now);
            m.update(&txn).await?;
            record(
                &txn,
                app,
                &By::system(),
                (school.id, &school.path),
                "enrollment.waitlist_offer",
                ("teaching_class", class_id),
                format!("“{class_name}”空出名额，递补候补学生 {}", ctx.child.name),
            )
            .await?;
            let body = match a.hold_until {
                Some(until) => format!(
                    "{}已从候补递补进入“{class_name}”，名额保留至{}，请按时支付{}元，逾期名额将顺延给下一位。",
                    ctx.child.name,
                    china_label(until),
                    kehou_domain::Fen(a.total_fen)
                ),
                None => format!(
                    "{}已从候补递补进入“{class_name}”，报名已确认。",
                    ctx.child.name
                ),
            };
            (
                Offer::Made,
                NewMessage {
                    kind: "enrollment",
                    title: format!("候补成功：{class_name}"),
                    body,
                    link: Some("/enroll".into()),
                },
            )
        }
    };
    if let Some(u) = user {
        messages::send(&txn, u, message, now).await?;
    }
    txn.commit().await?;
    if let Some(u) = user {
        messages::announce(app, u);
    }
    Ok(outcome)
}
