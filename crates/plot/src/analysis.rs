//! Plots of analyses of network activity (what `motornet analyze` writes): the variance the
//! principal components explain ([`variance_explained`]), the reaches' trajectories in the
//! plane of two components ([`pc_trajectories`]) and the units' preferred directions in two
//! runs ([`preferred_directions`]). Each also draws on a caller's drawing area (the `draw_*`
//! functions). They take plain data (the numbers of `motornet-analysis`' results), so that
//! this crate does not depend on the analyses.

use std::error::Error as StdError;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figures::{
    draw_on, render, titled_area as titled, DrawResult, Figure, Polyline, CURVE_SIZE, PLANAR_SIZE,
};
use crate::style::{color, text_style, tick_formatter, AXIS_DESC_SIZE, LABEL_SIZE};
use crate::PlotError;

const MARGIN: u32 = 20;
const X_LABEL_AREA: u32 = 55;
const Y_LABEL_AREA: u32 = 85;

/// A unit's preferred direction (degrees) in two runs, and whether it is counted (tuned in
/// both): one point of [`preferred_directions`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PdPair {
    /// Preferred direction in the first run (degrees, in `(−180, 180]`).
    pub run_deg: f64,
    /// Preferred direction in the other run (degrees, in `(−180, 180]`).
    pub other_deg: f64,
    /// Whether the unit is tuned in both runs (drawn filled; others hollow and grey).
    pub counted: bool,
}

/// Plots the fraction of the activity's variance each principal component explains (bars,
/// component 1 first) and its running sum (a line with dots), against the component number,
/// into `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`CURVE_SIZE`] pixels); returns the two
/// paths. `ratios[k]` is component `k + 1`'s fraction (in `[0, 1]`). Non-finite ratios are
/// left out; with none the plot says "no data".
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty, [`PlotError::CreateDir`] if `dir` cannot be
/// created, [`PlotError::Draw`] if a file cannot be written.
pub fn variance_explained(
    dir: &Path,
    stem: &str,
    ratios: &[f64],
) -> Result<Vec<PathBuf>, PlotError> {
    render(dir, stem, CURVE_SIZE, &VarianceFigure { ratios })
}

/// Draws the plot of [`variance_explained`] on `area`, a plotters drawing area of any backend
/// and size.
///
/// # Errors
///
/// [`PlotError::Backend`] if drawing fails.
pub fn draw_variance_explained<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ratios: &[f64],
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    draw_on(area, &VarianceFigure { ratios })
}

/// Plots each reach's trajectory in the plane of two principal components (`(pc_a, pc_b)` in
/// the activity's units at every step), reach `e` in colour [`color(e)`](crate::style::color)
/// (the colours of the reaches plot), its first step marked by a small square and its last by
/// a circle, with `axes` naming the two components (e.g. `("PC1", "PC2")`), into
/// `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`PLANAR_SIZE`] pixels); returns the two paths.
/// Non-finite points are skipped.
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty, [`PlotError::CreateDir`] if `dir` cannot be
/// created, [`PlotError::Draw`] if a file cannot be written.
pub fn pc_trajectories(
    dir: &Path,
    stem: &str,
    trajectories: &[Polyline],
    axes: (&str, &str),
    title: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    let figure = TrajectoryFigure {
        trajectories,
        axes,
        title,
    };
    render(dir, stem, PLANAR_SIZE, &figure)
}

/// Draws the plot of [`pc_trajectories`] on `area`, a plotters drawing area of any backend and
/// size.
///
/// # Errors
///
/// [`PlotError::Backend`] if drawing fails.
pub fn draw_pc_trajectories<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    trajectories: &[Polyline],
    axes: (&str, &str),
    title: &str,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let figure = TrajectoryFigure {
        trajectories,
        axes,
        title,
    };
    draw_on(area, &figure)
}

