//! Reverse-mode VJP of an Euler step, from the local derivatives of its parts.
//!
//! Forward mode (`forward.rs`) differentiates the whole step, several input directions per
//! pass. For Euler steps (MotorNet's default) this module does much less work: it walks the step backwards part by part — geometry after the step, joint dynamics
//! (skeleton acceleration and bounded joint update together), torques, muscles — and gets each
//! part's vector–Jacobian product from forward-mode passes over that part alone, with dual
//! numbers exactly as wide as the part has inputs (a rigid muscle depends on 4 numbers, the
//! joint dynamics of a 2-joint arm on 6). All muscles share one pass: each muscle reads only its
//! own inputs, so the same directions can seed every muscle at once. The parts are the same
//! scalar-generic functions that simulate, so the derivatives cannot drift from the model;
//! `tests/gradients.rs` checks the two VJPs agree to 1e-12.
//!
//! The step reads the geometry stored in its input state. The adjoint therefore returns the
//! gradient with respect to that geometry as it is ("unfolded"); [`Effector::step_vjp_into`]
//! then folds it into the joint state through the geometry's Jacobian, while loops over many
//! steps ([`Effector::step_vjp_unfolded_into`]) leave it to the previous step's adjoint, which
//! folds it together with the gradient arriving at that state anyway: one geometry Jacobian per
//! step instead of two.
//!
//! One element at a time: [`VjpPlan::EulerScalar`](super::VjpPlan::EulerScalar) and single
//! steps of the lanes plans use [`Effector::euler_step_vjp_add`] (one ministep; the muscles'
//! part, `muscles_vjp`, takes the model's own `MuscleModel::step_vjp` where it has one, and is
//! also what [`VjpPlan::EulerJointLanes`](super::VjpPlan::EulerJointLanes) runs per element),
//! [`VjpPlan::EulerMinisteps`](super::VjpPlan::EulerMinisteps) uses
//! [`Effector::euler_ministeps_vjp_add`]. `lanes.rs` reuses the parts for four elements at once.

use super::buffers::{add_into, add_weighted_eps, reset_gradient, GradOut, Parts};
use super::lanes::LanesScratch;
use super::StepGradient;
use crate::effector::{Effector, State};
use crate::geometry::Geometry;
use crate::stack_buffer;
use motornet_muscle::{ActivationDynamics, MuscleModel, StepGradients, StepInputs};
use motornet_scalar::{DualN, Scalar};
use motornet_skeleton::Skeleton;

thread_local! {
    /// The adjoint's buffers, kept per thread so that steady-state VJPs allocate nothing.
    pub(super) static SCRATCH: std::cell::RefCell<Scratch> =
        std::cell::RefCell::new(Scratch::default());
}

/// Dual-number buffers of one width: the inputs and outputs of a part, and the muscles'
/// states, derivatives and musculotendon lengths and velocities.
struct Duals<const N: usize> {
    x: Vec<DualN<N>>,
    y: Vec<DualN<N>>,
    st: Vec<DualN<N>>,
    der: Vec<DualN<N>>,
    mt: Vec<DualN<N>>,
}

impl<const N: usize> Default for Duals<N> {
    fn default() -> Self {
        Self {
            x: Vec::new(),
            y: Vec::new(),
            st: Vec::new(),
            der: Vec::new(),
            mt: Vec::new(),
        }
    }
}

/// Reusable buffers of the adjoint.
#[derive(Default)]
pub(super) struct Scratch {
    d2: Duals<2>,
    d4: Duals<4>,
    d6: Duals<6>,
    d8: Duals<8>,
    u: Vec<f64>,
    /// The excitation gradient of one step, before the clip's mask.
    g_u: Vec<f64>,
    x: Vec<f64>,
    g_x: Vec<f64>,
    joint_new: Vec<f64>,
    g_joint_new: Vec<f64>,
    /// The buffers of the lanes pass (`lanes.rs`).
    pub(super) lanes: LanesScratch,
    /// Several ministeps: the state before each, the gradient between them, and the step's
    /// gradient before it is added to the caller's.
    states: Vec<State<f64>>,
    g_between: State<f64>,
    g_step: StepGradient,
}

