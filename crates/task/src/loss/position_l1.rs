//! `position_l1`: MotorNet's tutorial loss: the L1 distance of the fingertip to the goal.

use super::{prepare, BuiltinLoss, EpisodeView, Fields, Grad, Loss, LossError};
use crate::registry::{Param, Registered};
use serde::{Deserialize, Serialize};

/// MotorNet's tutorial loss: mean over the T+1 states of Σ_k |x_k − g_k| (m), x the fingertip
/// position and g the goal. Gradient ±sign(x − g)/(T+1) (x and g), taken as 0 where x = g
/// exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PositionL1;

impl_loss!(
    PositionL1,
    PositionL1Config::NAME,
    Fields::FINGERTIP.union(Fields::GOAL)
);
impl PositionL1 {
    fn eval(&self, ep: &EpisodeView, t: usize, mut grad: Grad, scale: f64) -> f64 {
        let (d, n) = (ep.space_dim, (t + 1) as f64);
        let mut value = 0.0;
        for s in 0..=t {
            for k in 0..d {
                let e = ep.fingertip[s * 2 * d + k] - ep.goal[s * d + k];
                value += e.abs() / n;
                if let Some(g) = grad.as_deref_mut() {
                    let sign = if e == 0.0 { 0.0 } else { e.signum() };
                    g.fingertip[s * 2 * d + k] += scale * sign / n;
                    g.goal[s * d + k] -= scale * sign / n;
                }
            }
        }
        value
    }
}

/// [`PositionL1`] in a training config, with its weight in the sum:
/// `{"kind": "position_l1", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionL1Config {
    /// Weight in the sum (default 1).
    #[serde(default = "super::one")]
    pub weight: f64,
}

impl BuiltinLoss for PositionL1Config {
    const DOC: &'static str = "Mean over the T+1 states of Σ_k |x_k − g_k| (m), x the fingertip position and g the goal (MotorNet's tutorial loss).";
    const PARAMS: &'static [Param] = &[super::WEIGHT];
    fn example() -> Self {
        Self { weight: 1.0 }
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn build(&self) -> Result<Box<dyn Loss>, LossError> {
        Ok(Box::new(PositionL1))
    }
}
