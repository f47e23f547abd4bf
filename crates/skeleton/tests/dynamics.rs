//! Kinematics and dynamics of the point mass and the two-joint arm: closed-form checks,
//! MotorNet's formulas, inertia-matrix properties and energy conservation.

use std::f64::consts::FRAC_PI_2;

use motornet_skeleton::{PointMass, Skeleton, TwoDofArm, TwoDofArmParams};
use proptest::prelude::*;

fn arms() -> [TwoDofArm; 2] {
    [
        TwoDofArm::new(TwoDofArmParams::default()).unwrap(),
        TwoDofArm::new(TwoDofArmParams::arm26()).unwrap(),
    ]
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

#[test]
fn metadata() {
    let arm = TwoDofArm::default();
    assert_eq!(
        (arm.name(), arm.dof(), arm.space_dim(), arm.n_bodies()),
        ("TwoDofArm", 2, 2, 2)
    );
    let pm = PointMass::default();
    assert_eq!(
        (pm.name(), pm.dof(), pm.space_dim(), pm.n_bodies()),
        ("PointMass", 2, 2, 1)
    );
    assert_eq!(pm.mass(), 1.0);
    let pm3 = PointMass::new(3, 2.5).unwrap();
    assert_eq!((pm3.dof(), pm3.space_dim()), (3, 3));
}

#[test]
fn parameter_presets() {
    let d = TwoDofArmParams::default();
    assert_eq!(
        [
            d.m1,
            d.m2,
            d.l1g,
            d.l2g,
            d.i1,
            d.i2,
            d.l1,
            d.l2,
            d.viscosity
        ],
        [1.864572, 1.534315, 0.180496, 0.181479, 0.013193, 0.020062, 0.309, 0.26, 0.0]
    );
    let a = TwoDofArmParams::arm26();
    assert_eq!(
        [
            a.m1,
            a.m2,
            a.l1g,
            a.l2g,
            a.i1,
            a.i2,
            a.l1,
            a.l2,
            a.viscosity
        ],
        [1.82, 1.43, 0.135, 0.165, 0.051, 0.057, 0.309, 0.333, 0.0]
    );
    assert_eq!(TwoDofArm::default().params(), &d);
    let (lo, hi) = TwoDofArm::default_position_bounds();
    assert_eq!(lo, [0.0, 0.0]);
    assert!((hi[0] - 140.0 * std::f64::consts::PI / 180.0).abs() < 1e-15);
    assert!((hi[1] - 160.0 * std::f64::consts::PI / 180.0).abs() < 1e-15);
}

#[test]
fn fingertip_at_zero_and_right_angle() {
    for arm in arms() {
        let (l1, l2) = (arm.params().l1, arm.params().l2);
        let (mut pos, mut vel) = ([0.0; 2], [0.0; 2]);
        arm.joint_to_cartesian(&[0.0, 0.0], &[0.0, 0.0], &mut pos, &mut vel);
        assert!(
            close(pos[0], l1 + l2, 1e-15, 0.0) && pos[1] == 0.0,
            "{pos:?}"
        );
        assert_eq!(vel, [0.0, 0.0]);

        arm.joint_to_cartesian(&[FRAC_PI_2, 0.0], &[0.0, 0.0], &mut pos, &mut vel);
        assert!(pos[0].abs() < 1e-15, "{pos:?}");
        assert!(close(pos[1], l1 + l2, 1e-15, 0.0), "{pos:?}");

        // elbow at 90°: forearm points along +y from the elbow at (l1, 0)
        arm.joint_to_cartesian(&[0.0, FRAC_PI_2], &[1.0, 0.0], &mut pos, &mut vel);
        assert!(close(pos[0], l1, 1e-15, 1e-16) && close(pos[1], l2, 1e-15, 0.0));
        // rotating the shoulder at 1 rad/s: v = ω × r = (−y, x)
        assert!(close(vel[0], -l2, 1e-15, 0.0) && close(vel[1], l1, 1e-15, 1e-16));
    }
}

#[test]
fn point_mass_acceleration_and_kinematics() {
    let pm = PointMass::new(2, 1.0).unwrap();
    let mut qdd = [9.0; 2];
    pm.acceleration(&[0.3, -0.2], &[1.0, 2.0], &[0.0; 2], &[0.0; 2], &mut qdd);
    assert_eq!(qdd, [0.0, 0.0]);

    let pm = PointMass::new(3, 4.0).unwrap();
    let mut qdd = [0.0; 3];
    pm.acceleration(
        &[1.0, 2.0, 3.0],
        &[0.5, 0.5, 0.5],
        &[1.0, -2.0, 3.0],
        &[3.0, 0.0, -7.0],
        &mut qdd,
    );
    assert_eq!(qdd, [1.0, -0.5, -1.0]);

    let (mut pos, mut vel) = ([0.0; 3], [0.0; 3]);
    pm.joint_to_cartesian(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], &mut pos, &mut vel);
    assert_eq!((pos, vel), ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]));

    let (mut p, mut j) = ([0.0; 3], [7.0; 9]);
    pm.point_kinematics(0, &[0.1, 0.2, 0.3], &[1.0, 2.0, 3.0], &mut p, &mut j);
    assert_eq!((p, j), ([0.1, 0.2, 0.3], [0.0; 9]));
    pm.point_kinematics(1, &[0.1, 0.2, 0.3], &[1.0, 2.0, 3.0], &mut p, &mut j);
    assert_eq!(p, [1.1, 2.2, 3.3]);
    assert_eq!(j, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    let mut v = [0.0; 3];
    pm.point_velocity(
        1,
        &[0.1, 0.2, 0.3],
        &[1.0, 2.0, 3.0],
        &[4.0, 5.0, 6.0],
        &mut p,
        &mut j,
        &mut v,
    );
    assert_eq!(v, [4.0, 5.0, 6.0]);
    pm.point_velocity(
        0,
        &[0.1, 0.2, 0.3],
        &[1.0, 2.0, 3.0],
        &[4.0, 5.0, 6.0],
        &mut p,
        &mut j,
        &mut v,
    );
    assert_eq!(v, [0.0; 3]);

    let pm1 = PointMass::new(1, 2.0).unwrap();
    let mut a = [0.0];
    pm1.acceleration(&[0.0], &[0.0], &[1.0], &[1.0], &mut a);
    assert_eq!(a, [1.0]);
}

