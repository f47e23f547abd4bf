//! Errors of effector construction, spec files and simulation.

use thiserror::Error;

/// Everything that can go wrong building or running an effector. Messages name the field (as
/// spelled in spec files) and, where it applies, the muscle, step, batch element and state.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EffectorError {
    /// A field of the effector (or its spec) is invalid.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The field, as spelled in spec files (e.g. `timestep`, `skeleton.m1`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A field that belongs to one muscle is invalid.
    #[error("muscle {index} ('{muscle}'), `{field}`: {reason}")]
    InvalidMuscle {
        /// Index of the muscle (0-based).
        index: usize,
        /// Name of the muscle, if known.
        muscle: String,
        /// The field, as spelled in spec files.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The muscle model rejected its parameters.
    #[error(transparent)]
    Muscle(#[from] motornet_muscle::MuscleError),
    /// The skeleton rejected its parameters.
    #[error(transparent)]
    Skeleton(#[from] motornet_skeleton::SkeletonError),
    /// A state became NaN or infinite during simulation.
    #[error(
        "non-finite {kind} state '{state}' (value {value}) at step {step}, batch element {batch}"
    )]
    NonFinite {
        /// Step index (0-based) whose result was not finite.
        step: usize,
        /// Batch element.
        batch: usize,
        /// Which state group: `joint`, `muscle` or `geometry`.
        kind: &'static str,
        /// Name of the state component (e.g. `muscle 'biceps' force`).
        state: String,
        /// The offending value.
        value: f64,
    },
    /// An input array (initial state, excitation, loads) has the wrong shape or values.
    #[error("input `{input}`: {reason}")]
    Input {
        /// Which input.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// A spec file could not be read or parsed.
    #[error("{0}")]
    Parse(String),
}

impl EffectorError {
    pub(crate) fn invalid(field: &str, reason: &str) -> Self {
        EffectorError::Invalid {
            field: field.to_string(),
            reason: reason.to_string(),
        }
    }
    pub(crate) fn input(input: &str, reason: String) -> Self {
        EffectorError::Input {
            input: input.to_string(),
            reason,
        }
    }
}
