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
use motornet_effector::{Effector, Geometry, GradientRows, RowVjp, State, Workspace};
use motornet_muscle::MuscleModel;
use motornet_scalar::{Lanes, Scalar};
use motornet_skeleton::Skeleton;
use rayon::prelude::*;
use std::sync::Arc;

/// Batch elements simulated together by the forward passes (`Lanes<f64, LANES>`).
const LANES: usize = 4;
type Lane = Lanes<f64, LANES>;

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
        let [j, m, g] = effector.state_part_lens();
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

    /// Fill the lanes of `into` with the rows `row(lane)`, one batch element per lane.
    fn pack<'a>(&self, row: impl Fn(usize) -> &'a [f64], into: &mut State<Lane>) {
        let parts = [
            (&mut into.joint, self.joint),
            (&mut into.muscle, self.muscle),
            (&mut into.geometry, self.geometry),
        ];
        for (part, offset) in parts {
            for (k, v) in part.iter_mut().enumerate() {
                *v = Lane::from_lanes(|l| row(l)[offset + k]);
            }
        }
    }

    /// Write lane `lane` of `s` as a row.
    fn unpack(&self, s: &State<Lane>, lane: usize, row: &mut [f64]) {
        let parts = [
            (&s.joint, self.joint),
            (&s.muscle, self.muscle),
            (&s.geometry, self.geometry),
        ];
        for (part, offset) in parts {
            for (d, v) in row[offset..offset + part.len()].iter_mut().zip(part.iter()) {
                *d = v.0[lane];
            }
        }
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
type Mat3<T> = Tensor<(usize, usize, usize), f64, Cpu, T>;

/// Batches smaller than this are processed on the calling thread by the per-step ops: a step is
/// ~0.2 µs and a VJP ~1 µs per element, while handing an op to the thread pool and back costs
/// tens of µs on this kind of machine (measured: B = 64, 100 steps forward + backward 26 ms
/// with a hand-off per op, single-threaded).
const PARALLEL_MIN_BATCH: usize = 256;

/// Make `t` contiguous and read its numbers in row-major order.
///
/// Reshaping a tensor to its own shape is free for a contiguous tensor (same id, same data, no
/// tape entry); a broadcast or permuted view is copied, with dfdx's own backward for the copy.
/// Either way the op then sees row-major data, read at memory speed, and its gradient buffer has
/// one entry per element.
fn contiguous<S: Shape, T: Tape<f64, Cpu>>(
    t: Tensor<S, f64, Cpu, T>,
) -> (Tensor<S, f64, Cpu, T>, Vec<f64>) {
    let shape = *t.shape();
    let t = t.reshape_like(&shape);
    let mut v = vec![0.0; shape.num_elements()];
    t.copy_into(&mut v);
    (t, v)
}

/// How [`rows`] splits a batch across the threads of the current rayon pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// Every row on the calling thread.
    Serial,
    /// One contiguous chunk per thread: the least overhead, for the per-step ops, whose rows
    /// take about a microsecond each (measured on 2 threads: slightly faster than two chunks
    /// per thread, whose load balancing does not pay for the extra task at these sizes).
    PerThread,
    /// Chunks of this many rows, balanced by rayon's work stealing: for whole rollouts (~0.1 ms
    /// per row), so that a thread the machine slows down does not hold up the whole op.
    Rows(usize),
}

/// Rows per chunk of the `rollout` op: 16 chunks at B = 64 (measured on 2 threads: as fast as
/// one chunk per thread when both threads run at full speed, faster when one does not).
const ROLLOUT_ROWS_PER_CHUNK: usize = 4;

/// Fill `a` and `b` row by row (`wa` and `wb` numbers per batch element, `n_rows` elements)
/// with `f(scratch, element, row of a, row of b)`; `b` may be empty with `wb = 0`.
///
/// The rows are cut into contiguous chunks as `split` says (see [`chunks`]), and `init` makes
/// one scratch per chunk (not per element, and not per rayon split). Every row is computed the
/// same way whatever the chunking, so results do not depend on the thread count.
#[allow(clippy::too_many_arguments)]
fn rows<T>(
    a: &mut [f64],
    wa: usize,
    b: &mut [f64],
    wb: usize,
    n_rows: usize,
    split: Split,
    init: impl Fn() -> T + Sync + Send,
    f: impl Fn(&mut T, usize, &mut [f64], &mut [f64]) + Sync + Send,
) {
    chunks(a, wa, b, wb, n_rows, split, init, |t, start, k, ca, cb| {
        for r in 0..k {
            let ra = &mut ca[r * wa..(r + 1) * wa];
            let rb = &mut cb[r * wb..(r + 1) * wb];
            f(t, start + r, ra, rb);
        }
    });
}

