//! [`RigidTendonHillMuscle`]: Kistemaker, Wong & Gribble (2010) with a rigid tendon.

use crate::{
    ActivationDynamics, BuiltinMuscle, HillParams, MuscleError, MuscleModel, MuscleParamSet,
};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, Scalar};

/// Width of the active force–length parabola: 0.66² (dimensionless).
pub(crate) const F_ISO_N_DEN: f64 = 0.66 * 0.66;
/// Floor of the active force–length curve.
pub(crate) const MIN_FLCE: f64 = 0.01;
/// Slope of the force–velocity curve for lengthening (dimensionless).
pub(crate) const S_AS: f64 = 0.001;
/// Activation below which the force–velocity curve flattens.
pub(crate) const Q_CRIT: f64 = 0.3;
/// Tendon stiffness, 1 / 0.04² (force reaches F_max at 4 % tendon strain).
pub(crate) const K_SE: f64 = 1.0 / (0.04 * 0.04);

/// Derived per-muscle constants of the Kistemaker models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HillConstants {
    pub f_max: f64,
    /// Tendon slack length (m).
    pub l0_se: f64,
    /// Optimal fibre length (m).
    pub l0_ce: f64,
    /// Fibre length where passive force starts (m).
    pub l0_pe: f64,
    /// Passive stiffness 1 / (1.66 − l0_pe / l0_ce)².
    pub k_pe: f64,
    /// Maximal shortening velocity, 10 optimal lengths per second (m/s).
    pub vmax: f64,
    /// 1 / l0_ce (1/m): the per-step code multiplies instead of dividing.
    pub inv_l0_ce: f64,
    /// 1 / vmax (s/m).
    pub inv_vmax: f64,
    /// 1 / l0_se (1/m).
    pub inv_l0_se: f64,
}

impl HillConstants {
    pub(crate) fn new(p: &HillParams) -> Self {
        let l0_pe = p.normalized_slack_muscle_length * p.optimal_muscle_length;
        Self {
            f_max: p.max_isometric_force,
            l0_se: p.tendon_length,
            l0_ce: p.optimal_muscle_length,
            l0_pe,
            k_pe: 1.0 / (1.66 - p.normalized_slack_muscle_length).powi(2),
            vmax: 10.0 * p.optimal_muscle_length,
            inv_l0_ce: 1.0 / p.optimal_muscle_length,
            inv_vmax: 1.0 / (10.0 * p.optimal_muscle_length),
            inv_l0_se: 1.0 / p.tendon_length,
        }
    }
}

/// Validate the activation dynamics and a non-empty list of Hill muscles.
pub(crate) fn validate_hill(
    activation: &ActivationDynamics,
    muscles: &[HillParams],
) -> Result<(), MuscleError> {
    activation.validate()?;
    if muscles.is_empty() {
        return Err(MuscleError::NoMuscles);
    }
    muscles
        .iter()
        .enumerate()
        .try_for_each(|(i, m)| m.validate(i))
}

/// Active force–length factor of the Kistemaker models: a parabola peaking at 1 for the optimal
/// length, floored at 0.01. `len_n` is the fibre length in optimal lengths.
#[inline]
pub(crate) fn kistemaker_flce<S: Scalar>(len_n: S) -> S {
    (-(len_n * len_n) + len_n.scale(2.0))
        .shift(-1.0)
        .scale(1.0 / F_ISO_N_DEN)
        .shift(1.0)
        .clamp_min(S::c(MIN_FLCE))
}

/// The `b_rel_st` coefficient of the Kistemaker force–velocity relation.
#[inline]
pub(crate) fn b_rel_st<S: Scalar>(activation: S) -> S {
    let t = -activation
        .shift(-Q_CRIT)
        .scale(1.0 / (0.005 - Q_CRIT))
        .scale(0.9);
    let t = t.shift(1.0);
    select(activation.lt(S::c(Q_CRIT)), t.scale(5.2) * t, S::c(5.2))
}

