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
    /// The network would have more parameters than [`crate::MAX_PARAMS`] (checked before
    /// anything is allocated).
    #[error("{config} makes {count} parameters ({gib} GiB as f32); at most {limit} are supported")]
    TooLarge {
        /// The configuration, with the sizes that matter (e.g. `"GruConfig (hidden 1000000,
        /// layers 1)"`).
        config: String,
        /// Its parameter count (saturating at `u128::MAX`).
        count: u128,
        /// `count` × 4 bytes, in whole GiB.
        gib: u128,
        /// [`crate::MAX_PARAMS`].
        limit: usize,
    },
}

impl PolicyError {
    /// [`PolicyError::TooLarge`] if `count` parameters (computed in `f64`, so that no size
    /// overflows) exceed [`crate::MAX_PARAMS`]; `config` describes the configuration for the
    /// message. For network builders outside this crate, to check before laying out.
    pub fn check_count(config: impl FnOnce() -> String, count: f64) -> Result<(), Self> {
        if count > crate::MAX_PARAMS as f64 {
            Err(Self::TooLarge {
                config: config(),
                count: count as u128,
                gib: (count * 4.0 / (1u64 << 30) as f64) as u128,
                limit: crate::MAX_PARAMS,
            })
        } else {
            Ok(())
        }
    }
}
