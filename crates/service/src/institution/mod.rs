//! Third-party institutions (D5): they apply to a bureau with their qualification
//! documents, the bureau admits, rejects or returns them, and later may suspend or remove
//! them. An institution is an organization (under the bureau that reviews it) with an
//! admission record beside it; every step is kept for the applicant to read.

pub mod department;
pub mod dispatch;
pub mod registration;
pub mod review;
pub mod teacher;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kehou_domain::institution::{
    DOCUMENT_KINDS, InstitutionAction, InstitutionStatus, SERVICE_TYPES, document_kind,
};
use kehou_domain::{Invalid, OrgKind, Permission};
use kehou_store::entity::institution::{admission, document, event};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::{Actor, App, Error, Result};

/// The largest document, in bytes.
pub const DOCUMENT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most documents one upload may carry.
pub const DOCUMENTS_PER_UPLOAD: usize = 10;

/// A file as it arrived, not yet checked.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// A `DOCUMENT_KINDS` code.
    pub kind: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub kind: String,
    pub kind_label: &'static str,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub action: String,
    pub action_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub reason: Option<String>,
    /// Who did it: the applicant's name, or the bureau's name (reviewers stay anonymous
    /// to the applicant).
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstitutionView {
    /// The institution's organization id.
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub legal_rep: String,
    pub contact_name: String,
    /// The contact's phone, masked.
    pub contact_phone: String,
    pub address: String,
    pub business_scope: String,
    pub service_types: Vec<String>,
    pub service_type_labels: Vec<&'static str>,
    pub status: String,
    pub status_label: &'static str,
    /// The bureau that reviews it.
    pub bureau_id: Option<i64>,
    pub bureau_name: String,
    pub applied_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The reason of the latest decision that needs one (returned, rejected, halted).
    pub latest_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstitutionDetail {
    #[serde(flatten)]
    pub institution: InstitutionView,
    pub documents: Vec<DocumentView>,
    pub history: Vec<EventView>,
}

fn status_of(m: &admission::Model) -> InstitutionStatus {
    InstitutionStatus::parse(&m.status).unwrap_or(InstitutionStatus::Pending)
}

fn service_labels(codes: &str) -> (Vec<String>, Vec<&'static str>) {
    codes
        .split(',')
        .filter_map(|c| SERVICE_TYPES.iter().find(|(code, _)| *code == c))
        .map(|(c, l)| (c.to_string(), *l))
        .unzip()
}

/// Views of institutions; a few queries whatever their number.
async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<(admission::Model, org::Model)>,
) -> Result<Vec<InstitutionView>> {
    let parent_ids: Vec<i64> = rows.iter().filter_map(|(_, o)| o.parent_id).collect();
    let bureaus: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(parent_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let applicant_ids: Vec<i64> = rows
        .iter()
        .filter_map(|(i, _)| i.applicant_user_id)
        .collect();
    let phones: HashMap<i64, String> = kehou_store::entity::identity::user::Entity::find()
        .filter(kehou_store::entity::identity::user::Column::Id.is_in(applicant_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, app.vault.masked_account_phone(&u)))
        .collect();
    let org_ids: Vec<i64> = rows.iter().map(|(i, _)| i.org_id).collect();
    let mut reasons: HashMap<i64, String> = HashMap::new();
    for e in event::Entity::find()
        .filter(event::Column::OrgId.is_in(org_ids))
        .filter(event::Column::Reason.is_not_null())
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?
    {
        if let Some(r) = e.reason {
            reasons.insert(e.org_id, r);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(i, o)| {
            let status = status_of(&i);
            let (service_types, service_type_labels) = service_labels(&i.service_types);
            // A reason belongs to the state it explains; once admitted again it is history.
            let latest_reason = match status {
                InstitutionStatus::Returned
                | InstitutionStatus::Rejected
                | InstitutionStatus::Suspended
                | InstitutionStatus::Removed => reasons.remove(&i.org_id),
                _ => None,
            };
            InstitutionView {
                id: i.org_id,
                name: o.name,
                credit_code: i.credit_code,
                legal_rep: i.legal_rep,
                contact_name: i.contact_name,
                contact_phone: i
                    .applicant_user_id
                    .and_then(|u| phones.get(&u).cloned())
                    .unwrap_or_default(),
                address: i.address,
                business_scope: i.business_scope,
                service_types,
                service_type_labels,
                status: status.code().into(),
                status_label: status.label(),
                bureau_id: o.parent_id,
                bureau_name: o
                    .parent_id
                    .and_then(|p| bureaus.get(&p).cloned())
                    .unwrap_or_default(),
                applied_at: i.applied_at,
                decided_at: i.decided_at,
                latest_reason,
            }
        })
        .collect())
}

/// The institution with this organization id if the actor may see it (404 otherwise).
async fn load_in_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<(admission::Model, org::Model)> {
    let o = crate::org::load_in_scope(db, actor, id)
        .await
        .map_err(|_| Error::NotFound("机构"))?;
    let i = admission::Entity::find_by_id(o.id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("机构"))?;
    Ok((i, o))
}

/// An institution's own organization for its teachers and dispatches: the permission
/// first (403), then the jurisdiction (404), then the kind (a school is not one: 404).
pub(crate) async fn institution_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_id: i64,
    permission: Permission,
) -> Result<org::Model> {
    actor.require(permission)?;
    let o = crate::org::load_in_scope(db, actor, org_id)
        .await
        .map_err(|_| Error::NotFound("机构"))?;
    if o.kind != OrgKind::Institution.code() {
        return Err(Error::NotFound("机构"));
    }
    Ok(o)
}

