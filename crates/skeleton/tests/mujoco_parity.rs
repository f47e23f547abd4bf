//! Parity with MuJoCo 4.0.1: the three models of `../shared/mujoco`, built by hand as
//! `KinematicTree`s (tests/common), against what `mj_forward` computed for 16 states each
//! (mass matrix, bias and passive forces, site positions, and the forward dynamics through the
//! fixture's `qacc` and `qfrc_actuator`), with the fixture README's rule: per quantity and
//! component, the worst |got − expected| / (max |expected| over the states + 1e-9) ≤ 1e-6.

mod common;

use common::{fixture, floats, models, rule, Model};
use motornet_skeleton::{KinematicTree, Skeleton};
use serde_json::Value;

const TOL: f64 = 1e-6;

struct Case {
    q: Vec<f64>,
    qd: Vec<f64>,
    exp: Value,
}

fn cases(m: &Model) -> Vec<Case> {
    let fx = fixture(m.name);
    let names: Vec<&str> = m.tree.joint_names().collect();
    let fx_names: Vec<&str> = fx["joint_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, fx_names, "{}: joint order", m.name);
    let states = fx["states"].as_array().unwrap();
    let expected = fx["expected"].as_array().unwrap();
    assert_eq!(states.len(), 16);
    states
        .iter()
        .zip(expected)
        .map(|(s, e)| Case {
            q: floats(&s["qpos"]),
            qd: floats(&s["qvel"]),
            exp: e.clone(),
        })
        .collect()
}

fn check(model: &str, what: &str, got: &[Vec<f64>], expected: &[Vec<f64>]) -> f64 {
    let err = rule(got, expected);
    eprintln!("{model:>16} {what:<28} max rel err {err:.3e}");
    assert!(err <= TOL, "{model}: {what}: {err:e} > {TOL:e}");
    err
}

fn mass_matrix(t: &KinematicTree, q: &[f64]) -> Vec<f64> {
    let n = t.dof();
    let mut m = vec![0.0; n * n];
    t.mass_matrix(q, &mut m);
    m
}

#[test]
fn mass_matrix_matches_mujoco() {
    for m in models() {
        let cs = cases(&m);
        let got: Vec<_> = cs.iter().map(|c| mass_matrix(&m.tree, &c.q)).collect();
        let exp: Vec<Vec<f64>> = cs
            .iter()
            .map(|c| {
                c.exp["mass_matrix"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(floats)
                    .collect()
            })
            .collect();
        check(m.name, "mass_matrix", &got, &exp);
    }
}

#[test]
fn bias_and_passive_forces_match_mujoco() {
    for m in models() {
        let n = m.tree.dof();
        let cs = cases(&m);
        let mut bias = Vec::new();
        let mut passive = Vec::new();
        for c in &cs {
            let mut b = vec![0.0; n];
            m.tree.bias_forces(&c.q, &c.qd, &mut b);
            bias.push(b);
            let mut p = vec![0.0; n];
            m.tree.passive_forces(&c.qd, &mut p);
            passive.push(p);
        }
        let eb: Vec<_> = cs.iter().map(|c| floats(&c.exp["qfrc_bias"])).collect();
        let ep: Vec<_> = cs.iter().map(|c| floats(&c.exp["qfrc_passive"])).collect();
        check(m.name, "qfrc_bias", &bias, &eb);
        check(m.name, "qfrc_passive", &passive, &ep);
    }
}

#[test]
fn site_positions_match_mujoco() {
    for m in models() {
        let n = m.tree.dof();
        let cs = cases(&m);
        let site_names: Vec<&str> = cs[0].exp["site_xpos"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut listed: Vec<&str> = m.sites.iter().map(|s| s.0).collect();
        let mut in_fixture = site_names.clone();
        listed.sort_unstable();
        in_fixture.sort_unstable();
        assert_eq!(listed, in_fixture, "{}: every site is checked", m.name);
        let (mut got, mut exp) = (Vec::new(), Vec::new());
        for c in &cs {
            let (mut g, mut e) = (Vec::new(), Vec::new());
            for &(name, body, local) in &m.sites {
                let (mut pos, mut jac) = ([0.0; 3], vec![0.0; 3 * n]);
                m.tree
                    .point_kinematics(body, &local, &c.q, &mut pos, &mut jac);
                g.extend(pos);
                e.extend(floats(&c.exp["site_xpos"][name]));
            }
            got.push(g);
            exp.push(e);
        }
        check(m.name, "site_xpos", &got, &exp);
        // body_pose places every site as point_kinematics does: pos + rot · local
        for c in &cs {
            for &(name, body, local) in &m.sites {
                let (mut p, mut r) = ([0.0; 3], [0.0; 9]);
                m.tree.body_pose(body, &c.q, &mut p, &mut r);
                let e = floats(&c.exp["site_xpos"][name]);
                for i in 0..3 {
                    let x = p[i] + (0..3).map(|k| r[3 * i + k] * local[k]).sum::<f64>();
                    assert!(
                        (x - e[i]).abs() < 1e-12,
                        "{}: site {name}: {x} vs {}",
                        m.name,
                        e[i]
                    );
                }
            }
        }
    }
}

#[test]
fn forward_dynamics_reproduce_mujoco_qacc() {
    for m in models() {
        let n = m.tree.dof();
        let cs = cases(&m);
        let (mut residual, mut qacc, mut exp_qacc) = (Vec::new(), Vec::new(), Vec::new());
        let mut scales = vec![0.0f64; n];
        for c in &cs {
            let mm = mass_matrix(&m.tree, &c.q);
            let (mut b, mut p) = (vec![0.0; n], vec![0.0; n]);
            m.tree.bias_forces(&c.q, &c.qd, &mut b);
            m.tree.passive_forces(&c.qd, &mut p);
            let act = floats(&c.exp["qfrc_actuator"]);
            let a = floats(&c.exp["qacc"]);
            let r: Vec<f64> = (0..n)
                .map(|i| {
                    let ma: f64 = (0..n).map(|j| mm[i * n + j] * a[j]).sum();
                    ma - (act[i] + p[i] - b[i])
                })
                .collect();
            for i in 0..n {
                let ma: f64 = (0..n).map(|j| (mm[i * n + j] * a[j]).abs()).sum();
                scales[i] = scales[i].max(ma).max(act[i].abs()).max(b[i].abs());
            }
            residual.push(r);
            let mut qdd = vec![0.0; n];
            m.tree.acceleration(&c.q, &c.qd, &act, &[], &mut qdd);
            qacc.push(qdd);
            exp_qacc.push(a);
        }
        // M·qacc − (qfrc_actuator + passive − bias), relative to the forces' magnitude
        let worst = residual
            .iter()
            .flat_map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(i, v)| v.abs() / (scales[i] + 1e-9))
            })
            .fold(0.0, f64::max);
        eprintln!(
            "{:>16} {:<28} max rel err {worst:.3e}",
            m.name, "M·qacc − forces (residual)"
        );
        assert!(worst <= TOL, "{}: residual {worst:e}", m.name);
        check(m.name, "qacc (acceleration)", &qacc, &exp_qacc);
        // an endpoint load of zero is no load
        let c = &cs[3];
        let act = floats(&c.exp["qfrc_actuator"]);
        let (mut a0, mut a1) = (vec![0.0; n], vec![0.0; n]);
        m.tree.acceleration(&c.q, &c.qd, &act, &[], &mut a0);
        m.tree.acceleration(&c.q, &c.qd, &act, &[0.0; 3], &mut a1);
        assert_eq!(a0, a1);
    }
}
