//! The generic trainer takes parts built in code — an effector composed with `Effector::new`,
//! a task, a network and losses — and checks what it can before the first batch.

use motornet_effector::{ConstantMomentArms, Effector, EffectorOptions, Integration};
use motornet_muscle::{ReluMuscle, ReluParams};
use motornet_policy::{GruConfig, MlpConfig};
use motornet_scalar::Scalar;
use motornet_skeleton::{JointBounds, PointMass};
use motornet_task::loss::{
    Auto, EpisodeGrad, EpisodeValues, EpisodeView, Fields, Loss, LossSum, LossTerm, PositionL1,
};
use motornet_task::{
    EnvConfig, Environment, RandomTargetReach, Task, TaskError, Trial, TrialContext,
};
use motornet_train::rand::rngs::StdRng;
use motornet_train::{TrainError, Trainer, TrainerConfig};
use std::sync::Arc;

type Arm = Effector<PointMass, ReluMuscle, ConstantMomentArms>;

/// A point mass pulled by four muscles, built in code (no spec, no preset).
fn arm() -> Arc<Arm> {
    let muscles = ["right", "up", "left", "down"]
        .map(|n| ReluParams::new(n, 500.0))
        .to_vec();
    let effector = Effector::new(
        PointMass::new(2, 1.0).unwrap(),
        ReluMuscle::new(ReluMuscle::DEFAULT_ACTIVATION, muscles).unwrap(),
        ConstantMomentArms::free_point_mass24(),
        EffectorOptions {
            timestep: 0.01,
            n_ministeps: 1,
            integration: Integration::Euler,
            damping: 0.0,
            bounds: JointBounds::new(
                2,
                vec![-1.0; 2],
                vec![1.0; 2],
                vec![-100.0; 2],
                vec![100.0; 2],
            )
            .unwrap(),
        },
    );
    Arc::new(effector.unwrap())
}

fn env(task: Arc<dyn Task>) -> Environment<PointMass, ReluMuscle, ConstantMomentArms> {
    let config = EnvConfig {
        max_ep_duration: 0.3,
        ..EnvConfig::default()
    };
    Environment::new(arm(), task, config).unwrap()
}

fn settings() -> TrainerConfig {
    TrainerConfig {
        batch_size: 8,
        batches: 150,
        lr: 1e-2,
        threads: 2,
        ..TrainerConfig::default()
    }
}

fn l1() -> LossSum {
    LossSum::new().with(1.0, PositionL1).unwrap()
}

#[test]
fn an_effector_built_in_code_trains_and_resumes_bit_exactly() {
    let e = env(Arc::new(RandomTargetReach));
    let gru = GruConfig::new(e.obs_len(), 16, 4).build().unwrap();
    let mut straight = Trainer::new(e, gru.clone(), l1(), settings()).unwrap();
    for _ in 0..150 {
        straight.batch().unwrap();
    }
    let l = straight.losses();
    let (first, last) = (l[..10].iter().sum::<f64>(), l[140..].iter().sum::<f64>());
    assert!(last < 0.6 * first, "loss {first} → {last}");

    let dir = std::env::temp_dir().join(format!("mn-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.ckpt");
    let mut first_half = Trainer::new(
        env(Arc::new(RandomTargetReach)),
        gru.clone(),
        l1(),
        settings(),
    )
    .unwrap();
    for _ in 0..75 {
        first_half.batch().unwrap();
    }
    first_half.save_checkpoint(&path).unwrap();
    let mut resumed =
        Trainer::new(env(Arc::new(RandomTargetReach)), gru, l1(), settings()).unwrap();
    resumed.resume_from(&path).unwrap();
    assert_eq!(resumed.batches_done(), 75);
    for _ in 0..75 {
        resumed.batch().unwrap();
    }
    assert_eq!(resumed.losses(), straight.losses());
    assert_eq!(resumed.params(), straight.params());

    // a checkpoint of another run (other settings, so another default hash) is refused
    let other = TrainerConfig {
        lr: 1e-3,
        ..settings()
    };
    let gru = GruConfig::new(12, 16, 4).build().unwrap();
    let mut stranger = Trainer::new(env(Arc::new(RandomTargetReach)), gru, l1(), other).unwrap();
    let e = stranger.resume_from(&path).unwrap_err().to_string();
    assert!(e.contains("another run"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_network_of_the_wrong_width_is_an_error_naming_the_network() {
    let e = env(Arc::new(RandomTargetReach));
    let obs = e.obs_len();
    let wide = GruConfig::new(obs, 8, 5).build().unwrap();
    let err = Trainer::new(e, wide, l1(), settings()).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("network") && msg.contains("5") && msg.contains("4 muscles"),
        "{msg}"
    );

    let e = env(Arc::new(RandomTargetReach));
    let narrow = MlpConfig::new(obs - 1, vec![8], 4).build().unwrap();
    let msg = Trainer::new(e, narrow, l1(), settings())
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("network") && msg.contains(&format!("{obs} entries")),
        "{msg}"
    );
}

/// A task whose targets have three coordinates on a planar effector.
struct ThreeDTargets;
impl Task for ThreeDTargets {
    fn name(&self) -> &str {
        "ThreeDTargets"
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        Ok(Trial {
            initial_joint: ctx.initial_or_random(rng),
            target: vec![0.0; 3],
            go_cue: Some(0),
            endpoint_load: vec![],
        })
    }
}

#[test]
fn a_task_with_the_wrong_goal_dimension_is_an_error_before_the_first_batch() {
    let e = env(Arc::new(ThreeDTargets));
    let gru = GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let msg = Trainer::new(e, gru, l1(), settings())
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("ThreeDTargets.target") && msg.contains("needs 2"),
        "{msg}"
    );
}

/// A loss that is NaN whenever the fingertip is right of x = −10 m, i.e. always.
struct Broken;
impl Loss for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn value_and_grad(&self, ep: &EpisodeView, _grad: Option<&mut EpisodeGrad>, _s: f64) -> f64 {
        if ep.fingertip[0] > -10.0 {
            f64::NAN
        } else {
            0.0
        }
    }
}

