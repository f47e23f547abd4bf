//! Reverse-mode VJP of an Euler step, from the local derivatives of its parts.
//!
//! [`Effector::step_vjp`] in general differentiates the whole step in forward mode, several
//! input directions per pass. For Euler steps (MotorNet's default) this module does much less
//! work: it walks the step backwards part by part — geometry after the step, joint dynamics
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

use crate::effector::{Effector, State};
use crate::geometry::Geometry;
use crate::grad::{RowVjp, StepGradient};
use crate::MAX_DOF;
use motornet_muscle::{ActivationDynamics, MuscleModel};
use motornet_scalar::{DualLanes, DualN, Lanes, Scalar};
use motornet_skeleton::Skeleton;

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

/// A state read in place: the three parts of a [`State`] or of a flattened state row
/// (`[joint | muscle | geometry]`).
#[derive(Clone, Copy)]
pub(crate) struct Parts<'a> {
    pub joint: &'a [f64],
    pub muscle: &'a [f64],
    pub geometry: &'a [f64],
}

impl<'a> Parts<'a> {
    pub(crate) fn of(s: &'a State<f64>) -> Self {
        Self {
            joint: &s.joint,
            muscle: &s.muscle,
            geometry: &s.geometry,
        }
    }

    /// Split a flattened row with parts of `j` and `m` numbers (the geometry is the rest).
    pub(crate) fn of_row(row: &'a [f64], j: usize, m: usize) -> Self {
        let (joint, rest) = row.split_at(j);
        let (muscle, geometry) = rest.split_at(m);
        Self {
            joint,
            muscle,
            geometry,
        }
    }
}

/// Where a VJP adds its gradients (`+=`, never `=`): with respect to the state's parts, the
/// excitation and the loads.
pub(crate) struct GradOut<'a> {
    pub joint: &'a mut [f64],
    pub muscle: &'a mut [f64],
    pub geometry: &'a mut [f64],
    pub excitation: &'a mut [f64],
    pub endpoint_load: &'a mut [f64],
    pub joint_load: &'a mut [f64],
}

impl<'a> GradOut<'a> {
    pub(crate) fn of(g: &'a mut StepGradient) -> Self {
        Self {
            joint: &mut g.state.joint,
            muscle: &mut g.state.muscle,
            geometry: &mut g.state.geometry,
            excitation: &mut g.excitation,
            endpoint_load: &mut g.endpoint_load,
            joint_load: &mut g.joint_load,
        }
    }

    /// Split a flattened state-gradient row with parts of `j` and `m` numbers.
    pub(crate) fn of_row(
        row: &'a mut [f64],
        j: usize,
        m: usize,
        excitation: &'a mut [f64],
        endpoint_load: &'a mut [f64],
        joint_load: &'a mut [f64],
    ) -> Self {
        let (joint, rest) = row.split_at_mut(j);
        let (muscle, geometry) = rest.split_at_mut(m);
        Self {
            joint,
            muscle,
            geometry,
            excitation,
            endpoint_load,
            joint_load,
        }
    }
}

