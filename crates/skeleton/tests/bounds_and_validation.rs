//! JointBounds::integrate and construction-time validation.

use motornet_scalar::Dual64;
use motornet_skeleton::{
    JointBounds, PointMass, Skeleton, SkeletonError, TwoDofArm, TwoDofArmParams,
};
use proptest::prelude::*;

fn bounds() -> JointBounds {
    JointBounds::new(
        2,
        vec![0.0, -1.0],
        vec![1.0, 2.0],
        vec![-5.0, -3.0],
        vec![5.0, 3.0],
    )
    .unwrap()
}

fn step(
    b: &JointBounds,
    dt: f64,
    q: [f64; 2],
    qd: [f64; 2],
    qdd: [f64; 2],
) -> ([f64; 2], [f64; 2]) {
    let (mut qn, mut qdn) = ([f64::NAN; 2], [f64::NAN; 2]);
    b.integrate(dt, &q, &qd, &qdd, &mut qn, &mut qdn);
    (qn, qdn)
}

#[test]
fn integrate_hand_computed_interior() {
    // v' = qd + qdd dt, p' = q + qd dt (old velocity)
    let (q, qd) = step(&bounds(), 0.1, [0.5, 1.0], [1.0, -2.0], [10.0, 4.0]);
    assert!(
        (q[0] - 0.6).abs() < 1e-15 && (q[1] - 0.8).abs() < 1e-15,
        "{q:?}"
    );
    assert!(
        (qd[0] - 2.0).abs() < 1e-15 && (qd[1] + 1.6).abs() < 1e-15,
        "{qd:?}"
    );
}

#[test]
fn integrate_clips_velocity() {
    let (q, qd) = step(&bounds(), 0.1, [0.5, 0.0], [1.0, -2.0], [100.0, -100.0]);
    assert_eq!(qd, [5.0, -3.0]);
    // position used the old velocity, unaffected by the velocity clip
    assert!((q[0] - 0.6).abs() < 1e-15 && (q[1] + 0.2).abs() < 1e-15);
}

#[test]
fn integrate_stops_outward_motion_at_bounds() {
    let b = bounds();
    // joint 0 crosses its lower bound moving down: velocity zeroed, position clipped
    // joint 1 crosses its upper bound moving up: same
    let (q, qd) = step(&b, 0.1, [0.05, 1.9], [-1.0, 2.0], [0.0, 0.0]);
    assert_eq!(q, [0.0, 2.0]);
    assert_eq!(qd, [0.0, 0.0]);
    // exactly at the bound counts
    let (q, qd) = step(&b, 0.5, [0.5, 1.0], [-1.0, 2.0], [0.0, 0.0]);
    assert_eq!(q, [0.0, 2.0]);
    assert_eq!(qd, [0.0, 0.0]);
    // past the bound but accelerating back inward: velocity kept, position clipped
    let (q, qd) = step(&b, 0.1, [0.05, 1.9], [-1.0, 2.0], [30.0, -30.0]);
    assert_eq!(q, [0.0, 2.0]);
    assert!(
        (qd[0] - 2.0).abs() < 1e-15 && (qd[1] + 1.0).abs() < 1e-15,
        "{qd:?}"
    );
    // inside the range moving outward: nothing is zeroed
    let (_, qd) = step(&b, 0.01, [0.5, 0.5], [-1.0, 2.0], [0.0, 0.0]);
    assert_eq!(qd, [-1.0, 2.0]);
}

#[test]
fn derivative_through_clipped_position_is_zero() {
    let b = bounds();
    let dt = 0.1;
    let seed = |v: [f64; 2], d: [f64; 2]| [Dual64::new(v[0], d[0]), Dual64::new(v[1], d[1])];
    let qdd = seed([0.0, 0.0], [0.0, 0.0]);
    let (mut qn, mut qdn) = ([Dual64::new(0.0, 0.0); 2], [Dual64::new(0.0, 0.0); 2]);
    // d/dq: joint 0 clipped at its lower bound, joint 1 free
    b.integrate(
        dt,
        &seed([0.05, 0.5], [1.0, 1.0]),
        &seed([-1.0, 1.0], [0.0, 0.0]),
        &qdd,
        &mut qn,
        &mut qdn,
    );
    assert_eq!((qn[0].re, qn[0].eps), (0.0, 0.0));
    assert!((qn[1].re - 0.6).abs() < 1e-15);
    assert_eq!(qn[1].eps, 1.0);
    // d/dqd: zeroed velocity and clipped position carry no derivative, the free joint does
    b.integrate(
        dt,
        &seed([0.05, 0.5], [0.0, 0.0]),
        &seed([-1.0, 1.0], [1.0, 1.0]),
        &qdd,
        &mut qn,
        &mut qdn,
    );
    assert_eq!((qn[0].eps, qdn[0].re, qdn[0].eps), (0.0, 0.0, 0.0));
    assert_eq!((qdn[1].eps, qn[1].eps), (1.0, dt));
    // d/dqdd through a clipped velocity is zero, through a free one is dt
    let (mut qn2, mut qdn2) = (qn, qdn);
    b.integrate(
        dt,
        &seed([0.5, 0.5], [0.0, 0.0]),
        &seed([0.0, 0.0], [0.0, 0.0]),
        &seed([100.0, 1.0], [1.0, 1.0]),
        &mut qn2,
        &mut qdn2,
    );
    assert_eq!((qdn2[0].re, qdn2[0].eps), (5.0, 0.0));
    assert!((qdn2[1].eps - dt).abs() < 1e-16);
}

