//! The demo's enrollment at 示例第一小学: the current term open for enrollment (and for
//! drops), at most six courses a student, unpaid orders held for a day, the notice
//! published and signed by 周杰 for his child; his child with an order waiting for
//! payment; 钢琴启蒙班 full, with a student on its waitlist. At 示例第二小学, 少儿国画班 went
//! through pre-registration: twenty students ranked it first and 科学实验班 second, the
//! seed was published, the draw run and its report published.

use kehou_domain::enrollment::{WaitStatus, WindowKind};
use kehou_store::entity::enrollment::{waitlist, window};
use kehou_store::entity::org;
use kehou_store::entity::school::{admin_class, guardian, student, term};
use kehou_store::entity::teaching::class;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::demo_courses::acting_for;
use crate::enrollment::select::{Source, Target, Wanted, place};
use crate::platform::audit::By;
use crate::{App, Result};

const FULL_CLASS: &str = "钢琴启蒙班";
const CHILD_COURSE: &str = "篮球班";
const CHILD_FREE_COURSE: &str = "合唱班";

pub(super) async fn ensure(app: &App, school: &org::Model) -> Result<usize> {
    let Some(current) = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .order_by_desc(term::Column::StartDate)
        .one(&app.db)
        .await?
        .filter(|t| t.end_date >= app.today())
    else {
        return Ok(0);
    };
    let has = window::Entity::find()
        .filter(window::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let admin = acting_for(school, "school_admin");
    let now = app.now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&crate::platform::clock::china())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    crate::enrollment::settings::set_rules(
        app,
        &admin,
        school.id,
        current.id,
        crate::enrollment::settings::RulesInput {
            max_courses: Some(6),
            hold_minutes: Some(1440),
        },
    )
    .await?;
    for (kind, days) in [(WindowKind::Open, 14), (WindowKind::Drop, 30)] {
        crate::enrollment::settings::add_window(
            app,
            &admin,
            school.id,
            current.id,
            crate::enrollment::settings::WindowInput {
                kind: Some(kind.code().into()),
                grade: None,
                opens_at: Some(fmt(now - chrono::Duration::days(1))),
                closes_at: Some(fmt(now + chrono::Duration::days(days))),
            },
        )
        .await?;
    }
    let notice = crate::enrollment::notice::publish(
        app,
        &admin,
        school.id,
        current.id,
        crate::enrollment::notice::NoticeInput {
            title: Some("课后服务报名须知".into()),
            body: Some(
                "一、课后服务遵循家长自愿原则，报名前请与孩子充分沟通。\n\
                 二、付费课程请在名额保留时间内完成支付，逾期名额自动释放。\n\
                 三、退课请在退课时间内申请，已上课时按课程退费规则结算。\n\
                 四、请按时接送孩子；请假请提前在平台提交。"
                    .into(),
            ),
        },
    )
    .await?;
    let classes = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school.id))
        .filter(class::Column::TermId.eq(current.id))
        .all(&app.db)
        .await?;
    let by = By::system();
    let mut made = 1;
    // 周杰 signs the notice for his child, and chooses basketball: an order to pay.
    if let Some(parent) = super::demo_teaching::user_id(app, "13800000007").await?
        && let Some(child) = children_at(app, parent, school.id)
            .await?
            .into_iter()
            .next()
    {
        let parent_actor = crate::Actor {
            user_id: parent,
            user_name: "周杰".into(),
            ..acting_for(school, "parent")
        };
        crate::enrollment::notice::sign(
            app,
            &parent_actor,
            crate::enrollment::notice::SignInput {
                student_id: Some(child.id),
                notice_id: Some(notice.id),
            },
        )
        .await?;
        // Basketball is paid: its order waits. The choir is free: confirmed at once.
        let items: Vec<_> = [CHILD_COURSE, CHILD_FREE_COURSE]
            .iter()
            .filter_map(|name| classes.iter().find(|k| k.name == *name))
            .map(|k| crate::enrollment::select::ItemInput {
                teaching_class_id: Some(k.id),
                offering_item_id: None,
                optional_fees: None,
            })
            .collect();
        let r = crate::enrollment::select::enroll(
            app,
            &parent_actor,
            crate::enrollment::select::EnrollInput {
                student_id: Some(child.id),
                items: Some(items),
            },
        )
        .await?;
        if let Some(refused) = r.items.iter().find(|i| i.outcome != "accepted") {
            return Err(crate::Error::Internal(format!(
                "demo enrollment refused: {:?}",
                refused.message
            )));
        }
        made += r.accepted;
    }
    // The piano class fills up through school selections; one more student waits.
    if let Some(k) = classes.iter().find(|k| k.name == FULL_CLASS) {
        let grades: Vec<i64> = admin_class::Entity::find()
            .filter(admin_class::Column::SchoolId.eq(school.id))
            .all(&app.db)
            .await?
            .into_iter()
            .filter(|c| (k.grade_from..=k.grade_to).contains(&i32::from(c.grade)))
            .map(|c| c.id)
            .collect();
        let students = student::Entity::find()
            .filter(student::Column::SchoolId.eq(school.id))
            .filter(student::Column::ClassId.is_in(grades))
            .order_by_desc(student::Column::StudentNo)
            .all(&app.db)
            .await?;
        let wanted = [Wanted {
            target: Target::Class(k.id),
            textbook: false,
            misc: false,
        }];
        for s in students {
            let r = place(app, s.clone(), &wanted, Source::School, &by, None).await?;
            made += r.accepted;
            if r.items.first().and_then(|i| i.reason) == Some("full") {
                waitlist::ActiveModel {
                    school_id: Set(school.id),
                    term_id: Set(current.id),
                    class_id: Set(k.id),
                    student_id: Set(s.id),
                    user_id: Set(None),
                    status: Set(WaitStatus::Waiting.code().into()),
                    enrollment_id: Set(None),
                    note: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&app.db)
                .await?;
                made += 1;
                break;
            }
        }
    }
    Ok(made)
}