/// Hill-type muscle of Kistemaker, Wong & Gribble (2010), with the tendon taken as rigid: the
/// fibre length is the musculotendon length minus the tendon slack length, and fibre velocity
/// is the musculotendon velocity.
///
/// Force = F_max · (active + passive), where
/// - passive = k_pe · max(0, (l − l0_pe)/l0_ce)², k_pe = 1/(1.66 − l0_pe/l0_ce)²;
/// - active = max(0, f_v(v/vmax; a · f_l)), with f_l = max(0.01, 1 − (l/l0_ce − 1)²/0.66²),
///   vmax = 10 · l0_ce m/s, and f_v the paper's hyperbolic (shortening) and
///   rational (lengthening) force–velocity branches.
///
/// State (7 per muscle): activation, fibre length (m), fibre velocity (m/s), force–length PE,
/// force–length CE, force–velocity CE (the active force, in F_max), force (N).
/// MotorNet defaults: `min_activation` 0.001, τ_act 15 ms, τ_deact 50 ms,
/// `normalized_slack_muscle_length` 1.4.
///
/// Reference: Kistemaker DA, Wong JD, Gribble PL (2010). *J Neurophysiol* 104(6):2985–2994.
#[derive(Debug, Clone, PartialEq)]
pub struct RigidTendonHillMuscle {
    activation: ActivationDynamics,
    params: Vec<HillParams>,
    k: Vec<HillConstants>,
}

impl RigidTendonHillMuscle {
    /// MotorNet's default activation dynamics for this model.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.001,
        tau_activation: 0.015,
        tau_deactivation: 0.05,
    };
    /// MotorNet's default `normalized_slack_muscle_length`.
    pub const DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH: f64 = 1.4;

    /// Build a validated model with one entry of `muscles` per muscle.
    pub fn new(
        activation: ActivationDynamics,
        muscles: Vec<HillParams>,
    ) -> Result<Self, MuscleError> {
        validate_hill(&activation, &muscles)?;
        let k = muscles.iter().map(HillConstants::new).collect();
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

impl BuiltinMuscle for RigidTendonHillMuscle {
    const NAME: &'static str = "RigidTendonHillMuscle";
    const SUMMARY: &'static str = "Kistemaker, Wong & Gribble (2010), rigid tendon";
    const DEFAULT_ACTIVATION: ActivationDynamics = RigidTendonHillMuscle::DEFAULT_ACTIVATION;
    const MUSCLE_PARAMS: &'static [ParamDecl] = &crate::params::hill_muscle_params(
        RigidTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
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

impl MuscleModel for RigidTendonHillMuscle {
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

    #[inline(always)]
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
        let a = self.activation.step(dt, state[0], derivative[0]);
        let len = mt_len.shift(-k.l0_se).clamp_min(S::zero());
        let strain = len.shift(-k.l0_pe).scale(k.inv_l0_ce).clamp_min(S::zero());
        let len_n = len.scale(k.inv_l0_ce);
        let vel_n = mt_vel.scale(k.inv_vmax);
        let flpe = strain.scale(k.k_pe) * strain;
        let flce = kistemaker_flce(len_n);
        let a_rel_st = select(len_n.gt(S::one()), flce.scale(0.41), c(0.41));
        let b_rel_st = b_rel_st(a);
        let dfdvcon0 = a * (flce + a_rel_st) / b_rel_st;
        let f_x_a = flce * a;
        let p_nom = f_x_a.scale(0.5);
        // one division for both coefficients (divisions dominate this function's latency)
        let inv_p_den = S::one() / (-dfdvcon0.scale(2.0)).shift(S_AS);
        let p1 = -p_nom * inv_p_den;
        let p2 = p_nom * p_nom * inv_p_den;
        let p3 = f_x_a.scale(-1.5);
        let shortening = vel_n.lt(S::zero());
        let nom = select(
            shortening,
            vel_n * a * a_rel_st + f_x_a * b_rel_st,
            -p1 * p3 + p1.scale(S_AS) * vel_n + p2 - p3 * vel_n + vel_n.scale(S_AS) * vel_n,
        );
        let den = select(shortening, b_rel_st - vel_n, p1 + vel_n);
        let active = (nom / den).clamp_min(S::zero());
        new_state[0] = a;
        new_state[1] = len;
        new_state[2] = mt_vel;
        new_state[3] = flpe;
        new_state[4] = flce;
        new_state[5] = active;
        new_state[6] = (active + flpe).scale(k.f_max);
    }
}
