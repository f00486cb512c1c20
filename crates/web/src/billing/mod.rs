//! The money area: receiving accounts, payments and the channels' notifications, the
//! sandbox cashier, receipts, refunds and the ledger.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::accounts, api::save_account))
            .routes(routes!(api::create_payment))
            .routes(routes!(api::get_payment))
            .routes(routes!(api::get_receipt))
            .routes(routes!(api::receipt_pdf))
            .routes(routes!(api::notify))
            .routes(routes!(api::order_ledger))
            .routes(routes!(api::refund_preview))
            .routes(routes!(api::create_refund))
            .routes(routes!(api::resolve_refund))
            .routes(routes!(api::reconciliation, api::run_reconciliation))
            .routes(routes!(api::resolve_difference))
            .routes(routes!(api::school_orders))
            .routes(routes!(api::orders_summary))
            .routes(routes!(api::export_orders))
            .routes(routes!(api::remind))
            .routes(routes!(api::waive))
            .routes(routes!(api::extend))
            .routes(routes!(api::report_refund))
            .routes(routes!(api::refund_reports))
            .routes(routes!(api::answer_report))
            .routes(routes!(api::fee_rules))
            .routes(routes!(api::save_fee_rules))
            .routes(routes!(api::jurisdiction))
            .routes(routes!(api::create_offer))
            .routes(routes!(api::answer_offer)),
        pages: PageRoutes::new()
            .post("/enroll/pay", pages::pay)
            .get("/enroll/payments/{payment_id}", pages::payment_page)
            .get("/enroll/payments/{payment_id}/receipt", pages::receipt_page)
            .get(
                "/enroll/payments/{payment_id}/receipt.pdf",
                pages::receipt_pdf,
            )
            .get("/pay/sandbox/{prepay_id}", pages::cashier)
            .post("/pay/sandbox/{prepay_id}", pages::cashier_submit)
            .get("/billing", pages::index)
            .get("/schools/{id}/billing", pages::manage)
            .post("/schools/{id}/billing/accounts", pages::save_account)
            .post("/schools/{id}/billing/remind", pages::remind)
            .post(
                "/schools/{id}/billing/fee-rules/{item_id}",
                pages::save_fee_rules,
            )
            .post(
                "/schools/{id}/billing/orders/{order_id}/extend",
                pages::extend,
            )
            .post(
                "/schools/{id}/billing/reports/{report_id}",
                pages::answer_report,
            )
            .post("/enroll/refunds/{refund_id}/report", pages::report_refund)
            .post(
                "/enroll/refund-offers/{offer_id}/answer",
                pages::answer_offer,
            )
            .post(
                "/schools/{id}/billing/orders/{order_id}/waive",
                pages::waive,
            )
            .post(
                "/schools/{id}/billing/orders/{order_id}/refund",
                pages::refund,
            )
            .get("/schools/{id}/billing/orders.xlsx", pages::export_orders)
            .post(
                "/schools/{id}/billing/reconciliation",
                pages::run_reconciliation,
            )
            .post(
                "/schools/{id}/billing/differences/{difference_id}",
                pages::resolve_difference,
            ),
    }
}
