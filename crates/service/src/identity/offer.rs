//! Memberships offered to an account that already belongs to another organization. A
//! school that enters the phone number of someone else's account (a bureau leader, a
//! teacher of another school) learns nothing about that person, and the account gains no
//! role, until its owner accepts the offer in their messages.

use chrono::{DateTime, Utc};
use kehou_store::entity::identity::{membership, membership_offer, role};
use kehou_store::entity::org;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::messages::{self, NewMessage};
use crate::{App, Error, Principal, Result};

/// Whether `user_id` holds a membership in an organization other than `org_id`: then a
/// new membership at `org_id` waits for their acceptance.
pub(crate) async fn belongs_elsewhere(
    db: &impl ConnectionTrait,
    user_id: i64,
    org_id: i64,
) -> Result<bool> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrgId.ne(org_id))
        .one(db)
        .await?
        .is_some())
}

/// An offer to make.
pub(crate) struct NewOffer<'a> {
    pub user_id: i64,
    pub org: &'a org::Model,
    pub role_ids: &'a [i64],
    /// What the offering area creates on acceptance (its JSON).
    pub payload: String,
    pub by: &'a By<'a>,
}

/// Records the offer and messages the account's owner; an offer still open for the same
/// organization is replaced. Returns the offer's id; call `messages::announce` after commit.
pub(crate) async fn offer(
    db: &impl ConnectionTrait,
    o: NewOffer<'_>,
    now: DateTime<Utc>,
) -> Result<i64> {
    membership_offer::Entity::delete_many()
        .filter(membership_offer::Column::UserId.eq(o.user_id))
        .filter(membership_offer::Column::OrgId.eq(o.org.id))
        .filter(membership_offer::Column::DecidedAt.is_null())
        .exec(db)
        .await?;
    let role_names = role_names(db, o.role_ids).await?;
    let row = membership_offer::ActiveModel {
        user_id: Set(o.user_id),
        org_id: Set(o.org.id),
        role_ids: Set(o
            .role_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")),
        payload: Set(o.payload),
        offered_by: Set(o.by.name.to_string()),
        offered_by_user_id: Set(o.by.user_id),
        created_at: Set(now),
        decided_at: Set(None),
        accepted: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    messages::send(
        db,
        o.user_id,
        NewMessage {
            kind: "membership_offer",
            title: format!("{}邀请您加入", o.org.name),
            body: format!(
                "{}邀请您以“{}”身份加入{}。接受后可在页面顶部切换到该身份；如不认识对方，请拒绝。",
                o.by.name,
                role_names.join("、"),
                o.org.name
            ),
            link: Some(format!("/invitations/{}", row.id)),
        },
        now,
    )
    .await?;
    Ok(row.id)
}

async fn role_names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<String>> {
    Ok(role::Entity::find()
        .filter(role::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(role::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

fn parse_role_ids(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|v| v.parse().ok()).collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = InvitationOfferView)]
pub struct OfferView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub roles: Vec<String>,
    pub offered_by: String,
    pub created_at: DateTime<Utc>,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
}

async fn own(db: &impl ConnectionTrait, p: &Principal, id: i64) -> Result<membership_offer::Model> {
    membership_offer::Entity::find_by_id(id)
        .filter(membership_offer::Column::UserId.eq(p.user_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("邀请"))
}

async fn view(db: &impl ConnectionTrait, o: &membership_offer::Model) -> Result<OfferView> {
    let org_name = org::Entity::find_by_id(o.org_id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(OfferView {
        id: o.id,
        org_id: o.org_id,
        org_name,
        roles: role_names(db, &parse_role_ids(&o.role_ids)).await?,
        offered_by: o.offered_by.clone(),
        created_at: o.created_at,
        status: match o.accepted {
            None => "pending",
            Some(true) => "accepted",
            Some(false) => "declined",
        }
        .into(),
    })
}

/// One offer made to the caller.
pub async fn get(app: &App, p: &Principal, id: i64) -> Result<OfferView> {
    let o = own(&app.db, p, id).await?;
    view(&app.db, &o).await
}

/// Accepts or declines an offer made to the caller. Accepting adds the roles the
/// organization still offers and lets the offering area create its record (a staff
/// record); the person who made the offer is told either way.
pub async fn decide(app: &App, p: &Principal, id: i64, accept: bool) -> Result<OfferView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = own(&txn, p, id).await?;
    if o.decided_at.is_some() {
        return Err(Error::conflict("该邀请已处理"));
    }
    let organization = org::Entity::find_by_id(o.org_id)
        .one(&txn)
        .await?
        .filter(|org| org.active)
        .ok_or(Error::conflict("发出邀请的组织已停用，无法接受"))?;
    let now = app.now();
    if accept {
        let offered = parse_role_ids(&o.role_ids);
        let held: Vec<i64> = membership::Entity::find()
            .filter(membership::Column::UserId.eq(p.user_id))
            .filter(membership::Column::OrgId.eq(o.org_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| m.role_id)
            .collect();
        let roles = role::Entity::find()
            .filter(role::Column::Id.is_in(offered))
            .all(&txn)
            .await?;
        for r in roles.iter().filter(|r| !held.contains(&r.id)) {
            membership::ActiveModel {
                user_id: Set(p.user_id),
                org_id: Set(o.org_id),
                role_id: Set(r.id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        crate::school::staff::create_from_offer(&txn, &o, p.user_id, now).await?;
    }
    let mut m = o.clone().into_active_model();
    m.decided_at = Set(Some(now));
    m.accepted = Set(Some(accept));
    let decided = m.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &By {
            user_id: Some(p.user_id),
            name: &p.user_name,
            membership_id: p.actor.as_ref().map(|a| a.membership_id),
            ip: p.ip.as_deref(),
        },
        Change {
            org_id: Some(organization.id),
            org_path: &organization.path,
            action: if accept {
                "membership.accept"
            } else {
                "membership.decline"
            },
            entity_type: "user",
            entity_id: Some(p.user_id),
            summary: format!(
                "{}{}的加入邀请",
                if accept { "接受" } else { "拒绝" },
                organization.name
            ),
        },
    )
    .await?;
    if let Some(by) = o.offered_by_user_id {
        messages::send(
            &txn,
            by,
            NewMessage {
                kind: "membership_answer",
                title: format!("加入邀请已{}", if accept { "接受" } else { "拒绝" }),
                body: format!(
                    "您在{}发出的加入邀请已被对方{}。",
                    organization.name,
                    if accept { "接受" } else { "拒绝" }
                ),
                link: None,
            },
            now,
        )
        .await?;
    }
    let answer = view(&txn, &decided).await?;
    txn.commit().await?;
    if let Some(by) = o.offered_by_user_id {
        messages::announce(app, by);
    }
    Ok(answer)
}

/// An open offer of an organization, as the organization sees it: the name it entered and
/// the number masked, nothing of the account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingOffer {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The open offers of `org_id`, newest first; `name_of` reads the entered name from the
/// offering area's payload.
pub(crate) async fn pending_of(
    app: &App,
    db: &impl ConnectionTrait,
    org_id: i64,
    name_of: impl Fn(&str) -> String,
) -> Result<Vec<PendingOffer>> {
    let offers = membership_offer::Entity::find()
        .filter(membership_offer::Column::OrgId.eq(org_id))
        .filter(membership_offer::Column::DecidedAt.is_null())
        .order_by_desc(membership_offer::Column::Id)
        .all(db)
        .await?;
    // Accounts and role names for all offers at once.
    let users: std::collections::HashMap<i64, kehou_store::entity::identity::user::Model> =
        kehou_store::entity::identity::user::Entity::find()
            .filter(
                kehou_store::entity::identity::user::Column::Id
                    .is_in(offers.iter().map(|o| o.user_id)),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let roles: std::collections::HashMap<i64, String> = role::Entity::find()
        .filter(role::Column::Id.is_in(offers.iter().flat_map(|o| parse_role_ids(&o.role_ids))))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let out = offers
        .into_iter()
        .map(|o| PendingOffer {
            id: o.id,
            name: name_of(&o.payload),
            phone: users
                .get(&o.user_id)
                .map(|u| app.vault.masked_account_phone(u))
                .unwrap_or_default(),
            roles: parse_role_ids(&o.role_ids)
                .iter()
                .filter_map(|id| roles.get(id).cloned())
                .collect(),
            created_at: o.created_at,
        })
        .collect();
    Ok(out)
}
