//! Curl-field adaptation with after-effects: the classic force-field experiment (Shadmehr &
//! Mussa-Ivaldi 1994), on the six-muscle arm, as one phased run.
//!
//! What it shows:
//! - a phased protocol ([`PhaseConfig`]) built in code from the arm26 centre-out recipe
//!   ([`motornet::train::recipe`]): NF1 (the recipe's training, null field), FF (a clockwise
//!   curl field of 10 N·s/m in every trial, Adam at 1e-4) and NF2 (the field off again), in
//!   one [`AnyTrainer`], which enters each phase at its first batch;
//! - a learning curve of behaviour, as in the studies: after every batch of FF, NF2 and the
//!   last 200 of NF1 (and every 500 before) the 8 centre-out validation reaches (10 cm, no
//!   noise) run under the phase's field ([`AnyTrainer::evaluate`] with the trainer's current
//!   environment), and their mean signed lateral deviation ([`rollout_metrics`]) is recorded;
//! - the four numbers the experiment is about: the lateral deviation at baseline (end of
//!   NF1), at first exposure (the baseline network in the field), at the end of FF, and at
//!   the first NF2 reaches (the after-effect: the adapted network without the field deviates
//!   to the other side);
//! - the hidden units' preferred directions (cosine tuning around peak speed,
//!   `motornet::analysis`) before and after adaptation, and their mean shift.
//!
//! Writes into OUT_DIR: `adaptation.png` (the per-batch lateral deviation from the end of NF1
//! on, phases marked),
//! `paths.png` (the reaches at the four moments), `preferred-directions.png` and
//! `adaptation.csv` (batch, phase, lateral deviation, final error).
//!
//! Run: `cargo run --release --example curl-field-adaptation [OUT_DIR]` (default
//! `target/examples-out/curl-field-adaptation/`). About 160 s on a 2-core machine (2.1 GHz Xeon).

use motornet::plot::plotters::prelude::*;
use motornet::task::{CentreOutMode, CentreOutReach, TaskConfig};
use motornet::train::{rollout_metrics, AnyTrainer, PhaseConfig, Rollout};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

