//! The demo's courses: 示例艺术培训中心's four courses and three teachers admitted to the
//! city's libraries by the expert reviewer, the city's rules (only admitted institution
//! courses and teachers; offerings need approval), and for each demo school an approved,
//! published offering of the current term with last term's kept as history. Everything
//! current goes through the same use cases as the pages.

use std::collections::BTreeSet;

use kehou_domain::course::{LibraryAction, OfferingAction};
use kehou_domain::{OrgKind, PRESET_ROLES, Permission, Phone};
use kehou_store::entity::course::{
    catalog as course, offering as offering_row, offering_item, offering_part, offering_teacher,
};
use kehou_store::entity::org;
use kehou_store::entity::school::term;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::demo::{SCHOOL_1, SCHOOL_2};
use crate::course::catalog::{self, Chapter, CourseInput, Material};
use crate::course::library::{self, Kind};
use crate::course::offering::{self, Decision, ItemInput};
use crate::course::policy::{self, Policy};
use crate::{Actor, App, Error, Result};

/// One demo course: name, spec code, grades, class size, lessons, chapters, materials.
struct DemoCourse {
    name: &'static str,
    spec: &'static str,
    intro: &'static str,
    grades: &'static [i32],
    size: (i32, i32),
    lessons: i32,
    chapters: &'static [&'static str],
    materials: &'static [(&'static str, &'static str, i32)],
    /// A picture of the intro: file name and PNG bytes.
    picture: (&'static str, &'static [u8]),
}

const INSTITUTION_COURSES: &[DemoCourse] = &[
    DemoCourse {
        name: "少儿国画",
        spec: "ZS-TS-01",
        intro: "从笔墨入门到小品创作，认识中国画的基本技法。",
        grades: &[3, 4, 5, 6],
        size: (10, 20),
        lessons: 16,
        chapters: &[
            "认识笔墨纸砚",
            "线条练习",
            "墨色浓淡",
            "画竹",
            "画兰",
            "小品创作",
        ],
        materials: &[("毛笔", "大中小各一支", 3), ("宣纸", "四尺三开", 20)],
        picture: ("少儿国画.png", include_bytes!("demo_pictures/painting.png")),
    },
    DemoCourse {
        name: "少儿街舞",
        spec: "ZS-SZ-01",
        intro: "基本律动、地板动作与团队编排，锻炼协调与表现力。",
        grades: &[1, 2, 3, 4, 5, 6],
        size: (15, 30),
        lessons: 16,
        chapters: &[
            "热身与律动",
            "Hip-hop 基础步",
            "Locking 入门",
            "团队编排",
            "汇报演出",
        ],
        materials: &[],
        picture: ("少儿街舞.png", include_bytes!("demo_pictures/dance.png")),
    },
    DemoCourse {
        name: "钢琴启蒙",
        spec: "ZS-SZ-02",
        intro: "识谱、指法与简单乐曲弹奏，小班教学。",
        grades: &[1, 2, 3],
        size: (8, 12),
        lessons: 16,
        chapters: &["认识键盘", "五线谱", "指法练习", "简单乐曲"],
        materials: &[("钢琴基础教程", "第一册", 1)],
        picture: ("钢琴启蒙.png", include_bytes!("demo_pictures/piano.png")),
    },
    DemoCourse {
        name: "硬笔书法",
        spec: "ZS-TS-01",
        intro: "规范书写，从笔画到结构。",
        grades: &[2, 3, 4, 5, 6],
        size: (10, 25),
        lessons: 16,
        chapters: &["坐姿与握笔", "基本笔画", "偏旁部首", "结构", "作品"],
        materials: &[("字帖", "楷书", 1)],
        picture: (
            "硬笔书法.png",
            include_bytes!("demo_pictures/calligraphy.png"),
        ),
    },
];

/// The schools' own courses: name, spec code, care time and days, parts, textbook fee.
type OwnCourse = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    i64,
);
const OWN_COURSES: &[OwnCourse] = &[
    ("课后托管（午托）", "ZS-TG-01", Some("noon"), &[], 0),
    ("课后托管（晚托）", "ZS-TG-01", Some("evening"), &[], 0),
    ("篮球", "ZS-SZ-01", None, &[], 0),
    ("合唱", "ZS-GY-01", None, &[], 0),
    ("科学实验", "ZS-SZ-02", None, &[], 3000),
    (
        "体艺系列课",
        "ZS-SZ-01",
        None,
        &["跳绳", "踢毽子", "乒乓球"],
        0,
    ),
    ("趣味数学", "ZS-SZ-01", None, &[], 2000),
    ("英语绘本", "ZS-SZ-02", None, &[], 4500),
];

