//! Build a 3-D musculoskeletal arm in code: a kinematic tree, spatial tendons with wrapping and
//! MuJoCo muscles, without an MJCF file.
//!
//! `cargo run --release --example tree-arm` (under a second; also fine in debug)
//!
//! What this shows, with the public API of the `motornet` crate only:
//! - a [`KinematicTree`] written in code: a right arm with a shoulder of three hinges on one
//!   body (flexion, abduction, rotation, applied in that order) and an elbow hinge on the
//!   forearm, mass properties from capsule and sphere geoms ([`Inertial::from_geoms`]), gravity
//!   and joint damping;
//! - [`SpatialTendons`] for six muscles (three deltoid parts, biceps, triceps, brachialis):
//!   paths through sites ([`TendonElement::Site`]) fixed on the world, the upper arm and the
//!   forearm, the triceps wrapping around a cylinder at the elbow with a sidesite
//!   ([`TendonElement::Wrap`]);
//! - [`MujocoMuscle`]s (MuJoCo's `<muscle>` actuator), their `lengthrange` computed here by
//!   sampling the joint ranges;
//! - [`Effector::new`] with [`EffectorOptions`] (10 ms timestep, joint bounds);
//! - 1 s of simulation with the biceps alone fully excited (the elbow flexes), the moment arms
//!   of every muscle at one pose, and [`check_gradients`] (the exact rollout gradients against
//!   forward-mode dual numbers and finite differences);
//! - the same arm as an [`EffectorSpec`] (the data of a spec file), written from the parts
//!   built in code, which builds to the same effector and survives a TOML round trip.
//!
//! Frame: x forward, y to the left, z up; the shoulder at the origin and the arm hanging along
//! −z at zero joint angles. Units: m, kg, kg·m², s, N, rad. Moment arms are d length / d q (m):
//! negative where shortening the muscle increases the joint angle.
//!
//! [`Effector::new`]: motornet::effector::Effector::new

use motornet::effector::{
    check_gradients, AnyGeometry, BodyPointSpec, BodySpec, Effector, EffectorError,
    EffectorOptions, EffectorSpec, Geometry, GeometrySpec, Integration, JointSpec, MuscleModelSpec,
    MuscleSpec, PathPoint, SkeletonSpec, SpatialTendons, TendonElement, WrapShape,
};
use motornet::muscle::{AnyMuscle, MujocoMuscle, MujocoMuscleParams, MuscleModel};
use motornet::skeleton::{
    GeomMass, GeomShape, Inertial, JointBounds, JointKind, KinematicTree, Skeleton, TreeBody,
    TreeJoint,
};
use std::error::Error;

/// Upper-arm length, shoulder to elbow (m).
const UPPER_ARM_LENGTH: f64 = 0.3255;
/// Body indices: 0 is the world, then the bodies in the order given to `KinematicTree::new`.
const WORLD: usize = 0;
const UPPER_ARM: usize = 1;
const FOREARM: usize = 2;
/// Joint order: the bodies' joints in body order, within a body in the order they were added.
const JOINTS: [&str; 4] = [
    "shoulder flexion",
    "shoulder abduction",
    "shoulder rotation",
    "elbow",
];
const ELBOW: usize = 3;
/// Joint ranges (rad), in joint order. Abduction stops at 1.3 rad (75°), short of 90° where the
/// flexion and rotation axes would line up (a singular mass matrix).
const POS_LOWER: [f64; 4] = [-0.6, -0.3, -1.0, 0.0];
const POS_UPPER: [f64; 4] = [2.4, 1.3, 1.0, 2.6];

