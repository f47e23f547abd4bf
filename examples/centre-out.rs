//! Arm26 centre-out reaching with sensory delays and noise, as in the MotorNet paper, with
//! plots.
//!
//! What it shows:
//! - a [`TrainConfig`] built in code: the six-muscle two-joint arm (`RigidTendonArm26`, rigid
//!   tendon Hill muscles) trained on `CentreOutReach` in training mode (random reaches across
//!   the workspace, a go cue 0.1–0.3 s into each 1 s episode, half of the trials catch trials
//!   without a cue), with a 20 ms proprioceptive and a 50 ms visual delay, motor and sensory
//!   noise, a GRU of 64 units, and a position L1 loss plus a small penalty on the muscle
//!   activations and their rate of change;
//! - a noiseless validation on 8 centre-out targets at 10 cm with the go cue at 0.2 s, with
//!   [`AnyTrainer::evaluate`], and the numbers people look at first: the mean final endpoint
//!   error (m), the mean peak fingertip speed (m/s) and the reaction time (s);
//! - four plots of the validation [`Rollout`]: hand paths with targets, fingertip speed over
//!   time, the six muscle excitations of one reach (named by the effector) and the arm as
//!   shoulder–elbow–hand stick figures during each reach.
//!
//! Two settings matter more than they seem. With 10 % catch trials (MotorNet's tutorials use
//! few) the network learns to ignore the go cue and to set off at about the earliest cue time
//! whatever the cue (moving early costs little under a position loss); with 50 % (the default
//! of `TaskConfig::default_for("CentreOutReach")`) waiting pays, and it reacts to the cue. The activation-rate term
//! turns bang-bang bursts (peak speeds of 2–3 m/s) into smooth bell-shaped speed profiles. The
//! learning rate is 3e-3 (MotorNet's tutorial has 1e-3, which learns far more slowly here).
//!
//! Run: `cargo run --release --example centre-out [OUT_DIR] [BATCHES]` (defaults
//! `target/examples-out/centre-out/` and 6000 batches). Writes `paths.png`, `speed.png`,
//! `excitations.png` and `arm.png` to OUT_DIR. About 70 s on a 2-core machine once built
//! (~12 ms per batch).

use motornet::muscle::MuscleModel;
use motornet::plot::plotters;
use motornet::plot::style::{self, color};
use motornet::task::loss::{ActivationL2Config, LossConfig, PositionL1Config};
use motornet::task::{CentreOutMode, CentreOutReach, EnvConfig, TaskConfig};
use motornet::train::{
    AnyTrainer, EffectorChoice, NetworkConfig, NetworkKind, Rollout, TrainConfig,
};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};

mod common;

