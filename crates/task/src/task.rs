//! Tasks: how each trial is drawn. Implement [`Task`] to add your own.

use crate::error::TaskError;
use motornet_skeleton::JointBounds;
use rand::rngs::StdRng;
use rand::Rng;
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

/// Random start and random target anywhere in the reachable workspace (MotorNet's
/// `RandomTargetReach`); the goal is the target from the first step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RandomTargetReach;

impl Task for RandomTargetReach {
    fn name(&self) -> &str {
        "RandomTargetReach"
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        // MotorNet's order: the initial state first, then the target
        let initial_joint = ctx.initial_or_random(rng);
        let target = ctx.random_target(rng);
        Ok(Trial {
            initial_joint,
            target,
            go_cue: Some(0),
            endpoint_load: vec![],
        })
    }
}

/// [`RandomTargetReach`] plus a constant endpoint load per trial: magnitude uniform in
/// `magnitude` (N), direction uniform on the circle (planar effectors) or sphere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RandomTargetReachWithLoads {
    /// Range `[min, max]` of the load's magnitude (N).
    pub magnitude: (f64, f64),
}

impl Task for RandomTargetReachWithLoads {
    fn name(&self) -> &str {
        "RandomTargetReachWithLoads"
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        let (lo, hi) = self.magnitude;
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
            return Err(TaskError::Config {
                field: "magnitude".into(),
                reason: format!("needs 0 <= min <= max, got [{lo}, {hi}]"),
            });
        }
        let mut trial = RandomTargetReach.trial(ctx, rng)?;
        let size = lo + (hi - lo) * rng.gen::<f64>();
        let mut dir: Vec<f64> = (0..ctx.space_dim)
            .map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal))
            .collect();
        let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
        dir.iter_mut().for_each(|v| *v *= size / norm);
        trial.endpoint_load = dir;
        Ok(trial)
    }
}

/// A delayed reach: the target is shown from the start (with a go-cue entry at 0), the go cue
/// comes after a delay drawn uniformly in `cue_range` (s); before it the goal is the start
/// position. A fraction `catch_probability` of trials never get the cue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DelayedReach {
    /// Range `[min, max]` of the go-cue time (s).
    pub cue_range: (f64, f64),
    /// Probability of a catch trial (no go cue).
    #[serde(default)]
    pub catch_probability: f64,
}

fn check_cue(
    cue_range: (f64, f64),
    catch_probability: f64,
    ctx: &TrialContext,
) -> Result<(), TaskError> {
    let (lo, hi) = cue_range;
    let end = ctx.steps as f64 * ctx.dt;
    if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi && hi <= end) {
        return Err(TaskError::Config {
            field: "cue_range".into(),
            reason: format!("needs 0 <= min <= max <= episode length {end} s, got [{lo}, {hi}]"),
        });
    }
    if !(0.0..=1.0).contains(&catch_probability) {
        return Err(TaskError::Config {
            field: "catch_probability".into(),
            reason: format!("must be in [0, 1], got {catch_probability}"),
        });
    }
    Ok(())
}

impl Task for DelayedReach {
    fn name(&self) -> &str {
        "DelayedReach"
    }
    fn go_cue(&self) -> bool {
        true
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        check_cue(self.cue_range, self.catch_probability, ctx)?;
        let mut trial = RandomTargetReach.trial(ctx, rng)?;
        let cue = ctx.random_step(self.cue_range, rng);
        let catch = rng.gen::<f64>() < self.catch_probability;
        trial.go_cue = (!catch).then_some(cue);
        Ok(trial)
    }
}

/// How [`CentreOutReach`] draws its trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentreOutMode {
    /// Element `i` reaches from the centre posture to target `i mod n_targets`, at angle
    /// `2π · (i mod n_targets) / n_targets` (rad, anticlockwise from +x) on the circle; the go
    /// cue comes at `cue` (s).
    Validation {
        /// Go-cue time (s).
        cue: f64,
    },
    /// Random reaches (random start, random target in the workspace) with a go cue drawn in
    /// `cue_range` (s) and a fraction `catch_probability` of catch trials.
    Training {
        /// Range `[min, max]` of the go-cue time (s).
        cue_range: (f64, f64),
        /// Probability of a catch trial (no go cue).
        catch_probability: f64,
    },
}

/// Centre-out reaching: `n_targets` targets evenly spaced on a circle of `radius` (m) around
/// the fingertip at the centre posture, for validation; random reaches with go cues and catch
/// trials for training. The observation has a go-cue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CentreOutReach {
    /// Number of targets on the circle.
    pub n_targets: usize,
    /// Circle radius (m).
    pub radius: f64,
    /// Centre joint posture `[q]` (`[dof]`, at rest); `None` = the middle of the position
    /// bounds.
    pub centre: Option<Vec<f64>>,
    /// Validation or training trials.
    pub mode: CentreOutMode,
    /// Whether the observation has the go-cue entry (default true); false lets a network
    /// trained on a task without one (e.g. [`RandomTargetReach`]) be validated on centre-out
    /// reaches with the cue at 0 s.
    #[serde(default = "yes")]
    pub cue_input: bool,
}

fn yes() -> bool {
    true
}

impl CentreOutReach {
    /// MotorNet-paper style validation: 8 targets, 10 cm, cue at 0 s, centre posture from the
    /// bounds.
    pub fn validation(n_targets: usize, radius: f64) -> Self {
        Self {
            n_targets,
            radius,
            centre: None,
            mode: CentreOutMode::Validation { cue: 0.0 },
            cue_input: true,
        }
    }

