//! The electronic receipt (电子票据) of a paid payment (F8, H3): who paid what for which
//! courses, to which school's account, by which channel and transaction; as a page and
//! as a PDF. The payer's phone is masked.

use kehou_domain::Fen;
use kehou_domain::billing::PaymentStatus;
use kehou_store::entity::billing::{payment, refund};
use kehou_store::entity::identity::user;
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::payment::PaymentView;
use crate::platform::clock::china_time;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub payment: PaymentView,
    /// The receipt's number: the payment's.
    pub receipt_no: String,
    pub paid_time: String,
    pub amount_in_words: String,
    pub payer: String,
    /// Masked: 138****0007.
    pub payer_phone: String,
    /// Refunded so far of the orders it paid (the receipt itself never changes).
    pub refunded: String,
}

/// The receipt of a paid payment.
pub async fn get(app: &App, actor: &Actor, payment_id: i64) -> Result<Receipt> {
    let view = super::payment::get(app, actor, payment_id).await?;
    if view.status != PaymentStatus::Paid.code() {
        return Err(Error::conflict("支付完成后才有电子票据"));
    }
    let p = payment::Entity::find_by_id(view.id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("支付单"))?;
    let payer = user::Entity::find_by_id(p.user_id).one(&app.db).await?;
    let refunded: i64 = refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(p.id))
        .all(&app.db)
        .await?
        .iter()
        .filter(|r| {
            kehou_domain::billing::RefundStatus::parse(&r.status).is_some_and(|s| s.finished())
        })
        .map(|r| r.amount_fen)
        .sum();
    Ok(Receipt {
        receipt_no: view.payment_no.clone(),
        paid_time: view.paid_at.map(china_time).unwrap_or_default(),
        amount_in_words: Fen(view.amount_fen).in_words(),
        payer: payer.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
        payer_phone: payer
            .as_ref()
            .map(|u| app.vault.masked_account_phone(u))
            .unwrap_or_default(),
        refunded: Fen(refunded).to_string(),
        payment: view,
    })
}

/// The receipt as a PDF.
pub async fn pdf(app: &App, actor: &Actor, payment_id: i64) -> Result<(String, Vec<u8>)> {
    let r = get(app, actor, payment_id).await?;
    let title = "课后服务收费电子票据";
    let mut doc = crate::platform::pdf::Document::new(title);
    doc.heading(title);
    doc.field("票据号码", &r.receipt_no);
    doc.field("收款单位", &r.payment.school);
    doc.field(
        "收款账户",
        &format!(
            "{}（商户号 {}）",
            r.payment.account_name, r.payment.merchant_id
        ),
    );
    doc.field("缴费人", &format!("{} {}", r.payer, r.payer_phone));
    doc.field("支付方式", &r.payment.channel_name);
    doc.field(
        "交易单号",
        r.payment.transaction_id.as_deref().unwrap_or("—"),
    );
    doc.field("支付时间", &r.paid_time);
    doc.rule();
    let rows: Vec<Vec<String>> = r
        .payment
        .orders
        .iter()
        .map(|o| vec![o.order_no.clone(), o.course.clone(), o.amount.clone()])
        .collect();
    doc.table(&["订单号", "项目", "金额（元）"], &[0.4, 0.4, 0.2], &rows);
    doc.gap(6.0);
    doc.field("合计（小写）", &format!("¥{}", r.payment.amount));
    doc.field("合计（大写）", &r.amount_in_words);
    if r.refunded != "0.00" {
        doc.field("其后已退款", &format!("¥{}", r.refunded));
    }
    doc.gap(6.0);
    doc.small("本票据由课后服务平台根据支付通道的支付结果生成，仅证明上述款项已支付。");
    Ok((format!("电子票据-{}.pdf", r.receipt_no), doc.finish()))
}
