//! [`MujocoHillMuscle`]: the force curves of MuJoCo's muscle actuator.

use crate::error::{check_global, Rule};
use crate::{
    ActivationDynamics, BuiltinMuscle, MujocoParams, MuscleError, MuscleModel, MuscleParamSet,
};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, Scalar};

/// Rigid-tendon Hill-type muscle with the piecewise-quadratic curves of MuJoCo's muscle
/// actuator, as MotorNet 0.3.0 implements them.
///
/// With L = max(0.001, l_mt − l0_se)/l0_ce (optimal lengths) and V = v_mt / vmax:
/// - active force–length: a skewed quadratic bump on [lmin, lmax] peaking at L = 1, plus 0.15 ×
///   a second bump on [lmin, 0.95] peaking at (lmin + 0.95)/2;
/// - passive: 0 for L ≤ 1; with b = (1 + lmax)/2, 0.25·s·x³ for L ≤ b (x = (L−1)/(b−1)), and
///   0.25·s·(1 + 3x) beyond (x = (L−b)/(b−1)), where s is `normalized_slack_muscle_length`;
/// - force–velocity: 0 for V ≤ −1, (V+1)² for V ≤ 0, fvmax − (c−V)²/c for V ≤ c = fvmax − 1,
///   fvmax beyond;
/// - force = F_max · (a · f_l · f_v + passive_forces · f_pe).
///
/// State (7 per muscle): activation, fibre length (m), musculotendon velocity (m/s),
/// force–length PE, force–length CE, force–velocity CE, force (N). MotorNet defaults:
/// `min_activation` 0, τ_act 10 ms, τ_deact 40 ms, `passive_forces` 1.
///
/// Reference: MuJoCo documentation, "Muscle actuators" (Todorov, Erez & Tassa 2012).
#[derive(Debug, Clone, PartialEq)]
pub struct MujocoHillMuscle {
    activation: ActivationDynamics,
    passive_forces: f64,
    params: Vec<MujocoParams>,
}

impl MujocoHillMuscle {
    /// MotorNet's default activation dynamics for this model.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.0,
        tau_activation: 0.01,
        tau_deactivation: 0.04,
    };
    /// MotorNet's default `normalized_slack_muscle_length` (the passive curve's scale).
    pub const DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH: f64 = 1.3;
    /// MotorNet's default gain of the passive force.
    pub const DEFAULT_PASSIVE_FORCES: f64 = 1.0;

    /// Build a validated model. `passive_forces` (dimensionless, ≥ 0) scales the passive force.
    pub fn new(
        activation: ActivationDynamics,
        passive_forces: f64,
        muscles: Vec<MujocoParams>,
    ) -> Result<Self, MuscleError> {
        activation.validate()?;
        check_global("passive_forces", passive_forces, Rule::NonNegative)?;
        if muscles.is_empty() {
            return Err(MuscleError::NoMuscles);
        }
        for (i, m) in muscles.iter().enumerate() {
            m.validate(i)?;
        }
        Ok(Self {
            activation,
            passive_forces,
            params: muscles,
        })
    }

    /// The per-muscle parameters.
    pub fn params(&self) -> &[MujocoParams] {
        &self.params
    }

    /// The passive force gain.
    pub fn passive_forces(&self) -> f64 {
        self.passive_forces
    }
}

/// Skewed quadratic bump on `[lmin, lmax]` with its peak (1) at `mid`.
#[inline]
pub(crate) fn bump<S: Scalar>(l: S, lmin: f64, mid: f64, lmax: f64) -> S {
    let c = S::c;
    let left = 0.5 * (lmin + mid);
    let right = 0.5 * (mid + lmax);
    let half_sq = |x: S| c(0.5) * x * x;
    let out_of_range = l.le(c(lmin)) | l.ge(c(lmax));
    let y = select(
        l.lt(c(left)),
        half_sq((l - c(lmin)) * c(1.0 / (left - lmin))),
        select(
            l.lt(c(mid)),
            S::one() - half_sq((c(mid) - l) * c(1.0 / (mid - left))),
            select(
                l.lt(c(right)),
                S::one() - half_sq((l - c(mid)) * c(1.0 / (right - mid))),
                half_sq((c(lmax) - l) * c(1.0 / (lmax - right))),
            ),
        ),
    );
    select(out_of_range, S::zero(), y)
}

