//! FET files (FET 5 and 6 XML): read into an [`Instance`], and write a solved timetable
//! back with every placement locked. Constraint types outside the supported list are
//! reported by name, never dropped; a bad reference names the element and its line.

use std::collections::HashMap;

use roxmltree::{Document, Node};

use crate::model::{Activity, Constraint, Instance, Placement, Room, Rule, Slot, StudentSet};

/// Why a file cannot be read or solved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetError {
    /// Not well-formed XML, or not a FET file.
    Malformed(String),
    /// An element refers to something that does not exist, or holds a bad value.
    Invalid { line: u32, message: String },
    /// Constraint types this solver does not support, with how often each occurs.
    Unsupported(Vec<(String, usize)>),
}

impl std::fmt::Display for FetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetError::Malformed(m) => write!(f, "not a readable FET file: {m}"),
            FetError::Invalid { line, message } => write!(f, "line {line}: {message}"),
            FetError::Unsupported(types) => write!(
                f,
                "unsupported constraint types (not solved): {}",
                types
                    .iter()
                    .map(|(t, n)| format!("{t} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl std::error::Error for FetError {}

/// The constraint types read, by their FET element names.
pub const SUPPORTED: &[&str] = &[
    "ConstraintBasicCompulsoryTime",
    "ConstraintBasicCompulsorySpace",
    "ConstraintBreakTimes",
    "ConstraintTeacherNotAvailableTimes",
    "ConstraintStudentsSetNotAvailableTimes",
    "ConstraintRoomNotAvailableTimes",
    "ConstraintActivityPreferredStartingTime",
    "ConstraintActivityPreferredStartingTimes",
    "ConstraintActivitiesPreferredStartingTimes",
    "ConstraintActivityPreferredTimeSlots",
    "ConstraintActivitiesPreferredTimeSlots",
    "ConstraintMinDaysBetweenActivities",
    "ConstraintActivitiesSameStartingTime",
    "ConstraintActivitiesNotOverlapping",
    "ConstraintTwoActivitiesConsecutive",
    "ConstraintTwoActivitiesGrouped",
    "ConstraintActivityEndsStudentsDay",
    "ConstraintTeacherMaxHoursDaily",
    "ConstraintTeachersMaxHoursDaily",
    "ConstraintTeacherMaxDaysPerWeek",
    "ConstraintTeachersMaxDaysPerWeek",
    "ConstraintStudentsMaxHoursDaily",
    "ConstraintStudentsSetMaxHoursDaily",
    "ConstraintSubjectPreferredRoom",
    "ConstraintSubjectPreferredRooms",
    "ConstraintActivityPreferredRoom",
    "ConstraintActivityPreferredRooms",
    "ConstraintActivityTagPreferredRooms",
    "ConstraintSubjectActivityTagPreferredRoom",
    "ConstraintSubjectActivityTagPreferredRooms",
    "ConstraintTeacherHomeRoom",
    "ConstraintTeacherHomeRooms",
    "ConstraintStudentsSetHomeRoom",
    "ConstraintStudentsSetHomeRooms",
];

struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
    inst: Instance,
    teacher: HashMap<String, usize>,
    subject: HashMap<String, usize>,
    tag: HashMap<String, usize>,
    set: HashMap<String, usize>,
    room: HashMap<String, usize>,
    day: HashMap<String, u16>,
    hour: HashMap<String, u16>,
    /// FET activity id → index, `None` for inactive activities.
    activity: HashMap<u32, Option<usize>>,
    /// Indexes in `inst.constraints` of the home-room constraints.
    home_rooms: Vec<usize>,
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text(node: Node<'_, '_>) -> String {
    node.text().unwrap_or("").trim().to_string()
}

fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(text)
}

impl<'a, 'input> Reader<'a, 'input> {
    fn line(&self, node: Node<'_, '_>) -> u32 {
        self.doc.text_pos_at(node.range().start).row
    }

    fn invalid(&self, node: Node<'_, '_>, message: impl Into<String>) -> FetError {
        FetError::Invalid {
            line: self.line(node),
            message: format!("<{}>: {}", node.tag_name().name(), message.into()),
        }
    }

    fn required(&self, node: Node<'_, '_>, name: &str) -> Result<String, FetError> {
        child_text(node, name).ok_or_else(|| self.invalid(node, format!("missing <{name}>")))
    }

    fn number<T: std::str::FromStr>(&self, node: Node<'_, '_>, name: &str) -> Result<T, FetError> {
        let value = self.required(node, name)?;
        value
            .parse()
            .map_err(|_| self.invalid(node, format!("<{name}> is not a number: {value:?}")))
    }

    /// Names of a list (days, hours, subjects…): `<Day><Name>Mo</Name></Day>` or, in old
    /// files, `<Day>Mo</Day>`.
    fn names(&self, list: Option<Node<'_, '_>>, item: &str) -> Result<Vec<String>, FetError> {
        let Some(list) = list else {
            return Ok(Vec::new());
        };
        let mut out: Vec<String> = Vec::new();
        for n in children(list, item) {
            let name = child_text(n, "Name").unwrap_or_else(|| text(n));
            if name.is_empty() {
                // FET itself keeps activity tags with empty names; nothing refers to them.
                if item == "Activity_Tag" {
                    continue;
                }
                return Err(self.invalid(n, "empty name"));
            }
            if out.contains(&name) {
                return Err(self.invalid(n, format!("duplicate name {name:?}")));
            }
            out.push(name);
        }
        Ok(out)
    }

    fn lookup<T: Copy>(
        &self,
        map: &HashMap<String, T>,
        node: Node<'_, '_>,
        what: &str,
        name: &str,
    ) -> Result<T, FetError> {
        map.get(name)
            .copied()
            .ok_or_else(|| self.invalid(node, format!("unknown {what} {name:?}")))
    }

    fn slot(&self, node: Node<'_, '_>, day_tag: &str, hour_tag: &str) -> Result<Slot, FetError> {
        let day = self.required(node, day_tag)?;
        let hour = self.required(node, hour_tag)?;
        Ok(Slot {
            day: self.lookup(&self.day, node, "day", &day)?,
            hour: self.lookup(&self.hour, node, "hour", &hour)?,
        })
    }

    fn slots(
        &self,
        node: Node<'_, '_>,
        item: &str,
        day_tag: &str,
        hour_tag: &str,
    ) -> Result<Vec<Slot>, FetError> {
        children(node, item)
            .map(|n| self.slot(n, day_tag, hour_tag))
            .collect()
    }

    /// The activity of an `Activity_Id`-like element; `None` when it is inactive.
    fn activity_ref(&self, node: Node<'_, '_>, value: &str) -> Result<Option<usize>, FetError> {
        let id: u32 = value
            .parse()
            .map_err(|_| self.invalid(node, format!("activity id {value:?} is not a number")))?;
        self.activity
            .get(&id)
            .copied()
            .ok_or_else(|| self.invalid(node, format!("unknown activity id {id}")))
    }

    fn activity_list(&self, node: Node<'_, '_>, tag: &str) -> Result<Vec<usize>, FetError> {
        let mut out = Vec::new();
        for n in children(node, tag) {
            if let Some(a) = self.activity_ref(n, &text(n))? {
                out.push(a);
            }
        }
        Ok(out)
    }

    fn rooms(&self, node: Node<'_, '_>, tag: &str) -> Result<Vec<usize>, FetError> {
        children(node, tag)
            .map(|n| self.lookup(&self.room, n, "room", &text(n)))
            .collect()
    }

    /// Activities matched by the teacher / students / subject / tag filters of an
    /// "Activities…" constraint (an empty filter matches all).
    fn filtered(&self, node: Node<'_, '_>) -> Result<Vec<usize>, FetError> {
        let get = |tag: &str| child_text(node, tag).filter(|v| !v.is_empty());
        let teacher = get("Teacher_Name")
            .map(|n| self.lookup(&self.teacher, node, "teacher", &n))
            .transpose()?;
        let set = get("Students_Name")
            .map(|n| self.lookup(&self.set, node, "students set", &n))
            .transpose()?;
        let subject = get("Subject_Name")
            .map(|n| self.lookup(&self.subject, node, "subject", &n))
            .transpose()?;
        let tag = get("Activity_Tag_Name")
            .map(|n| self.lookup(&self.tag, node, "activity tag", &n))
            .transpose()?;
        let duration: Option<u16> = get("Duration").and_then(|d| d.parse().ok());
        Ok(self
            .inst
            .activities
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                teacher.is_none_or(|t| a.teachers.contains(&t))
                    && set.is_none_or(|s| a.sets.contains(&s))
                    && subject.is_none_or(|s| a.subject == Some(s))
                    && tag.is_none_or(|t| a.tags.contains(&t))
                    && duration.is_none_or(|d| a.duration == d)
            })
            .map(|(i, _)| i)
            .collect())
    }

    fn all_slots(&self) -> Vec<Slot> {
        (0..self.inst.days.len())
            .flat_map(|d| {
                (0..self.inst.hours.len()).map(move |h| Slot {
                    day: u16::try_from(d).unwrap_or(0),
                    hour: u16::try_from(h).unwrap_or(0),
                })
            })
            .collect()
    }

    fn students(&mut self, list: Node<'_, '_>) -> Result<(), FetError> {
        fn walk<'a, 'i>(
            r: &mut Reader<'_, '_>,
            node: Node<'a, 'i>,
            parent: Option<usize>,
        ) -> Result<(), FetError> {
            let name = r.required(node, "Name")?;
            let size: u32 = child_text(node, "Number_of_Students")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let index = match r.set.get(&name) {
                // The same group in two years is one set with two parents.
                Some(i) => *i,
                None => {
                    r.inst.sets.push(StudentSet {
                        name: name.clone(),
                        size,
                        parents: Vec::new(),
                    });
                    let i = r.inst.sets.len() - 1;
                    r.set.insert(name, i);
                    i
                }
            };
            if let Some(p) = parent
                && !r.inst.sets[index].parents.contains(&p)
            {
                r.inst.sets[index].parents.push(p);
            }
            let kid = match node.tag_name().name() {
                "Year" => "Group",
                "Group" => "Subgroup",
                _ => return Ok(()),
            };
            for c in children(node, kid) {
                walk(r, c, Some(index))?;
            }
            Ok(())
        }
        for year in children(list, "Year") {
            walk(self, year, None)?;
        }
        Ok(())
    }

    fn activities(&mut self, list: Node<'_, '_>) -> Result<(), FetError> {
        for n in children(list, "Activity") {
            let id: u32 = self.number(n, "Id")?;
            if self.activity.contains_key(&id) {
                return Err(self.invalid(n, format!("duplicate activity id {id}")));
            }
            let active = child_text(n, "Active").is_none_or(|a| a != "false");
            if !active {
                self.activity.insert(id, None);
                continue;
            }
            let duration: u16 = self.number(n, "Duration")?;
            if duration == 0 || usize::from(duration) > self.inst.hours.len() {
                return Err(self.invalid(
                    n,
                    format!(
                        "activity {id} lasts {duration} periods; a day has {}",
                        self.inst.hours.len()
                    ),
                ));
            }
            let teachers = children(n, "Teacher")
                .map(|t| self.lookup(&self.teacher, t, "teacher", &text(t)))
                .collect::<Result<Vec<_>, _>>()?;
            let sets = children(n, "Students")
                .map(|s| self.lookup(&self.set, s, "students set", &text(s)))
                .collect::<Result<Vec<_>, _>>()?;
            let tags = children(n, "Activity_Tag")
                .filter(|t| !text(*t).is_empty())
                .map(|t| self.lookup(&self.tag, t, "activity tag", &text(t)))
                .collect::<Result<Vec<_>, _>>()?;
            let subject = child(n, "Subject")
                .filter(|s| !text(*s).is_empty())
                .map(|s| self.lookup(&self.subject, s, "subject", &text(s)))
                .transpose()?;
            let size = child_text(n, "Number_Of_Students")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| sets.iter().map(|s| self.inst.sets[*s].size).sum());
            self.inst.activities.push(Activity {
                id,
                group: child_text(n, "Activity_Group_Id")
                    .and_then(|g| g.parse().ok())
                    .unwrap_or(0),
                duration,
                teachers,
                subject,
                tags,
                sets,
                size,
                placement: None,
                locked: false,
            });
            self.activity
                .insert(id, Some(self.inst.activities.len() - 1));
        }
        Ok(())
    }

    fn constraint(&mut self, n: Node<'_, '_>) -> Result<(), FetError> {
        let kind = n.tag_name().name();
        if child_text(n, "Active").is_some_and(|a| a == "false") {
            return Ok(());
        }
        let weight: f64 = self.number(n, "Weight_Percentage")?;
        if !(0.0..=100.0).contains(&weight) {
            return Err(self.invalid(n, format!("weight {weight} is not between 0 and 100")));
        }
        let origin = format!("{kind} (line {})", self.line(n));
        let push = |inst: &mut Instance, rule: Rule| {
            inst.constraints.push(Constraint {
                rule,
                weight,
                origin: origin.clone(),
            });
        };
        let teachers_named = |r: &Self, tag: &str| -> Result<Vec<usize>, FetError> {
            match child_text(n, tag) {
                Some(name) => Ok(vec![r.lookup(&r.teacher, n, "teacher", &name)?]),
                None => Ok((0..r.inst.teachers.len()).collect()),
            }
        };
        match kind {
            "ConstraintBasicCompulsoryTime" | "ConstraintBasicCompulsorySpace" => {
                push(&mut self.inst, Rule::Basic);
            }
            "ConstraintBreakTimes" => {
                let slots = self.slots(n, "Break_Time", "Day", "Hour")?;
                push(&mut self.inst, Rule::BreakTimes(slots));
            }
            "ConstraintTeacherNotAvailableTimes" => {
                let name = self.required(n, "Teacher")?;
                let teacher = self.lookup(&self.teacher, n, "teacher", &name)?;
                let slots = self.slots(n, "Not_Available_Time", "Day", "Hour")?;
                push(&mut self.inst, Rule::TeacherNotAvailable { teacher, slots });
            }
            "ConstraintStudentsSetNotAvailableTimes" => {
                let name = self.required(n, "Students")?;
                let set = self.lookup(&self.set, n, "students set", &name)?;
                let slots = self.slots(n, "Not_Available_Time", "Day", "Hour")?;
                push(&mut self.inst, Rule::SetNotAvailable { set, slots });
            }
            "ConstraintRoomNotAvailableTimes" => {
                let name = self.required(n, "Room")?;
                let room = self.lookup(&self.room, n, "room", &name)?;
                let slots = self.slots(n, "Not_Available_Time", "Day", "Hour")?;
                push(&mut self.inst, Rule::RoomNotAvailable { room, slots });
            }
            "ConstraintActivityPreferredStartingTime" => {
                let id = self.required(n, "Activity_Id")?;
                let Some(a) = self.activity_ref(n, &id)? else {
                    return Ok(());
                };
                // A missing day or hour leaves that part free.
                let day = child_text(n, "Preferred_Day").filter(|d| !d.is_empty());
                let hour = child_text(n, "Preferred_Hour").filter(|h| !h.is_empty());
                let day = day
                    .map(|d| self.lookup(&self.day, n, "day", &d))
                    .transpose()?;
                let hour = hour
                    .map(|h| self.lookup(&self.hour, n, "hour", &h))
                    .transpose()?;
                let slots: Vec<Slot> = self
                    .all_slots()
                    .into_iter()
                    .filter(|s| day.is_none_or(|d| s.day == d) && hour.is_none_or(|h| s.hour == h))
                    .collect();
                let locked = child_text(n, "Permanently_Locked").is_some_and(|l| l == "true");
                if let (Some(day), Some(hour), true) = (day, hour, weight >= 100.0) {
                    let act = &mut self.inst.activities[a];
                    let room = act.placement.and_then(|p| p.room);
                    act.placement = Some(Placement {
                        start: Slot { day, hour },
                        room,
                    });
                    act.locked |= locked;
                }
                push(
                    &mut self.inst,
                    Rule::StartingTimes {
                        activities: vec![a],
                        slots,
                    },
                );
            }
            "ConstraintActivityPreferredStartingTimes" | "ConstraintActivityPreferredTimeSlots" => {
                let id = self.required(n, "Activity_Id")?;
                let Some(a) = self.activity_ref(n, &id)? else {
                    return Ok(());
                };
                let rule = if kind.ends_with("StartingTimes") {
                    Rule::StartingTimes {
                        activities: vec![a],
                        slots: self.slots(
                            n,
                            "Preferred_Starting_Time",
                            "Preferred_Starting_Day",
                            "Preferred_Starting_Hour",
                        )?,
                    }
                } else {
                    Rule::TimeSlots {
                        activities: vec![a],
                        slots: self.slots(
                            n,
                            "Preferred_Time_Slot",
                            "Preferred_Day",
                            "Preferred_Hour",
                        )?,
                    }
                };
                push(&mut self.inst, rule);
            }
            "ConstraintActivitiesPreferredStartingTimes" => {
                let activities = self.filtered(n)?;
                let slots = self.slots(
                    n,
                    "Preferred_Starting_Time",
                    "Preferred_Starting_Day",
                    "Preferred_Starting_Hour",
                )?;
                push(&mut self.inst, Rule::StartingTimes { activities, slots });
            }
            "ConstraintActivitiesPreferredTimeSlots" => {
                let activities = self.filtered(n)?;
                let slots =
                    self.slots(n, "Preferred_Time_Slot", "Preferred_Day", "Preferred_Hour")?;
                push(&mut self.inst, Rule::TimeSlots { activities, slots });
            }
            "ConstraintMinDaysBetweenActivities" => {
                let activities = self.activity_list(n, "Activity_Id")?;
                let days: u16 = self.number(n, "MinDays")?;
                let consecutive_if_same_day =
                    child_text(n, "Consecutive_If_Same_Day").is_some_and(|c| c == "true");
                push(
                    &mut self.inst,
                    Rule::MinDaysBetween {
                        activities,
                        days,
                        consecutive_if_same_day,
                    },
                );
            }
            "ConstraintActivitiesSameStartingTime" => {
                let list = self.activity_list(n, "Activity_Id")?;
                push(&mut self.inst, Rule::SameStartingTime(list));
            }
            "ConstraintActivitiesNotOverlapping" => {
                let list = self.activity_list(n, "Activity_Id")?;
                push(&mut self.inst, Rule::NotOverlapping(list));
            }
            "ConstraintTwoActivitiesConsecutive" | "ConstraintTwoActivitiesGrouped" => {
                let first = self.required(n, "First_Activity_Id")?;
                let second = self.required(n, "Second_Activity_Id")?;
                let (Some(first), Some(second)) = (
                    self.activity_ref(n, &first)?,
                    self.activity_ref(n, &second)?,
                ) else {
                    return Ok(());
                };
                let rule = if kind.ends_with("Consecutive") {
                    Rule::Consecutive { first, second }
                } else {
                    Rule::Grouped(first, second)
                };
                push(&mut self.inst, rule);
            }
            "ConstraintActivityEndsStudentsDay" => {
                let id = self.required(n, "Activity_Id")?;
                if let Some(a) = self.activity_ref(n, &id)? {
                    push(&mut self.inst, Rule::EndsStudentsDay(a));
                }
            }
            "ConstraintTeacherMaxHoursDaily" | "ConstraintTeachersMaxHoursDaily" => {
                let max: u16 = self.number(n, "Maximum_Hours_Daily")?;
                for teacher in teachers_named(self, "Teacher_Name")? {
                    push(&mut self.inst, Rule::TeacherMaxHoursDaily { teacher, max });
                }
            }
            "ConstraintTeacherMaxDaysPerWeek" | "ConstraintTeachersMaxDaysPerWeek" => {
                let max: u16 = self.number(n, "Max_Days_Per_Week")?;
                for teacher in teachers_named(self, "Teacher_Name")? {
                    push(&mut self.inst, Rule::TeacherMaxDaysPerWeek { teacher, max });
                }
            }
            "ConstraintStudentsMaxHoursDaily" | "ConstraintStudentsSetMaxHoursDaily" => {
                let max: u16 = self.number(n, "Maximum_Hours_Daily")?;
                let sets: Vec<usize> = match child_text(n, "Students") {
                    Some(name) => vec![self.lookup(&self.set, n, "students set", &name)?],
                    None => (0..self.inst.sets.len())
                        .filter(|s| self.inst.sets[*s].parents.is_empty())
                        .collect(),
                };
                for set in sets {
                    push(&mut self.inst, Rule::SetMaxHoursDaily { set, max });
                }
            }
            "ConstraintActivityPreferredRoom" | "ConstraintActivityPreferredRooms" => {
                let id = self.required(n, "Activity_Id")?;
                let Some(a) = self.activity_ref(n, &id)? else {
                    return Ok(());
                };
                let rooms = if kind.ends_with("Room") {
                    let room = self.required(n, "Room")?;
                    let room = self.lookup(&self.room, n, "room", &room)?;
                    if weight >= 100.0
                        && child_text(n, "Permanently_Locked").is_some_and(|l| l == "true")
                    {
                        let act = &mut self.inst.activities[a];
                        if let Some(p) = &mut act.placement {
                            p.room = Some(room);
                        }
                    }
                    vec![room]
                } else {
                    self.rooms(n, "Preferred_Room")?
                };
                push(
                    &mut self.inst,
                    Rule::PreferredRooms {
                        activities: vec![a],
                        rooms,
                    },
                );
            }
            _ => {
                // The remaining room preferences select activities by subject, tag,
                // teacher or students.
                let subject = child_text(n, "Subject")
                    .map(|s| self.lookup(&self.subject, n, "subject", &s))
                    .transpose()?;
                let tag = child_text(n, "Activity_Tag")
                    .map(|t| self.lookup(&self.tag, n, "activity tag", &t))
                    .transpose()?;
                let teacher = child_text(n, "Teacher")
                    .map(|t| self.lookup(&self.teacher, n, "teacher", &t))
                    .transpose()?;
                let set = child_text(n, "Students")
                    .map(|s| self.lookup(&self.set, n, "students set", &s))
                    .transpose()?;
                let rooms = if child(n, "Room").is_some() {
                    let room = self.required(n, "Room")?;
                    vec![self.lookup(&self.room, n, "room", &room)?]
                } else {
                    self.rooms(n, "Preferred_Room")?
                };
                let activities: Vec<usize> = self
                    .inst
                    .activities
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| {
                        // Home rooms, as in FET, concern the activities of that teacher
                        // alone, or of that students set alone.
                        subject.is_none_or(|s| a.subject == Some(s))
                            && tag.is_none_or(|t| a.tags.contains(&t))
                            && teacher.is_none_or(|t| a.teachers == [t])
                            && set.is_none_or(|s| a.sets == [s])
                    })
                    .map(|(i, _)| i)
                    .collect();
                if kind.contains("HomeRoom") {
                    self.home_rooms.push(self.inst.constraints.len());
                }
                push(&mut self.inst, Rule::PreferredRooms { activities, rooms });
            }
        }
        Ok(())
    }
}

