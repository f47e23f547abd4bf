//! `speed`: The fingertip's squared speed.

use super::{prepare, BuiltinLoss, EpisodeView, Fields, Grad, Loss, LossError};
use crate::registry::{Param, Registered};
use serde::{Deserialize, Serialize};

/// Mean over the T+1 states of ‖v‖² (m²/s²), v the fingertip velocity.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Speed;

impl_loss!(Speed, SpeedConfig::NAME, Fields::FINGERTIP);
impl Speed {
    fn eval(&self, ep: &EpisodeView, t: usize, mut grad: Grad, scale: f64) -> f64 {
        let (d, n) = (ep.space_dim, (t + 1) as f64);
        let mut value = 0.0;
        for i in (0..=t).flat_map(|s| s * 2 * d + d..(s + 1) * 2 * d) {
            value += ep.fingertip[i] * ep.fingertip[i] / n;
            if let Some(g) = grad.as_deref_mut() {
                g.fingertip[i] += scale * 2.0 * ep.fingertip[i] / n;
            }
        }
        value
    }
}

/// [`Speed`] in a training config, with its weight in the sum:
/// `{"kind": "speed", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedConfig {
    /// Weight in the sum (default 1).
    #[serde(default = "super::one")]
    pub weight: f64,
}

impl BuiltinLoss for SpeedConfig {
    const DOC: &'static str = "Mean over the T+1 states of ‖v‖² (m²/s²), v the fingertip velocity.";
    const PARAMS: &'static [Param] = &[super::WEIGHT];
    fn example() -> Self {
        Self { weight: 1.0 }
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn build(&self) -> Result<Box<dyn Loss>, LossError> {
        Ok(Box::new(Speed))
    }
}
