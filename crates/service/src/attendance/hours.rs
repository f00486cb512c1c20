//! Lesson hours (课时, I2, I5, I11): the lessons held, counted in real time from the dated
//! lessons and the roll call — a school's teachers (and minutes taught), an institution's
//! teachers across schools, a school's students, one student — by day, week, month or the
//! whole period, by course, by kind (托管, 素质, 特色) and by who provides it (in-school:
//! the school's own course; out-of-school: an institution's).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use kehou_domain::course::Category;
use kehou_domain::{OrgKind, Permission};
use kehou_store::entity::attendance::roll_mark;
use kehou_store::entity::org;
use kehou_store::entity::teaching::{lesson, lesson_teacher};
use kehou_store::sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use kehou_store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

use super::report::held_between;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// `YYYY-MM-DD`; 30 days ago when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; today when absent; at most 366 days in all.
    pub to: Option<String>,
    /// day, week, month or total (the default).
    pub by: Option<String>,
    /// care (托管), quality (素质) or featured (特色): only these courses.
    pub category: Option<String>,
    /// in (the school's own courses) or out (institutions' courses): only these.
    pub source: Option<String>,
}

/// How the period is cut into columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Day,
    Week,
    Month,
    Total,
}

impl By {
    fn parse(raw: Option<&str>) -> Result<Self> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "total" => Ok(Self::Total),
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            _ => Err(Error::invalid(
                "by",
                "统计周期应为 day、week、month 或 total",
            )),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Total => "total",
        }
    }

    /// The column a date falls in: the day, the week's Monday, the month, or the total.
    fn bucket(self, d: NaiveDate) -> String {
        match self {
            Self::Day => d.format("%Y-%m-%d").to_string(),
            Self::Week => {
                let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                format!("{} 起一周", monday.format("%Y-%m-%d"))
            }
            Self::Month => d.format("%Y-%m").to_string(),
            Self::Total => "合计".into(),
        }
    }

    /// Every column of the period, in order (a day, a week or a month without lessons too).
    fn buckets(self, from: NaiveDate, to: NaiveDate) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in from.iter_days().take_while(|d| *d <= to) {
            let b = self.bucket(d);
            if out.last() != Some(&b) {
                out.push(b);
            }
        }
        out
    }
}

/// Which courses count.
struct Filter {
    from: NaiveDate,
    to: NaiveDate,
    by: By,
    category: Option<Category>,
    /// Some(true): in-school only; Some(false): out-of-school only.
    in_school: Option<bool>,
}

impl Filter {
    fn parse(app: &App, q: &HoursQuery) -> Result<Self> {
        let (from, to) = super::report::period(
            app.today(),
            &super::report::PeriodQuery {
                from: q.from.clone(),
                to: q.to.clone(),
            },
        )?;
        let category = match q.category.as_deref().map(str::trim).unwrap_or("") {
            "" => None,
            c => Some(Category::parse(c).ok_or_else(|| {
                Error::invalid("category", "课程类型应为 care、quality 或 featured")
            })?),
        };
        let in_school = match q.source.as_deref().map(str::trim).unwrap_or("") {
            "" => None,
            "in" => Some(true),
            "out" => Some(false),
            _ => {
                return Err(Error::invalid(
                    "source",
                    "课程来源应为 in（校内）或 out（校外）",
                ));
            }
        };
        Ok(Self {
            from,
            to,
            by: By::parse(q.by.as_deref())?,
            category,
            in_school,
        })
    }

    fn keeps(&self, c: &Course) -> bool {
        self.category.is_none_or(|k| c.category == Some(k))
            && self.in_school.is_none_or(|i| c.in_school == i)
    }
}

/// What a teaching class teaches: its course's name, kind and provider.
struct Course {
    name: String,
    category: Option<Category>,
    in_school: bool,
}

