//! Exact derivatives of effector steps and rollouts, without a tensor library.
//!
//! A step is a function of the state, the excitation and the loads. Its vector–Jacobian product
//! (VJP) — what backpropagation through time needs — is computed here from the very same
//! scalar-generic code that simulates, evaluated on [`DualN`] forward-mode dual numbers a few
//! input directions at a time. Derivatives through clipping and branches follow the branch the
//! values select, as autodiff does in MotorNet.
//!
//! Inputs of a step, in this order (their number is [`Effector::n_step_inputs`]):
//! 1. the joint state `[q, q̇]` (`2·dof`),
//! 2. the muscle state entries the muscle model reads ([`MuscleModel::read_states`], plus the
//!    force), muscle by muscle,
//! 3. the excitation (`M`), 4. the endpoint load (`space_dim`), 5. the joint load (`dof`).
//!
//! The geometry part of a state is a function of its joint state (every state made by
//! [`Effector::reset`] or [`Effector::step`] satisfies this); the step's derivative with respect
//! to it is therefore carried by the joint state, and the geometry entries of a state gradient
//! returned by [`Effector::step_vjp`] are zero. Loops over many steps use
//! [`Effector::step_vjp_unfolded_into`] instead, which returns the gradient with respect to the
//! geometry as the step reads it and leaves carrying it to the joint state to the VJP of the
//! step before (one geometry Jacobian per step instead of two).
//!
//! ```
//! use motornet_effector::presets;
//!
//! let arm = presets::spec("RigidTendonArm26", None).unwrap().build().unwrap();
//! // loss = elbow angle after 10 steps (0.1 s) of weak co-contraction, biceps a little more
//! let excitation = vec![vec![0.05, 0.05, 0.05, 0.05, 0.1, 0.05]; 10];
//! let g = arm
//!     .rollout_vjp(&[0.8, 1.2, 0.0, 0.0], &excitation, None, None, |t, _s, grad| {
//!         if t == 10 {
//!             grad.joint[1] += 1.0;
//!         }
//!     })
//!     .unwrap();
//! // more biceps early on flexes the elbow more; more triceps extends it (an excitation
//! // below min_activation would be clipped, and get no gradient)
//! assert!(g.excitation[0][4] > 0.0);
//! assert!(g.excitation[0][3] < 0.0);
//! ```

use crate::adjoint::{add_weighted_eps, GradOut, Parts, VJP_LANES};
use crate::effector::{Effector, State};
use crate::error::EffectorError;
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_scalar::{DualN, Scalar};
use motornet_skeleton::Skeleton;

/// Number of input directions carried by one dual evaluation (measured: 12 is faster than 8,
/// 11, 16 or 32 for arm26 without loads, whose 22 inputs then take two passes).
const DIRECTIONS: usize = 12;
type D = DualN<DIRECTIONS>;

/// Gradient with respect to the inputs of one step. `StepGradient::default()` (empty buffers)
/// is a valid `out` for [`Effector::step_vjp_into`], which sizes the buffers itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepGradient {
    /// Gradient with respect to the state (same layout as [`State`]; geometry entries are zero,
    /// see the module docs).
    pub state: State<f64>,
    /// Gradient with respect to the excitation (`[M]`).
    pub excitation: Vec<f64>,
    /// Gradient with respect to the endpoint load (`[space_dim]`).
    pub endpoint_load: Vec<f64>,
    /// Gradient with respect to the joint load (`[dof]`).
    pub joint_load: Vec<f64>,
}

/// Where [`Effector::step_vjp_unfolded_add`] adds the gradients of one step, for one batch
/// element. Each buffer is added to (`+=`), never overwritten.
#[derive(Debug)]
pub struct GradientRows<'a> {
    /// ∂L/∂(state before the step), flattened as the state is: `[joint | muscle | geometry]`
    /// ([`Effector::state_len`] numbers; the geometry part unfolded).
    pub state: &'a mut [f64],
    /// ∂L/∂excitation (`[M]`).
    pub excitation: &'a mut [f64],
    /// ∂L/∂(endpoint load) (`[space_dim]`, or empty when the step has none).
    pub endpoint_load: &'a mut [f64],
    /// ∂L/∂(joint load) (`[dof]`, or empty when the step has none).
    pub joint_load: &'a mut [f64],
}

/// One batch element of [`Effector::step_vjp_unfolded_add_batch`]: its inputs as flattened
/// rows and where its gradients go.
#[derive(Debug)]
pub struct RowVjp<'a> {
    /// The state before the step, `[joint | muscle | geometry]` ([`Effector::state_len`]).
    pub state: &'a [f64],
    /// The excitation (`[M]`).
    pub excitation: &'a [f64],
    /// The endpoint load (`[space_dim]`, or empty for none).
    pub endpoint_load: &'a [f64],
    /// The joint load (`[dof]`, or empty for none).
    pub joint_load: &'a [f64],
    /// ∂L/∂(state after the step), flattened like `state`.
    pub grad_next: &'a [f64],
    /// Where the gradients are added.
    pub grad: GradientRows<'a>,
}

