//! The four plots, written to files ([`loss_curve`], [`reaches`], [`arm`], [`speed_profiles`])
//! or drawn on a caller's plotters drawing area (the `draw_*` functions).

use std::error::Error as StdError;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::style::{
    color, register_font, text_style, tick_formatter, tick_label, AXIS_DESC_SIZE, LABEL_SIZE,
    RAW_LOSS_COLOR, SMOOTH_LOSS_COLOR, TITLE_SIZE,
};
use crate::PlotError;

/// Size in pixels (width, height) of the files of plots in the plane ([`reaches`], [`arm`]):
/// square, so that equal scaling of x and y fills it.
pub const PLANAR_SIZE: (u32, u32) = (800, 800);
/// Size in pixels (width, height) of the files of plots against batch or time
/// ([`loss_curve`], [`speed_profiles`]).
pub const CURVE_SIZE: (u32, u32) = (900, 500);

/// Margin around the chart, in pixels.
const MARGIN: u32 = 20;
const X_LABEL_AREA: u32 = 55;
const Y_LABEL_AREA: u32 = 85;

/// Points `(x, y)` joined by straight lines, in the units of the plot (m for the plane).
pub type Polyline = Vec<(f64, f64)>;

/// Plots the per-batch training loss (thin, light) and its running mean over the last
/// `smoothed_window` finite losses (thick; none when the window is 0 or 1) against the batch
/// number, into `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`CURVE_SIZE`] pixels); returns the
/// two paths. `batches[i]` is the batch of `losses[i]` (the loss is in the loss's own units).
/// The loss axis is logarithmic when every finite loss is positive. Non-finite losses are
/// skipped (the line is broken there); with nothing finite the plot says "no data".
///
/// # Errors
///
/// [`PlotError::Input`] if `batches` and `losses` differ in length or `stem` is empty,
/// [`PlotError::CreateDir`] if `dir` cannot be created, [`PlotError::Draw`] if a file cannot be
/// written.
pub fn loss_curve(
    dir: &Path,
    stem: &str,
    batches: &[usize],
    losses: &[f64],
    smoothed_window: usize,
) -> Result<Vec<PathBuf>, PlotError> {
    loss_curve_with_phases(dir, stem, batches, losses, smoothed_window, &[])
}

/// [`loss_curve`] of a phased run: `phases` lists `(first batch, name)` of each phase, drawn
/// as a dashed vertical line with the name at the top (a phase starting at batch 0 gets its
/// name only, at the left edge).
///
/// # Errors
///
/// As [`loss_curve`].
pub fn loss_curve_with_phases(
    dir: &Path,
    stem: &str,
    batches: &[usize],
    losses: &[f64],
    smoothed_window: usize,
    phases: &[(usize, String)],
) -> Result<Vec<PathBuf>, PlotError> {
    let mut figure = LossFigure::new(batches, losses, smoothed_window)
        .map_err(|e| e.at(dir.join(format!("{stem}.png"))))?;
    figure.phases = phases.iter().map(|(b, n)| (*b as f64, n.clone())).collect();
    render(dir, stem, CURVE_SIZE, &figure)
}

/// Draws the loss curve of [`loss_curve`] on `area`, a plotters drawing area of any backend
/// and size (for example one panel of a figure of yours).
///
/// # Errors
///
/// [`PlotError::Data`] if `batches` and `losses` differ in length, [`PlotError::Backend`] if
/// drawing fails.
pub fn draw_loss_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    batches: &[usize],
    losses: &[f64],
    smoothed_window: usize,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    draw_on(area, &LossFigure::new(batches, losses, smoothed_window)?)
}

/// Plots named series of points `(x, y)` against a common x axis (linear axes; each series
/// in colour [`color(i)`](crate::style::color), its name and colour listed in the title, as
/// `title — name (colour), …`), into `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`CURVE_SIZE`]
/// pixels); returns the two paths. For learning curves of behaviour (lateral deviation and
/// final error per batch, say). Non-finite points are skipped; with nothing finite the plot
/// says "no data".
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty, [`PlotError::CreateDir`] if `dir` cannot be
/// created, [`PlotError::Draw`] if a file cannot be written.
pub fn curves(
    dir: &Path,
    stem: &str,
    title: &str,
    axes: (&str, &str),
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<Vec<PathBuf>, PlotError> {
    curves_with_phases(dir, stem, title, axes, series, &[])
}

/// [`curves`] against batches of a phased run: `phases` lists `(first batch, name)` of each
/// phase, drawn as in [`loss_curve_with_phases`].
///
/// # Errors
///
/// As [`curves`].
pub fn curves_with_phases(
    dir: &Path,
    stem: &str,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    series: &[(&str, Vec<(f64, f64)>)],
    phases: &[(usize, String)],
) -> Result<Vec<PathBuf>, PlotError> {
    let phases: Vec<(f64, String)> = phases.iter().map(|(b, n)| (*b as f64, n.clone())).collect();
    // the names of `style::PALETTE`'s colours, in its order
    const NAMES: [&str; 10] = [
        "blue", "orange", "green", "red", "purple", "brown", "pink", "grey", "olive", "cyan",
    ];
    let names: Vec<String> = (series.iter().enumerate())
        .map(|(i, (n, _))| format!("{n} ({})", NAMES[i % NAMES.len()]))
        .collect();
    let figure = CurvesFigure {
        title: format!("{title} — {}", names.join(", ")),
        x_desc,
        y_desc,
        series,
        phases: &phases,
    };
    render(dir, stem, CURVE_SIZE, &figure)
}

/// Plots fingertip paths in the plane (m), with equal scaling of x and y, into
/// `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`PLANAR_SIZE`] pixels); returns the two paths.
/// `paths[e]` is reach `e`, drawn in colour [`color(e)`](crate::style::color), with its target
/// `targets[e]` as a circle and its start `starts[e]` as a small square (`targets` and
/// `starts` may be shorter or longer than `paths`; colours follow the index). Non-finite
/// points are skipped.
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty, [`PlotError::CreateDir`] if `dir` cannot be
/// created, [`PlotError::Draw`] if a file cannot be written.
pub fn reaches(
    dir: &Path,
    stem: &str,
    paths: &[Polyline],
    targets: &[(f64, f64)],
    starts: &[(f64, f64)],
    title: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    let figure = ReachFigure {
        title,
        paths,
        targets,
        starts,
    };
    render(dir, stem, PLANAR_SIZE, &figure)
}

/// Draws the reaches of [`reaches`] on `area`, a plotters drawing area of any backend and size.
///
/// # Errors
///
/// [`PlotError::Backend`] if drawing fails.
pub fn draw_reaches<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    paths: &[Polyline],
    targets: &[(f64, f64)],
    starts: &[(f64, f64)],
    title: &str,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let figure = ReachFigure {
        title,
        paths,
        targets,
        starts,
    };
    draw_on(area, &figure)
}