#[test]
fn integrate_f32_matches_f64_in_interior() {
    let b = bounds();
    let (mut qn, mut qdn) = ([0.0f32; 2], [0.0f32; 2]);
    b.integrate(
        0.01,
        &[0.5f32, 0.25],
        &[1.0, -2.0],
        &[3.0, 4.0],
        &mut qn,
        &mut qdn,
    );
    let (q64, qd64) = step(&b, 0.01, [0.5, 0.25], [1.0, -2.0], [3.0, 4.0]);
    for i in 0..2 {
        assert!((qn[i] as f64 - q64[i]).abs() < 1e-6 && (qdn[i] as f64 - qd64[i]).abs() < 1e-6);
    }
}

#[test]
fn unbounded_and_contains() {
    let b = JointBounds::unbounded(3);
    assert_eq!(b.dof(), 3);
    assert_eq!(b.vel_upper, vec![1000.0; 3]);
    let (mut qn, mut qdn) = ([0.0; 3], [0.0; 3]);
    b.integrate(
        0.5,
        &[1e6, -1e6, 0.0],
        &[2.0, -2.0, 0.0],
        &[1e5, 0.0, -1e5],
        &mut qn,
        &mut qdn,
    );
    assert_eq!(qn, [1e6 + 1.0, -1e6 - 1.0, 0.0]);
    assert_eq!(qdn, [1000.0, -2.0, -1000.0]);
    // f32 handles the infinite bounds too
    let (mut q32, mut qd32) = ([0.0f32; 3], [0.0f32; 3]);
    b.integrate(
        0.5,
        &[1e6f32, -1e6, 0.0],
        &[2.0, -2.0, 0.0],
        &[1.0, 0.0, 0.0],
        &mut q32,
        &mut qd32,
    );
    assert_eq!(q32, [1e6 + 1.0, -1e6 - 1.0, 0.0]);
    assert!(b.contains(&[1e300, -1e300, 0.0], &[1000.0, -1000.0, 0.0]));
    assert!(!b.contains(&[0.0; 3], &[1000.1, 0.0, 0.0]));

    let b = bounds();
    assert!(b.contains(&[0.0, 2.0], &[5.0, -3.0]));
    assert!(!b.contains(&[-0.01, 0.0], &[0.0, 0.0]));
    assert!(!b.contains(&[0.5, 2.01], &[0.0, 0.0]));
    assert!(!b.contains(&[0.5, 0.0], &[0.0, 3.5]));
    assert!(!b.contains(&[f64::NAN, 0.0], &[0.0, 0.0]));
    assert!(b.contains(
        &[Dual64::new(0.5, 1.0), Dual64::new(0.0, 0.0)],
        &[Dual64::new(0.0, 0.0); 2]
    ));
}

proptest! {
    #[test]
    fn integrate_keeps_state_in_bounds(
        q in prop::array::uniform2(-1.0..2.0f64),
        qd in prop::array::uniform2(-10.0..10.0f64),
        qdd in prop::array::uniform2(-200.0..200.0f64),
        dt in 0.0001..0.5f64,
    ) {
        let b = bounds();
        let (qn, qdn) = step(&b, dt, q, qd, qdd);
        prop_assert!(b.contains(&qn, &qdn), "{:?} {:?}", qn, qdn);
        for i in 0..2 {
            // at a bound, the velocity never points outward
            if qn[i] <= b.pos_lower[i] { prop_assert!(qdn[i] >= 0.0); }
            if qn[i] >= b.pos_upper[i] { prop_assert!(qdn[i] <= 0.0); }
        }
    }
}

fn arm_err(f: impl FnOnce(&mut TwoDofArmParams)) -> SkeletonError {
    let mut p = TwoDofArmParams::default();
    f(&mut p);
    TwoDofArm::new(p).unwrap_err()
}

