//! Rigid-body skeletons for motornet-rs: a point mass, a planar two-joint arm, and a 3-D
//! kinematic tree of bodies with hinge and slide joints ([`KinematicTree`], MuJoCo's semantics;
//! mass properties from primitive shapes with [`Inertial::from_geoms`]).
//!
//! A skeleton turns generalized forces into joint accelerations ([`Skeleton::acceleration`]),
//! maps joint state to the endpoint (fingertip) in cartesian space
//! ([`Skeleton::joint_to_cartesian`]), and locates points fixed on its bodies together with their
//! Jacobians ([`Skeleton::point_kinematics`]), which is what muscle paths need for their lengths,
//! velocities and moment arms. [`JointBounds`] holds the joint position and velocity limits and
//! performs MotorNet's clipped explicit Euler update (position from the old velocity).
//!
//! All model code is generic over [`Scalar`] (`f32`, `f64`, [`Dual64`](motornet_scalar::Dual64))
//! and works on caller-provided slices, so nothing is allocated per step.
//!
//! Units are SI throughout: m, kg, kg·m², rad, N, N·m, s.
//!
//! # Tutorial
//!
//! ```
//! use motornet_skeleton::{JointBounds, Skeleton, TwoDofArm, TwoDofArmParams};
//!
//! // MotorNet's default two-joint arm, starting at 45° shoulder and 90° elbow, at rest.
//! let arm = TwoDofArm::new(TwoDofArmParams::default()).unwrap();
//! let (lower, upper) = TwoDofArm::default_position_bounds();
//! let bounds = JointBounds::new(2, lower.to_vec(), upper.to_vec(), vec![-1000.0; 2], vec![1000.0; 2])
//!     .unwrap();
//! let mut q = [std::f64::consts::FRAC_PI_4, std::f64::consts::FRAC_PI_2];
//! let mut qd = [0.0; 2];
//!
//! // Apply 0.1 N·m at the shoulder for 10 steps of 1 ms.
//! let tau = [0.1, 0.0];
//! let no_load = [0.0; 2];
//! let (mut qdd, mut q_new, mut qd_new) = ([0.0; 2], [0.0; 2], [0.0; 2]);
//! for _ in 0..10 {
//!     arm.acceleration(&q, &qd, &tau, &no_load, &mut qdd);
//!     bounds.integrate(0.001, &q, &qd, &qdd, &mut q_new, &mut qd_new);
//!     (q, qd) = (q_new, qd_new);
//! }
//! assert!(qd[0] > 0.0); // the shoulder started to flex
//!
//! // Where is the fingertip, and how fast does it move?
//! let (mut pos, mut vel) = ([0.0; 2], [0.0; 2]);
//! arm.joint_to_cartesian(&q, &qd, &mut pos, &mut vel);
//!
//! // A point 10 cm along the forearm: world position and its Jacobian d pos / d q (2 × 2).
//! let (mut p, mut jac) = ([0.0; 2], [0.0; 4]);
//! arm.point_kinematics(2, &[0.1, 0.0], &q, &mut p, &mut jac);
//! assert!(p[0].hypot(p[1]) < 0.309 + 0.1);
//! ```
//!
//! # Points on bodies
//!
//! A point fixed on a body is described by its body index (0 = world, 1 = first movable body,
//! 2 = forearm of the arm) and its coordinates in that body's frame. Its world position is the
//! body's frame transform applied to the local coordinates, and its Jacobian `d pos / d q` gives
//! both its velocity (`J · qd`) and, for a muscle path through such points, the moment arms
//! (`−dL/dq` of the path length `L`, which the chain rule expresses through these Jacobians), as
//! in Sherman, Seth & Delp (2013), "Flexing computational muscle: modeling and simulation of
//! musculotendon dynamics", *Journal of Biomechanical Engineering* 135(2):021005.
//!
//! # 3-D kinematic trees
//!
//! [`KinematicTree`] holds [`TreeBody`]s with hinge and slide joints ([`TreeJoint`]) and mass
//! properties ([`Inertial`], e.g. from primitive shapes with [`Inertial::from_geoms`], MuJoCo's
//! `inertiafromgeom`). Bodies are listed parents first; each body's frame is placed in its parent's frame by a
//! fixed offset (`pos`, `quat`) and then moved by the body's joints, in order, as MuJoCo's
//! `mj_kinematics` does ("Computation" and "Modeling → body/joint" in MuJoCo's documentation):
//! a slide joint translates the current frame along its axis (expressed in that frame) by `q`
//! (m); a hinge joint rotates the current frame by `q` (rad, right-handed) about its axis
//! through its anchor `pos` (the anchor stays fixed in space). Joint positions are zero at the
//! reference configuration (MuJoCo's `qpos0 = 0`, `ref = 0`).
//!
//! Dynamics are the standard rigid-body algorithms in spatial (6-D) vector notation
//! (Featherstone, *Rigid Body Dynamics Algorithms*, Springer 2008, chapters 2, 5 and 6), with
//! world-frame axes and each body's quantities taken about the body's own origin (so that a
//! body far from the world origin loses no precision to cancellation, which matters in `f32`),
//! shifted between bodies along the tree: the composite-rigid-body algorithm for the
//! joint-space inertia matrix `M(q)`, the recursive Newton–Euler algorithm with zero joint
//! acceleration and the base accelerating at `−g` for the bias forces `c(q, q̇)` (Coriolis,
//! centrifugal and gravity: MuJoCo's `qfrc_bias`), and a Cholesky factorisation to solve
//! `M(q) q̈ = τ + passive − c + Jᵀ f`. Joint damping gives the passive force `−damping · q̇`
//! (MuJoCo's `qfrc_passive` without springs) and joint armature is added to the diagonal of
//! `M` (MuJoCo's `qM`). Ball and free joints are not supported (yet).
//!
//! All per-step methods are generic over [`Scalar`] and allocate nothing: scratch space is on
//! the stack, sized for at most [`MAX_BODIES`] bodies and [`MAX_DOF`] joints (checked by
//! [`KinematicTree::new`]); trees of at most 8 bodies and 8 joints use a smaller scratch.
#![warn(missing_docs)]

