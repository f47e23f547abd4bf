//! Plots of a training [`Rollout`]: what to draw from its trajectories, and the whole set of a
//! run's plots in one call.

use std::path::{Path, PathBuf};

use motornet_effector::{Effector, Geometry};
use motornet_muscle::MuscleModel;
use motornet_skeleton::Skeleton;
use motornet_train::Rollout;

use crate::figures::{
    arm, loss_curve, reach_projections, reaches, speed_profiles, Polyline, ReachPanel,
};
use crate::PlotError;

/// How many stick figures per reach [`plot_rollout`] draws (from the first state to the last,
/// evenly spaced).
pub const ARM_FRAMES_SHOWN: usize = 6;

/// The window (batches) of the running mean [`plot_run`] draws over the loss.
pub const LOSS_SMOOTHING: usize = 50;

/// The cartesian dimension `d` of a rollout's fingertip (the length of its targets), checked
/// against every element's fingertip row `[(T+1) · 2d]`.
fn space_dim(r: &Rollout) -> Result<usize, PlotError> {
    if r.fingertip.len() != r.target.len() {
        return Err(PlotError::data(format!(
            "the rollout has {} fingertip trajectories but {} targets",
            r.fingertip.len(),
            r.target.len()
        )));
    }
    let Some(d) = r.target.first().map(Vec::len) else {
        return Ok(0);
    };
    if d == 0 {
        return Err(PlotError::data("the rollout's targets are empty"));
    }
    for (e, (f, t)) in r.fingertip.iter().zip(&r.target).enumerate() {
        if t.len() != d {
            return Err(PlotError::data(format!(
                "target {e} has {} coordinates, target 0 has {d}",
                t.len()
            )));
        }
        if f.is_empty() || !f.len().is_multiple_of(2 * d) {
            return Err(PlotError::data(format!(
                "fingertip trajectory {e} has {} numbers, not a positive multiple of 2·{d} \
                 (position and velocity per state)",
                f.len()
            )));
        }
    }
    Ok(d)
}

/// `d ≥ 2`, or an error saying that plots in the plane need two coordinates.
fn planar(d: usize) -> Result<(), PlotError> {
    if d == 1 {
        return Err(PlotError::data(
            "the fingertip has 1 coordinate; plots in the plane need at least 2",
        ));
    }
    Ok(())
}

/// The fingertip path of each reach of `r` in the plane: `(x, y)` (m) at every state, the first
/// two coordinates of the fingertip (a projection for effectors in more than two dimensions).
///
/// # Errors
///
/// [`PlotError::Data`] if the rollout's shapes disagree (fingertip rows that are not
/// `[(T+1) · 2d]` for targets of `d` coordinates) or `d` is 1.
pub fn fingertip_paths(r: &Rollout) -> Result<Vec<Polyline>, PlotError> {
    let d = space_dim(r)?;
    planar(d)?;
    Ok(r.fingertip
        .iter()
        .map(|f| f.chunks(2 * d).map(|s| (s[0], s[1])).collect())
        .collect())
}

/// The target of each reach of `r` in the plane: its first two coordinates `(x, y)` (m).
///
/// # Errors
///
/// As [`fingertip_paths`].
pub fn targets(r: &Rollout) -> Result<Vec<(f64, f64)>, PlotError> {
    let d = space_dim(r)?;
    planar(d)?;
    Ok(r.target.iter().map(|t| (t[0], t[1])).collect())
}

/// The projections [`plot_rollout`] draws of a fingertip outside the plane (`d ≥ 3`): the
/// x–y plane (coordinates 0 and 1, seen from +z) and the x–z plane (0 and 2, seen from −y),
/// side by side. Fixed planes, rather than the two of largest spread, so that figures of
/// different runs and reaches compare and the axes keep their names; every 3-D centre-out
/// target set spreads over all three axes anyway. Coordinates past the third are not drawn.
pub const PROJECTION_AXES: [(usize, usize); 2] = [(0, 1), (0, 2)];

/// The axis description of coordinate `k` in the projections: `x (m)`, `y (m)`, `z (m)`.
fn axis_name(k: usize) -> &'static str {
    ["x (m)", "y (m)", "z (m)"].get(k).copied().unwrap_or("(m)")
}