/// Plots each unit's preferred direction in one run (x, degrees) against another (y, degrees),
/// both axes from −180° to 180°, with the diagonal (no shift) dashed; units counted in the
/// shift are filled blue dots, the others hollow grey circles. `title` is the plot's title
/// (the mean shift, say). Into `<dir>/<stem>.png` and `<dir>/<stem>.svg` ([`PLANAR_SIZE`]
/// pixels); returns the two paths. Non-finite points are skipped.
///
/// # Errors
///
/// [`PlotError::Input`] if `stem` is empty, [`PlotError::CreateDir`] if `dir` cannot be
/// created, [`PlotError::Draw`] if a file cannot be written.
pub fn preferred_directions(
    dir: &Path,
    stem: &str,
    units: &[PdPair],
    axes: (&str, &str),
    title: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    render(dir, stem, PLANAR_SIZE, &PdFigure { units, axes, title })
}

/// Draws the plot of [`preferred_directions`] on `area`, a plotters drawing area of any
/// backend and size.
///
/// # Errors
///
/// [`PlotError::Backend`] if drawing fails.
pub fn draw_preferred_directions<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    units: &[PdPair],
    axes: (&str, &str),
    title: &str,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    draw_on(area, &PdFigure { units, axes, title })
}

// ---------------------------------------------------------------------------------------------
// Rendering: `figures`' two files (PNG and SVG), font and errors.

/// A chart over `x` × `y` with the house grid, tick labels and axis descriptions.
fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    y: Range<f64>,
    (x_desc, y_desc): (&str, &str),
    (x_labels, y_labels): (usize, usize),
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn StdError>,
>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.clone(), y.clone())?;
    let x_fmt = tick_formatter(x.end - x.start);
    let y_fmt = tick_formatter(y.end - y.start);
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .label_style(text_style(LABEL_SIZE))
        .axis_desc_style(text_style(AXIS_DESC_SIZE))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(x_labels)
        .y_labels(y_labels)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;
    Ok(chart)
}

/// Writes "no data" in the middle of `area`.
fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let grey = BLACK.mix(0.5);
    let style = text_style(28.0)
        .color(&grey)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text("no data", &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

fn finite((x, y): (f64, f64)) -> bool {
    x.is_finite() && y.is_finite()
}

/// The range of the finite values of `values`, widened by 5 % on each side (and to a
/// non-empty range around a single value); `None` without finite values.
fn padded_range(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(-f64::MAX / 8.0, f64::MAX / 8.0))
        .fold(None, |r: Option<(f64, f64)>, v| {
            Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })?;
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.05 * span
    } else {
        (0.05 * lo.abs()).max(1e-3)
    };
    Some(lo - pad..hi + pad)
}

// ---------------------------------------------------------------------------------------------
// The figures.

struct VarianceFigure<'a> {
    ratios: &'a [f64],
}

impl Figure for VarianceFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(
            root,
            "Variance explained: per component (bars), cumulative (line)",
        )?;
        let n = self.ratios.len();
        let x = 0.4..n.max(1) as f64 + 0.6;
        let desc = ("component", "fraction of variance");
        let c = chart(&area, x, 0.0..1.05, desc, (n.clamp(1, 12), 6))?;
        if !self.ratios.iter().any(|r| r.is_finite()) {
            return no_data(&c.plotting_area().strip_coord_spec());
        }
        let mut c = c;
        let bars = (self.ratios.iter().enumerate())
            .filter(|(_, r)| r.is_finite())
            .map(|(k, &r)| {
                let x = (k + 1) as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, r)], color(0).mix(0.8).filled())
            });
        c.draw_series(bars)?;
        let mut sum = 0.0;
        let cumulative: Vec<(f64, f64)> = (self.ratios.iter().enumerate())
            .filter(|(_, r)| r.is_finite())
            .map(|(k, r)| {
                sum += r;
                ((k + 1) as f64, sum)
            })
            .collect();
        c.draw_series(LineSeries::new(
            cumulative.clone(),
            color(1).stroke_width(2),
        ))?;
        c.draw_series(
            cumulative
                .iter()
                .map(|&p| Circle::new(p, 4, color(1).filled())),
        )?;
        Ok(())
    }
}

struct TrajectoryFigure<'a> {
    trajectories: &'a [Polyline],
    axes: (&'a str, &'a str),
    title: &'a str,
}

