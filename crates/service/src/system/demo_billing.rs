//! The demo's money: every demo school has a sandbox receiving account; at 示例第一小学
//! three of the full piano class's orders were paid through the sandbox by their
//! guardians, one of them partly refunded (the textbook was not handed out), so that the
//! school's pages show paid, refunded and unpaid orders (周杰's basketball still waits).

use kehou_domain::enrollment::OrderStatus;
use kehou_store::entity::billing::payment;
use kehou_store::entity::enrollment::order;
use kehou_store::entity::identity::user;
use kehou_store::entity::org;
use kehou_store::entity::school::guardian;
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::demo_courses::acting_for;
use crate::{App, Result};

const PAID_ORDERS: usize = 3;

/// A sandbox account for a school.
pub(super) async fn ensure_account(app: &App, school: &org::Model) -> Result<usize> {
    if crate::billing::account::receiving(&app.db, school.id)
        .await?
        .is_some()
    {
        return Ok(0);
    }
    crate::billing::account::system_sandbox_account(app, school.id, &school.name).await?;
    Ok(1)
}

/// Paid and partly refunded orders at the school, once.
pub(super) async fn ensure_payments(app: &App, school: &org::Model) -> Result<usize> {
    let any = payment::Entity::find()
        .filter(payment::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if any {
        return Ok(0);
    }
    let parent_phone = kehou_domain::Phone::parse("13800000007").map_err(crate::Error::Internal)?;
    let demo_parent = crate::identity::account::find_by_phone(app, &app.db, &parent_phone)
        .await?
        .map(|u| u.id);
    let unpaid = order::Entity::find()
        .filter(order::Column::SchoolId.eq(school.id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.code()))
        .order_by_asc(order::Column::Id)
        .all(&app.db)
        .await?;
    let mut made = 0;
    let mut paid = Vec::new();
    for o in unpaid {
        if paid.len() >= PAID_ORDERS {
            break;
        }
        let Some(g) = guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(o.student_id))
            .one(&app.db)
            .await?
        else {
            continue;
        };
        // 周杰's own order stays for the newcomer to pay.
        if Some(g.user_id) == demo_parent {
            continue;
        }
        let Some(u) = user::Entity::find_by_id(g.user_id).one(&app.db).await? else {
            continue;
        };
        let actor = crate::Actor {
            user_id: u.id,
            user_name: u.name.clone(),
            ..acting_for(school, "parent")
        };
        let p = crate::billing::payment::create(
            app,
            &actor,
            crate::billing::payment::PayInput {
                order_ids: vec![o.id],
            },
        )
        .await?;
        let Some(params) = &p.pay else { continue };
        app.payments
            .sandbox()
            .pay(&params.prepay_id, true, app.now())
            .await
            .map_err(|e| crate::Error::Internal(e.to_string()))?;
        // Back from the cashier: the payment is settled by asking the channel.
        crate::billing::payment::get(app, &actor, p.id).await?;
        paid.push(o);
        made += 1;
    }
    if let Some(o) = paid.first() {
        let admin = crate::Actor {
            user_id: 0,
            ..acting_for(school, "school_admin")
        };
        let amount = o.total_fen.min(5000);
        crate::billing::refund::request(
            app,
            &admin,
            o.id,
            crate::billing::refund::RefundInput {
                amount_fen: Some(amount),
                reason: "教材未发放，退还教材费".into(),
            },
        )
        .await?;
        made += 1;
    }
    // The channel's notifications and the refund's completion, now rather than when
    // the server starts.
    while super::worker::run_next(app, "demo").await? {}
    Ok(made)
}
