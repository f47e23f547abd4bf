//! [`CompliantTendonHillMuscle`]: Kistemaker, Wong & Gribble (2010) with a compliant tendon.

use crate::rigid_hill::{
    b_rel_st, kistemaker_flce, validate_hill, HillConstants, F_ISO_N_DEN, K_SE, MIN_FLCE, S_AS,
};
use crate::{
    ActivationDynamics, BuiltinMuscle, HillParams, MuscleError, MuscleModel, MuscleParamSet,
    StepGradients, StepInputs,
};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, DualLanes, Lanes, Mask, Scalar};

/// Hill-type muscle of Kistemaker, Wong & Gribble (2010) with a compliant (elastic) tendon.
///
/// The fibre length l is a state with its own ODE. Tendon force (in F_max) is
/// f_se = min(1, k_se · max(0, (l_mt − l − l0_se)/l0_se)²) with k_se = 1/0.04²; passive fibre
/// force f_pe = k_pe · max(0, (l − l0_pe)/l0_ce)²; the active force the contractile element must
/// produce is max(0, f_se − f_pe), and the fibre velocity follows by inverting the
/// force–velocity relation at the current activation and force–length factor. The muscle
/// pulls with F_max · f_se.
///
/// State (7 per muscle): activation, fibre length (m), fibre velocity (as MotorNet stores it:
/// the normalised velocity times vmax), force–length PE, force–length SE, active force (in
/// F_max), force (N). Derivative (2 per muscle): activation rate (1/s) and normalised fibre
/// velocity (optimal lengths per second). With [`FibreIntegration::Implicit`] (spec
/// `implicit_fibre = 1`), which is stable and accurate at 10 ms steps, the state has 8 entries
/// (the previous musculotendon velocity, m/s, before the force) and `derivative[1]` is the
/// clipped excitation.
///
/// The initial state starts from the static equilibrium of tendon and passive fibre forces
/// (fibre at zero activation) and takes one integration step of `dt`, as MotorNet does.
/// MotorNet defaults: `min_activation` 0.01, τ_act 15 ms, τ_deact 50 ms,
/// `normalized_slack_muscle_length` 1.4. The explicit update (the default, MotorNet's) needs
/// small time steps (MotorNet's `CompliantTendonArm26` uses 0.2 ms with RK4).
///
/// As in MotorNet 0.3.0, the lengthening coefficient `a_rel_st` is scaled by the force–length
/// factor for fibres *shorter* than optimal here, whereas the rigid-tendon model scales it for
/// fibres longer than optimal.
///
/// Reference: Kistemaker DA, Wong JD, Gribble PL (2010). *J Neurophysiol* 104(6):2985–2994.
#[derive(Debug, Clone, PartialEq)]
pub struct CompliantTendonHillMuscle {
    activation: ActivationDynamics,
    params: Vec<HillParams>,
    k: Vec<HillConstants>,
    /// The implicit fibre step's constants of each muscle.
    fk: Vec<FibreConsts<f64>>,
    /// The same, per pack of [`FIBRE_LANES`] muscles side by side (lane `l` of pack `p`:
    /// muscle `p · FIBRE_LANES + l`, the pack's last muscle again in unused lanes).
    fk_lanes: Vec<FibreConsts<PerLane<FibreLanes>>>,
    fibre: FibreIntegration,
}

/// How [`CompliantTendonHillMuscle`] advances its fibre length and activation in
/// [`MuscleModel::integrate`] (spec parameter `implicit_fibre` of the `muscle` table: 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FibreIntegration {
    /// MotorNet 0.3.0's update (`implicit_fibre = 0`, the default): explicit Euler of the fibre
    /// length with the normalised fibre velocity of `derivative[1]`, explicit Euler of the
    /// activation, forces from the fibre length before the step. Stiff: it needs steps of about
    /// 0.2 ms (explicit Euler at 1 ms errs by 80 % of F_max over a reach; docs/training.md).
    #[default]
    Explicit,
    /// Stable and accurate at 10 ms steps (`implicit_fibre = 1`; 0.4 % of F_max over a reach,
    /// docs/training.md). The activation ODE by RK4 in sub-steps of at most 3.4 ms, interpolated
    /// (cubic Hermite) at the fibre stages; in sub-steps of at most 5.1 ms (two per 10 ms
    /// step), the fibre length by the two-stage Radau IIA method (order 3, stage order 2,
    /// L-stable, stiffly accurate), whose two stages are force equilibria tendon − passive =
    /// active(activation, length, velocity) coupled through the stage lengths, solved together
    /// for the two velocities by damped Newton (at most 16 residual evaluations, from the
    /// previous sub-step's stage velocities extrapolated linearly in time; until the residuals
    /// and the last step are below 1e-6; where that runs out, again from the stages solved one
    /// at a time). In the rare lanes where it still runs out (extreme inputs), the fibre step
    /// is the two-stage L-stable SDIRK method of order 2 (Alexander 1977) in sub-steps of at
    /// most 3.4 ms, each stage solved for its velocity by at most 16 safeguarded Newton
    /// iterations (bracketed; bisection when a Newton step leaves the bracket or moves more
    /// than half its width; stopping once |R| < 1e-8 F_max). On dual numbers the derivative
    /// parts are the implicit-function derivative of the solution. The musculotendon length
    /// during the step is extrapolated from `mt_len`, `mt_vel` and the acceleration since the
    /// previous step, whose musculotendon velocity the model keeps as an eighth state
    /// (`"musculotendon velocity"`, m/s, before `"force"`). Forces are those at the end of the
    /// step. In this mode `derivative[1]` is the clipped excitation (which the step needs, and
    /// which the effector's RK4 averages to itself), not the fibre velocity, so the step is the
    /// same under any effector integration method.
    Implicit,
}

/// Most Newton iterations of the SDIRK fallback's fibre solve (it stops earlier once
/// converged in every lane; dual numbers then carry the implicit-function derivative).
pub(crate) const NEWTON_ITERATIONS: usize = 16;

/// Largest sub-step of the SDIRK fallback's fibre integration (s): three sub-steps per 10 ms
/// step (3.4 ms rather than 10/3 ms, which rounding could turn into four).
pub(crate) const FIBRE_SUBSTEP: f64 = 0.0034;

/// The fibre solve's convergence test: |R| below this (in F_max). Forces move by at most
/// 3e-14 of F_max against 1e-13; 1e-6 would spoil the dual-number derivatives.
const NEWTON_TOLERANCE: f64 = 1e-8;

/// Largest sub-step of the Radau IIA fibre integration (s): two sub-steps per 10 ms step (5.1
/// ms rather than 5 ms, which rounding could turn into three).
pub(crate) const RADAU_SUBSTEP: f64 = 0.0051;

/// Most Newton iterations of a Radau IIA sub-step's coupled stages
/// ([`CompliantTendonHillMuscle::solve_stages`]; the lanes where they run out take the SDIRK
/// sub-steps instead).
const RADAU_ITERATIONS: usize = 16;

/// The Radau IIA stages' convergence test: residuals (F_max) and the last Newton step
/// (normalised velocity) both below this.
const RADAU_TOLERANCE: f64 = 1e-6;

/// Whether `S` is a plain number type (no derivative parts): `f64`, `f32`, [`FibreLanes`].
fn plain<S: Scalar>() -> bool {
    use std::any::TypeId;
    let t = TypeId::of::<S>();
    t == TypeId::of::<f64>() || t == TypeId::of::<f32>() || t == TypeId::of::<FibreLanes>()
}

/// The smallest damping factor of the Radau IIA stages' Newton steps: a step this short is
/// taken even where it does not lower the residuals.
const RADAU_SMALLEST_STEP: f64 = 1.0 / 64.0;

/// Gauss–Seidel sweeps of the Radau IIA stages' second first guess (where Newton ran out from
/// the first; [`CompliantTendonHillMuscle::solve_stages`]).
const RADAU_SWEEPS: usize = 4;

/// [`RADAU_TOLERANCE`] for number types coarser than `f64` (`f32`).
const RADAU_COARSE_TOLERANCE: f64 = 1e-5;

/// The Runge–Kutta matrix of the two-stage Radau IIA method (order 3, stage order 2,
/// L-stable, stiffly accurate: the second stage is the sub-step's end); its nodes are 1/3
/// and 1.
const RADAU_A: [[f64; 2]; 2] = [[5.0 / 12.0, -1.0 / 12.0], [0.75, 0.25]];

/// γ = 1 − 1/√2 of the two-stage, L-stable, stiffly accurate SDIRK method of order 2
/// (Alexander 1977) that integrates the fibre length.
const SDIRK2_GAMMA: f64 = 1.0 - std::f64::consts::FRAC_1_SQRT_2;

/// Largest activation sub-step of [`FibreIntegration::Implicit`] (s): three RK4 steps per
/// 10 ms step, interpolated at the fibre stages ([`ActivationPath`]). On the accuracy test
/// (crates/muscle/tests/compliant_implicit.rs, Radau IIA fibres) the worst force error is
/// 0.414 % of F_max with 3.4 ms, 0.387 % with 2.5 ms (four per step, until 2026-12-06); 5 ms
/// erred by 0.72 % (with the SDIRK2 fibres of the time).
const ACTIVATION_SUBSTEP: f64 = 0.0034;

/// The activation over one implicit step of `dt` (s) from a clipped activation under a clipped
/// excitation held for the step: the activation ODE by RK4 in equal sub-steps ("nodes") of at
/// most [`ACTIVATION_SUBSTEP`], clipped after each, and between nodes the cubic Hermite
/// interpolant of the node values and rates (clipped), at times that do not decrease
/// ([`Self::at`]). The rate is [`ActivationDynamics::derivative`].
struct ActivationPath<S> {
    u: S,
    /// Node spacing (s) and number of sub-steps.
    node_dt: f64,
    nodes: usize,
    /// The left node's index, value and rate; the right node's value and rate.
    j: usize,
    a0: S,
    f0: S,
    a1: S,
    f1: S,
}

impl<S: Scalar> ActivationPath<S> {
    /// The path from the clipped activation `a` under the clipped excitation `u` over `dt` (s).
    fn new(act: &ActivationDynamics, a: S, u: S, dt: f64) -> Self {
        let nodes = (dt / ACTIVATION_SUBSTEP).ceil().max(1.0) as usize;
        let f = Self::rate(act, u, a);
        let mut path = Self {
            u,
            node_dt: dt / nodes as f64,
            nodes,
            j: 0,
            a0: a,
            f0: f,
            a1: a,
            f1: f,
        };
        (path.a1, path.f1) = path.rk4(act, a, f);
        path
    }

    /// da/dt (1/s) at the excitation `u` and activation `a`
    /// ([`ActivationDynamics::derivative`], one division).
    #[inline(always)]
    fn rate(act: &ActivationDynamics, u: S, a: S) -> S {
        act.derivative(u, a)
    }

    /// One RK4 node step from the value `a` with rate `f` there: the next node's value
    /// (clipped) and rate.
    #[inline(always)]
    fn rk4(&self, act: &ActivationDynamics, a: S, k1: S) -> (S, S) {
        let (u, h) = (self.u, self.node_dt);
        let k2 = Self::rate(act, u, a + k1.scale(0.5 * h));
        let k3 = Self::rate(act, u, a + k2.scale(0.5 * h));
        let k4 = Self::rate(act, u, a + k3.scale(h));
        let next = act.clip(a + (k1 + (k2 + k3).scale(2.0) + k4).scale(h / 6.0));
        (next, Self::rate(act, u, next))
    }

    /// The activation at `t` (s since the step's start; at least every earlier call's `t`): a
    /// node's value at the nodes (the step's end included), the clipped Hermite interpolant
    /// between them.
    fn at(&mut self, act: &ActivationDynamics, t: f64) -> S {
        while self.j + 1 < self.nodes && t > (self.j + 1) as f64 * self.node_dt {
            self.j += 1;
            (self.a0, self.f0) = (self.a1, self.f1);
            (self.a1, self.f1) = self.rk4(act, self.a0, self.f0);
        }
        let s = ((t - self.j as f64 * self.node_dt) / self.node_dt).clamp(0.0, 1.0);
        if s == 1.0 {
            return self.a1;
        }
        let (s2, s3) = (s * s, s * s * s);
        let h = self.node_dt;
        let a = self.a0.scale(2.0 * s3 - 3.0 * s2 + 1.0)
            + self.f0.scale((s3 - 2.0 * s2 + s) * h)
            + self.a1.scale(3.0 * s2 - 2.0 * s3)
            + self.f1.scale((s3 - s2) * h);
        act.clip(a)
    }
}

