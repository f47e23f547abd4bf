//! Forward mode over a whole step: the VJP of integrators other than Euler (and the reference
//! the reverse mode is tested against), the step's Jacobian, and the VJPs of
//! [`Effector::reset`] and [`Effector::cartesian`].

use super::buffers::{add_weighted_eps, reset_gradient, GradOut, Parts};
use super::{StepGradient, StepJacobian};
use crate::effector::{Effector, State};
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_scalar::DualN;
use motornet_skeleton::Skeleton;

/// Number of input directions carried by one dual evaluation (measured: 12 is faster than 8,
/// 11, 16 or 32 for arm26 without loads, whose 22 inputs then take two passes).
const DIRECTIONS: usize = 12;
type D = DualN<DIRECTIONS>;

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

    /// [`Effector::step_vjp`] computed by differentiating the whole step in forward mode,
    /// [`DualN`] passes over all of its inputs: works for every integrator, and is the
    /// reference the faster reverse-mode Euler VJP is tested against
    /// ([`VjpPlan::ForwardMode`](super::VjpPlan::ForwardMode) uses it for every step).
    pub fn step_vjp_forward_mode(
        &self,
        state: &State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: &State<f64>,
    ) -> StepGradient {
        let (el, jl) = (endpoint_load, joint_load);
        let mut out = StepGradient::default();
        reset_gradient(&mut out, state, excitation.len(), el.len(), jl.len());
        let (s, g) = (Parts::of(state), Parts::of(grad_next));
        self.forward_mode_vjp_add(s, excitation, el, jl, g, &mut GradOut::of(&mut out));
        out
    }

    /// The forward-mode step VJP, *added* into `out`: the gradient with respect to the joint
    /// state carries the geometry's (recomputed from it), so nothing is added to
    /// `out.geometry` — the folded form, which composes over steps as the unfolded one does.
    pub(super) fn forward_mode_vjp_add(
        &self,
        state: Parts<'_>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: Parts<'_>,
        out: &mut GradOut<'_>,
    ) {
        let inputs = self.step_inputs(!endpoint_load.is_empty(), !joint_load.is_empty());
        let (el, jl) = (endpoint_load, joint_load);
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
                (&s.joint, grad_next.joint),
                (&s.muscle, grad_next.muscle),
                (&s.geometry, grad_next.geometry),
            ];
            for (vals, grads) in parts {
                add_weighted_eps(&mut acc, vals, grads);
            }
            for (i, input) in inputs.iter().enumerate().skip(chunk_start).take(DIRECTIONS) {
                let g = acc[i - chunk_start];
                match *input {
                    Input::Joint(k) => out.joint[k] += g,
                    Input::Muscle(k) => out.muscle[k] += g,
                    Input::Excitation(k) => out.excitation[k] += g,
                    Input::EndpointLoad(k) => out.endpoint_load[k] += g,
                    Input::JointLoad(k) => out.joint_load[k] += g,
                }
            }
        }
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
        // dual numbers as wide as the joint state needs (a planar two-joint arm: 4), so that a
        // small skeleton does not pay for `DIRECTIONS`-wide ones at every step
        match 2 * self.dof() {
            n if n <= 4 => self.cartesian_vjp_add_n::<4>(joint, grad_cartesian, acc),
            n if n <= 8 => self.cartesian_vjp_add_n::<8>(joint, grad_cartesian, acc),
            _ => self.cartesian_vjp_add_n::<DIRECTIONS>(joint, grad_cartesian, acc),
        }
    }

    /// [`Effector::cartesian_vjp_add`] on dual numbers of `N` directions (in chunks of `N`
    /// joint-state entries).
    fn cartesian_vjp_add_n<const N: usize>(
        &self,
        joint: &[f64],
        grad_cartesian: &[f64],
        acc: &mut [f64],
    ) {
        let n = 2 * self.dof();
        crate::stack_buffer(n, DualN::<N>::constant(0.0), |j| {
            self.cartesian_vjp_chunks(j, joint, grad_cartesian, acc)
        });
    }

    /// [`Self::cartesian_vjp_add_n`] with the joint-state scratch `j[2 dof]`.
    fn cartesian_vjp_chunks<const N: usize>(
        &self,
        j: &mut [DualN<N>],
        joint: &[f64],
        grad_cartesian: &[f64],
        acc: &mut [f64],
    ) {
        let (dof, d) = (self.dof(), self.space_dim());
        let n = 2 * dof;
        let mut cart = [DualN::<N>::constant(0.0); 2 * crate::MAX_SPACE_DIM];
        for chunk_start in (0..n).step_by(N) {
            for (k, x) in j[..n].iter_mut().enumerate() {
                *x = if k >= chunk_start && k < chunk_start + N {
                    DualN::variable(joint[k], k - chunk_start)
                } else {
                    DualN::constant(joint[k])
                };
            }
            let (q, qd) = j[..n].split_at(dof);
            let (pos, vel) = cart[..2 * d].split_at_mut(d);
            self.skeleton().joint_to_cartesian(q, qd, pos, vel);
            let chunk = chunk_start..(chunk_start + N).min(n);
            add_weighted_eps(&mut acc[chunk], &cart[..2 * d], grad_cartesian);
        }
    }
}
