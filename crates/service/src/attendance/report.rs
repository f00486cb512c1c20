//! Attendance reports (I1, I4, I14): a school's classes and teachers over a period — the
//! lessons held, students expected, present, late, absent, on leave, unmarked and the rate;
//! teachers' check-ins on time, late, made up or refused, and lessons nobody checked in
//! for — and the bureau's view of its schools. Counted by the database (`GROUP BY`), so
//! a term or a city costs one query per figure.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use kehou_domain::attendance::Mark;
use kehou_domain::{OrgKind, Permission};
use kehou_store::entity::attendance::check_in;
use kehou_store::entity::org;
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};
use kehou_store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Result};

/// The longest period one report covers, in days.
pub const PERIOD_MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `YYYY-MM-DD`; 30 days ago when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; today when absent; at most 366 days in all.
    pub to: Option<String>,
}

pub(crate) fn period(today: NaiveDate, q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate)> {
    super::date_range(
        &q.from,
        &q.to,
        (today - Duration::days(30), today),
        PERIOD_MAX_DAYS,
    )
}

/// Students' attendance of one group (a class, a school, the total).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Lessons held (started) in the period.
    pub lessons: i64,
    pub present: i64,
    pub late: i64,
    pub absent: i64,
    pub leave: i64,
    /// Present (or late) of the students marked, as 96.5%.
    pub rate: String,
}

impl Counts {
    fn add(&mut self, status: &str, n: i64) {
        match Mark::parse(status) {
            Some(Mark::Present) => self.present += n,
            Some(Mark::Late) => {
                self.present += n;
                self.late += n;
            }
            Some(Mark::Absent) => self.absent += n,
            Some(Mark::Leave) => self.leave += n,
            None => {}
        }
    }

    fn absorb(&mut self, other: &Counts) {
        self.lessons += other.lessons;
        self.present += other.present;
        self.late += other.late;
        self.absent += other.absent;
        self.leave += other.leave;
    }