/// The fingertip path of each reach of `r` projected on the plane of coordinates `axes =
/// (i, j)` (m): `(x_i, x_j)` at every state; `(0, 1)` is [`fingertip_paths`].
///
/// # Errors
///
/// [`PlotError::Data`] if the rollout's shapes disagree, or `i` or `j` is not a coordinate of
/// its `d` (or they are equal).
pub fn fingertip_paths_in(r: &Rollout, axes: (usize, usize)) -> Result<Vec<Polyline>, PlotError> {
    let d = space_dim(r)?;
    check_axes(d, axes)?;
    let (i, j) = axes;
    Ok(r.fingertip
        .iter()
        .map(|f| f.chunks(2 * d).map(|s| (s[i], s[j])).collect())
        .collect())
}

/// The target of each reach of `r` projected on the plane of coordinates `axes = (i, j)`
/// (m).
///
/// # Errors
///
/// As [`fingertip_paths_in`].
pub fn targets_in(r: &Rollout, axes: (usize, usize)) -> Result<Vec<(f64, f64)>, PlotError> {
    let d = space_dim(r)?;
    check_axes(d, axes)?;
    Ok(r.target.iter().map(|t| (t[axes.0], t[axes.1])).collect())
}

/// Two different coordinates below `d` (an empty rollout, `d` 0, has none to check).
fn check_axes(d: usize, (i, j): (usize, usize)) -> Result<(), PlotError> {
    if d != 0 && (i >= d || j >= d || i == j) {
        return Err(PlotError::data(format!(
            "coordinates ({i}, {j}) are not two different ones of the fingertip's {d}"
        )));
    }
    Ok(())
}

/// The fingertip speed (m/s) of each reach of `r` at every state: the norm of the fingertip
/// velocity over all `d` coordinates. `speeds[e][i]` is at time `i · dt`.
///
/// # Errors
///
/// [`PlotError::Data`] if the rollout's shapes disagree.
pub fn fingertip_speeds(r: &Rollout) -> Result<Vec<Vec<f64>>, PlotError> {
    let d = space_dim(r)?;
    Ok(r.fingertip
        .iter()
        .map(|f| {
            f.chunks(2 * d)
                .map(|s| s[d..].iter().map(|v| v * v).sum::<f64>().sqrt())
                .collect()
        })
        .collect())
}

/// The stick figure of `skeleton` at one joint state `[q (dof), q̇ (dof)]`: the polyline (m,
/// first two coordinates) through the origin of every body (`Skeleton::point_kinematics` of
/// the point `0` of bodies `1..=n_bodies`: for the two-joint arm the shoulder and the elbow)
/// and then the endpoint (`Skeleton::joint_to_cartesian`: the hand), with a point equal to the
/// one before it left out (a point mass's figure is one point). It works for any skeleton, e.g.
/// `effector.skeleton()` of any [`Effector`].
///
/// # Errors
///
/// [`PlotError::Data`] if `skeleton.space_dim()` is below 2 or `joint_state` does not have
/// `2 · dof` numbers.
pub fn stick_figure<K: Skeleton>(skeleton: &K, joint_state: &[f64]) -> Result<Polyline, PlotError> {
    let (dof, d) = (skeleton.dof(), skeleton.space_dim());
    if d < 2 {
        return Err(PlotError::data(format!(
            "the skeleton has {d} cartesian coordinates; stick figures in the plane need 2"
        )));
    }
    if joint_state.len() != 2 * dof {
        return Err(PlotError::data(format!(
            "a joint state of {} numbers for a skeleton of {dof} joints (positions and \
             velocities: {})",
            joint_state.len(),
            2 * dof
        )));
    }
    let (q, qd) = joint_state.split_at(dof);
    let zero = vec![0.0; d];
    let (mut pos, mut vel, mut jac) = (vec![0.0; d], vec![0.0; d], vec![0.0; d * dof]);
    let mut line: Polyline = Vec::with_capacity(skeleton.n_bodies() + 1);
    let mut push = |p: &[f64]| {
        let p = (p[0], p[1]);
        if line.last() != Some(&p) {
            line.push(p);
        }
    };
    for body in 1..=skeleton.n_bodies() {
        skeleton.point_kinematics(body, &zero, q, &mut pos, &mut jac);
        push(&pos);
    }
    skeleton.joint_to_cartesian(q, qd, &mut pos, &mut vel);
    push(&pos);
    Ok(line)
}