thread_local! {
    /// The adjoint's buffers, kept per thread so that steady-state VJPs allocate nothing.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Dual-number buffers of one width: the inputs and outputs of a part, and a muscle's state
/// and derivative.
struct Duals<const N: usize> {
    x: Vec<DualN<N>>,
    y: Vec<DualN<N>>,
    st: Vec<DualN<N>>,
    der: Vec<DualN<N>>,
}

impl<const N: usize> Default for Duals<N> {
    fn default() -> Self {
        Self {
            x: Vec::new(),
            y: Vec::new(),
            st: Vec::new(),
            der: Vec::new(),
        }
    }
}

/// Reusable buffers of the adjoint.
#[derive(Default)]
pub(crate) struct Scratch {
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
    /// Lanes of several elements: their dual buffers, clipped excitations `[L][M]`, and the
    /// gradients of the muscles' pass (excitation `[L][M]`, muscle state `[L][M·n_states]`,
    /// lengths and velocities `[L][2·M]`).
    dl: DualsLanes,
    /// Lanes of the joint dynamics and geometry: inputs `[L][n_x]` and their gradients.
    xs: Vec<f64>,
    g_xs: Vec<f64>,
    dg: Vec<DG>,
    us: Vec<f64>,
    g_us: Vec<f64>,
    g_mus: Vec<f64>,
    g_geo: Vec<f64>,
    /// Several ministeps: the state before each, and the gradient between them.
    states: Vec<State<f64>>,
    g_between: State<f64>,
}

/// A part of the step: a function from a few numbers to a few numbers, evaluated on any scalar.
trait Part {
    fn eval<S: Scalar>(&self, x: &[S], y: &mut [S]);
}

/// `acc[i] += Σ_o g[o] · ∂y_o/∂(direction i)` for the first `acc.len()` (≤ `N`) directions:
/// the VJP contribution of one forward-mode pass, outputs `ys` weighted by their gradients `g`
/// (outputs with a zero gradient skipped). Every VJP in this crate accumulates through it.
#[inline(always)]
pub(crate) fn add_weighted_eps<const N: usize>(acc: &mut [f64], ys: &[DualN<N>], g: &[f64]) {
    for (y, &go) in ys.iter().zip(g) {
        if go != 0.0 {
            for (a, e) in acc.iter_mut().zip(&y.eps) {
                *a += go * e;
            }
        }
    }
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
            xi.eps[k] = 1.0;
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
struct JointPart<'a, K, M, G> {
    e: &'a Effector<K, M, G>,
    h: f64,
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Part for JointPart<'_, K, M, G> {
    #[inline]
    fn eval<S: Scalar>(&self, x: &[S], y: &mut [S]) {
        let dof = self.e.dof();
        let (q, rest) = x.split_at(dof);
        let (qd, rest) = rest.split_at(dof);
        let (tau, el) = rest.split_at(dof);
        let mut qdd = [S::zero(); MAX_DOF];
        self.e
            .skeleton()
            .acceleration(q, qd, tau, el, &mut qdd[..dof]);
        let (yq, yqd) = y.split_at_mut(dof);
        self.e
            .options()
            .bounds
            .integrate(self.h, q, qd, &qdd[..dof], yq, yqd);
    }
}

/// VJP of every muscle's state update in one set of passes: muscle `m`'s new state (`ns`
/// entries) is a function of its `k = 3 + reads` inputs `[u_m, the state entries it reads,
/// length, velocity]` only (its other state entries held at their values), so direction `i`
/// seeds input `i` of every muscle at once. Adds into `out` (excitation and muscle state) and
/// `g_geom` (lengths and velocities).
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
) {
    let muscle = e.muscle();
    let (n_m, ns, nd) = (e.n_muscles(), muscle.n_states(), muscle.n_derivatives());
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
    d.st.resize(ns, DualN::constant(0.0));
    d.der.resize(nd, DualN::constant(0.0));
    for start in (0..k).step_by(N) {
        let end = (start + N).min(k);
        for m in 0..n_m {
            let gm = &g_next[m * ns..(m + 1) * ns];
            if gm.iter().all(|&v| v == 0.0) {
                continue; // nothing depends on this muscle's new state
            }
            let x = &mut d.x[m * k..(m + 1) * k];
            for (i, xi) in x.iter_mut().enumerate() {
                xi.eps = [0.0; N];
                if (start..end).contains(&i) {
                    xi.eps[i - start] = 1.0;
                }
            }
            let x = &d.x[m * k..(m + 1) * k];
            let st = &mut d.st;
            for (j, &r) in reads.iter().enumerate() {
                st[r] = x[1 + j];
            }
            muscle.derivative(m, x[0], st, &mut d.der);
            let y = &mut d.y[m * ns..(m + 1) * ns];
            muscle.integrate(m, h, &d.der, st, x[1 + nr], x[2 + nr], y);
            let mut sum = [0.0; N];
            add_weighted_eps(&mut sum, y, gm);
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

/// Batch elements whose muscles [`Effector::euler_step_vjp_add_lanes`] differentiates together.
pub(crate) const VJP_LANES: usize = 4;
/// Most inputs of one muscle the lanes pass differentiates: excitation, one state entry it
/// reads (the rigid-tendon models read the activation only), length, velocity.
pub(crate) const LANES_MAX_MUSCLE_INPUTS: usize = 4;
/// Dual numbers of the muscles' pass over [`VJP_LANES`] elements
/// ([`LANES_MAX_MUSCLE_INPUTS`] directions).
type DL = DualLanes<LANES_MAX_MUSCLE_INPUTS, VJP_LANES>;

type VL = Lanes<f64, VJP_LANES>;

/// Most inputs of the joint dynamics the lanes pass differentiates: `[q, q̇, τ]` of a
/// two-joint arm (arm26, `3 · dof` = 6), or of a point mass in 2-D without an endpoint load;
/// larger skeletons, or steps with an endpoint load, take the element-by-element path.
pub(crate) const LANES_MAX_JOINT_INPUTS: usize = 6;
/// Most joint-state entries (`2 · dof`) the lanes pass refolds the geometry over (a
/// two-joint arm: 4).
pub(crate) const LANES_MAX_JOINT_STATE: usize = 4;

/// Dual numbers of the joint dynamics over [`VJP_LANES`] elements
/// ([`LANES_MAX_JOINT_INPUTS`] directions) and of the geometry at the new joint state
/// ([`LANES_MAX_JOINT_STATE`]).
type DJ = DualLanes<LANES_MAX_JOINT_INPUTS, VJP_LANES>;
type DG = DualLanes<LANES_MAX_JOINT_STATE, VJP_LANES>;

/// `sums[i] += Σ_o g_o · ∂y_o/∂(direction i)`, lane by lane, with the gradients of lane `l` at
/// `g(l, o)`: outputs with a zero gradient add nothing, as in [`add_weighted_eps`] (even where
/// their derivative is not finite).
#[inline(always)]
fn add_weighted_eps_lanes<const N: usize>(
    sums: &mut [VL],
    ys: &[DualLanes<N, VJP_LANES>],
    g: impl Fn(usize, usize) -> f64,
) {
    for (o, y) in ys.iter().enumerate() {
        let go = VL::from_lanes(|l| g(l, o));
        let zero = go.le(VL::c(0.0)) & go.ge(VL::c(0.0));
        for (a, e) in sums.iter_mut().zip(&y.eps) {
            *a += VL::select(zero, VL::c(0.0), go * *e);
        }
    }
}

/// Dual-number buffers of [`muscles_vjp_lanes`].
#[derive(Default)]
struct DualsLanes {
    x: Vec<DL>,
    y: Vec<DL>,
    st: Vec<DL>,
    der: Vec<DL>,
}

/// [`muscles_vjp`] for [`VJP_LANES`] elements at once, on [`DualLanes`] (one pass, four
/// directions: the muscle must read at most one state entry). Lane `l` reads `s[l]`, the
/// clipped excitations `u[l·M..]` and the muscle gradient `g_next[l]`, and *adds* into
/// `g_u[l·M..]`, `g_mus[l·M·n_states..]` and `g_geo[l·2M..]` (lengths then velocities).
#[allow(clippy::too_many_arguments)]
fn muscles_vjp_lanes<K: Skeleton, M: MuscleModel, G: Geometry>(
    e: &Effector<K, M, G>,
    h: f64,
    s: &[Parts<'_>; VJP_LANES],
    u: &[f64],
    g_next: &[&[f64]; VJP_LANES],
    g_u: &mut [f64],
    g_mus: &mut [f64],
    g_geo: &mut [f64],
    d: &mut DualsLanes,
) {
    let muscle = e.muscle();
    let (n_m, ns, nd) = (e.n_muscles(), muscle.n_states(), muscle.n_derivatives());
    let reads = muscle.read_states();
    let nr = reads.len();
    debug_assert!(nr <= 1);
    d.x.resize(3 + nr, DL::c(0.0));
    d.y.resize(ns, DL::c(0.0));
    // entries the model does not read may hold anything (MuscleModel::read_states)
    d.st.resize(ns, DL::c(0.0));
    d.der.resize(nd, DL::c(0.0));
    for m in 0..n_m {
        let gm = |l: usize| &g_next[l][m * ns..(m + 1) * ns];
        if (0..VJP_LANES).all(|l| gm(l).iter().all(|&v| v == 0.0)) {
            continue; // nothing depends on this muscle's new state
        }
        d.x[0] = DL::variable(VL::from_lanes(|l| u[l * n_m + m]), 0);
        for (j, &r) in reads.iter().enumerate() {
            d.x[1 + j] = DL::variable(VL::from_lanes(|l| s[l].muscle[m * ns + r]), 1 + j);
            d.st[r] = d.x[1 + j];
        }
        d.x[1 + nr] = DL::variable(VL::from_lanes(|l| s[l].geometry[m]), 1 + nr);
        d.x[2 + nr] = DL::variable(VL::from_lanes(|l| s[l].geometry[n_m + m]), 2 + nr);
        muscle.derivative(m, d.x[0], &d.st, &mut d.der);
        muscle.integrate(m, h, &d.der, &d.st, d.x[1 + nr], d.x[2 + nr], &mut d.y);
        // Σ_o g_o · ∂y_o/∂(direction i), lane by lane; outputs with a zero gradient add
        // nothing (as in add_weighted_eps, even where their derivative is not finite)
        let mut sums = [VL::c(0.0); LANES_MAX_MUSCLE_INPUTS];
        add_weighted_eps_lanes(&mut sums, &d.y, |l, o| gm(l)[o]);
        for l in 0..VJP_LANES {
            let sum: [f64; LANES_MAX_MUSCLE_INPUTS] = std::array::from_fn(|i| sums[i].0[l]);
            g_u[l * n_m + m] += sum[0];
            for (j, &r) in reads.iter().enumerate() {
                g_mus[l * n_m * ns + m * ns + r] += sum[1 + j];
            }
            g_geo[l * 2 * n_m + m] += sum[1 + nr];
            g_geo[l * 2 * n_m + n_m + m] += sum[2 + nr];
        }
    }
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// Whether [`Self::euler_step_vjp_add_lanes`] applies: Euler steps of one ministep, with
    /// a muscle model that reads at most one of its state entries.
    pub(crate) fn lanes_vjp_applies(&self) -> bool {
        self.options().integration == crate::Integration::Euler
            && self.options().n_ministeps == 1
            && self.muscle().read_states().len() <= 1
    }

    /// (a) and (b) of [`Self::euler_ministep_adjoint`] for [`VJP_LANES`] elements at once, on
    /// [`DualLanes`]: `xs` holds each lane's joint-dynamics inputs (`n_x` ≤ 6 numbers, see
    /// [`Self::joint_inputs`]), and `g_xs` receives ∂L/∂ of them (overwritten), given each
    /// lane's `g_next`. Needs `2·dof` ≤ 4 (the geometry's inputs).
    fn joint_adjoint_lanes(
        &self,
        h: f64,
        n_x: usize,
        xs: &[f64],
        g_next: &[Parts<'_>; VJP_LANES],
        g_xs: &mut [f64],
        geo: &mut Vec<DG>,
    ) {
        let n_j = 2 * self.dof();
        debug_assert!(n_x <= LANES_MAX_JOINT_INPUTS && n_j <= LANES_MAX_JOINT_STATE);
        let joint = JointPart { e: self, h };
        let x: [DJ; LANES_MAX_JOINT_INPUTS] = std::array::from_fn(|i| {
            DJ::variable(
                VL::from_lanes(|l| if i < n_x { xs[l * n_x + i] } else { 0.0 }),
                i,
            )
        });
        let mut y = [DJ::c(0.0); 2 * MAX_DOF];
        joint.eval(&x[..n_x], &mut y[..n_j]);
        // ∂L/∂(q', q̇'): g_next's joint part plus the geometry after the step, folded at the
        // new joint state
        let mut g_new: [VL; 2 * MAX_DOF] = std::array::from_fn(|o| {
            VL::from_lanes(|l| g_next[l].joint.get(o).copied().unwrap_or(0.0))
        });
        if g_next.iter().any(|g| g.geometry.iter().any(|&v| v != 0.0)) {
            let q: [DG; LANES_MAX_JOINT_STATE] = std::array::from_fn(|i| {
                DG::variable(if i < n_j { y[i].re } else { VL::c(0.0) }, i)
            });
            let n_g = g_next[0].geometry.len();
            let n_m = self.n_muscles();
            geo.resize(n_g, DG::c(0.0));
            {
                let (len, rest) = geo.split_at_mut(n_m);
                let (vel, moment) = rest.split_at_mut(n_m);
                let (qq, qd) = q[..n_j].split_at(self.dof());
                self.geometry()
                    .compute(self.skeleton(), qq, qd, len, vel, moment);
            }
            let mut sums = [VL::c(0.0); LANES_MAX_JOINT_STATE];
            add_weighted_eps_lanes(&mut sums, geo, |l, o| g_next[l].geometry[o]);
            for (g, s) in g_new[..n_j].iter_mut().zip(&sums) {
                *g += *s;
            }
        }
        let mut sums = [VL::c(0.0); LANES_MAX_JOINT_INPUTS];
        add_weighted_eps_lanes(&mut sums, &y[..n_j], |l, o| g_new[o].0[l]);
        for l in 0..VJP_LANES {
            for i in 0..n_x {
                g_xs[l * n_x + i] = sums[i].0[l];
            }
        }
    }

    /// [`Self::euler_step_vjp_add`] for 1 to [`VJP_LANES`] rows at once (lanes past the last
    /// row repeat it and are discarded): the muscles of all of them in one pass on
    /// [`DualLanes`], and so the joint dynamics and geometry where they fit
    /// ([`Self::joint_adjoint_lanes`]), else one row at a time. The same numbers as one row
    /// at a time. Only where [`Self::lanes_vjp_applies`]; row lengths already checked.
    pub(crate) fn euler_step_vjp_add_lanes(&self, rows: &mut [RowVjp<'_>]) {
        let k = rows.len();
        assert!((1..=VJP_LANES).contains(&k) && self.lanes_vjp_applies());
        let act = *self.muscle().activation();
        let h = self.ministep();
        let (n_m, ns) = (self.n_muscles(), self.muscle().n_states());
        let [nj, nmu, _] = self.state_part_lens();
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            // lane l reads row min(l, k − 1)
            let ro: &[RowVjp<'_>] = rows;
            let row = |l: usize| &ro[l.min(k - 1)];
            let state = |l: usize| Parts::of_row(row(l).state, nj, nmu);
            let grad_next = |l: usize| Parts::of_row(row(l).grad_next, nj, nmu);
            let mut us = std::mem::take(&mut sc.us);
            let mut g_us = std::mem::take(&mut sc.g_us);
            let mut g_mus = std::mem::take(&mut sc.g_mus);
            let mut g_geo = std::mem::take(&mut sc.g_geo);
            us.clear();
            for l in 0..VJP_LANES {
                us.extend(row(l).excitation.iter().map(|&v| act.clip(v)));
            }
            for (v, len) in [
                (&mut g_us, VJP_LANES * n_m),
                (&mut g_mus, VJP_LANES * n_m * ns),
                (&mut g_geo, VJP_LANES * 2 * n_m),
            ] {
                v.clear();
                v.resize(len, 0.0);
            }
            // the joint dynamics and geometry of all lanes in one pass where they fit (no
            // endpoint load on a two-joint arm, or smaller), else one row at a time
            let n_x0 = 3 * self.dof() + rows[0].endpoint_load.len();
            let joint_lanes = n_x0 <= LANES_MAX_JOINT_INPUTS
                && 2 * self.dof() <= LANES_MAX_JOINT_STATE
                && rows
                    .iter()
                    .all(|r| 3 * self.dof() + r.endpoint_load.len() == n_x0);
            let mut g_xs = std::mem::take(&mut sc.g_xs);
            if joint_lanes {
                let mut xs = std::mem::take(&mut sc.xs);
                xs.clear();
                for l in 0..VJP_LANES {
                    let r = row(l);
                    self.joint_inputs(state(l), r.endpoint_load, r.joint_load, &mut xs);
                }
                g_xs.clear();
                g_xs.resize(VJP_LANES * n_x0, 0.0);
                let g_next: [Parts<'_>; VJP_LANES] = std::array::from_fn(grad_next);
                let mut dg = std::mem::take(&mut sc.dg);
                self.joint_adjoint_lanes(h, n_x0, &xs, &g_next, &mut g_xs, &mut dg);
                sc.dg = dg;
                sc.xs = xs;
            }
            let states: [Parts<'_>; VJP_LANES] = std::array::from_fn(state);
            let g_next: [&[f64]; VJP_LANES] = std::array::from_fn(|l| grad_next(l).muscle);
            let mut dl = std::mem::take(&mut sc.dl);
            muscles_vjp_lanes(
                self, h, &states, &us, &g_next, &mut g_us, &mut g_mus, &mut g_geo, &mut dl,
            );
            sc.dl = dl;
            for (l, r) in rows.iter_mut().enumerate() {
                let g_u = &mut g_us[l * n_m..(l + 1) * n_m];
                let (s, g) = (
                    Parts::of_row(r.state, nj, nmu),
                    Parts::of_row(r.grad_next, nj, nmu),
                );
                let grad = &mut r.grad;
                let mut out = GradOut::of_row(
                    grad.state,
                    nj,
                    nmu,
                    &mut *g_u,
                    grad.endpoint_load,
                    grad.joint_load,
                );
                if joint_lanes {
                    self.joint_inputs_adjoint(s, &g_xs[l * n_x0..(l + 1) * n_x0], &mut out);
                } else {
                    let u = &us[l * n_m..(l + 1) * n_m];
                    let (el, jl) = (r.endpoint_load, r.joint_load);
                    self.euler_ministep_adjoint(h, s, u, el, jl, g, &mut out, false, sc);
                }
                add_into(out.muscle, &g_mus[l * n_m * ns..(l + 1) * n_m * ns]);
                add_into(
                    &mut out.geometry[..2 * n_m],
                    &g_geo[l * 2 * n_m..(l + 1) * 2 * n_m],
                );
                add_passing_clip(&act, r.excitation, g_u, grad.excitation);
            }
            sc.g_xs = g_xs;
            sc.us = us;
            sc.g_us = g_us;
            sc.g_mus = g_mus;
            sc.g_geo = g_geo;
        });
    }
}

/// `out += g_u` where the excitation `e` is inside `[min_activation, 1]` (or at a bound, as
/// torch.clamp passes it): the gradient through the clip applied once per step.
fn add_passing_clip(act: &ActivationDynamics, excitation: &[f64], g_u: &[f64], out: &mut [f64]) {
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

/// `dst += src` element by element.
fn add_into(dst: &mut [f64], src: &[f64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
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
    fn joint_inputs(
        &self,
        s: Parts<'_>,
        endpoint_load: &[f64],
        joint_load: &[f64],
        x: &mut Vec<f64>,
    ) {
        let dof = self.dof();
        let (q, qd) = s.joint.split_at(dof);
        let mut tau = [0.0; MAX_DOF];
        self.torques(s.joint, s.muscle, s.geometry, joint_load, &mut tau[..dof]);
        x.extend(q.iter().chain(qd).chain(&tau[..dof]).chain(endpoint_load));
    }

    /// Carry `g_x` = ∂L/∂(the joint dynamics' inputs [`Self::joint_inputs`]) into `out`: the
    /// joint state and the endpoint load directly, the torques (c) into the joint velocity,
    /// the joint load, the muscle forces and the moment arms. The torques' part is the
    /// hand-written VJP of [`Effector::torques`] (a fast path: it is bilinear), tested equal to
    /// that function's dual-number derivatives (`torque_vjp_equals_the_dual_numbers_of_torques`).
    fn joint_inputs_adjoint(&self, s: Parts<'_>, g_x: &[f64], out: &mut GradOut<'_>) {
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

    /// Reverse-mode VJP of one Euler ministep of length `h` from `s` under the clipped
    /// excitation `u`: adds ∂L/∂s into `out.state` (joint, muscle, and the geometry `s` holds,
    /// unfolded), ∂L/∂u into `out.excitation` and the loads' gradients into theirs, given
    /// `g_next` = ∂L/∂(state after), geometry included. Without `with_muscles`, the muscles'
    /// part (d) is left out (for [`Self::euler_step_vjp_add_lanes`], which does it for several
    /// elements at once).
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
        with_muscles: bool,
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
        self.joint_inputs_adjoint(s, &g_x, out);
        sc.g_x = g_x;
        if !with_muscles {
            return;
        }

        // (d) muscles: new state_m = integrate(h, derivative(u_m, state_m), state_m, len_m, vel_m)
        let k = 3 + self.muscle().read_states().len();
        let (exc, mus, geo) = (&mut *out.excitation, &mut *out.muscle, &mut *out.geometry);
        let gm = g_next.muscle;
        match k {
            0..=4 => muscles_vjp(self, h, s, u, gm, exc, mus, geo, &mut sc.d4),
            5..=6 => muscles_vjp(self, h, s, u, gm, exc, mus, geo, &mut sc.d6),
            _ => muscles_vjp(self, h, s, u, gm, exc, mus, geo, &mut sc.d8),
        }
    }

    /// Reverse-mode VJP of an Euler step of **one** ministep, *added* into `out`: ∂L/∂state
    /// (with the gradient of the geometry `state` holds left unfolded), ∂L/∂excitation (through
    /// the clip to `[min_activation, 1]`, applied to this step's contribution only) and the
    /// loads' gradients, given `grad_next` = ∂L/∂(state after), geometry included.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn euler_step_vjp_add(
        &self,
        state: Parts<'_>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: Parts<'_>,
        out: &mut GradOut<'_>,
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
            self.euler_ministep_adjoint(h, state, &u, el, jl, g, &mut step_out, true, sc);
            add_passing_clip(&act, excitation, &g_u, out.excitation);
            sc.u = u;
            sc.g_u = g_u;
        });
    }

    /// Reverse-mode VJP of a whole Euler step (all ministeps); see [`Effector::step_vjp`].
    /// Into `out`, whose buffers are resized, zeroed and reused (no allocation in steady
    /// state). With `fold`, the gradient with respect to the geometry of `state` is folded into
    /// its joint state (and the geometry entries are zero); without, it is left in
    /// `out.state.geometry`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn euler_step_vjp_into(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
        out: &mut StepGradient,
        fold: bool,
    ) {
        let (el, jl) = (endpoint_load, joint_load);
        reset_gradient(out, state, excitation.len(), el.len(), jl.len());
        if self.options().n_ministeps == 1 {
            let (s, g) = (Parts::of(state), Parts::of(grad_next));
            self.euler_step_vjp_add(s, excitation, el, jl, g, &mut GradOut::of(out));
        } else {
            self.euler_ministeps_vjp(state, excitation, el, jl, grad_next, out);
        }
        if fold {
            SCRATCH.with(|sc| {
                let sc = &mut *sc.borrow_mut();
                let g_geom = std::mem::take(&mut out.state.geometry);
                self.fold_geometry(&state.joint, &g_geom, &mut out.state.joint, sc);
                out.state.geometry = g_geom;
                out.state.geometry.iter_mut().for_each(|v| *v = 0.0);
            });
        }
    }

    /// [`Self::euler_step_vjp_into`] for steps of several ministeps, into a zeroed `out`
    /// (geometry unfolded): re-simulates the state before each ministep, then walks back.
    fn euler_ministeps_vjp(
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
        SCRATCH.with(|sc| {
            let sc = &mut *sc.borrow_mut();
            let mut u = std::mem::take(&mut sc.u);
            u.clear();
            u.extend(excitation.iter().map(|&e| act.clip(e)));
            let mut states = std::mem::take(&mut sc.states);
            states.resize_with(n, || self.zero_state());
            states[0].clone_from(state);
            let mut ws = self.workspace::<f64>();
            for k in 1..n {
                let (done, rest) = states.split_at_mut(k);
                rest[0].clone_from(&done[k - 1]);
                self.ministep_with_clipped(h, &mut rest[0], &u, endpoint_load, joint_load, &mut ws);
            }
            let mut g = std::mem::take(&mut sc.g_between);
            g.clone_from(grad_next);
            for k in (0..n).rev() {
                for v in out
                    .state
                    .joint
                    .iter_mut()
                    .chain(&mut out.state.muscle)
                    .chain(&mut out.state.geometry)
                {
                    *v = 0.0;
                }
                self.euler_ministep_adjoint(
                    h,
                    Parts::of(&states[k]),
                    &u,
                    endpoint_load,
                    joint_load,
                    Parts::of(&g),
                    &mut GradOut::of(out),
                    true,
                    sc,
                );
                if k > 0 {
                    g.clone_from(&out.state);
                }
            }
            sc.g_between = g;
            sc.states = states;
            sc.u = u;
        });
        // the excitation was clipped once per step: its gradient passes inside the bounds
        // (and at them, as torch.clamp does)
        for (gu, &e) in out.excitation.iter_mut().zip(excitation) {
            if !passes_clip(&act, e) {
                *gu = 0.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::adjoint::{GradOut, Parts};
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
