//! Force–length and force–velocity curves of every muscle model in `motornet-muscle`, printed
//! as a table and plotted.
//!
//! `cargo run --release --example muscle-curves [OUTPUT_DIR]`
//!
//! writes `OUTPUT_DIR/muscle-curves.png` (default `target/examples-out/`): on the left the
//! force–length curve (full activation, zero fibre velocity; solid: active + passive, dashed:
//! passive alone), on the right the force–velocity curve (full activation, fibre at its optimal
//! length). Forces are in units of the maximal isometric force F_max, fibre lengths in optimal
//! fibre lengths l0_ce and fibre velocities in each model's maximal contraction velocity vmax
//! (negative = shortening).
//!
//! Every number comes from the muscle crate's public API alone — [`MuscleModel::integrate`],
//! [`MuscleModel::derivative`], [`MuscleModel::force`], [`MuscleModel::state_names`] and
//! [`MuscleModel::proprioception_scale`] — the way someone using only `motornet-muscle` inside
//! their own simulator would probe a model:
//!
//! - the rigid-tendon models (Kistemaker, Thelen, MuJoCo) compute their force from the
//!   musculotendon length and velocity: the fibre length is the musculotendon length minus the
//!   tendon slack length, the fibre velocity the musculotendon velocity. One `integrate` step
//!   from activation 1 with a zero activation rate gives the force at full activation;
//! - the ReLU muscle has no force–length or force–velocity relation (force = F_max ·
//!   activation): it is drawn flat, at 1;
//! - the compliant-tendon model keeps the fibre length as a state and *computes* the fibre
//!   velocity from the force (`derivative` inverts the force–velocity relation). So we set the
//!   fibre length and search the contractile force at which `derivative` returns the wanted
//!   fibre velocity (zero for the force–length curve). The total, active + passive, is what
//!   the tendon carries in that steady state. MotorNet caps the tendon's force at F_max, so a
//!   total above 1 (lengthening at full activation) is the fibre's relation only: the tendon
//!   could not hold it. The example checks one force–length point by simulating the muscle
//!   with its musculotendon length clamped until the fibre settles.
//!
//! The two Kistemaker models share their force–velocity relation but not its velocity scale:
//! the rigid-tendon model evaluates it at v / vmax with vmax = 10 l0_ce/s, the compliant one at
//! v / l0_ce, so the rigid-tendon curve is ten times wider (the table's last row: the force
//! reaches zero at −12.7 vmax against −1.27 vmax).
//!
//! All five models use the arm26 biceps parameters (F_max 414 N, tendon slack length 0.204 m,
//! optimal fibre length 0.137 m) and MotorNet's per-model defaults otherwise.

use std::error::Error;
use std::path::PathBuf;

use motornet::muscle::{
    AnyMuscle, CompliantTendonHillMuscle, HillParams, MujocoHillMuscle, MujocoParams, MuscleModel,
    ReluMuscle, ReluParams, RigidTendonHillMuscle, RigidTendonHillMuscleThelen, MAX_MUSCLE_STATES,
};
// plotters, as re-exported by the facade's `plot` feature, and the bundled font
use motornet::plot::plotters::prelude::*;
use motornet::plot::style::register_font;

/// Maximal isometric force (N), tendon slack length (m) and optimal fibre length (m): the arm26
/// biceps.
const F_MAX: f64 = 414.0;
const L0_SE: f64 = 0.204;
const L0_CE: f64 = 0.137;

/// Normalised fibre lengths of the force–length curve (optimal lengths) and normalised fibre
/// velocities of the force–velocity curve (v / vmax), for the plot; the table prints every
/// `TABLE_EVERY`-th point.
const LENGTHS: (f64, f64, usize) = (0.4, 1.6, 48);
const VELOCITIES: (f64, f64, usize) = (-1.0, 1.0, 80);
const LENGTH_TABLE_EVERY: usize = 4;
const VELOCITY_TABLE_EVERY: usize = 10;

/// Line colours, one per model (matplotlib's "tab10").
const COLOURS: [RGBColor; 5] = [
    RGBColor(127, 127, 127),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];