/// A person acting for an organization during loading, with a preset's permissions.
pub(super) fn acting_for(o: &org::Model, preset: &str) -> Actor {
    let permissions: BTreeSet<&'static str> = PRESET_ROLES
        .iter()
        .find(|r| r.code == preset)
        .map(|r| r.permissions.iter().map(|p| p.code()).collect())
        .unwrap_or_default();
    Actor {
        user_id: 0,
        user_name: "演示数据".into(),
        membership_id: 0,
        org_id: o.id,
        org_name: o.name.clone(),
        org_kind: OrgKind::parse(&o.kind).unwrap_or(OrgKind::School),
        org_path: o.path.clone(),
        role_id: 0,
        role_name: preset.into(),
        permissions,
        ip: None,
    }
}

async fn spec_id(app: &App, actor: &Actor, code: &str) -> Result<i64> {
    crate::course::spec::list(app, actor, &Default::default())
        .await?
        .into_iter()
        .find(|s| s.code == code)
        .map(|s| s.id)
        .ok_or_else(|| Error::Internal(format!("demo spec {code}")))
}

/// The institution's courses, its courses and teachers admitted to the city's libraries,
/// and the city's rules.
pub(super) async fn ensure_library(app: &App, city: &org::Model, o: &org::Model) -> Result<usize> {
    let has = course::Entity::find()
        .filter(course::Column::OwnerOrgId.eq(o.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let since = app.now();
    let admin = acting_for(o, "institution_admin");
    let reviewer = match expert(app, city).await? {
        Some(a) => a,
        None => acting_for(city, "expert_reviewer"),
    };
    for c in INSTITUTION_COURSES {
        let created = catalog::create(
            app,
            &admin,
            CourseInput {
                name: Some(c.name.into()),
                category: None,
                spec_id: Some(spec_id(app, &admin, c.spec).await?),
                intro: Some(c.intro.into()),
                grades: Some(c.grades.to_vec()),
                class_size_min: Some(c.size.0),
                class_size_max: Some(c.size.1),
                lesson_count: Some(c.lessons),
                lesson_minutes: Some(60),
                chapters: Some(
                    c.chapters
                        .iter()
                        .enumerate()
                        .map(|(i, n)| Chapter {
                            number: i as i32 + 1,
                            name: (*n).into(),
                        })
                        .collect(),
                ),
                materials: Some(
                    c.materials
                        .iter()
                        .map(|(n, d, q)| Material {
                            name: (*n).into(),
                            description: (*d).into(),
                            quantity: *q,
                        })
                        .collect(),
                ),
                active: None,
            },
        )
        .await?;
        catalog::add_files(
            app,
            &admin,
            created.id,
            vec![crate::institution::UploadedFile {
                kind: "picture".into(),
                file_name: c.picture.0.into(),
                bytes: c.picture.1.to_vec(),
            }],
        )
        .await?;
        admit(app, &admin, &reviewer, city, Kind::Course, created.id).await?;
    }
    for t in crate::institution::teacher::list(app, &admin, o.id).await? {
        admit(app, &admin, &reviewer, city, Kind::Teacher, t.id).await?;
    }
    let mut leader = acting_for(city, "bureau_leader");
    leader.permissions.insert(Permission::CoursePolicy.code());
    policy::set(
        app,
        &leader,
        Policy {
            only_admitted: true,
            needs_approval: true,
        },
    )
    .await?;
    forget_course_messages(app, since).await?;
    Ok(INSTITUTION_COURSES.len())
}

/// The loading's own requests and decisions were answered at once: their messages would
/// only bury the demo's people's real ones.
async fn forget_course_messages(app: &App, since: chrono::DateTime<chrono::Utc>) -> Result<()> {
    use kehou_store::entity::platform::message;
    message::Entity::delete_many()
        .filter(message::Column::Kind.eq("course"))
        .filter(message::Column::CreatedAt.gte(since))
        .exec(&app.db)
        .await?;
    Ok(())
}

/// The demo's expert reviewer 高远 acting at the city bureau.
async fn expert(app: &App, city: &org::Model) -> Result<Option<Actor>> {
    let phone = Phone::parse("13800000030").map_err(Error::Internal)?;
    let Some(u) = crate::identity::account::find_by_phone(app, &app.db, &phone).await? else {
        return Ok(None);
    };
    crate::identity::auth::actor_in(&app.db, &u, city.id).await
}

async fn admit(
    app: &App,
    owner: &Actor,
    reviewer: &Actor,
    city: &org::Model,
    kind: Kind,
    id: i64,
) -> Result<()> {
    let entry = library::submit(app, owner, Some(kind), Some(id), Some(city.id)).await?;
    library::decide(app, reviewer, entry.id, Some(LibraryAction::Admit), None).await?;
    Ok(())
}

/// A school's own courses, its offering of the current term (with the institution's
/// courses where its teachers are dispatched), approved by the city and published; and
/// last term's offering as history.
pub(super) async fn ensure_offering(
    app: &App,
    city: &org::Model,
    school: &org::Model,
) -> Result<usize> {
    let has = course::Entity::find()
        .filter(course::Column::OwnerOrgId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let since = app.now();
    let admin = acting_for(school, "school_admin");
    let staff = crate::school::staff::active_staff(&app.db, school.id).await?;
    let terms = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .order_by_asc(term::Column::StartDate)
        .all(&app.db)
        .await?;
    let (Some(last), Some(current)) = (terms.first(), terms.last()) else {
        return Ok(0);
    };
    let grades = if school.name.contains("中学") {
        vec![7, 8, 9]
    } else {
        vec![1, 2, 3, 4, 5, 6]
    };
    let mut items = Vec::new();
    for (i, (name, spec, care, parts, textbook)) in OWN_COURSES.iter().enumerate() {
        let sid = spec_id(app, &admin, spec).await?;
        let s = crate::course::spec::get(app, &admin, sid).await?;
        let c = catalog::create(
            app,
            &admin,
            CourseInput {
                name: Some((*name).into()),
                category: None,
                spec_id: Some(sid),
                intro: Some(format!("{}开设的{name}。", school.name)),
                grades: Some(grades.clone()),
                class_size_min: Some(s.class_size_min),
                class_size_max: Some(s.class_size_max),
                lesson_count: Some(if care.is_some() { 90 } else { 16 }),
                lesson_minutes: Some(if care.is_some() { 90 } else { 60 }),
                chapters: None,
                materials: None,
                active: None,
            },
        )
        .await?;
        if *name == "篮球" {
            catalog::add_files(
                app,
                &admin,
                c.id,
                vec![crate::institution::UploadedFile {
                    kind: "picture".into(),
                    file_name: "篮球.png".into(),
                    bytes: include_bytes!("demo_pictures/basketball.png").to_vec(),
                }],
            )
            .await?;
        }
        let teacher = staff.get(i % staff.len().max(1)).map(|(id, _)| *id);
        items.push(ItemInput {
            course_id: Some(c.id),
            textbook_fee_fen: Some(*textbook),
            misc_fee_fen: Some(if care.is_some() { 5000 } else { 0 }),
            capacity: Some(s.class_size_max * 2),
            staff_ids: Some(teacher.into_iter().collect()),
            care_time: care.map(String::from),
            care_days: care.map(|_| vec![1, 2, 3, 4, 5]),
            parts: Some(parts.iter().map(|p| p.to_string()).collect()),
            ..Default::default()
        });
    }
    let current_open = current.end_date >= app.today();
    // 示例第一小学 offers the art centre's courses; 示例第二小学 the first of them, by the
    // teacher who also teaches at the first school.
    let institution_courses = match school.name.as_str() {
        SCHOOL_1 => usize::MAX,
        SCHOOL_2 => 1,
        _ => 0,
    };
    if current_open && institution_courses > 0 {
        for choice in offering::choices(app, &admin, school.id)
            .await?
            .into_iter()
            .filter(|c| c.institution)
            .take(institution_courses)
        {
            let teachers =
                offering::teacher_choices(app, &admin, school.id, current.id, choice.course_id)
                    .await?;
            if let Some((tid, _)) = teachers.into_iter().next() {
                items.push(ItemInput {
                    course_id: Some(choice.course_id),
                    teacher_ids: Some(vec![tid]),
                    textbook_fee_fen: Some(if choice.name.contains("国画") {
                        6000
                    } else {
                        0
                    }),
                    ..Default::default()
                });
            }
        }
    }
    if current_open {
        for item in items {
            offering::add_item(app, &admin, school.id, current.id, item).await?;
        }
        offering::school_action(
            app,
            &admin,
            school.id,
            current.id,
            Some(OfferingAction::Submit),
        )
        .await?;
        let mut approver = acting_for(city, "bureau_leader");
        approver
            .permissions
            .insert(Permission::OfferingApprove.code());
        offering::decide(
            app,
            &approver,
            school.id,
            current.id,
            Decision {
                action: Some("approve".into()),
                reason: None,
                refused: Vec::new(),
            },
        )
        .await?;
        offering::school_action(
            app,
            &admin,
            school.id,
            current.id,
            Some(OfferingAction::Publish),
        )
        .await?;
        if last.id != current.id {
            keep_as_history(app, current.id, last).await?;
        }
        ensure_plan(app, &admin, school, current.id).await?;
        forget_course_messages(app, since).await?;
    }
    Ok(OWN_COURSES.len())
}

/// A whole-school course plan of the term, enabled: each offered course for its lowest
/// grade, two classes of a care service, one of anything else.
async fn ensure_plan(app: &App, admin: &Actor, school: &org::Model, term_id: i64) -> Result<()> {
    use crate::course::plan::{self, LineInput, PlanInput};
    let p = plan::create(
        app,
        admin,
        school.id,
        term_id,
        PlanInput {
            name: Some("本学期全校课程方案".into()),
            grade: None,
            mode: Some("schedule_first".into()),
            enabled: Some(true),
        },
    )
    .await?;
    let offered = offering::get(app, admin, school.id, term_id).await?;
    for item in offered.items {
        let Some(grade) = item.grades.first().copied() else {
            continue;
        };
        let care = item.care_time.is_some();
        plan::set_line(
            app,
            admin,
            school.id,
            term_id,
            p.id,
            LineInput {
                item_id: Some(item.id),
                grade: Some(grade),
                classes: Some(if care { 2 } else { 1 }),
                class_size: Some(
                    item.capacity.min(plan::CLASS_SIZE_MAX) / if care { 2 } else { 1 },
                ),
                weekly_lessons: Some(if care { 5 } else { 1 }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Last term's offering, as it was published then: the current one's own courses at last
/// term's prices (the use cases refuse to write into a term that has ended).
async fn keep_as_history(app: &App, from_term: i64, last: &term::Model) -> Result<()> {
    let Some(from) = offering_row::Entity::find()
        .filter(offering_row::Column::TermId.eq(from_term))
        .one(&app.db)
        .await?
    else {
        return Ok(());
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let at = last
        .start_date
        .and_hms_opt(9, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_else(|| app.now());
    let o = offering_row::ActiveModel {
        school_id: Set(from.school_id),
        term_id: Set(last.id),
        status: Set("published".into()),
        reason: Set(None),
        submitted_at: Set(Some(at)),
        decided_at: Set(Some(at)),
        decided_by: Set(Some("演示数据".into())),
        published_at: Set(Some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let items = offering_item::Entity::find()
        .filter(offering_item::Column::OfferingId.eq(from.id))
        .filter(offering_item::Column::InstitutionId.is_null())
        .all(&txn)
        .await?;
    for i in items {
        let price = crate::course::spec::price_for_term(&txn, i.spec_id, last.start_date)
            .await?
            .map_or(i.price_fen, |f| f.fen());
        let copy = offering_item::ActiveModel {
            offering_id: Set(o.id),
            course_id: Set(i.course_id),
            name: Set(i.name.clone()),
            category: Set(i.category.clone()),
            institution_id: Set(None),
            spec_id: Set(i.spec_id),
            price_fen: Set(price),
            price_unit: Set(i.price_unit.clone()),
            textbook_fee_fen: Set(i.textbook_fee_fen),
            misc_fee_fen: Set(i.misc_fee_fen),
            grades: Set(i.grades.clone()),
            capacity: Set(i.capacity),
            care_time: Set(i.care_time.clone()),
            care_days: Set(i.care_days.clone()),
            status: Set("approved".into()),
            reason: Set(None),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for t in offering_teacher::Entity::find()
            .filter(offering_teacher::Column::ItemId.eq(i.id))
            .all(&txn)
            .await?
        {
            offering_teacher::ActiveModel {
                item_id: Set(copy.id),
                staff_id: Set(t.staff_id),
                institution_teacher_id: Set(None),
                name: Set(t.name),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        for p in offering_part::Entity::find()
            .filter(offering_part::Column::ItemId.eq(i.id))
            .all(&txn)
            .await?
        {
            offering_part::ActiveModel {
                item_id: Set(copy.id),
                position: Set(p.position),
                name: Set(p.name),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
