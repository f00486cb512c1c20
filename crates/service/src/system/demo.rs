//! The demo data set loaded by `kehou demo`. Loading is idempotent: what exists is found
//! by its natural key (parent + name, phone) and left as it is.

use chrono::{NaiveDate, NaiveTime};
use kehou_domain::org::OrgType;
use kehou_domain::school::{Nature, SchoolType};
use kehou_domain::{BureauLevel, OrgKind, Password, Phone};
use kehou_store::entity::identity::{membership, role};
use kehou_store::entity::org;
use kehou_store::entity::school::{
    admin_class, period, room, school_profile, school_unit, term, term_day,
};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use crate::identity::account::insert_user;
use crate::identity::auth::hash_password;
use crate::platform::audit::{self, By, Change};
use crate::{App, Error, Result};

pub const DEMO_PASSWORD: &str = "Demo@2026";

pub const CITY_BUREAU: &str = "示例市教育和体育局";
pub const SHIQI: &str = "石岐街道";
pub const EAST: &str = "东区街道";
pub const SCHOOL_1: &str = "示例第一小学";
pub const SCHOOL_2: &str = "示例第二小学";
pub const MIDDLE_SCHOOL: &str = "示例实验中学";
pub const INSTITUTION: &str = "示例艺术培训中心";

/// One demo account: phone, name, and the (organization, preset role) pairs it holds.
pub struct DemoAccount {
    pub phone: &'static str,
    pub name: &'static str,
    pub memberships: &'static [(&'static str, &'static str)],
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        phone: "13800000001",
        name: "王建国",
        memberships: &[(crate::org::PLATFORM_NAME, "platform_admin")],
    },
    DemoAccount {
        phone: "13800000002",
        name: "李明",
        memberships: &[(CITY_BUREAU, "bureau_leader")],
    },
    DemoAccount {
        phone: "13800000003",
        name: "陈红",
        memberships: &[(SHIQI, "bureau_officer")],
    },
    DemoAccount {
        phone: "13800000004",
        name: "刘芳",
        memberships: &[(SCHOOL_1, "school_admin")],
    },
    DemoAccount {
        phone: "13800000005",
        name: "黄磊",
        memberships: &[(SCHOOL_2, "school_admin")],
    },
    DemoAccount {
        phone: "13800000006",
        name: "赵敏",
        memberships: &[(SCHOOL_1, "teacher")],
    },
    DemoAccount {
        phone: "13800000007",
        name: "周杰",
        memberships: &[(SCHOOL_1, "parent")],
    },
    DemoAccount {
        phone: "13800000008",
        name: "吴婷",
        memberships: &[(INSTITUTION, "institution_admin")],
    },
    DemoAccount {
        phone: "13800000009",
        name: "孙伟",
        memberships: &[(SCHOOL_1, "patrol_teacher")],
    },
    DemoAccount {
        phone: "13800000010",
        name: "郑丽",
        memberships: &[(SCHOOL_1, "head_teacher"), (SCHOOL_1, "teacher")],
    },
    DemoAccount {
        phone: "13800000030",
        name: "高远",
        memberships: &[(CITY_BUREAU, "expert_reviewer")],
    },
    DemoAccount {
        phone: "13800000020",
        name: "林涛",
        memberships: &[(APPLYING_INSTITUTION, "institution_admin")],
    },
];

/// One demo organization, created under its parent (by name).
struct DemoOrg {
    name: &'static str,
    parent: &'static str,
    kind: OrgKind,
    level: Option<BureauLevel>,
    region: Option<&'static str>,
}

/// Organizations in creation order.
const DEMO_ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: CITY_BUREAU,
        parent: crate::org::PLATFORM_NAME,
        kind: OrgKind::Bureau,
        level: Some(BureauLevel::City),
        region: Some("442000"),
    },
    DemoOrg {
        name: SHIQI,
        parent: CITY_BUREAU,
        kind: OrgKind::Bureau,
        level: Some(BureauLevel::Street),
        region: Some("442000001"),
    },
    DemoOrg {
        name: EAST,
        parent: CITY_BUREAU,
        kind: OrgKind::Bureau,
        level: Some(BureauLevel::Street),
        region: Some("442000002"),
    },
    DemoOrg {
        name: SCHOOL_1,
        parent: SHIQI,
        kind: OrgKind::School,
        level: None,
        region: Some("442000001"),
    },
    DemoOrg {
        name: SCHOOL_2,
        parent: SHIQI,
        kind: OrgKind::School,
        level: None,
        region: Some("442000001"),
    },
    DemoOrg {
        name: MIDDLE_SCHOOL,
        parent: EAST,
        kind: OrgKind::School,
        level: None,
        region: Some("442000002"),
    },
    DemoOrg {
        name: INSTITUTION,
        parent: CITY_BUREAU,
        kind: OrgKind::Institution,
        level: None,
        region: Some("442000"),
    },
    DemoOrg {
        name: APPLYING_INSTITUTION,
        parent: SHIQI,
        kind: OrgKind::Institution,
        level: None,
        region: Some("442000001"),
    },
];

