//! First-order activation dynamics shared by every muscle model.

use crate::error::{check_global, MuscleError, Rule};
use motornet_scalar::{select, Scalar};

/// Activation dynamics of Thelen (2003), eqs. 1–2, as MotorNet 0.3.0 implements them (MuJoCo's
/// muscle actuators use the same law).
///
/// With excitation `u` and activation `a` both clipped to `[min_activation, 1]`:
///
/// ```text
/// da/dt = (u − a) / τ,   τ = τ_act · (0.5 + 1.5 a)   if u > a
///                        τ = τ_deact / (0.5 + 1.5 a)  otherwise
/// ```
///
/// Reference: Thelen DG (2003). Adjustment of muscle mechanics model parameters to simulate
/// dynamic contractions in older adults. *J Biomech Eng* 125(1):70–77.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivationDynamics {
    /// Lowest activation (dimensionless, in `[0, 1)`); excitations and activations are clipped
    /// to `[min_activation, 1]`.
    pub min_activation: f64,
    /// Activation time constant τ_act (s).
    pub tau_activation: f64,
    /// Deactivation time constant τ_deact (s).
    pub tau_deactivation: f64,
}

impl ActivationDynamics {
    /// Validated constructor: `min_activation` in `[0, 1)`, time constants finite and > 0.
    pub fn new(
        min_activation: f64,
        tau_activation: f64,
        tau_deactivation: f64,
    ) -> Result<Self, MuscleError> {
        let a = Self {
            min_activation,
            tau_activation,
            tau_deactivation,
        };
        a.validate()?;
        Ok(a)
    }

    /// Check the invariants [`ActivationDynamics::new`] enforces (for values built field by field).
    pub fn validate(&self) -> Result<(), MuscleError> {
        if !(self.min_activation.is_finite()
            && self.min_activation >= 0.0
            && self.min_activation < 1.0)
        {
            return Err(MuscleError::InvalidParameter {
                parameter: "min_activation",
                value: self.min_activation,
                reason: "must be finite and in [0, 1)",
            });
        }
        check_global("tau_activation", self.tau_activation, Rule::Positive)?;
        check_global("tau_deactivation", self.tau_deactivation, Rule::Positive)
    }

    /// Clip an excitation or activation to `[min_activation, 1]`.
    #[inline]
    pub fn clip<S: Scalar>(&self, x: S) -> S {
        x.clamp(S::c(self.min_activation), S::one())
    }

    /// da/dt (1/s) for excitation `u` and activation `a` (both dimensionless, clipped here):
    /// (u − a)/(τ_act·(0.5 + 1.5a)) where u > a, else (u − a)·(0.5 + 1.5a)/τ_deact, with one
    /// division for both branches.
    #[inline]
    pub fn derivative<S: Scalar>(&self, excitation: S, activation: S) -> S {
        let u = self.clip(excitation);
        let a = self.clip(activation);
        let tmp = a.scale(1.5).shift(0.5);
        let up = u.gt(a);
        let e = u - a;
        select(up, e, e * tmp)
            / select(
                up,
                tmp.scale(self.tau_activation),
                S::c(self.tau_deactivation),
            )
    }

    /// One explicit Euler step of the activation, clipped: `clip(a + dt·da/dt)`.
    #[inline]
    pub fn step<S: Scalar>(&self, dt: f64, activation: S, derivative: S) -> S {
        self.clip(activation + derivative.scale(dt))
    }
}
