//! Simulate MotorNet's `RigidTendonArm26` preset open-loop: a one-second, reach-like
//! (agonist–antagonist) excitation pattern applied to a batch of four arms that start in different
//! postures.
//!
//! `cargo run --release --example simulate-preset`
//!
//! What this shows:
//! - a preset is an [`EffectorSpec`](motornet::effector::EffectorSpec) with every default written
//!   out ([`presets::spec`]); [`EffectorSpec::build`](motornet::effector::EffectorSpec::build)
//!   validates it and returns a run-time-typed effector;
//! - an open-loop simulation is a [`Scenario`]: initial joint states `[B][2·dof]` (positions
//!   in rad, then velocities in rad/s) and excitations `[T][B][M]`, one row per step of
//!   `timestep` seconds (0.01 s for this preset, so 100 steps are one second);
//! - [`simulate()`] runs the batch in parallel (here in `f64`) and returns a
//!   [`Trajectory`](motornet::effector::Trajectory) whose index 0 is the state after reset:
//!   `fingertip[t][b]` is the endpoint position (m) and `muscle[t][b][state][m]` the muscle
//!   states, named by `state_names.muscle` (the last one is the force, in N);
//! - the same open-loop command moves arms that start in different postures quite differently
//!   (moment arms, muscle lengths and inertia all depend on the posture), which is why reaching
//!   needs a controller that sees the state.
//!
//! The same simulation from the command line needs a scenario file:
//! `motornet simulate scenario.json -o trajectories.json` (see `docs/cli.md`).

use motornet::effector::{presets, simulate, EffectorError, Scenario};

/// Steps in one second at the preset's 10 ms timestep.
const STEPS: usize = 100;

fn main() -> Result<(), EffectorError> {
    let spec = presets::spec("RigidTendonArm26", None)?;
    let effector = spec.build()?;
    let names: Vec<&str> = spec.muscles.iter().map(|m| m.name.as_str()).collect();
    println!(
        "{}: {} joints, {} muscles ({}), timestep {} s, {}",
        spec.preset.as_deref().unwrap_or("custom"),
        effector.dof(),
        effector.n_muscles(),
        names.join(", "),
        spec.timestep,
        spec.muscle.kind,
    );

    // Four starting postures [shoulder, elbow] (rad), at rest. They must lie within the
    // preset's joint bounds (shoulder 0 … 135°, elbow 0 … 155°), or `simulate` says which one
    // does not.
    let postures = [[0.8, 1.2], [0.5, 1.7], [1.1, 0.9], [0.3, 2.0]];
    let initial_joint_state: Vec<Vec<f64>> = postures
        .iter()
        .map(|&[shoulder, elbow]| vec![shoulder, elbow, 0.0, 0.0])
        .collect();

    // The same excitation for every batch element: [T][B][M].
    let excitation: Vec<Vec<Vec<f64>>> = (0..STEPS)
        .map(|t| vec![reach_pattern(t as f64 * spec.timestep).to_vec(); postures.len()])
        .collect();

    let scenario = Scenario {
        name: Some("triphasic reach".into()),
        effector: spec.clone(),
        initial_joint_state,
        excitation,
        endpoint_load: None,
        joint_load: None,
    };
    let traj = simulate::<f64, _, _, _>(&effector, &scenario)?;

    println!("\nfingertip (m), start -> end after {STEPS} steps; joint angles (rad) likewise");
    for b in 0..postures.len() {
        let (start, end) = (&traj.fingertip[0][b], &traj.fingertip[STEPS][b]);
        let (q0, q1) = (&traj.joint[0][b], &traj.joint[STEPS][b]);
        println!(
            "  arm {b}: ({:+.3}, {:+.3}) -> ({:+.3}, {:+.3}), moved {:.3} m;  q [{:.2}, {:.2}] -> [{:.2}, {:.2}]",
            start[0],
            start[1],
            end[0],
            end[1],
            (end[0] - start[0]).hypot(end[1] - start[1]),
            q0[0],
            q0[1],
            q1[0],
            q1[1],
        );
    }

    // The force is the last muscle state.
    let force = traj.state_names.muscle.len() - 1;
    assert_eq!(traj.state_names.muscle[force], "force");
    println!("\npeak muscle force over time and batch (N)");
    for (m, name) in names.iter().enumerate() {
        let (mut peak, mut when) = (0.0_f64, 0);
        for (t, step) in traj.muscle.iter().enumerate() {
            for element in step {
                if element[force][m] > peak {
                    (peak, when) = (element[force][m], t);
                }
            }
        }
        println!(
            "  {name:<16} {peak:8.1}  (at t = {:.2} s, F_max {:.0})",
            when as f64 * spec.timestep,
            spec.muscles[m].max_isometric_force,
        );
    }
    Ok(())
}

/// A reach-like, biphasic pattern at time `t` (s), in the preset's muscle order (pectoralis,
/// deltoid, brachioradialis, tricepslat, biceps, tricepslong): an agonist burst led by the
/// shoulder flexor (pectoralis) accelerates the hand forward, an antagonist burst led by the
/// shoulder extensor (deltoid) brakes it, and the muscles then relax. Excitations are
/// dimensionless and are clipped to `[min_activation, 1]` by the effector.
fn reach_pattern(t: f64) -> [f64; 6] {
    const REST: [f64; 6] = [0.0; 6];
    const AGONIST: [f64; 6] = [0.3, 0.0, 0.1, 0.0, 0.05, 0.0];
    const ANTAGONIST: [f64; 6] = [0.0, 0.2, 0.0, 0.1, 0.0, 0.05];
    match t {
        t if t < 0.05 => REST,
        t if t < 0.15 => AGONIST,
        t if t < 0.25 => ANTAGONIST,
        // Open loop, nothing holds the new posture: the arm keeps drifting slowly under the
        // passive muscle forces (holding it is what a trained policy would learn).
        _ => REST,
    }
}
