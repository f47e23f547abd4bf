//! A planar two-joint (shoulder, elbow) arm.

use motornet_scalar::Scalar;

use crate::error::{non_negative, positive, SkeletonError};
use crate::{BuiltinSkeleton, Skeleton};
use motornet_scalar::params::{ParamDecl, ParamSet};

/// Physical parameters of a [`TwoDofArm`].
///
/// `Default` gives MotorNet's `TwoDofArm` defaults; [`TwoDofArmParams::arm26`] gives the values
/// used by MotorNet's arm26 effector presets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoDofArmParams {
    /// Mass of the upper arm (kg).
    pub m1: f64,
    /// Mass of the forearm (kg).
    pub m2: f64,
    /// Distance from the shoulder to the upper arm's centre of mass (m).
    pub l1g: f64,
    /// Distance from the elbow to the forearm's centre of mass (m).
    pub l2g: f64,
    /// Moment of inertia of the upper arm about its centre of mass (kg·m²).
    pub i1: f64,
    /// Moment of inertia of the forearm about its centre of mass (kg·m²).
    pub i2: f64,
    /// Length of the upper arm, shoulder to elbow (m).
    pub l1: f64,
    /// Length of the forearm, elbow to fingertip (m).
    pub l2: f64,
    /// Joint viscosity (N·m·s/rad): a damping torque `−viscosity · qd` at each joint.
    pub viscosity: f64,
}

impl Default for TwoDofArmParams {
    /// MotorNet's `TwoDofArm` defaults: m1 = 1.864572 kg, m2 = 1.534315 kg, l1g = 0.180496 m,
    /// l2g = 0.181479 m, i1 = 0.013193 kg·m², i2 = 0.020062 kg·m², l1 = 0.309 m, l2 = 0.26 m,
    /// viscosity = 0.
    fn default() -> Self {
        Self::MOTORNET_DEFAULT
    }
}

impl TwoDofArmParams {
    /// MotorNet's `TwoDofArm` defaults (what [`Default`] gives).
    pub const MOTORNET_DEFAULT: Self = Self {
        m1: 1.864572,
        m2: 1.534315,
        l1g: 0.180496,
        l2g: 0.181479,
        i1: 0.013193,
        i2: 0.020062,
        l1: 0.309,
        l2: 0.26,
        viscosity: 0.0,
    };

    /// The parameters of MotorNet's arm26 presets: m1 = 1.82 kg, m2 = 1.43 kg, l1g = 0.135 m,
    /// l2g = 0.165 m, i1 = 0.051 kg·m², i2 = 0.057 kg·m², l1 = 0.309 m, l2 = 0.333 m,
    /// viscosity = 0.
    pub fn arm26() -> Self {
        Self {
            m1: 1.82,
            m2: 1.43,
            l1g: 0.135,
            l2g: 0.165,
            i1: 0.051,
            i2: 0.057,
            l1: 0.309,
            l2: 0.333,
            viscosity: 0.0,
        }
    }

    /// Checks every parameter: all finite; masses, lengths and inertias > 0; viscosity >= 0.
    ///
    /// # Errors
    /// [`SkeletonError::InvalidParameter`] naming the first offending parameter.
    pub fn validate(&self) -> Result<(), SkeletonError> {
        positive("m1", self.m1)?;
        positive("m2", self.m2)?;
        positive("l1g", self.l1g)?;
        positive("l2g", self.l2g)?;
        positive("i1", self.i1)?;
        positive("i2", self.i2)?;
        positive("l1", self.l1)?;
        positive("l2", self.l2)?;
        non_negative("viscosity", self.viscosity)
    }
}