#[test]
fn a_loss_returning_nan_stops_the_first_batch_naming_the_term() {
    let e = env(Arc::new(RandomTargetReach));
    let gru = GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let losses = l1().with(0.5, Broken).unwrap();
    let mut t = Trainer::new(e, gru, losses, settings()).unwrap();
    let before = t.params().to_vec();
    let err = t.batch().unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { batch: 0, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("`broken`") && msg.contains("element 0"),
        "{msg}"
    );
    assert_eq!(t.params(), &before[..], "parameters untouched");
    assert_eq!(t.batches_done(), 0);
}

/// A loss on the hidden states that declares (wrongly) that it reads only the fingertip.
struct MisdeclaredHidden;
impl Loss for MisdeclaredHidden {
    fn name(&self) -> &str {
        "misdeclared_hidden"
    }
    fn value_and_grad(&self, ep: &EpisodeView, _grad: Option<&mut EpisodeGrad>, _s: f64) -> f64 {
        ep.hidden.iter().map(|h| h * h).sum::<f64>()
    }
    fn reads(&self) -> Fields {
        Fields::FINGERTIP
    }
}

/// The trainer leaves out the hidden states when no loss declares them (`Loss::reads`): a loss
/// that reads them anyway sees NaN and stops the batch naming itself, instead of training on
/// zeros or stale values; declared, the same loss trains.
#[test]
fn a_loss_reading_undeclared_hidden_states_is_an_error_naming_it() {
    let e = env(Arc::new(RandomTargetReach));
    let gru = GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let losses = l1().with(0.5, MisdeclaredHidden).unwrap();
    let mut t = Trainer::new(e, gru.clone(), losses, settings()).unwrap();
    let err = t.batch().unwrap_err().to_string();
    assert!(
        err.contains("`misdeclared_hidden`") && err.contains("not finite"),
        "{err}"
    );
    let losses = l1().with(0.5, Auto(HiddenActivity)).unwrap();
    let e = env(Arc::new(RandomTargetReach));
    let mut t = Trainer::new(e, gru, losses, settings()).unwrap();
    let first = t.batch().unwrap().loss;
    assert!(first.is_finite() && first > 0.0, "{first}");
}

/// The same penalty, declared.
struct HiddenActivity;
impl LossTerm for HiddenActivity {
    fn name(&self) -> &str {
        "hidden_activity"
    }
    fn reads(&self) -> Fields {
        Fields::HIDDEN
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        ep.hidden.iter().fold(S::zero(), |acc, &h| acc + h * h)
    }
}

