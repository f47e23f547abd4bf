//! A point mass moving freely in `space_dim` dimensions.

use motornet_scalar::Scalar;

use crate::error::{positive, SkeletonError};
use crate::{BuiltinSkeleton, Skeleton};
use motornet_scalar::params::{ParamDecl, ParamSet};

/// A point mass in `space_dim` dimensions (any `space_dim >= 1`), with one prismatic
/// (translational) joint per cartesian axis: `dof == space_dim`, and the joint positions are the
/// mass's cartesian position (m).
///
/// Bodies: 0 = world, 1 = the mass. MotorNet's default is a 1 kg mass in the plane
/// ([`PointMass::default`]).
///
/// ```
/// use motornet_skeleton::{PointMass, Skeleton};
///
/// let pm = PointMass::new(3, 2.0).unwrap(); // 2 kg in 3-D
/// let mut qdd = [0.0; 3];
/// pm.acceleration(&[0.0; 3], &[0.0; 3], &[1.0, 0.0, -2.0], &[0.0, 4.0, 0.0], &mut qdd);
/// assert_eq!(qdd, [0.5, 2.0, -1.0]); // (tau + load) / mass
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PointMass {
    space_dim: usize,
    mass: f64,
}

impl PointMass {
    /// A point mass of `mass` kg moving in `space_dim` dimensions.
    ///
    /// # Errors
    /// [`SkeletonError::InvalidDimension`] naming `space_dim` if it is 0;
    /// [`SkeletonError::InvalidParameter`] naming `mass` if it is not finite and > 0.
    pub fn new(space_dim: usize, mass: f64) -> Result<Self, SkeletonError> {
        if space_dim == 0 {
            return Err(SkeletonError::InvalidDimension {
                parameter: "space_dim",
                value: space_dim,
                requirement: ">= 1",
            });
        }
        positive("mass", mass)?;
        Ok(Self { space_dim, mass })
    }

    /// The mass (kg).
    pub fn mass(&self) -> f64 {
        self.mass
    }
}

impl Default for PointMass {
    /// MotorNet's default: a 1 kg mass in 2 dimensions.
    fn default() -> Self {
        Self {
            space_dim: 2,
            mass: 1.0,
        }
    }
}

impl Skeleton for PointMass {
    fn name(&self) -> &'static str {
        "PointMass"
    }

    fn dof(&self) -> usize {
        self.space_dim
    }

    fn space_dim(&self) -> usize {
        self.space_dim
    }

    fn n_bodies(&self) -> usize {
        1
    }

    /// `qdd = (tau + endpoint_load) / mass` (m/s²), all slices of length `space_dim`; `q` and
    /// `qd` do not enter.
    fn acceleration<S: Scalar>(
        &self,
        q: &[S],
        qd: &[S],
        tau: &[S],
        endpoint_load: &[S],
        qdd: &mut [S],
    ) {
        let n = self.space_dim;
        debug_assert_eq!(q.len(), n);
        debug_assert_eq!(qd.len(), n);
        debug_assert_eq!(tau.len(), n);
        debug_assert!(endpoint_load.is_empty() || endpoint_load.len() == n);
        debug_assert_eq!(qdd.len(), n);
        let m = S::c(self.mass);
        for (i, (a, &t)) in qdd.iter_mut().zip(tau).enumerate() {
            let f = endpoint_load.get(i).copied().unwrap_or(S::zero());
            *a = (t + f) / m;
        }
    }

    /// Identity: `pos = q` (m), `vel = qd` (m/s).
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]) {
        let n = self.space_dim;
        debug_assert_eq!(q.len(), n);
        debug_assert_eq!(qd.len(), n);
        pos.copy_from_slice(q);
        vel.copy_from_slice(qd);
    }

    /// Body 0 (world): `pos = local`, Jacobian zero. Body 1 (the mass): `pos = q + local`,
    /// Jacobian the `space_dim × space_dim` identity.
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        let n = self.space_dim;
        debug_assert!(body <= 1, "PointMass has bodies 0 and 1, got {body}");
        debug_assert_eq!(local.len(), n);
        debug_assert_eq!(q.len(), n);
        debug_assert_eq!(pos.len(), n);
        debug_assert_eq!(dpos_dq.len(), n * n);
        dpos_dq.fill(S::zero());
        if body == 0 {
            for (p, &l) in pos.iter_mut().zip(local) {
                *p = S::c(l);
            }
        } else {
            for (p, (&qi, &l)) in pos.iter_mut().zip(q.iter().zip(local)) {
                *p = qi + S::c(l);
            }
            for i in 0..n {
                dpos_dq[i * n + i] = S::one();
            }
        }
    }
}

impl BuiltinSkeleton for PointMass {
    const NAME: &'static str = "PointMass";
    const SUMMARY: &'static str = "a mass moving freely in `space_dim` dimensions, one joint per axis (the joint positions are its cartesian position, m)";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::required("space_dim", "", 2.0, "number of dimensions, 1 … 8").integer(),
        ParamDecl::required("mass", "kg", 1.0, "finite, > 0"),
    ];

    fn from_params(p: &ParamSet) -> Result<Self, SkeletonError> {
        Self::new(p.get_usize("space_dim"), p.get("mass"))
    }
}