/// A planar arm with a shoulder and an elbow hinge joint, no gravity.
///
/// Joint positions are `q = [shoulder, elbow]` (rad); the shoulder angle is measured from the
/// world x axis, the elbow angle relative to the upper arm (0 = straight arm). `dof == 2`,
/// `space_dim == 2`. Bodies: 0 = world, 1 = upper arm (frame at the shoulder, x along the
/// bone), 2 = forearm (frame at the elbow, x along the bone).
///
/// Dynamics: `qdd = M(q)⁻¹ (tau + J(q)ᵀ f − c(q, qd))` with the inertia matrix
/// [`TwoDofArm::inertia_matrix`], the velocity-dependent vector [`TwoDofArm::coriolis`]
/// (Coriolis/centrifugal terms plus joint viscosity) and the endpoint Jacobian
/// [`TwoDofArm::endpoint_jacobian`], exactly as in MotorNet 0.3.0.
///
/// ```
/// use motornet_skeleton::{Skeleton, TwoDofArm, TwoDofArmParams};
///
/// let arm = TwoDofArm::new(TwoDofArmParams::default()).unwrap();
/// let (mut pos, mut vel) = ([0.0f64; 2], [0.0; 2]);
/// arm.joint_to_cartesian(&[0.0, 0.0], &[0.0, 0.0], &mut pos, &mut vel);
/// assert!((pos[0] - (0.309 + 0.26)).abs() < 1e-15 && pos[1] == 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TwoDofArm {
    params: TwoDofArmParams,
    /// Constant part of M: C11, C12 (= C21 = C22).
    c11: f64,
    c12: f64,
    /// m2 · l1 · l2g: the coefficient of cos(q1) in M and of sin(q1) in the Coriolis terms.
    a: f64,
}

impl Default for TwoDofArm {
    /// The arm with [`TwoDofArmParams::default`] (MotorNet's `TwoDofArm` defaults).
    fn default() -> Self {
        Self::from_valid(TwoDofArmParams::default())
    }
}

impl TwoDofArm {
    /// An arm with the given parameters.
    ///
    /// # Errors
    /// [`SkeletonError::InvalidParameter`] naming the first invalid parameter (see
    /// [`TwoDofArmParams::validate`]).
    pub fn new(params: TwoDofArmParams) -> Result<Self, SkeletonError> {
        params.validate()?;
        Ok(Self::from_valid(params))
    }

    fn from_valid(p: TwoDofArmParams) -> Self {
        let c12 = p.m2 * p.l2g * p.l2g + p.i2;
        let c11 = p.m1 * p.l1g * p.l1g + p.i1 + p.m2 * (p.l2g * p.l2g + p.l1 * p.l1) + p.i2;
        Self {
            params: p,
            c11,
            c12,
            a: p.m2 * p.l1 * p.l2g,
        }
    }

    /// The arm's parameters.
    pub fn params(&self) -> &TwoDofArmParams {
        &self.params
    }

    /// MotorNet's default joint position bounds for `TwoDofArm`, as `(lower, upper)` in rad,
    /// each `[shoulder, elbow]`: shoulder in [0, 140°], elbow in [0, 160°].
    pub fn default_position_bounds() -> ([f64; 2], [f64; 2]) {
        ([0.0, 0.0], [140f64.to_radians(), 160f64.to_radians()])
    }

    /// Inertia matrix `M(q)` (kg·m²), 2 × 2 symmetric positive definite, from `q[2]` (only the
    /// elbow angle `q[1]` enters):
    /// `M = C + cos(q1) · Mm` with
    /// `C11 = m1 l1g² + i1 + m2 (l2g² + l1²) + i2`, `C12 = C21 = C22 = m2 l2g² + i2`,
    /// `Mm11 = 2 m2 l1 l2g`, `Mm12 = Mm21 = m2 l1 l2g`, `Mm22 = 0`.
    pub fn inertia_matrix<S: Scalar>(&self, q: &[S]) -> [[S; 2]; 2] {
        debug_assert_eq!(q.len(), 2);
        self.inertia_from_cos_elbow(q[1].cos())
    }

    /// [`TwoDofArm::inertia_matrix`] from cos(q1).
    fn inertia_from_cos_elbow<S: Scalar>(&self, c: S) -> [[S; 2]; 2] {
        let a = S::c(self.a);
        let m11 = S::c(self.c11) + c * (S::c(2.0) * a);
        let m12 = S::c(self.c12) + c * a;
        let m22 = S::c(self.c12);
        [[m11, m12], [m12, m22]]
    }

    /// The velocity-dependent generalized force `c(q, qd)` (N·m) that is subtracted from the
    /// applied torques, from `q[2]` and `qd[2]`: Coriolis/centrifugal terms plus joint viscosity,
    /// `c1 = −m2 l1 l2g sin(q1) (2 qd0 + qd1) qd1 + viscosity · qd0`,
    /// `c2 = m2 l1 l2g sin(q1) qd0² + viscosity · qd1`.
    pub fn coriolis<S: Scalar>(&self, q: &[S], qd: &[S]) -> [S; 2] {
        debug_assert_eq!(q.len(), 2);
        debug_assert_eq!(qd.len(), 2);
        self.coriolis_from_sin_elbow(q[1].sin(), qd)
    }

