//! [`MujocoMuscle`]: MuJoCo 4.0.1's `<muscle>` actuator on a tendon (gear 1), with its
//! parameters as MJCF names them.

use crate::error::{check_global, check_muscle, Rule};
use crate::{ActivationDynamics, BuiltinMuscle, MuscleError, MuscleModel, MuscleParamSet};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, Scalar};

/// MuJoCo's `mjMINVAL`: a `tausmooth` below it switches the time constant hard.
const MJ_MINVAL: f64 = 1e-15;

/// The parameters of one `<muscle>` actuator, as MJCF names them (XML reference →
/// actuator/muscle). MuJoCo's defaults are in the `DEFAULT_*` constants; `force` and
/// `lengthrange` have none here: MuJoCo would compute them at compile time (from `scale` and
/// the actuator's `acc0`, and from a length-range simulation), this model takes them as given,
/// like an MJCF file with `force` > 0 and `<lengthrange mode="none"/>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MujocoMuscleParams {
    /// Muscle (actuator) name.
    pub name: String,
    /// MJCF `force`: peak active force at rest F (N, > 0); the spec's `max_isometric_force`.
    pub force: f64,
    /// MJCF `lengthrange`: the actuator lengths (m) that map to `range` (lower < upper).
    pub lengthrange: [f64; 2],
    /// MJCF `range`: the normalised lengths (optimal lengths) that `lengthrange` maps to
    /// (lower < upper; default 0.75, 1.05).
    pub range: [f64; 2],
    /// MJCF `lmin`: normalised length (optimal lengths) below which the active force is 0
    /// (< 1; default 0.5).
    pub lmin: f64,
    /// MJCF `lmax`: normalised length (optimal lengths) above which the active force is 0
    /// (> 1; default 1.6).
    pub lmax: f64,
    /// MJCF `vmax`: shortening velocity at which the active force drops to 0, in optimal
    /// lengths per second (L0/s, > 0; default 1.5).
    pub vmax: f64,
    /// MJCF `fpmax`: passive force at `(1 + lmax)/2` is `fpmax/2`, in units of `force`
    /// (≥ 0; default 1.3).
    pub fpmax: f64,
    /// MJCF `fvmax`: active force at saturating lengthening velocity, in units of `force`
    /// (> 1; default 1.2).
    pub fvmax: f64,
    /// MJCF `timeconst` of this muscle, (τ_act, τ_deact) (s, > 0), where it differs from the
    /// model's (`None`: the model's [`ActivationDynamics`], as every muscle of a model built
    /// from one `timeconst`). MJCF gives each actuator its own.
    pub timeconst: Option<[f64; 2]>,
}

impl MujocoMuscleParams {
    /// MuJoCo's default `range` (optimal lengths).
    pub const DEFAULT_RANGE: [f64; 2] = [0.75, 1.05];
    /// MuJoCo's default `lmin` (optimal lengths).
    pub const DEFAULT_LMIN: f64 = 0.5;
    /// MuJoCo's default `lmax` (optimal lengths).
    pub const DEFAULT_LMAX: f64 = 1.6;
    /// MuJoCo's default `vmax` (optimal lengths per second).
    pub const DEFAULT_VMAX: f64 = 1.5;
    /// MuJoCo's default `fpmax` (units of `force`).
    pub const DEFAULT_FPMAX: f64 = 1.3;
    /// MuJoCo's default `fvmax` (units of `force`).
    pub const DEFAULT_FVMAX: f64 = 1.2;

    /// A muscle with `force` F (N), `lengthrange` (m) and MuJoCo's defaults for the rest.
    pub fn new(name: impl Into<String>, force: f64, lengthrange: [f64; 2]) -> Self {
        Self {
            name: name.into(),
            force,
            lengthrange,
            range: Self::DEFAULT_RANGE,
            lmin: Self::DEFAULT_LMIN,
            lmax: Self::DEFAULT_LMAX,
            vmax: Self::DEFAULT_VMAX,
            fpmax: Self::DEFAULT_FPMAX,
            fvmax: Self::DEFAULT_FVMAX,
            timeconst: None,
        }
    }

    /// MuJoCo's optimal length L0 (m):
    /// `(lengthrange[1] − lengthrange[0]) / (range[1] − range[0])`, the actuator length change
    /// of one normalised length unit.
    pub fn optimal_length(&self) -> f64 {
        (self.lengthrange[1] - self.lengthrange[0]) / (self.range[1] - self.range[0])
    }

