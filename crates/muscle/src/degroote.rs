//! The DeGroote–Fregly 2016 muscle: its curves ([`DeGrooteParams`], [`DeGrooteCurves`]) and two
//! models, [`RigidTendonDeGrooteMuscle`] and [`CompliantTendonDeGrooteMuscle`].
//!
//! The curves are those of De Groote et al. (2016, supplementary material) with OpenSim's
//! documented changes (OpenSim 4.6, `DeGrooteFregly2016Muscle`):
//!
//! - **active force–length** (normalised fibre length l̃, dimensionless): the sum of three
//!   "Gaussian-like" bumps `g(x) = b1 · exp(−½ (x − b2)² / (b3 + b4 x)²)` evaluated at
//!   `x = (l̃ − 1) / active_force_width_scale + 1`, with the constants of De Groote et al. (from
//!   their optcntrlmuscle code) and `b11` set so that `f_L(1) = 1`;
//! - **passive force–length**: `f_PE(l̃) = (exp(k_PE (l̃ − 1)/e0) − exp(k_PE (0.2 − 1)/e0)) /
//!   (exp(k_PE) − exp(k_PE (0.2 − 1)/e0))`, `k_PE = 4`, `e0 = passive_fiber_strain_at_one_norm_force`:
//!   the paper's curve shifted so that it is 0 at OpenSim's minimum fibre length 0.2 (and
//!   negative below it) and 1 at `l̃ = 1 + e0`;
//! - **force–velocity** (normalised fibre velocity ṽ, fibre velocity over
//!   `max_contraction_velocity · optimal length`, −1 = maximal shortening):
//!   `f_V(ṽ) = d1 · asinh(d2 ṽ + d3) + d4`, with `d2 = −8.149`, `d3 = −0.374` and `d1`, `d4` such
//!   that `f_V(−1) = 0` and `f_V(0) = 1`; its inverse `ṽ = (sinh((f − d4)/d1) − d3)/d2`;
//! - **tendon force–length** (normalised tendon length l̃_T, tendon length over the slack
//!   length): `f_T(l̃_T) = c1 · (exp(k_T (l̃_T − 1)) − 1)`, `c1 = 0.2`,
//!   `k_T = ln((1 + c1)/c1) / e_T = ln 6 / e_T`, `e_T = tendon_strain_at_one_norm_force`:
//!   the paper's `c1 exp(k_T (l̃_T − c2)) − c3` with OpenSim's `c2 = 1` and `c3 = c1`, so that
//!   `f_T(1) = 0` and `f_T(1 + e_T) = 1`; its inverse `l̃_T = 1 + ln(f/c1 + 1)/k_T`.
//!
//! Reference: De Groote F, Kinney AL, Rao AV, Fregly BJ (2016). Evaluation of direct
//! collocation optimal control problem formulations for solving the muscle redundancy problem.
//! *Ann Biomed Eng* 44(10):2922–2936.

use crate::{ActivationDynamics, BuiltinMuscle, MuscleError, MuscleModel, MuscleParamSet};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, Scalar};

/// The three bumps of the active force–length curve, `(b1, b2, b3, b4)` each (De Groote et al.
/// 2016, from their optcntrlmuscle code; `b1` of the first chosen so that `f_L(1) = 1`).
const ACTIVE_BUMPS: [(f64, f64, f64, f64); 3] = [
    (
        0.815_067_113_424_354_2,
        1.055_033_428_970_575,
        0.162_384_573_599_574,
        0.063_303_448_465_465,
    ),
    (
        0.433_004_984_392_647,
        0.716_775_413_397_760,
        -0.029_947_116_970_696,
        0.200_356_847_296_188,
    ),
    (0.1, 1.0, 0.353_553_390_593_274, 0.0),
];
/// Exponential shape factor of the passive force–length curve.
const K_PE: f64 = 4.0;
/// OpenSim's minimum normalised fibre length, where the passive curve is 0.
pub const MIN_NORM_FIBER_LENGTH: f64 = 0.2;
/// Force–velocity constants `d1 … d4` (`d1` and `d4` solve `f_V(−1) = 0`, `f_V(0) = 1`).
const FV_D1: f64 = -0.321_134_612_798_980_8;
const FV_D2: f64 = -8.149;
const FV_D3: f64 = -0.374;
const FV_D4: f64 = 0.882_532_773_324_991_2;
/// Tendon curve scale `c1` (= `c3`).
const TENDON_C1: f64 = 0.2;
/// OpenSim's upper bound on the normalised tendon force.
pub const MAX_NORM_TENDON_FORCE: f64 = 5.0;
/// Steepness of the tanh that blends activation and deactivation in OpenSim 4.6's activation
/// derivative (De Groote et al. 2016 write 10; OpenSim uses 0.1).
pub const ACTIVATION_TANH_STEEPNESS: f64 = 0.1;
/// Floor of the fibre length along the tendon, in optimal fibre lengths: keeps the pennation
/// angle below 90° (cos α > 0).
const MIN_FIBER_LENGTH_ALONG_TENDON: f64 = 0.01;
/// Bisection steps of the damped fibre-velocity solve and of the initial equilibrium (then
/// Newton steps, which also make the derivatives those of the exact solution).
const BISECTIONS: usize = 40;
const NEWTON_STEPS: usize = 3;

/// `asinh(x)`, written with the sign taken out so that large negative `x` does not cancel.
#[inline]
fn asinh<S: Scalar>(x: S) -> S {
    let neg = x.lt(S::zero());
    let ax = select(neg, -x, x);
    let r = (ax + (ax * ax).shift(1.0).sqrt()).ln();
    select(neg, -r, r)
}

