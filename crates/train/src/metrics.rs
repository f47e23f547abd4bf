//! Reach metrics of a [`Rollout`]: the numbers people look at first in a validation batch.
//!
//! For each element (reach) of a rollout, from its fingertip trajectory and its target
//! ([`ReachMetrics`]): the final endpoint error (m), the path length (m), the straight distance
//! from the start to the target (m), their ratio (1 for a straight reach that ends on the
//! target), the peak fingertip speed (m/s) and the lateral deviation from the straight line
//! (m: signed in the plane, its magnitude in 3-D); from its speed profile and go cue ([`ReachTiming`]): the
//! reaction time and the movement time (s); and their means over the batch
//! ([`RolloutMetrics`]). `motornet eval` prints the means and writes the per-reach values.
//!
//! ```
//! use motornet_train::{metrics, Rollout};
//!
//! // one reach in the plane, 3 states of [x, y, vx, vy]: along x to the target (0.1, 0)
//! let r = Rollout {
//!     fingertip: vec![vec![0.0, 0.0, 0.0, 0.0, 0.05, 0.0, 1.0, 0.0, 0.1, 0.0, 0.0, 0.0]],
//!     target: vec![vec![0.1, 0.0]],
//!     ..Rollout::default()
//! };
//! let m = metrics::rollout_metrics(&r)?;
//! assert_eq!(m.mean_final_error_m, 0.0);
//! assert_eq!(m.mean_path_length_ratio, Some(1.0));
//! assert_eq!(m.mean_peak_speed_m_per_s, 1.0);
//! # Ok::<(), metrics::MetricsError>(())
//! ```

use crate::Rollout;

/// Straight distances (m) below this leave a reach's path-length ratio undefined: the start is
/// the target (a catch trial, a hold), and any movement would give an arbitrarily large ratio.
pub const MIN_STRAIGHT_DISTANCE_M: f64 = 1e-9;

/// The metrics of one reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachMetrics {
    /// Distance (m) from the fingertip at the last state to the target.
    pub final_error_m: f64,
    /// Length (m) of the fingertip's path: the sum of the distances between consecutive states.
    pub path_length_m: f64,
    /// Distance (m) from the fingertip at the first state to the target.
    pub straight_distance_m: f64,
    /// `path_length_m / straight_distance_m` (dimensionless, at least 1 for a reach that ends
    /// on its target); `None` when the straight distance is below
    /// [`MIN_STRAIGHT_DISTANCE_M`].
    pub path_length_ratio: Option<f64>,
    /// The largest fingertip speed (m/s, the norm of the velocity) over the states.
    pub peak_speed_m_per_s: f64,
    /// In the plane (`d = 2`): the fingertip's distance (m) from the line through its start
    /// and the target, at the state where its absolute value is largest, signed: positive to
    /// the left of the direction of motion (start → target), negative to the right. A curl
    /// field that pushes a reach clockwise gives a negative deviation.
    ///
    /// In 3-D (and above, `d ≥ 3`): the largest distance (m) of the fingertip from that line,
    /// which is never negative. A sign needs a side, and "left of the motion" is defined only
    /// in the plane: around a line in space every direction is perpendicular. `None` for
    /// `d = 1` (there is no perpendicular) or when the straight distance is below
    /// [`MIN_STRAIGHT_DISTANCE_M`].
    pub signed_lateral_deviation_m: Option<f64>,
}

/// Speed threshold of [`ReachTiming`], as a fraction of the reach's peak speed.
pub const MOVEMENT_SPEED_FRACTION: f64 = 0.1;

/// When a reach moves: from its fingertip speed at every state, `dt` apart, and its go cue.
/// The movement is the stretch from the first to the last state, at or after the go cue, whose
/// speed is at least [`MOVEMENT_SPEED_FRACTION`] of the peak speed after the cue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachTiming {
    /// Time (s) from the go cue to the movement's onset.
    pub reaction_time_s: f64,
    /// Time (s) from the onset to the last state above the threshold.
    pub movement_time_s: f64,
}

