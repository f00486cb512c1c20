//! Importing students with their guardians from Excel (C6). Rows are matched to existing
//! students by student number, so a second import of the same sheet updates instead of
//! duplicating. Guardian accounts are found or created by phone number. The writes are
//! batched: a 50 000-row sheet is a few hundred statements, not a few hundred thousand.

use std::collections::{BTreeMap, HashMap, HashSet};

use kehou_domain::school::class_name;
use kehou_domain::{Invalid, Password, Phone};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::org;
use kehou_store::entity::school::{admin_class, guardian, student};
use kehou_store::sea_orm::sea_query::Query;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::import::{CHUNK, Mode, Outcome, Progress, RowErrors, Runner};
use crate::platform::sheet::{Column, Row};
use crate::school::student::{
    GuardianInput, StudentFields, StudentInput, check_guardian, check_student,
};
use crate::{App, Error, Result};

pub const COLUMNS: &[Column] = &[
    Column {
        title: "学号",
        required: true,
        help: "本校唯一，最多30个字符；再次导入时按学号更新已有学生",
    },
    Column {
        title: "姓名",
        required: true,
        help: "最多50个字符",
    },
    Column {
        title: "性别",
        required: true,
        help: "男 或 女；填写身份证号时须与之相符",
    },
    Column {
        title: "身份证号",
        required: false,
        help: "18位居民身份证号，校验码须正确；本校唯一；加密保存",
    },
    Column {
        title: "出生日期",
        required: false,
        help: "年-月-日，如 2019-03-15；填写身份证号时须与之相符，可不填（取自身份证号）",
    },
    Column {
        title: "班级",
        required: true,
        help: "本校当前学年已建的行政班，如 三年级(2)班，或班级别名；在读学生必填，转出或毕业的可不填",
    },
    Column {
        title: "状态",
        required: false,
        help: "在读、转出 或 毕业；不填为在读",
    },
    Column {
        title: "监护人1姓名",
        required: true,
        help: "最多50个字符",
    },
    Column {
        title: "监护人1手机号",
        required: true,
        help: "11位手机号；家长用它登录，已有账号的自动关联",
    },
    Column {
        title: "监护人1关系",
        required: true,
        help: "父亲、母亲、祖父、祖母、外祖父、外祖母 或 其他",
    },
    Column {
        title: "监护人2姓名",
        required: false,
        help: "可不填；填写时三项都要填",
    },
    Column {
        title: "监护人2手机号",
        required: false,
        help: "11位手机号",
    },
    Column {
        title: "监护人2关系",
        required: false,
        help: "父亲、母亲、祖父、祖母、外祖父、外祖母 或 其他",
    },
];

pub const EXAMPLE: &[&str] = &[
    "20260301",
    "张小明",
    "男",
    "442000201903151235",
    "2019-03-15",
    "三年级(2)班",
    "在读",
    "张建国",
    "13900000001",
    "父亲",
    "李红",
    "13900000002",
    "母亲",
];

/// The column of each field name the shared checks report.
fn column_of(field: &str) -> &'static str {
    match field {
        "student_no" => "学号",
        "name" => "姓名",
        "gender" => "性别",
        "id_number" => "身份证号",
        "birth_date" => "出生日期",
        "status" => "状态",
        _ => "班级",
    }
}

/// Class names as people write them: half-width brackets, no spaces.
fn normalize_class(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .collect()
}

/// The classes of the school's newest school year, by display name and by alias.
async fn class_lookup(db: &impl ConnectionTrait, school_id: i64) -> Result<HashMap<String, i64>> {
    let classes = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school_id))
        .all(db)
        .await?;
    let Some(year) = classes.iter().map(|c| c.school_year.clone()).max() else {
        return Ok(HashMap::new());
    };
    let mut out = HashMap::new();
    for c in classes.iter().filter(|c| c.school_year == year) {
        let name = class_name(
            u8::try_from(c.grade).unwrap_or(0),
            u8::try_from(c.number).unwrap_or(0),
        );
        out.insert(normalize_class(&name), c.id);
        if let Some(alias) = &c.alias {
            out.insert(normalize_class(alias), c.id);
        }
    }
    Ok(out)
}

/// A row that passed every check.
struct Good {
    fields: StudentFields,
    id_index: Option<String>,
    id_enc: Option<String>,
    guardians: Vec<(String, Phone, String)>,
}

/// The existing students of the school: number → (id, blind index of the ID number).
async fn existing_students(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<HashMap<String, (i64, Option<String>)>> {
    let rows: Vec<(i64, String, Option<String>)> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .column(student::Column::StudentNo)
        .column(student::Column::IdNoIndex)
        .filter(student::Column::SchoolId.eq(school_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, no, index)| (no, (id, index)))
        .collect())
}

