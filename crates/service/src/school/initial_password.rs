//! Initial passwords for accounts a school created by import (staff and guardians), which
//! nobody can log in with until they are given one. The school picks people, gets a
//! sheet of one-time passwords to hand out, and each account must change its password at
//! first login. Only accounts that belong to this school alone are touched: a school
//! cannot reset the password of a bureau officer who also teaches there.

use std::collections::{BTreeMap, HashSet};

use kehou_domain::{Password, Permission};
use kehou_store::entity::identity::{membership, user};
use kehou_store::entity::school::{guardian, staff, student};
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::school::school_for;
use crate::{Actor, App, Error, Result};

/// Accounts one request may give passwords to (each costs a password hash).
pub const MAX_ACCOUNTS: usize = 200;

/// Whose accounts get passwords.
#[derive(Debug, Clone)]
pub enum Target {
    /// Staff records of the school.
    Staff(Vec<i64>),
    /// The guardians of these students of the school.
    GuardiansOf(Vec<i64>),
}

/// One account's new password, to hand to its owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedRow {
    pub name: String,
    /// Why the person has the account: 教职工, or 周俊的父亲.
    pub role: String,
    /// The login number, masked: its owner knows it.
    pub phone: String,
    pub password: String,
}

/// The outcome: the passwords given, and the people left out with why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Issued {
    pub issued: Vec<IssuedRow>,
    /// People whose account belongs to another organization too: they keep their password.
    pub skipped: Vec<String>,
}

impl Target {
    /// The target of a request naming staff or students (exactly one of them).
    pub fn either(staff_ids: Option<Vec<i64>>, student_ids: Option<Vec<i64>>) -> Option<Self> {
        match (staff_ids, student_ids) {
            (Some(ids), None) => Some(Self::Staff(ids)),
            (None, Some(ids)) => Some(Self::GuardiansOf(ids)),
            _ => None,
        }
    }
}

/// Gives passwords to the accounts of `target` (`None`: the request named neither staff
/// nor students, or both), after the permission and the school are checked.
pub async fn issue(
    app: &App,
    actor: &Actor,
    school_id: i64,
    target: Option<Target>,
) -> Result<Issued> {
    actor.require(Permission::UserManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let target = target
        .ok_or_else(|| Error::invalid("staff_ids", "请给出 staff_ids 或 student_ids 中的一项"))?;
    // user id → (why they have the account), in a stable order.
    let mut people: BTreeMap<i64, String> = BTreeMap::new();
    let what = match &target {
        Target::Staff(ids) => {
            let rows = staff::Entity::find()
                .filter(staff::Column::SchoolId.eq(school.id))
                .filter(staff::Column::Id.is_in(ids.iter().copied()))
                .all(&txn)
                .await?;
            if rows.len() != ids.iter().collect::<HashSet<_>>().len() {
                return Err(Error::NotFound("教职工"));
            }
            for s in rows {
                people.insert(s.user_id, "教职工".into());
            }
            "教职工"
        }
        Target::GuardiansOf(ids) => {
            let students = student::Entity::find()
                .filter(student::Column::SchoolId.eq(school.id))
                .filter(student::Column::Id.is_in(ids.iter().copied()))
                .all(&txn)
                .await?;
            if students.len() != ids.iter().collect::<HashSet<_>>().len() {
                return Err(Error::NotFound("学生"));
            }
            let names: BTreeMap<i64, String> =
                students.into_iter().map(|s| (s.id, s.name)).collect();
            for g in guardian::Entity::find()
                .filter(guardian::Column::StudentId.is_in(names.keys().copied()))
                .all(&txn)
                .await?
            {
                let child = names.get(&g.student_id).cloned().unwrap_or_default();
                people
                    .entry(g.user_id)
                    .and_modify(|r| r.push_str(&format!("、{child}的{}", g.relation)))
                    .or_insert(format!("{child}的{}", g.relation));
            }
            "家长"
        }
    };
    if people.is_empty() {
        return Err(Error::invalid("ids", "请至少选择一人"));
    }
    if people.len() > MAX_ACCOUNTS {
        return Err(Error::invalid(
            "ids",
            format!("一次最多为{MAX_ACCOUNTS}个账号生成初始密码，请分批操作"),
        ));
    }
    let elsewhere: HashSet<i64> = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(people.keys().copied()))
        .filter(membership::Column::OrgId.ne(school.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let accounts = user::Entity::find()
        .filter(user::Column::Id.is_in(people.keys().copied()))
        .all(&txn)
        .await?;
    let now = app.now();
    let mut out = Issued {
        issued: Vec::new(),
        skipped: Vec::new(),
    };
    for u in accounts {
        let role = people.get(&u.id).cloned().unwrap_or_default();
        if elsewhere.contains(&u.id) {
            out.skipped.push(format!("{}（{role}）", u.name));
            continue;
        }
        let plain = crate::identity::account::generate_password();
        let hash = crate::identity::auth::hash_password(
            &Password::parse(&plain).map_err(Error::Internal)?,
        )?;
        out.issued.push(IssuedRow {
            name: u.name.clone(),
            role,
            phone: app.vault.masked_account_phone(&u),
            password: plain,
        });
        crate::identity::auth::replace_password(&txn, u, hash, true, now).await?;
    }
    if out.issued.is_empty() {
        return Err(Error::conflict(
            "所选人员的账号都属于其他单位，不能由本校重置密码",
        ));
    }
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "user.initial_passwords",
            entity_type: "user",
            entity_id: None,
            summary: format!(
                "为{}个{what}账号生成初始密码（首次登录须修改）：{}{}",
                out.issued.len(),
                names_of(&out.issued),
                if out.skipped.is_empty() {
                    String::new()
                } else {
                    format!("；{}人属于其他单位，未重置", out.skipped.len())
                }
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

/// The first names of a batch, for the audit line.
fn names_of(rows: &[IssuedRow]) -> String {
    const SHOWN: usize = 20;
    let names: Vec<&str> = rows.iter().take(SHOWN).map(|r| r.name.as_str()).collect();
    if rows.len() > SHOWN {
        format!("{}等", names.join("、"))
    } else {
        names.join("、")
    }
}
