//! Phased protocols (issue 15): each phase's task, field, learning rate and trainable blocks
//! take effect in its batches, the run resumes inside a phase exactly, and bad phases are
//! named errors.

use motornet_policy::Policy;
use motornet_task::EnvConfig;
use motornet_train::{AnyTrainer, PhaseConfig, TrainConfig};

/// A small phased run on the point mass: 3 null-field batches, 3 in a curl field with only
/// the input weights learning at a lower rate, 2 null-field batches.
fn phased() -> TrainConfig {
    let ff = PhaseConfig {
        name: Some("FF".into()),
        curl_field: Some(10.0),
        lr: Some(1e-4),
        train: Some(vec!["gru.weight_ih*".into()]),
        ..PhaseConfig::new(3)
    };
    TrainConfig {
        batches: 8,
        batch_size: 8,
        threads: 2,
        env: EnvConfig {
            max_ep_duration: 0.3,
            ..EnvConfig::default()
        },
        network: motornet_train::NetworkConfig {
            kind: motornet_train::NetworkKind::Gru,
            hidden: 16,
            layers: 1,
        },
        phases: vec![PhaseConfig::new(3), ff, PhaseConfig::new(2)],
        ..TrainConfig::default()
    }
}

#[test]
fn each_phase_sets_its_field_rate_and_trainable_blocks() {
    let mut t = AnyTrainer::new(&phased()).unwrap();
    let layout = t.policy().layout().clone();
    let input = layout.get("gru.weight_ih_l0").unwrap().range();
    let mut seen = vec![];
    for _ in 0..8 {
        let before = t.params().to_vec();
        let s = t.batch().unwrap();
        let (index, _) = t.phase().unwrap();
        let field = t.env().config().curl_field.map(|c| c.strength);
        seen.push((index, field, s.lr));
        let changed: Vec<bool> = (before.iter().zip(t.params()))
            .map(|(a, b)| a != b)
            .collect();
        let outside = changed
            .iter()
            .enumerate()
            .any(|(i, &c)| c && !input.contains(&i));
        if index == 1 {
            assert!(!outside, "batch {}: a frozen block changed", s.batch);
            assert!(
                changed[input.clone()].iter().any(|&c| c),
                "input weights learn"
            );
        } else {
            assert!(outside, "batch {}: every block learns", s.batch);
        }
    }
    let want = [
        (0, None, 1e-3),
        (0, None, 1e-3),
        (0, None, 1e-3),
        (1, Some(10.0), 1e-4),
        (1, Some(10.0), 1e-4),
        (1, Some(10.0), 1e-4),
        (2, None, 1e-3),
        (2, None, 1e-3),
    ];
    assert_eq!(seen, want);
}

#[test]
fn a_phased_run_resumed_inside_a_phase_continues_exactly() {
    let c = phased();
    let mut straight = AnyTrainer::new(&c).unwrap();
    for _ in 0..8 {
        straight.batch().unwrap();
    }
    for stop in [2, 4, 6] {
        let mut first = AnyTrainer::new(&c).unwrap();
        for _ in 0..stop {
            first.batch().unwrap();
        }
        let mut resumed = AnyTrainer::new(&c).unwrap();
        resumed.restore(first.checkpoint()).unwrap();
        for _ in stop..8 {
            resumed.batch().unwrap();
        }
        assert_eq!(resumed.losses(), straight.losses(), "stopped after {stop}");
        assert_eq!(resumed.params(), straight.params(), "stopped after {stop}");
    }
}

#[test]
fn a_phase_schedule_restarts_at_the_phase_start() {
    let mut c = phased();
    c.phases[1].lr_schedule = Some(motornet_train::LrSchedule::Step {
        every: 1,
        factor: 0.5,
    });
    let mut t = AnyTrainer::new(&c).unwrap();
    let lrs: Vec<f64> = (0..6).map(|_| t.batch().unwrap().lr).collect();
    assert_eq!(lrs, [1e-3, 1e-3, 1e-3, 1e-4, 5e-5, 2.5e-5]);
}

#[test]
fn config_files_may_leave_batches_out_of_a_phased_run() {
    let text = r#"
        [[phases]]
        batches = 40
        [[phases]]
        name = "FF"
        batches = 60
        curl_field = 10.0
    "#;
    let c = TrainConfig::from_toml(text).unwrap();
    assert_eq!(c.batches, 100);
    c.validate().unwrap();
    // given, it must be the total
    let err = TrainConfig::from_toml(&format!("batches = 90\n{text}"))
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not the phases' total, 100"), "{err}");
    // and the same from JSON
    let json = r#"{"phases": [{"batches": 5}, {"batches": 7, "lr": 0.01}]}"#;
    assert_eq!(TrainConfig::from_json(json).unwrap().batches, 12);
}

#[test]
fn bad_phases_are_errors_that_name_the_phase() {
    let check = |edit: &dyn Fn(&mut TrainConfig), want: &str| {
        let mut c = phased();
        edit(&mut c);
        let err = match AnyTrainer::new(&c) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted a bad phase ({want})"),
        };
        assert!(err.contains(want), "{err} (wanted {want:?})");
    };
    check(
        &|c| c.phases[1].train = Some(vec!["input".into()]),
        "'input' matches no parameter block",
    );
    check(&|c| c.phases[1].train = Some(vec![]), "phases[1] (FF)");
    check(&|c| c.phases[2].lr = Some(-1.0), "phases[2].lr");
    check(
        &|c| c.phases[0].curl_field = Some(f64::NAN),
        "phases[0].curl_field",
    );
    check(
        &|c| {
            c.phases[0].batches = 0;
            c.batches = 5;
        },
        "phases[0].batches",
    );
    check(&|c| c.batches = 9, "not the phases' total");
    // a task whose observation the network cannot read (no go cue → one entry fewer)
    check(
        &|c| {
            c.task = motornet_task::TaskConfig::default_for("CentreOutReach").unwrap();
            c.phases[2].task =
                Some(motornet_task::TaskConfig::default_for("RandomTargetReach").unwrap());
        },
        "phases[2] (phase 3)",
    );
}

#[test]
fn phases_are_part_of_the_run_hash_and_absent_phases_leave_it_unchanged() {
    let c = phased();
    let plain = TrainConfig {
        phases: vec![],
        ..c.clone()
    };
    assert_ne!(c.hash().unwrap(), plain.hash().unwrap());
    let json = serde_json::to_string(&plain).unwrap();
    assert!(
        !json.contains("phases"),
        "no phases, no field: old runs keep their hash"
    );
    let mut other = c.clone();
    other.phases[1].curl_field = Some(-10.0);
    assert_ne!(c.hash().unwrap(), other.hash().unwrap());
}
