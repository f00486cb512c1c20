//! A person's requests about their personal data (GB/T 35273 §8): a copy of what the
//! platform holds about them, and erasure. Both are done by the operator on a documented
//! request (its reference is required and recorded), from the command line, and audited.
//!
//! The export reads what each area holds about the person; the erasure asks each area to
//! forget them (`identity::account::forget`, `school::student::unlink_guardian`,
//! `platform::messages::delete_of_user`, `teaching::timetable::drop_feeds_of`,
//! `enrollment::notice::mask_signer`), all in one transaction.
//!
//! Erasure keeps what the law requires: orders, payments, refunds and the ledger stay (they
//! name ids, not people), signed notices stay with the signer's name masked, the audit
//! trail stays until the retention policy removes it. Everything else that identifies the
//! person goes: phone, name, password, sessions, memberships, links to children, messages,
//! calendar feeds and text-message codes.

use std::collections::HashMap;

use kehou_domain::Phone;
use kehou_store::entity::attendance::leave_request;
use kehou_store::entity::billing::payment;
use kehou_store::entity::enrollment::{enrollment, order};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::org;
use kehou_store::entity::platform::{audit_event, message};
use kehou_store::entity::school::{guardian, student};
use kehou_store::entity::teaching::class;
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use crate::platform::audit::{self, By, Change};
use crate::platform::clock::china_time as time;
use crate::{App, Error, Result};

/// The name an erased account shows wherever it is named.
pub use crate::identity::account::ERASED_NAME;

/// The reference of the request (a ticket number, a letter's date): required, one line.
fn reference(text: &str) -> Result<String> {
    kehou_domain::field::required_text(text, 100).map_err(|why| {
        Error::Internal(format!(
            "申请的编号或说明{why} / a request reference of at most 100 characters is required"
        ))
    })
}

async fn account(app: &App, phone: &str) -> Result<(user::Model, Phone)> {
    let phone = Phone::parse(phone).map_err(|e| Error::Internal(format!("手机号：{e}")))?;
    let u = crate::identity::account::find_by_phone(app, &app.db, &phone)
        .await?
        .ok_or(Error::NotFound("该手机号的账号"))?;
    Ok((u, phone))
}

