//! Teaching organization of a school (C3): administrative classes per school year with an
//! alias and a head teacher, promotion to the next school year (students move up, the top
//! grade graduates), departments and posts.

use std::collections::HashMap;

use kehou_domain::school::{SchoolType, class_name, grade_name};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::org;
use kehou_store::entity::school::{admin_class, school_profile, school_unit, student};
use kehou_store::sea_orm::sea_query::Expr;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::school::school_for;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminClassView {
    pub id: i64,
    pub school_year: String,
    pub grade: i16,
    pub grade_name: String,
    pub number: i16,
    /// 三年级(2)班.
    pub name: String,
    pub alias: Option<String>,
    /// The alias where there is one, else the name.
    pub display_name: String,
    pub head_teacher_id: Option<i64>,
    pub head_teacher_name: Option<String>,
}

fn view(c: admin_class::Model, teachers: &HashMap<i64, String>) -> AdminClassView {
    let grade = u8::try_from(c.grade).unwrap_or(0);
    let name = class_name(grade, u8::try_from(c.number).unwrap_or(0));
    AdminClassView {
        id: c.id,
        grade_name: grade_name(grade),
        display_name: c.alias.clone().unwrap_or_else(|| name.clone()),
        name,
        school_year: c.school_year,
        grade: c.grade,
        number: c.number,
        alias: c.alias,
        head_teacher_name: c.head_teacher_id.and_then(|id| teachers.get(&id).cloned()),
        head_teacher_id: c.head_teacher_id,
    }
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<admin_class::Model>,
) -> Result<Vec<AdminClassView>> {
    let ids: Vec<i64> = rows.iter().filter_map(|c| c.head_teacher_id).collect();
    let teachers = crate::identity::account::names_of(db, &ids).await?;
    Ok(rows.into_iter().map(|c| view(c, &teachers)).collect())
}

pub async fn list_admin_classes(
    app: &App,
    actor: &Actor,
    school_id: i64,
    school_year: Option<&str>,
    grade: Option<i16>,
) -> Result<Vec<AdminClassView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let mut q = admin_class::Entity::find().filter(admin_class::Column::SchoolId.eq(school.id));
    if let Some(y) = school_year.filter(|y| !y.is_empty()) {
        q = q.filter(admin_class::Column::SchoolYear.eq(y));
    }
    if let Some(g) = grade {
        q = q.filter(admin_class::Column::Grade.eq(g));
    }
    let rows = q
        .order_by_desc(admin_class::Column::SchoolYear)
        .order_by_asc(admin_class::Column::Grade)
        .order_by_asc(admin_class::Column::Number)
        .all(&app.db)
        .await?;
    views(&app.db, rows).await
}

/// The school years that have classes, newest first.
pub async fn school_years(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<String>> {
    let mut years: Vec<String> = list_admin_classes(app, actor, school_id, None, None)
        .await?
        .into_iter()
        .map(|c| c.school_year)
        .collect();
    years.dedup();
    Ok(years)
}

/// The staff of a school who may be head teachers, for the class forms.
pub async fn head_teacher_options(
    app: &App,
    actor: &Actor,
    school_id: i64,
) -> Result<Vec<(i64, String)>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    staff(&app.db, school.id).await
}

/// The staff of a school who may be head teachers: anyone holding a role there but parent.
pub(crate) async fn staff(db: &impl ConnectionTrait, school_id: i64) -> Result<Vec<(i64, String)>> {
    let parent = role::Entity::find()
        .filter(role::Column::Code.eq("parent"))
        .one(db)
        .await?
        .map(|r| r.id)
        .unwrap_or(-1);
    let ms = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(school_id))
        .filter(membership::Column::RoleId.ne(parent))
        .all(db)
        .await?;
    let ids: Vec<i64> = ms.iter().map(|m| m.user_id).collect();
    let mut names: Vec<(i64, String)> = crate::identity::account::names_of(db, &ids)
        .await?
        .into_iter()
        .collect();
    names.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(names)
}

