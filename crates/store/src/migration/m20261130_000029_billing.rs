//! Money (H1–H6): schools' receiving accounts, payments (one or several orders each),
//! refunds, the append-only ledger (update and delete refused by triggers), the channels'
//! notifications as received, fee waivers, refund rules per course, payment reminders,
//! parents' "refund not received" reports, reconciliation against the channel's daily
//! bill; and the sandbox channel's own records (its side of every trade and refund).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReceivingAccounts {
    Table,
    Id,
    SchoolId,
    Channel,
    MerchantId,
    AppId,
    AccountName,
    ApiKey,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    PaymentNo,
    SchoolId,
    AccountId,
    Channel,
    UserId,
    AmountFen,
    Status,
    Description,
    PrepayId,
    PayUrl,
    TransactionId,
    ExpiresAt,
    PaidAt,
    ClosedAt,
    Result,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentOrders {
    Table,
    Id,
    PaymentId,
    OrderId,
    AmountFen,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    RefundNo,
    SchoolId,
    TermId,
    OrderId,
    PaymentId,
    AmountFen,
    Status,
    Source,
    Reason,
    Explanation,
    ChannelRefundId,
    Failure,
    RequestedBy,
    ResolvedBy,
    ResolvedNote,
    Result,
    CreatedAt,
    UpdatedAt,
    SucceededAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    SchoolId,
    TermId,
    OrderId,
    Kind,
    AmountFen,
    PaymentId,
    RefundId,
    WaiverId,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayNotifications {
    Table,
    Id,
    Channel,
    NotificationId,
    EventType,
    Outcome,
    Reason,
    Body,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum FeeWaivers {
    Table,
    Id,
    SchoolId,
    TermId,
    OrderId,
    StudentId,
    AmountFen,
    Reason,
    ApprovedBy,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefundRules {
    Table,
    Id,
    SchoolId,
    ItemId,
    RefundLeave,
    RefundAbsence,
    MaterialsBeforeStartOnly,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentReminders {
    Table,
    Id,
    SchoolId,
    TermId,
    UserId,
    Orders,
    SentBy,
    SentAt,
}

#[derive(DeriveIden)]
enum RefundReports {
    Table,
    Id,
    SchoolId,
    RefundId,
    UserId,
    Note,
    Status,
    Answer,
    AnsweredBy,
    CreatedAt,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum ReconDays {
    Table,
    Id,
    SchoolId,
    AccountId,
    BillDate,
    Status,
    BillLines,
    Matched,
    Differences,
    FetchedAt,
}

#[derive(DeriveIden)]
enum ReconDifferences {
    Table,
    Id,
    DayId,
    SchoolId,
    Kind,
    TradeNo,
    RefundNo,
    LedgerFen,
    BillFen,
    Status,
    Note,
    ResolvedBy,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum SandboxTrades {
    Table,
    Id,
    MchId,
    OutTradeNo,
    TransactionId,
    PrepayId,
    Description,
    AmountFen,
    State,
    NotifyUrl,
    ReturnUrl,
    ExpiresAt,
    SuccessTime,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SandboxRefunds {
    Table,
    Id,
    MchId,
    OutTradeNo,
    OutRefundNo,
    RefundId,
    AmountFen,
    TotalFen,
    Status,
    NotifyUrl,
    SuccessTime,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReceivingAccounts::Table)
                .col(big_pk_auto(ReceivingAccounts::Id))
                .col(big_integer(ReceivingAccounts::SchoolId))
                .col(string_len(ReceivingAccounts::Channel, 20))
                .col(string_len(ReceivingAccounts::MerchantId, 32))
                .col(string_len(ReceivingAccounts::AppId, 32))
                .col(string_len(ReceivingAccounts::AccountName, 100))
                .col(text(ReceivingAccounts::ApiKey))
                .col(boolean(ReceivingAccounts::Active))
                .col(timestamp_with_time_zone(ReceivingAccounts::CreatedAt))
                .col(timestamp_with_time_zone(ReceivingAccounts::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_receiving_accounts_school",
            ReceivingAccounts::Table,
            &["school_id", "channel"],
            true,
        )
        .await?;
        index(
            m,
            "ux_receiving_accounts_merchant",
            ReceivingAccounts::Table,
            &["channel", "merchant_id"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(big_pk_auto(Payments::Id))
                .col(string_len(Payments::PaymentNo, 32))
                .col(big_integer(Payments::SchoolId))
                .col(big_integer(Payments::AccountId))
                .col(string_len(Payments::Channel, 20))
                .col(big_integer(Payments::UserId))
                .col(big_integer(Payments::AmountFen))
                .col(string_len(Payments::Status, 20))
                .col(string_len(Payments::Description, 128))
                .col(string_len_null(Payments::PrepayId, 64))
                .col(string_len_null(Payments::PayUrl, 300))
                .col(string_len_null(Payments::TransactionId, 64))
                .col(timestamp_with_time_zone(Payments::ExpiresAt))
                .col(timestamp_with_time_zone_null(Payments::PaidAt))
                .col(timestamp_with_time_zone_null(Payments::ClosedAt))
                .col(text_null(Payments::Result))
                .col(timestamp_with_time_zone(Payments::CreatedAt))
                .col(timestamp_with_time_zone(Payments::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(m, "ux_payments_no", Payments::Table, &["payment_no"], true).await?;
        index(
            m,
            "ix_payments_school",
            Payments::Table,
            &["school_id", "created_at"],
            false,
        )
        .await?;
        index(
            m,
            "ix_payments_status",
            Payments::Table,
            &["status", "expires_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentOrders::Table)
                .col(big_pk_auto(PaymentOrders::Id))
                .col(big_integer(PaymentOrders::PaymentId))
                .col(big_integer(PaymentOrders::OrderId))
                .col(big_integer(PaymentOrders::AmountFen))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_payment_orders",
            PaymentOrders::Table,
            &["payment_id", "order_id"],
            true,
        )
        .await?;
        index(
            m,
            "ix_payment_orders_order",
            PaymentOrders::Table,
            &["order_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Refunds::Table)
                .col(big_pk_auto(Refunds::Id))
                .col(string_len(Refunds::RefundNo, 32))
                .col(big_integer(Refunds::SchoolId))
                .col(big_integer(Refunds::TermId))
                .col(big_integer(Refunds::OrderId))
                .col(big_integer(Refunds::PaymentId))
                .col(big_integer(Refunds::AmountFen))
                .col(string_len(Refunds::Status, 20))
                .col(string_len(Refunds::Source, 20))
                .col(string_len(Refunds::Reason, 200))
                .col(text(Refunds::Explanation))
                .col(string_len_null(Refunds::ChannelRefundId, 64))
                .col(string_len_null(Refunds::Failure, 200))
                .col(big_integer_null(Refunds::RequestedBy))
                .col(big_integer_null(Refunds::ResolvedBy))
                .col(string_len_null(Refunds::ResolvedNote, 200))
                .col(text_null(Refunds::Result))
                .col(timestamp_with_time_zone(Refunds::CreatedAt))
                .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                .col(timestamp_with_time_zone_null(Refunds::SucceededAt))
                .to_owned(),
        )
        .await?;
        index(m, "ux_refunds_no", Refunds::Table, &["refund_no"], true).await?;
        index(m, "ix_refunds_order", Refunds::Table, &["order_id"], false).await?;
        index(
            m,
            "ix_refunds_school",
            Refunds::Table,
            &["school_id", "status"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(big_pk_auto(LedgerEntries::Id))
                .col(big_integer(LedgerEntries::SchoolId))
                .col(big_integer(LedgerEntries::TermId))
                .col(big_integer(LedgerEntries::OrderId))
                .col(string_len(LedgerEntries::Kind, 20))
                .col(big_integer(LedgerEntries::AmountFen))
                .col(big_integer_null(LedgerEntries::PaymentId))
                .col(big_integer_null(LedgerEntries::RefundId))
                .col(big_integer_null(LedgerEntries::WaiverId))
                .col(string_len(LedgerEntries::Note, 200))
                .col(big_integer_null(LedgerEntries::CreatedBy))
                .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_ledger_order",
            LedgerEntries::Table,
            &["order_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_ledger_school",
            LedgerEntries::Table,
            &["school_id", "term_id", "kind"],
            false,
        )
        .await?;
        let db = m.get_connection();
        // An order is paid by a payment once, a refund enters once, an order is charged
        // once (its reductions are negative charges naming their refund or reason).
        for sql in [
            "CREATE UNIQUE INDEX ux_ledger_payment ON ledger_entries (payment_id, order_id) WHERE kind = 'payment'",
            "CREATE UNIQUE INDEX ux_ledger_refund ON ledger_entries (refund_id) WHERE kind = 'refund'",
            "CREATE UNIQUE INDEX ux_ledger_waiver ON ledger_entries (waiver_id) WHERE kind = 'waiver'",
            "CREATE UNIQUE INDEX ux_ledger_charge ON ledger_entries (order_id) WHERE kind = 'charge' AND amount_fen > 0",
        ] {
            db.execute_unprepared(sql).await?;
        }
        // Append-only: the database itself refuses to change or remove an entry.
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION ledger_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END; \
                     $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entries \
                     FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
                )
                .await?;
            }
            _ => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER ledger_no_{} BEFORE {op} ON ledger_entries \
                         BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
                        op.to_lowercase()
                    ))
                    .await?;
                }
            }
        }

        // Orders placed before the ledger existed get their charge (and, when given up,
        // its reversal), so that every balance is derived from entries.
        db.execute_unprepared(
            "INSERT INTO ledger_entries (school_id, term_id, order_id, kind, amount_fen, note, created_at) \
             SELECT school_id, term_id, id, 'charge', total_fen, '订单应收', created_at FROM orders \
             WHERE total_fen > 0",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO ledger_entries (school_id, term_id, order_id, kind, amount_fen, note, created_at) \
             SELECT school_id, term_id, id, 'charge', -total_fen, '订单已关闭，不再应收', updated_at FROM orders \
             WHERE total_fen > 0 AND status IN ('expired', 'cancelled')",
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PayNotifications::Table)
                .col(big_pk_auto(PayNotifications::Id))
                .col(string_len(PayNotifications::Channel, 20))
                .col(string_len_null(PayNotifications::NotificationId, 64))
                .col(string_len(PayNotifications::EventType, 40))
                .col(string_len(PayNotifications::Outcome, 20))
                .col(string_len_null(PayNotifications::Reason, 200))
                .col(text(PayNotifications::Body))
                .col(timestamp_with_time_zone(PayNotifications::ReceivedAt))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_pay_notifications_applied ON pay_notifications (channel, notification_id) \
             WHERE outcome = 'applied'",
        )
        .await?;
        index(
            m,
            "ix_pay_notifications_time",
            PayNotifications::Table,
            &["received_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FeeWaivers::Table)
                .col(big_pk_auto(FeeWaivers::Id))
                .col(big_integer(FeeWaivers::SchoolId))
                .col(big_integer(FeeWaivers::TermId))
                .col(big_integer(FeeWaivers::OrderId))
                .col(big_integer(FeeWaivers::StudentId))
                .col(big_integer(FeeWaivers::AmountFen))
                .col(string_len(FeeWaivers::Reason, 200))
                .col(string_len(FeeWaivers::ApprovedBy, 50))
                .col(big_integer(FeeWaivers::CreatedBy))
                .col(timestamp_with_time_zone(FeeWaivers::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_fee_waivers_school",
            FeeWaivers::Table,
            &["school_id", "term_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_fee_waivers_order",
            FeeWaivers::Table,
            &["order_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefundRules::Table)
                .col(big_pk_auto(RefundRules::Id))
                .col(big_integer(RefundRules::SchoolId))
                .col(big_integer(RefundRules::ItemId))
                .col(boolean(RefundRules::RefundLeave))
                .col(boolean(RefundRules::RefundAbsence))
                .col(boolean(RefundRules::MaterialsBeforeStartOnly))
                .col(timestamp_with_time_zone(RefundRules::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_refund_rules_item",
            RefundRules::Table,
            &["item_id"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentReminders::Table)
                .col(big_pk_auto(PaymentReminders::Id))
                .col(big_integer(PaymentReminders::SchoolId))
                .col(big_integer(PaymentReminders::TermId))
                .col(big_integer(PaymentReminders::UserId))
                .col(integer(PaymentReminders::Orders))
                .col(big_integer(PaymentReminders::SentBy))
                .col(timestamp_with_time_zone(PaymentReminders::SentAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_payment_reminders_user",
            PaymentReminders::Table,
            &["user_id", "sent_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefundReports::Table)
                .col(big_pk_auto(RefundReports::Id))
                .col(big_integer(RefundReports::SchoolId))
                .col(big_integer(RefundReports::RefundId))
                .col(big_integer(RefundReports::UserId))
                .col(string_len(RefundReports::Note, 200))
                .col(string_len(RefundReports::Status, 20))
                .col(string_len_null(RefundReports::Answer, 200))
                .col(big_integer_null(RefundReports::AnsweredBy))
                .col(timestamp_with_time_zone(RefundReports::CreatedAt))
                .col(timestamp_with_time_zone_null(RefundReports::AnsweredAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_refund_reports_school",
            RefundReports::Table,
            &["school_id", "status"],
            false,
        )
        .await?;
        index(
            m,
            "ix_refund_reports_refund",
            RefundReports::Table,
            &["refund_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ReconDays::Table)
                .col(big_pk_auto(ReconDays::Id))
                .col(big_integer(ReconDays::SchoolId))
                .col(big_integer(ReconDays::AccountId))
                .col(date(ReconDays::BillDate))
                .col(string_len(ReconDays::Status, 20))
                .col(integer(ReconDays::BillLines))
                .col(integer(ReconDays::Matched))
                .col(integer(ReconDays::Differences))
                .col(timestamp_with_time_zone(ReconDays::FetchedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_recon_days",
            ReconDays::Table,
            &["account_id", "bill_date"],
            true,
        )
        .await?;
        index(
            m,
            "ix_recon_days_school",
            ReconDays::Table,
            &["school_id", "bill_date"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ReconDifferences::Table)
                .col(big_pk_auto(ReconDifferences::Id))
                .col(big_integer(ReconDifferences::DayId))
                .col(big_integer(ReconDifferences::SchoolId))
                .col(string_len(ReconDifferences::Kind, 30))
                .col(string_len(ReconDifferences::TradeNo, 64))
                .col(string_len_null(ReconDifferences::RefundNo, 64))
                .col(big_integer_null(ReconDifferences::LedgerFen))
                .col(big_integer_null(ReconDifferences::BillFen))
                .col(string_len(ReconDifferences::Status, 20))
                .col(string_len_null(ReconDifferences::Note, 200))
                .col(big_integer_null(ReconDifferences::ResolvedBy))
                .col(timestamp_with_time_zone_null(ReconDifferences::ResolvedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_recon_differences_day",
            ReconDifferences::Table,
            &["day_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_recon_differences_school",
            ReconDifferences::Table,
            &["school_id", "status"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SandboxTrades::Table)
                .col(big_pk_auto(SandboxTrades::Id))
                .col(string_len(SandboxTrades::MchId, 32))
                .col(string_len(SandboxTrades::OutTradeNo, 32))
                .col(string_len(SandboxTrades::TransactionId, 32))
                .col(string_len(SandboxTrades::PrepayId, 64))
                .col(string_len(SandboxTrades::Description, 128))
                .col(big_integer(SandboxTrades::AmountFen))
                .col(string_len(SandboxTrades::State, 20))
                .col(string_len(SandboxTrades::NotifyUrl, 300))
                .col(string_len(SandboxTrades::ReturnUrl, 300))
                .col(timestamp_with_time_zone(SandboxTrades::ExpiresAt))
                .col(timestamp_with_time_zone_null(SandboxTrades::SuccessTime))
                .col(timestamp_with_time_zone(SandboxTrades::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_sandbox_trades_no",
            SandboxTrades::Table,
            &["mch_id", "out_trade_no"],
            true,
        )
        .await?;
        index(
            m,
            "ux_sandbox_trades_prepay",
            SandboxTrades::Table,
            &["prepay_id"],
            true,
        )
        .await?;
        index(
            m,
            "ix_sandbox_trades_day",
            SandboxTrades::Table,
            &["mch_id", "success_time"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SandboxRefunds::Table)
                .col(big_pk_auto(SandboxRefunds::Id))
                .col(string_len(SandboxRefunds::MchId, 32))
                .col(string_len(SandboxRefunds::OutTradeNo, 32))
                .col(string_len(SandboxRefunds::OutRefundNo, 32))
                .col(string_len(SandboxRefunds::RefundId, 32))
                .col(big_integer(SandboxRefunds::AmountFen))
                .col(big_integer(SandboxRefunds::TotalFen))
                .col(string_len(SandboxRefunds::Status, 20))
                .col(string_len(SandboxRefunds::NotifyUrl, 300))
                .col(timestamp_with_time_zone_null(SandboxRefunds::SuccessTime))
                .col(timestamp_with_time_zone(SandboxRefunds::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_sandbox_refunds_no",
            SandboxRefunds::Table,
            &["mch_id", "out_refund_no"],
            true,
        )
        .await?;
        index(
            m,
            "ix_sandbox_refunds_day",
            SandboxRefunds::Table,
            &["mch_id", "success_time"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "sandbox_refunds",
            "sandbox_trades",
            "recon_differences",
            "recon_days",
            "refund_reports",
            "payment_reminders",
            "refund_rules",
            "fee_waivers",
            "pay_notifications",
            "ledger_entries",
            "refunds",
            "payment_orders",
            "payments",
            "receiving_accounts",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
