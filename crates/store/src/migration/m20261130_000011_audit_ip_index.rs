//! Failed logins are counted per client address from the audit trail: an index for it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Action,
    Ip,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_audit_events_action_ip_time")
                .table(AuditEvents::Table)
                .col(AuditEvents::Action)
                .col(AuditEvents::Ip)
                .col(AuditEvents::OccurredAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_audit_events_action_ip_time")
                .table(AuditEvents::Table)
                .to_owned(),
        )
        .await
    }
}
