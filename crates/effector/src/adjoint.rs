//! Reverse-mode VJP of an Euler step, from the local Jacobians of its parts.
//!
//! [`Effector::step_vjp`] in general differentiates the whole step in forward mode, several
//! input directions per pass. For Euler steps (MotorNet's default) this module does much less
//! work: it walks the step backwards part by part — geometry, joint update, muscles, skeleton
//! dynamics, torques — and gets each part's small Jacobian from a forward-mode pass over that
//! part alone (a muscle depends on 4 to 6 numbers, the skeleton on a handful). The parts are the
//! same scalar-generic functions that simulate, so the derivatives cannot drift from the model;
//! `tests/gradients.rs` checks the two VJPs agree to 1e-12.

use crate::effector::{Effector, State};
use crate::geometry::Geometry;
use crate::grad::StepGradient;
use motornet_muscle::{MuscleModel, MAX_MUSCLE_STATES};
use motornet_scalar::{DualN, Scalar};
use motornet_skeleton::Skeleton;

/// Directions per forward-mode pass for the parts with more inputs (joint update, dynamics).
const W: usize = 8;
type D = DualN<W>;
/// Narrow duals for parts with at most 4 inputs (a rigid muscle, a 2-joint geometry).
type D4 = DualN<4>;

/// Resize `out` for `state` and zero it, keeping its allocations.
pub(crate) fn reset_gradient(
    out: &mut StepGradient,
    state: &State<f64>,
    m: usize,
    el: usize,
    jl: usize,
) {
    for (v, n) in [
        (&mut out.state.joint, state.joint.len()),
        (&mut out.state.muscle, state.muscle.len()),
        (&mut out.state.geometry, state.geometry.len()),
        (&mut out.excitation, m),
        (&mut out.endpoint_load, el),
        (&mut out.joint_load, jl),
    ] {
        v.clear();
        v.resize(n, 0.0);
    }
}