const PROGRESS_EVERY: usize = 500;
/// Points (x, y) joined by a line.
type Line = Vec<(f64, f64)>;
/// A named, coloured line.
type Series = (String, RGBColor, Line);
/// A chart of the plane (m).
type Planar<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// Go-cue time of the validation reaches (s).
const CUE: f64 = 0.2;
/// Times after the go cue at which the arm is drawn (s), besides the cue and the end.
const ARM_TIMES: [f64; 4] = [0.05, 0.1, 0.15, 0.25];

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/examples-out/centre-out".into()),
    );
    let batches: usize = match args.next() {
        Some(b) => b.parse().map_err(|e| format!("BATCHES {b:?}: {e}"))?,
        None => 6000,
    };
    std::fs::create_dir_all(&out)?;

    let config = TrainConfig {
        effector: EffectorChoice::Preset {
            preset: "RigidTendonArm26".into(),
            muscle: None, // the preset's RigidTendonHillMuscle
        },
        task: TaskConfig::CentreOutReach(CentreOutReach {
            n_targets: 8, // (validation mode only)
            radius: 0.1,  // m (validation mode only)
            centre: None,
            mode: CentreOutMode::Training {
                cue_range: (0.1, 0.3), // s
                catch_probability: 0.5,
                centre_out_fraction: 0.0,
            },
            cue_input: true, // the network sees the go cue (0 before it, 1 from it on)
        }),
        env: EnvConfig {
            max_ep_duration: 1.0,             // s: 100 steps of dt = 10 ms
            proprioception_delay: Some(0.02), // s: muscle lengths and velocities 2 steps old
            vision_delay: Some(0.05),         // s: fingertip position 5 steps old
            action_noise: 0.01,               // std of the noise on each excitation
            proprioception_noise: 0.001,      // std (normalised fibre length and velocity)
            vision_noise: 0.001,              // std (m)
            ..EnvConfig::default()
        },
        network: NetworkConfig {
            kind: NetworkKind::Gru,
            hidden: 64,
            layers: 1,
        },
        losses: vec![
            // mean over time of Σ|fingertip − goal| (m); the goal is the start until the cue
            LossConfig::PositionL1(PositionL1Config { weight: 1.0 }),
            // 0.01 · (mean Σ a² + 0.05 s² · mean Σ (da/dt)²), a the muscle activations
            LossConfig::ActivationL2(ActivationL2Config {
                weight: 0.01,
                derivative_weight: 0.05,
            }),
        ],
        batches,
        lr: 3e-3,
        ..TrainConfig::default()
    };
    let mut trainer = AnyTrainer::new(&config)?;
    println!(
        "training a GRU 64 ({} parameters) on RigidTendonArm26 / CentreOutReach, {batches} \
         batches of {} episodes, {} threads",
        trainer.n_params(),
        config.batch_size,
        trainer.threads()
    );
    common::train_with_progress(&mut trainer, batches, PROGRESS_EVERY)?;

    // Validation: 8 targets at 10 cm around the fingertip at the middle of the joint ranges,
    // the go cue at CUE, the same delays but no noise.
    let validation = TaskConfig::CentreOutReach(CentreOutReach {
        n_targets: 8,
        radius: 0.1, // m
        centre: None,
        mode: CentreOutMode::Validation { cue: CUE },
        cue_input: true,
    });
    let quiet = config.env.noiseless();
    let r = trainer.evaluate(Some(validation.build()), Some(&quiet), 8, 0, None)?;
    let effector = trainer.effector();
    let dt = effector.options().timestep; // s
                                          // fingertip speed (m/s) of each reach at every state
    let speeds = motornet::plot::fingertip_speeds(&r)?;
    // mean final endpoint error (m), path-length ratio and peak speed (m/s)
    let metrics = motornet::train::rollout_metrics(&r)?;
    let (final_error, peak_speed) = (metrics.mean_final_error_m, metrics.mean_peak_speed_m_per_s);
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    // reaction time: from the go cue to the first state faster than 5 cm/s
    let onset = |s: &Vec<f64>| s.iter().position(|&v| v > 0.05).unwrap_or(s.len()) as f64 * dt;
    let reaction = mean(speeds.iter().map(|s| onset(s) - CUE).collect());
    println!(
        "validation (8 targets, 10 cm, go cue at {CUE} s, no noise): loss {:.4}, mean final \
         error {final_error:.4} m, mean peak speed {peak_speed:.3} m/s, mean reaction time \
         {reaction:.3} s",
        r.loss
    );

    // Plots.
    style::register_font()?;
    let paths: Vec<Line> = motornet::plot::fingertip_paths(&r)?;
    plot_paths(&out.join("paths.png"), &paths, &r)?;
    let series: Vec<Series> = speeds
        .iter()
        .enumerate()
        .map(|(e, s)| {
            let line = s.iter().enumerate().map(|(i, &v)| (i as f64 * dt, v));
            (format!("{}°", 45 * e), color(e), line.collect())
        })
        .collect();
    let title = "fingertip speed (8 validation reaches)";
    plot_time(&out.join("speed.png"), title, "speed (m/s)", &series)?;
    let reach = 2; // the reach to 90° (straight away from the body)
    let m = effector.n_muscles();
    let series: Vec<Series> = (0..m)
        .map(|k| {
            let u = r.excitation[reach].chunks(m).enumerate();
            let line = u.map(|(i, u)| (i as f64 * dt, u[k]));
            let name = effector.muscle().muscle_name(k).to_string();
            (name, MUSCLE_COLORS[k % 6], line.collect())
        })
        .collect();
    let title = format!("muscle excitations, reach to {}°", 45 * reach);
    plot_time(&out.join("excitations.png"), &title, "excitation", &series)?;
    // shoulder, elbow and hand (m) at a joint state, from the skeleton's kinematics
    let skeleton = effector.skeleton();
    let stick = |s: &[f64]| {
        // the rollout's joint rows are this skeleton's states: the shapes agree
        motornet::plot::stick_figure(skeleton, s).expect("a joint state of the arm")
    };
    plot_arm(&out.join("arm.png"), &r, &paths, dt, &stick)?;
    println!(
        "wrote paths.png, speed.png, excitations.png and arm.png to {}",
        out.display()
    );
    Ok(())
}

