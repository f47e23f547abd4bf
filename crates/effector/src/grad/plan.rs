//! [`VjpPlan`]: which algorithm differentiates a step, chosen once when the effector is built;
//! the step-VJP entry points of [`Effector`] and their dispatch on it.

use super::buffers::{reset_gradient, GradOut, Parts};
use super::lanes::{joint_dynamics_fit_lanes, muscles_fit_lanes, JointDynamics, VJP_LANES};
use super::{GradientRows, RowVjp, StepGradient};
use crate::effector::{Effector, EffectorOptions, Integration, State};
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_skeleton::Skeleton;

/// Which algorithm computes an effector's step vector–Jacobian products (VJPs): decided once,
/// when the effector is built ([`Effector::new`]), from its integrator, ministeps, muscle model
/// and skeleton; [`Effector::vjp_plan`] says which. Every plan gives the same gradient (the
/// exact derivative of [`Effector::step`], to rounding): they differ in speed only.
///
/// "Reverse mode" walks an Euler step backwards part by part — geometry after the step, joint
/// dynamics, torques, muscles — each part differentiated by forward-mode dual numbers exactly
/// as wide as it has inputs. "Lanes" differentiates four batch elements per pass on
/// [`DualLanes`](motornet_scalar::DualLanes) (in [`Effector::step_vjp_unfolded_add_batch`];
/// single-element calls go element by element as in [`VjpPlan::EulerScalar`]).
///
/// | plan | integrator | ministeps | muscle state entries read | joints |
/// |---|---|---|---|---|
/// | [`EulerLanes`](Self::EulerLanes) | Euler | 1 | ≤ 1 | ≤ 2 |
/// | [`EulerMuscleLanes`](Self::EulerMuscleLanes) | Euler | 1 | ≤ 1 | > 2 |
/// | [`EulerJointLanes`](Self::EulerJointLanes) | Euler | 1 | > 1 | ≤ 2 |
/// | [`EulerScalar`](Self::EulerScalar) | Euler | 1 | > 1 | > 2 |
/// | [`EulerMinisteps`](Self::EulerMinisteps) | Euler | > 1 | any | any |
/// | [`ForwardMode`](Self::ForwardMode) | RK4 (either) | any | any | any |
///
/// ```
/// use motornet_effector::{presets, VjpPlan};
///
/// let arm = presets::spec("RigidTendonArm26", None).unwrap().build().unwrap();
/// assert_eq!(arm.vjp_plan(), VjpPlan::EulerLanes);
/// let compliant = presets::spec("CompliantTendonArm26", None).unwrap().build().unwrap();
/// // its muscle reads 4 state entries: in lanes for its joints only
/// assert_eq!(compliant.vjp_plan(), VjpPlan::EulerJointLanes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VjpPlan {
    /// Euler steps of one ministep, a muscle model that reads at most one of its state
    /// entries (every rigid-tendon model: excitation, activation, length and velocity are the
    /// four inputs of a muscle's pass) and at most two joints (arm26, the 2-D point masses):
    /// reverse mode, and batches four elements per pass for the muscles, the joint dynamics
    /// and the geometry fold. A step with an endpoint load has too many joint-dynamics inputs
    /// for the lanes on a two-joint skeleton (`3·dof` + `space_dim` > 6): its joint dynamics
    /// then go element by element, its muscles still in lanes.
    EulerLanes,
    /// As [`EulerLanes`](Self::EulerLanes) with more than two joints: batches in lanes for the
    /// muscles only, the joint dynamics and geometry fold element by element.
    EulerMuscleLanes,
    /// Euler steps of one ministep with a muscle model that reads more than one of its state
    /// entries (the compliant-tendon models) and at most two joints (arm26): reverse mode,
    /// four elements per pass for the joint dynamics and the geometry fold, as in
    /// [`EulerLanes`](Self::EulerLanes); the muscles element by element, with their records
    /// and the model's own [`MuscleModel::step_vjp`] where it has one.
    EulerJointLanes,
    /// Euler steps of one ministep with a muscle model that reads more than one of its state
    /// entries and more than two joints: reverse mode, element by element.
    EulerScalar,
    /// Euler steps of several ministeps: reverse mode, element by element, re-simulating the
    /// state before each ministep and walking back through them.
    EulerMinisteps,
    /// MotorNet's chained RK4 or textbook RK4: the whole step in forward mode,
    /// [`DualN`](motornet_scalar::DualN) passes of 12 input directions
    /// ([`Effector::step_vjp_forward_mode`]). Geometry gradients come out folded into the
    /// joint state (see [`Effector::step_vjp_unfolded_into`]).
    ForwardMode,
}