impl CompliantTendonHillMuscle {
    /// MotorNet's default activation dynamics for this model.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.01,
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
        let k: Vec<HillConstants> = muscles.iter().map(HillConstants::new).collect();
        for (i, (p, k)) in muscles.iter().zip(&k).enumerate() {
            let den = k.k_pe * k.l0_se * k.l0_se - K_SE * k.l0_ce * k.l0_ce;
            if den.abs() < 1e-12 * K_SE * k.l0_ce * k.l0_ce {
                return Err(MuscleError::InvalidMuscleParameter {
                    index: i,
                    muscle: p.name.clone(),
                    parameter: "tendon_length",
                    value: p.tendon_length,
                    reason: "makes the tendon and passive fibre equally stiff, so the initial \
                             equilibrium is undefined",
                });
            }
        }
        Ok(Self {
            activation,
            params: muscles,
            fk_lanes: (0..k.len())
                .step_by(FIBRE_LANES)
                .map(|first| {
                    let last = (first + FIBRE_LANES).min(k.len()) - 1;
                    FibreConsts::lanes(|l| FibreConsts::new(&k[(first + l).min(last)]))
                })
                .collect(),
            fk: k.iter().map(FibreConsts::new).collect(),
            k,
            fibre: FibreIntegration::Explicit,
        })
    }

    /// The same model with the fibre integrated as `fibre` says.
    pub fn with_fibre_integration(mut self, fibre: FibreIntegration) -> Self {
        self.fibre = fibre;
        self
    }

    /// How the fibre is integrated.
    pub fn fibre_integration(&self) -> FibreIntegration {
        self.fibre
    }

    /// The per-muscle parameters.
    pub fn params(&self) -> &[HillParams] {
        &self.params
    }

    /// Normalised fibre velocity (optimal lengths per second) at which the contractile element
    /// produces `active_force` (in F_max) at this activation and normalised fibre length.
    fn normalized_velocity<S: Scalar>(&self, len_n: S, activation: S, active_force: S) -> S {
        let c = S::c;
        let flce = kistemaker_flce(len_n);
        let a_rel_st = select(len_n.lt(S::one()), c(0.41) * flce, c(0.41));
        let b_rel_st = b_rel_st(activation);
        let f_x_a = flce * activation;
        let dfdvcon0 = (f_x_a + activation * a_rel_st) / b_rel_st;
        // one division shared by p1 and the p2 term (divisions dominate this function)
        let inv_den = S::one() / (c(S_AS) - dfdvcon0 * c(2.0));
        let half = f_x_a * c(0.5);
        let p1 = -half * inv_den;
        let p3 = c(-1.5) * f_x_a;
        let p2_term = c(4.0) * half * half * c(-S_AS) * inv_den;
        let f = active_force;
        let sqrt_term = (f * f
            + c(2.0) * f * p1 * c(S_AS)
            + c(2.0) * f * p3
            + p1 * p1 * c(S_AS * S_AS)
            + c(2.0) * p1 * p3 * c(S_AS)
            + p2_term
            + p3 * p3)
            .clamp_min(S::zero());
        // √0 = 0 taken as a constant: a dual number's √ at 0 has slope ∞, and ∞ · 0 is NaN
        // (at zero activation with a slack tendon every term is 0 and the derivative with it)
        let root = select(sqrt_term.gt(S::zero()), sqrt_term.sqrt(), S::zero());
        let concentric = f.lt(f_x_a);
        let nom = select(
            concentric,
            b_rel_st * (f - f_x_a),
            -f + p1 * c(S_AS) - p3 - root,
        );
        let den = select(concentric, f + activation * a_rel_st, c(-2.0 * S_AS));
        nom / den
    }

    /// Residual of the force equilibrium at the normalised fibre length `x` (optimal lengths)
    /// and its derivative d/dx along x = base + v/inv_tau, both in F_max: R = max(0, f_se − f_pe)
    /// − F_ce, where F_ce is the active force at activation `a` (with `b = b_rel_st(a)`) and
    /// normalised velocity `v`, i.e. the force–velocity relation that
    /// [`Self::normalized_velocity`] inverts. `x_mt` is the musculotendon length in optimal
    /// lengths. R decreases with x wherever the velocity term dominates; R ≥ 0 at
    /// v ≤ −13 and R ≤ 0 where the tendon is slack and v ≥ 0 (see [`Self::solve_fibre`]).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn residual<S: Scalar, C: Coef<S>>(
        k: &FibreConsts<C>,
        a: S,
        b: S,
        inv_b: S,
        x: S,
        v: S,
        inv_tau: f64,
        x_mt: S,
    ) -> (S, S) {
        let (r, dx, dv) = Self::residual_parts::<S, C, true>(k, a, b, inv_b, x, v, x_mt);
        (r, dx + dv.scale(inv_tau))
    }

    /// [`Self::residual`] with its partial derivatives along `x` and `v` apart: (R, ∂R/∂x,
    /// ∂R/∂v) (Newton's Jacobian of the coupled stages, [`Self::solve_stages`]).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn residual_xv<S: Scalar, C: Coef<S>>(
        k: &FibreConsts<C>,
        a: S,
        b: S,
        inv_b: S,
        x: S,
        v: S,
        x_mt: S,
    ) -> (S, S, S) {
        Self::residual_parts::<S, C, true>(k, a, b, inv_b, x, v, x_mt)
    }

    /// [`Self::residual`]'s value alone (the same operations; the slope is not computed).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn residual_value<S: Scalar, C: Coef<S>>(
        k: &FibreConsts<C>,
        a: S,
        b: S,
        inv_b: S,
        x: S,
        v: S,
        x_mt: S,
    ) -> S {
        Self::residual_parts::<S, C, false>(k, a, b, inv_b, x, v, x_mt).0
    }

    /// [`Self::residual_xv`], with the partial derivatives only where `SLOPE` (zero otherwise).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn residual_parts<S: Scalar, C: Coef<S>, const SLOPE: bool>(
        k: &FibreConsts<C>,
        a: S,
        b: S,
        inv_b: S,
        x: S,
        v: S,
        x_mt: S,
    ) -> (S, S, S) {
        let [r, rx, rv, _, _] =
            Self::residual_core::<S, C, SLOPE, false>(k, a, b, S::zero(), inv_b, x, v, x_mt);
        (r, rx, rv)
    }

    /// The residual of a stage with its partial derivatives along its activation `a`, length
    /// `x`, velocity `v` and musculotendon length `x_mt`, by hand: [R, ∂R/∂a, ∂R/∂x, ∂R/∂v,
    /// ∂R/∂x_mt], what [`Self::stage_partials`] gives on dual numbers (at `tau = 0`), to
    /// rounding, with the same one-sided slopes at the kinks (tested:
    /// `residual_partials_equal_the_dual_numbers`). For [`Self::step_vjp_lanes`].
    #[inline(always)]
    fn residual_partials(
        k: &FibreConsts<PerLane<FibreLanes>>,
        [a, x, v, x_mt]: [FibreLanes; 4],
    ) -> [FibreLanes; 5] {
        let b = b_rel_st(ClipDuals::variable(a, 0));
        let inv_b = FibreLanes::c(1.0) / b.re;
        let [r, rx, rv, ra, rm] = Self::residual_core::<FibreLanes, _, true, true>(
            k, a, b.re, b.eps[0], inv_b, x, v, x_mt,
        );
        [r, ra, rx, rv, rm]
    }

    /// The residual and, where `SLOPE`, its partial derivatives along `x` and `v` (zero
    /// otherwise), and where `INPUTS` (with `SLOPE`) along `a` and `x_mt`, given `db` =
    /// b_rel_st′(a): [R, ∂R/∂x, ∂R/∂v, ∂R/∂a, ∂R/∂x_mt]. Every clamp passes the derivative
    /// where it does not bind, as [`Scalar::clamp_min`] does on dual numbers.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn residual_core<S: Scalar, C: Coef<S>, const SLOPE: bool, const INPUTS: bool>(
        k: &FibreConsts<C>,
        a: S,
        b: S,
        db: S,
        inv_b: S,
        x: S,
        v: S,
        x_mt: S,
    ) -> [S; 5] {
        let c = S::c;
        let zero = S::zero();
        // tendon: strain e = (l_mt − l − l0_se) / l0_se, de/dx = −l0_ce / l0_se
        let e = k.lt.mul(x_mt - x).shift(-1.0);
        let e_c = e.clamp_min(zero);
        let fse_raw = c(K_SE) * e_c * e_c;
        let fse = fse_raw.clamp_max(S::one());
        let dfse = if SLOPE {
            select(e.gt(zero) & fse_raw.lt(S::one()), k.dfse.mul(e), zero)
        } else {
            zero
        };
        // passive fibre
        let m = k.neg_pe_n.add(x).clamp_min(zero);
        let fpe = k.k_pe.val() * m * m;
        let dfpe = if SLOPE { k.two_k_pe.mul(m) } else { zero };
        let g_raw = fse - fpe;
        let g = g_raw.clamp_min(zero);
        let taut = g_raw.gt(zero);
        let dg = if SLOPE {
            select(taut, dfse - dfpe, zero)
        } else {
            zero
        };
        // active force–length factor and the lengthening coefficient
        let fl = kistemaker_flce(x);
        let dfl = if SLOPE {
            select(
                fl.gt(c(MIN_FLCE)),
                x.shift(-1.0).scale(-2.0 / F_ISO_N_DEN),
                zero,
            )
        } else {
            zero
        };
        let shorter = x.lt(S::one());
        let arel = select(shorter, fl.scale(0.41), c(0.41));
        let darel = if SLOPE {
            select(shorter, dfl.scale(0.41), zero)
        } else {
            zero
        };
        let fxa = fl * a;
        let dfxa = if SLOPE { dfl * a } else { zero };
        // (two divisions below, each shared by two reciprocals: divisions dominate this
        // function's cost)
        // eccentric (v ≥ 0): F = 1.5·fxa + s·v + q / (v + p1), the inverse of the quadratic
        // branch of `normalized_velocity`; q = (fxa/2)²/D, p1 = −(fxa/2)/D, D = s − 2·dF/dv(0⁻)
        let dfdv0 = (fxa + a * arel) * inv_b;
        let ddfdv0 = if SLOPE {
            (dfxa + a * darel) * inv_b
        } else {
            zero
        };
        let d_raw = c(S_AS) - dfdv0.scale(2.0);
        let tiny = 1e-12;
        let d_free = d_raw.lt(c(-tiny)) | d_raw.gt(c(tiny));
        let d = select(d_free, d_raw, c(-tiny));
        let dd = if SLOPE {
            select(d_free, ddfdv0.scale(-2.0), zero)
        } else {
            zero
        };
        // concentric (v < 0): F = (b·fxa + v·a·arel) / (b − v), with b − v > b > 0; where
        // v ≥ 0 (F unused) the denominator is 1, so that the shared division stays finite
        let concentric = v.lt(zero);
        let den = select(concentric, b - v, S::one());
        let inv_den_d = S::one() / (den * d);
        let (inv_den, inv_d) = (d * inv_den_d, den * inv_den_d);
        let num_con = b * fxa + v * a * arel;
        let f_con = num_con * inv_den;
        let (df_con, dv_con) = if SLOPE {
            (
                (b * dfxa + v * a * darel) * inv_den,
                b * (a * arel + fxa) * inv_den * inv_den,
            )
        } else {
            (zero, zero)
        };
        let half = fxa.scale(0.5);
        let dhalf = if SLOPE { dfxa.scale(0.5) } else { zero };
        let p1 = -half * inv_d;
        let dp1 = if SLOPE {
            -(dhalf * d - half * dd) * inv_d * inv_d
        } else {
            zero
        };
        let q = half * half * inv_d;
        let dq = if SLOPE {
            (half * dhalf * d.scale(2.0) - half * half * dd) * inv_d * inv_d
        } else {
            zero
        };
        // w ≥ p1 > 0 for v ≥ 0 wherever D < 0 (activation above ~1e-5); floored otherwise
        let w_raw = v + p1;
        let w_free = !w_raw.lt(c(1e-6));
        let w = select(w_free, w_raw, c(1e-6));
        let inv_w = S::one() / w;
        let f_ecc = fxa.scale(1.5) + v.scale(S_AS) + q * inv_w;
        let q_w2 = q * inv_w * inv_w;
        let (df_ecc, dv_ecc) = if SLOPE {
            (
                dfxa.scale(1.5) + dq * inv_w - select(w_free, dp1, zero) * q_w2,
                c(S_AS) - select(w_free, q_w2, zero),
            )
        } else {
            (zero, zero)
        };
        if !SLOPE {
            return [g - select(concentric, f_con, f_ecc), zero, zero, zero, zero];
        }
        let f = select(concentric, f_con, f_ecc);
        let df = select(concentric, df_con, df_ecc);
        let dv = select(concentric, dv_con, dv_ecc);
        if !INPUTS {
            return [g - f, dg - df, -dv, zero, zero];
        }
        // along a (b = b_rel_st(a), db = b′(a)): the same chain through fxa, b and D
        let inv_b_a = -db * inv_b * inv_b;
        let dfdv0_a = (fl + arel) * inv_b + (fxa + a * arel) * inv_b_a;
        let d_a = select(d_free, dfdv0_a.scale(-2.0), zero);
        let den_a = select(concentric, db, zero);
        let inv_den_d_a = -(den_a * d + den * d_a) * inv_den_d * inv_den_d;
        let inv_den_a = d_a * inv_den_d + d * inv_den_d_a;
        let inv_d_a = den_a * inv_den_d + den * inv_den_d_a;
        let f_con_a = (db * fxa + b * fl + v * arel) * inv_den + num_con * inv_den_a;
        let half_a = fl.scale(0.5);
        let p1_a = -(half_a * inv_d + half * inv_d_a);
        let q_a = (half * half_a).scale(2.0) * inv_d + half * half * inv_d_a;
        let f_ecc_a = fl.scale(1.5) + q_a * inv_w - select(w_free, p1_a, zero) * q_w2;
        let df_a = select(concentric, f_con_a, f_ecc_a);
        // along x_mt: the tendon alone, de/dx_mt = −de/dx
        let dg_mt = select(taut, zero - dfse, zero);
        [g - f, dg - df, -dv, zero - df_a, dg_mt]
    }

    /// Backward-Euler fibre length: the normalised length x (optimal lengths) where the force
    /// equilibrium [`Self::residual`] holds with velocity (x − base)/tau, by at most
    /// [`NEWTON_ITERATIONS`] Newton iterations from `guess`, kept inside a bracket
    /// [lo, hi] with R(lo) ≥ 0 ≥ R(hi) (a step that leaves it bisects instead), until a step
    /// from |R| < [`NEWTON_TOLERANCE`], which on dual numbers also makes the derivative parts
    /// the implicit-function derivative.
    ///
    /// The bracket: at v = −13, below every concentric branch's zero-force velocity
    /// (−b·f_l/a_rel ≥ −5.2/0.41 = −12.7), the active force is negative, so R(lo) ≥ 0; at the
    /// larger of `base` and the length where the tendon goes slack, the tendon pulls nothing
    /// and the velocity is ≥ 0, so the active force is ≥ 0 and R(hi) ≤ 0.
    ///
    /// Returns the velocity, and 1 where the solve converged (0 where its iterations ran out).
    fn solve_fibre<S: Scalar, C: Coef<S>>(
        k: &FibreConsts<C>,
        a: S,
        base: S,
        tau: f64,
        x_mt: S,
        guess: S,
    ) -> (S, S) {
        // the unknown is the velocity v (x = base + tau·v), so that f32 keeps its precision
        let inv_tau = 1.0 / tau;
        let b = b_rel_st(a);
        let inv_b = S::one() / b;
        let mut lo = S::c(-13.0);
        let slack = (k.neg_se_n.add(x_mt) - base).scale(inv_tau);
        let hi = slack.clamp_min(S::zero());
        // and at v = 1000.5 the active force is > 1 ≥ the tendon's
        let mut hi = hi.clamp_max(S::c(1000.5));
        let mut v = guess.clamp(lo, hi);
        // lanes that have converged keep their value, so that a pack of lanes computes each
        // lane exactly as a single number does (which stops where it converges)
        let mut done = v.lt(v);
        for _ in 0..NEWTON_ITERATIONS {
            let x = base + v.scale(tau);
            let (r, j) = Self::residual(k, a, b, inv_b, x, v, inv_tau, x_mt);
            let right = r.gt(S::zero());
            lo = select(right, v, lo);
            hi = select(right, hi, v);
            // R decreases with v where Newton is meaningful; a slope ≥ 0 gives a huge step,
            // which leaves the bracket and bisects
            let j = j.scale(tau).clamp_max(S::c(-1e-12));
            let step = r / j;
            let newton = v - step;
            // Newton where it lands inside the bracket and moves less than half its width
            // (else it may cycle across a kink, e.g. where the tendon force reaches its clamp)
            let half_width = (hi - lo).scale(0.5);
            let inside =
                newton.ge(lo) & newton.le(hi) & step.lt(half_width) & (-step).lt(half_width);
            v = select(done, v, select(inside, newton, lo + half_width));
            // converged: this Newton step also made the derivative parts the implicit-function
            // derivative (the slope is exact), so further steps would change nothing
            done = done | (inside & r.lt(S::c(NEWTON_TOLERANCE)) & r.gt(S::c(-NEWTON_TOLERANCE)));
            if done.all() {
                break;
            }
        }
        (v, select(done, S::one(), S::zero()))
    }

    /// The two coupled stages of a Radau IIA sub-step of `h` (s) from the normalised fibre
    /// length `x`: the velocities K₁, K₂ (normalised) where the force equilibrium
    /// [`Self::residual`] holds at each stage's activation `a[i]`, musculotendon length
    /// `x_mt[i]`, velocity Kᵢ and length Xᵢ = x + h·Σⱼ Aᵢⱼ·Kⱼ ([`RADAU_A`]). Damped Newton on
    /// the pair from `guess` (each velocity kept in [−13, 1000.5], the bracket of
    /// [`Self::solve_fibre`]; the Jacobian from [`Self::residual_xv`]): a step that does not
    /// lower R₁² + R₂² is halved (down to [`RADAU_SMALLEST_STEP`]), for at most
    /// [`RADAU_ITERATIONS`] residual evaluations, until the residuals and the step are below
    /// [`RADAU_TOLERANCE`] (the step relative to 1 + |K|), when the lane takes that last step.
    /// Lanes where that runs out start again from the stages solved one at a time
    /// ([`RADAU_SWEEPS`] Gauss–Seidel sweeps of bracketed solves). `f32` stops on the residuals
    /// alone ([`RADAU_COARSE_TOLERANCE`]) and takes two more steps. Plain numbers stop there;
    /// dual numbers keep those values and take the derivative parts of one more Newton step,
    /// which at the solution are the implicit-function derivative.
    ///
    /// Returns the velocities, and 1 where the iterations converged (0 where they ran out: the
    /// caller takes [`Self::sdirk_step`] there instead).
    fn solve_stages<S: Scalar, C: Coef<S>>(
        k: &FibreConsts<C>,
        a: [S; 2],
        x: S,
        h: f64,
        x_mt: [S; 2],
        guess: [S; 2],
    ) -> ([S; 2], S) {
        let [[a11, a12], [a21, a22]] = RADAU_A;
        let b = a.map(b_rel_st);
        let inv_b = b.map(|b| S::one() / b);
        // the residuals at the velocities `kk` and the Newton step on the pair (J⁻¹·R, with
        // J = ∂(R₁, R₂)/∂(K₁, K₂))
        let newton = |kk: [S; 2]| {
            let [x1, x2] = radau_stage_lengths(x, kk, h);
            let (r1, r1x, r1v) = Self::residual_xv(k, a[0], b[0], inv_b[0], x1, kk[0], x_mt[0]);
            let (r2, r2x, r2v) = Self::residual_xv(k, a[1], b[1], inv_b[1], x2, kk[1], x_mt[1]);
            let [[j11, j12], [j21, j22]] = radau_jacobian(h, [[r1x, r1v], [r2x, r2v]]);
            let inv_det = S::one() / (j11 * j22 - j12 * j21);
            let d1 = (j22 * r1 - j12 * r2) * inv_det;
            let d2 = (j11 * r2 - j21 * r1) * inv_det;
            ([r1, r2], [d1, d2])
        };
        let (lo, hi) = (S::c(-13.0), S::c(1000.5));
        let mut kk = guess.map(|g| g.clamp(lo, hi));
        let within = |r: S, t: f64| r.lt(S::c(t)) & r.gt(S::c(-t));
        let mut done = x.lt(x);
        // a number type coarser than f64 (f32) cannot reach RADAU_TOLERANCE, nor bound the
        // step where the residual is flat (its rounding alone moves it)
        let coarse = S::c(1.0 + 1e-12).lane(0) == 1.0;
        let (tol, step_tol) = if coarse {
            (RADAU_COARSE_TOLERANCE, f64::INFINITY)
        } else {
            (RADAU_TOLERANCE, RADAU_TOLERANCE)
        };
        // damped Newton on the pair from `kk` in the lanes not done (at most RADAU_ITERATIONS
        // residual evaluations): a step that does not lower R₁² + R₂² is halved, until a
        // converged lane takes its full step and stops
        let abs = |v: S| select(v.lt(S::zero()), -v, v);
        let iterate = |mut kk: [S; 2], mut done: S::Mask| {
            let (mut r, mut d) = newton(kk);
            let merit = |r: [S; 2]| r[0] * r[0] + r[1] * r[1];
            let mut m = merit(r);
            let mut lambda = S::one();
            for _ in 0..RADAU_ITERATIONS {
                // converged: a step this small (relative to the velocity) from residuals this
                // small leaves the velocities ~1e-14 from the solution
                let moved = |d: S, k: S| within(d / (S::one() + abs(k)), step_tol);
                let now =
                    within(r[0], tol) & within(r[1], tol) & moved(d[0], kk[0]) & moved(d[1], kk[1]);
                let full = [0, 1].map(|i| (kk[i] - d[i]).clamp(lo, hi));
                let stop = now & !done;
                kk = [0, 1].map(|i| select(stop, full[i], kk[i]));
                done = done | now;
                if done.all() {
                    break;
                }
                let trial = [0, 1].map(|i| (kk[i] - lambda * d[i]).clamp(lo, hi));
                let (rt, dt) = newton(trial);
                let mt = merit(rt);
                let take = (mt.lt(m) | lambda.lt(S::c(RADAU_SMALLEST_STEP))) & !done;
                kk = [0, 1].map(|i| select(take, trial[i], kk[i]));
                r = [0, 1].map(|i| select(take, rt[i], r[i]));
                d = [0, 1].map(|i| select(take, dt[i], d[i]));
                m = select(take, mt, m);
                lambda = select(take, S::one(), lambda.scale(0.5));
            }
            (kk, done)
        };
        (kk, done) = iterate(kk, done);
        if !done.all() {
            // lanes where Newton ran out (a first guess far off): a new first guess from the
            // stages solved one at a time, each with the other's velocity held (Gauss–Seidel,
            // every solve bracketed: Self::solve_fibre), then Newton again
            let mut g = kk;
            for _ in 0..RADAU_SWEEPS {
                let base1 = x + g[1].scale(h * a12);
                g[0] = Self::solve_fibre(k, a[0], base1, h * a11, x_mt[0], g[0]).0;
                let base2 = x + g[0].scale(h * a21);
                g[1] = Self::solve_fibre(k, a[1], base2, h * a22, x_mt[1], g[1]).0;
            }
            let start = [select(done, kk[0], g[0]), select(done, kk[1], g[1])];
            (kk, done) = iterate(start, done);
        }
        if coarse {
            // polish to the type's rounding where the residual is flat
            for _ in 0..2 {
                let (_, d) = newton(kk);
                kk = [0, 1].map(|i| select(done, (kk[i] - d[i]).clamp(lo, hi), kk[i]));
            }
        }
        if !plain::<S>() {
            // derivative parts: one more Newton step's, which at the solution are the
            // implicit-function derivative −J⁻¹·∂R/∂(inputs) (the values stay the plain
            // numbers' own)
            let (_, d) = newton(kk);
            kk = [0, 1].map(|i| S::from_lanes(|l| kk[i].lane(l)) + derivative_parts(kk[i] - d[i]));
        }
        (kk, select(done, S::one(), S::zero()))
    }

    /// The residual R of [`Self::solve_fibre`] at a stage's solution `v`, with its
    /// derivatives along the stage's activation `a`, its base length `base`, the velocity `v`
    /// (along x = base + tau·v: the slope Newton steps by) and the musculotendon length `x_mt`,
    /// in this order: the residual code itself on dual numbers ([`StageDuals`]), for the
    /// muscles of a pack side by side.
    fn stage_partials(
        k: &FibreConsts<PerLane<FibreLanes>>,
        [a, base, v, x_mt]: [FibreLanes; 4],
        tau: f64,
    ) -> StageDuals {
        let a = StageDuals::variable(a, 0);
        let base = StageDuals::variable(base, 1);
        let v = StageDuals::variable(v, 2);
        let x_mt = StageDuals::variable(x_mt, 3);
        let x = base + v.scale(tau);
        let b = b_rel_st(a);
        Self::residual_value(k, a, b, StageDuals::one() / b, x, v, x_mt)
    }

    /// [`FibreIntegration::Implicit`]'s step (see there) of muscle `m`; `derivative[1]` is the
    /// excitation.
    #[allow(clippy::too_many_arguments)]
    fn integrate_implicit<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        mt_vel: S,
        new_state: &mut [S],
    ) {
        let io = StepIo {
            derivative,
            state,
            mt_len,
            mt_vel,
        };
        let mut stages = Newton { path: None };
        let fallback = || Newton { path: None };
        self.fibre_step(&self.fk[m], dt, io, new_state, &mut stages, fallback);
    }

    /// The implicit step by the two-stage SDIRK method ([`SDIRK2_GAMMA`]) in sub-steps of at
    /// most [`FIBRE_SUBSTEP`], each stage solved by `stages` ([`StageSolver::velocity`]): the
    /// safeguarded step [`Self::fibre_step`] falls back to.
    fn sdirk_step<S: Scalar, C: Coef<S>>(
        &self,
        k: &FibreConsts<C>,
        dt: f64,
        io: StepIo<'_, S>,
        new_state: &mut [S],
        stages: &mut impl StageSolver<S, C>,
    ) {
        let StepIo {
            derivative,
            state,
            mt_len,
            mt_vel,
        } = io;
        let dt = dt.max(1e-9);
        let u = self.activation.clip(derivative[1]);
        let (n, h) = substeps(dt, FIBRE_SUBSTEP);
        let gamma = SDIRK2_GAMMA;
        let a0 = self.activation.clip(state[0]);
        let mut a = a0;
        let mut x = k.inv_l0_ce.mul(state[1]);
        // the previous step's velocity (normalised) is the first guess
        let mut vel = k.inv_vmax.mul(state[2]);
        // the musculotendon length during the step, extrapolated from its length, velocity and
        // the acceleration seen since the previous step: l(t) = l + t·v + t²·acc/2
        let mt_path = MtPath::new(mt_len, mt_vel, state[6], dt);
        let mt_len_at = |t: f64| mt_path.at(t);
        let mut l_mt = mt_len;
        // first guesses: the stage velocities extrapolated linearly in time from the last two
        // (at the first stage of the step, the stored velocity alone); the stage before the
        // current sub-step's start is the previous sub-step's stage 1, `prev_k1`
        let stage1_time = |i: usize| i as f64 * h + gamma * h;
        let mut prev_k1: Option<S> = None;
        for i in 0..n {
            let t0 = i as f64 * h;
            let (t1, t2) = (t0 + gamma * h, t0 + h);
            // stage 1 at t0 + γh: X1 = x + γh·K1
            let x_mt1 = k.inv_l0_ce.mul(mt_len_at(t1));
            let a1 = stages.activation(&self.activation, a0, u, dt, t1);
            let g1 = match prev_k1 {
                Some(vp) => vel + (vel - vp).scale((t1 - t0) / (t0 - stage1_time(i - 1))),
                None => vel,
            };
            let k1 = stages.velocity(k, a1, x, gamma * h, x_mt1, g1);
            // stage 2 at t0 + h: X2 = x + (1 − γ)h·K1 + γh·K2, and x(t0 + h) = X2
            l_mt = mt_len_at(t2);
            let x_mt2 = k.inv_l0_ce.mul(l_mt);
            let base = x + k1.scale((1.0 - gamma) * h);
            a = stages.activation(&self.activation, a0, u, dt, t2);
            let g2 = k1 + (k1 - vel).scale((t2 - t1) / (t1 - t0));
            vel = stages.velocity(k, a, base, gamma * h, x_mt2, g2);
            prev_k1 = Some(k1);
            x = base + vel.scale(gamma * h);
        }
        Self::step_end(k, [a, x, vel, l_mt, mt_vel], new_state);
    }

    /// The new state of an implicit step from its end's activation, normalised fibre length
    /// and velocity, and musculotendon length (m) and velocity (m/s).
    #[inline(always)]
    fn step_end<S: Scalar, C: Coef<S>>(
        k: &FibreConsts<C>,
        [a, x, vel, l_mt, mt_vel]: [S; 5],
        new_state: &mut [S],
    ) {
        let len = k.l0_ce.mul(x);
        let tendon_strain = k
            .inv_l0_se
            .mul(k.neg_l0_se.add(l_mt - len))
            .clamp_min(S::zero());
        let muscle_strain = k.inv_l0_ce.mul(k.neg_l0_pe.add(len)).clamp_min(S::zero());
        let flse = (S::c(K_SE) * tendon_strain * tendon_strain).clamp_max(S::one());
        let flpe = k.k_pe.val() * muscle_strain * muscle_strain;
        new_state[0] = a;
        new_state[1] = len;
        new_state[2] = k.vmax.mul(vel);
        new_state[3] = flpe;
        new_state[4] = flse;
        new_state[5] = (flse - flpe).clamp_min(S::zero());
        new_state[6] = mt_vel;
        new_state[7] = k.f_max.mul(flse);
    }

    /// [`FibreIntegration::Implicit`]'s step with the constants `k` of one muscle, or of one
    /// muscle per lane: Radau IIA sub-steps ([`Self::radau_step`]) with `stages`, and in the
    /// lanes where their Newton iterations ran out (extreme inputs), the safeguarded SDIRK
    /// sub-steps ([`Self::sdirk_step`]) with the solver `fallback` gives.
    fn fibre_step<S: Scalar, C: Coef<S>, B: StageSolver<S, C>>(
        &self,
        k: &FibreConsts<C>,
        dt: f64,
        io: StepIo<'_, S>,
        new_state: &mut [S],
        stages: &mut impl StageSolver<S, C>,
        fallback: impl FnOnce() -> B,
    ) {
        let converged = self.radau_step(k, dt, io, new_state, stages);
        let failed = converged.lt(S::c(0.5));
        if failed.any() {
            let mut alt = [S::zero(); 8];
            let alt = &mut alt[..new_state.len()];
            self.sdirk_step(k, dt, io, alt, &mut fallback());
            for (y, &a) in new_state.iter_mut().zip(alt.iter()) {
                *y = select(failed, a, *y);
            }
        }
    }

    /// The implicit step by Radau IIA ([`RADAU_A`]) in sub-steps of at most [`RADAU_SUBSTEP`],
    /// each solved by `stages` ([`StageSolver::stages`]) from first guesses linear in time
    /// through the previous sub-step's stage velocities (at the first sub-step, the stored
    /// velocity). Returns 1 where every sub-step's iterations converged, 0 elsewhere.
    fn radau_step<S: Scalar, C: Coef<S>>(
        &self,
        k: &FibreConsts<C>,
        dt: f64,
        io: StepIo<'_, S>,
        new_state: &mut [S],
        stages: &mut impl StageSolver<S, C>,
    ) -> S {
        let StepIo {
            derivative,
            state,
            mt_len,
            mt_vel,
        } = io;
        let dt = dt.max(1e-9);
        let u = self.activation.clip(derivative[1]);
        let (n, h) = substeps(dt, RADAU_SUBSTEP);
        let [_, [a21, a22]] = RADAU_A;
        let a0 = self.activation.clip(state[0]);
        let mut a = a0;
        let mut x = k.inv_l0_ce.mul(state[1]);
        let mut vel = k.inv_vmax.mul(state[2]);
        let mt_path = MtPath::new(mt_len, mt_vel, state[6], dt);
        let mt_len_at = |t: f64| mt_path.at(t);
        let mut l_mt = mt_len;
        let mut converged = S::one();
        let mut prev_k1: Option<S> = None;
        for i in 0..n {
            let t0 = i as f64 * h;
            let (t1, t2) = (t0 + h / 3.0, t0 + h);
            l_mt = mt_len_at(t2);
            let x_mt = [k.inv_l0_ce.mul(mt_len_at(t1)), k.inv_l0_ce.mul(l_mt)];
            let a1 = stages.activation(&self.activation, a0, u, dt, t1);
            a = stages.activation(&self.activation, a0, u, dt, t2);
            // the previous sub-step's stages were at t0 − 2h/3 and t0
            let guess = match prev_k1 {
                Some(k1) => {
                    let slope = (vel - k1).scale(1.5);
                    [vel + slope.scale(1.0 / 3.0), vel + slope]
                }
                None => [vel, vel],
            };
            let ([k1, k2], c) = stages.stages(k, [a1, a], x, h, x_mt, guess);
            converged *= c;
            x += (k1.scale(a21) + k2.scale(a22)).scale(h);
            vel = k2;
            prev_k1 = Some(k1);
        }
        Self::step_end(k, [a, x, vel, l_mt, mt_vel], new_state);
        converged
    }
}

