//! Muscle models of MotorNet 0.3.0, written once over [`Scalar`] so that the same code runs in
//! `f32`, `f64` and forward-mode dual numbers.
//!
//! This crate is standalone: it knows nothing of skeletons, geometry, effectors or tensor
//! libraries. A muscle sees only its own state, its excitation (the motor command), and the
//! length and velocity of its musculotendon unit, which some geometry computes elsewhere.
//!
//! # Models
//! | model | reference | states |
//! |---|---|---|
//! | [`ReluMuscle`] | force = F_max · activation | 4 |
//! | [`RigidTendonHillMuscle`] | Kistemaker, Wong & Gribble (2010), rigid tendon | 7 |
//! | [`RigidTendonHillMuscleThelen`] | Thelen (2003), rigid tendon | 7 |
//! | [`CompliantTendonHillMuscle`] | Kistemaker et al. (2010), compliant tendon | 7 |
//! | [`MujocoHillMuscle`] | MuJoCo's muscle actuator curves, as MotorNet 0.3.0 re-parameterises them | 7 |
//! | [`MujocoMuscle`] | MuJoCo 4.0.1's `<muscle>` actuator with MJCF's parameters | 7 |
//! | [`RigidTendonDeGrooteMuscle`] | De Groote et al. (2016) as OpenSim 4.6 defines it, rigid tendon | 7 |
//! | [`CompliantTendonDeGrooteMuscle`] | De Groote et al. (2016) as OpenSim 4.6 defines it, compliant tendon | 8 |
//!
//! All share [`ActivationDynamics`] (Thelen 2003; [`MujocoMuscle`] has MuJoCo's variant of its
//! derivative, the DeGroote models OpenSim's, [`degroote_activation_derivative`]). The DeGroote
//! curves, with their derivatives and inverses, are public: [`DeGrooteCurves`]. Every model implements [`MuscleModel`] and
//! [`BuiltinMuscle`]; [`AnyMuscle`] picks one at run time (e.g. from a spec file), and
//! [`AnyMuscle::MODELS`] lists their declarations.
//!
//! # Units
//! Lengths in m, velocities in m/s, forces in N, time in s. Activation and excitation are
//! dimensionless in `[min_activation, 1]`.
//!
//! # Example: an active force–length curve with nothing but this crate
//! ```
//! use motornet_muscle::{HillParams, MuscleModel, RigidTendonHillMuscle};
//!
//! let model = RigidTendonHillMuscle::new(
//!     RigidTendonHillMuscle::DEFAULT_ACTIVATION,
//!     vec![HillParams::new("biceps", 414.0, 0.204, 0.137, 1.4)],
//! )?;
//! let (l0_se, l0_ce) = (0.204, 0.137);
//! let mut state = [0.0_f64; 7];
//! let curve: Vec<(f64, f64)> = (0..=20)
//!     .map(|k| {
//!         let fibre = l0_ce * (0.5 + 0.05 * k as f64); // 0.5 … 1.5 optimal lengths
//!         // full activation, isometric: one step from activation 1 with zero derivative
//!         model.integrate(0, 0.01, &[0.0], &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
//!                         l0_se + fibre, 0.0, &mut state);
//!         (fibre / l0_ce, state[model.force_index()])
//!     })
//!     .collect();
//! let peak = curve.iter().cloned().fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
//! assert!((peak.0 - 1.0).abs() < 1e-9);       // peaks at the optimal length …
//! assert!((peak.1 - 414.0).abs() < 1e-9);     // … with F_max
//! # Ok::<(), motornet_muscle::MuscleError>(())
//! ```
//!
//! # Adding a model
//! One new file: a struct holding its parameters, and an `impl MuscleModel` giving its state
//! names and its `integrate` (and `derivative` if it has more than the activation ODE, and
//! `initial_state` if integrating once from rest is not right). State names are free: what
//! the muscle senses is [`MuscleModel::proprioception`] (by default its musculotendon length
//! and velocity over [`MuscleModel::proprioception_scale`]). Write the equations with
//! `S::c(..)` for constants and [`motornet_scalar::select`] / `clamp_*` for branches, and every
//! number type, including dual numbers for exact derivatives, comes for free. Then run the
//! conformance check ([`testing::check_muscle_model`]) on it:
//! ```
//! use motornet_muscle::{ActivationDynamics, MuscleModel};
//! use motornet_scalar::Scalar;
//!
//! /// Force grows with the square of activation.
//! #[derive(Debug)]
//! struct Quadratic { act: ActivationDynamics, f_max: Vec<f64> }
//!
//! impl MuscleModel for Quadratic {
//!     fn name(&self) -> &'static str { "Quadratic" }
//!     fn state_names(&self) -> &'static [&'static str] { &["activation", "force"] }
//!     fn n_derivatives(&self) -> usize { 1 }
//!     fn n_muscles(&self) -> usize { self.f_max.len() }
//!     fn muscle_name(&self, _m: usize) -> &str { "q" }
//!     fn activation(&self) -> &ActivationDynamics { &self.act }
//!     fn max_isometric_force(&self, m: usize) -> f64 { self.f_max[m] }
//!     fn integrate<S: Scalar>(&self, m: usize, dt: f64, d: &[S], s: &[S],
//!                             _len: S, _vel: S, out: &mut [S]) {
//!         let a = self.act.step(dt, s[0], d[0]);
//!         out[0] = a;
//!         out[1] = a * a * S::c(self.f_max[m]);
//!     }
//! }
//!
//! let q = Quadratic { act: ActivationDynamics::new(0.0, 0.015, 0.05).unwrap(), f_max: vec![100.0] };
//! let mut s = [0.0; 2];
//! q.integrate(0, 0.01, &[0.0], &[0.5, 0.0], 0.0, 0.0, &mut s);
//! assert_eq!(s[1], 25.0);
//!
//! use motornet_muscle::testing::{check_muscle_model, CheckConfig};
//! let report = check_muscle_model(&q, &CheckConfig::default()).expect("Quadratic conforms");
//! assert_eq!(report.steps, 256);
//! ```
//!
//! A model that joins the built-ins (spec files, `AnyMuscle`, the command line) also implements
//! [`BuiltinMuscle`] in its file (spec name, summary, default activation, declared parameters,
//! `from_params`) and gets one line in the registration list of `any.rs`; CONTRIBUTING.md,
//! "Adding a muscle model", has the steps.
//!
//! # References
//! - Kistemaker DA, Wong JD, Gribble PL (2010). The central nervous system does not minimize
//!   energy cost in arm movements. *J Neurophysiol* 104(6):2985–2994.
//! - Thelen DG (2003). Adjustment of muscle mechanics model parameters to simulate dynamic
//!   contractions in older adults. *J Biomech Eng* 125(1):70–77.
//! - MuJoCo documentation, "Muscle actuators".
//! - De Groote F, Kinney AL, Rao AV, Fregly BJ (2016). Evaluation of direct collocation optimal
//!   control problem formulations for solving the muscle redundancy problem. *Ann Biomed Eng*
//!   44(10):2922–2936.
//! - Codol O, Michaels JA, Kashefi M, Pruszynski JA, Gribble PL (2024). MotorNet, a Python
//!   toolbox for controlling differentiable biomechanical effectors with artificial neural
//!   networks. *eLife* 12:RP88591.
#![warn(missing_docs)]

