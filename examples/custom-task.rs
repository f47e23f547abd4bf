//! A task written in user code, then trained on: short "out-and-hold" reaches.
//!
//! `cargo run --release --example custom-task` (about 10–20 s on 2 cores)
//!
//! What this shows:
//! - implementing [`Task`]: `trial` draws what one batch element does — its initial joint
//!   state, its target (m), when the go cue comes (a step index; `None` makes a catch trial)
//!   and a constant endpoint load (N) — from the [`TrialContext`] (bounds, time step, episode
//!   length, the effector's kinematics) and the element's own random generator (a
//!   `motornet::rand::rngs::StdRng`: use the facade's re-export of rand, the version the trait
//!   names, rather than a rand dependency of your own);
//! - `go_cue() == true` gives the network a go-cue input (0 before the cue, 1 after) and shows
//!   it the target from the start, so it can prepare;
//! - the environment applies everything else — delays, noise, the effector — and the loss uses
//!   the goal the trial defines: the start position before the cue, the target after;
//! - [`AnyTrainer::with_task`] trains a network on it; [`AnyTrainer::evaluate`] then runs it.
//!
//! The task: from a random posture, reach 6 cm in a random direction after a go cue at 0.2 to
//! 0.4 s, and hold there; one trial in five pushes the hand with a 2 N constant load.

use motornet::task::loss::{ActivationL2Config, LossConfig, PositionL1Config};
use motornet::task::{EnvConfig, Environment, Task, TaskError, Trial, TrialContext};
use motornet::train::{AnyTrainer, TrainConfig};
// rand 0.8 as the `Task` trait names it, re-exported by the facade: no rand dependency of our
// own that could resolve to another version
use motornet::rand::rngs::StdRng;
use motornet::rand::Rng;
use std::sync::Arc;

/// Out-and-hold reaches of `distance` (m) with a go cue in `cue` (s).
struct OutAndHold {
    distance: f64,
    cue: (f64, f64),
    load_probability: f64,
}

impl Task for OutAndHold {
    fn name(&self) -> &str {
        "OutAndHold"
    }

    fn go_cue(&self) -> bool {
        true
    }

    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        if ctx.space_dim != 2 {
            return Err(TaskError::Config {
                field: "OutAndHold".into(),
                reason: "needs a planar effector".into(),
            });
        }
        let initial_joint = ctx.initial_or_random(rng);
        let start = (ctx.fingertip)(&initial_joint);
        let angle = rng.gen_range(0.0..std::f64::consts::TAU);
        let target = vec![
            start[0] + self.distance * angle.cos(),
            start[1] + self.distance * angle.sin(),
        ];
        let endpoint_load = if rng.gen::<f64>() < self.load_probability {
            let a = rng.gen_range(0.0..std::f64::consts::TAU);
            vec![2.0 * a.cos(), 2.0 * a.sin()]
        } else {
            vec![]
        };
        Ok(Trial {
            initial_joint,
            target,
            go_cue: Some(ctx.random_step(self.cue, rng)),
            endpoint_load,
        })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let task = Arc::new(OutAndHold {
        distance: 0.06,
        cue: (0.2, 0.4),
        load_probability: 0.2,
    });

    // one episode by hand: the observation carries the go cue right after the goal
    let arm = Arc::new(motornet::effector::presets::spec("ReluPointMass24", None)?.build()?);
    let env = Environment::new(arm, task.clone(), EnvConfig::default())?;
    let mut batch = env.reset_batch(1, 7, None)?;
    let layout = env.layout();
    let cue_at = layout.go_cue.expect("OutAndHold has a go cue");
    let ep = &batch.episodes[0];
    println!(
        "trial: start ({:.3}, {:.3}) m, target ({:.3}, {:.3}) m, go cue at step {:?}, load {:?} N",
        ep.start[0],
        ep.start[1],
        ep.trial.target[0],
        ep.trial.target[1],
        ep.trial.go_cue,
        ep.trial.endpoint_load
    );
    let cue_step = ep.trial.go_cue.unwrap_or(usize::MAX);
    let mut cue_seen = None;
    for t in 1..=env.steps() {
        env.step_batch(&mut batch, &[0.0; 4])?;
        if cue_seen.is_none() && batch.obs[cue_at] == 1.0 {
            cue_seen = Some(t);
        }
    }
    println!("go-cue input turned on after step {cue_seen:?} (cue step {cue_step})\n");

    // train a GRU on it: the tutorial's settings, shorter, with a small activation penalty
    let config = TrainConfig {
        batches: 800,
        losses: vec![
            LossConfig::PositionL1(PositionL1Config { weight: 1.0 }),
            LossConfig::ActivationL2(ActivationL2Config {
                weight: 0.01,
                derivative_weight: 0.0,
            }),
        ],
        ..TrainConfig::default()
    };
    let mut trainer = AnyTrainer::with_task(&config, task)?;
    let start = std::time::Instant::now();
    let mut block = vec![];
    for _ in 0..config.batches {
        let s = trainer.batch()?;
        block.push(s.loss);
        if block.len() == 200 {
            let mean = block.iter().sum::<f64>() / block.len() as f64;
            println!("batches {:4}: mean loss {mean:.4}", s.batch + 1);
            block.clear();
        }
    }
    println!("trained in {:.1} s", start.elapsed().as_secs_f64());

    // evaluate on the custom task (the trainer's own task), noiseless
    let r = trainer.evaluate(None, None, 64, 123, None)?;
    let mut err_before = 0.0;
    let mut err_end = 0.0;
    for (f, (g, t)) in r.fingertip.iter().zip(r.goal.iter().zip(&r.target)) {
        let states = f.len() / 4;
        let pos = |k: usize| (f[4 * k], f[4 * k + 1]);
        // the goal is the start until the cue: hold still there first
        let cue = (0..states).find(|&k| g[2 * k] == t[0] && g[2 * k + 1] == t[1]);
        let before = cue.unwrap_or(states).saturating_sub(1);
        let (x, y) = pos(before);
        err_before += ((x - g[2 * before]).powi(2) + (y - g[2 * before + 1]).powi(2)).sqrt();
        let (x, y) = pos(states - 1);
        err_end += ((x - t[0]).powi(2) + (y - t[1]).powi(2)).sqrt();
    }
    let n = r.fingertip.len() as f64;
    println!(
        "evaluation, 64 trials: loss {:.4}, distance from the start just before the cue {:.1} mm, \
         from the target at the end {:.1} mm (targets are {:.0} mm away)",
        r.loss,
        1e3 * err_before / n,
        1e3 * err_end / n,
        60.0
    );
    Ok(())
}