/// Line widths (px) of the force–length panel, one per model: there the compliant-tendon model
/// has the same curves as the rigid-tendon Kistemaker one, so it is drawn thin on a thick one.
const WIDTHS: [u32; 5] = [3, 7, 3, 2, 3];

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/examples-out".to_string()),
    );
    let models = models()?;

    // Force–length: (normalised fibre length, total force / F_max, passive force / F_max).
    let lengths = grid(LENGTHS);
    let fl: Vec<Vec<(f64, f64, f64)>> = models
        .iter()
        .map(|m| {
            lengths
                .iter()
                .map(|&l| {
                    let (total, passive) = force_at(m, l, 0.0).unwrap_or((f64::NAN, f64::NAN));
                    (l, total, passive)
                })
                .collect()
        })
        .collect();
    // Force–velocity: (v / vmax, total force / F_max) at the optimal fibre length.
    let velocities = grid(VELOCITIES);
    let fv: Vec<Vec<(f64, f64)>> = models
        .iter()
        .map(|m| {
            velocities
                .iter()
                .map(|&v| (v, force_at(m, 1.0, v).map_or(f64::NAN, |f| f.0)))
                .collect()
        })
        .collect();

    print_tables(&models, &fl, &fv);
    check_compliant_steady_state(&models[3])?;

    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let png = out_dir.join("muscle-curves.png");
    plot(&png, &models, &fl, &fv)?;
    println!("\nwrote {}", png.display());
    Ok(())
}

/// The five models, one muscle each, with the arm26 biceps parameters and MotorNet's defaults.
fn models() -> Result<Vec<AnyMuscle>, motornet::muscle::MuscleError> {
    let hill = |slack| vec![HillParams::new("biceps", F_MAX, L0_SE, L0_CE, slack)];
    Ok(vec![
        ReluMuscle::new(
            ReluMuscle::DEFAULT_ACTIVATION,
            vec![ReluParams::new("biceps", F_MAX)],
        )?
        .into(),
        RigidTendonHillMuscle::new(
            RigidTendonHillMuscle::DEFAULT_ACTIVATION,
            hill(RigidTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH),
        )?
        .into(),
        RigidTendonHillMuscleThelen::new(
            RigidTendonHillMuscleThelen::DEFAULT_ACTIVATION,
            hill(RigidTendonHillMuscleThelen::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH),
        )?
        .into(),
        CompliantTendonHillMuscle::new(
            CompliantTendonHillMuscle::DEFAULT_ACTIVATION,
            hill(CompliantTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH),
        )?
        .into(),
        // MuJoCo's curve shape (lmin 0.5, lmax 1.6, vmax 1.5 m/s, fvmax 1.2) keeps its defaults.
        MujocoHillMuscle::new(
            MujocoHillMuscle::DEFAULT_ACTIVATION,
            MujocoHillMuscle::DEFAULT_PASSIVE_FORCES,
            vec![MujocoParams::new("biceps", F_MAX, L0_SE, L0_CE)],
        )?
        .into(),
    ])
}

/// `n + 1` evenly spaced points from `lo` to `hi`.
fn grid((lo, hi, n): (f64, f64, usize)) -> Vec<f64> {
    (0..=n)
        .map(|k| lo + (hi - lo) * k as f64 / n as f64)
        .collect()
}

/// Index of the state named `name`, if the model has one.
fn state_index(model: &AnyMuscle, name: &str) -> Option<usize> {
    model.state_names().iter().position(|s| *s == name)
}