/// The skeleton. Segment masses and lengths are those of a 70 kg adult (upper arm 1.96 kg;
/// forearm 1.2 kg and hand 0.45 kg); the geoms only carry mass, they collide with nothing.
fn skeleton() -> Result<KinematicTree, Box<dyn Error>> {
    // passive joint viscosity (N·m·s/rad), within what is measured for the human arm
    let damping = 0.5;
    // a capsule along the bone, from the shoulder to the elbow, radius 4 cm
    let humerus = GeomMass::from_fromto([0.0; 3], [0.0, 0.0, -UPPER_ARM_LENGTH], 0.04, true)
        .ok_or("degenerate capsule")?
        .with_mass(1.96);
    let upper_arm = TreeBody::new("upper_arm", WORLD, [0.0; 3])
        // the three shoulder hinges share the body's origin (the shoulder): flexion swings the
        // arm forward (about −y), abduction sideways to the right (about −x), rotation turns it
        // about its own long axis (z)
        .with_joint(TreeJoint::hinge("shoulder_flexion", [0.0, -1.0, 0.0]).with_damping(damping))
        .with_joint(TreeJoint::hinge("shoulder_abduction", [-1.0, 0.0, 0.0]).with_damping(damping))
        .with_joint(TreeJoint::hinge("shoulder_rotation", [0.0, 0.0, 1.0]).with_damping(damping))
        .with_inertial(Inertial::from_geoms(&[humerus]));
    // the forearm's frame sits at the elbow; a capsule for the forearm and a sphere for the hand
    let radius_ulna = GeomMass::from_fromto([0.0; 3], [0.0, 0.0, -0.26], 0.035, true)
        .ok_or("degenerate capsule")?
        .with_mass(1.2);
    let hand = GeomMass::new(
        GeomShape::Sphere { radius: 0.04 },
        [0.0, 0.0, -0.30],
        [1.0, 0.0, 0.0, 0.0],
    )
    .with_mass(0.45);
    let forearm = TreeBody::new("forearm", UPPER_ARM, [0.0, 0.0, -UPPER_ARM_LENGTH])
        .with_joint(TreeJoint::hinge("elbow_flexion", [0.0, -1.0, 0.0]).with_damping(damping))
        .with_inertial(Inertial::from_geoms(&[radius_ulna, hand]));
    // gravity along −z (m/s²); the endpoint is the palm, 0.33 m below the elbow on the forearm
    Ok(KinematicTree::new(
        vec![upper_arm, forearm],
        [0.0, 0.0, -9.81],
        (FOREARM, [0.0, 0.0, -0.33]),
    )?)
}

/// A site: a point fixed on `body`, coordinates (m) in that body's frame.
fn site(body: usize, pos: [f64; 3]) -> TendonElement {
    TendonElement::Site(PathPoint {
        body,
        coordinates: pos.to_vec(),
    })
}

/// The muscles: name, peak isometric force F (N, Holzbaur et al. 2005's for the corresponding
/// muscles) and path. Sites are simplified, placed for moment arms of 1–5 cm with the signs of
/// the anatomy.
fn muscles() -> Vec<(&'static str, f64, Vec<TendonElement>)> {
    // the elbow cylinder: on the forearm, centred on the elbow, axis along the elbow's (y),
    // radius 2 cm; the sidesite behind the elbow, on the upper arm, keeps the triceps behind it
    let elbow_wrap = TendonElement::Wrap {
        body: FOREARM,
        center: [0.0; 3],
        axis: [0.0, 1.0, 0.0],
        shape: WrapShape::Cylinder { radius: 0.02 },
        sidesite: Some(PathPoint {
            body: UPPER_ARM,
            coordinates: vec![-0.08, 0.0, -UPPER_ARM_LENGTH],
        }),
    };
    vec![
        // deltoid, anterior: collarbone (front) to the upper arm (front): flexes the shoulder
        (
            "delt_ant",
            1142.6,
            vec![
                site(WORLD, [0.05, -0.02, 0.03]),
                site(UPPER_ARM, [0.015, -0.01, -0.12]),
            ],
        ),
        // deltoid, middle: acromion (outside) to the upper arm (outside): abducts
        (
            "delt_mid",
            1142.6,
            vec![
                site(WORLD, [0.0, -0.07, 0.04]),
                site(UPPER_ARM, [0.0, -0.02, -0.12]),
            ],
        ),
        // deltoid, posterior: shoulder blade (back) to the upper arm (back): extends
        (
            "delt_post",
            259.9,
            vec![
                site(WORLD, [-0.06, -0.02, 0.03]),
                site(UPPER_ARM, [-0.015, -0.01, -0.12]),
            ],
        ),
        // biceps: above the shoulder, in front of the humerus (a via site), to the forearm:
        // flexes the shoulder and the elbow
        (
            "biceps",
            624.3,
            vec![
                site(WORLD, [0.03, -0.01, 0.02]),
                site(UPPER_ARM, [0.025, 0.0, -0.06]),
                site(FOREARM, [0.02, 0.0, -0.05]),
            ],
        ),
        // triceps (long head): below the shoulder, behind the humerus, around the elbow
        // cylinder to the olecranon: extends the shoulder and the elbow
        (
            "triceps",
            798.5,
            vec![
                site(WORLD, [-0.03, -0.01, -0.03]),
                site(UPPER_ARM, [-0.025, 0.0, -0.12]),
                elbow_wrap,
                site(FOREARM, [-0.025, 0.0, 0.02]),
            ],
        ),
        // brachialis: lower humerus (front) to the forearm: flexes the elbow only
        (
            "brachialis",
            987.3,
            vec![
                site(UPPER_ARM, [0.015, 0.0, -0.19]),
                site(FOREARM, [0.012, 0.0, -0.035]),
            ],
        ),
    ]
}

