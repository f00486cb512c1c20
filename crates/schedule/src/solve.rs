//! The timetabling solver: a construction by recursive swapping (FET's method, in
//! `recursive`) that honours every hard constraint as it places, then a tabu search over
//! activity moves, swaps and Kempe chains that removes what hard violations remain and
//! lowers the weighted soft cost, until the time limit. Deterministic for a seed (it counts
//! steps, and reads the clock only to stop).
//!
//! Cost bookkeeping: double bookings are counted in occupancy grids as moves happen; every
//! other constraint keeps its own cost, re-evaluated when one of its activities moves.

use std::time::Instant;

use crate::check::rooms_needed;
use crate::diagnose;
use crate::model::{Instance, Placement, Rule, Slot};

mod recursive;

/// Solver settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop after this long, returning the best timetable found.
    pub seconds: f64,
    pub seed: u64,
    /// Stop after this many search steps too: with it, a run is reproducible whatever the
    /// machine's speed.
    pub max_iterations: Option<u64>,
    /// Once a timetable without hard violations is found, keep lowering the soft cost for
    /// at most this long (`None`: until the time limit).
    pub polish_seconds: Option<f64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seconds: 60.0,
            seed: 1,
            max_iterations: None,
            polish_seconds: None,
        }
    }
}

/// What the progress callback is told, about every tenth of a second.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub elapsed: f64,
    pub iterations: u64,
    /// Hard violations of the best timetable so far.
    pub hard: u32,
    pub soft: f64,
}

/// The best timetable found.
#[derive(Debug, Clone)]
pub struct Solution {
    pub placements: Vec<Option<Placement>>,
    pub hard: u32,
    pub soft: f64,
    pub iterations: u64,
    pub elapsed: f64,
    /// Seconds until the first timetable without hard violations, if one was found.
    pub first_feasible: Option<f64>,
    /// Unlocked activities that had a placement (a re-solve) and now start elsewhere; the
    /// cost of moving them is not part of `soft`, which is the constraints' alone.
    pub moved: usize,
    /// Why no timetable was found, when `hard > 0`: the blocking constraints and who they
    /// concern.
    pub blocking: Vec<String>,
}

impl Solution {
    pub fn feasible(&self) -> bool {
        self.hard == 0
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A constraint the search re-evaluates when one of its activities moves.
#[derive(Debug, Clone)]
enum Tracked {
    MinDays {
        acts: Vec<usize>,
        days: u16,
        consecutive_ok: bool,
    },
    SameStart(Vec<usize>),
    NotOverlapping(Vec<usize>),
    Consecutive(usize, usize),
    Grouped(usize, usize),
    /// The activity, and the activities sharing its students.
    EndsDay(usize, Vec<usize>),
    /// Distinct busy hours per day of a resource (teacher or atom set) above `max`.
    MaxHoursDaily {
        resource: Resource,
        max: u16,
    },
    MaxDaysPerWeek {
        teacher: usize,
        max: u16,
    },
}

#[derive(Debug, Clone, Copy)]
enum Resource {
    Teacher(usize),
    Atom(usize),
}

#[derive(Debug, Clone)]
struct TrackedConstraint {
    what: Tracked,
    weight: f64,
}

/// Everything precomputed from the instance.
struct Prepared {
    slots: usize,
    hours: usize,
    duration: Vec<usize>,
    teachers: Vec<Vec<usize>>,
    atoms: Vec<Vec<usize>>,
    /// Which activities share a teacher or students: `share`'s bit matrix.
    sharing: Vec<u64>,
    /// Allowed start slot indices per activity (hard unary constraints applied).
    domain: Vec<Vec<usize>>,
    /// Soft cost of starting at each slot, per activity (slots × activities, flat).
    start_cost: Vec<f64>,
    needs_room: Vec<bool>,
    /// Candidate rooms per activity with their soft preference cost.
    rooms: Vec<Vec<(usize, f64)>>,
    /// Room unavailability weight per room and slot (0: available).
    room_unavailable: Vec<f64>,
    tracked: Vec<TrackedConstraint>,
    /// Tracked constraints per activity.
    tracked_of: Vec<Vec<usize>>,
    locked: Vec<Option<Placement>>,
    /// Where unlocked activities were before (a timetable being re-solved after a manual
    /// change): they start there when they can, and each one moved costs `MOVE_COST`.
    previous: Vec<Option<usize>>,
    /// Activities that must start together (hard same-starting-time) move as one: the
    /// members of each activity's group, itself included.
    members: Vec<Vec<usize>>,
    teacher_count: usize,
    atom_count: usize,
    room_count: usize,
}

const HARD: f64 = 100.0;

/// The soft cost of moving a lesson away from where it was, when re-solving: low, so that
/// every stated preference counts for more than keeping one lesson in place.
pub const MOVE_COST: f64 = 1.0;

impl Prepared {
    /// Whether two activities share a teacher or students.
    fn share(&self, x: usize, y: usize) -> bool {
        self.sharing[x * self.words() + y / 64] >> (y % 64) & 1 == 1
    }

    /// The length of a bit set over activities, in words.
    fn words(&self) -> usize {
        self.duration.len().div_ceil(64)
    }
}

/// The matrix behind `Prepared::share`, one bit per pair of activities: the displacement
/// checks ask it for every overlapping pair, and intersecting long student lists each time
/// took a third of the solver's time on FET's larger examples.
fn sharing_matrix(
    teachers: &[Vec<usize>],
    atoms: &[Vec<usize>],
    (teacher_count, atom_count): (usize, usize),
) -> Vec<u64> {
    let n = teachers.len();
    let words = n.div_ceil(64);
    // The activities of each teacher, then of each atom.
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); teacher_count + atom_count];
    for a in 0..n {
        for &t in &teachers[a] {
            users[t].push(a);
        }
        for &x in &atoms[a] {
            users[teacher_count + x].push(a);
        }
    }
    let mut bits = vec![0u64; n * words];
    for list in &users {
        for &x in list {
            for &y in list {
                bits[x * words + y / 64] |= 1 << (y % 64);
            }
        }
    }
    bits
}

