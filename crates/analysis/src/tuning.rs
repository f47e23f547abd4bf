//! Cosine tuning of units to reach direction, and the shift of their preferred directions
//! between two tunings of the same units.

use std::f64::consts::PI;

use nalgebra::{Matrix3, Vector3};

use crate::error::{check_finite, check_matrix, AnalysisError};

/// Directions closer than this (rad, modulo 2π) count as one in
/// [`AnalysisError::TooFewDirections`].
pub const SAME_DIRECTION_RAD: f64 = 1e-9;

/// One unit's cosine tuning: its response `r` to a reach in direction `θ` (rad) fitted as
/// `r = baseline + b_cos · cos θ + b_sin · sin θ` by least squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitTuning {
    /// `b0`: the mean response over directions (activity units).
    pub baseline: f64,
    /// `b1`, the coefficient of `cos θ` (activity units).
    pub b_cos: f64,
    /// `b2`, the coefficient of `sin θ` (activity units).
    pub b_sin: f64,
    /// The direction of largest response, `atan2(b2, b1)` (rad, in `(−π, π]`).
    pub preferred_direction_rad: f64,
    /// The modulation depth `sqrt(b1² + b2²)` (activity units): half the peak-to-trough range
    /// of the fitted cosine.
    pub depth: f64,
    /// The fraction of the response's variance over reaches the fit explains (`1 − SS_res /
    /// SS_tot`, in `[0, 1]`); 0 for a unit whose response is the same for every reach.
    pub r2: f64,
}

/// When a unit counts as tuned: its fit explains at least `min_r2` of its variance and its
/// depth exceeds `min_depth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuned {
    /// Smallest [`UnitTuning::r2`] of a tuned unit (in `[0, 1]`).
    pub min_r2: f64,
    /// [`UnitTuning::depth`] must be strictly above this (activity units, ≥ 0).
    pub min_depth: f64,
}

impl Default for Tuned {
    /// R² at least 0.5, any depth above 0.
    fn default() -> Self {
        Tuned {
            min_r2: 0.5,
            min_depth: 0.0,
        }
    }
}

impl Tuned {
    fn check(&self) -> Result<(), AnalysisError> {
        if !(0.0..=1.0).contains(&self.min_r2) {
            return Err(AnalysisError::Parameter {
                name: "min_r2",
                value: self.min_r2,
                reason: "must be between 0 and 1",
            });
        }
        if !(self.min_depth >= 0.0 && self.min_depth.is_finite()) {
            return Err(AnalysisError::Parameter {
                name: "min_depth",
                value: self.min_depth,
                reason: "must be finite and at least 0",
            });
        }
        Ok(())
    }
}

impl UnitTuning {
    /// Whether this unit is tuned by `criterion`.
    pub fn is_tuned(&self, criterion: &Tuned) -> bool {
        self.r2 >= criterion.min_r2 && self.depth > criterion.min_depth
    }
}

/// `x` wrapped into `(−π, π]` (rad).
///
/// ```
/// use std::f64::consts::PI;
/// use motornet_analysis::wrap_angle;
/// assert!((wrap_angle(1.5 * PI) + 0.5 * PI).abs() < 1e-12);
/// assert_eq!(wrap_angle(-PI), PI);
/// ```
pub fn wrap_angle(x: f64) -> f64 {
    let r = x.rem_euclid(2.0 * PI);
    if r > PI {
        r - 2.0 * PI
    } else {
        r
    }
}

