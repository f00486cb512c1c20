//! Courses: the city's course specifications and prices (D1), schools' and institutions'
//! courses (D6, D11), the bureaus' course and teacher libraries (D8), the rules bureaus set
//! (D8, D9) and schools' term offerings with their approval and publication (D1, D2, D7,
//! D9, D12).

pub mod catalog;
pub mod library;
pub mod offering;
pub mod plan;
pub mod policy;
pub mod spec;

use kehou_domain::Permission;
use kehou_store::sea_orm::ConnectionTrait;

use crate::platform::messages::{self, NewMessage};
use crate::{App, Result};

/// Sends a course message to the members of `org_id` holding `permission` (departments
/// considered); answers whom, to announce after the commit.
async fn tell(
    db: &impl ConnectionTrait,
    org_id: i64,
    permission: Permission,
    title: String,
    link: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>> {
    let people = crate::identity::auth::members_with(db, org_id, permission).await?;
    for user_id in &people {
        messages::send(
            db,
            *user_id,
            NewMessage {
                kind: "course",
                title: title.clone(),
                body: String::new(),
                link: Some(link.clone()),
            },
            now,
        )
        .await?;
    }
    Ok(people)
}

fn announce(app: &App, people: &[i64]) {
    for user_id in people {
        messages::announce(app, *user_id);
    }
}
