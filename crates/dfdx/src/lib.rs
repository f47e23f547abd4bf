//! Effectors as fused differentiable ops for dfdx 0.13.
//!
//! Training backpropagates through closed-loop rollouts: network → excitation → effector step →
//! state → observation → network. Written as individual dfdx ops, one muscle-driven step is
//! hundreds of small tensor ops (about 3 µs each here, forward + backward); this crate instead
//! records **one** op per step on the dfdx tape. Its forward pass is the effector's own
//! allocation-free code over the batch, and its backward pass is the effector's exact
//! vector–Jacobian product ([`Effector::step_vjp`]), so a dfdx tape backpropagates through any
//! number of steps, ministeps and RK4 stages included.
//!
//! The effector, skeleton and muscle crates stay free of dfdx; this is the only place that
//! names dfdx types for them.
//!
//! # Tensors
//! - state: `[B, n]` with `n = `[`state_len`]: the flattened [`State`] of each batch element —
//!   joint (`2·dof`), muscle (`M·n_states`, muscle-major) and geometry (`(2 + dof)·M`) — so
//!   losses and observations can read any of it ([`StateLayout`] gives the offsets);
//! - excitation: `[B, M]`; joint states for [`reset`]: `[B, 2·dof]`.
//!
//! ```
//! use dfdx::prelude::*;
//! use motornet_dfdx::{reset, step, StateLayout};
//! use motornet_effector::presets;
//! use std::sync::Arc;
//!
//! let dev = Cpu::default();
//! let arm = Arc::new(presets::spec("RigidTendonArm26", None).unwrap().build().unwrap());
//! let joint0 = dev.tensor_from_vec(vec![0.8, 1.2, 0.0, 0.0], (1usize, 4usize));
//! let exc = dev.tensor_from_vec(vec![0.2; 6], (1usize, 6usize));
//! let mut s = reset(&arm, joint0.leaky_trace());
//! for _ in 0..5 {
//!     s = step(&arm, s, exc.clone());
//! }
//! let layout = StateLayout::new(&*arm);
//! let mut w = vec![0.0; layout.len];
//! w[layout.joint + 1] = 1.0; // loss = elbow angle after 5 steps
//! let loss = (s * dev.tensor_from_vec(w, (1usize, layout.len))).sum::<Rank0, _>();
//! let grads = loss.backward();
//! let g = grads.get(&joint0).as_vec(); // d elbow / d [q0, q1, q̇0, q̇1]
//! assert!(g[1] > 0.0 && g[3] > 0.0);
//! ```
#![warn(missing_docs)]

use dfdx::prelude::*;
use dfdx::tensor::{Merge, Tape};
use motornet_effector::{Effector, Geometry, State, StepGradient};
use motornet_muscle::MuscleModel;
use motornet_skeleton::Skeleton;
use rayon::prelude::*;
use std::sync::Arc;

/// Where each part of a flattened state lives in a state tensor row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLayout {
    /// Offset of the joint state (`2·dof` entries: positions then velocities).
    pub joint: usize,
    /// Offset of the muscle state (`M·n_states`, muscle-major).
    pub muscle: usize,
    /// Offset of the geometry (`(2 + dof)·M`: lengths, velocities, moment arms per joint).
    pub geometry: usize,
    /// Row length.
    pub len: usize,
}

impl StateLayout {
    /// The layout of `effector`'s states.
    pub fn new<K: Skeleton, M: MuscleModel, G: Geometry>(effector: &Effector<K, M, G>) -> Self {
        let s = effector.zero_state::<f64>();
        let (j, m, g) = (s.joint.len(), s.muscle.len(), s.geometry.len());
        Self {
            joint: 0,
            muscle: j,
            geometry: j + m,
            len: j + m + g,
        }
    }

    fn split(&self, row: &[f64], into: &mut State<f64>) {
        into.joint.copy_from_slice(&row[self.joint..self.muscle]);
        into.muscle
            .copy_from_slice(&row[self.muscle..self.geometry]);
        into.geometry.copy_from_slice(&row[self.geometry..self.len]);
    }

