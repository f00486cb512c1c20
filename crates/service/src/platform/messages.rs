//! The message centre (L2): messages to one person, whatever membership they act through,
//! each with a kind, a title, a text, a link to act on and its read state. Areas send
//! them in their own transactions ([`send`]) and announce them after commit
//! ([`announce`]) so that open pages update at once.

use chrono::{DateTime, Utc};
use kehou_store::entity::platform::message;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::{App, Error, Page, PageRequest, Principal, Result};

/// The kinds of message, with their names.
pub const KINDS: &[(&str, &str)] = &[
    ("membership_offer", "加入邀请"),
    ("membership_answer", "邀请回复"),
    ("system", "系统通知"),
    ("institution", "机构入驻"),
    ("course", "课程与开课"),
    ("enrollment", "报名选课"),
    ("attendance", "考勤"),
    ("patrol", "巡课"),
];

pub fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(code, _)| *code == kind)
        .map_or("通知", |(_, label)| label)
}

/// A message to send.
pub struct NewMessage {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    /// A path of this platform (`/messages/…`, `/students/…`), never another site.
    pub link: Option<String>,
}

/// Stores a message for `user_id` in the caller's transaction; call [`announce`] after
/// the commit.
pub async fn send(
    db: &impl ConnectionTrait,
    user_id: i64,
    m: NewMessage,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(row(user_id, m, now)?.insert(db).await?.id)
}

fn row(user_id: i64, m: NewMessage, now: DateTime<Utc>) -> Result<message::ActiveModel> {
    if m.link
        .as_deref()
        .is_some_and(|l| !l.starts_with('/') || l.starts_with("//"))
    {
        return Err(Error::Internal("message link must be a local path".into()));
    }
    Ok(message::ActiveModel {
        user_id: Set(user_id),
        kind: Set(m.kind.into()),
        title: Set(m.title.chars().take(200).collect()),
        body: Set(m.body),
        link: Set(m.link),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    })
}

/// Tells this instance's open pages of `user_id` that a message arrived.
pub fn announce(app: &App, user_id: i64) {
    // Nobody listening is fine: the next page load shows the badge.
    let _ = app.message_feed.send(user_id);
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl From<message::Model> for MessageView {
    fn from(m: message::Model) -> Self {
        Self {
            id: m.id,
            kind_label: kind_label(&m.kind).into(),
            kind: m.kind,
            title: m.title,
            body: m.body,
            link: m.link,
            created_at: m.created_at,
            read: m.read_at.is_some(),
        }
    }
}

/// The caller's messages, newest first; only the unread ones when asked.
pub async fn list(
    app: &App,
    p: &Principal,
    unread_only: bool,
    page: PageRequest,
) -> Result<Page<MessageView>> {
    let mut q = message::Entity::find().filter(message::Column::UserId.eq(p.user_id));
    if unread_only {
        q = q.filter(message::Column::ReadAt.is_null());
    }
    let total = q.clone().count(&app.db).await?;
    let items = q
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    Ok(Page {
        items: items.into_iter().map(MessageView::from).collect(),
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

fn unread_of(user_id: i64) -> kehou_store::sea_orm::Select<message::Entity> {
    message::Entity::find()
        .filter(message::Column::UserId.eq(user_id))
        .filter(message::Column::ReadAt.is_null())
}

/// How many messages of `user_id` are unread (the badge of every page).
pub async fn unread_count(db: &impl ConnectionTrait, user_id: i64) -> Result<u64> {
    Ok(unread_of(user_id).count(db).await?)
}

/// How many messages of `user_id` are unread, and the newest of them (the live feed).
pub async fn unread(db: &impl ConnectionTrait, user_id: i64) -> Result<(u64, Option<MessageView>)> {
    let count = unread_count(db, user_id).await?;
    let newest = if count > 0 {
        unread_of(user_id)
            .order_by_desc(message::Column::Id)
            .one(db)
            .await?
            .map(MessageView::from)
    } else {
        None
    };
    Ok((count, newest))
}

/// One of the caller's messages; someone else's is not found.
pub async fn get(app: &App, p: &Principal, id: i64) -> Result<MessageView> {
    Ok(own(&app.db, p, id).await?.into())
}

async fn own(db: &impl ConnectionTrait, p: &Principal, id: i64) -> Result<message::Model> {
    message::Entity::find_by_id(id)
        .filter(message::Column::UserId.eq(p.user_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("消息"))
}

/// Marks one of the caller's messages read (again is fine).
pub async fn mark_read(app: &App, p: &Principal, id: i64) -> Result<MessageView> {
    let m = own(&app.db, p, id).await?;
    if m.read_at.is_some() {
        return Ok(m.into());
    }
    let mut a: message::ActiveModel = m.into();
    a.read_at = Set(Some(app.now()));
    Ok(a.update(&app.db).await?.into())
}

/// Marks every unread message of the caller read; returns how many.
pub async fn mark_all_read(app: &App, p: &Principal) -> Result<u64> {
    let done = message::Entity::update_many()
        .col_expr(
            message::Column::ReadAt,
            kehou_store::sea_orm::sea_query::Expr::value(Some(app.now())),
        )
        .filter(message::Column::UserId.eq(p.user_id))
        .filter(message::Column::ReadAt.is_null())
        .exec(&app.db)
        .await?;
    Ok(done.rows_affected)
}

/// Stores many messages at once in the caller's transaction (a roll call tells every
/// guardian of a class); call [`announce`] for each recipient after the commit.
pub async fn send_many(
    db: &impl ConnectionTrait,
    batch: Vec<(i64, NewMessage)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let rows = batch
        .into_iter()
        .map(|(user_id, m)| row(user_id, m, now))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<message::ActiveModel> = rows.by_ref().take(200).collect();
        message::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(())
}

/// Deletes the messages sent before `cutoff`, read or not (retention).
pub(crate) async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64> {
    let deleted = message::Entity::delete_many()
        .filter(message::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// A person's messages, oldest first, for their personal-data export.
pub(crate) async fn personal_data_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<serde_json::Value>> {
    use crate::platform::clock::china_time;
    let messages = message::Entity::find()
        .filter(message::Column::UserId.eq(user_id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    Ok(messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "标题": m.title,
                "内容": m.body,
                "时间": china_time(m.created_at),
            })
        })
        .collect())
}

/// Deletes every message of one person (erasure); returns how many.
pub(crate) async fn delete_of_user(db: &impl ConnectionTrait, user_id: i64) -> Result<u64> {
    Ok(message::Entity::delete_many()
        .filter(message::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
