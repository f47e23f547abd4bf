//! Parity with MuJoCo 4.0.1 on a branching tree that the shared fixtures do not cover:
//! `tests/data/tree_branches.xml` (rotated bodies, hinges about anchors off the body origin,
//! slides and hinges on one body, a body without joints, two branches, damping, armature,
//! oblique gravity), built by hand here; `tests/data/tree_branches.json`
//! (`gen_tree_branches.py`) holds what `mj_forward` computed for 16 random states. Compared
//! with the shared fixtures' rule (≤ 1e-6): mass matrix, bias and passive forces, body frames
//! (`xpos`, `xmat`), site positions, and the forward dynamics under the states' random
//! generalized forces (`qfrc_applied`).

mod common;

use common::{floats, rule};
use motornet_skeleton::{
    GeomMass, GeomShape, Inertial, KinematicTree, Skeleton, TreeBody, TreeJoint,
};
use serde_json::Value;

const ID: [f64; 4] = [1.0, 0.0, 0.0, 0.0];

/// tree_branches.xml, by hand.
fn tree_branches() -> (KinematicTree, Vec<common::Site>) {
    let base = TreeBody::new("base", 0, [0.1, 0.2, 0.3])
        .with_quat([0.9, 0.1, 0.3, -0.2])
        .with_joint(
            TreeJoint::slide("b_slide", [1.0, 1.0, 0.0])
                .with_damping(0.5)
                .with_armature(0.1),
        )
        .with_joint(
            TreeJoint::hinge("b_hinge", [0.0, 0.3, 1.0])
                .with_pos([0.05, 0.0, 0.02])
                .with_damping(0.2),
        )
        .with_inertial(Inertial::from_geoms(&[GeomMass::new(
            GeomShape::Box {
                half_sizes: [0.1, 0.05, 0.03],
            },
            [0.02, 0.0, 0.0],
            [0.8, 0.2, 0.0, 0.1],
        )
        .with_mass(1.5)]));
    let left = TreeBody::new("left", 1, [0.1, 0.05, 0.0])
        .with_quat([0.7, 0.0, 0.7, 0.0])
        .with_joint(TreeJoint::hinge("l_hinge1", [1.0, 0.0, 0.0]).with_pos([0.0, 0.0, 0.03]))
        .with_joint(TreeJoint::hinge("l_hinge2", [0.0, 1.0, 0.2]).with_pos([0.01, -0.02, 0.0]))
        .with_inertial(Inertial::from_geoms(&[GeomMass::from_fromto(
            [0.0; 3],
            [0.2, 0.05, 0.0],
            0.02,
            true,
        )
        .unwrap()
        .with_mass(0.4)]));
    let left_tip = TreeBody::new("left_tip", 2, [0.2, 0.05, 0.0])
        .with_joint(TreeJoint::slide("lt_slide", [0.0, 0.0, 1.0]).with_armature(0.02))
        .with_inertial(Inertial::from_geoms(&[GeomMass::new(
            GeomShape::Ellipsoid {
                radii: [0.03, 0.02, 0.01],
            },
            [0.0; 3],
            ID,
        )
        .with_mass(0.2)]));
    let right = TreeBody::new("right", 1, [-0.1, 0.0, 0.05])
        .with_quat([0.5, 0.5, -0.5, 0.5])
        .with_joint(
            TreeJoint::hinge("r_hinge", [0.0, 0.0, 1.0])
                .with_pos([0.0, 0.02, 0.0])
                .with_armature(0.005)
                .with_damping(0.1),
        )
        .with_inertial(Inertial::from_geoms(&[
            GeomMass::new(
                GeomShape::Cylinder {
                    radius: 0.02,
                    half_length: 0.08,
                },
                [0.0, 0.0, 0.08],
                ID,
            )
            .with_mass(0.3),
            GeomMass::new(GeomShape::Sphere { radius: 0.03 }, [0.0, 0.0, 0.16], ID)
                .with_density(2000.0),
        ]));
    let fixed = TreeBody::new("fixed", 4, [0.0, 0.05, 0.1])
        .with_quat([0.6, 0.0, 0.0, 0.8])
        .with_inertial(Inertial::from_geoms(&[GeomMass::new(
            GeomShape::Sphere { radius: 0.02 },
            [0.01, 0.0, 0.0],
            ID,
        )
        .with_mass(0.1)]));
    let tree = KinematicTree::new(
        vec![base, left, left_tip, right, fixed],
        [0.5, -2.0, -9.81],
        (3, [0.01, 0.02, -0.03]),
    )
    .unwrap();
    let sites = vec![
        ("w", 0, [0.1, 0.0, 0.0]),
        ("s_base", 1, [0.03, -0.02, 0.01]),
        ("s_left", 2, [0.1, 0.03, 0.01]),
        ("s_left_tip", 3, [0.01, 0.02, -0.03]),
        ("s_right", 4, [0.02, 0.0, 0.16]),
        ("s_fixed", 5, [0.03, 0.01, 0.0]),
    ];
    (tree, sites)
}