/// Cut `n_rows` rows of `a` and `b` (`wa` and `wb` numbers each) into contiguous chunks as
/// `split` says, and call `f(scratch, first element, number of elements, rows of a, rows of b)`
/// once per chunk, on the threads of the current rayon pool; `init` makes one scratch per
/// chunk.
#[allow(clippy::too_many_arguments)]
fn chunks<T>(
    a: &mut [f64],
    wa: usize,
    b: &mut [f64],
    wb: usize,
    n_rows: usize,
    split: Split,
    init: impl Fn() -> T + Sync + Send,
    f: impl Fn(&mut T, usize, usize, &mut [f64], &mut [f64]) + Sync + Send,
) {
    let threads = rayon::current_num_threads();
    let per = match split {
        _ if threads < 2 || n_rows < 2 => n_rows.max(1),
        Split::Serial => n_rows.max(1),
        Split::PerThread => n_rows.div_ceil(threads),
        Split::Rows(k) => k.max(1),
    };
    let mut parts = Vec::with_capacity(n_rows.div_ceil(per));
    let (mut rest_a, mut rest_b, mut start) = (a, b, 0);
    while start < n_rows {
        let k = per.min(n_rows - start);
        let (ca, ta) = rest_a.split_at_mut(k * wa);
        let (cb, tb) = rest_b.split_at_mut(k * wb);
        parts.push((start, k, ca, cb));
        (rest_a, rest_b, start) = (ta, tb, start + k);
    }
    let run = |(start, k, ca, cb): (usize, usize, &mut [f64], &mut [f64])| {
        let mut t = init();
        f(&mut t, start, k, ca, cb);
    };
    if parts.len() > 1 {
        parts.into_par_iter().for_each(run);
    } else {
        parts.into_iter().for_each(run);
    }
}

/// Buffers of [`simulate_lanes`]: a state, a workspace and an excitation of `Lanes`.
struct LaneScratch {
    state: State<Lane>,
    ws: Workspace<Lane>,
    u: Vec<Lane>,
}

impl LaneScratch {
    fn new<K: Skeleton, M: MuscleModel, G: Geometry>(effector: &Effector<K, M, G>) -> Self {
        Self {
            state: effector.zero_state(),
            ws: effector.workspace(),
            u: vec![Lane::c(0.0); effector.n_muscles()],
        }
    }
}

/// Simulate the batch elements `start..start + k` for `steps` steps (`run = (start, k,
/// steps)`), [`LANES`] elements at a time on `Lanes<f64, LANES>`: the same numbers as one at a
/// time (`tests/lanes.rs` in motornet-effector checks it), at about twice the throughput.
/// Element `e` starts from row `e` of `s_in` and gets the excitation `u_in[u_at(e, t)..][..M]`
/// at step `t`; the state after step `t` of the chunk's `r`-th element is written to
/// `out[(r · steps + t) · n..][..n]`.
#[allow(clippy::too_many_arguments)]
fn simulate_lanes<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    layout: &StateLayout,
    sc: &mut LaneScratch,
    s_in: &[f64],
    u_in: &[f64],
    u_at: impl Fn(usize, usize) -> usize,
    (start, k, steps): (usize, usize, usize),
    out: &mut [f64],
) {
    let n = layout.len;
    for g in (0..k).step_by(LANES) {
        // lanes past the chunk's last element repeat it, and are not written back
        let used = LANES.min(k - g);
        let elem = |l: usize| start + g + l.min(used - 1);
        layout.pack(|l| &s_in[elem(l) * n..(elem(l) + 1) * n], &mut sc.state);
        for t in 0..steps {
            for (mu, v) in sc.u.iter_mut().enumerate() {
                *v = Lane::from_lanes(|l| u_in[u_at(elem(l), t) + mu]);
            }
            effector.step(&mut sc.state, &sc.u, &[], &[], &mut sc.ws);
            for l in 0..used {
                let at = ((g + l) * steps + t) * n;
                layout.unpack(&sc.state, l, &mut out[at..at + n]);
            }
        }
    }
}