/// Stick figures ([`stick_figure`]) of `skeleton` during each reach of `r`, for
/// [`arm`](crate::arm): `frames[e][k]`, `shown` frames per reach, at states evenly spaced from
/// the first to the last (the last alone when `shown` is 1).
///
/// # Errors
///
/// [`PlotError::Data`] if `skeleton.space_dim()` is below 2 or a joint row of `r` is not
/// `[(T+1) · 2·dof]` for the skeleton's `dof`.
pub fn arm_frames<K: Skeleton>(
    skeleton: &K,
    r: &Rollout,
    shown: usize,
) -> Result<Vec<Vec<Polyline>>, PlotError> {
    let dof = skeleton.dof();
    let mut frames = Vec::with_capacity(r.joint.len());
    for (e, joint) in r.joint.iter().enumerate() {
        if joint.is_empty() || !joint.len().is_multiple_of((2 * dof).max(1)) {
            return Err(PlotError::data(format!(
                "joint trajectory {e} has {} numbers, not a positive multiple of 2·{dof} \
                 (the skeleton's joint positions and velocities per state)",
                joint.len()
            )));
        }
        let states: Vec<&[f64]> = joint.chunks(2 * dof).collect();
        let last = states.len() - 1;
        let index = |k: usize| {
            if shown > 1 {
                k * last / (shown - 1)
            } else {
                last
            }
        };
        let reach = (0..shown)
            .map(|k| stick_figure(skeleton, states[index(k)]))
            .collect::<Result<Vec<_>, _>>()?;
        frames.push(reach);
    }
    Ok(frames)
}

/// Writes the plots of one rollout of `effector` into `dir` and returns the files written
/// (each plot as `.png` and `.svg`): `reaches` (fingertip paths, targets, starts; titled
/// `title`) and `speed` (fingertip speed against time, at the effector's timestep), and for
/// skeletons of two or more bodies `arm` ([`ARM_FRAMES_SHOWN`] stick figures per reach).
/// Effectors whose fingertip is not in the plane (`space_dim` 1) get `speed` only; those in
/// 3-D (or more) get `reaches` as two projections side by side ([`PROJECTION_AXES`]: x–y and
/// x–z, [`reach_projections`]), and their stick figures projected on x–y.
///
/// # Errors
///
/// [`PlotError::Data`] if the rollout does not fit the effector (see [`fingertip_paths`] and
/// [`arm_frames`]), and the errors of the plots ([`reaches`]).
pub fn plot_rollout<K: Skeleton, M: MuscleModel, G: Geometry>(
    dir: &Path,
    effector: &Effector<K, M, G>,
    r: &Rollout,
    title: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    let d = space_dim(r)?;
    if d != 0 && d != effector.space_dim() {
        return Err(PlotError::data(format!(
            "the rollout's targets have {d} coordinates but the effector's space has {}",
            effector.space_dim()
        )));
    }
    let mut files = Vec::new();
    if effector.space_dim() >= 3 {
        let planes = PROJECTION_AXES
            .iter()
            .map(|&axes| {
                let names = (axis_name(axes.0), axis_name(axes.1));
                let paths = fingertip_paths_in(r, axes)?;
                let starts: Vec<(f64, f64)> =
                    paths.iter().filter_map(|p| p.first().copied()).collect();
                Ok((paths, targets_in(r, axes)?, starts, names))
            })
            .collect::<Result<Vec<_>, PlotError>>()?;
        let panels: Vec<ReachPanel> = planes
            .iter()
            .map(|(paths, targets, starts, axes)| ReachPanel {
                paths,
                targets,
                starts,
                axes: *axes,
            })
            .collect();
        files.extend(reach_projections(dir, "reaches", &panels, title)?);
    } else if effector.space_dim() == 2 {
        let paths = fingertip_paths(r)?;
        let starts: Vec<(f64, f64)> = paths.iter().filter_map(|p| p.first().copied()).collect();
        files.extend(reaches(
            dir,
            "reaches",
            &paths,
            &targets(r)?,
            &starts,
            title,
        )?);
    }
    let dt = effector.options().timestep;
    files.extend(speed_profiles(dir, "speed", dt, &fingertip_speeds(r)?)?);
    if effector.space_dim() >= 2 && effector.skeleton().n_bodies() >= 2 {
        let frames = arm_frames(effector.skeleton(), r, ARM_FRAMES_SHOWN)?;
        files.extend(arm(
            dir,
            "arm",
            &frames,
            &format!("arm over time ({title})"),
        )?);
    }
    Ok(files)
}

