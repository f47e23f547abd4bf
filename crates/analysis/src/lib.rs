//! Analyses of recorded network activity: principal components ([`Pca`]), the cosine tuning
//! of each unit to reach direction ([`cosine_tuning`], [`UnitTuning`]) and the shift of the
//! units' preferred directions between two runs ([`preferred_direction_shift`]), as in the
//! neural analyses of motor-control studies (e.g. before and after adapting to a curl field).
//!
//! Everything works on plain row-major slices of `f64`, so the activity can come from anywhere:
//! a `motornet` rollout's hidden states (`Rollout::hidden`, `[B][T · H]`, concatenated to
//! `[B, T, H]`), a `hidden.npy` file written by `motornet eval`, or recordings of your own.
//! Shapes are given in brackets (`[samples, units]`); angles are in radians, counter-clockwise
//! from the +x axis; activity is in whatever units it was recorded in. Bad sizes and values are
//! [`AnalysisError`]s, never panics.
//!
//! ```
//! use std::f64::consts::PI;
//! use motornet_analysis::{cosine_tuning, preferred_direction_shift, Pca, Tuned};
//!
//! // 8 reaches (0°, 45°, …), 10 steps, 2 units: unit 0 prefers 90°, unit 1 prefers 0°
//! let (reaches, steps, units) = (8, 10, 2);
//! let dirs: Vec<f64> = (0..reaches).map(|b| b as f64 * PI / 4.0).collect();
//! let activity = |shift: f64| -> Vec<f64> {
//!     let mut a = Vec::new();
//!     for &d in &dirs {
//!         for t in 0..steps {
//!             let g = t as f64 / steps as f64; // activity grows over the reach
//!             a.push(g * (d - PI / 2.0 - shift).cos());
//!             a.push(g * (d - shift).cos());
//!         }
//!     }
//!     a
//! };
//! let before = activity(0.0);
//!
//! // principal components over all reaches and steps: [B·T, H]
//! let pca = Pca::fit(&before, reaches * steps, units)?;
//! let ratios = pca.explained_variance_ratio();
//! assert!((ratios.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! let trajectories = pca.project(&before, reaches * steps, 2)?; // [B·T, 2]
//! assert_eq!(trajectories.len(), reaches * steps * 2);
//!
//! // tuning around the peak (here the last step), ±2 steps
//! let peaks = vec![steps - 1; reaches];
//! let tuning = cosine_tuning(&before, reaches, steps, units, &dirs, &peaks, 2)?;
//! assert!((tuning[0].preferred_direction_rad - PI / 2.0).abs() < 1e-12);
//! assert!(tuning[1].preferred_direction_rad.abs() < 1e-12);
//!
//! // the same units after every preferred direction turned by 20°
//! let after = cosine_tuning(&activity(20f64.to_radians()), reaches, steps, units, &dirs, &peaks, 2)?;
//! let shift = preferred_direction_shift(&tuning, &after, &Tuned::default())?;
//! assert_eq!(shift.counted, 2);
//! assert!((shift.mean_shift_rad.unwrap() - 20f64.to_radians()).abs() < 1e-12);
//! # Ok::<(), motornet_analysis::AnalysisError>(())
//! ```
#![warn(missing_docs)]

mod error;
mod pca;
mod tuning;

pub use error::AnalysisError;
pub use pca::Pca;
pub use tuning::{
    cosine_tuning, fit_cosine_tuning, peak_window_means, preferred_direction_shift, wrap_angle,
    PdShift, Tuned, UnitShift, UnitTuning, SAME_DIRECTION_RAD,
};
