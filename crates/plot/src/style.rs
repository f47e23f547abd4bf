//! The look shared by every plot: the bundled font, the colours and the tick labels.
//!
//! Use these when you draw your own [`plotters`] charts and want them to match the plots of
//! this crate (the examples of the workspace do): call [`register_font`] once before drawing
//! any text, take colours from [`PALETTE`] (or [`color`]), and format tick labels with
//! [`tick_formatter`] or [`tick_label`].
//!
//! ```
//! use motornet_plot::plotters::prelude::*;
//! use motornet_plot::style;
//!
//! style::register_font().unwrap();
//! let mut svg = String::new();
//! {
//!     let root = SVGBackend::with_string(&mut svg, (400, 300)).into_drawing_area();
//!     root.fill(&WHITE).unwrap();
//!     let mut chart = ChartBuilder::on(&root)
//!         .x_label_area_size(30)
//!         .y_label_area_size(40)
//!         .build_cartesian_2d(0.0..1.0, 0.0..0.5)
//!         .unwrap();
//!     let fmt = style::tick_formatter(0.5);
//!     chart
//!         .configure_mesh()
//!         .label_style(style::text_style(style::LABEL_SIZE))
//!         .y_label_formatter(&fmt)
//!         .draw()
//!         .unwrap();
//!     let line = (0..=10).map(|i| (i as f64 / 10.0, 0.05 * i as f64));
//!     chart.draw_series(LineSeries::new(line, style::color(0).stroke_width(2))).unwrap();
//!     root.present().unwrap();
//! }
//! assert!(svg.contains("0.25"));
//! ```

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::PlotError;

/// The font family the bundled font is registered under by [`register_font`]. It is plotters'
/// default family, so every text without an explicit family (titles, tick labels, axis
/// descriptions) uses it.
pub const FONT_FAMILY: &str = "sans-serif";

/// DejaVu Sans 2.37, a TrueType font (Bitstream Vera licence, see
/// `crates/plot/assets/LICENSE-DejaVu.txt`), bundled so that drawing text needs no fontconfig,
/// freetype or other system library.
pub static FONT_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the bundled font ([`FONT_TTF`]) as [`FONT_FAMILY`], once per process (later calls
/// return the first call's result at once). The plots of this crate call it themselves; call
/// it before drawing text on your own plotters charts.
///
/// # Errors
///
/// [`PlotError::Font`] if the bundled font cannot be parsed (a corrupted build).
pub fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_TTF).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Matplotlib's "tab10" colours (blue, orange, green, red, purple, brown, pink, grey, olive,
/// cyan): the colours of the reaches, in order.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i`: [`PALETTE`], cycled.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The per-batch loss of [`loss_curve`](crate::loss_curve): light blue (opaque, so that dense
/// noisy segments do not darken).
pub const RAW_LOSS_COLOR: RGBColor = RGBColor(166, 196, 228);
/// The running mean of the loss: dark blue.
pub const SMOOTH_LOSS_COLOR: RGBColor = RGBColor(16, 72, 140);

/// Title font size, as plotters takes font sizes (the glyphs' em is 1/1.24 of it, in pixels).
pub const TITLE_SIZE: f64 = 28.0;
/// Tick-label font size (plotters' units, as [`TITLE_SIZE`]).
pub const LABEL_SIZE: f64 = 19.0;
/// Axis-description font size (plotters' units, as [`TITLE_SIZE`]).
pub const AXIS_DESC_SIZE: f64 = 22.0;

/// Black text of `size` (plotters' units, as [`TITLE_SIZE`]) in [`FONT_FAMILY`].
pub fn text_style(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&BLACK)
}

/// A tick-label formatter for an axis spanning `span` (in the axis's units): as many decimals
/// as a tenth of the span needs (at least one more than its leading digit's), no trailing
/// zeros, and "0" for values within a millionth of a tick step of zero (no `1e-17`).
///
/// ```
/// let f = motornet_plot::style::tick_formatter(0.2); // an axis 0.2 m wide
/// assert_eq!(f(&0.05), "0.05");
/// assert_eq!(f(&0.1), "0.1");
/// assert_eq!(f(&1e-18), "0");
/// ```
pub fn tick_formatter(span: f64) -> impl Fn(&f64) -> String {
    let step = (span / 10.0).abs();
    let decimals = if step > 0.0 && step.is_finite() {
        (-step.log10().floor()).clamp(0.0, 12.0) as usize + 1
    } else {
        3
    };
    move |v: &f64| {
        if v.abs() <= step * 1e-6 {
            "0".to_string()
        } else {
            tick_label(*v, decimals)
        }
    }
}

/// `v` with at most `decimals` decimals and no trailing zeros (never "-0"), or in scientific
/// notation with one decimal when `|v|` is below 1e-4 or at least 1e6.
///
/// ```
/// use motornet_plot::style::tick_label;
/// assert_eq!(tick_label(0.250, 3), "0.25");
/// assert_eq!(tick_label(2.0, 3), "2");
/// assert_eq!(tick_label(-0.0001, 2), "0");
/// assert_eq!(tick_label(1e-7, 3), "1.0e-7");
/// ```
pub fn tick_label(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if !(1e-4..1e6).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }
}