#[test]
fn empty_losses_and_bad_settings_are_errors_naming_them() {
    let gru = |e: &Environment<_, _, _>| GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let e = env(Arc::new(RandomTargetReach));
    let g = gru(&e);
    let msg = Trainer::new(e, g, LossSum::new(), settings())
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("losses"), "{msg}");
    for (bad, field) in [
        (
            TrainerConfig {
                batch_size: 0,
                ..settings()
            },
            "batch_size",
        ),
        (
            TrainerConfig {
                lr: f64::NAN,
                ..settings()
            },
            "lr",
        ),
        (
            TrainerConfig {
                adam: motornet_train::AdamConfig {
                    beta1: 1.0,
                    ..Default::default()
                },
                ..settings()
            },
            "adam",
        ),
    ] {
        let e = env(Arc::new(RandomTargetReach));
        let g = gru(&e);
        let msg = bad.init(e, g, l1()).err().unwrap().to_string();
        assert!(msg.contains(field), "{msg}");
    }
}

#[test]
fn a_non_finite_network_output_names_the_step_and_element() {
    let e = env(Arc::new(RandomTargetReach));
    let gru = GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let mut t = Trainer::new(e, gru, l1(), settings()).unwrap();
    let mut c = t.checkpoint();
    c.params.iter_mut().for_each(|p| *p = f32::NAN);
    t.restore(c).unwrap();
    let msg = t.batch().unwrap_err().to_string();
    assert!(
        msg.contains("network output (step 0, element 0)") && msg.contains("batch 0"),
        "{msg}"
    );
}

/// Issue 14: with `--lr 1e300` the "last good checkpoint" held +inf in every parameter.
#[test]
fn an_overflowing_optimiser_step_is_refused_and_the_checkpoint_stays_finite() {
    let e = env(Arc::new(RandomTargetReach));
    let gru = GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let config = TrainerConfig {
        lr: 1e300,
        grad_clip: None,
        ..settings()
    };
    let mut t = Trainer::new(e, gru, l1(), config).unwrap();
    let before = t.params().to_vec();
    let err = t.batch().unwrap_err();
    assert!(
        matches!(&err, TrainError::NonFinite { batch: 0, what, .. } if what.contains("optimiser step")),
        "{err}"
    );
    assert_eq!(
        t.params(),
        &before[..],
        "the parameters are those before the step"
    );
    assert_eq!(t.batches_done(), 0);
    let c = t.checkpoint();
    assert!(c.first_non_finite().is_none());
    let dir = std::env::temp_dir().join(format!("mn-overflow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("checkpoint.bin");
    t.save_checkpoint(&path).unwrap();
    t.resume_from(&path).unwrap();
    // a checkpoint holding inf is neither written nor read back
    let mut bad = c.clone();
    bad.params[3] = f32::INFINITY;
    let msg = bad.save(&path, t.run_hash()).unwrap_err().to_string();
    assert!(msg.contains("parameter 3 is inf"), "{msg}");
    t.restore(bad).unwrap();
    t.save_checkpoint(&path).unwrap_err();
    let on_disk = motornet_train::Checkpoint::load(&path, Some(t.run_hash())).unwrap();
    assert_eq!(
        on_disk, c,
        "the refused save left the last good checkpoint as it was"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 14: an effector that went NaN was reported as "network output is not finite".
#[test]
fn a_diverging_effector_is_named_as_such() {
    let config = EnvConfig {
        max_ep_duration: 0.3,
        curl_field: Some(motornet_task::CurlField {
            strength: f64::MAX,
            probability: 1.0,
        }),
        ..EnvConfig::default()
    };
    // the arm without its position and velocity limits, which would clamp the blow-up
    let wide = Effector::new(
        PointMass::new(2, 1.0).unwrap(),
        arm().muscle().clone(),
        ConstantMomentArms::free_point_mass24(),
        EffectorOptions {
            bounds: JointBounds::new(
                2,
                vec![-1e300; 2],
                vec![1e300; 2],
                vec![-1e300; 2],
                vec![1e300; 2],
            )
            .unwrap(),
            ..arm().options().clone()
        },
    )
    .unwrap();
    let e = Environment::new(Arc::new(wide), Arc::new(RandomTargetReach), config).unwrap();
    let gru = GruConfig::new(e.obs_len(), 8, 4).build().unwrap();
    let mut t = Trainer::new(e, gru, l1(), settings()).unwrap();
    let msg = t.batch().unwrap_err().to_string();
    assert!(
        msg.contains("effector state") && msg.contains("diverged"),
        "{msg}"
    );
    assert!(!msg.contains("network output"), "{msg}");
}