/// MotorNet's formulas written out literally, as a parity reference for `acceleration`.
fn reference_acceleration(
    p: &TwoDofArmParams,
    q: [f64; 2],
    qd: [f64; 2],
    tau: [f64; 2],
    f: [f64; 2],
) -> [f64; 2] {
    let c11 = p.m1 * p.l1g.powi(2) + p.i1 + p.m2 * (p.l2g.powi(2) + p.l1.powi(2)) + p.i2;
    let c12 = p.m2 * p.l2g.powi(2) + p.i2;
    let mm = [
        [2.0 * p.m2 * p.l1 * p.l2g, p.m2 * p.l1 * p.l2g],
        [p.m2 * p.l1 * p.l2g, 0.0],
    ];
    let cos = q[1].cos();
    let m = [
        [c11 + cos * mm[0][0], c12 + cos * mm[0][1]],
        [c12 + cos * mm[1][0], c12 + cos * mm[1][1]],
    ];
    let s = q[1].sin();
    let k = p.m2 * p.l1 * p.l2g;
    let c = [
        -k * s * (2.0 * qd[0] + qd[1]) * qd[1] + p.viscosity * qd[0],
        k * s * qd[0].powi(2) + p.viscosity * qd[1],
    ];
    let j = [
        [
            -p.l1 * q[0].sin() - p.l2 * (q[0] + q[1]).sin(),
            -p.l2 * (q[0] + q[1]).sin(),
        ],
        [
            p.l1 * q[0].cos() + p.l2 * (q[0] + q[1]).cos(),
            p.l2 * (q[0] + q[1]).cos(),
        ],
    ];
    let load = [
        j[0][0] * f[0] + j[1][0] * f[1],
        j[0][1] * f[0] + j[1][1] * f[1],
    ];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let inv = [
        [m[1][1] / det, -m[0][1] / det],
        [-m[1][0] / det, m[0][0] / det],
    ];
    let r = [tau[0] + load[0] - c[0], tau[1] + load[1] - c[1]];
    [
        inv[0][0] * r[0] + inv[0][1] * r[1],
        inv[1][0] * r[0] + inv[1][1] * r[1],
    ]
}

fn kinetic_energy(arm: &TwoDofArm, q: [f64; 2], qd: [f64; 2]) -> f64 {
    let m = arm.inertia_matrix(&q);
    0.5 * (qd[0] * (m[0][0] * qd[0] + m[0][1] * qd[1])
        + qd[1] * (m[1][0] * qd[0] + m[1][1] * qd[1]))
}