/// A part of the step: a function from a few numbers to a few numbers, evaluated on any scalar.
pub(super) trait Part {
    /// `y = part(x)`.
    fn eval<S: Scalar>(&self, x: &[S], y: &mut [S]);
}

/// `acc += (∂y/∂x)ᵀ · g` for `y = part(x)` (`g` has one entry per output), by forward passes
/// of `N` input directions each.
fn vjp_passes<const N: usize, P: Part>(
    part: &P,
    x: &[f64],
    g: &[f64],
    acc: &mut [f64],
    d: &mut Duals<N>,
) {
    let n_in = x.len();
    d.x.clear();
    d.x.extend(x.iter().map(|&v| DualN::constant(v)));
    // the part writes every output: no need to clear them
    d.y.resize(g.len(), DualN::constant(0.0));
    for start in (0..n_in).step_by(N) {
        let end = (start + N).min(n_in);
        if start > 0 {
            for xi in &mut d.x[start - N..start] {
                xi.eps = [0.0; N];
            }
        }
        for (k, xi) in d.x[start..end].iter_mut().enumerate() {
            xi.eps = DualN::unit(k);
        }
        part.eval(&d.x, &mut d.y);
        let mut sum = [0.0; N];
        add_weighted_eps(&mut sum, &d.y, g);
        for (a, s) in acc[start..end].iter_mut().zip(&sum) {
            *a += s;
        }
    }
}

/// [`vjp_passes`] with the narrowest dual numbers that hold all inputs in one pass (chunks of
/// 8 beyond 8 inputs).
fn vjp<P: Part>(part: &P, x: &[f64], g: &[f64], acc: &mut [f64], sc: &mut Scratch) {
    match x.len() {
        0 => {}
        1..=2 => vjp_passes(part, x, g, acc, &mut sc.d2),
        3..=4 => vjp_passes(part, x, g, acc, &mut sc.d4),
        5..=6 => vjp_passes(part, x, g, acc, &mut sc.d6),
        _ => vjp_passes(part, x, g, acc, &mut sc.d8),
    }
}

/// The geometry as a function of the joint state `x = [q, q̇]`: `y = [lengths, velocities,
/// moment arms]`.
struct GeometryPart<'a, K, M, G>(&'a Effector<K, M, G>);

impl<K: Skeleton, M: MuscleModel, G: Geometry> Part for GeometryPart<'_, K, M, G> {
    #[inline]
    fn eval<S: Scalar>(&self, x: &[S], y: &mut [S]) {
        let e = self.0;
        let n_m = e.n_muscles();
        let (q, qd) = x.split_at(e.dof());
        let (len, rest) = y.split_at_mut(n_m);
        let (vel, moment) = rest.split_at_mut(n_m);
        e.geometry().compute(e.skeleton(), q, qd, len, vel, moment);
    }
}

/// The joint dynamics of a ministep of length `h`: `x = [q, q̇, τ, endpoint load]` →
/// `y = [q', q̇']`, the skeleton's acceleration followed by the bounded Euler update.
pub(super) struct JointPart<'a, K, M, G> {
    pub(super) e: &'a Effector<K, M, G>,
    pub(super) h: f64,
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Part for JointPart<'_, K, M, G> {
    #[inline]
    fn eval<S: Scalar>(&self, x: &[S], y: &mut [S]) {
        let dof = self.e.dof();
        let (q, rest) = x.split_at(dof);
        let (qd, rest) = rest.split_at(dof);
        let (tau, el) = rest.split_at(dof);
        stack_buffer(dof, S::zero(), |qdd| {
            self.e.skeleton().acceleration(q, qd, tau, el, qdd);
            let (yq, yqd) = y.split_at_mut(dof);
            self.e
                .options()
                .bounds
                .integrate(self.h, q, qd, qdd, yq, yqd);
        });
    }
}