/// An institution whose application waits for the street office's review.
pub const APPLYING_INSTITUTION: &str = "示例科创教育中心";

/// Loads the demo data set; returns how many rows it created (0 on a second run).
pub async fn load(app: &App) -> Result<usize> {
    let root = crate::org::ensure_platform_root(app).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let mut created = 0;
    let mut orgs = std::collections::HashMap::new();
    orgs.insert(root.name.clone(), root);
    for demo in DEMO_ORGS {
        let parent = orgs
            .get(demo.parent)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("demo parent {}", demo.parent)))?;
        let org_type = OrgType {
            kind: demo.kind,
            level: demo.level,
        };
        let (o, new) = ensure_org(app, &txn, &parent, demo.name, org_type, demo.region).await?;
        created += usize::from(new);
        orgs.insert(demo.name.to_string(), o);
    }
    let hash = hash_password(&Password::parse(DEMO_PASSWORD).map_err(Error::Internal)?)?;
    for account in DEMO_ACCOUNTS {
        let now = app.now();
        let phone = Phone::parse(account.phone).map_err(Error::Internal)?;
        let u = match crate::identity::account::find_by_phone(app, &txn, &phone).await? {
            Some(u) => u,
            None => {
                created += 1;
                insert_user(
                    app,
                    &txn,
                    &phone,
                    account.name.into(),
                    hash.clone(),
                    false,
                    now,
                )
                .await?
            }
        };
        for (org_name, role_code) in account.memberships {
            let o = orgs
                .get(*org_name)
                .ok_or_else(|| Error::Internal(format!("demo org {org_name}")))?;
            let r = role::Entity::find()
                .filter(role::Column::Code.eq(*role_code))
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("预置角色"))?;
            let exists = membership::Entity::find()
                .filter(membership::Column::UserId.eq(u.id))
                .filter(membership::Column::OrgId.eq(o.id))
                .filter(membership::Column::RoleId.eq(r.id))
                .one(&txn)
                .await?
                .is_some();
            if !exists {
                created += 1;
                membership::ActiveModel {
                    user_id: Set(u.id),
                    org_id: Set(o.id),
                    role_id: Set(r.id),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                audit::record(
                    &txn,
                    now,
                    &By::system(),
                    Change {
                        org_id: Some(o.id),
                        org_path: &o.path,
                        action: "membership.create",
                        entity_type: "user",
                        entity_id: Some(u.id),
                        summary: format!("演示数据：{} 为 {}·{}", u.name, o.name, r.name),
                    },
                )
                .await?;
            }
        }
    }
    let head_teacher = crate::identity::account::find_by_phone(
        app,
        &txn,
        &Phone::parse("13800000010").map_err(Error::Internal)?,
    )
    .await?
    .map(|u| u.id);
    for (name, school_type, classes_per_grade) in [
        (SCHOOL_1, SchoolType::Primary, 3),
        (SCHOOL_2, SchoolType::Primary, 2),
        (MIDDLE_SCHOOL, SchoolType::Junior, 4),
    ] {
        if let Some(school) = orgs.get(name) {
            created += ensure_school_setup(app, &txn, school).await?;
            // 郑丽 heads 三年级(2)班 of the first primary school.
            let head = if name == SCHOOL_1 { head_teacher } else { None };
            created +=
                ensure_classes(app, &txn, school, school_type, classes_per_grade, head).await?;
        }
    }
    txn.commit().await?;
    for (i, name) in [SCHOOL_1, SCHOOL_2, MIDDLE_SCHOOL].into_iter().enumerate() {
        if let Some(school) = orgs.get(name) {
            created += ensure_staff(app, school, i).await?;
            created += ensure_students(app, school, i).await?;
        }
    }
    if created > 0 {
        demo_passwords(app, &hash).await?;
    }
    if let Some(school) = orgs.get(SCHOOL_2) {
        ensure_invitation(app, school).await?;
    }
    if let Some(bureau) = orgs.get(SHIQI) {
        created += ensure_departments(app, bureau).await?;
    }
    if let Some(city) = orgs.get(CITY_BUREAU) {
        created += ensure_course_specs(app, city).await?;
    }
    for (name, admitted, code, phone) in [
        (INSTITUTION, true, "52442000MJ0000001", "13800000008"),
        (
            APPLYING_INSTITUTION,
            false,
            "91442000MA0000002",
            "13800000011",
        ),
    ] {
        if let Some(o) = orgs.get(name) {
            created += ensure_institution(app, o, admitted, code, phone).await?;
        }
    }
    // Teachers and their dispatches need the institution admitted first.
    if let Some(o) = orgs.get(INSTITUTION) {
        created += ensure_institution_teachers(app, o).await?;
    }
    if let (Some(city), Some(o)) = (orgs.get(CITY_BUREAU), orgs.get(INSTITUTION)) {
        created += super::demo_courses::ensure_library(app, city, o).await?;
    }
    for name in [SCHOOL_1, SCHOOL_2, MIDDLE_SCHOOL] {
        if let (Some(city), Some(school)) = (orgs.get(CITY_BUREAU), orgs.get(name)) {
            created += super::demo_courses::ensure_offering(app, city, school).await?;
        }
    }
    for name in [SCHOOL_1, SCHOOL_2, MIDDLE_SCHOOL] {
        if let Some(school) = orgs.get(name) {
            created += super::demo_teaching::ensure_classes(app, school).await?;
        }
    }
    for name in [SCHOOL_1, SCHOOL_2, MIDDLE_SCHOOL] {
        if let Some(school) = orgs.get(name) {
            created += super::demo_billing::ensure_account(app, school).await?;
        }
    }
    if let Some(school) = orgs.get(SCHOOL_1) {
        created += super::demo_enrollment::ensure(app, school).await?;
        created += super::demo_billing::ensure_payments(app, school).await?;
        created += super::demo_attendance::ensure(app, school).await?;
        created += super::demo_patrol::ensure(app, school).await?;
    }
    if let Some(school) = orgs.get(SCHOOL_2) {
        created += super::demo_enrollment::ensure_draw(app, school).await?;
    }
    ensure_welcome(app).await?;
    Ok(created)
}