    fn join(&self, s: &State<f64>, row: &mut [f64]) {
        row[self.joint..self.muscle].copy_from_slice(&s.joint);
        row[self.muscle..self.geometry].copy_from_slice(&s.muscle);
        row[self.geometry..self.len].copy_from_slice(&s.geometry);
    }
}

/// Length of a flattened state row of `effector`.
pub fn state_len<K: Skeleton, M: MuscleModel, G: Geometry>(effector: &Effector<K, M, G>) -> usize {
    StateLayout::new(effector).len
}

type Mat<T> = Tensor<(usize, usize), f64, Cpu, T>;

/// Batches smaller than this are processed on the calling thread by the per-step ops: a step is
/// ~0.2 µs and a VJP ~1 µs per element, while handing an op to the thread pool and back costs
/// tens of µs on this kind of machine (measured: B = 64, 100 steps forward + backward 26 ms
/// with a hand-off per op, single-threaded).
const PARALLEL_MIN_BATCH: usize = 256;

/// Fill `out` row by row (`width` numbers per batch element) with `f(scratch, element, row)`.
///
/// With `parallel`, the rows are cut into a few contiguous chunks per thread of the current
/// rayon pool and `init` makes one scratch per chunk (not per element, and not per rayon
/// split). Every row is computed the same way whatever the chunking, so results do not depend
/// on the thread count.
fn rows<T>(
    out: &mut [f64],
    width: usize,
    parallel: bool,
    init: impl Fn() -> T + Sync + Send,
    f: impl Fn(&mut T, usize, &mut [f64]) + Sync + Send,
) {
    let width = width.max(1);
    let n_rows = out.len() / width;
    let threads = rayon::current_num_threads();
    if parallel && threads > 1 && n_rows > 1 {
        let per = n_rows.div_ceil(2 * threads).max(1);
        out.par_chunks_mut(width * per)
            .enumerate()
            .for_each(|(c, chunk)| {
                let mut t = init();
                for (k, row) in chunk.chunks_mut(width).enumerate() {
                    f(&mut t, c * per + k, row);
                }
            });
    } else {
        let mut t = init();
        for (i, row) in out.chunks_mut(width).enumerate() {
            f(&mut t, i, row);
        }
    }
}

/// Whether a per-step op over `b` elements should split the batch across threads: inside a
/// rayon pool (e.g. a training loop under `ThreadPool::install`) splitting is cheap; from
/// outside, each op would hand its work to the pool and wait, which only pays for big batches.
fn split_steps(b: usize) -> bool {
    rayon::current_thread_index().is_some() || b >= PARALLEL_MIN_BATCH
}

