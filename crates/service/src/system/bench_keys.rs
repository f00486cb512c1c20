//! The data of `kehou bench keys`: the rush's school with its students, each given an
//! encrypted ID number, and one parent each with an encrypted phone number — the personal
//! data a key rotation rewrites and a backup carries.

use kehou_domain::IdCardNo;
use kehou_store::entity::school::student;
use kehou_store::sea_orm::sea_query::Expr;
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::bench_rush::{self, RushSpec};
use crate::{App, Result};

pub struct KeyBenchData {
    pub school_id: i64,
    /// (parent's phone, child's student id); the parents sign in with `bench_rush::PASSWORD`.
    pub parents: Vec<(String, i64)>,
}

pub async fn setup(app: &App, students: usize) -> Result<KeyBenchData> {
    let spec = RushSpec {
        students,
        courses: 1,
        classes_per_course: 1,
        seats: 30,
    };
    let data = bench_rush::setup(app, &spec).await?;
    for (n, chunk) in data.parents.chunks(1_000).enumerate() {
        let txn = kehou_store::begin_write(&app.db).await?;
        for (k, (_, student_id)) in chunk.iter().enumerate() {
            // Unique for a million students: the region part counts thousands.
            let i = n * 1_000 + k;
            let first17 = format!(
                "{:06}{:04}{:02}{:02}{:03}",
                110_000 + i / 1_000,
                2014 + i % 4,
                1 + i % 12,
                1 + i % 28,
                i % 1_000
            );
            let Ok(id) = IdCardNo::complete(&first17) else {
                continue;
            };
            student::Entity::update_many()
                .col_expr(
                    student::Column::IdNoEnc,
                    Expr::value(app.vault.encrypt(id.as_str())?),
                )
                .col_expr(
                    student::Column::IdNoIndex,
                    Expr::value(app.vault.blind_index(id.as_str())),
                )
                .filter(student::Column::Id.eq(*student_id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(KeyBenchData {
        school_id: data.school_id,
        parents: data.parents,
    })
}