const DRAWN_CLASS: &str = "少儿国画班";
const SECOND_CHOICE: &str = "科学实验班";
const APPLICANTS: usize = 20;

/// 示例第二小学's pre-registration for 少儿国画班, closed, drawn and published.
pub(super) async fn ensure_draw(app: &App, school: &org::Model) -> Result<usize> {
    use kehou_store::entity::enrollment::preference;
    let Some(current) = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .order_by_desc(term::Column::StartDate)
        .one(&app.db)
        .await?
        .filter(|t| t.end_date >= app.today())
    else {
        return Ok(0);
    };
    let has = window::Entity::find()
        .filter(window::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let classes = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school.id))
        .filter(class::Column::TermId.eq(current.id))
        .all(&app.db)
        .await?;
    let (Some(first), Some(second)) = (
        classes.iter().find(|k| k.name == DRAWN_CLASS),
        classes.iter().find(|k| k.name == SECOND_CHOICE),
    ) else {
        return Ok(0);
    };
    let now = app.now();
    let admin = acting_for(school, "school_admin");
    window::ActiveModel {
        school_id: Set(school.id),
        term_id: Set(current.id),
        kind: Set(WindowKind::PreRegistration.code().into()),
        grade: Set(None),
        opens_at: Set(now - chrono::Duration::days(7)),
        closes_at: Set(now - chrono::Duration::hours(1)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    let inside =
        crate::teaching::class::member_ids(&app.db, school.id, current.id, first.id).await?;
    let grades: Vec<i64> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .all(&app.db)
        .await?
        .into_iter()
        .filter(|c| (first.grade_from..=first.grade_to).contains(&i32::from(c.grade)))
        .map(|c| c.id)
        .collect();
    let applicants: Vec<student::Model> = student::Entity::find()
        .filter(student::Column::SchoolId.eq(school.id))
        .filter(student::Column::ClassId.is_in(grades))
        .order_by_asc(student::Column::StudentNo)
        .all(&app.db)
        .await?
        .into_iter()
        .filter(|s| !inside.contains(&s.id))
        .take(APPLICANTS)
        .collect();
    let txn = kehou_store::begin_write(&app.db).await?;
    for s in &applicants {
        for (rank, class_id) in [(1, first.id), (2, second.id)] {
            preference::ActiveModel {
                school_id: Set(school.id),
                term_id: Set(current.id),
                student_id: Set(s.id),
                slot_no: Set(1),
                rank: Set(rank),
                class_id: Set(class_id),
                user_id: Set(None),
                created_at: Set(now - chrono::Duration::days(3)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    use crate::enrollment::lottery;
    lottery::publish_seed(
        app,
        &admin,
        school.id,
        current.id,
        lottery::SeedInput {
            seed: Some(format!(
                "{}-{}-{}",
                school.name, current.school_year, current.name
            )),
        },
    )
    .await?;
    lottery::run_draw(app, &admin, school.id, current.id).await?;
    lottery::publish_report(app, &admin, school.id, current.id).await?;
    Ok(applicants.len())
}

async fn children_at(app: &App, parent: i64, school_id: i64) -> Result<Vec<student::Model>> {
    let ids: Vec<i64> = guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(parent))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|g| g.student_id)
        .collect();
    Ok(student::Entity::find()
        .filter(student::Column::Id.is_in(ids))
        .filter(student::Column::SchoolId.eq(school_id))
        .all(&app.db)
        .await?)
}
