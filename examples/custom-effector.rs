//! Build a custom effector from a spec: a 1 kg point mass in the plane pulled by three
//! rigid-tendon Hill muscles anchored 120° apart, each a straight path from a world anchor to
//! the mass.
//!
//! `cargo run --release --example custom-effector`
//!
//! What this shows:
//! - the spec format (`docs/spec-format.md`): skeleton, muscle model, per-muscle parameters,
//!   geometry, time stepping and joint bounds, in SI units; omitted muscle-model parameters take
//!   MotorNet's defaults for that model;
//! - validation: [`EffectorSpec::build`] rejects an inconsistent spec with an error that names
//!   the field and the muscle (here a path with a single point, and a misspelt field name);
//! - a spec written as TOML ([`EffectorSpec::to_toml`]) reads back
//!   ([`EffectorSpec::from_path`]) to the same spec;
//! - stepping one effector by hand, without `simulate`: [`Effector::zero_state`],
//!   [`Effector::workspace`] (scratch buffers, so that [`Effector::step`] allocates nothing),
//!   [`Effector::reset`], [`Effector::step`] and [`Effector::cartesian`].
//!
//! [`Effector::zero_state`]: motornet::effector::Effector::zero_state
//! [`Effector::workspace`]: motornet::effector::Effector::workspace
//! [`Effector::reset`]: motornet::effector::Effector::reset
//! [`Effector::step`]: motornet::effector::Effector::step
//! [`Effector::cartesian`]: motornet::effector::Effector::cartesian

use motornet::effector::{EffectorError, EffectorSpec};
use motornet::muscle::MuscleModel;

/// Three muscles of 20 N, anchored in the world (body 0) 0.5 m from the origin at 90°, 210° and
/// 330°, each attached to the mass (body 1) at its centre. With the mass at the origin each
/// musculotendon unit is 0.5 m long: a 0.2 m tendon and a 0.3 m fibre at its optimal length, so
/// there is no passive force. The mass may move 0.1 m along each axis (`pos_*_bound`, m), and
/// 5 N·s/m of damping slows it. Fields left out (`n_ministeps`, `integration_method`,
/// `tau_activation`, …) take their defaults.
const SPEC: &str = r#"{
  "skeleton": {"type": "PointMass", "space_dim": 2, "mass": 1.0},
  "muscle": {"type": "RigidTendonHillMuscle", "min_activation": 0.01},
  "muscles": [
    {"name": "north", "max_isometric_force": 20, "tendon_length": 0.2, "optimal_muscle_length": 0.3},
    {"name": "southwest", "max_isometric_force": 20, "tendon_length": 0.2, "optimal_muscle_length": 0.3},
    {"name": "southeast", "max_isometric_force": 20, "tendon_length": 0.2, "optimal_muscle_length": 0.3}
  ],
  "geometry": {"type": "paths", "paths": {
    "north":     {"fixation_body": [0, 1], "coordinates": [[0.0, 0.5], [0.0, 0.0]]},
    "southwest": {"fixation_body": [0, 1], "coordinates": [[-0.433, -0.25], [0.0, 0.0]]},
    "southeast": {"fixation_body": [0, 1], "coordinates": [[0.433, -0.25], [0.0, 0.0]]}
  }},
  "timestep": 0.01, "damping": 5.0,
  "pos_lower_bound": [-0.1, -0.1], "pos_upper_bound": [0.1, 0.1],
  "vel_lower_bound": [-1000, -1000], "vel_upper_bound": [1000, 1000]
}"#;

fn main() -> Result<(), EffectorError> {
    // 1. Parse and build. Parsing checks the shape of the document (types, unknown fields);
    //    `build` checks the values and that skeleton, muscles and geometry agree.
    let spec = EffectorSpec::from_json(SPEC)?;
    let effector = spec.build()?;
    println!(
        "built: {} ({} dof), {} {} muscles; defaults filled in: n_ministeps {}, integration_method {}, tau_activation {} s",
        spec.skeleton.kind,
        effector.dof(),
        effector.n_muscles(),
        effector.muscle().name(),
        spec.n_ministeps,
        spec.integration_method,
        effector.muscle().activation().tau_activation,
    );

    // 2. Two deliberately broken variants, and the errors they produce.
    let mut one_point = spec.clone();
    let path = one_point
        .geometry
        .paths
        .as_mut()
        .and_then(|p| p.get_mut("southwest"))
        .expect("the spec has a path for southwest");
    path.fixation_body.truncate(1);
    path.coordinates.truncate(1);
    match one_point.build() {
        Ok(_) => unreachable!("a one-point path must be rejected"),
        Err(e) => println!("broken variant (one-point path): error: {e}"),
    }
    let misspelt = SPEC.replacen("tendon_length", "tendon_lenght", 1);
    match EffectorSpec::from_json(&misspelt) {
        Ok(_) => unreachable!("unknown fields must be rejected"),
        Err(e) => println!("broken variant (misspelt field): error: {e}"),
    }

    // 3. Write the spec as TOML and read it back.
    let toml = spec.to_toml();
    let file = std::env::temp_dir().join(format!("motornet-custom-{}.toml", std::process::id()));
    std::fs::write(&file, &toml)
        .map_err(|e| EffectorError::Parse(format!("writing {}: {e}", file.display())))?;
    let back = EffectorSpec::from_path(&file)?;
    let _ = std::fs::remove_file(&file);
    assert_eq!(back, spec, "the TOML round trip changes nothing");
    println!(
        "TOML round trip through {}: identical spec ({} lines); it begins:",
        file.display(),
        toml.lines().count()
    );
    for line in toml.lines().take(4) {
        println!("    {line}");
    }

    // 4. Step the effector by hand for 60 steps (0.6 s), the north muscle excited more than the
    //    other two: the mass moves north until the shortening north fibre (less force) and the
    //    lengthening southern ones (more force) balance.
    let effector = back.build()?;
    let mut state = effector.zero_state::<f64>();
    let mut ws = effector.workspace::<f64>();
    effector.reset(&[0.0, 0.0, 0.0, 0.0], &mut state); // [x, y, vx, vy]
    let excitation = [0.4, 0.3, 0.3]; // clipped to [min_activation, 1] every step
    let (ns, force) = (
        effector.muscle().n_states(),
        effector.muscle().force_index(),
    );
    let mut cart = [0.0; 4]; // endpoint position (m), then velocity (m/s)
    println!("\n   t (s)   x (m)    y (m)   forces (N): north southwest southeast");
    for step in 1..=60 {
        effector.step(&mut state, &excitation, &[], &[], &mut ws);
        if step % 10 == 0 {
            effector.cartesian(&state, &mut cart);
            let f: Vec<String> = (0..effector.n_muscles())
                .map(|m| format!("{:7.2}", state.muscle[m * ns + force]))
                .collect();
            println!(
                "   {:.2}  {:+.4}  {:+.4}   {}",
                step as f64 * spec.timestep,
                cart[0],
                cart[1],
                f.join(" ")
            );
        }
    }
    assert!(
        cart[0].abs() < 1e-9 && cart[1] > 0.05,
        "the north muscle pulls the mass north"
    );
    Ok(())
}
