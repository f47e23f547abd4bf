//! Errors reported when a skeleton or its joint bounds are built from invalid parameters.

use thiserror::Error;

/// What went wrong when building a skeleton, its joint bounds, or a point attached to it.
///
/// Every variant names the offending parameter (and the joint or body where relevant) so that a
/// configuration mistake can be traced back to the number that caused it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SkeletonError {
    /// A physical parameter (mass, length, inertia, viscosity) is NaN, infinite, or outside its
    /// allowed range.
    #[error("invalid skeleton parameter `{parameter}` = {value}: must be {requirement}")]
    InvalidParameter {
        /// Name of the parameter, as spelled in the constructor (e.g. `"m1"`, `"mass"`).
        parameter: &'static str,
        /// The rejected value (in the parameter's SI unit).
        value: f64,
        /// What the value must satisfy, e.g. `"finite and > 0"`.
        requirement: &'static str,
    },
    /// A dimension (e.g. `space_dim`) is outside its allowed range.
    #[error("invalid skeleton dimension `{parameter}` = {value}: must be {requirement}")]
    InvalidDimension {
        /// Name of the dimension parameter, e.g. `"space_dim"`.
        parameter: &'static str,
        /// The rejected value.
        value: usize,
        /// What the value must satisfy, e.g. `">= 1"`.
        requirement: &'static str,
    },
    /// A body index is not one of the skeleton's bodies (0 = world, 1..=n_bodies movable).
    #[error("body index {body} out of range: this skeleton has bodies 0 (world) to {n_bodies}")]
    BodyOutOfRange {
        /// The rejected body index.
        body: usize,
        /// Number of movable bodies of the skeleton (valid indices are `0..=n_bodies`).
        n_bodies: usize,
    },
    /// The local coordinates of a point do not have `space_dim` entries.
    #[error("point on body {body} has {len} local coordinates, expected space_dim = {space_dim}")]
    LocalDimension {
        /// Body the point is attached to.
        body: usize,
        /// Number of coordinates given.
        len: usize,
        /// Number expected (the skeleton's `space_dim`).
        space_dim: usize,
    },
    /// A local coordinate of a point is NaN or infinite.
    #[error("point on body {body} has non-finite local coordinate {axis} = {value}")]
    NonFiniteLocal {
        /// Body the point is attached to.
        body: usize,
        /// Index of the offending coordinate.
        axis: usize,
        /// The rejected value (m).
        value: f64,
    },
    /// A joint-bound vector does not have one entry per degree of freedom.
    #[error("joint bound `{bound}` has {len} entries, expected one per joint (dof = {dof})")]
    BoundLength {
        /// Which bound: `"pos_lower"`, `"pos_upper"`, `"vel_lower"` or `"vel_upper"`.
        bound: &'static str,
        /// Number of entries given.
        len: usize,
        /// Number expected.
        dof: usize,
    },
    /// A joint bound is NaN, or infinite on the side that would make the interval empty
    /// (a lower bound of +∞ or an upper bound of −∞).
    #[error("joint bound `{bound}` of joint {joint} is {value}: must be finite (or -inf for a lower bound, +inf for an upper bound)")]
    InvalidBound {
        /// Which bound: `"pos_lower"`, `"pos_upper"`, `"vel_lower"` or `"vel_upper"`.
        bound: &'static str,
        /// Joint index (0-based).
        joint: usize,
        /// The rejected value (rad or m for positions, rad/s or m/s for velocities).
        value: f64,
    },
    /// A lower joint bound exceeds its upper bound.
    #[error(
        "joint bound `{lower_name}` = {lower} exceeds `{upper_name}` = {upper} for joint {joint}"
    )]
    BoundOrder {
        /// `"pos_lower"` or `"vel_lower"`.
        lower_name: &'static str,
        /// `"pos_upper"` or `"vel_upper"`.
        upper_name: &'static str,
        /// Joint index (0-based).
        joint: usize,
        /// The lower bound.
        lower: f64,
        /// The upper bound.
        upper: f64,
    },
    /// A [`KinematicTree`](crate::KinematicTree) cannot be built: `what` names the body (index
    /// and name), joint or field, `reason` what it must satisfy and the value given.
    #[error("invalid kinematic tree: {what}: {reason}")]
    InvalidTree {
        /// The offending item, e.g. "body 2 (`fore`) joint 0 (`elbow`) axis".
        what: String,
        /// What is wrong, with the rejected value.
        reason: String,
    },
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(parameter: &'static str, value: f64) -> Result<(), SkeletonError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(SkeletonError::InvalidParameter {
            parameter,
            value,
            requirement: "finite and > 0",
        })
    }
}

/// Checks that `value` is finite and non-negative.
pub(crate) fn non_negative(parameter: &'static str, value: f64) -> Result<(), SkeletonError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(SkeletonError::InvalidParameter {
            parameter,
            value,
            requirement: "finite and >= 0",
        })
    }
}
