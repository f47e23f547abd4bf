//! Errors of the task crate.

/// What went wrong building or running a task.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// A setting of the environment or a task is invalid.
    #[error("`{field}`: {reason}")]
    Config {
        /// The setting, as spelled in config files (e.g. `vision_delay`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An input given at run time is invalid.
    #[error("{input}: {reason}")]
    Input {
        /// The input (e.g. `action`).
        input: String,
        /// What is wrong.
        reason: String,
    },
}