/// The Radau IIA stage lengths X₁, X₂ of a sub-step of `h` (s) from the length `x` with the
/// stage velocities `k`: Xᵢ = x + h·Σⱼ Aᵢⱼ·Kⱼ.
#[inline(always)]
fn radau_stage_lengths<S: Scalar>(x: S, [k1, k2]: [S; 2], h: f64) -> [S; 2] {
    let [[a11, a12], [a21, a22]] = RADAU_A;
    [
        x + (k1.scale(a11) + k2.scale(a12)).scale(h),
        x + (k1.scale(a21) + k2.scale(a22)).scale(h),
    ]
}

/// J = ∂(R₁, R₂)/∂(K₁, K₂) of a Radau IIA sub-step of `h` (s), from each stage residual's
/// partials `[∂Rᵢ/∂x, ∂Rᵢ/∂v]` (x through Xᵢ, v its own velocity).
#[inline(always)]
fn radau_jacobian<S: Scalar>(h: f64, [[r1x, r1v], [r2x, r2v]]: [[S; 2]; 2]) -> [[S; 2]; 2] {
    let [[a11, a12], [a21, a22]] = RADAU_A;
    [
        [r1x.scale(h * a11) + r1v, r1x.scale(h * a12)],
        [r2x.scale(h * a21), r2x.scale(h * a22) + r2v],
    ]
}

