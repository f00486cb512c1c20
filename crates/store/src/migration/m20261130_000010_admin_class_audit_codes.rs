//! Administrative classes are `admin_class` everywhere: the audit trail's codes for them
//! (`class.create`, `class.update`, `class.promote`, `class.import`, entity `class`) get
//! the same name, so that one filter finds old and new events. Only the codes change.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE audit_events SET action = 'admin_' || action WHERE action LIKE 'class.%'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE audit_events SET entity_type = 'admin_class' WHERE entity_type = 'class'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
