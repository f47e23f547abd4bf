//! Training-loop behaviour: reproducibility, resuming, checkpoints, non-finite stops, learning.

use motornet_task::EnvConfig;
use motornet_train::checkpoint::FORMAT_VERSION;
use motornet_train::{AnyTrainer, Checkpoint, TrainConfig, TrainError};

fn small(batches: usize, threads: usize) -> TrainConfig {
    TrainConfig {
        batches,
        batch_size: 8,
        threads,
        env: EnvConfig {
            max_ep_duration: 0.3,
            ..EnvConfig::default()
        },
        network: motornet_train::NetworkConfig {
            kind: motornet_train::NetworkKind::Gru,
            hidden: 16,
            layers: 1,
        },
        ..TrainConfig::default()
    }
}

fn run(c: &TrainConfig, n: usize) -> AnyTrainer {
    let mut t = AnyTrainer::new(c).unwrap();
    for _ in 0..n {
        t.batch().unwrap();
    }
    t
}

#[test]
fn same_seed_and_threads_give_the_same_loss_curve() {
    let c = small(6, 2);
    let (a, b) = (run(&c, 6), run(&c, 6));
    assert_eq!(a.losses(), b.losses());
    assert_eq!(a.params(), b.params());
    let other = run(&TrainConfig { seed: 1, ..c }, 6);
    assert_ne!(a.losses(), other.losses());
}