/// VJP of every muscle's state update in one set of passes: muscle `m`'s new state (`ns`
/// entries) is a function of its `k = 3 + reads` inputs `[u_m, the state entries it reads,
/// length, velocity]` only (its other state entries held at their values), so direction `i`
/// seeds input `i` of every muscle at once, and one [`MuscleModel::integrate_all`] call
/// differentiates them all. Adds into `out` (excitation and muscle state) and `g_geom` (lengths
/// and velocities).
#[allow(clippy::too_many_arguments)]
fn muscles_vjp<const N: usize, K: Skeleton, M: MuscleModel, G: Geometry>(
    e: &Effector<K, M, G>,
    h: f64,
    s: Parts<'_>,
    u: &[f64],
    g_next: &[f64],
    out_excitation: &mut [f64],
    out_muscle: &mut [f64],
    g_geom: &mut [f64],
    d: &mut Duals<N>,
    record: &[f64],
) {
    if g_next.iter().all(|&v| v == 0.0) {
        return; // nothing depends on the muscles' new state
    }
    let muscle = e.muscle();
    let (n_m, ns, nd) = (e.n_muscles(), muscle.n_states(), muscle.n_derivatives());
    // the model's own fast path, where it has one (tested equal to the dual numbers below)
    let (g_len, g_vel) = g_geom.split_at_mut(n_m);
    let inputs = StepInputs {
        excitation: u,
        state: s.muscle,
        mt_len: &s.geometry[..n_m],
        mt_vel: &s.geometry[n_m..2 * n_m],
    };
    let grads = StepGradients {
        excitation: out_excitation,
        state: out_muscle,
        mt_len: g_len,
        mt_vel: &mut g_vel[..n_m],
    };
    if muscle.step_vjp(h, inputs, record, g_next, grads) {
        return;
    }
    let reads = muscle.read_states();
    let nr = reads.len();
    let k = 3 + nr;
    d.x.clear();
    for m in 0..n_m {
        let st = &s.muscle[m * ns..(m + 1) * ns];
        d.x.push(DualN::constant(u[m]));
        d.x.extend(reads.iter().map(|&r| DualN::constant(st[r])));
        d.x.push(DualN::constant(s.geometry[m]));
        d.x.push(DualN::constant(s.geometry[n_m + m]));
    }
    d.y.resize(n_m * ns, DualN::constant(0.0));
    // the state entries a muscle does not read are never looked at (`read_states`)
    d.st.resize(n_m * ns, DualN::constant(0.0));
    d.der.resize(n_m * nd, DualN::constant(0.0));
    d.mt.resize(2 * n_m, DualN::constant(0.0));
    for start in (0..k).step_by(N) {
        let end = (start + N).min(k);
        for m in 0..n_m {
            let x = &mut d.x[m * k..(m + 1) * k];
            for (i, xi) in x.iter_mut().enumerate() {
                // a whole row of the identity, or zeros (see `DualN::unit`)
                xi.eps = i.checked_sub(start).map_or([0.0; N], DualN::unit);
            }
            let x = &d.x[m * k..(m + 1) * k];
            let st = &mut d.st[m * ns..(m + 1) * ns];
            for (j, &r) in reads.iter().enumerate() {
                st[r] = x[1 + j];
            }
            d.mt[m] = x[1 + nr];
            d.mt[n_m + m] = x[2 + nr];
            muscle.derivative(m, x[0], st, &mut d.der[m * nd..(m + 1) * nd]);
        }
        let (len, vel) = d.mt.split_at(n_m);
        muscle.integrate_all_replay(h, &d.der, &d.st, len, vel, &mut d.y, record);
        for m in 0..n_m {
            let y = &d.y[m * ns..(m + 1) * ns];
            let mut sum = [0.0; N];
            add_weighted_eps(&mut sum, y, &g_next[m * ns..(m + 1) * ns]);
            for (i, &v) in (start..end).zip(&sum) {
                if i == 0 {
                    out_excitation[m] += v;
                } else if i <= nr {
                    out_muscle[m * ns + reads[i - 1]] += v;
                } else if i == nr + 1 {
                    g_geom[m] += v;
                } else {
                    g_geom[n_m + m] += v;
                }
            }
        }
    }
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// `g_joint += (∂geometry/∂(q, q̇))ᵀ · g_geom`, at the joint state `joint`.
    fn fold_geometry(&self, joint: &[f64], g_geom: &[f64], g_joint: &mut [f64], sc: &mut Scratch) {
        if g_geom.iter().any(|&v| v != 0.0) {
            vjp(&GeometryPart(self), joint, g_geom, g_joint, sc);
        }
    }

    /// ∂L/∂(q', q̇') of a ministep: `g_next.joint` plus the gradient of the geometry after the
    /// step folded at the new joint state, which `new_joint` writes into an empty buffer (only
    /// called if that gradient is not zero). The result is scratch's buffer: give it back
    /// (`sc.g_joint_new`) when done.
    fn new_joint_gradient(
        &self,
        g_next: Parts<'_>,
        new_joint: impl FnOnce(&mut Vec<f64>),
        sc: &mut Scratch,
    ) -> Vec<f64> {
        let mut g_joint_new = std::mem::take(&mut sc.g_joint_new);
        g_joint_new.clear();
        g_joint_new.extend_from_slice(g_next.joint);
        if g_next.geometry.iter().any(|&v| v != 0.0) {
            let mut joint_new = std::mem::take(&mut sc.joint_new);
            joint_new.clear();
            new_joint(&mut joint_new);
            self.fold_geometry(&joint_new, g_next.geometry, &mut g_joint_new, sc);
            sc.joint_new = joint_new;
        }
        g_joint_new
    }

    /// (a) and (b) of [`Self::euler_ministep_adjoint`] for joint dynamics with at most `N`
    /// inputs `x`: one dual pass gives the new joint state and its Jacobian; the gradient of
    /// the geometry after the step is folded at that new joint state, then `g_x += Jᵀ ·
    /// ∂L/∂(q', q̇')`. `duals` picks the scratch buffers of width `N`.
    fn joint_adjoint<const N: usize>(
        &self,
        joint: &JointPart<'_, K, M, G>,
        x: &[f64],
        g_next: Parts<'_>,
        g_x: &mut [f64],
        duals: fn(&mut Scratch) -> &mut Duals<N>,
        sc: &mut Scratch,
    ) {
        let n_out = 2 * self.dof();
        let mut d = std::mem::take(duals(sc));
        d.x.clear();
        d.x.extend(x.iter().enumerate().map(|(i, &v)| DualN::variable(v, i)));
        d.y.resize(n_out, DualN::constant(0.0));
        joint.eval(&d.x, &mut d.y);
        let g_joint_new =
            self.new_joint_gradient(g_next, |jn| jn.extend(d.y.iter().map(|y| y.re)), sc);
        let mut sum = [0.0; N];
        add_weighted_eps(&mut sum, &d.y, &g_joint_new);
        for (a, s) in g_x.iter_mut().zip(&sum) {
            *a += s;
        }
        sc.g_joint_new = g_joint_new;
        *duals(sc) = d;
    }

    /// The inputs of the joint dynamics at `s`, appended to `x`: `[q, q̇, τ, endpoint load]`,
    /// with the torques τ_j = −Σ_m f_m·r_jm + joint load_j − damping·q̇_j.
    pub(super) fn joint_inputs(
        &self,
        s: Parts<'_>,
        endpoint_load: &[f64],
        joint_load: &[f64],
        x: &mut Vec<f64>,
    ) {
        let dof = self.dof();
        let (q, qd) = s.joint.split_at(dof);
        stack_buffer(dof, 0.0, |tau| {
            self.torques(s.joint, s.muscle, s.geometry, joint_load, tau);
            x.extend(q.iter().chain(qd).chain(&*tau).chain(endpoint_load));
        });
    }

    /// Carry `g_x` = ∂L/∂(the joint dynamics' inputs [`Self::joint_inputs`]) into `out`: the
    /// joint state and the endpoint load directly, the torques (c) into the joint velocity,
    /// the joint load, the muscle forces and the moment arms. The torques' part is the
    /// hand-written VJP of [`Effector::torques`] (a fast path: it is bilinear), tested equal to
    /// that function's dual-number derivatives (`torque_vjp_equals_the_dual_numbers_of_torques`).
    pub(super) fn joint_inputs_adjoint(&self, s: Parts<'_>, g_x: &[f64], out: &mut GradOut<'_>) {
        let (dof, n_m) = (self.dof(), self.n_muscles());
        let ns = self.muscle().n_states();
        let fi = self.muscle().force_index();
        let damping = self.options().damping;
        for (a, b) in out.joint.iter_mut().zip(&g_x[..2 * dof]) {
            *a += b;
        }
        for (a, b) in out.endpoint_load.iter_mut().zip(&g_x[3 * dof..]) {
            *a += b;
        }
        // (c) torques: τ_j = −Σ_m f_m·r_jm + joint load_j − damping·q̇_j
        for j in 0..dof {
            let gt = g_x[2 * dof + j];
            if let Some(g) = out.joint_load.get_mut(j) {
                *g += gt;
            }
            out.joint[dof + j] -= damping * gt;
            for m in 0..n_m {
                out.muscle[m * ns + fi] -= gt * s.geometry[(2 + j) * n_m + m];
                out.geometry[(2 + j) * n_m + m] -= gt * s.muscle[m * ns + fi];
            }
        }
    }

    /// (a)–(c) of the reverse-mode VJP of one Euler ministep of length `h` from `s`: the
    /// geometry after the ministep, the joint dynamics and the torques. Adds ∂L/∂s's joint
    /// part, its muscle forces and moment arms, and the loads' gradients into `out`, given
    /// `g_next` = ∂L/∂(state after), geometry included. The muscles' part (d) is
    /// [`Self::muscles_ministep_adjoint`] (or, four elements at a time, the lanes pass).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn joints_ministep_adjoint(
        &self,
        h: f64,
        s: Parts<'_>,
        endpoint_load: &[f64],
        joint_load: &[f64],
        g_next: Parts<'_>,
        out: &mut GradOut<'_>,
        sc: &mut Scratch,
    ) {
        let dof = self.dof();
        let mut x = std::mem::take(&mut sc.x);
        x.clear();
        self.joint_inputs(s, endpoint_load, joint_load, &mut x);
        let joint = JointPart { e: self, h };

        // (a) the geometry after the step is a function of the new joint state, folded into
        // its gradient; (b) joint dynamics: (q', q̇') from (q, q̇, τ, endpoint load). With at
        // most 8 inputs, one dual pass gives both the new joint state (its values, for (a))
        // and the whole Jacobian (for (b)).
        let mut g_x = std::mem::take(&mut sc.g_x);
        g_x.clear();
        g_x.resize(x.len(), 0.0);
        match x.len() {
            1..=2 => self.joint_adjoint(&joint, &x, g_next, &mut g_x, |sc| &mut sc.d2, sc),
            3..=4 => self.joint_adjoint(&joint, &x, g_next, &mut g_x, |sc| &mut sc.d4, sc),
            5..=6 => self.joint_adjoint(&joint, &x, g_next, &mut g_x, |sc| &mut sc.d6, sc),
            7..=8 => self.joint_adjoint(&joint, &x, g_next, &mut g_x, |sc| &mut sc.d8, sc),
            _ => {
                let new_joint = |jn: &mut Vec<f64>| {
                    jn.resize(2 * dof, 0.0);
                    joint.eval(&x, jn);
                };
                let g_joint_new = self.new_joint_gradient(g_next, new_joint, sc);
                vjp(&joint, &x, &g_joint_new, &mut g_x, sc);
                sc.g_joint_new = g_joint_new;
            }
        }
        sc.x = x;
        // (c) the torques
        self.joint_inputs_adjoint(s, &g_x, out);
        sc.g_x = g_x;
    }

    /// (d) of the reverse-mode VJP of one Euler ministep of length `h` from `s` under the
    /// clipped excitation `u`: the muscles, new state_m = integrate(h, derivative(u_m,
    /// state_m), state_m, len_m, vel_m). Adds into `out`'s excitation (∂L/∂u, before the
    /// clip), muscle state, lengths and velocities, given `g_next_muscle` = ∂L/∂(muscle state
    /// after) and the `record` the forward ministep left
    /// ([`MuscleModel::integrate_all_record`], or empty).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn muscles_ministep_adjoint(
        &self,
        h: f64,
        s: Parts<'_>,
        u: &[f64],
        g_next_muscle: &[f64],
        out: &mut GradOut<'_>,
        sc: &mut Scratch,
        record: &[f64],
    ) {
        let k = 3 + self.muscle().read_states().len();
        let (exc, mus, geo) = (&mut *out.excitation, &mut *out.muscle, &mut *out.geometry);
        let (gm, rec) = (g_next_muscle, record);
        match k {
            0..=4 => muscles_vjp(self, h, s, u, gm, exc, mus, geo, &mut sc.d4, rec),
            5..=6 => muscles_vjp(self, h, s, u, gm, exc, mus, geo, &mut sc.d6, rec),
            _ => muscles_vjp(self, h, s, u, gm, exc, mus, geo, &mut sc.d8, rec),
        }
    }

    /// Reverse-mode VJP of one Euler ministep of length `h` from `s` under the clipped
    /// excitation `u`: adds ∂L/∂s into `out` (joint, muscle, and the geometry `s` holds,
    /// unfolded), ∂L/∂u into `out.excitation` and the loads' gradients into theirs, given
    /// `g_next` = ∂L/∂(state after), geometry included.
    #[allow(clippy::too_many_arguments)]
    fn euler_ministep_adjoint(
        &self,
        h: f64,
        s: Parts<'_>,
        u: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        g_next: Parts<'_>,
        out: &mut GradOut<'_>,
        sc: &mut Scratch,
        record: &[f64],
    ) {
        self.joints_ministep_adjoint(h, s, endpoint_load, joint_load, g_next, out, sc);
        self.muscles_ministep_adjoint(h, s, u, g_next.muscle, out, sc, record);
    }

    /// Reverse-mode VJP of an Euler step of **one** ministep, *added* into `out`: ∂L/∂state
    /// (with the gradient of the geometry `state` holds left unfolded), ∂L/∂excitation (through
    /// the clip to `[min_activation, 1]`, applied to this step's contribution only) and the
    /// loads' gradients, given `grad_next` = ∂L/∂(state after), geometry included, and the
    /// muscles' `record` of the forward step ([`Effector::step_recording`], or empty).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn euler_step_vjp_add(
        &self,
        state: Parts<'_>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: Parts<'_>,
        out: &mut GradOut<'_>,
        record: &[f64],
    ) {
        debug_assert_eq!(self.options().n_ministeps, 1);
        let act = *self.muscle().activation();
        let h = self.ministep();
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            let mut u = std::mem::take(&mut sc.u);
            u.clear();
            u.extend(excitation.iter().map(|&e| act.clip(e)));
            let mut g_u = std::mem::take(&mut sc.g_u);
            g_u.clear();
            g_u.resize(excitation.len(), 0.0);
            let mut step_out = GradOut {
                joint: &mut *out.joint,
                muscle: &mut *out.muscle,
                geometry: &mut *out.geometry,
                excitation: &mut g_u,
                endpoint_load: &mut *out.endpoint_load,
                joint_load: &mut *out.joint_load,
            };
            let (el, jl) = (endpoint_load, joint_load);
            let g = grad_next;
            self.euler_ministep_adjoint(h, state, &u, el, jl, g, &mut step_out, sc, record);
            add_passing_clip(&act, excitation, &g_u, out.excitation);
            sc.u = u;
            sc.g_u = g_u;
        });
    }

    /// Reverse-mode VJP of an Euler step of several ministeps, *added* into `out` (geometry
    /// unfolded), as [`Self::euler_step_vjp_add`] does for one: re-simulates the state before
    /// each ministep, then walks back.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn euler_ministeps_vjp_add(
        &self,
        state: Parts<'_>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: Parts<'_>,
        out: &mut GradOut<'_>,
    ) {
        let act = *self.muscle().activation();
        let h = self.ministep();
        let n = self.options().n_ministeps;
        let (el, jl) = (endpoint_load, joint_load);
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            let mut u = std::mem::take(&mut sc.u);
            u.clear();
            u.extend(excitation.iter().map(|&e| act.clip(e)));
            let mut states = std::mem::take(&mut sc.states);
            states.resize_with(n, || self.zero_state());
            copy_parts(&mut states[0], state);
            let mut ws = self.workspace::<f64>();
            for k in 1..n {
                let (done, rest) = states.split_at_mut(k);
                rest[0].clone_from(&done[k - 1]);
                self.ministep_with_clipped(h, &mut rest[0], &u, el, jl, &mut ws);
            }
            // the step's gradient, built in scratch (its state part is also the gradient
            // between ministeps), then added to the caller's
            let mut step = std::mem::take(&mut sc.g_step);
            reset_gradient(&mut step, &states[0], excitation.len(), el.len(), jl.len());
            let mut g = std::mem::take(&mut sc.g_between);
            copy_parts(&mut g, grad_next);
            for k in (0..n).rev() {
                for v in step
                    .state
                    .joint
                    .iter_mut()
                    .chain(&mut step.state.muscle)
                    .chain(&mut step.state.geometry)
                {
                    *v = 0.0;
                }
                let (s, g_next) = (Parts::of(&states[k]), Parts::of(&g));
                let mut step_out = GradOut::of(&mut step);
                self.euler_ministep_adjoint(h, s, &u, el, jl, g_next, &mut step_out, sc, &[]);
                if k > 0 {
                    g.clone_from(&step.state);
                }
            }
            // the excitation was clipped once per step: its gradient passes inside the bounds
            // (and at them, as torch.clamp does)
            for (gu, &e) in step.excitation.iter_mut().zip(excitation) {
                if !passes_clip(&act, e) {
                    *gu = 0.0;
                }
            }
            let pairs = [
                (&mut *out.joint, &step.state.joint),
                (&mut *out.muscle, &step.state.muscle),
                (&mut *out.geometry, &step.state.geometry),
                (&mut *out.excitation, &step.excitation),
                (&mut *out.endpoint_load, &step.endpoint_load),
                (&mut *out.joint_load, &step.joint_load),
            ];
            for (dst, src) in pairs {
                add_into(dst, src);
            }
            sc.g_step = step;
            sc.g_between = g;
            sc.states = states;
            sc.u = u;
        });
    }

    /// Fold the gradient with respect to the geometry `state` holds into its joint state
    /// (`out.state.joint += (∂geometry/∂(q, q̇))ᵀ · out.state.geometry`) and zero it: the unfolded
    /// VJP made folded (what [`Effector::step_vjp_into`] returns).
    pub(super) fn fold_geometry_gradient(&self, state: &State<f64>, out: &mut StepGradient) {
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            let g_geom = std::mem::take(&mut out.state.geometry);
            self.fold_geometry(&state.joint, &g_geom, &mut out.state.joint, sc);
            out.state.geometry = g_geom;
            out.state.geometry.iter_mut().for_each(|v| *v = 0.0);
        });
    }
}

