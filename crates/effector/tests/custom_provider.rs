//! A user adds a geometry provider by implementing `Geometry`, and a skeleton by implementing
//! `Skeleton`, then composes them with any muscle model: no change to the library.

use motornet_effector::{Effector, EffectorError, EffectorOptions, Geometry, Integration};
use motornet_muscle::{ReluMuscle, ReluParams};
use motornet_scalar::Scalar;
use motornet_skeleton::{JointBounds, PointMass, Skeleton};

/// One muscle on a 1-D point mass whose moment arm grows with position: arm = a + b·q.
#[derive(Debug)]
struct LinearMomentArm {
    a: f64,
    b: f64,
}

impl Geometry for LinearMomentArm {
    fn n_muscles(&self) -> usize {
        1
    }
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        if skeleton.dof() == 1 {
            Ok(())
        } else {
            Err(EffectorError::Invalid {
                field: "geometry".into(),
                reason: "needs one joint".into(),
            })
        }
    }
    fn compute<S: Scalar, K: Skeleton>(
        &self,
        _skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        // length = a q + b q²/2, so d length / dq = a + b q
        let arm = S::c(self.a) + S::c(self.b) * q[0];
        len[0] = S::c(self.a) * q[0] + S::c(0.5 * self.b) * q[0] * q[0];
        vel[0] = arm * qd[0];
        moment[0] = arm;
    }
}

fn effector(dof: usize) -> Result<Effector<PointMass, ReluMuscle, LinearMomentArm>, EffectorError> {
    Effector::new(
        PointMass::new(dof, 2.0).unwrap(),
        ReluMuscle::new(
            ReluMuscle::DEFAULT_ACTIVATION,
            vec![ReluParams::new("m", 10.0)],
        )
        .unwrap(),
        LinearMomentArm { a: 0.5, b: 1.0 },
        EffectorOptions {
            timestep: 0.01,
            n_ministeps: 1,
            integration: Integration::Euler,
            damping: 0.0,
            bounds: JointBounds::new(
                dof,
                vec![-1.0; dof],
                vec![1.0; dof],
                vec![-100.0; dof],
                vec![100.0; dof],
            )
            .unwrap(),
        },
    )
}

#[test]
fn a_user_geometry_drives_the_joint_through_its_moment_arm() {
    let eff = effector(1).unwrap();
    let mut s = eff.zero_state::<f64>();
    let mut ws = eff.workspace::<f64>();
    eff.reset(&[0.2, 0.0], &mut s);
    assert_eq!(s.geometry, vec![0.5 * 0.2 + 0.5 * 0.04, 0.0, 0.7]);
    // one step at full excitation: activation rises, force = 10 N · a, torque = −force · arm
    eff.step(&mut s, &[1.0], &[], &[], &mut ws);
    let a = s.muscle[0];
    assert!(a > 0.0);
    eff.step(&mut s, &[1.0], &[], &[], &mut ws);
    // the muscle pulls the mass toward negative q (positive moment arm)
    assert!(s.joint[1] < 0.0, "velocity {}", s.joint[1]);
}

#[test]
fn a_user_geometry_is_checked_against_the_skeleton() {
    let err = effector(2).unwrap_err();
    assert!(err.to_string().contains("needs one joint"), "{err}");
}