/// Each tendon's length range (m) over the joint ranges.
///
/// MuJoCo's `<muscle>` needs `lengthrange`: the actuator lengths that map to the normalised
/// lengths `range` (0.75 to 1.05 optimal lengths by default), which fixes the optimal length
/// L0 = (lengthrange[1] − lengthrange[0]) / (range[1] − range[0]). MuJoCo computes it when it
/// compiles a model (`<lengthrange mode="muscle">`, by simulation); [`MujocoMuscle`] takes it as
/// given. Here it is the smallest and the largest tendon length over a grid of poses spanning
/// the joint ranges, 9 values per joint (6561 poses): the lengths are smooth in the joint
/// angles and the extremes of these short paths lie at or near the range's ends, so the grid
/// finds them to within a fraction of a millimetre. (Five of these muscles are also in the
/// `Arm3D` preset, whose `lengthrange` MuJoCo 4.0.1 computed: the grid agrees with it within
/// 0.3 mm; for the middle deltoid it finds a wider range, 46–185 mm against MuJoCo's 73–182
/// mm: MuJoCo's search pulls and pushes on the tendon in a simulation and stops where the arm
/// settles, which need not be the extreme over the whole box of joint ranges.) So the muscle
/// sits at 0.75 L0 when it is
/// shortest and at 1.05 L0 when longest: its active force never vanishes inside the ranges
/// (it does below `lmin` = 0.5 and above `lmax` = 1.6), and the passive force (from L = 1) only
/// resists the last part of its stretch.
fn length_ranges(tree: &KinematicTree, tendons: &SpatialTendons) -> Vec<[f64; 2]> {
    let (dof, n) = (tree.dof(), tendons.n_muscles());
    const PER_JOINT: usize = 9;
    let mut range = vec![[f64::INFINITY, f64::NEG_INFINITY]; n];
    let (mut len, mut vel, mut moment) = (vec![0.0; n], vec![0.0; n], vec![0.0; dof * n]);
    let (mut q, qd) = (vec![0.0; dof], vec![0.0; dof]);
    for pose in 0..PER_JOINT.pow(dof as u32) {
        let mut k = pose;
        for j in 0..dof {
            let step = (k % PER_JOINT) as f64 / (PER_JOINT - 1) as f64;
            q[j] = POS_LOWER[j] + (POS_UPPER[j] - POS_LOWER[j]) * step;
            k /= PER_JOINT;
        }
        // the geometry computes lengths, velocities and moment arms for any skeleton and pose
        tendons.compute(tree, &q, &qd, &mut len, &mut vel, &mut moment);
        for (r, &l) in range.iter_mut().zip(&len) {
            *r = [r[0].min(l), r[1].max(l)];
        }
    }
    range
}

type Arm = Effector<KinematicTree, MujocoMuscle, SpatialTendons>;

/// The effector: skeleton, muscles and geometry, 10 ms steps.
fn arm() -> Result<Arm, Box<dyn Error>> {
    let tree = skeleton()?;
    let defs = muscles();
    // one tendon per muscle, in the muscles' order
    let tendons = SpatialTendons::new(defs.iter().map(|(_, _, path)| path.clone()).collect())?;
    let ranges = length_ranges(&tree, &tendons);
    // MuJoCo's defaults for everything else (`range`, `lmin`, `lmax`, `vmax`, `fpmax`, `fvmax`),
    // MuJoCo's time constants (10 ms activation, 40 ms deactivation) and a hard switch
    // between them (`tausmooth` 0)
    let params = defs
        .iter()
        .zip(&ranges)
        .map(|((name, force, _), &lengthrange)| MujocoMuscleParams::new(*name, *force, lengthrange))
        .collect();
    let muscle = MujocoMuscle::new(
        MujocoMuscle::DEFAULT_ACTIVATION,
        MujocoMuscle::DEFAULT_TAUSMOOTH,
        params,
    )?;
    let options = EffectorOptions {
        timestep: 0.01, // s
        n_ministeps: 1,
        integration: Integration::Euler,
        // extra viscosity on every joint (N·m·s/rad); the tree's joints have their own
        damping: 0.0,
        // positions clamped to the joint ranges (rad), velocities to ±50 rad/s
        bounds: JointBounds::new(
            4,
            POS_LOWER.to_vec(),
            POS_UPPER.to_vec(),
            vec![-50.0; 4],
            vec![50.0; 4],
        )?,
    };
    // `Effector::new` checks that the parts agree: one tendon per muscle, every site and wrap
    // on an existing body with 3 coordinates, bounds for the tree's 4 joints
    Ok(Effector::new(tree, muscle, tendons, options)?)
}

