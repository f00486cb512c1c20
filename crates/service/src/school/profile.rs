//! School profile (C1) and emergency contacts (C5).

use kehou_domain::Phone;
use kehou_domain::school::{Nature, SchoolType, grade_name};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::school::{school_contact, school_profile};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use super::school_for;
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    /// Masked (`138****0007`); the whole number through the audited phone endpoint.
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    pub school_id: i64,
    pub name: String,
    pub region_code: Option<String>,
    /// `primary`, `junior`, `nine_year`, `complete`, `twelve_year`; none until set.
    pub school_type: Option<String>,
    pub school_type_label: Option<String>,
    /// `public` or `private`.
    pub nature: Option<String>,
    pub nature_label: Option<String>,
    pub address: Option<String>,
    pub stages: Vec<String>,
    pub grades: Vec<String>,
    pub campuses: Vec<String>,
    pub emergency_contacts: Vec<ContactView>,
}

fn contact_view(app: &App, c: school_contact::Model) -> ContactView {
    // A number that cannot be decrypted (wrong key) shows as such instead of failing the page.
    let phone = app
        .vault
        .decrypt(&c.phone_enc)
        .ok()
        .and_then(|p| Phone::parse(&p).ok())
        .map(|p| p.masked())
        .unwrap_or_else(|| "无法解密".into());
    ContactView {
        id: c.id,
        name: c.name,
        title: c.title,
        phone,
    }
}

pub async fn profile(app: &App, actor: &Actor, school_id: i64) -> Result<ProfileView> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let p = school_profile::Entity::find_by_id(school.id)
        .one(&app.db)
        .await?;
    let contacts = school_contact::Entity::find()
        .filter(school_contact::Column::SchoolId.eq(school.id))
        .order_by_asc(school_contact::Column::Id)
        .all(&app.db)
        .await?;
    let school_type = p
        .as_ref()
        .and_then(|p| SchoolType::parse(&p.school_type).ok());
    let nature = p.as_ref().and_then(|p| Nature::parse(&p.nature).ok());
    Ok(ProfileView {
        school_id: school.id,
        name: school.name,
        region_code: school.region_code,
        school_type: school_type.map(|t| t.code().into()),
        school_type_label: school_type.map(|t| t.label().into()),
        nature: nature.map(|n| n.code().into()),
        nature_label: nature.map(|n| n.label().into()),
        address: p.as_ref().and_then(|p| p.address.clone()),
        stages: school_type
            .map(|t| t.stages().iter().map(|s| s.label().to_string()).collect())
            .unwrap_or_default(),
        grades: school_type
            .map(|t| t.grades().into_iter().map(grade_name).collect())
            .unwrap_or_default(),
        campuses: p
            .as_ref()
            .map(|p| p.campuses.lines().map(String::from).collect())
            .unwrap_or_default(),
        emergency_contacts: contacts.into_iter().map(|c| contact_view(app, c)).collect(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub school_type: Option<String>,
    pub nature: Option<String>,
    pub address: Option<String>,
    pub campuses: Vec<String>,
}

pub async fn set_profile(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: ProfileInput,
) -> Result<ProfileView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let mut invalid = Invalid::default();
    let school_type = invalid.take(
        "school_type",
        SchoolType::parse(input.school_type.as_deref().unwrap_or("")),
    );
    let nature = invalid.take(
        "nature",
        Nature::parse(input.nature.as_deref().unwrap_or("")),
    );
    let address = invalid.optional_text("address", input.address.as_deref(), 200);
    let mut campuses = Vec::new();
    for (i, c) in input
        .campuses
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .enumerate()
    {
        if let Some(c) = invalid.text(&format!("campuses[{i}]"), c, 50) {
            campuses.push(c);
        }
    }
    if campuses.len() > 20 {
        invalid.push("campuses", "校区最多20个");
    }
    check(invalid)?;
    let (Some(school_type), Some(nature), Some(address)) = (school_type, nature, address) else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let row = school_profile::ActiveModel {
        school_id: Set(school.id),
        school_type: Set(school_type.code().into()),
        nature: Set(nature.code().into()),
        address: Set(address),
        campuses: Set(campuses.join("\n")),
        updated_at: Set(now),
    };
    if school_profile::Entity::find_by_id(school.id)
        .one(&txn)
        .await?
        .is_some()
    {
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
    }
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "school.profile",
            entity_type: "school",
            entity_id: Some(school.id),
            summary: format!(
                "设置学校信息：{}，{}，校区{}个",
                school_type.label(),
                nature.label(),
                campuses.len()
            ),
        },
    )
    .await?;
    txn.commit().await?;
    profile(app, actor, school_id).await
}

pub async fn add_contact(
    app: &App,
    actor: &Actor,
    school_id: i64,
    name: Option<&str>,
    title: Option<&str>,
    phone: Option<&str>,
) -> Result<ProfileView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let mut invalid = Invalid::default();
    let name = invalid.text("name", name.unwrap_or(""), 50);
    let title = invalid.optional_text("title", title, 50);
    let phone = invalid.take("phone", Phone::parse(phone.unwrap_or("")));
    check(invalid)?;
    let (Some(name), Some(title), Some(phone)) = (name, title, phone) else {
        return Err(Error::Internal("validation".into()));
    };
    let now = app.now();
    let created = school_contact::ActiveModel {
        school_id: Set(school.id),
        name: Set(name),
        title: Set(title),
        phone_enc: Set(app.vault.encrypt(phone.as_str())?),
        phone_index: Set(app.vault.blind_index(phone.as_str())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "school.contact_add",
            entity_type: "school",
            entity_id: Some(school.id),
            summary: format!("新增紧急联系人 {}（{}）", created.name, phone.masked()),
        },
    )
    .await?;
    txn.commit().await?;
    profile(app, actor, school_id).await
}

pub async fn remove_contact(
    app: &App,
    actor: &Actor,
    school_id: i64,
    contact_id: i64,
) -> Result<ProfileView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let c = school_contact::Entity::find_by_id(contact_id)
        .filter(school_contact::Column::SchoolId.eq(school.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("紧急联系人"))?;
    school_contact::Entity::delete_by_id(c.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "school.contact_remove",
            entity_type: "school",
            entity_id: Some(school.id),
            summary: format!("删除紧急联系人 {}", c.name),
        },
    )
    .await?;
    txn.commit().await?;
    profile(app, actor, school_id).await
}

/// The whole phone number of a contact, for those allowed to see it; every look is audited.
pub async fn reveal_contact_phone(
    app: &App,
    actor: &Actor,
    school_id: i64,
    contact_id: i64,
) -> Result<String> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::PersonalDataView).await?;
    let c = school_contact::Entity::find_by_id(contact_id)
        .filter(school_contact::Column::SchoolId.eq(school.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("紧急联系人"))?;
    let phone = app.vault.decrypt(&c.phone_enc)?;
    audit::record(
        &txn,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "personal.view",
            entity_type: "school",
            entity_id: Some(school.id),
            summary: format!("查看紧急联系人 {} 的完整手机号", c.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(phone)
}
