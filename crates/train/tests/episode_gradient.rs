//! The closed-loop episode gradient equals central finite differences of the episode loss
//! (f64): through the GRU, the effector, delayed proprioception and vision, stacked actions,
//! action and observation noise (fixed by the seed) and a curl field.

use motornet_effector::presets;
use motornet_policy::{GruConfig, Policy};
use motornet_scalar::Scalar;
use motornet_task::loss::{
    ActivationL2, Auto, ClippedPosition, EpisodeValues, HiddenL2, Jerk, LossSum, LossTerm, Speed,
};
use motornet_task::step::{DynStepLogic, StepContext, StepEffects, StepLogic};
use motornet_task::{
    CurlField, EnvConfig, Environment, NoiseStd, RandomTargetReach, Task, TaskError, Trial,
    TrialContext,
};
use motornet_train::EpisodeRunner;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::Arc;

/// A loss written outside the library, once over the scalar (its gradient comes from reverse
/// mode), on what the built-in ones do not read: joint angles, muscle forces, musculotendon
/// lengths, the commands the effector received and the network's outputs (squared, summed over
/// the episode, each with its weight), plus a smooth distance to the goal.
struct StatePenalty {
    joint: f64,
    force: f64,
    length: f64,
    excitation: f64,
    output: f64,
}

impl LossTerm for StatePenalty {
    fn name(&self) -> &str {
        "state_penalty"
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let (m, ns, dof, d) = (ep.n_muscles, ep.n_muscle_states, ep.dof, ep.space_dim);
        let mut value = S::zero();
        let mut term = |w: f64, x: S| value += (x * x).scale(w);
        for t in 0..ep.states() {
            for j in 0..dof {
                term(self.joint, ep.joint[t * 2 * dof + j]);
            }
            for k in 0..m {
                term(self.force, ep.muscle[t * m * ns + k * ns + ns - 1]);
                term(self.length, ep.geometry[t * (2 + dof) * m + k]);
            }
            for k in 0..d {
                term(0.1, ep.fingertip[t * 2 * d + k] - ep.goal[t * d + k]);
            }
        }
        for &u in ep.excitation {
            term(self.excitation, u);
        }
        for &u in ep.output {
            term(self.output, u);
        }
        value
    }
}

fn state_penalty() -> StatePenalty {
    StatePenalty {
        joint: 0.3,
        force: 1e-6,
        length: 0.2,
        excitation: 0.05,
        output: 0.05,
    }
}

fn smooth_losses() -> LossSum {
    // smooth terms only, so central differences converge (L1 has kinks)
    LossSum::new()
        .with(1.0, Auto(state_penalty()))
        .unwrap()
        .with(1.0, ClippedPosition::new(0.0).unwrap())
        .unwrap()
        .with(0.1, Speed)
        .unwrap()
        .with(1e-6, Jerk)
        .unwrap()
        .with(0.1, ActivationL2::new(1e-3).unwrap())
        .unwrap()
        .with(0.05, HiddenL2::new(1e-3).unwrap())
        .unwrap()
}

/// A task written outside the library with per-step logic on everything the environment lets
/// a task set: a target sliding along x (and drawn a little toward the fingertip), a force
/// channel on y (spring and damper), a viscous joint load that turns on at step 3, and two
/// observation entries of its own (a context cue from step 2 and a reading of the fingertip).
struct Perturbed;

impl Task for Perturbed {
    fn name(&self) -> &str {
        "Perturbed"
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        RandomTargetReach.trial(ctx, rng)
    }
    fn step_logic(&self) -> Option<&dyn DynStepLogic> {
        Some(self)
    }
}

impl StepLogic for Perturbed {
    fn observations(&self) -> usize {
        2
    }
    fn step<S: Scalar>(&self, ctx: &StepContext<'_, S>, out: &mut StepEffects<'_, S>) {
        let (d, dof) = (ctx.start.len(), ctx.joint.len() / 2);
        out.goal[0] = out.goal[0].shift(0.1 * ctx.time());
        out.goal[1] += ctx.fingertip[0].scale(0.05);
        out.shown_goal[0] = out.goal[0];
        let off = ctx.fingertip[1].shift(-ctx.start[1]);
        out.endpoint_load[1] -= off.scale(50.0) + ctx.fingertip[d + 1].scale(2.0);
        if ctx.t >= 3 {
            for j in 0..dof {
                out.joint_load[j] -= ctx.joint[dof + j].scale(0.05);
            }
        }
        out.observation[0] = S::c(if ctx.t >= 2 { 1.0 } else { 0.0 });
        out.observation[1] = ctx.fingertip[0].scale(3.0).tanh();
    }
}

