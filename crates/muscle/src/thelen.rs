//! [`RigidTendonHillMuscleThelen`]: Thelen (2003) with a rigid tendon.

use crate::{
    ActivationDynamics, BuiltinMuscle, HillParams, MuscleError, MuscleModel, MuscleParamSet,
};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, Scalar};

const PE_K: f64 = 5.0;
const PE_1: f64 = PE_K / 0.6;
const CE_GAMMA: f64 = 0.45;
const CE_AF: f64 = 0.25;
const CE_FMLEN: f64 = 1.4;

#[derive(Debug, Clone, Copy, PartialEq)]
struct ThelenConstants {
    f_max: f64,
    l0_se: f64,
    l0_ce: f64,
    l0_pe: f64,
    vmax: f64,
    ce: [f64; 6],
}

impl ThelenConstants {
    fn new(p: &HillParams) -> Self {
        let l0_ce = p.optimal_muscle_length;
        let vmax = 10.0 * l0_ce;
        let ce1 = CE_AF * vmax;
        Self {
            f_max: p.max_isometric_force,
            l0_se: p.tendon_length,
            l0_ce,
            l0_pe: l0_ce * p.normalized_slack_muscle_length,
            vmax,
            ce: [
                3.0 * vmax,
                ce1,
                3.0 * CE_AF * vmax * CE_FMLEN - 3.0 * CE_AF * vmax,
                8.0 * CE_AF * CE_FMLEN + 8.0 * CE_FMLEN,
                CE_AF * CE_FMLEN * vmax - ce1,
                8.0 * (CE_AF + 1.0),
            ],
        }
    }
}

/// Hill-type muscle of Thelen (2003) with a rigid tendon, as MotorNet 0.3.0 implements it.
///
/// - fibre length l = max(0.001, musculotendon length − l0_se) (m); fibre velocity = the
///   musculotendon velocity (m/s); vmax = 10 · l0_ce (m/s);
/// - passive: f_pe = max(0, (exp(k_pe (l − l0_pe)/l0_ce / 0.6) − 1) / (exp(k_pe) − 1)),
///   k_pe = 5;
/// - active force–length: f_l = exp(−(l/l0_ce − 1)² / γ), γ = 0.45;
/// - force–velocity: Thelen's rational curve (A_f = 0.25, f_len = 1.4), floored at 0;
/// - force = F_max · (a · f_l · f_v + f_pe).
///
/// State (7 per muscle): activation, fibre length (m), fibre velocity (m/s), force–length PE,
/// force–length CE, force–velocity CE, force (N). MotorNet defaults: `min_activation` 0.001,
/// τ_act 15 ms, τ_deact 50 ms, `normalized_slack_muscle_length` 1.0.
///
/// Reference: Thelen DG (2003). *J Biomech Eng* 125(1):70–77.
#[derive(Debug, Clone, PartialEq)]
pub struct RigidTendonHillMuscleThelen {
    activation: ActivationDynamics,
    params: Vec<HillParams>,
    k: Vec<ThelenConstants>,
}

impl RigidTendonHillMuscleThelen {
    /// MotorNet's default activation dynamics for this model.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.001,
        tau_activation: 0.015,
        tau_deactivation: 0.05,
    };
    /// MotorNet's default `normalized_slack_muscle_length`.
    pub const DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH: f64 = 1.0;

    /// Build a validated model with one entry of `muscles` per muscle.
    pub fn new(
        activation: ActivationDynamics,
        muscles: Vec<HillParams>,
    ) -> Result<Self, MuscleError> {
        crate::rigid_hill::validate_hill(&activation, &muscles)?;
        let k = muscles.iter().map(ThelenConstants::new).collect();
        Ok(Self {
            activation,
            params: muscles,
            k,
        })
    }

    /// The per-muscle parameters.
    pub fn params(&self) -> &[HillParams] {
        &self.params
    }
}

impl BuiltinMuscle for RigidTendonHillMuscleThelen {
    const NAME: &'static str = "RigidTendonHillMuscleThelen";
    const SUMMARY: &'static str = "Thelen (2003), rigid tendon";
    const DEFAULT_ACTIVATION: ActivationDynamics = RigidTendonHillMuscleThelen::DEFAULT_ACTIVATION;
    const MUSCLE_PARAMS: &'static [ParamDecl] = &crate::params::hill_muscle_params(
        RigidTendonHillMuscleThelen::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
    );

    fn from_params(
        activation: ActivationDynamics,
        _model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        Self::new(
            activation,
            muscles.iter().map(HillParams::from_param_set).collect(),
        )
    }
}

impl MuscleModel for RigidTendonHillMuscleThelen {
    fn name(&self) -> &'static str {
        <Self as BuiltinMuscle>::NAME
    }
    fn state_names(&self) -> &'static [&'static str] {
        &crate::RIGID_HILL_STATE_NAMES
    }
    fn read_states(&self) -> &'static [usize] {
        &[0]
    }
    fn n_derivatives(&self) -> usize {
        1
    }
    fn n_muscles(&self) -> usize {
        self.k.len()
    }
    fn muscle_name(&self, m: usize) -> &str {
        &self.params[m].name
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.activation
    }
    fn max_isometric_force(&self, m: usize) -> f64 {
        self.k[m].f_max
    }
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], _len: S, _vel: S) -> [S; 2] {
        crate::fibre_proprioception(self.proprioception_scale(m), state)
    }
    fn proprioception_scale(&self, m: usize) -> (f64, f64) {
        (self.k[m].l0_ce, self.k[m].vmax)
    }

    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        mt_vel: S,
        new_state: &mut [S],
    ) {
        let k = &self.k[m];
        let c = S::c;
        let [ce0, ce1, ce2, ce3, ce4, ce5] = k.ce;
        let a = self.activation.step(dt, state[0], derivative[0]);
        let len = (mt_len - c(k.l0_se)).clamp_min(c(0.001));
        let vel = mt_vel;
        let a3 = a * c(3.0);
        let shortening = vel.le(S::zero());
        let nom = select(
            shortening,
            c(CE_AF) * (a * c(ce0) + c(4.0) * vel + c(k.vmax)),
            c(ce2) * a + c(ce3) * vel + c(ce4),
        );
        let den = select(
            shortening,
            a3 * c(ce1) + c(ce1) - c(4.0) * vel,
            c(ce4) * a3 + c(ce5) * vel + c(ce4),
        );
        let fvce = (nom / den).clamp_min(S::zero());
        let flpe = (((c(PE_1) * (len - c(k.l0_pe)) / c(k.l0_ce)).exp() - S::one())
            / c(PE_K.exp() - 1.0))
        .clamp_min(S::zero());
        let x = len / c(k.l0_ce) - S::one();
        let flce = (-(x * x) / c(CE_GAMMA)).exp();
        new_state[0] = a;
        new_state[1] = len;
        new_state[2] = vel;
        new_state[3] = flpe;
        new_state[4] = flce;
        new_state[5] = fvce;
        new_state[6] = (a * flce * fvce + flpe) * c(k.f_max);
    }
}