/// Force of muscle 0 at full activation, with the fibre at `len_n` optimal lengths moving at
/// `vel_n` · vmax (m/s; negative = shortening): `(total, passive)`, both in F_max. `None` where
/// the model has no such steady state.
fn force_at(model: &AnyMuscle, len_n: f64, vel_n: f64) -> Option<(f64, f64)> {
    if model.n_derivatives() > 1 {
        return compliant_force_at(model, len_n, vel_n);
    }
    // A rigid tendon: the fibre length and velocity are the musculotendon ones less the tendon
    // slack length. One step of any length from activation 1 with a zero activation rate keeps
    // the activation at 1 and computes the force for this geometry.
    let (_, vmax) = model.proprioception_scale(0); // m/s (1 for ReLU, which ignores it)
    let mut start = [0.0; MAX_MUSCLE_STATES];
    start[0] = 1.0;
    let mut state = [0.0; MAX_MUSCLE_STATES];
    let ns = model.n_states();
    let mt_len = L0_SE + len_n * L0_CE; // m
    let mt_vel = vel_n * vmax; // m/s
    model.integrate(
        0,
        0.01,
        &[0.0],
        &start[..ns],
        mt_len,
        mt_vel,
        &mut state[..ns],
    );
    let total = model.force(&state[..ns]) / F_MAX;
    // The passive force is F_max times the "force-length PE" state (times MuJoCo's
    // `passive_forces` gain, 1 here); the ReLU muscle has none.
    let passive = state_index(model, "force-length PE").map_or(0.0, |i| state[i]);
    Some((total, passive))
}

/// The compliant-tendon model: fibre length `len_n` (optimal lengths), activation 1, and the
/// active (contractile) force in state "active force" (F_max) chosen by bisection so that
/// [`MuscleModel::derivative`] returns the fibre velocity `vel_n` · vmax.
fn compliant_force_at(model: &AnyMuscle, len_n: f64, vel_n: f64) -> Option<(f64, f64)> {
    let ns = model.n_states();
    let (l0_ce, vmax) = model.proprioception_scale(0); // m, m/s
    let active_idx = state_index(model, "active force")?;
    let passive_idx = state_index(model, "force-length PE")?;
    // The derivative's second entry is the normalised fibre velocity in optimal lengths per
    // second, as the model integrates its "muscle length" state with it.
    let target = vel_n * vmax / l0_ce; // l0_ce/s
    let mut state = [0.0; MAX_MUSCLE_STATES];
    state[0] = 1.0; // activation
    state[1] = len_n * l0_ce; // fibre length (m)
    let mut d = [0.0; 2];
    let mut velocity_at = |active: f64| {
        state[active_idx] = active;
        model.derivative(0, 1.0, &state[..ns], &mut d);
        d[1]
    };
    // The fibre velocity grows with the force; no force at all gives the fastest shortening.
    let (mut lo, mut hi) = (0.0, 3.0);
    if velocity_at(lo) >= target {
        lo = 0.0;
        hi = 0.0;
    } else if velocity_at(hi) < target {
        return None;
    }
    let active = bisect(lo, hi, |x| velocity_at(x) < target);
    // The passive fibre force depends on the fibre length alone: a zero-length step (dt = 0)
    // with the tendon at its slack length reads it.
    let mut start = [0.0; MAX_MUSCLE_STATES];
    start[0] = 1.0;
    start[1] = len_n * l0_ce;
    let mut out = [0.0; MAX_MUSCLE_STATES];
    let mt_len = L0_SE + len_n * l0_ce; // m
    model.integrate(
        0,
        0.0,
        &[0.0, 0.0],
        &start[..ns],
        mt_len,
        0.0,
        &mut out[..ns],
    );
    let passive = out[passive_idx];
    Some((active + passive, passive))
}

