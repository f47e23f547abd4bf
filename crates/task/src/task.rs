//! Tasks: how each trial is drawn. Implement [`Task`] to add your own.
//!
//! The built-in tasks, one file each under `task/`, are registered in ONE list (the `tasks!`
//! invocation at the end of this file); [`TaskConfig`], its name table and `--task` follow
//! from it. Adding one: a file with the struct, its [`Task`] impl and its [`BuiltinTask`] impl,
//! and one line in that list.

use crate::error::TaskError;
use crate::registry::{Description, Param, Registered};
use motornet_skeleton::JointBounds;
use rand::rngs::StdRng;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a task draws for one batch element at reset.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Initial joint state `[q, q̇]` (`[2·dof]`, rad or m, and per s).
    pub initial_joint: Vec<f64>,
    /// Target fingertip position (`[space_dim]`, m).
    pub target: Vec<f64>,
    /// The state index from which the goal is the target: `Some(0)` from the start, `Some(k)`
    /// after a go cue at step `k` (before it the goal is the start position), `None` never (a
    /// catch trial: hold the start position).
    pub go_cue: Option<usize>,
    /// Constant endpoint load during the trial (`[space_dim]`, N), or empty for none.
    pub endpoint_load: Vec<f64>,
}

impl Trial {
    /// Check the shapes and values against the effector's `dof` and `space_dim`.
    pub fn check(&self, dof: usize, space_dim: usize, task: &str) -> Result<(), TaskError> {
        let bad = |field: &str, n: usize, v: &[f64]| TaskError::Config {
            field: format!("{task}.{field}"),
            reason: format!("needs {n} finite values, got {v:?}"),
        };
        let ok = |v: &[f64], n: usize| v.len() == n && v.iter().all(|x| x.is_finite());
        if !ok(&self.initial_joint, 2 * dof) {
            return Err(bad("initial_joint", 2 * dof, &self.initial_joint));
        }
        if !ok(&self.target, space_dim) {
            return Err(bad("target", space_dim, &self.target));
        }
        if !self.endpoint_load.is_empty() && !ok(&self.endpoint_load, space_dim) {
            return Err(bad("endpoint_load", space_dim, &self.endpoint_load));
        }
        Ok(())
    }
}

/// What a task may use to draw a trial.
pub struct TrialContext<'a> {
    /// Index of the element in its batch.
    pub element: usize,
    /// Batch size.
    pub batch: usize,
    /// Time step (s).
    pub dt: f64,
    /// Steps per episode.
    pub steps: usize,
    /// Degrees of freedom of the effector.
    pub dof: usize,
    /// Dimension of the space the fingertip moves in.
    pub space_dim: usize,
    /// The effector's joint bounds.
    pub bounds: &'a JointBounds,
    /// An initial joint state the caller fixed for this element, if any.
    pub initial: Option<&'a [f64]>,
    /// Fingertip position (m) of a joint state `[q, q̇]`.
    pub fingertip: &'a dyn Fn(&[f64]) -> Vec<f64>,
}

impl TrialContext<'_> {
    /// A joint state drawn uniformly within the position bounds, at rest (MotorNet's
    /// `draw_random_uniform_states`); unbounded joints draw from ±1000.
    pub fn random_joint_state(&self, rng: &mut StdRng) -> Vec<f64> {
        let mut j = vec![0.0; 2 * self.dof];
        for k in 0..self.dof {
            let lo = self.bounds.pos_lower[k].max(-1e3);
            let hi = self.bounds.pos_upper[k].min(1e3);
            j[k] = lo + (hi - lo) * rng.gen::<f64>();
        }
        j
    }

    /// The fixed initial state if the caller gave one, else a random one.
    pub fn initial_or_random(&self, rng: &mut StdRng) -> Vec<f64> {
        match self.initial {
            Some(j) => j.to_vec(),
            None => self.random_joint_state(rng),
        }
    }

    /// A target drawn uniformly in joint space and mapped to the fingertip (MotorNet's
    /// random reachable target).
    pub fn random_target(&self, rng: &mut StdRng) -> Vec<f64> {
        (self.fingertip)(&self.random_joint_state(rng))
    }

    /// A time (s) drawn uniformly in `[lo, hi]`, as a step index (rounded).
    pub fn random_step(&self, (lo, hi): (f64, f64), rng: &mut StdRng) -> usize {
        let s = lo + (hi - lo) * rng.gen::<f64>();
        (s / self.dt).round() as usize
    }
}