/// The Jacobian of one step ([`Effector::step_jacobian`]), row-major: one row per entry of the
/// state after the step, one column per input.
///
/// Rows: the state after the step flattened as `[joint | muscle | geometry]`
/// ([`Effector::state_len`] rows). Columns: the state before the step flattened the same way
/// (its geometry entries as the independent inputs the step reads them as), then the
/// excitation (`M`), the endpoint load and the joint load (as many as were given).
#[derive(Debug, Clone, PartialEq)]
pub struct StepJacobian {
    /// Number of rows (outputs).
    pub rows: usize,
    /// Number of columns (inputs).
    pub cols: usize,
    /// `rows · cols` partial derivatives, ∂output_r/∂input_c at `values[r · cols + c]`.
    pub values: Vec<f64>,
}

impl StepJacobian {
    /// ∂(output `row`)/∂(input `col`).
    pub fn get(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.cols + col]
    }
}

/// Gradient of a scalar function of a rollout with respect to its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutGradient {
    /// With respect to the initial joint state `[q, q̇]`.
    pub initial_joint: Vec<f64>,
    /// With respect to every step's excitation, `[T][M]`.
    pub excitation: Vec<Vec<f64>>,
    /// With respect to every step's endpoint load, `[T][space_dim]` (rows empty when no load
    /// was given).
    pub endpoint_load: Vec<Vec<f64>>,
    /// With respect to every step's joint load, `[T][dof]` (rows empty when no load was given).
    pub joint_load: Vec<Vec<f64>>,
}

/// What [`check_gradients`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// Largest relative difference between the VJP and central finite differences over the
    /// compared entries: |vjp − fd| / (max(|vjp|, |fd|) + 1e-6 · largest gradient).
    pub max_rel_err: f64,
    /// Entries compared.
    pub compared: usize,
    /// Entries skipped because a clip or branch switches within the finite-difference step
    /// (the one-sided differences disagree there).
    pub skipped: usize,
}

/// Compare the effector's rollout gradients with central finite differences in f64: from
/// `n_states` joint states drawn inside the position bounds (at rest, fixed `seed`), `n_steps`
/// steps under random excitations in [0.1, 0.9], for a random smooth loss of every state entry;
/// gradients with respect to every excitation and the initial joint positions. What
/// `motornet check` runs on users' effectors.
pub fn check_gradients<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    n_states: usize,
    n_steps: usize,
    seed: u64,
) -> Result<GradientCheck, EffectorError> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let starts = crate::batch::random_joint_states(effector, n_states, seed);
    let mut out = GradientCheck {
        max_rel_err: 0.0,
        compared: 0,
        skipped: 0,
    };
    for joint0 in starts {
        let exc: Vec<Vec<f64>> = (0..n_steps)
            .map(|_| {
                (0..effector.n_muscles())
                    .map(|_| rng.gen_range(0.1..0.9))
                    .collect()
            })
            .collect();
        let n_entries = {
            let s = effector.zero_state::<f64>();
            s.joint.len() + s.muscle.len() + s.geometry.len()
        };
        let weights: Vec<Vec<f64>> = (0..=n_steps)
            .map(|_| (0..n_entries).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        // loss = Σ_t Σ_i w_ti · tanh(x_ti / (1 + |x_0i|)): smooth, every entry at its own scale
        let mut s0 = effector.zero_state::<f64>();
        effector.reset(&joint0, &mut s0);
        let scales: Vec<f64> = flat(&s0).iter().map(|v| 1.0 + v.abs()).collect();
        let loss = |joint: &[f64], exc: &[Vec<f64>]| -> f64 {
            let mut s = effector.zero_state::<f64>();
            let mut ws = effector.workspace::<f64>();
            effector.reset(joint, &mut s);
            let mut l = 0.0;
            for t in 0..=exc.len() {
                if t > 0 {
                    effector.step(&mut s, &exc[t - 1], &[], &[], &mut ws);
                }
                for (i, v) in flat(&s).iter().enumerate() {
                    l += weights[t][i] * (v / scales[i]).tanh();
                }
            }
            l
        };
        let g = effector.rollout_vjp(&joint0, &exc, None, None, |t, s, grad| {
            let (nj, nm) = (grad.joint.len(), grad.muscle.len());
            for (i, v) in flat(s).iter().enumerate() {
                let th = (v / scales[i]).tanh();
                let d = weights[t][i] * (1.0 - th * th) / scales[i];
                if i < nj {
                    grad.joint[i] += d;
                } else if i < nj + nm {
                    grad.muscle[i - nj] += d;
                } else {
                    grad.geometry[i - nj - nm] += d;
                }
            }
        })?;
        /// What an entry is the derivative with respect to.
        enum Wrt {
            Excitation(usize, usize),
            Position(usize),
        }
        let mut entries: Vec<(f64, Wrt)> = vec![];
        for (t, row) in g.excitation.iter().enumerate() {
            entries.extend(
                row.iter()
                    .enumerate()
                    .map(|(m, &v)| (v, Wrt::Excitation(t, m))),
            );
        }
        entries.extend((0..effector.dof()).map(|k| (g.initial_joint[k], Wrt::Position(k))));
        let max_grad = entries.iter().map(|e| e.0.abs()).fold(0.0, f64::max);
        let base = loss(&joint0, &exc);
        let b = &effector.options().bounds;
        for (ad, wrt) in entries {
            let h = 1e-4;
            let eval = |delta: f64| {
                let (mut e, mut j) = (exc.clone(), joint0.clone());
                match wrt {
                    Wrt::Excitation(t, m) => e[t][m] += delta,
                    Wrt::Position(k) => j[k] = (j[k] + delta).clamp(b.pos_lower[k], b.pos_upper[k]),
                }
                loss(&j, &e)
            };
            let (p, m) = (eval(h), eval(-h));
            let (fwd, bwd) = ((p - base) / h, (base - m) / h);
            if (fwd - bwd).abs() > 1e-2 * (fwd.abs() + bwd.abs()) + 1e-6 * max_grad {
                out.skipped += 1;
                continue;
            }
            // Richardson extrapolation of central differences at h and h/2: truncation error
            // O(h⁴), so h can be large enough to keep rounding noise small
            let c1 = (p - m) / (2.0 * h);
            let c2 = (eval(h / 2.0) - eval(-h / 2.0)) / h;
            let central = (4.0 * c2 - c1) / 3.0;
            let err =
                (ad - central).abs() / (ad.abs().max(central.abs()) + 1e-6 * max_grad + 1e-300);
            out.max_rel_err = out.max_rel_err.max(err);
            out.compared += 1;
        }
    }
    Ok(out)
}