async fn school_type(db: &impl ConnectionTrait, school_id: i64) -> Result<Option<SchoolType>> {
    Ok(school_profile::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .and_then(|p| SchoolType::parse(&p.school_type).ok()))
}

fn check_year(invalid: &mut Invalid, year: Option<&str>) -> Option<String> {
    let v = year.unwrap_or("").trim();
    let ok = v.len() == 9
        && v.split_once('-')
            .and_then(|(a, b)| Some((a.parse::<i32>().ok()?, b.parse::<i32>().ok()?)))
            .is_some_and(|(a, b)| b == a + 1 && (2000..=2100).contains(&a));
    if ok {
        Some(v.to_string())
    } else {
        invalid.push("school_year", "学年格式应为“2026-2027”");
        None
    }
}

/// The next school year: `2026-2027` → `2027-2028`.
fn next_year(year: &str) -> Option<String> {
    let (a, b) = year.split_once('-')?;
    Some(format!(
        "{}-{}",
        a.parse::<i32>().ok()? + 1,
        b.parse::<i32>().ok()? + 1
    ))
}

#[derive(Debug, Clone, Default)]
pub struct AdminClassInput {
    pub school_year: Option<String>,
    pub grade: Option<i64>,
    pub number: Option<i64>,
    pub alias: Option<String>,
    pub head_teacher_id: Option<i64>,
}

async fn check_head_teacher(
    db: &impl ConnectionTrait,
    school_id: i64,
    id: Option<i64>,
) -> Result<()> {
    match id {
        Some(id)
            if !staff(db, school_id)
                .await?
                .iter()
                .any(|(uid, _)| *uid == id) =>
        {
            Err(Error::invalid("head_teacher_id", "班主任须为本校教职工"))
        }
        _ => Ok(()),
    }
}

pub async fn create_admin_class(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: AdminClassInput,
) -> Result<AdminClassView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let grades = school_type(&txn, school.id).await?.map(|t| t.grades());
    let mut invalid = Invalid::default();
    let year = check_year(&mut invalid, input.school_year.as_deref());
    let grade = match (input.grade, &grades) {
        (_, None) => {
            invalid.push("grade", "请先在学校信息中设置学校类型");
            None
        }
        (Some(g), Some(grades)) if u8::try_from(g).is_ok_and(|g| grades.contains(&g)) => {
            i16::try_from(g).ok()
        }
        _ => {
            invalid.push("grade", "年级不属于本校的学段");
            None
        }
    };
    let number = match input.number {
        Some(n) if (1..=99).contains(&n) => i16::try_from(n).ok(),
        _ => {
            invalid.push("number", "班号应为1到99");
            None
        }
    };
    let alias = invalid.optional_text("alias", input.alias.as_deref(), 30);
    check(invalid)?;
    let (Some(year), Some(grade), Some(number), Some(alias)) = (year, grade, number, alias) else {
        return Err(Error::Internal("validation".into()));
    };
    check_head_teacher(&txn, school.id, input.head_teacher_id).await?;
    let now = app.now();
    let created = admin_class::ActiveModel {
        school_id: Set(school.id),
        school_year: Set(year),
        grade: Set(grade),
        number: Set(number),
        alias: Set(alias),
        head_teacher_id: Set(input.head_teacher_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("number", "该学年已有这个班"))?;
    let out = views(&txn, vec![created]).await?.remove(0);
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "admin_class.create",
            entity_type: "admin_class",
            entity_id: Some(out.id),
            summary: format!("新增行政班 {} {}", out.school_year, out.display_name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct AdminClassPatch {
    /// An empty string removes the alias.
    pub alias: Option<String>,
    /// `Some(None)` removes the head teacher.
    pub head_teacher_id: Option<Option<i64>>,
}

pub async fn update_admin_class(
    app: &App,
    actor: &Actor,
    school_id: i64,
    class_id: i64,
    patch: AdminClassPatch,
) -> Result<AdminClassView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let current = admin_class::Entity::find_by_id(class_id)
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("行政班"))?;
    let mut invalid = Invalid::default();
    let alias = patch
        .alias
        .as_deref()
        .map(|a| invalid.optional_text("alias", Some(a), 30));
    check(invalid)?;
    let mut m = current.clone().into_active_model();
    if let Some(Some(alias)) = alias {
        m.alias = Set(alias);
    }
    if let Some(head) = patch.head_teacher_id {
        check_head_teacher(&txn, school.id, head).await?;
        m.head_teacher_id = Set(head);
    }
    let now = app.now();
    m.updated_at = Set(now);
    let updated = m.update(&txn).await?;
    let out = views(&txn, vec![updated]).await?.remove(0);
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "admin_class.update",
            entity_type: "admin_class",
            entity_id: Some(out.id),
            summary: format!(
                "修改行政班 {} {}：别名 {}，班主任 {}",
                out.school_year,
                out.name,
                out.alias.as_deref().unwrap_or("无"),
                out.head_teacher_name.as_deref().unwrap_or("无")
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

/// Where one class of the year goes: the class one grade up, or out (graduation).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassMove {
    pub from_class: String,
    /// The class next year; none when the class graduates.
    pub to_class: Option<String>,
    /// Its enrolled students, who move (or graduate) with it.
    pub students: u64,
}

/// What promoting a school year does, shown before it is done and answered after.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PromotionPlan {
    pub from_school_year: String,
    pub to_school_year: String,
    pub classes: Vec<ClassMove>,
    /// Enrolled students who move to next year's classes.
    pub students_moving: u64,
    /// Enrolled students of the top grade, who graduate.
    pub students_graduating: u64,
}

