//! `jerk`: The fingertip's squared jerk (finite differences).

use super::{prepare, BuiltinLoss, EpisodeView, Fields, Grad, Loss, LossError};
use crate::registry::{Param, Registered};
use serde::{Deserialize, Serialize};

/// Mean over the T − 1 interior states of ‖(v_{t+1} − 2 v_t + v_{t−1}) / dt²‖² (m²/s⁶), a
/// finite-difference estimate of the fingertip's squared jerk; 0 when T < 2.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Jerk;

impl_loss!(Jerk, JerkConfig::NAME, Fields::FINGERTIP);
impl Jerk {
    fn eval(&self, ep: &EpisodeView, t: usize, mut grad: Grad, scale: f64) -> f64 {
        let (d, dt2, f) = (ep.space_dim, ep.dt * ep.dt, ep.fingertip);
        let n = t.saturating_sub(1) as f64;
        let v = |s: usize, k: usize| s * 2 * d + d + k;
        let mut value = 0.0;
        for (s, k) in (1..t).flat_map(|s| (0..d).map(move |k| (s, k))) {
            let j = (f[v(s + 1, k)] - 2.0 * f[v(s, k)] + f[v(s - 1, k)]) / dt2;
            value += j * j / n;
            if let Some(g) = grad.as_deref_mut() {
                let c = scale * 2.0 * j / (dt2 * n);
                g.fingertip[v(s + 1, k)] += c;
                g.fingertip[v(s, k)] -= 2.0 * c;
                g.fingertip[v(s - 1, k)] += c;
            }
        }
        value
    }
}

/// [`Jerk`] in a training config, with its weight in the sum:
/// `{"kind": "jerk", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JerkConfig {
    /// Weight in the sum (default 1).
    #[serde(default = "super::one")]
    pub weight: f64,
}

impl BuiltinLoss for JerkConfig {
    const DOC: &'static str = "Mean over the T − 1 interior states of the squared finite-difference jerk of the fingertip (m²/s⁶); 0 when T < 2.";
    const PARAMS: &'static [Param] = &[super::WEIGHT];
    fn example() -> Self {
        Self { weight: 1.0 }
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn build(&self) -> Result<Box<dyn Loss>, LossError> {
        Ok(Box::new(Jerk))
    }
}
