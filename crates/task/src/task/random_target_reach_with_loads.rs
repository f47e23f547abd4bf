//! `RandomTargetReachWithLoads`: random reaches against a constant endpoint load.

use super::{BuiltinTask, RandomTargetReach, Task, Trial, TrialContext};
use crate::registry::{Param, Registered};
use crate::TaskError;
use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// [`RandomTargetReach`] plus a constant endpoint load per trial: magnitude uniform in
/// `magnitude` (N), direction uniform on the circle (planar effectors) or sphere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomTargetReachWithLoads {
    /// Range `[min, max]` of the load's magnitude (N).
    pub magnitude: (f64, f64),
}

impl Task for RandomTargetReachWithLoads {
    fn name(&self) -> &str {
        Self::NAME
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

impl BuiltinTask for RandomTargetReachWithLoads {
    const DOC: &'static str = "`RandomTargetReach` plus a constant endpoint load per trial: \
        magnitude uniform in `magnitude`, direction uniform on the circle or sphere.";
    const PARAMS: &'static [Param] = &[Param {
        name: "magnitude",
        doc: "range `[min, max]` of the load's magnitude (N)",
    }];
    fn defaults() -> Self {
        Self {
            magnitude: (0.0, 5.0),
        }
    }
}