/// Each unit's mean activity over a window of `half_width` steps either side of each reach's
/// peak step (clipped to the recorded steps): `[reaches, units]` row-major.
///
/// `activity` is `[reaches, steps, units]` row-major (e.g. a rollout's hidden states, one row
/// per reach and time step); `peak_steps[b]` is reach `b`'s step of peak speed.
///
/// # Errors
///
/// [`AnalysisError::Empty`] or [`AnalysisError::Length`] for bad sizes (`peak_steps` must
/// have one entry per reach), [`AnalysisError::NonFinite`] for a NaN or infinity in
/// `activity`, [`AnalysisError::StepOutOfRange`] for a peak step `>= steps`.
pub fn peak_window_means(
    activity: &[f64],
    reaches: usize,
    steps: usize,
    units: usize,
    peak_steps: &[usize],
    half_width: usize,
) -> Result<Vec<f64>, AnalysisError> {
    for (what, n) in [("reaches", reaches), ("steps", steps), ("units", units)] {
        if n == 0 {
            return Err(AnalysisError::Empty { what });
        }
    }
    let expected = reaches.saturating_mul(steps).saturating_mul(units);
    if activity.len() != expected {
        return Err(AnalysisError::Length {
            what: "activity",
            expected,
            actual: activity.len(),
            shape: format!("[reaches, steps, units] = [{reaches}, {steps}, {units}]"),
        });
    }
    check_finite("activity", activity)?;
    if peak_steps.len() != reaches {
        return Err(AnalysisError::Length {
            what: "peak_steps",
            expected: reaches,
            actual: peak_steps.len(),
            shape: format!("[reaches] = [{reaches}]"),
        });
    }
    let mut out = Vec::with_capacity(reaches * units);
    for (b, &peak) in peak_steps.iter().enumerate() {
        if peak >= steps {
            return Err(AnalysisError::StepOutOfRange {
                reach: b,
                step: peak,
                steps,
            });
        }
        let (first, last) = (
            peak.saturating_sub(half_width),
            peak.saturating_add(half_width).min(steps - 1),
        );
        let n = (last - first + 1) as f64;
        let reach = &activity[b * steps * units..(b + 1) * steps * units];
        for h in 0..units {
            let sum: f64 = (first..=last).map(|t| reach[t * units + h]).sum();
            out.push(sum / n);
        }
    }
    Ok(out)
}

/// The number of distinct directions among `directions` (rad), modulo 2π (within
/// [`SAME_DIRECTION_RAD`]).
fn distinct_directions(directions: &[f64]) -> usize {
    let mut seen: Vec<f64> = Vec::new();
    for &d in directions {
        if !seen
            .iter()
            .any(|s| wrap_angle(d - s).abs() < SAME_DIRECTION_RAD)
        {
            seen.push(d);
        }
    }
    seen.len()
}

/// Fits each unit's cosine tuning ([`UnitTuning`]) to its responses: `responses` is
/// `[reaches, units]` row-major (e.g. from [`peak_window_means`]) and `directions[b]` is
/// reach `b`'s direction (rad, e.g. `atan2` of its target minus its start). Returns `[units]`.
///
/// # Errors
///
/// [`AnalysisError::Empty`] or [`AnalysisError::Length`] for bad sizes (`directions` must
/// have one entry per reach), [`AnalysisError::NonFinite`] for a NaN or infinity in either
/// input, [`AnalysisError::TooFewDirections`] for fewer than three distinct directions.
pub fn fit_cosine_tuning(
    responses: &[f64],
    reaches: usize,
    units: usize,
    directions: &[f64],
) -> Result<Vec<UnitTuning>, AnalysisError> {
    check_matrix(
        "responses",
        responses,
        ("reaches", reaches),
        ("units", units),
    )?;
    if directions.len() != reaches {
        return Err(AnalysisError::Length {
            what: "directions",
            expected: reaches,
            actual: directions.len(),
            shape: format!("[reaches] = [{reaches}]"),
        });
    }
    check_finite("directions", directions)?;
    let distinct = distinct_directions(directions);
    if distinct < 3 {
        return Err(AnalysisError::TooFewDirections { distinct });
    }
    // least squares through the normal equations: (AᵀA) b = Aᵀ r, A's rows [1, cos θ, sin θ];
    // three distinct points on the unit circle are never collinear, so AᵀA is invertible
    let rows: Vec<Vector3<f64>> = directions
        .iter()
        .map(|&t| Vector3::new(1.0, t.cos(), t.sin()))
        .collect();
    let ata: Matrix3<f64> = rows.iter().map(|a| a * a.transpose()).sum();
    let inverse = ata
        .try_inverse()
        .ok_or(AnalysisError::TooFewDirections { distinct })?;
    let mut out = Vec::with_capacity(units);
    for h in 0..units {
        let r = |b: usize| responses[b * units + h];
        let atr: Vector3<f64> = (0..reaches).map(|b| rows[b] * r(b)).sum();
        let coef = inverse * atr;
        let mean = (0..reaches).map(r).sum::<f64>() / reaches as f64;
        let (mut ss_res, mut ss_tot) = (0.0, 0.0);
        for b in 0..reaches {
            ss_res += (r(b) - coef.dot(&rows[b])).powi(2);
            ss_tot += (r(b) - mean).powi(2);
        }
        // a response the same for every reach (up to rounding) has nothing to explain
        let scale = mean.abs().max(1.0);
        let r2 = if ss_tot > (1e-12 * scale).powi(2) * reaches as f64 {
            (1.0 - ss_res / ss_tot).clamp(0.0, 1.0)
        } else {
            0.0
        };
        out.push(UnitTuning {
            baseline: coef[0],
            b_cos: coef[1],
            b_sin: coef[2],
            preferred_direction_rad: wrap_angle(coef[2].atan2(coef[1])),
            depth: coef[1].hypot(coef[2]),
            r2,
        });
    }
    Ok(out)
}