/// One classical Runge–Kutta step of the free arm (no torque, no load).
fn rk4_step(arm: &TwoDofArm, q: [f64; 2], qd: [f64; 2], dt: f64) -> ([f64; 2], [f64; 2]) {
    let deriv = |q: [f64; 2], qd: [f64; 2]| {
        let mut a = [0.0; 2];
        arm.acceleration(&q, &qd, &[0.0; 2], &[0.0; 2], &mut a);
        (qd, a)
    };
    let add = |x: [f64; 2], k: [f64; 2], h: f64| [x[0] + h * k[0], x[1] + h * k[1]];
    let (k1q, k1v) = deriv(q, qd);
    let (k2q, k2v) = deriv(add(q, k1q, dt / 2.0), add(qd, k1v, dt / 2.0));
    let (k3q, k3v) = deriv(add(q, k2q, dt / 2.0), add(qd, k2v, dt / 2.0));
    let (k4q, k4v) = deriv(add(q, k3q, dt), add(qd, k3v, dt));
    let comb = |x: [f64; 2], a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]| {
        [
            x[0] + dt / 6.0 * (a[0] + 2.0 * b[0] + 2.0 * c[0] + d[0]),
            x[1] + dt / 6.0 * (a[1] + 2.0 * b[1] + 2.0 * c[1] + d[1]),
        ]
    };
    (comb(q, k1q, k2q, k3q, k4q), comb(qd, k1v, k2v, k3v, k4v))
}

#[test]
fn free_arm_conserves_kinetic_energy() {
    for arm in arms() {
        let (mut q, mut qd) = ([0.4, 1.1], [3.0, -5.0]);
        let e0 = kinetic_energy(&arm, q, qd);
        for _ in 0..1000 {
            (q, qd) = rk4_step(&arm, q, qd, 1e-4);
        }
        let e1 = kinetic_energy(&arm, q, qd);
        assert!(close(e1, e0, 1e-6, 0.0), "E0 = {e0}, E1 = {e1}");
        // and the motion was not trivial
        assert!((q[1] - 1.1).abs() > 0.1);
    }
}

#[test]
fn viscosity_dissipates_energy() {
    let arm = TwoDofArm::new(TwoDofArmParams {
        viscosity: 0.5,
        ..TwoDofArmParams::default()
    })
    .unwrap();
    let (mut q, mut qd) = ([0.4, 1.1], [3.0, -5.0]);
    let mut e = kinetic_energy(&arm, q, qd);
    for _ in 0..10 {
        for _ in 0..100 {
            (q, qd) = rk4_step(&arm, q, qd, 1e-4);
        }
        let e1 = kinetic_energy(&arm, q, qd);
        assert!(e1 < e, "{e1} >= {e}");
        e = e1;
    }
}

#[test]
fn forearm_points_match_elbow_and_fingertip() {
    for arm in arms() {
        let (l1, l2) = (arm.params().l1, arm.params().l2);
        for q in [[0.0, 0.0], [0.3, 1.2], [-2.0, 2.5], [FRAC_PI_2, -0.7]] {
            let (mut p, mut j) = ([0.0; 2], [0.0; 4]);
            arm.point_kinematics(2, &[0.0, 0.0], &q, &mut p, &mut j);
            assert!(close(p[0], l1 * q[0].cos(), 1e-15, 1e-17));
            assert!(close(p[1], l1 * q[0].sin(), 1e-15, 1e-17));
            // the elbow point on the forearm moves like the end of the upper arm
            let (mut pu, mut ju) = ([0.0; 2], [0.0; 4]);
            arm.point_kinematics(1, &[l1, 0.0], &q, &mut pu, &mut ju);
            for i in 0..2 {
                assert!(close(p[i], pu[i], 1e-15, 1e-17));
            }
            for i in 0..4 {
                assert!(close(j[i], ju[i], 1e-15, 1e-17));
            }

            let (mut tip, mut vel) = ([0.0; 2], [0.0; 2]);
            arm.joint_to_cartesian(&q, &[0.7, -0.4], &mut tip, &mut vel);
            arm.point_kinematics(2, &[l2, 0.0], &q, &mut p, &mut j);
            let je = arm.endpoint_jacobian(&q);
            for i in 0..2 {
                assert!(close(p[i], tip[i], 1e-14, 1e-16), "{p:?} vs {tip:?}");
                for k in 0..2 {
                    assert!(close(j[i * 2 + k], je[i][k], 1e-14, 1e-16));
                }
            }
            let mut v = [0.0; 2];
            arm.point_velocity(2, &[l2, 0.0], &q, &[0.7, -0.4], &mut p, &mut j, &mut v);
            for i in 0..2 {
                assert!(close(v[i], vel[i], 1e-14, 1e-16));
            }
            // world points do not move
            arm.point_velocity(0, &[0.1, -0.2], &q, &[0.7, -0.4], &mut p, &mut j, &mut v);
            assert_eq!((p, j, v), ([0.1, -0.2], [0.0; 4], [0.0; 2]));
        }
    }
}