    /// The normalised length L (optimal lengths) and velocity V (units of `vmax`) of an
    /// actuator length (m) and velocity (m/s): `L = range[0] + (length − lengthrange[0]) / L0`,
    /// `V = velocity / (L0 · vmax)`.
    pub fn normalized<S: Scalar>(&self, length: S, velocity: S) -> [S; 2] {
        let l0 = self.optimal_length();
        [
            (length - S::c(self.lengthrange[0])) / S::c(l0) + S::c(self.range[0]),
            velocity / S::c(l0 * self.vmax),
        ]
    }

    /// The three curves at normalised length `l` and velocity `v` (dimensionless):
    /// `[FL(L), FV(V), FP(L)]` (see [`MujocoMuscle`]).
    pub fn curves<S: Scalar>(&self, l: S, v: S) -> [S; 3] {
        let c = S::c;
        // active force–length: MuJoCo's skewed quadratic bump, peak 1 at L = 1
        let fl = crate::mujoco::bump(l, self.lmin, 1.0, self.lmax);
        // force–velocity
        let y = self.fvmax - 1.0;
        let fv = select(
            v.le(c(-1.0)),
            S::zero(),
            select(
                v.le(S::zero()),
                (v + S::one()) * (v + S::one()),
                select(
                    v.le(c(y)),
                    c(self.fvmax) - (c(y) - v) * (c(y) - v) / c(y),
                    c(self.fvmax),
                ),
            ),
        );
        // passive: 0 up to L = 1, fpmax·x²/2 up to b = (1 + lmax)/2, then linear with the
        // same slope: fpmax·(1/2 + x')
        let b = 0.5 * (1.0 + self.lmax);
        let x_lo = (l - S::one()) / c(b - 1.0);
        let x_hi = (l - c(b)) / c(b - 1.0);
        let fp = select(
            l.le(S::one()),
            S::zero(),
            select(
                l.le(c(b)),
                c(0.5 * self.fpmax) * x_lo * x_lo,
                c(self.fpmax) * (x_hi + c(0.5)),
            ),
        );
        [fl, fv, fp]
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), MuscleError> {
        let n = &self.name;
        let bad = |parameter: &'static str, value: f64, reason: &'static str| {
            Err(MuscleError::InvalidMuscleParameter {
                index: i,
                muscle: n.clone(),
                parameter,
                value,
                reason,
            })
        };
        check_muscle(i, n, "max_isometric_force", self.force, Rule::Positive)?;
        if let Some([ta, td]) = self.timeconst {
            check_muscle(i, n, "timeconst_activation", ta, Rule::Positive)?;
            check_muscle(i, n, "timeconst_deactivation", td, Rule::Positive)?;
        }
        for (parameter, v) in [
            ("lengthrange_lower", self.lengthrange[0]),
            ("lengthrange_upper", self.lengthrange[1]),
            ("range_lower", self.range[0]),
            ("range_upper", self.range[1]),
        ] {
            if !v.is_finite() {
                return bad(parameter, v, "must be finite");
            }
        }
        if self.lengthrange[1] <= self.lengthrange[0] {
            return bad(
                "lengthrange_upper",
                self.lengthrange[1],
                "must be finite and > lengthrange_lower",
            );
        }
        if self.range[1] <= self.range[0] {
            return bad(
                "range_upper",
                self.range[1],
                "must be finite and > range_lower",
            );
        }
        // the active curve's two halves meet at L = 1: lmin < 1 < lmax
        if !(self.lmin.is_finite() && self.lmin < 1.0) {
            return bad("lmin", self.lmin, "must be finite and < 1");
        }
        if !(self.lmax.is_finite() && self.lmax > 1.0) {
            return bad("lmax", self.lmax, "must be finite and > 1");
        }
        check_muscle(i, n, "vmax", self.vmax, Rule::Positive)?;
        check_muscle(i, n, "fpmax", self.fpmax, Rule::NonNegative)?;
        // the lengthening branch divides by fvmax − 1
        if !(self.fvmax.is_finite() && self.fvmax > 1.0) {
            return bad("fvmax", self.fvmax, "must be finite and > 1");
        }
        Ok(())
    }
}

