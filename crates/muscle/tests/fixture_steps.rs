//! One-step parity of every muscle model with MotorNet 0.3.0.
//!
//! The reference trajectories in `../shared/parity` record, at every step, the muscle state, the
//! geometry (musculotendon length and velocity) and the excitation. For the Euler fixtures the
//! muscle state at step t+1 is `integrate(dt, derivative(excitation_t, muscle_t), muscle_t,
//! geometry_t)`, which this test checks using nothing but this crate; the initial muscle state
//! is checked from the initial geometry. The whole-effector trajectories are checked by the
//! effector crate.

use motornet_muscle::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/parity")
        .join(name);
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    serde_json::from_str(&s).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn model_from(effector: &Value) -> AnyMuscle {
    let mus = &effector["muscle"];
    let act = ActivationDynamics::new(
        f(&mus["min_activation"]),
        f(&mus["tau_activation"]),
        f(&mus["tau_deactivation"]),
    )
    .unwrap();
    let list = effector["muscles"].as_array().unwrap();
    let get = |m: &Value, k: &str| f(&m[k]);
    let name = |m: &Value| m["name"].as_str().unwrap().to_string();
    match mus["type"].as_str().unwrap() {
        "ReluMuscle" => ReluMuscle::new(
            act,
            list.iter()
                .map(|m| ReluParams::new(name(m), get(m, "max_isometric_force")))
                .collect(),
        )
        .unwrap()
        .into(),
        "MujocoHillMuscle" => MujocoHillMuscle::new(
            act,
            f(&mus["passive_forces"]),
            list.iter()
                .map(|m| MujocoParams {
                    name: name(m),
                    max_isometric_force: get(m, "max_isometric_force"),
                    tendon_length: get(m, "tendon_length"),
                    optimal_muscle_length: get(m, "optimal_muscle_length"),
                    normalized_slack_muscle_length: get(m, "normalized_slack_muscle_length"),
                    lmin: get(m, "lmin"),
                    lmax: get(m, "lmax"),
                    vmax: get(m, "vmax"),
                    fvmax: get(m, "fvmax"),
                })
                .collect(),
        )
        .unwrap()
        .into(),
        t => {
            let hill: Vec<HillParams> = list
                .iter()
                .map(|m| {
                    HillParams::new(
                        name(m),
                        get(m, "max_isometric_force"),
                        get(m, "tendon_length"),
                        get(m, "optimal_muscle_length"),
                        get(m, "normalized_slack_muscle_length"),
                    )
                })
                .collect();
            match t {
                "RigidTendonHillMuscle" => RigidTendonHillMuscle::new(act, hill).unwrap().into(),
                "RigidTendonHillMuscleThelen" => {
                    RigidTendonHillMuscleThelen::new(act, hill).unwrap().into()
                }
                "CompliantTendonHillMuscle" => {
                    CompliantTendonHillMuscle::new(act, hill).unwrap().into()
                }
                other => panic!("unknown muscle type {other}"),
            }
        }
    }
}

/// Worst relative error per state component over all steps, as the parity README defines it.
fn check(name: &str, euler_steps: bool) {
    let fx = fixture(name);
    let eff = &fx["effector"];
    let model = model_from(eff);
    let dt = f(&eff["timestep"]) / f(&eff["n_ministeps"]);
    let exp = &fx["expected"];
    let muscle = exp["muscle"].as_array().unwrap();
    let geom = exp["geometry"].as_array().unwrap();
    let exc = fx["excitation"].as_array().unwrap();
    let names: Vec<&str> = exp["state_names"]["muscle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(names, model.state_names(), "{name}: state names");
    let ns = model.n_states();
    let nm = model.n_muscles();
    let act = *model.activation();
    let at = |t: usize, b: usize, s: usize, m: usize| f(&muscle[t][b][s][m]);
    let g = |t: usize, b: usize, s: usize, m: usize| f(&geom[t][b][s][m]);
    // scale per component: max |expected| over time, batch and muscles
    let mut scale = vec![0.0_f64; ns];
    for step in muscle {
        for b in step.as_array().unwrap() {
            for (s, row) in b.as_array().unwrap().iter().enumerate() {
                for v in row.as_array().unwrap() {
                    scale[s] = scale[s].max(f(v).abs());
                }
            }
        }
    }
    let batch = muscle[0].as_array().unwrap().len();
    let mut worst = (0.0, String::new());
    let mut note = |err: f64, what: String| {
        if err > worst.0 {
            worst = (err, what);
        }
    };
    let mut out = vec![0.0; ns];
    for b in 0..batch {
        for m in 0..nm {
            model.initial_state(m, g(0, b, 0, m), g(0, b, 1, m), dt, &mut out);
            for s in 0..ns {
                let e = (out[s] - at(0, b, s, m)).abs() / (scale[s] + 1e-9);
                note(
                    e,
                    format!("initial state, batch {b}, muscle {m}, state '{}'", names[s]),
                );
            }
        }
    }
    if euler_steps {
        let steps = exc.len();
        let mut state = vec![0.0; ns];
        let mut d = vec![0.0; model.n_derivatives()];
        for t in 0..steps {
            for b in 0..batch {
                for m in 0..nm {
                    for s in 0..ns {
                        state[s] = at(t, b, s, m);
                    }
                    let u = act.clip(f(&exc[t][b][m]));
                    model.derivative(m, u, &state, &mut d);
                    model.integrate(m, dt, &d, &state, g(t, b, 0, m), g(t, b, 1, m), &mut out);
                    for s in 0..ns {
                        let e = (out[s] - at(t + 1, b, s, m)).abs() / (scale[s] + 1e-9);
                        note(
                            e,
                            format!("step {t}, batch {b}, muscle {m}, state '{}'", names[s]),
                        );
                    }
                }
            }
        }
    }
    assert!(
        worst.0 <= 1e-6,
        "{name}: worst relative error {:e} at {}",
        worst.0,
        worst.1
    );
}

#[test]
fn relu_muscle_steps_match_motornet() {
    check("relu_pointmass24_euler.json", true);
}

#[test]
fn rigid_tendon_hill_muscle_steps_match_motornet() {
    check("arm26_RigidTendonHillMuscle_euler.json", true);
    check("custom_paths_arm_RigidTendonHillMuscle_euler.json", true);
    check("pointmass_x_RigidTendonHillMuscle_euler.json", true);
}

#[test]
fn thelen_muscle_steps_match_motornet() {
    check("arm26_RigidTendonHillMuscleThelen_euler.json", true);
}

#[test]
fn mujoco_muscle_steps_match_motornet() {
    check("arm26_MujocoHillMuscle_euler.json", true);
}

#[test]
fn compliant_tendon_initial_state_matches_motornet() {
    // RK4 fixture: only the initial state is a single muscle step; the trajectory is checked by
    // the effector crate.
    check("arm26_CompliantTendonHillMuscle_rk4.json", false);
}