#[test]
fn upper_arm_point_rotates_with_shoulder_only() {
    let arm = TwoDofArm::default();
    let (mut p, mut j) = ([0.0; 2], [0.0; 4]);
    arm.point_kinematics(1, &[0.1, 0.02], &[FRAC_PI_2, 0.9], &mut p, &mut j);
    assert!(
        close(p[0], -0.02, 1e-14, 1e-17) && close(p[1], 0.1, 1e-14, 1e-17),
        "{p:?}"
    );
    assert!(j[1] == 0.0 && j[3] == 0.0);
    assert!(
        close(j[0], -0.1, 1e-14, 1e-17) && close(j[2], -0.02, 1e-14, 1e-17),
        "{j:?}"
    );
}

proptest! {
    #[test]
    fn zero_input_at_rest_gives_zero_acceleration(q0 in -4.0..4.0f64, q1 in -4.0..4.0f64) {
        for arm in arms() {
            let mut qdd = [1.0; 2];
            arm.acceleration(&[q0, q1], &[0.0; 2], &[0.0; 2], &[0.0; 2], &mut qdd);
            prop_assert_eq!(qdd, [0.0, 0.0]);
        }
        let pm = PointMass::default();
        let mut qdd = [1.0; 2];
        pm.acceleration(&[q0, q1], &[0.0; 2], &[0.0; 2], &[0.0; 2], &mut qdd);
        prop_assert_eq!(qdd, [0.0, 0.0]);
    }

    #[test]
    fn inertia_matrix_is_symmetric_positive_definite(q0 in -10.0..10.0f64, q1 in -10.0..10.0f64) {
        for arm in arms() {
            let m = arm.inertia_matrix(&[q0, q1]);
            prop_assert_eq!(m[0][1], m[1][0]);
            prop_assert!(m[0][0] > 0.0 && m[1][1] > 0.0);
            let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
            prop_assert!(det > 1e-6, "det = {}", det);
            // shoulder angle does not enter
            prop_assert_eq!(m, arm.inertia_matrix(&[0.0, q1]));
        }
    }

    #[test]
    fn acceleration_matches_motornet_formulas(
        q in prop::array::uniform2(-3.5..3.5f64),
        qd in prop::array::uniform2(-8.0..8.0f64),
        tau in prop::array::uniform2(-10.0..10.0f64),
        f in prop::array::uniform2(-20.0..20.0f64),
        visc in 0.0..2.0f64,
    ) {
        for base in [TwoDofArmParams::default(), TwoDofArmParams::arm26()] {
            let p = TwoDofArmParams { viscosity: visc, ..base };
            let arm = TwoDofArm::new(p).unwrap();
            let mut qdd = [0.0; 2];
            arm.acceleration(&q, &qd, &tau, &f, &mut qdd);
            let r = reference_acceleration(&p, q, qd, tau, f);
            let scale = r[0].abs().max(r[1].abs());
            for i in 0..2 {
                prop_assert!((qdd[i] - r[i]).abs() <= 1e-12 * scale + 1e-300, "{:?} vs {:?}", qdd, r);
            }
            // M qdd = tau + Jᵀ f − c
            let m = arm.inertia_matrix(&q);
            let c = arm.coriolis(&q, &qd);
            let j = arm.endpoint_jacobian(&q);
            for i in 0..2 {
                let lhs = m[i][0] * qdd[0] + m[i][1] * qdd[1];
                let rhs = tau[i] + j[0][i] * f[0] + j[1][i] * f[1] - c[i];
                prop_assert!((lhs - rhs).abs() <= 1e-12 * (1.0 + tau[i].abs() + rhs.abs() + scale));
            }
        }
    }
}