    /// The centre joint state `[q, 0]` for an effector with `bounds`.
    pub fn centre_joint(&self, bounds: &JointBounds) -> Vec<f64> {
        let dof = bounds.pos_lower.len();
        let mut j = vec![0.0; 2 * dof];
        match &self.centre {
            Some(q) => j[..dof].copy_from_slice(&q[..dof.min(q.len())]),
            None => {
                for k in 0..dof {
                    let (lo, hi) = (bounds.pos_lower[k], bounds.pos_upper[k]);
                    j[k] = if lo.is_finite() && hi.is_finite() {
                        0.5 * (lo + hi)
                    } else {
                        0.0
                    };
                }
            }
        }
        j
    }
}

impl Task for CentreOutReach {
    fn name(&self) -> &str {
        "CentreOutReach"
    }
    fn go_cue(&self) -> bool {
        self.cue_input
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        if self.n_targets == 0 || !(self.radius.is_finite() && self.radius >= 0.0) {
            return Err(TaskError::Config {
                field: "CentreOutReach".into(),
                reason: format!(
                    "needs n_targets >= 1 and a finite radius >= 0, got {} and {}",
                    self.n_targets, self.radius
                ),
            });
        }
        if let Some(c) = &self.centre {
            if c.len() != ctx.dof {
                return Err(TaskError::Config {
                    field: "centre".into(),
                    reason: format!("needs {} joint positions, got {}", ctx.dof, c.len()),
                });
            }
        }
        match self.mode {
            CentreOutMode::Validation { cue } => {
                check_cue((cue, cue), 0.0, ctx)?;
                if ctx.space_dim != 2 {
                    return Err(TaskError::Config {
                        field: "CentreOutReach".into(),
                        reason: format!(
                            "targets on a circle need space_dim 2, got {}",
                            ctx.space_dim
                        ),
                    });
                }
                let initial_joint = match ctx.initial {
                    Some(j) => j.to_vec(),
                    None => self.centre_joint(ctx.bounds),
                };
                let centre = (ctx.fingertip)(&initial_joint);
                let k = ctx.element % self.n_targets;
                let angle = 2.0 * std::f64::consts::PI * k as f64 / self.n_targets as f64;
                let target = vec![
                    centre[0] + self.radius * angle.cos(),
                    centre[1] + self.radius * angle.sin(),
                ];
                Ok(Trial {
                    initial_joint,
                    target,
                    go_cue: Some((cue / ctx.dt).round() as usize),
                    endpoint_load: vec![],
                })
            }
            CentreOutMode::Training {
                cue_range,
                catch_probability,
            } => DelayedReach {
                cue_range,
                catch_probability,
            }
            .trial(ctx, rng),
        }
    }
}

/// A task by name with its settings, as config files and the command line give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", deny_unknown_fields)]
pub enum TaskConfig {
    /// [`RandomTargetReach`].
    RandomTargetReach,
    /// [`RandomTargetReachWithLoads`].
    RandomTargetReachWithLoads {
        /// Range of the load magnitude (N).
        magnitude: (f64, f64),
    },
    /// [`DelayedReach`].
    DelayedReach {
        /// Range of the go-cue time (s).
        cue_range: (f64, f64),
        /// Probability of a catch trial.
        #[serde(default)]
        catch_probability: f64,
    },
    /// [`CentreOutReach`].
    CentreOutReach {
        /// Number of targets.
        n_targets: usize,
        /// Radius (m).
        radius: f64,
        /// Centre posture (`[dof]`), default the middle of the bounds.
        #[serde(default)]
        centre: Option<Vec<f64>>,
        /// Validation or training.
        mode: CentreOutMode,
        /// Whether the observation has the go-cue entry (default true).
        #[serde(default = "yes")]
        cue_input: bool,
    },
}

impl TaskConfig {
    /// Task names, as the command line accepts them.
    pub const NAMES: [&'static str; 4] = [
        "RandomTargetReach",
        "RandomTargetReachWithLoads",
        "DelayedReach",
        "CentreOutReach",
    ];

    /// The task `name` with default settings: loads 0–5 N, go cues 0.1–0.3 s, 50 % catch
    /// trials in training, 8 centre-out targets at 10 cm.
    pub fn default_for(name: &str) -> Result<Self, TaskError> {
        Ok(match name {
            "RandomTargetReach" => Self::RandomTargetReach,
            "RandomTargetReachWithLoads" => Self::RandomTargetReachWithLoads {
                magnitude: (0.0, 5.0),
            },
            "DelayedReach" => Self::DelayedReach {
                cue_range: (0.1, 0.3),
                catch_probability: 0.5,
            },
            "CentreOutReach" => Self::CentreOutReach {
                n_targets: 8,
                radius: 0.1,
                centre: None,
                mode: CentreOutMode::Training {
                    cue_range: (0.1, 0.3),
                    catch_probability: 0.5,
                },
                cue_input: true,
            },
            other => {
                return Err(TaskError::Config {
                    field: "task".into(),
                    reason: format!("unknown task '{other}'; known: {:?}", Self::NAMES),
                })
            }
        })
    }

    /// Build the task.
    pub fn build(&self) -> Arc<dyn Task> {
        match self.clone() {
            Self::RandomTargetReach => Arc::new(RandomTargetReach),
            Self::RandomTargetReachWithLoads { magnitude } => {
                Arc::new(RandomTargetReachWithLoads { magnitude })
            }
            Self::DelayedReach {
                cue_range,
                catch_probability,
            } => Arc::new(DelayedReach {
                cue_range,
                catch_probability,
            }),
            Self::CentreOutReach {
                n_targets,
                radius,
                centre,
                mode,
                cue_input,
            } => Arc::new(CentreOutReach {
                n_targets,
                radius,
                centre,
                mode,
                cue_input,
            }),
        }
    }
}
