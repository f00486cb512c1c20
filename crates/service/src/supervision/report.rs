//! Patrol reports (J1): a school's patrol records of a period with each lesson's class,
//! course and teachers; the scores by teacher and by patrol teacher; the lessons held and
//! patrolled; the tasks of the period with their completion; and the workbook.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use kehou_domain::Permission;
use kehou_store::entity::org;
use kehou_store::entity::supervision::{patrol_record, patrol_task};
use kehou_store::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use crate::attendance::report::PeriodQuery;
use crate::{Actor, App, Result};

use super::patrol::RecordView;
use super::task::TaskView;

/// The most records one report lists (the newest); the figures count them all.
pub const ROWS_MAX: u64 = 2000;

/// A school whose patrol the actor may read: the school with `patrol.manage`, or anyone
/// with `attendance.view` there (patrol teachers, the bureau).
pub(crate) async fn readable_school(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
) -> Result<org::Model> {
    let permission = if actor.can(Permission::PatrolManage) {
        Permission::PatrolManage
    } else {
        Permission::AttendanceView
    };
    crate::school::school_for(db, actor, school_id, permission).await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolRow {
    pub record: RecordView,
    pub start: String,
    pub class_name: String,
    pub course: String,
    pub room: String,
    pub teacher_names: String,
}

/// One teacher's scores from the patrols of their lessons.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TeacherScore {
    pub name: String,
    pub patrols: i64,
    /// Averages to one decimal, as 4.5.
    pub teacher_score: String,
    pub lesson_score: String,
    /// Patrols that found the teacher away.
    pub absent: i64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PatrollerRow {
    pub user_id: i64,
    pub name: String,
    pub patrols: i64,
    pub photos: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolReport {
    pub school_id: i64,
    pub school: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every record of the period.
    pub records_total: u64,
    /// Lessons with at least one record.
    pub lessons_patrolled: usize,
    /// Average scores of all records, as 4.5; — when none.
    pub lesson_score: String,
    pub teacher_score: String,
    pub teachers: Vec<TeacherScore>,
    pub patrollers: Vec<PatrollerRow>,
    /// The newest records, at most 2000.
    pub rows: Vec<PatrolRow>,
    /// Tasks overlapping the period.
    pub tasks: Vec<TaskView>,
}

fn average(sum: i64, n: i64) -> String {
    if n == 0 {
        "—".into()
    } else {
        format!("{:.1}", sum as f64 / n as f64)
    }
}

/// A school's patrol over a period (`patrol.manage`, or `attendance.view`).
pub async fn school(
    app: &App,
    actor: &Actor,
    school_id: i64,
    q: &PeriodQuery,
) -> Result<PatrolReport> {
    let db = &app.db;
    let school = readable_school(db, actor, school_id).await?;
    let (from, to) = crate::attendance::report::period(app.today(), q)?;
    let in_period = patrol_record::Entity::find()
        .filter(patrol_record::Column::SchoolId.eq(school.id))
        .filter(patrol_record::Column::LessonDate.gte(from))
        .filter(patrol_record::Column::LessonDate.lte(to));
    let records_total = in_period.clone().count(db).await?;
    let records = in_period
        .order_by_desc(patrol_record::Column::LessonDate)
        .order_by_desc(patrol_record::Column::Id)
        .limit(ROWS_MAX)
        .all(db)
        .await?;
    let lesson_ids: Vec<i64> = records.iter().map(|r| r.lesson_id).collect();
    let entries: HashMap<i64, crate::teaching::timetable::Entry> =
        crate::teaching::timetable::of_lessons(db, &lesson_ids)
            .await?
            .into_iter()
            .map(|e| (e.lesson_id, e))
            .collect();
    let records = super::patrol::views(db, records).await?;
    let mut teachers: BTreeMap<String, (TeacherScore, i64, i64)> = BTreeMap::new();
    let mut patrollers: BTreeMap<i64, PatrollerRow> = BTreeMap::new();
    let (mut lesson_sum, mut teacher_sum) = (0i64, 0i64);
    let mut patrolled = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        lesson_sum += i64::from(r.lesson_score);
        teacher_sum += i64::from(r.teacher_score);
        patrolled.insert(r.lesson_id);
        let p = patrollers.entry(r.user_id).or_insert_with(|| PatrollerRow {
            user_id: r.user_id,
            name: r.patroller_name.clone(),
            ..Default::default()
        });
        p.patrols += 1;
        p.photos += r.photos.len() as i64;
        let e = entries.get(&r.lesson_id);
        for name in e.map(|e| e.teachers.clone()).unwrap_or_default() {
            let t = teachers.entry(name.clone()).or_insert_with(|| {
                (
                    TeacherScore {
                        name,
                        ..Default::default()
                    },
                    0,
                    0,
                )
            });
            t.0.patrols += 1;
            t.0.absent += i64::from(!r.teacher_present);
            t.1 += i64::from(r.teacher_score);
            t.2 += i64::from(r.lesson_score);
        }
        rows.push(PatrolRow {
            start: e.map(|e| e.start.clone()).unwrap_or_default(),
            class_name: e.map(|e| e.class_name.clone()).unwrap_or_default(),
            course: e.map(|e| e.course.clone()).unwrap_or_default(),
            room: e.map(|e| e.room.clone()).unwrap_or_default(),
            teacher_names: e.map(|e| e.teacher_names.clone()).unwrap_or_default(),
            record: r,
        });
    }
    let n = rows.len() as i64;
    let tasks = patrol_task::Entity::find()
        .filter(patrol_task::Column::SchoolId.eq(school.id))
        .filter(patrol_task::Column::FromDate.lte(to))
        .filter(patrol_task::Column::ToDate.gte(from))
        .order_by_asc(patrol_task::Column::FromDate)
        .limit(200)
        .all(db)
        .await?;
    Ok(PatrolReport {
        school_id: school.id,
        school: school.name,
        from,
        to,
        records_total,
        lessons_patrolled: patrolled.len(),
        lesson_score: average(lesson_sum, n),
        teacher_score: average(teacher_sum, n),
        teachers: teachers
            .into_values()
            .map(|(mut t, teacher, lesson)| {
                t.teacher_score = average(teacher, t.patrols);
                t.lesson_score = average(lesson, t.patrols);
                t
            })
            .collect(),
        patrollers: patrollers.into_values().collect(),
        rows,
        tasks: super::task::views(db, tasks, app.today()).await?,
    })
}

/// The report as a workbook: the records, the teachers' scores and the tasks.
pub fn workbook(r: &PatrolReport) -> Result<Vec<u8>> {
    use crate::platform::sheet::{SheetData, workbook};
    let records: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|x| {
            vec![
                x.record.lesson_date.to_string(),
                x.start.clone(),
                x.class_name.clone(),
                x.course.clone(),
                x.room.clone(),
                x.teacher_names.clone(),
                x.record.patroller_name.clone(),
                x.record.lesson_score.to_string(),
                x.record.teacher_score.to_string(),
                if x.record.teacher_present {
                    "在岗"
                } else {
                    "不在岗"
                }
                .into(),
                x.record
                    .students_seen
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                x.record.note.clone(),
                x.record.photos.len().to_string(),
            ]
        })
        .collect();
    let teachers: Vec<Vec<String>> = r
        .teachers
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                t.patrols.to_string(),
                t.teacher_score.clone(),
                t.lesson_score.clone(),
                t.absent.to_string(),
            ]
        })
        .collect();
    let tasks: Vec<Vec<String>> = r
        .tasks
        .iter()
        .map(|t| {
            vec![
                t.title.clone(),
                t.patroller_name.clone(),
                format!("{} 至 {}", t.from, t.to),
                t.weekdays_label.clone(),
                t.lessons_per_day.to_string(),
                format!("{}/{}", t.days_done, t.days_due),
                t.lessons_patrolled.to_string(),
                t.status_label.into(),
            ]
        })
        .collect();
    workbook(&[
        SheetData {
            name: "巡课记录",
            headers: &[
                "日期",
                "时间",
                "教学班",
                "课程",
                "场地",
                "任课教师",
                "巡课教师",
                "课堂评分",
                "教师评分",
                "教师在岗",
                "实到人数",
                "巡课意见",
                "照片数",
            ],
            rows: &records,
        },
        SheetData {
            name: "教师评分",
            headers: &["教师", "被巡课次", "教师平均分", "课堂平均分", "不在岗次数"],
            rows: &teachers,
        },
        SheetData {
            name: "巡课任务",
            headers: &[
                "任务",
                "巡课教师",
                "时段",
                "巡课日",
                "每天节数",
                "完成天数/应巡天数",
                "已巡节数",
                "状态",
            ],
            rows: &tasks,
        },
    ])
}