/// Cosine tuning of each unit around each reach's peak speed: [`peak_window_means`] of
/// `activity` (`[reaches, steps, units]`) then [`fit_cosine_tuning`] on `directions`
/// (`[reaches]`, rad). Returns `[units]`.
///
/// # Errors
///
/// Those of [`peak_window_means`] and [`fit_cosine_tuning`].
pub fn cosine_tuning(
    activity: &[f64],
    reaches: usize,
    steps: usize,
    units: usize,
    directions: &[f64],
    peak_steps: &[usize],
    half_width: usize,
) -> Result<Vec<UnitTuning>, AnalysisError> {
    let responses = peak_window_means(activity, reaches, steps, units, peak_steps, half_width)?;
    fit_cosine_tuning(&responses, reaches, units, directions)
}

/// One unit's preferred direction in two tunings and its shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitShift {
    /// Its preferred direction in the first tuning (rad).
    pub pd_a_rad: f64,
    /// Its preferred direction in the second tuning (rad).
    pub pd_b_rad: f64,
    /// `pd_b − pd_a` wrapped into `(−π, π]` (rad; positive: counter-clockwise).
    pub shift_rad: f64,
    /// Whether the unit is tuned in both ([`Tuned`]) and so counts in the mean.
    pub counted: bool,
}

/// The shift of preferred directions between two tunings of the same units.
#[derive(Debug, Clone, PartialEq)]
pub struct PdShift {
    /// `[units]`: each unit's directions and shift.
    pub units: Vec<UnitShift>,
    /// The number of units counted (tuned in both).
    pub counted: usize,
    /// The circular mean of the counted units' shifts, `atan2(mean sin, mean cos)` (rad, in
    /// `(−π, π]`); `None` when no unit is counted.
    pub mean_shift_rad: Option<f64>,
    /// The length of the counted shifts' mean resultant vector (in `[0, 1]`: 1 when every
    /// counted unit shifted by the same angle); 0 when none is counted.
    pub resultant_length: f64,
}