/// Lengths `[M]` (m) and moment arms `[dof][M]` (m) at joint angles `q` (rad), at rest: the
/// geometry rows of the state after a reset.
fn geometry_at<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    q: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut joint = vec![0.0; 2 * q.len()]; // [q (rad), q̇ = 0 (rad/s)]
    joint[..q.len()].copy_from_slice(q);
    let mut state = effector.zero_state::<f64>();
    effector.reset(&joint, &mut state);
    let n = effector.n_muscles();
    // geometry layout `[2 + dof][M]`: lengths, velocities, then one row of moment arms per joint
    (
        state.geometry[..n].to_vec(),
        state.geometry[2 * n..].to_vec(),
    )
}

/// `x`, with round-off residues (|x| < 1e-12) shown as 0, so that no "-0.0000" appears.
fn clean(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        0.0
    } else {
        x
    }
}

/// Simulate 1 s from `start` (rad) under constant `excitation`; returns the joint angles (rad)
/// after every step.
fn simulate<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    start: &[f64],
    excitation: &[f64],
    print: bool,
) -> Vec<Vec<f64>> {
    let dof = effector.dof();
    let mut joint = vec![0.0; 2 * dof];
    joint[..dof].copy_from_slice(start);
    let mut state = effector.zero_state::<f64>();
    let mut ws = effector.workspace::<f64>();
    effector.reset(&joint, &mut state);
    let mut cart = [0.0; 6]; // endpoint position (m), then velocity (m/s)
    let mut out = Vec::new();
    for step in 1..=100 {
        // no endpoint or joint load
        effector.step(&mut state, excitation, &[], &[], &mut ws);
        out.push(state.joint[..dof].to_vec());
        if print && step % 10 == 0 {
            effector.cartesian(&state, &mut cart);
            println!(
                "   {:.1}   {:>6.1}°  {:>6.1}°   ({:+.3}, {:+.3}, {:+.3})",
                step as f64 * effector.options().timestep,
                state.joint[ELBOW].to_degrees(),
                state.joint[0].to_degrees(),
                cart[0],
                cart[1],
                cart[2]
            );
        }
    }
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let arm = arm()?;
    let names: Vec<&str> = (0..arm.n_muscles())
        .map(|m| arm.muscle().muscle_name(m))
        .collect();
    println!(
        "built in code: {} with {} bodies and {} joints ({}), {} {} muscles on spatial tendons",
        arm.skeleton().name(),
        arm.skeleton().n_bodies(),
        arm.dof(),
        arm.skeleton().joint_names().collect::<Vec<_>>().join(", "),
        arm.n_muscles(),
        arm.muscle().name(),
    );
    for (b, body) in arm.skeleton().bodies().iter().enumerate() {
        let i = &body.inertial;
        println!(
            "  body {} {:<10} mass {:.2} kg, centre of mass z {:+.3} m, inertia diag ({:.4}, {:.4}, {:.4}) kg·m²",
            b + 1,
            body.name,
            i.mass,
            i.com[2],
            i.inertia[0][0],
            i.inertia[1][1],
            i.inertia[2][2]
        );
    }
    println!("\nmuscle        F (N)   lengthrange (m)   L0 (m)");
    for p in arm.muscle().params() {
        println!(
            "{:<12}{:>7.1}   {:.4} … {:.4}   {:.4}",
            p.name,
            p.force,
            p.lengthrange[0],
            p.lengthrange[1],
            p.optimal_length()
        );
    }

    // 1. One second with the biceps alone excited, from the arm hanging with the elbow bent
    //    20°. Gravity pulls the forearm back down; the biceps' pull wins, and being biarticular
    //    it also flexes the shoulder a little (its origin is in front of the shoulder).
    let biceps = names
        .iter()
        .position(|&n| n == "biceps")
        .ok_or("no biceps")?;
    let mut excitation = vec![0.0; arm.n_muscles()];
    excitation[biceps] = 0.2; // a fifth of full excitation: a movement that takes ~1 s
    let start = [0.0, 0.0, 0.0, 20f64.to_radians()];
    println!("\nbiceps excited alone:\n   t (s)  elbow   shoulder fl.   endpoint (m)");
    let traj = simulate(&arm, &start, &excitation, true);
    let elbow_end = traj[99][ELBOW];
    assert!(
        elbow_end > start[ELBOW] + 1.5,
        "the biceps flexes the elbow by more than 1.5 rad in 1 s (got {:.3} rad)",
        elbow_end - start[ELBOW]
    );
    let printed: Vec<f64> = std::iter::once(start[ELBOW])
        .chain(traj.iter().skip(9).step_by(10).map(|q| q[ELBOW]))
        .collect();
    assert!(
        printed.windows(2).all(|w| w[1] > w[0]),
        "the elbow keeps flexing: it rises over every 0.1 s ({printed:?})"
    );
    // without any excitation, gravity straightens the elbow instead
    let passive = simulate(&arm, &start, &vec![0.0; arm.n_muscles()], false);
    assert!(
        passive[99][ELBOW] < start[ELBOW],
        "unexcited, the forearm falls (elbow {:.3} rad)",
        passive[99][ELBOW]
    );
    println!(
        "elbow after 1 s: {:.1}° with the biceps, {:.1}° with no excitation",
        elbow_end.to_degrees(),
        passive[99][ELBOW].to_degrees()
    );

    // 2. Moment arms (m) at one pose: shoulder flexed 30°, abducted 20°, elbow at 90°.
    let pose = [
        30f64.to_radians(),
        20f64.to_radians(),
        0.0,
        90f64.to_radians(),
    ];
    let (lengths, moment) = geometry_at(&arm, &pose);
    let n = arm.n_muscles();
    println!(
        "\nmoment arms (m) at flexion 30°, abduction 20°, rotation 0°, elbow 90° (< 0: shortening \
         increases the angle)\nmuscle       length  {}",
        JOINTS.map(|j| format!("{j:>19}")).join("")
    );
    for m in 0..n {
        let row: String = (0..arm.dof())
            // (round-off residues shown as 0: the brachialis spans the elbow only)
            .map(|j| format!("{:>+19.4}", clean(moment[j * n + m])))
            .collect();
        println!("{:<12}{:>7.4}  {row}", names[m], lengths[m]);
    }
    let arm_of = |muscle: &str, joint: usize| {
        let m = names.iter().position(|&x| x == muscle).expect("a muscle");
        moment[joint * n + m]
    };
    // the anatomy's signs: flexors shorten as their joint flexes, extensors lengthen
    for (muscle, joint, flexes) in [
        ("delt_ant", 0, true),
        ("delt_post", 0, false),
        ("delt_mid", 1, true),
        ("biceps", ELBOW, true),
        ("brachialis", ELBOW, true),
        ("triceps", ELBOW, false),
    ] {
        let r = arm_of(muscle, joint);
        assert!(
            if flexes { r < -0.005 } else { r > 0.005 },
            "{muscle}'s moment arm about {} is {r} m",
            JOINTS[joint]
        );
    }

    // 3. The exact rollout gradients (a VJP through 20 steps, from 2 random joint states)
    //    against forward-mode dual numbers and finite differences.
    let check = check_gradients(&arm, 2, 20, 7)?;
    println!(
        "\ngradient check: max rel err {:.1e} against forward mode ({} directions), {:.1e} \
         against finite differences ({} directions, {} skipped at kinks): {}",
        check.max_rel_exact_err,
        check.exact_directions,
        check.max_rel_fd_err,
        check.compared,
        check.skipped,
        if check.max_rel_grad_ok() {
            "ok"
        } else {
            "FAILED"
        }
    );
    assert!(
        check.max_rel_grad_ok(),
        "the gradient check fails: {check:?}"
    );

    // 4. The same arm as a spec: what a JSON or TOML spec file holds.
    spec_round_trip(&arm, &start, &excitation)
}

