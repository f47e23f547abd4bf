//! Training policies on motornet-rs effectors by backpropagation through time.
//!
//! The closed loop — network → command → effector → delayed, noisy observation → network —
//! runs as one computation per batch ([`EpisodeRunner`]): forward over the whole episode, then
//! backward through every step of it, the network by its hand-written backward pass
//! (`motornet-policy`), the effector by its exact vector–Jacobian products
//! (`motornet-effector`), the observations by their delays. The result is the mean loss and its
//! exact gradient with respect to the network parameters, recorded as one fused op on a dfdx
//! tape ([`op`]). [`Trainer`] adds Adam, gradient clipping, a learning-rate schedule and
//! [`Checkpoint`]s; [`TrainConfig`]'s defaults are MotorNet's tutorial.
//!
//! ```no_run
//! use motornet_train::{AnyTrainer, TrainConfig};
//!
//! let config = TrainConfig { batches: 100, ..TrainConfig::default() };
//! let mut trainer = AnyTrainer::new(&config).unwrap();
//! for _ in 0..config.batches {
//!     let stats = trainer.batch().unwrap();
//!     println!("batch {} loss {:.4}", stats.batch, stats.loss);
//! }
//! ```
#![warn(missing_docs)]

pub mod adam;
pub mod checkpoint;
pub mod config;
pub mod episode;
mod error;
pub mod files;
pub mod metrics;
pub mod op;
pub mod phase;
pub mod policy;
pub mod recipe;
pub mod registry;
pub mod trainer;

pub use adam::{Adam, AdamConfig};
pub use checkpoint::Checkpoint;
pub use config::{EffectorChoice, LrSchedule, NetworkConfig, NetworkKind, TrainConfig};
pub use episode::{EpisodeError, EpisodeRunner, Rollout};
pub use error::TrainError;
pub use files::{write_atomic, RunDir};
pub use metrics::{rollout_metrics, MetricsError, ReachMetrics, RolloutMetrics};
pub use phase::PhaseConfig;
pub use policy::{AnyPolicy, BuiltinNetwork};
/// The rand 0.8 this crate's public signatures use (through [`motornet_task::Task`] and
/// [`motornet_policy::Policy`]): depend on it through here instead of `cargo add rand`.
pub use rand;
pub use recipe::{recipe, Recipe, RECIPES};
pub use trainer::{
    batch_memory_bytes, batch_seed, AnyTrainer, BatchStats, ConfigTrainer, LrPlan, Trainer,
    TrainerConfig, MAX_THREADS,
};