/// One panel of [`reach_projections`]: reaches projected on a plane of the fingertip's space
/// (in m), with the names of the plane's two axes.
#[derive(Debug, Clone, Copy)]
pub struct ReachPanel<'a> {
    /// Each reach's path in the plane (m), as for [`reaches`].
    pub paths: &'a [Polyline],
    /// Each reach's target in the plane (m), drawn as a circle.
    pub targets: &'a [(f64, f64)],
    /// Each reach's start in the plane (m), drawn as a small square.
    pub starts: &'a [(f64, f64)],
    /// The axis descriptions, horizontal then vertical, e.g. `("x (m)", "z (m)")`.
    pub axes: (&'a str, &'a str),
}

/// Plots reaches outside the plane as projections side by side, one [`ReachPanel`] per
/// plane (e.g. x–y and x–z for a fingertip in 3-D), under one `title`, into `<dir>/<stem>.png`
/// and `<dir>/<stem>.svg` (each panel [`PLANAR_SIZE`] pixels: `n · 800 × 800` for `n`
/// panels); returns the two paths. Each panel is drawn as [`reaches`] draws its plane, and
/// all panels have the same metres per pixel (the largest extent of any of them), so that
/// distances compare across panels. Colours follow the reach's index in every panel.
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty or `panels` is, [`PlotError::CreateDir`] if `dir`
/// cannot be created, [`PlotError::Draw`] if a file cannot be written.
pub fn reach_projections(
    dir: &Path,
    stem: &str,
    panels: &[ReachPanel],
    title: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    if panels.is_empty() {
        return Err(PlotError::Input {
            path: dir.join(format!("{stem}.png")),
            message: "no panels to draw".to_string(),
        });
    }
    let n = u32::try_from(panels.len()).unwrap_or(u32::MAX);
    let size = (PLANAR_SIZE.0.saturating_mul(n), PLANAR_SIZE.1);
    render(dir, stem, size, &ProjectionFigure { title, panels })
}

/// Draws the panels of [`reach_projections`] on `area`, a plotters drawing area of any
/// backend and size (split evenly, left to right).
///
/// # Errors
///
/// [`PlotError::Backend`] if drawing fails.
pub fn draw_reach_projections<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panels: &[ReachPanel],
    title: &str,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    draw_on(area, &ProjectionFigure { title, panels })
}

/// Plots a limb as stick figures over time, with equal scaling of x and y, into
/// `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`PLANAR_SIZE`] pixels); returns the two paths.
/// `frames[e][k]` is the polyline (shoulder, elbow, hand, … in m) of reach `e` at its `k`-th
/// shown time ([`arm_frames`](crate::arm_frames) makes them from a rollout). Each reach has its
/// own colour; earlier frames are fainter.
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty, [`PlotError::CreateDir`] if `dir` cannot be
/// created, [`PlotError::Draw`] if a file cannot be written.
pub fn arm(
    dir: &Path,
    stem: &str,
    frames: &[Vec<Polyline>],
    title: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    render(dir, stem, PLANAR_SIZE, &ArmFigure { title, frames })
}

/// Draws the stick figures of [`arm`] on `area`, a plotters drawing area of any backend and
/// size.
///
/// # Errors
///
/// [`PlotError::Backend`] if drawing fails.
pub fn draw_arm<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    frames: &[Vec<Polyline>],
    title: &str,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    draw_on(area, &ArmFigure { title, frames })
}

/// Plots the fingertip speed (m/s) of each reach against time (s) into `<dir>/<stem>.png` and
/// `<dir>/<stem>.svg` ([`CURVE_SIZE`] pixels); returns the two paths. `speeds[e][i]` is the
/// speed of reach `e` at time `i · dt` (`dt` in s).
///
/// # Errors
///
/// [`PlotError::Input`] if `dt` is not positive and finite or `stem` is empty,
/// [`PlotError::CreateDir`] if `dir` cannot be created, [`PlotError::Draw`] if a file cannot be
/// written.
pub fn speed_profiles(
    dir: &Path,
    stem: &str,
    dt: f64,
    speeds: &[Vec<f64>],
) -> Result<Vec<PathBuf>, PlotError> {
    let figure = SpeedFigure::new(dt, speeds).map_err(|e| e.at(dir.join(format!("{stem}.png"))))?;
    render(dir, stem, CURVE_SIZE, &figure)
}

/// Draws the speed profiles of [`speed_profiles`] on `area`, a plotters drawing area of any
/// backend and size.
///
/// # Errors
///
/// [`PlotError::Data`] if `dt` (s) is not positive and finite, [`PlotError::Backend`] if
/// drawing fails.
pub fn draw_speed_profiles<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    dt: f64,
    speeds: &[Vec<f64>],
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    draw_on(area, &SpeedFigure::new(dt, speeds)?)
}

// ---------------------------------------------------------------------------------------------
// Rendering to both backends.

pub(crate) type DrawResult = Result<(), Box<dyn StdError>>;

/// A plot that can be drawn on any plotters backend.
pub(crate) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Draws `figure` on a caller's area (after registering the font).
pub(crate) fn draw_on<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &impl Figure,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    register_font()?;
    figure.draw(area).map_err(|e| PlotError::Backend {
        message: e.to_string(),
    })
}

/// Draws `figure` (`size` pixels) into `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub(crate) fn render(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    figure: &impl Figure,
) -> Result<Vec<PathBuf>, PlotError> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    if stem.is_empty() {
        return Err(PlotError::Input {
            path: png,
            message: "the file stem is empty".to_string(),
        });
    }
    register_font()?;
    std::fs::create_dir_all(dir).map_err(|source| PlotError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let draw_error = |path: &Path, e: Box<dyn StdError>| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| draw_error(&png, e))?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| draw_error(&svg, e))?;
    }
    Ok(vec![png, svg])
}

/// A white canvas with `title` on top; returns the area below the title.
pub(crate) fn titled_area<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    root.margin(8, 0, 0, 0)
        .titled(title, text_style(TITLE_SIZE))
}

