//! [`AnySkeleton`]: a built-in skeleton chosen at run time.

use motornet_scalar::Scalar;
use motornet_skeleton::{PointMass, Skeleton, TwoDofArm};

/// Any built-in skeleton, for effectors chosen at run time (spec files, the command line).
#[derive(Debug, Clone, PartialEq)]
pub enum AnySkeleton {
    /// See [`PointMass`].
    PointMass(PointMass),
    /// See [`TwoDofArm`].
    TwoDofArm(TwoDofArm),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnySkeleton::PointMass($s) => $e,
            AnySkeleton::TwoDofArm($s) => $e,
        }
    };
}

impl Skeleton for AnySkeleton {
    fn name(&self) -> &'static str {
        dispatch!(self, s => s.name())
    }
    fn dof(&self) -> usize {
        dispatch!(self, s => s.dof())
    }
    fn space_dim(&self) -> usize {
        dispatch!(self, s => s.space_dim())
    }
    fn n_bodies(&self) -> usize {
        dispatch!(self, s => s.n_bodies())
    }
    fn acceleration<S: Scalar>(
        &self,
        q: &[S],
        qd: &[S],
        tau: &[S],
        endpoint_load: &[S],
        qdd: &mut [S],
    ) {
        dispatch!(self, s => s.acceleration(q, qd, tau, endpoint_load, qdd))
    }
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]) {
        dispatch!(self, s => s.joint_to_cartesian(q, qd, pos, vel))
    }
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        dispatch!(self, s => s.point_kinematics(body, local, q, pos, dpos_dq))
    }
}

impl From<PointMass> for AnySkeleton {
    fn from(s: PointMass) -> Self {
        AnySkeleton::PointMass(s)
    }
}

impl From<TwoDofArm> for AnySkeleton {
    fn from(s: TwoDofArm) -> Self {
        AnySkeleton::TwoDofArm(s)
    }
}
