//! Money rules: the states of payments and refunds, the kinds of ledger entries, and the
//! refund a parent gets when a course ends early — a pure function of the class's dated
//! lessons and the student's attendance, with the lines that explain it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Fen;

/// Where a payment stands on our side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Made at the channel; the parent has not paid (yet).
    Created,
    /// The channel said the money arrived.
    Paid,
    /// Closed unpaid: expired, cancelled or failed at the channel.
    Closed,
}

impl PaymentStatus {
    pub const ALL: [Self; 3] = [Self::Created, Self::Paid, Self::Closed];

    pub fn code(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Paid => "paid",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Created => "待支付",
            Self::Paid => "支付成功",
            Self::Closed => "已关闭",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// A closed payment may still turn out paid: the money can arrive at the channel just
    /// before it closes (then it is refunded automatically).
    pub fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Created, Self::Paid)
                | (Self::Created, Self::Closed)
                | (Self::Closed, Self::Paid)
        )
    }
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    /// Recorded; not yet accepted by the channel (it may be down: retried).
    Pending,
    /// Accepted by the channel, the money on its way.
    Processing,
    /// The money is back with the parent.
    Succeeded,
    /// The channel could not return it (e.g. the card was closed): resolved by hand.
    Failed,
    /// Resolved by hand outside the channel (cash or bank transfer), with a note.
    ResolvedByHand,
}

impl RefundStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Processing,
        Self::Succeeded,
        Self::Failed,
        Self::ResolvedByHand,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::ResolvedByHand => "resolved_by_hand",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待提交",
            Self::Processing => "退款中",
            Self::Succeeded => "已退款",
            Self::Failed => "退款失败",
            Self::ResolvedByHand => "已线下处理",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn can_become(self, to: Self) -> bool {
        use RefundStatus::*;
        matches!(
            (self, to),
            (Pending, Processing)
                | (Pending, Succeeded)
                | (Pending, Failed)
                | (Processing, Succeeded)
                | (Processing, Failed)
                | (Failed, Pending)
                | (Failed, ResolvedByHand)
        )
    }

    pub fn finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::ResolvedByHand)
    }
}

/// One row of the ledger. Amounts are stored signed as the entry moves the order's
/// balance (what the parent still owes): a charge adds, a waiver and a payment subtract, a
/// refund adds back; a charge may be negative (given up: an expired order, a drop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    Charge,
    Waiver,
    Payment,
    Refund,
    /// Money already received moved between two orders of a student (调课): negative on
    /// the order it leaves, positive on the one it pays; it names the payment it came by,
    /// so that a later refund still goes back that way.
    Transfer,
}

impl LedgerKind {
    pub const ALL: [Self; 5] = [
        Self::Charge,
        Self::Waiver,
        Self::Payment,
        Self::Refund,
        Self::Transfer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Charge => "charge",
            Self::Waiver => "waiver",
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::Transfer => "transfer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Charge => "应收",
            Self::Waiver => "减免",
            Self::Payment => "收款",
            Self::Refund => "退款",
            Self::Transfer => "结转",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// How an entry of `amount` moves the balance.
    pub fn effect(self, amount: Fen) -> Fen {
        match self {
            Self::Charge | Self::Refund => amount,
            Self::Waiver | Self::Payment | Self::Transfer => Fen(-amount.0),
        }
    }
}

/// The balance of an order from its entries: positive the parent owes, negative the
/// school owes the parent.
pub fn balance<'a>(entries: impl IntoIterator<Item = (LedgerKind, &'a Fen)>) -> Fen {
    Fen(entries.into_iter().map(|(k, a)| k.effect(*a).0).sum())
}

/// How a course refunds when a student leaves it. The default is the one the seeds name:
/// lessons not held yet are refunded in full, lessons missed on approved leave are
/// refunded, lessons attended (or missed without leave) are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefundRule {
    /// Lessons missed on approved leave are refunded.
    pub refund_leave: bool,
    /// Lessons missed without leave are refunded too.
    pub refund_absence: bool,
    /// Textbook and other fees come back only while no lesson has been held.
    pub materials_before_start_only: bool,
}

