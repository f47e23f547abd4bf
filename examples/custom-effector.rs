//! Build custom effectors, from a spec and in code.
//!
//! `cargo run --release --example custom-effector`
//!
//! Part 1: a 1 kg point mass in the plane pulled by three rigid-tendon Hill muscles anchored
//! 120° apart, each a straight path from a world anchor to the mass, built from a JSON spec.
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
//! Part 2: a custom two-joint arm ([`TwoDofArm`]: shoulder and elbow, angles in rad) with five
//! muscles on paths through points fixed on the world, the upper arm and the forearm — a
//! shoulder flexor and extensor, an elbow flexor and extensor, and a biarticular "biceps" —
//! built twice:
//! - in code, with [`Effector::new`]`(skeleton, muscle, geometry, options)` from a
//!   [`TwoDofArm`], a [`RigidTendonHillMuscle`], [`MusclePaths`] of [`PathPoint`]s and
//!   [`EffectorOptions`];
//! - from a TOML spec describing the same arm ([`EffectorSpec::from_toml`]).
//!
//! It checks that both are the same effector (equal parts, and equal musculotendon lengths and
//! moment arms everywhere), prints the muscles, and prints each muscle's moment arms (m,
//! `d length / d q`: negative where the muscle's shortening increases the joint angle, i.e.
//! flexes) about both joints on a 5 × 5 grid of joint angles spanning the joint bounds.
//!
//! [`Effector::new`]: motornet::effector::Effector::new
//! [`Effector::zero_state`]: motornet::effector::Effector::zero_state
//! [`Effector::workspace`]: motornet::effector::Effector::workspace
//! [`Effector::reset`]: motornet::effector::Effector::reset
//! [`Effector::step`]: motornet::effector::Effector::step
//! [`Effector::cartesian`]: motornet::effector::Effector::cartesian

use motornet::effector::{
    Effector, EffectorError, EffectorOptions, EffectorSpec, Geometry, Integration, MusclePaths,
    PathPoint, PathSpec,
};
use motornet::muscle::{HillParams, MuscleModel, RigidTendonHillMuscle};
use motornet::skeleton::{JointBounds, Skeleton, TwoDofArm, TwoDofArmParams};
use std::collections::BTreeMap;

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
    println!("== Part 1: a point mass with three muscles, from a JSON spec\n");
    point_mass_from_spec()?;
    println!("\n== Part 2: a custom two-joint arm with muscle paths, in code and from a spec\n");
    custom_arm()
}

