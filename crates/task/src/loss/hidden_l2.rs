//! `hidden_l2`: Squared hidden states of the network and their rate.

use super::{
    l2_with_derivative, nonneg, prepare, BuiltinLoss, EpisodeView, Fields, Grad, Loss, LossError,
};
use crate::registry::{Param, Registered};
use serde::{Deserialize, Serialize};

/// Mean over the T hidden states of Σ_h h², plus `derivative_weight ·` mean over the T − 1
/// consecutive pairs of Σ_h ((h_t − h_{t−1})/dt)². Terms without states (H = 0, T ≤ 1) are 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HiddenL2 {
    derivative_weight: f64,
}

impl_loss!(HiddenL2, HiddenL2Config::NAME, Fields::HIDDEN);
impl HiddenL2 {
    /// A hidden-state penalty with `derivative_weight` (s², finite, ≥ 0) on its rate term.
    pub fn new(derivative_weight: f64) -> Result<Self, LossError> {
        let derivative_weight =
            nonneg(HiddenL2Config::NAME, "derivative_weight", derivative_weight)?;
        Ok(Self { derivative_weight })
    }
    /// The weight of the hidden-rate term (s²).
    pub fn derivative_weight(&self) -> f64 {
        self.derivative_weight
    }
    fn eval(&self, ep: &EpisodeView, t: usize, grad: Grad, scale: f64) -> f64 {
        let (g, dw) = (grad.map(|g| &mut *g.hidden), self.derivative_weight);
        l2_with_derivative(ep.hidden, g, t, ep.hidden_size, ep.dt, dw, scale)
    }
}

/// [`HiddenL2`] in a training config, with its weight in the sum:
/// `{"kind": "hidden_l2", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HiddenL2Config {
    /// Weight in the sum (default 1).
    #[serde(default = "super::one")]
    pub weight: f64,
    /// Weight of the hidden-rate term (s²).
    #[serde(default)]
    pub derivative_weight: f64,
}

impl BuiltinLoss for HiddenL2Config {
    const DOC: &'static str = "Mean over the T hidden states of Σ_h h² plus `derivative_weight` times the mean squared hidden-state rate.";
    const PARAMS: &'static [Param] = &[
        super::WEIGHT,
        Param {
            name: "derivative_weight",
            doc: "weight of the hidden-rate term (s²)",
        },
    ];
    fn example() -> Self {
        Self {
            weight: 1.0,
            derivative_weight: 0.0,
        }
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn build(&self) -> Result<Box<dyn Loss>, LossError> {
        Ok(Box::new(HiddenL2::new(self.derivative_weight)?))
    }
}
