//! Recursive swapping, the construction FET uses (Lalescu): activities are placed hardest
//! first; one that finds no free start goes where it displaces the fewest others, and those
//! are placed the same way, up to a depth and a budget of steps. When even that fails, the
//! activity is forced in where it displaces the fewest, counting more those already forced
//! out often, and the displaced ones wait their turn, sometimes barred for a step from going
//! straight back; a run that stops coming closer starts over. Every hard
//! constraint is honoured as it places, so a run that places everything is a feasible
//! timetable.

use std::collections::VecDeque;
use std::time::Instant;

use super::{HARD, Resource, Rng, Search, Tracked};

/// How deep displaced activities may displace others in turn (FET's figure).
const MAX_LEVEL: usize = 14;

/// A start for an activity (with the members of its same-starting-time group) and what
/// taking it would cost.
struct Candidate {
    start: usize,
    /// Activities to unplace; their whole groups go with them.
    displaced: Vec<usize>,
    /// The room of each group member that needs one: (member, room).
    rooms: Vec<(usize, usize)>,
    /// Soft cost of the start and rooms, to choose among free starts.
    unary: f64,
}

pub(super) struct Swapper<'s, 'a> {
    search: &'s mut Search<'a>,
    rng: &'s mut Rng,
    /// Placements changed during the current attempt: (activity, old start, old room).
    log: Vec<(usize, Option<usize>, Option<usize>)>,
    /// Activities placed during the current attempt, which it must not displace again.
    moved: Vec<bool>,
    /// Per activity and start: forced placements until which that start is barred.
    tabu: Vec<u64>,
    forced: u64,
    /// Placement steps in the current attempt, and their budget (one per activity: more
    /// and an attempt dwells too long on one activity; measured on FET's examples).
    nodes: usize,
    node_limit: usize,
    /// How many starts a displaced activity may try (below the top level).
    branch: usize,
    /// How often each activity was displaced by a forced placement (kept across restarts:
    /// it is learnt about the instance, not the run).
    bumped: Vec<u32>,
    /// Reused buffer for `candidates`' shuffled starts.
    starts: Vec<usize>,
}

/// How a construction run ended.
pub(super) struct Outcome {
    /// Top-level placement attempts made.
    pub attempts: u64,
}

impl<'s, 'a> Swapper<'s, 'a> {
    pub(super) fn new(search: &'s mut Search<'a>, rng: &'s mut Rng) -> Self {
        let n = search.s.start.len();
        let slots = search.p.slots;
        Self {
            search,
            rng,
            log: Vec::new(),
            moved: vec![false; n],
            tabu: vec![0; n * slots],
            forced: 0,
            nodes: 0,
            branch: 1,
            node_limit: n.max(200),
            starts: Vec::new(),
            bumped: vec![0; n],
        }
    }

