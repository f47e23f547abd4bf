//! The registry of built-in muscle models: [`BuiltinMuscle`] (what a model declares about
//! itself, in its own file), the one registration list (`builtin_muscles!`) and what is
//! generated from it: [`AnyMuscle`] (one of the models, chosen at run time), its dispatch, its
//! `From` impls, and [`AnyMuscle::MODELS`] / [`AnyMuscle::NAMES`] (which spec files, the command
//! line and the generated documentation read).

use crate::{
    ActivationDynamics, CompliantTendonDeGrooteMuscle, CompliantTendonHillMuscle, MujocoHillMuscle,
    MujocoMuscle, MuscleError, MuscleModel, ReluMuscle, RigidTendonDeGrooteMuscle,
    RigidTendonHillMuscle, RigidTendonHillMuscleThelen, StepGradients, StepInputs,
};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::Scalar;

/// The built-in muscle models, one line each: `Variant(ModelType)`. This list is the only place
/// a built-in model is registered; [`AnyMuscle`] (with a variant `Variant`), its dispatch and
/// `From` impls, and [`AnyMuscle::MODELS`] follow from it.
///
/// Adding a model: write its file (the model, `impl MuscleModel`, `impl BuiltinMuscle`), add
/// `mod` and `pub use` lines in `lib.rs`, and add its line here.
macro_rules! builtin_muscles {
    ($then:ident!($($args:tt)*)) => {
        $then! {
            $($args)*;
            Relu(ReluMuscle),
            RigidTendonHill(RigidTendonHillMuscle),
            RigidTendonHillThelen(RigidTendonHillMuscleThelen),
            CompliantTendonHill(CompliantTendonHillMuscle),
            MujocoHill(MujocoHillMuscle),
            Mujoco(MujocoMuscle),
            RigidTendonDeGroote(RigidTendonDeGrooteMuscle),
            CompliantTendonDeGroote(CompliantTendonDeGrooteMuscle),
        }
    };
}

/// One muscle's parameters as a spec file gives them: the fields every model has (`name`,
/// `max_isometric_force`) and the model's own per-muscle parameters
/// ([`BuiltinMuscle::MUSCLE_PARAMS`], resolved: every declared one present).
#[derive(Debug, Clone, PartialEq)]
pub struct MuscleParamSet {
    /// Muscle name.
    pub name: String,
    /// Maximum isometric force F_max (N).
    pub max_isometric_force: f64,
    /// The model's per-muscle parameters.
    pub params: ParamSet,
}

/// What a built-in muscle model declares about itself, so that it can be built from a spec file
/// and documented without model-specific code anywhere else. Implemented in the model's own
/// file; registered by one line in the list in `crates/muscle/src/any.rs`.
pub trait BuiltinMuscle: MuscleModel + Into<AnyMuscle> + Sized {
    /// The name spec files and the command line use (e.g. `"RigidTendonHillMuscle"`); equal to
    /// [`MuscleModel::name`].
    const NAME: &'static str;
    /// One line for documentation: what the model is (and its reference).
    const SUMMARY: &'static str;
    /// MotorNet's default activation dynamics for this model (spec fields `min_activation`,
    /// `tau_activation`, `tau_deactivation`).
    const DEFAULT_ACTIVATION: ActivationDynamics;
    /// Model-wide parameters beyond the activation dynamics (spec table `muscle`).
    const MODEL_PARAMS: &'static [ParamDecl] = &[];
    /// Per-muscle parameters beyond `name` and `max_isometric_force` (spec tables `muscles`).
    const MUSCLE_PARAMS: &'static [ParamDecl] = &[];

    /// Build the model from its activation dynamics, its model-wide parameters (resolved
    /// against [`BuiltinMuscle::MODEL_PARAMS`]) and one entry per muscle (resolved against
    /// [`BuiltinMuscle::MUSCLE_PARAMS`]). Validates like the model's constructor.
    fn from_params(
        activation: ActivationDynamics,
        model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError>;
}

/// A registered muscle model's declarations, read at run time (one entry of
/// [`AnyMuscle::MODELS`]).
#[derive(Debug, Clone, Copy)]
pub struct MuscleModelInfo {
    /// [`BuiltinMuscle::NAME`].
    pub name: &'static str,
    /// [`BuiltinMuscle::SUMMARY`].
    pub summary: &'static str,
    /// [`BuiltinMuscle::DEFAULT_ACTIVATION`].
    pub default_activation: ActivationDynamics,
    /// [`BuiltinMuscle::MODEL_PARAMS`].
    pub model_params: &'static [ParamDecl],
    /// [`BuiltinMuscle::MUSCLE_PARAMS`].
    pub muscle_params: &'static [ParamDecl],
    build: fn(ActivationDynamics, &ParamSet, &[MuscleParamSet]) -> Result<AnyMuscle, MuscleError>,
}

fn build_any<M: BuiltinMuscle>(
    activation: ActivationDynamics,
    model: &ParamSet,
    muscles: &[MuscleParamSet],
) -> Result<AnyMuscle, MuscleError> {
    M::from_params(activation, model, muscles).map(Into::into)
}

impl MuscleModelInfo {
    /// The declarations of model `M`.
    pub const fn of<M: BuiltinMuscle>() -> Self {
        Self {
            name: M::NAME,
            summary: M::SUMMARY,
            default_activation: M::DEFAULT_ACTIVATION,
            model_params: M::MODEL_PARAMS,
            muscle_params: M::MUSCLE_PARAMS,
            build: build_any::<M>,
        }
    }