impl Default for RefundRule {
    fn default() -> Self {
        Self {
            refund_leave: true,
            refund_absence: false,
            materials_before_start_only: true,
        }
    }
}

impl RefundRule {
    /// The rule in a sentence, for the parent before confirming.
    pub fn describe(&self) -> String {
        let mut s = String::from("未上课次全额退还");
        s.push_str(if self.refund_leave {
            "；请假（已批准）课次退还"
        } else {
            "；请假课次照常收费"
        });
        s.push_str(if self.refund_absence {
            "；缺勤课次退还"
        } else {
            "；缺勤课次照常收费"
        });
        s.push_str("；已上课次照常收费");
        s.push_str(if self.materials_before_start_only {
            "；教材及其他费用仅在开课前退还"
        } else {
            "；教材及其他费用全额退还"
        });
        s
    }
}

/// What a student did at one held lesson: filled by the attendance issue; until then
/// every held lesson counts as attended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Presence {
    Attended,
    /// Missed on approved leave.
    Leave,
    /// Missed without leave.
    Absent,
}

/// One dated lesson of the class, with whether it has been held by the time of the
/// refund and, if held, the student's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonFact {
    pub date: NaiveDate,
    pub held: bool,
    pub presence: Option<Presence>,
}

/// What the parent paid for and what has come back already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paid {
    pub course_fee: Fen,
    pub textbook_fee: Fen,
    pub misc_fee: Fen,
    /// Waived by the school: never refunded, taken off the course fee first.
    pub waived: Fen,
    /// The money received for the order.
    pub received: Fen,
    /// Refunds already made or under way.
    pub refunded: Fen,
}

/// A refund with the lines that explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RefundComputation {
    pub amount_fen: i64,
    pub amount: String,
    /// What the parent still owes for lessons held (paid by the month or by the lesson).
    pub owed_fen: i64,
    /// The rule in words.
    pub rule: String,
    /// One line per step, e.g. "未上课次 8 次 × 25.00 = 200.00".
    pub lines: Vec<String>,
}

/// Each lesson's share of a fee: the fee split over `n` lessons so that the shares add
/// up to it exactly (the first lessons carry the odd fen).
pub fn shares(fee: Fen, n: usize) -> Vec<Fen> {
    if n == 0 {
        return Vec::new();
    }
    let n64 = n as i64;
    (0..n64)
        .map(|i| Fen(fee.0 * (i + 1) / n64 - fee.0 * i / n64))
        .rev()
        .collect()
}