/// Curl field strength (N·s/m): the force on the hand is K times its speed, perpendicular to
/// its velocity, pushing clockwise of the movement for K > 0.
const CURL: f64 = 10.0;
/// Batches of the field phase and of the washout.
const FF_BATCHES: usize = 1000;
const NF2_BATCHES: usize = 500;
/// The last batches of NF1 validated after every batch and plotted, as the baseline.
const BASELINE_SHOWN: usize = 200;

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/examples-out/curl-field-adaptation".into()),
    );
    std::fs::create_dir_all(&out)?;

    // The protocol: the recipe's run as NF1, then FF and NF2 at a constant 1e-4 (slow enough to watch the adaptation).
    let recipe = motornet::train::recipe("RigidTendonArm26", "CentreOutReach")
        .ok_or("no recipe for RigidTendonArm26 on CentreOutReach")?;
    let mut config = (recipe.config)();
    let nf1 = config.batches;
    let constant = Some(motornet::train::LrSchedule::Constant);
    config.phases = vec![
        PhaseConfig {
            name: Some("NF1".into()),
            ..PhaseConfig::new(nf1)
        },
        PhaseConfig {
            name: Some("FF".into()),
            curl_field: Some(CURL),
            lr: Some(1e-4),
            lr_schedule: constant,
            ..PhaseConfig::new(FF_BATCHES)
        },
        PhaseConfig {
            name: Some("NF2".into()),
            lr: Some(1e-4),
            lr_schedule: constant,
            ..PhaseConfig::new(NF2_BATCHES)
        },
    ];
    config.batches = nf1 + FF_BATCHES + NF2_BATCHES;
    let mut trainer = AnyTrainer::new(&config)?;
    println!(
        "RigidTendonArm26 / CentreOutReach, GRU {}: NF1 {nf1} batches, FF ({CURL} N·s/m) \
         {FF_BATCHES}, NF2 {NF2_BATCHES}; {} threads",
        config.network.hidden,
        trainer.threads()
    );

    let start = Instant::now();
    // (batch done, phase, rollout metrics) after the batches that are validated
    let mut curve: Vec<(usize, String, f64, f64)> = vec![];
    let mut moments: Vec<(&str, Rollout)> = vec![];
    for b in 0..config.batches {
        if b == nf1 {
            // the moments around the switch: baseline, and the same network in the field
            moments.push(("baseline (NF1 end)", validate(&trainer, Some(0.0))?));
            moments.push(("first exposure (FF)", validate(&trainer, Some(CURL))?));
        }
        if b == nf1 + FF_BATCHES {
            moments.push(("end of FF", validate(&trainer, Some(CURL))?));
            moments.push(("after-effect (NF2)", validate(&trainer, Some(0.0))?));
        }
        trainer.batch()?;
        if b + 1 > nf1.saturating_sub(BASELINE_SHOWN) || (b + 1) % 500 == 0 {
            let r = validate(&trainer, None)?;
            let m = rollout_metrics(&r)?;
            let phase = trainer.phase().map_or(String::new(), |(i, p)| p.label(i));
            let lateral = m.mean_signed_lateral_deviation_m.unwrap_or(f64::NAN);
            curve.push((b + 1, phase, lateral, m.mean_final_error_m));
        }
        if (b + 1) % 2500 == 0 {
            println!(
                "batch {:>5}  ({:.0} s)",
                b + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    println!("trained in {:.0} s", start.elapsed().as_secs_f64());

    println!("mean signed lateral deviation of the 8 reaches (mm; + = left of the motion):");
    for (name, r) in &moments {
        let m = rollout_metrics(r)?;
        println!(
            "  {name:<22} {:>7.2}",
            1e3 * m.mean_signed_lateral_deviation_m.unwrap_or(f64::NAN)
        );
    }

    // The learning curve, as a table and a plot with the phases marked.
    let mut csv = String::from("batch,phase,mean_signed_lateral_deviation_m,mean_final_error_m\n");
    for (b, phase, lateral, error) in &curve {
        csv += &format!("{b},{phase},{lateral},{error}\n");
    }
    std::fs::write(out.join("adaptation.csv"), csv)?;
    // (the plot shows the end of NF1, FF and NF2: the adaptation's time scale)
    let lateral: Vec<(f64, f64)> = (curve.iter())
        .filter(|(b, ..)| *b > nf1.saturating_sub(BASELINE_SHOWN))
        .map(|(b, _, l, _)| (*b as f64, 1e3 * l))
        .collect();
    // (the curve starts in NF1: the first mark is FF's start)
    let phases = vec![
        (nf1, "FF".to_string()),
        (nf1 + FF_BATCHES, "NF2".to_string()),
    ];
    motornet::plot::curves_with_phases(
        &out,
        "adaptation",
        "Curl-field adaptation",
        ("batch", "mm"),
        &[("mean signed lateral deviation", lateral)],
        &phases,
    )?;

    // The reaches at the four moments, side by side.
    motornet::plot::style::register_font()?;
    let path = out.join("paths.png");
    let root = BitMapBackend::new(&path, (1600, 1600)).into_drawing_area();
    root.fill(&WHITE)?;
    for ((name, r), area) in moments.iter().zip(root.split_evenly((2, 2))) {
        let paths = motornet::plot::fingertip_paths(r)?;
        let targets = motornet::plot::targets(r)?;
        let starts: Vec<(f64, f64)> = paths.iter().filter_map(|p| p.first().copied()).collect();
        motornet::plot::draw_reaches(&area, &paths, &targets, &starts, name)?;
    }
    root.present()?;

    // The hidden units' preferred directions before (baseline, null field) and after
    // adaptation (end of FF, in the field), and their shift.
    let before = tuning(&moments[0].1)?;
    let after = tuning(&moments[2].1)?;
    let criterion = motornet::analysis::Tuned::default();
    let shift = motornet::analysis::preferred_direction_shift(&before, &after, &criterion)?;
    let deg = f64::to_degrees;
    println!(
        "preferred directions: {} of {} units tuned in both; mean shift {:.1}° (+ = \
         counter-clockwise), resultant length {:.2}",
        shift.counted,
        before.len(),
        shift.mean_shift_rad.map_or(f64::NAN, deg),
        shift.resultant_length
    );
    let pairs: Vec<motornet::plot::PdPair> = (shift.units.iter())
        .map(|u| motornet::plot::PdPair {
            run_deg: deg(u.pd_a_rad),
            other_deg: deg(u.pd_b_rad),
            counted: u.counted,
        })
        .collect();
    motornet::plot::preferred_directions(
        &out,
        "preferred-directions",
        &pairs,
        ("baseline (deg)", "end of FF (deg)"),
        "Preferred directions of the hidden units",
    )?;

    println!(
        "wrote adaptation.png, adaptation.csv, paths.png and preferred-directions.png to {}",
        out.display()
    );
    Ok(())
}

/// Each hidden unit's cosine tuning to the reach direction, from its mean activity within
/// 50 ms of each reach's peak speed.
fn tuning(r: &Rollout) -> Result<Vec<motornet::analysis::UnitTuning>, Box<dyn Error>> {
    // direction of each reach (rad, start → target) and the network step of its peak speed
    let (directions, peaks) = motornet::train::metrics::reach_directions_and_peaks(r)?;
    let reaches = r.hidden.len();
    let steps = r.fingertip[0].len() / 4 - 1; // T steps between T + 1 planar states
    let units = r.hidden[0].len() / steps;
    let half = (0.05 / r.dt).round() as usize;
    Ok(motornet::analysis::cosine_tuning(
        &r.hidden.concat(),
        reaches,
        steps,
        units,
        &directions,
        &peaks,
        half,
    )?)
}

/// The 8 centre-out validation reaches (10 cm, go cue at 0.2 s, no noise) under the field
/// `curl` (N·s/m; `None` = the field of the phase the trainer is in).
fn validate(trainer: &AnyTrainer, curl: Option<f64>) -> Result<Rollout, Box<dyn Error>> {
    let env = trainer.env().config().noiseless();
    let env = curl.map_or_else(|| env.clone(), |k| env.with_curl_field(k));
    let task = TaskConfig::CentreOutReach(CentreOutReach {
        mode: CentreOutMode::Validation { cue: 0.2 },
        ..CentreOutReach::validation(8, 0.1)
    });
    Ok(trainer.evaluate(Some(task.build()), Some(&env), 8, 0, None)?)
}
