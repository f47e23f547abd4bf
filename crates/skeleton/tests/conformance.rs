//! The skeleton conformance check (`motornet_skeleton::testing`) on the built-in skeletons, on a
//! skeleton written the way a user would (a pendulum under gravity), and on broken variants of
//! it that the check must reject, naming the property they break.

use motornet_scalar::Scalar;
use motornet_skeleton::testing::{
    check_sample, check_skeleton, CheckConfig, ConformanceError, Property, Sample,
};
use motornet_skeleton::{
    JointBounds, PointMass, PosedSkeleton, Skeleton, TwoDofArm, TwoDofArmParams,
};
use proptest::prelude::*;

#[test]
fn point_masses_of_several_dimensions_pass() {
    for (dim, mass) in [(1, 0.5), (2, 1.0), (3, 2.5), (5, 7.0)] {
        let pm = PointMass::new(dim, mass).unwrap();
        let report =
            check_skeleton(&pm, &CheckConfig::default()).unwrap_or_else(|e| panic!("{dim}-D: {e}"));
        assert_eq!(report.cases, 128);
        assert!(report.derivatives_compared > 0 && report.derivatives_skipped == 0);
    }
}

#[test]
fn two_joint_arms_pass_inside_and_beyond_their_bounds() {
    let (lo, hi) = TwoDofArm::default_position_bounds();
    let bounds =
        JointBounds::new(2, lo.to_vec(), hi.to_vec(), vec![-20.0; 2], vec![20.0; 2]).unwrap();
    for params in [
        TwoDofArmParams::default(),
        TwoDofArmParams::arm26(),
        TwoDofArmParams {
            viscosity: 0.3,
            ..TwoDofArmParams::default()
        },
    ] {
        let arm = TwoDofArm::new(params).unwrap();
        for config in [
            CheckConfig::default(),
            CheckConfig {
                bounds: Some(bounds.clone()),
                ..CheckConfig::default()
            },
        ] {
            let report = check_skeleton(&arm, &config).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                report.derivatives_compared > 20 * report.derivatives_skipped.max(1),
                "{report:?}"
            );
            assert!(report.worst_derivative_ratio < 1.0 && report.worst_f32_ratio < 1.0);
        }
    }
}

proptest! {
    /// The same check at samples proptest draws (and shrinks on failure).
    #[test]
    fn arm_conforms_at_proptest_samples(
        q in prop::array::uniform2(-3.5..3.5f64),
        qd in prop::array::uniform2(-6.0..6.0f64),
        tau in prop::array::uniform2(-10.0..10.0f64),
        f in prop::array::uniform2(-20.0..20.0f64),
        body in 0usize..3,
        local in prop::array::uniform2(-0.4..0.4f64),
    ) {
        let sample = Sample {
            q: q.to_vec(),
            qd: qd.to_vec(),
            tau: tau.to_vec(),
            endpoint_load: f.to_vec(),
            body,
            local: local.to_vec(),
        };
        for params in [TwoDofArmParams::default(), TwoDofArmParams::arm26()] {
            let arm = TwoDofArm::new(params).unwrap();
            if let Err(e) = check_sample(&arm, &sample, &CheckConfig::default()) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}

/// How a [`Pendulum`] is broken.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    None,
    /// point_kinematics returns the Jacobian with the wrong sign.
    JacobianSign,
    /// acceleration ignores the endpoint load.
    IgnoresLoad,
    /// acceleration reads the angle as a plain number (`lane(0)`), dropping its derivative.
    DroppedDerivative,
    /// the point's first Jacobian column is scaled by 1/2 in f32 only
    F32Only,
    /// `posed` answers at the reference pose `q = 0` whatever `q` it is given (a stale cache)
    StalePose,
}

/// A planar pendulum under gravity, written as a user would: one joint (angle θ from hanging
/// straight down, rad), a rod of length `l` (m) with a point mass `m` (kg) at its tip and
/// viscous friction `b` (N·m·s/rad): m l² θ̈ = τ + Jᵀ f − m g l sin θ − b θ̇. Body 1 is the rod,
/// its frame's first axis along the rod from the pivot; the endpoint is the mass.
#[derive(Debug)]
struct Pendulum {
    m: f64,
    l: f64,
    b: f64,
    flaw: Flaw,
}

const G: f64 = 9.81;

impl Pendulum {
    fn new(flaw: Flaw) -> Self {
        Self {
            m: 1.3,
            l: 0.7,
            b: 0.05,
            flaw,
        }
    }
    /// Rod direction and its normal at angle `q`: (sin q, −cos q), (cos q, sin q).
    fn frame<S: Scalar>(q: S) -> ([S; 2], [S; 2]) {
        let (s, c) = q.sin_cos();
        ([s, -c], [c, s])
    }
}

impl Skeleton for Pendulum {
    fn name(&self) -> &'static str {
        "Pendulum"
    }
    fn dof(&self) -> usize {
        1
    }
    fn space_dim(&self) -> usize {
        2
    }
    fn n_bodies(&self) -> usize {
        1
    }
    fn acceleration<S: Scalar>(&self, q: &[S], qd: &[S], tau: &[S], load: &[S], qdd: &mut [S]) {
        let q0 = match self.flaw {
            Flaw::DroppedDerivative => S::c(q[0].lane(0)),
            _ => q[0],
        };
        let (_, n) = Self::frame(q0);
        let mut torque = tau[0] - q0.sin().scale(self.m * G * self.l) - qd[0].scale(self.b);
        if load.len() == 2 && self.flaw != Flaw::IgnoresLoad {
            // d tip / d q = l · normal
            torque += (n[0] * load[0] + n[1] * load[1]).scale(self.l);
        }
        qdd[0] = torque.scale(1.0 / (self.m * self.l * self.l));
    }
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]) {
        let (d, n) = Self::frame(q[0]);
        for i in 0..2 {
            pos[i] = d[i].scale(self.l);
            vel[i] = n[i].scale(self.l) * qd[0];
        }
    }
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        if body == 0 {
            for i in 0..2 {
                pos[i] = S::c(local[i]);
                dpos_dq[i] = S::zero();
            }
            return;
        }
        let (d, n) = Self::frame(q[0]);
        let sign = if self.flaw == Flaw::JacobianSign {
            -1.0
        } else {
            1.0
        };
        // the f32 flaw: a different equation when S is a 4-byte type
        let f32_scale = if self.flaw == Flaw::F32Only && std::mem::size_of::<S>() == 4 {
            0.5
        } else {
            1.0
        };
        for i in 0..2 {
            pos[i] = d[i].scale(local[0]) + n[i].scale(local[1]);
            // d d / dq = n, d n / dq = −d
            dpos_dq[i] = (n[i].scale(local[0]) - d[i].scale(local[1])).scale(sign * f32_scale);
        }
    }
    fn posed<S: Scalar, R>(&self, q: &[S], f: impl FnOnce(&dyn PosedSkeleton<S>) -> R) -> R {
        let q = if self.flaw == Flaw::StalePose {
            [S::zero()]
        } else {
            [q[0]]
        };
        f(&PendulumPose { pendulum: self, q })
    }
}

