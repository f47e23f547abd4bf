//! Per-step task logic in the forward pass: its observation entries, goal and loads are what
//! the environment shows, scores and applies.

use motornet_effector::presets;
use motornet_scalar::Scalar;
use motornet_task::rand::rngs::StdRng;
use motornet_task::step::{DynStepLogic, StepContext, StepEffects, StepLogic};
use motornet_task::{
    EnvConfig, Environment, NoiseStd, RandomTargetReach, Task, TaskError, Trial, TrialContext,
};
use std::sync::Arc;

/// From step `pulse` on, a joint load of 2 N on the first axis; the goal moves 1 m/s along y;
/// two observation entries: the time (s) and the fingertip's x position (m).
struct Pulse {
    pulse: usize,
}

impl Task for Pulse {
    fn name(&self) -> &str {
        "Pulse"
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        RandomTargetReach.trial(ctx, rng)
    }
    fn step_logic(&self) -> Option<&dyn DynStepLogic> {
        Some(self)
    }
}

impl StepLogic for Pulse {
    fn observations(&self) -> usize {
        2
    }
    fn sets_endpoint_load(&self) -> bool {
        false
    }
    fn step<S: Scalar>(&self, ctx: &StepContext<'_, S>, out: &mut StepEffects<'_, S>) {
        if ctx.t >= self.pulse {
            out.joint_load[0] = S::c(2.0);
        }
        out.goal[1] = out.goal[1].shift(ctx.time());
        out.observation[0] = S::c(ctx.time());
        out.observation[1] = ctx.fingertip[0];
    }
}

fn env(
    task: Arc<dyn Task>,
    obs_noise: f64,
) -> Environment<
    motornet_effector::AnySkeleton,
    motornet_muscle::AnyMuscle,
    motornet_effector::AnyGeometry,
> {
    let arm = Arc::new(
        presets::spec("ReluPointMass24", None)
            .unwrap()
            .build()
            .unwrap(),
    );
    let config = EnvConfig {
        max_ep_duration: 0.1,
        obs_noise: NoiseStd::Same(obs_noise),
        ..EnvConfig::default()
    };
    Environment::new(arm, task, config).unwrap()
}

#[test]
fn the_logic_sets_observation_entries_goal_and_joint_load() {
    let plain = env(Arc::new(RandomTargetReach), 0.0);
    let e = env(Arc::new(Pulse { pulse: 3 }), 0.05);
    let l = e.layout();
    assert_eq!(
        l.task,
        plain.obs_len(),
        "the task's entries come after the actions"
    );
    assert_eq!(e.obs_len(), plain.obs_len() + 2);
    assert!(e.obs_noise_std()[l.task..].iter().all(|&s| s == 0.0));

    let (mut obs, mut obs_plain) = (vec![0.0; e.obs_len()], vec![0.0; plain.obs_len()]);
    let mut ep = e.reset(0, 1, 7, None, &mut obs).unwrap();
    let mut ep_plain = plain.reset(0, 1, 7, None, &mut obs_plain).unwrap();
    let start = ep.start.clone();
    let mut noisy = vec![0.0; 4];
    for t in 1..=6 {
        let before = ep.state.joint.clone();
        let before_plain = ep_plain.state.joint.clone();
        e.step(&mut ep, &[0.2, 0.1, 0.0, 0.3], &mut noisy, &mut obs)
            .unwrap();
        plain
            .step(
                &mut ep_plain,
                &[0.2, 0.1, 0.0, 0.3],
                &mut noisy,
                &mut obs_plain,
            )
            .unwrap();
        let time = t as f64 * 0.01;
        // the task's entries, noiseless, of the state the observation shows
        assert_eq!(obs[l.task], time);
        assert_eq!(obs[l.task + 1], ep.fingertip()[0]);
        // the goal of the losses moves along y
        assert!((ep.goal()[1] - (ep.trial.target[1] + time)).abs() < 1e-12);
        assert_eq!(ep.goal()[0], ep.trial.target[0]);
        // the pulse: a joint load from step 3 on, none before
        let pushed = t > 3; // step t − 1 starts from state t − 1 ≥ 3
        assert!(!ep.last_joint_load().is_empty());
        assert_eq!(ep.last_joint_load()[0], if pushed { 2.0 } else { 0.0 });
        assert!(ep.last_endpoint_load().is_empty());
        if t <= 4 {
            // up to the first pushed step both runs start each step from the same state: the
            // point mass (1 kg) gains 2 N · 0.01 s of x velocity over the run without a push
            let dv = (ep.state.joint[2] - before[2]) - (ep_plain.state.joint[2] - before_plain[2]);
            let want = if pushed { 2.0 * 0.01 } else { 0.0 };
            assert!((dv - want).abs() < 1e-12, "step {t}: Δv {dv} vs {want}");
        }
    }
    assert_ne!(start, ep.fingertip()[..2].to_vec());
}