    /// Places every unplaced activity, in `order`, until all are placed, `deadline`
    /// passes, or `max_attempts` top-level attempts were made.
    pub(super) fn run(
        &mut self,
        order: &[usize],
        deadline: (Instant, f64),
        max_attempts: Option<u64>,
        report: &mut dyn FnMut(u64, usize),
    ) -> Outcome {
        self.keep_previous(order);
        let mut queue: VecDeque<usize> = order.iter().copied().collect();
        let mut attempts = 0;
        let mut last_report = 0.0;
        let (mut fewest_left, mut since_fewest) = (usize::MAX, 0usize);
        // Runs are heavy-tailed: one that has not come closer for this many attempts starts
        // over (measured on FET's examples).
        let patience = order.len() + 500;
        // The placements when the fewest were left, (start, room) per activity.
        let (mut best_left, mut best) = (usize::MAX, Vec::new());
        while let Some(u) = queue.pop_front() {
            if self.search.s.start[u].is_some() {
                continue;
            }
            let left = self.search.s.start.iter().filter(|s| s.is_none()).count();
            let elapsed = deadline.0.elapsed().as_secs_f64();
            if elapsed >= deadline.1 || max_attempts.is_some_and(|m| attempts >= m) {
                break;
            }
            if elapsed - last_report >= 0.1 {
                last_report = elapsed;
                report(attempts, left);
            }
            if left < fewest_left {
                (fewest_left, since_fewest) = (left, 0);
                if left < best_left {
                    best_left = left;
                    let s = &self.search.s;
                    best = s
                        .start
                        .iter()
                        .copied()
                        .zip(s.room.iter().copied())
                        .collect();
                }
            } else {
                since_fewest += 1;
            }
            if since_fewest > patience {
                // Everything not locked comes off, and placement starts again, half the time
                // from where the fewest were left: a fresh start escapes a dead end, going
                // back keeps what was near (FGPS: solved by 5 of 6 seeds in 30 s without
                // going back, by all 6, in fewer attempts, with it).
                let p = self.search.p;
                for a in 0..p.locked.len() {
                    if p.locked[a].is_none() {
                        self.search.unplace(a);
                    }
                }
                if self.rng.below(2) == 0 {
                    for (a, &(start, room)) in best.iter().enumerate() {
                        if let (None, Some(t)) = (p.locked[a], start) {
                            self.search.place(a, t, room);
                        }
                    }
                } else {
                    self.keep_previous(order);
                }
                queue = order.iter().copied().collect();
                (fewest_left, since_fewest) = (usize::MAX, 0);
                continue;
            }
            attempts += 1;
            self.nodes = 0;
            // Narrow and wide searches each solve files the other does not: alternate.
            self.branch = 1 + self.rng.below(3);
            let placed = self.place(u, 0);
            self.settle();
            if placed {
                continue;
            }
            // Forced in where it displaces the fewest, the displaced next in line.
            let Some(c) = self.best_forced(u) else {
                // Every start is blocked by locked lessons: left for the report.
                continue;
            };
            self.forced += 1;
            // Half the time barred for one step, else not at all: longer bars starve fully
            // booked teachers of the only periods they have (measured on FET's examples).
            let tenure = self.forced + self.rng.below(2) as u64;
            let slots = self.search.p.slots;
            for &b in &c.displaced {
                for &x in &self.search.p.members[b] {
                    if let Some(s) = self.search.s.start[x] {
                        self.tabu[x * slots + s] = tenure;
                    }
                }
            }
            let displaced = c.displaced.clone();
            for &b in &displaced {
                self.bumped[b] += 1;
            }
            self.commit(u, c);
            self.settle();
            for b in displaced.into_iter().rev() {
                queue.push_front(b);
            }
        }
        Outcome { attempts }
    }

    /// A timetable being re-solved: lessons stay where they were while they clash with
    /// nothing kept so far.
    fn keep_previous(&mut self, order: &[usize]) {
        for &u in order {
            let was = self.search.p.previous[u];
            let unplaced = self.search.p.members[u]
                .iter()
                .all(|m| self.search.s.start[*m].is_none());
            let allowed = was.is_some_and(|t| self.search.p.domain[u].binary_search(&t).is_ok());
            let Some(t) = was.filter(|_| unplaced && allowed) else {
                continue;
            };
            if let Some(c) = self.candidate(u, t).filter(|c| c.displaced.is_empty()) {
                self.commit(u, c);
                self.settle();
            }
        }
    }

    /// Forgets the current attempt's log: its changes stay.
    fn settle(&mut self) {
        for (x, _, _) in self.log.drain(..) {
            self.moved[x] = false;
        }
    }

    /// Tries to place `u`: a free start if there is one, else recursively displacing.
    fn place(&mut self, u: usize, level: usize) -> bool {
        self.nodes += 1;
        let mut candidates = self.candidates(u, true);
        if candidates.is_empty() {
            return false;
        }
        // A free start: the one with the lowest soft cost.
        if let Some(i) = (0..candidates.len())
            .filter(|i| candidates[*i].displaced.is_empty())
            .min_by(|x, y| candidates[*x].unary.total_cmp(&candidates[*y].unary))
        {
            let c = candidates.swap_remove(i);
            self.commit(u, c);
            return true;
        }
        if level >= MAX_LEVEL {
            return false;
        }
        // Fewest displaced first; the shuffle in `candidates` breaks ties.
        candidates.sort_by_key(|c| c.displaced.len());
        if level > 0 {
            candidates.truncate(self.branch);
        }
        for c in candidates {
            if self.nodes > self.node_limit {
                return false;
            }
            let mark = self.log.len();
            let displaced = c.displaced.clone();
            self.commit(u, c);
            let ok = displaced
                .iter()
                .all(|b| self.search.s.start[*b].is_some() || self.place(*b, level + 1));
            if ok {
                return true;
            }
            self.restore(mark);
        }
        false
    }