/// The spec of the arm built in code. There is no single call that turns an effector into a
/// spec: each section is written from the parts (their fields are public), as an MJCF import
/// writes it from the MJCF model.
fn spec_of(arm: &Arm) -> EffectorSpec {
    let tree = arm.skeleton();
    let bodies = tree.bodies();
    let body_name = |i: usize| {
        if i == 0 {
            "world".to_string()
        } else {
            bodies[i - 1].name.clone()
        }
    };
    let skeleton = SkeletonSpec {
        kind: "KinematicTree".into(),
        bodies: bodies
            .iter()
            .map(|b| BodySpec {
                name: b.name.clone(),
                parent: body_name(b.parent),
                pos: b.pos,
                quat: b.quat,
                joints: b
                    .joints
                    .iter()
                    .map(|j| JointSpec {
                        name: j.name.clone(),
                        kind: match j.kind {
                            JointKind::Hinge => "hinge",
                            JointKind::Slide => "slide",
                        }
                        .into(),
                        axis: j.axis,
                        pos: j.pos,
                        damping: j.damping,
                        armature: j.armature,
                    })
                    .collect(),
                mass: b.inertial.mass,
                com: b.inertial.com,
                inertia: b.inertial.inertia,
            })
            .collect(),
        gravity: Some(tree.gravity()),
        endpoint: Some(BodyPointSpec {
            body: body_name(tree.endpoint().0),
            pos: tree.endpoint().1,
        }),
        params: Default::default(),
    };
    let act = arm.muscle().activation();
    let muscle = MuscleModelSpec {
        kind: "MujocoMuscle".into(),
        min_activation: Some(act.min_activation),
        tau_activation: Some(act.tau_activation),
        tau_deactivation: Some(act.tau_deactivation),
        params: [("tausmooth", arm.muscle().tausmooth())]
            .into_iter()
            .collect(),
    };
    // per muscle: F, and lengthrange (range, lmin, lmax, … take MuJoCo's defaults)
    let muscles: Vec<MuscleSpec> = arm
        .muscle()
        .params()
        .iter()
        .map(|p| MuscleSpec {
            name: p.name.clone(),
            max_isometric_force: p.force,
            params: [
                ("lengthrange_lower", p.lengthrange[0]),
                ("lengthrange_upper", p.lengthrange[1]),
            ]
            .into_iter()
            .collect(),
        })
        .collect();
    let names: Vec<&str> = muscles.iter().map(|m| m.name.as_str()).collect();
    // the geometry writes its own section (`type = "spatial_tendons"`, one path per muscle)
    let geometry = GeometrySpec::of(arm.geometry(), &names);
    let o = arm.options();
    EffectorSpec {
        preset: None,
        skeleton,
        muscle,
        muscles,
        geometry,
        timestep: o.timestep,
        n_ministeps: o.n_ministeps as f64,
        integration_method: o.integration.as_str().into(),
        damping: o.damping,
        pos_lower_bound: o.bounds.pos_lower.clone(),
        pos_upper_bound: o.bounds.pos_upper.clone(),
        vel_lower_bound: o.bounds.vel_lower.clone(),
        vel_upper_bound: o.bounds.vel_upper.clone(),
    }
}

