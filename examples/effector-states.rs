//! What an effector's state holds, entry by entry and with units: after [`Effector::reset`] from
//! a given joint state, and after five [`Effector::step`]s of a fixed excitation.
//!
//! `cargo run --release --example effector-states`
//!
//! Two presets (MotorNet's, from [`presets::spec`]): `RigidTendonArm26`, the two-joint arm with
//! six rigid-tendon Hill muscles, and `ReluPointMass24`, a point mass in the plane pulled by four
//! ReLU muscles towards the corners of a square. For each, the four parts of the state of one
//! effector are printed as tables (see [`State`] and `ARCHITECTURE.md`):
//!
//! - **joint** `[q (dof), q̇ (dof)]`: joint angles (rad) and angular velocities (rad/s) for the
//!   arm; position (m) and velocity (m/s) along each axis for the point mass;
//! - **muscle** `[M][n_states]`, muscle-major: one row per state entry, named by
//!   [`MuscleModel::state_names`] (activation first, force last), one column per muscle;
//! - **geometry** `[2 + dof][M]`: musculotendon length (m), velocity (m/s), then one row of
//!   moment arms per joint, `d length / d q_j` (m per rad for the arm; m per m, i.e.
//!   dimensionless, for the point mass);
//! - **cartesian** (not stored: [`Effector::cartesian`] computes it from the joint state):
//!   fingertip (endpoint) position (m) and velocity (m/s).
//!
//! [`Effector::reset`]: motornet::effector::Effector::reset
//! [`Effector::step`]: motornet::effector::Effector::step
//! [`Effector::cartesian`]: motornet::effector::Effector::cartesian

use std::error::Error;

use motornet::effector::{presets, DynEffector, State};
use motornet::muscle::MuscleModel;
use motornet::skeleton::Skeleton;

/// Number of steps taken after the reset.
const N_STEPS: usize = 5;

fn main() -> Result<(), Box<dyn Error>> {
    use std::f64::consts::PI;
    // The arm: shoulder at 45°, elbow at 90° (rad), at rest (rad/s). Excitations (dimensionless,
    // in the preset's muscle order: pectoralis, deltoid, brachioradialis, tricepslat, biceps,
    // tricepslong): mostly the shoulder and elbow flexors.
    show(
        "RigidTendonArm26",
        &[PI / 4.0, PI / 2.0, 0.0, 0.0],
        &[0.5, 0.05, 0.3, 0.05, 0.6, 0.05],
    )?;
    // The point mass at (0.1, −0.2) m, at rest (m/s). Excitations (UpperRight, UpperLeft,
    // LowerRight, LowerLeft): pull up and to the right.
    show(
        "ReluPointMass24",
        &[0.1, -0.2, 0.0, 0.0],
        &[0.8, 0.2, 0.2, 0.0],
    )?;
    Ok(())
}

/// Build preset `name`, reset it to `joint` (`[q, q̇]`), print its state, step it `N_STEPS`
/// times with `excitation`, and print the state again.
fn show(name: &str, joint: &[f64], excitation: &[f64]) -> Result<(), Box<dyn Error>> {
    let effector = presets::spec(name, None)?.build()?;
    let opts = effector.options();
    println!("{}", "=".repeat(100));
    println!(
        "{name}: {} skeleton ({} dof, endpoint in {} dimensions), {} {} muscles, timestep {} s \
         ({} ministep(s), {}), damping {} {}",
        effector.skeleton().name(),
        effector.dof(),
        effector.space_dim(),
        effector.n_muscles(),
        effector.muscle().name(),
        opts.timestep,
        opts.n_ministeps,
        opts.integration.as_str(),
        opts.damping,
        if effector.skeleton().name() == "TwoDofArm" {
            "N·m·s/rad"
        } else {
            "N·s/m"
        },
    );
    // Reset: checks the joint state against the preset's sizes and bounds first (a bad one is
    // an error naming the joint), then computes the geometry and each muscle's initial state.
    effector.check_joint_state(joint, "initial joint state")?;
    if excitation.len() != effector.n_muscles() {
        return Err(format!(
            "{name} has {} muscles but {} excitations were given",
            effector.n_muscles(),
            excitation.len()
        )
        .into());
    }
    let mut state = effector.zero_state::<f64>();
    let mut ws = effector.workspace::<f64>();
    effector.reset(joint, &mut state);
    print_state(&effector, &state, "after reset, t = 0 s");

    for _ in 0..N_STEPS {
        // no endpoint load, no joint load
        effector.step(&mut state, excitation, &[], &[], &mut ws);
    }
    let names: Vec<String> = (0..effector.n_muscles())
        .map(|m| format!("{} {}", effector.muscle().muscle_name(m), excitation[m]))
        .collect();
    print_state(
        &effector,
        &state,
        &format!(
            "after {N_STEPS} steps, t = {:.3} s, of the excitation {}",
            N_STEPS as f64 * opts.timestep,
            names.join(", ")
        ),
    );
    // Two things to notice in the second set of tables.
    println!(
        "\nnotes: (1) the muscle state's length and velocity lag the geometry rows by one step: \
         the muscles are integrated\n       with the geometry at the start of each (mini)step, \
         which is then recomputed from the new joint state (as MotorNet does);\n       \
         (2) with a {} s step, explicit Euler overshoots the activation in the first step \
         (τ_act · (0.5 + 1.5 a) is\n       below the step at low activation), and it then \
         decays towards the excitation.",
        opts.timestep
    );
    Ok(())
}