/// `sinh(x)` from two exponentials.
#[inline]
fn sinh<S: Scalar>(x: S) -> S {
    (x.exp() - (-x).exp()).scale(0.5)
}

/// The parameters of the DeGroote–Fregly 2016 curves and fibre, as OpenSim names them, with
/// OpenSim's defaults ([`Default`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeGrooteParams {
    /// Widens the active force–length curve about `l̃ = 1` by this factor (dimensionless,
    /// ≥ 1; default 1).
    pub active_force_width_scale: f64,
    /// Fibre strain at which the passive force is one normalised force (dimensionless, > 0;
    /// default 0.6).
    pub passive_fiber_strain_at_one_norm_force: f64,
    /// Tendon strain at which the tendon force is one normalised force (dimensionless, > 0;
    /// default 0.049).
    pub tendon_strain_at_one_norm_force: f64,
    /// Maximal contraction velocity, in optimal fibre lengths per second (> 0; default 10).
    pub max_contraction_velocity: f64,
    /// Linear fibre damping: damping force = `fiber_damping` · normalised fibre velocity ·
    /// F_max (dimensionless, ≥ 0; default 0).
    pub fiber_damping: f64,
}

impl Default for DeGrooteParams {
    /// OpenSim 4.6's defaults: 1, 0.6, 0.049, 10 optimal lengths/s, 0.
    fn default() -> Self {
        Self {
            active_force_width_scale: 1.0,
            passive_fiber_strain_at_one_norm_force: 0.6,
            tendon_strain_at_one_norm_force: 0.049,
            max_contraction_velocity: 10.0,
            fiber_damping: 0.0,
        }
    }
}

impl DeGrooteParams {
    /// The parameter names, as OpenSim and spec files spell them, with their values.
    pub fn named(&self) -> [(&'static str, f64); 5] {
        [
            ("active_force_width_scale", self.active_force_width_scale),
            (
                "passive_fiber_strain_at_one_norm_force",
                self.passive_fiber_strain_at_one_norm_force,
            ),
            (
                "tendon_strain_at_one_norm_force",
                self.tendon_strain_at_one_norm_force,
            ),
            ("max_contraction_velocity", self.max_contraction_velocity),
            ("fiber_damping", self.fiber_damping),
        ]
    }

    /// The five parameters as declarations, each required (for reading a complete set by name,
    /// e.g. from an OpenSim fixture: [`DeGrooteParams::from_named`]).
    pub const DECLS: [ParamDecl; 5] = [
        ParamDecl::required(
            "active_force_width_scale",
            "",
            1.0,
            "active force-length width factor, >= 1",
        ),
        ParamDecl::required(
            "passive_fiber_strain_at_one_norm_force",
            "",
            0.6,
            "fibre strain at one normalised passive force, > 0",
        ),
        ParamDecl::required(
            "tendon_strain_at_one_norm_force",
            "",
            0.049,
            "tendon strain at one normalised tendon force, > 0",
        ),
        ParamDecl::required(
            "max_contraction_velocity",
            "optimal lengths/s",
            10.0,
            "maximal contraction velocity, > 0",
        ),
        ParamDecl::required("fiber_damping", "", 0.0, "fibre damping, >= 0"),
    ];

    /// The parameters from `(name, value)` pairs: every one of the five given exactly once
    /// (an unknown, missing or repeated name is an error naming it), then validated.
    pub fn from_named<'a>(
        given: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, DeGrooteParamsError> {
        const DECLS: &[ParamDecl] = &DeGrooteParams::DECLS;
        let p = ParamSet::resolve(DECLS, given)?;
        let params = Self {
            active_force_width_scale: p.get("active_force_width_scale"),
            passive_fiber_strain_at_one_norm_force: p.get("passive_fiber_strain_at_one_norm_force"),
            tendon_strain_at_one_norm_force: p.get("tendon_strain_at_one_norm_force"),
            max_contraction_velocity: p.get("max_contraction_velocity"),
            fiber_damping: p.get("fiber_damping"),
        };
        params.validate()?;
        Ok(params)
    }

    /// The first invalid parameter: `(name, value, what it must satisfy)`.
    fn first_invalid(&self) -> Option<(&'static str, f64, &'static str)> {
        self.named().into_iter().find_map(|(name, v)| {
            let (ok, reason) = match name {
                "active_force_width_scale" => (v >= 1.0, "must be finite and >= 1"),
                "fiber_damping" => (v >= 0.0, "must be finite and >= 0"),
                _ => (v > 0.0, "must be finite and > 0"),
            };
            (!(v.is_finite() && ok)).then_some((name, v, reason))
        })
    }

    /// Check the ranges OpenSim enforces: `active_force_width_scale` ≥ 1, the strains and
    /// `max_contraction_velocity` > 0, `fiber_damping` ≥ 0, all finite. The error names the
    /// parameter.
    pub fn validate(&self) -> Result<(), MuscleError> {
        match self.first_invalid() {
            None => Ok(()),
            Some((parameter, value, reason)) => Err(MuscleError::InvalidParameter {
                parameter,
                value,
                reason,
            }),
        }
    }

    /// The same check, with an error naming muscle `index` (`muscle`).
    fn validate_muscle(&self, index: usize, muscle: &str) -> Result<(), MuscleError> {
        match self.first_invalid() {
            None => Ok(()),
            Some((parameter, value, reason)) => Err(MuscleError::InvalidMuscleParameter {
                index,
                muscle: muscle.to_string(),
                parameter,
                value,
                reason,
            }),
        }
    }
}

/// Why [`DeGrooteParams::from_named`] refused a set of parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DeGrooteParamsError {
    /// A name is unknown, missing or given twice.
    #[error("DeGroote parameters: {0}")]
    Names(#[from] motornet_scalar::params::ParamError),
    /// A value is out of range.
    #[error("DeGroote parameters: {0}")]
    Value(#[from] MuscleError),
}

/// The DeGroote–Fregly 2016 curves for one set of [`DeGrooteParams`] (validated, with the
/// constants they derive precomputed). Every curve is generic over [`Scalar`]: evaluate it in
/// `f64`, `f32`, lanes or dual numbers (a dual number gives the curve's exact derivative).
///
/// All inputs and outputs are normalised (dimensionless): fibre length in optimal fibre
/// lengths, fibre velocity in `max_contraction_velocity` optimal lengths per second, tendon
/// length in tendon slack lengths, forces in maximal isometric force. See the module docs of
/// `degroote.rs` (and `docs/muscles.md`) for the equations.
///
/// ```
/// use motornet_muscle::{DeGrooteCurves, DeGrooteParams};
/// let c = DeGrooteCurves::new(DeGrooteParams::default())?;
/// assert!((c.active_force_length(1.0_f64) - 1.0).abs() < 1e-12);
/// assert!((c.passive_force_length(1.6_f64) - 1.0).abs() < 1e-12);
/// assert!(c.tendon_force_length(1.0_f64).abs() < 1e-15);
/// assert!((DeGrooteCurves::force_velocity(0.0_f64) - 1.0).abs() < 1e-12);
/// # Ok::<(), motornet_muscle::MuscleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeGrooteCurves {
    params: DeGrooteParams,
    /// 1 / active_force_width_scale.
    inv_width: f64,
    /// k_PE / e0.
    pe_rate: f64,
    /// exp(k_PE (0.2 − 1)/e0).
    pe_offset: f64,
    /// 1 / (exp(k_PE) − pe_offset).
    pe_inv_den: f64,
    /// k_T = ln 6 / e_T.
    k_t: f64,
}

impl DeGrooteCurves {
    /// The curves for `params` (validated: see [`DeGrooteParams::validate`]).
    pub fn new(params: DeGrooteParams) -> Result<Self, MuscleError> {
        params.validate()?;
        Ok(Self::new_unchecked(params))
    }