/// Everything the platform holds about the person with this phone number, as JSON for
/// them. The export is audited (its reference and the masked number, nothing more).
pub async fn export(app: &App, phone: &str, request: &str) -> Result<Value> {
    let request = reference(request)?;
    let (u, phone) = account(app, phone).await?;
    let db = &app.db;
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(u.id))
        .all(db)
        .await?;
    let roles: HashMap<i64, String> = role::Entity::find()
        .filter(role::Column::Id.is_in(memberships.iter().map(|m| m.role_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let links = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(u.id))
        .all(db)
        .await?;
    let child_ids: Vec<i64> = links.iter().map(|g| g.student_id).collect();
    let children = student::Entity::find()
        .filter(student::Column::Id.is_in(child_ids.clone()))
        .all(db)
        .await?;
    // The organizations named: where the person is a member, where the children study.
    let org_ids: Vec<i64> = memberships
        .iter()
        .map(|m| m.org_id)
        .chain(children.iter().map(|s| s.school_id))
        .collect();
    let orgs: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.is_in(child_ids.clone()))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?;
    let classes: HashMap<i64, String> = class::Entity::find()
        .filter(class::Column::Id.is_in(enrollments.iter().filter_map(|e| e.class_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let names: HashMap<i64, String> = children.iter().map(|s| (s.id, s.name.clone())).collect();
    let orders = order::Entity::find()
        .filter(order::Column::StudentId.is_in(child_ids.clone()))
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?;
    let payments = payment::Entity::find()
        .filter(payment::Column::UserId.eq(u.id))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let leaves = leave_request::Entity::find()
        .filter(leave_request::Column::ApplicantId.eq(u.id))
        .order_by_asc(leave_request::Column::Id)
        .all(db)
        .await?;
    let messages = message::Entity::find()
        .filter(message::Column::UserId.eq(u.id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    let activity = audit_event::Entity::find()
        .filter(audit_event::Column::ActorUserId.eq(u.id))
        .order_by_desc(audit_event::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    let relation: HashMap<i64, &str> = links
        .iter()
        .map(|g| (g.student_id, g.relation.as_str()))
        .collect();
    let out = json!({
        "说明": "课后服务平台保存的您的个人信息（应您的申请导出）",
        "申请": request,
        "导出时间": time(app.now()),
        "账号": {
            "姓名": u.name,
            "手机号": phone.as_str(),
            "注册时间": time(u.created_at),
            "已冻结": u.frozen,
        },
        "任职与身份": memberships.iter().map(|m| json!({
            "单位": orgs.get(&m.org_id),
            "角色": roles.get(&m.role_id),
            "开始时间": time(m.created_at),
        })).collect::<Vec<_>>(),
        "孩子": children.iter().map(|s| json!({
            "姓名": s.name,
            "关系": relation.get(&s.id),
            "学校": orgs.get(&s.school_id),
            "学号": s.student_no,
            "身份证号": s.id_no_enc.as_deref().and_then(|e| app.vault.decrypt(e).ok()),
            "出生日期": s.birth_date.map(|d| d.to_string()),
        })).collect::<Vec<_>>(),
        "报名": enrollments.iter().map(|e| json!({
            "学生": names.get(&e.student_id),
            "教学班": e.class_id.and_then(|c| classes.get(&c)),
            "状态": e.status,
            "报名时间": time(e.created_at),
        })).collect::<Vec<_>>(),
        "订单": orders.iter().map(|o| json!({
            "订单号": o.order_no,
            "学生": names.get(&o.student_id),
            "金额（分）": o.total_fen,
            "状态": o.status,
        })).collect::<Vec<_>>(),
        "支付": payments.iter().map(|p| json!({
            "支付单号": p.payment_no,
            "渠道": p.channel,
            "金额（分）": p.amount_fen,
            "状态": p.status,
            "支付时间": p.paid_at.map(time),
        })).collect::<Vec<_>>(),
        "请假申请": leaves.iter().map(|l| json!({
            "学生": names.get(&l.student_id),
            "类型": l.kind,
            "症状": l.symptom,
            "事由": l.reason,
            "日期": format!("{} 至 {}", l.from_date, l.to_date),
            "状态": l.status,
        })).collect::<Vec<_>>(),
        "消息": messages.iter().map(|m| json!({
            "标题": m.title,
            "内容": m.body,
            "时间": time(m.created_at),
        })).collect::<Vec<_>>(),
        "操作记录": activity.iter().map(|a| json!({
            "时间": time(a.occurred_at),
            "操作": audit::action_label(&a.action).unwrap_or(a.action.as_str()),
            "内容": a.summary,
            "IP": a.ip,
        })).collect::<Vec<_>>(),
    });
    audit::record(
        db,
        app.now(),
        &By::system(),
        Change {
            org_id: None,
            org_path: "/",
            action: "privacy.export",
            entity_type: "person",
            entity_id: Some(u.id),
            summary: format!("应申请（{request}）导出 {} 的个人信息", phone.masked()),
        },
    )
    .await?;
    Ok(out)
}

/// What an erasure removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Erased {
    pub user_id: i64,
    pub memberships: u64,
    pub children_links: u64,
    pub messages: u64,
    pub sessions: u64,
}

/// Erases the personal data of the account with this phone number (see the module's
/// documentation for what stays). Refused while the person works somewhere on the platform
/// (their employer ends that first) or has an order waiting for payment.
pub async fn erase(app: &App, phone: &str, request: &str) -> Result<Erased> {
    let request = reference(request)?;
    let (u, phone) = account(app, phone).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    if let Some(place) = crate::identity::account::role_other_than_parent(&txn, u.id).await? {
        return Err(Error::conflict(format!(
            "该账号仍在“{place}”任职：请先由该单位解除任职，再删除个人信息"
        )));
    }
    let children = crate::school::student::children_of_guardian(&txn, u.id).await?;
    if let Some(order_no) = crate::enrollment::order::pending_for(&txn, u.id, children).await? {
        return Err(Error::conflict(format!(
            "该账号有待支付的订单 {order_no}：请先关闭或完成后再删除"
        )));
    }
    let children_links = crate::school::student::unlink_guardian(&txn, u.id).await?;
    let messages = crate::platform::messages::delete_of_user(&txn, u.id).await?;
    crate::teaching::timetable::drop_feeds_of(&txn, u.id).await?;
    crate::enrollment::notice::mask_signer(&txn, u.id).await?;
    let (memberships, sessions) = crate::identity::account::forget(app, &txn, &u, &phone).await?;
    audit::record(
        &txn,
        app.now(),
        &By::system(),
        Change {
            org_id: None,
            org_path: "/",
            action: "privacy.erase",
            entity_type: "person",
            entity_id: Some(u.id),
            summary: format!(
                "应申请（{request}）删除 {} 的个人信息：任职与身份 {memberships} 项，孩子关联 {children_links} 项，消息 {messages} 条；订单与支付记录按规定保留",
                phone.masked()
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Erased {
        user_id: u.id,
        memberships,
        children_links,
        messages,
        sessions,
    })
}