/// Writes the plots of a training run into `dir` and returns the files written: `loss` (the
/// per-batch loss `losses[i]` of batch `i`, with its running mean over [`LOSS_SMOOTHING`]
/// batches), then, given a `validation` rollout of `effector`, the plots of
/// [`plot_rollout`] titled "validation reaches". This is what `motornet train` and
/// `motornet plot` write into a run directory.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use motornet_train::{AnyTrainer, TrainConfig};
///
/// let mut trainer = AnyTrainer::new(&TrainConfig { batches: 100, ..TrainConfig::default() })?;
/// for _ in 0..100 {
///     trainer.batch()?;
/// }
/// let validation = trainer.evaluate(None, None, 8, 0, None)?;
/// let dir = std::path::Path::new("runs/mine");
/// for file in motornet_plot::plot_run(dir, trainer.losses(), trainer.effector(), Some(&validation))? {
///     println!("wrote {}", file.display());
/// }
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`loss_curve`] and [`plot_rollout`].
pub fn plot_run<K: Skeleton, M: MuscleModel, G: Geometry>(
    dir: &Path,
    losses: &[f64],
    effector: &Effector<K, M, G>,
    validation: Option<&Rollout>,
) -> Result<Vec<PathBuf>, PlotError> {
    let batches: Vec<usize> = (0..losses.len()).collect();
    let mut files = loss_curve(dir, "loss", &batches, losses, LOSS_SMOOTHING)?;
    if let Some(r) = validation {
        files.extend(plot_rollout(dir, effector, r, "validation reaches")?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use motornet_effector::presets;
    use motornet_skeleton::{PointMass, TwoDofArm, TwoDofArmParams};
    use std::f64::consts::FRAC_PI_2;

    /// A rollout of two planar reaches of 3 states (T = 2): the first along x from the origin
    /// at 0.5 m/s, the second standing still at (0.1, 0.2); joint rows of a 2-dof skeleton.
    fn rollout(joint: Vec<Vec<f64>>) -> Rollout {
        Rollout {
            fingertip: vec![
                vec![0.0, 0.0, 0.3, 0.4, 0.01, 0.0, 0.0, 0.5, 0.02, 0.0, 0.0, 0.0],
                vec![0.1, 0.2, 0.0, 0.0, 0.1, 0.2, 0.0, 0.0, 0.1, 0.2, 0.0, 0.0],
            ],
            target: vec![vec![0.02, 0.0], vec![0.1, 0.3]],
            joint,
            ..Rollout::default()
        }
    }

    fn assert_close(a: (f64, f64), b: (f64, f64)) {
        assert!(
            (a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12,
            "{a:?} != {b:?}"
        );
    }

    #[test]
    fn paths_targets_and_speeds_of_a_rollout() {
        let r = rollout(vec![]);
        let paths = fingertip_paths(&r).unwrap();
        assert_eq!(
            paths,
            [
                vec![(0.0, 0.0), (0.01, 0.0), (0.02, 0.0)],
                vec![(0.1, 0.2); 3]
            ]
        );
        assert_eq!(targets(&r).unwrap(), [(0.02, 0.0), (0.1, 0.3)]);
        // |(0.3, 0.4)| = 0.5, |(0, 0.5)| = 0.5
        assert_eq!(
            fingertip_speeds(&r).unwrap(),
            [vec![0.5, 0.5, 0.0], vec![0.0; 3]]
        );
        // an empty rollout has no paths
        assert!(fingertip_paths(&Rollout::default()).unwrap().is_empty());
    }

    #[test]
    fn three_dimensional_fingertips_are_projected_and_their_speed_is_the_full_norm() {
        let r = Rollout {
            // one state: position (1, 2, 3), velocity (2, 3, 6) of norm 7
            fingertip: vec![vec![1.0, 2.0, 3.0, 2.0, 3.0, 6.0]],
            target: vec![vec![0.0, 0.0, 1.0]],
            ..Rollout::default()
        };
        assert_eq!(fingertip_paths(&r).unwrap(), [vec![(1.0, 2.0)]]);
        assert_eq!(fingertip_speeds(&r).unwrap(), [vec![7.0]]);
    }

    #[test]
    fn projections_pick_the_asked_coordinates() {
        let r = Rollout {
            // two states: (1, 2, 3) then (4, 5, 6), at rest
            fingertip: vec![vec![
                1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0,
            ]],
            target: vec![vec![7.0, 8.0, 9.0]],
            ..Rollout::default()
        };
        assert_eq!(
            fingertip_paths_in(&r, (0, 2)).unwrap(),
            [vec![(1.0, 3.0), (4.0, 6.0)]]
        );
        assert_eq!(targets_in(&r, (2, 1)).unwrap(), [(9.0, 8.0)]);
        assert_eq!(
            fingertip_paths_in(&r, (0, 1)).unwrap(),
            fingertip_paths(&r).unwrap()
        );
        for axes in [(0, 3), (1, 1)] {
            let e = fingertip_paths_in(&r, axes).unwrap_err();
            assert!(e.to_string().contains("fingertip's 3"), "{e}");
            assert!(targets_in(&r, axes).is_err());
        }
    }

    #[test]
    fn bad_rollout_shapes_are_errors() {
        let mut r = rollout(vec![]);
        r.fingertip[1].pop();
        let e = fingertip_paths(&r).unwrap_err();
        assert!(
            e.to_string().contains("fingertip trajectory 1 has 11"),
            "{e}"
        );
        let mut r = rollout(vec![]);
        r.target.pop();
        let e = fingertip_speeds(&r).unwrap_err();
        assert!(
            e.to_string().contains("2 fingertip trajectories but 1"),
            "{e}"
        );
        let r = Rollout {
            fingertip: vec![vec![0.0, 1.0]],
            target: vec![vec![0.5]],
            ..Rollout::default()
        };
        assert_eq!(fingertip_speeds(&r).unwrap(), [vec![1.0]]);
        let e = fingertip_paths(&r).unwrap_err();
        assert!(e.to_string().contains("need at least 2"), "{e}");
    }

    #[test]
    fn arm_frames_of_a_two_joint_arm_are_shoulder_elbow_hand() {
        let p = TwoDofArmParams::arm26();
        let (l1, l2) = (p.l1, p.l2);
        let arm = TwoDofArm::new(p).unwrap();
        // states (q1, q2, q̇1, q̇2): straight up, then upper arm along x and forearm up
        let joint = vec![
            vec![FRAC_PI_2, 0.0, 0.0, 0.0, 0.0, FRAC_PI_2, 0.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
        ];
        let r = rollout(joint);
        let frames = arm_frames(&arm, &r, 2).unwrap();
        assert_eq!(frames.len(), 2);
        let expect = [
            [(0.0, 0.0), (0.0, l1), (0.0, l1 + l2)],
            [(0.0, 0.0), (l1, 0.0), (l1, l2)],
        ];
        for (frame, want) in frames[0].iter().zip(&expect) {
            assert_eq!(frame.len(), 3);
            for (&a, &b) in frame.iter().zip(want) {
                assert_close(a, b);
            }
        }
        // one frame: the last state; reach 2 is straight along x
        let last = arm_frames(&arm, &r, 1).unwrap();
        for (&a, b) in last[1][0]
            .iter()
            .zip([(0.0, 0.0), (l1, 0.0), (l1 + l2, 0.0)])
        {
            assert_close(a, b);
        }
        // frames evenly spaced: 3 shown of 2 states repeat the first
        assert_eq!(arm_frames(&arm, &r, 3).unwrap()[0].len(), 3);
        assert!(arm_frames(&arm, &r, 0).unwrap()[0].is_empty());
    }

    #[test]
    fn arm_frames_of_a_point_mass_are_the_mass() {
        let mass = PointMass::new(2, 1.0).unwrap();
        let r = rollout(vec![vec![0.1, 0.2, 0.0, 0.0, 0.3, 0.4, 0.0, 0.0]]);
        let frames = arm_frames(&mass, &r, 2).unwrap();
        assert_eq!(frames, [vec![vec![(0.1, 0.2)], vec![(0.3, 0.4)]]]);
        // a joint row of the wrong length
        let r = rollout(vec![vec![0.0; 7]]);
        let e = arm_frames(&mass, &r, 2).unwrap_err();
        assert!(e.to_string().contains("joint trajectory 0 has 7"), "{e}");
        let line = PointMass::new(1, 1.0).unwrap();
        let r = rollout(vec![vec![0.0; 4]]);
        let e = arm_frames(&line, &r, 2).unwrap_err();
        assert!(e.to_string().contains("need 2"), "{e}");
        let e = stick_figure(&mass, &[0.0; 3]).unwrap_err();
        assert!(e.to_string().contains("3 numbers"), "{e}");
        assert_eq!(
            stick_figure(&mass, &[0.5, -0.5, 1.0, 1.0]).unwrap(),
            [(0.5, -0.5)]
        );
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "motornet-plot-rollout-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn plot_run_writes_every_plot_of_an_arm() {
        let arm = presets::spec("RigidTendonArm26", None)
            .unwrap()
            .build()
            .unwrap();
        let joint = vec![vec![0.5, 1.0, 0.0, 0.0, 0.6, 1.1, 0.0, 0.0, 0.7, 1.2, 0.0, 0.0]; 2];
        let r = rollout(joint);
        let dir = temp_dir("arm");
        let losses = [0.5, 0.4, 0.3];
        let files = plot_run(&dir, &losses, &arm, Some(&r)).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "loss.png",
                "loss.svg",
                "reaches.png",
                "reaches.svg",
                "speed.png",
                "speed.svg",
                "arm.png",
                "arm.svg"
            ]
        );
        for f in &files {
            assert!(
                std::fs::metadata(f).unwrap().len() > 1000,
                "{}",
                f.display()
            );
        }
        // without a validation rollout: the loss alone
        let files = plot_run(&dir, &losses, &arm, None).unwrap();
        assert_eq!(files.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plot_rollout_of_a_3d_point_mass_draws_two_projections() {
        let spec = r#"{
          "skeleton": {"type": "PointMass", "space_dim": 3, "mass": 1.0},
          "muscle": {"type": "ReluMuscle"},
          "muscles": [{"name": "a", "max_isometric_force": 500}],
          "geometry": {"type": "constant_moment_arms", "moment_arms": [[1.0], [0.0], [0.0]]},
          "timestep": 0.01,
          "pos_lower_bound": [-1, -1, -1], "pos_upper_bound": [1, 1, 1],
          "vel_lower_bound": [-9, -9, -9], "vel_upper_bound": [9, 9, 9]
        }"#;
        let mass = motornet_effector::EffectorSpec::from_json(spec)
            .unwrap()
            .build()
            .unwrap();
        // a reach up along z and one along −y, 3 states each
        let r = Rollout {
            fingertip: vec![
                vec![
                    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.0, 0.0, 1.0, 0.0, 0.0, 0.1,
                    0.0, 0.0, 0.0,
                ],
                vec![
                    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.05, 0.0, 0.0, -1.0, 0.0, 0.0, -0.1, 0.0,
                    0.0, 0.0, 0.0,
                ],
            ],
            target: vec![vec![0.0, 0.0, 0.1], vec![0.0, -0.1, 0.0]],
            joint: vec![vec![0.0; 18]; 2],
            ..Rollout::default()
        };
        let dir = temp_dir("mass3d");
        let files = plot_rollout(&dir, &mass, &r, "reaches in space").unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["reaches.png", "reaches.svg", "speed.png", "speed.svg"]
        );
        let png = std::fs::read(dir.join("reaches.png")).unwrap();
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!(
            (be(&png[16..20]), be(&png[20..24])),
            (1600, 800),
            "two panels"
        );
        let svg = std::fs::read_to_string(dir.join("reaches.svg")).unwrap();
        assert!(svg.contains("reaches in space") && svg.contains("z (m)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plot_rollout_of_a_point_mass_has_no_arm_and_checks_the_dimension() {
        let mass = presets::spec("ReluPointMass24", None)
            .unwrap()
            .build()
            .unwrap();
        let r = rollout(vec![vec![0.0; 12]; 2]);
        let dir = temp_dir("mass");
        let files = plot_rollout(&dir, &mass, &r, "t").unwrap();
        assert_eq!(files.len(), 4, "{files:?}");
        assert!(!dir.join("arm.png").exists());
        // a rollout of 3-d targets does not fit a planar effector
        let r = Rollout {
            fingertip: vec![vec![0.0; 6]],
            target: vec![vec![0.0; 3]],
            ..Rollout::default()
        };
        let e = plot_rollout(&dir, &mass, &r, "t").unwrap_err();
        assert!(e.to_string().contains("3 coordinates"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