/// Part 1: build, validate, round-trip and step the point mass of `SPEC`.
fn point_mass_from_spec() -> Result<(), EffectorError> {
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
    let mut paths: BTreeMap<String, PathSpec> = one_point.geometry.field("paths")?;
    let path = paths
        .get_mut("southwest")
        .expect("the spec has a path for southwest");
    path.fixation_body.truncate(1);
    path.coordinates.truncate(1);
    one_point.geometry.set_field("paths", &paths);
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

// ---------------------------------------------------------------------------------------------
// Part 2: a custom two-joint arm with muscle paths, in code and from a spec.

/// Upper-arm and forearm lengths of the custom arm (m). Its other parameters (masses, centres of
/// mass, inertias, viscosity) are MotorNet's `TwoDofArm` defaults.
const ARM_L1: f64 = 0.30;
const ARM_L2: f64 = 0.35;

/// One muscle of the custom arm: its Hill parameters and its path.
struct ArmMuscle {
    name: &'static str,
    /// Maximal isometric force (N).
    f_max: f64,
    /// Tendon slack length (m).
    tendon: f64,
    /// Optimal fibre length (m).
    optimal: f64,
    /// Path points: the body each is fixed on (0 world, 1 upper arm, 2 forearm) and its
    /// coordinates (m) in that body's frame. The world frame has its origin at the shoulder; the
    /// upper arm's frame too, with x along the bone (the elbow is at x = `ARM_L1`); the
    /// forearm's frame has its origin at the elbow, x along the bone.
    path: &'static [(usize, [f64; 2])],
}

/// The arm's muscles. The anchors of the shoulder muscles lie 0.15 m from the shoulder, 20°
/// off the line of the upper arm at the ends of the shoulder's range, so that each keeps its
/// role (flexor: moment arm < 0; extensor: > 0) over the whole range; the elbow muscles likewise
/// about the elbow. The biarticular "biceps" runs from a world anchor near the shoulder through a
/// via point on the upper arm to the forearm and flexes both joints. Each tendon and fibre
/// length is chosen so that the fibre stays within about 0.5–1.5 optimal lengths.
const ARM_MUSCLES: [ArmMuscle; 5] = [
    ArmMuscle {
        name: "shoulder_flexor",
        f_max: 800.0,
        tendon: 0.06,
        optimal: 0.09,
        path: &[(0, [-0.141, 0.051]), (1, [0.04, 0.0])],
    },
    ArmMuscle {
        name: "shoulder_extensor",
        f_max: 800.0,
        tendon: 0.06,
        optimal: 0.09,
        path: &[(0, [0.141, -0.051]), (1, [0.04, 0.0])],
    },
    ArmMuscle {
        name: "elbow_flexor",
        f_max: 600.0,
        tendon: 0.06,
        optimal: 0.09,
        path: &[(1, [0.152, 0.026]), (2, [0.04, 0.0])],
    },
    ArmMuscle {
        name: "elbow_extensor",
        f_max: 600.0,
        tendon: 0.07,
        optimal: 0.08,
        path: &[(1, [0.152, -0.026]), (2, [-0.025, -0.01])],
    },
    ArmMuscle {
        name: "biceps",
        f_max: 400.0,
        tendon: 0.155,
        optimal: 0.15,
        path: &[(0, [-0.039, 0.007]), (1, [0.152, 0.026]), (2, [0.04, 0.0])],
    },
];

/// The same arm as a spec (TOML; JSON works the same way, see part 1). Fields left out take
/// their defaults: the arm's masses and inertias (MotorNet's `TwoDofArm`), the muscle model's
/// activation dynamics and `normalized_slack_muscle_length` (MotorNet's for
/// `RigidTendonHillMuscle`), `n_ministeps` (1) and `integration_method` ("euler").
const ARM_SPEC: &str = r#"
timestep = 0.01                                      # s
damping = 0.0                                        # N·m·s/rad
pos_lower_bound = [0.0, 0.0]                         # rad
pos_upper_bound = [2.443460952792061, 2.792526803190927]  # 140° and 160° in rad
vel_lower_bound = [-1000.0, -1000.0]                 # rad/s
vel_upper_bound = [1000.0, 1000.0]

[skeleton]
type = "TwoDofArm"
l1 = 0.30   # m
l2 = 0.35   # m

[muscle]
type = "RigidTendonHillMuscle"

[[muscles]]
name = "shoulder_flexor"
max_isometric_force = 800.0   # N
tendon_length = 0.06          # m
optimal_muscle_length = 0.09  # m

[[muscles]]
name = "shoulder_extensor"
max_isometric_force = 800.0
tendon_length = 0.06
optimal_muscle_length = 0.09

[[muscles]]
name = "elbow_flexor"
max_isometric_force = 600.0
tendon_length = 0.06
optimal_muscle_length = 0.09

[[muscles]]
name = "elbow_extensor"
max_isometric_force = 600.0
tendon_length = 0.07
optimal_muscle_length = 0.08

[[muscles]]
name = "biceps"
max_isometric_force = 400.0
tendon_length = 0.155
optimal_muscle_length = 0.15

# one path per muscle: the body of each point (0 world, 1 upper arm, 2 forearm) and its
# coordinates in that body's frame (m)
[geometry]
type = "paths"

[geometry.paths.shoulder_flexor]
fixation_body = [0, 1]
coordinates = [[-0.141, 0.051], [0.04, 0.0]]

[geometry.paths.shoulder_extensor]
fixation_body = [0, 1]
coordinates = [[0.141, -0.051], [0.04, 0.0]]

[geometry.paths.elbow_flexor]
fixation_body = [1, 2]
coordinates = [[0.152, 0.026], [0.04, 0.0]]

[geometry.paths.elbow_extensor]
fixation_body = [1, 2]
coordinates = [[0.152, -0.026], [-0.025, -0.01]]

[geometry.paths.biceps]
fixation_body = [0, 1, 2]
coordinates = [[-0.039, 0.007], [0.152, 0.026], [0.04, 0.0]]
"#;

/// `x`, with round-off residues (|x| < 1e-12) shown as 0, so that no "-0.0000" appears.
fn clean(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        0.0
    } else {
        x
    }
}