mod bounds;
mod error;
mod mass;
mod point_mass;
pub mod testing;
mod tree;
mod two_dof_arm;

pub use bounds::JointBounds;
pub use error::SkeletonError;
pub use mass::{GeomMass, GeomShape, Inertial, DEFAULT_DENSITY};
pub use motornet_scalar::Scalar;
pub use point_mass::PointMass;
pub use tree::{JointKind, KinematicTree, TreeBody, TreeJoint, MAX_BODIES, MAX_DOF};
pub use two_dof_arm::{TwoDofArm, TwoDofArmParams};

use motornet_scalar::params::{ParamDecl, ParamSet};

/// What a built-in skeleton declares about itself, so that spec files can build it and the
/// documentation can list its parameters without skeleton-specific code elsewhere. Implemented
/// in the skeleton's own file; the effector crate's registry (`AnySkeleton`) lists the
/// implementors, one line each.
pub trait BuiltinSkeleton: Skeleton + Sized {
    /// The name spec files use (`skeleton.type`), equal to [`Skeleton::name`].
    const NAME: &'static str;
    /// One line for documentation: what the skeleton is, its joints and their units.
    const SUMMARY: &'static str;
    /// The parameters (spec table `skeleton`, besides `type`).
    const PARAMS: &'static [ParamDecl];
    /// Build from the parameters, resolved against [`BuiltinSkeleton::PARAMS`] (every declared
    /// one present). Validates like the skeleton's constructor.
    fn from_params(params: &ParamSet) -> Result<Self, SkeletonError>;
}

