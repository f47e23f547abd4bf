//! `activation_l2`: Squared muscle activations and their rate.

use super::{
    l2_with_derivative, nonneg, prepare, BuiltinLoss, EpisodeView, Fields, Grad, Loss, LossError,
};
use crate::registry::{Param, Registered};
use serde::{Deserialize, Serialize};

/// Mean over the T+1 states of Σ_m a_m², plus `derivative_weight ·` mean over the T consecutive
/// pairs of Σ_m ((a_t − a_{t−1})/dt)² (1/s²), a the muscle activations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivationL2 {
    derivative_weight: f64,
}

impl_loss!(ActivationL2, ActivationL2Config::NAME, Fields::ACTIVATION);
impl ActivationL2 {
    /// An activation penalty with `derivative_weight` (s², finite, ≥ 0) on its rate term.
    pub fn new(derivative_weight: f64) -> Result<Self, LossError> {
        let derivative_weight = nonneg(
            ActivationL2Config::NAME,
            "derivative_weight",
            derivative_weight,
        )?;
        Ok(Self { derivative_weight })
    }
    /// The weight of the activation-rate term (s²).
    pub fn derivative_weight(&self) -> f64 {
        self.derivative_weight
    }
    fn eval(&self, ep: &EpisodeView, t: usize, grad: Grad, scale: f64) -> f64 {
        let (g, dw) = (grad.map(|g| &mut *g.activation), self.derivative_weight);
        l2_with_derivative(ep.activation, g, t + 1, ep.n_muscles, ep.dt, dw, scale)
    }
}

/// [`ActivationL2`] in a training config, with its weight in the sum:
/// `{"kind": "activation_l2", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationL2Config {
    /// Weight in the sum (default 1).
    #[serde(default = "super::one")]
    pub weight: f64,
    /// Weight of the activation-rate term (s²).
    #[serde(default)]
    pub derivative_weight: f64,
}

impl BuiltinLoss for ActivationL2Config {
    const DOC: &'static str = "Mean over the T+1 states of Σ_m a_m² plus `derivative_weight` times the mean squared activation rate (1/s²), a the muscle activations.";
    const PARAMS: &'static [Param] = &[
        super::WEIGHT,
        Param {
            name: "derivative_weight",
            doc: "weight of the activation-rate term (s²)",
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
        Ok(Box::new(ActivationL2::new(self.derivative_weight)?))
    }
}
