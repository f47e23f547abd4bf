//! [`AnalysisError`]: why an analysis cannot be computed from its inputs.

/// Why an analysis cannot be computed: every bad size or value is its own variant, naming the
/// input concerned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A size that must be positive is zero.
    #[error("{what} must be at least 1, got 0")]
    Empty {
        /// The size concerned (`samples`, `units`, `reaches`, …).
        what: &'static str,
    },
    /// A slice does not have the length its shape says.
    #[error("{what} has {actual} numbers, expected {expected} ({shape})")]
    Length {
        /// The input concerned.
        what: &'static str,
        /// The length its shape gives.
        expected: usize,
        /// Its length.
        actual: usize,
        /// The shape, in words (`[samples, units] = [800, 16]`).
        shape: String,
    },
    /// An input holds a NaN or an infinity.
    #[error("{what}[{index}] is not finite ({value})")]
    NonFinite {
        /// The input concerned.
        what: &'static str,
        /// The flat index of the first non-finite entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Principal components need at least two samples (one sample has no variance).
    #[error("principal components need at least 2 samples, got {samples}")]
    TooFewSamples {
        /// The number of samples given.
        samples: usize,
    },
    /// The activity does not vary at all: it has no principal components.
    #[error("the activity is constant over all {samples} samples: it has no principal components")]
    NoVariance {
        /// The number of samples.
        samples: usize,
    },
    /// More components were asked for than the activity has units, or none.
    #[error(
        "{requested} components asked for; between 1 and {available} (the number of units) can be"
    )]
    Components {
        /// The number asked for.
        requested: usize,
        /// The number of units (and components).
        available: usize,
    },
    /// A cosine tuning fit needs at least three distinct directions (three parameters).
    #[error("a cosine tuning fit needs reaches in at least 3 distinct directions, got {distinct}")]
    TooFewDirections {
        /// The number of distinct directions (modulo 2π) among the reaches.
        distinct: usize,
    },
    /// A reach's peak-speed step is not a step of the recorded activity.
    #[error("reach {reach}: peak step {step} is outside the {steps} recorded steps")]
    StepOutOfRange {
        /// The reach concerned.
        reach: usize,
        /// Its peak step.
        step: usize,
        /// The number of recorded steps.
        steps: usize,
    },
    /// A parameter is outside its range (a threshold that is NaN, say).
    #[error("{name} = {value}: {reason}")]
    Parameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// Two tunings to compare do not describe the same number of units.
    #[error("the tunings describe {a} and {b} units; a shift compares the same units")]
    UnitMismatch {
        /// Units of the first tuning.
        a: usize,
        /// Units of the second tuning.
        b: usize,
    },
}

/// `Err(Length)` unless `data.len() == rows * cols`; `Err(Empty)` if either is 0.
pub(crate) fn check_matrix(
    what: &'static str,
    data: &[f64],
    (rows_name, rows): (&'static str, usize),
    (cols_name, cols): (&'static str, usize),
) -> Result<(), AnalysisError> {
    if rows == 0 {
        return Err(AnalysisError::Empty { what: rows_name });
    }
    if cols == 0 {
        return Err(AnalysisError::Empty { what: cols_name });
    }
    let expected = rows.saturating_mul(cols);
    if data.len() != expected {
        return Err(AnalysisError::Length {
            what,
            expected,
            actual: data.len(),
            shape: format!("[{rows_name}, {cols_name}] = [{rows}, {cols}]"),
        });
    }
    check_finite(what, data)
}

/// `Err(NonFinite)` naming the first NaN or infinity of `data`.
pub(crate) fn check_finite(what: &'static str, data: &[f64]) -> Result<(), AnalysisError> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(AnalysisError::NonFinite {
            what,
            index,
            value: data[index],
        }),
        None => Ok(()),
    }
}