// ---------------------------------------------------------------------------------------------
// The figures.

struct LossFigure {
    title: String,
    raw: Vec<(f64, f64)>,
    smoothed: Vec<(f64, f64)>,
    log_y: bool,
    /// Phase starts: a dashed line and the phase's name at each.
    phases: Vec<(f64, String)>,
}

impl LossFigure {
    fn new(batches: &[usize], losses: &[f64], smoothed_window: usize) -> Result<Self, PlotError> {
        if batches.len() != losses.len() {
            return Err(PlotError::data(format!(
                "{} batch numbers but {} losses",
                batches.len(),
                losses.len()
            )));
        }
        let raw: Vec<(f64, f64)> = batches
            .iter()
            .zip(losses)
            .map(|(&b, &l)| (b as f64, l))
            .collect();
        let finite: Vec<(f64, f64)> = raw.iter().copied().filter(|p| is_finite(*p)).collect();
        let log_y = !finite.is_empty() && finite.iter().all(|&(_, l)| l > 0.0);
        let window = smoothed_window.max(1);
        let smoothed = if window > 1 {
            running_mean(&finite, window)
        } else {
            Vec::new()
        };
        let title = if window > 1 {
            format!("Training loss (thick: mean over {window} batches)")
        } else {
            "Training loss".to_string()
        };
        Ok(LossFigure {
            title,
            raw,
            smoothed,
            log_y,
            phases: vec![],
        })
    }
}

impl Figure for LossFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled_area(root, &self.title)?;
        let mut bounds = Bounds::default();
        for &p in self.raw.iter().chain(&self.smoothed) {
            bounds.add(p);
        }
        let Some((xs, ys)) = bounds.ranges() else {
            let chart = curve_chart(&area, 0.0..1.0, 0.0..1.0)?;
            return no_data(&draw_curve_mesh(chart, "batch", "loss", false)?);
        };
        let x = padded(xs, 0.02);
        if self.log_y {
            // A factor 3 at least, so that the log axis has labelled ticks.
            let (lo, hi) = (ys.start, ys.end);
            let (mut lo, mut hi) = (lo / 1.15, hi * 1.15);
            if hi / lo < 3.0 {
                let mid = (lo * hi).sqrt();
                lo = mid / 3f64.sqrt();
                hi = mid * 3f64.sqrt();
            }
            let chart = ChartBuilder::on(&area)
                .margin(MARGIN)
                .x_label_area_size(X_LABEL_AREA)
                .y_label_area_size(Y_LABEL_AREA)
                .build_cartesian_2d(x, (lo..hi).log_scale())?;
            let mut chart = draw_curve_mesh(chart, "batch", "loss", true)?;
            draw_log_minor_ticks(root, &mut chart, lo..hi)?;
            // Every finite loss is positive here, and so is every mean.
            self.draw_lines(&mut chart)
        } else {
            let chart = curve_chart(&area, x, padded(ys, 0.05))?;
            let mut chart = draw_curve_mesh(chart, "batch", "loss", false)?;
            self.draw_lines(&mut chart)
        }
    }
}

impl LossFigure {
    fn draw_lines<DB, Y>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64>,
    {
        draw_phases(chart, &self.phases)?;
        draw_broken_line(chart, &self.raw, RAW_LOSS_COLOR.stroke_width(1))?;
        draw_broken_line(chart, &self.smoothed, SMOOTH_LOSS_COLOR.stroke_width(3))
    }
}

/// Named series against a common x, linear axes, each in its colour, named in the title.
struct CurvesFigure<'a> {
    title: String,
    x_desc: &'a str,
    y_desc: &'a str,
    series: &'a [(&'a str, Vec<(f64, f64)>)],
    /// Phase starts: a dashed line and the phase's name at each.
    phases: &'a [(f64, String)],
}

impl Figure for CurvesFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled_area(root, &self.title)?;
        let mut bounds = Bounds::default();
        for (_, points) in self.series {
            for &p in points {
                bounds.add(p);
            }
        }
        let Some((xs, ys)) = bounds.ranges() else {
            let chart = curve_chart(&area, 0.0..1.0, 0.0..1.0)?;
            return no_data(&draw_curve_mesh(chart, self.x_desc, self.y_desc, false)?);
        };
        let chart = curve_chart(&area, padded(xs, 0.02), padded(ys, 0.05))?;
        let mut chart = draw_curve_mesh(chart, self.x_desc, self.y_desc, false)?;
        draw_phases(&mut chart, self.phases)?;
        for (i, (_, points)) in self.series.iter().enumerate() {
            draw_broken_line(&mut chart, points, color(i).stroke_width(2))?;
        }
        Ok(())
    }
}

struct ReachFigure<'a> {
    title: &'a str,
    paths: &'a [Vec<(f64, f64)>],
    targets: &'a [(f64, f64)],
    starts: &'a [(f64, f64)],
}

impl Figure for ReachFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let bounds = self.bounds();
        with_planar_chart(root, self.title, &bounds, |chart| self.draw_series(chart))
    }
}

impl ReachFigure<'_> {
    /// The bounding box of everything the figure draws.
    fn bounds(&self) -> Bounds {
        let mut bounds = Bounds::default();
        let all = self
            .paths
            .iter()
            .flatten()
            .chain(self.targets)
            .chain(self.starts);
        for &p in all {
            bounds.add(p);
        }
        bounds
    }

    /// Draws the paths, targets and starts on a chart of the plane.
    fn draw_series<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        for (e, path) in self.paths.iter().enumerate() {
            let c = color(e);
            draw_broken_line(chart, path, c.stroke_width(2))?;
        }
        let targets = self
            .targets
            .iter()
            .enumerate()
            .filter(|(_, p)| is_finite(**p));
        chart.draw_series(targets.map(|(e, &p)| Circle::new(p, 10, color(e).stroke_width(2))))?;
        let starts = self
            .starts
            .iter()
            .enumerate()
            .filter(|(_, p)| is_finite(**p));
        chart.draw_series(starts.map(|(e, &p)| {
            EmptyElement::at(p) + Rectangle::new([(-5, -5), (5, 5)], color(e).filled())
        }))?;
        Ok(())
    }
}

struct ProjectionFigure<'a> {
    title: &'a str,
    panels: &'a [ReachPanel<'a>],
}