    /// Build the model (see [`BuiltinMuscle::from_params`]).
    pub fn build(
        &self,
        activation: ActivationDynamics,
        model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<AnyMuscle, MuscleError> {
        (self.build)(activation, model, muscles)
    }

    /// The model with its default activation and model-wide parameters, and one muscle per
    /// entry of `muscles` (name, F_max in N) with every per-muscle parameter at its
    /// [`ParamDecl::example`] value (its default where it has one).
    pub fn build_example(&self, muscles: &[(&str, f64)]) -> Result<AnyMuscle, MuscleError> {
        let entries: Vec<MuscleParamSet> = muscles
            .iter()
            .map(|&(name, f)| MuscleParamSet {
                name: name.into(),
                max_isometric_force: f,
                params: ParamSet::examples(self.muscle_params),
            })
            .collect();
        self.build(
            self.default_activation,
            &ParamSet::examples(self.model_params),
            &entries,
        )
    }
}

macro_rules! define_any_muscle {
    (; $($variant:ident($ty:ident)),* $(,)?) => {
        /// Any built-in muscle model, for code that picks the model at run time (spec files,
        /// the command line). It implements [`MuscleModel`] by dispatching to the model it
        /// holds; code that knows its model at compile time can use the model type directly
        /// instead. The variants are generated from the registration list in
        /// `crates/muscle/src/any.rs`.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyMuscle {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
        }

        impl AnyMuscle {
            /// Every registered model's declarations, in registration order.
            pub const MODELS: &'static [MuscleModelInfo] = &[$(MuscleModelInfo::of::<$ty>()),*];
            /// The names of the built-in models, as spec files spell them.
            pub const NAMES: &'static [&'static str] = &[$(<$ty as BuiltinMuscle>::NAME),*];
        }

        $(
            impl From<$ty> for AnyMuscle {
                fn from(m: $ty) -> Self {
                    AnyMuscle::$variant(m)
                }
            }
        )*
    };
}
builtin_muscles!(define_any_muscle!());

macro_rules! dispatch_match {
    ($self:ident, $m:ident => $e:expr; $($variant:ident($ty:ident)),* $(,)?) => {
        match $self {
            $(AnyMuscle::$variant($m) => $e,)*
        }
    };
}

macro_rules! dispatch {
    ($self:ident, $m:ident => $e:expr) => {
        builtin_muscles!(dispatch_match!($self, $m => $e))
    };
}

impl AnyMuscle {
    /// The declarations of the registered model named `name` (as spec files spell it).
    pub fn model(name: &str) -> Option<&'static MuscleModelInfo> {
        Self::MODELS.iter().find(|m| m.name == name)
    }

    /// MotorNet's default activation dynamics for the model named `model` (`None` for a name
    /// not in [`AnyMuscle::NAMES`]).
    pub fn default_activation(model: &str) -> Option<ActivationDynamics> {
        Self::model(model).map(|m| m.default_activation)
    }
}

impl MuscleModel for AnyMuscle {
    fn name(&self) -> &'static str {
        dispatch!(self, m => m.name())
    }
    fn state_names(&self) -> &'static [&'static str] {
        dispatch!(self, m => m.state_names())
    }
    fn n_derivatives(&self) -> usize {
        dispatch!(self, m => m.n_derivatives())
    }
    fn read_states(&self) -> &'static [usize] {
        dispatch!(self, m => m.read_states())
    }
    fn n_muscles(&self) -> usize {
        dispatch!(self, m => m.n_muscles())
    }
    fn muscle_name(&self, i: usize) -> &str {
        dispatch!(self, m => m.muscle_name(i))
    }
    fn activation(&self) -> &ActivationDynamics {
        dispatch!(self, m => m.activation())
    }
    fn max_isometric_force(&self, i: usize) -> f64 {
        dispatch!(self, m => m.max_isometric_force(i))
    }
    fn proprioception_scale(&self, i: usize) -> (f64, f64) {
        dispatch!(self, m => m.proprioception_scale(i))
    }
    fn proprioception<S: Scalar>(&self, i: usize, state: &[S], mt_len: S, mt_vel: S) -> [S; 2] {
        dispatch!(self, m => m.proprioception(i, state, mt_len, mt_vel))
    }
    fn initial_state<S: Scalar>(&self, i: usize, mt_len: S, mt_vel: S, dt: f64, state: &mut [S]) {
        dispatch!(self, m => m.initial_state(i, mt_len, mt_vel, dt, state))
    }
    #[inline(always)]
    fn derivative<S: Scalar>(&self, i: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        dispatch!(self, m => m.derivative(i, excitation, state, derivative))
    }
    #[inline(always)]
    fn integrate<S: Scalar>(
        &self,
        i: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        mt_vel: S,
        new_state: &mut [S],
    ) {
        dispatch!(self, m => m.integrate(i, dt, derivative, state, mt_len, mt_vel, new_state))
    }
    #[inline(always)]
    fn integrate_all<S: Scalar>(
        &self,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        new_state: &mut [S],
    ) {
        dispatch!(self, m => m.integrate_all(dt, derivative, state, mt_len, mt_vel, new_state))
    }
    #[inline(always)]
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
        dispatch!(self, m => m.integrate_all_record(dt, derivative, state, mt_len, mt_vel, new_state, record))
    }
    #[inline(always)]
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
        dispatch!(self, m => m.integrate_all_replay(dt, derivative, state, mt_len, mt_vel, new_state, record))
    }
    #[inline(always)]
    fn step_vjp(
        &self,
        dt: f64,
        inputs: StepInputs<'_>,
        record: &[f64],
        g_new_state: &[f64],
        grads: StepGradients<'_>,
    ) -> bool {
        dispatch!(self, m => m.step_vjp(dt, inputs, record, g_new_state, grads))
    }
}