/// The shift of each unit's preferred direction from tuning `a` to tuning `b` (the same
/// units in the same order, e.g. before and after adaptation), and the circular mean over the
/// units tuned in both by `criterion`.
///
/// # Errors
///
/// [`AnalysisError::UnitMismatch`] if `a` and `b` differ in length, [`AnalysisError::Empty`]
/// if they are empty, [`AnalysisError::Parameter`] for a criterion out of range.
pub fn preferred_direction_shift(
    a: &[UnitTuning],
    b: &[UnitTuning],
    criterion: &Tuned,
) -> Result<PdShift, AnalysisError> {
    if a.len() != b.len() {
        return Err(AnalysisError::UnitMismatch {
            a: a.len(),
            b: b.len(),
        });
    }
    if a.is_empty() {
        return Err(AnalysisError::Empty { what: "units" });
    }
    criterion.check()?;
    let units: Vec<UnitShift> = a
        .iter()
        .zip(b)
        .map(|(a, b)| UnitShift {
            pd_a_rad: a.preferred_direction_rad,
            pd_b_rad: b.preferred_direction_rad,
            shift_rad: wrap_angle(b.preferred_direction_rad - a.preferred_direction_rad),
            counted: a.is_tuned(criterion) && b.is_tuned(criterion),
        })
        .collect();
    let counted: Vec<f64> = units
        .iter()
        .filter(|u| u.counted)
        .map(|u| u.shift_rad)
        .collect();
    let n = counted.len();
    let (mean_shift_rad, resultant_length) = if n == 0 {
        (None, 0.0)
    } else {
        let c = counted.iter().map(|s| s.cos()).sum::<f64>() / n as f64;
        let s = counted.iter().map(|s| s.sin()).sum::<f64>() / n as f64;
        (Some(wrap_angle(s.atan2(c))), c.hypot(s).min(1.0))
    };
    Ok(PdShift {
        units,
        counted: n,
        mean_shift_rad,
        resultant_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEG: f64 = PI / 180.0;

    /// 8 centre-out directions (rad), 0°, 45°, …
    fn eight() -> Vec<f64> {
        (0..8).map(|i| i as f64 * 45.0 * DEG).collect()
    }

    /// Responses `[reaches, units]` of units with planted (baseline, depth, pd) to `dirs`.
    fn responses(dirs: &[f64], units: &[(f64, f64, f64)]) -> Vec<f64> {
        dirs.iter()
            .flat_map(|t| units.iter().map(move |(b0, d, pd)| b0 + d * (t - pd).cos()))
            .collect()
    }

    const PLANTED: [(f64, f64, f64); 4] = [
        (0.1, 0.5, 30.0 * DEG),
        (-0.2, 0.05, -100.0 * DEG),
        (0.0, 1.0, 179.0 * DEG),
        (0.3, 0.2, 0.0),
    ];

    #[test]
    fn recovers_planted_preferred_directions_and_depths() {
        let dirs = eight();
        let r = responses(&dirs, &PLANTED);
        let fit = fit_cosine_tuning(&r, 8, 4, &dirs).unwrap();
        for (t, (b0, d, pd)) in fit.iter().zip(PLANTED) {
            assert!(
                wrap_angle(t.preferred_direction_rad - pd).abs() < 1e-12,
                "{t:?}"
            );
            assert!((t.depth - d).abs() < 1e-12, "{t:?}");
            assert!((t.baseline - b0).abs() < 1e-12, "{t:?}");
            assert!((t.r2 - 1.0).abs() < 1e-12, "{t:?}");
        }
    }

    #[test]
    fn small_noise_moves_the_fit_little() {
        let dirs = eight();
        let mut r = responses(&dirs, &PLANTED);
        // deterministic "noise" of amplitude 0.005, uncorrelated with cos and sin
        for (i, v) in r.iter_mut().enumerate() {
            *v += 0.005 * ((i * 7919 % 13) as f64 / 6.0 - 1.0);
        }
        let fit = fit_cosine_tuning(&r, 8, 4, &dirs).unwrap();
        for (t, (_, d, pd)) in fit.iter().zip(PLANTED) {
            // an error of at most 0.005 in b1, b2 moves the direction by about 0.005/d rad
            let tol = 2.0 * 0.005 / d;
            assert!(
                wrap_angle(t.preferred_direction_rad - pd).abs() < tol,
                "{t:?}"
            );
            assert!((t.depth - d).abs() < 0.01, "{t:?}");
        }
        // the weakest unit (depth 0.05) is the least well explained
        assert!(fit[1].r2 < fit[2].r2 && fit[2].r2 > 0.999, "{fit:?}");
    }

    #[test]
    fn a_flat_unit_has_no_fit_and_is_not_tuned() {
        let dirs = eight();
        let fit = fit_cosine_tuning(&[0.7; 8], 8, 1, &dirs).unwrap();
        assert_eq!(fit[0].r2, 0.0);
        assert!(fit[0].depth < 1e-12);
        assert!(!fit[0].is_tuned(&Tuned::default()));
    }

    #[test]
    fn the_window_averages_around_the_peak_and_clips_at_the_ends() {
        // 2 reaches, 5 steps, 1 unit: activity = step index (+10 for reach 1)
        let act: Vec<f64> = (0..2)
            .flat_map(|b| (0..5).map(move |t| (10 * b + t) as f64))
            .collect();
        let m = peak_window_means(&act, 2, 5, 1, &[2, 4], 1).unwrap();
        // reach 0: steps 1..=3 -> 2; reach 1: steps 3..=4 -> 13.5
        assert_eq!(m, vec![2.0, 13.5]);
        assert_eq!(
            peak_window_means(&act, 2, 5, 1, &[2, 5], 1),
            Err(AnalysisError::StepOutOfRange {
                reach: 1,
                step: 5,
                steps: 5
            })
        );
        assert!(matches!(
            peak_window_means(&act, 2, 5, 1, &[2], 1),
            Err(AnalysisError::Length {
                what: "peak_steps",
                ..
            })
        ));
        assert!(matches!(
            peak_window_means(&act, 2, 4, 1, &[2, 2], 1),
            Err(AnalysisError::Length {
                what: "activity",
                ..
            })
        ));
    }

    #[test]
    fn cosine_tuning_reads_the_peak_window() {
        // 8 reaches, 20 steps, 2 units: unit 0 tuned (pd 90°) only around each peak step,
        // unit 1 tuned (pd -45°) everywhere else; the window (±2 steps) sees unit 0's tuning
        let dirs = eight();
        let peaks: Vec<usize> = (0..8).map(|b| 5 + b).collect();
        let mut act = vec![0.0; 8 * 20 * 2];
        for b in 0..8 {
            for t in 0..20 {
                let near = t + 2 >= peaks[b] && t <= peaks[b] + 2;
                let i = (b * 20 + t) * 2;
                if near {
                    act[i] = (dirs[b] - 90.0 * DEG).cos();
                } else {
                    act[i + 1] = (dirs[b] + 45.0 * DEG).cos();
                }
            }
        }
        let fit = cosine_tuning(&act, 8, 20, 2, &dirs, &peaks, 2).unwrap();
        assert!((fit[0].preferred_direction_rad - 90.0 * DEG).abs() < 1e-12);
        assert!((fit[0].depth - 1.0).abs() < 1e-12);
        assert_eq!(fit[1].r2, 0.0);
    }

    #[test]
    fn too_few_directions_shapes_and_nan_are_errors() {
        let two = [0.0, PI, 2.0 * PI, -PI];
        assert_eq!(
            fit_cosine_tuning(&[1.0, 2.0, 1.0, 2.0], 4, 1, &two),
            Err(AnalysisError::TooFewDirections { distinct: 2 })
        );
        assert!(matches!(
            fit_cosine_tuning(&[1.0; 8], 8, 1, &[0.0; 7]),
            Err(AnalysisError::Length {
                what: "directions",
                ..
            })
        ));
        assert!(matches!(
            fit_cosine_tuning(&[1.0; 7], 8, 1, &eight()),
            Err(AnalysisError::Length {
                what: "responses",
                ..
            })
        ));
        let mut dirs = eight();
        dirs[3] = f64::NAN;
        assert!(matches!(
            fit_cosine_tuning(&[1.0; 8], 8, 1, &dirs),
            Err(AnalysisError::NonFinite {
                what: "directions",
                index: 3,
                ..
            })
        ));
        let mut r = vec![1.0; 8];
        r[5] = f64::INFINITY;
        assert!(matches!(
            fit_cosine_tuning(&r, 8, 1, &eight()),
            Err(AnalysisError::NonFinite {
                what: "responses",
                index: 5,
                ..
            })
        ));
    }

    /// Tunings of the planted units with every preferred direction rotated by `rot`.
    fn rotated(rot: f64) -> Vec<UnitTuning> {
        let dirs = eight();
        let units: Vec<(f64, f64, f64)> =
            PLANTED.iter().map(|&(b, d, pd)| (b, d, pd + rot)).collect();
        fit_cosine_tuning(&responses(&dirs, &units), 8, units.len(), &dirs).unwrap()
    }

    #[test]
    fn the_shift_recovers_a_planted_rotation_and_wraps_across_pi() {
        let before = rotated(0.0);
        let after = rotated(20.0 * DEG);
        let s = preferred_direction_shift(&before, &after, &Tuned::default()).unwrap();
        assert_eq!(s.counted, 4);
        for u in &s.units {
            assert!((u.shift_rad - 20.0 * DEG).abs() < 1e-12, "{u:?}");
        }
        assert!((s.mean_shift_rad.unwrap() - 20.0 * DEG).abs() < 1e-12);
        assert!((s.resultant_length - 1.0).abs() < 1e-12);
        // unit 2 goes from 179° to 199° = -161°: a shift of +20°, not -340°
        assert!(s.units[2].pd_b_rad < -160.0 * DEG, "{:?}", s.units[2]);
        // and back: -20° everywhere
        let back = preferred_direction_shift(&after, &before, &Tuned::default()).unwrap();
        assert!((back.mean_shift_rad.unwrap() + 20.0 * DEG).abs() < 1e-12);
        // shifts near ±π average to ±π, not 0
        let half =
            preferred_direction_shift(&before, &rotated(179.0 * DEG), &Tuned::default()).unwrap();
        assert!((half.mean_shift_rad.unwrap() - 179.0 * DEG).abs() < 1e-9);
        let other =
            preferred_direction_shift(&before, &rotated(-179.0 * DEG), &Tuned::default()).unwrap();
        assert!((other.mean_shift_rad.unwrap() + 179.0 * DEG).abs() < 1e-9);
    }

    #[test]
    fn only_units_tuned_in_both_count() {
        let before = rotated(0.0);
        let mut after = rotated(20.0 * DEG);
        after[0].r2 = 0.2; // untuned after
        let strict = Tuned {
            min_r2: 0.5,
            min_depth: 0.1,
        }; // unit 1 (depth 0.05) out too
        let s = preferred_direction_shift(&before, &after, &strict).unwrap();
        let counted: Vec<bool> = s.units.iter().map(|u| u.counted).collect();
        assert_eq!(counted, [false, false, true, true]);
        assert_eq!(s.counted, 2);
        let none = Tuned {
            min_r2: 1.0,
            min_depth: 10.0,
        };
        let s = preferred_direction_shift(&before, &after, &none).unwrap();
        assert_eq!(
            (s.counted, s.mean_shift_rad, s.resultant_length),
            (0, None, 0.0)
        );
    }

    #[test]
    fn shift_errors_are_named() {
        let a = rotated(0.0);
        assert_eq!(
            preferred_direction_shift(&a, &a[..3], &Tuned::default()),
            Err(AnalysisError::UnitMismatch { a: 4, b: 3 })
        );
        assert_eq!(
            preferred_direction_shift(&[], &[], &Tuned::default()),
            Err(AnalysisError::Empty { what: "units" })
        );
        let bad = Tuned {
            min_r2: f64::NAN,
            min_depth: 0.0,
        };
        assert!(matches!(
            preferred_direction_shift(&a, &a, &bad),
            Err(AnalysisError::Parameter { name: "min_r2", .. })
        ));
    }

    #[test]
    fn wrap_angle_lands_in_the_half_open_interval() {
        for x in [-7.0 * PI, -PI, -0.5, 0.0, PI, 3.0 * PI, 1e3] {
            let w = wrap_angle(x);
            assert!(w > -PI && w <= PI, "{x} -> {w}");
            assert!(
                ((x - w) / (2.0 * PI)).fract().abs() < 1e-9
                    || ((x - w) / (2.0 * PI)).fract().abs() > 1.0 - 1e-9
            );
        }
    }
}
