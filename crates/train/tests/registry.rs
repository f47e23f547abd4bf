//! The registries of built-in networks, tasks and losses: every registered entry is tested
//! here without being named, and the reference in docs/training.md is what they generate.

use motornet_policy::testing::{conformance, ConformanceOptions};
use motornet_policy::Policy;
use motornet_task::loss::{self, LossConfig};
use motornet_task::registry::Description;
use motornet_task::TaskConfig;
use motornet_train::registry::{markdown, BEGIN, END};
use motornet_train::{AnyTrainer, NetworkConfig, NetworkKind, TrainConfig};
use std::collections::HashSet;
use std::path::PathBuf;

fn assert_unique(what: &str, names: &[&str]) {
    let set: HashSet<_> = names.iter().collect();
    assert_eq!(set.len(), names.len(), "{what} names repeat: {names:?}");
    assert!(names.iter().all(|n| !n.is_empty()), "{what}: an empty name");
}

#[test]
fn names_are_unique_and_descriptions_follow_the_name_tables() {
    let nets: Vec<_> = NetworkKind::ALL.iter().map(|(_, n)| *n).collect();
    assert_unique("network", &nets);
    assert_unique("task", &TaskConfig::NAMES);
    assert_unique("loss", &LossConfig::NAMES);
    let names = |d: &[Description]| d.iter().map(|d| d.name).collect::<Vec<_>>();
    assert_eq!(names(&NetworkKind::DESCRIPTIONS), nets);
    assert_eq!(names(&TaskConfig::DESCRIPTIONS), TaskConfig::NAMES);
    assert_eq!(names(&LossConfig::DESCRIPTIONS), LossConfig::NAMES);
    for d in NetworkKind::DESCRIPTIONS
        .iter()
        .chain(&TaskConfig::DESCRIPTIONS)
        .chain(&LossConfig::DESCRIPTIONS)
    {
        assert!(
            !d.doc.is_empty() && !d.doc.contains('\n'),
            "{}: doc",
            d.name
        );
        for p in d.params {
            assert!(!p.doc.is_empty(), "{}.{}: doc", d.name, p.name);
        }
    }
}

/// The keys of `config`'s JSON object after the tag.
fn keys(config: &impl serde::Serialize, tag: &str) -> Vec<String> {
    let serde_json::Value::Object(map) = serde_json::to_value(config).unwrap() else {
        panic!("not an object")
    };
    map.keys().filter(|k| *k != tag).cloned().collect()
}

/// The documented parameters are the config's fields after the tag, in order.
fn assert_params_are_the_fields(config: &impl serde::Serialize, tag: &str, d: &Description) {
    let mut got = keys(config, tag);
    let mut want: Vec<_> = d.params.iter().map(|p| p.name.to_string()).collect();
    let json = serde_json::to_string(config).unwrap();
    let at = |k: &str| json.find(&format!("\"{k}\":")).unwrap();
    let in_order: Vec<_> = want.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{}: documented parameters", d.name);
    let order: Vec<_> = in_order.iter().map(|k| at(k)).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{}: order of {json}",
        d.name
    );
}

#[test]
fn every_task_builds_from_its_defaults_round_trips_and_draws_trials() {
    let arm = std::sync::Arc::new(
        motornet_effector::presets::spec("ReluPointMass24", None)
            .unwrap()
            .build()
            .unwrap(),
    );
    for d in TaskConfig::DESCRIPTIONS {
        let config = TaskConfig::default_for(d.name).unwrap();
        assert_eq!(config.name(), d.name);
        assert_params_are_the_fields(&config, "name", &d);
        let json = serde_json::to_string(&config).unwrap();
        assert!(
            json.starts_with(&format!("{{\"name\":\"{}\"", d.name)),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<TaskConfig>(&json).unwrap(), config);
        let toml_text = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<TaskConfig>(&toml_text).unwrap(), config);
        let task = config.build();
        assert_eq!(task.name(), d.name);
        let env =
            motornet_task::Environment::new(arm.clone(), task, motornet_task::EnvConfig::default())
                .unwrap();
        let mut obs = vec![0.0; env.obs_len()];
        env.reset(0, 4, 7, None, &mut obs)
            .unwrap_or_else(|e| panic!("{}: {e}", d.name));
        assert!(obs.iter().all(|v| v.is_finite()), "{}", d.name);
    }
    assert!(TaskConfig::default_for("NoSuchTask").is_err());
}

#[test]
fn every_loss_builds_from_its_example_and_round_trips() {
    let examples = LossConfig::examples();
    assert_eq!(examples.len(), LossConfig::NAMES.len());
    for (d, config) in LossConfig::DESCRIPTIONS.iter().zip(&examples) {
        assert_eq!(config.name(), d.name);
        assert_params_are_the_fields(config, "kind", d);
        let json = serde_json::to_string(config).unwrap();
        assert!(
            json.starts_with(&format!("{{\"kind\":\"{}\"", d.name)),
            "{json}"
        );
        assert_eq!(&serde_json::from_str::<LossConfig>(&json).unwrap(), config);
        let (weight, built) = config.build().unwrap();
        assert_eq!(built.name(), d.name, "the loss names itself as registered");
        assert!(weight.is_finite() && weight >= 0.0);
    }
    let sum = loss::build(&examples).unwrap();
    assert_eq!(sum.losses().len(), examples.len());
}

#[test]
fn every_network_passes_the_policy_conformance_checks() {
    for (kind, name) in NetworkKind::ALL {
        let config = NetworkConfig {
            kind,
            hidden: 3,
            layers: 2,
        };
        let net = motornet_train::policy::build(&config, 4, 2).unwrap();
        assert_eq!((net.input_size(), net.output_size()), (4, 2), "{name}");
        let report = conformance(&net, &ConformanceOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.gradients.checked > 0, "{name}");
        assert_eq!(NetworkKind::from_name(name).unwrap(), kind);
        assert_eq!(kind.name(), name);
    }
}

#[test]
fn every_network_task_and_loss_trains_a_batch_from_a_config() {
    let n = NetworkKind::ALL.len().max(TaskConfig::NAMES.len());
    for i in 0..n {
        let (kind, _) = NetworkKind::ALL[i % NetworkKind::ALL.len()];
        let task = TaskConfig::NAMES[i % TaskConfig::NAMES.len()];
        let c = TrainConfig {
            task: TaskConfig::default_for(task).unwrap(),
            network: NetworkConfig {
                kind,
                hidden: 4,
                layers: 1,
            },
            losses: LossConfig::examples(),
            batch_size: 2,
            batches: 1,
            threads: 1,
            env: motornet_task::EnvConfig {
                max_ep_duration: 0.4,
                ..Default::default()
            },
            ..TrainConfig::default()
        };
        let mut t = AnyTrainer::new(&c).unwrap();
        let s = t.batch().unwrap();
        assert!(
            s.loss.is_finite() && s.grad_norm.is_finite(),
            "{kind:?} {task}"
        );
    }
}

#[test]
fn docs_training_md_lists_the_registered_builtins() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/training.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(a), Some(b)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{} needs the lines\n{BEGIN}\n{END}", path.display())
    };
    let start = a + BEGIN.len() + 1;
    let want = markdown();
    if text[start..b] == want {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let new = format!("{}{want}{}", &text[..start], &text[b..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    panic!(
        "the built-ins section of {} is out of date; rerun with UPDATE_DOCS=1 to rewrite it",
        path.display()
    );
}
