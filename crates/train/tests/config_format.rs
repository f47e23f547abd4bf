//! The config file format is pinned: configs naming every built-in network, task and loss
//! serialise to the same bytes (and so the same run hash) as they always have, and parse back;
//! bad ones give the same errors.

use motornet_task::loss::LossConfig;
use motornet_task::TaskConfig;
use motornet_train::{NetworkConfig, NetworkKind, TrainConfig};

fn every_builtin() -> Vec<TrainConfig> {
    let tasks = [
        r#"{"name":"RandomTargetReach"}"#,
        r#"{"name":"RandomTargetReachWithLoads","magnitude":[0.5,2.0]}"#,
        r#"{"name":"DelayedReach","cue_range":[0.1,0.2]}"#,
        r#"{"name":"DelayedReach","cue_range":[0.1,0.2],"catch_probability":0.25}"#,
        r#"{"name":"CentreOutReach","n_targets":4,"radius":0.05,"mode":{"validation":{"cue":0.1}}}"#,
        r#"{"name":"CentreOutReach","n_targets":8,"radius":0.1,"centre":[0.1,0.2],"mode":{"training":{"cue_range":[0.1,0.3],"catch_probability":0.5}},"cue_input":false}"#,
    ];
    let losses = r#"[{"kind":"position_l1"},{"kind":"position_l1","weight":2.0},
        {"kind":"clipped_position","radius":0.01},{"kind":"activation_l2","weight":0.5},
        {"kind":"activation_l2","derivative_weight":0.001},{"kind":"hidden_l2","weight":0.01},
        {"kind":"hidden_l2","weight":0.1,"derivative_weight":0.5},{"kind":"speed","weight":0.25},
        {"kind":"jerk","weight":1e-6}]"#;
    let losses: Vec<LossConfig> = serde_json::from_str(losses).unwrap();
    let kinds = ["gru", "mlp", "rnn", "lstm"];
    tasks
        .iter()
        .enumerate()
        .map(|(i, t)| TrainConfig {
            task: serde_json::from_str::<TaskConfig>(t).unwrap(),
            network: NetworkConfig {
                kind: serde_json::from_str(&format!("\"{}\"", kinds[i % 4])).unwrap(),
                hidden: 8,
                layers: 2,
            },
            losses: losses.clone(),
            ..TrainConfig::default()
        })
        .collect()
}

/// The run hashes of [`every_builtin`]'s configs and of the default config, as recorded before
/// the built-ins were registered in one list (the hash is FNV-1a of the config's JSON, so any
/// change to the serialised form shows here).
const HASHES: [u64; 6] = [
    713963947544945133,
    9611282436322577130,
    9763064863695936136,
    5035029248144683857,
    5062642664255149116,
    9442159344477823550,
];
const DEFAULT_HASH: u64 = 13800515241880961064;

#[test]
fn configs_of_every_builtin_serialise_as_before() {
    for (c, want) in every_builtin().iter().zip(HASHES) {
        let json = serde_json::to_string(c).unwrap();
        assert_eq!(c.hash().unwrap(), want, "{json}");
        let back: TrainConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, c);
    }
    assert_eq!(TrainConfig::default().hash().unwrap(), DEFAULT_HASH);
    let first = serde_json::to_string(&every_builtin()[0]).unwrap();
    assert_eq!(
        first,
        r#"{"effector":{"preset":"ReluPointMass24","muscle":null},"task":{"name":"RandomTargetReach"},"env":{"max_ep_duration":1.0,"action_noise":0.0,"obs_noise":0.0,"proprioception_noise":0.0,"vision_noise":0.0,"proprioception_delay":null,"vision_delay":null,"action_frame_stacking":0,"curl_field":null},"network":{"kind":"gru","hidden":8,"layers":2},"losses":[{"kind":"position_l1","weight":1.0},{"kind":"position_l1","weight":2.0},{"kind":"clipped_position","weight":1.0,"radius":0.01},{"kind":"activation_l2","weight":0.5,"derivative_weight":0.0},{"kind":"activation_l2","weight":1.0,"derivative_weight":0.001},{"kind":"hidden_l2","weight":0.01,"derivative_weight":0.0},{"kind":"hidden_l2","weight":0.1,"derivative_weight":0.5},{"kind":"speed","weight":0.25},{"kind":"jerk","weight":1e-6}],"batch_size":32,"batches":6000,"lr":0.001,"lr_schedule":{"kind":"constant"},"grad_clip":1.0,"seed":0,"threads":0,"checkpoint_every":500}"#
    );
}

#[test]
fn task_defaults_are_as_before() {
    let want = [
        r#"{"name":"RandomTargetReach"}"#,
        r#"{"name":"RandomTargetReachWithLoads","magnitude":[0.0,5.0]}"#,
        r#"{"name":"DelayedReach","cue_range":[0.1,0.3],"catch_probability":0.5}"#,
        r#"{"name":"CentreOutReach","n_targets":8,"radius":0.1,"centre":null,"mode":{"training":{"cue_range":[0.1,0.3],"catch_probability":0.5}},"cue_input":true}"#,
    ];
    for (name, want) in TaskConfig::NAMES.iter().zip(want) {
        let got = serde_json::to_string(&TaskConfig::default_for(name).unwrap()).unwrap();
        assert_eq!(got, want);
    }
    assert_eq!(TaskConfig::NAMES.len(), want.len());
}

#[test]
fn bad_configs_are_errors_that_name_the_problem() {
    let task = |s: &str| {
        serde_json::from_str::<TaskConfig>(s)
            .unwrap_err()
            .to_string()
    };
    let loss = |s: &str| {
        serde_json::from_str::<LossConfig>(s)
            .unwrap_err()
            .to_string()
    };
    let e = task(r#"{"name":"Nope"}"#);
    assert!(
        e.starts_with("unknown variant `Nope`, expected one of `RandomTargetReach`"),
        "{e}"
    );
    let e = task(r#"{"name":"DelayedReach","cue_range":[0.1,0.2],"bogus":1}"#);
    assert_eq!(
        e,
        "unknown field `bogus`, expected `cue_range` or `catch_probability`"
    );
    let e = task(r#"{"name":"RandomTargetReach","x":1}"#);
    assert_eq!(e, "unknown field `x`, there are no fields");
    assert_eq!(
        task(r#"{"name":"CentreOutReach"}"#),
        "missing field `n_targets`"
    );
    let e = loss(r#"{"kind":"nope"}"#);
    assert!(
        e.starts_with("unknown variant `nope`, expected one of `position_l1`"),
        "{e}"
    );
    assert_eq!(
        loss(r#"{"kind":"speed","bogus":1}"#),
        "unknown field `bogus`, expected `weight`"
    );
    assert_eq!(
        loss(r#"{"kind":"clipped_position"}"#),
        "missing field `radius`"
    );
    let e = NetworkKind::from_name("transformer")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        r#"config `network`: unknown network `transformer`; one of ["gru", "mlp", "rnn", "lstm"]"#
    );
    let e = TaskConfig::default_for("Nope").unwrap_err().to_string();
    assert!(
        e.contains("unknown task 'Nope'; known: [\"RandomTargetReach\""),
        "{e}"
    );
}