/// The plan of promoting `from_year`, with the source classes and the top grade; refused
/// when the year has no classes or the next year has some already.
async fn plan(
    db: &impl ConnectionTrait,
    school: &org::Model,
    from_year: &str,
) -> Result<(PromotionPlan, Vec<admin_class::Model>, i16)> {
    let mut invalid = Invalid::default();
    let from = check_year(&mut invalid, Some(from_year));
    check(invalid)?;
    let (Some(from), Some(grades)) = (from, school_type(db, school.id).await?.map(|t| t.grades()))
    else {
        return Err(Error::invalid(
            "school_year",
            "请先在学校信息中设置学校类型",
        ));
    };
    let to =
        next_year(&from).ok_or_else(|| Error::invalid("school_year", "学年格式应为“2026-2027”"))?;
    let mut source = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .filter(admin_class::Column::SchoolYear.eq(from.as_str()))
        .all(db)
        .await?;
    source.sort_by_key(|c| (c.grade, c.number));
    if source.is_empty() {
        return Err(Error::invalid(
            "school_year",
            format!("{from}学年没有行政班"),
        ));
    }
    let exists = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .filter(admin_class::Column::SchoolYear.eq(to.as_str()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(Error::conflict(format!("{to}学年已有行政班，不能重复升级")));
    }
    let top = i16::from(grades.iter().copied().max().unwrap_or(0));
    let counts: HashMap<i64, u64> = student::Entity::find()
        .select_only()
        .column(student::Column::ClassId)
        .column_as(student::Column::Id.count(), "n")
        .filter(student::Column::ClassId.is_in(source.iter().map(|c| c.id)))
        .filter(student::Column::Status.eq("enrolled"))
        .group_by(student::Column::ClassId)
        .into_tuple::<(Option<i64>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(class, n)| Some((class?, u64::try_from(n).unwrap_or(0))))
        .collect();
    let name = |grade: i16, number: i16| {
        class_name(
            u8::try_from(grade).unwrap_or(0),
            u8::try_from(number).unwrap_or(0),
        )
    };
    let mut p = PromotionPlan {
        from_school_year: from,
        to_school_year: to,
        classes: Vec::new(),
        students_moving: 0,
        students_graduating: 0,
    };
    for c in &source {
        let students = counts.get(&c.id).copied().unwrap_or(0);
        let graduates = c.grade >= top;
        if graduates {
            p.students_graduating += students;
        } else {
            p.students_moving += students;
        }
        p.classes.push(ClassMove {
            from_class: name(c.grade, c.number),
            to_class: (!graduates).then(|| name(c.grade + 1, c.number)),
            students,
        });
    }
    Ok((p, source, top))
}

/// What promoting `from_year` would do: which class goes where with how many students,
/// and who graduates. Changes nothing.
pub async fn promotion_preview(
    app: &App,
    actor: &Actor,
    school_id: i64,
    from_year: &str,
) -> Result<PromotionPlan> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolManage).await?;
    Ok(plan(&app.db, &school, from_year).await?.0)
}