mod activation;
mod any;
mod compliant;
mod degroote;
mod error;
mod mujoco;
mod mujoco_actuator;
mod params;
mod relu;
mod rigid_hill;
pub mod testing;
mod thelen;

pub use activation::ActivationDynamics;
pub use any::{AnyMuscle, BuiltinMuscle, MuscleModelInfo, MuscleParamSet};
pub use compliant::{CompliantTendonHillMuscle, FibreIntegration};
pub use degroote::{
    degroote_activation_derivative, CompliantTendonDeGrooteMuscle, DeGrooteCurves,
    DeGrooteMuscleParams, DeGrooteParams, DeGrooteParamsError, RigidTendonDeGrooteMuscle,
    ACTIVATION_TANH_STEEPNESS, MAX_NORM_TENDON_FORCE, MIN_NORM_FIBER_LENGTH,
};
pub use error::MuscleError;
pub use motornet_scalar::params::{ParamDecl, ParamError, ParamSet};
pub use motornet_scalar::Scalar;
pub use mujoco::MujocoHillMuscle;
pub use mujoco_actuator::{MujocoMuscle, MujocoMuscleParams};
pub use params::{HillParams, MujocoParams, ReluParams};
pub use relu::ReluMuscle;
pub use rigid_hill::RigidTendonHillMuscle;
pub use thelen::RigidTendonHillMuscleThelen;

