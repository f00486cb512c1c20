//! Orders and their money for a school (H2, H6): a term's orders filtered by status,
//! time, course and class, each with its ledger totals; the sums — receivable, received,
//! refunded, waived — by course, grade, class, channel or status; both as .xlsx.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use chrono::{DateTime, NaiveDate, Utc};
use kehou_domain::billing::LedgerKind;
use kehou_domain::enrollment::OrderStatus;
use kehou_domain::{Fen, Permission};
use kehou_store::entity::billing::{ledger_entry, payment, payment_order};
use kehou_store::entity::enrollment::order;
use kehou_store::entity::school::student;
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::ledger::Totals;
use crate::platform::clock::{china, china_time};
use crate::{Actor, App, Error, Page, PageRequest, Result};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// The term; the school's current one when left out.
    pub term_id: Option<i64>,
    /// pending_payment, paid, free, expired or cancelled.
    pub status: Option<String>,
    /// A course of the term's offering.
    pub offering_item_id: Option<i64>,
    pub teaching_class_id: Option<i64>,
    /// Placed on or after this day (YYYY-MM-DD, China's calendar).
    pub from: Option<String>,
    /// Placed on or before this day.
    pub to: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderRow {
    pub order_id: i64,
    pub order_no: String,
    pub student_id: i64,
    pub student_name: String,
    pub grade: Option<i32>,
    pub course: String,
    pub offering_item_id: i64,
    pub class_name: Option<String>,
    pub teaching_class_id: Option<i64>,
    pub status: String,
    pub status_label: &'static str,
    pub channel: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_time: String,
    pub totals: Totals,
    pub total: String,
    pub paid: String,
    pub refunded: String,
    pub waived: String,
}

fn day(raw: Option<&str>, field: &str) -> Result<Option<NaiveDate>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::invalid(field, "日期格式应为 YYYY-MM-DD")),
    }
}

/// Every order of the term matching the query, with its money, newest first.
async fn rows(app: &App, actor: &Actor, school_id: i64, q: &OrdersQuery) -> Result<Vec<OrderRow>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingView).await?;
    let term_id = match q.term_id {
        Some(t) => crate::enrollment::term_row(&app.db, school.id, t).await?.id,
        None => {
            crate::enrollment::current_term(app, &app.db, school.id)
                .await?
                .id
        }
    };
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            Some(OrderStatus::parse(s).ok_or_else(|| Error::invalid("status", "订单状态无效"))?)
        }
    };
    let from = day(q.from.as_deref(), "from")?;
    let to = day(q.to.as_deref(), "to")?;
    let mut find = order::Entity::find()
        .filter(order::Column::SchoolId.eq(school.id))
        .filter(order::Column::TermId.eq(term_id))
        .order_by_desc(order::Column::Id);
    if let Some(s) = status {
        find = find.filter(order::Column::Status.eq(s.code()));
    }
    let orders = find.all(&app.db).await?;
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    for e in ledger_entry::Entity::find()
        .filter(ledger_entry::Column::SchoolId.eq(school.id))
        .filter(ledger_entry::Column::TermId.eq(term_id))
        .all(&app.db)
        .await?
    {
        totals.entry(e.order_id).or_default().add(&e);
    }
    // The channel that paid each order.
    let paid_payments: HashMap<i64, String> = payment::Entity::find()
        .filter(payment::Column::SchoolId.eq(school.id))
        .filter(payment::Column::Status.eq("paid"))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.channel))
        .collect();
    let mut channel_of: HashMap<i64, String> = HashMap::new();
    for l in payment_order::Entity::find()
        .filter(payment_order::Column::PaymentId.is_in(paid_payments.keys().copied()))
        .all(&app.db)
        .await?
    {
        if let Some(c) = paid_payments.get(&l.payment_id) {
            channel_of.insert(l.order_id, c.clone());
        }
    }
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(orders.iter().map(|o| o.student_id)))
        .all(&app.db)
        .await?;
    let grades = crate::enrollment::grades_of(&app.db, &students).await?;
    let mut out = Vec::new();
    for o in orders {
        let local = o.created_at.with_timezone(&china()).date_naive();
        if from.is_some_and(|f| local < f) || to.is_some_and(|t| local > t) {
            continue;
        }
        let v = crate::enrollment::order::order_view(o.clone())?;
        if q.offering_item_id
            .is_some_and(|i| v.snapshot.offering_item_id != i)
            || q.teaching_class_id.is_some() && v.snapshot.teaching_class_id != q.teaching_class_id
        {
            continue;
        }
        let t = totals.get(&o.id).copied().unwrap_or_default();
        let s = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Cancelled);
        out.push(OrderRow {
            order_id: o.id,
            order_no: o.order_no.clone(),
            student_id: o.student_id,
            student_name: v.snapshot.student_name.clone(),
            grade: grades.get(&o.student_id).copied(),
            course: v.snapshot.course.clone(),
            offering_item_id: v.snapshot.offering_item_id,
            class_name: v.snapshot.class_name.clone(),
            teaching_class_id: v.snapshot.teaching_class_id,
            status: o.status.clone(),
            status_label: s.label(),
            channel: channel_of.get(&o.id).map(|c| {
                app.payments
                    .get(c)
                    .map_or_else(|| c.clone(), |ch| ch.name().to_string())
            }),
            created_time: china_time(o.created_at),
            created_at: o.created_at,
            total: Fen(o.total_fen).to_string(),
            paid: Fen(t.paid_fen).to_string(),
            refunded: Fen(t.refunded_fen).to_string(),
            waived: Fen(t.waived_fen).to_string(),
            totals: t,
        });
    }
    Ok(out)
}

