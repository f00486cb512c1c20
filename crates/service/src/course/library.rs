//! The bureaus' course and teacher libraries (课程库 / 师资库, D8). A school or an
//! institution submits one of its courses, an institution one of its teachers, a school
//! one of its staff, to a bureau above it (the city's or the district's library); that
//! bureau's reviewers (the expert reviewer role, `library.review`) admit or reject it
//! with a comment, and may later take an admitted entry out. Schools choose from the
//! entries admitted by the bureaus above them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kehou_domain::course::{LibraryAction, LibraryStatus};
use kehou_domain::{OrgKind, Permission};
use kehou_store::entity::course::{catalog as course, library_entry};
use kehou_store::entity::identity::user;
use kehou_store::entity::institution::teacher;
use kehou_store::entity::org;
use kehou_store::entity::school::staff;
use kehou_store::sea_orm::sea_query::Query;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::{Actor, App, Error, Result};

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A course of a school or an institution.
    Course,
    /// A teacher of an institution.
    Teacher,
    /// A teacher of a school (its staff).
    Staff,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Course, Self::Teacher, Self::Staff];

    pub fn code(self) -> &'static str {
        match self {
            Self::Course => "course",
            Self::Teacher => "teacher",
            Self::Staff => "staff",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Course => "课程",
            Self::Teacher => "机构教师",
            Self::Staff => "本校教师",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = LibraryEntryView)]
pub struct EntryView {
    pub id: i64,
    /// The bureau whose library it is.
    pub bureau_id: i64,
    pub bureau_name: String,
    /// course, teacher (an institution's) or staff (a school's).
    pub kind: String,
    pub kind_label: &'static str,
    pub subject_id: i64,
    pub subject_name: String,
    pub owner_org_id: i64,
    pub owner_name: String,
    /// submitted, admitted, rejected or revoked.
    pub status: String,
    pub status_label: &'static str,
    /// The reviewers' comment on their latest decision.
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub kind: Option<Kind>,
    pub status: Option<LibraryStatus>,
    pub bureau_id: Option<i64>,
}

async fn subject_names(
    db: &impl ConnectionTrait,
    rows: &[library_entry::Model],
) -> Result<HashMap<(String, i64), String>> {
    let ids = |k: Kind| -> Vec<i64> {
        rows.iter()
            .filter(|e| e.kind == k.code())
            .map(|e| e.subject_id)
            .collect()
    };
    // A list of one kind of entries (the common case) reads one kind of names.
    let (courses, teachers, staff_ids) = (ids(Kind::Course), ids(Kind::Teacher), ids(Kind::Staff));
    let mut names = HashMap::new();
    if !courses.is_empty() {
        for c in course::Entity::find()
            .filter(course::Column::Id.is_in(courses))
            .all(db)
            .await?
        {
            names.insert((Kind::Course.code().to_string(), c.id), c.name);
        }
    }
    if !teachers.is_empty() {
        for t in teacher::Entity::find()
            .filter(teacher::Column::Id.is_in(teachers))
            .all(db)
            .await?
        {
            names.insert((Kind::Teacher.code().to_string(), t.id), t.name);
        }
    }
    if !staff_ids.is_empty() {
        let staff_rows = staff::Entity::find()
            .filter(staff::Column::Id.is_in(staff_ids))
            .all(db)
            .await?;
        let users: HashMap<i64, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(staff_rows.iter().map(|s| s.user_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        for s in staff_rows {
            let name = users.get(&s.user_id).cloned().unwrap_or_default();
            names.insert((Kind::Staff.code().to_string(), s.id), name);
        }
    }
    Ok(names)
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<library_entry::Model>,
) -> Result<Vec<EntryView>> {
    let orgs: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(rows.iter().flat_map(|e| [e.bureau_id, e.owner_org_id])))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut names = subject_names(db, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|e| {
            let kind = Kind::parse(&e.kind).unwrap_or(Kind::Course);
            let status = LibraryStatus::parse(&e.status).unwrap_or(LibraryStatus::Submitted);
            EntryView {
                id: e.id,
                bureau_name: orgs.get(&e.bureau_id).cloned().unwrap_or_default(),
                bureau_id: e.bureau_id,
                kind: kind.code().into(),
                kind_label: kind.label(),
                subject_name: names
                    .remove(&(e.kind.clone(), e.subject_id))
                    .unwrap_or_default(),
                subject_id: e.subject_id,
                owner_name: orgs.get(&e.owner_org_id).cloned().unwrap_or_default(),
                owner_org_id: e.owner_org_id,
                status: status.code().into(),
                status_label: status.label(),
                comment: e.comment,
                submitted_at: e.submitted_at,
                decided_at: e.decided_at,
            }
        })
        .collect())
}

