//! Plots of motornet-rs training runs: loss curves, fingertip paths, speed profiles and arm stick
//! figures, as PNG and SVG files, in pure Rust.
//!
//! Every plot comes three ways:
//!
//! - a function that writes it as `<dir>/<stem>.png` and `<dir>/<stem>.svg` and returns the two
//!   paths ([`loss_curve`], [`reaches`], [`arm`], [`speed_profiles`]; [`reach_projections`]
//!   for reaches in 3-D, as projections side by side), on your own data;
//! - a function that draws it on a [`plotters`] drawing area of any backend and size, for
//!   figures of your own ([`draw_loss_curve`], [`draw_reaches`], [`draw_arm`],
//!   [`draw_speed_profiles`]);
//! - from a training [`Rollout`](motornet_train::Rollout): the data the plots take
//!   ([`fingertip_paths`], [`targets`], [`fingertip_speeds`], [`arm_frames`] and
//!   [`stick_figure`] for any skeleton),
//!   one rollout's plots in one call ([`plot_rollout`]), and a whole run's ([`plot_run`]: what
//!   `motornet train` writes into a run directory).
//!
//! Units: positions in metres, speeds in m/s, times in seconds; the loss in its own units.
//! Text is drawn with DejaVu Sans, bundled in the crate and registered with plotters
//! ([`style::register_font`]), so nothing needs fontconfig, freetype or any other system
//! library. [`style`] has the font, colours and tick labels, for charts of your own that should
//! look the same; plotters itself is re-exported as [`plotters`].
//!
//! The functions do not panic on bad data: non-finite points are skipped (a line is broken where
//! they were), a plot with nothing finite to show says "no data", and arguments that cannot
//! describe a plot are a [`PlotError`].
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("motornet-plot-doc-{}", std::process::id()));
//! // two straight reaches of 10 cm from the origin, 11 states each
//! let paths: Vec<Vec<(f64, f64)>> = [(0.1, 0.0), (0.0, 0.1)]
//!     .iter()
//!     .map(|&(x, y)| (0..=10).map(|i| (x * i as f64 / 10.0, y * i as f64 / 10.0)).collect())
//!     .collect();
//! let written = motornet_plot::reaches(
//!     &dir,
//!     "reaches",
//!     &paths,
//!     &[(0.1, 0.0), (0.0, 0.1)], // targets (m)
//!     &[(0.0, 0.0), (0.0, 0.0)], // starts (m)
//!     "two reaches",
//! )?;
//! assert_eq!(written, [dir.join("reaches.png"), dir.join("reaches.svg")]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), motornet_plot::PlotError>(())
//! ```
#![warn(missing_docs)]

mod analysis;
mod error;
mod figures;
mod rollout;
pub mod style;

pub use analysis::{
    draw_pc_trajectories, draw_preferred_directions, draw_variance_explained, pc_trajectories,
    preferred_directions, variance_explained, PdPair,
};
pub use error::PlotError;
pub use figures::{
    arm, curves, curves_with_phases, draw_arm, draw_loss_curve, draw_reach_projections,
    draw_reaches, draw_speed_profiles, loss_curve, loss_curve_with_phases, reach_projections,
    reaches, speed_profiles, Polyline, ReachPanel, CURVE_SIZE, PLANAR_SIZE,
};
/// The plotting library the plots are drawn with (0.3, pure Rust: PNG and SVG backends, line
/// series, text via ab_glyph), for charts of your own.
pub use plotters;
pub use rollout::{
    arm_frames, fingertip_paths, fingertip_paths_in, fingertip_speeds, plot_rollout, plot_run,
    stick_figure, targets, targets_in, ARM_FRAMES_SHOWN, LOSS_SMOOTHING, PROJECTION_AXES,
};