    /// The forced start for `u` at top level: the fewest displaced, each counted by how often
    /// it was forced out before; not barred (unless every start is barred).
    fn best_forced(&mut self, u: usize) -> Option<Candidate> {
        let mut candidates = self.candidates(u, true);
        if candidates.is_empty() {
            candidates = self.candidates(u, false);
        }
        // Weighted by how often each displaced activity was forced out already: those that
        // keep being pushed around are the hard ones, so the others go first (conflict-based
        // statistics; on FET's examples it solved JMSS and cut most first-feasible times).
        let score = |c: &Candidate| -> u64 {
            c.displaced
                .iter()
                .map(|b| 1 + u64::from(self.bumped[*b]))
                .sum()
        };
        let best = candidates.iter().map(score).min()?;
        candidates.retain(|c| score(c) == best);
        let i = self.rng.below(candidates.len());
        Some(candidates.swap_remove(i))
    }

    /// Every usable start of `u` in a seeded random order.
    fn candidates(&mut self, u: usize, respect_tabu: bool) -> Vec<Candidate> {
        let p = self.search.p;
        let mut starts = std::mem::take(&mut self.starts);
        starts.clear();
        starts.extend_from_slice(&p.domain[u]);
        for i in (1..starts.len()).rev() {
            starts.swap(i, self.rng.below(i + 1));
        }
        let barred = |t: usize| {
            p.members[u]
                .iter()
                .any(|m| self.tabu[m * p.slots + t] > self.forced)
        };
        let mut found = Vec::with_capacity(starts.len());
        for &t in starts.iter().filter(|t| !respect_tabu || !barred(**t)) {
            found.extend(self.candidate(u, t));
        }
        self.starts = starts;
        found
    }

    /// What placing `u` (and its group) at `t` would displace; `None` when it would have to
    /// displace a locked activity or one placed earlier in this attempt, or no room fits.
    fn candidate(&self, u: usize, t: usize) -> Option<Candidate> {
        let search = &*self.search;
        let p = search.p;
        let group = &p.members[u];
        let mut displaced: Vec<usize> = Vec::new();
        let mut rooms = Vec::new();
        let mut holders: Vec<(usize, usize)> = Vec::new();
        let mut unary = 0.0;
        let words = p.words();
        for &m in group {
            let (dur, needs_room) = (p.duration[m], p.needs_room[m]);
            unary += p.start_cost[m * p.slots + t];
            // Activities taking place during [t, t + dur): those sharing a teacher or
            // students go; the rooms they hold are noted for the room choice below.
            holders.clear();
            let sharing = &p.sharing[m * words..(m + 1) * words];
            for (w, shares) in sharing.iter().enumerate() {
                let running = (t..t + dur).fold(0, |acc, s| acc | search.s.running[s * words + w]);
                // Rooms are held by anyone: all of them are looked at when a room is needed.
                let mut bits = if needs_room {
                    running
                } else {
                    running & shares
                };
                while bits != 0 {
                    let b = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if group.contains(&b) {
                        continue;
                    }
                    if shares >> (b % 64) & 1 == 1 {
                        add(&mut displaced, b);
                    }
                    if let Some(r) = search.s.room[b].filter(|_| needs_room) {
                        holders.push((r, b));
                    }
                }
            }
            if !needs_room {
                continue;
            }
            let locked_room = p.locked[m].and_then(|l| l.room);
            let mut best: Option<(usize, f64, usize)> = None;
            for &(r, pref) in &p.rooms[m] {
                if locked_room.is_some_and(|l| l != r) || rooms.iter().any(|(_, x)| *x == r) {
                    continue;
                }
                let mut cost = pref;
                let mut usable = true;
                let mut occupied = false;
                for s in t..t + dur {
                    let w = p.room_unavailable[r * p.slots + s];
                    if w >= HARD {
                        usable = false;
                    }
                    cost += w;
                    occupied |= search.s.room_occ[r * p.slots + s] > 0;
                }
                let mut new = 0;
                for &(_, b) in holders.iter().filter(|(x, _)| occupied && *x == r) {
                    if !displaced.contains(&b) {
                        if p.locked[b].is_some() || self.moved[b] {
                            usable = false;
                        }
                        new += 1;
                    }
                }
                if usable && best.is_none_or(|(n, c, _)| (new, cost) < (n, c)) {
                    best = Some((new, cost, r));
                    if (new, cost) == (0, 0.0) {
                        // Nothing is cheaper: costs are never negative.
                        break;
                    }
                }
            }
            let (_, cost, r) = best?;
            unary += cost;
            rooms.push((m, r));
            for &(_, b) in holders.iter().filter(|(x, _)| *x == r) {
                add(&mut displaced, b);
            }
        }
        for &m in group {
            for &c in &p.tracked_of[m] {
                if p.tracked[c].weight >= HARD {
                    self.culprits(c, u, m, t, &mut displaced)?;
                }
            }
        }
        let blocked = displaced.iter().any(|b| {
            p.members[*b]
                .iter()
                .any(|x| p.locked[*x].is_some() || self.moved[*x])
        });
        (!blocked).then_some(Candidate {
            start: t,
            displaced,
            rooms,
            unary,
        })
    }