/// A motor task: draws each trial. Implement it to add your own (see
/// `examples/custom-task.rs`).
pub trait Task: Send + Sync {
    /// The task's name.
    fn name(&self) -> &str;
    /// Whether the observation carries a go-cue entry (0 before the cue, 1 from it on). Tasks
    /// with a go cue show the target as the observed goal from the start.
    fn go_cue(&self) -> bool {
        false
    }
    /// Draw the trial of one element.
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError>;
    /// The task's per-step logic, if it has any: the goal, loads and observation entries it
    /// sets at every step from the time and the state (see [`crate::step`]). A task that
    /// implements [`crate::step::StepLogic`] itself returns `Some(self)`. Default: none.
    fn step_logic(&self) -> Option<&dyn crate::step::DynStepLogic> {
        None
    }
}

mod centre_out_reach;
mod delayed_reach;
mod random_target_reach;
mod random_target_reach_with_loads;

pub use centre_out_reach::{CentreOutMode, CentreOutReach};
pub use delayed_reach::DelayedReach;
pub use random_target_reach::RandomTargetReach;
pub use random_target_reach_with_loads::RandomTargetReachWithLoads;

/// A task the configs and the command line can name: what [`TaskConfig`]'s registration list
/// needs besides the name. The task's struct is its own config (its serde fields are the
/// config's fields after `name`), so a built-in task is one file: the struct, its [`Task`]
/// impl and this impl.
pub trait BuiltinTask:
    Task + Registered + Clone + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned + 'static
{
    /// One line saying what the task does (docs and `--help`).
    const DOC: &'static str;
    /// The config fields, in the order of the struct's fields.
    const PARAMS: &'static [Param];
    /// The settings `--task NAME` (and [`TaskConfig::default_for`]) uses.
    fn defaults() -> Self;
}

/// THE list of built-in tasks: one line per task, `Variant = "config name" => Type`. It
/// defines [`TaskConfig`] (tagged by `name`), [`TaskConfig::NAMES`],
/// [`TaskConfig::DESCRIPTIONS`], [`TaskConfig::default_for`], [`TaskConfig::name`] and
/// [`TaskConfig::build`].
macro_rules! tasks {
    ($($variant:ident = $name:literal => $ty:ty,)*) => {
        $(impl Registered for $ty {
            const NAME: &'static str = $name;
        })*

        /// A built-in task by name with its settings, as config files and the command line
        /// give it: `{"name": "DelayedReach", "cue_range": [0.1, 0.3]}`. The fields after
        /// `name` are those of the task's struct.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "name")]
        pub enum TaskConfig {
            $(
                #[doc = concat!("`", $name, "`: [`", stringify!($ty), "`].")]
                #[serde(rename = $name)]
                $variant($ty),
            )*
        }

        $(impl From<$ty> for TaskConfig {
            fn from(task: $ty) -> Self {
                Self::$variant(task)
            }
        })*

        impl TaskConfig {
            /// Task names, as config files and the command line accept them.
            pub const NAMES: [&'static str; [$($name),*].len()] = [$($name),*];

            /// Every built-in task's name, description and parameters.
            pub const DESCRIPTIONS: [Description; [$($name),*].len()] = [$(Description {
                name: $name,
                doc: <$ty as BuiltinTask>::DOC,
                params: <$ty as BuiltinTask>::PARAMS,
            }),*];

            /// The task `name` with the settings of its [`BuiltinTask::defaults`] (e.g. loads
            /// 0–5 N, go cues 0.1–0.3 s, 50 % catch trials, 8 centre-out targets at 10 cm).
            pub fn default_for(name: &str) -> Result<Self, TaskError> {
                match name {
                    $($name => Ok(Self::$variant(<$ty as BuiltinTask>::defaults())),)*
                    other => Err(TaskError::Config {
                        field: "task".into(),
                        reason: format!("unknown task '{other}'; known: {:?}", Self::NAMES),
                    }),
                }
            }

            /// The task's name, as in config files.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }

            /// Build the task.
            pub fn build(&self) -> Arc<dyn Task> {
                match self {
                    $(Self::$variant(t) => Arc::new(t.clone()),)*
                }
            }
        }
    };
}

tasks! {
    RandomTargetReach = "RandomTargetReach" => RandomTargetReach,
    RandomTargetReachWithLoads = "RandomTargetReachWithLoads" => RandomTargetReachWithLoads,
    DelayedReach = "DelayedReach" => DelayedReach,
    CentreOutReach = "CentreOutReach" => CentreOutReach,
}
