//! Errors of network construction.

use thiserror::Error;

/// Why a network configuration was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// A size that must be at least 1 was 0. `field` names it as the configuration does
    /// (`"GruConfig.hidden"`, `"MlpConfig.hidden[1]"`, …).
    #[error("{field} must be at least 1, got 0")]
    ZeroSize {
        /// The configuration field, e.g. `"GruConfig.hidden"`.
        field: String,
    },
}