/// The musculotendon length (m) during a step of `dt` (s), extrapolated from its length
/// `len`, velocity `vel` and the acceleration seen since the previous step (whose velocity was
/// `vel_before`): l(t) = len + t·vel + t²·(vel − vel_before)/(2·dt).
#[derive(Clone, Copy)]
struct MtPath<S> {
    len: S,
    vel: S,
    half_acc: S,
}

impl<S: Scalar> MtPath<S> {
    #[inline(always)]
    fn new(len: S, vel: S, vel_before: S, dt: f64) -> Self {
        let half_acc = (vel - vel_before).scale(0.5 / dt);
        Self { len, vel, half_acc }
    }

    /// l(t), `t` (s) since the step's start.
    #[inline(always)]
    fn at(&self, t: f64) -> S {
        self.len + (self.vel + self.half_acc.scale(t)).scale(t)
    }

    /// ∂l(t)/∂(vel, vel_before) (s); ∂l(t)/∂len is 1.
    #[inline(always)]
    fn slopes(t: f64, dt: f64) -> (f64, f64) {
        let quad = 0.5 / dt * t * t;
        (t + quad, -quad)
    }
}

/// Sub-steps of at most `largest` (s) in a step of `dt` (s): how many, and their length (s).
fn substeps(dt: f64, largest: f64) -> (usize, f64) {
    let dt = dt.max(1e-9);
    let n = (dt / largest).ceil().max(1.0) as usize;
    (n, dt / n as f64)
}

/// The inputs of one muscle's step (or of one muscle per lane): `derivative` and `state` as in
/// [`MuscleModel::integrate`], the musculotendon length (m) and velocity (m/s).
#[derive(Clone, Copy)]
struct StepIo<'a, S> {
    derivative: &'a [S],
    state: &'a [S],
    mt_len: S,
    mt_vel: S,
}

/// What the implicit step does at each stage ([`CompliantTendonHillMuscle::fibre_step`]):
/// where its activation comes from and how its velocity is solved.
trait StageSolver<S: Scalar, C> {
    /// The activation at `t` (s since the start of a step of `dt`; at least every earlier
    /// call's `t`) from the clipped activation `a0` under the clipped excitation `u`.
    fn activation(&mut self, act: &ActivationDynamics, a0: S, u: S, dt: f64, t: f64) -> S;
    /// The stage's normalised fibre velocity ([`CompliantTendonHillMuscle::solve_fibre`]'s
    /// arguments) of an SDIRK sub-step.
    fn velocity(&mut self, k: &FibreConsts<C>, a: S, base: S, tau: f64, x_mt: S, guess: S) -> S;
    /// The stage velocities of a Radau IIA sub-step, and 1 where they converged
    /// ([`CompliantTendonHillMuscle::solve_stages`]'s arguments and result).
    fn stages(
        &mut self,
        k: &FibreConsts<C>,
        a: [S; 2],
        x: S,
        h: f64,
        x_mt: [S; 2],
        guess: [S; 2],
    ) -> ([S; 2], S);
}

/// The stages of one number type: [`ActivationPath`] and
/// [`CompliantTendonHillMuscle::solve_fibre`] on it (on dual numbers, the iterations carry
/// the derivatives).
struct Newton<S> {
    path: Option<ActivationPath<S>>,
}