#[test]
fn resuming_from_a_checkpoint_continues_the_run_exactly() {
    let c = small(6, 2);
    let straight = run(&c, 6);
    let first = run(&c, 3);
    let dir = std::env::temp_dir().join(format!("mn-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.bin");
    first.checkpoint().save(&path, first.config_hash()).unwrap();
    let mut resumed = AnyTrainer::new(&c).unwrap();
    let loaded = Checkpoint::load(&path, Some(resumed.config_hash())).unwrap();
    assert_eq!(loaded, first.checkpoint(), "save → load is bit-exact");
    resumed.restore(loaded).unwrap();
    for _ in 0..3 {
        resumed.batch().unwrap();
    }
    assert_eq!(resumed.losses(), straight.losses());
    assert_eq!(resumed.params(), straight.params());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_checkpoints_give_clear_errors() {
    let c = small(2, 1);
    let t = run(&c, 1);
    let dir = std::env::temp_dir().join(format!("mn-bad-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.bin");
    t.checkpoint().save(&path, t.config_hash()).unwrap();
    let good = std::fs::read(&path).unwrap();
    let msg = |bytes: &[u8], hash: Option<u64>| {
        std::fs::write(&path, bytes).unwrap();
        Checkpoint::load(&path, hash).unwrap_err().to_string()
    };
    assert!(msg(&good[..good.len() - 10], None).contains("truncated"));
    assert!(msg(&good[..5], None).contains("not a motornet-rs checkpoint"));
    let mut flipped = good.clone();
    let k = flipped.len() - 20;
    flipped[k] ^= 0x40;
    assert!(msg(&flipped, None).contains("corrupt"));
    assert!(msg(&good, Some(t.config_hash() ^ 1)).contains("another run"));
    let mut version = good.clone();
    version[8] = (FORMAT_VERSION + 1) as u8; // the version follows the magic (varint)
    assert!(msg(&version, None).contains("format version"));
    assert!(Checkpoint::load(&dir.join("missing.bin"), None)
        .unwrap_err()
        .to_string()
        .contains("cannot read"));
    // writes are atomic: no temporary file is left behind
    t.checkpoint().save(&path, t.config_hash()).unwrap();
    assert!(!path.with_extension("tmp").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_non_finite_loss_stops_with_the_batch_named_and_keeps_the_parameters() {
    let c = small(4, 1);
    let mut t = run(&c, 2);
    let mut bad = t.checkpoint();
    bad.params[0] = f32::NAN;
    t.restore(bad.clone()).unwrap();
    let err = t.batch().unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { batch: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("batch 2"), "{err}");
    assert_eq!(t.batches_done(), 2);
    assert!(t.params()[0].is_nan() && t.params()[1..] == bad.params[1..]);
}

#[test]
fn training_lowers_the_loss() {
    // 150 batches of the tutorial task (1 s episodes, batch 16, GRU 16): the loss falls
    // clearly (MotorNet's own curve halves within the first few hundred batches)
    let c = TrainConfig {
        batch_size: 16,
        env: EnvConfig::default(),
        ..small(150, 2)
    };
    let t = run(&c, 150);
    let l = t.losses();
    let first: f64 = l[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = l[140..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.7 * first, "loss {first} → {last}");
}

#[test]
fn bad_configs_are_errors_naming_the_setting() {
    for (c, field) in [
        (
            TrainConfig {
                batch_size: 0,
                ..TrainConfig::default()
            },
            "batch_size",
        ),
        (
            TrainConfig {
                lr: -1.0,
                ..TrainConfig::default()
            },
            "lr",
        ),
        (
            TrainConfig {
                grad_clip: Some(0.0),
                ..TrainConfig::default()
            },
            "grad_clip",
        ),
        (
            TrainConfig {
                losses: vec![],
                ..TrainConfig::default()
            },
            "losses",
        ),
    ] {
        let e = AnyTrainer::new(&c).err().unwrap().to_string();
        assert!(e.contains(field), "{e}");
    }
    let c = TrainConfig {
        effector: motornet_train::EffectorChoice::Preset {
            preset: "NoSuchArm".into(),
            muscle: None,
        },
        ..TrainConfig::default()
    };
    assert!(AnyTrainer::new(&c)
        .err()
        .unwrap()
        .to_string()
        .contains("NoSuchArm"));
}

#[test]
fn rnn_and_lstm_from_configs_learn_and_resume_exactly() {
    for kind in [
        motornet_train::NetworkKind::Rnn,
        motornet_train::NetworkKind::Lstm,
    ] {
        let c = TrainConfig {
            network: motornet_train::NetworkConfig {
                kind,
                hidden: 16,
                layers: 1,
            },
            lr: 1e-2,
            ..small(120, 2)
        };
        let straight = run(&c, 120);
        let l = straight.losses();
        let (first, last) = (l[..10].iter().sum::<f64>(), l[110..].iter().sum::<f64>());
        assert!(last < 0.7 * first, "{kind:?}: loss {first} → {last}");
        let ckpt = run(&c, 60).checkpoint();
        let mut fresh = AnyTrainer::new(&c).unwrap();
        fresh.restore(ckpt).unwrap();
        for _ in 0..60 {
            fresh.batch().unwrap();
        }
        assert_eq!(fresh.losses(), straight.losses(), "{kind:?}");
        assert_eq!(fresh.params(), straight.params(), "{kind:?}");
    }
}

#[test]
fn network_names_parse_and_unknown_ones_are_errors() {
    use motornet_train::NetworkKind;
    for (kind, name) in NetworkKind::ALL {
        assert_eq!(NetworkKind::from_name(name).unwrap(), kind);
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{name}\""));
    }
    let e = NetworkKind::from_name("transformer")
        .unwrap_err()
        .to_string();
    assert!(e.contains("transformer") && e.contains("lstm"), "{e}");
}

/// Issue 15: a run can start from another run's network (`init_from`), with a fresh optimiser,
/// in another environment (here a curl field); networks of other sizes are refused, naming
/// both.
#[test]
fn a_run_starts_from_another_runs_network() {
    let dir = std::env::temp_dir().join(format!("motornet-init-from-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = small(3, 2);
    let a = run(&c, 3);
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string(a.config()).unwrap(),
    )
    .unwrap();
    a.checkpoint()
        .save(&dir.join("checkpoint.bin"), a.config_hash())
        .unwrap();
    let mut field = small(2, 2);
    field.env.curl_field = Some(motornet_task::CurlField {
        strength: 10.0,
        probability: 1.0,
    });
    field.seed = 7;
    field.init_from = Some(dir.clone());
    let mut b = AnyTrainer::new(&field).unwrap();
    assert_ne!(b.params(), a.params(), "seeded, before init_from");
    b.init_from(&dir).unwrap();
    assert_eq!(b.params(), a.params());
    assert_eq!(b.batches_done(), 0);
    b.batch().unwrap();
    // the optimiser's first step from a's weights: Adam starts afresh (its first update moves
    // every parameter by about lr, whatever a's moments were)
    let moved = (b.params().iter().zip(a.params()))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(moved > 0.5e-3 && moved < 1.5e-3, "{moved}");
    // init_from is part of the run's identity
    assert_ne!(
        b.config_hash(),
        AnyTrainer::new(&TrainConfig {
            init_from: None,
            ..field.clone()
        })
        .unwrap()
        .config_hash()
    );
    // too late, and a network of another size
    let err = b.init_from(&dir).unwrap_err().to_string();
    assert!(err.contains("already trained 1 batches"), "{err}");
    let mut bigger = small(2, 2);
    bigger.network.hidden = 24;
    let err = AnyTrainer::new(&bigger)
        .unwrap()
        .init_from(&dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("init_from") && err.contains("gru 16 x 1") && err.contains("gru 24 x 1"),
        "{err}"
    );
    let err = AnyTrainer::new(&small(2, 2))
        .unwrap()
        .init_from(&dir.join("missing"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