/// The entries of some subjects of one kind, by subject: what their owners' pages show.
pub(crate) async fn entries_for(
    db: &impl ConnectionTrait,
    kind: Kind,
    subject_ids: &[i64],
) -> Result<HashMap<i64, Vec<EntryView>>> {
    let rows = library_entry::Entity::find()
        .filter(library_entry::Column::Kind.eq(kind.code()))
        .filter(library_entry::Column::SubjectId.is_in(subject_ids.iter().copied()))
        .order_by_asc(library_entry::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<EntryView>> = HashMap::new();
    for v in views(db, rows).await? {
        out.entry(v.subject_id).or_default().push(v);
    }
    Ok(out)
}

/// The ids of the bureaus above an organization, from its path.
pub(crate) fn ancestors(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|id| id.parse().ok()).collect()
}

/// Which of these subjects a bureau above `path` has admitted.
pub(crate) async fn admitted_above(
    db: &impl ConnectionTrait,
    kind: Kind,
    subject_ids: &[i64],
    path: &str,
) -> Result<HashSet<i64>> {
    Ok(library_entry::Entity::find()
        .filter(library_entry::Column::Kind.eq(kind.code()))
        .filter(library_entry::Column::SubjectId.is_in(subject_ids.iter().copied()))
        .filter(library_entry::Column::BureauId.is_in(ancestors(path)))
        .filter(library_entry::Column::Status.eq(LibraryStatus::Admitted.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.subject_id)
        .collect())
}

/// Entries the actor may read: of the libraries in their jurisdiction, their own
/// submissions, and what the bureaus above them admitted.
fn visible(actor: &Actor) -> Condition {
    Condition::any()
        .add(
            library_entry::Column::BureauId.in_subquery(
                Query::select()
                    .column(org::Column::Id)
                    .from(org::Entity)
                    .and_where(org::Column::Path.starts_with(&actor.org_path))
                    .to_owned(),
            ),
        )
        .add(library_entry::Column::OwnerOrgId.eq(actor.org_id))
        .add(
            Condition::all()
                .add(library_entry::Column::BureauId.is_in(ancestors(&actor.org_path)))
                .add(library_entry::Column::Status.eq(LibraryStatus::Admitted.code())),
        )
}

pub async fn list(app: &App, actor: &Actor, filter: &EntryFilter) -> Result<Vec<EntryView>> {
    let mut q = library_entry::Entity::find().filter(visible(actor));
    if let Some(k) = filter.kind {
        q = q.filter(library_entry::Column::Kind.eq(k.code()));
    }
    if let Some(s) = filter.status {
        q = q.filter(library_entry::Column::Status.eq(s.code()));
    }
    if let Some(b) = filter.bureau_id {
        q = q.filter(library_entry::Column::BureauId.eq(b));
    }
    let rows = q
        .order_by_desc(library_entry::Column::SubmittedAt)
        .order_by_desc(library_entry::Column::Id)
        .all(&app.db)
        .await?;
    views(&app.db, rows).await
}

/// The bureaus whose libraries the actor's organization may submit to: those above it.
pub async fn bureaus_above(app: &App, actor: &Actor) -> Result<Vec<(i64, String)>> {
    Ok(org::Entity::find()
        .filter(org::Column::Id.is_in(ancestors(&actor.org_path)))
        .filter(org::Column::Kind.eq(OrgKind::Bureau.code()))
        .order_by_asc(org::Column::Path)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// The teachers the actor's organization may submit to a teacher library: an
/// institution's teachers, a school's active staff; as (kind, id, name).
pub async fn own_teachers(app: &App, actor: &Actor) -> Result<Vec<(Kind, i64, String)>> {
    actor.require(Permission::CourseManage)?;
    Ok(match actor.org_kind {
        OrgKind::Institution => teacher::Entity::find()
            .filter(teacher::Column::OrgId.eq(actor.org_id))
            .order_by_asc(teacher::Column::Name)
            .all(&app.db)
            .await?
            .into_iter()
            .map(|t| (Kind::Teacher, t.id, t.name))
            .collect(),
        OrgKind::School => crate::school::staff::active_staff(&app.db, actor.org_id)
            .await?
            .into_iter()
            .map(|(id, name)| (Kind::Staff, id, name))
            .collect(),
        _ => Vec::new(),
    })
}

/// Whether the subject is the actor's organization's own.
async fn owns(db: &impl ConnectionTrait, actor: &Actor, kind: Kind, id: i64) -> Result<bool> {
    Ok(match kind {
        Kind::Course => course::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|c| c.owner_org_id == actor.org_id),
        Kind::Teacher => teacher::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|t| t.org_id == actor.org_id),
        Kind::Staff => staff::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|s| s.school_id == actor.org_id),
    })
}