impl<S: Scalar, C: Coef<S>> StageSolver<S, C> for Newton<S> {
    #[inline(always)]
    fn activation(&mut self, act: &ActivationDynamics, a0: S, u: S, dt: f64, t: f64) -> S {
        self.path
            .get_or_insert_with(|| ActivationPath::new(act, a0, u, dt))
            .at(act, t)
    }
    #[inline(always)]
    fn velocity(&mut self, k: &FibreConsts<C>, a: S, base: S, tau: f64, x_mt: S, guess: S) -> S {
        CompliantTendonHillMuscle::solve_fibre(k, a, base, tau, x_mt, guess).0
    }
    #[inline(always)]
    fn stages(
        &mut self,
        k: &FibreConsts<C>,
        a: [S; 2],
        x: S,
        h: f64,
        x_mt: [S; 2],
        guess: [S; 2],
    ) -> ([S; 2], S) {
        CompliantTendonHillMuscle::solve_stages(k, a, x, h, x_mt, guess)
    }
}

/// The stages of a pack's step on [`StepDuals`] ([`MuscleModel::integrate_all`] on dual
/// numbers): each stage solved by [`CompliantTendonHillMuscle::solve_stages`] (or, in the
/// SDIRK fallback, [`CompliantTendonHillMuscle::solve_fibre`]) on the `f64`
/// lanes of its values (the `f64` step's numbers, to the rounding of the dual numbers'
/// divisions), or taken from a record of the `f64` step, its derivative parts those of the
/// implicit-function theorem, −(∂R/∂a·da + ∂R/∂base·dbase + ∂R/∂x_mt·dx_mt)/(dR/dv), from the
/// residual's partial derivatives there ([`CompliantTendonHillMuscle::stage_partials`]): what
/// the iterations give dual numbers once converged, without iterating on them. Lanes whose
/// iterations ran out (an extreme input) take the solve on the dual numbers from the same
/// first guess. The stage activations: [`ActivationPath`] on [`ActivationLanes`] (directions:
/// the clipped activation and excitation), composed by the chain rule.
struct LanesIft<'r> {
    path: Option<ActivationPath<ActivationLanes>>,
    /// The stage solutions a [`Recording`] left for these inputs, not yet used: per Radau IIA
    /// sub-step, its two stage velocities' lanes, then its convergence lanes (1 or 0).
    recorded: Option<&'r [f64]>,
}

/// [`Newton`] on `f64` lanes that also appends each Radau IIA sub-step's solution to `out`:
/// its two stage velocities' lanes, then its convergence lanes (1 where the iterations
/// converged, 0 where they ran out), for [`LanesIft`] to reuse.
struct Recording<'r> {
    lanes: Newton<FibreLanes>,
    out: &'r mut Vec<f64>,
}

impl StageSolver<FibreLanes, PerLane<FibreLanes>> for Recording<'_> {
    #[inline(always)]
    fn activation(
        &mut self,
        act: &ActivationDynamics,
        a0: FibreLanes,
        u: FibreLanes,
        dt: f64,
        t: f64,
    ) -> FibreLanes {
        StageSolver::<_, PerLane<FibreLanes>>::activation(&mut self.lanes, act, a0, u, dt, t)
    }
    #[inline(always)]
    fn velocity(
        &mut self,
        k: &FibreConsts<PerLane<FibreLanes>>,
        a: FibreLanes,
        base: FibreLanes,
        tau: f64,
        x_mt: FibreLanes,
        guess: FibreLanes,
    ) -> FibreLanes {
        self.lanes.velocity(k, a, base, tau, x_mt, guess)
    }
    #[inline(always)]
    fn stages(
        &mut self,
        k: &FibreConsts<PerLane<FibreLanes>>,
        a: [FibreLanes; 2],
        x: FibreLanes,
        h: f64,
        x_mt: [FibreLanes; 2],
        guess: [FibreLanes; 2],
    ) -> ([FibreLanes; 2], FibreLanes) {
        let (v, converged) = self.lanes.stages(k, a, x, h, x_mt, guess);
        self.out.extend_from_slice(&v[0].0);
        self.out.extend_from_slice(&v[1].0);
        self.out.extend_from_slice(&converged.0);
        (v, converged)
    }
}

/// What [`CompliantTendonHillMuscle::integrate_all_lanes`] does with a record of its stage
/// solutions.
enum Record<'a> {
    /// Nothing.
    None,
    /// Append each pack's inputs (the [`RECORD_KEY`] entries) and its stage solutions
    /// ([`Recording`]).
    Write(&'a mut Vec<f64>),
    /// Take each pack's stage solutions from the front of the slice (advanced pack by pack)
    /// where its recorded inputs are the pack's own.
    Read(&'a [f64]),
}

/// Input lanes per pack that a record keeps to be checked against: excitation, activation,
/// fibre length and velocity, previous musculotendon velocity, musculotendon length and
/// velocity.
const RECORD_KEY: usize = 7;

/// The derivative parts of `s` times `e` (lane by lane), with value 0.
#[inline(always)]
fn along(s: StepDuals, e: FibreLanes) -> StepDuals {
    DualLanes {
        re: FibreLanes::c(0.0),
        eps: s.eps.map(|d| d * e),
    }
}

impl StageSolver<StepDuals, PerLane<FibreLanes>> for LanesIft<'_> {
    #[inline(always)]
    fn activation(
        &mut self,
        act: &ActivationDynamics,
        a0: StepDuals,
        u: StepDuals,
        dt: f64,
        t: f64,
    ) -> StepDuals {
        let a = self
            .path
            .get_or_insert_with(|| {
                let a0 = ActivationLanes::variable(a0.re, 0);
                ActivationPath::new(act, a0, ActivationLanes::variable(u.re, 1), dt)
            })
            .at(act, t);
        StepDuals::constant(a.re) + along(a0, a.eps[0]) + along(u, a.eps[1])
    }
    #[inline(always)]
    fn velocity(
        &mut self,
        k: &FibreConsts<PerLane<FibreLanes>>,
        a: StepDuals,
        base: StepDuals,
        tau: f64,
        x_mt: StepDuals,
        guess: StepDuals,
    ) -> StepDuals {
        type M = CompliantTendonHillMuscle;
        let (v, converged) = M::solve_fibre(k, a.re, base.re, tau, x_mt.re, guess.re);
        let r = M::stage_partials(k, [a.re, base.re, v, x_mt.re], tau);
        // the slope as the Newton steps clamp it
        let neg_inv_slope = FibreLanes::c(-1.0) / r.eps[2].clamp_max(FibreLanes::c(-1e-12));
        let dv = |i: usize| r.eps[i] * neg_inv_slope;
        let v_d =
            StepDuals::constant(v) + along(a, dv(0)) + along(base, dv(1)) + along(x_mt, dv(3));
        if converged.0.iter().all(|&c| c == 1.0) {
            return v_d;
        }
        // some lanes' iterations ran out: the same solve on these numbers, in those lanes
        let again = M::solve_fibre(k, a, base, tau, x_mt, StepDuals::constant(guess.re)).0;
        select(converged.gt(FibreLanes::c(0.5)), v_d, again)
    }
    #[inline(always)]
    fn stages(
        &mut self,
        k: &FibreConsts<PerLane<FibreLanes>>,
        a: [StepDuals; 2],
        x: StepDuals,
        h: f64,
        x_mt: [StepDuals; 2],
        guess: [StepDuals; 2],
    ) -> ([StepDuals; 2], StepDuals) {
        type M = CompliantTendonHillMuscle;
        let ([k1, k2], converged) = match self.recorded.take() {
            Some(rec) if rec.len() >= 3 * FIBRE_LANES => {
                self.recorded = Some(&rec[3 * FIBRE_LANES..]);
                let lanes = |at: usize| FibreLanes::from_lanes(|l| rec[at + l]);
                ([lanes(0), lanes(FIBRE_LANES)], lanes(2 * FIBRE_LANES))
            }
            _ => M::solve_stages(
                k,
                a.map(|a| a.re),
                x.re,
                h,
                x_mt.map(|x| x.re),
                guess.map(|g| g.re),
            ),
        };
        // the implicit-function derivative of the pair from each stage's partials along its
        // activation, length Xᵢ, velocity and musculotendon length
        let [x1, x2] = radau_stage_lengths(x.re, [k1, k2], h);
        let p1 = M::stage_partials(k, [a[0].re, x1, k1, x_mt[0].re], 0.0);
        let p2 = M::stage_partials(k, [a[1].re, x2, k2, x_mt[1].re], 0.0);
        let [[j11, j12], [j21, j22]] =
            radau_jacobian(h, [[p1.eps[1], p1.eps[2]], [p2.eps[1], p2.eps[2]]]);
        let inv_det = FibreLanes::c(1.0) / (j11 * j22 - j12 * j21);
        // dR_i along the inputs, at fixed velocities
        let rhs = |p: &StageDuals, a: StepDuals, x_mt: StepDuals| {
            along(a, p.eps[0]) + along(x, p.eps[1]) + along(x_mt, p.eps[3])
        };
        let (r1, r2) = (rhs(&p1, a[0], x_mt[0]), rhs(&p2, a[1], x_mt[1]));
        let neg = FibreLanes::c(0.0) - inv_det;
        let k1_d = StepDuals::constant(k1) + along(r1, j22 * neg) + along(r2, j12 * inv_det);
        let k2_d = StepDuals::constant(k2) + along(r2, j11 * neg) + along(r1, j21 * inv_det);
        ([k1_d, k2_d], StepDuals::constant(converged))
    }
}

/// The residual of a stage with its derivatives along the stage's activation, base length,
/// velocity and musculotendon length ([`CompliantTendonHillMuscle::stage_partials`]), for the
/// muscles of a pack side by side.
type StageDuals = DualLanes<4, FIBRE_LANES>;

/// The implicit step of a pack of muscles with its derivatives along the six inputs it reads
/// (in [`CompliantTendonHillMuscle::integrate_all_lanes`]'s order).
type StepDuals = DualLanes<6, FIBRE_LANES>;

/// The derivative parts of `s` alone: `s` less its values (lane by lane).
#[inline(always)]
fn derivative_parts<S: Scalar>(s: S) -> S {
    s - S::from_lanes(|l| s.lane(l))
}

/// A per-muscle constant of the implicit fibre step: the same `f64` in every lane, or one value
/// per lane ([`PerLane`], muscles solved side by side in SIMD lanes). Both compute each lane
/// with the same operations, so a lane gives the bits the single muscle does.
trait Coef<S: Scalar>: Copy {
    /// `k · x`.
    fn mul(self, x: S) -> S;
    /// `x + k`.
    fn add(self, x: S) -> S;
    /// `k`.
    fn val(self) -> S;
}

impl<S: Scalar> Coef<S> for f64 {
    #[inline(always)]
    fn mul(self, x: S) -> S {
        x.scale(self)
    }
    #[inline(always)]
    fn add(self, x: S) -> S {
        x.shift(self)
    }
    #[inline(always)]
    fn val(self) -> S {
        S::c(self)
    }
}

/// One constant per lane (see [`Coef`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct PerLane<S>(S);

impl<S: Scalar> Coef<S> for PerLane<S> {
    #[inline(always)]
    fn mul(self, x: S) -> S {
        x * self.0
    }
    #[inline(always)]
    fn add(self, x: S) -> S {
        x + self.0
    }
    #[inline(always)]
    fn val(self) -> S {
        self.0
    }
}

/// The per-lane constants on dual numbers of lanes ([`CompliantTendonHillMuscle::stage_partials`]).
impl<const N: usize> Coef<DualLanes<N, FIBRE_LANES>> for PerLane<FibreLanes> {
    #[inline(always)]
    fn mul(self, x: DualLanes<N, FIBRE_LANES>) -> DualLanes<N, FIBRE_LANES> {
        x * DualLanes::constant(self.0)
    }
    #[inline(always)]
    fn add(self, x: DualLanes<N, FIBRE_LANES>) -> DualLanes<N, FIBRE_LANES> {
        x + DualLanes::constant(self.0)
    }
    #[inline(always)]
    fn val(self) -> DualLanes<N, FIBRE_LANES> {
        DualLanes::constant(self.0)
    }
}

/// The constants of one muscle's implicit fibre step (`C = f64`), or of one muscle per lane,
/// derived once from [`HillConstants`] so that both forms use the same `f64` values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FibreConsts<C> {
    /// l0_ce / l0_se: tendon strain per optimal length.
    lt: C,
    /// −2·k_se·l0_ce/l0_se: d(tendon force)/d(fibre length) per unit strain.
    dfse: C,
    /// −l0_pe / l0_ce: the passive fibre's slack length, negated, in optimal lengths.
    neg_pe_n: C,
    /// −l0_se / l0_ce: the tendon's slack length, negated, in optimal lengths.
    neg_se_n: C,
    k_pe: C,
    two_k_pe: C,
    l0_ce: C,
    inv_l0_ce: C,
    neg_l0_se: C,
    inv_l0_se: C,
    neg_l0_pe: C,
    vmax: C,
    inv_vmax: C,
    f_max: C,
}