fn prepare(inst: &Instance) -> Result<Prepared, Vec<String>> {
    let hours = inst.hours.len();
    let slots = inst.slot_count();
    let n = inst.activities.len();
    let atoms_of_set = inst.atoms();
    let duration: Vec<usize> = inst
        .activities
        .iter()
        .map(|a| usize::from(a.duration.max(1)))
        .collect();
    let atoms: Vec<Vec<usize>> = inst
        .activities
        .iter()
        .map(|a| {
            let mut v: Vec<usize> = a
                .sets
                .iter()
                .flat_map(|s| atoms_of_set[*s].iter().copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let teachers: Vec<Vec<usize>> = inst.activities.iter().map(|a| a.teachers.clone()).collect();
    // Unary time costs: per activity and start, hard (forbidden) or soft (weight).
    let mut forbidden = vec![false; n * slots];
    let mut start_cost = vec![0.0; n * slots];
    let mut blame: Vec<Vec<String>> = vec![Vec::new(); n];
    let occupies = |a: usize, start: usize, s: usize| {
        let (d, h) = (start / hours, start % hours);
        (d == s / hours) && (h..h + duration[a]).contains(&(s % hours))
    };
    for a in 0..n {
        for start in 0..slots {
            if start % hours + duration[a] > hours {
                forbidden[a * slots + start] = true;
            }
        }
    }
    let mut add_unary = |a: usize, start: usize, weight: f64, origin: &str| {
        if weight >= HARD {
            if !forbidden[a * slots + start] {
                forbidden[a * slots + start] = true;
                if !blame[a].iter().any(|b| b == origin) {
                    blame[a].push(origin.to_string());
                }
            }
        } else {
            start_cost[a * slots + start] += weight;
        }
    };
    let mut room_unavailable = vec![0.0; inst.rooms.len() * slots];
    let mut tracked = Vec::new();
    let mut pref_rooms: Vec<Vec<(Vec<usize>, f64)>> = vec![Vec::new(); n];
    for c in &inst.constraints {
        let w = c.weight;
        let origin = c.origin.as_str();
        match &c.rule {
            Rule::Basic => {}
            Rule::BreakTimes(list)
            | Rule::TeacherNotAvailable { slots: list, .. }
            | Rule::SetNotAvailable { slots: list, .. } => {
                let applies = |a: usize| match &c.rule {
                    Rule::TeacherNotAvailable { teacher, .. } => teachers[a].contains(teacher),
                    Rule::SetNotAvailable { set, .. } => {
                        atoms[a].iter().any(|x| atoms_of_set[*set].contains(x))
                    }
                    _ => true,
                };
                let idx: Vec<usize> = list.iter().map(|s| inst.index(*s)).collect();
                for a in (0..n).filter(|a| applies(*a)) {
                    for start in 0..slots {
                        let hits = idx.iter().filter(|s| occupies(a, start, **s)).count();
                        for _ in 0..hits {
                            add_unary(a, start, w, origin);
                        }
                    }
                }
            }
            Rule::RoomNotAvailable { room, slots: list } => {
                for s in list {
                    room_unavailable[room * slots + inst.index(*s)] += w;
                }
            }
            Rule::StartingTimes {
                activities,
                slots: list,
            } => {
                let idx: Vec<usize> = list.iter().map(|s| inst.index(*s)).collect();
                for a in activities {
                    for start in (0..slots).filter(|s| !idx.contains(s)) {
                        add_unary(*a, start, w, origin);
                    }
                }
            }
            Rule::TimeSlots {
                activities,
                slots: list,
            } => {
                let idx: Vec<usize> = list.iter().map(|s| inst.index(*s)).collect();
                for a in activities {
                    for start in 0..slots {
                        let outside =
                            (0..slots).any(|s| occupies(*a, start, s) && !idx.contains(&s));
                        if outside {
                            add_unary(*a, start, w, origin);
                        }
                    }
                }
            }
            Rule::PreferredRooms { activities, rooms } => {
                for a in activities {
                    pref_rooms[*a].push((rooms.clone(), w));
                }
            }
            Rule::MinDaysBetween {
                activities,
                days,
                consecutive_if_same_day,
            } => tracked.push(TrackedConstraint {
                what: Tracked::MinDays {
                    acts: activities.clone(),
                    days: *days,
                    consecutive_ok: *consecutive_if_same_day,
                },
                weight: w,
            }),
            Rule::SameStartingTime(list) => tracked.push(TrackedConstraint {
                what: Tracked::SameStart(list.clone()),
                weight: w,
            }),
            Rule::NotOverlapping(list) => tracked.push(TrackedConstraint {
                what: Tracked::NotOverlapping(list.clone()),
                weight: w,
            }),
            Rule::Consecutive { first, second } => tracked.push(TrackedConstraint {
                what: Tracked::Consecutive(*first, *second),
                weight: w,
            }),
            Rule::Grouped(a, b) => tracked.push(TrackedConstraint {
                what: Tracked::Grouped(*a, *b),
                weight: w,
            }),
            Rule::EndsStudentsDay(a) => {
                let others = (0..n)
                    .filter(|b| *b != *a && atoms[*b].iter().any(|x| atoms[*a].contains(x)))
                    .collect();
                tracked.push(TrackedConstraint {
                    what: Tracked::EndsDay(*a, others),
                    weight: w,
                });
            }
            Rule::TeacherMaxHoursDaily { teacher, max } => tracked.push(TrackedConstraint {
                what: Tracked::MaxHoursDaily {
                    resource: Resource::Teacher(*teacher),
                    max: *max,
                },
                weight: w,
            }),
            Rule::TeacherMaxDaysPerWeek { teacher, max } => tracked.push(TrackedConstraint {
                what: Tracked::MaxDaysPerWeek {
                    teacher: *teacher,
                    max: *max,
                },
                weight: w,
            }),
            Rule::SetMaxHoursDaily { set, max } => {
                for atom in &atoms_of_set[*set] {
                    tracked.push(TrackedConstraint {
                        what: Tracked::MaxHoursDaily {
                            resource: Resource::Atom(*atom),
                            max: *max,
                        },
                        weight: w,
                    });
                }
            }
        }
    }
    let mut tracked_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, t) in tracked.iter().enumerate() {
        let acts: Vec<usize> = match &t.what {
            Tracked::MinDays { acts, .. }
            | Tracked::SameStart(acts)
            | Tracked::NotOverlapping(acts) => acts.clone(),
            Tracked::Consecutive(a, b) | Tracked::Grouped(a, b) => vec![*a, *b],
            Tracked::EndsDay(a, others) => {
                let mut v = others.clone();
                v.push(*a);
                v
            }
            Tracked::MaxHoursDaily { resource, .. } => (0..n)
                .filter(|a| match resource {
                    Resource::Teacher(t) => teachers[*a].contains(t),
                    Resource::Atom(x) => atoms[*a].contains(x),
                })
                .collect(),
            Tracked::MaxDaysPerWeek { teacher, .. } => {
                (0..n).filter(|a| teachers[*a].contains(teacher)).collect()
            }
        };
        for a in acts {
            if !tracked_of[a].contains(&i) {
                tracked_of[a].push(i);
            }
        }
    }
    let needs_room = rooms_needed(inst);
    let mut rooms = vec![Vec::new(); n];
    let mut problems = Vec::new();
    for a in 0..n {
        if !needs_room[a] {
            continue;
        }
        for (r, room) in inst.rooms.iter().enumerate() {
            if room.capacity < inst.activities[a].size {
                continue;
            }
            let mut cost = 0.0;
            let mut allowed = true;
            for (list, w) in &pref_rooms[a] {
                if !list.contains(&r) {
                    if *w >= HARD {
                        allowed = false;
                    } else {
                        cost += w;
                    }
                }
            }
            if allowed {
                rooms[a].push((r, cost));
            }
        }
        if rooms[a].is_empty() {
            problems.push(format!(
                "活动 {}（{} 人）没有可用的场室：指定场室的约束与容量不允许任何场室",
                inst.describe(a),
                inst.activities[a].size
            ));
        }
    }
    let locked: Vec<Option<Placement>> = inst
        .activities
        .iter()
        .map(|a| if a.locked { a.placement } else { None })
        .collect();
    let previous: Vec<Option<usize>> = inst
        .activities
        .iter()
        .map(|a| {
            a.placement
                .filter(|_| !a.locked)
                .map(|p| inst.index(p.start))
                .filter(|s| *s < slots)
        })
        .collect();
    for (a, was) in previous.iter().enumerate() {
        if let Some(was) = was {
            for start in (0..slots).filter(|s| s != was) {
                start_cost[a * slots + start] += MOVE_COST;
            }
        }
    }
    let mut domain = Vec::with_capacity(n);
    for a in 0..n {
        let d: Vec<usize> = match locked[a] {
            Some(p) => vec![inst.index(p.start)],
            None => (0..slots).filter(|s| !forbidden[a * slots + s]).collect(),
        };
        if d.is_empty() {
            problems.push(format!(
                "活动 {} 没有可排的时间：{} 排除了所有时间",
                inst.describe(a),
                if blame[a].is_empty() {
                    "课时长度".to_string()
                } else {
                    blame[a].join("、")
                }
            ));
        }
        domain.push(d);
    }
    // Hard same-starting-time groups: one domain, the intersection of the members'.
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for c in &inst.constraints {
        if let (Rule::SameStartingTime(list), true) = (&c.rule, c.weight >= HARD) {
            for w in list.windows(2) {
                let (x, y) = (root(&mut parent, w[0]), root(&mut parent, w[1]));
                parent[x] = y;
            }
        }
    }
    let mut groups: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for a in 0..n {
        let r = root(&mut parent, a);
        groups.entry(r).or_default().push(a);
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    for list in groups.values() {
        if list.len() > 1 && problems.is_empty() {
            let mut common = domain[list[0]].clone();
            for m in &list[1..] {
                common.retain(|s| domain[*m].contains(s));
            }
            if common.is_empty() {
                problems.push(format!(
                    "须同时开始的活动 {} 没有共同可排的时间",
                    list.iter()
                        .map(|a| inst.describe(*a))
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
            for m in list {
                domain[*m] = common.clone();
            }
        }
        for m in list {
            members[*m] = list.clone();
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Prepared {
        slots,
        hours,
        duration,
        sharing: sharing_matrix(&teachers, &atoms, (inst.teachers.len(), inst.sets.len())),
        teachers,
        atoms,
        domain,
        start_cost,
        needs_room,
        rooms,
        room_unavailable,
        tracked,
        tracked_of,
        locked,
        previous,
        members,
        teacher_count: inst.teachers.len(),
        atom_count: inst.sets.len(),
        room_count: inst.rooms.len(),
    })
}

/// The search state: placements, occupancy grids and costs.
#[derive(Clone)]
struct State {
    start: Vec<Option<usize>>,
    room: Vec<Option<usize>>,
    teacher_occ: Vec<u16>,
    atom_occ: Vec<u16>,
    room_occ: Vec<u16>,
    /// Double bookings plus unplaced activities plus hard unary room costs.
    occ_hard: i64,
    /// Soft unary costs (start times, rooms).
    unary_soft: f64,
    /// Cost of each tracked constraint: (hard violations, soft cost).
    cost: Vec<(i64, f64)>,
    /// The sums of `cost`, kept as costs change so that totals cost nothing to read.
    tracked_hard: i64,
    tracked_soft: f64,
    /// The activities starting at each slot, for swap moves.
    starting: Vec<Vec<usize>>,
    /// The activities taking place in each slot, a bit set per slot: with the `sharing`
    /// matrix it yields an activity's clashes a word at a time.
    running: Vec<u64>,
}

impl State {
    fn hard(&self) -> i64 {
        self.occ_hard + self.tracked_hard
    }
    fn soft(&self) -> f64 {
        self.unary_soft + self.tracked_soft
    }
}

struct Search<'a> {
    p: &'a Prepared,
    s: State,
}

impl<'a> Search<'a> {
    fn new(p: &'a Prepared, n: usize) -> Self {
        let s = State {
            start: vec![None; n],
            room: vec![None; n],
            teacher_occ: vec![0; p.teacher_count * p.slots],
            atom_occ: vec![0; p.atom_count * p.slots],
            room_occ: vec![0; p.room_count * p.slots],
            occ_hard: i64::try_from(n).unwrap_or(i64::MAX),
            unary_soft: 0.0,
            cost: vec![(0, 0.0); p.tracked.len()],
            tracked_hard: 0,
            tracked_soft: 0.0,
            starting: vec![Vec::new(); p.slots],
            running: vec![0; p.slots * p.words()],
        };
        Self { p, s }
    }

    fn room_cost(&self, a: usize, r: usize) -> f64 {
        self.p.rooms[a]
            .iter()
            .find(|(x, _)| *x == r)
            .map(|(_, c)| *c)
            .unwrap_or(0.0)
    }

    /// Adds or removes activity `a` at `start`/`room` in the grids; returns nothing, keeps
    /// `occ_hard` and `unary_soft` right.
    fn toggle(&mut self, a: usize, start: usize, room: Option<usize>, add: bool) {
        let p = self.p;
        let slots = p.slots;
        for k in 0..p.duration[a] {
            let s = start + k;
            self.s.running[s * p.words() + a / 64] ^= 1 << (a % 64);
            for t in &p.teachers[a] {
                bump(
                    &mut self.s.teacher_occ[t * slots + s],
                    add,
                    &mut self.s.occ_hard,
                );
            }
            for x in &p.atoms[a] {
                bump(
                    &mut self.s.atom_occ[x * slots + s],
                    add,
                    &mut self.s.occ_hard,
                );
            }
            if let Some(r) = room {
                bump(
                    &mut self.s.room_occ[r * slots + s],
                    add,
                    &mut self.s.occ_hard,
                );
                let w = p.room_unavailable[r * slots + s];
                if w >= HARD {
                    self.s.occ_hard += if add { 1 } else { -1 };
                } else if w > 0.0 {
                    self.s.unary_soft += if add { w } else { -w };
                }
            }
        }
        let mut soft = p.start_cost[a * slots + start];
        if let Some(r) = room {
            soft += self.room_cost(a, r);
        }
        self.s.unary_soft += if add { soft } else { -soft };
        // Being unplaced counts as one hard violation.
        self.s.occ_hard += if add { -1 } else { 1 };
    }

    fn place(&mut self, a: usize, start: usize, room: Option<usize>) {
        self.toggle(a, start, room, true);
        self.s.start[a] = Some(start);
        self.s.room[a] = room;
        self.s.starting[start].push(a);
    }

    fn unplace(&mut self, a: usize) {
        if let Some(start) = self.s.start[a] {
            let room = self.s.room[a];
            self.toggle(a, start, room, false);
            self.s.start[a] = None;
            self.s.room[a] = None;
            self.s.starting[start].retain(|x| *x != a);
        }
    }

    /// The best room for `a` starting at `start`: fewest clashes and unavailability, then
    /// lowest preference cost.
    fn best_room(&self, a: usize, start: usize) -> Option<usize> {
        if !self.p.needs_room[a] {
            return None;
        }
        let slots = self.p.slots;
        let mut best: Option<(usize, f64, usize)> = None;
        for &(r, pref) in &self.p.rooms[a] {
            let mut clashes = 0;
            let mut cost = pref;
            for k in 0..self.p.duration[a] {
                let s = start + k;
                clashes += usize::from(self.s.room_occ[r * slots + s] > 0);
                let w = self.p.room_unavailable[r * slots + s];
                if w >= HARD {
                    clashes += 1;
                } else {
                    cost += w;
                }
            }
            if best.is_none_or(|(c, bc, _)| (clashes, cost) < (c, bc)) {
                best = Some((clashes, cost, r));
            }
        }
        best.map(|(_, _, r)| r)
    }

    fn evaluate(&self, c: usize) -> (i64, f64) {
        let t = &self.p.tracked[c];
        let v = self.violations(&t.what);
        if t.weight >= HARD {
            (v, 0.0)
        } else {
            (0, t.weight * v as f64)
        }
    }

    fn day_hour(&self, a: usize) -> Option<(usize, usize)> {
        self.s.start[a].map(|s| (s / self.p.hours, s % self.p.hours))
    }

    fn violations(&self, what: &Tracked) -> i64 {
        let hours = self.p.hours;
        let adjacent = |a: usize, b: usize| match (self.day_hour(a), self.day_hour(b)) {
            (Some((da, ha)), Some((db, hb))) => {
                da == db && (ha + self.p.duration[a] == hb || hb + self.p.duration[b] == ha)
            }
            _ => false,
        };
        match what {
            Tracked::MinDays {
                acts,
                days,
                consecutive_ok,
            } => {
                let mut v = 0;
                for (i, a) in acts.iter().enumerate() {
                    let Some((da, _)) = self.day_hour(*a) else {
                        continue;
                    };
                    for b in &acts[i + 1..] {
                        let Some((db, _)) = self.day_hour(*b) else {
                            continue;
                        };
                        if da.abs_diff(db) < usize::from(*days) {
                            v += 1;
                        }
                        if da == db && *consecutive_ok && !adjacent(*a, *b) {
                            v += 1;
                        }
                    }
                }
                v
            }
            Tracked::SameStart(list) => {
                let first = list.first().and_then(|a| self.s.start[*a]);
                list.iter()
                    .skip(1)
                    .filter(|a| {
                        let s = self.s.start[**a];
                        s.is_some() && first.is_some() && s != first
                    })
                    .count() as i64
            }
            Tracked::NotOverlapping(list) => {
                let mut v = 0;
                for (i, a) in list.iter().enumerate() {
                    let Some(sa) = self.s.start[*a] else { continue };
                    for b in &list[i + 1..] {
                        let Some(sb) = self.s.start[*b] else { continue };
                        if sa < sb + self.p.duration[*b] && sb < sa + self.p.duration[*a] {
                            v += 1;
                        }
                    }
                }
                v
            }
            Tracked::Consecutive(a, b) => match (self.s.start[*a], self.s.start[*b]) {
                (Some(sa), Some(sb)) => {
                    i64::from(!(sa / hours == sb / hours && sa + self.p.duration[*a] == sb))
                }
                _ => 0,
            },
            Tracked::Grouped(a, b) => match (self.s.start[*a], self.s.start[*b]) {
                (Some(_), Some(_)) => i64::from(!adjacent(*a, *b)),
                _ => 0,
            },
            Tracked::EndsDay(a, others) => {
                let Some(sa) = self.s.start[*a] else { return 0 };
                let (day, end) = (sa / hours, sa % hours + self.p.duration[*a]);
                i64::from(others.iter().any(|b| {
                    self.s.start[*b].is_some_and(|sb| {
                        sb / hours == day && sb % hours + self.p.duration[*b] > end
                    })
                }))
            }
            Tracked::MaxHoursDaily { resource, max } => {
                let row = match resource {
                    Resource::Teacher(t) => {
                        &self.s.teacher_occ[t * self.p.slots..(t + 1) * self.p.slots]
                    }
                    Resource::Atom(x) => &self.s.atom_occ[x * self.p.slots..(x + 1) * self.p.slots],
                };
                row.chunks(hours)
                    .map(|day| {
                        let busy = day.iter().filter(|c| **c > 0).count();
                        i64::try_from(busy.saturating_sub(usize::from(*max)))
                            .unwrap_or(0)
                            .min(1)
                    })
                    .sum()
            }
            Tracked::MaxDaysPerWeek { teacher, max } => {
                let row = &self.s.teacher_occ[teacher * self.p.slots..(teacher + 1) * self.p.slots];
                let days = row
                    .chunks(hours)
                    .filter(|d| d.iter().any(|c| *c > 0))
                    .count();
                i64::from(days > usize::from(*max))
            }
        }
    }

    /// Moves `a` and the activities that start with it to `start` (each with its best
    /// room) and re-evaluates their tracked constraints.
    fn apply(&mut self, a: usize, start: usize) {
        let p = self.p;
        for &m in &p.members[a] {
            self.unplace(m);
        }
        for &m in &p.members[a] {
            let locked_room = p.locked[m].and_then(|l| l.room).filter(|_| p.needs_room[m]);
            let room = locked_room.or_else(|| self.best_room(m, start));
            self.place(m, start, room);
        }
        for &m in &p.members[a] {
            self.refresh(m);
        }
    }

    fn refresh(&mut self, a: usize) {
        for i in 0..self.p.tracked_of[a].len() {
            let c = self.p.tracked_of[a][i];
            self.set_cost(c, self.evaluate(c));
        }
    }

    fn set_cost(&mut self, c: usize, value: (i64, f64)) {
        let old = std::mem::replace(&mut self.s.cost[c], value);
        self.s.tracked_hard += value.0 - old.0;
        self.s.tracked_soft += value.1 - old.1;
    }

    /// Every tracked constraint evaluated afresh, and the sums recomputed (no drift).
    fn refresh_all(&mut self) {
        for c in 0..self.p.tracked.len() {
            self.s.cost[c] = self.evaluate(c);
        }
        self.s.tracked_hard = self.s.cost.iter().map(|c| c.0).sum();
        self.s.tracked_soft = self.s.cost.iter().map(|c| c.1).sum();
    }

    /// The (hard, soft) totals after `change`, which may move only the activities in
    /// `touched`; the state is restored after.
    fn try_with(&mut self, touched: &[usize], change: impl FnOnce(&mut Self)) -> (i64, f64) {
        let p = self.p;
        let old: Vec<(usize, Option<usize>, Option<usize>)> = touched
            .iter()
            .map(|x| (*x, self.s.start[*x], self.s.room[*x]))
            .collect();
        let saved: Vec<(usize, (i64, f64))> = touched
            .iter()
            .flat_map(|x| p.tracked_of[*x].iter())
            .map(|c| (*c, self.s.cost[*c]))
            .collect();
        change(self);
        let result = (self.s.hard(), self.s.soft());
        for (x, _, _) in &old {
            self.unplace(*x);
        }
        for (x, s, r) in &old {
            if let Some(s) = s {
                self.place(*x, *s, *r);
            }
        }
        for (c, cost) in saved.into_iter().rev() {
            self.set_cost(c, cost);
        }
        result
    }

    /// The (hard, soft) totals if `a` moved to `start`; the state is restored after.
    fn try_move(&mut self, a: usize, start: usize) -> (i64, f64) {
        let p = self.p;
        self.try_with(&p.members[a], |s| s.apply(a, start))
    }

    /// The (hard, soft) totals if `a` and `b` exchanged their starts; restored after.
    fn try_swap(&mut self, a: usize, b: usize) -> (i64, f64) {
        self.try_with(&[a, b], |s| s.swap(a, b))
    }

    fn swap(&mut self, a: usize, b: usize) {
        let (Some(sa), Some(sb)) = (self.s.start[a], self.s.start[b]) else {
            return;
        };
        self.unplace(b);
        self.apply(a, sb);
        self.apply(b, sa);
    }

    /// Activities `b` that `a` could exchange starts with: single (not tied to others),
    /// unlocked, as long, sharing a teacher or students, and allowed at `a`'s start.
    fn swap_partners(&self, a: usize, t: usize) -> Vec<usize> {
        let p = self.p;
        let Some(here) = self.s.start[a] else {
            return Vec::new();
        };
        self.s.starting[t]
            .iter()
            .copied()
            .filter(|b| {
                *b != a
                    && p.members[*b].len() == 1
                    && p.locked[*b].is_none()
                    && p.duration[*b] == p.duration[a]
                    && p.share(a, *b)
                    && p.domain[*b].binary_search(&here).is_ok()
            })
            .collect()
    }

    /// The Kempe chain of `a` between its start and `t2`: the activities at `t2` sharing a
    /// teacher or students with `a` must go to `a`'s start, those at `a`'s start sharing
    /// with them to `t2`, and so on. Exchanging the two sides keeps those teachers and
    /// students free of new clashes. `None` when some member cannot move (locked, tied to
    /// others, longer than one period, not allowed there) or the chain grows too long.
    fn kempe(&self, a: usize, t2: usize) -> Option<(Vec<usize>, Vec<usize>)> {
        let p = self.p;
        let t1 = self.s.start[a]?;
        let movable = |x: usize, to: usize| {
            p.duration[x] == 1
                && p.members[x].len() == 1
                && p.locked[x].is_none()
                && p.domain[x].binary_search(&to).is_ok()
        };
        if !movable(a, t2) {
            return None;
        }
        let (mut forth, mut back) = (vec![a], Vec::new());
        let mut queue = vec![(a, true)];
        while let Some((x, from_t1)) = queue.pop() {
            let (other, target) = if from_t1 { (t2, t1) } else { (t1, t2) };
            for &y in &self.s.starting[other] {
                if forth.contains(&y) || back.contains(&y) || !p.share(x, y) {
                    continue;
                }
                if !movable(y, target) || forth.len() + back.len() >= 24 {
                    return None;
                }
                if from_t1 {
                    back.push(y);
                } else {
                    forth.push(y);
                }
                queue.push((y, !from_t1));
            }
        }
        Some((forth, back))
    }

    /// Moves `forth` to `t2` and `back` to `t1`.
    fn chain(&mut self, forth: &[usize], back: &[usize], t1: usize, t2: usize) {
        for &x in forth.iter().chain(back) {
            self.unplace(x);
        }
        for &x in forth {
            let room = self.best_room(x, t2);
            self.place(x, t2, room);
        }
        for &x in back {
            let room = self.best_room(x, t1);
            self.place(x, t1, room);
        }
        for &x in forth.iter().chain(back) {
            self.refresh(x);
        }
    }

    fn try_chain(&mut self, forth: &[usize], back: &[usize], t1: usize, t2: usize) -> (i64, f64) {
        let touched: Vec<usize> = forth.iter().chain(back).copied().collect();
        self.try_with(&touched, |s| s.chain(forth, back, t1, t2))
    }

    /// Activities involved in a hard violation.
    fn conflicted(&self) -> Vec<usize> {
        let p = self.p;
        let slots = p.slots;
        let mut out = Vec::new();
        for a in 0..self.s.start.len() {
            if p.locked[a].is_some() {
                continue;
            }
            let Some(start) = self.s.start[a] else {
                out.push(a);
                continue;
            };
            let mut hit = (0..p.duration[a]).any(|k| {
                let s = start + k;
                p.teachers[a]
                    .iter()
                    .any(|t| self.s.teacher_occ[t * slots + s] > 1)
                    || p.atoms[a]
                        .iter()
                        .any(|x| self.s.atom_occ[x * slots + s] > 1)
                    || self.s.room[a].is_some_and(|r| {
                        self.s.room_occ[r * slots + s] > 1
                            || p.room_unavailable[r * slots + s] >= HARD
                    })
            });
            hit |= p.tracked_of[a].iter().any(|c| self.s.cost[*c].0 > 0);
            if hit {
                out.push(a);
            }
        }
        out
    }
}

fn bump(cell: &mut u16, add: bool, conflicts: &mut i64) {
    if add {
        if *cell >= 1 {
            *conflicts += 1;
        }
        *cell += 1;
    } else {
        if *cell >= 2 {
            *conflicts -= 1;
        }
        *cell = cell.saturating_sub(1);
    }
}

/// Solves an instance. Never panics on a bad instance: what cannot be scheduled at all is
/// reported in `blocking` with no search.
pub fn solve(inst: &Instance, options: &Options, progress: &mut dyn FnMut(&Progress)) -> Solution {
    let started = Instant::now();
    let n = inst.activities.len();
    // What cannot be scheduled at all is reported without a search.
    let unsolved = |blocking: Vec<String>| Solution {
        placements: vec![None; n],
        hard: u32::try_from(n.max(1)).unwrap_or(u32::MAX),
        soft: 0.0,
        iterations: 0,
        elapsed: started.elapsed().as_secs_f64(),
        first_feasible: None,
        moved: 0,
        blocking,
    };
    let p = match prepare(inst) {
        Ok(p) => p,
        Err(problems) => return unsolved(problems),
    };
    let capacity = diagnose::capacity(inst, &p.domain);
    if !capacity.is_empty() {
        return unsolved(capacity);
    }
    let mut rng = Rng::new(options.seed);
    let mut search = Search::new(&p, n);
    // Locked activities first, then the most constrained.
    for a in 0..n {
        if let Some(lock) = p.locked[a] {
            let start = inst.index(lock.start);
            let room = lock
                .room
                .filter(|_| p.needs_room[a])
                .or_else(|| search.best_room(a, start));
            search.place(a, start, room);
            search.refresh(a);
        }
    }
    // Fewest choices first, then the busiest teachers and students; remaining ties in a
    // seeded random order (keys drawn once per activity).
    let mut load = vec![0usize; p.teacher_count + p.atom_count];
    for a in 0..n {
        for t in &p.teachers[a] {
            load[*t] += p.duration[a];
        }
        for x in &p.atoms[a] {
            load[p.teacher_count + x] += p.duration[a];
        }
    }
    let mut keyed: Vec<(usize, std::cmp::Reverse<usize>, usize, usize)> = (0..n)
        .filter(|a| p.locked[*a].is_none())
        .map(|a| {
            let busy = p.teachers[a].iter().map(|t| load[*t]).sum::<usize>()
                + p.atoms[a]
                    .iter()
                    .map(|x| load[p.teacher_count + x])
                    .sum::<usize>();
            (
                p.domain[a].len() / p.duration[a],
                std::cmp::Reverse(busy),
                rng.below(1 << 20),
                a,
            )
        })
        .collect();
    keyed.sort_unstable();
    let order: Vec<usize> = keyed.into_iter().map(|(_, _, _, a)| a).collect();
    // Construction by recursive swapping; most of the time may go to it, the rest to the
    // search below.
    let construction = recursive::Swapper::new(&mut search, &mut rng).run(
        &order,
        (started, options.seconds * 0.85),
        options.max_iterations,
        &mut |attempts, unplaced| {
            progress(&Progress {
                elapsed: started.elapsed().as_secs_f64(),
                iterations: attempts,
                hard: u32::try_from(unplaced).unwrap_or(u32::MAX),
                soft: 0.0,
            })
        },
    );
    // What construction left unplaced goes where it does the least harm.
    search.refresh_all();
    for &a in &order {
        if search.s.start[a].is_some() {
            continue;
        }
        let mut best: Option<((i64, f64), usize)> = None;
        for &start in &p.domain[a] {
            let value = search.try_move(a, start);
            if best.is_none_or(|(v, _)| value.0 < v.0 || (value.0 == v.0 && value.1 < v.1)) {
                best = Some((value, start));
            }
        }
        if let Some((_, start)) = best {
            search.apply(a, start);
        }
    }
    let mut best = search.s.clone();
    let mut best_value = (best.hard(), best.soft());
    let mut first_feasible = (best_value.0 == 0).then(|| started.elapsed().as_secs_f64());
    let mut tabu: Vec<u64> = vec![0; n * p.slots];
    let mut iterations: u64 = construction.attempts;
    let mut last_report = 0.0;
    let movable: Vec<usize> = (0..n).filter(|a| p.locked[*a].is_none()).collect();
    let mut since_improvement: u64 = 0;
    loop {
        let elapsed = started.elapsed().as_secs_f64();
        let polished = first_feasible
            .zip(options.polish_seconds)
            .is_some_and(|(found, polish)| elapsed >= found + polish);
        if elapsed >= options.seconds
            || polished
            || movable.is_empty()
            || options.max_iterations.is_some_and(|m| iterations >= m)
        {
            break;
        }
        if elapsed - last_report >= 0.1 {
            last_report = elapsed;
            progress(&Progress {
                elapsed,
                iterations,
                hard: u32::try_from(best_value.0.max(0)).unwrap_or(u32::MAX),
                soft: best_value.1,
            });
        }
        if best_value.0 == 0 && best_value.1 <= 0.0 {
            break;
        }
        iterations += 1;
        // Fresh every step: a stale list sends the search after activities already fixed.
        let conflicted = search.conflicted();
        let current_hard = search.s.hard();
        let a = if current_hard > 0 && !conflicted.is_empty() {
            conflicted[rng.below(conflicted.len())]
        } else {
            movable[rng.below(movable.len())]
        };
        let here = search.s.start[a];
        let mut choice: Option<((i64, f64), usize)> = None;
        let mut ties = 0;
        for &start in &p.domain[a] {
            if Some(start) == here {
                continue;
            }
            let value = search.try_move(a, start);
            let aspiration =
                value.0 < best_value.0 || (value.0 == best_value.0 && value.1 < best_value.1);
            if tabu[p.members[a][0] * p.slots + start] > iterations && !aspiration {
                continue;
            }
            let better =
                choice.is_none_or(|(v, _)| value.0 < v.0 || (value.0 == v.0 && value.1 < v.1));
            let equal = choice.is_some_and(|(v, _)| value.0 == v.0 && value.1 == v.1);
            if better {
                choice = Some((value, start));
                ties = 1;
            } else if equal {
                ties += 1;
                if rng.below(ties) == 0 {
                    choice = Some((value, start));
                }
            }
        }
        // Exchanges with activities of the same teacher or class, for tight timetables where
        // no single move helps.
        let mut swap_with: Option<usize> = None;
        if current_hard > 0 && p.members[a].len() == 1 && here.is_some() {
            for &start in &p.domain[a] {
                if Some(start) == here {
                    continue;
                }
                for b in search.swap_partners(a, start) {
                    let value = search.try_swap(a, b);
                    let aspiration = value.0 < best_value.0
                        || (value.0 == best_value.0 && value.1 < best_value.1);
                    let is_tabu = tabu[a * p.slots + start] > iterations
                        || here.is_some_and(|h| tabu[b * p.slots + h] > iterations);
                    if is_tabu && !aspiration {
                        continue;
                    }
                    let better = choice
                        .is_none_or(|(v, _)| value.0 < v.0 || (value.0 == v.0 && value.1 < v.1));
                    if better {
                        choice = Some((value, start));
                        swap_with = Some(b);
                    }
                }
            }
        }
        // Kempe chains: whole groups of lessons of the teachers and classes involved trade
        // places between two periods.
        let mut kempe: Option<(Vec<usize>, Vec<usize>)> = None;
        if let (true, Some(h)) = (current_hard > 0, here) {
            for &start in &p.domain[a] {
                if start == h || tabu[a * p.slots + start] > iterations {
                    continue;
                }
                let Some((forth, back)) = search.kempe(a, start) else {
                    continue;
                };
                if forth.len() + back.len() <= 2 {
                    continue;
                }
                let value = search.try_chain(&forth, &back, h, start);
                let better =
                    choice.is_none_or(|(v, _)| value.0 < v.0 || (value.0 == v.0 && value.1 < v.1));
                if better {
                    choice = Some((value, start));
                    swap_with = None;
                    kempe = Some((forth, back));
                }
            }
        }
        let Some((value, start)) = choice else {
            continue;
        };
        if let Some(old) = here {
            tabu[p.members[a][0] * p.slots + old] = iterations + 5 + rng.below(10) as u64;
        }
        match (swap_with, kempe, here) {
            (_, Some((forth, back)), Some(h)) => search.chain(&forth, &back, h, start),
            (Some(b), _, _) => {
                tabu[b * p.slots + start] = iterations + 5 + rng.below(10) as u64;
                search.swap(a, b);
            }
            _ => search.apply(a, start),
        }
        since_improvement += 1;
        if value.0 < best_value.0 || (value.0 == best_value.0 && value.1 < best_value.1 - 1e-9) {
            best = search.s.clone();
            best_value = value;
            since_improvement = 0;
            if best_value.0 == 0 && first_feasible.is_none() {
                first_feasible = Some(started.elapsed().as_secs_f64());
            }
        }
        // A long plateau: perturb by moving a few random activities anywhere allowed.
        if since_improvement > 2000 + 20 * n as u64 {
            since_improvement = 0;
            for _ in 0..(n / 20).max(2) {
                let a = movable[rng.below(movable.len())];
                let d = &p.domain[a];
                let start = d[rng.below(d.len())];
                search.apply(a, start);
            }
        }
    }
    // The sums drift a little over many moves: the figures reported are computed afresh.
    search.s = best;
    search.refresh_all();
    let best = search.s;
    best_value = (best.hard(), best.soft());
    let placements = (0..n)
        .map(|a| {
            best.start[a].map(|s| Placement {
                start: Slot {
                    day: u16::try_from(s / p.hours).unwrap_or(0),
                    hour: u16::try_from(s % p.hours).unwrap_or(0),
                },
                room: best.room[a],
            })
        })
        .collect::<Vec<_>>();
    let moved = (0..n)
        .filter(|a| p.previous[*a].is_some() && best.start[*a] != p.previous[*a])
        .count();
    let hard = u32::try_from(best_value.0.max(0)).unwrap_or(u32::MAX);
    let blocking = if hard > 0 {
        diagnose::remaining(inst, &placements)
    } else {
        Vec::new()
    };
    Solution {
        placements,
        hard,
        soft: best_value.1 - moved as f64 * MOVE_COST,
        iterations,
        elapsed: started.elapsed().as_secs_f64(),
        first_feasible,
        moved,
        blocking,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activity, StudentSet};

    /// Years with groups, teachers and activities drawn at random, more than 64 of them so
    /// that the bit sets span several words.
    fn random_school(seed: u64) -> Instance {
        let mut rng = Rng::new(seed);
        let mut inst = crate::tests::school(12, 0, 1);
        for year in 0..4 {
            inst.sets.push(StudentSet {
                name: format!("Y{year}"),
                size: 60,
                parents: Vec::new(),
            });
            for group in 0..3 {
                inst.sets.push(StudentSet {
                    name: format!("Y{year}-{group}"),
                    size: 20,
                    parents: vec![year * 4],
                });
            }
        }
        for _ in 0..150 {
            let a = crate::tests::lesson(&mut inst, 0, 0, 1 + u16::from(rng.below(3) == 0));
            let activity = &mut inst.activities[a];
            activity.teachers = (0..rng.below(3)).map(|_| rng.below(12)).collect();
            activity.sets = (0..rng.below(3)).map(|_| rng.below(16)).collect();
        }
        inst
    }

    #[test]
    fn e1_sharing_matrix_agrees_with_teachers_and_students() {
        for seed in 1..4 {
            let inst = random_school(seed);
            let p = prepare(&inst).unwrap_or_else(|e| panic!("{e:?}"));
            let atoms = inst.atoms();
            let students = |a: &Activity| -> Vec<usize> {
                a.sets.iter().flat_map(|s| atoms[*s].clone()).collect()
            };
            let mut sharing = 0;
            for (x, ax) in inst.activities.iter().enumerate() {
                for (y, ay) in inst.activities.iter().enumerate() {
                    let expected = ax.teachers.iter().any(|t| ay.teachers.contains(t))
                        || students(ax).iter().any(|s| students(ay).contains(s));
                    assert_eq!(p.share(x, y), expected, "activities {x} and {y}");
                    sharing += usize::from(expected);
                }
            }
            // Neither all nor none: the comparison means something.
            assert!(sharing > 150 && sharing < 150 * 150, "{sharing}");
        }
    }

    #[test]
    fn e1_running_sets_follow_placements() {
        let inst = random_school(7);
        let p = prepare(&inst).unwrap_or_else(|e| panic!("{e:?}"));
        let mut search = Search::new(&p, inst.activities.len());
        let mut rng = Rng::new(3);
        for step in 0..600 {
            let a = rng.below(inst.activities.len());
            if step % 3 == 0 {
                search.unplace(a);
            } else if search.s.start[a].is_none() {
                let start = p.domain[a][rng.below(p.domain[a].len())];
                search.place(a, start, None);
            }
        }
        let words = p.words();
        for s in 0..p.slots {
            for a in 0..inst.activities.len() {
                let runs = search.s.start[a].is_some_and(|t| (t..t + p.duration[a]).contains(&s));
                let bit = search.s.running[s * words + a / 64] >> (a % 64) & 1 == 1;
                assert_eq!(bit, runs, "activity {a} in slot {s}");
            }
        }
        assert!(search.s.start.iter().any(|s| s.is_some()));
    }
}