    fn new_unchecked(params: DeGrooteParams) -> Self {
        let e0 = params.passive_fiber_strain_at_one_norm_force;
        let pe_offset = (K_PE * (MIN_NORM_FIBER_LENGTH - 1.0) / e0).exp();
        Self {
            params,
            inv_width: 1.0 / params.active_force_width_scale,
            pe_rate: K_PE / e0,
            pe_offset,
            pe_inv_den: 1.0 / (K_PE.exp() - pe_offset),
            k_t: ((1.0 + TENDON_C1) / TENDON_C1).ln() / params.tendon_strain_at_one_norm_force,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &DeGrooteParams {
        &self.params
    }

    /// The tendon stiffness constant `k_T = ln 6 / tendon_strain_at_one_norm_force`
    /// (dimensionless).
    pub fn tendon_stiffness_constant(&self) -> f64 {
        self.k_t
    }

    /// Active force–length multiplier at normalised fibre length `l` (peak 1 at `l = 1`).
    #[inline]
    pub fn active_force_length<S: Scalar>(&self, l: S) -> S {
        let x = l.shift(-1.0).scale(self.inv_width).shift(1.0);
        let mut sum = S::zero();
        for &(b1, b2, b3, b4) in &ACTIVE_BUMPS {
            let d = x.shift(-b2);
            let w = x.scale(b4).shift(b3);
            sum += (-(d * d) / (w * w).scale(2.0)).exp().scale(b1);
        }
        sum
    }

    /// d(active force–length multiplier)/d(normalised fibre length) at `l`.
    #[inline]
    pub fn active_force_length_derivative<S: Scalar>(&self, l: S) -> S {
        let x = l.shift(-1.0).scale(self.inv_width).shift(1.0);
        let mut sum = S::zero();
        for &(b1, b2, b3, b4) in &ACTIVE_BUMPS {
            // g = b1 exp(−d²/(2w²)), d = x − b2, w = b3 + b4 x:
            // g' = g · (−d/w² + d² b4/w³) = g · (b2 − x)(b3 + b2 b4)/w³
            let d = x.shift(-b2);
            let w = x.scale(b4).shift(b3);
            let g = (-(d * d) / (w * w).scale(2.0)).exp().scale(b1);
            sum += g * (-d).scale(b3 + b2 * b4) / (w * w * w);
        }
        sum.scale(self.inv_width)
    }

    /// Passive force–length multiplier at normalised fibre length `l` (0 at
    /// [`MIN_NORM_FIBER_LENGTH`], negative below it, 1 at `1 + passive_fiber_strain_at_one_norm_force`).
    #[inline]
    pub fn passive_force_length<S: Scalar>(&self, l: S) -> S {
        (l.shift(-1.0)
            .scale(self.pe_rate)
            .exp()
            .shift(-self.pe_offset))
        .scale(self.pe_inv_den)
    }

    /// d(passive force–length multiplier)/d(normalised fibre length) at `l`.
    #[inline]
    pub fn passive_force_length_derivative<S: Scalar>(&self, l: S) -> S {
        l.shift(-1.0)
            .scale(self.pe_rate)
            .exp()
            .scale(self.pe_rate * self.pe_inv_den)
    }

    /// Force–velocity multiplier at normalised fibre velocity `v` (0 at −1, 1 at 0, 1.794 at
    /// 1; OpenSim's domain is [−1, 1]). It does not depend on the parameters.
    #[inline]
    pub fn force_velocity<S: Scalar>(v: S) -> S {
        asinh(v.scale(FV_D2).shift(FV_D3)).scale(FV_D1).shift(FV_D4)
    }

    /// d(force–velocity multiplier)/d(normalised fibre velocity) at `v` (> 0).
    #[inline]
    pub fn force_velocity_derivative<S: Scalar>(v: S) -> S {
        let x = v.scale(FV_D2).shift(FV_D3);
        S::c(FV_D1 * FV_D2) / (x * x).shift(1.0).sqrt()
    }

    /// The normalised fibre velocity at which the force–velocity multiplier is `f` (the inverse
    /// of [`DeGrooteCurves::force_velocity`], defined for every `f`).
    #[inline]
    pub fn force_velocity_inverse<S: Scalar>(f: S) -> S {
        sinh(f.shift(-FV_D4).scale(1.0 / FV_D1))
            .shift(-FV_D3)
            .scale(1.0 / FV_D2)
    }

    /// Tendon force–length multiplier (normalised tendon force) at normalised tendon length
    /// `l` (0 at 1, 1 at `1 + tendon_strain_at_one_norm_force`, −0.2 as `l → −∞`).
    #[inline]
    pub fn tendon_force_length<S: Scalar>(&self, l: S) -> S {
        l.shift(-1.0)
            .scale(self.k_t)
            .exp()
            .shift(-1.0)
            .scale(TENDON_C1)
    }

    /// d(tendon force multiplier)/d(normalised tendon length) at `l`.
    #[inline]
    pub fn tendon_force_length_derivative<S: Scalar>(&self, l: S) -> S {
        l.shift(-1.0)
            .scale(self.k_t)
            .exp()
            .scale(TENDON_C1 * self.k_t)
    }

    /// The normalised tendon length at which the normalised tendon force is `f` (the inverse
    /// of [`DeGrooteCurves::tendon_force_length`], for `f > −0.2`).
    #[inline]
    pub fn tendon_force_length_inverse<S: Scalar>(&self, f: S) -> S {
        f.scale(1.0 / TENDON_C1)
            .shift(1.0)
            .ln()
            .scale(1.0 / self.k_t)
            .shift(1.0)
    }
}

impl DeGrooteCurves {
    /// The curves by name, as OpenSim's fixtures (`../shared/degroote`) name them, plus
    /// `force_velocity_derivative`. See [`DeGrooteCurves::curve`].
    pub const CURVE_NAMES: [&'static str; 10] = [
        "active_force_length",
        "active_force_length_derivative",
        "passive_force_length",
        "passive_force_length_derivative",
        "force_velocity",
        "force_velocity_derivative",
        "force_velocity_inverse",
        "tendon_force_length",
        "tendon_force_length_derivative",
        "tendon_force_length_inverse",
    ];

    /// Curve `name` (one of [`DeGrooteCurves::CURVE_NAMES`]) at `x`, in `f64`; `None` for
    /// another name.
    pub fn curve(&self, name: &str, x: f64) -> Option<f64> {
        Some(match name {
            "active_force_length" => self.active_force_length(x),
            "active_force_length_derivative" => self.active_force_length_derivative(x),
            "passive_force_length" => self.passive_force_length(x),
            "passive_force_length_derivative" => self.passive_force_length_derivative(x),
            "force_velocity" => Self::force_velocity(x),
            "force_velocity_derivative" => Self::force_velocity_derivative(x),
            "force_velocity_inverse" => Self::force_velocity_inverse(x),
            "tendon_force_length" => self.tendon_force_length(x),
            "tendon_force_length_derivative" => self.tendon_force_length_derivative(x),
            "tendon_force_length_inverse" => self.tendon_force_length_inverse(x),
            _ => return None,
        })
    }
}

/// The parameters of one DeGroote–Fregly 2016 muscle.
#[derive(Debug, Clone, PartialEq)]
pub struct DeGrooteMuscleParams {
    /// Muscle name (used in error messages and outputs).
    pub name: String,
    /// Maximum isometric force F_max (N, > 0).
    pub max_isometric_force: f64,
    /// Tendon slack length (m, > 0): OpenSim's `tendon_slack_length` (spec name
    /// `tendon_length`, as for the other models).
    pub tendon_length: f64,
    /// Optimal fibre length (m, > 0): OpenSim's `optimal_fiber_length` (spec name
    /// `optimal_muscle_length`, as for the other models).
    pub optimal_muscle_length: f64,
    /// Pennation angle at the optimal fibre length (rad, in [0, π/2); default 0). The fibre
    /// keeps a constant thickness `optimal_muscle_length · sin(pennation_angle_at_optimal)`.
    pub pennation_angle_at_optimal: f64,
    /// The curve parameters.
    pub curves: DeGrooteParams,
}

impl DeGrooteMuscleParams {
    /// A muscle with the given name, F_max (N), tendon slack length (m) and optimal fibre length
    /// (m), no pennation and OpenSim's default curves.
    pub fn new(
        name: impl Into<String>,
        max_isometric_force: f64,
        tendon_length: f64,
        optimal_muscle_length: f64,
    ) -> Self {
        Self {
            name: name.into(),
            max_isometric_force,
            tendon_length,
            optimal_muscle_length,
            pennation_angle_at_optimal: 0.0,
            curves: DeGrooteParams::default(),
        }
    }

    fn validate(&self, i: usize) -> Result<(), MuscleError> {
        use crate::error::{check_muscle, Rule};
        let n = &self.name;
        check_muscle(
            i,
            n,
            "max_isometric_force",
            self.max_isometric_force,
            Rule::Positive,
        )?;
        check_muscle(i, n, "tendon_length", self.tendon_length, Rule::Positive)?;
        check_muscle(
            i,
            n,
            "optimal_muscle_length",
            self.optimal_muscle_length,
            Rule::Positive,
        )?;
        let alpha = self.pennation_angle_at_optimal;
        if !(alpha.is_finite() && (0.0..std::f64::consts::FRAC_PI_2 - 1e-6).contains(&alpha)) {
            return Err(MuscleError::InvalidMuscleParameter {
                index: i,
                muscle: n.clone(),
                parameter: "pennation_angle_at_optimal",
                value: alpha,
                reason: "must be finite and in [0, pi/2) rad",
            });
        }
        self.curves.validate_muscle(i, n)
    }

    /// The record of one spec entry.
    fn from_param_set(m: &MuscleParamSet) -> Self {
        let p = &m.params;
        let get = |name| p.get(name);
        Self {
            name: m.name.clone(),
            max_isometric_force: m.max_isometric_force,
            tendon_length: get("tendon_length"),
            optimal_muscle_length: get("optimal_muscle_length"),
            pennation_angle_at_optimal: get("pennation_angle_at_optimal"),
            curves: DeGrooteParams {
                active_force_width_scale: get("active_force_width_scale"),
                passive_fiber_strain_at_one_norm_force: get(
                    "passive_fiber_strain_at_one_norm_force",
                ),
                // the rigid-tendon model does not declare it
                tendon_strain_at_one_norm_force: p
                    .try_get("tendon_strain_at_one_norm_force")
                    .unwrap_or(DeGrooteParams::default().tendon_strain_at_one_norm_force),
                max_contraction_velocity: get("max_contraction_velocity"),
                fiber_damping: get("fiber_damping"),
            },
        }
    }
}

/// The per-muscle parameters of both DeGroote models (the compliant one adds the tendon strain).
const fn muscle_params<const N: usize>(with_tendon: bool) -> [ParamDecl; N] {
    let all = [
        ParamDecl::required(
            "tendon_length",
            "m",
            0.204,
            "tendon slack length (OpenSim's tendon_slack_length), > 0",
        ),
        ParamDecl::required(
            "optimal_muscle_length",
            "m",
            0.137,
            "optimal fibre length (OpenSim's optimal_fiber_length), > 0",
        ),
        ParamDecl::optional(
            "pennation_angle_at_optimal",
            "rad",
            0.0,
            "pennation angle at the optimal fibre length, in [0, pi/2); constant fibre thickness",
        ),
        ParamDecl::optional(
            "active_force_width_scale",
            "",
            1.0,
            "widens the active force-length curve about the optimal length, >= 1",
        ),
        ParamDecl::optional(
            "passive_fiber_strain_at_one_norm_force",
            "",
            0.6,
            "fibre strain at which the passive force is F_max, > 0",
        ),
        ParamDecl::optional(
            "max_contraction_velocity",
            "optimal lengths/s",
            10.0,
            "maximal contraction velocity, > 0",
        ),
        ParamDecl::optional(
            "fiber_damping",
            "",
            0.0,
            "damping force = fiber_damping * normalised fibre velocity * F_max, >= 0",
        ),
        ParamDecl::optional(
            "tendon_strain_at_one_norm_force",
            "",
            0.049,
            "tendon strain at which the tendon force is F_max, > 0",
        ),
    ];
    let n = if with_tendon { 8 } else { 7 };
    assert!(N == n);
    let mut out = [all[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = all[i];
        i += 1;
    }
    out
}

/// Per-muscle constants derived from [`DeGrooteMuscleParams`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Consts {
    f_max: f64,
    /// Tendon slack length (m).
    l_s: f64,
    /// Optimal fibre length (m).
    l_opt: f64,
    /// Fibre thickness w = l_opt sin α_opt (m).
    width: f64,
    /// Lowest fibre length along the tendon (m).
    x_min: f64,
    /// Maximal contraction velocity (m/s).
    v_max: f64,
    curves: DeGrooteCurves,
}

impl Consts {
    fn new(p: &DeGrooteMuscleParams) -> Self {
        Self {
            f_max: p.max_isometric_force,
            l_s: p.tendon_length,
            l_opt: p.optimal_muscle_length,
            width: p.optimal_muscle_length * p.pennation_angle_at_optimal.sin(),
            x_min: MIN_FIBER_LENGTH_ALONG_TENDON * p.optimal_muscle_length,
            v_max: p.curves.max_contraction_velocity * p.optimal_muscle_length,
            curves: DeGrooteCurves::new_unchecked(p.curves),
        }
    }

    /// Fibre length (m) and cos α for a fibre length along the tendon `x` (m, ≥ x_min > 0).
    #[inline]
    fn fibre<S: Scalar>(&self, x: S) -> (S, S) {
        let lf = (x * x).shift(self.width * self.width).sqrt();
        (lf, x / lf)
    }
}

fn validate_all(
    activation: &ActivationDynamics,
    muscles: &[DeGrooteMuscleParams],
) -> Result<Vec<Consts>, MuscleError> {
    activation.validate()?;
    if muscles.is_empty() {
        return Err(MuscleError::NoMuscles);
    }
    muscles
        .iter()
        .enumerate()
        .map(|(i, m)| m.validate(i).map(|_| Consts::new(m)))
        .collect()
}

/// OpenSim 4.6's activation derivative of `DeGrooteFregly2016Muscle` (1/s), with excitation and
/// activation clipped to `[min_activation, 1]` as every model here does:
/// `da/dt = [(f + ½)/(τ_act z) + (½ − f) z/τ_deact] (u − a)`, `f = ½ tanh(b (u − a))`,
/// `z = ½ + 1.5 a`, `b` = [`ACTIVATION_TANH_STEEPNESS`].
#[inline]
pub fn degroote_activation_derivative<S: Scalar>(
    act: &ActivationDynamics,
    excitation: S,
    activation: S,
) -> S {
    let u = act.clip(excitation);
    let a = act.clip(activation);
    let diff = u - a;
    let f = diff.scale(ACTIVATION_TANH_STEEPNESS).tanh().scale(0.5);
    let z = a.scale(1.5).shift(0.5);
    let rate = f.shift(0.5) / z.scale(act.tau_activation)
        + (-f).shift(0.5) * z.scale(1.0 / act.tau_deactivation);
    rate * diff
}

/// OpenSim's defaults for the activation dynamics of both models: τ_act 15 ms, τ_deact 60 ms;
/// `min_activation` 0.01 (OpenSim has no floor of its own, its controls are bounded to [0, 1];
/// the compliant model's fibre velocity divides by the activation).
const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
    min_activation: 0.01,
    tau_activation: 0.015,
    tau_deactivation: 0.060,
};

/// Common parts of both models.
macro_rules! degroote_common {
    () => {
        /// OpenSim's default activation dynamics (τ_act 15 ms, τ_deact 60 ms) with
        /// `min_activation` 0.01.
        pub const DEFAULT_ACTIVATION: ActivationDynamics = DEFAULT_ACTIVATION;

        /// Build a validated model with one entry of `muscles` per muscle.
        pub fn new(
            activation: ActivationDynamics,
            muscles: Vec<DeGrooteMuscleParams>,
        ) -> Result<Self, MuscleError> {
            let k = validate_all(&activation, &muscles)?;
            Ok(Self {
                activation,
                params: muscles,
                k,
            })
        }

        /// The per-muscle parameters.
        pub fn params(&self) -> &[DeGrooteMuscleParams] {
            &self.params
        }

        /// The curves of muscle `m`.
        pub fn curves(&self, m: usize) -> &DeGrooteCurves {
            &self.k[m].curves
        }
    };
}

/// The [`MuscleModel`] methods both models share.
macro_rules! degroote_model_common {
    () => {
        fn name(&self) -> &'static str {
            <Self as BuiltinMuscle>::NAME
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
            (self.k[m].l_opt, self.k[m].v_max)
        }
    };
}

/// The DeGroote–Fregly 2016 muscle with a rigid tendon (OpenSim's `DeGrooteFregly2016Muscle`
/// with `ignore_tendon_compliance`), pennated with constant fibre thickness.
///
/// With `x = max(l_mt − l_s, 0.01 l_opt)` the fibre length along the tendon (m), the fibre
/// length is `l_f = √(x² + w²)`, `w = l_opt sin α_opt`, `cos α = x / l_f`; the fibre velocity
/// is `v_mt cos α` and its normalised value `ṽ = v_mt cos α / (max_contraction_velocity ·
/// l_opt)`. The force along the tendon is
/// `F_max · max(0, a f_L(l̃) f_V(clamp(ṽ, −1, 1)) + f_PE(l̃) + β ṽ) · cos α` (β =
/// `fiber_damping`; the velocity is clamped to OpenSim's domain of `f_V`, and a muscle only
/// pulls: OpenSim lets the passive curve below l̃ = 0.2 and the damping push).
///
/// Activation: [`degroote_activation_derivative`] (OpenSim 4.6's law), integrated with the
/// same clipped Euler step as the other models.
///
/// State (7 per muscle): activation, fibre length (m), fibre velocity (m/s), passive
/// force–length multiplier, active force–length multiplier, force–velocity multiplier, force
/// (N). Derivative (1): the activation rate (1/s).
#[derive(Debug, Clone, PartialEq)]
pub struct RigidTendonDeGrooteMuscle {
    activation: ActivationDynamics,
    params: Vec<DeGrooteMuscleParams>,
    k: Vec<Consts>,
}

impl RigidTendonDeGrooteMuscle {
    degroote_common!();
}

impl BuiltinMuscle for RigidTendonDeGrooteMuscle {
    const NAME: &'static str = "RigidTendonDeGrooteMuscle";
    const SUMMARY: &'static str =
        "DeGroote-Fregly (2016) as OpenSim 4.6 defines it, rigid tendon, pennated";
    const DEFAULT_ACTIVATION: ActivationDynamics = DEFAULT_ACTIVATION;
    const MUSCLE_PARAMS: &'static [ParamDecl] = &muscle_params::<7>(false);