/// `x`, with round-off residues (|x| < 1e-12) shown as 0, so that no "-0.00000" appears.
fn clean(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        0.0
    } else {
        x
    }
}

/// Unit of a muscle state entry, by its name.
fn muscle_unit(state_name: &str) -> &'static str {
    match state_name {
        "muscle length" => "m",
        "muscle velocity" => "m/s",
        "force" => "N",
        // activation, force–length and force–velocity factors, active force (in F_max)
        _ => "–",
    }
}

/// Print the joint, muscle, geometry and cartesian parts of `state`.
fn print_state(effector: &DynEffector, state: &State<f64>, when: &str) {
    let (dof, n_m) = (effector.dof(), effector.n_muscles());
    let model = effector.muscle();
    let ns = model.n_states();
    // Joint coordinates and their units: angles for the arm, positions for the point mass.
    let arm = effector.skeleton().name() == "TwoDofArm";
    let (joint_names, q_unit, qd_unit, arm_unit): (Vec<String>, _, _, _) = if arm {
        (vec!["shoulder".into(), "elbow".into()], "rad", "rad/s", "m")
    } else {
        (
            ["x", "y", "z"]
                .iter()
                .take(dof)
                .map(|s| s.to_string())
                .collect(),
            "m",
            "m/s",
            "m/m",
        )
    };
    const NAME_W: usize = 24;
    const UNIT_W: usize = 6;
    const COL_W: usize = 16;

    println!("\n--- state {when}");
    println!(
        "\njoint `[q, q̇]`\n  {:<NAME_W$}{:>COL_W$}{:>COL_W$}",
        "joint",
        format!("q ({q_unit})"),
        format!("q̇ ({qd_unit})")
    );
    for (j, jn) in joint_names.iter().enumerate() {
        let extra = if arm {
            format!("   ({:.1}°)", state.joint[j].to_degrees())
        } else {
            String::new()
        };
        println!(
            "  {jn:<NAME_W$}{:>COL_W$.5}{:>COL_W$.5}{extra}",
            clean(state.joint[j]),
            clean(state.joint[dof + j])
        );
    }

    // One column per muscle, the rows are the state entries.
    let header: String = (0..n_m)
        .map(|m| format!("{:>COL_W$}", model.muscle_name(m)))
        .collect();
    println!(
        "\nmuscle `[M][n_states]` ({}, {ns} states per muscle)\n  {:<NAME_W$}{:<UNIT_W$}{header}",
        model.name(),
        "state",
        "unit"
    );
    for (s, sn) in model.state_names().iter().enumerate() {
        let row: String = (0..n_m)
            .map(|m| format!("{:>COL_W$.5}", clean(state.muscle[m * ns + s])))
            .collect();
        println!("  {sn:<NAME_W$}{:<UNIT_W$}{row}", muscle_unit(sn));
    }

    // Geometry rows: lengths, velocities, then the moment arms about each joint.
    println!(
        "\ngeometry `[2 + dof][M]`\n  {:<NAME_W$}{:<UNIT_W$}{header}",
        "row", "unit"
    );
    for (r, rn) in effector.geometry_state_names().iter().enumerate() {
        let (label, unit) = match r {
            0 => (rn.clone(), "m"),
            1 => (rn.clone(), "m/s"),
            _ => (format!("moment arm, {}", joint_names[r - 2]), arm_unit),
        };
        let row: String = (0..n_m)
            .map(|m| format!("{:>COL_W$.5}", clean(state.geometry[r * n_m + m])))
            .collect();
        println!("  {label:<NAME_W$}{unit:<UNIT_W$}{row}");
    }

    // Fingertip: computed from the joint state, not stored.
    let d = effector.space_dim();
    let mut cart = vec![0.0; 2 * d];
    effector.cartesian(state, &mut cart);
    println!(
        "\ncartesian (fingertip)\n  {:<NAME_W$}{:>COL_W$}{:>COL_W$}",
        "axis", "position (m)", "velocity (m/s)"
    );
    for (k, axis) in ["x", "y", "z"].iter().take(d).enumerate() {
        println!(
            "  {axis:<NAME_W$}{:>COL_W$.5}{:>COL_W$.5}",
            clean(cart[k]),
            clean(cart[d + k])
        );
    }
}