impl FibreConsts<f64> {
    fn new(k: &HillConstants) -> Self {
        let lt = k.l0_ce * k.inv_l0_se;
        Self {
            lt,
            dfse: -2.0 * K_SE * lt,
            neg_pe_n: -k.l0_pe * k.inv_l0_ce,
            neg_se_n: -k.l0_se * k.inv_l0_ce,
            k_pe: k.k_pe,
            two_k_pe: 2.0 * k.k_pe,
            l0_ce: k.l0_ce,
            inv_l0_ce: k.inv_l0_ce,
            neg_l0_se: -k.l0_se,
            inv_l0_se: k.inv_l0_se,
            neg_l0_pe: -k.l0_pe,
            vmax: k.vmax,
            inv_vmax: k.inv_vmax,
            f_max: k.f_max,
        }
    }
}

/// Muscles of one effector that [`FibreIntegration::Implicit`] advances side by side in `f64`
/// SIMD lanes ([`MuscleModel::integrate_all`]).
const FIBRE_LANES: usize = 8;

/// `f64` lanes of the side-by-side implicit step.
type FibreLanes = Lanes<f64, FIBRE_LANES>;

/// The side-by-side stage activations with their derivatives along the clipped activation and
/// excitation at the step's start.
type ActivationLanes = DualLanes<2, FIBRE_LANES>;

/// Whether `S` computes its value in `f64` (`f64`, and dual numbers over `f64`), so that the
/// `f64` lanes compute the same values: a constant keeps every bit of an `f64`.
fn value_is_f64<S: Scalar>() -> bool {
    let probe = std::f64::consts::PI;
    S::LANES == 1 && S::c(probe).lane(0) == probe
}

impl FibreConsts<f64> {
    /// The constants of muscle `of(l)` in lane `l`.
    fn lanes(of: impl Fn(usize) -> Self) -> FibreConsts<PerLane<FibreLanes>> {
        let g = |f: fn(&Self) -> f64| PerLane(FibreLanes::from_lanes(|l| f(&of(l))));
        FibreConsts {
            lt: g(|k| k.lt),
            dfse: g(|k| k.dfse),
            neg_pe_n: g(|k| k.neg_pe_n),
            neg_se_n: g(|k| k.neg_se_n),
            k_pe: g(|k| k.k_pe),
            two_k_pe: g(|k| k.two_k_pe),
            l0_ce: g(|k| k.l0_ce),
            inv_l0_ce: g(|k| k.inv_l0_ce),
            neg_l0_se: g(|k| k.neg_l0_se),
            inv_l0_se: g(|k| k.inv_l0_se),
            neg_l0_pe: g(|k| k.neg_l0_pe),
            vmax: g(|k| k.vmax),
            inv_vmax: g(|k| k.inv_vmax),
            f_max: g(|k| k.f_max),
        }
    }
}

impl CompliantTendonHillMuscle {
    /// [`FibreIntegration::Implicit`]'s [`MuscleModel::integrate_all`]: the muscles in packs of
    /// [`FIBRE_LANES`], each pack's step solved once in `f64` lanes (each lane computing the
    /// bits a single `f64` muscle does). For `f64` that is the result. For dual numbers over
    /// `f64`, the pack's step runs once on [`StepDuals`], six directions along the inputs it
    /// reads, with each stage solved on the lanes' values and given the implicit-function
    /// derivative ([`LanesIft`]); each muscle's new state is then the lanes' values with
    /// derivative parts by the chain rule from the Jacobian the lanes carry. Where this does
    /// not apply (the explicit update, other number types, a single muscle): muscle by muscle
    /// ([`crate::integrate_each`]).
    ///
    /// `record` ([`Record`]): `Write` (in `f64`) appends each pack's inputs and stage solutions
    /// ([`MuscleModel::integrate_all_record`]); `Read` (on dual numbers) takes a pack's stage
    /// solutions from it instead of solving, where its recorded inputs are this pack's, bit
    /// for bit ([`MuscleModel::integrate_all_replay`]); the result is the same to rounding
    /// (the record holds the `f64` step's own solutions).
    #[allow(clippy::too_many_arguments)]
    fn integrate_all_lanes<S: Scalar>(
        &self,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        new_state: &mut [S],
        mut record: Record<'_>,
    ) {
        let n_m = self.n_muscles();
        let plain = std::any::TypeId::of::<S>() == std::any::TypeId::of::<f64>();
        if self.fibre != FibreIntegration::Implicit || n_m < 2 || !value_is_f64::<S>() {
            crate::integrate_each(self, dt, derivative, state, mt_len, mt_vel, new_state);
            return;
        }
        let (ns, nd) = (self.n_states(), self.n_derivatives());
        for first in (0..n_m).step_by(FIBRE_LANES) {
            let count = (n_m - first).min(FIBRE_LANES);
            if count == 1 {
                let m = first;
                self.integrate_implicit(
                    m,
                    dt,
                    &derivative[m * nd..(m + 1) * nd],
                    &state[m * ns..(m + 1) * ns],
                    mt_len[m],
                    mt_vel[m],
                    &mut new_state[m * ns..(m + 1) * ns],
                );
                continue;
            }
            // lane l holds muscle first + l (the last muscle again in unused lanes)
            let muscle = |l: usize| first + l.min(count - 1);
            let lanes = |v: &[S], stride: usize, at: usize| {
                FibreLanes::from_lanes(|l| v[muscle(l) * stride + at].lane(0))
            };
            let k = &self.fk_lanes[first / FIBRE_LANES];
            let derivative_l = [lanes(derivative, nd, 0), lanes(derivative, nd, 1)];
            let mut state_l = [FibreLanes::c(0.0); 8];
            for (i, s) in state_l.iter_mut().enumerate().take(ns) {
                *s = lanes(state, ns, i);
            }
            let io = StepIo {
                derivative: &derivative_l,
                state: &state_l[..ns],
                mt_len: lanes(mt_len, 1, 0),
                mt_vel: lanes(mt_vel, 1, 0),
            };
            // the inputs that decide the pack's stage solves, which a record is checked against
            let key = [
                derivative_l[1],
                state_l[0],
                state_l[1],
                state_l[2],
                state_l[6],
                io.mt_len,
                io.mt_vel,
            ];
            let n_sub = substeps(dt.max(1e-9), RADAU_SUBSTEP).0;
            let pack_len = RECORD_KEY * FIBRE_LANES + 3 * FIBRE_LANES * n_sub;
            if plain {
                let mut out = [FibreLanes::c(0.0); 8];
                if let Record::Write(rec) = &mut record {
                    key.iter().for_each(|x| rec.extend_from_slice(&x.0));
                    let mut solver = Recording {
                        lanes: Newton { path: None },
                        out: rec,
                    };
                    let fallback = || Newton { path: None };
                    self.fibre_step(k, dt, io, &mut out[..ns], &mut solver, fallback);
                } else {
                    let (mut stages, fallback) = (Newton { path: None }, || Newton { path: None });
                    self.fibre_step(k, dt, io, &mut out[..ns], &mut stages, fallback);
                }
                for l in 0..count {
                    let m = first + l;
                    for (y, o) in new_state[m * ns..(m + 1) * ns].iter_mut().zip(&out) {
                        *y = S::c(o.lane(l));
                    }
                }
                continue;
            }
            // the step of the pack on dual numbers of lanes, along the inputs it reads:
            // activation, excitation, fibre length, musculotendon length and velocity, and the
            // previous musculotendon velocity (the stored fibre velocity only starts the
            // iterations)
            let var = StepDuals::variable;
            let mut state_d = [StepDuals::c(0.0); 8];
            for (d, &s) in state_d.iter_mut().zip(&state_l[..ns]) {
                *d = StepDuals::constant(s);
            }
            state_d[0] = var(state_l[0], 0);
            state_d[1] = var(state_l[1], 2);
            state_d[6] = var(state_l[6], 5);
            let derivative_d = [
                StepDuals::constant(derivative_l[0]),
                var(derivative_l[1], 1),
            ];
            let io = StepIo {
                derivative: &derivative_d,
                state: &state_d[..ns],
                mt_len: var(io.mt_len, 3),
                mt_vel: var(io.mt_vel, 4),
            };
            // this pack's part of a record, if it was written for these inputs
            let mut recorded = None;
            if let Record::Read(rec) = &mut record {
                let same = |(a, b): (&f64, &f64)| a.to_bits() == b.to_bits();
                if let Some(pack) = rec.get(..pack_len) {
                    let keys = key.iter().flat_map(|x| x.0.iter());
                    if keys.zip(&pack[..RECORD_KEY * FIBRE_LANES]).all(same) {
                        recorded = Some(&pack[RECORD_KEY * FIBRE_LANES..]);
                    }
                }
                *rec = rec.get(pack_len..).unwrap_or(&[]);
            }
            let mut out_d = [StepDuals::c(0.0); 8];
            let mut solver = LanesIft {
                path: None,
                recorded,
            };
            let fallback = || LanesIft {
                path: None,
                recorded: None,
            };
            self.fibre_step(k, dt, io, &mut out_d[..ns], &mut solver, fallback);
            // each muscle's new state: the pack's values, and its derivative parts by the chain
            // rule from the Jacobian the lanes carry
            for l in 0..count {
                let m = first + l;
                let st = &state[m * ns..(m + 1) * ns];
                let inputs = [
                    st[0],
                    derivative[m * nd + 1],
                    st[1],
                    mt_len[m],
                    mt_vel[m],
                    st[6],
                ]
                .map(derivative_parts);
                for (y, o) in new_state[m * ns..(m + 1) * ns].iter_mut().zip(&out_d) {
                    let mut v = S::c(o.re.lane(l));
                    for (d, e) in inputs.iter().zip(&o.eps) {
                        let e = e.lane(l);
                        if e != 0.0 {
                            v += d.scale(e);
                        }
                    }
                    *y = v;
                }
            }
        }
    }
}

/// Sub-steps per step that [`CompliantTendonHillMuscle`]'s [`MuscleModel::step_vjp`] keeps
/// (on the stack); steps with more take the dual numbers.
const VJP_MAX_SUBSTEPS: usize = 4;

/// The step's end (activation, fibre length and velocity, musculotendon length and
/// velocity) with the new state's derivatives along them, for the muscles of a pack side by
/// side.
type EndDuals = DualLanes<5, FIBRE_LANES>;

/// A clip with its slope, for the muscles of a pack side by side.
type ClipDuals = DualLanes<1, FIBRE_LANES>;

/// What the adjoint of one Radau sub-step needs from its forward pass, for the muscles of a
/// pack side by side.
#[derive(Clone, Copy)]
struct SubStepAdjoint {
    /// The stages' times (s since the step's start).
    t: [f64; 2],
    /// The stages' activations, with their derivatives along the clipped activation and
    /// excitation at the step's start.
    a: [ActivationLanes; 2],
    /// J = ∂(R₁, R₂)/∂(K₁, K₂).
    j: [[FibreLanes; 2]; 2],
    /// Each stage's residual with its partials along the stage's activation, length Xᵢ,
    /// velocity and musculotendon length ([`CompliantTendonHillMuscle::residual_partials`]).
    p: [[FibreLanes; 5]; 2],
}

