//! [`AnySkeleton`]: a built-in skeleton chosen at run time, and the registry of built-in
//! skeletons it is generated from.

use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::Scalar;
use motornet_skeleton::{
    BuiltinSkeleton, KinematicTree, PointMass, PosedSkeleton, Skeleton, SkeletonError, TwoDofArm,
};

/// The built-in skeletons, one line each: `Variant(Type)`, where `Type` implements
/// [`BuiltinSkeleton`] (in its own file in motornet-skeleton). This list is the only place a
/// built-in skeleton is registered; [`AnySkeleton`], its dispatch and `From` impls and
/// [`AnySkeleton::MODELS`] follow from it.
macro_rules! builtin_skeletons {
    ($then:ident!($($args:tt)*)) => {
        $then! {
            $($args)*;
            PointMass(PointMass),
            TwoDofArm(TwoDofArm),
            KinematicTree(KinematicTree),
        }
    };
}

/// A registered skeleton's declarations, read at run time (one entry of
/// [`AnySkeleton::MODELS`]).
#[derive(Debug, Clone, Copy)]
pub struct SkeletonInfo {
    /// [`BuiltinSkeleton::NAME`].
    pub name: &'static str,
    /// [`BuiltinSkeleton::SUMMARY`].
    pub summary: &'static str,
    /// [`BuiltinSkeleton::PARAMS`].
    pub params: &'static [ParamDecl],
    build: fn(&ParamSet) -> Result<AnySkeleton, SkeletonError>,
}

fn build_any<K: BuiltinSkeleton + Into<AnySkeleton>>(
    params: &ParamSet,
) -> Result<AnySkeleton, SkeletonError> {
    K::from_params(params).map(Into::into)
}

impl SkeletonInfo {
    /// The declarations of skeleton `K`.
    pub const fn of<K: BuiltinSkeleton + Into<AnySkeleton>>() -> Self {
        Self {
            name: K::NAME,
            summary: K::SUMMARY,
            params: K::PARAMS,
            build: build_any::<K>,
        }
    }

    /// Build the skeleton from parameters resolved against [`SkeletonInfo::params`].
    pub fn build(&self, params: &ParamSet) -> Result<AnySkeleton, SkeletonError> {
        (self.build)(params)
    }
}

macro_rules! define_any_skeleton {
    (; $($variant:ident($ty:ident)),* $(,)?) => {
        /// Any built-in skeleton, for effectors chosen at run time (spec files, the command
        /// line). The variants are generated from the registration list in
        /// `crates/effector/src/skeleton.rs`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnySkeleton {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
        }

        impl AnySkeleton {
            /// Every registered skeleton's declarations, in registration order.
            pub const MODELS: &'static [SkeletonInfo] = &[$(SkeletonInfo::of::<$ty>()),*];
            /// The names of the built-in skeletons, as spec files spell them.
            pub const NAMES: &'static [&'static str] = &[$(<$ty as BuiltinSkeleton>::NAME),*];
        }

        $(
            impl From<$ty> for AnySkeleton {
                fn from(s: $ty) -> Self {
                    AnySkeleton::$variant(s)
                }
            }
        )*
    };
}
builtin_skeletons!(define_any_skeleton!());

macro_rules! dispatch_match {
    ($self:ident, $s:ident => $e:expr; $($variant:ident($ty:ident)),* $(,)?) => {
        match $self {
            $(AnySkeleton::$variant($s) => $e,)*
        }
    };
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        builtin_skeletons!(dispatch_match!($self, $s => $e))
    };
}

impl AnySkeleton {
    /// The declarations of the registered skeleton named `name`.
    pub fn model(name: &str) -> Option<&'static SkeletonInfo> {
        Self::MODELS.iter().find(|k| k.name == name)
    }
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

    fn posed<S: Scalar, R>(&self, q: &[S], f: impl FnOnce(&dyn PosedSkeleton<S>) -> R) -> R {
        dispatch!(self, s => s.posed(q, f))
    }
}
