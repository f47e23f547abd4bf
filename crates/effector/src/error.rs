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

/// `text` with every line cut to at most `max` characters (an ellipsis marks a cut), for
/// error messages that quote their input: a parser quoting a 200 kB line of a file would
/// otherwise echo all of it (issue 14).
pub fn clip_lines(text: &str, max: usize) -> String {
    text.lines()
        .map(|line| {
            if line.chars().count() > max {
                let mut cut: String = line.chars().take(max).collect();
                cut.push('…');
                cut
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::clip_lines;

    #[test]
    fn long_lines_are_cut_and_short_ones_kept() {
        let long = "x".repeat(1000);
        let clipped = clip_lines(&format!("error at line 1\n{long}\n   ^"), 100);
        let lines: Vec<&str> = clipped.lines().collect();
        assert_eq!(lines[0], "error at line 1");
        assert_eq!(lines[1].chars().count(), 101);
        assert!(lines[1].ends_with('…'));
        assert_eq!(lines[2], "   ^");
    }
}