/// The courses of teaching classes, by class id.
async fn courses_of(
    db: &impl ConnectionTrait,
    class_ids: Vec<i64>,
) -> Result<HashMap<i64, Course>> {
    let classes = crate::teaching::class::by_ids(db, class_ids).await?;
    let items = crate::course::offering::items_by_id(
        db,
        classes
            .iter()
            .map(|c| c.item_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    )
    .await?;
    Ok(classes
        .into_iter()
        .map(|c| {
            let item = items.get(&c.item_id).map(|(i, _, _)| i);
            (
                c.id,
                Course {
                    name: item.map_or_else(|| c.name.clone(), |i| i.name.clone()),
                    category: item.and_then(|i| Category::parse(&i.category)),
                    in_school: item.is_none_or(|i| i.institution_id.is_none()),
                },
            )
        })
        .collect())
}

/// One line of a lesson-hours table: a teacher, a student, a course or the total.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct HoursRow {
    pub name: String,
    /// The student's class, the teacher's school or provider; empty otherwise.
    pub detail: String,
    /// Lessons held (a teacher's taught, a student's attended).
    pub lessons: i64,
    /// Minutes of those lessons.
    pub minutes: i64,
    /// Hours to one decimal, as 12.5.
    pub hours: String,
    pub care: i64,
    pub quality: i64,
    pub featured: i64,
    /// Lessons of the school's own courses.
    pub in_school: i64,
    /// Lessons of institutions' courses.
    pub out_of_school: i64,
    /// Lessons per column of `buckets`.
    pub per_bucket: Vec<i64>,
}

#[derive(Default)]
struct Tally {
    row: HoursRow,
    per: BTreeMap<String, i64>,
}

impl Tally {
    fn add(&mut self, c: &Course, bucket: String, minutes: i64) {
        let r = &mut self.row;
        r.lessons += 1;
        r.minutes += minutes;
        match c.category {
            Some(Category::Care) => r.care += 1,
            Some(Category::Quality) => r.quality += 1,
            Some(Category::Featured) => r.featured += 1,
            None => {}
        }
        if c.in_school {
            r.in_school += 1;
        } else {
            r.out_of_school += 1;
        }
        *self.per.entry(bucket).or_default() += 1;
    }

    fn finish(mut self, buckets: &[String]) -> HoursRow {
        self.row.hours = format!("{:.1}", self.row.minutes as f64 / 60.0);
        self.row.per_bucket = buckets
            .iter()
            .map(|b| self.per.get(b).copied().unwrap_or(0))
            .collect();
        self.row
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HoursReport {
    /// The school, the institution or the student.
    pub scope: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// day, week, month or total.
    pub by: String,
    /// The columns' names: days, weeks (their Monday), months, or 合计.
    pub buckets: Vec<String>,
    pub total: HoursRow,
    /// Teachers or students, by name.
    pub rows: Vec<HoursRow>,
    /// Courses, by name.
    pub courses: Vec<HoursRow>,
}

/// One lesson counted for one row: the row's key (who, and where when a row is per
/// school), its name and detail; the lesson's class, date and minutes.
type Fact = (((i64, i64), String, String), i64, NaiveDate, i64);

/// Builds the report from its facts.
fn build(
    scope: String,
    f: &Filter,
    facts: Vec<Fact>,
    courses: &HashMap<i64, Course>,
) -> HoursReport {
    let buckets = f.by.buckets(f.from, f.to);
    let mut total = Tally::default();
    let mut rows: BTreeMap<(i64, i64), Tally> = BTreeMap::new();
    let mut by_course: BTreeMap<String, Tally> = BTreeMap::new();
    for ((key, name, detail), class_id, date, minutes) in facts {
        let Some(c) = courses.get(&class_id).filter(|c| f.keeps(c)) else {
            continue;
        };
        let bucket = f.by.bucket(date);
        total.add(c, bucket.clone(), minutes);
        let t = rows.entry(key).or_default();
        t.row.name = name;
        t.row.detail = detail;
        t.add(c, bucket.clone(), minutes);
        let ct = by_course.entry(c.name.clone()).or_default();
        ct.row.name = c.name.clone();
        ct.add(c, bucket, minutes);
    }
    let mut rows: Vec<HoursRow> = rows.into_values().map(|t| t.finish(&buckets)).collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.detail.cmp(&b.detail)));
    let mut total = total.finish(&buckets);
    total.name = "合计".into();
    HoursReport {
        scope,
        from: f.from,
        to: f.to,
        by: f.by.code().into(),
        total,
        rows,
        courses: by_course
            .into_values()
            .map(|t| t.finish(&buckets))
            .collect(),
        buckets,
    }
}

fn minutes(l: &lesson::Model) -> i64 {
    std::cmp::max((l.ends_at - l.starts_at).num_minutes(), 0)
}

