//! Hand-made instances for each constraint type (satisfied and violated), solver results
//! against the independent checker, infeasibility reports, and FET files with bad input.

use crate::fet::{self, FetError};
use crate::model::*;
use crate::solve::{Options, solve};
use crate::{Report, check};

/// A small school: 5 days × 4 hours, teachers T0…, classes C0… (each a year with no
/// groups), rooms R0… of 40 seats.
pub(crate) fn school(teachers: usize, classes: usize, rooms: usize) -> Instance {
    Instance {
        name: "test".into(),
        days: ["一", "二", "三", "四", "五"].map(String::from).to_vec(),
        hours: ["1", "2", "3", "4"].map(String::from).to_vec(),
        teachers: (0..teachers).map(|t| format!("T{t}")).collect(),
        subjects: vec!["语文".into(), "数学".into()],
        tags: vec!["实验".into()],
        sets: (0..classes)
            .map(|c| StudentSet {
                name: format!("C{c}"),
                size: 30,
                parents: Vec::new(),
            })
            .collect(),
        rooms: (0..rooms)
            .map(|r| Room {
                name: format!("R{r}"),
                capacity: 40,
            })
            .collect(),
        activities: Vec::new(),
        constraints: vec![Constraint {
            rule: Rule::Basic,
            weight: 100.0,
            origin: "basic".into(),
        }],
    }
}

pub(crate) fn lesson(inst: &mut Instance, teacher: usize, class: usize, duration: u16) -> usize {
    let id = u32::try_from(inst.activities.len() + 1).unwrap_or(0);
    inst.activities.push(Activity {
        id,
        group: 0,
        duration,
        teachers: vec![teacher],
        subject: Some(0),
        tags: Vec::new(),
        sets: vec![class],
        size: 30,
        placement: None,
        locked: false,
    });
    inst.activities.len() - 1
}

fn rule(inst: &mut Instance, rule: Rule, weight: f64) {
    inst.constraints.push(Constraint {
        rule,
        weight,
        origin: format!("c{}", inst.constraints.len()),
    });
}

fn at(day: u16, hour: u16) -> Option<Placement> {
    Some(Placement {
        start: Slot { day, hour },
        room: None,
    })
}

fn slot(day: u16, hour: u16) -> Slot {
    Slot { day, hour }
}

/// A run bounded by steps (the 30 s limit only guards a slow machine), so reproducible.
fn steps(inst: &Instance, seed: u64, max_iterations: u64) -> crate::Solution {
    let options = Options {
        seconds: 30.0,
        seed,
        max_iterations: Some(max_iterations),
        polish_seconds: None,
    };
    solve(inst, &options, &mut |_| {})
}

fn quick(inst: &Instance) -> crate::Solution {
    steps(inst, 7, 200_000)
}

/// The solver's claims hold under the independent checker.
fn agrees(inst: &Instance, solution: &crate::Solution) -> Report {
    let report = check(inst, &solution.placements);
    assert_eq!(
        report.feasible(),
        solution.feasible(),
        "checker: {:?}",
        report.hard
    );
    if solution.feasible() {
        assert!(
            (report.soft_cost - solution.soft).abs() < 1e-6,
            "soft cost: solver {} checker {} {:?}",
            solution.soft,
            report.soft_cost,
            report.soft
        );
    }
    report
}

#[test]
fn e1_basic_double_booking_is_found_and_avoided() {
    let mut inst = school(1, 2, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 0, 1, 1);
    let c = lesson(&mut inst, 0, 1, 2);
    let placements = vec![at(0, 0), at(0, 0), at(0, 3)];
    let r = check(&inst, &placements);
    assert!(
        r.hard
            .iter()
            .any(|v| v.message.contains("教师 T0 在 一 1 同时有 2 个活动")),
        "{r:?}"
    );
    assert!(
        r.hard.iter().any(|v| v.message.contains("超出一天的节次")),
        "{r:?}"
    );
    let _ = (a, b, c);
    let s = quick(&inst);
    assert!(s.feasible(), "{:?}", s.blocking);
    agrees(&inst, &s);
}

#[test]
fn e1_students_of_a_year_clash_with_its_groups() {
    let mut inst = school(2, 1, 0);
    inst.sets.push(StudentSet {
        name: "C0-a".into(),
        size: 15,
        parents: vec![0],
    });
    inst.sets.push(StudentSet {
        name: "C0-b".into(),
        size: 15,
        parents: vec![0],
    });
    let whole = lesson(&mut inst, 0, 0, 1);
    let half = lesson(&mut inst, 1, 1, 1);
    let r = check(&inst, &[at(2, 1), at(2, 1)]);
    assert!(
        r.hard.iter().any(|v| v.message.contains("学生 C0-a")),
        "{r:?}"
    );
    let r = check(&inst, &[at(2, 1), at(2, 2)]);
    assert!(r.feasible());
    let _ = (whole, half);
}

