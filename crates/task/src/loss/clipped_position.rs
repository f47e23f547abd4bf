//! `clipped_position`: The fingertip's distance to the goal beyond a target radius.

use super::{nonneg, prepare, BuiltinLoss, EpisodeView, Fields, Grad, Loss, LossError};
use crate::registry::{Param, Registered};
use serde::{Deserialize, Serialize};

/// Mean over the T+1 states of max(0, ‖x − g‖₂ − radius) (m): no penalty inside the target.
/// Gradient (x − g)/‖x − g‖ outside the radius, 0 inside (and at x = g, without NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClippedPosition {
    radius: f64,
}

impl_loss!(
    ClippedPosition,
    ClippedPositionConfig::NAME,
    Fields::FINGERTIP.union(Fields::GOAL)
);
impl ClippedPosition {
    /// A clipped position loss with the target's `radius` (m, finite, ≥ 0).
    pub fn new(radius: f64) -> Result<Self, LossError> {
        let radius = nonneg(ClippedPositionConfig::NAME, "radius", radius)?;
        Ok(Self { radius })
    }
    /// The target radius (m).
    pub fn radius(&self) -> f64 {
        self.radius
    }
    fn eval(&self, ep: &EpisodeView, t: usize, mut grad: Grad, scale: f64) -> f64 {
        let (d, n) = (ep.space_dim, (t + 1) as f64);
        let mut value = 0.0;
        for s in 0..=t {
            let (x, goal) = (&ep.fingertip[s * 2 * d..], &ep.goal[s * d..]);
            let dist = (0..d).map(|k| (x[k] - goal[k]).powi(2)).sum::<f64>().sqrt();
            if dist <= self.radius || dist == 0.0 {
                continue;
            }
            value += (dist - self.radius) / n;
            if let Some(gr) = grad.as_deref_mut() {
                for k in 0..d {
                    let dx = scale * (x[k] - goal[k]) / (dist * n);
                    gr.fingertip[s * 2 * d + k] += dx;
                    gr.goal[s * d + k] -= dx;
                }
            }
        }
        value
    }
}

/// [`ClippedPosition`] in a training config, with its weight in the sum:
/// `{"kind": "clipped_position", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClippedPositionConfig {
    /// Weight in the sum (default 1).
    #[serde(default = "super::one")]
    pub weight: f64,
    /// Target radius (m).
    pub radius: f64,
}

impl BuiltinLoss for ClippedPositionConfig {
    const DOC: &'static str =
        "Mean over the T+1 states of max(0, ‖x − g‖₂ − radius) (m): no penalty inside the target.";
    const PARAMS: &'static [Param] = &[
        super::WEIGHT,
        Param {
            name: "radius",
            doc: "target radius (m)",
        },
    ];
    fn example() -> Self {
        Self {
            weight: 1.0,
            radius: 0.01,
        }
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn build(&self) -> Result<Box<dyn Loss>, LossError> {
        Ok(Box::new(ClippedPosition::new(self.radius)?))
    }
}