/// MuJoCo's `<muscle>` actuator (MuJoCo 4.0.1) acting on a tendon with gear 1: MJCF's
/// parameters ([`MujocoMuscleParams`]), MuJoCo's curves and activation dynamics, checked
/// against MuJoCo's own `mju_muscleGain`, `mju_muscleBias` and `mju_muscleDynamics`
/// (`tests/mujoco_actuator.rs`). Unlike [`MujocoHillMuscle`](crate::MujocoHillMuscle)
/// (MotorNet 0.3.0's re-parameterisation of the same idea, with other curves), this is the
/// actuator as an MJCF file defines it.
///
/// # Force
/// With the actuator length `len` (m, the tendon length) and velocity `vel` (m/s), and the
/// optimal length L0 = (`lengthrange[1]` − `lengthrange[0]`) / (`range[1]` − `range[0]`) (m):
/// - normalised length L = `range[0]` + (len − `lengthrange[0]`) / L0, normalised velocity
///   V = vel / (L0·vmax);
/// - FL(L), active force–length: 0 outside (lmin, lmax); with a = (lmin + 1)/2 and
///   b = (1 + lmax)/2, ½x² on [lmin, a] (x = (L − lmin)/(a − lmin)), 1 − ½x² on [a, 1]
///   (x = (1 − L)/(1 − a)), 1 − ½x² on [1, b] (x = (L − 1)/(b − 1)), ½x² on [b, lmax]
///   (x = (lmax − L)/(lmax − b));
/// - FV(V), force–velocity: 0 for V ≤ −1, (V + 1)² for V ≤ 0, fvmax − (y − V)²/y for V ≤
///   y = fvmax − 1, fvmax beyond;
/// - FP(L), passive: 0 for L ≤ 1, fpmax·½x² for L ≤ b (x = (L − 1)/(b − 1)), fpmax·(½ + x)
///   beyond (x = (L − b)/(b − 1));
/// - MuJoCo's actuator force (N) = gain·act + bias with gain = −F·FL·FV and bias = −F·FP:
///   negative, since muscles pull ([`MujocoMuscle::actuator_force`]). The state stores the
///   tension, positive like every model of this crate: F·(act·FL·FV + FP) = −actuator force.
///
/// # Activation dynamics
/// MJCF `timeconst` = (τ_act, τ_deact) (s, default 0.01, 0.04) are the spec's
/// `tau_activation` and `tau_deactivation`; `tausmooth` (a width in units of control;
/// default 0) is a model-wide parameter. With the control clamped,
/// u = clamp(ctrl, 0, 1), and the activation clamped only inside the time constants,
/// â = clamp(act, 0, 1):
/// τ_a = τ_act·(0.5 + 1.5â), τ_d = τ_deact/(0.5 + 1.5â), d = u − act (unclamped act),
/// τ = τ_a if d > 0 else τ_d when `tausmooth` = 0, else
/// τ = τ_d + (τ_a − τ_d)·σ(d/tausmooth + ½) with MuJoCo's quintic sigmoid
/// σ(x) = 6x⁵ − 15x⁴ + 10x³ on [0, 1] (0 below, 1 above); act_dot = d/τ
/// ([`MujocoMuscle::act_dot`]). MuJoCo has no minimum activation: `min_activation` must be 0.
///
/// # State (7 per muscle)
/// activation, muscle length (m) = L·L0 (the fibre length of the rigid tendon of length
/// `lengthrange[0]` − `range[0]`·L0), muscle velocity (m/s) = vel, force-length PE = FP(L),
/// force-length CE = FL(L), force-velocity CE = FV(V), force (N) = F·(act·FL·FV + FP).
/// [`MuscleModel::integrate`] takes an explicit Euler step of the activation clipped to
/// [0, 1] (MuJoCo's Euler step, which does not clip a muscle's activation unless `actlimited`;
/// from an activation in [0, 1] with a control clamped to [0, 1] the two differ only when
/// `dt` exceeds the time constant) and computes the force with the new activation and the
/// length and velocity it is given, as every model of this crate does.
///
/// # Proprioception
/// `[L, V]`: the normalised length (optimal lengths) and velocity (units of `vmax`, so −1 is
/// the velocity where active force vanishes), i.e. the muscle length and velocity states over
/// [`MuscleModel::proprioception_scale`] = (L0, L0·vmax).
///
/// Reference: MuJoCo documentation (XML reference → actuator/muscle; Modeling → Muscles;
/// Computation → Actuation model).
#[derive(Debug, Clone, PartialEq)]
pub struct MujocoMuscle {
    activation: ActivationDynamics,
    tausmooth: f64,
    params: Vec<MujocoMuscleParams>,
}

