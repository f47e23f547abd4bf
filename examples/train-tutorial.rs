//! Train, save, reload and evaluate a policy: MotorNet's tutorial (the `train-net` notebook)
//! written against the library instead of the `motornet train` command.
//!
//! What it shows:
//! - [`TrainConfig::default`] is MotorNet's tutorial: a GRU of 32 units controlling
//!   `ReluPointMass24` (a point mass pulled by four ReLU muscles) on `RandomTargetReach`,
//!   1 s episodes at dt = 10 ms, batches of 32, Adam 1e-3, position L1 loss;
//! - [`AnyTrainer::batch`] trains on one batch; a progress line every 250 batches gives the
//!   mean loss of that block;
//! - the run is saved as a checkpoint and its resolved config (`config.json`), and a fresh
//!   trainer rebuilt from those two files alone is the same policy: both give bit-identical
//!   fingertip trajectories on the same validation batch;
//! - [`AnyTrainer::evaluate`] validates on another task: centre-out reaches to 8 targets at
//!   10 cm, without noise. The network was trained without a go-cue input, so the validation
//!   task has none either (`cue_input: false`), and the reaches start at once.
//!
//! Run: `cargo run --release --example train-tutorial [OUT_DIR] [BATCHES]`
//! (defaults `target/examples-out/train-tutorial/` and 2000 batches). Writes `config.json`,
//! `checkpoint.bin` and `reaches.png` (loss curve and validation reaches) to OUT_DIR. About 15–20
//! s on a 2-core machine once built (~8 ms per batch); MotorNet's full 6000 batches
//! (`motornet train`) end near a loss of 0.11.

use motornet::plot::plotters::coord::ranged1d::ValueFormatter;
use motornet::plot::plotters::prelude::*;
use motornet::plot::style::{self, color};
use motornet::task::{CentreOutMode, CentreOutReach, EnvConfig, TaskConfig};
use motornet::train::{AnyTrainer, Rollout, TrainConfig};
use std::error::Error;
use std::path::{Path, PathBuf};

mod common;

const PROGRESS_EVERY: usize = 250;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/examples-out/train-tutorial".into()),
    );
    let batches: usize = match args.next() {
        Some(b) => b.parse().map_err(|e| format!("BATCHES {b:?}: {e}"))?,
        None => 2000,
    };
    std::fs::create_dir_all(&out)?;

    // 1. Train: the tutorial's settings, for `batches` batches.
    let config = TrainConfig {
        batches,
        ..TrainConfig::default()
    };
    let mut trainer = AnyTrainer::new(&config)?;
    println!(
        "training a GRU ({} parameters) on ReluPointMass24 / RandomTargetReach, {batches} batches \
         of {} episodes, {} threads",
        trainer.n_params(),
        config.batch_size,
        trainer.threads()
    );
    common::train_with_progress(&mut trainer, batches, PROGRESS_EVERY)?;

    // 2. Save: the checkpoint (parameters, Adam state, loss history), tagged with the config's
    // hash, and the resolved config (the effector written out as a full spec).
    let (ckpt_path, config_path) = (out.join("checkpoint.bin"), out.join("config.json"));
    trainer.save_checkpoint(&ckpt_path)?;
    std::fs::write(
        &config_path,
        serde_json::to_string_pretty(trainer.config())?,
    )?;

    // 3. Reload into a fresh trainer from the two files alone.
    let config2 = TrainConfig::from_file(&config_path)?;
    let mut reloaded = AnyTrainer::new(&config2)?;
    reloaded.resume_from(&ckpt_path)?;
    println!(
        "saved and reloaded {} and {} ({} batches done)",
        config_path.display(),
        ckpt_path.display(),
        reloaded.batches_done()
    );

    // 4. Validate, with both trainers: 8 centre-out reaches of 10 cm around the fingertip at
    // the middle of the joint ranges (here the origin), no noise (the tutorial has none anyway).
    let centre_out = TaskConfig::CentreOutReach(CentreOutReach {
        n_targets: 8,
        radius: 0.1, // m
        centre: None,
        mode: CentreOutMode::Validation { cue: 0.0 }, // s
        cue_input: false,
    });
    let quiet = EnvConfig::default();
    let a = trainer.evaluate(Some(centre_out.build()), Some(&quiet), 8, 0, None)?;
    let b = reloaded.evaluate(Some(centre_out.build()), Some(&quiet), 8, 0, None)?;
    let max_diff = a
        .fingertip
        .iter()
        .flatten()
        .zip(b.fingertip.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    if a.fingertip != b.fingertip {
        return Err(format!("the reloaded policy differs (max |Δ| = {max_diff:e} m)").into());
    }
    println!("reloaded policy: identical fingertip trajectories (max |Δ| = {max_diff} m)");

    // the mean distance (m) between the fingertip's last position and the target, and more
    let error = motornet::train::rollout_metrics(&b)?.mean_final_error_m;
    println!(
        "centre-out validation (8 targets, 10 cm): loss {:.4}, mean final endpoint error \
         {error:.4} m",
        b.loss
    );
    let png = out.join("reaches.png");
    plot(&png, reloaded.losses(), &b)?;
    println!("wrote {}", png.display());
    Ok(())
}

