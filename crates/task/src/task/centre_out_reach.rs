//! `CentreOutReach`: targets on a circle (planar effectors) or a sphere (3-D effectors) for
//! validation, random cued reaches for training.

use super::delayed_reach::check_cue;
use super::{BuiltinTask, DelayedReach, Task, Trial, TrialContext};
use crate::registry::{Param, Registered};
use crate::TaskError;
use motornet_skeleton::JointBounds;
use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How [`CentreOutReach`] draws its trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentreOutMode {
    /// Element `i` reaches from the centre posture to target `i mod n_targets`
    /// ([`CentreOutReach::target_offset`]: in the plane at angle `2π · (i mod n_targets) /
    /// n_targets` (rad, anticlockwise from +x) on the circle, in 3-D the `i mod n_targets`-th
    /// point of a Fibonacci lattice on the sphere); the go cue comes at `cue` (s).
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
        /// Fraction of the trials (in `[0, 1]`) that are centre-out reaches: from the centre
        /// posture to one of the `n_targets` targets (drawn at random) on the circle or sphere, with the
        /// same go cues and catch trials; the rest are random reaches. Default 0.
        #[serde(default, skip_serializing_if = "is_zero")]
        centre_out_fraction: f64,
    },
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Centre-out reaching: `n_targets` targets evenly spaced on a circle of `radius` (m) around
/// the fingertip at the centre posture, for validation; random reaches with go cues and catch
/// trials for training. The observation has a go-cue entry.
///
/// Effectors whose fingertip moves in 3-D (`space_dim` 3) get targets on a sphere of `radius`
/// instead, at the directions of a Fibonacci lattice ([`CentreOutReach::target_offset`]):
/// deterministic, nearly uniform for any `n_targets` (no two targets close together, no
/// region left empty), and the same rule for every count, so that validation sets of 8 or 26
/// targets are equally balanced. Other dimensions (1, 4 and more) are an error naming
/// `space_dim`: there is no circle to put targets on in 1-D, and no agreed spread above 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentreOutReach {
    /// Number of targets on the circle (or sphere).
    pub n_targets: usize,
    /// Circle (or sphere) radius (m).
    pub radius: f64,
    /// Centre joint posture `[q]` (`[dof]`, at rest); `None` = the middle of the position
    /// bounds.
    #[serde(default)]
    pub centre: Option<Vec<f64>>,
    /// Validation or training trials.
    pub mode: CentreOutMode,
    /// Whether the observation has the go-cue entry (default true); false lets a network
    /// trained on a task without one (e.g. [`RandomTargetReach`](super::RandomTargetReach)) be validated on centre-out
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

    /// The offset (m, `[space_dim]`) of target `k` (of `n_targets`, `k < n_targets`) from the
    /// fingertip at the centre posture.
    ///
    /// - `space_dim` 2: `radius · (cos θ, sin θ)` with `θ = 2π k / n_targets` (rad,
    ///   anticlockwise from +x): evenly spaced on the circle, target 0 along +x.
    /// - `space_dim` 3: `radius · (√(1 − z²) cos φ, √(1 − z²) sin φ, z)` with `z = 1 − (2k +
    ///   1) / n_targets` and `φ = k · π (3 − √5)` (the golden angle, rad): the Fibonacci
    ///   lattice on the sphere. Heights `z` are evenly spaced (equal areas, by Archimedes'
    ///   hat-box theorem) and symmetric about 0, and successive targets turn by the golden
    ///   angle so that none lines up with another; one target is `radius · (1, 0, 0)`, two are
    ///   at heights `±radius/2`.
    ///
    /// # Errors
    ///
    /// [`TaskError::Config`] for any other `space_dim`, or `k ≥ n_targets`.
    pub fn target_offset(&self, space_dim: usize, k: usize) -> Result<Vec<f64>, TaskError> {
        let n = self.n_targets;
        if k >= n {
            return Err(TaskError::Config {
                field: "CentreOutReach".into(),
                reason: format!("target {k} of {n}: there are only {n} targets"),
            });
        }
        match space_dim {
            2 => {
                let angle = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
                Ok(vec![self.radius * angle.cos(), self.radius * angle.sin()])
            }
            3 => {
                let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
                let z = 1.0 - (2 * k + 1) as f64 / n as f64;
                let rho = (1.0 - z * z).max(0.0).sqrt();
                let phi = golden * k as f64;
                Ok(vec![
                    self.radius * rho * phi.cos(),
                    self.radius * rho * phi.sin(),
                    self.radius * z,
                ])
            }
            d => Err(TaskError::Config {
                field: "CentreOutReach".into(),
                reason: format!(
                    "targets on a circle (space_dim 2) or a sphere (space_dim 3); this effector \
                     has space_dim {d}"
                ),
            }),
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
        Self::NAME
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
                self.to_target(ctx, ctx.element % self.n_targets, Some(cue))
            }
            CentreOutMode::Training {
                cue_range,
                catch_probability,
                centre_out_fraction: f,
            } => {
                if !(0.0..=1.0).contains(&f) {
                    return Err(TaskError::Config {
                        field: "centre_out_fraction".into(),
                        reason: format!("must be in [0, 1], got {f}"),
                    });
                }
                // (no draw at all without centre-out trials: such runs draw as they did)
                if f > 0.0 && rng.gen::<f64>() < f {
                    check_cue(cue_range, catch_probability, ctx)?;
                    let k = rng.gen_range(0..self.n_targets);
                    let cue = ctx.random_step(cue_range, rng) as f64 * ctx.dt;
                    let catch = rng.gen::<f64>() < catch_probability;
                    let mut trial = self.to_target(ctx, k, Some(cue))?;
                    if catch {
                        trial.go_cue = None;
                    }
                    return Ok(trial);
                }
                DelayedReach {
                    cue_range,
                    catch_probability,
                }
                .trial(ctx, rng)
            }
        }
    }
}