impl GradientCheck {
    /// The threshold `motornet check` applies: `max_rel_err <= 1e-4` with at least one entry
    /// compared.
    pub fn max_rel_grad_ok(&self) -> bool {
        self.compared > 0 && self.max_rel_err <= 1e-4
    }
}

fn flat(s: &State<f64>) -> Vec<f64> {
    s.joint
        .iter()
        .chain(&s.muscle)
        .chain(&s.geometry)
        .copied()
        .collect()
}

/// Where each differentiable input lives.
#[derive(Debug, Clone, Copy)]
enum Input {
    Joint(usize),
    Muscle(usize),
    Excitation(usize),
    EndpointLoad(usize),
    JointLoad(usize),
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// Indices into [`State::muscle`] that a step reads.
    fn muscle_inputs(&self) -> Vec<usize> {
        let ns = self.muscle().n_states();
        let fi = self.muscle().force_index();
        let mut per: Vec<usize> = self.muscle().read_states().to_vec();
        if !per.contains(&fi) {
            per.push(fi);
        }
        (0..self.n_muscles())
            .flat_map(|m| per.iter().map(move |&s| m * ns + s))
            .collect()
    }

    fn step_inputs(&self, endpoint_load: bool, joint_load: bool) -> Vec<Input> {
        let mut v: Vec<Input> = (0..2 * self.dof()).map(Input::Joint).collect();
        v.extend(self.muscle_inputs().into_iter().map(Input::Muscle));
        v.extend((0..self.n_muscles()).map(Input::Excitation));
        if endpoint_load {
            v.extend((0..self.space_dim()).map(Input::EndpointLoad));
        }
        if joint_load {
            v.extend((0..self.dof()).map(Input::JointLoad));
        }
        v
    }

    /// Number of differentiable inputs of one step with both loads (see the [`crate::grad`]
    /// module docs).
    pub fn n_step_inputs(&self) -> usize {
        self.step_inputs(true, true).len()
    }

    /// Vector–Jacobian product of one step: given the state before the step, its inputs and
    /// `grad_next` = ∂L/∂(state after the step), returns ∂L/∂(state before, excitation, loads).
    /// An empty load slice means no load: the step then does not differentiate with respect to
    /// it (cheaper), and the corresponding gradient vector is empty.
    ///
    /// Euler steps are differentiated in reverse mode, part by part (see `adjoint.rs`); other
    /// integrators by [`Effector::step_vjp_forward_mode`].
    pub fn step_vjp(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
    ) -> StepGradient {
        let mut out = StepGradient::default();
        self.step_vjp_into(
            state,
            excitation,
            endpoint_load,
            joint_load,
            grad_next,
            &mut out,
        );
        out
    }