/// The metrics of a rollout: per reach, and their means.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutMetrics {
    /// One entry per element of the rollout, in its order.
    pub reaches: Vec<ReachMetrics>,
    /// Mean of [`ReachMetrics::final_error_m`] (m).
    pub mean_final_error_m: f64,
    /// Mean of [`ReachMetrics::path_length_ratio`] over the reaches that have one; `None` if
    /// none has.
    pub mean_path_length_ratio: Option<f64>,
    /// Mean of [`ReachMetrics::peak_speed_m_per_s`] (m/s).
    pub mean_peak_speed_m_per_s: f64,
    /// Mean of [`ReachMetrics::signed_lateral_deviation_m`] over the reaches that have one
    /// (m; in 3-D a mean of non-negative magnitudes); `None` if none has.
    pub mean_signed_lateral_deviation_m: Option<f64>,
    /// Per reach, in order: its [`ReachTiming`], `None` for a catch trial (no go cue) or a
    /// reach that does not move after its cue.
    pub timing: Vec<Option<ReachTiming>>,
    /// Mean of [`ReachTiming::reaction_time_s`] over the reaches that have a timing (s).
    pub mean_reaction_time_s: Option<f64>,
    /// Mean of [`ReachTiming::movement_time_s`] over the reaches that have a timing (s).
    pub mean_movement_time_s: Option<f64>,
}

/// Why a rollout's metrics cannot be computed: its shapes disagree.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The rollout has no elements.
    #[error("the rollout has no reaches")]
    Empty,
    /// The rollout's arrays do not have the shapes of [`Rollout`]'s documentation.
    #[error("reach {element}: {message}")]
    Shape {
        /// The element (reach) concerned.
        element: usize,
        /// What is wrong.
        message: String,
    },
}

/// The metrics of one reach: `fingertip` is `[(T+1) · 2d]` (position then velocity at every
/// state, m and m/s) and `target` is `[d]` (m), as in a [`Rollout`]'s element. `element` only
/// names the reach in errors. Non-finite values give non-finite metrics, not errors.
///
/// # Errors
///
/// [`MetricsError::Shape`] if `target` is empty or `fingertip` is not a positive multiple of
/// `2 · target.len()` long.
pub fn reach_metrics(
    element: usize,
    fingertip: &[f64],
    target: &[f64],
) -> Result<ReachMetrics, MetricsError> {
    let d = target.len();
    let shape = |message: String| MetricsError::Shape { element, message };
    if d == 0 {
        return Err(shape("the target has no coordinates".into()));
    }
    if fingertip.is_empty() || !fingertip.len().is_multiple_of(2 * d) {
        return Err(shape(format!(
            "the fingertip trajectory has {} numbers, not a positive multiple of 2·{d} \
             (position and velocity at every state, for a target of {d} coordinates)",
            fingertip.len()
        )));
    }
    let states: Vec<&[f64]> = fingertip.chunks(2 * d).collect();
    let distance = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    let first = &states[0][..d];
    let last = &states[states.len() - 1][..d];
    let path_length_m: f64 = states
        .windows(2)
        .map(|w| distance(&w[0][..d], &w[1][..d]))
        .sum();
    let straight_distance_m = distance(first, target);
    let peak_speed_m_per_s = states
        .iter()
        .map(|s| s[d..].iter().map(|v| v * v).sum::<f64>().sqrt())
        .fold(
            0.0,
            |peak: f64, v| if v > peak || v.is_nan() { v } else { peak },
        );
    let straight = straight_distance_m >= MIN_STRAIGHT_DISTANCE_M;
    // the unit normal to the left of start → target, and the largest excursion along it
    let planar = (d == 2 && straight).then(|| {
        let u = [
            (target[0] - first[0]) / straight_distance_m,
            (target[1] - first[1]) / straight_distance_m,
        ];
        let left = [-u[1], u[0]];
        states
            .iter()
            .map(|s| (s[0] - first[0]) * left[0] + (s[1] - first[1]) * left[1])
            .fold(0.0, |worst: f64, v| {
                if v.abs() > worst.abs() || v.is_nan() {
                    v
                } else {
                    worst
                }
            })
    });
    // out of the plane: the largest distance from the line start → target (unsigned)
    let spatial = (d >= 3 && straight).then(|| {
        let u: Vec<f64> = (0..d)
            .map(|k| (target[k] - first[k]) / straight_distance_m)
            .collect();
        states
            .iter()
            .map(|s| {
                let r: Vec<f64> = (0..d).map(|k| s[k] - first[k]).collect();
                let along: f64 = r.iter().zip(&u).map(|(a, b)| a * b).sum();
                let off: f64 = r.iter().zip(&u).map(|(a, b)| (a - along * b).powi(2)).sum();
                off.sqrt()
            })
            .fold(
                0.0,
                |worst: f64, v| if v > worst || v.is_nan() { v } else { worst },
            )
    });
    Ok(ReachMetrics {
        final_error_m: distance(last, target),
        path_length_m,
        straight_distance_m,
        path_length_ratio: straight.then(|| path_length_m / straight_distance_m),
        peak_speed_m_per_s,
        signed_lateral_deviation_m: planar.or(spatial),
    })
}