impl CompliantTendonHillMuscle {
    /// [`MuscleModel::step_vjp`] of the implicit step: the adjoint of the Radau sub-steps,
    /// pack by pack in `f64` lanes, from the stage solutions the forward step recorded. Each
    /// sub-step's stages solve R(K; x, a, x_mt) = 0, so K̇ = −J⁻¹·(∂R/∂x·ẋ + ∂R/∂a·ȧ +
    /// ∂R/∂x_mt·ẋ_mt) and the adjoint takes μ = J⁻ᵀ·K̄ and hands −μᵢ times stage i's partials
    /// to its inputs. The stage activations' derivatives and the step's end are the dual
    /// numbers' own ([`ActivationPath`] on [`ActivationLanes`], [`Self::step_end`] on
    /// [`EndDuals`]); the residuals' partials are by hand ([`Self::residual_partials`],
    /// tested equal to the dual numbers' [`Self::stage_partials`]), so this adds what
    /// differentiating [`Self::integrate_all_lanes`] on dual numbers gives, to rounding, in
    /// a fraction of its time (it carries one number per quantity instead of six
    /// directions, and skips the activation rate `derivative` computes). Declines (returns
    /// `false`) where the dual numbers are needed: the explicit update, a pack of one
    /// muscle, a long step, a record that does not belong to these inputs, or a lane whose
    /// Radau iterations ran out (the SDIRK fallback).
    fn step_vjp_lanes(
        &self,
        dt: f64,
        inputs: StepInputs<'_>,
        record: &[f64],
        g_new_state: &[f64],
        mut grads: StepGradients<'_>,
    ) -> bool {
        let n_m = self.n_muscles();
        if self.fibre != FibreIntegration::Implicit || n_m < 2 || n_m % FIBRE_LANES == 1 {
            return false;
        }
        let dt = dt.max(1e-9);
        let n_sub = substeps(dt, RADAU_SUBSTEP).0;
        let pack_len = RECORD_KEY * FIBRE_LANES + 3 * FIBRE_LANES * n_sub;
        let n_packs = n_m.div_ceil(FIBRE_LANES);
        if n_sub > VJP_MAX_SUBSTEPS || record.len() < n_packs * pack_len {
            return false;
        }
        let ns = self.n_states();
        // every pack's record must hold these inputs, bit for bit, and converged solves only
        for (p, pack) in record.chunks_exact(pack_len).take(n_packs).enumerate() {
            let state = |i: usize| Self::pack_lanes(n_m, p, |m| inputs.state[m * ns + i]);
            let key = [
                Self::pack_lanes(n_m, p, |m| self.activation.clip(inputs.excitation[m])),
                state(0),
                state(1),
                state(2),
                state(6),
                Self::pack_lanes(n_m, p, |m| inputs.mt_len[m]),
                Self::pack_lanes(n_m, p, |m| inputs.mt_vel[m]),
            ];
            let same = |(a, b): (&f64, &f64)| a.to_bits() == b.to_bits();
            if !key.iter().flat_map(|x| x.0.iter()).zip(pack).all(same) {
                return false;
            }
            let solved = &pack[RECORD_KEY * FIBRE_LANES..];
            let converged =
                |i: usize| &solved[(3 * i + 2) * FIBRE_LANES..(3 * i + 3) * FIBRE_LANES];
            if (0..n_sub).any(|i| converged(i).iter().any(|&c| c != 1.0)) {
                return false;
            }
        }
        for (p, pack) in record.chunks_exact(pack_len).take(n_packs).enumerate() {
            let solved = &pack[RECORD_KEY * FIBRE_LANES..];
            self.pack_vjp(p, dt, inputs, solved, g_new_state, &mut grads);
        }
        true
    }

    /// The lanes of pack `p` of `n_m` muscles from `of(muscle)`: lane `l` holds muscle
    /// `8p + l` (the pack's last muscle again in unused lanes), as
    /// [`Self::integrate_all_lanes`] lays them out.
    #[inline(always)]
    fn pack_lanes(n_m: usize, p: usize, of: impl Fn(usize) -> f64) -> FibreLanes {
        let first = p * FIBRE_LANES;
        let last = (n_m - first).min(FIBRE_LANES) - 1;
        FibreLanes::from_lanes(|l| of(first + l.min(last)))
    }

    /// [`Self::step_vjp_lanes`] for pack `p`, from its recorded stage solutions `solved`.
    fn pack_vjp(
        &self,
        p: usize,
        dt: f64,
        inputs: StepInputs<'_>,
        solved: &[f64],
        g_new_state: &[f64],
        grads: &mut StepGradients<'_>,
    ) {
        let (n_m, ns) = (self.n_muscles(), self.n_states());
        let (first, count) = (p * FIBRE_LANES, (n_m - p * FIBRE_LANES).min(FIBRE_LANES));
        let state = |i: usize| Self::pack_lanes(n_m, p, |m| inputs.state[m * ns + i]);
        let k = &self.fk_lanes[p];
        let act = &self.activation;
        let c0 = FibreLanes::c(0.0);
        // the clips with their slopes (the model's own clip on dual numbers): `derivative`
        // gives clip(excitation), the step clips it again, and clips the activation
        let excitation = Self::pack_lanes(n_m, p, |m| inputs.excitation[m]);
        let u1 = act.clip(ClipDuals::variable(excitation, 0));
        let u = act.clip(ClipDuals::variable(u1.re, 0));
        let a0 = act.clip(ClipDuals::variable(state(0), 0));
        let mut path = ActivationPath::new(
            act,
            ActivationLanes::variable(a0.re, 0),
            ActivationLanes::variable(u.re, 1),
            dt,
        );
        // the forward sub-steps again, from the recorded stage velocities, as
        // Self::radau_step takes them
        let (n_sub, h) = substeps(dt, RADAU_SUBSTEP);
        let [_, [a21, a22]] = RADAU_A;
        let mut x = k.inv_l0_ce.mul(state(1));
        let mt_len = Self::pack_lanes(n_m, p, |m| inputs.mt_len[m]);
        let mt_vel = Self::pack_lanes(n_m, p, |m| inputs.mt_vel[m]);
        let mt_vel_before = state(6);
        let mt_path = MtPath::new(mt_len, mt_vel, mt_vel_before, dt);
        let mt_len_at = |t: f64| mt_path.at(t);
        let (mut l_mt, mut t_end, mut vel) = (mt_len, 0.0, c0);
        let mut a = ActivationLanes::constant(a0.re);
        let zero = SubStepAdjoint {
            t: [0.0; 2],
            a: [a; 2],
            j: [[c0; 2]; 2],
            p: [[c0; 5]; 2],
        };
        let mut subs = [zero; VJP_MAX_SUBSTEPS];
        for (i, sub) in subs.iter_mut().enumerate().take(n_sub) {
            let t0 = i as f64 * h;
            let (t1, t2) = (t0 + h / 3.0, t0 + h);
            l_mt = mt_len_at(t2);
            let x_mt = [k.inv_l0_ce.mul(mt_len_at(t1)), k.inv_l0_ce.mul(l_mt)];
            let a1 = path.at(act, t1);
            a = path.at(act, t2);
            let rec = |at: usize| FibreLanes::from_lanes(|l| solved[3 * i * FIBRE_LANES + at + l]);
            let (k1, k2) = (rec(0), rec(FIBRE_LANES));
            let [x1, x2] = radau_stage_lengths(x, [k1, k2], h);
            let p1 = Self::residual_partials(k, [a1.re, x1, k1, x_mt[0]]);
            let p2 = Self::residual_partials(k, [a.re, x2, k2, x_mt[1]]);
            let j = radau_jacobian(h, [[p1[2], p1[3]], [p2[2], p2[3]]]);
            *sub = SubStepAdjoint {
                t: [t1, t2],
                a: [a1, a],
                j,
                p: [p1, p2],
            };
            x += (k1.scale(a21) + k2.scale(a22)).scale(h);
            vel = k2;
            t_end = t2;
        }
        // the end: ∂L/∂(activation, length, velocity, musculotendon length and velocity),
        // where outputs with a zero gradient add nothing (as on dual numbers)
        let var = EndDuals::variable;
        let mut end = [EndDuals::c(0.0); 8];
        Self::step_end(
            k,
            [
                var(a.re, 0),
                var(x, 1),
                var(vel, 2),
                var(l_mt, 3),
                var(mt_vel, 4),
            ],
            &mut end[..ns],
        );
        let mut g_end = [c0; 5];
        for (o, y) in end[..ns].iter().enumerate() {
            let go = FibreLanes::from_lanes(|l| {
                if l < count {
                    g_new_state[(first + l) * ns + o]
                } else {
                    0.0
                }
            });
            let none = go.le(c0) & go.ge(c0);
            for (s, e) in g_end.iter_mut().zip(&y.eps) {
                *s += select(none, c0, go * *e);
            }
        }
        let [g_a_end, mut g_x, g_vel_end, g_l_mt, g_mt_vel] = g_end;
        // the adjoint, sub-step by sub-step backwards
        let mut g_a0 = g_a_end * a.eps[0];
        let mut g_u = g_a_end * a.eps[1];
        let (mut g_len, mut g_vel, mut g_vel_before) = (c0, g_mt_vel, c0);
        let mut at_mt = |t: f64, g: FibreLanes| {
            let (d_vel, d_vel_before) = MtPath::<FibreLanes>::slopes(t, dt);
            g_len += g;
            g_vel += g.scale(d_vel);
            g_vel_before += g.scale(d_vel_before);
        };
        at_mt(t_end, g_l_mt);
        for (i, sub) in subs.iter().enumerate().take(n_sub).rev() {
            let g_k1 = g_x.scale(h * a21);
            let g_k2 = g_x.scale(h * a22) + if i + 1 == n_sub { g_vel_end } else { c0 };
            let [[j11, j12], [j21, j22]] = sub.j;
            let inv_det = FibreLanes::c(1.0) / (j11 * j22 - j12 * j21);
            let mu = [
                (j22 * g_k1 - j21 * g_k2) * inv_det,
                (j11 * g_k2 - j12 * g_k1) * inv_det,
            ];
            for s in 0..2 {
                let (p, stage_a) = (&sub.p[s], &sub.a[s]);
                let g_a = c0 - mu[s] * p[1];
                g_a0 += g_a * stage_a.eps[0];
                g_u += g_a * stage_a.eps[1];
                g_x -= mu[s] * p[2];
                at_mt(sub.t[s], k.inv_l0_ce.mul(c0 - mu[s] * p[4]));
            }
        }
        let g_state1 = k.inv_l0_ce.mul(g_x);
        let g_state0 = g_a0 * a0.eps[0];
        let g_excitation = g_u * u.eps[0] * u1.eps[0];
        for l in 0..count {
            let m = first + l;
            grads.excitation[m] += g_excitation.lane(l);
            grads.state[m * ns] += g_state0.lane(l);
            grads.state[m * ns + 1] += g_state1.lane(l);
            grads.state[m * ns + 6] += g_vel_before.lane(l);
            grads.mt_len[m] += g_len.lane(l);
            grads.mt_vel[m] += g_vel.lane(l);
        }
    }
}

impl BuiltinMuscle for CompliantTendonHillMuscle {
    const NAME: &'static str = "CompliantTendonHillMuscle";
    const SUMMARY: &'static str =
        "Kistemaker et al. (2010), compliant tendon; explicit (MotorNet: 0.2 ms steps) or `implicit_fibre = 1` (10 ms steps)";
    const DEFAULT_ACTIVATION: ActivationDynamics = CompliantTendonHillMuscle::DEFAULT_ACTIVATION;
    const MODEL_PARAMS: &'static [ParamDecl] = &[ParamDecl::optional(
        "implicit_fibre",
        "",
        0.0,
        "0: MotorNet's explicit fibre update (needs ~0.2 ms steps); 1: implicit (Radau IIA \
         fibre sub-steps solved by Newton, activation by RK4 sub-steps), accurate to 0.4 % of \
         F_max at 10 ms steps",
    )
    .integer()];
    const MUSCLE_PARAMS: &'static [ParamDecl] = &crate::params::hill_muscle_params(
        CompliantTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
    );

    fn from_params(
        activation: ActivationDynamics,
        model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        let v = model.get("implicit_fibre");
        let fibre = if v == 0.0 {
            FibreIntegration::Explicit
        } else if v == 1.0 {
            FibreIntegration::Implicit
        } else {
            return Err(MuscleError::InvalidParameter {
                parameter: "implicit_fibre",
                value: v,
                reason: "must be 0 (explicit, MotorNet's) or 1 (implicit)",
            });
        };
        Ok(Self::new(
            activation,
            muscles.iter().map(HillParams::from_param_set).collect(),
        )?
        .with_fibre_integration(fibre))
    }
}