/// Axes with the example's fonts, tick labels and a grid at the labels.
fn axes<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    // tick labels with the decimals each axis's span needs (the library's)
    let (x, y) = (chart.x_range(), chart.y_range());
    let x_tick = style::tick_formatter(x.end - x.start);
    let y_tick = style::tick_formatter(y.end - y.start);
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(8)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(())
}

/// Left: the loss per batch (log scale) and its mean over 50 batches. Right: the validation
/// fingertip paths (lines), their targets (circles) and the start (square), x and y equally
/// scaled.
fn plot(png: &Path, losses: &[f64], r: &Rollout) -> Result<(), Box<dyn Error>> {
    // plotters finds no system fonts here: register the bundled one as the default family.
    style::register_font()?;
    let root = BitMapBackend::new(png, (1300, 620)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.margin(10, 0, 0, 0).split_horizontally(660);
    let frame = |area| {
        let mut b = ChartBuilder::on(area);
        b.margin(15).x_label_area_size(45).y_label_area_size(70);
        b
    };

    let left = left.titled("training loss (position L1)", ("sans-serif", 26))?;
    let (lo, hi) = losses
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &l| (lo.min(l), hi.max(l)));
    // from the power of ten below the lowest loss: plotters labels a log axis from there up
    let (x, y) = (
        0f64..losses.len() as f64,
        0.98 * 10f64.powf(lo.log10().floor())..hi * 1.1,
    );
    let mut chart = frame(&left).build_cartesian_2d(x, y.log_scale())?;
    axes(&mut chart, "batch", "loss")?;
    let raw = losses.iter().enumerate().map(|(i, &l)| (i as f64, l));
    chart.draw_series(LineSeries::new(raw, RGBColor(166, 196, 228)))?;
    let w = 50;
    let smooth = (w..=losses.len()).map(|i| {
        let mean = losses[i - w..i].iter().sum::<f64>() / w as f64;
        ((i - 1) as f64, mean)
    });
    let dark = RGBColor(16, 72, 140);
    chart
        .draw_series(LineSeries::new(smooth, dark.stroke_width(3)))?
        .label(format!("mean over {w} batches"))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], dark.stroke_width(3)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16))
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;

    let right = right.titled(
        "centre-out validation (reloaded policy)",
        ("sans-serif", 26),
    )?;
    // (x, y) of the fingertip at every state, and of the targets (m)
    let (paths, targets) = (
        motornet::plot::fingertip_paths(r)?,
        motornet::plot::targets(r)?,
    );
    let points = paths.iter().flatten().chain(&targets).copied();
    let (x0, x1, y0, y1) = points.fold((f64::MAX, f64::MIN, f64::MAX, f64::MIN), |b, (x, y)| {
        (b.0.min(x), b.1.max(x), b.2.min(y), b.3.max(y))
    });
    // Equal scaling: measure the plotting area, then give both axes the same metres per pixel.
    let (pw, ph) = frame(&right)
        .build_cartesian_2d(0f64..1.0, 0f64..1.0)?
        .plotting_area()
        .dim_in_pixel();
    let per_px = 1.15 * ((x1 - x0) / pw as f64).max((y1 - y0) / ph as f64);
    let (hx, hy) = (per_px * pw as f64 / 2.0, per_px * ph as f64 / 2.0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let mut chart = frame(&right).build_cartesian_2d(cx - hx..cx + hx, cy - hy..cy + hy)?;
    axes(&mut chart, "x (m)", "y (m)")?;
    for (e, (path, &target)) in paths.iter().zip(&targets).enumerate() {
        let c = color(e);
        chart.draw_series(LineSeries::new(path.iter().copied(), c.stroke_width(2)))?;
        chart.draw_series([Circle::new(target, 9, c.stroke_width(2))])?;
    }
    let s = paths[0][0];
    let d = 4.0 * per_px; // a square of 8 pixels
    chart.draw_series([Rectangle::new(
        [(s.0 - d, s.1 - d), (s.0 + d, s.1 + d)],
        BLACK.filled(),
    )])?;
    root.present()?;
    Ok(())
}
