//! An institution applies (no login yet): its profile, the contact's phone proven by an
//! SMS code, and its qualification documents. The contact gets an institution-admin
//! account (or, when the number already has one, a membership on it) to follow the review;
//! a returned application is completed and sent again from that account.

use kehou_domain::institution::{CreditCode, InstitutionAction, InstitutionStatus, SERVICE_TYPES};
use kehou_domain::org::OrgType;
use kehou_domain::{Invalid, OrgKind, Password, Phone};
use kehou_store::entity::identity::{membership, role};
use kehou_store::entity::institution::admission;
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde::Serialize;

use super::{
    InstitutionDetail, UploadedFile, check_documents, detail, discard, load_in_scope, record_step,
    store_documents,
};
use crate::identity::sms_login::{self, Purpose};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::platform::messages::{self, NewMessage};
use crate::{Actor, App, Error, Result};

/// An application as submitted.
#[derive(Debug, Clone, Default)]
pub struct Application {
    pub name: String,
    pub credit_code: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub phone: String,
    pub sms_code: String,
    /// The new account's password; an existing account keeps its own.
    pub password: String,
    pub address: String,
    pub business_scope: String,
    pub service_types: Vec<String>,
    pub bureau_id: Option<i64>,
    pub documents: Vec<UploadedFile>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// The institution's organization id.
    pub id: i64,
    pub name: String,
    pub bureau_name: String,
    /// Whether the number already had an account (it keeps its password).
    pub existing_account: bool,
}