/// Whether a per-step op over `b` elements should split the batch across threads: inside a
/// rayon pool (e.g. a training loop under `ThreadPool::install`) splitting is cheap; from
/// outside, each op would hand its work to the pool and wait, which only pays for big batches.
fn split_steps(b: usize) -> Split {
    if rayon::current_thread_index().is_some() || b >= PARALLEL_MIN_BATCH {
        Split::PerThread
    } else {
        Split::Serial
    }
}

/// A buffer of `f64` from a small process-wide pool, returned to it on drop: the large
/// per-call buffers of the ops then touch fresh memory (a page fault per 4 KiB, costly on some
/// machines) only on their first use.
struct Pooled(Vec<f64>);

/// Buffers kept for reuse (at most [`POOL_SIZE`]).
static POOL: std::sync::Mutex<Vec<Vec<f64>>> = std::sync::Mutex::new(Vec::new());
const POOL_SIZE: usize = 4;

impl Pooled {
    /// A buffer of `len` numbers (contents unspecified: the caller overwrites them).
    fn take(len: usize) -> Self {
        if len == 0 {
            return Self(Vec::new());
        }
        let reused = POOL.lock().ok().and_then(|mut pool| {
            let k = pool.iter().position(|v| v.capacity() >= len)?;
            Some(pool.swap_remove(k))
        });
        let mut v = reused.unwrap_or_default();
        v.resize(len, 0.0);
        Self(v)
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if self.0.capacity() > 0 {
            if let Ok(mut pool) = POOL.lock() {
                if pool.len() < POOL_SIZE {
                    pool.push(std::mem::take(&mut self.0));
                }
            }
        }
    }
}

impl std::ops::Deref for Pooled {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.0
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.0
    }
}

