//! Reconciliation (对账, H6): each day's bill of each receiving account is downloaded from
//! its channel by a durable job and matched line by line with the platform's records —
//! payments settled and refunds returned through the channel that day (China's calendar
//! day). Every difference — on the bill but not here, here but not on the bill, or a
//! different amount — is listed for the school to resolve with a note.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kehou_domain::billing::{PaymentStatus, RefundStatus};
use kehou_domain::{Fen, Permission};
use kehou_store::entity::billing::{
    payment, receiving_account, recon_day, recon_difference, refund,
};
use kehou_store::entity::platform::job;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::platform::audit::By;
use crate::platform::clock::{china, china_label};
use crate::platform::jobs;
use crate::{Actor, App, Error, Result};

/// The job that downloads and matches one day's bill of one account.
pub const JOB_KIND: &str = "reconcile";

/// A kind of difference.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "missing_here" => "通道有、平台无",
        "missing_in_bill" => "平台有、通道无",
        "amount" => "金额不符",
        _ => "差异",
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DifferenceView {
    pub id: i64,
    /// missing_here, missing_in_bill or amount.
    pub kind: String,
    pub kind_label: &'static str,
    pub trade_no: String,
    pub refund_no: Option<String>,
    pub ledger: Option<String>,
    pub bill: Option<String>,
    /// open or resolved.
    pub status: String,
    pub note: Option<String>,
    pub resolved_label: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReconcileDayView)]
pub struct DayView {
    pub id: i64,
    pub account_id: i64,
    pub date: NaiveDate,
    /// matched or differences.
    pub status: String,
    pub status_label: &'static str,
    pub bill_lines: i32,
    pub matched: i32,
    pub differences: Vec<DifferenceView>,
    pub fetched_label: String,
}

fn difference_view(d: recon_difference::Model) -> DifferenceView {
    DifferenceView {
        id: d.id,
        kind_label: kind_label(&d.kind),
        kind: d.kind,
        trade_no: d.trade_no,
        refund_no: d.refund_no,
        ledger: d.ledger_fen.map(|f| Fen(f).to_string()),
        bill: d.bill_fen.map(|f| Fen(f).to_string()),
        status: d.status,
        note: d.note,
        resolved_label: d.resolved_at.map(china_label),
    }
}

fn day_bounds(day: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(china()).single())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| Error::invalid("date", "日期无效"))?;
    Ok((start, start + Duration::days(1)))
}

/// One line on either side, keyed by (trade number, refund number).
type Key = (String, Option<String>);

/// What the platform recorded through the account's channel that day.
async fn ours(
    db: &impl ConnectionTrait,
    account_id: i64,
    day: NaiveDate,
) -> Result<HashMap<Key, i64>> {
    let (start, end) = day_bounds(day)?;
    let mut out = HashMap::new();
    for p in payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Paid.code()))
        .filter(payment::Column::PaidAt.gte(start))
        .filter(payment::Column::PaidAt.lt(end))
        .all(db)
        .await?
    {
        out.insert((p.payment_no, None), p.amount_fen);
    }
    let refunds = refund::Entity::find()
        .filter(refund::Column::Status.eq(RefundStatus::Succeeded.code()))
        .filter(refund::Column::SucceededAt.gte(start))
        .filter(refund::Column::SucceededAt.lt(end))
        .all(db)
        .await?;
    let payment_ids: Vec<i64> = refunds.iter().map(|r| r.payment_id).collect();
    let trades: HashMap<i64, payment::Model> = payment::Entity::find()
        .filter(payment::Column::Id.is_in(payment_ids))
        .filter(payment::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    for r in refunds {
        if let Some(p) = trades.get(&r.payment_id) {
            out.insert((p.payment_no.clone(), Some(r.refund_no)), r.amount_fen);
        }
    }
    Ok(out)
}

