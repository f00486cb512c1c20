//! The data of `kehou bench payments`: the rush's school with enough seats for every
//! student (200 classes of 100), one unpaid order per student placed by the school, a
//! sandbox receiving account, and every order's payment made and paid at the sandbox's
//! cashier — so that what is measured is the notifications arriving and being applied.

use kehou_store::entity::school::{guardian, student};
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::bench_rush::{self, RushSpec};
use crate::billing::channel::{Merchant, Trade};
use crate::enrollment::select::{Source, Target, Wanted, place};
use crate::platform::audit::By;
use crate::{App, Error, Result};

pub struct PayBenchData {
    pub school_id: i64,
    pub merchant: Merchant,
    /// Each paid trade as the channel reports it.
    pub trades: Vec<Trade>,
}

pub async fn setup(app: &App, students: usize) -> Result<PayBenchData> {
    let spec = RushSpec {
        students,
        seats: i32::try_from(students.div_ceil(200))
            .unwrap_or(i32::MAX)
            .max(1),
        ..RushSpec::default()
    };
    let data = bench_rush::setup(app, &spec).await?;
    let account =
        crate::billing::account::system_sandbox_account(app, data.school_id, "支付基准学校")
            .await?;
    let account = crate::billing::account::by_id(&app.db, account).await?;
    let merchant = crate::billing::account::merchant(app, &account)?;
    let school = super::load_any_school(&app.db, data.school_id).await?;
    let mut trades = Vec::with_capacity(data.parents.len());
    for (i, (_, student_id)) in data.parents.iter().enumerate() {
        let child = student::Entity::find_by_id(*student_id)
            .one(&app.db)
            .await?
            .ok_or(Error::NotFound("学生"))?;
        let class = data.classes[i % data.classes.len()];
        let wanted = [Wanted {
            target: Target::Class(class),
            textbook: false,
            misc: false,
        }];
        let r = place(app, child, &wanted, Source::School, &By::system(), None).await?;
        let Some(order_id) = r.items.first().and_then(|i| i.order_id) else {
            continue;
        };
        let parent = guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(*student_id))
            .one(&app.db)
            .await?
            .ok_or(Error::NotFound("家长"))?;
        let actor = crate::Actor {
            user_id: parent.user_id,
            ..super::demo_courses::acting_for(&school, "parent")
        };
        let p = crate::billing::payment::create(
            app,
            &actor,
            crate::billing::payment::PayInput {
                order_ids: vec![order_id],
            },
        )
        .await?;
        let prepay = p
            .pay
            .as_ref()
            .map(|x| x.prepay_id.clone())
            .ok_or_else(|| Error::Internal("no pay params".into()))?;
        let t = app
            .payments
            .sandbox()
            .pay(&prepay, true, app.now())
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        trades.push(Trade {
            mchid: merchant.merchant_id.clone(),
            out_trade_no: p.payment_no.clone(),
            transaction_id: Some(t.transaction_id.clone()),
            trade_state: crate::billing::channel::TradeState::Success,
            trade_state_desc: "支付成功".into(),
            amount_fen: p.amount_fen,
            success_time: t.success_time,
        });
    }
    // The sandbox's own deliveries would race the benchmark's: the benchmark delivers.
    kehou_store::entity::platform::job::Entity::delete_many()
        .filter(
            kehou_store::entity::platform::job::Column::Kind
                .eq(crate::billing::sandbox::NOTIFY_JOB_KIND),
        )
        .exec(&app.db)
        .await?;
    Ok(PayBenchData {
        school_id: data.school_id,
        merchant,
        trades,
    })
}