fn check_row(
    app: &App,
    row: &Row,
    classes: &HashMap<String, i64>,
    errors: &mut RowErrors,
) -> Option<Good> {
    let cell = |i: usize| Some(row.get(i).to_string()).filter(|v| !v.is_empty());
    // The class named, if any; an unknown name is reported here, a missing one by the
    // shared student rule below (the same rule as the form's).
    let class_id: Option<Option<i64>> = match row.get(5) {
        "" => Some(None),
        name => match classes.get(&normalize_class(name)) {
            Some(id) => Some(Some(*id)),
            None => {
                errors.push(
                    row.number,
                    "班级",
                    format!("本校当前学年没有班级“{name}”，请先在“班级管理”中建班"),
                );
                None
            }
        },
    };
    let mut invalid = Invalid::default();
    let fields = check_student(
        &StudentInput {
            student_no: cell(0),
            name: cell(1),
            gender: cell(2),
            id_number: cell(3),
            birth_date: cell(4),
            // An unknown class was reported already: not again as a missing one.
            class_id: class_id.unwrap_or(Some(0)),
            status: cell(6),
            guardians: Vec::new(),
        },
        &mut invalid,
    );
    for e in invalid.0 {
        errors.push(row.number, column_of(&e.field), e.reason);
    }
    let mut guardians = Vec::new();
    for (n, first) in [(1, 7), (2, 10)] {
        let given = (first..first + 3).any(|i| !row.get(i).is_empty());
        if n == 2 && !given {
            continue;
        }
        let mut invalid = Invalid::default();
        let checked = check_guardian(
            &GuardianInput {
                name: cell(first),
                phone: cell(first + 1),
                relation: cell(first + 2),
            },
            &mut invalid,
            "",
        );
        for e in invalid.0 {
            let column = match e.field.as_str() {
                "name" => "姓名",
                "phone" => "手机号",
                _ => "关系",
            };
            errors.push(row.number, &format!("监护人{n}{column}"), e.reason);
        }
        guardians.extend(checked);
    }
    if guardians.len() == 2 && guardians[0].1 == guardians[1].1 {
        errors.push(row.number, "监护人2手机号", "与监护人1的手机号相同");
    }
    let mut fields = fields?;
    fields.class_id = class_id?;
    if errors.has(row.number) {
        return None;
    }
    let (id_index, id_enc) = match &fields.id_number {
        Some(id) => (
            Some(app.vault.blind_index(id.as_str())),
            Some(app.vault.encrypt(id.as_str()).ok()?),
        ),
        None => (None, None),
    };
    Some(Good {
        fields,
        id_index,
        id_enc,
        guardians,
    })
}