/// A difference: its kind, the line, the platform's amount and the bill's.
type Found = (&'static str, Key, Option<i64>, Option<i64>);

/// The differences between the bill and the platform's records, in a stable order.
fn differences(bill: &HashMap<Key, i64>, ours: &HashMap<Key, i64>) -> (usize, Vec<Found>) {
    let mut matched = 0;
    let mut out = Vec::new();
    for (k, b) in bill {
        match ours.get(k) {
            Some(o) if o == b => matched += 1,
            Some(o) => out.push(("amount", k.clone(), Some(*o), Some(*b))),
            None => out.push(("missing_here", k.clone(), None, Some(*b))),
        }
    }
    for (k, o) in ours {
        if !bill.contains_key(k) {
            out.push(("missing_in_bill", k.clone(), Some(*o), None));
        }
    }
    out.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
    (matched, out)
}

/// Downloads one day's bill of an account and matches it. Run again, it replaces the
/// day's open differences; resolved ones stay resolved. The channel down: `Unavailable`.
pub(crate) async fn run_day(
    app: &App,
    account_id: i64,
    day: NaiveDate,
) -> Result<recon_day::Model> {
    let account = super::account::by_id(&app.db, account_id).await?;
    let merchant = super::account::merchant(app, &account)?;
    let channel = app
        .payments
        .get(&account.channel)
        .ok_or_else(|| Error::Unavailable("支付通道未开通".into()))?;
    let text = channel
        .bill(&merchant, day)
        .await
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    let lines = channel
        .parse_bill(&text)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut bill: HashMap<Key, i64> = HashMap::new();
    for l in &lines {
        *bill
            .entry((l.out_trade_no.clone(), l.out_refund_no.clone()))
            .or_default() += l.amount_fen;
    }
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let recorded = ours(&txn, account.id, day).await?;
    let (matched, found) = differences(&bill, &recorded);
    let existing = recon_day::Entity::find()
        .filter(recon_day::Column::AccountId.eq(account.id))
        .filter(recon_day::Column::BillDate.eq(day))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let resolved: Vec<recon_difference::Model> = match &existing {
        Some(d) => {
            recon_difference::Entity::delete_many()
                .filter(recon_difference::Column::DayId.eq(d.id))
                .filter(recon_difference::Column::Status.eq("open"))
                .exec(&txn)
                .await?;
            recon_difference::Entity::find()
                .filter(recon_difference::Column::DayId.eq(d.id))
                .all(&txn)
                .await?
        }
        None => Vec::new(),
    };
    let open: Vec<_> = found
        .into_iter()
        .filter(|(kind, (trade, refund), _, _)| {
            !resolved
                .iter()
                .any(|r| r.kind == *kind && r.trade_no == *trade && r.refund_no == *refund)
        })
        .collect();
    let status = if open.is_empty() {
        "matched"
    } else {
        "differences"
    };
    let day_row = match existing {
        Some(d) => {
            let mut m = d.into_active_model();
            m.status = Set(status.into());
            m.bill_lines = Set(i32::try_from(lines.len()).unwrap_or(i32::MAX));
            m.matched = Set(i32::try_from(matched).unwrap_or(i32::MAX));
            m.differences = Set(i32::try_from(open.len()).unwrap_or(i32::MAX));
            m.fetched_at = Set(now);
            m.update(&txn).await?
        }
        None => {
            recon_day::ActiveModel {
                school_id: Set(account.school_id),
                account_id: Set(account.id),
                bill_date: Set(day),
                status: Set(status.into()),
                bill_lines: Set(i32::try_from(lines.len()).unwrap_or(i32::MAX)),
                matched: Set(i32::try_from(matched).unwrap_or(i32::MAX)),
                differences: Set(i32::try_from(open.len()).unwrap_or(i32::MAX)),
                fetched_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    for (kind, (trade, refund_no), ledger, bill) in open {
        recon_difference::ActiveModel {
            day_id: Set(day_row.id),
            school_id: Set(account.school_id),
            kind: Set(kind.into()),
            trade_no: Set(trade.chars().take(64).collect()),
            refund_no: Set(refund_no.map(|r| r.chars().take(64).collect())),
            ledger_fen: Set(ledger),
            bill_fen: Set(bill),
            status: Set("open".into()),
            note: Set(None),
            resolved_by: Set(None),
            resolved_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(day_row)
}

pub(crate) async fn run_job(app: &App, held: &job::Model) -> Result<serde_json::Value> {
    let params: serde_json::Value = serde_json::from_str(&held.params)
        .map_err(|e| Error::Internal(format!("任务参数：{e}")))?;
    let account = params
        .get("account_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| Error::Internal("任务参数缺少 account_id".into()))?;
    let day = params
        .get("date")
        .and_then(serde_json::Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| Error::Internal("任务参数缺少 date".into()))?;
    let d = run_day(app, account, day).await?;
    Ok(serde_json::json!({ "day_id": d.id, "status": d.status, "differences": d.differences }))
}

/// Queues yesterday's reconciliation of every active account that has none yet: what the
/// worker does now and then. Two instances may both queue it; running twice is harmless.
pub async fn schedule_due(app: &App) -> Result<usize> {
    let yesterday = app.today() - Duration::days(1);
    let mut queued = 0;
    for a in receiving_account::Entity::find()
        .filter(receiving_account::Column::Active.eq(true))
        .all(&app.db)
        .await?
    {
        let done = recon_day::Entity::find()
            .filter(recon_day::Column::AccountId.eq(a.id))
            .filter(recon_day::Column::BillDate.eq(yesterday))
            .one(&app.db)
            .await?
            .is_some();
        if done {
            continue;
        }
        let params = serde_json::json!({ "account_id": a.id, "date": yesterday.to_string() });
        let queued_now = jobs::enqueue_once(
            &app.db,
            app.now(),
            jobs::NewJob {
                kind: JOB_KIND,
                org_id: Some(a.school_id),
                user_id: None,
                membership_id: None,
                ip: None,
                params,
                input: None,
                max_attempts: 5,
            },
        )
        .await?;
        queued += usize::from(queued_now);
    }
    if queued > 0 {
        app.job_wakeup.notify_one();
    }
    Ok(queued)
}

/// Reconciles today's bill of an account (the payments benchmark): bill lines, matched,
/// differences.
pub async fn system_run_today(app: &App, account_id: i64) -> Result<(usize, usize, usize)> {
    let d = run_day(app, account_id, app.today()).await?;
    Ok((
        usize::try_from(d.bill_lines).unwrap_or(0),
        usize::try_from(d.matched).unwrap_or(0),
        usize::try_from(d.differences).unwrap_or(0),
    ))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReconView {
    pub school_id: i64,
    /// The last 31 days reconciled, newest first, each with its differences.
    pub days: Vec<DayView>,
    /// Differences still open, of any day.
    pub open: usize,
}

/// The school's reconciliation: recent days and their differences.
pub async fn view(app: &App, actor: &Actor, school_id: i64) -> Result<ReconView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingView).await?;
    let days = recon_day::Entity::find()
        .filter(recon_day::Column::SchoolId.eq(school.id))
        .order_by_desc(recon_day::Column::BillDate)
        .order_by_asc(recon_day::Column::AccountId)
        .limit(31)
        .all(&app.db)
        .await?;
    let diffs = recon_difference::Entity::find()
        .filter(recon_difference::Column::DayId.is_in(days.iter().map(|d| d.id)))
        .order_by_asc(recon_difference::Column::Id)
        .all(&app.db)
        .await?;
    let open = recon_difference::Entity::find()
        .filter(recon_difference::Column::SchoolId.eq(school.id))
        .filter(recon_difference::Column::Status.eq("open"))
        .all(&app.db)
        .await?
        .len();
    Ok(ReconView {
        school_id: school.id,
        open,
        days: days
            .into_iter()
            .map(|d| DayView {
                differences: diffs
                    .iter()
                    .filter(|x| x.day_id == d.id)
                    .cloned()
                    .map(difference_view)
                    .collect(),
                id: d.id,
                account_id: d.account_id,
                date: d.bill_date,
                status_label: if d.status == "matched" {
                    "已平"
                } else {
                    "有差异"
                },
                status: d.status,
                bill_lines: d.bill_lines,
                matched: d.matched,
                fetched_label: china_label(d.fetched_at),
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = ReconcileRunInput)]
pub struct RunInput {
    /// The day, `YYYY-MM-DD` (China's calendar); not after today.
    pub date: String,
}

/// The school reconciles one day now (every active account of the school).
pub async fn run_now(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: RunInput,
) -> Result<ReconView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingManage).await?;
    let day = NaiveDate::parse_from_str(input.date.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("date", "日期格式应为 YYYY-MM-DD"))?;
    if day > app.today() {
        return Err(Error::invalid("date", "不能对未来的日期对账"));
    }
    if day < app.today() - Duration::days(365) {
        return Err(Error::invalid("date", "只能对一年内的账单对账"));
    }
    let accounts = receiving_account::Entity::find()
        .filter(receiving_account::Column::SchoolId.eq(school.id))
        .all(&app.db)
        .await?;
    if accounts.is_empty() {
        return Err(Error::conflict("学校尚未配置收款账户"));
    }
    for a in accounts {
        run_day(app, a.id, day).await?;
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.reconcile",
        ("school", school.id),
        format!("对账 {day}"),
    )
    .await?;
    txn.commit().await?;
    view(app, actor, school_id).await
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ResolveDifferenceInput {
    /// What was found and done (at most 200 characters).
    pub note: String,
}

/// The school resolves a difference with a note.
pub async fn resolve(
    app: &App,
    actor: &Actor,
    difference_id: i64,
    input: ResolveDifferenceInput,
) -> Result<DifferenceView> {
    actor.require(Permission::BillingManage)?;
    let d = recon_difference::Entity::find_by_id(difference_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("对账差异"))?;
    let school = crate::school::school_for(&app.db, actor, d.school_id, Permission::BillingManage)
        .await
        .map_err(|_| Error::NotFound("对账差异"))?;
    let note = kehou_domain::field::required_text(&input.note, 200)
        .map_err(|m| Error::invalid("note", m))?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let d = recon_difference::Entity::find_by_id(difference_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("对账差异"))?;
    if d.status != "open" {
        return Err(Error::conflict("该差异已处理"));
    }
    let day_id = d.day_id;
    let mut m = d.into_active_model();
    m.status = Set("resolved".into());
    m.note = Set(Some(note.clone()));
    m.resolved_by = Set(Some(actor.user_id));
    m.resolved_at = Set(Some(app.now()));
    let d = m.update(&txn).await?;
    // The day is matched once nothing is open.
    let still_open = recon_difference::Entity::find()
        .filter(recon_difference::Column::DayId.eq(day_id))
        .filter(recon_difference::Column::Status.eq("open"))
        .all(&txn)
        .await?
        .len();
    if let Some(day) = recon_day::Entity::find_by_id(day_id).one(&txn).await? {
        let mut m = day.into_active_model();
        m.differences = Set(i32::try_from(still_open).unwrap_or(i32::MAX));
        if still_open == 0 {
            m.status = Set("matched".into());
        }
        m.update(&txn).await?;
    }
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.difference_resolve",
        ("recon_difference", d.id),
        format!(
            "对账差异 {}（{}）已处理：{note}",
            d.trade_no,
            kind_label(&d.kind)
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(difference_view(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_difference_is_found() {
        let k = |t: &str, r: Option<&str>| (t.to_string(), r.map(str::to_string));
        let bill = HashMap::from([
            (k("A", None), 100),
            (k("B", None), 200),
            (k("C", None), 300),
            (k("A", Some("R1")), 50),
        ]);
        let ours = HashMap::from([
            (k("A", None), 100),
            (k("B", None), 250),
            (k("D", None), 400),
            (k("A", Some("R1")), 50),
        ]);
        let (matched, found) = differences(&bill, &ours);
        assert_eq!(matched, 2);
        let kinds: Vec<_> = found.iter().map(|f| (f.0, f.1.0.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("amount", "B"),
                ("missing_here", "C"),
                ("missing_in_bill", "D")
            ]
        );
        assert_eq!(differences(&bill, &bill).1.len(), 0);
    }
}
