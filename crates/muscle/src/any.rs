//! [`AnyMuscle`]: one of the built-in models, chosen at run time.

use crate::{
    ActivationDynamics, CompliantTendonHillMuscle, MujocoHillMuscle, MuscleModel, ReluMuscle,
    RigidTendonHillMuscle, RigidTendonHillMuscleThelen,
};
use motornet_scalar::Scalar;

/// Any built-in muscle model, for code that picks the model at run time (spec files, the
/// command line). It implements [`MuscleModel`] by dispatching to the model it holds; code
/// that knows its model at compile time can use the model type directly instead.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum AnyMuscle {
    /// See [`ReluMuscle`].
    Relu(ReluMuscle),
    /// See [`RigidTendonHillMuscle`].
    RigidTendonHill(RigidTendonHillMuscle),
    /// See [`RigidTendonHillMuscleThelen`].
    RigidTendonHillThelen(RigidTendonHillMuscleThelen),
    /// See [`CompliantTendonHillMuscle`].
    CompliantTendonHill(CompliantTendonHillMuscle),
    /// See [`MujocoHillMuscle`].
    MujocoHill(MujocoHillMuscle),
}

macro_rules! dispatch {
    ($self:ident, $m:ident => $e:expr) => {
        match $self {
            AnyMuscle::Relu($m) => $e,
            AnyMuscle::RigidTendonHill($m) => $e,
            AnyMuscle::RigidTendonHillThelen($m) => $e,
            AnyMuscle::CompliantTendonHill($m) => $e,
            AnyMuscle::MujocoHill($m) => $e,
        }
    };
}

impl AnyMuscle {
    /// The names of the built-in models, as spec files spell them.
    pub const NAMES: [&'static str; 5] = [
        "ReluMuscle",
        "RigidTendonHillMuscle",
        "RigidTendonHillMuscleThelen",
        "CompliantTendonHillMuscle",
        "MujocoHillMuscle",
    ];

    /// MotorNet's default activation dynamics for the model named `model` (`None` for a name
    /// not in [`AnyMuscle::NAMES`]).
    pub fn default_activation(model: &str) -> Option<ActivationDynamics> {
        Some(match model {
            "ReluMuscle" => ReluMuscle::DEFAULT_ACTIVATION,
            "RigidTendonHillMuscle" => RigidTendonHillMuscle::DEFAULT_ACTIVATION,
            "RigidTendonHillMuscleThelen" => RigidTendonHillMuscleThelen::DEFAULT_ACTIVATION,
            "CompliantTendonHillMuscle" => CompliantTendonHillMuscle::DEFAULT_ACTIVATION,
            "MujocoHillMuscle" => MujocoHillMuscle::DEFAULT_ACTIVATION,
            _ => return None,
        })
    }

    /// MotorNet's default `normalized_slack_muscle_length` for the model named `model` (`None`
    /// for `ReluMuscle`, which has none, and for unknown names).
    pub fn default_normalized_slack_muscle_length(model: &str) -> Option<f64> {
        Some(match model {
            "RigidTendonHillMuscle" => {
                RigidTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH
            }
            "RigidTendonHillMuscleThelen" => {
                RigidTendonHillMuscleThelen::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH
            }
            "CompliantTendonHillMuscle" => {
                CompliantTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH
            }
            "MujocoHillMuscle" => MujocoHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
            _ => return None,
        })
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
}

macro_rules! from_model {
    ($t:ty, $v:ident) => {
        impl From<$t> for AnyMuscle {
            fn from(m: $t) -> Self {
                AnyMuscle::$v(m)
            }
        }
    };
}
from_model!(ReluMuscle, Relu);
from_model!(RigidTendonHillMuscle, RigidTendonHill);
from_model!(RigidTendonHillMuscleThelen, RigidTendonHillThelen);
from_model!(CompliantTendonHillMuscle, CompliantTendonHill);
from_model!(MujocoHillMuscle, MujocoHill);