/// The departments (科室) of the street's education office, the officer in all: one for
/// the schools' after-school services, one for accounts and organizations, one for
/// institutions.
const DEMO_DEPARTMENTS: &[(&str, &str)] = &[
    (
        "基础教育科",
        "org.view,user.view,role.view,audit.view,school.view,student.view_all,billing.view,attendance.view",
    ),
    (
        "综合办公室",
        "org.view,org.manage,user.view,user.manage,role.view,audit.view",
    ),
    ("民办教育科", "org.view,institution.view,institution.review"),
    ("课程审批科", "org.view,school.view,offering.approve"),
];

async fn ensure_departments(app: &App, bureau: &org::Model) -> Result<usize> {
    use kehou_store::entity::identity::{bureau_department, membership_department};
    let has = bureau_department::Entity::find()
        .filter(bureau_department::Column::OrgId.eq(bureau.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let officer = crate::identity::account::find_by_phone(
        app,
        &app.db,
        &Phone::parse("13800000003").map_err(Error::Internal)?,
    )
    .await?;
    let officer_membership = match officer {
        Some(u) => {
            membership::Entity::find()
                .filter(membership::Column::UserId.eq(u.id))
                .filter(membership::Column::OrgId.eq(bureau.id))
                .one(&app.db)
                .await?
        }
        None => None,
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let now = app.now();
    for (name, permissions) in DEMO_DEPARTMENTS {
        let d = bureau_department::ActiveModel {
            org_id: Set(bureau.id),
            name: Set((*name).into()),
            permissions: Set((*permissions).into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(m) = &officer_membership {
            membership_department::ActiveModel {
                membership_id: Set(m.id),
                department_id: Set(d.id),
            }
            .insert(&txn)
            .await?;
        }
        audit::record(
            &txn,
            now,
            &By::system(),
            Change {
                org_id: Some(bureau.id),
                org_path: &bureau.path,
                action: "department.create",
                entity_type: "department",
                entity_id: Some(d.id),
                summary: format!("演示数据：{} 新增科室“{name}”", bureau.name),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(DEMO_DEPARTMENTS.len())
}

/// Every generated account (staff and guardians made by the demo's imports) logs in with
/// [`DEMO_PASSWORD`], without the forced change real imported accounts get.
async fn demo_passwords(app: &App, hash: &str) -> Result<()> {
    use kehou_store::entity::identity::user;
    use kehou_store::entity::school::{guardian, staff};
    use kehou_store::sea_orm::QuerySelect;
    let mut ids: Vec<i64> = staff::Entity::find()
        .select_only()
        .column(staff::Column::UserId)
        .into_tuple()
        .all(&app.db)
        .await?;
    ids.extend(
        guardian::Entity::find()
            .select_only()
            .column(guardian::Column::UserId)
            .into_tuple::<i64>()
            .all(&app.db)
            .await?,
    );
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                kehou_store::sea_orm::sea_query::Expr::value(hash),
            )
            .col_expr(
                user::Column::MustChangePassword,
                kehou_store::sea_orm::sea_query::Expr::value(false),
            )
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .exec(&app.db)
            .await?;
    }
    Ok(())
}

/// 黄磊 of the second primary school invites 赵敏, a teacher of the first, to teach there
/// too: her account belongs to another school, so she finds the invitation in her messages.
async fn ensure_invitation(app: &App, school: &org::Model) -> Result<()> {
    use kehou_store::entity::identity::membership_offer;
    let find = |phone: &'static str| async move {
        let phone = Phone::parse(phone).map_err(Error::Internal)?;
        crate::identity::account::find_by_phone(app, &app.db, &phone).await
    };
    let (Some(admin), Some(teacher)) = (find("13800000005").await?, find("13800000006").await?)
    else {
        return Ok(());
    };
    let offered = membership_offer::Entity::find()
        .filter(membership_offer::Column::UserId.eq(teacher.id))
        .filter(membership_offer::Column::OrgId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    let Some(m) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(admin.id))
        .filter(membership::Column::OrgId.eq(school.id))
        .one(&app.db)
        .await?
    else {
        return Ok(());
    };
    if offered {
        return Ok(());
    }
    let Some(actor) =
        crate::identity::auth::actor_of_membership(&app.db, admin.id, m.id, None).await?
    else {
        return Ok(());
    };
    let teacher_role = role::Entity::find()
        .filter(role::Column::Code.eq("teacher"))
        .one(&app.db)
        .await?
        .ok_or_else(|| Error::Internal("preset role teacher".into()))?;
    crate::school::staff::create_staff(
        app,
        &actor,
        school.id,
        crate::school::staff::StaffInput {
            name: Some("赵敏".into()),
            phone: Some("13800000006".into()),
            gender: Some("女".into()),
            subjects: Some("书法".into()),
            role_ids: vec![teacher_role.id],
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// The demo parent finds a first message in the message centre.
async fn ensure_welcome(app: &App) -> Result<()> {
    use kehou_store::entity::platform::message;
    let phone = Phone::parse("13800000007").map_err(Error::Internal)?;
    let Some(parent) = crate::identity::account::find_by_phone(app, &app.db, &phone).await? else {
        return Ok(());
    };
    let has_messages = message::Entity::find()
        .filter(message::Column::UserId.eq(parent.id))
        .filter(message::Column::Kind.eq("system"))
        .one(&app.db)
        .await?
        .is_some();
    if has_messages {
        return Ok(());
    }
    crate::platform::messages::send(
        &app.db,
        parent.id,
        crate::platform::messages::NewMessage {
            kind: "system",
            title: "欢迎使用课后服务管理平台".into(),
            body: "您可以在首页查看孩子的学校和班级。选课、缴费、考勤和请假等通知都会发送到这里。"
                .into(),
            link: Some("/".into()),
        },
        app.now(),
    )
    .await?;
    Ok(())
}

/// Runs an import of generated rows as the system; the demo's rows are all valid.
async fn import_rows(
    app: &App,
    kind: crate::import::Kind,
    school: &org::Model,
    rows: Vec<Vec<String>>,
) -> Result<usize> {
    use crate::import::{Kind, Mode, Progress, Runner};
    let rows: Vec<crate::platform::sheet::Row> = rows
        .into_iter()
        .enumerate()
        .map(|(i, cells)| crate::platform::sheet::Row {
            number: u32::try_from(i + 2).unwrap_or(u32::MAX),
            cells,
        })
        .collect();
    let (runner, mode, progress) = (Runner::System, Mode::AllOrNothing, Progress::default());
    let outcome = match kind {
        Kind::Students => {
            crate::school::student_import::import(app, &runner, school, rows, mode, &progress)
                .await?
        }
        _ => crate::school::staff::import(app, &runner, school, rows, mode, &progress).await?,
    };
    if let Some(e) = outcome.errors.first() {
        return Err(Error::Internal(format!(
            "demo {} row {} {}: {}",
            kind.code(),
            e.row,
            e.column,
            e.reason
        )));
    }
    Ok(outcome.created)
}

/// The demo staff of a school: its demo accounts and a dozen generated teachers.
async fn ensure_staff(app: &App, school: &org::Model, index: usize) -> Result<usize> {
    use kehou_store::sea_orm::PaginatorTrait;
    let has_staff = kehou_store::entity::school::staff::Entity::find()
        .filter(kehou_store::entity::school::staff::Column::SchoolId.eq(school.id))
        .count(&app.db)
        .await?
        > 0;
    if has_staff {
        return Ok(0);
    }
    let row = |name: &str, phone: &str, gender: &str, roles: &str, subject: &str, dept: &str| {
        vec![
            name.to_string(),
            phone.to_string(),
            gender.to_string(),
            roles.to_string(),
            subject.to_string(),
            if subject.is_empty() {
                ""
            } else {
                "一级教师"
            }
            .to_string(),
            String::new(),
            dept.to_string(),
            String::new(),
        ]
    };
    let mut rows = Vec::new();
    match school.name.as_str() {
        SCHOOL_1 => {
            rows.push(row(
                "刘芳",
                "13800000004",
                "女",
                "学校课后服务管理员",
                "",
                "",
            ));
            rows.push(row(
                "赵敏",
                "13800000006",
                "女",
                "任课教师",
                "语文",
                "语文教研组",
            ));
            rows.push(row(
                "孙伟",
                "13800000009",
                "男",
                "巡课教师",
                "体育",
                "艺体教研组",
            ));
            rows.push(row(
                "郑丽",
                "13800000010",
                "女",
                "班主任、任课教师",
                "数学",
                "数学教研组",
            ));
        }
        SCHOOL_2 => rows.push(row(
            "黄磊",
            "13800000005",
            "男",
            "学校课后服务管理员",
            "",
            "",
        )),
        _ => {}
    }
    let subjects = [
        ("语文", "语文教研组"),
        ("数学", "数学教研组"),
        ("英语", "英语教研组"),
        ("美术", "艺体教研组"),
        ("音乐", "艺体教研组"),
        ("体育", "艺体教研组"),
    ];
    let mut seq = crate::system::sample::Seq::new(100 + index as u64);
    for i in 0..12 {
        let (subject, dept) = subjects[i % subjects.len()];
        let female = seq.below(3) > 0;
        let name = format!(
            "{}{}",
            seq.pick(&["王", "李", "张", "刘", "陈", "杨", "黄", "何", "林", "罗"]),
            seq.pick(if female {
                &["雅琴", "晓燕", "美玲", "丽华", "秀英", "春梅"]
            } else {
                &["志明", "国强", "建华", "晓东", "永刚", "海涛"]
            })
        );
        let phone = format!("137{:02}{:06}", index + 1, i + 1);
        rows.push(row(
            &name,
            &phone,
            if female { "女" } else { "男" },
            "任课教师",
            subject,
            dept,
        ));
    }
    import_rows(app, crate::import::Kind::Staff, school, rows).await
}

/// The demo students of a school: 15 to 30 in each class, each with guardians. The demo
/// parent 周杰 (13800000007) is the father of the first child of 三年级(2)班 of the first
/// primary school.
async fn ensure_students(app: &App, school: &org::Model, index: usize) -> Result<usize> {
    use kehou_store::sea_orm::PaginatorTrait;
    let has_students = kehou_store::entity::school::student::Entity::find()
        .filter(kehou_store::entity::school::student::Column::SchoolId.eq(school.id))
        .count(&app.db)
        .await?
        > 0;
    if has_students {
        return Ok(0);
    }
    let classes = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .filter(admin_class::Column::SchoolYear.eq("2026-2027"))
        .all(&app.db)
        .await?;
    let mut sizes = crate::system::sample::Seq::new(200 + index as u64);
    let mut spec: Vec<(u8, u8, usize)> = classes
        .iter()
        .map(|c| {
            (
                u8::try_from(c.grade).unwrap_or(1),
                u8::try_from(c.number).unwrap_or(1),
                15 + sizes.below(16),
            )
        })
        .collect();
    spec.sort();
    // 三年级(2)班 first, so that the demo parent's child is its first student.
    if let Some(pos) = spec.iter().position(|(g, n, _)| (*g, *n) == (3, 2)) {
        let class = spec.remove(pos);
        spec.insert(0, class);
    }
    let prefix = format!("{}{}", 2026, index + 1);
    let mut rows = crate::system::sample::students(
        &crate::system::sample::RosterSpec {
            region: "442000",
            year: 2026,
            number_prefix: &prefix,
            phone_block: u32::try_from(index + 1).unwrap_or(1),
            seed: 300 + index as u64,
        },
        &spec,
    );
    if school.name == SCHOOL_1
        && let Some(first) = rows.first_mut()
        && first[5] == "三年级(2)班"
    {
        first[1] = format!("周{}", first[1].chars().skip(1).collect::<String>());
        first[7] = "周杰".into();
        first[8] = "13800000007".into();
    }
    import_rows(app, crate::import::Kind::Students, school, rows).await
}

/// The profile, the 2026-2027 administrative classes, departments and posts of a demo school.
async fn ensure_classes(
    app: &App,
    txn: &DatabaseTransaction,
    school: &org::Model,
    school_type: SchoolType,
    per_grade: i16,
    head_of_3_2: Option<i64>,
) -> Result<usize> {
    let mut created = 0;
    let now = app.now();
    if school_profile::Entity::find_by_id(school.id)
        .one(txn)
        .await?
        .is_none()
    {
        school_profile::ActiveModel {
            school_id: Set(school.id),
            school_type: Set(school_type.code().into()),
            nature: Set(Nature::Public.code().into()),
            address: Set(Some(format!("示例市{}路1号", &school.name))),
            campuses: Set("本部".into()),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        created += 1;
    }
    let has_classes = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .one(txn)
        .await?
        .is_some();
    if !has_classes {
        for grade in school_type.grades() {
            for number in 1..=per_grade {
                let head = if grade == 3 && number == 2 {
                    head_of_3_2
                } else {
                    None
                };
                admin_class::ActiveModel {
                    school_id: Set(school.id),
                    school_year: Set("2026-2027".into()),
                    grade: Set(i16::from(grade)),
                    number: Set(number),
                    alias: Set(None),
                    head_teacher_id: Set(head),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                created += 1;
            }
        }
    }
    for (kind, name) in [
        ("department", "语文教研组"),
        ("department", "数学教研组"),
        ("department", "英语教研组"),
        ("department", "艺体教研组"),
        ("post", "课后服务主管"),
    ] {
        let exists = school_unit::Entity::find()
            .filter(school_unit::Column::SchoolId.eq(school.id))
            .filter(school_unit::Column::Kind.eq(kind))
            .filter(school_unit::Column::Name.eq(name))
            .one(txn)
            .await?
            .is_some();
        if !exists {
            school_unit::ActiveModel {
                school_id: Set(school.id),
                kind: Set(kind.into()),
                name: Set(name.into()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            created += 1;
        }
    }
    Ok(created)
}

/// The current term with its calendar, the bell schedule and a few rooms of a demo school.
async fn ensure_school_setup(
    app: &App,
    txn: &DatabaseTransaction,
    school: &org::Model,
) -> Result<usize> {
    let mut created = 0;
    let now = app.now();
    let date = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| Error::Internal(e.to_string()))
    };
    let existing = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .filter(term::Column::SchoolYear.eq("2026-2027"))
        .filter(term::Column::Name.eq("第一学期"))
        .one(txn)
        .await?;
    if existing.is_none() {
        let t = term::ActiveModel {
            school_id: Set(school.id),
            school_year: Set("2026-2027".into()),
            name: Set("第一学期".into()),
            start_date: Set(date("2026-09-01")?),
            end_date: Set(date("2027-01-22")?),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        // National Day week off; Sunday 2026-09-27 is worked on Wednesday's timetable.
        let days = [
            ("holiday", Some("国庆节"), "2026-10-01", "2026-10-07", None),
            ("holiday", Some("元旦"), "2027-01-01", "2027-01-01", None),
            ("swapped", None, "2026-09-27", "2026-09-27", Some(3)),
        ];
        for (kind, name, start, end, follows) in days {
            term_day::ActiveModel {
                term_id: Set(t.id),
                kind: Set(kind.into()),
                name: Set(name.map(String::from)),
                start_date: Set(date(start)?),
                end_date: Set(date(end)?),
                follows: Set(follows),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        created += 1;
    }
    // Last term, kept as history (its offering is filled in later).
    let last = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .filter(term::Column::SchoolYear.eq("2025-2026"))
        .one(txn)
        .await?;
    if last.is_none() {
        term::ActiveModel {
            school_id: Set(school.id),
            school_year: Set("2025-2026".into()),
            name: Set("第二学期".into()),
            start_date: Set(date("2026-02-23")?),
            end_date: Set(date("2026-07-03")?),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        created += 1;
    }
    let has_periods = period::Entity::find()
        .filter(period::Column::SchoolId.eq(school.id))
        .one(txn)
        .await?
        .is_some();
    if !has_periods {
        let time = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| Error::Internal(e.to_string()))
        };
        for (name, start, end) in [
            ("课后一", "15:40", "16:20"),
            ("课后二", "16:30", "17:10"),
            ("晚托", "17:20", "18:30"),
        ] {
            period::ActiveModel {
                school_id: Set(school.id),
                day_type: Set("默认".into()),
                weekdays: Set("1,2,3,4,5".into()),
                name: Set(name.into()),
                start_time: Set(time(start)?),
                end_time: Set(time(end)?),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            created += 1;
        }
    }
    let rooms = [
        ("美术室", "综合楼三楼", "美术", 45),
        ("音乐室", "综合楼二楼", "音乐", 50),
        ("科学实验室", "实验楼一楼", "科学", 40),
        ("篮球场", "运动场", "体育", 80),
        ("多功能厅", "综合楼一楼", "合唱、舞蹈", 200),
    ];
    for (name, building, purpose, capacity) in rooms {
        let exists = room::Entity::find()
            .filter(room::Column::SchoolId.eq(school.id))
            .filter(room::Column::Name.eq(name))
            .one(txn)
            .await?
            .is_some();
        if !exists {
            room::ActiveModel {
                school_id: Set(school.id),
                name: Set(name.into()),
                building: Set(Some(building.into())),
                purpose: Set(Some(purpose.into())),
                capacity: Set(capacity),
                available: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            created += 1;
        }
    }
    Ok(created)
}

async fn ensure_org(
    app: &App,
    txn: &DatabaseTransaction,
    parent: &org::Model,
    name: &str,
    org_type: OrgType,
    region: Option<&str>,
) -> Result<(org::Model, bool)> {
    if let Some(existing) = org::Entity::find()
        .filter(org::Column::ParentId.eq(parent.id))
        .filter(org::Column::Name.eq(name))
        .one(txn)
        .await?
    {
        return Ok((existing, false));
    }
    let now = app.now();
    let region = region.map(String::from);
    let o = crate::org::insert(txn, Some(parent), org_type, name.into(), None, region, now).await?;
    audit::record(
        txn,
        now,
        &By::system(),
        Change {
            org_id: Some(o.id),
            org_path: &o.path,
            action: "org.create",
            entity_type: "org",
            entity_id: Some(o.id),
            summary: format!("演示数据：新增{}“{}”", org_type.label(), o.name),
        },
    )
    .await?;
    Ok((o, true))
}

/// A primary school for benchmarks, directly under the platform: profile, the 2026-2027
/// classes (`classes_per_grade` in each grade), departments and a term. Returns its id.
pub async fn benchmark_school(app: &App, name: &str, classes_per_grade: i16) -> Result<i64> {
    let root = crate::org::ensure_platform_root(app).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let org_type = OrgType {
        kind: OrgKind::School,
        level: None,
    };
    let (school, _) = ensure_org(app, &txn, &root, name, org_type, Some("442000")).await?;
    ensure_school_setup(app, &txn, &school).await?;
    ensure_classes(
        app,
        &txn,
        &school,
        SchoolType::Primary,
        classes_per_grade,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(school.id)
}

/// A one-page PDF saying what it stands for (the demo's qualification documents).
fn demo_pdf(title: &str) -> Vec<u8> {
    let text = format!("BT /F1 18 Tf 72 720 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The admission record of a demo institution: admitted by its bureau, or waiting for it,
/// with a business licence and a safety pledge.
async fn ensure_institution(
    app: &App,
    o: &org::Model,
    admitted: bool,
    code17: &str,
    phone: &str,
) -> Result<usize> {
    use kehou_domain::institution::{CreditCode, InstitutionStatus};
    use kehou_store::entity::institution::{admission, document, event};
    use sm3::{Digest, Sm3};
    if admission::Entity::find_by_id(o.id)
        .one(&app.db)
        .await?
        .is_some()
    {
        return Ok(0);
    }
    let code = CreditCode::with_check(code17).map_err(Error::Internal)?;
    let applicant = crate::identity::account::find_by_phone(
        app,
        &app.db,
        &Phone::parse(phone).map_err(Error::Internal)?,
    )
    .await?;
    let contact = applicant
        .as_ref()
        .map_or("联系人".to_string(), |u| u.name.clone());
    let now = app.now();
    let applied = now - chrono::Duration::days(if admitted { 120 } else { 2 });
    let mut keys = Vec::new();
    for (kind, title) in [
        ("business_license", "Business licence (demo)"),
        ("safety_pledge", "Safety pledge (demo)"),
    ] {
        let bytes = demo_pdf(title);
        let key = crate::platform::storage::new_key();
        app.files.put(&key, &bytes).await?;
        keys.push((kind, key, bytes));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let status = if admitted {
        InstitutionStatus::Admitted
    } else {
        InstitutionStatus::Pending
    };
    admission::ActiveModel {
        org_id: Set(o.id),
        credit_code: Set(code.to_string()),
        legal_rep: Set(if admitted { "何志强" } else { "林涛" }.into()),
        contact_name: Set(contact.clone()),
        applicant_user_id: Set(applicant.as_ref().map(|u| u.id)),
        address: Set(if admitted {
            "示例市东区文化路18号"
        } else {
            "示例市石岐街道科技路6号"
        }
        .into()),
        business_scope: Set(if admitted {
            "美术、书法、舞蹈、音乐等艺术类培训"
        } else {
            "编程、机器人、科学实验等科技类培训"
        }
        .into()),
        service_types: Set(if admitted {
            "quality,featured"
        } else {
            "quality"
        }
        .into()),
        status: Set(status.code().into()),
        applied_at: Set(applied),
        decided_at: Set(admitted.then_some(applied + chrono::Duration::days(3))),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for (kind, key, bytes) in keys {
        document::ActiveModel {
            org_id: Set(o.id),
            kind: Set(kind.into()),
            file_name: Set(format!(
                "{}.pdf",
                if kind == "business_license" {
                    "营业执照"
                } else {
                    "安全承诺书"
                }
            )),
            content_type: Set("application/pdf".into()),
            size: Set(bytes.len() as i64),
            digest: Set(hex::encode(Sm3::digest(&bytes))),
            storage_key: Set(key),
            uploaded_at: Set(applied),
            uploaded_by: Set(contact.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let mut steps = vec![(
        "apply",
        None,
        InstitutionStatus::Pending,
        contact.clone(),
        applied,
    )];
    if admitted {
        steps.push((
            "approve",
            Some(InstitutionStatus::Pending),
            InstitutionStatus::Admitted,
            CITY_BUREAU.into(),
            applied + chrono::Duration::days(3),
        ));
    }
    for (action, from, to, by, at) in steps {
        event::ActiveModel {
            org_id: Set(o.id),
            action: Set(action.into()),
            from_status: Set(from.map(|s| s.code().into())),
            to_status: Set(to.code().into()),
            reason: Set(None),
            actor_name: Set(by),
            actor_user_id: Set(None),
            at: Set(at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(1)
}

/// The city's course specifications: (code, name, category, class size, unit, price in fen).
const DEMO_SPECS: &[(&str, &str, &str, i32, i32, &str, i64)] = &[
    (
        "ZS-TG-01",
        "课后托管（校内）",
        "care",
        30,
        50,
        "term",
        60000,
    ),
    (
        "ZS-SZ-01",
        "素质拓展（标准班）",
        "quality",
        15,
        30,
        "lesson",
        2500,
    ),
    (
        "ZS-SZ-02",
        "素质拓展（小班）",
        "quality",
        8,
        15,
        "lesson",
        3500,
    ),
    ("ZS-TS-01", "特色课程", "featured", 10, 25, "lesson", 4000),
    // Free of charge: what the school offers at public cost.
    ("ZS-GY-01", "公益课程（免费）", "quality", 15, 30, "term", 0),
];

/// The specs of the city bureau, valid since the start of 2026; the standard class of
/// quality courses goes up to 28 yuan from the spring term of 2027.
async fn ensure_course_specs(app: &App, city: &org::Model) -> Result<usize> {
    use kehou_store::entity::course::{spec, spec_price};
    let has = spec::Entity::find()
        .filter(spec::Column::OwnerOrgId.eq(city.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let since = ymd(2026, 1, 1)?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    for (code, name, category, min, max, unit, price) in DEMO_SPECS {
        let s = spec::ActiveModel {
            owner_org_id: Set(city.id),
            code: Set((*code).into()),
            name: Set((*name).into()),
            category: Set((*category).into()),
            class_size_min: Set(*min),
            class_size_max: Set(*max),
            price_unit: Set((*unit).into()),
            valid_from: Set(since),
            valid_to: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut prices = vec![(*price, since)];
        if *code == "ZS-SZ-01" {
            prices.push((2800, ymd(2027, 2, 20)?));
        }
        for (fen, from) in prices {
            spec_price::ActiveModel {
                spec_id: Set(s.id),
                price_fen: Set(fen),
                effective_from: Set(from),
                created_at: Set(now),
                created_by: Set("演示数据".into()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(DEMO_SPECS.len())
}

/// The admitted institution's teachers: (name, phone, first 17 ID digits, education,
/// certificate type, speciality, years).
const DEMO_TEACHERS: &[(&str, &str, &str, &str, &str, &str, i32)] = &[
    (
        "何雅琴",
        "13800000021",
        "44200019880312402",
        "本科",
        "小学",
        "国画、书法",
        9,
    ),
    (
        "罗志明",
        "13800000022",
        "44200019910705301",
        "本科",
        "初级中学",
        "街舞、爵士舞",
        6,
    ),
    (
        "梁婉婷",
        "13800000023",
        "44200019950921502",
        "硕士研究生",
        "小学",
        "钢琴、合唱",
        3,
    ),
];

/// Teachers of 示例艺术培训中心, added by its admin 吴婷 through the same use case a page
/// uses; each gets an institution-teacher account and is dispatched to 示例第一小学 for
/// the autumn term.
async fn ensure_institution_teachers(app: &App, o: &org::Model) -> Result<usize> {
    use kehou_store::entity::institution::teacher;
    let has = teacher::Entity::find()
        .filter(teacher::Column::OrgId.eq(o.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let admin_phone = Phone::parse("13800000008").map_err(Error::Internal)?;
    let Some(admin) = crate::identity::account::find_by_phone(app, &app.db, &admin_phone).await?
    else {
        return Ok(0);
    };
    let Some(actor) = crate::identity::auth::actor_in(&app.db, &admin, o.id).await? else {
        return Ok(0);
    };
    let school = org::Entity::find()
        .filter(org::Column::Name.eq(SCHOOL_1))
        .one(&app.db)
        .await?;
    let second = org::Entity::find()
        .filter(org::Column::Name.eq(SCHOOL_2))
        .one(&app.db)
        .await?;
    for (i, (name, phone, id17, education, certificate, speciality, years)) in
        DEMO_TEACHERS.iter().enumerate()
    {
        let id = kehou_domain::IdCardNo::complete(id17).map_err(Error::Internal)?;
        let added = crate::institution::teacher::create(
            app,
            &actor,
            o.id,
            crate::institution::teacher::TeacherInput {
                name: Some((*name).into()),
                gender: None,
                id_number: Some(id.as_str().into()),
                phone: Some((*phone).into()),
                education: Some((*education).into()),
                certificate_type: Some((*certificate).into()),
                certificate_no: Some(format!("2019{}{}", &id17[..6], &phone[7..])),
                title: Some("二级教师".into()),
                teaching_years: Some(*years),
                speciality: Some((*speciality).into()),
                resume: Some(format!("从事{speciality}教学{years}年。")),
            },
        )
        .await?;
        // Each is sent to the first primary school for the demo's autumn term (while that
        // term has not ended: a dispatch into the past is refused).
        let term_end = ymd(2027, 1, 22)?;
        // The first also teaches at 示例第二小学.
        let mut to: Vec<&org::Model> = school.iter().collect();
        if i == 0 {
            to.extend(second.iter());
        }
        for school in to.into_iter().filter(|_| term_end >= app.today()) {
            crate::institution::dispatch::create(
                app,
                &actor,
                o.id,
                crate::institution::dispatch::DispatchInput {
                    teacher_id: Some(added.id),
                    school_id: Some(school.id),
                    starts_on: Some(ymd(2026, 9, 1)?),
                    ends_on: Some(term_end),
                    course_types: Some(vec!["quality".into(), "featured".into()]),
                },
            )
            .await?;
        }
    }
    Ok(DEMO_TEACHERS.len())
}

/// A date of the demo's calendar.
fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| Error::Internal(format!("date {y}-{m}-{d}")))
}