impl Figure for ProjectionFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled_area(root, self.title)?;
        let figures: Vec<ReachFigure> = self
            .panels
            .iter()
            .map(|p| ReachFigure {
                title: "",
                paths: p.paths,
                targets: p.targets,
                starts: p.starts,
            })
            .collect();
        let bounds: Vec<Bounds> = figures.iter().map(ReachFigure::bounds).collect();
        // one scale for all panels: the largest extent of any
        let span = bounds
            .iter()
            .filter_map(Bounds::ranges)
            .map(|(x, y)| (x.end - x.start).max(y.end - y.start))
            .fold(0.0, f64::max);
        let n = self.panels.len().max(1);
        let cells = area.split_evenly((1, n));
        for (((cell, figure), bounds), panel) in
            cells.iter().zip(&figures).zip(&bounds).zip(self.panels)
        {
            planar_chart_on(cell, panel.axes, bounds, span, |chart| {
                figure.draw_series(chart)
            })?;
        }
        Ok(())
    }
}

struct ArmFigure<'a> {
    title: &'a str,
    frames: &'a [Vec<Vec<(f64, f64)>>],
}

impl Figure for ArmFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let mut bounds = Bounds::default();
        for &p in self.frames.iter().flatten().flatten() {
            bounds.add(p);
        }
        with_planar_chart(root, self.title, &bounds, |chart| {
            for (e, reach) in self.frames.iter().enumerate() {
                let c = color(e);
                let n = reach.len();
                for (k, polyline) in reach.iter().enumerate() {
                    // From faint (0.15) at the first frame to opaque at the last.
                    let alpha = if n > 1 {
                        0.15 + 0.85 * k as f64 / (n - 1) as f64
                    } else {
                        1.0
                    };
                    let style = c.mix(alpha);
                    draw_broken_line(chart, polyline, style.stroke_width(3))?;
                    let joints = polyline.iter().copied().filter(|&p| is_finite(p));
                    chart.draw_series(joints.map(|p| Circle::new(p, 4, style.filled())))?;
                }
            }
            Ok(())
        })
    }
}

struct SpeedFigure<'a> {
    dt: f64,
    speeds: &'a [Vec<f64>],
}

impl<'a> SpeedFigure<'a> {
    fn new(dt: f64, speeds: &'a [Vec<f64>]) -> Result<Self, PlotError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(PlotError::data(format!(
                "the time step must be positive and finite, not {dt} s"
            )));
        }
        Ok(SpeedFigure { dt, speeds })
    }
}

impl Figure for SpeedFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled_area(root, "Fingertip speed")?;
        let curves: Vec<Vec<(f64, f64)>> = self
            .speeds
            .iter()
            .map(|s| {
                let t = |i: usize| i as f64 * self.dt;
                s.iter().enumerate().map(|(i, &v)| (t(i), v)).collect()
            })
            .collect();
        let mut bounds = Bounds::default();
        for &p in curves.iter().flatten() {
            bounds.add(p);
        }
        let Some((xs, ys)) = bounds.ranges() else {
            let chart = curve_chart(&area, 0.0..1.0, 0.0..1.0)?;
            return no_data(&draw_curve_mesh(chart, "time (s)", "speed (m/s)", false)?);
        };
        // Speeds are non-negative: start the axis at 0 unless the data say otherwise.
        let ys = ys.start.min(0.0)..ys.end;
        let chart = curve_chart(&area, padded(xs, 0.0), padded(ys, 0.05))?;
        let mut chart = draw_curve_mesh(chart, "time (s)", "speed (m/s)", false)?;
        for (e, curve) in curves.iter().enumerate() {
            let c = color(e);
            draw_broken_line(&mut chart, curve, c.stroke_width(2))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Charts and axes.

fn curve_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    y: Range<f64>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, Box<dyn StdError>>
where
    DB::ErrorType: 'static,
{
    Ok(ChartBuilder::on(area)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x, y)?)
}

/// Draws the grid, ticks and axis descriptions of a curve chart, and "no data" if it has none.
fn draw_curve_mesh<'a, DB, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    x_desc: &str,
    y_desc: &str,
    log_y: bool,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>, Box<dyn StdError>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let xr = chart.x_range();
    let yr = chart.y_range();
    let x_fmt = tick_formatter(xr.end - xr.start);
    // On a log axis plotters puts the (labelled) key points on powers of ten.
    let y_fmt: Box<dyn Fn(&f64) -> String> = if log_y {
        Box::new(|v: &f64| tick_label(*v, 12))
    } else {
        Box::new(tick_formatter(yr.end - yr.start))
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .label_style(text_style(LABEL_SIZE))
        .axis_desc_style(text_style(AXIS_DESC_SIZE))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&*y_fmt)
        .draw()?;
    Ok(chart)
}

/// Adds to a log axis spanning `y` a light grid line at 2…9 times each power of ten (if it spans
/// 6 decades or fewer) and labels at 2 and 5 times them over fewer than 2.5 decades (and at 3
/// times them too, over less than one).
fn draw_log_minor_ticks<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    y: Range<f64>,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let decades = (y.end / y.start).log10();
    if !(decades.is_finite() && decades <= 6.0) {
        return Ok(());
    }
    let labelled = |d: i32| (decades < 2.5 && (d == 2 || d == 5)) || (decades < 1.0 && d == 3);
    let xr = chart.x_range();
    let style = text_style(LABEL_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
    let grid = BLACK.mix(0.05);
    let (first, last) = (y.start.log10().floor() as i32, y.end.log10().ceil() as i32);
    for k in first..=last {
        for d in 2..=9 {
            let v = f64::from(d) * 10f64.powi(k);
            if !(y.start < v && v < y.end) {
                continue;
            }
            chart.draw_series(LineSeries::new([(xr.start, v), (xr.end, v)], grid))?;
            if labelled(d) {
                // Where plotters puts its labels: right-aligned, 10 pixels left of the axis.
                let (px, py) = chart.backend_coord(&(xr.start, v));
                let (bx, by) = root.get_base_pixel();
                root.draw_text(&tick_label(v, 12), &style, (px - bx - 10, py - by))?;
            }
        }
    }
    Ok(())
}

/// Draws the title, then a chart of the plane around `bounds` with equal scaling of x and y,
/// and calls `draw` on it (or writes "no data" when `bounds` is empty).
fn with_planar_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    bounds: &Bounds,
    draw: impl FnOnce(
        &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> DrawResult,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let area = titled_area(root, title)?;
    planar_chart_on(&area, ("x (m)", "y (m)"), bounds, 0.0, draw)
}

