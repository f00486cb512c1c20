//! The independent checker: verifies a timetable against every constraint of an instance
//! and lists each violation. It shares no evaluation code with the solver, so that a
//! solver mistake shows up here.

use std::collections::HashMap;

use crate::model::{Instance, Placement, Rule, Slot};

/// One broken constraint, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub origin: String,
    pub weight: f64,
    pub message: String,
}

/// What the checker found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub hard: Vec<Violation>,
    pub soft: Vec<Violation>,
    /// The sum of the soft violations' weights.
    pub soft_cost: f64,
}

impl Report {
    pub fn feasible(&self) -> bool {
        self.hard.is_empty()
    }
}

/// The slots an activity occupies.
fn occupied(inst: &Instance, p: &Placement, duration: u16) -> Vec<Slot> {
    (0..duration)
        .map(|k| Slot {
            day: p.start.day,
            hour: p.start.hour + k,
        })
        .filter(|s| usize::from(s.hour) < inst.hours.len())
        .collect()
}

/// Checks `placements` (one per activity) against the instance.
pub fn check(inst: &Instance, placements: &[Option<Placement>]) -> Report {
    let mut report = Report::default();
    let atoms = inst.atoms();
    let mut push = |origin: &str, weight: f64, message: String| {
        let v = Violation {
            origin: origin.to_string(),
            weight,
            message,
        };
        if weight >= 100.0 {
            report.hard.push(v);
        } else {
            report.soft_cost += weight;
            report.soft.push(v);
        }
    };
    let at = |a: usize| placements.get(a).copied().flatten();
    let slots_of = |a: usize| -> Vec<Slot> {
        at(a)
            .map(|p| occupied(inst, &p, inst.activities[a].duration))
            .unwrap_or_default()
    };
    let needs_room = rooms_needed(inst);
    // Basic: placed inside the week, no double booking, rooms large enough.
    let mut teacher_use: HashMap<(usize, Slot), Vec<usize>> = HashMap::new();
    let mut atom_use: HashMap<(usize, Slot), Vec<usize>> = HashMap::new();
    let mut room_use: HashMap<(usize, Slot), Vec<usize>> = HashMap::new();
    for (a, act) in inst.activities.iter().enumerate() {
        let Some(p) = at(a) else {
            push(
                "BasicCompulsoryTime",
                100.0,
                format!("活动 {} 未安排时间", inst.describe(a)),
            );
            continue;
        };
        if usize::from(p.start.day) >= inst.days.len()
            || usize::from(p.start.hour) + usize::from(act.duration) > inst.hours.len()
        {
            push(
                "BasicCompulsoryTime",
                100.0,
                format!("活动 {} 超出一天的节次", inst.describe(a)),
            );
        }
        if let (Some(room), true) = (p.room, needs_room[a]) {
            if inst.rooms[room].capacity < act.size {
                push(
                    "BasicCompulsorySpace",
                    100.0,
                    format!(
                        "活动 {}（{} 人）超出场室 {} 的容量 {}",
                        inst.describe(a),
                        act.size,
                        inst.rooms[room].name,
                        inst.rooms[room].capacity
                    ),
                );
            }
        } else if needs_room[a] {
            push(
                "BasicCompulsorySpace",
                100.0,
                format!("活动 {} 未安排场室", inst.describe(a)),
            );
        }
        for s in slots_of(a) {
            for t in &act.teachers {
                teacher_use.entry((*t, s)).or_default().push(a);
            }
            let mut seen = Vec::new();
            for set in &act.sets {
                for atom in &atoms[*set] {
                    if !seen.contains(atom) {
                        seen.push(*atom);
                        atom_use.entry((*atom, s)).or_default().push(a);
                    }
                }
            }
            if let (Some(room), true) = (p.room, needs_room[a]) {
                room_use.entry((room, s)).or_default().push(a);
            }
        }
    }
    let clash = |list: &Vec<usize>| {
        list.iter()
            .map(|a| inst.describe(*a))
            .collect::<Vec<_>>()
            .join("、")
    };
    let mut keys: Vec<_> = teacher_use.iter().filter(|(_, v)| v.len() > 1).collect();
    keys.sort_by_key(|(k, _)| **k);
    for ((t, s), list) in keys {
        push(
            "BasicCompulsoryTime",
            100.0,
            format!(
                "教师 {} 在 {} 同时有 {} 个活动：{}",
                inst.teachers[*t],
                inst.slot_name(*s),
                list.len(),
                clash(list)
            ),
        );
    }
    let mut keys: Vec<_> = atom_use.iter().filter(|(_, v)| v.len() > 1).collect();
    keys.sort_by_key(|(k, _)| **k);
    for ((set, s), list) in keys {
        push(
            "BasicCompulsoryTime",
            100.0,
            format!(
                "学生 {} 在 {} 同时有 {} 个活动：{}",
                inst.sets[*set].name,
                inst.slot_name(*s),
                list.len(),
                clash(list)
            ),
        );
    }
    let mut keys: Vec<_> = room_use.iter().filter(|(_, v)| v.len() > 1).collect();
    keys.sort_by_key(|(k, _)| **k);
    for ((r, s), list) in keys {
        push(
            "BasicCompulsorySpace",
            100.0,
            format!(
                "场室 {} 在 {} 同时有 {} 个活动：{}",
                inst.rooms[*r].name,
                inst.slot_name(*s),
                list.len(),
                clash(list)
            ),
        );
    }

    for c in &inst.constraints {
        let w = c.weight;
        let o = c.origin.as_str();
        match &c.rule {
            Rule::Basic => {}
            Rule::BreakTimes(slots) => {
                for a in 0..inst.activities.len() {
                    for s in slots_of(a).into_iter().filter(|s| slots.contains(s)) {
                        push(
                            o,
                            w,
                            format!(
                                "活动 {} 占用了休息时间 {}",
                                inst.describe(a),
                                inst.slot_name(s)
                            ),
                        );
                    }
                }
            }
            Rule::TeacherNotAvailable { teacher, slots } => {
                for (a, act) in inst.activities.iter().enumerate() {
                    if !act.teachers.contains(teacher) {
                        continue;
                    }
                    for s in slots_of(a).into_iter().filter(|s| slots.contains(s)) {
                        push(
                            o,
                            w,
                            format!(
                                "教师 {} 在 {} 不可排课，却安排了 {}",
                                inst.teachers[*teacher],
                                inst.slot_name(s),
                                inst.describe(a)
                            ),
                        );
                    }
                }
            }
            Rule::SetNotAvailable { set, slots } => {
                for (a, act) in inst.activities.iter().enumerate() {
                    let shares = act
                        .sets
                        .iter()
                        .any(|x| atoms[*x].iter().any(|atom| atoms[*set].contains(atom)));
                    if !shares {
                        continue;
                    }
                    for s in slots_of(a).into_iter().filter(|s| slots.contains(s)) {
                        push(
                            o,
                            w,
                            format!(
                                "学生 {} 在 {} 不可排课，却安排了 {}",
                                inst.sets[*set].name,
                                inst.slot_name(s),
                                inst.describe(a)
                            ),
                        );
                    }
                }
            }
            Rule::RoomNotAvailable { room, slots } => {
                for (a, needs) in needs_room.iter().enumerate() {
                    if !needs || at(a).and_then(|p| p.room) != Some(*room) {
                        continue;
                    }
                    for s in slots_of(a).into_iter().filter(|s| slots.contains(s)) {
                        push(
                            o,
                            w,
                            format!(
                                "场室 {} 在 {} 不可用，却安排了 {}",
                                inst.rooms[*room].name,
                                inst.slot_name(s),
                                inst.describe(a)
                            ),
                        );
                    }
                }
            }
            Rule::StartingTimes { activities, slots } => {
                for a in activities {
                    if let Some(p) = at(*a)
                        && !slots.contains(&p.start)
                    {
                        push(
                            o,
                            w,
                            format!(
                                "活动 {} 开始于 {}，不在指定的开始时间内",
                                inst.describe(*a),
                                inst.slot_name(p.start)
                            ),
                        );
                    }
                }
            }
            Rule::TimeSlots { activities, slots } => {
                for a in activities {
                    if let Some(s) = slots_of(*a).into_iter().find(|s| !slots.contains(s)) {
                        push(
                            o,
                            w,
                            format!(
                                "活动 {} 占用了 {}，不在指定的时间段内",
                                inst.describe(*a),
                                inst.slot_name(s)
                            ),
                        );
                    }
                }
            }
            Rule::MinDaysBetween {
                activities,
                days,
                consecutive_if_same_day,
            } => {
                for (i, a) in activities.iter().enumerate() {
                    for b in &activities[i + 1..] {
                        let (Some(pa), Some(pb)) = (at(*a), at(*b)) else {
                            continue;
                        };
                        let gap = pa.start.day.abs_diff(pb.start.day);
                        // As in FET: closer than the minimum is a violation; on the same day
                        // with "consecutive if same day", not being adjacent is another.
                        if gap == 0 && *consecutive_if_same_day && !adjacent(inst, *a, pa, *b, pb) {
                            push(
                                o,
                                w,
                                format!(
                                    "活动 {} 与 {} 在同一天，应连续安排",
                                    inst.describe(*a),
                                    inst.describe(*b)
                                ),
                            );
                        }
                        if gap >= *days {
                            continue;
                        }
                        push(
                            o,
                            w,
                            format!(
                                "活动 {} 与 {} 应至少相隔 {} 天",
                                inst.describe(*a),
                                inst.describe(*b),
                                days
                            ),
                        );
                    }
                }
            }
            Rule::SameStartingTime(list) => {
                if let Some(first) = list.first().and_then(|a| at(*a)) {
                    for a in &list[1..] {
                        if let Some(p) = at(*a)
                            && p.start != first.start
                        {
                            push(
                                o,
                                w,
                                format!(
                                    "活动 {} 应与 {} 同时开始",
                                    inst.describe(*a),
                                    inst.describe(list[0])
                                ),
                            );
                        }
                    }
                }
            }
            Rule::NotOverlapping(list) => {
                for (i, a) in list.iter().enumerate() {
                    for b in &list[i + 1..] {
                        let sa = slots_of(*a);
                        if slots_of(*b).iter().any(|s| sa.contains(s)) {
                            push(
                                o,
                                w,
                                format!(
                                    "活动 {} 与 {} 不应重叠",
                                    inst.describe(*a),
                                    inst.describe(*b)
                                ),
                            );
                        }
                    }
                }
            }
            Rule::Consecutive { first, second } => {
                if let (Some(p1), Some(p2)) = (at(*first), at(*second))
                    && !(p1.start.day == p2.start.day
                        && p1.start.hour + inst.activities[*first].duration == p2.start.hour)
                {
                    push(
                        o,
                        w,
                        format!(
                            "活动 {} 应紧接在 {} 之后",
                            inst.describe(*second),
                            inst.describe(*first)
                        ),
                    );
                }
            }
            Rule::Grouped(a, b) => {
                if let (Some(pa), Some(pb)) = (at(*a), at(*b))
                    && !(pa.start.day == pb.start.day && adjacent(inst, *a, pa, *b, pb))
                {
                    push(
                        o,
                        w,
                        format!(
                            "活动 {} 与 {} 应在同一天连续",
                            inst.describe(*a),
                            inst.describe(*b)
                        ),
                    );
                }
            }
            Rule::EndsStudentsDay(a) => {
                let Some(p) = at(*a) else { continue };
                let end = p.start.hour + inst.activities[*a].duration;
                let mine: Vec<usize> = inst.activities[*a]
                    .sets
                    .iter()
                    .flat_map(|s| atoms[*s].iter().copied())
                    .collect();
                let later = (0..inst.activities.len()).filter(|b| *b != *a).find(|b| {
                    inst.activities[*b]
                        .sets
                        .iter()
                        .any(|s| atoms[*s].iter().any(|x| mine.contains(x)))
                        && slots_of(*b)
                            .iter()
                            .any(|s| s.day == p.start.day && s.hour >= end)
                });
                if let Some(b) = later {
                    push(
                        o,
                        w,
                        format!(
                            "活动 {} 应是学生当天最后一节，但之后还有 {}",
                            inst.describe(*a),
                            inst.describe(b)
                        ),
                    );
                }
            }
            Rule::TeacherMaxHoursDaily { teacher, max } => {
                for day in 0..inst.days.len() {
                    let hours =
                        busy_hours(inst, placements, day, |act| act.teachers.contains(teacher));
                    if hours > *max {
                        push(
                            o,
                            w,
                            format!(
                                "教师 {} 在 {} 有 {} 节，超过每天最多 {} 节",
                                inst.teachers[*teacher], inst.days[day], hours, max
                            ),
                        );
                    }
                }
            }
            Rule::TeacherMaxDaysPerWeek { teacher, max } => {
                let days = (0..inst.days.len())
                    .filter(|d| {
                        busy_hours(inst, placements, *d, |act| act.teachers.contains(teacher)) > 0
                    })
                    .count();
                if days > usize::from(*max) {
                    push(
                        o,
                        w,
                        format!(
                            "教师 {} 每周上课 {} 天，超过最多 {} 天",
                            inst.teachers[*teacher], days, max
                        ),
                    );
                }
            }
            Rule::SetMaxHoursDaily { set, max } => {
                for atom in &atoms[*set] {
                    for day in 0..inst.days.len() {
                        let hours = busy_hours(inst, placements, day, |act| {
                            act.sets.iter().any(|s| atoms[*s].contains(atom))
                        });
                        if hours > *max {
                            push(
                                o,
                                w,
                                format!(
                                    "学生 {} 在 {} 有 {} 节，超过每天最多 {} 节",
                                    inst.sets[*atom].name, inst.days[day], hours, max
                                ),
                            );
                        }
                    }
                }
            }
            Rule::PreferredRooms { activities, rooms } => {
                for a in activities {
                    if let Some(p) = at(*a)
                        && !p.room.is_some_and(|r| rooms.contains(&r))
                    {
                        push(o, w, format!("活动 {} 不在指定的场室", inst.describe(*a)));
                    }
                }
            }
        }
    }
    report
}