pub(crate) async fn import(
    app: &App,
    runner: &Runner,
    school: &org::Model,
    rows: Vec<Row>,
    mode: Mode,
    progress: &Progress,
) -> Result<Outcome> {
    progress.stage("校验数据", rows.len());
    let classes = class_lookup(&app.db, school.id).await?;
    let existing = existing_students(&app.db, school.id).await?;
    // Whose ID number each blind index is, to refuse one number on two students.
    let mut id_owner: HashMap<String, String> = existing
        .iter()
        .filter_map(|(no, (_, index))| Some((index.clone()?, no.clone())))
        .collect();
    let mut errors = RowErrors::default();
    let mut seen_no: HashMap<String, u32> = HashMap::new();
    let mut good = Vec::with_capacity(rows.len());
    for row in &rows {
        progress.advance(1);
        let Some(g) = check_row(app, row, &classes, &mut errors) else {
            continue;
        };
        let no = g.fields.student_no.clone();
        if let Some(first) = seen_no.insert(no.clone(), row.number) {
            errors.push(row.number, "学号", format!("学号 {no} 与第{first}行重复"));
            continue;
        }
        if let (Some(id), Some(index)) = (&g.fields.id_number, &g.id_index) {
            // Under every key held: an existing row may still carry an older key's index.
            let owner = app
                .vault
                .blind_indexes(id.as_str())
                .iter()
                .find_map(|i| id_owner.get(i))
                .cloned();
            match owner {
                Some(owner) if owner != no => {
                    let whose = seen_no
                        .get(&owner)
                        .filter(|_| !existing.contains_key(&owner))
                        .map(|r| format!("第{r}行"))
                        .unwrap_or_else(|| format!("本校学生（学号 {owner}）"));
                    errors.push(row.number, "身份证号", format!("与{whose}的身份证号重复"));
                    continue;
                }
                _ => {
                    id_owner.insert(index.clone(), no);
                }
            }
        }
        good.push(g);
    }
    let (mut outcome, write) = Outcome::validated(rows.len(), errors, good.len(), mode);
    if !write {
        return Ok(outcome);
    }
    progress.stage("写入数据库", good.len());
    let txn = kehou_store::begin_write(&app.db).await?;
    let users = guardian_accounts(app, &txn, school, &good).await?;
    let now = app.now();
    let (new, old): (Vec<&Good>, Vec<&Good>) = good
        .iter()
        .partition(|g| !existing.contains_key(&g.fields.student_no));
    for chunk in new.chunks(CHUNK) {
        student::Entity::insert_many(chunk.iter().map(|g| student::ActiveModel {
            school_id: Set(school.id),
            student_no: Set(g.fields.student_no.clone()),
            name: Set(g.fields.name.clone()),
            gender: Set(crate::school::student::gender_code(g.fields.gender).into()),
            id_no_enc: Set(g.id_enc.clone()),
            id_no_index: Set(g.id_index.clone()),
            birth_date: Set(g.fields.birth_date),
            class_id: Set(g.fields.class_id),
            status: Set(g.fields.status.into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        progress.advance(chunk.len());
    }
    // The rows as they were, to record what each update changed.
    let mut before: HashMap<i64, student::Model> = HashMap::new();
    let old_ids: Vec<i64> = old
        .iter()
        .filter_map(|g| existing.get(&g.fields.student_no).map(|(id, _)| *id))
        .collect();
    for chunk in old_ids.chunks(CHUNK) {
        for s in student::Entity::find()
            .filter(student::Column::Id.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            before.insert(s.id, s);
        }
    }
    let class_names = crate::school::student::class_names(&txn, school.id).await?;
    for g in &old {
        let id = existing.get(&g.fields.student_no).map(|(id, _)| *id);
        if let Some(was) = id.and_then(|id| before.get(&id)) {
            let mut now_is = was.clone();
            now_is.name = g.fields.name.clone();
            now_is.gender = crate::school::student::gender_code(g.fields.gender).into();
            now_is.id_no_index = g.id_index.clone();
            now_is.birth_date = g.fields.birth_date;
            now_is.class_id = g.fields.class_id;
            now_is.status = g.fields.status.into();
            let diff = crate::school::student::student_diff(was, &now_is, &class_names);
            if !diff.is_empty() {
                crate::platform::audit::record(
                    &txn,
                    now,
                    &runner.by(),
                    crate::platform::audit::Change {
                        org_id: Some(school.id),
                        org_path: &school.path,
                        action: "student.update",
                        entity_type: "student",
                        entity_id: Some(was.id),
                        summary: format!(
                            "导入更新学生 {}（学号 {}）{}",
                            was.name,
                            was.student_no,
                            diff.suffix()
                        ),
                    },
                )
                .await?;
            }
        }
        student::Entity::update_many()
            .set(student::ActiveModel {
                name: Set(g.fields.name.clone()),
                gender: Set(crate::school::student::gender_code(g.fields.gender).into()),
                id_no_enc: Set(g.id_enc.clone()),
                id_no_index: Set(g.id_index.clone()),
                birth_date: Set(g.fields.birth_date),
                class_id: Set(g.fields.class_id),
                status: Set(g.fields.status.into()),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(student::Column::Id.eq(id.unwrap_or_default()))
            .exec(&txn)
            .await?;
        progress.advance(1);
    }
    let ids: HashMap<String, i64> = existing_students(&txn, school.id)
        .await?
        .into_iter()
        .map(|(no, (id, _))| (no, id))
        .collect();
    link_guardians(&txn, school.id, &good, &ids, &users, now).await?;
    outcome.created = new.len();
    outcome.updated = old.len();
    outcome
        .record(&txn, now, runner, school, crate::import::Kind::Students)
        .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Finds or creates the account of every guardian phone and gives each the parent role at
/// the school. New accounts share one unusable password hash: the parent sets a password
/// through a reset, and hashing tens of thousands of random passwords would only burn time.
async fn guardian_accounts(
    app: &App,
    txn: &DatabaseTransaction,
    school: &org::Model,
    good: &[Good],
) -> Result<HashMap<String, i64>> {
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for g in good {
        for (name, phone, _) in &g.guardians {
            names.entry(phone.as_str()).or_insert(name.as_str());
        }
    }
    let phones: Vec<&str> = names.keys().copied().collect();
    let mut ids = users_by_phone(app, txn, &phones).await?;
    let missing: Vec<(&str, &str)> = names
        .iter()
        .filter(|(phone, _)| !ids.contains_key(**phone))
        .map(|(p, n)| (*p, *n))
        .collect();
    if !missing.is_empty() {
        let unusable = Password::parse(&format!(
            "{}a1",
            &crate::identity::auth::random_token()[..30]
        ))
        .map_err(Error::Internal)?;
        let hash = crate::identity::auth::hash_password(&unusable)?;
        let now = app.now();
        for chunk in missing.chunks(CHUNK) {
            let sealed = chunk
                .iter()
                .map(|(phone, name)| {
                    Ok((
                        app.vault.blind_index(phone),
                        app.vault.encrypt(phone)?,
                        *name,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            user::Entity::insert_many(sealed.into_iter().map(|(index, enc, name)| {
                user::ActiveModel {
                    phone_index: Set(index),
                    phone_enc: Set(Some(enc)),
                    name: Set((*name).into()),
                    password_hash: Set(hash.clone()),
                    frozen: Set(false),
                    must_change_password: Set(true),
                    failed_logins: Set(0),
                    locked_until: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            }))
            .exec(txn)
            .await?;
        }
        let new_phones: Vec<&str> = missing.iter().map(|(p, _)| *p).collect();
        ids.extend(users_by_phone(app, txn, &new_phones).await?);
    }
    let parent = role::Entity::find()
        .filter(role::Column::Code.eq("parent"))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("家长角色"))?;
    let members: HashSet<i64> = membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::OrgId.eq(school.id))
        .filter(membership::Column::RoleId.eq(parent.id))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let now = app.now();
    let to_add: Vec<i64> = ids
        .values()
        .copied()
        .filter(|id| !members.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in to_add.chunks(CHUNK) {
        membership::Entity::insert_many(chunk.iter().map(|user_id| membership::ActiveModel {
            user_id: Set(*user_id),
            org_id: Set(school.id),
            role_id: Set(parent.id),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(txn)
        .await?;
    }
    Ok(ids
        .into_iter()
        .map(|(phone, id)| (phone.to_string(), id))
        .collect())
}

/// The accounts of these phone numbers, found through their blind indexes. Each chunk of
/// the sorted indexes is read as one range of the unique index and filtered here: an `IN`
/// list of hundreds of values costs PostgreSQL a comparison per value and row whenever it
/// scans, which it does on a table whose statistics are stale, as they are right after a
/// large import.
async fn users_by_phone<'a>(
    app: &App,
    db: &impl ConnectionTrait,
    phones: &[&'a str],
) -> Result<HashMap<&'a str, i64>> {
    // Every key's index: during a key rotation a row may still carry the older key's.
    let mut sorted: Vec<(String, &'a str)> = phones
        .iter()
        .flat_map(|p| app.vault.blind_indexes(p).into_iter().map(move |i| (i, *p)))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = HashMap::new();
    for chunk in sorted.chunks(CHUNK) {
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        let found: Vec<(i64, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::PhoneIndex)
            .filter(user::Column::PhoneIndex.between(first.0.as_str(), last.0.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, index) in found {
            if let Ok(i) = chunk.binary_search_by(|(k, _)| k.as_str().cmp(index.as_str())) {
                out.insert(chunk[i].1, id);
            }
        }
    }
    Ok(out)
}

/// Links each imported student to the guardians of its row; an existing link keeps its id
/// and takes the relation written in the sheet.
async fn link_guardians(
    txn: &DatabaseTransaction,
    school_id: i64,
    good: &[Good],
    students: &HashMap<String, i64>,
    users: &HashMap<String, i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let in_school = Query::select()
        .column(student::Column::Id)
        .from(student::Entity)
        .and_where(student::Column::SchoolId.eq(school_id))
        .to_owned();
    let links: HashMap<(i64, i64), (i64, String)> = guardian::Entity::find()
        .filter(guardian::Column::StudentId.in_subquery(in_school))
        .all(txn)
        .await?
        .into_iter()
        .map(|g| ((g.student_id, g.user_id), (g.id, g.relation)))
        .collect();
    let mut new = Vec::new();
    for g in good {
        let Some(student_id) = students.get(&g.fields.student_no) else {
            continue;
        };
        for (_, phone, relation) in &g.guardians {
            let Some(user_id) = users.get(phone.as_str()) else {
                continue;
            };
            match links.get(&(*student_id, *user_id)) {
                None => new.push(guardian::ActiveModel {
                    student_id: Set(*student_id),
                    user_id: Set(*user_id),
                    relation: Set(relation.clone()),
                    created_at: Set(now),
                    ..Default::default()
                }),
                Some((id, current)) if current != relation => {
                    guardian::ActiveModel {
                        id: Set(*id),
                        relation: Set(relation.clone()),
                        ..Default::default()
                    }
                    .update(txn)
                    .await?;
                }
                Some(_) => {}
            }
        }
    }
    for chunk in new.chunks(CHUNK) {
        guardian::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    Ok(())
}