/// Promotes a school year in one transaction: next year's classes one grade up (numbers,
/// aliases and head teachers kept), their enrolled students moved into them, and the top
/// grade's enrolled students graduated. Refused once the next year has classes.
pub async fn promote(
    app: &App,
    actor: &Actor,
    school_id: i64,
    from_year: &str,
) -> Result<PromotionPlan> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let (done, source, top) = plan(&txn, &school, from_year).await?;
    let now = app.now();
    let mut created = 0;
    for c in &source {
        let enrolled = student::Entity::update_many()
            .filter(student::Column::ClassId.eq(c.id))
            .filter(student::Column::Status.eq("enrolled"))
            .col_expr(student::Column::UpdatedAt, Expr::value(now));
        if c.grade >= top {
            enrolled
                .col_expr(student::Column::Status, Expr::value("graduated"))
                .exec(&txn)
                .await?;
            continue;
        }
        let row = admin_class::ActiveModel {
            school_id: Set(school.id),
            school_year: Set(done.to_school_year.clone()),
            grade: Set(c.grade + 1),
            number: Set(c.number),
            alias: Set(c.alias.clone()),
            head_teacher_id: Set(c.head_teacher_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        created += 1;
        enrolled
            .col_expr(student::Column::ClassId, Expr::value(Some(row.id)))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "admin_class.promote",
            entity_type: "admin_class",
            entity_id: None,
            summary: format!(
                "{}学年行政班升级到{}学年：{created}个班升级，{}个班毕业；{}名学生升入新班级，{}名学生毕业",
                done.from_school_year,
                done.to_school_year,
                source.len() - created,
                done.students_moving,
                done.students_graduating
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(done)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: i64,
    /// `department` (教研组) or `post` (岗位).
    pub kind: String,
    pub name: String,
}

pub async fn list_units(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<UnitView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let rows = school_unit::Entity::find()
        .filter(school_unit::Column::SchoolId.eq(school.id))
        .order_by_asc(school_unit::Column::Kind)
        .order_by_asc(school_unit::Column::Name)
        .all(&app.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|u| UnitView {
            id: u.id,
            kind: u.kind,
            name: u.name,
        })
        .collect())
}

pub async fn add_unit(
    app: &App,
    actor: &Actor,
    school_id: i64,
    kind: Option<&str>,
    name: Option<&str>,
) -> Result<UnitView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let mut invalid = Invalid::default();
    let kind = match kind {
        Some(k @ ("department" | "post")) => Some(k),
        _ => {
            invalid.push("kind", "类型应为教研组（department）或岗位（post）");
            None
        }
    };
    let name = invalid.text("name", name.unwrap_or(""), 30);
    check(invalid)?;
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let created = school_unit::ActiveModel {
        school_id: Set(school.id),
        kind: Set(kind.into()),
        name: Set(name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("name", "已有同名的教研组或岗位"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "unit.create",
            entity_type: "unit",
            entity_id: Some(created.id),
            summary: format!(
                "新增{}“{}”",
                if kind == "department" {
                    "教研组"
                } else {
                    "岗位"
                },
                created.name
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(UnitView {
        id: created.id,
        kind: created.kind,
        name: created.name,
    })
}

pub async fn remove_unit(app: &App, actor: &Actor, school_id: i64, unit_id: i64) -> Result<()> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let unit = school_unit::Entity::find_by_id(unit_id)
        .filter(school_unit::Column::SchoolId.eq(school.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("教研组或岗位"))?;
    school_unit::Entity::delete_by_id(unit.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "unit.delete",
            entity_type: "unit",
            entity_id: Some(unit.id),
            summary: format!("删除“{}”", unit.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub const IMPORT_COLUMNS: &[crate::platform::sheet::Column] = &[
    crate::platform::sheet::Column {
        title: "学年",
        required: true,
        help: "如 2026-2027",
    },
    crate::platform::sheet::Column {
        title: "年级",
        required: true,
        help: "一年级…九年级、高一…高三，或数字 1–12；须属于本校学段",
    },
    crate::platform::sheet::Column {
        title: "班号",
        required: true,
        help: "1 到 99；同一学年同一年级的班号不重复，再次导入时按学年+年级+班号更新",
    },
    crate::platform::sheet::Column {
        title: "班级别名",
        required: false,
        help: "如 向日葵班，最多30个字符",
    },
    crate::platform::sheet::Column {
        title: "班主任手机号",
        required: false,
        help: "本校教职工的手机号",
    },
];

pub const IMPORT_EXAMPLE: &[&str] = &["2026-2027", "三年级", "2", "向日葵班", ""];

/// A grade as written in a sheet: its name (三年级, 高一) or its number.
fn parse_grade(text: &str) -> Option<u8> {
    text.trim()
        .parse::<u8>()
        .ok()
        .or_else(|| (1..=12).find(|g| grade_name(*g) == text.trim()))
}

/// Imports classes; a class already in the school year (same grade and number) takes the
/// alias and head teacher of its row.
pub(crate) async fn import(
    app: &App,
    runner: &crate::import::Runner,
    school: &kehou_store::entity::org::Model,
    rows: Vec<crate::platform::sheet::Row>,
    mode: crate::import::Mode,
    progress: &crate::import::Progress,
) -> Result<crate::import::Outcome> {
    use crate::import::{Outcome, RowErrors};
    progress.stage("校验数据", rows.len());
    let grades = school_type(&app.db, school.id).await?.map(|t| t.grades());
    let staff_ids: HashMap<i64, String> = staff(&app.db, school.id).await?.into_iter().collect();
    let phones: HashMap<String, i64> = user::Entity::find()
        .filter(user::Column::Id.is_in(staff_ids.keys().copied()))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|u| (app.vault.account_phone(&u), u.id))
        .collect();
    let mut errors = RowErrors::default();
    let mut seen: HashMap<(String, i16, i16), u32> = HashMap::new();
    let mut good = Vec::new();
    for row in &rows {
        progress.advance(1);
        let mut invalid = Invalid::default();
        let year = check_year(&mut invalid, Some(row.get(0)));
        for e in invalid.0 {
            errors.push(row.number, "学年", e.reason);
        }
        let grade = match (parse_grade(row.get(1)), &grades) {
            (_, None) => {
                errors.push(row.number, "年级", "请先在学校信息中设置学校类型");
                None
            }
            (Some(g), Some(grades)) if grades.contains(&g) => Some(i16::from(g)),
            _ => {
                errors.push(
                    row.number,
                    "年级",
                    format!("“{}”不是本校学段的年级", row.get(1)),
                );
                None
            }
        };
        let number = match row.get(2).parse::<i16>() {
            Ok(n) if (1..=99).contains(&n) => Some(n),
            _ => {
                errors.push(row.number, "班号", "班号应为1到99的整数");
                None
            }
        };
        let mut invalid = Invalid::default();
        let alias = invalid.optional_text("alias", Some(row.get(3)), 30);
        for e in invalid.0 {
            errors.push(row.number, "班级别名", e.reason);
        }
        let head = match row.get(4) {
            "" => Some(None),
            phone => match phones.get(phone) {
                Some(id) => Some(Some(*id)),
                None => {
                    errors.push(
                        row.number,
                        "班主任手机号",
                        "不是本校教职工的手机号，请先导入或添加教职工",
                    );
                    None
                }
            },
        };
        let (Some(year), Some(grade), Some(number), Some(alias), Some(head)) =
            (year, grade, number, alias, head)
        else {
            continue;
        };
        if let Some(first) = seen.insert((year.clone(), grade, number), row.number) {
            errors.push(row.number, "班号", format!("与第{first}行是同一个班"));
            continue;
        }
        good.push((year, grade, number, alias, head));
    }
    let (mut outcome, write) = Outcome::validated(rows.len(), errors, good.len(), mode);
    if !write {
        return Ok(outcome);
    }
    progress.stage("写入数据库", good.len());
    let txn = kehou_store::begin_write(&app.db).await?;
    let existing: HashMap<(String, i16, i16), admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| ((c.school_year.clone(), c.grade, c.number), c))
        .collect();
    let now = app.now();
    for (year, grade, number, alias, head) in good {
        match existing.get(&(year.clone(), grade, number)) {
            Some(current) => {
                let mut m = current.clone().into_active_model();
                m.alias = Set(alias);
                m.head_teacher_id = Set(head);
                m.updated_at = Set(now);
                m.update(&txn).await?;
                outcome.updated += 1;
            }
            None => {
                admin_class::ActiveModel {
                    school_id: Set(school.id),
                    school_year: Set(year),
                    grade: Set(grade),
                    number: Set(number),
                    alias: Set(alias),
                    head_teacher_id: Set(head),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                outcome.created += 1;
            }
        }
        progress.advance(1);
    }
    outcome
        .record(&txn, now, runner, school, crate::import::Kind::AdminClasses)
        .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Head teachers' phone numbers by user id, masked, for the classes export.
pub async fn head_teacher_phones(
    app: &App,
    actor: &Actor,
    school_id: i64,
) -> Result<HashMap<i64, String>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let ids: Vec<i64> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .all(&app.db)
        .await?
        .into_iter()
        .filter_map(|c| c.head_teacher_id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|u| (u.id, app.vault.masked_account_phone(&u)))
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GradeView {
    /// 1–12.
    pub grade: u8,
    /// 三年级, 高一.
    pub name: String,
    /// 小学, 初中 or 高中.
    pub stage: &'static str,
    /// Classes of the grade in the school year.
    pub classes: usize,
    /// Enrolled students in those classes.
    pub students: u64,
}

/// The grades of a school (from its type) with their classes and enrolled students in a
/// school year (the newest when none is given).
pub async fn grades(
    app: &App,
    actor: &Actor,
    school_id: i64,
    school_year: Option<&str>,
) -> Result<Vec<GradeView>> {
    use kehou_store::entity::school::student;
    use kehou_store::sea_orm::{PaginatorTrait, QuerySelect};
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let Some(school_type) = school_type(&app.db, school.id).await? else {
        return Ok(Vec::new());
    };
    let classes = list_admin_classes(app, actor, school.id, school_year, None).await?;
    let year = school_year
        .map(String::from)
        .or_else(|| classes.first().map(|c| c.school_year.clone()));
    let mut out = Vec::new();
    for stage in school_type.stages() {
        for grade in stage.grades() {
            let ids: Vec<i64> = classes
                .iter()
                .filter(|c| Some(&c.school_year) == year.as_ref() && c.grade == i16::from(grade))
                .map(|c| c.id)
                .collect();
            let students = if ids.is_empty() {
                0
            } else {
                student::Entity::find()
                    .select_only()
                    .column(student::Column::Id)
                    .filter(student::Column::ClassId.is_in(ids.clone()))
                    .filter(student::Column::Status.eq("enrolled"))
                    .count(&app.db)
                    .await?
            };
            out.push(GradeView {
                grade,
                name: grade_name(grade),
                stage: stage.label(),
                classes: ids.len(),
                students,
            });
        }
    }
    Ok(out)
}