    fn from_params(
        activation: ActivationDynamics,
        _model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        Self::new(
            activation,
            muscles
                .iter()
                .map(DeGrooteMuscleParams::from_param_set)
                .collect(),
        )
    }
}

impl MuscleModel for RigidTendonDeGrooteMuscle {
    degroote_model_common!();
    fn state_names(&self) -> &'static [&'static str] {
        &crate::RIGID_HILL_STATE_NAMES
    }
    fn read_states(&self) -> &'static [usize] {
        &[0]
    }
    fn n_derivatives(&self) -> usize {
        1
    }
    fn derivative<S: Scalar>(&self, _m: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        derivative[0] = degroote_activation_derivative(&self.activation, excitation, state[0]);
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
        let a = self.activation.step(dt, state[0], derivative[0]);
        let x = mt_len.shift(-k.l_s).clamp_min(S::c(k.x_min));
        let (lf, cos) = k.fibre(x);
        let vf = mt_vel * cos;
        let ln = lf.scale(1.0 / k.l_opt);
        let vn = vf.scale(1.0 / k.v_max);
        let fl = k.curves.active_force_length(ln);
        let fpe = k.curves.passive_force_length(ln);
        let fv = DeGrooteCurves::force_velocity(vn.clamp(S::c(-1.0), S::one()));
        let fibre = a * fl * fv + fpe + vn.scale(k.curves.params.fiber_damping);
        new_state[0] = a;
        new_state[1] = lf;
        new_state[2] = vf;
        new_state[3] = fpe;
        new_state[4] = fl;
        new_state[5] = fv;
        new_state[6] = (fibre * cos).clamp_min(S::zero()).scale(k.f_max);
    }
}

