//! An order workflow: validates the order (a task), fulfils each line item in a child
//! workflow (`.sync2()` under a Map), waits for a human approval (`.wait_for_task_token`),
//! charges the payment with retries, and compensates with a Catch when the charge fails.
//!
//! `cargo run --example order_pipeline` runs it natively (virtual clock), playing the approver
//! through `SendTaskSuccess`, and prints the typed result, the tree of executions and the ASL.

#[path = "common/order.rs"]
mod order;

pub use order::*;
use sfn::{Runtime, StateMachine};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::builder()
        .workflow::<OrderPipeline>()
        .workflow::<FulfilLine>()
        .workflow::<Approval>()
        .task::<validate_order>()
        .task::<reserve_stock>()
        .task::<notify_approver>()
        .task::<charge_payment>()
        .task::<release_stock>()
        .build()?;
    let order = Order {
        order_id: "order-1001".into(),
        customer: "ada".into(),
        lines: vec![
            LineItem {
                sku: "keyboard".into(),
                quantity: 1,
                unit_price: 12_900,
            },
            LineItem {
                sku: "cable".into(),
                quantity: 3,
                unit_price: 900,
            },
        ],
    };
    println!("running OrderPipeline:");
    let run = tokio::spawn({
        let rt = rt.clone();
        async move { rt.start::<OrderPipeline>(order).await }
    });
    // Play the approver: answer the first task token that shows up.
    loop {
        if let Some(token) = rt.pending_task_tokens().into_iter().next() {
            println!("  approver answers SendTaskSuccess");
            rt.send_task_success(
                &token,
                &Decision {
                    approved: true,
                    approver: "grace".into(),
                },
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let run = run.await??;
    let shipped: Shipped = run.output()?;
    println!("\nresult (typed):\n{shipped:#?}");
    println!("\nexecutions:");
    let tree = run.executions();
    fn print(tree: &[sfn::ExecutionNode], parent: Option<&str>, depth: usize) {
        for n in tree.iter().filter(|n| n.parent.as_deref() == parent) {
            println!(
                "{}{} {} [{}]",
                "  ".repeat(depth + 1),
                n.state_machine,
                n.execution_arn,
                n.status
            );
            print(tree, Some(&n.execution_arn), depth + 1);
        }
    }
    print(&tree, None, 0);
    println!("\nstates entered: {}", run.states_entered().join(" → "));
    let definition = OrderPipeline::definition()?;
    println!(
        "\nOrderPipeline.asl.json:\n{}",
        serde_json::to_string_pretty(&definition.to_canonical_json())?
    );
    Ok(())
}