/// The state names of the rigid-tendon Hill models (Kistemaker, Thelen, MuJoCo), as MotorNet
/// names them.
pub const RIGID_HILL_STATE_NAMES: [&str; 7] = [
    "activation",
    "muscle length",
    "muscle velocity",
    "force-length PE",
    "force-length CE",
    "force-velocity CE",
    "force",
];

/// The largest number of states any model in this crate has per muscle. Scratch buffers of this
/// size let models work without allocating.
pub const MAX_MUSCLE_STATES: usize = 8;

/// [`MuscleModel::integrate`] for every muscle of `model`, muscle by muscle, in the layout of
/// [`MuscleModel::integrate_all`] (its default; an override calls it where its own way does
/// not apply).
#[allow(clippy::too_many_arguments)]
pub fn integrate_each<S: Scalar, M: MuscleModel + ?Sized>(
    model: &M,
    dt: f64,
    derivative: &[S],
    state: &[S],
    mt_len: &[S],
    mt_vel: &[S],
    new_state: &mut [S],
) {
    let (ns, nd) = (model.n_states(), model.n_derivatives());
    for m in 0..model.n_muscles() {
        model.integrate(
            m,
            dt,
            &derivative[m * nd..(m + 1) * nd],
            &state[m * ns..(m + 1) * ns],
            mt_len[m],
            mt_vel[m],
            &mut new_state[m * ns..(m + 1) * ns],
        );
    }
}

/// Proprioception of the built-in models: the fibre length (state entry 1, m) and fibre
/// velocity (state entry 2, m/s) divided by the model's [`MuscleModel::proprioception_scale`],
/// as MotorNet observes them.
#[inline]
pub(crate) fn fibre_proprioception<S: Scalar>(scale: (f64, f64), state: &[S]) -> [S; 2] {
    [state[1] / S::c(scale.0), state[2] / S::c(scale.1)]
}

