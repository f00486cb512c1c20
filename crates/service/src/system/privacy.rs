//! A person's requests about their personal data (GB/T 35273 §8): a copy of what the
//! platform holds about them, and erasure. Both are done by the operator on a documented
//! request (its reference is required and recorded), from the command line, and audited.
//!
//! The export asks each area what it holds about the person (`personal_data_of` in
//! identity, school, enrollment, billing, attendance, messages and audit); the erasure asks
//! each area to forget them (`identity::account::forget`, `school::student::unlink_guardian`,
//! `platform::messages::delete_of_user`, `teaching::timetable::drop_feeds_of`,
//! `enrollment::notice::mask_signer`), all in one transaction.
//!
//! Erasure keeps what the law requires: orders, payments, refunds and the ledger stay (they
//! name ids, not people), signed notices stay with the signer's name masked, the audit
//! trail stays until the retention policy removes it. Everything else that identifies the
//! person goes: phone, name, password, sessions, memberships, links to children, messages,
//! calendar feeds and text-message codes.

use kehou_domain::Phone;
use kehou_store::entity::identity::user;
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
/// them: each area answers for its own data. The export is audited (its reference and the
/// masked number, nothing more).
pub async fn export(app: &App, phone: &str, request: &str) -> Result<Value> {
    let request = reference(request)?;
    let (u, phone) = account(app, phone).await?;
    let db = &app.db;
    let (account, posts) = crate::identity::account::personal_data_of(db, &u, &phone).await?;
    let (children, names) = crate::school::student::personal_data_of_guardian(app, u.id).await?;
    let (enrollments, orders) =
        crate::enrollment::order::personal_data_of(db, u.id, &names).await?;
    let out = json!({
        "说明": "课后服务平台保存的您的个人信息（应您的申请导出）",
        "申请": request,
        "导出时间": time(app.now()),
        "账号": account,
        "任职与身份": posts,
        "孩子": children,
        "报名": enrollments,
        "订单": orders,
        "支付": crate::billing::payment::personal_data_of(db, u.id).await?,
        "请假申请": crate::attendance::leave::personal_data_of(db, u.id, &names).await?,
        "消息": crate::platform::messages::personal_data_of(db, u.id).await?,
        "操作记录": audit::personal_data_of(db, u.id).await?,
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