    /// Adds to `displaced` the activities that must go for member `m` of `u`'s group to
    /// start at `t` without violating hard tracked constraint `c`; `None` if that cannot be.
    fn culprits(
        &self,
        c: usize,
        u: usize,
        m: usize,
        t: usize,
        displaced: &mut Vec<usize>,
    ) -> Option<()> {
        let search = &*self.search;
        let p = search.p;
        let hours = p.hours;
        let (day, hour, dur) = (t / hours, t % hours, p.duration[m]);
        let group = &p.members[u];
        let placed = |b: usize, displaced: &Vec<usize>| {
            if group.contains(&b) || displaced.contains(&b) {
                None
            } else {
                search.s.start[b]
            }
        };
        match &p.tracked[c].what {
            Tracked::MinDays { acts, days, .. } => {
                for &b in acts {
                    if placed(b, displaced)
                        .is_some_and(|s| (s / hours).abs_diff(day) < usize::from(*days))
                    {
                        add(displaced, b);
                    }
                }
            }
            // Hard groups move as one already.
            Tracked::SameStart(_) => {}
            Tracked::NotOverlapping(list) => {
                for &b in list {
                    if placed(b, displaced).is_some_and(|s| s < t + dur && t < s + p.duration[b]) {
                        add(displaced, b);
                    }
                }
            }
            Tracked::Consecutive(first, second) => {
                if m == *first {
                    if placed(*second, displaced)
                        .is_some_and(|s| !(s / hours == day && t + dur == s))
                    {
                        add(displaced, *second);
                    }
                } else if placed(*first, displaced)
                    .is_some_and(|s| !(s / hours == day && s + p.duration[*first] == t))
                {
                    add(displaced, *first);
                }
            }
            Tracked::Grouped(x, y) => {
                let other = if m == *x { *y } else { *x };
                let apart =
                    |s: usize| !(s / hours == day && (s + p.duration[other] == t || t + dur == s));
                if placed(other, displaced).is_some_and(apart) {
                    add(displaced, other);
                }
            }
            Tracked::EndsDay(last, others) => {
                if m == *last {
                    for &b in others {
                        let ends_later =
                            |s: usize| s / hours == day && s % hours + p.duration[b] > hour + dur;
                        if placed(b, displaced).is_some_and(ends_later) {
                            add(displaced, b);
                        }
                    }
                } else {
                    let ends_before =
                        |s: usize| s / hours == day && hour + dur > s % hours + p.duration[*last];
                    if placed(*last, displaced).is_some_and(ends_before) {
                        add(displaced, *last);
                    }
                }
            }
            Tracked::MaxHoursDaily { resource, max } => {
                // The grid counts the displaced too: if even so it fits, it fits.
                let row = match resource {
                    Resource::Teacher(x) => &search.s.teacher_occ[x * p.slots..(x + 1) * p.slots],
                    Resource::Atom(x) => &search.s.atom_occ[x * p.slots..(x + 1) * p.slots],
                };
                let busy_at_most = (0..hours)
                    .filter(|h| (hour..hour + dur).contains(h) || row[day * hours + h] > 0)
                    .count();
                if busy_at_most <= usize::from(*max) {
                    return Some(());
                }
                let uses = |b: usize| match resource {
                    Resource::Teacher(x) => p.teachers[b].contains(x),
                    Resource::Atom(x) => p.atoms[b].contains(x),
                };
                let mut that_day: Vec<usize> = (day * hours..(day + 1) * hours)
                    .flat_map(|s| search.s.starting[s].iter().copied())
                    .filter(|b| uses(*b) && placed(*b, displaced).is_some())
                    .collect();
                loop {
                    let mut busy = vec![false; hours];
                    busy[hour..hour + dur].fill(true);
                    for &b in &that_day {
                        let h = search.s.start[b]? % hours;
                        busy[h..h + p.duration[b]].fill(true);
                    }
                    if busy.iter().filter(|x| **x).count() <= usize::from(*max) {
                        break;
                    }
                    let free: Vec<usize> = (0..that_day.len())
                        .filter(|i| {
                            let b = that_day[*i];
                            p.locked[b].is_none() && !self.moved[b]
                        })
                        .collect();
                    if free.is_empty() {
                        return None;
                    }
                    // Deterministic: the latest placed of that day's movable lessons.
                    let b = that_day.swap_remove(*free.last()?);
                    add(displaced, b);
                }
            }
            Tracked::MaxDaysPerWeek { teacher, max } => {
                let row = &search.s.teacher_occ[teacher * p.slots..(teacher + 1) * p.slots];
                let days_at_most = row
                    .chunks(hours)
                    .enumerate()
                    .filter(|(d, list)| *d == day || list.iter().any(|c| *c > 0))
                    .count();
                if days_at_most <= usize::from(*max) {
                    return Some(());
                }
                let mut per_day: Vec<Vec<usize>> = vec![Vec::new(); p.slots / hours];
                for (s, list) in search.s.starting.iter().enumerate() {
                    for &b in list {
                        if p.teachers[b].contains(teacher) && placed(b, displaced).is_some() {
                            per_day[s / hours].push(b);
                        }
                    }
                }
                let used = per_day
                    .iter()
                    .enumerate()
                    .filter(|(d, list)| *d == day || !list.is_empty())
                    .count();
                if used > usize::from(*max) {
                    let emptiest = per_day
                        .iter()
                        .enumerate()
                        .filter(|(d, list)| {
                            *d != day
                                && !list.is_empty()
                                && list
                                    .iter()
                                    .all(|b| p.locked[*b].is_none() && !self.moved[*b])
                        })
                        .min_by_key(|(_, list)| list.len())?;
                    for &b in emptiest.1 {
                        add(displaced, b);
                    }
                }
            }
        }
        Some(())
    }

    /// Places `u`'s group as `c` says, unplacing what it displaces; logged for `restore`.
    fn commit(&mut self, u: usize, c: Candidate) {
        let p = self.search.p;
        for &b in &c.displaced {
            for &x in &p.members[b] {
                if self.search.s.start[x].is_some() {
                    self.log
                        .push((x, self.search.s.start[x], self.search.s.room[x]));
                    self.search.unplace(x);
                }
            }
        }
        for &m in &p.members[u] {
            self.log
                .push((m, self.search.s.start[m], self.search.s.room[m]));
            self.search.unplace(m);
            let room = c.rooms.iter().find(|(x, _)| *x == m).map(|(_, r)| *r);
            self.search.place(m, c.start, room);
            self.moved[m] = true;
        }
    }

    /// Undoes the logged changes after `mark`.
    fn restore(&mut self, mark: usize) {
        for (x, start, room) in self.log.drain(mark..).rev() {
            self.search.unplace(x);
            if let Some(s) = start {
                self.search.place(x, s, room);
            }
            self.moved[x] = false;
        }
    }
}

fn add(list: &mut Vec<usize>, x: usize) {
    if !list.contains(&x) {
        list.push(x);
    }
}