impl MujocoMuscle {
    /// MuJoCo's default `timeconst` (0.01 s, 0.04 s), and no minimum activation.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.0,
        tau_activation: 0.01,
        tau_deactivation: 0.04,
    };
    /// MuJoCo's default `tausmooth` (0: the time constant switches hard).
    pub const DEFAULT_TAUSMOOTH: f64 = 0.0;

    /// Build a validated model: `activation` holds MJCF's `timeconst` (`tau_activation`,
    /// `tau_deactivation`, s) and must have `min_activation` 0; `tausmooth` (control
    /// units, ≥ 0) is MJCF's smoothing width; one entry of `muscles` per muscle.
    pub fn new(
        activation: ActivationDynamics,
        tausmooth: f64,
        muscles: Vec<MujocoMuscleParams>,
    ) -> Result<Self, MuscleError> {
        activation.validate()?;
        if activation.min_activation != 0.0 {
            return Err(MuscleError::InvalidParameter {
                parameter: "min_activation",
                value: activation.min_activation,
                reason: "MuJoCo's muscle has no minimum activation: must be 0",
            });
        }
        check_global("tausmooth", tausmooth, Rule::NonNegative)?;
        if muscles.is_empty() {
            return Err(MuscleError::NoMuscles);
        }
        for (i, m) in muscles.iter().enumerate() {
            m.validate(i)?;
        }
        Ok(Self {
            activation,
            tausmooth,
            params: muscles,
        })
    }

    /// The per-muscle parameters.
    pub fn params(&self) -> &[MujocoMuscleParams] {
        &self.params
    }

    /// MJCF's `tausmooth` (control units).
    pub fn tausmooth(&self) -> f64 {
        self.tausmooth
    }

    /// MuJoCo's `actuator_force` (N) of muscle `m` at activation `act` (dimensionless, used as
    /// given, not clamped, as MuJoCo does), actuator length `length` (m) and velocity
    /// `velocity` (m/s): `−F·(act·FL(L)·FV(V) + FP(L))`, negative when the muscle pulls.
    pub fn actuator_force<S: Scalar>(&self, m: usize, act: S, length: S, velocity: S) -> S {
        let p = &self.params[m];
        let [l, v] = p.normalized(length, velocity);
        let [fl, fv, fp] = p.curves(l, v);
        -(act * fl * fv + fp) * S::c(p.force)
    }

    /// MuJoCo's `act_dot` (1/s) of muscle `m` at control `ctrl` and activation `act` (both
    /// dimensionless, any value; see [`MujocoMuscle`] for the clamps), with the muscle's own
    /// `timeconst` where it has one.
    pub fn act_dot<S: Scalar>(&self, m: usize, ctrl: S, act: S) -> S {
        let [tau_act, tau_deact] = self.params[m].timeconst.unwrap_or([
            self.activation.tau_activation,
            self.activation.tau_deactivation,
        ]);
        let u = ctrl.clamp(S::zero(), S::one());
        let k = act.clamp(S::zero(), S::one()).scale(1.5).shift(0.5);
        let tau_a = k.scale(tau_act);
        let tau_d = S::c(tau_deact) / k;
        let d = u - act;
        let tau = if self.tausmooth < MJ_MINVAL {
            select(d.gt(S::zero()), tau_a, tau_d)
        } else {
            let x = (d / S::c(self.tausmooth))
                .shift(0.5)
                .clamp(S::zero(), S::one());
            let sigma = x * x * x * (x * (x.scale(6.0).shift(-15.0)) + S::c(10.0));
            tau_d + (tau_a - tau_d) * sigma
        };
        d / tau
    }
}

