//! The five seed Task states come out of `examples/seed_examples.rs` byte for byte (keys, key
//! order and values; whitespace is free), and the example writes them as files.

#[allow(dead_code)]
#[path = "../examples/seed_examples.rs"]
mod seed;

use sfn::StateMachine;

fn golden(name: &str) -> String {
    let text = std::fs::read_to_string(format!(
        "{}/tests/golden/seed/{name}.asl.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::to_string(&v).unwrap()
}

fn state<W: StateMachine>() -> String {
    let def = W::definition().unwrap();
    let json = def.to_canonical_json();
    let states = json["States"].as_object().unwrap();
    assert_eq!(states.len(), 1, "one state");
    serde_json::to_string(states.values().next().unwrap()).unwrap()
}

#[test]
fn the_five_seed_states_come_out_byte_for_byte() {
    assert_eq!(state::<seed::Sync2>(), golden("sync2"));
    assert_eq!(state::<seed::Sync>(), golden("sync"));
    assert_eq!(state::<seed::RequestResponse>(), golden("request_response"));
    assert_eq!(
        state::<seed::WaitForTaskToken>(),
        golden("wait_for_task_token")
    );
    assert_eq!(state::<seed::SyncAssociate>(), golden("sync_associate"));
}

#[test]
fn the_child_definition_builds() {
    let def = seed::HelloWorld::definition().unwrap();
    assert_eq!(def.start_at, "Output");
}

#[test]
fn the_example_writes_each_as_a_one_state_definition() {
    let dir = std::env::temp_dir().join(format!("sfn-seed-{}", std::process::id()));
    let written = seed::write_all(&dir).unwrap();
    assert_eq!(written.len(), 5);
    for path in written {
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".asl.json")
            .to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let definition = sfn::Definition::from_json_str(&text).unwrap();
        assert!(
            sfn::core::validate(&definition)
                .iter()
                .all(|d| !d.is_error())
        );
        let json = definition.to_canonical_json();
        let states = json["States"].as_object().unwrap();
        assert_eq!(states.len(), 1, "{name}: one state");
        assert_eq!(
            serde_json::to_string(states.values().next().unwrap()).unwrap(),
            golden(&name),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
