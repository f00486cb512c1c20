//! Class assignment (G2) and merge/split checks (G3): the students enrolled in a course
//! are placed into its teaching classes with no time conflict and no class over capacity,
//! sizes balanced, optionally keeping administrative classes together; whoever cannot be
//! placed is named with the reason.

use std::collections::{BTreeMap, VecDeque};

use crate::model::Slot;

/// A student enrolled in the course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    pub name: String,
    /// The administrative class (行政班), for keeping classmates together.
    pub admin_class: Option<String>,
    /// When the student is already busy (their other classes).
    pub busy: Vec<Slot>,
}

/// A teaching class of the course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeachingClass {
    pub name: String,
    pub capacity: usize,
    pub times: Vec<Slot>,
    pub teacher: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub students: Vec<Student>,
    pub classes: Vec<TeachingClass>,
    pub keep_admin_classes_together: bool,
}

/// Where each student goes, and who could not be placed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub class_of: Vec<Option<usize>>,
    pub unplaced: Vec<(usize, String)>,
    pub sizes: Vec<usize>,
}

fn free_for(student: &Student, class: &TeachingClass) -> bool {
    !class.times.iter().any(|t| student.busy.contains(t))
}

/// Successive-shortest-path min-cost flow on a small graph: students → classes → sink,
/// where the k-th seat of a class costs k (so sizes balance) and a student's edge to the
/// class most of their administrative class is in costs less (so classmates stay).
struct Flow {
    to: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<i64>,
    head: Vec<Vec<usize>>,
}

impl Flow {
    fn new(nodes: usize) -> Self {
        Self {
            to: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            head: vec![Vec::new(); nodes],
        }
    }

    fn edge(&mut self, a: usize, b: usize, cap: i64, cost: i64) -> usize {
        self.head[a].push(self.to.len());
        self.to.push(b);
        self.cap.push(cap);
        self.cost.push(cost);
        self.head[b].push(self.to.len());
        self.to.push(a);
        self.cap.push(0);
        self.cost.push(-cost);
        self.to.len() - 2
    }

    /// Pushes as much flow as possible from `s` to `t` at the least cost (SPFA).
    fn run(&mut self, s: usize, t: usize) {
        let n = self.head.len();
        loop {
            let mut dist = vec![i64::MAX; n];
            let mut via = vec![usize::MAX; n];
            let mut queued = vec![false; n];
            let mut queue = VecDeque::new();
            dist[s] = 0;
            queue.push_back(s);
            while let Some(u) = queue.pop_front() {
                queued[u] = false;
                for &e in &self.head[u] {
                    let v = self.to[e];
                    if self.cap[e] > 0 && dist[u] + self.cost[e] < dist[v] {
                        dist[v] = dist[u] + self.cost[e];
                        via[v] = e;
                        if !queued[v] {
                            queued[v] = true;
                            queue.push_back(v);
                        }
                    }
                }
            }
            if dist[t] == i64::MAX {
                return;
            }
            let mut v = t;
            while v != s {
                let e = via[v];
                self.cap[e] -= 1;
                self.cap[e ^ 1] += 1;
                v = self.to[e ^ 1];
            }
        }
    }
}