impl BuiltinMuscle for MujocoHillMuscle {
    const NAME: &'static str = "MujocoHillMuscle";
    const SUMMARY: &'static str = "MuJoCo's muscle actuator curves";
    const DEFAULT_ACTIVATION: ActivationDynamics = MujocoHillMuscle::DEFAULT_ACTIVATION;
    const MODEL_PARAMS: &'static [ParamDecl] = &[ParamDecl::optional(
        "passive_forces",
        "",
        MujocoHillMuscle::DEFAULT_PASSIVE_FORCES,
        "gain of the passive force, ≥ 0",
    )];
    const MUSCLE_PARAMS: &'static [ParamDecl] = &[
        ParamDecl::required(
            "tendon_length",
            "m",
            0.204,
            "tendon slack length l0_se, > 0",
        ),
        ParamDecl::required(
            "optimal_muscle_length",
            "m",
            0.137,
            "optimal fibre length l0_ce, > 0",
        ),
        ParamDecl::optional(
            "normalized_slack_muscle_length",
            "",
            MujocoHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
            "as in MotorNet 0.3.0, scales the passive curve (0.25 · value), ≥ 0",
        ),
        ParamDecl::optional(
            "lmin",
            "optimal lengths",
            MujocoParams::DEFAULT_LMIN,
            "lower end of the operating range, in (0, 0.95)",
        ),
        ParamDecl::optional(
            "lmax",
            "optimal lengths",
            MujocoParams::DEFAULT_LMAX,
            "upper end of the operating range, > 1",
        ),
        ParamDecl::optional(
            "vmax",
            "m/s",
            MujocoParams::DEFAULT_VMAX,
            "musculotendon velocity is divided by it, > 0",
        ),
        ParamDecl::optional(
            "fvmax",
            "F_max",
            MujocoParams::DEFAULT_FVMAX,
            "force at saturating lengthening velocity, > 1",
        ),
    ];

    fn from_params(
        activation: ActivationDynamics,
        model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        let params = muscles
            .iter()
            .map(|m| {
                let p = &m.params;
                MujocoParams {
                    normalized_slack_muscle_length: p.get("normalized_slack_muscle_length"),
                    lmin: p.get("lmin"),
                    lmax: p.get("lmax"),
                    vmax: p.get("vmax"),
                    fvmax: p.get("fvmax"),
                    ..MujocoParams::new(
                        m.name.clone(),
                        m.max_isometric_force,
                        p.get("tendon_length"),
                        p.get("optimal_muscle_length"),
                    )
                }
            })
            .collect();
        Self::new(activation, model.get("passive_forces"), params)
    }
}

impl MuscleModel for MujocoHillMuscle {
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
        self.params.len()
    }
    fn muscle_name(&self, m: usize) -> &str {
        &self.params[m].name
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.activation
    }
    fn max_isometric_force(&self, m: usize) -> f64 {
        self.params[m].max_isometric_force
    }
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], _len: S, _vel: S) -> [S; 2] {
        crate::fibre_proprioception(self.proprioception_scale(m), state)
    }
    fn proprioception_scale(&self, m: usize) -> (f64, f64) {
        (self.params[m].optimal_muscle_length, self.params[m].vmax)
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
        let p = &self.params[m];
        let c = S::c;
        let a = self.activation.step(dt, state[0], derivative[0]);
        let len =
            (mt_len - c(p.tendon_length)).clamp_min(c(0.001)) * c(1.0 / p.optimal_muscle_length);
        let vel = mt_vel * c(1.0 / p.vmax);
        let b = 0.5 * (1.0 + p.lmax);
        let p1 = b - 1.0;
        let p2 = 0.25 * p.normalized_slack_muscle_length;
        let inv_p1 = c(1.0 / p1);
        let x_lo = (len - S::one()) * inv_p1;
        let x_hi = (len - c(b)) * inv_p1;
        let flpe = select(
            len.le(S::one()),
            S::zero(),
            select(
                len.le(c(b)),
                c(p2) * x_lo * x_lo * x_lo,
                c(p2) * (S::one() + c(3.0) * x_hi),
            ),
        );
        let mid = 0.5 * (p.lmin + 0.95);
        let flce = bump(len, p.lmin, 1.0, p.lmax) + c(0.15) * bump(len, p.lmin, mid, 0.95);
        let cc = p.fvmax - 1.0;
        let fvce = select(
            vel.le(c(-1.0)),
            S::zero(),
            select(
                vel.le(S::zero()),
                (vel + S::one()) * (vel + S::one()),
                select(
                    vel.le(c(cc)),
                    c(p.fvmax) - (c(cc) - vel) * (c(cc) - vel) * c(1.0 / cc),
                    c(p.fvmax),
                ),
            ),
        );
        new_state[0] = a;
        new_state[1] = len * c(p.optimal_muscle_length);
        new_state[2] = vel * c(p.vmax);
        new_state[3] = flpe;
        new_state[4] = flce;
        new_state[5] = fvce;
        new_state[6] = (a * flce * fvce + c(self.passive_forces) * flpe) * c(p.max_isometric_force);
    }
}