fn check(preset: &str, steps_s: f64, chunks: usize) {
    check_task(preset, steps_s, chunks, Arc::new(RandomTargetReach));
}

fn check_task(preset: &str, steps_s: f64, chunks: usize, task: Arc<dyn Task>) {
    let arm = Arc::new(presets::spec(preset, None).unwrap().build().unwrap());
    let dt = arm.options().timestep;
    let cfg = EnvConfig {
        max_ep_duration: steps_s,
        action_noise: 0.02,
        obs_noise: NoiseStd::Same(0.01),
        proprioception_noise: 0.01,
        vision_noise: 0.005,
        vision_delay: Some(2.0 * dt),
        proprioception_delay: Some(3.0 * dt),
        action_frame_stacking: 1,
        curl_field: Some(CurlField {
            strength: 5.0,
            probability: 1.0,
        }),
    };
    let env = Environment::new(arm.clone(), task, cfg).unwrap();
    let (gru, mut params) = GruConfig::new(env.obs_len(), 6, arm.n_muscles())
        .init::<f64, _>(&mut StdRng::seed_from_u64(3))
        .unwrap();
    // move the readout bias off −5 so the commands are in the sigmoid's sensitive range
    let fc_bias = gru.layout().get("fc.bias").unwrap().offset;
    for k in 0..arm.n_muscles() {
        params[fc_bias + k] = -0.5 + 0.2 * k as f64;
    }
    let batch = 3;
    let mut runner =
        EpisodeRunner::<_, _, _, _, f64>::new(env, gru, smooth_losses(), batch, chunks);
    let mut grad = vec![0.0; params.len()];
    let loss = runner
        .run(&params, 11, None, Some(&mut grad), None)
        .unwrap();
    assert!(loss.is_finite() && loss > 0.0);

    let mut rng = StdRng::seed_from_u64(5);
    let mut worst: f64 = 0.0;
    let scale = grad.iter().fold(0.0f64, |a, g| a.max(g.abs()));
    for _ in 0..25 {
        let k = rng.gen_range(0..params.len());
        let h = 1e-5;
        let mut p = params.clone();
        p[k] += h;
        let up = runner.run(&p, 11, None, None, None).unwrap();
        p[k] -= 2.0 * h;
        let down = runner.run(&p, 11, None, None, None).unwrap();
        let fd = (up - down) / (2.0 * h);
        let err = (fd - grad[k]).abs() / (fd.abs().max(grad[k].abs()) + 1e-4 * scale);
        worst = worst.max(err);
        assert!(
            err < 1e-5,
            "{preset}: param {k}: episode gradient {:e} vs finite difference {fd:e}",
            grad[k]
        );
    }
    assert!(scale > 0.0);
    eprintln!("{preset}: worst relative error {worst:e} over 25 parameters");
}

#[test]
fn episode_gradient_matches_finite_differences_point_mass() {
    check("ReluPointMass24", 0.12, 2);
}

#[test]
fn episode_gradient_with_per_step_task_logic_matches_finite_differences() {
    check_task("ReluPointMass24", 0.12, 2, Arc::new(Perturbed));
    check_task("RigidTendonArm26", 0.08, 1, Arc::new(Perturbed));
}

#[test]
fn episode_gradient_matches_finite_differences_arm26() {
    check("RigidTendonArm26", 0.08, 1);
}

#[test]
fn gradient_does_not_depend_on_the_chunking_beyond_rounding() {
    let arm = Arc::new(
        presets::spec("ReluPointMass24", None)
            .unwrap()
            .build()
            .unwrap(),
    );
    let cfg = EnvConfig {
        max_ep_duration: 0.1,
        ..EnvConfig::default()
    };
    let run = |chunks| {
        let env = Environment::new(arm.clone(), Arc::new(RandomTargetReach), cfg.clone()).unwrap();
        let (gru, params) = GruConfig::new(env.obs_len(), 8, 4)
            .init::<f64, _>(&mut StdRng::seed_from_u64(1))
            .unwrap();
        let mut runner =
            EpisodeRunner::<_, _, _, _, f64>::new(env, gru, smooth_losses(), 5, chunks);
        let mut g = vec![0.0; params.len()];
        let l = runner.run(&params, 2, None, Some(&mut g), None).unwrap();
        (l, g)
    };
    let (l1, g1) = run(1);
    let (l3, g3) = run(3);
    assert!((l1 - l3).abs() <= 1e-12 * l1.abs());
    for (a, b) in g1.iter().zip(&g3) {
        assert!((a - b).abs() <= 1e-10 * (a.abs() + 1e-8), "{a} vs {b}");
    }
}