/// A rigid-body skeleton: joint dynamics, endpoint kinematics and points fixed on its bodies.
///
/// Slice arguments have the lengths stated on each method: `dof` generalized coordinates
/// ([`Skeleton::dof`]) and `space_dim` cartesian coordinates ([`Skeleton::space_dim`]). The
/// per-step methods never allocate; they assume correctly sized slices and valid body indices
/// (checked with `debug_assert!` only). Validate configuration-time input with
/// [`Skeleton::check_body`] and [`Skeleton::check_point`].
///
/// The trait has generic methods (one code path for `f32`, `f64` and dual numbers), so it is used
/// as a generic bound (`K: Skeleton`), not as a trait object.
pub trait Skeleton: std::fmt::Debug + Send + Sync {
    /// Name of the skeleton type: `"PointMass"`, `"TwoDofArm"` or `"KinematicTree"`.
    fn name(&self) -> &'static str;

    /// Number of joints (generalized coordinates) `dof`.
    fn dof(&self) -> usize;

    /// Cartesian dimension `space_dim` of the endpoint and of points on bodies.
    fn space_dim(&self) -> usize;

    /// Number of movable bodies, world excluded: 1 for [`PointMass`], 2 for [`TwoDofArm`].
    /// Valid body indices are `0..=n_bodies()` (0 is the world).
    fn n_bodies(&self) -> usize;

    /// Joint accelerations from the joint state and the applied forces.
    ///
    /// - `q[dof]`: joint positions (rad for the arm, m for the point mass),
    /// - `qd[dof]`: joint velocities (rad/s or m/s),
    /// - `tau[dof]`: generalized forces (N·m for the arm, N for the point mass),
    /// - `endpoint_load[space_dim]`: a force (N) applied at the endpoint, mapped to joint space
    ///   through the endpoint Jacobian transpose; an empty slice means no load (and skips the
    ///   Jacobian),
    /// - `qdd[dof]` (output): joint accelerations (rad/s² or m/s²).
    fn acceleration<S: Scalar>(
        &self,
        q: &[S],
        qd: &[S],
        tau: &[S],
        endpoint_load: &[S],
        qdd: &mut [S],
    );