#[test]
fn e1_unary_time_constraints_satisfied_and_violated() {
    let mut inst = school(1, 1, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    rule(&mut inst, Rule::BreakTimes(vec![slot(0, 0)]), 100.0);
    rule(
        &mut inst,
        Rule::TeacherNotAvailable {
            teacher: 0,
            slots: vec![slot(1, 0)],
        },
        100.0,
    );
    rule(
        &mut inst,
        Rule::SetNotAvailable {
            set: 0,
            slots: vec![slot(2, 0)],
        },
        100.0,
    );
    rule(
        &mut inst,
        Rule::StartingTimes {
            activities: vec![a],
            slots: vec![slot(0, 0), slot(1, 0), slot(2, 0), slot(3, 0)],
        },
        100.0,
    );
    rule(
        &mut inst,
        Rule::TimeSlots {
            activities: vec![a],
            slots: vec![slot(3, 0), slot(4, 0)],
        },
        100.0,
    );
    for (day, origin) in [(0, "c1"), (1, "c2"), (2, "c3")] {
        let r = check(&inst, &[at(day, 0)]);
        assert!(
            r.hard.iter().any(|v| v.origin == origin),
            "day {day}: {r:?}"
        );
    }
    let r = check(&inst, &[at(4, 0)]);
    assert!(
        r.hard.iter().any(|v| v.origin == "c4"),
        "starting time: {r:?}"
    );
    let r = check(&inst, &[at(3, 0)]);
    assert!(r.feasible(), "{r:?}");
    let s = quick(&inst);
    assert_eq!(s.placements[a], at(3, 0));
    agrees(&inst, &s);
}

#[test]
fn e1_soft_constraints_cost_their_weight() {
    let mut inst = school(1, 1, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    rule(
        &mut inst,
        Rule::StartingTimes {
            activities: vec![a],
            slots: vec![slot(4, 3)],
        },
        80.0,
    );
    let r = check(&inst, &[at(0, 0)]);
    assert!(r.feasible());
    assert_eq!(r.soft_cost, 80.0);
    let s = quick(&inst);
    assert_eq!(
        s.placements[a],
        at(4, 3),
        "the soft preference is met when possible"
    );
    assert_eq!(agrees(&inst, &s).soft_cost, 0.0);
}

#[test]
fn e1_relations_between_activities() {
    let mut inst = school(3, 3, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 0, 0, 1);
    let c = lesson(&mut inst, 1, 1, 1);
    let d = lesson(&mut inst, 2, 2, 1);
    rule(
        &mut inst,
        Rule::MinDaysBetween {
            activities: vec![a, b],
            days: 2,
            consecutive_if_same_day: false,
        },
        100.0,
    );
    rule(&mut inst, Rule::SameStartingTime(vec![c, d]), 100.0);
    rule(&mut inst, Rule::NotOverlapping(vec![a, c]), 100.0);
    let r = check(&inst, &[at(0, 0), at(1, 0), at(2, 0), at(2, 0)]);
    assert!(r.hard.iter().any(|v| v.origin == "c1"), "min days: {r:?}");
    let r = check(&inst, &[at(0, 0), at(2, 0), at(3, 0), at(3, 1)]);
    assert!(r.hard.iter().any(|v| v.origin == "c2"), "same start: {r:?}");
    let r = check(&inst, &[at(0, 0), at(2, 0), at(0, 0), at(0, 0)]);
    assert!(r.hard.iter().any(|v| v.origin == "c3"), "overlap: {r:?}");
    let r = check(&inst, &[at(0, 0), at(2, 0), at(1, 1), at(1, 1)]);
    assert!(r.feasible(), "{r:?}");
    let s = quick(&inst);
    assert!(s.feasible(), "{:?}", s.blocking);
    agrees(&inst, &s);
}

#[test]
fn e1_consecutive_grouped_and_ends_day() {
    let mut inst = school(2, 1, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 1, 0, 1);
    let c = lesson(&mut inst, 0, 0, 1);
    rule(
        &mut inst,
        Rule::Consecutive {
            first: a,
            second: b,
        },
        100.0,
    );
    rule(&mut inst, Rule::Grouped(b, c), 100.0);
    rule(&mut inst, Rule::EndsStudentsDay(c), 100.0);
    let r = check(&inst, &[at(0, 1), at(0, 0), at(0, 2)]);
    assert!(r.hard.iter().any(|v| v.origin == "c1"), "{r:?}");
    let r = check(&inst, &[at(0, 0), at(0, 1), at(1, 2)]);
    assert!(r.hard.iter().any(|v| v.origin == "c2"), "{r:?}");
    let r = check(&inst, &[at(0, 1), at(0, 2), at(0, 0)]);
    assert!(r.hard.iter().any(|v| v.origin == "c3"), "{r:?}");
    let r = check(&inst, &[at(0, 0), at(0, 1), at(0, 2)]);
    assert!(r.feasible(), "{r:?}");
    let s = quick(&inst);
    assert!(s.feasible(), "{:?}", s.blocking);
    agrees(&inst, &s);
}

#[test]
fn e1_daily_and_weekly_limits() {
    let mut inst = school(1, 2, 0);
    for _ in 0..4 {
        lesson(&mut inst, 0, 0, 1);
    }
    rule(
        &mut inst,
        Rule::TeacherMaxHoursDaily { teacher: 0, max: 1 },
        100.0,
    );
    rule(
        &mut inst,
        Rule::TeacherMaxDaysPerWeek { teacher: 0, max: 4 },
        100.0,
    );
    rule(&mut inst, Rule::SetMaxHoursDaily { set: 0, max: 1 }, 100.0);
    let r = check(&inst, &[at(0, 0), at(0, 1), at(1, 0), at(2, 0)]);
    assert!(r.hard.iter().any(|v| v.origin == "c1"), "{r:?}");
    assert!(r.hard.iter().any(|v| v.origin == "c3"), "{r:?}");
    let mut five = inst.clone();
    lesson(&mut five, 0, 1, 1);
    let r = check(&five, &[at(0, 0), at(1, 0), at(2, 0), at(3, 0), at(4, 0)]);
    assert!(r.hard.iter().any(|v| v.origin == "c2"), "{r:?}");
    let s = quick(&inst);
    assert!(s.feasible(), "{:?}", s.blocking);
    agrees(&inst, &s);
}

#[test]
fn e1_rooms_capacity_preference_and_availability() {
    let mut inst = school(2, 2, 2);
    inst.rooms[1].capacity = 20;
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 1, 1, 1);
    rule(
        &mut inst,
        Rule::PreferredRooms {
            activities: vec![a, b],
            rooms: vec![0, 1],
        },
        100.0,
    );
    rule(
        &mut inst,
        Rule::RoomNotAvailable {
            room: 0,
            slots: vec![slot(0, 0)],
        },
        100.0,
    );
    // Both in R0 at once; then b in R1, which is too small for 30.
    let same = vec![
        Some(Placement {
            start: slot(1, 0),
            room: Some(0),
        }),
        Some(Placement {
            start: slot(1, 0),
            room: Some(0),
        }),
    ];
    assert!(
        check(&inst, &same)
            .hard
            .iter()
            .any(|v| v.message.contains("场室 R0"))
    );
    let small = vec![
        Some(Placement {
            start: slot(1, 0),
            room: Some(0),
        }),
        Some(Placement {
            start: slot(1, 0),
            room: Some(1),
        }),
    ];
    assert!(
        check(&inst, &small)
            .hard
            .iter()
            .any(|v| v.message.contains("容量"))
    );
    let closed = vec![
        Some(Placement {
            start: slot(0, 0),
            room: Some(0),
        }),
        Some(Placement {
            start: slot(1, 0),
            room: Some(0),
        }),
    ];
    assert!(check(&inst, &closed).hard.iter().any(|v| v.origin == "c2"));
    let s = quick(&inst);
    assert!(s.feasible(), "{:?}", s.blocking);
    let r = agrees(&inst, &s);
    assert!(r.feasible());
    assert_eq!(s.placements[a].and_then(|p| p.room), Some(0));
    assert_eq!(s.placements[b].and_then(|p| p.room), Some(0));
}

#[test]
fn e1_locked_placements_are_kept() {
    let mut inst = school(1, 1, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 0, 0, 1);
    inst.activities[a].placement = at(2, 2);
    inst.activities[a].locked = true;
    let s = quick(&inst);
    assert_eq!(s.placements[a], at(2, 2));
    assert_ne!(s.placements[b], at(2, 2));
    agrees(&inst, &s);
}

#[test]
fn e1_random_instances_solved_results_pass_the_checker() {
    for seed in 0..12u64 {
        let mut inst = school(6, 6, 3);
        let mut x = seed.wrapping_mul(2654435761) + 1;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            usize::try_from(x % n).unwrap_or(0)
        };
        for _ in 0..40 {
            let (t, c) = (next(6), next(6));
            let a = lesson(&mut inst, t, c, 1 + u16::from(next(4) == 0));
            if next(3) == 0 {
                let r = next(3);
                rule(
                    &mut inst,
                    Rule::PreferredRooms {
                        activities: vec![a],
                        rooms: vec![r],
                    },
                    90.0,
                );
            }
        }
        rule(
            &mut inst,
            Rule::TeacherMaxHoursDaily {
                teacher: next(6),
                max: 3,
            },
            100.0,
        );
        rule(
            &mut inst,
            Rule::SetMaxHoursDaily {
                set: next(6),
                max: 3,
            },
            95.0,
        );
        let s = quick(&inst);
        agrees(&inst, &s);
    }
}