/// `dst += src` element by element.
fn add_into(dst: &mut [f64], src: &[f64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// Differentiable reset: joint states `[B, 2·dof]` → states `[B, state_len]` (geometry and the
/// muscles' initial states computed as [`Effector::reset`] does). Backward: ∂/∂joint through
/// [`Effector::reset_vjp`], which takes the gradient of the whole state, geometry included.
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
    let (joint, j) = contiguous(joint);
    let (joint, mut tape) = joint.split_tape();
    let mut out = vec![0.0; b * layout.len];
    let scratch = || effector.zero_state::<f64>();
    rows(
        &mut out,
        layout.len,
        &mut [],
        0,
        b,
        split_steps(b),
        scratch,
        |s, i, row, _| {
            effector.reset(&j[i * n..(i + 1) * n], s);
            layout.join(s, row);
        },
    );
    let out = joint.device().tensor_from_vec(out, (b, layout.len));
    if T::OWNS_TAPE {
        let (in_ghost, out_ghost) = (joint.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            let g_out = grads.get_or_alloc_mut(&out_ghost)?.to_vec();
            let g_in = grads.get_or_alloc_mut(&in_ghost)?;
            let scratch = || eff.zero_state::<f64>();
            rows(
                g_in,
                n,
                &mut [],
                0,
                b,
                split_steps(b),
                scratch,
                |grad, i, row, _| {
                    layout.split(&g_out[i * layout.len..(i + 1) * layout.len], grad);
                    add_into(row, &eff.reset_vjp(&j[i * n..(i + 1) * n], grad));
                },
            );
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Differentiable effector step: states `[B, state_len]` and excitations `[B, M]` → next
/// states `[B, state_len]`, one fused op on the tape (all ministeps and integration stages).
///
/// Backward: ∂/∂state and ∂/∂excitation through [`Effector::step_vjp_unfolded_add`] on the
/// tensors' rows in place, the exact VJP of the step as it reads its input state: the gradient with respect to the input's
/// geometry entries is passed on as it is, and the op that made the input ([`reset`] or the
/// previous [`step`]) carries it to the joint state, once per step.
///
/// The input states must be consistent (geometry computed from the joint state), as every
/// state made by [`reset`] or [`step`] is. Inputs may be broadcast or permuted views (they are
/// made contiguous first). Panics on shape mismatch.
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
    let (state, s_in) = contiguous(state);
    let (excitation, u_in) = contiguous(excitation);
    let (state, tape_s) = state.split_tape();
    let (excitation, tape_e) = excitation.split_tape();
    let mut tape = tape_s.merge(tape_e);
    let mut out = vec![0.0; b * n];
    chunks(
        &mut out,
        n,
        &mut [],
        0,
        b,
        split_steps(b),
        || LaneScratch::new(&**effector),
        |sc, start, k, rows_out, _| {
            let u_at = |e: usize, _t: usize| e * m;
            let run = (start, k, 1);
            simulate_lanes(effector, &layout, sc, &s_in, &u_in, u_at, run, rows_out);
        },
    );
    let out = state.device().tensor_from_vec(out, (b, n));
    if T1::OWNS_TAPE {
        let (s_ghost, u_ghost, out_ghost) = (state.ghost(), excitation.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            let g_out = grads.get_or_alloc_mut(&out_ghost)?.to_vec();
            let mut d_u = vec![0.0; b * m];
            // add (never assign): the inputs may have other users on the tape
            let g_s = grads.get_or_alloc_mut(&s_ghost)?;
            let split = split_steps(b);
            chunks(
                g_s,
                n,
                &mut d_u,
                m,
                b,
                split,
                || (),
                |_, start, _, ds, du| {
                    let mut items: Vec<RowVjp<'_>> = (ds.chunks_mut(n).zip(du.chunks_mut(m)))
                        .enumerate()
                        .map(|(r, (ds, du))| {
                            let i = start + r;
                            RowVjp {
                                state: &s_in[i * n..(i + 1) * n],
                                excitation: &u_in[i * m..(i + 1) * m],
                                endpoint_load: &[],
                                joint_load: &[],
                                grad_next: &g_out[i * n..(i + 1) * n],
                                grad: GradientRows {
                                    state: ds,
                                    excitation: du,
                                    endpoint_load: &mut [],
                                    joint_load: &mut [],
                                },
                            }
                        })
                        .collect();
                    eff.step_vjp_unfolded_add_batch(&mut items);
                },
            );
            add_into(grads.get_or_alloc_mut(&u_ghost)?, &d_u);
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Differentiable open-loop rollout: the states `[B, n]` (`n = `[`state_len`]) and `T` steps of
/// excitations `[B, T, M]` → the state after every step, `[B, T, n]`, as **one** fused op on
/// the tape.
///
/// This is [`step`] applied `T` times, with the same numbers, but it records one tape entry
/// instead of `T` and splits the batch across threads once per rollout instead of once per
/// step: use it whenever the excitations are known before the rollout starts (open-loop
/// control, system identification). Closed loops, where each excitation depends on the state
/// before it, need [`step`]. Its output holds `B·T·n` numbers (2.6 MB for arm26 at B = 64,
/// T = 100), and its gradient as many: on machines where fresh memory is slow to touch (page
/// faults), per-step ops on `[B, n]` tensors can be faster.
///
/// Backward: each batch element walks its steps in reverse through
/// [`Effector::step_vjp_unfolded_add`] (the states are kept from the forward pass, in a
/// buffer reused from call to call), adding every step's output gradient on the way, and
/// yields ∂/∂(initial state) and ∂/∂(every excitation).
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
    let (state, s_in) = contiguous(state);
    let (excitations, u_in) = contiguous(excitations);
    let (state, tape_s) = state.split_tape();
    let (excitations, tape_e) = excitations.split_tape();
    let mut tape = tape_s.merge(tape_e);
    let mut out = vec![0.0; b * t_len * n];
    // the backward pass reads every state again: a copy of the trajectory, written alongside
    // the output, in a buffer kept between calls (fresh memory would cost a page fault per
    // 4 KiB on its first touch)
    let mut kept = if T1::OWNS_TAPE {
        Pooled::take(b * t_len * n)
    } else {
        Pooled::take(0)
    };
    let kept_width = if T1::OWNS_TAPE { t_len * n } else { 0 };
    let width = t_len * n;
    chunks(
        &mut out,
        width,
        &mut kept,
        kept_width,
        b,
        Split::Rows(ROLLOUT_ROWS_PER_CHUNK),
        || LaneScratch::new(&**effector),
        |sc, start, k, rows_out, rows_kept| {
            let u_at = |e: usize, t: usize| (e * t_len + t) * m;
            let run = (start, k, t_len);
            simulate_lanes(effector, &layout, sc, &s_in, &u_in, u_at, run, rows_out);
            if !rows_kept.is_empty() {
                rows_kept.copy_from_slice(rows_out);
            }
        },
    );
    let out = state.device().tensor_from_vec(out, (b, t_len, n));
    if T1::OWNS_TAPE {
        let (s_ghost, u_ghost, out_ghost) = (state.ghost(), excitations.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            // the output gradient is borrowed (a copy would be B·T·n numbers of fresh memory)
            let mut d_s = vec![0.0; b * n];
            let mut d_u = vec![0.0; b * t_len * m];
            let g_out: &[f64] = grads.get_or_alloc_mut(&out_ghost)?;
            // g: ∂L/∂(state after step t), from later steps and from step t's own output;
            // the VJPs leave the geometry gradient unfolded, for the step before (or the op
            // that made the initial state) to fold
            let scratch = || (Vec::new(), Vec::new());
            let width = t_len * m;
            let kept = &kept;
            chunks(
                &mut d_s,
                n,
                &mut d_u,
                width,
                b,
                Split::Rows(ROLLOUT_ROWS_PER_CHUNK),
                scratch,
                |sc, start, k, ds, du| {
                    let (g, g_before): &mut (Vec<f64>, Vec<f64>) = sc;
                    // rows of the chunk's element r
                    let at = |r: usize, t: usize| ((start + r) * t_len + t) * n;
                    g.clear();
                    for r in 0..k {
                        g.extend_from_slice(&g_out[at(r, t_len - 1)..at(r, t_len - 1) + n]);
                    }
                    g_before.resize(k * n, 0.0);
                    for t in (0..t_len).rev() {
                        // ∂L/∂(state before step t): its own output gradient, plus the VJP's
                        for (r, gb) in g_before.chunks_mut(n).enumerate() {
                            if t == 0 {
                                gb.iter_mut().for_each(|v| *v = 0.0);
                            } else {
                                gb.copy_from_slice(&g_out[at(r, t - 1)..at(r, t - 1) + n]);
                            }
                        }
                        let mut items: Vec<RowVjp<'_>> = (g_before.chunks_mut(n))
                            .zip(g.chunks(n))
                            .zip(du.chunks_mut(width))
                            .enumerate()
                            .map(|(r, ((gb, gn), du))| {
                                let i = start + r;
                                RowVjp {
                                    state: if t == 0 {
                                        &s_in[i * n..(i + 1) * n]
                                    } else {
                                        &kept[at(r, t - 1)..at(r, t - 1) + n]
                                    },
                                    excitation: &u_in[(i * t_len + t) * m..(i * t_len + t + 1) * m],
                                    endpoint_load: &[],
                                    joint_load: &[],
                                    grad_next: gn,
                                    grad: GradientRows {
                                        state: gb,
                                        excitation: &mut du[t * m..(t + 1) * m],
                                        endpoint_load: &mut [],
                                        joint_load: &mut [],
                                    },
                                }
                            })
                            .collect();
                        eff.step_vjp_unfolded_add_batch(&mut items);
                        drop(items);
                        std::mem::swap(g, g_before);
                    }
                    ds.copy_from_slice(g);
                },
            );
            // add (never assign): the inputs may have other users on the tape
            add_into(grads.get_or_alloc_mut(&s_ghost)?, &d_s);
            add_into(grads.get_or_alloc_mut(&u_ghost)?, &d_u);
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Differentiable endpoint (fingertip) position and velocity: states `[B, state_len]` →
/// `[B, 2·space_dim]` (position then velocity), for losses and observations on the fingertip.
/// Backward through [`Effector::cartesian_vjp_add`].
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
    let (state, s_in) = contiguous(state);
    let (state, mut tape) = state.split_tape();
    let mut out = vec![0.0; b * c];
    let scratch = || effector.zero_state::<f64>();
    rows(
        &mut out,
        c,
        &mut [],
        0,
        b,
        split_steps(b),
        scratch,
        |s, i, row, _| {
            layout.split(&s_in[i * n..(i + 1) * n], s);
            effector.cartesian(s, row);
        },
    );
    let out = state.device().tensor_from_vec(out, (b, c));
    if T::OWNS_TAPE {
        let (s_ghost, out_ghost) = (state.ghost(), out.ghost());
        let eff = Arc::clone(effector);
        tape.add_backward_op(move |grads| {
            let g_out = grads.get_or_alloc_mut(&out_ghost)?.to_vec();
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