/// Assigns the students to the classes.
pub fn assign(p: &Problem) -> Assignment {
    let (n, m) = (p.students.len(), p.classes.len());
    // Where most of each administrative class can go: the class with the most free seats
    // that has no conflict for the most of its members.
    let mut home: BTreeMap<&str, usize> = BTreeMap::new();
    if p.keep_admin_classes_together {
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, s) in p.students.iter().enumerate() {
            if let Some(c) = &s.admin_class {
                groups.entry(c.as_str()).or_default().push(i);
            }
        }
        let mut load = vec![0usize; m];
        let mut ordered: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
        ordered.sort_by_key(|(_, members)| std::cmp::Reverse(members.len()));
        for (name, members) in ordered {
            let best = (0..m)
                .map(|c| {
                    let fits = members
                        .iter()
                        .filter(|s| free_for(&p.students[**s], &p.classes[c]))
                        .count();
                    let room = p.classes[c].capacity.saturating_sub(load[c]);
                    (fits.min(room), room, std::cmp::Reverse(c), c)
                })
                .max();
            if let Some((placed, _, _, c)) = best.filter(|b| b.0 > 0) {
                load[c] += placed;
                home.insert(name, c);
            }
        }
    }
    let (source, sink) = (n + m, n + m + 1);
    let mut flow = Flow::new(n + m + 2);
    let mut student_edges: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let together = i64::try_from(n + 1).unwrap_or(i64::MAX / 4);
    for (i, s) in p.students.iter().enumerate() {
        flow.edge(source, i, 1, 0);
        for (c, class) in p.classes.iter().enumerate() {
            if free_for(s, class) {
                // Leaving one's classmates costs more than any imbalance.
                let apart = s
                    .admin_class
                    .as_deref()
                    .and_then(|a| home.get(a))
                    .is_some_and(|h| *h != c);
                let e = flow.edge(i, n + c, 1, if apart { together } else { 0 });
                student_edges[i].push((e, c));
            }
        }
    }
    for (c, class) in p.classes.iter().enumerate() {
        for k in 0..class.capacity {
            flow.edge(n + c, sink, 1, i64::try_from(k).unwrap_or(i64::MAX / 4));
        }
    }
    flow.run(source, sink);
    let mut class_of = vec![None; n];
    for (i, edges) in student_edges.iter().enumerate() {
        class_of[i] = edges
            .iter()
            .find(|(e, _)| flow.cap[*e] == 0)
            .map(|(_, c)| *c);
    }
    let mut sizes = vec![0; m];
    for c in class_of.iter().flatten() {
        sizes[*c] += 1;
    }
    let unplaced = (0..n)
        .filter(|i| class_of[*i].is_none())
        .map(|i| {
            let s = &p.students[i];
            let free: Vec<&str> = p
                .classes
                .iter()
                .filter(|c| free_for(s, c))
                .map(|c| c.name.as_str())
                .collect();
            let reason = if free.is_empty() {
                format!(
                    "{} 与所有教学班的上课时间冲突（{}）",
                    s.name,
                    p.classes
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            } else {
                format!("{} 可上的教学班 {} 均已满员", s.name, free.join("、"))
            };
            (i, reason)
        })
        .collect();
    Assignment {
        class_of,
        unplaced,
        sizes,
    }
}

/// What stands against merging class `from` into class `into` (keeping `into`'s times and
/// teacher): seats, and students of `from` who are busy at `into`'s times.
pub fn merge_problems(p: &Problem, a: &Assignment, from: usize, into: usize) -> Vec<String> {
    let mut out = Vec::new();
    let total = a.sizes[from] + a.sizes[into];
    let target = &p.classes[into];
    if total > target.capacity {
        out.push(format!(
            "合并后 {total} 人，超过 {} 的容量 {}",
            target.name, target.capacity
        ));
    }
    for (i, c) in a.class_of.iter().enumerate() {
        if *c == Some(from) && !free_for(&p.students[i], target) {
            out.push(format!(
                "{} 在 {} 的上课时间另有课程",
                p.students[i].name, target.name
            ));
        }
    }
    out
}