    fn finish(mut self) -> Self {
        let marked = self.present + self.absent + self.leave;
        self.rate = if marked > 0 {
            format!("{:.1}%", self.present as f64 * 100.0 / marked as f64)
        } else {
            "—".into()
        };
        self
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassRow {
    pub class_id: i64,
    pub class_name: String,
    pub counts: Counts,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TeacherRow {
    pub user_id: i64,
    pub name: String,
    pub on_time: i64,
    pub late: i64,
    /// Late, but the appeal was approved.
    pub excused: i64,
    pub made_up: i64,
    /// Refused attempts (outside the fence).
    pub refused: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchoolReport {
    pub school_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Counts,
    pub classes: Vec<ClassRow>,
    pub teachers: Vec<TeacherRow>,
    /// Lessons held without any teacher's counted check-in.
    pub unchecked_lessons: i64,
}

/// The lessons held in the period at some schools: a condition on `lessons`.
pub(crate) fn held(app: &App, schools: &[i64], from: NaiveDate, to: NaiveDate) -> Condition {
    held_between(app, from, to).add(
        Expr::col((Alias::new("lessons"), Alias::new("school_id"))).is_in(schools.iter().copied()),
    )
}

/// The lessons held in the period anywhere — started by now, not cancelled: a condition on
/// `lessons`.
pub(crate) fn held_between(app: &App, from: NaiveDate, to: NaiveDate) -> Condition {
    let now = app.local_now();
    let lessons = Alias::new("lessons");
    let col = |c: &str| Expr::col((lessons.clone(), Alias::new(c)));
    Condition::all()
        .add(col("status").ne("cancelled"))
        .add(col("date").gte(from))
        .add(col("date").lte(std::cmp::min(to, now.date())))
        .add(
            Condition::any()
                .add(col("date").lt(now.date()))
                .add(col("starts_at").lte(now.time())),
        )
}

/// Students' marks counted by `group` (a column of `lessons`) and mark.
async fn marks_by(
    db: &impl ConnectionTrait,
    cond: Condition,
    group: &str,
) -> Result<Vec<(i64, String, i64)>> {
    let (lessons, marks) = (Alias::new("lessons"), Alias::new("roll_marks"));
    let q = Query::select()
        .expr_as(
            Expr::col((lessons.clone(), Alias::new(group))),
            Alias::new("g"),
        )
        .expr_as(
            Expr::col((marks.clone(), Alias::new("status"))),
            Alias::new("status"),
        )
        .expr_as(
            Func::count(Expr::col((marks.clone(), Alias::new("id")))),
            Alias::new("n"),
        )
        .from(marks.clone())
        .inner_join(
            lessons.clone(),
            Expr::col((lessons.clone(), Alias::new("id")))
                .equals((marks.clone(), Alias::new("lesson_id"))),
        )
        .cond_where(cond)
        .group_by_col((lessons, Alias::new(group)))
        .group_by_col((marks, Alias::new("status")))
        .to_owned();
    let mut out = Vec::new();
    for r in db.query_all(&q).await? {
        out.push((
            r.try_get("", "g")?,
            r.try_get("", "status")?,
            r.try_get("", "n")?,
        ));
    }
    Ok(out)
}

/// Lessons held counted by `group` (a column of `lessons`).
async fn lessons_by(
    db: &impl ConnectionTrait,
    cond: Condition,
    group: &str,
) -> Result<HashMap<i64, i64>> {
    let lessons = Alias::new("lessons");
    let q = Query::select()
        .expr_as(
            Expr::col((lessons.clone(), Alias::new(group))),
            Alias::new("g"),
        )
        .expr_as(
            Func::count(Expr::col((lessons.clone(), Alias::new("id")))),
            Alias::new("n"),
        )
        .from(lessons.clone())
        .cond_where(cond)
        .group_by_col((lessons, Alias::new(group)))
        .to_owned();
    let mut out = HashMap::new();
    for r in db.query_all(&q).await? {
        out.insert(r.try_get::<i64>("", "g")?, r.try_get::<i64>("", "n")?);
    }
    Ok(out)
}

/// A school's attendance over a period (`attendance.view`).
pub async fn school(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: &PeriodQuery,
) -> Result<SchoolReport> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceView).await?;
    let (from, to) = period(app.today(), q)?;
    let db = &app.db;
    let cond = held(app, &[school.id], from, to);
    let lesson_counts = lessons_by(db, cond.clone(), "class_id").await?;
    let mut classes: HashMap<i64, Counts> = lesson_counts
        .iter()
        .map(|(c, n)| {
            (
                *c,
                Counts {
                    lessons: *n,
                    ..Default::default()
                },
            )
        })
        .collect();
    for (class_id, status, n) in marks_by(db, cond.clone(), "class_id").await? {
        classes.entry(class_id).or_default().add(&status, n);
    }
    let names: HashMap<i64, String> =
        crate::teaching::class::by_ids(db, classes.keys().copied().collect())
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    let mut total = Counts::default();
    let mut rows: Vec<ClassRow> = classes
        .into_iter()
        .map(|(class_id, c)| {
            total.absorb(&c);
            ClassRow {
                class_id,
                class_name: names.get(&class_id).cloned().unwrap_or_default(),
                counts: c.finish(),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.class_name.cmp(&b.class_name));
    // Teachers' check-ins of the lessons held, by teacher and status.
    let lesson_ids = Query::select()
        .column(lesson::Column::Id)
        .from(lesson::Entity)
        .cond_where(cond.clone())
        .to_owned();
    let punches: Vec<(i64, String, String, i64)> = check_in::Entity::find()
        .select_only()
        .column(check_in::Column::UserId)
        .column(check_in::Column::TeacherName)
        .column(check_in::Column::Status)
        .column_as(check_in::Column::Id.count(), "n")
        .filter(check_in::Column::LessonId.in_subquery(lesson_ids.clone()))
        .group_by(check_in::Column::UserId)
        .group_by(check_in::Column::TeacherName)
        .group_by(check_in::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut teachers: HashMap<i64, TeacherRow> = HashMap::new();
    for (user_id, name, status, n) in punches {
        let t = teachers.entry(user_id).or_insert_with(|| TeacherRow {
            user_id,
            name: name.clone(),
            ..Default::default()
        });
        match status.as_str() {
            "on_time" => t.on_time += n,
            "late" => t.late += n,
            "excused" => t.excused += n,
            "made_up" => t.made_up += n,
            "refused" => t.refused += n,
            _ => {}
        }
    }
    let mut teachers: Vec<TeacherRow> = teachers.into_values().collect();
    teachers.sort_by(|a, b| a.name.cmp(&b.name));
    let checked: i64 = check_in::Entity::find()
        .select_only()
        .column_as(Expr::col(check_in::Column::LessonId).count_distinct(), "n")
        .filter(check_in::Column::LessonId.in_subquery(lesson_ids))
        .filter(check_in::Column::Status.ne("refused"))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0);
    Ok(SchoolReport {
        school_id: school.id,
        from,
        to,
        unchecked_lessons: std::cmp::max(total.lessons - checked, 0),
        total: total.finish(),
        classes: rows,
        teachers,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchoolRow {
    pub school_id: i64,
    pub school: String,
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JurisdictionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Counts,
    pub schools: Vec<SchoolRow>,
}

/// The bureau's view: students' attendance per school of its jurisdiction over a period
/// (`attendance.view`; a school sees itself).
pub async fn jurisdiction(app: &App, actor: &Actor, q: &PeriodQuery) -> Result<JurisdictionReport> {
    actor.require(Permission::AttendanceView)?;
    let (from, to) = period(app.today(), q)?;
    let db = &app.db;
    let schools: Vec<org::Model> = org::Entity::find()
        .filter(org::Column::Kind.eq(OrgKind::School.code()))
        .filter(org::Column::Path.starts_with(actor.org_path.as_str()))
        .all(db)
        .await?;
    let ids: Vec<i64> = schools.iter().map(|s| s.id).collect();
    let cond = held(app, &ids, from, to);
    let mut counts: HashMap<i64, Counts> = lessons_by(db, cond.clone(), "school_id")
        .await?
        .into_iter()
        .map(|(s, n)| {
            (
                s,
                Counts {
                    lessons: n,
                    ..Default::default()
                },
            )
        })
        .collect();
    for (school_id, status, n) in marks_by(db, cond, "school_id").await? {
        counts.entry(school_id).or_default().add(&status, n);
    }
    let mut total = Counts::default();
    let rows = schools
        .into_iter()
        .map(|s| {
            let c = counts.remove(&s.id).unwrap_or_default();
            total.absorb(&c);
            SchoolRow {
                school_id: s.id,
                school: s.name,
                counts: c.finish(),
            }
        })
        .collect();
    Ok(JurisdictionReport {
        from,
        to,
        total: total.finish(),
        schools: rows,
    })
}

/// The report as a workbook: the classes' sheet and the teachers' sheet.
pub fn workbook(r: &SchoolReport) -> Result<Vec<u8>> {
    let class_rows: Vec<Vec<String>> = r
        .classes
        .iter()
        .map(|c| {
            let k = &c.counts;
            vec![
                c.class_name.clone(),
                k.lessons.to_string(),
                k.present.to_string(),
                k.late.to_string(),
                k.absent.to_string(),
                k.leave.to_string(),
                k.rate.clone(),
            ]
        })
        .collect();
    let teacher_rows: Vec<Vec<String>> = r
        .teachers
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                t.on_time.to_string(),
                t.late.to_string(),
                t.excused.to_string(),
                t.made_up.to_string(),
                t.refused.to_string(),
            ]
        })
        .collect();
    crate::platform::sheet::workbook(&[
        crate::platform::sheet::SheetData {
            name: "学生考勤",
            headers: &[
                "教学班",
                "已上课次",
                "到课人次",
                "迟到",
                "缺勤",
                "请假",
                "出勤率",
            ],
            rows: &class_rows,
        },
        crate::platform::sheet::SheetData {
            name: "教师签到",
            headers: &[
                "教师",
                "按时签到",
                "迟到",
                "迟到申诉通过",
                "补打卡",
                "围栏外被拒次数",
            ],
            rows: &teacher_rows,
        },
    ])
}