/// Differentiable reset: joint states `[B, 2·dof]` → states `[B, state_len]` (geometry and the
/// muscles' initial states computed as [`Effector::reset`] does). Backward: ∂/∂joint through
/// [`Effector::reset_vjp`].
///
/// Panics if `joint` is not `[B, 2·dof]`.
pub fn reset<K, M, G, T>(effector: &Arc<Effector<K, M, G>>, joint: Mat<T>) -> Mat<T>
where
    K: Skeleton + 'static,
    M: MuscleModel + 'static,
    G: Geometry + 'static,
    T: Tape<f64, Cpu>,
{
    let layout = StateLayout::new(&**effector);
    let (b, n) = *joint.shape();
    assert_eq!(
        n,
        2 * effector.dof(),
        "reset: joint tensor must be [B, 2·dof]"
    );
    let (joint, mut tape) = joint.split_tape();
    let j = joint.as_vec();
    let mut out = vec![0.0; b * layout.len];
    rows(
        &mut out,
        layout.len,
        split_steps(b),
        || effector.zero_state::<f64>(),
        |s, i, row| {
            effector.reset(&j[i * n..(i + 1) * n], s);
            layout.join(s, row);
        },
    );
    let out = joint.device().tensor_from_vec(out, (b, layout.len));
    if T::OWNS_TAPE {
        let (in_ghost, out_ghost) = (joint.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            let g_out: Vec<f64> = grads.get_or_alloc_mut(&out_ghost)?.to_vec();
            let mut d_j = vec![0.0; b * n];
            rows(
                &mut d_j,
                n,
                split_steps(b),
                || eff.zero_state::<f64>(),
                |grad, i, row| {
                    layout.split(&g_out[i * layout.len..(i + 1) * layout.len], grad);
                    row.copy_from_slice(&eff.reset_vjp(&j[i * n..(i + 1) * n], grad));
                },
            );
            let g_in = grads.get_or_alloc_mut(&in_ghost)?;
            for (d, v) in g_in.iter_mut().zip(&d_j) {
                *d += v;
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Differentiable effector step: states `[B, state_len]` and excitations `[B, M]` → next
/// states `[B, state_len]`, one fused op on the tape (all ministeps and integration stages).
/// Backward: ∂/∂state and ∂/∂excitation through [`Effector::step_vjp`].
///
/// The input states must be consistent (geometry computed from the joint state), as every
/// state made by [`reset`] or [`step`] is. Panics on shape mismatch.
pub fn step<K, M, G, T1, T2>(
    effector: &Arc<Effector<K, M, G>>,
    state: Mat<T1>,
    excitation: Mat<T2>,
) -> Mat<T1>
where
    K: Skeleton + 'static,
    M: MuscleModel + 'static,
    G: Geometry + 'static,
    T1: Tape<f64, Cpu> + Merge<T2>,
    T2: Tape<f64, Cpu>,
{
    let layout = StateLayout::new(&**effector);
    let (b, n) = *state.shape();
    let m = effector.n_muscles();
    assert_eq!(n, layout.len, "step: state tensor must be [B, state_len]");
    assert_eq!(
        *excitation.shape(),
        (b, m),
        "step: excitation tensor must be [B, M]"
    );
    let (state, tape_s) = state.split_tape();
    let (excitation, tape_e) = excitation.split_tape();
    let mut tape = tape_s.merge(tape_e);
    let (s_in, u_in) = (state.as_vec(), excitation.as_vec());
    let mut out = vec![0.0; b * n];
    let scratch = || (effector.zero_state::<f64>(), effector.workspace::<f64>());
    rows(&mut out, n, split_steps(b), scratch, |(st, ws), i, row| {
        layout.split(&s_in[i * n..(i + 1) * n], st);
        effector.step(st, &u_in[i * m..(i + 1) * m], &[], &[], ws);
        layout.join(st, row);
    });
    let out = state.device().tensor_from_vec(out, (b, n));
    if T1::OWNS_TAPE {
        let (s_ghost, u_ghost, out_ghost) = (state.ghost(), excitation.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            // the VJP of every element: state part then excitation part, per row (the output
            // gradient is borrowed, not copied, while the VJPs are computed)
            let mut d = vec![0.0; b * (n + m)];
            let g_out: &[f64] = grads.get_or_alloc_mut(&out_ghost)?;
            let scratch = || {
                let vjp = StepGradient::default();
                (eff.zero_state::<f64>(), eff.zero_state::<f64>(), vjp)
            };
            rows(
                &mut d,
                n + m,
                split_steps(b),
                scratch,
                |(st, g_next, vjp), i, row| {
                    layout.split(&s_in[i * n..(i + 1) * n], st);
                    layout.split(&g_out[i * n..(i + 1) * n], g_next);
                    eff.step_vjp_into(st, &u_in[i * m..(i + 1) * m], &[], &[], g_next, vjp);
                    let (ds, du) = row.split_at_mut(n);
                    layout.join(&vjp.state, ds);
                    du.copy_from_slice(&vjp.excitation);
                },
            );
            // add (never assign): the inputs may have other users on the tape
            let g_s = grads.get_or_alloc_mut(&s_ghost)?;
            for (dst, row) in g_s.chunks_mut(n).zip(d.chunks(n + m)) {
                for (x, v) in dst.iter_mut().zip(&row[..n]) {
                    *x += v;
                }
            }
            let g_u = grads.get_or_alloc_mut(&u_ghost)?;
            for (dst, row) in g_u.chunks_mut(m).zip(d.chunks(n + m)) {
                for (x, v) in dst.iter_mut().zip(&row[n..]) {
                    *x += v;
                }
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}

type Mat3<T> = Tensor<(usize, usize, usize), f64, Cpu, T>;

/// Differentiable open-loop rollout: the states `[B, n]` (`n = `[`state_len`]) and `T` steps of
/// excitations `[B, T, M]` → the state after every step, `[B, T, n]`, as **one** fused op on
/// the tape.
///
/// This is [`step`] applied `T` times, with the same numbers, but it records one tape entry
/// instead of `T` and splits the batch across threads once per rollout instead of once per
/// step: use it whenever the excitations are known before the rollout starts (open-loop
/// control, system identification). Closed loops, where each excitation depends on the state
/// before it, need [`step`].
///
/// Backward: each batch element walks its steps in reverse through
/// [`Effector::step_vjp_into`], adding every step's output gradient on the way, and yields
/// ∂/∂(initial state) and ∂/∂(every excitation).
///
/// Panics on shape mismatch.
pub fn rollout<K, M, G, T1, T2>(
    effector: &Arc<Effector<K, M, G>>,
    state: Mat<T1>,
    excitations: Mat3<T2>,
) -> Mat3<T1>
where
    K: Skeleton + 'static,
    M: MuscleModel + 'static,
    G: Geometry + 'static,
    T1: Tape<f64, Cpu> + Merge<T2>,
    T2: Tape<f64, Cpu>,
{
    let layout = StateLayout::new(&**effector);
    let (b, n) = *state.shape();
    let m = effector.n_muscles();
    let (b_u, t_len, m_u) = *excitations.shape();
    assert_eq!(
        n, layout.len,
        "rollout: state tensor must be [B, state_len]"
    );
    assert_eq!(
        (b_u, m_u),
        (b, m),
        "rollout: excitation tensor must be [B, T, M]"
    );
    let (state, tape_s) = state.split_tape();
    let (excitations, tape_e) = excitations.split_tape();
    let mut tape = tape_s.merge(tape_e);
    let (s_in, u_in) = (state.as_vec(), excitations.as_vec());
    let mut out = vec![0.0; b * t_len * n];
    let scratch = || (effector.zero_state::<f64>(), effector.workspace::<f64>());
    rows(&mut out, t_len * n, true, scratch, |(st, ws), i, row| {
        layout.split(&s_in[i * n..(i + 1) * n], st);
        for (t, row_t) in row.chunks_mut(n).enumerate() {
            let u = &u_in[(i * t_len + t) * m..(i * t_len + t + 1) * m];
            effector.step(st, u, &[], &[], ws);
            layout.join(st, row_t);
        }
    });
    let out = state.device().tensor_from_vec(out, (b, t_len, n));
    if T1::OWNS_TAPE {
        let (s_ghost, u_ghost, out_ghost) = (state.ghost(), excitations.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            // per element: ∂/∂(initial state) then ∂/∂(excitations), T·M of them
            let width = n + t_len * m;
            let mut d = vec![0.0; b * width];
            let g_out: &[f64] = grads.get_or_alloc_mut(&out_ghost)?;
            let scratch = || {
                let vjp = StepGradient::default();
                let states = vec![0.0; t_len * n];
                let ws = eff.workspace::<f64>();
                (
                    eff.zero_state::<f64>(),
                    eff.zero_state::<f64>(),
                    vjp,
                    vec![0.0; n],
                    states,
                    ws,
                )
            };
            rows(
                &mut d,
                width,
                true,
                scratch,
                |(st, g_next, vjp, g, states, ws), i, row| {
                    let (ds, du) = row.split_at_mut(n);
                    // the element's states again: recomputing them (~0.2 µs a step) costs less than
                    // keeping every element's trajectory from the forward pass in memory
                    layout.split(&s_in[i * n..(i + 1) * n], st);
                    for (t, row_t) in states.chunks_mut(n).enumerate() {
                        let u = &u_in[(i * t_len + t) * m..(i * t_len + t + 1) * m];
                        eff.step(st, u, &[], &[], ws);
                        layout.join(st, row_t);
                    }
                    // g = ∂L/∂(state after step t), from later steps and from step t's own output
                    g.iter_mut().for_each(|v| *v = 0.0);
                    for t in (0..t_len).rev() {
                        let at = (i * t_len + t) * n;
                        for (a, b) in g.iter_mut().zip(&g_out[at..at + n]) {
                            *a += b;
                        }
                        layout.split(g, g_next);
                        let before = if t == 0 {
                            &s_in[i * n..(i + 1) * n]
                        } else {
                            &states[(t - 1) * n..t * n]
                        };
                        layout.split(before, st);
                        let u = &u_in[(i * t_len + t) * m..(i * t_len + t + 1) * m];
                        eff.step_vjp_into(st, u, &[], &[], g_next, vjp);
                        layout.join(&vjp.state, g);
                        du[t * m..(t + 1) * m].copy_from_slice(&vjp.excitation);
                    }
                    ds.copy_from_slice(g);
                },
            );
            // add (never assign): the inputs may have other users on the tape
            let g_s = grads.get_or_alloc_mut(&s_ghost)?;
            for (dst, row) in g_s.chunks_mut(n).zip(d.chunks(width)) {
                for (x, v) in dst.iter_mut().zip(&row[..n]) {
                    *x += v;
                }
            }
            let g_u = grads.get_or_alloc_mut(&u_ghost)?;
            for (dst, row) in g_u.chunks_mut(t_len * m).zip(d.chunks(width)) {
                for (x, v) in dst.iter_mut().zip(&row[n..]) {
                    *x += v;
                }
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Differentiable endpoint (fingertip) position and velocity: states `[B, state_len]` →
/// `[B, 2·space_dim]` (position then velocity), for losses and observations on the fingertip.
/// Backward through [`Effector::cartesian_vjp`].
pub fn cartesian<K, M, G, T>(effector: &Arc<Effector<K, M, G>>, state: Mat<T>) -> Mat<T>
where
    K: Skeleton + 'static,
    M: MuscleModel + 'static,
    G: Geometry + 'static,
    T: Tape<f64, Cpu>,
{
    let layout = StateLayout::new(&**effector);
    let (b, n) = *state.shape();
    assert_eq!(
        n, layout.len,
        "cartesian: state tensor must be [B, state_len]"
    );
    let c = 2 * effector.space_dim();
    let (state, mut tape) = state.split_tape();
    let s_in = state.as_vec();
    let mut out = vec![0.0; b * c];
    out.par_chunks_mut(c).zip(s_in.par_chunks(n)).for_each_init(
        || effector.zero_state::<f64>(),
        |s, (row, s_row)| {
            layout.split(s_row, s);
            effector.cartesian(s, row);
        },
    );
    let out = state.device().tensor_from_vec(out, (b, c));
    if T::OWNS_TAPE {
        let (s_ghost, out_ghost) = (state.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            let g_out: Vec<f64> = grads.get_or_alloc_mut(&out_ghost)?.to_vec();
            let g_s = grads.get_or_alloc_mut(&s_ghost)?;
            for ((dst, s_row), g) in g_s.chunks_mut(n).zip(s_in.chunks(n)).zip(g_out.chunks(c)) {
                let joint = &s_row[layout.joint..layout.muscle];
                eff.cartesian_vjp_add(joint, g, &mut dst[layout.joint..layout.muscle]);
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}