#[test]
fn e1_seeded_runs_are_reproducible() {
    let mut inst = school(3, 3, 0);
    for i in 0..30 {
        lesson(&mut inst, i % 3, (i / 3) % 3, 1);
    }
    rule(
        &mut inst,
        Rule::TeacherMaxHoursDaily { teacher: 0, max: 2 },
        90.0,
    );
    let run = || steps(&inst, 3, 5_000).placements;
    assert_eq!(run(), run());
}

#[test]
fn e1_infeasible_teacher_load_names_the_teacher_and_the_numbers() {
    let mut inst = school(1, 5, 0);
    for c in 0..5 {
        lesson(&mut inst, 0, c, 1);
        lesson(&mut inst, 0, c, 1);
    }
    rule(
        &mut inst,
        Rule::TeacherMaxHoursDaily { teacher: 0, max: 2 },
        100.0,
    );
    rule(
        &mut inst,
        Rule::TeacherNotAvailable {
            teacher: 0,
            slots: vec![slot(4, 0), slot(4, 1), slot(4, 2)],
        },
        100.0,
    );
    let s = quick(&inst);
    assert!(!s.feasible());
    assert_eq!(s.iterations, 0, "proved before searching");
    let text = s.blocking.join("\n");
    assert!(text.contains("教师 T0 需要上 10 节"), "{text}");
    assert!(text.contains("只有 9 节可用"), "{text}");
    assert!(text.contains("每天最多 2 节"), "{text}");
    assert!(text.contains("不可排时间"), "{text}");
}