    /// [`Effector::step_vjp`] into `out`, reusing its buffers (for loops over many steps: an
    /// Euler step's VJP then allocates nothing).
    pub fn step_vjp_into(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
        out: &mut StepGradient,
    ) {
        let (el, jl) = (endpoint_load, joint_load);
        self.step_vjp_either(state, excitation, el, jl, grad_next, out, true)
    }

    /// [`Effector::step_vjp_into`] without folding the geometry: the exact VJP of
    /// [`Effector::step`] as a function of its whole input state. The step reads the geometry
    /// stored in `state`; the gradient with respect to it is left in `out.state.geometry`
    /// instead of being carried into `out.state.joint` through the geometry's Jacobian.
    ///
    /// For loops over many steps: add `out.state` (geometry included) to the gradient of the
    /// state before, and pass that as `grad_next` of the previous step's VJP (or to
    /// [`Effector::reset_vjp`]), which folds the geometry gradient once together with the
    /// state's own. This computes one geometry Jacobian per step instead of two;
    /// [`Effector::rollout_vjp`] works this way. The sum of the two forms over a loop is the
    /// same (to rounding).
    ///
    /// Euler steps only; other integrators are differentiated in forward mode with the
    /// geometry recomputed from the joint state, and return the folded form (geometry entries
    /// zero), which composes the same way.
    pub fn step_vjp_unfolded_into(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
        out: &mut StepGradient,
    ) {
        let (el, jl) = (endpoint_load, joint_load);
        self.step_vjp_either(state, excitation, el, jl, grad_next, out, false)
    }