/// The lessons under `cond` by id, and the same selection as a subquery of their ids.
async fn held_lessons(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<(HashMap<i64, lesson::Model>, SelectStatement)> {
    let lessons = lesson::Entity::find()
        .filter(cond.clone())
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let ids = Query::select()
        .column(lesson::Column::Id)
        .from(lesson::Entity)
        .cond_where(cond)
        .to_owned();
    Ok((lessons, ids))
}

/// The teaching classes of some lessons, once each.
fn classes_of(lessons: &HashMap<i64, lesson::Model>) -> Vec<i64> {
    lessons
        .values()
        .map(|l| l.class_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Teachers' lessons held under `cond` (a condition on `lessons`), one fact per lesson and
/// teacher; a teacher is keyed by their staff or institution-teacher record, per school
/// when `per_school`.
async fn teacher_facts(
    db: &impl ConnectionTrait,
    cond: Condition,
    per_school: bool,
    detail_of: impl Fn(&lesson::Model, &lesson_teacher::Model) -> String,
) -> Result<(Vec<Fact>, Vec<i64>)> {
    let (lessons, ids) = held_lessons(db, cond).await?;
    let teachers = lesson_teacher::Entity::find()
        .filter(lesson_teacher::Column::LessonId.in_subquery(ids))
        .all(db)
        .await?;
    let mut facts = Vec::with_capacity(teachers.len());
    for t in teachers {
        let Some(l) = lessons.get(&t.lesson_id) else {
            continue;
        };
        // Staff and institution teachers get keys that never meet.
        let key = match (t.staff_id, t.institution_teacher_id) {
            (Some(s), _) => s * 2,
            (None, Some(i)) => i * 2 + 1,
            (None, None) => continue,
        };
        let place = if per_school { l.school_id } else { 0 };
        facts.push((
            ((key, place), t.name.clone(), detail_of(l, &t)),
            l.class_id,
            l.date,
            minutes(l),
        ));
    }
    Ok((facts, classes_of(&lessons)))
}

/// A school's teachers' lesson hours (`attendance.view`).
pub async fn teachers(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: &HoursQuery,
) -> Result<HoursReport> {
    let db = &app.db;
    let school =
        crate::school::school_for(db, actor, school_id, Permission::AttendanceView).await?;
    let f = Filter::parse(app, q)?;
    let cond = super::report::held(app, &[school.id], f.from, f.to);
    let (facts, classes) = teacher_facts(db, cond, false, |_, t| {
        if t.institution_teacher_id.is_some() {
            "机构教师".into()
        } else {
            String::new()
        }
    })
    .await?;
    let courses = courses_of(db, classes).await?;
    Ok(build(school.name, &f, facts, &courses))
}

/// An institution's teachers' lesson hours across the schools they are dispatched to
/// (`institution.view`: the institution itself, or the bureau over it).
pub async fn institution(
    app: &App,
    actor: &Actor,
    org_id: i64,
    q: &HoursQuery,
) -> Result<HoursReport> {
    let db = &app.db;
    let org =
        crate::institution::institution_for(db, actor, org_id, Permission::InstitutionView).await?;
    let f = Filter::parse(app, q)?;
    let teacher_ids = crate::institution::teacher_ids_of(db, org.id).await?;
    let lessons_of_teachers = Query::select()
        .column(lesson_teacher::Column::LessonId)
        .from(lesson_teacher::Entity)
        .and_where(Expr::col(lesson_teacher::Column::InstitutionTeacherId).is_in(teacher_ids))
        .to_owned();
    let cond = held_between(app, f.from, f.to)
        .add(Expr::col((Alias::new("lessons"), Alias::new("id"))).in_subquery(lessons_of_teachers));
    let schools: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Kind.eq(OrgKind::School.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let (facts, classes) = teacher_facts(db, cond, true, |l, _| {
        schools.get(&l.school_id).cloned().unwrap_or_default()
    })
    .await?;
    // Only this institution's teachers: a lesson they share with a school's own teacher
    // counts for them alone here.
    let facts = facts
        .into_iter()
        .filter(|(((key, _), _, _), ..)| key % 2 == 1)
        .collect();
    let courses = courses_of(db, classes).await?;
    Ok(build(org.name, &f, facts, &courses))
}

/// Students' attended lessons (present or late) under `cond`, as (student, class, date,
/// minutes).
async fn attended(
    db: &impl ConnectionTrait,
    cond: Condition,
    student: Option<i64>,
) -> Result<(Vec<(i64, i64, NaiveDate, i64)>, Vec<i64>)> {
    let (lessons, ids) = held_lessons(db, cond).await?;
    let mut marks = roll_mark::Entity::find()
        .select_only()
        .column(roll_mark::Column::StudentId)
        .column(roll_mark::Column::LessonId)
        .filter(roll_mark::Column::LessonId.in_subquery(ids))
        .filter(roll_mark::Column::Status.is_in(["present", "late"]));
    if let Some(s) = student {
        marks = marks.filter(roll_mark::Column::StudentId.eq(s));
    }
    let marks: Vec<(i64, i64)> = marks.into_tuple().all(db).await?;
    let facts = marks
        .into_iter()
        .filter_map(|(s, l)| {
            let l = lessons.get(&l)?;
            Some((s, l.class_id, l.date, minutes(l)))
        })
        .collect();
    Ok((facts, classes_of(&lessons)))
}

/// A school's students' lesson hours: the lessons each attended (`attendance.view`).
pub async fn students(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: &HoursQuery,
) -> Result<HoursReport> {
    let db = &app.db;
    let school =
        crate::school::school_for(db, actor, school_id, Permission::AttendanceView).await?;
    let f = Filter::parse(app, q)?;
    let cond = super::report::held(app, &[school.id], f.from, f.to);
    let (facts, classes) = attended(db, cond, None).await?;
    let names = crate::school::student::names_of(db, school.id).await?;
    let facts = facts
        .into_iter()
        .map(|(s, class, date, m)| {
            let (name, admin_class) = names.get(&s).cloned().unwrap_or_default();
            (((s, 0), name, admin_class), class, date, m)
        })
        .collect();
    let courses = courses_of(db, classes).await?;
    Ok(build(school.name, &f, facts, &courses))
}

/// One student's lesson hours by day, week or month: their guardian, their head teacher,
/// or the school with `attendance.view`.
pub async fn student(
    app: &App,
    actor: &Actor,
    student_id: i64,
    q: &HoursQuery,
) -> Result<HoursReport> {
    let db = &app.db;
    let s = super::record::readable_student(db, actor, student_id).await?;
    let f = Filter::parse(app, q)?;
    let cond = super::report::held(app, &[s.school_id], f.from, f.to);
    let (facts, classes) = attended(db, cond, Some(s.id)).await?;
    let facts = facts
        .into_iter()
        .map(|(id, class, date, m)| (((id, 0), s.name.clone(), String::new()), class, date, m))
        .collect();
    let courses = courses_of(db, classes).await?;
    Ok(build(s.name.clone(), &f, facts, &courses))
}

/// A report as a workbook: the rows (teachers or students), then the courses.
pub fn workbook(r: &HoursReport, who: &'static str) -> Result<Vec<u8>> {
    use crate::platform::sheet::{SheetData, workbook};
    let mut headers: Vec<String> = [
        who, "说明", "课时", "分钟", "小时", "托管", "素质", "特色", "校内", "校外",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let by_bucket = r.by != "total";
    if by_bucket {
        headers.extend(r.buckets.iter().cloned());
    }
    let line = |x: &HoursRow| {
        let mut v = vec![
            x.name.clone(),
            x.detail.clone(),
            x.lessons.to_string(),
            x.minutes.to_string(),
            x.hours.clone(),
            x.care.to_string(),
            x.quality.to_string(),
            x.featured.to_string(),
            x.in_school.to_string(),
            x.out_of_school.to_string(),
        ];
        if by_bucket {
            v.extend(x.per_bucket.iter().map(i64::to_string));
        }
        v
    };
    let mut rows: Vec<Vec<String>> = r.rows.iter().map(line).collect();
    rows.push(line(&r.total));
    let courses: Vec<Vec<String>> = r.courses.iter().map(line).collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut course_headers = header_refs.clone();
    course_headers[0] = "课程";
    workbook(&[
        SheetData {
            name: "课时统计",
            headers: &header_refs,
            rows: &rows,
        },
        SheetData {
            name: "按课程",
            headers: &course_headers,
            rows: &courses,
        },
    ])
}
