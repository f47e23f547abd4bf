//! Errors raised when a muscle model is built from invalid parameters.

use thiserror::Error;

/// A muscle parameter failed validation. Every variant names the parameter and, where the
/// parameter is per muscle, the muscle (by name and index).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MuscleError {
    /// A per-muscle parameter is out of its valid range or not finite.
    #[error("muscle {index} ('{muscle}'): parameter `{parameter}` = {value} is invalid: {reason}")]
    InvalidMuscleParameter {
        /// Index of the muscle in the model (0-based).
        index: usize,
        /// Name of the muscle.
        muscle: String,
        /// Name of the offending parameter, as spelled in spec files.
        parameter: &'static str,
        /// The value given.
        value: f64,
        /// What the value must satisfy.
        reason: &'static str,
    },
    /// A model-wide parameter (activation dynamics, passive force gain, …) is invalid.
    #[error("parameter `{parameter}` = {value} is invalid: {reason}")]
    InvalidParameter {
        /// Name of the offending parameter, as spelled in spec files.
        parameter: &'static str,
        /// The value given.
        value: f64,
        /// What the value must satisfy.
        reason: &'static str,
    },
    /// A per-muscle parameter vector does not have one entry per muscle.
    #[error("parameter `{parameter}` has {got} entries but there are {expected} muscles")]
    WrongLength {
        /// Name of the offending parameter vector.
        parameter: &'static str,
        /// Number of muscles (the length the vector must have).
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The model was given no muscle at all.
    #[error("a muscle model needs at least one muscle")]
    NoMuscles,
}

/// What a parameter must satisfy.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    Positive,
    NonNegative,
    /// Strictly inside `(lo, hi)`.
    Between(f64, f64),
}

impl Rule {
    fn reason(self) -> &'static str {
        match self {
            Rule::Positive => "must be finite and > 0",
            Rule::NonNegative => "must be finite and >= 0",
            Rule::Between(..) => "must be finite and inside the open interval the model requires",
        }
    }
    fn holds(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                Rule::Positive => v > 0.0,
                Rule::NonNegative => v >= 0.0,
                Rule::Between(lo, hi) => v > lo && v < hi,
            }
    }
}

/// Check one per-muscle value.
pub(crate) fn check_muscle(
    index: usize,
    muscle: &str,
    parameter: &'static str,
    value: f64,
    rule: Rule,
) -> Result<(), MuscleError> {
    if rule.holds(value) {
        Ok(())
    } else {
        Err(MuscleError::InvalidMuscleParameter {
            index,
            muscle: muscle.to_string(),
            parameter,
            value,
            reason: rule.reason(),
        })
    }
}

/// Check one model-wide value.
pub(crate) fn check_global(
    parameter: &'static str,
    value: f64,
    rule: Rule,
) -> Result<(), MuscleError> {
    if rule.holds(value) {
        Ok(())
    } else {
        Err(MuscleError::InvalidParameter {
            parameter,
            value,
            reason: rule.reason(),
        })
    }
}