/// Reads a FET file.
pub fn read(xml: &str) -> Result<Instance, FetError> {
    let xml = xml.trim_start_matches('\u{feff}');
    let doc = Document::parse(xml).map_err(|e| FetError::Malformed(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "fet" {
        return Err(FetError::Malformed(format!(
            "the root element is <{}>, not <fet>",
            root.tag_name().name()
        )));
    }
    // Unsupported constraint types first: such a file is not solved at all.
    let mut unsupported: Vec<(String, usize)> = Vec::new();
    for list in ["Time_Constraints_List", "Space_Constraints_List"] {
        if let Some(l) = child(root, list) {
            for c in l.children().filter(Node::is_element) {
                let name = c.tag_name().name();
                if !SUPPORTED.contains(&name) {
                    match unsupported.iter_mut().find(|(n, _)| n == name) {
                        Some((_, count)) => *count += 1,
                        None => unsupported.push((name.to_string(), 1)),
                    }
                }
            }
        }
    }
    if !unsupported.is_empty() {
        return Err(FetError::Unsupported(unsupported));
    }
    let mut r = Reader {
        doc: &doc,
        inst: Instance::default(),
        teacher: HashMap::new(),
        subject: HashMap::new(),
        tag: HashMap::new(),
        set: HashMap::new(),
        room: HashMap::new(),
        day: HashMap::new(),
        hour: HashMap::new(),
        activity: HashMap::new(),
        home_rooms: Vec::new(),
    };
    r.inst.name = child_text(root, "Institution_Name").unwrap_or_default();
    r.inst.days = r.names(child(root, "Days_List"), "Day")?;
    r.inst.hours = r.names(child(root, "Hours_List"), "Hour")?;
    if r.inst.days.is_empty() || r.inst.hours.is_empty() {
        return Err(FetError::Malformed("no days or no hours".into()));
    }
    r.inst.subjects = r.names(child(root, "Subjects_List"), "Subject")?;
    r.inst.tags = r.names(child(root, "Activity_Tags_List"), "Activity_Tag")?;
    r.inst.teachers = r.names(child(root, "Teachers_List"), "Teacher")?;
    r.day = index16(&r.inst.days);
    r.hour = index16(&r.inst.hours);
    r.subject = index(&r.inst.subjects);
    r.tag = index(&r.inst.tags);
    r.teacher = index(&r.inst.teachers);
    if let Some(list) = child(root, "Students_List") {
        r.students(list)?;
    }
    if let Some(list) = child(root, "Rooms_List") {
        for n in children(list, "Room") {
            let name = r.required(n, "Name")?;
            if child_text(n, "Virtual").is_some_and(|v| v == "true") {
                return Err(FetError::Unsupported(vec![("virtual rooms".into(), 1)]));
            }
            if r.room.contains_key(&name) {
                return Err(r.invalid(n, format!("duplicate room {name:?}")));
            }
            let capacity = child_text(n, "Capacity")
                .and_then(|c| c.parse().ok())
                .unwrap_or(u32::MAX);
            r.inst.rooms.push(Room {
                name: name.clone(),
                capacity,
            });
            r.room.insert(name, r.inst.rooms.len() - 1);
        }
    }
    if let Some(list) = child(root, "Activities_List") {
        r.activities(list)?;
    }
    for list in ["Time_Constraints_List", "Space_Constraints_List"] {
        if let Some(l) = child(root, list) {
            for c in l.children().filter(Node::is_element) {
                r.constraint(c)?;
            }
        }
    }
    home_rooms_yield(&mut r.inst, &r.home_rooms);
    check_locks(&r.inst)?;
    Ok(r.inst)
}

/// As in FET, a home room does not apply to an activity that has a preferred room of its
/// own (by activity, subject or activity tag): that preference wins.
fn home_rooms_yield(inst: &mut Instance, home_rooms: &[usize]) {
    let mut preferred = vec![false; inst.activities.len()];
    for (i, c) in inst.constraints.iter().enumerate() {
        if let (Rule::PreferredRooms { activities, .. }, false) = (&c.rule, home_rooms.contains(&i))
        {
            for a in activities {
                preferred[*a] = true;
            }
        }
    }
    for &i in home_rooms {
        if let Rule::PreferredRooms { activities, .. } = &mut inst.constraints[i].rule {
            activities.retain(|a| !preferred[*a]);
        }
    }
}

/// Two locked activities of the same teacher, students or room at the same time cannot
/// both be kept.
fn check_locks(inst: &Instance) -> Result<(), FetError> {
    let locked: Vec<usize> = (0..inst.activities.len())
        .filter(|a| inst.activities[*a].locked)
        .collect();
    let atoms = inst.atoms();
    for (i, a) in locked.iter().enumerate() {
        for b in &locked[i + 1..] {
            let (x, y) = (&inst.activities[*a], &inst.activities[*b]);
            let (Some(px), Some(py)) = (x.placement, y.placement) else {
                continue;
            };
            let overlap = px.start.day == py.start.day
                && px.start.hour < py.start.hour + y.duration
                && py.start.hour < px.start.hour + x.duration;
            if !overlap {
                continue;
            }
            let teacher = x.teachers.iter().any(|t| y.teachers.contains(t));
            let students = x.sets.iter().any(|s| {
                y.sets
                    .iter()
                    .any(|u| atoms[*s].iter().any(|k| atoms[*u].contains(k)))
            });
            let room = px.room.is_some() && px.room == py.room;
            if teacher || students || room {
                return Err(FetError::Invalid {
                    line: 0,
                    message: format!(
                        "contradictory locks: activities {} and {} are both locked at {} and share a {}",
                        x.id,
                        y.id,
                        inst.slot_name(px.start),
                        if teacher {
                            "teacher"
                        } else if students {
                            "students set"
                        } else {
                            "room"
                        }
                    ),
                });
            }
        }
    }
    Ok(())
}

fn index(names: &[String]) -> HashMap<String, usize> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect()
}

fn index16(names: &[String]) -> HashMap<String, u16> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), u16::try_from(i).unwrap_or(u16::MAX)))
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Writes the timetable into the original file: each placed activity gets a locked
/// preferred starting time (and room), appended to the constraint lists, so that FET
/// opens the file with the timetable fixed.
pub fn write_locked(
    original: &str,
    inst: &Instance,
    placements: &[Option<Placement>],
) -> Result<String, FetError> {
    let original = original.trim_start_matches('\u{feff}');
    let mut time = String::new();
    let mut space = String::new();
    for (a, p) in placements.iter().enumerate() {
        let Some(p) = p else { continue };
        let act = &inst.activities[a];
        time.push_str(&format!(
            "<ConstraintActivityPreferredStartingTime>\n\t<Weight_Percentage>100</Weight_Percentage>\n\t<Activity_Id>{}</Activity_Id>\n\t<Preferred_Day>{}</Preferred_Day>\n\t<Preferred_Hour>{}</Preferred_Hour>\n\t<Permanently_Locked>true</Permanently_Locked>\n\t<Active>true</Active>\n\t<Comments>kehou</Comments>\n</ConstraintActivityPreferredStartingTime>\n",
            act.id,
            escape(&inst.days[usize::from(p.start.day)]),
            escape(&inst.hours[usize::from(p.start.hour)]),
        ));
        if let Some(r) = p.room {
            space.push_str(&format!(
                "<ConstraintActivityPreferredRoom>\n\t<Weight_Percentage>100</Weight_Percentage>\n\t<Activity_Id>{}</Activity_Id>\n\t<Room>{}</Room>\n\t<Permanently_Locked>true</Permanently_Locked>\n\t<Active>true</Active>\n\t<Comments>kehou</Comments>\n</ConstraintActivityPreferredRoom>\n",
                act.id,
                escape(&inst.rooms[r].name),
            ));
        }
    }
    let insert = |doc: &str, list: &str, add: &str| -> Result<String, FetError> {
        let close = format!("</{list}>");
        match doc.rfind(&close) {
            Some(at) => Ok(format!("{}{}{}", &doc[..at], add, &doc[at..])),
            None => {
                let end = doc
                    .rfind("</fet>")
                    .ok_or_else(|| FetError::Malformed("no </fet>".into()))?;
                Ok(format!(
                    "{}<{list}>\n{add}{close}\n{}",
                    &doc[..end],
                    &doc[end..]
                ))
            }
        }
    };
    let with_time = insert(original, "Time_Constraints_List", &time)?;
    insert(&with_time, "Space_Constraints_List", &space)
}