/// Simulate the compliant-tendon muscle with its musculotendon length clamped, from rest to full
/// excitation, and check that the fibre settles where [`compliant_force_at`] says it is in
/// equilibrium: at 0.8 optimal lengths with the force the force–length table gives.
fn check_compliant_steady_state(model: &AnyMuscle) -> Result<(), Box<dyn Error>> {
    let len_n = 0.8;
    let (force, _) = compliant_force_at(model, len_n, 0.0).ok_or("no equilibrium at 0.8 l0_ce")?;
    let ns = model.n_states();
    // The musculotendon length that puts the fibre at `len_n` under that force: bisection on the
    // length, reading the tendon's force from one zero-length step.
    let tendon_force_at = |mt_len: f64| {
        let mut start = [0.0; MAX_MUSCLE_STATES];
        start[0] = 1.0;
        start[1] = len_n * L0_CE;
        let mut out = [0.0; MAX_MUSCLE_STATES];
        model.integrate(
            0,
            0.0,
            &[0.0, 0.0],
            &start[..ns],
            mt_len,
            0.0,
            &mut out[..ns],
        );
        model.force(&out[..ns]) / F_MAX
    };
    let (lo, hi) = (L0_SE + len_n * L0_CE, 2.0 * L0_SE + len_n * L0_CE); // m
    let mt_len = bisect(lo, hi, |x| tendon_force_at(x) < force);

    // 0.5 s of explicit Euler at 0.1 ms: activation rises from rest to 1 within ~0.1 s and the
    // fibre shortens, stretching the tendon, until the two forces balance.
    let dt = 1e-4; // s
    let mut state = [0.0; MAX_MUSCLE_STATES];
    let mut next = [0.0; MAX_MUSCLE_STATES];
    let mut d = [0.0; 2];
    model.initial_state(0, mt_len, 0.0, dt, &mut state[..ns]);
    for _ in 0..5000 {
        model.derivative(0, 1.0, &state[..ns], &mut d);
        model.integrate(0, dt, &d, &state[..ns], mt_len, 0.0, &mut next[..ns]);
        state = next;
    }
    let settled_len = state[1] / L0_CE;
    let settled_force = model.force(&state[..ns]);
    println!(
        "\ncheck ({}): musculotendon clamped at {mt_len:.4} m, 0.5 s at full excitation: fibre \
         settles at {settled_len:.4} l0_ce (expected {len_n}), force {settled_force:.1} N \
         (expected {:.1} N)",
        model.name(),
        force * F_MAX
    );
    if (settled_len - len_n).abs() > 1e-3 || (settled_force / F_MAX - force).abs() > 1e-3 {
        return Err(
            "the clamped compliant muscle did not settle at the predicted equilibrium".into(),
        );
    }
    Ok(())
}

/// Short column titles for the tables.
fn short_name(model: &AnyMuscle) -> &'static str {
    match model {
        AnyMuscle::Relu(_) => "ReLU",
        AnyMuscle::RigidTendonHill(_) => "Kistemaker",
        AnyMuscle::RigidTendonHillThelen(_) => "Thelen",
        AnyMuscle::CompliantTendonHill(_) => "Compliant",
        AnyMuscle::MujocoHill(_) => "MuJoCo",
        AnyMuscle::Mujoco(_) => "MuJoCo 4",
        AnyMuscle::RigidTendonDeGroote(_) => "DeGroote",
        AnyMuscle::CompliantTendonDeGroote(_) => "DeGroote C",
    }
}

fn fmt(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "—".to_string()
    }
}

fn print_tables(models: &[AnyMuscle], fl: &[Vec<(f64, f64, f64)>], fv: &[Vec<(f64, f64)>]) {
    println!("models (columns), one muscle each with F_max {F_MAX} N, tendon slack length {L0_SE} m, optimal fibre length {L0_CE} m:");
    for m in models {
        let (l0, vmax) = m.proprioception_scale(0);
        println!(
            "  {:<11} = {:<28} vmax = {}",
            short_name(m),
            m.name(),
            if m.n_states() == 4 {
                "— (no fibre)".to_string()
            } else {
                format!("{vmax:.3} m/s = {:.2} l0_ce/s", vmax / l0)
            }
        );
    }
    let header: String = models
        .iter()
        .map(|m| format!("{:>16}", short_name(m)))
        .collect();

    println!(
        "\nforce–length at full activation, zero fibre velocity: total (passive) force / F_max"
    );
    println!("{:>8}{header}", "l/l0_ce");
    for k in (0..fl[0].len()).step_by(LENGTH_TABLE_EVERY) {
        let row: String = fl
            .iter()
            .map(|c| format!("{:>16}", format!("{} ({})", fmt(c[k].1), fmt(c[k].2))))
            .collect();
        println!("{:>8.2}{row}", fl[0][k].0);
    }

    println!("\nforce–velocity at full activation, optimal fibre length: force / F_max (v < 0: shortening)");
    println!("{:>8}{header}", "v/vmax");
    for k in (0..fv[0].len()).step_by(VELOCITY_TABLE_EVERY) {
        let row: String = fv.iter().map(|c| format!("{:>16}", fmt(c[k].1))).collect();
        println!("{:>8.2}{row}", fv[0][k].0);
    }

    // Where the force–velocity curve reaches zero: at v = −vmax for Thelen and MuJoCo, but the
    // Kistemaker models place it elsewhere (see the note printed below).
    let zero: String = models
        .iter()
        .map(|m| {
            let f = |v: f64| force_at(m, 1.0, v).map_or(f64::NAN, |f| f.0);
            let (mut lo, mut hi) = (-50.0, 0.0);
            if f(lo) > 1e-9 {
                return format!("{:>16}", "none");
            }
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if f(mid) > 1e-9 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            format!("{:>16}", format!("{:.2} vmax", hi))
        })
        .collect();
    println!("{:>8}{zero}", "F = 0 at");
    println!(
        "note: both Kistemaker models evaluate the same force–velocity relation, the \
         rigid-tendon one at v / vmax (vmax = 10 l0_ce/s),\n      the compliant one at v / l0_ce \
         (in l0_ce/s): the rigid-tendon curve is 10 times wider, reaching F = 0 only at −12.7 vmax."
    );
}