/// Copy the parts of a state into `dst`, keeping its allocations.
fn copy_parts(dst: &mut State<f64>, src: Parts<'_>) {
    for (d, s) in [
        (&mut dst.joint, src.joint),
        (&mut dst.muscle, src.muscle),
        (&mut dst.geometry, src.geometry),
    ] {
        d.clear();
        d.extend_from_slice(s);
    }
}

/// `out += g_u` where the excitation `e` is inside `[min_activation, 1]` (or at a bound, as
/// torch.clamp passes it): the gradient through the clip applied once per step.
pub(super) fn add_passing_clip(
    act: &ActivationDynamics,
    excitation: &[f64],
    g_u: &[f64],
    out: &mut [f64],
) {
    for ((o, &g), &e) in out.iter_mut().zip(g_u).zip(excitation) {
        if passes_clip(act, e) {
            *o += g;
        }
    }
}

/// Whether the clip to `[min_activation, 1]` passes the derivative at the excitation `e`.
fn passes_clip(act: &ActivationDynamics, e: f64) -> bool {
    !(e < act.min_activation || e > 1.0)
}

#[cfg(test)]
mod tests {
    use super::super::buffers::{GradOut, Parts};
    use crate::presets;
    use motornet_muscle::MuscleModel;
    use motornet_scalar::{Dual64, Scalar};