/// Write the arm as a spec, through TOML and back, build it, and check that it is the same
/// effector as the one built in code.
fn spec_round_trip(arm: &Arm, start: &[f64], excitation: &[f64]) -> Result<(), Box<dyn Error>> {
    let spec = spec_of(arm);
    let toml = spec.to_toml();
    let back = EffectorSpec::from_toml(&toml)?;
    if back != spec {
        return Err(EffectorError::Parse("the TOML round trip changed the spec".into()).into());
    }
    let from_spec = back.build()?;
    // the parts are equal, field by field: the spec's run-time choices hold the same values
    let same_parts = *from_spec.skeleton() == arm.skeleton().clone().into()
        && *from_spec.muscle() == AnyMuscle::from(arm.muscle().clone())
        && *from_spec.geometry() == AnyGeometry::from(arm.geometry().clone())
        && from_spec.options() == arm.options();
    // … and so are their trajectories
    let same_run =
        simulate(&from_spec, start, excitation, false) == simulate(arm, start, excitation, false);
    println!(
        "\nas a spec: {} lines of TOML, read back unchanged; built from it: {} parts, {} 1-s \
         trajectory. Its muscles:",
        toml.lines().count(),
        if same_parts { "the same" } else { "DIFFERENT" },
        if same_run { "the same" } else { "a DIFFERENT" },
    );
    // the muscle-model section and the first muscle
    for line in toml.lines().skip_while(|l| *l != "[muscle]").take(12) {
        println!("    {line}");
    }
    assert!(
        same_parts && same_run,
        "the spec builds a different effector"
    );
    Ok(())
}