#[test]
fn e1_infeasible_activity_domain_and_rooms_are_named() {
    let mut inst = school(1, 1, 1);
    let a = lesson(&mut inst, 0, 0, 1);
    rule(
        &mut inst,
        Rule::StartingTimes {
            activities: vec![a],
            slots: vec![slot(0, 0)],
        },
        100.0,
    );
    rule(&mut inst, Rule::BreakTimes(vec![slot(0, 0)]), 100.0);
    let s = quick(&inst);
    assert!(
        s.blocking
            .iter()
            .any(|b| b.contains("没有可排的时间") && b.contains("c1")),
        "{:?}",
        s.blocking
    );

    let mut inst = school(1, 1, 1);
    inst.rooms[0].capacity = 10;
    let a = lesson(&mut inst, 0, 0, 1);
    rule(
        &mut inst,
        Rule::PreferredRooms {
            activities: vec![a],
            rooms: vec![0],
        },
        50.0,
    );
    let s = quick(&inst);
    assert!(
        s.blocking.iter().any(|b| b.contains("没有可用的场室")),
        "{:?}",
        s.blocking
    );
}

#[test]
fn e1_search_that_runs_out_of_time_names_what_is_left() {
    // Two classes, one teacher, three hours a day for a week, but four per day needed by
    // nobody: the teacher has 20 lessons of which two are locked into the same slot of
    // different classes — the search cannot fix a lock, so the clash is reported.
    let mut inst = school(1, 2, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 0, 1, 1);
    for (x, locked) in [(a, true), (b, true)] {
        inst.activities[x].placement = at(0, 0);
        inst.activities[x].locked = locked;
    }
    let s = quick(&inst);
    assert!(!s.feasible());
    assert!(
        s.blocking
            .iter()
            .any(|b| b.contains("BasicCompulsoryTime") && b.contains("教师 T0")),
        "{:?}",
        s.blocking
    );
}

