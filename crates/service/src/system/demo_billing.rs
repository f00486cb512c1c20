//! The demo's money: every demo school has a sandbox receiving account; at 示例第一小学
//! three of the full piano class's orders were paid through the sandbox by their
//! guardians, one of them partly refunded (the textbook was not handed out), so that the
//! school's pages show paid, refunded and unpaid orders (周杰's basketball still waits);
//! today's bill reconciled and matched, yesterday's with one difference to resolve; the
//! parent of another paid piano student asks to change course (调课), waiting for the
//! school.

use kehou_domain::enrollment::OrderStatus;
use kehou_store::entity::billing::{payment, sandbox_trade};
use kehou_store::entity::enrollment::order;
use kehou_store::entity::identity::user;
use kehou_store::entity::org;
use kehou_store::entity::school::{guardian, student};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

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
    let mut waived = None;
    for o in unpaid {
        if paid.len() >= PAID_ORDERS && waived.is_some() {
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
        if paid.len() >= PAID_ORDERS {
            // A family in difficulty: half the fee waived, the rest still to pay.
            waived = Some(o.id);
            continue;
        }
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
    if let Some(order_id) = waived {
        let admin = crate::Actor {
            user_id: 0,
            ..acting_for(school, "school_admin")
        };
        let o = order::Entity::find_by_id(order_id)
            .one(&app.db)
            .await?
            .ok_or(crate::Error::NotFound("订单"))?;
        crate::billing::relief::waive(
            app,
            &admin,
            order_id,
            crate::billing::relief::WaiverInput {
                amount_fen: o.total_fen / 2,
                reason: "低保家庭，减免一半费用".into(),
                approved_by: "校长".into(),
            },
        )
        .await?;
        made += 1;
    }
    // The channel's notifications and the refund's completion, now rather than when
    // the server starts.
    while super::worker::run_next(app, "demo").await? {}
    if let Some(o) = paid.get(1) {
        made += ask_change(app, school, o).await?;
    }
    made += reconcile(app, school).await?;
    Ok(made)
}

/// The parent of a paid piano student asks to change course (调课) to a paid class that
/// fits the child's week and has seats, for the school to decide on 报名管理.
async fn ask_change(app: &App, school: &org::Model, o: &order::Model) -> Result<usize> {
    let Some(g) = guardian::Entity::find()
        .filter(guardian::Column::StudentId.eq(o.student_id))
        .one(&app.db)
        .await?
    else {
        return Ok(0);
    };
    let Some(u) = user::Entity::find_by_id(g.user_id).one(&app.db).await? else {
        return Ok(0);
    };
    let Some(child) = student::Entity::find_by_id(o.student_id)
        .one(&app.db)
        .await?
    else {
        return Ok(0);
    };
    let choices = crate::enrollment::select::selectable_for(app, child, Some(o.term_id)).await?;
    let Some(to) = choices
        .choices
        .iter()
        // What a school's approval does not check again (the notice, the window) aside,
        // the class is open to the child.
        .filter(|c| {
            c.state == "available" || matches!(c.reason, Some("notice_unsigned" | "window_closed"))
        })
        .filter(|c| c.course_fee_fen > 0)
        .find_map(|c| c.teaching_class_id)
    else {
        return Ok(0);
    };
    let actor = crate::Actor {
        user_id: u.id,
        user_name: u.name.clone(),
        ..acting_for(school, "parent")
    };
    crate::enrollment::change::request(
        app,
        &actor,
        o.enrollment_id,
        crate::enrollment::change::EnrollmentChangeInput {
            to_class_id: Some(to),
            reason: Some("孩子对钢琴兴趣不大，想改学其他课程".into()),
        },
    )
    .await?;
    Ok(1)
}

/// Today's bill matches; yesterday's holds a payment the channel has and the platform
/// does not (taken outside the platform), waiting for the school to resolve it.
async fn reconcile(app: &App, school: &org::Model) -> Result<usize> {
    let Some(account) = crate::billing::account::receiving(&app.db, school.id).await? else {
        return Ok(0);
    };
    let yesterday = app.now() - chrono::Duration::days(1);
    let day = yesterday
        .with_timezone(&crate::platform::clock::china())
        .date_naive();
    sandbox_trade::ActiveModel {
        mch_id: Set(account.merchant_id.clone()),
        out_trade_no: Set(format!("PY{}00000000000001", day.format("%Y%m%d"))),
        transaction_id: Set(format!("4200{}0000000000000001", day.format("%Y%m%d"))),
        prepay_id: Set(format!("wxdemo{}", account.id)),
        description: Set("课后服务费（线下扫码，平台无记录）".into()),
        amount_fen: Set(30000),
        state: Set("SUCCESS".into()),
        notify_url: Set(String::new()),
        return_url: Set(String::new()),
        expires_at: Set(yesterday),
        success_time: Set(Some(yesterday)),
        created_at: Set(yesterday),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    let admin = crate::Actor {
        user_id: 0,
        ..acting_for(school, "school_admin")
    };
    for date in [day, app.today()] {
        crate::billing::reconcile::run_now(
            app,
            &admin,
            school.id,
            crate::billing::reconcile::RunInput {
                date: date.to_string(),
            },
        )
        .await?;
    }
    Ok(2)
}