/// The [`ReachTiming`] of a reach: `fingertip` as for [`reach_metrics`] (`[(T+1) · 2d]`), `d`
/// its space dimension, `dt` (s) the time between states and `go_cue` the state index of the
/// cue (`None`: a catch trial, no timing). `None` too when the cue comes after the last state
/// or the fingertip does not move after it.
pub fn reach_timing(
    fingertip: &[f64],
    d: usize,
    dt: f64,
    go_cue: Option<usize>,
) -> Option<ReachTiming> {
    let cue = go_cue?;
    if d == 0 {
        return None;
    }
    let speeds: Vec<f64> = fingertip
        .chunks_exact(2 * d)
        .skip(cue)
        .map(|s| s[d..].iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let peak = speeds.iter().copied().fold(0.0, f64::max);
    if peak <= 0.0 {
        return None;
    }
    let moving = |v: &f64| *v >= MOVEMENT_SPEED_FRACTION * peak;
    let onset = speeds.iter().position(moving)?;
    let end = speeds.iter().rposition(moving)?;
    Some(ReachTiming {
        reaction_time_s: onset as f64 * dt,
        movement_time_s: (end - onset) as f64 * dt,
    })
}

/// The metrics of every reach of `r` ([`reach_metrics`] of its fingertip trajectories and
/// targets) and their means.
///
/// # Errors
///
/// [`MetricsError::Empty`] if `r` has no elements, [`MetricsError::Shape`] if its fingertip
/// trajectories and targets differ in number or a reach's shapes disagree.
pub fn rollout_metrics(r: &Rollout) -> Result<RolloutMetrics, MetricsError> {
    if r.fingertip.is_empty() && r.target.is_empty() {
        return Err(MetricsError::Empty);
    }
    if r.fingertip.len() != r.target.len() {
        return Err(MetricsError::Shape {
            element: r.fingertip.len().min(r.target.len()),
            message: format!(
                "the rollout has {} fingertip trajectories but {} targets",
                r.fingertip.len(),
                r.target.len()
            ),
        });
    }
    let reaches = r
        .fingertip
        .iter()
        .zip(&r.target)
        .enumerate()
        .map(|(e, (f, t))| reach_metrics(e, f, t))
        .collect::<Result<Vec<_>, _>>()?;
    let mean = |values: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    let n = reaches.len() as f64;
    // a rollout without go cues recorded (built by hand) has no timing
    let timing: Vec<Option<ReachTiming>> = (r.fingertip.iter().zip(&r.target))
        .enumerate()
        .map(|(e, (f, t))| {
            let cue = r.go_cue.get(e).copied().flatten();
            reach_timing(f, t.len(), r.dt, cue)
        })
        .collect();
    let timed = || timing.iter().flatten();
    Ok(RolloutMetrics {
        mean_final_error_m: reaches.iter().map(|m| m.final_error_m).sum::<f64>() / n,
        mean_path_length_ratio: mean(&mut reaches.iter().filter_map(|m| m.path_length_ratio)),
        mean_peak_speed_m_per_s: reaches.iter().map(|m| m.peak_speed_m_per_s).sum::<f64>() / n,
        mean_signed_lateral_deviation_m: mean(
            &mut reaches.iter().filter_map(|m| m.signed_lateral_deviation_m),
        ),
        mean_reaction_time_s: mean(&mut timed().map(|t| t.reaction_time_s)),
        mean_movement_time_s: mean(&mut timed().map(|t| t.movement_time_s)),
        timing,
        reaches,
    })
}

/// What a tuning analysis of a planar rollout needs per reach: its direction (rad, start →
/// target, anticlockwise from +x) and the network step of its peak fingertip speed (the state
/// of peak speed, at most T − 1: the network's state at step t is computed from state t).
/// For `motornet_analysis::cosine_tuning` with the rollout's `hidden` rows.
///
/// Planar only: a direction is one angle in the plane, and cosine tuning
/// (`motornet_analysis`) fits a preferred direction as an angle. Reaches in 3-D are an error
/// (`motornet analyze` writes their principal components and says that tuning needs reaches
/// in the plane).
///
/// # Errors
///
/// [`MetricsError::Empty`] for a rollout without reaches; [`MetricsError::Shape`] for a reach
/// out of the plane, with fewer than 2 states, or starting on its target (no direction).
pub fn reach_directions_and_peaks(r: &Rollout) -> Result<(Vec<f64>, Vec<usize>), MetricsError> {
    if r.fingertip.is_empty() {
        return Err(MetricsError::Empty);
    }
    let mut directions = Vec::with_capacity(r.fingertip.len());
    let mut peaks = Vec::with_capacity(r.fingertip.len());
    for (element, (f, t)) in r.fingertip.iter().zip(&r.target).enumerate() {
        let shape = |message: String| MetricsError::Shape { element, message };
        if t.len() != 2 {
            return Err(shape(format!(
                "reach directions are angles in the plane: tuning needs planar reaches \
                 (2 coordinates), this one's target has {}",
                t.len()
            )));
        }
        if f.len() % 4 != 0 || f.len() < 8 {
            return Err(shape(format!(
                "needs a planar reach of at least 2 states, got a target of {} and {} \
                 fingertip numbers",
                t.len(),
                f.len()
            )));
        }
        let (dx, dy) = (t[0] - f[0], t[1] - f[1]);
        if dx.hypot(dy) < MIN_STRAIGHT_DISTANCE_M {
            return Err(shape("starts on its target: it has no direction".into()));
        }
        directions.push(dy.atan2(dx));
        let speed = |s: &[f64]| s[2].hypot(s[3]);
        let states: Vec<&[f64]> = f.chunks(4).collect();
        let peak = (0..states.len()).fold(0, |best, i| {
            if speed(states[i]) > speed(states[best]) {
                i
            } else {
                best
            }
        });
        peaks.push(peak.min(states.len() - 2));
    }
    Ok((directions, peaks))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A planar fingertip trajectory from positions and velocities per state.
    fn trajectory(states: &[([f64; 2], [f64; 2])]) -> Vec<f64> {
        states
            .iter()
            .flat_map(|(p, v)| [p[0], p[1], v[0], v[1]])
            .collect()
    }

    /// Positions only (velocities zero), for the geometric metrics.
    fn path(points: &[[f64; 2]]) -> Vec<f64> {
        trajectory(&points.iter().map(|&p| (p, [0.0, 0.0])).collect::<Vec<_>>())
    }

    #[test]
    fn lateral_deviation_is_signed_positive_to_the_left_of_the_motion() {
        // rightward reach bulging up (+y is to the left of +x): +2 cm at its largest
        let up = path(&[
            [0.0, 0.0],
            [0.03, 0.01],
            [0.05, 0.02],
            [0.08, 0.005],
            [0.1, 0.0],
        ]);
        let m = reach_metrics(0, &up, &[0.1, 0.0]).unwrap();
        assert!(
            (m.signed_lateral_deviation_m.unwrap() - 0.02).abs() < 1e-15,
            "{m:?}"
        );
        // its mirror image bulges to the right
        let down = path(&[[0.0, 0.0], [0.03, -0.01], [0.05, -0.02], [0.1, 0.0]]);
        let m = reach_metrics(0, &down, &[0.1, 0.0]).unwrap();
        assert!(
            (m.signed_lateral_deviation_m.unwrap() + 0.02).abs() < 1e-15,
            "{m:?}"
        );
        // a leftward reach bulging up is bulging to its right
        let back = path(&[[0.0, 0.0], [-0.05, 0.02], [-0.1, 0.0]]);
        let m = reach_metrics(0, &back, &[-0.1, 0.0]).unwrap();
        assert!(
            (m.signed_lateral_deviation_m.unwrap() + 0.02).abs() < 1e-15,
            "{m:?}"
        );
        // the largest excursion wins whatever its side; from an offset start on a diagonal,
        // (0, 0.03) is 2.1 cm to the left, (0.04, 0) 2.8 cm to the right
        let diag = path(&[
            [1.0, 1.0],
            [1.0, 1.03],
            [1.04, 1.0],
            [1.06, 1.08],
            [1.1, 1.1],
        ]);
        let m = reach_metrics(0, &diag, &[1.1, 1.1]).unwrap();
        let want = -0.04 / 2f64.sqrt(); // (0.04, 0)·(−1, 1)/√2
        assert!(
            (m.signed_lateral_deviation_m.unwrap() - want).abs() < 1e-12,
            "{m:?}"
        );
        // no line to deviate from
        assert_eq!(
            reach_metrics(0, &path(&[[0.0, 0.0], [0.0, 0.1]]), &[0.0, 0.0])
                .unwrap()
                .signed_lateral_deviation_m,
            None
        );
        // a straight reach along x in 3-D does not deviate; in 1-D there is no perpendicular
        let three_d = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0];
        let m = reach_metrics(0, &three_d, &[0.1, 0.0, 0.0]).unwrap();
        assert_eq!(m.signed_lateral_deviation_m, Some(0.0));
        let m = reach_metrics(0, &[0.0, 0.0, 0.1, 0.0], &[0.1]).unwrap();
        assert_eq!(m.signed_lateral_deviation_m, None);
    }

    /// A 3-D fingertip trajectory from positions and velocities per state.
    fn trajectory_3d(states: &[([f64; 3], [f64; 3])]) -> Vec<f64> {
        states
            .iter()
            .flat_map(|(p, v)| [p[0], p[1], p[2], v[0], v[1], v[2]])
            .collect()
    }

    #[test]
    fn lateral_deviation_in_3d_is_the_largest_distance_from_the_line_unsigned() {
        // from (1, 1, 1) towards (1, 1, 1.2) (along +z); excursions (0.03, 0.04, ·) = 5 cm and
        // (−0.02, 0, ·) = 2 cm off the line, on either side: the magnitude of the larger
        let r = 1.0;
        let f = trajectory_3d(&[
            ([r, r, r], [0.0; 3]),
            ([r - 0.02, r, r + 0.05], [0.0; 3]),
            ([r + 0.03, r + 0.04, r + 0.1], [0.0; 3]),
            ([r, r, r + 0.2], [0.0; 3]),
        ]);
        let m = reach_metrics(0, &f, &[r, r, r + 0.2]).unwrap();
        let dev = m.signed_lateral_deviation_m.unwrap();
        assert!((dev - 0.05).abs() < 1e-12, "{m:?}");
        // the mirror image (every excursion negated) gives the same, non-negative value
        let g = trajectory_3d(&[
            ([r, r, r], [0.0; 3]),
            ([r + 0.02, r, r + 0.05], [0.0; 3]),
            ([r - 0.03, r - 0.04, r + 0.1], [0.0; 3]),
            ([r, r, r + 0.2], [0.0; 3]),
        ]);
        let m2 = reach_metrics(0, &g, &[r, r, r + 0.2]).unwrap();
        assert!((m2.signed_lateral_deviation_m.unwrap() - 0.05).abs() < 1e-12);
        // on a diagonal line: the point (0.1, 0, 0) is |(0.1,0,0) − (0.1/3)(1,1,1)| =
        // 0.1·√(2/3) from the line through the origin along (1, 1, 1)
        let h = trajectory_3d(&[
            ([0.0; 3], [0.0; 3]),
            ([0.1, 0.0, 0.0], [0.0; 3]),
            ([0.1, 0.1, 0.1], [0.0; 3]),
        ]);
        let m3 = reach_metrics(0, &h, &[0.1, 0.1, 0.1]).unwrap();
        let want = 0.1 * (2.0f64 / 3.0).sqrt();
        assert!((m3.signed_lateral_deviation_m.unwrap() - want).abs() < 1e-12);
        // no line: a reach that starts on its target
        let m4 = reach_metrics(0, &h, &[0.0; 3]).unwrap();
        assert_eq!(m4.signed_lateral_deviation_m, None);
        // a NaN state is the result, not a panic
        let mut bad = h.clone();
        bad[6] = f64::NAN;
        let m5 = reach_metrics(0, &bad, &[0.1, 0.1, 0.1]).unwrap();
        assert!(m5.signed_lateral_deviation_m.unwrap().is_nan());
    }

    #[test]
    fn rollout_metrics_of_3d_reaches_have_every_value_and_no_nan() {
        // two straight reaches of 0.1 m along +z and −y at rest at both ends, peak 1 m/s, cue
        // at state 1; the second overshoots by 1 cm off the line along x
        let a = trajectory_3d(&[
            ([0.0; 3], [0.0; 3]),
            ([0.0; 3], [0.0; 3]),
            ([0.0, 0.0, 0.05], [0.0, 0.0, 1.0]),
            ([0.0, 0.0, 0.1], [0.0; 3]),
        ]);
        let b = trajectory_3d(&[
            ([0.0; 3], [0.0; 3]),
            ([0.0; 3], [0.0; 3]),
            ([0.01, -0.05, 0.0], [0.0, -0.5, 0.0]),
            ([0.0, -0.1, 0.0], [0.0; 3]),
        ]);
        let r = Rollout {
            fingertip: vec![a, b],
            target: vec![vec![0.0, 0.0, 0.1], vec![0.0, -0.1, 0.0]],
            dt: 0.01,
            go_cue: vec![Some(1), Some(1)],
            ..Rollout::default()
        };
        let m = rollout_metrics(&r).unwrap();
        assert_eq!(m.mean_final_error_m, 0.0);
        assert_eq!(m.mean_peak_speed_m_per_s, 0.75);
        assert!((m.reaches[0].path_length_ratio.unwrap() - 1.0).abs() < 1e-12);
        let detour = 2.0 * (0.01f64.powi(2) + 0.05f64.powi(2)).sqrt() / 0.1;
        assert!((m.reaches[1].path_length_ratio.unwrap() - detour).abs() < 1e-12);
        assert!((m.mean_signed_lateral_deviation_m.unwrap() - 0.005).abs() < 1e-12);
        // onset at the state after the cue (speed above a tenth of the peak), one state long
        assert_eq!(m.mean_reaction_time_s, Some(0.01));
        assert_eq!(m.mean_movement_time_s, Some(0.0));
        // reach directions are planar: a clear error, not a panic
        let e = reach_directions_and_peaks(&r).unwrap_err();
        assert!(e.to_string().contains("angles in the plane"), "{e}");
    }

    #[test]
    fn timing_runs_from_the_cue_to_the_last_state_above_a_tenth_of_the_peak_speed() {
        // speeds per state: 5 (before the cue: ignored), 0, 0, 0.05, 1, 0.5, 0.05, 0
        let f = trajectory(&[
            ([0.0, 0.0], [3.0, 4.0]),
            ([0.0, 0.0], [0.0, 0.0]),
            ([0.0, 0.0], [0.0, 0.0]),
            ([0.0, 0.0], [0.05, 0.0]),
            ([0.0, 0.0], [0.0, 1.0]),
            ([0.0, 0.0], [0.3, 0.4]),
            ([0.0, 0.0], [0.0, -0.05]),
            ([0.0, 0.0], [0.0, 0.0]),
        ]);
        let t = reach_timing(&f, 2, 0.01, Some(1)).unwrap();
        assert!((t.reaction_time_s - 0.03).abs() < 1e-15, "{t:?}");
        assert!((t.movement_time_s - 0.01).abs() < 1e-15, "{t:?}");
        // the first state above the threshold at the cue itself: no reaction time
        let t = reach_timing(&f, 2, 0.01, Some(4)).unwrap();
        assert_eq!(t.reaction_time_s, 0.0);
        assert_eq!(reach_timing(&f, 2, 0.01, None), None, "a catch trial");
        assert_eq!(
            reach_timing(&f, 2, 0.01, Some(7)),
            None,
            "no movement after the cue"
        );
        assert_eq!(
            reach_timing(&f, 2, 0.01, Some(8)),
            None,
            "the cue after the last state"
        );
    }

    #[test]
    fn rollout_means_skip_reaches_without_a_value() {
        let mut r = Rollout {
            fingertip: vec![
                trajectory(&[
                    ([0.0, 0.0], [0.0, 0.0]),
                    ([0.05, 0.01], [1.0, 0.0]),
                    ([0.1, 0.0], [0.0, 0.0]),
                ]),
                trajectory(&[
                    ([0.0, 0.0], [0.0, 0.0]),
                    ([0.05, -0.03], [0.0, 2.0]),
                    ([0.0, 0.1], [0.0, 0.0]),
                ]),
            ],
            target: vec![vec![0.1, 0.0], vec![0.0, 0.1]],
            dt: 0.02,
            go_cue: vec![Some(0), None],
            ..Rollout::default()
        };
        let m = rollout_metrics(&r).unwrap();
        // +0.01 (left of +x) and −0.05 (left of +y is −x: x = +0.05 is to the right)
        assert!(
            (m.mean_signed_lateral_deviation_m.unwrap() + 0.02).abs() < 1e-15,
            "{m:?}"
        );
        assert_eq!(m.timing.len(), 2);
        assert_eq!(m.timing[1], None, "a catch trial has no timing");
        assert!(
            (m.mean_reaction_time_s.unwrap() - 0.02).abs() < 1e-15,
            "{m:?}"
        );
        assert_eq!(m.mean_movement_time_s, Some(0.0));
        r.go_cue.clear();
        let m = rollout_metrics(&r).unwrap();
        assert_eq!(
            (m.mean_reaction_time_s, m.mean_movement_time_s),
            (None, None)
        );
    }

    #[test]
    fn straight_reach_onto_the_target() {
        // along (3, 4)/5 from (0, 0) to (0.3, 0.4) in three equal steps; speeds 0, 2.5, 5, 0
        let f = trajectory(&[
            ([0.0, 0.0], [0.0, 0.0]),
            ([0.1, 0.4 / 3.0], [1.5, 2.0]),
            ([0.2, 0.8 / 3.0], [3.0, 4.0]),
            ([0.3, 0.4], [0.0, 0.0]),
        ]);
        let m = reach_metrics(0, &f, &[0.3, 0.4]).unwrap();
        assert!(m.final_error_m.abs() < 1e-15, "{m:?}");
        assert!((m.path_length_m - 0.5).abs() < 1e-15, "{m:?}");
        assert!((m.straight_distance_m - 0.5).abs() < 1e-15, "{m:?}");
        assert!((m.path_length_ratio.unwrap() - 1.0).abs() < 1e-14, "{m:?}");
        assert_eq!(m.peak_speed_m_per_s, 5.0);
    }

    #[test]
    fn detour_and_miss() {
        // from (0, 0) up to (0, 0.1), then right to (0.1, 0.1); the target is (0.1, 0):
        // path 0.2 m, straight 0.1 m, ratio 2, final error 0.1 m, peak speed |(0.6, 0.8)| = 1
        let f = trajectory(&[
            ([0.0, 0.0], [0.0, 0.5]),
            ([0.0, 0.1], [0.6, 0.8]),
            ([0.1, 0.1], [0.0, 0.0]),
        ]);
        let m = reach_metrics(3, &f, &[0.1, 0.0]).unwrap();
        assert!((m.final_error_m - 0.1).abs() < 1e-15);
        assert!((m.path_length_m - 0.2).abs() < 1e-15);
        assert!((m.path_length_ratio.unwrap() - 2.0).abs() < 1e-14);
        assert!((m.peak_speed_m_per_s - 1.0).abs() < 1e-15);
    }

    #[test]
    fn means_over_a_rollout() {
        let straight = trajectory(&[([0.0, 0.0], [0.0, 2.0]), ([0.0, 0.1], [0.0, 0.0])]);
        // a hold on the target: no ratio, no speed, no error
        let hold = trajectory(&[([0.2, 0.2], [0.0, 0.0]), ([0.2, 0.2], [0.0, 0.0])]);
        let r = Rollout {
            fingertip: vec![straight, hold],
            target: vec![vec![0.0, 0.1], vec![0.2, 0.2]],
            ..Rollout::default()
        };
        let m = rollout_metrics(&r).unwrap();
        assert_eq!(m.reaches.len(), 2);
        assert_eq!(m.reaches[1].path_length_ratio, None);
        assert_eq!(m.mean_path_length_ratio, Some(1.0));
        assert_eq!(m.mean_final_error_m, 0.0);
        assert_eq!(m.mean_peak_speed_m_per_s, 1.0); // (2 + 0) / 2
                                                    // every reach a hold: no mean ratio
        let r = Rollout {
            fingertip: vec![r.fingertip[1].clone()],
            target: vec![vec![0.2, 0.2]],
            ..Rollout::default()
        };
        assert_eq!(rollout_metrics(&r).unwrap().mean_path_length_ratio, None);
    }

    #[test]
    fn three_dimensional_reach() {
        // one state at (1, 2, 2) m moving at (0, 3, 4) m/s, target at the origin
        let m = reach_metrics(0, &[1.0, 2.0, 2.0, 0.0, 3.0, 4.0], &[0.0; 3]).unwrap();
        assert_eq!(m.final_error_m, 3.0);
        assert_eq!(m.path_length_m, 0.0);
        assert_eq!(m.path_length_ratio, Some(0.0));
        assert_eq!(m.peak_speed_m_per_s, 5.0);
    }

    #[test]
    fn a_nan_speed_is_the_peak() {
        let f = trajectory(&[([0.0, 0.0], [f64::NAN, 0.0]), ([0.0, 0.1], [1.0, 0.0])]);
        assert!(reach_metrics(0, &f, &[0.0, 0.1])
            .unwrap()
            .peak_speed_m_per_s
            .is_nan());
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert_eq!(
            rollout_metrics(&Rollout::default()),
            Err(MetricsError::Empty)
        );
        let e = reach_metrics(2, &[0.0; 6], &[0.0, 0.0]).unwrap_err();
        assert!(
            matches!(&e, MetricsError::Shape { element: 2, message } if message.contains("6 numbers")),
            "{e}"
        );
        assert!(reach_metrics(0, &[], &[0.0, 0.0]).is_err());
        assert!(reach_metrics(0, &[0.0; 4], &[]).is_err());
        let r = Rollout {
            fingertip: vec![vec![0.0; 4], vec![0.0; 4]],
            target: vec![vec![0.0; 2]],
            ..Rollout::default()
        };
        let e = rollout_metrics(&r).unwrap_err();
        assert!(
            e.to_string()
                .contains("2 fingertip trajectories but 1 targets"),
            "{e}"
        );
        let r = Rollout {
            fingertip: vec![vec![0.0; 4], vec![0.0; 5]],
            target: vec![vec![0.0; 2]; 2],
            ..Rollout::default()
        };
        assert!(matches!(
            rollout_metrics(&r),
            Err(MetricsError::Shape { element: 1, .. })
        ));
    }

    #[test]
    fn reach_directions_and_peaks_give_each_reach_s_angle_and_peak_step() {
        // a reach up-left (135°) peaking at state 2, one along −y peaking at the last state
        let r = Rollout {
            fingertip: vec![
                trajectory(&[
                    ([0.0, 0.0], [0.0, 0.0]),
                    ([-0.01, 0.01], [-0.3, 0.3]),
                    ([-0.03, 0.03], [-0.5, 0.5]),
                    ([-0.05, 0.05], [-0.1, 0.1]),
                ]),
                trajectory(&[
                    ([0.0, 0.0], [0.0, 0.0]),
                    ([0.0, -0.01], [0.0, -0.2]),
                    ([0.0, -0.02], [0.0, -0.3]),
                    ([0.0, -0.03], [0.0, -0.4]),
                ]),
            ],
            target: vec![vec![-0.05, 0.05], vec![0.0, -0.1]],
            ..Rollout::default()
        };
        let (dirs, peaks) = reach_directions_and_peaks(&r).unwrap();
        assert!((dirs[0] - 0.75 * std::f64::consts::PI).abs() < 1e-12);
        assert!((dirs[1] + 0.5 * std::f64::consts::PI).abs() < 1e-12);
        // the peak at the last state (3) is the network's last step (2)
        assert_eq!(peaks, [2, 2]);
        let mut on_target = r.clone();
        on_target.target[1] = vec![0.0, 0.0];
        assert!(matches!(
            reach_directions_and_peaks(&on_target),
            Err(MetricsError::Shape { element: 1, .. })
        ));
        assert_eq!(
            reach_directions_and_peaks(&Rollout::default()),
            Err(MetricsError::Empty)
        );
    }
}