const SMALL_FET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<fet version="6.8.5">
<Institution_Name>测试学校</Institution_Name>
<Days_List><Number_of_Days>2</Number_of_Days><Day><Name>周一</Name></Day><Day><Name>周二</Name></Day></Days_List>
<Hours_List><Number_of_Hours>3</Number_of_Hours><Hour><Name>1</Name></Hour><Hour><Name>2</Name></Hour><Hour><Name>3</Name></Hour></Hours_List>
<Subjects_List><Subject><Name>数学</Name></Subject><Subject><Name>美术</Name></Subject></Subjects_List>
<Activity_Tags_List><Activity_Tag><Name>实验</Name></Activity_Tag></Activity_Tags_List>
<Teachers_List><Teacher><Name>王老师</Name></Teacher><Teacher><Name>李老师</Name></Teacher></Teachers_List>
<Students_List>
<Year><Name>一年级</Name><Number_of_Students>60</Number_of_Students>
  <Group><Name>一(1)班</Name><Number_of_Students>30</Number_of_Students>
    <Subgroup><Name>一(1)男</Name><Number_of_Students>15</Number_of_Students></Subgroup>
    <Subgroup><Name>一(1)女</Name><Number_of_Students>15</Number_of_Students></Subgroup>
  </Group>
  <Group><Name>一(2)班</Name><Number_of_Students>30</Number_of_Students></Group>
</Year>
</Students_List>
<Rooms_List><Room><Name>美术室</Name><Building></Building><Capacity>35</Capacity></Room></Rooms_List>
<Activities_List>
<Activity><Teacher>王老师</Teacher><Subject>数学</Subject><Students>一(1)班</Students><Duration>1</Duration><Total_Duration>2</Total_Duration><Id>1</Id><Activity_Group_Id>1</Activity_Group_Id><Active>true</Active></Activity>
<Activity><Teacher>王老师</Teacher><Subject>数学</Subject><Students>一(1)班</Students><Duration>1</Duration><Total_Duration>2</Total_Duration><Id>2</Id><Activity_Group_Id>1</Activity_Group_Id><Active>true</Active></Activity>
<Activity><Teacher>李老师</Teacher><Subject>美术</Subject><Activity_Tag>实验</Activity_Tag><Students>一(2)班</Students><Duration>2</Duration><Total_Duration>2</Total_Duration><Id>3</Id><Activity_Group_Id>0</Activity_Group_Id><Active>true</Active></Activity>
<Activity><Teacher>李老师</Teacher><Subject>美术</Subject><Students>一年级</Students><Duration>1</Duration><Total_Duration>1</Total_Duration><Id>4</Id><Activity_Group_Id>0</Activity_Group_Id><Active>false</Active></Activity>
</Activities_List>
<Time_Constraints_List>
<ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active></ConstraintBasicCompulsoryTime>
<ConstraintMinDaysBetweenActivities><Weight_Percentage>95</Weight_Percentage><Consecutive_If_Same_Day>true</Consecutive_If_Same_Day><Number_of_Activities>2</Number_of_Activities><Activity_Id>1</Activity_Id><Activity_Id>2</Activity_Id><MinDays>1</MinDays><Active>true</Active></ConstraintMinDaysBetweenActivities>
<ConstraintTeacherNotAvailableTimes><Weight_Percentage>100</Weight_Percentage><Teacher>李老师</Teacher><Number_of_Not_Available_Times>1</Number_of_Not_Available_Times><Not_Available_Time><Day>周一</Day><Hour>1</Hour></Not_Available_Time><Active>true</Active></ConstraintTeacherNotAvailableTimes>
<ConstraintActivityPreferredStartingTime><Weight_Percentage>100</Weight_Percentage><Activity_Id>4</Activity_Id><Preferred_Day>周一</Preferred_Day><Preferred_Hour>1</Preferred_Hour><Permanently_Locked>true</Permanently_Locked><Active>true</Active></ConstraintActivityPreferredStartingTime>
</Time_Constraints_List>
<Space_Constraints_List>
<ConstraintBasicCompulsorySpace><Weight_Percentage>100</Weight_Percentage><Active>true</Active></ConstraintBasicCompulsorySpace>
<ConstraintActivityTagPreferredRooms><Weight_Percentage>100</Weight_Percentage><Activity_Tag>实验</Activity_Tag><Number_of_Preferred_Rooms>1</Number_of_Preferred_Rooms><Preferred_Room>美术室</Preferred_Room><Active>true</Active></ConstraintActivityTagPreferredRooms>
</Space_Constraints_List>
</fet>
"#;