/// A chart of the plane on `area` around `bounds`, with equal scaling of its axes (described
/// by `axes`) and an extent of at least `min_span` (m; 0: that of `bounds`), and calls `draw`
/// on it (or writes "no data" when `bounds` is empty).
fn planar_chart_on<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axes: (&str, &str),
    bounds: &Bounds,
    min_span: f64,
    draw: impl FnOnce(
        &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> DrawResult,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let build = |x: Range<f64>, y: Range<f64>| {
        ChartBuilder::on(area)
            .margin(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x, y)
    };
    // Measure the plotting area (building a chart without a caption draws nothing), then give
    // both axes the same metres per pixel.
    let (w, h) = build(0.0..1.0, 0.0..1.0)?.plotting_area().dim_in_pixel();
    let (w, h) = (f64::from(w.max(1)), f64::from(h.max(1)));
    let (x, y) = match bounds.ranges() {
        Some((xs, ys)) => {
            let (cx, cy) = (mid(&xs), mid(&ys));
            let span = (xs.end - xs.start).max(ys.end - ys.start).max(min_span);
            // 8 % margin on each side; a single point gets ±5 cm.
            let half = if span > 0.0 { 0.58 * span } else { 0.05 };
            let per_pixel = 2.0 * half / w.min(h);
            let (hx, hy) = (0.5 * per_pixel * w, 0.5 * per_pixel * h);
            (cx - hx..cx + hx, cy - hy..cy + hy)
        }
        None => {
            let per_pixel = 2.0 / w.min(h);
            let (hx, hy) = (0.5 * per_pixel * w, 0.5 * per_pixel * h);
            (-hx..hx, -hy..hy)
        }
    };
    let mut chart = build(x, y)?;
    let xr = chart.x_range();
    let x_fmt = tick_formatter(xr.end - xr.start);
    let yr = chart.y_range();
    let y_fmt = tick_formatter(yr.end - yr.start);
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .label_style(text_style(LABEL_SIZE))
        .axis_desc_style(text_style(AXIS_DESC_SIZE))
        .x_desc(axes.0)
        .y_desc(axes.1)
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;
    if bounds.ranges().is_none() {
        no_data(&chart)?;
        return Ok(());
    }
    draw(&mut chart)
}

/// Writes "no data" in the middle of the chart's plotting area.
fn no_data<DB: DrawingBackend, CT: CoordTranslate>(chart: &ChartContext<'_, DB, CT>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let grey = BLACK.mix(0.5);
    let style = text_style(28.0)
        .color(&grey)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text("no data", &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Data helpers.

fn is_finite((x, y): (f64, f64)) -> bool {
    x.is_finite() && y.is_finite()
}

fn mid(r: &Range<f64>) -> f64 {
    0.5 * r.start + 0.5 * r.end
}

/// Draws the finite runs of `points` as lines, and a point alone between gaps as a dot.
/// Grey dashed vertical lines at the phase starts `(x, name)` inside the chart's x range, each
/// with its name just right of it at the top.
fn draw_phases<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    phases: &[(f64, String)],
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let (xs, ys) = (chart.x_range(), chart.y_range());
    let grey = RGBColor(120, 120, 120);
    for (x, name) in phases.iter().filter(|(x, _)| xs.contains(x)) {
        let (lo, hi) = (ys.start, ys.end);
        // dashes of 1/40 of the height (in the axis's own coordinates: geometric on a log
        // axis, where lo > 0)
        let at = |f: f64| {
            if lo > 0.0 && hi / lo > 50.0 {
                lo * (hi / lo).powf(f)
            } else {
                lo + (hi - lo) * f
            }
        };
        for k in (0..40).step_by(2) {
            let (a, b) = (at(k as f64 / 40.0), at((k + 1) as f64 / 40.0));
            chart.draw_series(LineSeries::new([(*x, a), (*x, b)], grey.stroke_width(2)))?;
        }
        let style = text_style(LABEL_SIZE)
            .color(&grey)
            .pos(Pos::new(HPos::Left, VPos::Top));
        chart.draw_series(std::iter::once(Text::new(
            format!(" {name}"),
            (*x, at(0.98)),
            style,
        )))?;
    }
    Ok(())
}

fn draw_broken_line<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    points: &[(f64, f64)],
    style: ShapeStyle,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for run in finite_segments(points) {
        if let [p] = run[..] {
            let dot = ShapeStyle {
                filled: true,
                ..style
            };
            chart.draw_series(std::iter::once(Circle::new(
                p,
                style.stroke_width.max(1),
                dot,
            )))?;
        } else {
            chart.draw_series(LineSeries::new(run, style))?;
        }
    }
    Ok(())
}

/// The runs of consecutive finite points of `points` (a lone finite point between gaps is a
/// one-point run).
fn finite_segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    points
        .split(|&p| !is_finite(p))
        .filter(|run| !run.is_empty())
        .map(<[_]>::to_vec)
        .collect()
}

/// The trailing mean of `points[..].1` over `window` points (fewer at the start).
fn running_mean(points: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let window = window.max(1);
    let mut out = Vec::with_capacity(points.len());
    let mut sum = 0.0;
    for (i, &(x, y)) in points.iter().enumerate() {
        let first = (i + 1).saturating_sub(window);
        let count = (i + 1 - first) as f64;
        let values = || points[first..=i].iter().map(|p| p.1);
        sum += y;
        if i >= window {
            let removed = points[i - window].1;
            sum -= removed;
            // Removing a value much larger than what is left cancels the digits that matter:
            // sum this window afresh.
            if removed.abs() > 1e6 * sum.abs() {
                sum = values().sum();
            }
        }
        if !sum.is_finite() {
            sum = values().sum();
        }
        let mean = if sum.is_finite() {
            sum / count
        } else {
            // The sum overflows: average scaled values.
            values().map(|v| v / count).sum()
        };
        if mean.is_finite() {
            out.push((x, mean));
        }
    }
    out
}

/// The bounding box of the finite points added.
#[derive(Default)]
struct Bounds {
    x: Option<(f64, f64)>,
    y: Option<(f64, f64)>,
}

impl Bounds {
    fn add(&mut self, p: (f64, f64)) {
        if !is_finite(p) {
            return;
        }
        // Keeps spans and centres finite (extreme values are off the chart anyway).
        let limit = f64::MAX / 8.0;
        let p = (p.0.clamp(-limit, limit), p.1.clamp(-limit, limit));
        let grow = |r: Option<(f64, f64)>, v: f64| {
            Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        };
        self.x = grow(self.x, p.0);
        self.y = grow(self.y, p.1);
    }