thread_local! {
    /// The adjoint's buffers, kept per thread so that steady-state VJPs allocate only their
    /// result.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Reusable buffers of the adjoint.
#[derive(Default)]
pub(crate) struct Scratch {
    u: Vec<f64>,
    xd: Vec<D>,
    yd: Vec<D>,
    xd4: Vec<D4>,
    yd4: Vec<D4>,
    jac: Vec<f64>,
    x: Vec<f64>,
    g_x: Vec<f64>,
    tau: Vec<f64>,
    qdd: Vec<f64>,
    q_new: Vec<f64>,
    qd_new: Vec<f64>,
    joint_new: Vec<f64>,
    g_joint_new: Vec<f64>,
    g_joint: Vec<f64>,
    g_geom: Vec<f64>,
}

/// Dense Jacobian (`n_out × n_in`, row-major, into `jac`) of `f` at `x`, by forward-mode passes
/// of `N` directions. `f` maps `x` (len `n_in`) into its output slice (len `n_out`).
fn jacobian<const N: usize>(
    x: &[f64],
    n_out: usize,
    jac: &mut Vec<f64>,
    xd: &mut Vec<DualN<N>>,
    yd: &mut Vec<DualN<N>>,
    mut f: impl FnMut(&[DualN<N>], &mut [DualN<N>]),
) {
    let n_in = x.len();
    jac.clear();
    jac.resize(n_out * n_in, 0.0);
    xd.clear();
    xd.resize(n_in, DualN::constant(0.0));
    yd.clear();
    yd.resize(n_out, DualN::constant(0.0));
    for start in (0..n_in).step_by(N) {
        for (i, (d, &v)) in xd.iter_mut().zip(x).enumerate() {
            *d = if i >= start && i < start + N {
                DualN::variable(v, i - start)
            } else {
                DualN::constant(v)
            };
        }
        f(xd, yd);
        for (o, y) in yd.iter().enumerate() {
            for i in start..(start + N).min(n_in) {
                jac[o * n_in + i] = y.eps[i - start];
            }
        }
    }
}

/// The geometry as a function of the joint state `x = [q, q̇]`, into `out`.
fn geometry_fn<S: Scalar, K: Skeleton, M: MuscleModel, G: Geometry>(
    e: &Effector<K, M, G>,
    x: &[S],
    out: &mut [S],
) {
    let n_m = e.n_muscles();
    let (q, qd) = x.split_at(e.dof());
    let (len, rest) = out.split_at_mut(n_m);
    let (vel, moment) = rest.split_at_mut(n_m);
    e.geometry().compute(e.skeleton(), q, qd, len, vel, moment);
}

/// Muscle `m`'s new state from `x = [u_m, the state entries it reads, length, velocity]`, the
/// other entries of its state held at `state_m`.
fn muscle_fn<S: Scalar, M: MuscleModel>(
    muscle: &M,
    m: usize,
    h: f64,
    state_m: &[f64],
    x: &[S],
    y: &mut [S],
) {
    let (ns, nd) = (muscle.n_states(), muscle.n_derivatives());
    let reads = muscle.read_states();
    let nr = reads.len();
    let mut st = [S::zero(); MAX_MUSCLE_STATES];
    for (k, v) in state_m.iter().enumerate() {
        st[k] = S::c(*v);
    }
    for (k, &r) in reads.iter().enumerate() {
        st[r] = x[1 + k];
    }
    let mut der = [S::zero(); MAX_MUSCLE_STATES];
    muscle.derivative(m, x[0], &st[..ns], &mut der[..nd]);
    muscle.integrate(m, h, &der[..nd], &st[..ns], x[1 + nr], x[2 + nr], y);
}

/// `acc += Jᵀ g` for a row-major `n_out × n_in` Jacobian.
fn add_jt_g(jac: &[f64], g: &[f64], acc: &mut [f64]) {
    let n_in = acc.len();
    for (o, &go) in g.iter().enumerate() {
        if go != 0.0 {
            for (a, &j) in acc.iter_mut().zip(&jac[o * n_in..(o + 1) * n_in]) {
                *a += go * j;
            }
        }
    }
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// `g_joint += (∂geometry/∂(q, q̇))ᵀ · g_geom`, at the joint state `joint`.
    fn geometry_adjoint(
        &self,
        joint: &[f64],
        g_geom: &[f64],
        g_joint: &mut [f64],
        sc: &mut Scratch,
    ) {
        if g_geom.iter().all(|&v| v == 0.0) {
            return; // nothing depends on this geometry
        }
        if 2 * self.dof() <= 4 {
            jacobian(
                joint,
                g_geom.len(),
                &mut sc.jac,
                &mut sc.xd4,
                &mut sc.yd4,
                |x, out| geometry_fn(self, x, out),
            );
        } else {
            jacobian(
                joint,
                g_geom.len(),
                &mut sc.jac,
                &mut sc.xd,
                &mut sc.yd,
                |x, out| geometry_fn(self, x, out),
            );
        }
        add_jt_g(&sc.jac, g_geom, g_joint);
    }

    /// Reverse-mode VJP of one Euler ministep of length `h` from `s` under the clipped
    /// excitation `u`: adds ∂L/∂s (joint, muscle) into `out.state`, ∂L/∂u into `out.excitation`
    /// and the loads' gradients into theirs, given `g_next` = ∂L/∂(state after).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn euler_ministep_adjoint(
        &self,
        h: f64,
        s: &State<f64>,
        u: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        g_next: &State<f64>,
        out: &mut StepGradient,
        sc: &mut Scratch,
    ) {
        let (dof, n_m, d) = (self.dof(), self.n_muscles(), self.space_dim());
        let ns = self.muscle().n_states();
        let fi = self.muscle().force_index();
        let reads = self.muscle().read_states();
        let damping = self.options().damping;
        let bounds = &self.options().bounds;

        // forward quantities at s: torques, accelerations, the joint state after the step
        let (q, qd) = s.joint.split_at(dof);
        sc.tau.clear();
        for j in 0..dof {
            let mut t = 0.0;
            for m in 0..n_m {
                t += s.muscle[m * ns + fi] * s.geometry[(2 + j) * n_m + m];
            }
            sc.tau
                .push(-t + joint_load.get(j).copied().unwrap_or(0.0) - damping * qd[j]);
        }
        sc.qdd.clear();
        sc.qdd.resize(dof, 0.0);
        self.skeleton()
            .acceleration(q, qd, &sc.tau, endpoint_load, &mut sc.qdd);
        sc.q_new.clear();
        sc.q_new.resize(dof, 0.0);
        sc.qd_new.clear();
        sc.qd_new.resize(dof, 0.0);
        bounds.integrate(h, q, qd, &sc.qdd, &mut sc.q_new, &mut sc.qd_new);
        sc.joint_new.clear();
        sc.joint_new.extend(sc.q_new.iter().chain(&sc.qd_new));

        // (a) geometry after the step: folded into the new joint state
        let mut g_joint_new = std::mem::take(&mut sc.g_joint_new);
        g_joint_new.clear();
        g_joint_new.extend_from_slice(&g_next.joint);
        let joint_new = std::mem::take(&mut sc.joint_new);
        self.geometry_adjoint(&joint_new, &g_next.geometry, &mut g_joint_new, sc);
        sc.joint_new = joint_new;

        // (b) joint update: (q', q̇') = bounds(q, q̇, q̈)
        sc.x.clear();
        sc.x.extend(q.iter().chain(qd).chain(&sc.qdd));
        jacobian(
            &sc.x,
            2 * dof,
            &mut sc.jac,
            &mut sc.xd,
            &mut sc.yd,
            |x, y| {
                let (q, rest) = x.split_at(dof);
                let (qd, qdd) = rest.split_at(dof);
                let (yq, yqd) = y.split_at_mut(dof);
                bounds.integrate(h, q, qd, qdd, yq, yqd);
            },
        );
        sc.g_x.clear();
        sc.g_x.resize(3 * dof, 0.0);
        add_jt_g(&sc.jac, &g_joint_new, &mut sc.g_x);
        sc.g_joint_new = g_joint_new;
        let mut g_joint = std::mem::take(&mut sc.g_joint);
        g_joint.clear();
        g_joint.extend_from_slice(&sc.g_x[..2 * dof]);
        let mut g_qdd = [0.0; crate::MAX_DOF];
        g_qdd[..dof].copy_from_slice(&sc.g_x[2 * dof..3 * dof]);

        // (d) skeleton dynamics: q̈ = A(q, q̇, τ, endpoint load)
        sc.x.clear();
        sc.x.extend(q.iter().chain(qd).chain(&sc.tau).chain(endpoint_load));
        jacobian(&sc.x, dof, &mut sc.jac, &mut sc.xd, &mut sc.yd, |x, y| {
            let (q, rest) = x.split_at(dof);
            let (qd, rest) = rest.split_at(dof);
            let (tau, el) = rest.split_at(dof);
            self.skeleton().acceleration(q, qd, tau, el, y);
        });
        sc.g_x.clear();
        sc.g_x.resize(sc.x.len(), 0.0);
        add_jt_g(&sc.jac, &g_qdd[..dof], &mut sc.g_x);
        for k in 0..2 * dof {
            g_joint[k] += sc.g_x[k];
        }
        let mut g_tau = [0.0; crate::MAX_DOF];
        g_tau[..dof].copy_from_slice(&sc.g_x[2 * dof..3 * dof]);
        if !endpoint_load.is_empty() {
            for k in 0..d {
                out.endpoint_load[k] += sc.g_x[3 * dof + k];
            }
        }

        // (e) torques: τ_j = −Σ_m f_m·r_jm + joint load_j − damping·q̇_j
        let mut g_geom = std::mem::take(&mut sc.g_geom);
        g_geom.clear();
        g_geom.resize(s.geometry.len(), 0.0);
        for j in 0..dof {
            let gt = g_tau[j];
            if let Some(g) = out.joint_load.get_mut(j) {
                *g += gt;
            }
            g_joint[dof + j] -= damping * gt;
            for m in 0..n_m {
                out.state.muscle[m * ns + fi] -= gt * s.geometry[(2 + j) * n_m + m];
                g_geom[(2 + j) * n_m + m] -= gt * s.muscle[m * ns + fi];
            }
        }

        // (c) muscles: new state_m = integrate(h, derivative(u_m, state_m), state_m, len_m, vel_m)
        let nr = reads.len();
        for m in 0..n_m {
            let state_m = &s.muscle[m * ns..(m + 1) * ns];
            let g_new = &g_next.muscle[m * ns..(m + 1) * ns];
            if g_new.iter().all(|&v| v == 0.0) {
                continue;
            }
            sc.x.clear();
            sc.x.push(u[m]);
            sc.x.extend(reads.iter().map(|&r| state_m[r]));
            sc.x.push(s.geometry[m]);
            sc.x.push(s.geometry[n_m + m]);
            if sc.x.len() <= 4 {
                jacobian(&sc.x, ns, &mut sc.jac, &mut sc.xd4, &mut sc.yd4, |x, y| {
                    muscle_fn(self.muscle(), m, h, state_m, x, y)
                });
            } else {
                jacobian(&sc.x, ns, &mut sc.jac, &mut sc.xd, &mut sc.yd, |x, y| {
                    muscle_fn(self.muscle(), m, h, state_m, x, y)
                });
            }
            sc.g_x.clear();
            sc.g_x.resize(sc.x.len(), 0.0);
            add_jt_g(&sc.jac, g_new, &mut sc.g_x);
            out.excitation[m] += sc.g_x[0];
            for (k, &r) in reads.iter().enumerate() {
                out.state.muscle[m * ns + r] += sc.g_x[1 + k];
            }
            g_geom[m] += sc.g_x[1 + nr];
            g_geom[n_m + m] += sc.g_x[2 + nr];
        }

        // (f) geometry at s (moment arms used by the torques, lengths and velocities by the
        // muscles): folded into the joint state
        self.geometry_adjoint(&s.joint, &g_geom, &mut g_joint, sc);
        for (a, b) in out.state.joint.iter_mut().zip(&g_joint) {
            *a += b;
        }
        sc.g_geom = g_geom;
        sc.g_joint = g_joint;
    }

    /// Reverse-mode VJP of a whole Euler step (all ministeps); see [`Effector::step_vjp`].
    /// Into `out`, whose buffers are resized, zeroed and reused (no allocation in the common
    /// one-ministep case).
    pub(crate) fn euler_step_vjp_into(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
        out: &mut StepGradient,
    ) {
        let act = *self.muscle().activation();
        let h = self.ministep();
        let n = self.options().n_ministeps;
        reset_gradient(
            out,
            state,
            excitation.len(),
            endpoint_load.len(),
            joint_load.len(),
        );
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            let mut u = std::mem::take(&mut sc.u);
            u.clear();
            u.extend(excitation.iter().map(|&e| act.clip(e)));
            if n == 1 {
                self.euler_ministep_adjoint(
                    h,
                    state,
                    &u,
                    endpoint_load,
                    joint_load,
                    grad_next,
                    out,
                    sc,
                );
                sc.u = u;
                return;
            }
            // several ministeps: re-simulate to get the state before each, then walk back
            let mut states = Vec::with_capacity(n);
            let mut s = state.clone();
            let mut ws = self.workspace::<f64>();
            for k in 0..n {
                states.push(s.clone());
                if k + 1 < n {
                    self.ministep_with_clipped(h, &mut s, &u, endpoint_load, joint_load, &mut ws);
                }
            }
            let mut g = grad_next.clone();
            for (k, s_k) in states.iter().enumerate().rev() {
                out.state = self.zero_state::<f64>();
                self.euler_ministep_adjoint(h, s_k, &u, endpoint_load, joint_load, &g, out, sc);
                if k > 0 {
                    g = out.state.clone();
                }
            }
            sc.u = u;
        });
        // the excitation was clipped once per step: its gradient passes inside the bounds
        // (and at them, as torch.clamp does)
        for (gu, &e) in out.excitation.iter_mut().zip(excitation) {
            if e < act.min_activation || e > 1.0 {
                *gu = 0.0;
            }
        }
    }
}