fn check(what: &str, got: &[Vec<f64>], expected: &[Vec<f64>]) {
    let err = rule(got, expected);
    eprintln!("   tree_branches {what:<20} max rel err {err:.3e}");
    assert!(err <= 1e-6, "{what}: {err:e}");
}

#[test]
fn branching_tree_matches_mujoco() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tree_branches.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (tree, sites) = tree_branches();
    let n = tree.dof();
    let names: Vec<&str> = tree.joint_names().collect();
    assert_eq!(names, floats_str(&fx["joint_names"]));
    let bodies: Vec<&str> = tree.bodies().iter().map(|b| b.name.as_str()).collect();
    assert_eq!(bodies, floats_str(&fx["body_names"])[1..]);
    let mut got: [Vec<Vec<f64>>; 7] = Default::default();
    let mut exp: [Vec<Vec<f64>>; 7] = Default::default();
    let states = fx["states"].as_array().unwrap();
    assert_eq!(states.len(), 16);
    for (s, e) in states.iter().zip(fx["expected"].as_array().unwrap()) {
        let (q, qd, tau) = (
            floats(&s["qpos"]),
            floats(&s["qvel"]),
            floats(&s["qfrc_applied"]),
        );
        let mut m = vec![0.0; n * n];
        tree.mass_matrix(&q, &mut m);
        let (mut b, mut p, mut a) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        tree.bias_forces(&q, &qd, &mut b);
        tree.passive_forces(&qd, &mut p);
        tree.acceleration(&q, &qd, &tau, &[], &mut a);
        let (mut xpos, mut xmat) = (Vec::new(), Vec::new());
        for body in 0..=tree.n_bodies() {
            let (mut pos, mut rot) = ([0.0; 3], [0.0; 9]);
            tree.body_pose(body, &q, &mut pos, &mut rot);
            xpos.extend(pos);
            xmat.extend(rot);
        }
        let (mut sx, mut esx) = (Vec::new(), Vec::new());
        for &(name, body, local) in &sites {
            let (mut pos, mut jac) = ([0.0; 3], vec![0.0; 3 * n]);
            tree.point_kinematics(body, &local, &q, &mut pos, &mut jac);
            sx.extend(pos);
            esx.extend(floats(&e["site_xpos"][name]));
        }
        for (k, (g, key)) in [
            (m, "mass_matrix"),
            (b, "qfrc_bias"),
            (p, "qfrc_passive"),
            (a, "qacc"),
            (xpos, "xpos"),
            (xmat, "xmat"),
        ]
        .into_iter()
        .enumerate()
        {
            got[k].push(g);
            exp[k].push(flat(&e[key]));
        }
        got[6].push(sx);
        exp[6].push(esx);
    }
    for (k, what) in [
        "mass_matrix",
        "qfrc_bias",
        "qfrc_passive",
        "qacc (acceleration)",
        "xpos (body_pose)",
        "xmat (body_pose)",
        "site_xpos",
    ]
    .iter()
    .enumerate()
    {
        check(what, &got[k], &exp[k]);
    }
}

fn floats_str(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

/// A number array of any depth, flattened.
fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        x => vec![x.as_f64().unwrap()],
    }
}