/// The term's orders, a page at a time.
pub async fn orders(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: OrdersQuery,
) -> Result<Page<OrderRow>> {
    let req = PageRequest::new(q.page, q.page_size)?;
    let all = rows(app, actor, school_id, &q).await?;
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(usize::try_from(req.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(req.page_size).unwrap_or(usize::MAX))
        .collect();
    Ok(Page {
        items,
        total,
        page: req.page,
        page_size: req.page_size,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SumRow {
    pub key: String,
    pub orders: usize,
    /// What is due: charged less given up and waived.
    pub receivable_fen: i64,
    pub received_fen: i64,
    pub refunded_fen: i64,
    pub waived_fen: i64,
    pub receivable: String,
    pub received: String,
    pub refunded: String,
    pub waived: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// course, grade, class, channel or status.
    pub by: String,
    pub rows: Vec<SumRow>,
    pub total: SumRow,
}

fn sum_row(key: String, rows: &[&OrderRow]) -> SumRow {
    let f = |g: fn(&Totals) -> i64| rows.iter().map(|r| g(&r.totals)).sum::<i64>();
    let charged = f(|t| t.charged_fen);
    let waived = f(|t| t.waived_fen);
    let received = f(|t| t.paid_fen);
    let refunded = f(|t| t.refunded_fen);
    SumRow {
        key,
        orders: rows.len(),
        receivable_fen: charged - waived,
        received_fen: received,
        refunded_fen: refunded,
        waived_fen: waived,
        receivable: Fen(charged - waived).to_string(),
        received: Fen(received).to_string(),
        refunded: Fen(refunded).to_string(),
        waived: Fen(waived).to_string(),
    }
}

/// The term's money summed by course, grade, class, channel or status.
pub async fn summary(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: OrdersQuery,
    by: &str,
) -> Result<Summary> {
    let all = rows(app, actor, school_id, &q).await?;
    let key = |r: &OrderRow| -> String {
        match by {
            "grade" => r
                .grade
                .map_or_else(|| "未知年级".into(), |g| format!("{g}年级")),
            "class" => r.class_name.clone().unwrap_or_else(|| "未分班".into()),
            "channel" => r.channel.clone().unwrap_or_else(|| "未支付".into()),
            "status" => r.status_label.to_string(),
            _ => r.course.clone(),
        }
    };
    if !["course", "grade", "class", "channel", "status"].contains(&by) {
        return Err(Error::invalid(
            "by",
            "汇总方式应为 course、grade、class、channel 或 status",
        ));
    }
    let mut groups: BTreeMap<String, Vec<&OrderRow>> = BTreeMap::new();
    for r in &all {
        groups.entry(key(r)).or_default().push(r);
    }
    let everything: Vec<&OrderRow> = all.iter().collect();
    Ok(Summary {
        by: by.to_string(),
        rows: groups.into_iter().map(|(k, v)| sum_row(k, &v)).collect(),
        total: sum_row("合计".into(), &everything),
    })
}

pub const EXPORT_HEADERS: [&str; 12] = [
    "订单号",
    "学生",
    "年级",
    "课程",
    "教学班",
    "状态",
    "支付通道",
    "下单时间",
    "应付（元）",
    "减免（元）",
    "实收（元）",
    "已退（元）",
];

/// The matching orders as rows of the export (student names as on the order).
pub async fn export(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: OrdersQuery,
) -> Result<Vec<Vec<String>>> {
    Ok(rows(app, actor, school_id, &q)
        .await?
        .into_iter()
        .map(|r| {
            vec![
                r.order_no,
                r.student_name,
                r.grade.map(|g| g.to_string()).unwrap_or_default(),
                r.course,
                r.class_name.unwrap_or_default(),
                r.status_label.to_string(),
                r.channel.unwrap_or_default(),
                r.created_time,
                r.total,
                r.waived,
                r.paid,
                r.refunded,
            ]
        })
        .collect())
}

/// One school's money over a period, as its bureau sees it.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SchoolMoney {
    pub school_id: i64,
    pub school_name: String,
    pub charged_fen: i64,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    /// Fees waived or reduced for families in difficulty (困难家庭减免).
    pub waived_fen: i64,
    /// How many waivers.
    pub waivers: i64,
    /// The amounts in yuan, for reading.
    pub charged: String,
    pub paid: String,
    pub refunded: String,
    pub waived: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JurisdictionMoney {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub schools: Vec<SchoolMoney>,
    pub total: SchoolMoney,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day (YYYY-MM-DD); the first of January this year when left out.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD); today when left out.
    pub to: Option<String>,
}

impl SchoolMoney {
    fn add(&mut self, kind: LedgerKind, amount: i64) {
        match kind {
            LedgerKind::Charge => self.charged_fen += amount,
            LedgerKind::Payment => self.paid_fen += amount,
            LedgerKind::Refund => self.refunded_fen += amount,
            // Money moved between two orders of a student: no money came or went.
            LedgerKind::Transfer => {}
            LedgerKind::Waiver => {
                self.waived_fen += amount;
                self.waivers += 1;
            }
        }
    }

    fn labelled(mut self) -> Self {
        self.charged = Fen(self.charged_fen).to_string();
        self.paid = Fen(self.paid_fen).to_string();
        self.refunded = Fen(self.refunded_fen).to_string();
        self.waived = Fen(self.waived_fen).to_string();
        self
    }
}

/// Receivable, received, refunded and waived per school of the actor's jurisdiction over
/// a period (by when each movement happened): what a bureau supervises.
pub async fn jurisdiction(app: &App, actor: &Actor, q: &PeriodQuery) -> Result<JurisdictionMoney> {
    actor.require(Permission::BillingView)?;
    let today = app.today();
    let from = day(q.from.as_deref(), "from")?.unwrap_or_else(|| {
        today
            .with_day0(0)
            .and_then(|d| d.with_month0(0))
            .unwrap_or(today)
    });
    let to = day(q.to.as_deref(), "to")?.unwrap_or(today);
    if from > to {
        return Err(Error::invalid("to", "结束日期不能早于开始日期"));
    }
    if (to - from).num_days() > 366 * 3 {
        return Err(Error::invalid("from", "统计区间最长三年"));
    }
    let china = china();
    let start = from
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| Error::invalid("from", "日期无效"))?;
    let end = (to + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| Error::invalid("to", "日期无效"))?;
    let schools = crate::school::schools_in_scope(app, actor).await?;
    let mut rows: Vec<SchoolMoney> = schools
        .iter()
        .map(|s| SchoolMoney {
            school_id: s.id,
            school_name: s.name.clone(),
            ..Default::default()
        })
        .collect();
    let at: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.school_id, i))
        .collect();
    let mut total = SchoolMoney {
        school_name: "合计".into(),
        ..Default::default()
    };
    for chunk in schools.chunks(500) {
        let entries: Vec<(i64, String, i64)> = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::SchoolId)
            .column(ledger_entry::Column::Kind)
            .column(ledger_entry::Column::AmountFen)
            .filter(ledger_entry::Column::SchoolId.is_in(chunk.iter().map(|s| s.id)))
            .filter(ledger_entry::Column::CreatedAt.gte(start))
            .filter(ledger_entry::Column::CreatedAt.lt(end))
            .into_tuple()
            .all(&app.db)
            .await?;
        for (school_id, kind, amount) in entries {
            let Some(kind) = LedgerKind::parse(&kind) else {
                continue;
            };
            if let Some(r) = at.get(&school_id).and_then(|i| rows.get_mut(*i)) {
                r.add(kind, amount);
            }
            total.add(kind, amount);
        }
    }
    Ok(JurisdictionMoney {
        from,
        to,
        schools: rows.into_iter().map(SchoolMoney::labelled).collect(),
        total: total.labelled(),
    })
}