/// The refund under `rule` for a student leaving a class whose dated lessons are
/// `lessons`: the course fee (less what was waived) is split over the lessons; the shares
/// of lessons not held, and of those missed as the rule allows, come back; the textbook
/// and other fees as the rule says. Never more than was received less what was refunded.
pub fn compute_refund(rule: &RefundRule, paid: &Paid, lessons: &[LessonFact]) -> RefundComputation {
    let course = Fen((paid.course_fee.0 - paid.waived.0).max(0));
    let per = shares(course, lessons.len());
    let mut lines = Vec::new();
    let mut total = 0i64;
    let tally = |label: &str, pick: &dyn Fn(&LessonFact) -> bool| -> Option<(String, i64)> {
        let picked: Vec<i64> = lessons
            .iter()
            .zip(&per)
            .filter(|(l, _)| pick(l))
            .map(|(_, s)| s.0)
            .collect();
        let sum: i64 = picked.iter().sum();
        (!picked.is_empty()).then(|| (format!("{label} {} 次，退 {}", picked.len(), Fen(sum)), sum))
    };
    if lessons.is_empty() {
        lines.push(format!("尚无排定课次：课程费 {} 全额退还", course));
        total += course.0;
    } else {
        lines.push(format!(
            "课程费 {course} 共 {} 次课，每次约 {}",
            lessons.len(),
            Fen(course.0 / lessons.len() as i64)
        ));
        let parts = [
            tally("未上课次", &|l| !l.held),
            rule.refund_leave
                .then(|| {
                    tally("请假课次", &|l| {
                        l.held && l.presence == Some(Presence::Leave)
                    })
                })
                .flatten(),
            rule.refund_absence
                .then(|| {
                    tally("缺勤课次", &|l| {
                        l.held && l.presence == Some(Presence::Absent)
                    })
                })
                .flatten(),
        ];
        for (line, sum) in parts.into_iter().flatten() {
            lines.push(line);
            total += sum;
        }
        let charged = lessons.iter().filter(|l| l.held).count();
        if charged > 0 {
            lines.push(format!(
                "已上课次 {charged} 次（含未退还的请假、缺勤）按规则收费"
            ));
        }
    }
    let materials = Fen(paid.textbook_fee.0 + paid.misc_fee.0);
    if materials.0 > 0 {
        let started = lessons.iter().any(|l| l.held);
        if rule.materials_before_start_only && started {
            lines.push(format!("教材及其他费用 {materials} 已开课，不退"));
        } else {
            lines.push(format!("教材及其他费用 {materials} 退还"));
            total += materials.0;
        }
    }
    // What the parent pays in the end under the rule; what came in beyond it goes back.
    let kept = (course.0 + materials.0 - total).max(0);
    let room = (paid.received.0 - paid.refunded.0).max(0);
    let mut owed = 0;
    if room < course.0 + materials.0 && total > room - kept {
        // Paid by the month or by the lesson, or partly refunded already: only part is
        // left to give back.
        let back = (room - kept).max(0);
        owed = (kept - room).max(0);
        lines.push(format!(
            "按规则应付 {}；以实收 {} 减已退 {} 再减应付为限：{}",
            Fen(kept),
            paid.received,
            paid.refunded,
            Fen(back)
        ));
        if owed > 0 {
            lines.push(format!("尚欠 {}，无可退金额", Fen(owed)));
        }
        total = back;
    }
    lines.push(format!("应退合计 {}", Fen(total)));
    RefundComputation {
        amount_fen: total,
        amount: Fen(total).to_string(),
        owed_fen: owed,
        rule: rule.describe(),
        lines,
    }
}

/// How the parent pays a course: chosen by the school per course of the term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayMode {
    /// The whole term in advance, when selecting.
    #[default]
    Term,
    /// A bill each month for that month's lessons; the first at selection.
    Monthly,
    /// A bill after each month for the lessons held in it; textbook and other fees at
    /// selection.
    PerLesson,
}

impl PayMode {
    pub const ALL: [Self; 3] = [Self::Term, Self::Monthly, Self::PerLesson];