impl Figure for TrajectoryFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(root, self.title)?;
        let points = || self.trajectories.iter().flatten().filter(|p| finite(**p));
        let ranges = padded_range(points().map(|p| p.0)).zip(padded_range(points().map(|p| p.1)));
        let Some((x, y)) = ranges else {
            let c = chart(&area, 0.0..1.0, 0.0..1.0, self.axes, (8, 8))?;
            return no_data(&c.plotting_area().strip_coord_spec());
        };
        let mut c = chart(&area, x, y, self.axes, (8, 8))?;
        for (e, path) in self.trajectories.iter().enumerate() {
            let style = color(e).stroke_width(2);
            for run in path.split(|p| !finite(*p)).filter(|r| !r.is_empty()) {
                c.draw_series(LineSeries::new(run.iter().copied(), style))?;
            }
            let mut ends = path.iter().copied().filter(|p| finite(*p));
            if let Some(first) = ends.next() {
                c.draw_series(std::iter::once(
                    EmptyElement::at(first) + Rectangle::new([(-5, -5), (5, 5)], color(e).filled()),
                ))?;
            }
            if let Some(last) = ends.next_back() {
                c.draw_series(std::iter::once(Circle::new(
                    last,
                    7,
                    color(e).stroke_width(2),
                )))?;
            }
        }
        Ok(())
    }
}

struct PdFigure<'a> {
    units: &'a [PdPair],
    axes: (&'a str, &'a str),
    title: &'a str,
}

impl Figure for PdFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = titled(root, self.title)?;
        let mut c = chart(&area, -180.0..180.0, -180.0..180.0, self.axes, (9, 9))?;
        let diagonal = [(-180.0, -180.0), (180.0, 180.0)];
        c.draw_series(DashedLineSeries::new(
            diagonal,
            8,
            6,
            BLACK.mix(0.4).stroke_width(1),
        ))?;
        let points = self
            .units
            .iter()
            .filter(|u| finite((u.run_deg, u.other_deg)));
        let grey = RGBColor(127, 127, 127);
        c.draw_series(
            points
                .clone()
                .filter(|u| !u.counted)
                .map(|u| Circle::new((u.run_deg, u.other_deg), 5, grey.stroke_width(1))),
        )?;
        c.draw_series(
            points
                .filter(|u| u.counted)
                .map(|u| Circle::new((u.run_deg, u.other_deg), 5, color(0).filled())),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "motornet-plot-analysis-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_three_plots_write_png_and_svg_files() {
        let dir = temp_dir("all");
        let ratios = [0.6, 0.3, 0.1];
        let files = variance_explained(&dir, "variance", &ratios).unwrap();
        assert_eq!(files, [dir.join("variance.png"), dir.join("variance.svg")]);
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        // three bars (rectangles) besides the background, and the cumulative axis
        assert!(svg.contains("component"), "{svg}");
        let paths: Vec<Polyline> = (0..3)
            .map(|e| (0..10).map(|t| (t as f64, e as f64 * t as f64)).collect())
            .collect();
        let files = pc_trajectories(&dir, "pc", &paths, ("PC1", "PC2"), "trajectories").unwrap();
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        // the second reach's colour (orange, 255 127 14) is drawn
        assert!(svg.contains("#FF7F0E"), "{svg}");
        let units = [
            PdPair {
                run_deg: 10.0,
                other_deg: 30.0,
                counted: true,
            },
            PdPair {
                run_deg: -170.0,
                other_deg: 170.0,
                counted: false,
            },
            PdPair {
                run_deg: f64::NAN,
                other_deg: 0.0,
                counted: true,
            },
        ];
        let files =
            preferred_directions(&dir, "pd", &units, ("before (°)", "after (°)"), "shift").unwrap();
        for f in &files {
            assert!(
                std::fs::metadata(f).unwrap().len() > 1000,
                "{}",
                f.display()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_or_non_finite_data_say_no_data_and_an_empty_stem_is_an_error() {
        let dir = temp_dir("empty");
        let files = variance_explained(&dir, "v", &[f64::NAN]).unwrap();
        assert!(std::fs::read_to_string(&files[1])
            .unwrap()
            .contains("no data"));
        let files = pc_trajectories(&dir, "p", &[], ("PC1", "PC2"), "t").unwrap();
        assert!(std::fs::read_to_string(&files[1])
            .unwrap()
            .contains("no data"));
        assert!(matches!(
            variance_explained(&dir, "", &[1.0]),
            Err(PlotError::Input { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
