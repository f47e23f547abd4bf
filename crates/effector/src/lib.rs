//! Effectors: a skeleton, a muscle model applied to every muscle, and a geometry giving each
//! muscle's musculotendon length, velocity and moment arms, integrated in time as MotorNet 0.3.0
//! does.
//!
//! - [`Effector`] composes any [`Skeleton`](motornet_skeleton::Skeleton),
//!   [`MuscleModel`](motornet_muscle::MuscleModel) and [`Geometry`], with Euler, MotorNet's
//!   chained RK4 or textbook RK4 ([`Integration`]), ministeps, endpoint and joint loads, damping
//!   and joint bounds. Stepping is generic over the scalar type and allocates nothing.
//! - [`EffectorSpec`] reads and validates spec files (JSON or TOML); [`presets`] gives MotorNet's
//!   preset effectors as specs.
//! - [`simulate()`] runs a [`Scenario`] (a parity-fixture file) for a batch in parallel.
//!
//! ```
//! use motornet_effector::{presets, simulate, Scenario};
//!
//! let spec = presets::spec("RigidTendonArm26", None).unwrap();
//! let effector = spec.build().unwrap();
//! let scenario = Scenario {
//!     name: None,
//!     effector: spec,
//!     initial_joint_state: vec![vec![0.8, 1.2, 0.0, 0.0]],
//!     excitation: vec![vec![vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0]]; 50], // biceps on for 0.5 s
//!     endpoint_load: None,
//!     joint_load: None,
//! };
//! let traj = simulate::<f64, _, _, _>(&effector, &scenario).unwrap();
//! let elbow = |t: usize| traj.joint[t][0][1];
//! assert!(elbow(50) > elbow(0)); // the biceps flexes the elbow
//! ```
#![warn(missing_docs)]

pub mod batch;
mod effector;
mod error;
pub mod fields;
mod geometry;
pub mod grad;
pub mod mjcf;
pub mod presets;
pub mod reference;
mod simulate;
mod skeleton;
mod spatial;
mod spec;
mod tree_spec;

pub use effector::{Effector, EffectorOptions, Integration, State, Workspace};
pub use error::{clip_lines, EffectorError};
pub use geometry::{
    AnyGeometry, Arm26Polynomial, BuiltinGeometry, ConstantMomentArms, FieldDecl, Geometry,
    GeometryInfo, MusclePaths, PathPoint, PathSpec,
};
pub use grad::{
    check_gradients, GradientCheck, GradientRows, RolloutGradient, RowVjp, StepGradient,
    StepJacobian, VjpPlan,
};
pub use simulate::{
    check_scenario, simulate, simulate_json, Deviation, StateNames, StreamError, Trajectory,
};
pub use skeleton::{AnySkeleton, SkeletonInfo};
pub use spatial::{SpatialTendons, TendonElement, WrapShape};
pub use spec::{
    DynEffector, EffectorSpec, GeometrySpec, MuscleModelSpec, MuscleSpec, Scenario, SkeletonSpec,
};
pub use tree_spec::{BodyPointSpec, BodySpec, JointSpec};

/// Most ministeps a step may have (issue 14: `n_ministeps` 1e9 made every step run for ever);
/// MotorNet's compliant arm, the finest preset, uses 1 at dt = 0.2 ms.
pub const MAX_MINISTEPS: usize = 10_000;

/// Most joints a skeleton may have (stack buffers in the per-step code are this size), as many
/// as a [`KinematicTree`](motornet_skeleton::KinematicTree) may have.
pub const MAX_DOF: usize = motornet_skeleton::MAX_DOF;
/// Skeletons with at most this many joints use smaller stack buffers in the per-step code.
pub(crate) const SMALL_DOF: usize = 8;

/// Runs `f` on a stack buffer of `n <= 2 * MAX_DOF` copies of `zero`: one of `2 * SMALL_DOF`
/// entries when that is enough (the per-step code of the common few-joint skeletons then zeroes
/// no more than it uses), else one of `2 * MAX_DOF`.
#[inline(always)]
pub(crate) fn stack_buffer<T: Copy, R>(n: usize, zero: T, f: impl FnOnce(&mut [T]) -> R) -> R {
    if n <= 2 * SMALL_DOF {
        f(&mut [zero; 2 * SMALL_DOF][..n])
    } else {
        f(&mut [zero; 2 * MAX_DOF][..n])
    }
}
/// Most space dimensions a skeleton may have.
pub const MAX_SPACE_DIM: usize = 8;
