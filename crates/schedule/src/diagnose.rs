//! Why a timetable cannot be found: counting arguments that prove infeasibility before any
//! search, and a summary of the hard violations left when the search ran out of time.

use std::collections::BTreeMap;

use crate::check::check;
use crate::model::{Instance, Placement, Rule, Slot};

/// Usable periods of a teacher or student set in the week: per day the hours that are
/// neither a hard break nor hard not-available, capped by the hard daily maximum, and at
/// most `max_days` of the best days.
fn usable(
    inst: &Instance,
    blocked: &[Slot],
    max_daily: Option<u16>,
    max_days: Option<u16>,
) -> usize {
    let mut per_day: Vec<usize> = (0..inst.days.len())
        .map(|d| {
            let free = (0..inst.hours.len())
                .filter(|h| {
                    !blocked.contains(&Slot {
                        day: u16::try_from(d).unwrap_or(0),
                        hour: u16::try_from(*h).unwrap_or(0),
                    })
                })
                .count();
            max_daily.map_or(free, |m| free.min(usize::from(m)))
        })
        .collect();
    per_day.sort_unstable_by(|a, b| b.cmp(a));
    let days = max_days.map_or(per_day.len(), usize::from);
    per_day.iter().take(days).sum()
}

/// Teachers and students who need more periods than they can have: each is a proof that
/// no timetable exists. `domain` is unused for now but keeps the door open for finer
/// arguments per activity.
pub fn capacity(inst: &Instance, _domain: &[Vec<usize>]) -> Vec<String> {
    let hard = |w: f64| w >= 100.0;
    let breaks: Vec<Slot> = inst
        .constraints
        .iter()
        .filter(|c| hard(c.weight))
        .filter_map(|c| match &c.rule {
            Rule::BreakTimes(s) => Some(s.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut out = Vec::new();
    for (t, name) in inst.teachers.iter().enumerate() {
        let needed: usize = inst
            .activities
            .iter()
            .filter(|a| a.teachers.contains(&t))
            .map(|a| usize::from(a.duration))
            .sum();
        if needed == 0 {
            continue;
        }
        let mut blocked = breaks.clone();
        let mut max_daily = None;
        let mut max_days = None;
        let mut why = Vec::new();
        for c in inst.constraints.iter().filter(|c| hard(c.weight)) {
            match &c.rule {
                Rule::TeacherNotAvailable { teacher, slots } if *teacher == t => {
                    blocked.extend(slots);
                    why.push("不可排时间".to_string());
                }
                Rule::TeacherMaxHoursDaily { teacher, max } if *teacher == t => {
                    max_daily = Some(max_daily.map_or(*max, |m: u16| m.min(*max)));
                    why.push(format!("每天最多 {max} 节"));
                }
                Rule::TeacherMaxDaysPerWeek { teacher, max } if *teacher == t => {
                    max_days = Some(max_days.map_or(*max, |m: u16| m.min(*max)));
                    why.push(format!("每周最多 {max} 天"));
                }
                _ => {}
            }
        }
        let can = usable(inst, &blocked, max_daily, max_days);
        if needed > can {
            why.dedup();
            out.push(format!(
                "教师 {name} 需要上 {needed} 节，但在{}下只有 {can} 节可用",
                if why.is_empty() {
                    "每周的节次".to_string()
                } else {
                    why.join("、")
                }
            ));
        }
    }
    let atoms = inst.atoms();
    for (x, set) in inst.sets.iter().enumerate() {
        if atoms[x] != [x] {
            continue;
        }
        let needed: usize = inst
            .activities
            .iter()
            .filter(|a| a.sets.iter().any(|s| atoms[*s].contains(&x)))
            .map(|a| usize::from(a.duration))
            .sum();
        if needed == 0 {
            continue;
        }
        let mut blocked = breaks.clone();
        let mut max_daily = None;
        let mut why = Vec::new();
        for c in inst.constraints.iter().filter(|c| hard(c.weight)) {
            match &c.rule {
                Rule::SetNotAvailable { set, slots } if atoms[*set].contains(&x) => {
                    blocked.extend(slots);
                    why.push("不可排时间".to_string());
                }
                Rule::SetMaxHoursDaily { set, max } if atoms[*set].contains(&x) => {
                    max_daily = Some(max_daily.map_or(*max, |m: u16| m.min(*max)));
                    why.push(format!("每天最多 {max} 节"));
                }
                _ => {}
            }
        }
        let can = usable(inst, &blocked, max_daily, None);
        if needed > can {
            why.dedup();
            out.push(format!(
                "学生 {} 需要上 {needed} 节，但在{}下只有 {can} 节可用",
                set.name,
                if why.is_empty() {
                    "每周的节次".to_string()
                } else {
                    why.join("、")
                }
            ));
        }
    }
    out
}

/// The hard violations of the best timetable found, grouped by constraint: what blocked
/// the search.
pub fn remaining(inst: &Instance, placements: &[Option<Placement>]) -> Vec<String> {
    let report = check(inst, placements);
    let mut by_origin: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in report.hard {
        by_origin.entry(v.origin).or_default().push(v.message);
    }
    by_origin
        .into_iter()
        .map(|(origin, messages)| {
            let shown: Vec<&str> = messages.iter().take(3).map(String::as_str).collect();
            format!(
                "{origin}：{} 处未满足，例如 {}",
                messages.len(),
                shown.join("；")
            )
        })
        .collect()
}