/// One institution with its documents and history.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<InstitutionDetail> {
    actor.require(Permission::InstitutionView)?;
    let (i, o) = load_in_scope(&app.db, actor, id).await?;
    detail(app, &app.db, i, o).await
}

async fn detail(
    app: &App,
    db: &impl ConnectionTrait,
    i: admission::Model,
    o: org::Model,
) -> Result<InstitutionDetail> {
    let org_id = i.org_id;
    let mut all = views(app, db, vec![(i, o)]).await?;
    let institution = all.pop().ok_or(Error::NotFound("机构"))?;
    let bureau_name = institution.bureau_name.clone();
    let documents = document::Entity::find()
        .filter(document::Column::OrgId.eq(org_id))
        .order_by_asc(document::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(document_view)
        .collect();
    let history = event::Entity::find()
        .filter(event::Column::OrgId.eq(org_id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            let action = InstitutionAction::parse(&e.action);
            let status =
                InstitutionStatus::parse(&e.to_status).unwrap_or(InstitutionStatus::Pending);
            // Reviewers act in the bureau's name; the applicant's own steps carry theirs.
            let by_bureau = e.actor_user_id.is_some()
                && action.is_some_and(|a| a != InstitutionAction::Resubmit);
            EventView {
                action_label: action.map_or("提交申请", |a| a.label()),
                action: e.action,
                status: status.code().into(),
                status_label: status.label(),
                reason: e.reason,
                by: if by_bureau {
                    bureau_name.clone()
                } else {
                    e.actor_name
                },
                at: e.at,
            }
        })
        .collect();
    Ok(InstitutionDetail {
        institution,
        documents,
        history,
    })
}

fn document_view(d: document::Model) -> DocumentView {
    DocumentView {
        id: d.id,
        kind_label: document_kind(&d.kind).map_or("其他材料", |k| k.label),
        kind: d.kind,
        file_name: d.file_name,
        content_type: d.content_type,
        size: d.size,
        uploaded_at: d.uploaded_at,
    }
}

/// A checked document, ready to store.
struct CheckedFile {
    kind: &'static str,
    file_name: String,
    content_type: &'static str,
    bytes: Vec<u8>,
}

/// Checks uploaded documents: each of a known kind, of an accepted type by content, not
/// too big; `required` says whether the required kinds must be among them.
fn check_documents(
    invalid: &mut Invalid,
    files: &[UploadedFile],
    required: bool,
) -> Vec<CheckedFile> {
    let mut out = Vec::new();
    let files: Vec<&UploadedFile> = files.iter().filter(|f| !f.bytes.is_empty()).collect();
    if files.len() > DOCUMENTS_PER_UPLOAD {
        invalid.push(
            "documents",
            format!("一次最多上传{DOCUMENTS_PER_UPLOAD}个文件"),
        );
        return out;
    }
    for f in files {
        let field = format!("documents.{}", f.kind);
        let Some(kind) = document_kind(&f.kind) else {
            invalid.push("documents", "材料类型无效");
            continue;
        };
        match kehou_domain::file::check_upload(&f.file_name, &f.bytes, DOCUMENT_MAX_BYTES) {
            Ok((file_type, file_name)) => out.push(CheckedFile {
                kind: kind.code,
                file_name,
                content_type: file_type.content_type(),
                bytes: f.bytes.clone(),
            }),
            Err(reason) => invalid.push(&field, format!("{}：{reason}", kind.label)),
        }
    }
    if required {
        for kind in DOCUMENT_KINDS.iter().filter(|k| k.required) {
            if !out.iter().any(|f| f.kind == kind.code)
                && !invalid
                    .0
                    .iter()
                    .any(|e| e.field == format!("documents.{}", kind.code))
            {
                invalid.push(
                    &format!("documents.{}", kind.code),
                    format!("请上传{}", kind.label),
                );
            }
        }
    }
    out
}

/// Stores checked files and records them; on a later failure the caller deletes the keys.
async fn store_documents(
    app: &App,
    db: &impl ConnectionTrait,
    org_id: i64,
    files: Vec<CheckedFile>,
    by: &str,
    now: DateTime<Utc>,
    stored: &mut Vec<String>,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for f in files {
        let key = crate::platform::storage::new_key();
        app.files.put(&key, &f.bytes).await?;
        stored.push(key.clone());
        document::ActiveModel {
            org_id: Set(org_id),
            kind: Set(f.kind.into()),
            file_name: Set(f.file_name.clone()),
            content_type: Set(f.content_type.into()),
            size: Set(f.bytes.len() as i64),
            digest: Set(hex::encode(Sm3::digest(&f.bytes))),
            storage_key: Set(key),
            uploaded_at: Set(now),
            uploaded_by: Set(by.into()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        names.push(f.file_name);
    }
    Ok(names)
}

/// Forgets files stored for a change that did not happen.
async fn discard(app: &App, keys: &[String]) {
    for key in keys {
        if let Err(e) = app.files.delete(key).await {
            tracing::warn!(error = %e, "an unused upload was not deleted");
        }
    }
}

/// Records one step of an institution's admission.
#[allow(clippy::too_many_arguments)]
async fn record_step(
    db: &impl ConnectionTrait,
    org_id: i64,
    action: &str,
    from: Option<InstitutionStatus>,
    to: InstitutionStatus,
    reason: Option<String>,
    by_name: &str,
    by_user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    event::ActiveModel {
        org_id: Set(org_id),
        action: Set(action.into()),
        from_status: Set(from.map(|s| s.code().into())),
        to_status: Set(to.code().into()),
        reason: Set(reason),
        actor_name: Set(by_name.into()),
        actor_user_id: Set(by_user),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A document's bytes for someone who may see the institution: its checked content type,
/// its safe name and the bytes.
pub async fn document_file(
    app: &App,
    actor: &Actor,
    id: i64,
    document_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    actor.require(Permission::InstitutionView)?;
    let (i, _) = load_in_scope(&app.db, actor, id).await?;
    let d = document::Entity::find_by_id(document_id)
        .filter(document::Column::OrgId.eq(i.org_id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("材料"))?;
    let bytes = app.files.get(&d.storage_key).await?;
    Ok((d.content_type, d.file_name, bytes))
}

/// The bureaus an institution may apply to: every active bureau, by name.
pub async fn bureaus(app: &App) -> Result<Vec<(i64, String)>> {
    Ok(org::Entity::find()
        .filter(org::Column::Kind.eq(OrgKind::Bureau.code()))
        .filter(org::Column::Active.eq(true))
        .order_by_asc(org::Column::Path)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// Which of these institutions are admitted now: whose teachers and courses schools may
/// offer.
pub async fn admitted(db: &impl ConnectionTrait, org_ids: Vec<i64>) -> Result<Vec<i64>> {
    Ok(admission::Entity::find()
        .filter(admission::Column::OrgId.is_in(org_ids))
        .filter(admission::Column::Status.eq(InstitutionStatus::Admitted.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.org_id)
        .collect())
}

/// The ids of an institution's teacher records, for the reports that count their lessons.
pub(crate) async fn teacher_ids_of(db: &impl ConnectionTrait, org_id: i64) -> Result<Vec<i64>> {
    Ok(kehou_store::entity::institution::teacher::Entity::find()
        .filter(kehou_store::entity::institution::teacher::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect())
}