    pub fn code(self) -> &'static str {
        match self {
            Self::Term => "term",
            Self::Monthly => "monthly",
            Self::PerLesson => "per_lesson",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Term => "整学期预缴",
            Self::Monthly => "按月缴费",
            Self::PerLesson => "按实际课时缴费",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Term => "报名时一次缴清整学期费用",
            Self::Monthly => "报名时缴首月费用，此后每月1日出当月账单",
            Self::PerLesson => "报名时缴教材等费用，每月初按上月实际上课次数出账单",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// One bill of an order: what it charges for which period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    /// `term`, `start` (fees due at selection), or the month, e.g. `2026-10`.
    pub period: String,
    pub label: String,
    pub amount: Fen,
}

fn month_of(d: NaiveDate) -> (i32, u32) {
    use chrono::Datelike;
    (d.year(), d.month())
}

fn month_bill(period: (i32, u32), amount: Fen, what: &str) -> Bill {
    Bill {
        period: format!("{:04}-{:02}", period.0, period.1),
        label: format!("{}年{}月{what}", period.0, period.1),
        amount,
    }
}

/// The bills an order in `mode` has come to by `today`. The course fee is split over the
/// order's dated lessons (`lessons`, in date order, those from the order's day on) so
/// that the parts add up to it exactly (`shares`).
/// - Term: one bill for everything.
/// - Monthly: one bill per month of lessons, due on the month's first day; the first
///   month's bill (with the textbook and other fees) is due at once.
/// - Per lesson: the textbook and other fees at once; each month's held lessons billed
///   once the month is over.
///
/// With no dated lessons yet (no class), a monthly or per-lesson order bills only what
/// it can: monthly the whole course at once, per lesson the fees.
pub fn bills(
    mode: PayMode,
    course_fee: Fen,
    materials: Fen,
    lessons: &[LessonFact],
    today: NaiveDate,
) -> Vec<Bill> {
    let now = month_of(today);
    let per = shares(course_fee, lessons.len());
    let mut months: Vec<((i32, u32), Fen)> = Vec::new();
    for (l, s) in lessons.iter().zip(&per) {
        let m = month_of(l.date);
        match months.last_mut() {
            Some((last, sum)) if *last == m => sum.0 += s.0,
            _ => months.push((m, *s)),
        }
    }
    let start = |amount: Fen| Bill {
        period: "start".into(),
        label: "报名时应缴（教材及其他费用）".into(),
        amount,
    };
    match mode {
        PayMode::Term => vec![Bill {
            period: "term".into(),
            label: "整学期费用".into(),
            amount: Fen(course_fee.0 + materials.0),
        }],
        PayMode::Monthly if months.is_empty() => vec![Bill {
            period: "term".into(),
            label: "尚无排定课次，整学期费用".into(),
            amount: Fen(course_fee.0 + materials.0),
        }],
        PayMode::Monthly => months
            .iter()
            .enumerate()
            .filter(|(i, (m, _))| *i == 0 || *m <= now)
            .map(|(i, (m, sum))| {
                let mut b = month_bill(*m, *sum, "课程费");
                if i == 0 && materials.0 > 0 {
                    b.amount.0 += materials.0;
                    b.label.push_str("及教材等费用");
                }
                b
            })
            .collect(),
        PayMode::PerLesson => {
            let mut out = Vec::new();
            if materials.0 > 0 {
                out.push(start(materials));
            }
            for (m, _) in months.iter().filter(|(m, _)| *m < now) {
                let sum: i64 = lessons
                    .iter()
                    .zip(&per)
                    .filter(|(l, _)| month_of(l.date) == *m && l.held)
                    .map(|(_, s)| s.0)
                    .sum();
                out.push(month_bill(*m, Fen(sum), "实际上课课程费"));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons(
        held: usize,
        total: usize,
        leave_at: &[usize],
        absent_at: &[usize],
    ) -> Vec<LessonFact> {
        let day = NaiveDate::from_ymd_opt(2026, 9, 7).unwrap_or_default();
        (0..total)
            .map(|i| LessonFact {
                date: day + chrono::Duration::days(7 * i as i64),
                held: i < held,
                presence: (i < held).then(|| {
                    if leave_at.contains(&i) {
                        Presence::Leave
                    } else if absent_at.contains(&i) {
                        Presence::Absent
                    } else {
                        Presence::Attended
                    }
                }),
            })
            .collect()
    }

    fn paid(course: i64, textbook: i64) -> Paid {
        Paid {
            course_fee: Fen(course),
            textbook_fee: Fen(textbook),
            misc_fee: Fen(0),
            waived: Fen(0),
            received: Fen(course + textbook),
            refunded: Fen(0),
        }
    }

    #[test]
    fn shares_add_up_to_the_fee_exactly() {
        for (fee, n) in [(100, 3), (1, 4), (30000, 16), (0, 5), (99_999, 7)] {
            let s = shares(Fen(fee), n);
            assert_eq!(s.len(), n);
            assert_eq!(s.iter().map(|f| f.0).sum::<i64>(), fee, "{fee}/{n}");
            let max = s.iter().map(|f| f.0).max().unwrap_or(0);
            let min = s.iter().map(|f| f.0).min().unwrap_or(0);
            assert!(max - min <= 1);
        }
        assert!(shares(Fen(100), 0).is_empty());
    }

    #[test]
    fn unheld_and_leave_lessons_come_back_attended_and_absent_are_charged() {
        let rule = RefundRule::default();
        // 16 lessons of 25.00; 6 held: one on leave, one absent.
        let r = compute_refund(&rule, &paid(40000, 3000), &lessons(6, 16, &[2], &[4]));
        // 10 unheld + 1 leave = 11 × 25.00; the textbook not (started).
        assert_eq!(r.amount_fen, 11 * 2500);
        assert!(
            r.lines.iter().any(|l| l.contains("未上课次 10 次")),
            "{r:?}"
        );
        assert!(r.lines.iter().any(|l| l.contains("请假课次 1 次")), "{r:?}");
        assert!(r.lines.iter().any(|l| l.contains("不退")), "{r:?}");
        let generous = RefundRule {
            refund_absence: true,
            materials_before_start_only: false,
            ..rule
        };
        let r = compute_refund(&generous, &paid(40000, 3000), &lessons(6, 16, &[2], &[4]));
        assert_eq!(r.amount_fen, 12 * 2500 + 3000);
        let strict = RefundRule {
            refund_leave: false,
            ..rule
        };
        assert_eq!(
            compute_refund(&strict, &paid(40000, 3000), &lessons(6, 16, &[2], &[4])).amount_fen,
            10 * 2500
        );
    }

    #[test]
    fn before_the_first_lesson_everything_comes_back() {
        let r = compute_refund(
            &RefundRule::default(),
            &paid(40000, 3000),
            &lessons(0, 16, &[], &[]),
        );
        assert_eq!(r.amount_fen, 43000);
        let r = compute_refund(&RefundRule::default(), &paid(40000, 0), &[]);
        assert_eq!(r.amount_fen, 40000);
    }

    #[test]
    fn never_more_than_received_less_refunded_and_waivers_are_not_refunded() {
        let mut p = paid(40000, 0);
        p.refunded = Fen(39000);
        let r = compute_refund(&RefundRule::default(), &p, &lessons(0, 16, &[], &[]));
        assert_eq!(r.amount_fen, 1000);
        assert!(r.lines.iter().any(|l| l.contains("为限")));
        let mut p = paid(40000, 0);
        p.waived = Fen(20000);
        p.received = Fen(20000);
        let r = compute_refund(&RefundRule::default(), &p, &lessons(8, 16, &[], &[]));
        assert_eq!(r.amount_fen, 10000);
        // After everything: nothing left.
        let r = compute_refund(
            &RefundRule::default(),
            &paid(40000, 0),
            &lessons(16, 16, &[], &[]),
        );
        assert_eq!(r.amount_fen, 0);
    }

    fn dated(days: &[(u32, u32)], today: NaiveDate) -> Vec<LessonFact> {
        days.iter()
            .map(|(m, d)| {
                let date = NaiveDate::from_ymd_opt(2026, *m, *d).unwrap_or_default();
                LessonFact {
                    date,
                    held: date < today,
                    presence: (date < today).then_some(Presence::Attended),
                }
            })
            .collect()
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    #[test]
    fn monthly_bills_follow_the_lessons_of_each_month_and_add_up() {
        // 3 lessons in September, 4 in October, 2 in November: ¥90 over 9 lessons.
        let days = [
            (9, 8),
            (9, 15),
            (9, 22),
            (10, 6),
            (10, 13),
            (10, 20),
            (10, 27),
            (11, 3),
            (11, 10),
        ];
        let all = |today| dated(&days, today);
        let b = bills(
            PayMode::Monthly,
            Fen(9000),
            Fen(500),
            &all(day(9, 1)),
            day(9, 1),
        );
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].period.as_str(), b[0].amount), ("2026-09", Fen(3500)));
        let b = bills(
            PayMode::Monthly,
            Fen(9000),
            Fen(500),
            &all(day(10, 1)),
            day(10, 1),
        );
        assert_eq!(
            b.iter().map(|b| b.amount.0).collect::<Vec<_>>(),
            [3500, 4000]
        );
        let b = bills(
            PayMode::Monthly,
            Fen(9000),
            Fen(500),
            &all(day(12, 1)),
            day(12, 1),
        );
        assert_eq!(b.iter().map(|b| b.amount.0).sum::<i64>(), 9500);
        // Selected in August for lessons from September: the first month is due at once.
        assert_eq!(
            bills(
                PayMode::Monthly,
                Fen(9000),
                Fen(0),
                &all(day(8, 20)),
                day(8, 20)
            )
            .len(),
            1
        );
        // No class yet: the whole course at once.
        let b = bills(PayMode::Monthly, Fen(9000), Fen(500), &[], day(9, 1));
        assert_eq!((b[0].period.as_str(), b[0].amount), ("term", Fen(9500)));
        let b = bills(
            PayMode::Term,
            Fen(9000),
            Fen(500),
            &all(day(9, 1)),
            day(9, 1),
        );
        assert_eq!((b[0].period.as_str(), b[0].amount), ("term", Fen(9500)));
    }

    #[test]
    fn per_lesson_bills_only_held_lessons_of_months_that_are_over() {
        let days = [(9, 8), (9, 15), (9, 22), (10, 6), (10, 13)];
        let mut lessons = dated(&days, day(10, 10));
        let b = bills(PayMode::PerLesson, Fen(5000), Fen(0), &lessons, day(10, 10));
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].period.as_str(), b[0].amount), ("2026-09", Fen(3000)));
        // A lesson of September not held (cancelled after dating) is not billed.
        lessons[1].held = false;
        let b = bills(
            PayMode::PerLesson,
            Fen(5000),
            Fen(800),
            &lessons,
            day(11, 2),
        );
        assert_eq!(
            b.iter()
                .map(|b| (b.period.as_str(), b.amount.0))
                .collect::<Vec<_>>(),
            [("start", 800), ("2026-09", 2000), ("2026-10", 1000)]
        );
        assert!(bills(PayMode::PerLesson, Fen(5000), Fen(0), &[], day(9, 1)).is_empty());
    }

    #[test]
    fn a_partly_paid_order_gets_back_only_what_came_in_beyond_the_lessons_kept() {
        // ¥160 over 16 lessons, paid by the month: ¥40 came in, 6 lessons held.
        let mut p = paid(16000, 0);
        p.received = Fen(4000);
        let r = compute_refund(&RefundRule::default(), &p, &lessons(6, 16, &[], &[]));
        assert_eq!((r.amount_fen, r.owed_fen), (0, 2000));
        assert!(r.lines.iter().any(|l| l.contains("尚欠")), "{r:?}");
        // ¥80 came in, 6 held, one on leave: 5 kept, ¥30 back.
        p.received = Fen(8000);
        let r = compute_refund(&RefundRule::default(), &p, &lessons(6, 16, &[1], &[]));
        assert_eq!((r.amount_fen, r.owed_fen), (3000, 0));
    }

    #[test]
    fn the_balance_follows_the_entries() {
        let e = [
            (LedgerKind::Charge, Fen(30000)),
            (LedgerKind::Waiver, Fen(5000)),
            (LedgerKind::Payment, Fen(25000)),
            (LedgerKind::Charge, Fen(-10000)),
            (LedgerKind::Refund, Fen(10000)),
        ];
        assert_eq!(balance(e.iter().map(|(k, a)| (*k, a))), Fen(0));
        assert_eq!(balance(e[..3].iter().map(|(k, a)| (*k, a))), Fen(0));
        assert_eq!(balance(e[..4].iter().map(|(k, a)| (*k, a))), Fen(-10000));
    }

    #[test]
    fn every_state_pair_is_decided() {
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                let ok = from.can_become(to);
                assert_eq!(
                    ok,
                    matches!(
                        (from, to),
                        (
                            PaymentStatus::Created,
                            PaymentStatus::Paid | PaymentStatus::Closed
                        ) | (PaymentStatus::Closed, PaymentStatus::Paid)
                    )
                );
            }
            assert_eq!(PaymentStatus::parse(from.code()), Some(from));
        }
        for from in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(from.code()), Some(from));
            // Finished refunds never change.
            if from.finished() {
                assert!(RefundStatus::ALL.iter().all(|to| !from.can_become(*to)));
            }
            assert!(!from.can_become(from));
        }
        assert!(RefundStatus::Failed.can_become(RefundStatus::Pending));
        for k in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(k.code()), Some(k));
        }
    }
}