/// Whether two placed activities are adjacent on the same day, in either order.
fn adjacent(inst: &Instance, a: usize, pa: Placement, b: usize, pb: Placement) -> bool {
    pa.start.day == pb.start.day
        && (pa.start.hour + inst.activities[a].duration == pb.start.hour
            || pb.start.hour + inst.activities[b].duration == pa.start.hour)
}

/// Distinct hours of `day` in which an activity matching `of` takes place.
fn busy_hours(
    inst: &Instance,
    placements: &[Option<Placement>],
    day: usize,
    of: impl Fn(&crate::model::Activity) -> bool,
) -> u16 {
    let mut hours = vec![false; inst.hours.len()];
    for (a, act) in inst.activities.iter().enumerate() {
        let Some(p) = placements.get(a).copied().flatten() else {
            continue;
        };
        if usize::from(p.start.day) != day || !of(act) {
            continue;
        }
        for s in occupied(inst, &p, act.duration) {
            hours[usize::from(s.hour)] = true;
        }
    }
    u16::try_from(hours.iter().filter(|h| **h).count()).unwrap_or(u16::MAX)
}

/// FET gives a room only to activities that some room constraint names.
pub fn rooms_needed(inst: &Instance) -> Vec<bool> {
    let mut needs = vec![false; inst.activities.len()];
    for c in &inst.constraints {
        if let Rule::PreferredRooms { activities, .. } = &c.rule {
            for a in activities {
                needs[*a] = true;
            }
        }
    }
    needs
}
