//! The invariants of enrollment, verified on a whole database (`kehou check`): no class
//! over capacity, no student over the term's maximum or in two courses of an exclusive
//! group, no two classes of a student at the same time, one order per enrollment, and the
//! class's students matching the confirmed enrollments. It reads the teaching tables in
//! bulk (a check of everything, not a use case), which no other use case here does.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use kehou_domain::enrollment::{EnrollmentStatus, OrderStatus, overlaps};
use kehou_store::entity::enrollment::{enrollment, order};
use kehou_store::entity::teaching::{class, class_student, lesson};
use kehou_store::sea_orm::{ConnectionTrait, EntityTrait};

use super::term_rules;
use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub detail: String,
}

/// Every violation found; empty when the database keeps every rule.
pub async fn run(db: &impl ConnectionTrait) -> Result<Vec<Violation>> {
    let mut out = Vec::new();
    let enrollments = enrollment::Entity::find().all(db).await?;
    let orders = order::Entity::find().all(db).await?;
    let classes: HashMap<i64, class::Model> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let members = class_student::Entity::find().all(db).await?;
    let active = |e: &&enrollment::Model| {
        EnrollmentStatus::parse(&e.status).is_some_and(EnrollmentStatus::is_active)
    };

    // Orders: exactly one per enrollment; an unpaid order holds its seat until a time.
    let mut per_enrollment: HashMap<i64, usize> = HashMap::new();
    for o in &orders {
        *per_enrollment.entry(o.enrollment_id).or_default() += 1;
        if o.status == OrderStatus::PendingPayment.code() && o.hold_until.is_none() {
            out.push(Violation {
                rule: "hold",
                detail: format!("订单 {} 待支付但没有保留期限", o.order_no),
            });
        }
    }
    for e in &enrollments {
        let n = per_enrollment.get(&e.id).copied().unwrap_or(0);
        if n != 1 {
            out.push(Violation {
                rule: "order",
                detail: format!("报名 {} 有 {n} 个订单", e.id),
            });
        }
    }

    // Seats: students plus unpaid holds within capacity.
    let mut taken: HashMap<i64, i64> = HashMap::new();
    for m in &members {
        *taken.entry(m.class_id).or_default() += 1;
    }
    for e in enrollments
        .iter()
        .filter(|e| e.status == EnrollmentStatus::PendingPayment.code())
    {
        if let Some(c) = e.class_id {
            *taken.entry(c).or_default() += 1;
        }
    }
    for (id, n) in &taken {
        if let Some(c) = classes.get(id)
            && *n > i64::from(c.capacity_max)
        {
            out.push(Violation {
                rule: "capacity",
                detail: format!(
                    "教学班“{}”({id}) 占用 {n} 个名额，班额 {}",
                    c.name, c.capacity_max
                ),
            });
        }
    }

    // Confirmed enrollments are in their class; one active enrollment per course.
    let member_set: HashSet<(i64, i64)> =
        members.iter().map(|m| (m.class_id, m.student_id)).collect();
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    for e in enrollments.iter().filter(active) {
        if !seen.insert((e.student_id, e.item_id)) {
            out.push(Violation {
                rule: "duplicate",
                detail: format!("学生 {} 重复报名课程 {}", e.student_id, e.item_id),
            });
        }
        if e.status == EnrollmentStatus::Confirmed.code()
            && let Some(c) = e.class_id
            && !member_set.contains(&(c, e.student_id))
        {
            out.push(Violation {
                rule: "membership",
                detail: format!(
                    "报名 {} 已确认，但学生 {} 不在教学班 {c}",
                    e.id, e.student_id
                ),
            });
        }
    }

    // Per student and term: courses held (enrollments and class places) and their times.
    // (student, term) → course → (its class, since when).
    type Held = HashMap<i64, (Option<i64>, NaiveDate)>;
    let mut held: HashMap<(i64, i64), Held> = HashMap::new();
    for e in enrollments.iter().filter(active) {
        held.entry((e.student_id, e.term_id))
            .or_default()
            .insert(e.item_id, (e.class_id, e.created_at.date_naive()));
    }
    for m in &members {
        if let Some(c) = classes.get(&m.class_id) {
            held.entry((m.student_id, c.term_id))
                .or_default()
                .entry(c.item_id)
                .or_insert((Some(c.id), m.created_at.date_naive()));
        }
    }
    let mut lessons: HashMap<i64, Vec<(NaiveDate, NaiveTime, NaiveTime)>> = HashMap::new();
    for l in lesson::Entity::find().all(db).await? {
        lessons
            .entry(l.class_id)
            .or_default()
            .push((l.date, l.starts_at, l.ends_at));
    }
    let mut rules_cache = HashMap::new();
    for ((student_id, term_id), items) in &held {
        let Some(school_id) = enrollments
            .iter()
            .find(|e| e.student_id == *student_id && e.term_id == *term_id)
            .map(|e| e.school_id)
            .or_else(|| {
                classes
                    .values()
                    .find(|c| c.term_id == *term_id)
                    .map(|c| c.school_id)
            })
        else {
            continue;
        };
        let rules = match rules_cache.entry((school_id, *term_id)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(term_rules(db, school_id, *term_id).await?)
            }
        };
        if let Some(max) = rules.max_courses
            && items.len() > usize::try_from(max).unwrap_or(0)
        {
            out.push(Violation {
                rule: "max_courses",
                detail: format!(
                    "学生 {student_id} 在学期 {term_id} 有 {} 门课程，上限 {max}",
                    items.len()
                ),
            });
        }
        for (name, ids) in &rules.groups {
            let n = items.keys().filter(|i| ids.contains(i)).count();
            if n > 1 {
                out.push(Violation {
                    rule: "exclusive",
                    detail: format!("学生 {student_id} 选了互斥课程组“{name}”中的 {n} 门"),
                });
            }
        }
        let placed: Vec<(i64, NaiveDate)> = items
            .values()
            .filter_map(|(c, since)| c.map(|c| (c, *since)))
            .collect();
        for (i, (a, since_a)) in placed.iter().enumerate() {
            for (b, since_b) in placed.iter().skip(i + 1) {
                let from = (*since_a).max(*since_b);
                let la = lessons.get(a).map(Vec::as_slice).unwrap_or_default();
                let lb = lessons.get(b).map(Vec::as_slice).unwrap_or_default();
                let clash = la
                    .iter()
                    .filter(|l| l.0 >= from)
                    .find(|l| lb.iter().any(|m| overlaps(**l, *m)));
                if let Some((d, s, _)) = clash {
                    out.push(Violation {
                        rule: "time_conflict",
                        detail: format!(
                            "学生 {student_id} 的教学班 {a} 与 {b} 在 {d} {} 时间重叠",
                            s.format("%H:%M")
                        ),
                    });
                }
            }
        }
    }
    Ok(out)
}
