//! The order pipeline's types, tasks and workflows, shared by the examples that run it
//! (`order_pipeline`) and export it (`export`).

use std::sync::atomic::{AtomicU32, Ordering};

use sfn::prelude::*;

/// An order as it arrives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The order's id.
    pub order_id: String,
    /// The customer.
    pub customer: String,
    /// What was ordered.
    pub lines: Vec<LineItem>,
}

/// One line of an order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// The product.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// Price of one, in cents.
    pub unit_price: u64,
}

/// The validated order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Validated {
    /// The order's id.
    pub order_id: String,
    /// The total, in cents.
    pub total: u64,
}

/// Stock reserved for one line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    /// The product.
    pub sku: String,
    /// The reservation's id.
    pub reservation_id: String,
}

/// What the approver is asked.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequest {
    /// The order's id.
    pub order_id: String,
    /// The total, in cents.
    pub total: u64,
    /// The task token the approver answers with.
    pub task_token: String,
}

/// The approver's answer (the payload of `SendTaskSuccess`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Whether the order may go on.
    pub approved: bool,
    /// Who decided.
    pub approver: String,
}

/// A charge.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    /// The order's id.
    pub order_id: String,
    /// The amount, in cents.
    pub amount: u64,
}

/// A payment receipt.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The payment's id.
    pub payment_id: String,
    /// The amount, in cents.
    pub amount: u64,
}

/// The workflow's result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, sfn::Data)]
#[serde(rename_all = "camelCase")]
pub struct Shipped {
    /// The order's id.
    pub order_id: String,
    /// The payment's id.
    pub payment_id: String,
    /// Who approved.
    pub approver: String,
    /// The reservations, one per line.
    pub reservations: Vec<ExecutionResult<Reservation>>,
}

// ----- tasks (native handlers; Lambda functions on AWS) --------------------------------------

/// Checks the order and prices it.
#[sfn::task(lambda = "ValidateOrder")]
pub async fn validate_order(order: Order) -> Result<Validated, TaskError> {
    if order.lines.is_empty() {
        return Err(Failure::new(
            "Order.Empty",
            "an order needs at least one line",
        ));
    }
    let total = order
        .lines
        .iter()
        .map(|l| l.quantity as u64 * l.unit_price)
        .sum();
    Ok(Validated {
        order_id: order.order_id,
        total,
    })
}

/// Reserves stock for a line.
#[sfn::task(lambda = "ReserveStock")]
pub async fn reserve_stock(line: LineItem) -> Result<Reservation, TaskError> {
    Ok(Reservation {
        reservation_id: format!("res-{}-{}", line.sku, line.quantity),
        sku: line.sku,
    })
}

/// Tells the approver there is an order to look at.
#[sfn::task(lambda = "NotifyApprover")]
pub async fn notify_approver(request: ApprovalRequest) -> Result<ApprovalRequest, TaskError> {
    println!(
        "  approver notified: order {} for {} cents",
        request.order_id, request.total
    );
    Ok(request)
}

static CHARGE_ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// Charges the customer; the payment service is busy the first two times.
#[sfn::task(lambda = "ChargePayment")]
pub async fn charge_payment(charge: Charge) -> Result<Receipt, TaskError> {
    let attempt = CHARGE_ATTEMPTS.fetch_add(1, Ordering::SeqCst) + 1;
    if attempt <= 2 {
        println!("  charge attempt {attempt}: payment service busy");
        return Err(Failure::new("Payment.Busy", "the payment service is busy"));
    }
    println!(
        "  charge attempt {attempt}: charged {} cents",
        charge.amount
    );
    Ok(Receipt {
        payment_id: format!("pay-{}", charge.order_id),
        amount: charge.amount,
    })
}

/// Gives reserved stock back.
#[sfn::task(lambda = "ReleaseStock")]
pub async fn release_stock(order: Validated) -> Result<Validated, TaskError> {
    println!("  stock released for {}", order.order_id);
    Ok(order)
}

// ----- workflows ----------------------------------------------------------------------------

/// Fulfils one line item (a child workflow).
#[sfn::workflow(name = "FulfilLine")]
pub async fn fulfil_line(line: LineItem) -> Result<Reservation, Failure> {
    reserve_stock(line).await
}

/// Asks a human (a child workflow started with the parent's task token).
#[sfn::workflow(name = "Approval")]
pub async fn approval(request: ApprovalRequest) -> Result<ApprovalRequest, Failure> {
    notify_approver(request).await
}

/// The order pipeline.
#[sfn::workflow(name = "OrderPipeline")]
pub async fn order_pipeline(order: Order) -> Result<Shipped, Failure> {
    let validated = validate_order(order).await?;
    let reservations = map(order.lines, |line| async move {
        start_execution::<FulfilLine>(line).sync2().await
    })
    .max_concurrency(5)
    .await?;
    let decision = start_execution::<Approval>(ApprovalRequest {
        order_id: validated.order_id,
        total: validated.total,
        task_token: task_token(),
    })
    // No `.timeout(..)` here: with the virtual clock, a task timer fires as soon as nothing
    // else runs, before a human (this example's approver, on real time) can answer.
    .wait_for_task_token::<Decision>()
    .await?;
    if !decision.approved {
        release_stock(validated).await?;
        return Err(Failure::new(
            "Order.Rejected",
            "the approver rejected the order",
        ));
    }
    match charge_payment(Charge {
        order_id: validated.order_id,
        amount: validated.total,
    })
    .retry(
        Retry::on(["Payment.Busy"])
            .interval(Duration::from_secs(5))
            .max_attempts(3)
            .backoff_rate(2.0),
    )
    .await
    {
        Ok(receipt) => Ok(Shipped {
            order_id: validated.order_id,
            payment_id: receipt.payment_id,
            approver: decision.approver,
            reservations,
        }),
        Err(e) => {
            release_stock(validated).await?;
            Err(e)
        }
    }
}