/// A muscle model: parameters for `n_muscles()` muscles and the equations that advance each.
///
/// State layout follows MotorNet: a muscle's state is a slice of `n_states()` numbers whose
/// names are `state_names()`; the first is always the activation and the last
/// (`force_index()`) the force (N) the muscle pulls with. The state derivative has
/// `n_derivatives()` entries (the activation rate, then model-specific ones).
///
/// Every method works on one muscle, `m`, and never allocates. Methods are generic over the
/// [`Scalar`] type, so a model is evaluated in `f32`, `f64` or dual numbers with one code path.
pub trait MuscleModel: std::fmt::Debug + Send + Sync {
    /// The model's name as MotorNet spells it (e.g. `"RigidTendonHillMuscle"`).
    fn name(&self) -> &'static str;
    /// Names of the state entries, in order.
    fn state_names(&self) -> &'static [&'static str];
    /// Number of state entries per muscle.
    fn n_states(&self) -> usize {
        self.state_names().len()
    }
    /// Index of the force (N) in the state.
    fn force_index(&self) -> usize {
        self.n_states() - 1
    }
    /// Number of entries in the state derivative (1: activation only; 2 for the compliant
    /// tendon: activation and normalised fibre velocity).
    fn n_derivatives(&self) -> usize;
    /// Number of muscles.
    fn n_muscles(&self) -> usize;
    /// Name of muscle `m`.
    fn muscle_name(&self, m: usize) -> &str;
    /// The activation dynamics shared by all muscles of this model.
    fn activation(&self) -> &ActivationDynamics;
    /// Maximum isometric force of muscle `m` (N).
    fn max_isometric_force(&self, m: usize) -> f64;
    /// The scales that proprioception divides muscle `m`'s fibre length and velocity by, as
    /// MotorNet's `l0_ce` and `vmax`: `(optimal fibre length (m), maximal contraction velocity
    /// (m/s))`. The default, `(1, 1)`, is MotorNet's for models without fibres (ReLU).
    fn proprioception_scale(&self, m: usize) -> (f64, f64) {
        let _ = m;
        (1.0, 1.0)
    }

    /// What muscle `m` senses (its proprioception): `[length, velocity]`, normalised
    /// (dimensionless), from the muscle's `state` (`[n_states]`) and its musculotendon length
    /// `mt_len` (m) and velocity `mt_vel` (m/s). An environment shows these to the network
    /// (`motornet_task::Environment`), and differentiates them with dual numbers, so write it
    /// over [`Scalar`] like the rest of the model.
    ///
    /// The default is the musculotendon length and velocity divided by
    /// [`MuscleModel::proprioception_scale`]: `[mt_len / l0, mt_vel / v0]`. The built-in models
    /// override it with their fibre length and fibre velocity states (the entries named
    /// `"muscle length"` and `"muscle velocity"`) divided by the same scales, which is what
    /// MotorNet observes.
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], mt_len: S, mt_vel: S) -> [S; 2] {
        let _ = state;
        let (l0, v0) = self.proprioception_scale(m);
        [mt_len / S::c(l0), mt_vel / S::c(v0)]
    }

    /// State of muscle `m` at rest (activation = `min_activation`) for a musculotendon length
    /// `mt_len` (m) and velocity `mt_vel` (m/s). `dt` (s) is the muscle's integration step; the
    /// default integrates once from rest with a zero derivative, as MotorNet does.
    fn initial_state<S: Scalar>(&self, m: usize, mt_len: S, mt_vel: S, dt: f64, state: &mut [S]) {
        let mut rest = [S::zero(); MAX_MUSCLE_STATES];
        rest[0] = S::c(self.activation().min_activation);
        let zero = [S::zero(); MAX_MUSCLE_STATES];
        self.integrate(
            m,
            dt,
            &zero[..self.n_derivatives()],
            &rest[..self.n_states()],
            mt_len,
            mt_vel,
            state,
        );
    }

    /// State derivative of muscle `m` for an excitation (dimensionless) and its current state.
    /// The default is the activation ODE alone.
    fn derivative<S: Scalar>(&self, m: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        let _ = m;
        derivative[0] = self.activation().derivative(excitation, state[0]);
    }

    /// Advance muscle `m` by `dt` (s): `new_state` from `state`, its `derivative`, and the
    /// musculotendon length `mt_len` (m) and velocity `mt_vel` (m/s) the geometry gives *now*
    /// (MotorNet integrates the muscle with the current, not the updated, geometry).
    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        mt_vel: S,
        new_state: &mut [S],
    );

    /// [`MuscleModel::integrate`] for every muscle at once: `derivative` is
    /// `[M × n_derivatives]`, `state` and `new_state` are `[M × n_states]`, `mt_len` (m) and
    /// `mt_vel` (m/s) are `[M]`. The effector's step and its derivatives call this.
    ///
    /// The default is [`integrate_each`]: `integrate` muscle by muscle. A model may override
    /// it to advance its muscles together (for example side by side in SIMD lanes); it must
    /// give the values `integrate` gives, to the precision of any iterative solve inside the
    /// step, and the same derivatives when `S` is a dual number
    /// ([`testing::check_muscle_model`] compares them).
    #[allow(clippy::too_many_arguments)]
    fn integrate_all<S: Scalar>(
        &self,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        new_state: &mut [S],
    ) {
        integrate_each(self, dt, derivative, state, mt_len, mt_vel, new_state);
    }

    /// [`MuscleModel::integrate_all`] in `f64` that may also leave in `record` (emptied
    /// first) what the same step on dual numbers can reuse instead of recomputing it
    /// ([`MuscleModel::integrate_all_replay`]): e.g. the solutions of the iterative solves
    /// inside the step. The effector's forward pass calls this and keeps each step's record
    /// for the step's VJP. The default records nothing. The VJP hands the record to
    /// [`MuscleModel::step_vjp`], or else to `integrate_all_replay`, where it differentiates
    /// one element's muscles together (`VjpPlan::EulerJointLanes` and `EulerScalar` in
    /// motornet-effector: models that read more than one state entry, one Euler ministep); the
    /// plans with muscles in lanes differentiate `integrate` across elements and do not use
    /// records.
    #[allow(clippy::too_many_arguments)]
    fn integrate_all_record(
        &self,
        dt: f64,
        derivative: &[f64],
        state: &[f64],
        mt_len: &[f64],
        mt_vel: &[f64],
        new_state: &mut [f64],
        record: &mut Vec<f64>,
    ) {
        record.clear();
        self.integrate_all(dt, derivative, state, mt_len, mt_vel, new_state);
    }

    /// [`MuscleModel::integrate_all`] given the `record` that
    /// [`MuscleModel::integrate_all_record`] left (or an empty one). It must give what
    /// `integrate_all` gives (to rounding) whatever the record holds: a model checks that the
    /// record belongs to these inputs (their values) and recomputes where it does not. The
    /// default ignores the record.
    #[allow(clippy::too_many_arguments)]
    fn integrate_all_replay<S: Scalar>(
        &self,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        new_state: &mut [S],
        record: &[f64],
    ) {
        let _ = record;
        self.integrate_all(dt, derivative, state, mt_len, mt_vel, new_state);
    }

    /// A fast path for the vector-Jacobian product of one step of every muscle, `new_state =
    /// integrate_all(dt, derivative(excitation, state), state, mt_len, mt_vel)`: *adds*
    /// `g_new_stateᵀ · ∂new_state/∂(input)` into `grads` for every input (excitation, the
    /// [`MuscleModel::read_states`] entries of `state`, `mt_len`, `mt_vel`), given the
    /// `record` [`MuscleModel::integrate_all_record`] left for this step and `g_new_state`
    /// (`[M × n_states]`). Returns `false`, adding nothing, where the model has no such path
    /// for these inputs (the default, always): the caller then differentiates
    /// [`MuscleModel::derivative`] and [`MuscleModel::integrate_all_replay`] on dual numbers,
    /// as it does for every model that does not override this.
    ///
    /// A model overrides it only as a measured fast path (for example, an implicit step's
    /// adjoint by hand): it must add what the dual numbers give, to rounding, which
    /// [`testing::check_muscle_model`] checks ([`testing::Property::StepVjpMatchesDuals`]).
    /// The effector calls it where it differentiates one element's muscles at a time (its VJP
    /// plans `EulerJointLanes` and `EulerScalar`: models that read more than one state
    /// entry); the plans that differentiate the muscles of four elements at once on dual
    /// numbers do not.
    fn step_vjp(
        &self,
        dt: f64,
        inputs: StepInputs<'_>,
        record: &[f64],
        g_new_state: &[f64],
        grads: StepGradients<'_>,
    ) -> bool {
        let _ = (dt, inputs, record, g_new_state, grads);
        false
    }

    /// Force (N) of muscle `m` in `state`.
    fn force<S: Scalar>(&self, state: &[S]) -> S {
        state[self.force_index()]
    }

    /// Indices of the state entries that [`MuscleModel::derivative`] and
    /// [`MuscleModel::integrate`] read (the others are outputs only). Exact derivatives of a
    /// step need derivatives with respect to these entries only. The default, every entry, is
    /// always correct; models override it to make derivatives cheaper.
    fn read_states(&self) -> &'static [usize] {
        &[0, 1, 2, 3, 4, 5, 6, 7][..self.n_states()]
    }
}