/// The point of `[lo, hi]` where `below` turns from true to false, by 60 bisections.
fn bisect(mut lo: f64, mut hi: f64, mut below: impl FnMut(f64) -> bool) -> f64 {
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Consecutive finite points of `points`, so that a line breaks where there is no value.
fn finite_runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for p in points {
        if p.1.is_finite() {
            if let Some(run) = runs.last_mut() {
                run.push(p);
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

fn plot(
    path: &std::path::Path,
    models: &[AnyMuscle],
    fl: &[Vec<(f64, f64, f64)>],
    fv: &[Vec<(f64, f64)>],
) -> Result<(), Box<dyn Error>> {
    register_font()?;
    let root = BitMapBackend::new(path, (1300, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(650);
    let y_range = 0.0..1.8;

    // Force–length.
    let mut chart = ChartBuilder::on(&left)
        .caption(
            "Force–length (full activation, isometric)",
            ("sans-serif", 26),
        )
        .margin(15)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(LENGTHS.0..LENGTHS.1, y_range.clone())?;
    chart
        .configure_mesh()
        .x_desc("fibre length / optimal fibre length l0_ce")
        .y_desc("force / F_max")
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, (model, curve)) in models.iter().zip(fl).enumerate() {
        let (colour, width) = (COLOURS[i], WIDTHS[i]);
        let label = if model.n_derivatives() > 1 {
            format!("{} (= RigidTendonHillMuscle)", model.name())
        } else {
            model.name().to_string()
        };
        for (r, run) in finite_runs(curve.iter().map(|p| (p.0, p.1)))
            .into_iter()
            .enumerate()
        {
            let series = chart.draw_series(LineSeries::new(run, colour.stroke_width(width)))?;
            if r == 0 {
                series.label(label.clone()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(width))
                });
            }
        }
        if model.n_states() > 4 {
            // passive force, dashed (ReLU has none)
            let passive: Vec<(f64, f64)> = curve.iter().map(|p| (p.0, p.2)).collect();
            chart.draw_series(DashedLineSeries::new(passive, 8, 6, colour.stroke_width(2)))?;
        }
    }
    // a legend entry alone (no data) for the dashed passive curves
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("dashed: passive force")
        .legend(|(x, y)| {
            let style = BLACK.stroke_width(2);
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (5, 0)], style)
                + PathElement::new([(8, 0), (13, 0)], style)
                + PathElement::new([(16, 0), (20, 0)], style)
        });
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 17))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;

    // Force–velocity.
    let mut chart = ChartBuilder::on(&right)
        .caption(
            "Force–velocity (full activation, optimal length)",
            ("sans-serif", 26),
        )
        .margin(15)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(VELOCITIES.0..VELOCITIES.1, y_range)?;
    chart
        .configure_mesh()
        .x_desc("fibre velocity / vmax  (< 0: shortening)")
        .y_desc("force / F_max")
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, (model, curve)) in models.iter().zip(fv).enumerate() {
        let colour = COLOURS[i];
        for (r, run) in finite_runs(curve.iter().copied()).into_iter().enumerate() {
            let series = chart.draw_series(LineSeries::new(run, colour.stroke_width(3)))?;
            if r == 0 {
                series.label(model.name()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 17))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    root.present()?;
    Ok(())
}
