//! Payment modes (H4): the school chooses per course of a term how parents pay — the
//! whole term, by the month, or by the lessons held — beside the course's refund rule (the
//! course's fee rules), and each order keeps the mode it was placed under. A charge names its period (`term`, `start`, or a month such as
//! `2026-10`), so that an order is charged once per period. Refund offers: an amount the
//! school proposes and the parent confirms before it is refunded.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefundRules {
    Table,
    PayMode,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    PayMode,
}

#[derive(DeriveIden)]
enum RefundOffers {
    Table,
    Id,
    SchoolId,
    OrderId,
    AmountFen,
    Reason,
    Status,
    ProposedBy,
    ProposedAt,
    DecidedBy,
    DecidedAt,
    RefundId,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Period,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(RefundRules::Table)
                .add_column(string_len(RefundRules::PayMode, 16).default("term"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Orders::Table)
                .add_column(string_len(Orders::PayMode, 16).default("term"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(LedgerEntries::Table)
                .add_column(string_len(LedgerEntries::Period, 16).default(""))
                .to_owned(),
        )
        .await?;
        // A refund amount the school proposes and the parent confirms (协商退费).
        m.create_table(
            Table::create()
                .table(RefundOffers::Table)
                .col(big_pk_auto(RefundOffers::Id))
                .col(big_integer(RefundOffers::SchoolId))
                .col(big_integer(RefundOffers::OrderId))
                .col(big_integer(RefundOffers::AmountFen))
                .col(string_len(RefundOffers::Reason, 200))
                .col(string_len(RefundOffers::Status, 20))
                .col(big_integer(RefundOffers::ProposedBy))
                .col(timestamp_with_time_zone(RefundOffers::ProposedAt))
                .col(big_integer_null(RefundOffers::DecidedBy))
                .col(timestamp_with_time_zone_null(RefundOffers::DecidedAt))
                .col(big_integer_null(RefundOffers::RefundId))
                .to_owned(),
        )
        .await?;
        super::index(
            m,
            "ix_refund_offers_order",
            RefundOffers::Table,
            &["order_id", "status"],
            false,
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ux_ledger_charge").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_ledger_charge_period ON ledger_entries (order_id, period) \
             WHERE kind = 'charge' AND amount_fen > 0",
        )
        .await?;
        Ok(())
    }
}
