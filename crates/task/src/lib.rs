//! Tasks: what turns an effector into an episode.
//!
//! A [`Task`] draws each trial (initial state, target, go cue, loads); an [`Environment`]
//! combines it with an effector, observation delays and noise and steps episodes one batch
//! element at a time, with MotorNet 0.3.0's semantics (see the [`mod@env`] module for the
//! observation layout, the delay convention and where noise enters). The [`loss`] module has
//! the training losses, each with its exact gradient. Like the effector crates, this crate has
//! no tensor library: training reaches it through fused ops.
//!
//! ```
//! use motornet_effector::presets;
//! use motornet_task::{EnvConfig, Environment, RandomTargetReach};
//! use std::sync::Arc;
//!
//! let arm = Arc::new(presets::spec("ReluPointMass24", None).unwrap().build().unwrap());
//! let env = Environment::new(arm, Arc::new(RandomTargetReach), EnvConfig::default()).unwrap();
//! let mut obs = vec![0.0; env.obs_len()]; // goal 2, vision 2, proprioception 8
//! let mut ep = env.reset(0, 1, 42, None, &mut obs).unwrap();
//! let (mut noisy, mut done) = (vec![0.0; 4], false);
//! while !done {
//!     done = env.step(&mut ep, &[0.1, 0.0, 0.1, 0.0], &mut noisy, &mut obs).unwrap();
//! }
//! assert_eq!(ep.t, 100); // 1 s at dt = 0.01 s
//! ```
#![warn(missing_docs)]

pub mod env;
mod error;
pub mod loss;
pub mod registry;
pub mod step;
pub mod task;

pub use env::{
    Batch, CurlField, EffectsGrad, EffectsWorkspace, EnvConfig, Environment, Episode, NoiseStd,
    ObsLayout, MAX_EPISODE_STEPS,
};
pub use error::TaskError;
/// The random-number crate of the public signatures ([`Task::trial`] takes its
/// `rngs::StdRng`): rand 0.8. Use this re-export (`motornet_task::rand`, or `motornet::rand`)
/// in a task of your own, so that your generator is the type the trait names even when your
/// crate depends on another version of rand.
pub use rand;
/// The distributions crate matching [`rand`] (rand_distr 0.4), for drawing trials.
pub use rand_distr;
pub use step::{StepContext, StepEffects, StepLogic};
pub use task::{
    BuiltinTask, CentreOutMode, CentreOutReach, DelayedReach, RandomTargetReach,
    RandomTargetReachWithLoads, Task, TaskConfig, Trial, TrialContext,
};