#[test]
fn e1_fet_files_are_read_solved_written_locked_and_read_back() {
    let inst = fet::read(SMALL_FET).expect("reads");
    assert_eq!(inst.name, "测试学校");
    // FET keeps activity tags with empty names; they are ignored, not an error.
    let empty_tag = SMALL_FET.replace(
        "<Activity_Tags_List>",
        "<Activity_Tags_List><Activity_Tag><Name></Name></Activity_Tag>",
    );
    assert_eq!(fet::read(&empty_tag).expect("reads").tags, vec!["实验"]);
    assert_eq!((inst.days.len(), inst.hours.len()), (2, 3));
    assert_eq!(
        inst.activities.len(),
        3,
        "the inactive activity is left out"
    );
    assert_eq!(inst.sets.len(), 5);
    let atoms = inst.atoms();
    assert_eq!(atoms[0].len(), 3, "一年级 = 一(1)男, 一(1)女, 一(2)班");
    assert_eq!(inst.activities[2].duration, 2);
    assert_eq!(inst.activities[2].size, 30);
    let s = steps(&inst, 1, 50_000);
    assert!(s.feasible(), "{:?}", s.blocking);
    agrees(&inst, &s);
    assert_eq!(
        s.placements[2].and_then(|p| p.room),
        Some(0),
        "美术室 by tag"
    );

    let written = fet::write_locked(SMALL_FET, &inst, &s.placements).expect("writes");
    let again = fet::read(&written).expect("reads back");
    assert!(
        again
            .activities
            .iter()
            .all(|a| a.locked && a.placement.is_some())
    );
    let placed: Vec<_> = again.activities.iter().map(|a| a.placement).collect();
    assert_eq!(placed, s.placements);
    assert!(check(&again, &placed).feasible());
}

fn broken(from: &str, to: &str) -> FetError {
    assert!(SMALL_FET.contains(from), "{from}");
    fet::read(&SMALL_FET.replacen(from, to, 1)).expect_err("bad input")
}

