//! Print the isometric force–length curve (full activation) of each Hill-type muscle model in
//! `motornet-muscle`, for the arm26 biceps parameters: the kind of thing a user of only the
//! muscle crate does inside their own simulator.
//!
//! `cargo run --release --example force-length`

use motornet_muscle::{
    AnyMuscle, HillParams, MujocoHillMuscle, MujocoParams, MuscleError, MuscleModel,
    RigidTendonHillMuscle, RigidTendonHillMuscleThelen,
};

fn main() -> Result<(), MuscleError> {
    let (f_max, l0_se, l0_ce) = (414.0, 0.204, 0.137); // N, m, m
    let models: Vec<AnyMuscle> = vec![
        RigidTendonHillMuscle::new(
            RigidTendonHillMuscle::DEFAULT_ACTIVATION,
            vec![HillParams::new("biceps", f_max, l0_se, l0_ce, 1.4)],
        )?
        .into(),
        RigidTendonHillMuscleThelen::new(
            RigidTendonHillMuscleThelen::DEFAULT_ACTIVATION,
            vec![HillParams::new("biceps", f_max, l0_se, l0_ce, 1.0)],
        )?
        .into(),
        MujocoHillMuscle::new(
            MujocoHillMuscle::DEFAULT_ACTIVATION,
            1.0,
            vec![MujocoParams::new("biceps", f_max, l0_se, l0_ce)],
        )?
        .into(),
    ];
    println!(
        "fibre length (optimal lengths), then force (N) of: {}",
        names(&models)
    );
    for k in 0..=24 {
        let len_n = 0.4 + 0.05 * k as f64;
        let forces: Vec<String> = models
            .iter()
            .map(|m| format!("{:8.1}", isometric_force(m, l0_se + len_n * l0_ce, 1.0)))
            .collect();
        println!("{len_n:5.2} {}", forces.join(" "));
    }
    Ok(())
}

fn names(models: &[AnyMuscle]) -> String {
    models
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Force (N) of muscle 0 of `model` at musculotendon length `mt_len` (m), at rest, activation `a`.
fn isometric_force(model: &AnyMuscle, mt_len: f64, a: f64) -> f64 {
    let mut state = vec![0.0; model.n_states()];
    let mut start = vec![0.0; model.n_states()];
    start[0] = a;
    // zero derivative: the activation stays at `a`; the force follows from the geometry
    model.integrate(0, 0.01, &[0.0], &start, mt_len, 0.0, &mut state);
    state[model.force_index()]
}