/// The pendulum posed at `q`: queries forward to `point_kinematics` (as the default does).
struct PendulumPose<'a, S> {
    pendulum: &'a Pendulum,
    q: [S; 1],
}

impl<S: Scalar> PosedSkeleton<S> for PendulumPose<'_, S> {
    fn point_kinematics(&self, body: usize, local: &[f64], pos: &mut [S], dpos_dq: &mut [S]) {
        self.pendulum
            .point_kinematics(body, local, &self.q, pos, dpos_dq);
    }
}

#[test]
fn a_user_pendulum_under_gravity_passes() {
    let report = check_skeleton(&Pendulum::new(Flaw::None), &CheckConfig::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.cases, 128);
    // outputs: 1 acceleration, 4 endpoint, 6 point; inputs 5, 2, 2
    assert_eq!(
        report.derivatives_compared + report.derivatives_skipped,
        128 * (5 + 4 * 2 + 6 * 2)
    );
}

fn expect(flaw: Flaw, property: Property, mentions: &[&str]) {
    let err = check_skeleton(&Pendulum::new(flaw), &CheckConfig::default())
        .expect_err(&format!("{flaw:?} must fail"));
    assert_eq!(err.property(), Some(property), "{flaw:?}: {err}");
    assert!(matches!(&err, ConformanceError::Violation(v) if v.skeleton == "Pendulum"));
    let msg = err.to_string();
    for word in ["Pendulum", &property.to_string(), "q = ["]
        .iter()
        .chain(mentions)
    {
        assert!(msg.contains(word), "{flaw:?}: `{word}` not in: {msg}");
    }
}

#[test]
fn a_wrong_jacobian_is_rejected() {
    expect(
        Flaw::JacobianSign,
        Property::JacobianConsistent,
        &["point_kinematics dpos_dq[", "finite difference of pos"],
    );
}

#[test]
fn an_ignored_endpoint_load_is_rejected() {
    expect(
        Flaw::IgnoresLoad,
        Property::EndpointLoad,
        &["tau + J^T load"],
    );
}

#[test]
fn a_dropped_derivative_is_rejected() {
    expect(
        Flaw::DroppedDerivative,
        Property::DerivativesMatchFiniteDifferences,
        &[
            "d acceleration qdd[0] / d q[0]",
            "dual 0 vs finite difference",
        ],
    );
}

#[test]
fn an_f32_only_difference_is_rejected() {
    expect(
        Flaw::F32Only,
        Property::F32MatchesF64,
        &["point dpos_dq[", "f32"],
    );
}

#[test]
fn a_stale_posed_cache_is_rejected() {
    expect(
        Flaw::StalePose,
        Property::PosedMatchesPointKinematics,
        &["posed gives pos", "point_kinematics gives pos"],
    );
}

#[test]
fn bad_settings_and_samples_are_errors_not_panics() {
    let pm = PointMass::new(2, 1.0).unwrap();
    let err = check_skeleton(
        &pm,
        &CheckConfig {
            velocity: (1.0, f64::NAN),
            ..CheckConfig::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConformanceError::Config {
                field: "velocity",
                ..
            }
        ),
        "{err}"
    );
    let bounds =
        JointBounds::new(3, vec![-1.0; 3], vec![1.0; 3], vec![-1.0; 3], vec![1.0; 3]).unwrap();
    let err = check_skeleton(
        &pm,
        &CheckConfig {
            bounds: Some(bounds),
            ..CheckConfig::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConformanceError::Config {
                field: "bounds",
                ..
            }
        ),
        "{err}"
    );
    let sample = Sample {
        q: vec![0.0; 3],
        qd: vec![0.0; 2],
        tau: vec![0.0; 2],
        endpoint_load: vec![0.0; 2],
        body: 0,
        local: vec![0.0; 2],
    };
    let err = check_sample(&pm, &sample, &CheckConfig::default()).unwrap_err();
    assert_eq!(err.property(), Some(Property::Structure), "{err}");
}
