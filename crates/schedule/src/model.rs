//! The timetabling model: a week of days × hours, teachers, student sets, rooms, activities
//! and constraints. Every reference is an index into the instance's lists; the FET reader
//! and the server build instances, the solver and the checker read them.

/// A starting or occupied time: day and hour (period) of the day, both from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    pub day: u16,
    pub hour: u16,
}

/// Where an activity is: its starting time and its room (if it needs one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub start: Slot,
    pub room: Option<usize>,
}

/// Students: a year (年级), a group in it (班 or 组) or a subgroup; the members of a year
/// are its groups' members, and so on (a group may belong to several years, as in FET).
/// Students are double-booked when two activities at the same time share any subgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentSet {
    pub name: String,
    pub size: u32,
    pub parents: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub name: String,
    pub capacity: u32,
}

/// One lesson (or block of consecutive periods) to place.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// The identifier in the source (FET's `Id`).
    pub id: u32,
    /// Activities split from one (FET's `Activity_Group_Id`); 0 when alone.
    pub group: u32,
    /// Consecutive periods it lasts, at least 1.
    pub duration: u16,
    pub teachers: Vec<usize>,
    pub subject: Option<usize>,
    pub tags: Vec<usize>,
    pub sets: Vec<usize>,
    /// Number of students, for room capacity.
    pub size: u32,
    /// Where it is, when given: a timetable being checked, a lock, or (unlocked) where it
    /// was before a re-solve, which the solver keeps when it can.
    pub placement: Option<Placement>,
    /// Kept exactly where `placement` puts it.
    pub locked: bool,
}

/// What a constraint asks. Activities, teachers, sets and rooms are indices.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// No teacher, student or room is double-booked and rooms are large enough: always
    /// present and hard (FET's basic compulsory constraints).
    Basic,
    /// Nothing is scheduled in these slots.
    BreakTimes(Vec<Slot>),
    TeacherNotAvailable {
        teacher: usize,
        slots: Vec<Slot>,
    },
    SetNotAvailable {
        set: usize,
        slots: Vec<Slot>,
    },
    RoomNotAvailable {
        room: usize,
        slots: Vec<Slot>,
    },
    /// Each activity starts at one of these slots.
    StartingTimes {
        activities: Vec<usize>,
        slots: Vec<Slot>,
    },
    /// Each activity lies entirely within these slots.
    TimeSlots {
        activities: Vec<usize>,
        slots: Vec<Slot>,
    },
    /// Each pair of these activities is at least `days` days apart. With
    /// `consecutive_if_same_day`, a pair that is on the same day all the same (the rule
    /// being soft) must also be adjacent, which counts as a second violation (FET's rule).
    MinDaysBetween {
        activities: Vec<usize>,
        days: u16,
        consecutive_if_same_day: bool,
    },
    SameStartingTime(Vec<usize>),
    NotOverlapping(Vec<usize>),
    /// `second` starts right after `first` ends, the same day.
    Consecutive {
        first: usize,
        second: usize,
    },
    /// The two are adjacent the same day, in either order.
    Grouped(usize, usize),
    /// None of the activity's students has anything after it that day.
    EndsStudentsDay(usize),
    TeacherMaxHoursDaily {
        teacher: usize,
        max: u16,
    },
    TeacherMaxDaysPerWeek {
        teacher: usize,
        max: u16,
    },
    SetMaxHoursDaily {
        set: usize,
        max: u16,
    },
    /// Each activity is in one of these rooms.
    PreferredRooms {
        activities: Vec<usize>,
        rooms: Vec<usize>,
    },
}

/// A rule with its weight in percent: 100 is hard, anything less is soft and costs its
/// weight for each violation.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub rule: Rule,
    pub weight: f64,
    /// Where it came from, for messages: "ConstraintTeacherMaxHoursDaily #12".
    pub origin: String,
}

impl Constraint {
    pub fn is_hard(&self) -> bool {
        self.weight >= 100.0
    }
}

/// A timetabling problem.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Instance {
    pub name: String,
    pub days: Vec<String>,
    pub hours: Vec<String>,
    pub teachers: Vec<String>,
    pub subjects: Vec<String>,
    pub tags: Vec<String>,
    pub sets: Vec<StudentSet>,
    pub rooms: Vec<Room>,
    pub activities: Vec<Activity>,
    pub constraints: Vec<Constraint>,
}

impl Instance {
    pub fn slot_count(&self) -> usize {
        self.days.len() * self.hours.len()
    }

    /// The slot index of a slot: day-major.
    pub fn index(&self, slot: Slot) -> usize {
        usize::from(slot.day) * self.hours.len() + usize::from(slot.hour)
    }

    pub fn slot(&self, index: usize) -> Slot {
        let hours = self.hours.len().max(1);
        Slot {
            day: u16::try_from(index / hours).unwrap_or(u16::MAX),
            hour: u16::try_from(index % hours).unwrap_or(u16::MAX),
        }
    }

    /// The student sets without members of their own below them: a set's "atoms" are the
    /// leaves of its subtree. Two activities share students when their atoms meet.
    pub fn atoms(&self) -> Vec<Vec<usize>> {
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.sets.len()];
        for (i, s) in self.sets.iter().enumerate() {
            for p in &s.parents {
                children[*p].push(i);
            }
        }
        (0..self.sets.len())
            .map(|root| {
                let mut leaves = Vec::new();
                let mut stack = vec![root];
                while let Some(s) = stack.pop() {
                    if children[s].is_empty() {
                        leaves.push(s);
                    } else {
                        stack.extend(&children[s]);
                    }
                }
                leaves.sort_unstable();
                leaves.dedup();
                leaves
            })
            .collect()
    }

    /// A short label of an activity for messages: "#12 数学 教师008 初一(1)班".
    pub fn describe(&self, a: usize) -> String {
        let act = &self.activities[a];
        let mut parts = vec![format!("#{}", act.id)];
        if let Some(s) = act.subject {
            parts.push(self.subjects[s].clone());
        }
        parts.extend(act.teachers.iter().map(|t| self.teachers[*t].clone()));
        parts.extend(act.sets.iter().map(|s| self.sets[*s].name.clone()));
        parts.join(" ")
    }

    pub fn slot_name(&self, slot: Slot) -> String {
        format!(
            "{} {}",
            self.days
                .get(usize::from(slot.day))
                .map(String::as_str)
                .unwrap_or("?"),
            self.hours
                .get(usize::from(slot.hour))
                .map(String::as_str)
                .unwrap_or("?")
        )
    }
}
