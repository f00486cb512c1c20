//! The pre-registration draw (志愿抽签): a pure function from published inputs to the
//! allocation, so that anyone holding the inputs recomputes the same result
//! (`kehou lottery verify`). The algorithm, documented in `docs/LOTTERY.md`:
//!
//! 1. Rounds by rank: first every slot's first choice, then the second choices of the
//!    slots still without a class, then the third.
//! 2. In a round, classes are taken in ascending id. A class's applicants of the round are
//!    ordered by priority (students who lost out in the previous term's draw first), then
//!    by their ticket, then by student id. The ticket is SM3 of the UTF-8 text
//!    `"{seed}:{class_id}:{student_id}"`, compared as a big-endian 256-bit number: lower
//!    draws first.
//! 3. Each applicant in that order gets a seat if one is left and the student can still
//!    take the class: not the same course twice, not two of an exclusive group, not over
//!    the maximum, no weekly time overlap with what the student already holds. Otherwise
//!    the reason is noted and the slot waits for its next choice.
//! 4. A slot with no class after the third round keeps the last reason.

use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};

/// A weekly lesson time of a class: weekday 1–7 and minutes since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeeklyTime {
    pub weekday: u8,
    pub start: u16,
    pub end: u16,
}

impl WeeklyTime {
    pub fn overlaps(self, other: WeeklyTime) -> bool {
        self.weekday == other.weekday && self.start < other.end && other.start < self.end
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawClass {
    pub id: i64,
    /// The offered course it teaches.
    pub item_id: i64,
    /// Seats free when the draw ran.
    pub seats: u32,
    pub times: Vec<WeeklyTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawStudent {
    pub id: i64,
    /// Lost out in the previous term's draw: drawn first.
    pub priority: bool,
    /// Courses already held this term.
    pub items: Vec<i64>,
    pub times: Vec<WeeklyTime>,
    /// How many more courses the student may take (none: no limit).
    pub room: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Application {
    pub student_id: i64,
    /// 1, 2, …: one wanted seat each.
    pub slot: u32,
    /// Up to three classes, best first.
    pub choices: Vec<i64>,
}

/// Everything the draw depends on, published with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawInput {
    pub seed: String,
    pub classes: Vec<DrawClass>,
    pub students: Vec<DrawStudent>,
    /// Offered courses of which a student may take only one.
    pub groups: Vec<Vec<i64>>,
    pub applications: Vec<Application>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Placement {
    pub student_id: i64,
    pub slot: u32,
    /// The class won, if any.
    pub class_id: Option<i64>,
    /// Which choice it was (1–3).
    pub rank: Option<u32>,
    /// Why a choice before it (or every choice) was not given: full, duplicate,
    /// exclusive, max_courses, time_conflict, unknown_class; empty when the first choice won.
    pub reasons: Vec<String>,
}

/// The lottery ticket of a student for a class: lower draws first.
pub fn ticket(seed: &str, class_id: i64, student_id: i64) -> [u8; 32] {
    let mut h = Sm3::new();
    h.update(format!("{seed}:{class_id}:{student_id}").as_bytes());
    h.finalize().into()
}

struct State {
    items: Vec<i64>,
    times: Vec<WeeklyTime>,
    room: Option<u32>,
}

/// Why the student cannot take the class now, if not.
fn refusal(s: &State, c: &DrawClass, groups: &[Vec<i64>]) -> Option<&'static str> {
    if s.items.contains(&c.item_id) {
        return Some("duplicate");
    }
    if groups
        .iter()
        .any(|g| g.contains(&c.item_id) && s.items.iter().any(|i| g.contains(i)))
    {
        return Some("exclusive");
    }
    if s.room == Some(0) {
        return Some("max_courses");
    }
    if c.times
        .iter()
        .any(|t| s.times.iter().any(|h| t.overlaps(*h)))
    {
        return Some("time_conflict");
    }
    None
}

/// The allocation, one placement per application, in the applications' order.
pub fn draw(input: &DrawInput) -> Vec<Placement> {
    use std::collections::{BTreeMap, HashMap};
    let mut seats: BTreeMap<i64, u32> = input.classes.iter().map(|c| (c.id, c.seats)).collect();
    let classes: HashMap<i64, &DrawClass> = input.classes.iter().map(|c| (c.id, c)).collect();
    let priority: HashMap<i64, bool> = input.students.iter().map(|s| (s.id, s.priority)).collect();
    let mut state: HashMap<i64, State> = input
        .students
        .iter()
        .map(|s| {
            (
                s.id,
                State {
                    items: s.items.clone(),
                    times: s.times.clone(),
                    room: s.room,
                },
            )
        })
        .collect();
    let mut out: Vec<Placement> = input
        .applications
        .iter()
        .map(|a| Placement {
            student_id: a.student_id,
            slot: a.slot,
            class_id: None,
            rank: None,
            reasons: Vec::new(),
        })
        .collect();
    for rank in 0..3usize {
        // The round's applicants of each class: indexes into the applications.
        let mut demand: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, a) in input.applications.iter().enumerate() {
            if out[i].class_id.is_some() {
                continue;
            }
            if let Some(c) = a.choices.get(rank) {
                demand.entry(*c).or_default().push(i);
            }
        }
        for (class_id, mut apps) in demand {
            let Some(class) = classes.get(&class_id) else {
                for i in apps {
                    out[i].reasons.push("unknown_class".into());
                }
                continue;
            };
            apps.sort_by_key(|i| {
                let s = input.applications[*i].student_id;
                (
                    !priority.get(&s).copied().unwrap_or(false),
                    ticket(&input.seed, class_id, s),
                    s,
                    input.applications[*i].slot,
                )
            });
            for i in apps {
                let s = input.applications[i].student_id;
                let left = seats.get(&class_id).copied().unwrap_or(0);
                if left == 0 {
                    out[i].reasons.push("full".into());
                    continue;
                }
                let st = state.entry(s).or_insert(State {
                    items: Vec::new(),
                    times: Vec::new(),
                    room: None,
                });
                if let Some(r) = refusal(st, class, &input.groups) {
                    out[i].reasons.push(r.into());
                    continue;
                }
                seats.insert(class_id, left - 1);
                st.items.push(class.item_id);
                st.times.extend(class.times.iter().copied());
                st.room = st.room.map(|r| r.saturating_sub(1));
                out[i].class_id = Some(class_id);
                out[i].rank = Some(u32::try_from(rank + 1).unwrap_or(0));
            }
        }
    }
    out
}

/// The differences between a stored allocation and a recomputed one, in words.
pub fn differences(stored: &[Placement], recomputed: &[Placement]) -> Vec<String> {
    let mut out = Vec::new();
    if stored.len() != recomputed.len() {
        out.push(format!(
            "志愿条数不同：公布 {} 条，重算 {} 条",
            stored.len(),
            recomputed.len()
        ));
    }
    for (a, b) in stored.iter().zip(recomputed) {
        if a != b {
            out.push(format!(
                "学生 {} 第{}志愿组：公布为 {}，重算为 {}",
                a.student_id,
                a.slot,
                a.class_id
                    .map_or("未录取".to_string(), |c| format!("教学班 {c}")),
                b.class_id
                    .map_or("未录取".to_string(), |c| format!("教学班 {c}")),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(weekday: u8, start: u16) -> WeeklyTime {
        WeeklyTime {
            weekday,
            start,
            end: start + 40,
        }
    }

    fn input(seats: u32) -> DrawInput {
        DrawInput {
            seed: "2026-09-01-demo".into(),
            classes: vec![
                DrawClass {
                    id: 1,
                    item_id: 10,
                    seats,
                    times: vec![t(1, 900)],
                },
                DrawClass {
                    id: 2,
                    item_id: 20,
                    seats: 10,
                    times: vec![t(2, 900)],
                },
                DrawClass {
                    id: 3,
                    item_id: 30,
                    seats: 10,
                    times: vec![t(1, 920)],
                },
            ],
            students: (1..=6)
                .map(|id| DrawStudent {
                    id,
                    priority: id == 6,
                    items: Vec::new(),
                    times: Vec::new(),
                    room: None,
                })
                .collect(),
            groups: Vec::new(),
            applications: (1..=6)
                .map(|s| Application {
                    student_id: s,
                    slot: 1,
                    choices: vec![1, 2],
                })
                .collect(),
        }
    }

    #[test]
    fn oversubscribed_classes_are_drawn_and_losers_get_their_next_choice() {
        let i = input(2);
        let out = draw(&i);
        assert_eq!(out.len(), 6);
        let first: Vec<i64> = out
            .iter()
            .filter(|p| p.class_id == Some(1))
            .map(|p| p.student_id)
            .collect();
        assert_eq!(first.len(), 2);
        // The priority student always wins a seat.
        assert!(first.contains(&6));
        for p in out.iter().filter(|p| p.class_id == Some(2)) {
            assert_eq!(p.rank, Some(2));
            assert_eq!(p.reasons, vec!["full".to_string()]);
        }
        // The same inputs give the same result; another seed may not.
        assert_eq!(draw(&i), out);
        assert!(differences(&out, &draw(&i)).is_empty());
        let mut other = i.clone();
        other.seed = "another".into();
        let changed = (0..20).any(|n| {
            other.seed = format!("seed-{n}");
            draw(&other) != out
        });
        assert!(changed, "the seed decides the draw");
    }

    #[test]
    fn the_rules_hold_in_the_draw() {
        let mut i = input(10);
        // Student 1 wants class 1 and, in a second slot, the overlapping class 3.
        i.applications = vec![
            Application {
                student_id: 1,
                slot: 1,
                choices: vec![1],
            },
            Application {
                student_id: 1,
                slot: 2,
                choices: vec![3, 2],
            },
            Application {
                student_id: 2,
                slot: 1,
                choices: vec![1],
            },
        ];
        i.students[1].room = Some(0);
        let out = draw(&i);
        assert_eq!(out[0].class_id, Some(1));
        assert_eq!(out[1].class_id, Some(2));
        assert_eq!(out[1].reasons, vec!["time_conflict".to_string()]);
        assert_eq!(out[2].class_id, None);
        assert_eq!(out[2].reasons, vec!["max_courses".to_string()]);
        i.groups = vec![vec![10, 20]];
        i.students[1].room = None;
        let out = draw(&i);
        assert_eq!(out[1].class_id, None);
        assert_eq!(
            out[1].reasons,
            vec!["time_conflict".to_string(), "exclusive".to_string()]
        );
    }

    #[test]
    fn tickets_are_sm3_of_the_documented_text() {
        let a = ticket("s", 1, 2);
        assert_eq!(a, ticket("s", 1, 2));
        assert_ne!(a, ticket("s", 2, 1));
        let mut h = Sm3::new();
        h.update(b"s:1:2");
        let expected: [u8; 32] = h.finalize().into();
        assert_eq!(a, expected);
    }

    #[test]
    fn a_changed_result_is_reported() {
        let i = input(2);
        let out = draw(&i);
        let mut forged = out.clone();
        forged[0].class_id = None;
        assert_eq!(differences(&forged, &out).len(), 1);
    }

    /// Random inputs, then the rules checked on the output: no class over its seats, no
    /// course twice, no two of an exclusive group, no overlapping times, the maximum kept,
    /// every won class among the seat's choices at the rank given.
    #[test]
    fn property_the_allocation_never_breaks_a_rule() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for round in 0..300 {
            let classes: Vec<DrawClass> = (1..=(2 + next(8) as i64))
                .map(|id| DrawClass {
                    id,
                    item_id: 100 + (id % 4),
                    seats: next(4) as u32,
                    times: vec![t(1 + next(3) as u8, 900 + 20 * next(3) as u16)],
                })
                .collect();
            let students: Vec<DrawStudent> = (1..=(1 + next(12) as i64))
                .map(|id| DrawStudent {
                    id,
                    priority: next(5) == 0,
                    items: Vec::new(),
                    times: Vec::new(),
                    room: (next(2) == 0).then(|| next(3) as u32),
                })
                .collect();
            let mut applications = Vec::new();
            for s in &students {
                for slot in 1..=(1 + next(3) as u32) {
                    let choices = (0..(1 + next(3)))
                        .map(|_| 1 + next(classes.len() as u64 + 1) as i64)
                        .collect();
                    applications.push(Application {
                        student_id: s.id,
                        slot,
                        choices,
                    });
                }
            }
            let input = DrawInput {
                seed: format!("seed-{round}"),
                groups: vec![vec![100, 101]],
                classes,
                students,
                applications,
            };
            let out = draw(&input);
            assert_eq!(out.len(), input.applications.len());
            for c in &input.classes {
                let won = out.iter().filter(|p| p.class_id == Some(c.id)).count();
                assert!(
                    won <= c.seats as usize,
                    "round {round}: class {} oversold",
                    c.id
                );
            }
            for s in &input.students {
                let mine: Vec<&DrawClass> = out
                    .iter()
                    .filter(|p| p.student_id == s.id)
                    .filter_map(|p| input.classes.iter().find(|c| Some(c.id) == p.class_id))
                    .collect();
                let mut items: Vec<i64> = mine.iter().map(|c| c.item_id).collect();
                items.sort_unstable();
                let n = items.len();
                items.dedup();
                assert_eq!(items.len(), n, "round {round}: a course twice");
                assert!(!(items.contains(&100) && items.contains(&101)), "exclusive");
                if let Some(room) = s.room {
                    assert!(n <= room as usize, "round {round}: over the maximum");
                }
                for (i, a) in mine.iter().enumerate() {
                    for b in mine.iter().skip(i + 1) {
                        assert!(
                            !a.times
                                .iter()
                                .any(|x| b.times.iter().any(|y| x.overlaps(*y))),
                            "round {round}: time conflict"
                        );
                    }
                }
            }
            for (p, a) in out.iter().zip(&input.applications) {
                if let (Some(c), Some(r)) = (p.class_id, p.rank) {
                    assert_eq!(a.choices.get(r as usize - 1), Some(&c));
                }
            }
        }
    }
}