/// Files an application. Fields and documents are checked first, then the SMS code (a
/// wrong code counts as a try), then everything is stored in one transaction.
pub async fn apply(app: &App, a: Application, ip: Option<&str>) -> Result<Applied> {
    let mut invalid = Invalid::default();
    let name = invalid.text("name", &a.name, 100);
    let credit_code = invalid.take("credit_code", CreditCode::parse(&a.credit_code));
    let legal_rep = invalid.text("legal_rep", &a.legal_rep, 30);
    let contact_name = invalid.text("contact_name", &a.contact_name, 30);
    let phone = if a.phone.trim().is_empty() {
        invalid.push("phone", "请填写联系人手机号");
        None
    } else {
        invalid.take("phone", Phone::parse(&a.phone))
    };
    let code = a.sms_code.trim().to_string();
    if code.is_empty() {
        invalid.push("sms_code", "请填写短信验证码");
    }
    let password = invalid.take("password", Password::parse(&a.password));
    let address = invalid.text("address", &a.address, 200);
    let business_scope = invalid.text("business_scope", &a.business_scope, 500);
    let service_types = service_types(&mut invalid, &a.service_types);
    if a.bureau_id.is_none() {
        invalid.push("bureau_id", "请选择受理的教育行政部门");
    }
    let files = check_documents(&mut invalid, &a.documents, true);
    check(invalid)?;
    let (
        Some(name),
        Some(credit_code),
        Some(legal_rep),
        Some(contact_name),
        Some(phone),
        Some(password),
        Some(address),
        Some(business_scope),
        Some(service_types),
        Some(bureau_id),
    ) = (
        name,
        credit_code,
        legal_rep,
        contact_name,
        phone,
        password,
        address,
        business_scope,
        service_types,
        a.bureau_id,
    )
    else {
        return Err(Error::Internal("validation".into()));
    };
    let bureau = org::Entity::find_by_id(bureau_id)
        .filter(org::Column::Kind.eq(OrgKind::Bureau.code()))
        .filter(org::Column::Active.eq(true))
        .one(&app.db)
        .await?
        .ok_or_else(|| Error::invalid("bureau_id", "请选择受理的教育行政部门"))?;
    if taken(&app.db, &credit_code).await? {
        return Err(taken_error());
    }

    // The code last: a form with other mistakes does not use it up.
    let now = app.now();
    let verify = kehou_store::begin_write(&app.db).await?;
    let proven =
        sms_login::verify_code(app, &verify, &phone, Purpose::Register, &code, now).await?;
    verify.commit().await?;
    if let Err(e) = proven {
        return Err(Error::invalid("sms_code", e.one_line()));
    }

    let hash = crate::identity::auth::hash_password(&password)?;
    let mut stored = Vec::new();
    let result = async {
        let txn = kehou_store::begin_write(&app.db).await?;
        if taken(&txn, &credit_code).await? {
            return Err(taken_error());
        }
        let existing = crate::identity::account::find_by_phone(app, &txn, &phone).await?;
        let existing_account = existing.is_some();
        let user = match existing {
            Some(u) => u,
            None => {
                crate::identity::account::insert_user(
                    app,
                    &txn,
                    &phone,
                    contact_name.clone(),
                    hash,
                    false,
                    now,
                )
                .await?
            }
        };
        let o = crate::org::insert(
            &txn,
            Some(&bureau),
            OrgType {
                kind: OrgKind::Institution,
                level: None,
            },
            name.clone(),
            Some(credit_code.to_string()),
            None,
            now,
        )
        .await?;
        admission::ActiveModel {
            org_id: Set(o.id),
            credit_code: Set(credit_code.to_string()),
            legal_rep: Set(legal_rep),
            contact_name: Set(contact_name.clone()),
            applicant_user_id: Set(Some(user.id)),
            address: Set(address),
            business_scope: Set(business_scope),
            service_types: Set(service_types),
            status: Set(InstitutionStatus::Pending.code().into()),
            applied_at: Set(now),
            decided_at: Set(None),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(Error::unique(
            "credit_code",
            "该统一社会信用代码已提交过入驻申请",
        ))?;
        let admin_role = role::Entity::find()
            .filter(role::Column::Code.eq("institution_admin"))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("预置角色"))?;
        membership::ActiveModel {
            user_id: Set(user.id),
            org_id: Set(o.id),
            role_id: Set(admin_role.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let names =
            store_documents(app, &txn, o.id, files, &contact_name, now, &mut stored).await?;
        record_step(
            &txn,
            o.id,
            "apply",
            None,
            InstitutionStatus::Pending,
            None,
            &contact_name,
            Some(user.id),
            now,
        )
        .await?;
        audit::record(
            &txn,
            now,
            &By {
                user_id: Some(user.id),
                name: &contact_name,
                membership_id: None,
                ip,
            },
            Change {
                org_id: Some(o.id),
                org_path: &o.path,
                action: "institution.apply",
                entity_type: "institution",
                entity_id: Some(o.id),
                summary: format!(
                    "“{}”向{}申请入驻，材料：{}",
                    o.name,
                    bureau.name,
                    names.join("、")
                ),
            },
        )
        .await?;
        messages::send(
            &txn,
            user.id,
            NewMessage {
                kind: "institution",
                title: format!("“{}”的入驻申请已提交", o.name),
                body: format!(
                    "{}将审核您的申请，结果会通过消息通知您。登录后可在“机构入驻”查看进度。",
                    bureau.name
                ),
                link: Some("/institution".into()),
            },
            now,
        )
        .await?;
        let reviewers = tell_reviewers(
            &txn,
            &bureau,
            &o,
            format!("“{}”申请入驻，待审核", o.name),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok((o, user.id, existing_account, reviewers))
    }
    .await;
    match result {
        Ok((o, user_id, existing_account, reviewers)) => {
            messages::announce(app, user_id);
            for r in reviewers {
                messages::announce(app, r);
            }
            Ok(Applied {
                id: o.id,
                name: o.name,
                bureau_name: bureau.name,
                existing_account,
            })
        }
        Err(e) => {
            discard(app, &stored).await;
            Err(e)
        }
    }
}

/// Tells the bureau's people who review institutions (their departments considered) that
/// an application waits; answers whom, to announce after the commit.
async fn tell_reviewers(
    db: &impl ConnectionTrait,
    bureau: &org::Model,
    o: &org::Model,
    title: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>> {
    let reviewers = crate::identity::auth::members_with(
        db,
        bureau.id,
        kehou_domain::Permission::InstitutionReview,
    )
    .await?;
    for user_id in &reviewers {
        messages::send(
            db,
            *user_id,
            NewMessage {
                kind: "institution",
                title: title.clone(),
                body: "请在“机构管理”中查看材料并审核。".into(),
                link: Some(format!("/institutions/{}", o.id)),
            },
            now,
        )
        .await?;
    }
    Ok(reviewers)
}

fn taken_error() -> Error {
    Error::conflict_on("credit_code", "该统一社会信用代码已提交过入驻申请")
}

async fn taken(db: &impl ConnectionTrait, code: &CreditCode) -> Result<bool> {
    Ok(admission::Entity::find()
        .filter(admission::Column::CreditCode.eq(code.as_str()))
        .one(db)
        .await?
        .is_some())
}

fn service_types(invalid: &mut Invalid, codes: &[String]) -> Option<String> {
    let mut chosen: Vec<&str> = Vec::new();
    for code in codes {
        match SERVICE_TYPES.iter().find(|(c, _)| c == code) {
            Some((c, _)) if !chosen.contains(c) => chosen.push(c),
            Some(_) => {}
            None => {
                invalid.push("service_types", "服务类型无效");
                return None;
            }
        }
    }
    if chosen.is_empty() {
        invalid.push("service_types", "请至少选择一种服务类型");
        return None;
    }
    // In the catalog's order.
    let ordered: Vec<&str> = SERVICE_TYPES
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| chosen.contains(c))
        .collect();
    Some(ordered.join(","))
}

/// The institution of the acting institution admin, with its documents and history.
pub async fn own(app: &App, actor: &Actor) -> Result<InstitutionDetail> {
    actor.require(kehou_domain::Permission::InstitutionView)?;
    if actor.org_kind != OrgKind::Institution {
        return Err(Error::NotFound("机构"));
    }
    let (i, o) = load_in_scope(&app.db, actor, actor.org_id).await?;
    detail(app, &app.db, i, o).await
}

/// What an applicant may correct in a returned application (absent fields stay).
#[derive(Debug, Clone, Default)]
pub struct Corrections {
    pub legal_rep: Option<String>,
    pub contact_name: Option<String>,
    pub address: Option<String>,
    pub business_scope: Option<String>,
    pub service_types: Option<Vec<String>>,
}

impl Corrections {
    /// Whether the corrected service types hold `code`.
    pub fn offers(&self, code: &str) -> bool {
        self.service_types
            .as_ref()
            .is_some_and(|s| s.iter().any(|c| c == code))
    }
}

/// Checked new details of an institution; `None` keeps a value.
struct Details {
    legal_rep: Option<String>,
    contact_name: Option<String>,
    address: Option<String>,
    business_scope: Option<String>,
    service_types: Option<String>,
}

fn check_details(invalid: &mut Invalid, c: &Corrections) -> Details {
    Details {
        legal_rep: c
            .legal_rep
            .as_deref()
            .and_then(|v| invalid.text("legal_rep", v, 30)),
        contact_name: c
            .contact_name
            .as_deref()
            .and_then(|v| invalid.text("contact_name", v, 30)),
        address: c
            .address
            .as_deref()
            .and_then(|v| invalid.text("address", v, 200)),
        business_scope: c
            .business_scope
            .as_deref()
            .and_then(|v| invalid.text("business_scope", v, 500)),
        service_types: c
            .service_types
            .as_deref()
            .and_then(|v| service_types(invalid, v)),
    }
}

/// Sets the details that differ; answers what changed, for the record.
fn apply_details(i: &admission::Model, m: &mut admission::ActiveModel, d: &Details) -> Vec<String> {
    let mut changed = Vec::new();
    let mut text = |label: &str, old: &str, new: &Option<String>| -> Option<String> {
        let new = new.as_ref().filter(|v| v.as_str() != old)?;
        changed.push(format!("{label}：{old} → {new}"));
        Some(new.clone())
    };
    if let Some(v) = text("法定代表人", &i.legal_rep, &d.legal_rep) {
        m.legal_rep = Set(v);
    }
    if let Some(v) = text("联系人", &i.contact_name, &d.contact_name) {
        m.contact_name = Set(v);
    }
    if let Some(v) = text("办公地址", &i.address, &d.address) {
        m.address = Set(v);
    }
    if let Some(v) = text("经营范围", &i.business_scope, &d.business_scope) {
        m.business_scope = Set(v);
    }
    if let Some(v) = d.service_types.as_ref().filter(|v| **v != i.service_types) {
        changed.push(format!(
            "服务类型：{} → {}",
            super::service_labels(&i.service_types).1.join("、"),
            super::service_labels(v).1.join("、")
        ));
        m.service_types = Set(v.clone());
    }
    changed
}

/// An admitted institution keeps its details: contact, address, business scope, service
/// types, and adds documents (a renewed licence). Its name, credit code and legal
/// representative are what the bureau admitted: changing them is a new application.
pub async fn update_profile(
    app: &App,
    actor: &Actor,
    org_id: i64,
    corrections: Corrections,
    documents: Vec<UploadedFile>,
) -> Result<InstitutionDetail> {
    let o = super::institution_for(
        &app.db,
        actor,
        org_id,
        kehou_domain::Permission::InstitutionManage,
    )
    .await?;
    if o.id != actor.org_id {
        return Err(Error::Forbidden("只能修改本机构的资料".into()));
    }
    let mut invalid = Invalid::default();
    if corrections.legal_rep.is_some() {
        invalid.push(
            "legal_rep",
            "法定代表人是入驻时审核的信息，变更请联系教育局",
        );
    }
    let details = check_details(&mut invalid, &corrections);
    let files = check_documents(&mut invalid, &documents, false);
    check(invalid)?;
    let now = app.now();
    let mut stored = Vec::new();
    let result = async {
        let txn = kehou_store::begin_write(&app.db).await?;
        let (i, o) = load_in_scope(&txn, actor, o.id).await?;
        if InstitutionStatus::parse(&i.status) != Some(InstitutionStatus::Admitted) {
            return Err(Error::conflict(
                "入驻审核通过后才能修改资料；审核中的申请请在退回后补充",
            ));
        }
        let names =
            store_documents(app, &txn, o.id, files, &actor.user_name, now, &mut stored).await?;
        let mut m = i.clone().into_active_model();
        let mut what = apply_details(&i, &mut m, &details);
        if what.is_empty() && names.is_empty() {
            txn.rollback().await?;
            return Ok(());
        }
        m.updated_at = Set(now);
        m.update(&txn).await?;
        if !names.is_empty() {
            what.push(format!("上传材料：{}", names.join("、")));
        }
        audit::record(
            &txn,
            now,
            &By::actor(actor),
            Change {
                org_id: Some(o.id),
                org_path: &o.path,
                action: "institution.profile",
                entity_type: "institution",
                entity_id: Some(o.id),
                summary: format!("“{}”修改机构资料：{}", o.name, what.join("；")),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        discard(app, &stored).await;
        return Err(e);
    }
    own(app, actor).await
}

/// The applicant completes a returned application: corrected details, more documents, a
/// note, and it goes back to the bureau.
pub async fn resubmit(
    app: &App,
    actor: &Actor,
    note: &str,
    corrections: Corrections,
    documents: Vec<UploadedFile>,
) -> Result<InstitutionDetail> {
    actor.require(kehou_domain::Permission::InstitutionView)?;
    if actor.org_kind != OrgKind::Institution {
        return Err(Error::NotFound("机构"));
    }
    let (current, _) = load_in_scope(&app.db, actor, actor.org_id).await?;
    let mut invalid = Invalid::default();
    let note = invalid.optional_text("note", Some(note), 500);
    let details = check_details(&mut invalid, &corrections);
    let files = check_documents(&mut invalid, &documents, false);
    check(invalid)?;
    let status = InstitutionStatus::parse(&current.status).unwrap_or(InstitutionStatus::Pending);
    let next = status
        .next(InstitutionAction::Resubmit)
        .map_err(Error::conflict)?;
    let now = app.now();
    let mut stored = Vec::new();
    let result = async {
        let txn = kehou_store::begin_write(&app.db).await?;
        let (i, o) = load_in_scope(&txn, actor, actor.org_id).await?;
        if i.status != current.status {
            return Err(Error::conflict("申请状态已变化，请刷新后重试"));
        }
        let names =
            store_documents(app, &txn, o.id, files, &actor.user_name, now, &mut stored).await?;
        let mut m = i.clone().into_active_model();
        let changed = apply_details(&i, &mut m, &details);
        m.status = Set(next.code().into());
        m.updated_at = Set(now);
        m.update(&txn).await?;
        record_step(
            &txn,
            o.id,
            InstitutionAction::Resubmit.code(),
            Some(status),
            next,
            note.flatten(),
            &actor.user_name,
            Some(actor.user_id),
            now,
        )
        .await?;
        audit::record(
            &txn,
            now,
            &By::actor(actor),
            Change {
                org_id: Some(o.id),
                org_path: &o.path,
                action: "institution.resubmit",
                entity_type: "institution",
                entity_id: Some(o.id),
                summary: {
                    let mut what = changed.clone();
                    if !names.is_empty() {
                        what.push(format!("补充材料：{}", names.join("、")));
                    }
                    if what.is_empty() {
                        format!("“{}”重新提交入驻申请", o.name)
                    } else {
                        format!("“{}”重新提交入驻申请：{}", o.name, what.join("；"))
                    }
                },
            },
        )
        .await?;
        let bureau = org::Entity::find_by_id(o.parent_id.unwrap_or_default())
            .one(&txn)
            .await?;
        let reviewers = match bureau {
            Some(b) => {
                tell_reviewers(&txn, &b, &o, format!("“{}”补充材料后重新提交", o.name), now).await?
            }
            None => Vec::new(),
        };
        txn.commit().await?;
        Ok(reviewers)
    }
    .await;
    match result {
        Ok(reviewers) => {
            for r in reviewers {
                messages::announce(app, r);
            }
        }
        Err(e) => {
            discard(app, &stored).await;
            return Err(e);
        }
    }
    own(app, actor).await
}