    /// [`TwoDofArm::coriolis`] from sin(q1).
    fn coriolis_from_sin_elbow<S: Scalar>(&self, s1: S, qd: &[S]) -> [S; 2] {
        let as1 = S::c(self.a) * s1;
        let visc = S::c(self.params.viscosity);
        let c1 = -as1 * (S::c(2.0) * qd[0] + qd[1]) * qd[1] + visc * qd[0];
        let c2 = as1 * qd[0] * qd[0] + visc * qd[1];
        [c1, c2]
    }

    /// Endpoint (fingertip) Jacobian `J[i][j] = d x_i / d q_j` (m/rad) from `q[2]`:
    /// `J11 = −l1 sin q0 − l2 sin(q0+q1)`, `J12 = −l2 sin(q0+q1)`,
    /// `J21 = l1 cos q0 + l2 cos(q0+q1)`, `J22 = l2 cos(q0+q1)`.
    pub fn endpoint_jacobian<S: Scalar>(&self, q: &[S]) -> [[S; 2]; 2] {
        debug_assert_eq!(q.len(), 2);
        let l1 = S::c(self.params.l1);
        let l2 = S::c(self.params.l2);
        let (s0, c0) = (q[0].sin(), q[0].cos());
        let q01 = q[0] + q[1];
        let (s01, c01) = (q01.sin(), q01.cos());
        let j12 = -(l2 * s01);
        let j22 = l2 * c01;
        [[-(l1 * s0) - l2 * s01, j12], [l1 * c0 + l2 * c01, j22]]
    }
}

/// `R(theta) · (a, b)` and `dR/dtheta · (a, b)` for the 2-D rotation matrix `R`.
#[inline]
fn rotate<S: Scalar>(theta: S, a: f64, b: f64) -> ([S; 2], [S; 2]) {
    let (s, c) = (theta.sin(), theta.cos());
    let (a, b) = (S::c(a), S::c(b));
    let r = [c * a - s * b, s * a + c * b];
    let dr = [-(s * a) - c * b, c * a - s * b];
    (r, dr)
}

impl Skeleton for TwoDofArm {
    fn name(&self) -> &'static str {
        "TwoDofArm"
    }

    fn dof(&self) -> usize {
        2
    }

    fn space_dim(&self) -> usize {
        2
    }

    fn n_bodies(&self) -> usize {
        2
    }

    /// `qdd = M⁻¹ (tau + Jᵀ f − c)` (rad/s²) with the explicit 2 × 2 inverse
    /// `M⁻¹ = (1/det M) [[M22, −M12], [−M21, M11]]`; `tau` in N·m, `endpoint_load` `f` in N.
    fn acceleration<S: Scalar>(
        &self,
        q: &[S],
        qd: &[S],
        tau: &[S],
        endpoint_load: &[S],
        qdd: &mut [S],
    ) {
        debug_assert_eq!(tau.len(), 2);
        debug_assert!(endpoint_load.is_empty() || endpoint_load.len() == 2);
        debug_assert_eq!(qdd.len(), 2);
        let (s1, c1) = q[1].sin_cos();
        let m = self.inertia_from_cos_elbow(c1);
        let c = self.coriolis_from_sin_elbow(s1, qd);
        let (mut r0, mut r1) = (tau[0] - c[0], tau[1] - c[1]);
        if let [f0, f1] = *endpoint_load {
            // no load, no Jacobian (saves two sin/cos pairs per step)
            let j = self.endpoint_jacobian(q);
            r0 += j[0][0] * f0 + j[1][0] * f1;
            r1 += j[0][1] * f0 + j[1][1] * f1;
        }
        let inv_det = S::one() / (m[0][0] * m[1][1] - m[0][1] * m[1][0]);
        qdd[0] = (m[1][1] * r0 - m[0][1] * r1) * inv_det;
        qdd[1] = (m[0][0] * r1 - m[1][0] * r0) * inv_det;
    }

    /// Fingertip `x = l1 cos q0 + l2 cos(q0+q1)`, `y = l1 sin q0 + l2 sin(q0+q1)` (m) and its
    /// velocity `J(q) · qd` (m/s).
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]) {
        debug_assert_eq!(q.len(), 2);
        debug_assert_eq!(qd.len(), 2);
        debug_assert_eq!(pos.len(), 2);
        debug_assert_eq!(vel.len(), 2);
        let l1 = S::c(self.params.l1);
        let l2 = S::c(self.params.l2);
        let (s0, c0) = (q[0].sin(), q[0].cos());
        let q01 = q[0] + q[1];
        let (s01, c01) = (q01.sin(), q01.cos());
        let x = l1 * c0 + l2 * c01;
        let y = l1 * s0 + l2 * s01;
        pos[0] = x;
        pos[1] = y;
        vel[0] = -y * qd[0] - l2 * s01 * qd[1];
        vel[1] = x * qd[0] + l2 * c01 * qd[1];
    }

    /// Body 0 (world): `pos = local`, Jacobian zero. Body 1 (upper arm):
    /// `pos = R(q0) · local`, `J[:,0] = dR(q0)/dq0 · local`, `J[:,1] = 0`. Body 2 (forearm):
    /// `pos = elbow + R(q0+q1) · local` with `elbow = l1 (cos q0, sin q0)`,
    /// `J[:,1] = dR(q0+q1)/dq · local`, `J[:,0] = J[:,1] + d elbow/dq0`.
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        debug_assert!(body <= 2, "TwoDofArm has bodies 0, 1 and 2, got {body}");
        debug_assert_eq!(local.len(), 2);
        debug_assert_eq!(q.len(), 2);
        debug_assert_eq!(pos.len(), 2);
        debug_assert_eq!(dpos_dq.len(), 4);
        match body {
            0 => {
                pos[0] = S::c(local[0]);
                pos[1] = S::c(local[1]);
                dpos_dq.fill(S::zero());
            }
            1 => {
                let (r, dr) = rotate(q[0], local[0], local[1]);
                pos.copy_from_slice(&r);
                dpos_dq[0] = dr[0];
                dpos_dq[1] = S::zero();
                dpos_dq[2] = dr[1];
                dpos_dq[3] = S::zero();
            }
            _ => {
                let l1 = S::c(self.params.l1);
                let (s0, c0) = (q[0].sin(), q[0].cos());
                let (r, dr) = rotate(q[0] + q[1], local[0], local[1]);
                pos[0] = l1 * c0 + r[0];
                pos[1] = l1 * s0 + r[1];
                dpos_dq[0] = dr[0] - l1 * s0;
                dpos_dq[1] = dr[0];
                dpos_dq[2] = dr[1] + l1 * c0;
                dpos_dq[3] = dr[1];
            }
        }
    }
}

