//! The reverse-mode Euler VJP of four batch elements at once: the parts of `reverse.rs`
//! evaluated on [`DualLanes`], dual numbers whose value and derivatives are each a
//! `Lanes<f64, 4>` (one number per element; each element follows its own branch through
//! per-lane blends), so that every operation is a 4-wide vector operation. For the plans
//! [`VjpPlan::EulerLanes`](super::VjpPlan::EulerLanes) (muscles, joint dynamics and geometry
//! fold) and [`VjpPlan::EulerMuscleLanes`](super::VjpPlan::EulerMuscleLanes) (muscles only).
//!
//! The sizes the lanes pass holds are fixed at compile time, and named below: they fit arm26
//! (two joints, rigid-tendon muscles) and the 2-D point masses; what does not fit takes the
//! element-by-element parts of `reverse.rs`.

use super::buffers::{add_into, GradOut, Parts};
use super::reverse::{add_passing_clip, JointPart, Part, SCRATCH};
use super::RowVjp;
use crate::effector::Effector;
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_scalar::{DualLanes, Lanes, Scalar};
use motornet_skeleton::Skeleton;

/// Batch elements whose muscles [`Effector::euler_step_vjp_add_lanes`] differentiates together.
pub(super) const VJP_LANES: usize = 4;
/// Most inputs of one muscle the lanes pass differentiates: excitation, one state entry it
/// reads (the rigid-tendon models read the activation only), length, velocity.
pub(super) const LANES_MAX_MUSCLE_INPUTS: usize = 4;
/// Dual numbers of the muscles' pass over [`VJP_LANES`] elements
/// ([`LANES_MAX_MUSCLE_INPUTS`] directions).
type DL = DualLanes<LANES_MAX_MUSCLE_INPUTS, VJP_LANES>;

type VL = Lanes<f64, VJP_LANES>;

/// Most inputs of the joint dynamics the lanes pass differentiates: `[q, q̇, τ]` of a
/// two-joint arm (arm26, `3 · dof` = 6), or of a point mass in 2-D without an endpoint load;
/// larger skeletons, or steps with an endpoint load, take the element-by-element path.
pub(super) const LANES_MAX_JOINT_INPUTS: usize = 6;
/// Most joint-state entries (`2 · dof`) the lanes pass refolds the geometry over (a
/// two-joint arm: 4).
pub(super) const LANES_MAX_JOINT_STATE: usize = 4;

/// Dual numbers of the joint dynamics over [`VJP_LANES`] elements
/// ([`LANES_MAX_JOINT_INPUTS`] directions) and of the geometry at the new joint state
/// ([`LANES_MAX_JOINT_STATE`]).
type DJ = DualLanes<LANES_MAX_JOINT_INPUTS, VJP_LANES>;
type DG = DualLanes<LANES_MAX_JOINT_STATE, VJP_LANES>;

/// `sums[i] += Σ_o g_o · ∂y_o/∂(direction i)`, lane by lane, with the gradients of lane `l` at
/// `g(l, o)`: outputs with a zero gradient add nothing, as in `add_weighted_eps` (even where
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
pub(super) struct DualsLanes {
    x: Vec<DL>,
    y: Vec<DL>,
    st: Vec<DL>,
    der: Vec<DL>,
}

/// `reverse.rs`'s `muscles_vjp` for [`VJP_LANES`] elements at once, on [`DualLanes`] (one pass, four
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

/// The lanes pass's buffers (part of the adjoint's per-thread scratch): the muscles' dual
/// numbers, the clipped excitations `[L][M]`, and the gradients of the muscles' pass
/// (excitation `[L][M]`, muscle state `[L][M·n_states]`, lengths and velocities `[L][2·M]`);
/// the joint dynamics' inputs `[L][n_x]`, their gradients, and the geometry's dual numbers.
#[derive(Default)]
pub(super) struct LanesScratch {
    dl: DualsLanes,
    us: Vec<f64>,
    g_us: Vec<f64>,
    g_mus: Vec<f64>,
    g_geo: Vec<f64>,
    xs: Vec<f64>,
    g_xs: Vec<f64>,
    dg: Vec<DG>,
}

/// Where the lanes pass differentiates the joint dynamics and the geometry fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JointDynamics {
    /// In lanes with the muscles, for groups whose joint-dynamics inputs fit
    /// ([`LANES_MAX_JOINT_INPUTS`]; all of a group's rows with the same endpoint-load length),
    /// else element by element.
    InLanes,
    /// Element by element (the skeleton is larger than the lanes pass holds).
    PerElement,
}

/// Whether a skeleton of `dof` joints fits the joint-dynamics lanes pass (without an endpoint
/// load): `3·dof` inputs `[q, q̇, τ]`, `2·dof` joint-state entries to refold the geometry over.
pub(super) fn joint_dynamics_fit_lanes(dof: usize) -> bool {
    3 * dof <= LANES_MAX_JOINT_INPUTS && 2 * dof <= LANES_MAX_JOINT_STATE
}