impl CentreOutReach {
    /// The reach from the centre posture (or `ctx.initial`) to target `k` of the circle or
    /// sphere, with the go cue at `cue` (s).
    fn to_target(
        &self,
        ctx: &TrialContext,
        k: usize,
        cue: Option<f64>,
    ) -> Result<Trial, TaskError> {
        let offset = self.target_offset(ctx.space_dim, k)?;
        let initial_joint = match ctx.initial {
            Some(j) => j.to_vec(),
            None => self.centre_joint(ctx.bounds),
        };
        let centre = (ctx.fingertip)(&initial_joint);
        let target = centre.iter().zip(&offset).map(|(c, o)| c + o).collect();
        Ok(Trial {
            initial_joint,
            target,
            go_cue: cue.map(|c| (c / ctx.dt).round() as usize),
            endpoint_load: vec![],
        })
    }
}

impl BuiltinTask for CentreOutReach {
    const DOC: &'static str = "Centre-out reaching: `n_targets` targets evenly spaced on a \
        circle of `radius` around the centre posture (validation), or random reaches with go \
        cues and catch trials (training). The observation has a go-cue entry. 3-D effectors: \
        targets on a sphere of `radius`, at the directions of a Fibonacci lattice.";
    const PARAMS: &'static [Param] = &[
        Param {
            name: "n_targets",
            doc: "number of targets on the circle (sphere in 3-D)",
        },
        Param {
            name: "radius",
            doc: "circle (sphere) radius (m)",
        },
        Param {
            name: "centre",
            doc: "centre joint posture `[dof]` (rad or m); `null` = the middle of the bounds",
        },
        Param {
            name: "mode",
            doc: "`{\"validation\": {\"cue\": s}}` or `{\"training\": {\"cue_range\": [s, s], \"catch_probability\": p, \"centre_out_fraction\": f}}` (f, default 0: the fraction of centre-out reaches among the random ones)",
        },
        Param {
            name: "cue_input",
            doc: "whether the observation has the go-cue entry",
        },
    ];
    fn defaults() -> Self {
        Self {
            n_targets: 8,
            radius: 0.1,
            centre: None,
            mode: CentreOutMode::Training {
                cue_range: (0.1, 0.3),
                catch_probability: 0.5,
                centre_out_fraction: 0.0,
            },
            cue_input: true,
        }
    }
}
