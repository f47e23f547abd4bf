//! Errors of training.

use motornet_effector::EffectorError;
use motornet_task::loss::LossError;
use motornet_task::TaskError;

/// What went wrong in a training run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A setting is invalid.
    #[error("config `{field}`: {reason}")]
    Config {
        /// The setting.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The effector could not be built.
    #[error("effector: {0}")]
    Effector(#[from] EffectorError),
    /// The task or environment failed.
    #[error("task: {0}")]
    Task(#[from] TaskError),
    /// An episode batch stopped (outside [`crate::Trainer::batch`], which reports a
    /// non-finite output or loss as [`TrainError::NonFinite`] with the batch).
    #[error("episode: {0}")]
    Episode(#[from] crate::episode::EpisodeError),
    /// A loss term is invalid.
    #[error("loss: {0}")]
    Loss(#[from] LossError),
    /// The network could not be built.
    #[error("network: {0}")]
    Policy(#[from] motornet_policy::PolicyError),
    /// The loss or its gradient stopped being finite.
    #[error("batch {batch}: the {what} is not finite ({value}); stopping")]
    NonFinite {
        /// The batch (0-based) where it happened.
        batch: usize,
        /// What: `loss`, `gradient`, `network output (step t, element i)`,
        /// ``loss term `name` (element i)`` or `parameters after the optimiser step` (the
        /// parameters are then those before the step).
        what: String,
        /// The value seen.
        value: f64,
    },
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A checkpoint is unreadable or belongs to another run.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}