    fn ranges(&self) -> Option<(Range<f64>, Range<f64>)> {
        Some(((self.x?.0..self.x?.1), (self.y?.0..self.y?.1)))
    }
}

/// `r` widened by `fraction` of its length on each side, and to a non-empty range when `r` is
/// a single value; always finite.
fn padded(r: Range<f64>, fraction: f64) -> Range<f64> {
    let (lo, hi) = (r.start.max(-f64::MAX / 4.0), r.end.min(f64::MAX / 4.0));
    let span = hi - lo;
    if span > 1e-12 * lo.abs().max(hi.abs()) && span > 0.0 {
        let pad = fraction * span;
        lo - pad..hi + pad
    } else {
        let pad = (0.05 * lo.abs()).max(1e-3);
        lo - pad..hi + pad
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    /// A fresh directory under the system's temporary directory.
    fn temp_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("motornet-plot-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Width and height from the IHDR chunk of a PNG file.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert!(bytes.len() > 24, "PNG too short");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }

    /// Checks that `written` is exactly `<dir>/<stem>.png` and `.svg`, of the right size, and
    /// that the SVG has the title.
    fn check(written: &[PathBuf], dir: &Path, stem: &str, size: (u32, u32), title: &str) {
        let png = dir.join(format!("{stem}.png"));
        let svg = dir.join(format!("{stem}.svg"));
        assert_eq!(written, [png.clone(), svg.clone()]);
        assert_eq!(png_size(&std::fs::read(&png).unwrap()), size);
        let svg = std::fs::read_to_string(&svg).unwrap();
        assert!(svg.contains("<svg"), "not an SVG");
        assert!(svg.contains(title), "SVG lacks the title {title:?}");
    }

    fn circle(n: usize, r: f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (r * a.cos(), r * a.sin())
            })
            .collect()
    }

    #[test]
    fn loss_curve_writes_png_and_svg() {
        let dir = temp_dir("loss");
        let batches: Vec<usize> = (0..500).collect();
        let losses: Vec<f64> = batches
            .iter()
            .map(|&b| 1.0 / (1.0 + b as f64 / 30.0) * (1.0 + 0.3 * (b as f64 * 1.7).sin()))
            .collect();
        let written = loss_curve(&dir, "loss", &batches, &losses, 20).unwrap();
        check(&written, &dir, "loss", CURVE_SIZE, "Training loss");
        // Linear axis: a loss that goes negative.
        let shifted: Vec<f64> = losses.iter().map(|l| l - 0.5).collect();
        let written = loss_curve(&dir, "loss-linear", &batches, &shifted, 1).unwrap();
        check(&written, &dir, "loss-linear", CURVE_SIZE, "Training loss");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reaches_write_png_and_svg() {
        let dir = temp_dir("reaches");
        let targets = circle(8, 0.1);
        let starts = vec![(0.0, 0.0); 8];
        let paths: Vec<Vec<(f64, f64)>> = targets
            .iter()
            .map(|&(tx, ty)| {
                (0..=50)
                    .map(|i| (tx * i as f64 / 50.0, ty * i as f64 / 50.0))
                    .collect()
            })
            .collect();
        let written = reaches(
            &dir,
            "reaches",
            &paths,
            &targets,
            &starts,
            "Centre-out reaches",
        )
        .unwrap();
        check(&written, &dir, "reaches", PLANAR_SIZE, "Centre-out reaches");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reach_projections_draw_the_panels_side_by_side_at_one_scale() {
        let dir = temp_dir("projections");
        // x–y: a reach of 10 cm; x–z: the same reach rising 40 cm
        let xy = vec![vec![(0.0, 0.0), (0.05, 0.0), (0.1, 0.0)]];
        let xz = vec![vec![(0.0, 0.0), (0.05, 0.2), (0.1, 0.4)]];
        let panels = [
            ReachPanel {
                paths: &xy,
                targets: &[(0.1, 0.0)],
                starts: &[(0.0, 0.0)],
                axes: ("x (m)", "y (m)"),
            },
            ReachPanel {
                paths: &xz,
                targets: &[(0.1, 0.4)],
                starts: &[(0.0, 0.0)],
                axes: ("x (m)", "z (m)"),
            },
        ];
        let written = reach_projections(&dir, "reaches", &panels, "Reaches in 3-D").unwrap();
        check(&written, &dir, "reaches", (1600, 800), "Reaches in 3-D");
        let svg = std::fs::read_to_string(&written[1]).unwrap();
        assert!(svg.contains("y (m)") && svg.contains("z (m)"), "axis names");
        // both panels span the larger extent (0.4 m and 8 % margins): the x–y panel's ticks
        // reach at least ±0.1 m around its 5 cm centre, not the ±6 mm of its own extent
        // the texts drawn: both panels' tick labels
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>').and_then(|(_, r)| r.split('<').next()))
            .map(str::trim)
            .collect();
        // at its own extent (10 cm) the x–y panel's y axis would span ±6 cm; at the shared
        // one (the x–z panel's 40 cm) it reaches ±0.2 m, as the x–z panel's z axis spans 0.4
        assert!(
            texts.contains(&"-0.2") && texts.contains(&"0.4"),
            "{texts:?}"
        );
        assert!(
            svg.matches("#1F77B4").count() >= 2,
            "the reach in both panels"
        );
        let e = reach_projections(&dir, "reaches", &[], "t").unwrap_err();
        assert!(e.to_string().contains("no panels"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn arm_writes_png_and_svg() {
        let dir = temp_dir("arm");
        let frames: Vec<Vec<Vec<(f64, f64)>>> = (0..3)
            .map(|e| {
                (0..5)
                    .map(|k| {
                        let q1 = 0.5 + 0.2 * e as f64 + 0.1 * k as f64;
                        let q2 = 1.2 - 0.1 * k as f64;
                        let elbow = (0.3 * q1.cos(), 0.3 * q1.sin());
                        let hand = (
                            elbow.0 + 0.33 * (q1 + q2).cos(),
                            elbow.1 + 0.33 * (q1 + q2).sin(),
                        );
                        vec![(0.0, 0.0), elbow, hand]
                    })
                    .collect()
            })
            .collect();
        let written = arm(&dir, "arm", &frames, "Arm during reaches").unwrap();
        check(&written, &dir, "arm", PLANAR_SIZE, "Arm during reaches");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn speed_profiles_write_png_and_svg() {
        let dir = temp_dir("speed");
        let speeds: Vec<Vec<f64>> = (1..4)
            .map(|e| {
                (0..100)
                    .map(|i| {
                        e as f64 * 0.2 * (std::f64::consts::PI * i as f64 / 99.0).sin().powi(2)
                    })
                    .collect()
            })
            .collect();
        let written = speed_profiles(&dir, "speed", 0.01, &speeds).unwrap();
        check(&written, &dir, "speed", CURVE_SIZE, "Fingertip speed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_inputs_give_no_data_plots() {
        let dir = temp_dir("empty");
        let w = loss_curve(&dir, "loss", &[], &[], 10).unwrap();
        check(&w, &dir, "loss", CURVE_SIZE, "no data");
        let w = reaches(&dir, "reaches", &[], &[], &[], "Nothing").unwrap();
        check(&w, &dir, "reaches", PLANAR_SIZE, "no data");
        let w = reaches(&dir, "reaches2", &[vec![]], &[], &[], "Nothing").unwrap();
        check(&w, &dir, "reaches2", PLANAR_SIZE, "Nothing");
        let w = arm(&dir, "arm", &[], "No arm").unwrap();
        check(&w, &dir, "arm", PLANAR_SIZE, "no data");
        let w = arm(&dir, "arm2", &[vec![], vec![vec![]]], "No arm").unwrap();
        check(&w, &dir, "arm2", PLANAR_SIZE, "No arm");
        let w = speed_profiles(&dir, "speed", 0.01, &[]).unwrap();
        check(&w, &dir, "speed", CURVE_SIZE, "no data");
        let w = speed_profiles(&dir, "speed2", 0.01, &[vec![], vec![]]).unwrap();
        check(&w, &dir, "speed2", CURVE_SIZE, "no data");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn non_finite_inputs_do_not_panic() {
        let dir = temp_dir("nan");
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        // All non-finite: "no data".
        let w = loss_curve(&dir, "loss-nan", &[0, 1, 2], &[nan, inf, -inf], 2).unwrap();
        check(&w, &dir, "loss-nan", CURVE_SIZE, "no data");
        // Some non-finite, a zero (so linear), a huge value, one batch.
        let w = loss_curve(
            &dir,
            "loss-mixed",
            &[0, 1, 2, 3, 4],
            &[1.0, nan, 0.0, f64::MAX, 2.0],
            3,
        )
        .unwrap();
        check(&w, &dir, "loss-mixed", CURVE_SIZE, "Training loss");
        let w = loss_curve(&dir, "loss-one", &[7], &[0.5], 5).unwrap();
        check(&w, &dir, "loss-one", CURVE_SIZE, "Training loss");
        let w = loss_curve(&dir, "loss-flat", &[0, 1, 2], &[2.0, 2.0, 2.0], 0).unwrap();
        check(&w, &dir, "loss-flat", CURVE_SIZE, "Training loss");

        let paths = vec![vec![
            (0.0, 0.0),
            (nan, 0.1),
            (0.1, 0.1),
            (0.2, inf),
            (0.2, 0.2),
        ]];
        let w = reaches(
            &dir,
            "reaches",
            &paths,
            &[(nan, 0.0), (0.1, 0.2)],
            &[(0.0, 0.0)],
            "NaN reach",
        )
        .unwrap();
        check(&w, &dir, "reaches", PLANAR_SIZE, "NaN reach");
        let w = reaches(
            &dir,
            "reaches-nan",
            &[vec![(nan, nan)]],
            &[(inf, 0.0)],
            &[],
            "All NaN",
        )
        .unwrap();
        check(&w, &dir, "reaches-nan", PLANAR_SIZE, "no data");
        let w = reaches(
            &dir,
            "reaches-point",
            &[vec![(0.3, 0.3)]],
            &[],
            &[],
            "One point",
        )
        .unwrap();
        check(&w, &dir, "reaches-point", PLANAR_SIZE, "One point");
        let w = reaches(
            &dir,
            "reaches-huge",
            &[vec![(-f64::MAX, 0.0), (f64::MAX, 1.0)]],
            &[],
            &[],
            "Huge",
        )
        .unwrap();
        check(&w, &dir, "reaches-huge", PLANAR_SIZE, "Huge");

        let frames = vec![
            vec![vec![(0.0, 0.0), (nan, 0.3), (0.3, 0.3)]],
            vec![vec![(inf, inf)]],
        ];
        let w = arm(&dir, "arm", &frames, "NaN arm").unwrap();
        check(&w, &dir, "arm", PLANAR_SIZE, "NaN arm");

        let w = speed_profiles(
            &dir,
            "speed",
            0.01,
            &[vec![0.0, nan, 0.2, inf, 0.1], vec![nan]],
        )
        .unwrap();
        check(&w, &dir, "speed", CURVE_SIZE, "Fingertip speed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn draw_functions_draw_on_a_callers_area() {
        // two panels of one SVG in memory
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (1600, 600)).into_drawing_area();
            let (left, right) = root.split_horizontally(900);
            let losses: Vec<f64> = (0..100).map(|b| 1.0 / (1.0 + b as f64)).collect();
            let batches: Vec<usize> = (0..100).collect();
            draw_loss_curve(&left, &batches, &losses, 10).unwrap();
            let paths = vec![vec![(0.0, 0.0), (0.05, 0.0), (0.1, 0.0)]];
            draw_reaches(
                &right,
                &paths,
                &[(0.1, 0.0)],
                &[(0.0, 0.0)],
                "Panel reaches",
            )
            .unwrap();
            root.present().unwrap();
        }
        assert!(svg.contains("Training loss (thick: mean over 10 batches)"));
        assert!(svg.contains("Panel reaches"));
        // the reach's colour, tab10 blue, is drawn
        assert!(
            svg.contains("#1F77B4"),
            "no path in the first palette colour"
        );
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (600, 400)).into_drawing_area();
            draw_speed_profiles(&root, 0.01, &[vec![0.0, 0.3, 0.0]]).unwrap();
            draw_arm(&root, &[vec![vec![(0.0, 0.0), (0.3, 0.1)]]], "Panel arm").unwrap();
            // bad data on a caller's area: an error without a file
            let e = draw_speed_profiles(&root, -1.0, &[]).unwrap_err();
            assert!(matches!(e, PlotError::Data { .. }), "{e}");
            let e = draw_loss_curve(&root, &[0], &[], 1).unwrap_err();
            assert!(
                e.to_string().contains("1 batch numbers but 0 losses"),
                "{e}"
            );
            root.present().unwrap();
        }
        assert!(svg.contains("Fingertip speed") && svg.contains("Panel arm"));
    }

    #[test]
    fn bad_arguments_are_errors_naming_the_file() {
        let dir = temp_dir("bad");
        let e = loss_curve(&dir, "loss", &[0, 1], &[1.0], 3).unwrap_err();
        assert!(e.to_string().contains("loss.png"), "{e}");
        for dt in [0.0, -0.01, f64::NAN] {
            let e = speed_profiles(&dir, "speed", dt, &[vec![0.0]]).unwrap_err();
            assert!(e.to_string().contains("speed.png"), "{e}");
        }
        let e = arm(&dir, "", &[], "x").unwrap_err();
        assert!(matches!(e, PlotError::Input { .. }), "{e}");
        // A directory that cannot be created (below a regular file).
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = reaches(&file.join("sub"), "r", &[], &[], &[], "x").unwrap_err();
        assert!(matches!(e, PlotError::CreateDir { .. }), "{e}");
        assert!(e.to_string().contains("sub"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn helpers() {
        let m = running_mean(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 7.0)], 2);
        assert_eq!(m, [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]);
        let m = running_mean(
            &[(0.0, f64::MAX), (1.0, f64::MAX), (2.0, 1.0), (3.0, 1.0)],
            2,
        );
        assert_eq!(m.len(), 4);
        assert_eq!(m[3], (3.0, 1.0));
        let s = finite_segments(&[(0.0, 0.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 3.0)]);
        assert_eq!(s, [vec![(0.0, 0.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
        assert_eq!(tick_label(0.25, 3), "0.25");
        assert_eq!(tick_label(2.0, 3), "2");
        assert_eq!(tick_label(-0.0001, 2), "0");
        assert_eq!(tick_label(1e-7, 3), "1.0e-7");
        assert_eq!(tick_formatter(1.0)(&1e-17), "0");
        assert_eq!(tick_formatter(1.0)(&0.3), "0.3");
        let r = padded(1.0..1.0, 0.1);
        assert!(r.start < 1.0 && r.end > 1.0);
    }

    /// Writes one example of each plot to `$MOTORNET_PLOT_DEMO` (default `/tmp/plot-demo`) and
    /// prints the time each took. Run with `cargo test --release -- --ignored plot_demo`.
    #[test]
    #[ignore = "writes demo images to /tmp/plot-demo; run it to look at them"]
    fn plot_demo() {
        let dir = std::env::var_os("MOTORNET_PLOT_DEMO")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp/plot-demo"));
        let mut state = 12345u64;
        let mut noise = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let time = |name: &str, f: &mut dyn FnMut() -> Result<Vec<PathBuf>, PlotError>| {
            let t = Instant::now();
            let written = f().unwrap();
            println!(
                "{name}: {:.1} ms -> {written:?}",
                t.elapsed().as_secs_f64() * 1e3
            );
        };

        let batches: Vec<usize> = (0..3000).collect();
        let losses: Vec<f64> = batches
            .iter()
            .map(|&b| (0.002 + 0.5 * (-(b as f64) / 400.0).exp()) * (1.0 + 0.8 * noise()))
            .collect();
        time("loss", &mut || {
            loss_curve(&dir, "loss", &batches, &losses, 50)
        });
        // Less than a decade: the log axis gets labels at 2 and 5 times the powers of ten.
        let short: Vec<f64> = batches[..400]
            .iter()
            .map(|&b| (0.2 + 0.3 * (-(b as f64) / 100.0).exp()) * (1.0 + 0.3 * noise()))
            .collect();
        time("loss-short", &mut || {
            loss_curve(&dir, "loss-short", &batches[..400], &short, 20)
        });

        // Centre-out reaches from a start at (0.05, 0.4): curved paths that overshoot a bit.
        let start = (0.05, 0.4);
        let targets: Vec<(f64, f64)> = circle(8, 0.1)
            .into_iter()
            .map(|(x, y)| (start.0 + x, start.1 + y))
            .collect();
        let n = 100;
        let paths: Vec<Vec<(f64, f64)>> = targets
            .iter()
            .map(|&(tx, ty)| {
                (0..n)
                    .map(|i| {
                        let s = i as f64 / (n - 1) as f64;
                        let p = 10.0 * s.powi(3) - 15.0 * s.powi(4) + 6.0 * s.powi(5);
                        let bow = 0.15 * (std::f64::consts::PI * p).sin();
                        let (dx, dy) = (tx - start.0, ty - start.1);
                        (start.0 + dx * p - dy * bow, start.1 + dy * p + dx * bow)
                    })
                    .collect()
            })
            .collect();
        let starts = vec![start; targets.len()];
        time("reaches", &mut || {
            reaches(
                &dir,
                "reaches",
                &paths,
                &targets,
                &starts,
                "Centre-out reaches",
            )
        });

        let frames: Vec<Vec<Vec<(f64, f64)>>> = (0..4)
            .map(|e| {
                (0..6)
                    .map(|k| {
                        let s = k as f64 / 5.0;
                        let q1 = 0.6 + (0.15 * e as f64 - 0.2) * s;
                        let q2 = 1.6 - (0.5 - 0.2 * e as f64) * s;
                        let elbow = (0.309 * q1.cos(), 0.309 * q1.sin());
                        let hand = (
                            elbow.0 + 0.333 * (q1 + q2).cos(),
                            elbow.1 + 0.333 * (q1 + q2).sin(),
                        );
                        vec![(0.0, 0.0), elbow, hand]
                    })
                    .collect()
            })
            .collect();
        time("arm", &mut || {
            arm(&dir, "arm", &frames, "Arm during four reaches")
        });

        // Bell-shaped speed profiles of reaches of different durations and distances.
        let dt = 0.01;
        let speeds: Vec<Vec<f64>> = (0..5)
            .map(|e| {
                let duration = 0.4 + 0.1 * e as f64;
                let distance = 0.06 + 0.02 * e as f64;
                (0..=100)
                    .map(|i| {
                        let s = (i as f64 * dt / duration).min(1.0);
                        30.0 * distance / duration * (s * (1.0 - s)).powi(2)
                    })
                    .collect()
            })
            .collect();
        time("speed", &mut || speed_profiles(&dir, "speed", dt, &speeds));
        time("empty", &mut || {
            reaches(&dir, "empty", &[], &[], &[], "No reaches")
        });
    }
}
