//! Round trips (issue 14): a run config written as JSON or TOML parses back to the same
//! config (`TrainConfig::from_json`/`from_toml`, what `train --config` reads), and a
//! checkpoint written as bytes parses back to the same checkpoint (`Checkpoint::from_bytes`,
//! what `train --resume` reads), over generated values. A field that serialisation drops,
//! renames or rounds fails them.

use motornet_task::loss::LossConfig;
use motornet_task::TaskConfig;
use motornet_train::{Adam, AdamConfig, Checkpoint, EffectorChoice, NetworkKind, TrainConfig};
use proptest::prelude::*;
use serde_json::Value;

const TASKS: [&str; 4] = [
    r#"{"name":"RandomTargetReach"}"#,
    r#"{"name":"RandomTargetReachWithLoads","magnitude":[0.5,2.0]}"#,
    r#"{"name":"DelayedReach","cue_range":[0.1,0.2],"catch_probability":0.25}"#,
    r#"{"name":"CentreOutReach","n_targets":8,"radius":0.1,"centre":[0.1,0.2],"mode":{"training":{"cue_range":[0.1,0.3],"catch_probability":0.5}},"cue_input":false}"#,
];
const LOSSES: [&str; 5] = [
    r#"{"kind":"position_l1","weight":2.0}"#,
    r#"{"kind":"clipped_position","radius":0.01}"#,
    r#"{"kind":"activation_l2","weight":0.5,"derivative_weight":0.001}"#,
    r#"{"kind":"hidden_l2","weight":0.1,"derivative_weight":0.5}"#,
    r#"{"kind":"jerk","weight":1e-6}"#,
];
const SCHEDULES: [&str; 3] = [
    r#"{"kind":"constant"}"#,
    r#"{"kind":"step","every":7,"factor":0.5}"#,
    r#"{"kind":"cosine","min_lr":1e-5}"#,
];

/// Multiply every non-integer number of `v` by `1 + f` for the next `f` of `factors`.
fn perturb(v: &mut Value, f: &mut impl Iterator<Item = f64>) {
    match v {
        Value::Number(n) if n.is_f64() => {
            *v = serde_json::json!(n.as_f64().unwrap() * (1.0 + f.next().unwrap()));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| perturb(v, f)),
        Value::Object(o) => o.values_mut().for_each(|v| perturb(v, f)),
        _ => {}
    }
}

prop_compose! {
    /// A config of any network, task, losses, schedule and effector (a preset, or a preset's
    /// full spec), with every number perturbed; seeds up to `max_seed`.
    fn configs(max_seed: u64)(
        kind in 0..NetworkKind::ALL.len(),
        (hidden, layers, batch_size, batches) in (1usize..300, 1usize..4, 1usize..100, 1usize..10_000),
        task in 0..TASKS.len(),
        losses in prop::collection::vec(0..LOSSES.len(), 1..4),
        schedule in 0..SCHEDULES.len(),
        grad_clip in 0.01f64..10.0,
        seed in 0..=max_seed,
        (threads, checkpoint_every) in (0usize..16, 1usize..1000),
        (preset, full_spec) in (0..motornet_effector::presets::NAMES.len(), any::<bool>()),
        factors in prop::collection::vec(-0.1f64..0.1, 1..32),
    ) -> TrainConfig {
        let preset = motornet_effector::presets::NAMES[preset];
        let mut c = TrainConfig {
            effector: EffectorChoice::Preset { preset: preset.into(), muscle: None },
            task: serde_json::from_str::<TaskConfig>(TASKS[task]).unwrap(),
            losses: losses.iter().map(|&i| serde_json::from_str::<LossConfig>(LOSSES[i]).unwrap()).collect(),
            lr_schedule: serde_json::from_str(SCHEDULES[schedule]).unwrap(),
            batch_size,
            batches,
            grad_clip: Some(grad_clip),
            seed,
            threads,
            checkpoint_every,
            ..TrainConfig::default()
        };
        c.network.kind = NetworkKind::ALL[kind].0;
        (c.network.hidden, c.network.layers) = (hidden, layers);
        if full_spec {
            c = c.resolved().unwrap();
        }
        let mut v = serde_json::to_value(&c).unwrap();
        perturb(&mut v, &mut factors.iter().copied().cycle());
        serde_json::from_value(v).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_config_written_as_json_parses_back_to_the_same_config(c in configs(u64::MAX)) {
        let json = serde_json::to_string_pretty(&c).unwrap();
        prop_assert_eq!(TrainConfig::from_json(&json).unwrap(), c, "{}", json);
    }

    /// TOML integers are i64: seeds up to 2⁶³ − 1.
    #[test]
    fn a_config_written_as_toml_parses_back_to_the_same_config(c in configs(i64::MAX as u64)) {
        let toml = toml::to_string(&c).unwrap();
        prop_assert_eq!(TrainConfig::from_toml(&toml).unwrap(), c, "{}", toml);
    }

    #[test]
    fn a_checkpoint_written_as_bytes_parses_back_to_the_same_checkpoint(
        params in prop::collection::vec(-1e30f32..1e30, 0..300),
        moments in prop::collection::vec((-1e3f32..1e3, 0f32..1e6), 0..300),
        losses in prop::collection::vec(-1e300f64..1e300, 0..300),
        (t, hash) in (any::<u64>(), any::<u64>()),
        (beta1, beta2, eps) in (0.0f64..1.0, 0.0f64..1.0, 1e-12f64..1e-3),
    ) {
        let n = params.len().min(moments.len());
        let c = Checkpoint {
            batches_done: losses.len(),
            params: params[..n].to_vec(),
            adam: Adam {
                config: AdamConfig { beta1, beta2, eps },
                t,
                m: moments[..n].iter().map(|m| m.0).collect(),
                v: moments[..n].iter().map(|m| m.1).collect(),
            },
            losses,
        };
        let bytes = c.to_bytes(hash).unwrap();
        prop_assert_eq!(Checkpoint::from_bytes(&bytes, Some(hash)).unwrap(), c);
    }
}