/// The inputs of one step of every muscle ([`MuscleModel::step_vjp`]): the excitations
/// `[M]` (dimensionless, as [`MuscleModel::derivative`] takes them), the states
/// `[M × n_states]`, and the musculotendon lengths (m) and velocities (m/s) `[M]`.
#[derive(Clone, Copy, Debug)]
pub struct StepInputs<'a> {
    /// Excitations `[M]`.
    pub excitation: &'a [f64],
    /// States `[M × n_states]`.
    pub state: &'a [f64],
    /// Musculotendon lengths (m) `[M]`.
    pub mt_len: &'a [f64],
    /// Musculotendon velocities (m/s) `[M]`.
    pub mt_vel: &'a [f64],
}

/// Where [`MuscleModel::step_vjp`] adds the gradients of its [`StepInputs`], each shaped as
/// that input.
#[derive(Debug)]
pub struct StepGradients<'a> {
    /// ∂L/∂excitation `[M]`.
    pub excitation: &'a mut [f64],
    /// ∂L/∂state `[M × n_states]` (the [`MuscleModel::read_states`] entries).
    pub state: &'a mut [f64],
    /// ∂L/∂musculotendon length (1/m) `[M]`.
    pub mt_len: &'a mut [f64],
    /// ∂L/∂musculotendon velocity (s/m) `[M]`.
    pub mt_vel: &'a mut [f64],
}

#[cfg(test)]
mod tests;