    /// [`Effector::step_vjp_unfolded_into`] on flattened states, *adding* into the caller's
    /// buffers: for batched code that keeps each element's state as one row
    /// `[joint | muscle | geometry]` ([`Effector::state_len`] numbers, e.g. a row of a tensor).
    /// `state` is the state before the step, `grad_next` = ∂L/∂(state after the step) in the
    /// same layout, and `grad` receives ∂L/∂(state, excitation, loads) (`+=`). An empty load
    /// slice means no load, and its gradient buffer must then be empty too.
    ///
    /// It reads the rows in place and allocates nothing for Euler steps of one ministep (the
    /// default); other steps are split into [`State`]s and go through
    /// [`Effector::step_vjp_unfolded_into`].
    ///
    /// Panics if a buffer's length does not match the effector (`state`, `grad_next` and
    /// `grad.state`: [`Effector::state_len`]; `excitation`: `M`; each load's gradient: its
    /// load's length).
    ///
    /// ```
    /// use motornet_effector::{presets, GradientRows};
    ///
    /// let arm = presets::spec("RigidTendonArm26", None).unwrap().build().unwrap();
    /// let mut s = arm.zero_state::<f64>();
    /// arm.reset(&[0.8, 1.2, 0.0, 0.0], &mut s);
    /// let row: Vec<f64> = [&s.joint[..], &s.muscle, &s.geometry].concat();
    /// let mut grad_next = vec![0.0; arm.state_len()];
    /// grad_next[1] = 1.0; // L = elbow angle after the step
    /// let (mut g_state, mut g_u) = (vec![0.0; arm.state_len()], vec![0.0; 6]);
    /// let grad = GradientRows {
    ///     state: &mut g_state,
    ///     excitation: &mut g_u,
    ///     endpoint_load: &mut [],
    ///     joint_load: &mut [],
    /// };
    /// arm.step_vjp_unfolded_add(&row, &[0.1; 6], &[], &[], &grad_next, grad);
    /// // the elbow angle after the step grows with the elbow angle and velocity before it
    /// assert!(g_state[1] > 0.9 && g_state[3] > 0.0);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn step_vjp_unfolded_add(
        &self,
        state: &[f64],
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &[f64],
        grad: GradientRows<'_>,
    ) {
        let row = RowVjp {
            state,
            excitation,
            endpoint_load,
            joint_load,
            grad_next,
            grad,
        };
        self.check_row_lengths(&row);
        let grad = row.grad;
        let [j, m, _] = self.state_part_lens();
        let (el, jl) = (endpoint_load, joint_load);
        if self.options().integration == crate::Integration::Euler
            && self.options().n_ministeps == 1
        {
            let mut out = GradOut::of_row(
                grad.state,
                j,
                m,
                grad.excitation,
                grad.endpoint_load,
                grad.joint_load,
            );
            let (s, g) = (Parts::of_row(state, j, m), Parts::of_row(grad_next, j, m));
            self.euler_step_vjp_add(s, excitation, el, jl, g, &mut out);
        } else {
            let split = |row: &[f64]| State {
                joint: row[..j].to_vec(),
                muscle: row[j..j + m].to_vec(),
                geometry: row[j + m..].to_vec(),
            };
            let mut out = StepGradient::default();
            let (s, g) = (split(state), split(grad_next));
            self.step_vjp_unfolded_into(&s, excitation, el, jl, &g, &mut out);
            let parts = [&out.state.joint[..], &out.state.muscle, &out.state.geometry];
            let pairs = [
                (grad.state, parts.concat()),
                (grad.excitation, out.excitation),
                (grad.endpoint_load, out.endpoint_load),
                (grad.joint_load, out.joint_load),
            ];
            for (dst, src) in pairs {
                for (d, v) in dst.iter_mut().zip(src) {
                    *d += v;
                }
            }
        }
    }

    /// [`Effector::step_vjp_unfolded_add`] for many batch elements, the same numbers: for
    /// Euler steps of one ministep (the default) and muscle models that read at most one of
    /// their state entries (every rigid-tendon model), the muscles of four elements at a time
    /// are differentiated in one pass on [`DualLanes`](motornet_scalar::DualLanes), which the
    /// compiler vectorises across the elements; other steps go element by element.
    ///
    /// Panics as [`Effector::step_vjp_unfolded_add`] does, if a buffer's length does not match
    /// the effector.
    ///
    /// ```
    /// use motornet_effector::{presets, GradientRows, RowVjp};
    ///
    /// let arm = presets::spec("RigidTendonArm26", None).unwrap().build().unwrap();
    /// let (n, b) = (arm.state_len(), 5);
    /// let mut s = arm.zero_state::<f64>();
    /// let mut rows = Vec::new();
    /// for e in 0..b {
    ///     arm.reset(&[0.6 + 0.1 * e as f64, 1.2, 0.0, 0.0], &mut s);
    ///     rows.push([&s.joint[..], &s.muscle, &s.geometry].concat());
    /// }
    /// let mut grad_next = vec![0.0; n];
    /// grad_next[1] = 1.0; // L = Σ over the batch of the elbow angle after the step
    /// let (mut g_s, mut g_u) = (vec![0.0; b * n], vec![0.0; b * 6]);
    /// let mut items: Vec<RowVjp> = (rows.iter().zip(g_s.chunks_mut(n)).zip(g_u.chunks_mut(6)))
    ///     .map(|((row, gs), gu)| RowVjp {
    ///         state: row,
    ///         excitation: &[0.1; 6],
    ///         endpoint_load: &[],
    ///         joint_load: &[],
    ///         grad_next: &grad_next,
    ///         grad: GradientRows { state: gs, excitation: gu, endpoint_load: &mut [], joint_load: &mut [] },
    ///     })
    ///     .collect();
    /// arm.step_vjp_unfolded_add_batch(&mut items);
    /// // the elbow angle after the step grows with the elbow angle before it, in every element
    /// assert!(g_s.chunks(n).all(|g| g[1] > 0.9));
    /// ```
    pub fn step_vjp_unfolded_add_batch(&self, rows: &mut [RowVjp<'_>]) {
        if !self.lanes_vjp_applies() {
            for r in rows.iter_mut() {
                let grad = GradientRows {
                    state: &mut *r.grad.state,
                    excitation: &mut *r.grad.excitation,
                    endpoint_load: &mut *r.grad.endpoint_load,
                    joint_load: &mut *r.grad.joint_load,
                };
                let (el, jl) = (r.endpoint_load, r.joint_load);
                self.step_vjp_unfolded_add(r.state, r.excitation, el, jl, r.grad_next, grad);
            }
            return;
        }
        for group in rows.chunks_mut(VJP_LANES) {
            for r in group.iter() {
                self.check_row_lengths(r);
            }
            self.euler_step_vjp_add_lanes(group);
        }
    }

    /// The length checks of [`Effector::step_vjp_unfolded_add`] and of each row of
    /// [`Effector::step_vjp_unfolded_add_batch`].
    fn check_row_lengths(&self, r: &RowVjp<'_>) {
        let n = self.state_len();
        let check = |what: &str, got: usize, want: usize| {
            assert_eq!(
                got, want,
                "step_vjp_unfolded_add: {what} has {got} numbers, the effector needs {want}"
            );
        };
        check("state", r.state.len(), n);
        check("grad_next", r.grad_next.len(), n);
        check("grad.state", r.grad.state.len(), n);
        check("excitation", r.excitation.len(), self.n_muscles());
        check(
            "grad.excitation",
            r.grad.excitation.len(),
            r.excitation.len(),
        );
        check(
            "grad.endpoint_load",
            r.grad.endpoint_load.len(),
            r.endpoint_load.len(),
        );
        check(
            "grad.joint_load",
            r.grad.joint_load.len(),
            r.joint_load.len(),
        );
    }

    /// The step VJP into `out`: Euler steps in reverse mode (geometry gradient folded into the
    /// joint state with `fold`, left as it is without), other integrators in forward mode
    /// (always folded).
    #[allow(clippy::too_many_arguments)]
    fn step_vjp_either(
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
        if self.options().integration == crate::Integration::Euler {
            self.euler_step_vjp_into(state, excitation, el, jl, grad_next, out, fold)
        } else {
            *out = self.step_vjp_forward_mode(state, excitation, el, jl, grad_next);
        }
    }

    /// [`Effector::step_vjp`] computed by differentiating the whole step in forward mode,
    /// [`DualN`] passes over all of its inputs: works for every integrator, and is the
    /// reference the faster reverse-mode Euler VJP is tested against.
    pub fn step_vjp_forward_mode(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
    ) -> StepGradient {
        let inputs = self.step_inputs(!endpoint_load.is_empty(), !joint_load.is_empty());
        let n_m = self.n_muscles();
        let (el, jl) = (endpoint_load, joint_load);
        let mut out = StepGradient {
            state: self.zero_state::<f64>(),
            excitation: vec![0.0; n_m],
            endpoint_load: vec![0.0; el.len()],
            joint_load: vec![0.0; jl.len()],
        };
        let mut ws = self.workspace::<D>();
        for chunk_start in (0..inputs.len()).step_by(DIRECTIONS) {
            let seed = |input_index: usize, v: f64| -> D {
                if input_index >= chunk_start && input_index < chunk_start + DIRECTIONS {
                    D::variable(v, input_index - chunk_start)
                } else {
                    D::constant(v)
                }
            };
            let mut s = State {
                joint: state.joint.iter().map(|&v| D::constant(v)).collect(),
                muscle: state.muscle.iter().map(|&v| D::constant(v)).collect(),
                geometry: vec![D::constant(0.0); state.geometry.len()],
            };
            let mut u: Vec<D> = excitation.iter().map(|&v| D::constant(v)).collect();
            let mut e: Vec<D> = el.iter().map(|&v| D::constant(v)).collect();
            let mut j: Vec<D> = jl.iter().map(|&v| D::constant(v)).collect();
            for (i, input) in inputs.iter().enumerate().skip(chunk_start).take(DIRECTIONS) {
                match *input {
                    Input::Joint(k) => s.joint[k] = seed(i, state.joint[k]),
                    Input::Muscle(k) => s.muscle[k] = seed(i, state.muscle[k]),
                    Input::Excitation(k) => u[k] = seed(i, excitation[k]),
                    Input::EndpointLoad(k) => e[k] = seed(i, el[k]),
                    Input::JointLoad(k) => j[k] = seed(i, jl[k]),
                }
            }
            // the geometry is a function of the joint state: recompute it so that it carries
            // the joint directions
            self.update_geometry(&mut s);
            self.step(&mut s, &u, &e, &j, &mut ws);
            // accumulate grad_nextᵀ · (d next / d input) for this chunk's inputs
            let mut acc = [0.0; DIRECTIONS];
            let parts = [
                (&s.joint, &grad_next.joint),
                (&s.muscle, &grad_next.muscle),
                (&s.geometry, &grad_next.geometry),
            ];
            for (vals, grads) in parts {
                add_weighted_eps(&mut acc, vals, grads);
            }
            for (i, input) in inputs.iter().enumerate().skip(chunk_start).take(DIRECTIONS) {
                let g = acc[i - chunk_start];
                match *input {
                    Input::Joint(k) => out.state.joint[k] += g,
                    Input::Muscle(k) => out.state.muscle[k] += g,
                    Input::Excitation(k) => out.excitation[k] += g,
                    Input::EndpointLoad(k) => out.endpoint_load[k] += g,
                    Input::JointLoad(k) => out.joint_load[k] += g,
                }
            }
        }
        out
    }

    /// The whole Jacobian of one [`Effector::step`] (every integrator, ministeps included), for
    /// analyses that need more than products with it (linearised dynamics, controllability,
    /// sensitivity): the step as a function of its whole input state (geometry entries as the
    /// step reads them, like [`Effector::step_vjp_unfolded_into`]), the excitation and the
    /// loads given (an empty load slice means no load and no columns). Computed from the same
    /// model code in forward mode, [`DualN`] passes of 12 input directions; about
    /// `n_inputs / 12` steps' worth of dual arithmetic, so use the VJPs for gradients.
    ///
    /// ```
    /// use motornet_effector::presets;
    ///
    /// let arm = presets::spec("RigidTendonArm26", None).unwrap().build().unwrap();
    /// let mut s = arm.zero_state::<f64>();
    /// arm.reset(&[0.8, 1.2, 0.0, 0.0], &mut s);
    /// let jac = arm.step_jacobian(&s, &[0.1; 6], &[], &[]);
    /// assert_eq!((jac.rows, jac.cols), (arm.state_len(), arm.state_len() + 6));
    /// // one 10 ms step: the elbow angle after it follows the elbow angle before it (∂ = 1)
    /// // and its velocity (∂ = dt)
    /// assert!((jac.get(1, 1) - 1.0).abs() < 1e-9);
    /// assert!((jac.get(1, 3) - 0.01).abs() < 1e-9);
    /// ```
    pub fn step_jacobian(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
    ) -> StepJacobian {
        let (nj, nm) = (state.joint.len(), state.muscle.len());
        let n_state = nj + nm + state.geometry.len();
        let (el, jl) = (endpoint_load, joint_load);
        let cols = n_state + excitation.len() + el.len() + jl.len();
        let mut values = vec![0.0; n_state * cols];
        let mut ws = self.workspace::<D>();
        for start in (0..cols).step_by(DIRECTIONS) {
            // input number `i` (in column order) with value `v`
            let seed = |i: usize, v: f64| {
                if (start..start + DIRECTIONS).contains(&i) {
                    D::variable(v, i - start)
                } else {
                    D::constant(v)
                }
            };
            let seeded = |from: usize, vals: &[f64]| -> Vec<D> {
                vals.iter()
                    .enumerate()
                    .map(|(k, &v)| seed(from + k, v))
                    .collect()
            };
            let mut s = State {
                joint: seeded(0, &state.joint),
                muscle: seeded(nj, &state.muscle),
                geometry: seeded(nj + nm, &state.geometry),
            };
            let u = seeded(n_state, excitation);
            let e = seeded(n_state + excitation.len(), el);
            let j = seeded(n_state + excitation.len() + el.len(), jl);
            self.step(&mut s, &u, &e, &j, &mut ws);
            let outputs = s.joint.iter().chain(&s.muscle).chain(&s.geometry);
            for (r, y) in outputs.enumerate() {
                for (c, &d) in (start..cols).zip(&y.eps) {
                    values[r * cols + c] = d;
                }
            }
        }
        StepJacobian {
            rows: n_state,
            cols,
            values,
        }
    }

    /// Vector–Jacobian product of [`Effector::reset`]: ∂L/∂(initial joint state `[q, q̇]`) from
    /// `grad_state` = ∂L/∂(state after reset), all of it (joint, muscle and geometry).
    pub fn reset_vjp(&self, joint: &[f64], grad_state: &State<f64>) -> Vec<f64> {
        let n = 2 * self.dof();
        let mut out = vec![0.0; n];
        for chunk_start in (0..n).step_by(DIRECTIONS) {
            let j: Vec<D> = (0..n)
                .map(|k| {
                    let v = joint.get(k).copied().unwrap_or(0.0);
                    if k >= chunk_start && k < chunk_start + DIRECTIONS {
                        D::variable(v, k - chunk_start)
                    } else {
                        D::constant(v)
                    }
                })
                .collect();
            let mut s = self.zero_state::<D>();
            self.reset(&j, &mut s);
            let parts = [
                (&s.joint, &grad_state.joint),
                (&s.muscle, &grad_state.muscle),
                (&s.geometry, &grad_state.geometry),
            ];
            let chunk = chunk_start..(chunk_start + DIRECTIONS).min(n);
            for (vals, grads) in parts {
                add_weighted_eps(&mut out[chunk.clone()], vals, grads);
            }
        }
        out
    }

    /// Gradient of a scalar loss of an open-loop rollout (backpropagation through time).
    ///
    /// The rollout starts from `joint0` (`[q, q̇]`) and takes one step per row of `excitation`
    /// (`[T][M]`), with optional per-step loads (`[T][space_dim]`, `[T][dof]`). `loss_grad(t,
    /// state_t, grad)` is called for t = T, T−1, …, 0 and must *add* ∂L/∂state_t (the loss's
    /// direct dependence on that state) into `grad`, which already holds what flows back from
    /// later steps. Returns ∂L/∂ of the initial joint state, every excitation and
    /// every load. Errors if an input has the wrong size or a state becomes non-finite.
    pub fn rollout_vjp(
        &self,
        joint0: &[f64],
        excitation: &[Vec<f64>],
        endpoint_load: Option<&[Vec<f64>]>,
        joint_load: Option<&[Vec<f64>]>,
        mut loss_grad: impl FnMut(usize, &State<f64>, &mut State<f64>),
    ) -> Result<RolloutGradient, EffectorError> {
        self.check_joint_state(joint0, "initial_joint_state")?;
        let t_len = excitation.len();
        let (dof, d, n_m) = (self.dof(), self.space_dim(), self.n_muscles());
        let row = |name: &str, v: &[f64], n: usize, t: usize| -> Result<(), EffectorError> {
            if v.len() == n && v.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(EffectorError::Input {
                    input: format!("{name}[{t}]"),
                    reason: format!("needs {n} finite values, got {v:?}"),
                })
            }
        };
        for t in 0..t_len {
            row("excitation", &excitation[t], n_m, t)?;
            if let Some(l) = endpoint_load {
                row("endpoint_load", l.get(t).map_or(&[][..], |r| r), d, t)?;
            }
            if let Some(l) = joint_load {
                row("joint_load", l.get(t).map_or(&[][..], |r| r), dof, t)?;
            }
        }
        let mut joint = joint0.to_vec();
        joint.resize(2 * dof, 0.0);
        // forward pass, keeping every state
        let mut states = Vec::with_capacity(t_len + 1);
        let mut s = self.zero_state::<f64>();
        self.reset(&joint, &mut s);
        let mut ws = self.workspace::<f64>();
        let load = |l: Option<&[Vec<f64>]>, t: usize| l.map_or(Vec::new(), |l| l[t].clone());
        states.push(s.clone());
        for t in 0..t_len {
            self.step(
                &mut s,
                &excitation[t],
                &load(endpoint_load, t),
                &load(joint_load, t),
                &mut ws,
            );
            if let Some(e) = self.find_non_finite(&s, t + 1, 0) {
                return Err(e);
            }
            states.push(s.clone());
        }
        // backward pass
        let mut grad = self.zero_state::<f64>();
        loss_grad(t_len, &states[t_len], &mut grad);
        let mut out = RolloutGradient {
            initial_joint: vec![],
            excitation: vec![vec![]; t_len],
            endpoint_load: vec![vec![]; t_len],
            joint_load: vec![vec![]; t_len],
        };
        let mut g = StepGradient::default();
        for t in (0..t_len).rev() {
            let (el, jl) = (load(endpoint_load, t), load(joint_load, t));
            self.step_vjp_unfolded_into(&states[t], &excitation[t], &el, &jl, &grad, &mut g);
            out.excitation[t].clone_from(&g.excitation);
            out.endpoint_load[t].clone_from(&g.endpoint_load);
            out.joint_load[t].clone_from(&g.joint_load);
            std::mem::swap(&mut grad, &mut g.state);
            loss_grad(t, &states[t], &mut grad);
        }
        out.initial_joint = self.reset_vjp(&joint, &grad);
        Ok(out)
    }

    /// Vector–Jacobian product of [`Effector::cartesian`]: ∂L/∂(joint state `[q, q̇]`) from
    /// `grad_cartesian` = ∂L/∂(endpoint position then velocity, `[2·space_dim]`). This is how a
    /// loss on the fingertip enters [`Effector::rollout_vjp`].
    pub fn cartesian_vjp(&self, joint: &[f64], grad_cartesian: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; 2 * self.dof()];
        self.cartesian_vjp_add(joint, grad_cartesian, &mut out);
        out
    }

    /// [`Effector::cartesian_vjp`], **added** into `acc` (`[2·dof]`) without allocating: for
    /// loops that fold fingertip gradients into joint-state gradients step after step.
    pub fn cartesian_vjp_add(&self, joint: &[f64], grad_cartesian: &[f64], acc: &mut [f64]) {
        let (dof, d) = (self.dof(), self.space_dim());
        let n = 2 * dof;
        let mut j = [D::constant(0.0); 2 * crate::MAX_DOF];
        let mut cart = [D::constant(0.0); 2 * crate::MAX_SPACE_DIM];
        for chunk_start in (0..n).step_by(DIRECTIONS) {
            for (k, x) in j[..n].iter_mut().enumerate() {
                *x = if k >= chunk_start && k < chunk_start + DIRECTIONS {
                    D::variable(joint[k], k - chunk_start)
                } else {
                    D::constant(joint[k])
                };
            }
            let (q, qd) = j[..n].split_at(dof);
            let (pos, vel) = cart[..2 * d].split_at_mut(d);
            self.skeleton().joint_to_cartesian(q, qd, pos, vel);
            let chunk = chunk_start..(chunk_start + DIRECTIONS).min(n);
            add_weighted_eps(&mut acc[chunk], &cart[..2 * d], grad_cartesian);
        }
    }
}
