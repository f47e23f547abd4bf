//! [`ReluMuscle`]: force proportional to activation.

use crate::{
    ActivationDynamics, BuiltinMuscle, MuscleError, MuscleModel, MuscleParamSet, ReluParams,
};
use motornet_scalar::params::ParamSet;
use motornet_scalar::Scalar;

/// A "rectified linear" muscle: force = F_max · activation, independent of length and velocity.
///
/// State (4 per muscle): activation, musculotendon length (m), musculotendon velocity (m/s),
/// force (N). MotorNet 0.3.0 defaults: `min_activation` 0, τ_act 15 ms, τ_deact 50 ms.
/// Unlike the Hill models, the initial state has zero force (not `F_max · min_activation`),
/// as in MotorNet.
#[derive(Debug, Clone, PartialEq)]
pub struct ReluMuscle {
    activation: ActivationDynamics,
    muscles: Vec<ReluParams>,
}

impl ReluMuscle {
    /// MotorNet's default activation dynamics for this model.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.0,
        tau_activation: 0.015,
        tau_deactivation: 0.05,
    };

    /// Build a validated model with one entry of `muscles` per muscle.
    pub fn new(
        activation: ActivationDynamics,
        muscles: Vec<ReluParams>,
    ) -> Result<Self, MuscleError> {
        activation.validate()?;
        if muscles.is_empty() {
            return Err(MuscleError::NoMuscles);
        }
        for (i, m) in muscles.iter().enumerate() {
            m.validate(i)?;
        }
        Ok(Self {
            activation,
            muscles,
        })
    }

    /// The per-muscle parameters.
    pub fn params(&self) -> &[ReluParams] {
        &self.muscles
    }
}

impl BuiltinMuscle for ReluMuscle {
    const NAME: &'static str = "ReluMuscle";
    const SUMMARY: &'static str = "force = F_max · activation";
    const DEFAULT_ACTIVATION: ActivationDynamics = ReluMuscle::DEFAULT_ACTIVATION;

    fn from_params(
        activation: ActivationDynamics,
        _model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        Self::new(
            activation,
            muscles.iter().map(ReluParams::from_param_set).collect(),
        )
    }
}

impl MuscleModel for ReluMuscle {
    fn name(&self) -> &'static str {
        <Self as BuiltinMuscle>::NAME
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["activation", "muscle length", "muscle velocity", "force"]
    }
    fn read_states(&self) -> &'static [usize] {
        &[0]
    }
    fn n_derivatives(&self) -> usize {
        1
    }
    fn n_muscles(&self) -> usize {
        self.muscles.len()
    }
    fn muscle_name(&self, m: usize) -> &str {
        &self.muscles[m].name
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.activation
    }
    fn max_isometric_force(&self, m: usize) -> f64 {
        self.muscles[m].max_isometric_force
    }
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], _len: S, _vel: S) -> [S; 2] {
        crate::fibre_proprioception(self.proprioception_scale(m), state)
    }

    fn initial_state<S: Scalar>(&self, _m: usize, mt_len: S, mt_vel: S, _dt: f64, state: &mut [S]) {
        state[0] = S::c(self.activation.min_activation);
        state[1] = mt_len;
        state[2] = mt_vel;
        state[3] = S::zero();
    }

    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        mt_vel: S,
        new_state: &mut [S],
    ) {
        let a = self.activation.step(dt, state[0], derivative[0]);
        new_state[0] = a;
        new_state[1] = mt_len;
        new_state[2] = mt_vel;
        new_state[3] = a * S::c(self.muscles[m].max_isometric_force);
    }
}