/// The DeGroote–Fregly 2016 muscle with a compliant tendon and explicit fibre dynamics,
/// pennated with constant fibre thickness.
///
/// **The ODE state is the fibre length** (state entry 1, in m; the normalised fibre length is
/// it over `optimal_muscle_length`); the derivative's second entry is its rate in optimal
/// lengths per second, `dl̃/dt = max_contraction_velocity · ṽ`. (OpenSim's explicit mode
/// integrates the normalised tendon force instead; both describe the same equilibrium.) Given
/// the fibre length `l_f` (floored so that the fibre length along the tendon is at least
/// 0.01 l_opt) and the musculotendon length `l_mt`:
/// `x = √(l_f² − w²)`, `cos α = x / l_f`, tendon length `l_mt − x`, normalised tendon force
/// `f_T = clamp(tendon_force_length((l_mt − x)/l_s), 0, 5)` (a slack tendon does not push;
/// OpenSim bounds the tendon force to [0, 5]). The fibre must carry `f_T / cos α`, so the
/// normalised fibre velocity ṽ solves `a f_L(l̃) f_V(ṽ) + f_PE(l̃) + β ṽ = f_T / cos α` within
/// `[−1, 1]`: in closed form through [`DeGrooteCurves::force_velocity_inverse`] when β = 0,
/// else by bisection and Newton steps (the equation is increasing in ṽ). The muscle pulls
/// with `F_max f_T`.
///
/// `integrate` advances the fibre length by `dt · dl̃/dt · l_opt` and evaluates the forces at
/// the new fibre length and the given musculotendon length. The initial state is the static
/// equilibrium (`f_V = 1`, ṽ = 0) at `min_activation`, then one such step. Explicit fibre
/// dynamics need small steps (the tendon is stiff: ~1 ms or below with Euler).
///
/// State (8 per muscle): activation, fibre length (m), fibre velocity (m/s), passive
/// force–length multiplier, active force–length multiplier, normalised tendon force,
/// normalised fibre force `f_T / cos α`, force (N). Derivative (2): activation rate (1/s),
/// normalised fibre-length rate (optimal lengths per second).
#[derive(Debug, Clone, PartialEq)]
pub struct CompliantTendonDeGrooteMuscle {
    activation: ActivationDynamics,
    params: Vec<DeGrooteMuscleParams>,
    k: Vec<Consts>,
}