fn invalid_at(e: &FetError, part: &str) {
    match e {
        FetError::Invalid { line, message } => {
            assert!(message.contains(part), "{message}");
            assert!(*line > 1, "line {line}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn e1_fet_bad_input_names_the_element_and_line() {
    assert!(matches!(
        fet::read("<fet><Days_List>"),
        Err(FetError::Malformed(_))
    ));
    assert!(matches!(
        fet::read("<timetable/>"),
        Err(FetError::Malformed(_))
    ));
    invalid_at(
        &broken(
            "<Teacher>王老师</Teacher><Subject>数学</Subject><Students>一(1)班</Students><Duration>1</Duration><Total_Duration>2</Total_Duration><Id>1</Id>",
            "<Teacher>张老师</Teacher><Subject>数学</Subject><Students>一(1)班</Students><Duration>1</Duration><Total_Duration>2</Total_Duration><Id>1</Id>",
        ),
        "unknown teacher \"张老师\"",
    );
    invalid_at(
        &broken(
            "<Subject>美术</Subject><Activity_Tag>",
            "<Subject>体育</Subject><Activity_Tag>",
        ),
        "unknown subject \"体育\"",
    );
    invalid_at(
        &broken(
            "<Students>一(2)班</Students>",
            "<Students>二(2)班</Students>",
        ),
        "unknown students set \"二(2)班\"",
    );
    invalid_at(
        &broken(
            "<Preferred_Room>美术室</Preferred_Room>",
            "<Preferred_Room>音乐室</Preferred_Room>",
        ),
        "unknown room \"音乐室\"",
    );
    invalid_at(
        &broken("<Duration>2</Duration>", "<Duration>4</Duration>"),
        "lasts 4 periods; a day has 3",
    );
    invalid_at(
        &broken("<Id>2</Id>", "<Id>1</Id>"),
        "duplicate activity id 1",
    );
    invalid_at(
        &broken(
            "<Activity_Id>2</Activity_Id><MinDays>",
            "<Activity_Id>9</Activity_Id><MinDays>",
        ),
        "unknown activity id 9",
    );
    invalid_at(
        &broken(
            "<Day>周一</Day><Hour>1</Hour>",
            "<Day>周日</Day><Hour>1</Hour>",
        ),
        "unknown day \"周日\"",
    );
    invalid_at(
        &broken(
            "<Weight_Percentage>95</Weight_Percentage>",
            "<Weight_Percentage>abc</Weight_Percentage>",
        ),
        "not a number",
    );
    // Two activities of one teacher locked into the same time.
    let locks = SMALL_FET.replace(
        "</Time_Constraints_List>",
        "<ConstraintActivityPreferredStartingTime><Weight_Percentage>100</Weight_Percentage><Activity_Id>1</Activity_Id><Preferred_Day>周二</Preferred_Day><Preferred_Hour>2</Preferred_Hour><Permanently_Locked>true</Permanently_Locked></ConstraintActivityPreferredStartingTime>\
         <ConstraintActivityPreferredStartingTime><Weight_Percentage>100</Weight_Percentage><Activity_Id>2</Activity_Id><Preferred_Day>周二</Preferred_Day><Preferred_Hour>2</Preferred_Hour><Permanently_Locked>true</Permanently_Locked></ConstraintActivityPreferredStartingTime>\
         </Time_Constraints_List>",
    );
    match fet::read(&locks) {
        Err(FetError::Invalid { message, .. }) => assert!(
            message.contains("contradictory locks: activities 1 and 2"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    // Other constraint types are named, not dropped.
    let other = SMALL_FET.replace(
        "</Time_Constraints_List>",
        "<ConstraintTeacherMaxGapsPerWeek><Weight_Percentage>100</Weight_Percentage><Teacher_Name>王老师</Teacher_Name><Max_Gaps>1</Max_Gaps></ConstraintTeacherMaxGapsPerWeek></Time_Constraints_List>",
    );
    assert_eq!(
        fet::read(&other),
        Err(FetError::Unsupported(vec![(
            "ConstraintTeacherMaxGapsPerWeek".into(),
            1
        )]))
    );
}

#[test]
fn e1_min_days_consecutive_if_same_day_follows_fet() {
    let mut inst = school(1, 1, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 0, 0, 1);
    rule(
        &mut inst,
        Rule::MinDaysBetween {
            activities: vec![a, b],
            days: 1,
            consecutive_if_same_day: true,
        },
        100.0,
    );
    // Hard: the same day is a violation even when adjacent.
    assert!(!check(&inst, &[at(0, 0), at(0, 1)]).feasible());
    inst.constraints[1].weight = 60.0;
    // Soft: adjacent on the same day costs the weight once; apart on the same day twice.
    assert_eq!(check(&inst, &[at(0, 0), at(0, 1)]).soft_cost, 60.0);
    assert_eq!(check(&inst, &[at(0, 0), at(0, 2)]).soft_cost, 120.0);
    assert_eq!(check(&inst, &[at(0, 0), at(1, 2)]).soft_cost, 0.0);
}

/// `SMALL_FET` with a room 一班教室 (index 0) as the home room of `teacher`.
fn with_home_room(xml: &str, teacher: &str) -> String {
    xml.replace(
        "<Rooms_List>",
        "<Rooms_List><Room><Name>一班教室</Name><Capacity>40</Capacity></Room>",
    )
    .replace(
        "</Space_Constraints_List>",
        &format!("<ConstraintTeacherHomeRoom><Weight_Percentage>100</Weight_Percentage><Teacher>{teacher}</Teacher><Room>一班教室</Room></ConstraintTeacherHomeRoom></Space_Constraints_List>"),
    )
}

/// The activities the home room 一班教室 applies to.
fn home_room_activities(inst: &Instance) -> Vec<usize> {
    inst.constraints
        .iter()
        .find_map(|c| match &c.rule {
            Rule::PreferredRooms { activities, rooms } if rooms == &vec![0] => {
                Some(activities.clone())
            }
            _ => None,
        })
        .expect("home room rule")
}

#[test]
fn e1_home_rooms_concern_activities_of_that_teacher_alone() {
    let xml = with_home_room(
        &SMALL_FET.replace(
            "<Activity><Teacher>王老师</Teacher><Subject>数学</Subject><Students>一(1)班</Students><Duration>1</Duration><Total_Duration>2</Total_Duration><Id>2</Id>",
            "<Activity><Teacher>王老师</Teacher><Teacher>李老师</Teacher><Subject>数学</Subject><Students>一(1)班</Students><Duration>1</Duration><Total_Duration>2</Total_Duration><Id>2</Id>",
        ),
        "王老师",
    );
    let inst = fet::read(&xml).expect("reads");
    assert_eq!(
        home_room_activities(&inst),
        vec![0],
        "activity 2 has two teachers, so only activity 1"
    );
}

#[test]
fn e1_an_activity_preferred_room_wins_over_a_home_room() {
    // 李老师's art lesson is tagged 实验, whose preferred room is 美术室: FET lets that
    // preference win over the teacher's home room instead of calling the file impossible.
    let inst = fet::read(&with_home_room(SMALL_FET, "李老师")).expect("reads");
    let home = home_room_activities(&inst);
    assert!(
        home.is_empty(),
        "the tagged lesson keeps its own room: {home:?}"
    );
    let solution = quick(&inst);
    assert!(solution.feasible(), "{:?}", solution.blocking);
    let art = inst
        .activities
        .iter()
        .position(|a| a.id == 3)
        .expect("activity 3");
    assert_eq!(solution.placements[art].and_then(|p| p.room), Some(1));
}

#[test]
fn e1_planted_packed_timetables_are_rebuilt_by_displacement() {
    // A timetable with no free period for anyone, made by drawing at every period a random
    // pairing of eight classes with eight teachers; the solver gets the lessons without
    // their times and must rebuild some timetable. Per class and teacher, the first lessons
    // of the days they meet must stay on different days (hard minimum of one day).
    for seed in 1..=4u64 {
        let mut inst = school(8, 8, 0);
        inst.hours = ["1", "2", "3", "4", "5", "6"].map(String::from).to_vec();
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut first_of_day: Vec<Vec<usize>> = vec![Vec::new(); 64];
        for period in 0..30 {
            let mut teachers: Vec<usize> = (0..8).collect();
            for i in (1..8).rev() {
                teachers.swap(i, next(i + 1));
            }
            for (class, teacher) in teachers.into_iter().enumerate() {
                let a = lesson(&mut inst, teacher, class, 1);
                let pair = &mut first_of_day[class * 8 + teacher];
                if pair.last().is_none_or(|b| *b / 8 / 6 != period / 6) {
                    pair.push(a);
                }
            }
        }
        for activities in first_of_day.into_iter().filter(|l| l.len() > 1) {
            rule(
                &mut inst,
                Rule::MinDaysBetween {
                    activities,
                    days: 1,
                    consecutive_if_same_day: false,
                },
                100.0,
            );
        }
        // Two steps per lesson: construction by displacement needs about one per lesson
        // here; the search alone (the solver before it) needed up to 5 000.
        let solution = steps(&inst, seed, 2 * inst.activities.len() as u64);
        assert!(solution.feasible(), "seed {seed}: {:?}", solution.blocking);
        agrees(&inst, &solution);
    }
}

#[test]
fn e1_polishing_stops_after_its_time() {
    // Two lessons of one teacher both prefer the first period: one of them always costs its
    // weight, so only the polishing limit (not the 5 s limit) ends the run early.
    let mut inst = school(1, 2, 0);
    let a = lesson(&mut inst, 0, 0, 1);
    let b = lesson(&mut inst, 0, 1, 1);
    rule(
        &mut inst,
        Rule::StartingTimes {
            activities: vec![a, b],
            slots: vec![slot(0, 0)],
        },
        50.0,
    );
    let solution = solve(
        &inst,
        &Options {
            seconds: 5.0,
            polish_seconds: Some(0.2),
            ..Options::default()
        },
        &mut |_| {},
    );
    assert!(solution.feasible());
    assert_eq!(solution.soft, 50.0);
    assert!(solution.elapsed < 2.5, "ran {} s", solution.elapsed);
}

#[test]
fn e1_re_solving_after_a_manual_change_moves_few_lessons() {
    let mut inst = school(3, 3, 0);
    for class in 0..3 {
        for teacher in 0..3 {
            for _ in 0..2 {
                lesson(&mut inst, teacher, class, 1);
            }
        }
    }
    let first = quick(&inst);
    assert!(first.feasible());
    // The timetable as it stands, then one lesson dragged onto a period where its class
    // already has another lesson, and locked there.
    for (a, placement) in first.placements.iter().enumerate() {
        inst.activities[a].placement = *placement;
    }
    let start = |p: Option<Placement>| p.map(|p| p.start);
    let dragged = 0;
    let target = first
        .placements
        .iter()
        .enumerate()
        .find(|(b, p)| {
            *b != dragged
                && inst.activities[*b].sets == inst.activities[dragged].sets
                && start(**p) != start(first.placements[dragged])
        })
        .and_then(|(_, p)| start(*p))
        .expect("another lesson of the class");
    inst.activities[dragged].placement = Some(Placement {
        start: target,
        room: None,
    });
    inst.activities[dragged].locked = true;
    let second = quick(&inst);
    agrees(&inst, &second);
    assert!(second.feasible(), "{:?}", second.blocking);
    assert_eq!(start(second.placements[dragged]), Some(target));
    let moved = (0..inst.activities.len())
        .filter(|a| *a != dragged && start(second.placements[*a]) != start(first.placements[*a]))
        .count();
    assert!((1..=3).contains(&moved), "{moved} lessons moved");
    assert_eq!(second.moved, moved);
    assert_eq!(second.soft, 0.0);
}