    /// The hand-written VJP of the torques equals the derivatives of `Effector::torques`
    /// itself, on dual numbers, with respect to every input it reads.
    #[test]
    fn torque_vjp_equals_the_dual_numbers_of_torques() {
        let mut eff = presets::spec("RigidTendonArm26", None)
            .unwrap()
            .build()
            .unwrap();
        let mut options = eff.options().clone();
        options.damping = 0.3;
        eff = crate::Effector::new(
            eff.skeleton().clone(),
            eff.muscle().clone(),
            eff.geometry().clone(),
            options,
        )
        .unwrap();
        let (dof, m) = (eff.dof(), eff.n_muscles());
        let mut s = eff.zero_state::<f64>();
        eff.reset(&[0.7, 1.1, 0.4, -0.9], &mut s);
        // arbitrary forces, so that every product matters
        let ns = eff.muscle().n_states();
        for k in 0..m {
            s.muscle[k * ns + ns - 1] = 10.0 + 7.0 * k as f64;
        }
        let joint_load = [0.25, -0.5];
        let g_tau = [1.3, -0.7];

        // hand-written: g_x = [0 (q, q̇), g_tau, 0 (endpoint load)]
        let mut g_x = vec![0.0; 3 * dof];
        g_x[2 * dof..3 * dof].copy_from_slice(&g_tau);
        let mut st = eff.zero_state::<f64>();
        let (mut exc, mut el, mut jl) = (vec![0.0; m], vec![], vec![0.0; dof]);
        let mut out = GradOut {
            joint: &mut st.joint,
            muscle: &mut st.muscle,
            geometry: &mut st.geometry,
            excitation: &mut exc,
            endpoint_load: &mut el,
            joint_load: &mut jl,
        };
        eff.joint_inputs_adjoint(Parts::of(&s), &g_x, &mut out);

        // automatic: one dual pass per input entry
        let lift = |v: &[f64]| v.iter().map(|&x| Dual64::from(x)).collect::<Vec<_>>();
        let vjp = |part: usize, i: usize| {
            let (mut j, mut mu, mut ge, mut lo) = (
                lift(&s.joint),
                lift(&s.muscle),
                lift(&s.geometry),
                lift(&joint_load),
            );
            let x = match part {
                0 => &mut j,
                1 => &mut mu,
                2 => &mut ge,
                _ => &mut lo,
            };
            x[i] = Dual64::new(x[i].re, 1.0);
            let mut tau = vec![Dual64::zero(); dof];
            eff.torques(&j, &mu, &ge, &lo, &mut tau);
            tau.iter().zip(&g_tau).map(|(t, g)| t.eps * g).sum::<f64>()
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + a.abs());
        for i in 0..2 * dof {
            // q̇ through the damping (q itself passes through to the dynamics, not here)
            let want = if i >= dof { vjp(0, i) } else { 0.0 };
            assert!(
                close(st.joint[i] - g_x[i], want),
                "joint {i}: {} vs {want}",
                st.joint[i]
            );
        }
        for i in 0..s.muscle.len() {
            assert!(
                close(st.muscle[i], vjp(1, i)),
                "muscle {i}: {} vs {}",
                st.muscle[i],
                vjp(1, i)
            );
        }
        for i in 0..s.geometry.len() {
            let want = vjp(2, i);
            assert!(
                close(st.geometry[i], want),
                "geometry {i}: {} vs {want}",
                st.geometry[i]
            );
        }
        for i in 0..dof {
            assert!(
                close(jl[i], vjp(3, i)),
                "joint load {i}: {} vs {}",
                jl[i],
                vjp(3, i)
            );
        }
        assert!(st.muscle.iter().any(|&g| g != 0.0) && st.geometry.iter().any(|&g| g != 0.0));
    }
}