    /// Endpoint (fingertip) position `pos[space_dim]` (m) and velocity `vel[space_dim]` (m/s)
    /// from joint positions `q[dof]` and velocities `qd[dof]`.
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]);

    /// World position of a point fixed on a body, and its Jacobian with respect to the joints.
    ///
    /// - `body`: 0 = world, 1 = first body (the point mass, or the upper arm), 2 = forearm.
    ///   Must be `<= n_bodies()` (not checked in release builds; see [`Skeleton::check_body`]).
    /// - `local[space_dim]` (m): the point in the body's frame, first axis along the bone from
    ///   the body's origin joint (for the point mass, the frame is the mass's, axes aligned with
    ///   the world's).
    /// - `q[dof]`: joint positions.
    /// - `pos[space_dim]` (output, m): world position.
    /// - `dpos_dq[space_dim * dof]` (output): Jacobian, row-major,
    ///   `dpos_dq[i * dof + j] = d pos_i / d q_j` (m/rad for the arm, dimensionless for the point
    ///   mass).
    ///
    /// The velocity of the point is `dpos_dq · qd` ([`Skeleton::point_velocity`]).
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    );

    /// Like [`Skeleton::point_kinematics`], and also the point's world velocity
    /// `vel[space_dim] = dpos_dq · qd` (m/s) for joint velocities `qd[dof]`.
    ///
    /// `dpos_dq[space_dim * dof]` is filled as in [`Skeleton::point_kinematics`] (it doubles as
    /// the scratch space, so this method does not allocate either).
    fn point_velocity<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        qd: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
        vel: &mut [S],
    ) {
        self.point_kinematics(body, local, q, pos, dpos_dq);
        let dof = self.dof();
        debug_assert_eq!(qd.len(), dof);
        debug_assert_eq!(vel.len(), self.space_dim());
        for (i, v) in vel.iter_mut().enumerate() {
            let row = &dpos_dq[i * dof..(i + 1) * dof];
            let mut acc = S::zero();
            for (&j, &w) in row.iter().zip(qd) {
                acc += j * w;
            }
            *v = acc;
        }
    }

    /// Runs `f` with the skeleton posed at joint positions `q[dof]`, returning what `f` returns.
    ///
    /// Inside `f`, [`PosedSkeleton::point_kinematics`] answers as
    /// [`Skeleton::point_kinematics`] does at `q`. Code that needs many points at one pose (a
    /// muscle path through many sites) asks through this, so that a skeleton whose forward
    /// kinematics is costly computes it once per pose: [`KinematicTree`] computes its body
    /// frames once here and each query then only walks the point's ancestors. The default
    /// forwards every query to [`Skeleton::point_kinematics`]; a skeleton written outside the
    /// workspace needs nothing more, and overrides this only as a measured fast path.
    ///
    /// ```
    /// use motornet_skeleton::{PosedSkeleton, Skeleton, TwoDofArm, TwoDofArmParams};
    ///
    /// let arm = TwoDofArm::new(TwoDofArmParams::default()).unwrap();
    /// let q = [0.3, 1.2];
    /// let (mut a, mut b, mut ja, mut jb) = ([0.0; 2], [0.0; 2], [0.0; 4], [0.0; 4]);
    /// arm.posed(&q, |posed| {
    ///     posed.point_kinematics(1, &[0.1, 0.0], &mut a, &mut ja);
    ///     posed.point_kinematics(2, &[0.2, 0.0], &mut b, &mut jb);
    /// });
    /// let (mut c, mut jc) = ([0.0; 2], [0.0; 4]);
    /// arm.point_kinematics(2, &[0.2, 0.0], &q, &mut c, &mut jc);
    /// assert_eq!((b, jb), (c, jc));
    /// ```
    fn posed<S: Scalar, R>(&self, q: &[S], f: impl FnOnce(&dyn PosedSkeleton<S>) -> R) -> R
    where
        Self: Sized,
    {
        f(&EachQuery { skeleton: self, q })
    }

    /// `Ok(())` if `body` is a valid body index (`0..=n_bodies()`), else
    /// [`SkeletonError::BodyOutOfRange`].
    fn check_body(&self, body: usize) -> Result<(), SkeletonError> {
        if body <= self.n_bodies() {
            Ok(())
        } else {
            Err(SkeletonError::BodyOutOfRange {
                body,
                n_bodies: self.n_bodies(),
            })
        }
    }

    /// `Ok(())` if `body` is valid ([`Skeleton::check_body`]) and `local` has `space_dim` finite
    /// coordinates (m); otherwise the error names what is wrong.
    fn check_point(&self, body: usize, local: &[f64]) -> Result<(), SkeletonError> {
        self.check_body(body)?;
        if local.len() != self.space_dim() {
            return Err(SkeletonError::LocalDimension {
                body,
                len: local.len(),
                space_dim: self.space_dim(),
            });
        }
        if let Some((axis, &value)) = local.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SkeletonError::NonFiniteLocal { body, axis, value });
        }
        Ok(())
    }
}

/// A skeleton posed at one joint configuration, answering point queries there (see
/// [`Skeleton::posed`], which hands one to its closure).
pub trait PosedSkeleton<S: Scalar> {
    /// World position `pos[space_dim]` (m) of the point `local[space_dim]` (m, in the frame of
    /// `body`) and its Jacobian `dpos_dq[space_dim * dof]` (row-major), exactly as
    /// [`Skeleton::point_kinematics`] at the pose's joint positions.
    fn point_kinematics(&self, body: usize, local: &[f64], pos: &mut [S], dpos_dq: &mut [S]);
}

/// The default pose of [`Skeleton::posed`]: each query calls [`Skeleton::point_kinematics`].
struct EachQuery<'a, K, S> {
    skeleton: &'a K,
    q: &'a [S],
}

impl<K: Skeleton, S: Scalar> PosedSkeleton<S> for EachQuery<'_, K, S> {
    fn point_kinematics(&self, body: usize, local: &[f64], pos: &mut [S], dpos_dq: &mut [S]) {
        self.skeleton
            .point_kinematics(body, local, self.q, pos, dpos_dq);
    }
}
