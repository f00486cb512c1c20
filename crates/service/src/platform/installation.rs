//! The installation's identity: a random id made at first start, which every backup names
//! so that a restore can say where a backup came from.

use chrono::Utc;
use kehou_store::sea_orm::DatabaseConnection;

use crate::Result;

/// The installation's id, made at first start.
pub async fn id(db: &DatabaseConnection) -> Result<String> {
    use kehou_store::entity::platform::installation;
    use kehou_store::sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
    if let Some(row) = installation::Entity::find()
        .order_by_asc(installation::Column::Id)
        .one(db)
        .await?
    {
        return Ok(row.installation_id);
    }
    let id = uuid_like();
    installation::ActiveModel {
        installation_id: Set(id.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Two instances starting at once: the first row wins for both.
    Ok(installation::Entity::find()
        .order_by_asc(installation::Column::Id)
        .one(db)
        .await?
        .map(|r| r.installation_id)
        .unwrap_or(id))
}

fn uuid_like() -> String {
    let t = crate::identity::auth::random_token().to_lowercase();
    t.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}
