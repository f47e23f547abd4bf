//! Training, validation and metrics on an effector whose fingertip moves in 3-D: a point mass
//! pulled by six muscles, one each way along each axis (issue 16: everything above the
//! effector works for `space_dim` 3).

use motornet_effector::EffectorSpec;
use motornet_task::{CentreOutMode, CentreOutReach, EnvConfig, TaskConfig};
use motornet_train::{metrics, AnyTrainer, EffectorChoice, TrainConfig};

/// The spec of `crates/motornet/tests/data/point_mass_3d.json`: 1 kg, bounds ±1 m, six
/// 500 N ReLU muscles on straight paths from anchors 2 m out on each axis.
const POINT_MASS_3D: &str = r#"{
  "skeleton": {"type": "PointMass", "space_dim": 3, "mass": 1.0},
  "muscle": {"type": "ReluMuscle"},
  "muscles": [
    {"name": "px", "max_isometric_force": 500}, {"name": "nx", "max_isometric_force": 500},
    {"name": "py", "max_isometric_force": 500}, {"name": "ny", "max_isometric_force": 500},
    {"name": "pz", "max_isometric_force": 500}, {"name": "nz", "max_isometric_force": 500}
  ],
  "geometry": {"type": "paths", "paths": {
    "px": {"fixation_body": [0, 1], "coordinates": [[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]},
    "nx": {"fixation_body": [0, 1], "coordinates": [[-2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]},
    "py": {"fixation_body": [0, 1], "coordinates": [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]},
    "ny": {"fixation_body": [0, 1], "coordinates": [[0.0, -2.0, 0.0], [0.0, 0.0, 0.0]]},
    "pz": {"fixation_body": [0, 1], "coordinates": [[0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]},
    "nz": {"fixation_body": [0, 1], "coordinates": [[0.0, 0.0, -2.0], [0.0, 0.0, 0.0]]}
  }},
  "timestep": 0.01, "damping": 0.0,
  "pos_lower_bound": [-1, -1, -1], "pos_upper_bound": [1, 1, 1],
  "vel_lower_bound": [-1000, -1000, -1000], "vel_upper_bound": [1000, 1000, 1000]
}"#;

/// Centre-out training in 3-D: random cued reaches, half of them from the centre to the
/// sphere of 10 cm; 0.6 s episodes, batch 16, GRU 16.
fn config() -> TrainConfig {
    TrainConfig {
        effector: EffectorChoice::Spec {
            spec: Box::new(EffectorSpec::from_json(POINT_MASS_3D).unwrap()),
        },
        task: TaskConfig::CentreOutReach(CentreOutReach {
            mode: CentreOutMode::Training {
                cue_range: (0.0, 0.1),
                catch_probability: 0.0,
                centre_out_fraction: 0.5,
            },
            ..CentreOutReach::validation(8, 0.1)
        }),
        env: EnvConfig {
            max_ep_duration: 0.6,
            ..EnvConfig::default()
        },
        network: motornet_train::NetworkConfig {
            kind: motornet_train::NetworkKind::Gru,
            hidden: 16,
            layers: 1,
        },
        batch_size: 16,
        batches: 200,
        lr: 3e-3,
        threads: 2,
        ..TrainConfig::default()
    }
}

/// The validation reaches: the 8 centre-out targets on the sphere, noiseless, cue at 0.05 s.
fn validate(t: &AnyTrainer) -> motornet_train::Rollout {
    let task = CentreOutReach {
        mode: CentreOutMode::Validation { cue: 0.05 },
        ..CentreOutReach::validation(8, 0.1)
    };
    let env = t.env().config().noiseless();
    t.evaluate(Some(std::sync::Arc::new(task)), Some(&env), 8, 0, None)
        .unwrap()
}

#[test]
fn a_3d_point_mass_learns_centre_out_reaches() {
    let mut t = AnyTrainer::new(&config()).unwrap();
    assert_eq!(t.effector().space_dim(), 3);
    let before = metrics::rollout_metrics(&validate(&t)).unwrap();
    for _ in 0..200 {
        t.batch().unwrap();
    }
    let l = t.losses();
    assert_eq!(l.len(), 200);
    assert!(l.iter().all(|v| v.is_finite()));
    let first: f64 = l[..20].iter().sum::<f64>() / 20.0;
    let last: f64 = l[180..].iter().sum::<f64>() / 20.0;
    assert!(last < 0.6 * first, "loss {first} → {last}");

    // the validation batch: 8 reaches of (T+1) states of [x, y, z, vx, vy, vz] to targets
    // 10 cm from the centre on the sphere
    let r = validate(&t);
    let steps = 60;
    assert_eq!((r.fingertip.len(), r.target.len()), (8, 8));
    for (f, target) in r.fingertip.iter().zip(&r.target) {
        assert_eq!(f.len(), (steps + 1) * 6);
        assert_eq!(target.len(), 3);
        let distance = (0..3).map(|k| (target[k] - f[k]).powi(2)).sum::<f64>();
        assert!((distance.sqrt() - 0.1).abs() < 1e-9, "{target:?}");
    }
    assert_eq!(r.goal[0].len(), (steps + 1) * 3);
    assert_eq!(r.excitation[0].len(), steps * 6);
    assert_eq!(r.joint[0].len(), (steps + 1) * 6);

    // every metric exists and is finite in 3-D, and the trained network reaches closer
    let after = metrics::rollout_metrics(&r).unwrap();
    for m in [&before, &after] {
        assert!(m.mean_final_error_m.is_finite() && m.mean_peak_speed_m_per_s.is_finite());
        assert!(m.mean_path_length_ratio.is_some_and(f64::is_finite));
        for reach in &m.reaches {
            let dev = reach.signed_lateral_deviation_m.unwrap();
            assert!(dev.is_finite() && dev >= 0.0, "{reach:?}");
        }
    }
    assert!(
        after.mean_final_error_m < 0.5 * before.mean_final_error_m,
        "final error {} → {} m",
        before.mean_final_error_m,
        after.mean_final_error_m
    );
    assert!(after.mean_movement_time_s.is_some() && after.mean_reaction_time_s.is_some());
    eprintln!(
        "3-D point mass, 200 batches: loss {first:.4} → {last:.4}; validation final error \
         {:.4} → {:.4} m, path ratio {:?}, peak speed {:.3} m/s, lateral {:?} m",
        before.mean_final_error_m,
        after.mean_final_error_m,
        after.mean_path_length_ratio,
        after.mean_peak_speed_m_per_s,
        after.mean_signed_lateral_deviation_m
    );
}