impl MuscleModel for CompliantTendonHillMuscle {
    fn name(&self) -> &'static str {
        <Self as BuiltinMuscle>::NAME
    }
    fn state_names(&self) -> &'static [&'static str] {
        if self.fibre == FibreIntegration::Implicit {
            return &[
                "activation",
                "muscle length",
                "muscle velocity",
                "force-length PE",
                "force-length SE",
                "active force",
                "musculotendon velocity",
                "force",
            ];
        }
        &[
            "activation",
            "muscle length",
            "muscle velocity",
            "force-length PE",
            "force-length SE",
            "active force",
            "force",
        ]
    }
    fn read_states(&self) -> &'static [usize] {
        match self.fibre {
            FibreIntegration::Explicit => &[0, 1, 5],
            FibreIntegration::Implicit => &[0, 1, 2, 6],
        }
    }
    fn n_derivatives(&self) -> usize {
        2
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

    fn initial_state<S: Scalar>(&self, m: usize, mt_len: S, _mt_vel: S, dt: f64, state: &mut [S]) {
        let k = &self.k[m];
        let c = S::c;
        let a = c(self.activation.min_activation);
        // Static equilibrium guess for the fibre length.
        let (l0_se, l0_ce, l0_pe, k_pe) = (k.l0_se, k.l0_ce, k.l0_pe, k.k_pe);
        let equilibrium = (c(k_pe * l0_pe * l0_se * l0_se) - c(K_SE * l0_ce * l0_ce) * mt_len
            + c(K_SE * l0_ce * l0_ce * l0_se)
            - c(l0_ce * l0_se * (k_pe * K_SE).sqrt()) * (-mt_len + c(l0_pe + l0_se)))
            / c(k_pe * l0_se * l0_se - K_SE * l0_ce * l0_ce);
        let len = select(
            mt_len.lt(S::zero()),
            c(-1.0),
            select(
                mt_len.lt(c(l0_se)),
                c(0.001 * l0_ce),
                select(mt_len.lt(c(l0_se + l0_pe)), mt_len - c(l0_se), equilibrium),
            ),
        );
        let tendon_strain = ((mt_len - len - c(l0_se)) / c(l0_se)).clamp_min(S::zero());
        let muscle_strain = ((len - c(l0_pe)) / c(l0_ce)).clamp_min(S::zero());
        let flse = (c(K_SE) * tendon_strain * tendon_strain).clamp_max(S::one());
        let flpe = (c(k_pe) * muscle_strain * muscle_strain).clamp_max(S::one());
        let active = (flse - flpe).clamp_min(S::zero());
        let vel_n = self.normalized_velocity(len / c(l0_ce), a, active);
        let mut rest = [S::zero(); 8];
        rest[0] = a;
        rest[1] = len;
        rest[6] = _mt_vel;
        if self.fibre == FibreIntegration::Implicit {
            self.integrate_implicit(m, dt, &[S::zero(), a], &rest, mt_len, _mt_vel, state);
            return;
        }
        self.integrate(
            m,
            dt,
            &[S::zero(), vel_n],
            &rest[..7],
            mt_len,
            S::zero(),
            state,
        );
    }

    fn derivative<S: Scalar>(&self, m: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        let a = state[0];
        derivative[0] = self.activation.derivative(excitation, a);
        if self.fibre == FibreIntegration::Implicit {
            derivative[1] = self.activation.clip(excitation);
            return;
        }
        derivative[1] = self.normalized_velocity(state[1] * S::c(self.k[m].inv_l0_ce), a, state[5]);
    }

    fn integrate_all<S: Scalar>(
        &self,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        new_state: &mut [S],
    ) {
        let (d, s, l, v) = (derivative, state, mt_len, mt_vel);
        self.integrate_all_lanes(dt, d, s, l, v, new_state, Record::None);
    }

    /// Records each pack's inputs and the solutions of its stage solves
    /// ([`FibreIntegration::Implicit`]): (7 + 3 × Radau sub-steps) × 8 numbers per pack of
    /// up to 8 muscles (the inputs, then each sub-step's two stage velocities and whether its
    /// iterations converged), 104 for 10 ms steps.
    fn integrate_all_record(
        &self,
        dt: f64,
        derivative: &[f64],
        state: &[f64],
        mt_len: &[f64],
        mt_vel: &[f64],
        new_state: &mut [f64],
        record: &mut Vec<f64>,
    ) {
        record.clear();
        let (d, s, l, v) = (derivative, state, mt_len, mt_vel);
        self.integrate_all_lanes(dt, d, s, l, v, new_state, Record::Write(record));
    }

    /// Takes the stage solutions from `record` where it was written for these inputs' values
    /// (instead of solving them again): the `f64` step's own solutions, which the dual
    /// numbers' solve gives to rounding.
    fn integrate_all_replay<S: Scalar>(
        &self,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        new_state: &mut [S],
        record: &[f64],
    ) {
        let (d, s, l, v) = (derivative, state, mt_len, mt_vel);
        self.integrate_all_lanes(dt, d, s, l, v, new_state, Record::Read(record));
    }

    /// The adjoint of the implicit step's Radau sub-steps in `f64` lanes
    /// ([`FibreIntegration::Implicit`], packs of two or more muscles, converged records);
    /// `false` elsewhere.
    fn step_vjp(
        &self,
        dt: f64,
        inputs: StepInputs<'_>,
        record: &[f64],
        g_new_state: &[f64],
        grads: StepGradients<'_>,
    ) -> bool {
        self.step_vjp_lanes(dt, inputs, record, g_new_state, grads)
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
        if self.fibre == FibreIntegration::Implicit {
            self.integrate_implicit(m, dt, derivative, state, mt_len, mt_vel, new_state);
            return;
        }
        let k = &self.k[m];
        let c = S::c;
        let len = state[1];
        let tendon_strain = ((mt_len - len - c(k.l0_se)) * c(k.inv_l0_se)).clamp_min(S::zero());
        let muscle_strain = ((len - c(k.l0_pe)) * c(k.inv_l0_ce)).clamp_min(S::zero());
        let flse = (c(K_SE) * tendon_strain * tendon_strain).clamp_max(S::one());
        let flpe = c(k.k_pe) * muscle_strain * muscle_strain;
        let active = (flse - flpe).clamp_min(S::zero());
        let vel_n = derivative[1];
        new_state[0] = self.activation.step(dt, state[0], derivative[0]);
        new_state[1] = (len * c(k.inv_l0_ce) + c(dt) * vel_n) * c(k.l0_ce);
        new_state[2] = vel_n * c(k.vmax);
        new_state[3] = flpe;
        new_state[4] = flse;
        new_state[5] = active;
        new_state[6] = flse * c(k.f_max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> CompliantTendonHillMuscle {
        CompliantTendonHillMuscle::new(
            CompliantTendonHillMuscle::DEFAULT_ACTIVATION,
            vec![HillParams::new("biceps", 414.0, 0.204, 0.137, 1.4)],
        )
        .unwrap()
    }

    #[test]
    fn residual_force_velocity_inverts_normalized_velocity() {
        let m = model();
        let k = m.fk[0];
        let mut worst: f64 = 0.0;
        for ia in 0..=10 {
            let a = 0.01 + 0.099 * ia as f64;
            for ix in 0..=10 {
                let x = 0.5 + 0.1 * ix as f64;
                for iv in -20..=20 {
                    let v = 0.5 * iv as f64;
                    // force at velocity v: g − R
                    let (r, _) = CompliantTendonHillMuscle::residual(
                        &k,
                        a,
                        b_rel_st(a),
                        1.0 / b_rel_st(a),
                        x,
                        v,
                        1.0,
                        10.0, // tendon taut (g = 1 − passive clamp)
                    );
                    let (g, _) = CompliantTendonHillMuscle::residual(
                        &k,
                        a,
                        b_rel_st(a),
                        1.0 / b_rel_st(a),
                        x,
                        0.0,
                        1.0,
                        10.0,
                    );
                    let g = g + a * kistemaker_flce(x); // R at v = 0 is g − fxa
                    let f = g - r;
                    if f < 0.0 {
                        continue;
                    }
                    let back = m.normalized_velocity(x, a, f);
                    worst = worst.max((back - v).abs() / (1.0 + v.abs()));
                }
            }
        }
        assert!(worst < 1e-9, "worst {worst}");
    }

    /// The Newton iterations' hand-written partial derivatives ([`CompliantTendonHillMuscle::residual_xv`])
    /// equal the dual numbers' (the residual's own code on [`DualN`]) wherever the residual is
    /// smooth: a Newton step on dual numbers from a converged point carries the
    /// implicit-function derivative only with the exact Jacobian.
    #[test]
    fn residual_partials_equal_the_dual_numbers() {
        use motornet_scalar::DualN;
        type D = DualN<2>;
        let m = model();
        let k = m.fk[0];
        let mut rng = motornet_scalar::SplitMix(3);
        let (mut compared, mut worst) = (0, 0.0_f64);
        for _ in 0..20000 {
            let a = 0.001 + 0.999 * rng.unit();
            let x = 0.4 + 1.2 * rng.unit();
            let v = (rng.unit() - 0.5) * 20.0;
            let x_mt = x + m.k[0].l0_se / m.k[0].l0_ce * (1.0 + 0.08 * rng.unit() - 0.02);
            let b = b_rel_st(a);
            let (r, rx, rv) = CompliantTendonHillMuscle::residual_xv(&k, a, b, 1.0 / b, x, v, x_mt);
            let bd = b_rel_st(D::constant(a));
            let d = CompliantTendonHillMuscle::residual_value(
                &k,
                D::constant(a),
                bd,
                D::one() / bd,
                D::variable(x, 0),
                D::variable(v, 1),
                D::constant(x_mt),
            );
            assert_eq!(r.to_bits(), d.re.to_bits());
            // skip points within 1e-6 of a kink: compare with the one-sided slopes there
            let h = 1e-6;
            let side = |dx: f64, dv: f64| {
                let bb = b_rel_st(a);
                let p = CompliantTendonHillMuscle::residual_value(
                    &k,
                    a,
                    bb,
                    1.0 / bb,
                    x + dx,
                    v + dv,
                    x_mt,
                );
                (p - r) / h
            };
            let (fx, bx) = (side(h, 0.0), -side(-h, 0.0));
            let (fv, bv) = (side(0.0, h), -side(0.0, -h));
            let kink = |f: f64, b: f64| (f - b).abs() > 1e-4 * (1.0 + f.abs());
            if kink(fx, bx) || kink(fv, bv) {
                continue;
            }
            compared += 1;
            for (hand, dual) in [(rx, d.eps[0]), (rv, d.eps[1])] {
                let err = (hand - dual).abs() / (1.0 + dual.abs());
                worst = worst.max(err);
                assert!(
                    err < 1e-12,
                    "a {a} x {x} v {v} x_mt {x_mt}: {hand} vs {dual}"
                );
            }
        }
        assert!(compared > 10000, "{compared}");
    }

    /// The VJP's hand-written partials along every input of a stage
    /// ([`CompliantTendonHillMuscle::residual_partials`]) equal the dual numbers'
    /// ([`CompliantTendonHillMuscle::stage_partials`], the residual's own code), kinks
    /// included (both take the one-sided slopes of the clamps as `Scalar::clamp_min` does):
    /// activations down to 0 (where the eccentric branch's floor binds), slack and taut
    /// tendons, both branches of the force–velocity relation.
    #[test]
    fn residual_partials_along_the_inputs_equal_the_dual_numbers() {
        let m = model();
        let k = FibreConsts::lanes(|_| m.fk[0]);
        let mut rng = motornet_scalar::SplitMix(5);
        let (l0_se, l0_ce) = (m.k[0].l0_se, m.k[0].l0_ce);
        let mut worst = 0.0_f64;
        for i in 0..4000 {
            let mut draw = |f: &dyn Fn(f64) -> f64| {
                let v: [f64; FIBRE_LANES] = std::array::from_fn(|_| f(rng.unit()));
                FibreLanes::from_lanes(|l| v[l])
            };
            let a = draw(&|r| if i % 4 == 0 { 1e-7 * r } else { r });
            let x = draw(&|r| 0.3 + 1.4 * r);
            // at tiny activations and velocities just above 0, the eccentric floor binds
            let v = draw(&|r| {
                if i % 4 == 0 {
                    1e-7 * r
                } else {
                    (r - 0.5) * 30.0
                }
            });
            let x_mt = x + draw(&|r| l0_se / l0_ce * (1.0 + 0.1 * r - 0.05));
            let hand = CompliantTendonHillMuscle::residual_partials(&k, [a, x, v, x_mt]);
            let dual = CompliantTendonHillMuscle::stage_partials(&k, [a, x, v, x_mt], 0.0);
            for l in 0..FIBRE_LANES {
                let want = [dual.re, dual.eps[0], dual.eps[1], dual.eps[2], dual.eps[3]];
                for (h, d) in hand.iter().zip(want) {
                    let (h, d) = (h.lane(l), d.lane(l));
                    let err = (h - d).abs() / (1.0 + d.abs());
                    worst = worst.max(err);
                    assert!(
                        err < 1e-11,
                        "a {} x {} v {} x_mt {}: hand {hand:?} dual {dual:?}",
                        a.lane(l),
                        x.lane(l),
                        v.lane(l),
                        x_mt.lane(l)
                    );
                }
            }
        }
        eprintln!("residual_partials: worst relative difference {worst:e}");
    }

    #[test]
    fn newton_converges() {
        let m = model();
        let k = m.fk[0];
        let mut rng = motornet_scalar::SplitMix(7);
        let mut worst = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for _ in 0..200000 {
            let a = 0.01 + 0.99 * rng.unit();
            let x0 = 0.5 + 1.0 * rng.unit();
            let tau = [1e-4, 1e-3, 1e-2, 2e-3, 5e-3][(rng.unit() * 5.0) as usize];
            let x_mt = x0 + m.k[0].l0_se / m.k[0].l0_ce * (1.0 + 0.06 * rng.unit() - 0.01);
            let guess = (rng.unit() - 0.5) * 10.0;
            let v = CompliantTendonHillMuscle::solve_fibre(&k, a, x0, tau, x_mt, guess).0;
            let x = x0 + tau * v;
            let b = b_rel_st(a);
            let (r, _) =
                CompliantTendonHillMuscle::residual(&k, a, b, 1.0 / b, x, v, 1.0 / tau, x_mt);
            if r.abs() > worst.0 {
                worst = (r.abs(), a, x0, tau, x_mt, guess);
            }
        }
        assert!(worst.0 < 1e-10, "{worst:?}");
    }
}