impl CompliantTendonDeGrooteMuscle {
    degroote_common!();

    /// Normalised fibre velocity (in [−1, 1]) at which the fibre of muscle `k`, at normalised
    /// length `ln` and activation `a`, carries the normalised fibre force `fibre_force`.
    fn normalized_velocity<S: Scalar>(&self, k: &Consts, ln: S, a: S, fibre_force: S) -> S {
        let c = &k.curves;
        let a = self.activation.clip(a);
        let afl = (a * c.active_force_length(ln)).clamp_min(S::c(1e-12));
        let rhs = fibre_force - c.passive_force_length(ln);
        let beta = c.params.fiber_damping;
        let fv_max = DeGrooteCurves::force_velocity(1.0);
        if beta == 0.0 {
            let fv = (rhs / afl).clamp(S::zero(), S::c(fv_max));
            return DeGrooteCurves::force_velocity_inverse(fv).clamp(S::c(-1.0), S::one());
        }
        // g(v) = afl f_V(v) + β v − rhs, increasing in v
        let g = |v: S| afl * DeGrooteCurves::force_velocity(v) + v.scale(beta) - rhs;
        let (mut lo, mut hi) = (S::c(-1.0), S::one());
        for _ in 0..BISECTIONS {
            let mid = (lo + hi).scale(0.5);
            let above = g(mid).gt(S::zero());
            hi = select(above, mid, hi);
            lo = select(above, lo, mid);
        }
        let mut v = (lo + hi).scale(0.5);
        for _ in 0..NEWTON_STEPS {
            let slope = afl * DeGrooteCurves::force_velocity_derivative(v) + S::c(beta);
            v = (v - g(v) / slope).clamp(S::c(-1.0), S::one());
        }
        v
    }
}