/// Joint angles of the grid (rad): `n` evenly spaced from the lower to the upper bound.
fn joint_grid(bounds: &JointBounds, joint: usize, n: usize) -> Vec<f64> {
    let (lo, hi) = (bounds.pos_lower[joint], bounds.pos_upper[joint]);
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

/// Musculotendon lengths (m) and moment arms (m; `[dof][M]`) of `effector` at joint angles `q`
/// (rad), at rest: the geometry rows of the state after a reset.
fn geometry_at<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    q: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut joint = vec![0.0; 2 * q.len()]; // [q (rad), q̇ = 0 (rad/s)]
    joint[..q.len()].copy_from_slice(q);
    let mut state = effector.zero_state::<f64>();
    effector.reset(&joint, &mut state);
    let n_m = effector.n_muscles();
    // geometry layout `[2 + dof][M]`: lengths, velocities, then one row of moment arms per joint
    (
        state.geometry[..n_m].to_vec(),
        state.geometry[2 * n_m..].to_vec(),
    )
}

fn custom_arm() -> Result<(), EffectorError> {
    // 5. In code. The skeleton: MotorNet's `TwoDofArm` with longer segments.
    let arm = TwoDofArm::new(TwoDofArmParams {
        l1: ARM_L1,
        l2: ARM_L2,
        ..TwoDofArmParams::default()
    })?;
    // The muscles: one model for all, parameters per muscle.
    let muscle = RigidTendonHillMuscle::new(
        RigidTendonHillMuscle::DEFAULT_ACTIVATION,
        ARM_MUSCLES
            .iter()
            .map(|m| {
                HillParams::new(
                    m.name,
                    m.f_max,
                    m.tendon,
                    m.optimal,
                    RigidTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
                )
            })
            .collect(),
    )?;
    // The geometry: one path per muscle, in the muscles' order.
    let paths = MusclePaths::new(
        ARM_MUSCLES
            .iter()
            .map(|m| {
                m.path
                    .iter()
                    .map(|&(body, c)| PathPoint {
                        body,
                        coordinates: c.to_vec(),
                    })
                    .collect()
            })
            .collect(),
    )?;
    // Time stepping and joint limits: MotorNet's `TwoDofArm` bounds, shoulder in [0, 140°] and
    // elbow in [0, 160°] (rad), velocities within ±1000 rad/s.
    let (lower, upper) = TwoDofArm::default_position_bounds();
    let options = EffectorOptions {
        timestep: 0.01, // s
        n_ministeps: 1,
        integration: Integration::Euler,
        damping: 0.0,
        bounds: JointBounds::new(
            2,
            lower.to_vec(),
            upper.to_vec(),
            vec![-1000.0; 2],
            vec![1000.0; 2],
        )?,
    };
    // `Effector::new` checks that the parts agree: as many paths as muscles, every path point
    // on an existing body with 2 coordinates, bounds for 2 joints.
    let in_code = Effector::new(arm, muscle, paths, options)?;

    // 6. The same arm from the spec.
    let from_spec = EffectorSpec::from_toml(ARM_SPEC)?.build()?;
    // The parts are equal, field by field …
    let same_parts = *from_spec.skeleton() == in_code.skeleton().clone().into()
        && *from_spec.muscle() == in_code.muscle().clone().into()
        && *from_spec.geometry()
            == motornet::effector::AnyGeometry::Paths(in_code.geometry().clone())
        && from_spec.options() == in_code.options();
    println!(
        "built in code: {} with {} {} muscles on paths; from the TOML spec: {} parts",
        in_code.skeleton().name(),
        in_code.n_muscles(),
        in_code.muscle().name(),
        if same_parts { "the same" } else { "DIFFERENT" }
    );
    if !same_parts {
        return Err(EffectorError::Parse(
            "the spec does not describe the arm built in code".into(),
        ));
    }

    // 7. Lengths and moment arms over a 5 × 5 grid of joint angles spanning the bounds, from
    //    both effectors (… and so, of course, is what they compute).
    let bounds = &in_code.options().bounds;
    let (shoulder, elbow) = (joint_grid(bounds, 0, 5), joint_grid(bounds, 1, 5));
    let n_m = in_code.n_muscles();
    let mut lengths = vec![Vec::new(); n_m]; // m, per muscle over the grid
    let mut arms = vec![vec![[0.0; 2]; 25]; n_m]; // m, [muscle][grid point][joint]
    let mut max_diff = 0.0_f64;
    for (i, &q0) in shoulder.iter().enumerate() {
        for (j, &q1) in elbow.iter().enumerate() {
            let (len, moment) = geometry_at(&in_code, &[q0, q1]);
            let (len_s, moment_s) = geometry_at(&from_spec, &[q0, q1]);
            for (a, b) in len.iter().chain(&moment).zip(len_s.iter().chain(&moment_s)) {
                max_diff = max_diff.max((a - b).abs());
            }
            for m in 0..n_m {
                lengths[m].push(len[m]);
                arms[m][i * 5 + j] = [moment[m], moment[n_m + m]];
            }
        }
    }
    println!(
        "largest difference in musculotendon length or moment arm between the two over the \
         grid: {max_diff:.1e} m"
    );
    if max_diff > 1e-12 {
        return Err(EffectorError::Parse(format!(
            "the spec's arm computes different moment arms (by up to {max_diff} m)"
        )));
    }

    // The muscles.
    let body = ["world", "upper arm", "forearm"];
    println!(
        "\n{:<18}{:>9}{:>11}{:>11}   {:<22}{:<16}path: body (x, y) m",
        "muscle", "F_max N", "tendon m", "fibre l0 m", "musculotendon m", "fibre / l0"
    );
    for (m, def) in ARM_MUSCLES.iter().enumerate() {
        let lo = lengths[m].iter().copied().fold(f64::INFINITY, f64::min);
        let hi = lengths[m].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let path: Vec<String> = def
            .path
            .iter()
            .map(|(b, c)| format!("{} ({:+.3}, {:+.3})", body[*b], c[0], c[1]))
            .collect();
        println!(
            "{:<18}{:>9.0}{:>11.3}{:>11.3}   {:<22}{:<16}{}",
            in_code.muscle().muscle_name(m),
            in_code.muscle().max_isometric_force(m),
            def.tendon,
            def.optimal,
            format!("{lo:.3} … {hi:.3}"),
            format!(
                "{:.2} … {:.2}",
                (lo - def.tendon) / def.optimal,
                (hi - def.tendon) / def.optimal
            ),
            path.join(" → ")
        );
    }

    // Moment arms: one table per muscle, shoulder angles down, elbow angles across.
    println!(
        "\nmoment arms (m) about the shoulder / the elbow, d length / d q (< 0: the muscle \
         flexes that joint)"
    );
    let header: String = elbow
        .iter()
        .map(|q1| format!("{:>19}", format!("elbow {:.0}°", q1.to_degrees())))
        .collect();
    for (m, def) in ARM_MUSCLES.iter().enumerate() {
        println!("\n{}\n{:<14}{header}", def.name, "");
        for (i, q0) in shoulder.iter().enumerate() {
            let row: String = (0..5)
                .map(|j| {
                    let [r0, r1] = arms[m][i * 5 + j];
                    format!("{:>19}", format!("{:+.4} / {:+.4}", clean(r0), clean(r1)))
                })
                .collect();
            println!("{:<14}{row}", format!("shoulder {:.0}°", q0.to_degrees()));
        }
    }
    Ok(())
}