/// Submits a course or teacher of the actor's organization to a bureau above it, or
/// sends a rejected or revoked one again.
pub async fn submit(
    app: &App,
    actor: &Actor,
    kind: Option<Kind>,
    subject_id: Option<i64>,
    bureau_id: Option<i64>,
) -> Result<EntryView> {
    actor.require(Permission::CourseManage)?;
    let mut invalid = kehou_domain::Invalid::default();
    if kind.is_none() {
        invalid.push("kind", "类型须为 course、teacher 或 staff");
    }
    if subject_id.is_none() {
        invalid.push("subject_id", "请选择要提交的课程或教师");
    }
    if bureau_id.is_none() {
        invalid.push("bureau_id", "请选择提交到哪一级教育局");
    }
    crate::platform::error::check(invalid)?;
    let (Some(kind), Some(subject_id), Some(bureau_id)) = (kind, subject_id, bureau_id) else {
        return Err(Error::Internal("validation".into()));
    };
    let above = ancestors(&actor.org_path);
    let txn = kehou_store::begin_write(&app.db).await?;
    let bureau = org::Entity::find_by_id(bureau_id)
        .one(&txn)
        .await?
        .filter(|b| {
            b.kind == OrgKind::Bureau.code() && above.contains(&b.id) && b.id != actor.org_id
        });
    let Some(bureau) = bureau else {
        return Err(Error::invalid("bureau_id", "只能提交到本单位所属的教育局"));
    };
    if !owns(&txn, actor, kind, subject_id).await? {
        return Err(Error::NotFound(kind.label()));
    }
    let now = app.now();
    let existing = library_entry::Entity::find()
        .filter(library_entry::Column::BureauId.eq(bureau.id))
        .filter(library_entry::Column::Kind.eq(kind.code()))
        .filter(library_entry::Column::SubjectId.eq(subject_id))
        .one(&txn)
        .await?;
    let entry = match existing {
        Some(e) => {
            let status = LibraryStatus::parse(&e.status).unwrap_or(LibraryStatus::Submitted);
            let next = status
                .next(LibraryAction::Resubmit)
                .map_err(Error::conflict)?;
            let mut m = e.into_active_model();
            m.status = Set(next.code().into());
            m.submitted_at = Set(now);
            m.submitted_by = Set(actor.user_name.clone());
            m.update(&txn).await?
        }
        None => library_entry::ActiveModel {
            bureau_id: Set(bureau.id),
            kind: Set(kind.code().into()),
            subject_id: Set(subject_id),
            owner_org_id: Set(actor.org_id),
            status: Set(LibraryStatus::Submitted.code().into()),
            comment: Set(None),
            submitted_at: Set(now),
            submitted_by: Set(actor.user_name.clone()),
            decided_at: Set(None),
            decided_by: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(Error::unique("subject_id", "已提交过"))?,
    };
    let mut view = views(&txn, vec![entry]).await?;
    let view = view.pop().ok_or(Error::NotFound("入库申请"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(actor.org_id),
            org_path: &actor.org_path,
            action: "library.submit",
            entity_type: "library_entry",
            entity_id: Some(view.id),
            summary: format!(
                "提交{}“{}”到{}{}",
                kind.label(),
                view.subject_name,
                bureau.name,
                if kind == Kind::Course {
                    "课程库"
                } else {
                    "师资库"
                }
            ),
        },
    )
    .await?;
    let told = super::tell(
        &txn,
        bureau.id,
        Permission::LibraryReview,
        format!(
            "{}提交了{}“{}”，请评审",
            view.owner_name,
            kind.label(),
            view.subject_name
        ),
        "/library?status=submitted".into(),
        now,
    )
    .await?;
    txn.commit().await?;
    super::announce(app, &told);
    Ok(view)
}

async fn load_entry(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<library_entry::Model> {
    library_entry::Entity::find_by_id(id)
        .filter(visible(actor))
        .one(db)
        .await?
        .ok_or(Error::NotFound("入库申请"))
}

/// A reviewer of the entry's bureau admits, rejects or revokes it.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    action: Option<LibraryAction>,
    comment: Option<String>,
) -> Result<EntryView> {
    actor.require(Permission::LibraryReview)?;
    let e = load_entry(&app.db, actor, id).await?;
    if e.bureau_id != actor.org_id {
        return Err(Error::Forbidden("只能评审本单位的课程库和师资库".into()));
    }
    let mut invalid = kehou_domain::Invalid::default();
    let action = match action {
        Some(a) if a != LibraryAction::Resubmit => Some(a),
        _ => {
            invalid.push("action", "操作须为 admit、reject 或 revoke");
            None
        }
    };
    let comment = invalid
        .optional_text("comment", comment.as_deref(), 500)
        .flatten();
    if action.is_some_and(LibraryAction::needs_comment) && comment.is_none() {
        invalid.push("comment", "请填写评审意见");
    }
    crate::platform::error::check(invalid)?;
    let Some(action) = action else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let e = load_entry(&txn, actor, id).await?;
    let status = LibraryStatus::parse(&e.status).unwrap_or(LibraryStatus::Submitted);
    let next = status.next(action).map_err(Error::conflict)?;
    let mut m = e.into_active_model();
    m.status = Set(next.code().into());
    m.comment = Set(comment.clone());
    m.decided_at = Set(Some(now));
    m.decided_by = Set(Some(actor.user_name.clone()));
    let e = m.update(&txn).await?;
    let owner_id = e.owner_org_id;
    let view = views(&txn, vec![e])
        .await?
        .pop()
        .ok_or(Error::NotFound("入库申请"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(actor.org_id),
            org_path: &actor.org_path,
            action: "library.decide",
            entity_type: "library_entry",
            entity_id: Some(view.id),
            summary: format!(
                "{}{}“{}”（{}）{}",
                action.label(),
                view.kind_label,
                view.subject_name,
                view.owner_name,
                comment
                    .as_deref()
                    .map(|c| format!("：{c}"))
                    .unwrap_or_default()
            ),
        },
    )
    .await?;
    let told = super::tell(
        &txn,
        owner_id,
        Permission::CourseManage,
        format!(
            "{}“{}”{}：{}",
            view.kind_label,
            view.subject_name,
            view.bureau_name,
            next.label()
        ),
        "/library".into(),
        now,
    )
    .await?;
    txn.commit().await?;
    super::announce(app, &told);
    Ok(view)
}