/// What stands against splitting the `moving` students of class `class` into a new class
/// at `times` with `capacity` seats taught by a teacher busy at `teacher_busy`.
pub fn split_problems(
    p: &Problem,
    a: &Assignment,
    class: usize,
    moving: &[usize],
    new_class: &TeachingClass,
    teacher_busy: &[Slot],
) -> Vec<String> {
    let mut out = Vec::new();
    if moving.len() > new_class.capacity {
        out.push(format!(
            "新班 {} 人，超过容量 {}",
            moving.len(),
            new_class.capacity
        ));
    }
    for i in moving {
        if a.class_of.get(*i).copied().flatten() != Some(class) {
            out.push(format!(
                "{} 不在 {} 中",
                p.students[*i].name, p.classes[class].name
            ));
        } else if !free_for(&p.students[*i], new_class) {
            out.push(format!("{} 在新班的上课时间另有课程", p.students[*i].name));
        }
    }
    if let Some(t) = new_class.times.iter().find(|t| teacher_busy.contains(t)) {
        out.push(format!(
            "教师 {} 在第 {} 天第 {} 节已有课程",
            new_class.teacher.as_deref().unwrap_or("（未定）"),
            t.day + 1,
            t.hour + 1
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(day: u16, hour: u16) -> Slot {
        Slot { day, hour }
    }

    fn class(name: &str, capacity: usize, times: &[Slot]) -> TeachingClass {
        TeachingClass {
            name: name.into(),
            capacity,
            times: times.to_vec(),
            teacher: Some("王老师".into()),
        }
    }

    fn student(name: &str, admin: &str, busy: &[Slot]) -> Student {
        Student {
            name: name.into(),
            admin_class: Some(admin.into()),
            busy: busy.to_vec(),
        }
    }

    #[test]
    fn g2_every_student_placed_without_conflict_balanced() {
        let students: Vec<Student> = (0..30)
            .map(|i| {
                let busy = if i % 3 == 0 { vec![slot(0, 0)] } else { vec![] };
                student(&format!("学生{i}"), &format!("{}班", i % 4), &busy)
            })
            .collect();
        let p = Problem {
            students,
            classes: vec![
                class("A班", 12, &[slot(0, 0)]),
                class("B班", 12, &[slot(1, 0)]),
                class("C班", 12, &[slot(2, 0)]),
            ],
            keep_admin_classes_together: false,
        };
        let a = assign(&p);
        assert!(a.unplaced.is_empty(), "{:?}", a.unplaced);
        assert_eq!(a.sizes.iter().sum::<usize>(), 30);
        assert!(a.sizes.iter().all(|s| *s == 10), "{:?}", a.sizes);
        for (i, c) in a.class_of.iter().enumerate() {
            let c = c.expect("placed");
            assert!(free_for(&p.students[i], &p.classes[c]));
        }
    }

    #[test]
    fn g2_unplaceable_students_are_named_with_the_reason() {
        let p = Problem {
            students: vec![
                student("甲", "1班", &[slot(0, 0), slot(1, 0)]),
                student("乙", "1班", &[]),
                student("丙", "1班", &[]),
                student("丁", "1班", &[]),
            ],
            classes: vec![
                class("A班", 1, &[slot(0, 0)]),
                class("B班", 1, &[slot(1, 0)]),
            ],
            keep_admin_classes_together: false,
        };
        let a = assign(&p);
        assert_eq!(a.sizes, vec![1, 1]);
        let reasons: Vec<&str> = a.unplaced.iter().map(|(_, r)| r.as_str()).collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("甲 与所有教学班的上课时间冲突")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("均已满员")),
            "{reasons:?}"
        );
    }

    #[test]
    fn g2_administrative_classes_kept_together_when_asked() {
        let students: Vec<Student> = (0..20)
            .map(|i| student(&format!("学生{i}"), if i < 10 { "1班" } else { "2班" }, &[]))
            .collect();
        let mut p = Problem {
            students,
            classes: vec![
                class("A班", 12, &[slot(0, 0)]),
                class("B班", 12, &[slot(1, 0)]),
            ],
            keep_admin_classes_together: true,
        };
        let a = assign(&p);
        assert!(a.unplaced.is_empty());
        let first = a.class_of[0];
        assert!(
            a.class_of[..10].iter().all(|c| *c == first),
            "{:?}",
            a.class_of
        );
        let second = a.class_of[10];
        assert!(a.class_of[10..].iter().all(|c| *c == second));
        assert_ne!(first, second);
        // Without the wish, sizes still balance.
        p.keep_admin_classes_together = false;
        assert_eq!(assign(&p).sizes, vec![10, 10]);
    }

    #[test]
    fn g3_merge_and_split_checks() {
        let p = Problem {
            students: vec![
                student("甲", "1班", &[slot(1, 0)]),
                student("乙", "1班", &[]),
                student("丙", "2班", &[]),
            ],
            classes: vec![
                class("A班", 2, &[slot(0, 0)]),
                class("B班", 5, &[slot(1, 0)]),
            ],
            keep_admin_classes_together: false,
        };
        let a = assign(&p);
        let b_members: Vec<usize> = (0..3).filter(|i| a.class_of[*i] == Some(1)).collect();
        let merge = merge_problems(&p, &a, 0, 1);
        assert!(
            merge
                .iter()
                .any(|m| m.contains("甲 在 B班 的上课时间另有课程")),
            "{merge:?}"
        );
        let ok = merge_problems(&p, &a, 1, 0);
        assert!(ok.iter().any(|m| m.contains("超过 A班 的容量 2")), "{ok:?}");
        let new_class = class("C班", 1, &[slot(2, 0)]);
        let split = split_problems(&p, &a, 1, &b_members, &new_class, &[slot(2, 0)]);
        if b_members.len() > 1 {
            assert!(split.iter().any(|m| m.contains("超过容量 1")), "{split:?}");
        }
        assert!(split.iter().any(|m| m.contains("教师 王老师")), "{split:?}");
        let fine = split_problems(
            &p,
            &a,
            1,
            &b_members[..1],
            &class("C班", 5, &[slot(3, 0)]),
            &[],
        );
        assert!(fine.is_empty(), "{fine:?}");
    }
}