const ARM_DEFAULT: TwoDofArmParams = TwoDofArmParams::MOTORNET_DEFAULT;

impl BuiltinSkeleton for TwoDofArm {
    const NAME: &'static str = "TwoDofArm";
    const SUMMARY: &'static str = "MotorNet's planar shoulder–elbow arm; joints `[shoulder, elbow]` (rad), the shoulder angle from the world x axis, the elbow angle relative to the upper arm (0 = straight)";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::optional("m1", "kg", ARM_DEFAULT.m1, "upper-arm mass, > 0"),
        ParamDecl::optional("m2", "kg", ARM_DEFAULT.m2, "forearm mass, > 0"),
        ParamDecl::optional(
            "l1g",
            "m",
            ARM_DEFAULT.l1g,
            "shoulder to upper-arm centre of mass, > 0",
        ),
        ParamDecl::optional(
            "l2g",
            "m",
            ARM_DEFAULT.l2g,
            "elbow to forearm centre of mass, > 0",
        ),
        ParamDecl::optional(
            "i1",
            "kg·m²",
            ARM_DEFAULT.i1,
            "upper-arm inertia about its centre of mass, > 0",
        ),
        ParamDecl::optional(
            "i2",
            "kg·m²",
            ARM_DEFAULT.i2,
            "forearm inertia about its centre of mass, > 0",
        ),
        ParamDecl::optional("l1", "m", ARM_DEFAULT.l1, "upper-arm length, > 0"),
        ParamDecl::optional(
            "l2",
            "m",
            ARM_DEFAULT.l2,
            "forearm length (elbow to fingertip), > 0",
        ),
        ParamDecl::optional(
            "viscosity",
            "N·m·s/rad",
            ARM_DEFAULT.viscosity,
            "joint viscosity, ≥ 0",
        ),
    ];

    fn from_params(p: &ParamSet) -> Result<Self, SkeletonError> {
        Self::new(TwoDofArmParams {
            m1: p.get("m1"),
            m2: p.get("m2"),
            l1g: p.get("l1g"),
            l2g: p.get("l2g"),
            i1: p.get("i1"),
            i2: p.get("i2"),
            l1: p.get("l1"),
            l2: p.get("l2"),
            viscosity: p.get("viscosity"),
        })
    }
}