impl BuiltinMuscle for CompliantTendonDeGrooteMuscle {
    const NAME: &'static str = "CompliantTendonDeGrooteMuscle";
    const SUMMARY: &'static str =
        "DeGroote-Fregly (2016) as OpenSim 4.6 defines it, compliant tendon (explicit fibre-length state), pennated";
    const DEFAULT_ACTIVATION: ActivationDynamics = DEFAULT_ACTIVATION;
    const MUSCLE_PARAMS: &'static [ParamDecl] = &muscle_params::<8>(true);

    fn from_params(
        activation: ActivationDynamics,
        _model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        Self::new(
            activation,
            muscles
                .iter()
                .map(DeGrooteMuscleParams::from_param_set)
                .collect(),
        )
    }
}

impl MuscleModel for CompliantTendonDeGrooteMuscle {
    degroote_model_common!();
    fn state_names(&self) -> &'static [&'static str] {
        &[
            "activation",
            "muscle length",
            "muscle velocity",
            "force-length PE",
            "force-length CE",
            "tendon force",
            "fibre force",
            "force",
        ]
    }
    fn read_states(&self) -> &'static [usize] {
        &[0, 1, 6]
    }
    fn n_derivatives(&self) -> usize {
        2
    }

    fn initial_state<S: Scalar>(&self, m: usize, mt_len: S, _mt_vel: S, dt: f64, state: &mut [S]) {
        let k = &self.k[m];
        let c = &k.curves;
        let a = S::c(self.activation.min_activation);
        let lt_max = c.tendon_force_length_inverse(MAX_NORM_TENDON_FORCE);
        // residual of the static equilibrium (ṽ = 0, f_V = 1) at fibre length along the
        // tendon x, and its derivative: tendon force − fibre force along the tendon
        let residual = |x: S| {
            let (lf, cos) = k.fibre(x);
            let ln = lf.scale(1.0 / k.l_opt);
            let lt = (mt_len - x).scale(1.0 / k.l_s);
            let in_range = lt.gt(S::one()) & lt.lt(S::c(lt_max));
            let ft = select(in_range, c.tendon_force_length(lt), S::zero());
            let dft = select(in_range, c.tendon_force_length_derivative(lt), S::zero());
            let ft = select(lt.ge(S::c(lt_max)), S::c(MAX_NORM_TENDON_FORCE), ft);
            let fibre = a * c.active_force_length(ln) + c.passive_force_length(ln);
            let dfibre =
                a * c.active_force_length_derivative(ln) + c.passive_force_length_derivative(ln);
            let sin2 = S::one() - cos * cos;
            // d(fibre · cos α)/dx = fibre' (dl̃/dx) cos α + fibre · d cos α/dx,
            // dl̃/dx = cos α / l_opt, d cos α/dx = sin² α / l_f
            let r = ft - fibre * cos;
            let dr = -dft.scale(1.0 / k.l_s)
                - dfibre * cos * cos.scale(1.0 / k.l_opt)
                - fibre * sin2 / lf;
            (r, dr)
        };
        let x_lo = S::c(k.x_min);
        let x_hi = mt_len.clamp_min(S::c(2.0 * k.x_min));
        let (mut lo, mut hi) = (x_lo, x_hi);
        for _ in 0..BISECTIONS {
            let mid = (lo + hi).scale(0.5);
            // the residual decreases with x where the equilibrium is stable
            let positive = residual(mid).0.gt(S::zero());
            lo = select(positive, mid, lo);
            hi = select(positive, hi, mid);
        }
        let mut x = (lo + hi).scale(0.5);
        for _ in 0..NEWTON_STEPS {
            let (r, dr) = residual(x);
            let step = select(dr.lt(S::zero()), r / dr, S::zero());
            x = (x - step).clamp(x_lo, x_hi);
        }
        let (lf, _) = k.fibre(x);
        let mut rest = [S::zero(); 8];
        rest[0] = a;
        rest[1] = lf;
        self.integrate(m, dt, &[S::zero(); 2], &rest, mt_len, S::zero(), state);
    }

    fn derivative<S: Scalar>(&self, m: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        let k = &self.k[m];
        derivative[0] = degroote_activation_derivative(&self.activation, excitation, state[0]);
        let ln = state[1].scale(1.0 / k.l_opt);
        let v = self.normalized_velocity(k, ln, state[0], state[6]);
        derivative[1] = v.scale(k.curves.params.max_contraction_velocity);
    }

    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        _mt_vel: S,
        new_state: &mut [S],
    ) {
        let k = &self.k[m];
        let c = &k.curves;
        let lf_min = (k.x_min * k.x_min + k.width * k.width).sqrt();
        let lf = (state[1] + (derivative[1] * S::c(dt)).scale(k.l_opt)).clamp_min(S::c(lf_min));
        let x = (lf * lf).shift(-k.width * k.width).sqrt();
        let cos = x / lf;
        let ln = lf.scale(1.0 / k.l_opt);
        let lt_max = c.tendon_force_length_inverse(MAX_NORM_TENDON_FORCE);
        let lt = (mt_len - x).scale(1.0 / k.l_s).clamp_max(S::c(lt_max));
        let ft = c.tendon_force_length(lt).clamp_min(S::zero());
        new_state[0] = self.activation.step(dt, state[0], derivative[0]);
        new_state[1] = lf;
        new_state[2] = derivative[1].scale(k.l_opt);
        new_state[3] = c.passive_force_length(ln);
        new_state[4] = c.active_force_length(ln);
        new_state[5] = ft;
        new_state[6] = ft / cos;
        new_state[7] = ft.scale(k.f_max);
    }
}