/// Flexors in warm colours, extensors in cool ones (arm26's order: pectoralis, deltoid,
/// brachioradialis, triceps lateral, biceps, triceps long).
const MUSCLE_COLORS: [RGBColor; 6] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(148, 103, 189),
];

/// A white PNG canvas with a title.
fn canvas<'a>(
    file: &'a Path,
    size: (u32, u32),
    title: &str,
) -> Result<DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>, Box<dyn Error>> {
    let root = BitMapBackend::new(file, size).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root.margin(10, 0, 0, 0).titled(title, ("sans-serif", 26))?)
}

fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin(15).x_label_area_size(45).y_label_area_size(70);
    b
}

/// Axes with the example's fonts, about `labels` tick labels each and a grid at the labels.
fn axes<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    labels: usize,
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
        .x_labels(labels)
        .y_labels(labels)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(())
}

/// A chart of the plane with x and y equally scaled (m), showing every point of `points`, and
/// its metres per pixel.
fn planar<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    points: impl Iterator<Item = (f64, f64)>,
    labels: usize,
) -> Result<(Planar<'a, DB>, f64), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (x0, x1, y0, y1) = points.fold((f64::MAX, f64::MIN, f64::MAX, f64::MIN), |b, (x, y)| {
        (b.0.min(x), b.1.max(x), b.2.min(y), b.3.max(y))
    });
    // measure the plotting area, then give both axes the same metres per pixel
    let (pw, ph) = frame(area)
        .build_cartesian_2d(0f64..1.0, 0f64..1.0)?
        .plotting_area()
        .dim_in_pixel();
    let per_px = 1.12 * ((x1 - x0) / pw as f64).max((y1 - y0) / ph as f64);
    let (hx, hy) = (per_px * pw as f64 / 2.0, per_px * ph as f64 / 2.0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let mut chart = frame(area).build_cartesian_2d(cx - hx..cx + hx, cy - hy..cy + hy)?;
    axes(&mut chart, "x (m)", "y (m)", labels)?;
    Ok((chart, per_px))
}

/// Fingertip paths (lines), targets (circles) and the start (black square).
fn plot_paths(file: &Path, paths: &[Line], r: &Rollout) -> Result<(), Box<dyn Error>> {
    let area = canvas(
        file,
        (700, 700),
        "hand paths to 8 targets at 10 cm (square: start)",
    )?;
    let targets = r.target.iter().map(|t| (t[0], t[1]));
    let (mut chart, per_px) = planar(&area, paths.iter().flatten().copied().chain(targets), 8)?;
    for (e, (path, t)) in paths.iter().zip(&r.target).enumerate() {
        let c = color(e);
        chart.draw_series(LineSeries::new(path.iter().copied(), c.stroke_width(2)))?;
        chart.draw_series([Circle::new((t[0], t[1]), 10, c.stroke_width(2))])?;
    }
    let (s, d) = (paths[0][0], 4.0 * per_px); // a square of 8 pixels
    let square = Rectangle::new([(s.0 - d, s.1 - d), (s.0 + d, s.1 + d)], BLACK.filled());
    chart.draw_series([square])?;
    area.present()?;
    Ok(())
}

