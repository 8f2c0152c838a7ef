//! The main example: its definitions match their golden files and it runs natively, the test
//! playing the approver through `send_task_success`.

#[allow(dead_code)]
#[path = "../examples/order_pipeline.rs"]
mod example;

use example::*;
use sfn::{Runtime, StateMachine};

fn golden<W: StateMachine>(name: &str) {
    let text =
        serde_json::to_string_pretty(&W::definition().unwrap().to_canonical_json()).unwrap() + "\n";
    let path = format!(
        "{}/tests/golden/rows/{name}.asl.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("SFN_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(text, std::fs::read_to_string(&path).unwrap(), "{name}");
}

#[tokio::test]
async fn order_pipeline_exports_and_runs() {
    golden::<OrderPipeline>("order_pipeline");
    golden::<FulfilLine>("fulfil_line");
    let rt = Runtime::builder()
        .workflow::<OrderPipeline>()
        .workflow::<FulfilLine>()
        .workflow::<Approval>()
        .task::<validate_order>()
        .task::<reserve_stock>()
        .task::<notify_approver>()
        .task::<charge_payment>()
        .task::<release_stock>()
        .build()
        .unwrap();
    let order = Order {
        order_id: "o-7".into(),
        customer: "ada".into(),
        lines: vec![LineItem {
            sku: "pen".into(),
            quantity: 2,
            unit_price: 150,
        }],
    };
    let run = tokio::spawn({
        let rt = rt.clone();
        async move { rt.start::<OrderPipeline>(order).await }
    });
    loop {
        if let Some(token) = rt.pending_task_tokens().into_iter().next() {
            assert!(rt.send_task_success(
                &token,
                &Decision {
                    approved: true,
                    approver: "grace".into()
                }
            ));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let run = run.await.unwrap().unwrap();
    let shipped = run.output().unwrap();
    assert_eq!(shipped.payment_id, "pay-o-7");
    assert_eq!(shipped.approver, "grace");
    assert_eq!(shipped.reservations[0].output.reservation_id, "res-pen-2");
    let tree = run.executions();
    assert_eq!(tree.len(), 3);
    assert!(
        tree[1..]
            .iter()
            .all(|n| n.parent.as_deref() == Some(tree[0].execution_arn.as_str()))
    );
}
