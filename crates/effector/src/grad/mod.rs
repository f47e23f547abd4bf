//! Exact derivatives of effector steps and rollouts, without a tensor library.
//!
//! A step is a function of the state, the excitation and the loads. Its vector–Jacobian product
//! (VJP) — what backpropagation through time needs — is computed here from the very same
//! scalar-generic code that simulates, evaluated on [`DualN`](motornet_scalar::DualN) forward-mode dual numbers a few
//! input directions at a time. Derivatives through clipping and branches follow the branch the
//! values select, as autodiff does in MotorNet.
//!
//! Inputs of a step, in this order (their number is [`Effector::n_step_inputs`]):
//! 1. the joint state `[q, q̇]` (`2·dof`),
//! 2. the muscle state entries the muscle model reads ([`MuscleModel::read_states`](motornet_muscle::MuscleModel::read_states), plus the
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

//! # How a step's VJP is computed
//!
//! Which algorithm differentiates a step is decided once, when the effector is built, from its
//! integrator, ministeps, muscle model and skeleton: a [`VjpPlan`] ([`Effector::vjp_plan`]),
//! matched at one place per entry (one element, or a batch of rows). The code is split by
//! concern:
//!
//! - `mod.rs` (this module): the public gradient types;
//! - `plan.rs`: [`VjpPlan`], its choice, the step-VJP entry points and their dispatch;
//! - `reverse.rs`: the reverse-mode VJP of an Euler step, part by part (geometry, joint
//!   dynamics, torques, muscles), one element at a time, one ministep or several;
//! - `lanes.rs`: the same for four batch elements per pass on `DualLanes`;
//! - `forward.rs`: forward mode over the whole step (other integrators, and the reference the
//!   reverse mode is tested against), [`Effector::step_jacobian`], [`Effector::reset_vjp`],
//!   [`Effector::cartesian_vjp`];
//! - `rollout.rs`: [`Effector::rollout_vjp`] (backpropagation through time);
//! - `check.rs`: [`check_gradients`] (the VJP against forward mode and finite differences,
//!   what `motornet check` runs);
//! - `buffers.rs`: the slices the VJPs read and add into, and the accumulation of dual numbers'
//!   derivatives every VJP uses.

mod buffers;
mod check;
mod forward;
mod lanes;
mod plan;
mod reverse;
mod rollout;

pub use check::{check_gradients, GradientCheck, EXACT_TOLERANCE, FD_TOLERANCE};
pub use plan::VjpPlan;

#[cfg(doc)]
use crate::effector::Effector;
use crate::effector::State;

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