impl BuiltinMuscle for MujocoMuscle {
    const NAME: &'static str = "MujocoMuscle";
    const SUMMARY: &'static str =
        "MuJoCo 4.0.1's muscle actuator on a tendon (MJCF `<muscle>`), with MJCF's parameters";
    const DEFAULT_ACTIVATION: ActivationDynamics = MujocoMuscle::DEFAULT_ACTIVATION;
    const MODEL_PARAMS: &'static [ParamDecl] = &[ParamDecl::optional(
        "tausmooth",
        "control units",
        MujocoMuscle::DEFAULT_TAUSMOOTH,
        "MJCF tausmooth: width of the smooth switch between the time constants, ≥ 0 (0: hard switch)",
    )];
    const MUSCLE_PARAMS: &'static [ParamDecl] = &[
        ParamDecl::required(
            "lengthrange_lower",
            "m",
            0.3,
            "MJCF lengthrange[0]: actuator length at normalised length range_lower",
        ),
        ParamDecl::required(
            "lengthrange_upper",
            "m",
            0.35,
            "MJCF lengthrange[1]: actuator length at normalised length range_upper, > lengthrange_lower",
        ),
        ParamDecl::optional(
            "range_lower",
            "optimal lengths",
            MujocoMuscleParams::DEFAULT_RANGE[0],
            "MJCF range[0]: normalised length at lengthrange_lower",
        ),
        ParamDecl::optional(
            "range_upper",
            "optimal lengths",
            MujocoMuscleParams::DEFAULT_RANGE[1],
            "MJCF range[1]: normalised length at lengthrange_upper, > range_lower",
        ),
        ParamDecl::optional(
            "lmin",
            "optimal lengths",
            MujocoMuscleParams::DEFAULT_LMIN,
            "MJCF lmin: active force is 0 below it, < 1",
        ),
        ParamDecl::optional(
            "lmax",
            "optimal lengths",
            MujocoMuscleParams::DEFAULT_LMAX,
            "MJCF lmax: active force is 0 above it, > 1",
        ),
        ParamDecl::optional(
            "vmax",
            "optimal lengths/s",
            MujocoMuscleParams::DEFAULT_VMAX,
            "MJCF vmax: shortening velocity where active force vanishes, > 0",
        ),
        ParamDecl::optional(
            "fpmax",
            "F_max",
            MujocoMuscleParams::DEFAULT_FPMAX,
            "MJCF fpmax: passive force at (1 + lmax)/2 is fpmax/2, ≥ 0",
        ),
        ParamDecl::optional(
            "fvmax",
            "F_max",
            MujocoMuscleParams::DEFAULT_FVMAX,
            "force at saturating lengthening velocity, > 1",
        ),
        ParamDecl::optional(
            "timeconst_activation",
            "s",
            0.0,
            "MJCF timeconst[0] of this muscle, > 0; 0 (the default): the model's tau_activation",
        ),
        ParamDecl::optional(
            "timeconst_deactivation",
            "s",
            0.0,
            "MJCF timeconst[1] of this muscle, > 0; 0 (the default): the model's tau_deactivation",
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
                MujocoMuscleParams {
                    name: m.name.clone(),
                    force: m.max_isometric_force,
                    lengthrange: [p.get("lengthrange_lower"), p.get("lengthrange_upper")],
                    range: [p.get("range_lower"), p.get("range_upper")],
                    lmin: p.get("lmin"),
                    lmax: p.get("lmax"),
                    vmax: p.get("vmax"),
                    fpmax: p.get("fpmax"),
                    fvmax: p.get("fvmax"),
                    // 0 (the default): the model's time constants
                    timeconst: match [
                        p.get("timeconst_activation"),
                        p.get("timeconst_deactivation"),
                    ] {
                        [0.0, 0.0] => None,
                        [ta, 0.0] => Some([ta, activation.tau_deactivation]),
                        [0.0, td] => Some([activation.tau_activation, td]),
                        t => Some(t),
                    },
                }
            })
            .collect();
        Self::new(activation, model.get("tausmooth"), params)
    }
}

impl MuscleModel for MujocoMuscle {
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
        self.params[m].force
    }
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], _len: S, _vel: S) -> [S; 2] {
        crate::fibre_proprioception(self.proprioception_scale(m), state)
    }
    /// `(L0, L0·vmax)` (m, m/s): the muscle length and velocity states over these are the
    /// normalised length L and velocity V.
    fn proprioception_scale(&self, m: usize) -> (f64, f64) {
        let p = &self.params[m];
        let l0 = p.optimal_length();
        (l0, l0 * p.vmax)
    }
    /// MuJoCo's `act_dot` ([`MujocoMuscle::act_dot`]) at control `excitation`.
    fn derivative<S: Scalar>(&self, m: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        derivative[0] = self.act_dot(m, excitation, state[0]);
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
        let a = self.activation.step(dt, state[0], derivative[0]);
        let [l, v] = p.normalized(mt_len, mt_vel);
        let [fl, fv, fp] = p.curves(l, v);
        new_state[0] = a;
        new_state[1] = l * S::c(p.optimal_length());
        new_state[2] = mt_vel;
        new_state[3] = fp;
        new_state[4] = fl;
        new_state[5] = fv;
        new_state[6] = (a * fl * fv + fp) * S::c(p.force);
    }
}