#[test]
fn arm_parameter_errors_name_the_parameter() {
    type Setter = fn(&mut TwoDofArmParams, f64);
    let fields: [(&str, Setter); 8] = [
        ("m1", |p, v| p.m1 = v),
        ("m2", |p, v| p.m2 = v),
        ("l1g", |p, v| p.l1g = v),
        ("l2g", |p, v| p.l2g = v),
        ("i1", |p, v| p.i1 = v),
        ("i2", |p, v| p.i2 = v),
        ("l1", |p, v| p.l1 = v),
        ("l2", |p, v| p.l2 = v),
    ];
    for (name, set) in fields {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = arm_err(|p| set(p, bad));
            let msg = e.to_string();
            assert!(msg.contains(&format!("`{name}`")), "{msg}");
            assert!(
                matches!(e, SkeletonError::InvalidParameter { parameter, .. } if parameter == name),
                "{e:?}"
            );
        }
    }
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        let msg = arm_err(|p| p.viscosity = bad).to_string();
        assert!(msg.contains("`viscosity`"), "{msg}");
    }
    assert!(TwoDofArm::new(TwoDofArmParams {
        viscosity: 0.0,
        ..TwoDofArmParams::arm26()
    })
    .is_ok());
    assert!(TwoDofArm::new(TwoDofArmParams {
        viscosity: 1.0,
        ..TwoDofArmParams::arm26()
    })
    .is_ok());
}

#[test]
fn point_mass_errors_name_the_parameter() {
    let msg = PointMass::new(0, 1.0).unwrap_err().to_string();
    assert!(msg.contains("`space_dim`"), "{msg}");
    for bad in [0.0, -2.0, f64::NAN, f64::INFINITY] {
        let msg = PointMass::new(2, bad).unwrap_err().to_string();
        assert!(msg.contains("`mass`"), "{msg}");
    }
}

#[test]
fn body_and_point_checks() {
    let arm = TwoDofArm::default();
    assert!(arm.check_body(0).is_ok() && arm.check_body(2).is_ok());
    let e = arm.check_body(3).unwrap_err();
    assert_eq!(
        e,
        SkeletonError::BodyOutOfRange {
            body: 3,
            n_bodies: 2
        }
    );
    assert!(e.to_string().contains("body index 3"));
    let pm = PointMass::new(3, 1.0).unwrap();
    assert!(pm.check_body(1).is_ok() && pm.check_body(2).is_err());
    assert!(pm.check_point(1, &[0.0, 0.1, 0.2]).is_ok());
    assert!(matches!(
        pm.check_point(1, &[0.0, 0.1]),
        Err(SkeletonError::LocalDimension {
            len: 2,
            space_dim: 3,
            ..
        })
    ));
    assert!(matches!(
        pm.check_point(0, &[0.0, f64::NAN, 0.0]),
        Err(SkeletonError::NonFiniteLocal { axis: 1, .. })
    ));
    assert!(matches!(
        arm.check_point(5, &[0.0, 0.0]),
        Err(SkeletonError::BodyOutOfRange { .. })
    ));
}

#[test]
fn bound_errors_name_the_bound_and_joint() {
    let ok = || {
        (
            vec![0.0, -1.0],
            vec![1.0, 2.0],
            vec![-5.0, -3.0],
            vec![5.0, 3.0],
        )
    };
    let (pl, pu, vl, vu) = ok();
    assert!(JointBounds::new(2, pl, pu, vl, vu).is_ok());

    let (pl, pu, vl, _) = ok();
    let msg = JointBounds::new(2, pl, pu, vl, vec![1.0])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("`vel_upper`") && msg.contains("1 entries"),
        "{msg}"
    );
    let (_, pu, vl, vu) = ok();
    let msg = JointBounds::new(2, vec![0.0; 3], pu, vl, vu)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`pos_lower`"), "{msg}");

    let (pl, _, vl, vu) = ok();
    let msg = JointBounds::new(2, pl, vec![1.0, f64::NAN], vl, vu)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("`pos_upper`") && msg.contains("joint 1"),
        "{msg}"
    );
    let (pl, pu, _, vu) = ok();
    let msg = JointBounds::new(2, pl, pu, vec![f64::INFINITY, 0.0], vu)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("`vel_lower`") && msg.contains("joint 0"),
        "{msg}"
    );
    let (pl, _, vl, vu) = ok();
    let msg = JointBounds::new(2, pl, vec![f64::NEG_INFINITY, 2.0], vl, vu)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("`pos_upper`") && msg.contains("joint 0"),
        "{msg}"
    );

    let (_, pu, vl, vu) = ok();
    let e = JointBounds::new(2, vec![0.0, 2.5], pu, vl, vu).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("`pos_lower`") && msg.contains("`pos_upper`") && msg.contains("joint 1"),
        "{msg}"
    );
    let (pl, pu, _, vu) = ok();
    let msg = JointBounds::new(2, pl, pu, vec![6.0, 0.0], vu)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("`vel_lower`") && msg.contains("joint 0"),
        "{msg}"
    );

    // open-side infinities are accepted; equal bounds are accepted
    assert!(JointBounds::new(
        1,
        vec![f64::NEG_INFINITY],
        vec![f64::INFINITY],
        vec![0.0],
        vec![0.0]
    )
    .is_ok());
}
