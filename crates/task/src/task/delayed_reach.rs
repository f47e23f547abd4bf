//! `DelayedReach`: random reaches with a go cue after a random delay, and catch trials.

use super::{BuiltinTask, RandomTargetReach, Task, Trial, TrialContext};
use crate::registry::{Param, Registered};
use crate::TaskError;
use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A delayed reach: the target is shown from the start (with a go-cue entry at 0), the go cue
/// comes after a delay drawn uniformly in `cue_range` (s); before it the goal is the start
/// position. A fraction `catch_probability` of trials never get the cue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayedReach {
    /// Range `[min, max]` of the go-cue time (s).
    pub cue_range: (f64, f64),
    /// Probability of a catch trial (no go cue).
    #[serde(default)]
    pub catch_probability: f64,
}

/// Checks a go-cue range (s) against the episode length and a catch probability against
/// `[0, 1]`.
pub(super) fn check_cue(
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
        Self::NAME
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

impl BuiltinTask for DelayedReach {
    const DOC: &'static str = "A delayed reach: the target is shown from the start, the go cue \
        (an observation entry) comes after a random delay; before it the goal is the start \
        position. Some trials are catch trials without a cue.";
    const PARAMS: &'static [Param] = &[
        Param {
            name: "cue_range",
            doc: "range `[min, max]` of the go-cue time (s)",
        },
        Param {
            name: "catch_probability",
            doc: "probability of a catch trial (no go cue)",
        },
    ];
    fn defaults() -> Self {
        Self {
            cue_range: (0.1, 0.3),
            catch_probability: 0.5,
        }
    }
}