/// Named lines against time (s), with a legend and the go cue as a dashed vertical line.
fn plot_time(
    file: &Path,
    title: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<(), Box<dyn Error>> {
    let area = canvas(file, (900, 500), title)?;
    let points = series.iter().flat_map(|s| s.2.iter());
    let (t1, y1) = points.fold((0.0, 0.0), |(t, y), &(pt, py)| {
        (f64::max(t, pt), f64::max(y, py))
    });
    let mut chart =
        frame(&area).build_cartesian_2d(0.0..(10.0 * t1).ceil() / 10.0, 0.0..1.08 * y1)?;
    axes(&mut chart, "time (s)", y_desc, 11)?;
    let cue = DashedLineSeries::new([(CUE, 0.0), (CUE, 1.08 * y1)], 6, 4, BLACK.into());
    chart.draw_series(cue)?.label("go cue").legend(|(x, y)| {
        plotters::element::DashedPathElement::new([(x, y), (x + 20, y)], 6, 4, BLACK)
    });
    for (name, color, line) in series {
        let c = *color;
        chart
            .draw_series(LineSeries::new(line.iter().copied(), c.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()?;
    area.present()?;
    Ok(())
}

/// One panel per reach: the arm (shoulder at the origin, elbow, hand) at the go cue (black),
/// at `ARM_TIMES` after it and at the end (the reach's colour, darker later), the hand path and
/// the target; every panel has the same equally scaled axes.
fn plot_arm(
    file: &Path,
    r: &Rollout,
    paths: &[Line],
    dt: f64,
    stick: &dyn Fn(&[f64]) -> Line,
) -> Result<(), Box<dyn Error>> {
    let title =
        "arm during each reach: at the go cue (black), 50, 100, 150, 250 ms after it and at 1 s";
    let area = canvas(file, (1120, 640), title)?;
    let states: Vec<Vec<&[f64]>> = r.joint.iter().map(|j| j.chunks(4).collect()).collect();
    let last = states[0].len() - 1;
    let at = |t: f64| ((t / dt).round() as usize).min(last);
    let shown: Vec<usize> = ARM_TIMES
        .iter()
        .map(|t| at(CUE + t))
        .chain([last])
        .collect();
    let points: Line = states
        .iter()
        .flat_map(|s| shown.iter().chain([&0]).flat_map(|&i| stick(s[i])))
        .chain(r.target.iter().map(|t| (t[0], t[1])))
        .collect();
    for (e, panel) in area.split_evenly((2, 4)).iter().enumerate() {
        let panel = panel.titled(&format!("reach to {}°", 45 * e), ("sans-serif", 18))?;
        let (mut chart, _) = planar(&panel, points.iter().copied(), 5)?;
        let (s, c) = (&states[e], color(e));
        for (k, &i) in shown.iter().enumerate() {
            let shade = 0.25 + 0.75 * (k + 1) as f64 / shown.len() as f64;
            // a tint of the colour (opaque, so that overlaps do not add colours to the PNG)
            let tint = |v: u8| (255.0 - shade * (255.0 - f64::from(v))) as u8;
            let c = RGBColor(tint(c.0), tint(c.1), tint(c.2));
            chart.draw_series(LineSeries::new(stick(s[i]), c.stroke_width(2)))?;
        }
        chart.draw_series(LineSeries::new(stick(s[at(CUE)]), BLACK.stroke_width(2)))?;
        let grey = RGBColor(90, 90, 90);
        chart.draw_series(LineSeries::new(paths[e].iter().copied(), grey))?;
        let t = (r.target[e][0], r.target[e][1]);
        chart.draw_series([Circle::new(t, 5, c.stroke_width(2))])?;
    }
    area.present()?;
    Ok(())
}
