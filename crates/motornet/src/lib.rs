//! motornet-rs: differentiable, biomechanically realistic effectors (muscles wrapped around
//! skeletons) for motor-control research; the Rust successor of MotorNet 0.3.0.
//!
//! This facade only re-exports the workspace's crates, so that `motornet::muscle`,
//! `motornet::skeleton` and so on are one dependency away:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`scalar`] | `motornet-scalar` | the number trait (f32, f64, dual numbers) |
//! | [`muscle`] | `motornet-muscle` | muscle models and activation dynamics |
//! | [`skeleton`] | `motornet-skeleton` | point mass, two-joint arm, 3-D kinematic trees, joint bounds |
//! | [`effector`] | `motornet-effector` | effectors, geometry (incl. spatial tendons), integration, presets, spec files, MJCF import |
//! | [`mjcf`] | `motornet-mjcf` | the MJCF (MuJoCo XML) reader for the subset effectors import |
//! | [`task`] | `motornet-task` | environments, reaching tasks, force fields, losses |
//! | [`policy`] | `motornet-policy` | GRU and MLP networks with hand-written backward passes; gradient check and conformance suite for any network |
//! | [`policy_dfdx`] | `motornet-policy-dfdx` | networks written in dfdx ops with automatic gradients (RNN, LSTM, GRU, yours); [`policy_dfdx::dfdx`] is the dfdx 0.13 they use |
//! | [`train`] | `motornet-train` | closed-loop episodes, the dfdx op, Adam, checkpoints, metrics |
//! | [`analysis`] | `motornet-analysis` | principal components, cosine tuning and preferred-direction shifts of recorded network activity |
//! | `plot` | `motornet-plot` | PNG/SVG plots of runs and rollouts (feature `plot`) |
//! | [`rand`], [`rand_distr`] | rand 0.8, rand_distr 0.4 | the versions the public signatures name ([`task::Task::trial`], [`policy::Policy::init_params`]) |
//!
//! The `motornet` binary in this crate is the command-line program (`motornet --help`).
//!
//! # Features
//!
//! - `plot` (default): the `plot` module (`motornet-plot`, with plotters).
//! - `cli` (default, implies `plot`): the `motornet` program's own dependencies (clap,
//!   indicatif, ctrlc); the binary is built only with it.
//!
//! A library user who wants neither writes
//! `motornet = { version = "0.1", default-features = false }`: the layers above, without
//! clap, indicatif, ctrlc or plotters.
//!
//! ```
//! use motornet::effector::presets;
//! let arm = presets::spec("RigidTendonArm26", None).unwrap().build().unwrap();
//! assert_eq!(arm.n_muscles(), 6);
//! ```
#![warn(missing_docs)]

pub use motornet_analysis as analysis;
pub use motornet_effector as effector;
pub use motornet_mjcf as mjcf;
pub use motornet_muscle as muscle;
#[cfg(feature = "plot")]
pub use motornet_plot as plot;
pub use motornet_policy as policy;
pub use motornet_policy_dfdx as policy_dfdx;
pub use motornet_scalar as scalar;
pub use motornet_skeleton as skeleton;
pub use motornet_task as task;
pub use motornet_task::rand;
pub use motornet_task::rand_distr;
pub use motornet_train as train;
