//! The daily symptom report (晨午检因病缺课症状日报, I12): the sick leave covering a day,
//! pending or approved, counted by symptom for each class and school and rolled up the
//! bureaus above them — town-street, district, city — as far as the reader's jurisdiction.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use kehou_domain::attendance::{LeaveKind, RequestStatus, SYMPTOMS};
use kehou_domain::{BureauLevel, OrgKind, Permission};
use kehou_store::entity::attendance::leave_request;
use kehou_store::entity::org;
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Result};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SymptomQuery {
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SymptomRow {
    /// The organization; none for a class.
    pub org_id: Option<i64>,
    /// 市级教育局, 区（县）教育局, 镇街教育办, 学校 or 班级.
    pub level: String,
    pub name: String,
    /// How deep under the reader's organization (0 is the reader's own).
    pub depth: usize,
    /// Students on sick leave that day.
    pub total: i64,
    /// Per symptom, in the order of `symptoms`.
    pub counts: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SymptomReport {
    pub date: NaiveDate,
    pub symptoms: Vec<String>,
    pub total: i64,
    /// The reader's organization first, then each organization with cases under it, a
    /// school's classes under the school.
    pub rows: Vec<SymptomRow>,
}

fn level_of(o: &org::Model) -> String {
    match OrgKind::parse(&o.kind).ok() {
        Some(OrgKind::School) => "学校".into(),
        Some(OrgKind::Bureau) => o
            .level
            .as_deref()
            .and_then(|l| BureauLevel::parse(l).ok())
            .map_or("教育局", BureauLevel::label)
            .into(),
        Some(k) => k.label().into(),
        None => String::new(),
    }
}

/// The day's symptom report of the reader's jurisdiction (`attendance.view`).
pub async fn daily(app: &App, actor: &Actor, q: &SymptomQuery) -> Result<SymptomReport> {
    actor.require(Permission::AttendanceView)?;
    let db = &app.db;
    let date = super::record::parse_day(app, q.date.as_deref())?;
    let orgs: HashMap<i64, org::Model> = org::Entity::find()
        .filter(org::Column::Path.starts_with(actor.org_path.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let schools: Vec<i64> = orgs
        .values()
        .filter(|o| o.kind == OrgKind::School.code())
        .map(|o| o.id)
        .collect();
    let leaves = leave_request::Entity::find()
        .filter(leave_request::Column::SchoolId.is_in(schools))
        .filter(leave_request::Column::Kind.eq(LeaveKind::Sick.code()))
        .filter(leave_request::Column::Status.is_in([
            RequestStatus::Pending.code(),
            RequestStatus::Approved.code(),
        ]))
        .filter(leave_request::Column::FromDate.lte(date))
        .filter(leave_request::Column::ToDate.gte(date))
        .all(db)
        .await?;
    let n = SYMPTOMS.len();
    let other = n - 1;
    let mut by_org: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut by_class: HashMap<i64, BTreeMap<String, Vec<i64>>> = HashMap::new();
    let mut class_names: HashMap<i64, HashMap<i64, (String, String)>> = HashMap::new();
    // One student counts once a day, with the symptom of their latest sick leave.
    let mut seen = std::collections::HashSet::new();
    let mut leaves = leaves;
    leaves.sort_by_key(|l| std::cmp::Reverse(l.id));
    for l in leaves {
        if !seen.insert(l.student_id) {
            continue;
        }
        let Some(school) = orgs.get(&l.school_id) else {
            continue;
        };
        let k = SYMPTOMS
            .iter()
            .position(|s| *s == l.symptom)
            .unwrap_or(other);
        for id in school
            .path
            .split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .filter(|id| orgs.contains_key(id))
        {
            by_org.entry(id).or_insert_with(|| vec![0; n])[k] += 1;
        }
        if let std::collections::hash_map::Entry::Vacant(v) = class_names.entry(school.id) {
            v.insert(crate::school::student::names_of(db, school.id).await?);
        }
        let class = class_names
            .get(&school.id)
            .and_then(|m| m.get(&l.student_id))
            .map(|(_, c)| c.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "未分班".into());
        by_class
            .entry(school.id)
            .or_default()
            .entry(class)
            .or_insert_with(|| vec![0; n])[k] += 1;
    }
    // Depth-first from the reader's organization, children by name, only those with cases.
    let mut children: HashMap<i64, Vec<&org::Model>> = HashMap::new();
    for o in orgs.values() {
        if let Some(p) = o.parent_id {
            children.entry(p).or_default().push(o);
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut rows = Vec::new();
    let root = orgs.get(&actor.org_id);
    let mut stack: Vec<(&org::Model, usize)> = root.into_iter().map(|o| (o, 0)).collect();
    while let Some((o, depth)) = stack.pop() {
        let counts = by_org.get(&o.id).cloned().unwrap_or_else(|| vec![0; n]);
        rows.push(SymptomRow {
            org_id: Some(o.id),
            level: level_of(o),
            name: o.name.clone(),
            depth,
            total: counts.iter().sum(),
            counts,
        });
        if let Some(classes) = by_class.get(&o.id) {
            for (name, counts) in classes {
                rows.push(SymptomRow {
                    org_id: None,
                    level: "班级".into(),
                    name: name.clone(),
                    depth: depth + 1,
                    total: counts.iter().sum(),
                    counts: counts.clone(),
                });
            }
        }
        for c in children.get(&o.id).into_iter().flatten().rev() {
            if by_org.contains_key(&c.id) {
                stack.push((c, depth + 1));
            }
        }
    }
    Ok(SymptomReport {
        date,
        symptoms: SYMPTOMS.iter().map(|s| (*s).to_string()).collect(),
        total: rows.first().map_or(0, |r| r.total),
        rows,
    })
}

/// The report as a workbook: one line per organization and class, indented by level.
pub fn workbook(r: &SymptomReport) -> Result<Vec<u8>> {
    let mut headers: Vec<&str> = vec!["级别", "名称", "病假人数"];
    headers.extend(r.symptoms.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|x| {
            let mut v = vec![
                x.level.clone(),
                format!("{}{}", "　".repeat(x.depth), x.name),
                x.total.to_string(),
            ];
            v.extend(x.counts.iter().map(i64::to_string));
            v
        })
        .collect();
    crate::platform::sheet::workbook(&[crate::platform::sheet::SheetData {
        name: "症状日报",
        headers: &headers,
        rows: &rows,
    }])
}