impl VjpPlan {
    /// The plan for an effector with these `options`, `dof` joints and a muscle model that
    /// reads `muscle_reads` of its state entries
    /// ([`MuscleModel::read_states`](motornet_muscle::MuscleModel::read_states)).
    pub(crate) fn choose(options: &EffectorOptions, dof: usize, muscle_reads: usize) -> Self {
        match options.integration {
            Integration::MotorNetRk4 | Integration::Rk4 => Self::ForwardMode,
            Integration::Euler if options.n_ministeps > 1 => Self::EulerMinisteps,
            Integration::Euler if !muscles_fit_lanes(muscle_reads) => {
                if joint_dynamics_fit_lanes(dof) {
                    Self::EulerJointLanes
                } else {
                    Self::EulerScalar
                }
            }
            Integration::Euler if joint_dynamics_fit_lanes(dof) => Self::EulerLanes,
            Integration::Euler => Self::EulerMuscleLanes,
        }
    }
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// Vector–Jacobian product of one step: given the state before the step, its inputs and
    /// `grad_next` = ∂L/∂(state after the step), returns ∂L/∂(state before, excitation, loads).
    /// An empty load slice means no load: the step then does not differentiate with respect to
    /// it (cheaper), and the corresponding gradient vector is empty.
    ///
    /// How: [`Effector::vjp_plan`] (Euler steps in reverse mode, part by part; other
    /// integrators by [`Effector::step_vjp_forward_mode`]).
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
        self.step_vjp_unfolded_into(state, excitation, endpoint_load, joint_load, grad_next, out);
        self.fold_geometry_gradient(state, out);
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
    /// Under [`VjpPlan::ForwardMode`] (integrators other than Euler) the step is
    /// differentiated with the geometry recomputed from the joint state, and the folded form
    /// comes back (geometry entries zero), which composes the same way.
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
        reset_gradient(out, state, excitation.len(), el.len(), jl.len());
        let (s, g) = (Parts::of(state), Parts::of(grad_next));
        self.step_vjp_add(s, excitation, el, jl, g, &mut GradOut::of(out), &[]);
    }

    /// [`Effector::step_vjp_unfolded_into`] on flattened states, *adding* into the caller's
    /// buffers: for batched code that keeps each element's state as one row
    /// `[joint | muscle | geometry]` ([`Effector::state_len`] numbers, e.g. a row of a tensor).
    /// `state` is the state before the step, `grad_next` = ∂L/∂(state after the step) in the
    /// same layout, and `grad` receives ∂L/∂(state, excitation, loads) (`+=`). An empty load
    /// slice means no load, and its gradient buffer must then be empty too.
    ///
    /// It reads the rows in place, and allocates nothing for Euler steps (the forward mode of
    /// other integrators allocates its dual numbers).
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
        let mut row = RowVjp {
            state,
            excitation,
            endpoint_load,
            joint_load,
            grad_next,
            grad,
        };
        self.check_row_lengths(&row);
        self.row_vjp_add(&mut row, &[]);
    }

    /// [`Effector::step_vjp_unfolded_add`] for many batch elements, the same numbers: under the
    /// lanes plans ([`VjpPlan::EulerLanes`], [`VjpPlan::EulerMuscleLanes`]: Euler steps of one
    /// ministep, the default, and muscle models that read at most one of their state entries,
    /// every rigid-tendon model) the muscles of four elements at a time are differentiated in
    /// one pass on [`DualLanes`](motornet_scalar::DualLanes), which the compiler vectorises
    /// across the elements, and so are the joint dynamics where they fit; other plans go
    /// element by element.
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
        self.step_vjp_unfolded_add_batch_recorded(rows, &[]);
    }

    /// [`Effector::step_vjp_unfolded_add_batch`] given, for each row, the record its forward
    /// step left ([`Effector::step_recording`]), which the muscle model may reuse
    /// ([`MuscleModel::integrate_all_replay`]: the compliant model's stage solutions, instead
    /// of solving them again). The gradients are those without records, to rounding; an empty
    /// `records` means none, and a record that does not belong to its row's step is not used.
    /// Records reach the muscle model under [`VjpPlan::EulerJointLanes`] and
    /// [`VjpPlan::EulerScalar`]; the plans with muscles in lanes differentiate `integrate`
    /// across elements and do not use them.
    ///
    /// Panics as [`Effector::step_vjp_unfolded_add`] does, and if `records` is neither empty
    /// nor one per row.
    pub fn step_vjp_unfolded_add_batch_recorded(
        &self,
        rows: &mut [RowVjp<'_>],
        records: &[&[f64]],
    ) {
        assert!(
            records.is_empty() || records.len() == rows.len(),
            "step_vjp_unfolded_add_batch_recorded: {} records for {} rows",
            records.len(),
            rows.len()
        );
        let record = |i: usize| records.get(i).copied().unwrap_or(&[]);
        let (joint, muscle_records) = match self.vjp_plan() {
            VjpPlan::EulerLanes => (JointDynamics::InLanes, None),
            VjpPlan::EulerMuscleLanes => (JointDynamics::PerElement, None),
            VjpPlan::EulerJointLanes => (JointDynamics::InLanes, Some(records)),
            VjpPlan::EulerScalar | VjpPlan::EulerMinisteps | VjpPlan::ForwardMode => {
                for (i, r) in rows.iter_mut().enumerate() {
                    self.check_row_lengths(r);
                    self.row_vjp_add(r, record(i));
                }
                return;
            }
        };
        for (i, group) in rows.chunks_mut(VJP_LANES).enumerate() {
            for r in group.iter() {
                self.check_row_lengths(r);
            }
            // this group's records (none where `records` is empty)
            let from = (i * VJP_LANES).min(records.len());
            let to = ((i + 1) * VJP_LANES).min(records.len());
            let muscles = muscle_records.map(|r| &r[from..to]);
            self.euler_step_vjp_add_lanes(group, joint, muscles);
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

    /// The step VJP of one element, *added* into `out`, with the geometry gradient unfolded
    /// (see [`Effector::step_vjp_unfolded_into`]): the one dispatch on the plan of every
    /// single-element entry point.
    #[allow(clippy::too_many_arguments)]
    fn step_vjp_add(
        &self,
        state: Parts<'_>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        grad_next: Parts<'_>,
        out: &mut GradOut<'_>,
        record: &[f64],
    ) {
        let (s, u, g) = (state, excitation, grad_next);
        let (el, jl) = (endpoint_load, joint_load);
        match self.vjp_plan() {
            // the lanes plans batch elements; one element alone goes as EulerScalar does
            VjpPlan::EulerLanes
            | VjpPlan::EulerMuscleLanes
            | VjpPlan::EulerJointLanes
            | VjpPlan::EulerScalar => self.euler_step_vjp_add(s, u, el, jl, g, out, record),
            VjpPlan::EulerMinisteps => self.euler_ministeps_vjp_add(s, u, el, jl, g, out),
            VjpPlan::ForwardMode => self.forward_mode_vjp_add(s, u, el, jl, g, out),
        }
    }

    /// [`Self::step_vjp_add`] of one flattened row, read and written in place (lengths
    /// already checked), with the muscles' `record` of its forward step (or empty).
    fn row_vjp_add(&self, r: &mut RowVjp<'_>, record: &[f64]) {
        let [j, m, _] = self.state_part_lens();
        let grad = &mut r.grad;
        let mut out = GradOut::of_row(
            grad.state,
            j,
            m,
            grad.excitation,
            grad.endpoint_load,
            grad.joint_load,
        );
        let (s, g) = (
            Parts::of_row(r.state, j, m),
            Parts::of_row(r.grad_next, j, m),
        );
        let (el, jl) = (r.endpoint_load, r.joint_load);
        self.step_vjp_add(s, r.excitation, el, jl, g, &mut out, record);
    }
}