/// Whether a muscle model that reads `n_reads` of its state entries fits the muscles' lanes
/// pass: excitation, those entries, length and velocity ≤ [`LANES_MAX_MUSCLE_INPUTS`].
pub(super) fn muscles_fit_lanes(n_reads: usize) -> bool {
    3 + n_reads <= LANES_MAX_MUSCLE_INPUTS
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// (a) and (b) of `reverse.rs`'s ministep adjoint for [`VJP_LANES`] elements at once, on
    /// [`DualLanes`]: `xs` holds each lane's joint-dynamics inputs (`n_x` ≤
    /// [`LANES_MAX_JOINT_INPUTS`] numbers, see [`Self::joint_inputs`]), and `g_xs` receives
    /// ∂L/∂ of them (overwritten), given each lane's `g_next`. Needs `2·dof` ≤
    /// [`LANES_MAX_JOINT_STATE`] (the geometry's inputs).
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
        let mut y = [DJ::c(0.0); LANES_MAX_JOINT_STATE];
        joint.eval(&x[..n_x], &mut y[..n_j]);
        // ∂L/∂(q', q̇'): g_next's joint part plus the geometry after the step, folded at the
        // new joint state
        let mut g_new: [VL; LANES_MAX_JOINT_STATE] = std::array::from_fn(|o| {
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

    /// `reverse.rs`'s [`Self::euler_step_vjp_add`] for 1 to [`VJP_LANES`] rows at once (lanes
    /// past the last row repeat it and are discarded): the muscles of all of them in one pass
    /// on [`DualLanes`] (or row by row, see `muscle_records`), and the joint dynamics and
    /// geometry as `joint` says ([`Self::joint_adjoint_lanes`], or one row at a time). The
    /// same numbers as one row at a time. Only for the lanes plans (Euler, one ministep);
    /// row lengths already checked.
    ///
    /// `muscle_records`: `None` differentiates the muscles in lanes (they must fit:
    /// [`muscles_fit_lanes`]); `Some(records)` differentiates them row by row as
    /// [`VjpPlan::EulerScalar`](super::VjpPlan::EulerScalar) does, with row `i`'s record
    /// `records[i]` (none where `records` is empty).
    pub(super) fn euler_step_vjp_add_lanes(
        &self,
        rows: &mut [RowVjp<'_>],
        joint: JointDynamics,
        muscle_records: Option<&[&[f64]]>,
    ) {
        let k = rows.len();
        // (also lets the compiler drop the bounds checks of `row(l)` below)
        assert!((1..=VJP_LANES).contains(&k));
        debug_assert!(
            self.options().n_ministeps == 1
                && (muscle_records.is_some()
                    || muscles_fit_lanes(self.muscle().read_states().len()))
        );
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
            let ls = &mut sc.lanes;
            let mut us = std::mem::take(&mut ls.us);
            let mut g_us = std::mem::take(&mut ls.g_us);
            let mut g_mus = std::mem::take(&mut ls.g_mus);
            let mut g_geo = std::mem::take(&mut ls.g_geo);
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
            let joint_lanes = joint == JointDynamics::InLanes
                && n_x0 <= LANES_MAX_JOINT_INPUTS
                && rows
                    .iter()
                    .all(|r| 3 * self.dof() + r.endpoint_load.len() == n_x0);
            let mut g_xs = std::mem::take(&mut ls.g_xs);
            if joint_lanes {
                let mut xs = std::mem::take(&mut ls.xs);
                xs.clear();
                for l in 0..VJP_LANES {
                    let r = row(l);
                    self.joint_inputs(state(l), r.endpoint_load, r.joint_load, &mut xs);
                }
                g_xs.clear();
                g_xs.resize(VJP_LANES * n_x0, 0.0);
                let g_next: [Parts<'_>; VJP_LANES] = std::array::from_fn(grad_next);
                self.joint_adjoint_lanes(h, n_x0, &xs, &g_next, &mut g_xs, &mut ls.dg);
                ls.xs = xs;
            }
            if muscle_records.is_none() {
                let states: [Parts<'_>; VJP_LANES] = std::array::from_fn(state);
                let g_next: [&[f64]; VJP_LANES] = std::array::from_fn(|l| grad_next(l).muscle);
                let (u, dl) = (&us, &mut ls.dl);
                muscles_vjp_lanes(
                    self, h, &states, u, &g_next, &mut g_us, &mut g_mus, &mut g_geo, dl,
                );
            }
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
                    let (el, jl) = (r.endpoint_load, r.joint_load);
                    self.joints_ministep_adjoint(h, s, el, jl, g, &mut out, sc);
                }
                if let Some(records) = muscle_records {
                    let record = records.get(l).copied().unwrap_or(&[]);
                    let u = &us[l * n_m..(l + 1) * n_m];
                    self.muscles_ministep_adjoint(h, s, u, g.muscle, &mut out, sc, record);
                } else {
                    add_into(out.muscle, &g_mus[l * n_m * ns..(l + 1) * n_m * ns]);
                    add_into(
                        &mut out.geometry[..2 * n_m],
                        &g_geo[l * 2 * n_m..(l + 1) * 2 * n_m],
                    );
                }
                add_passing_clip(&act, r.excitation, g_u, grad.excitation);
            }
            let ls = &mut sc.lanes;
            ls.g_xs = g_xs;
            ls.us = us;
            ls.g_us = g_us;
            ls.g_mus = g_mus;
            ls.g_geo = g_geo;
        });
    }
}
