//! `motornet train --replicates N`: N runs of one config with the seeds SEED, SEED+1, …,
//! SEED+N−1, trained at the same time, and their summary.
//!
//! The set's directory `DIR` holds `replicates.json` (what the set is: N, the seeds, the threads
//! of each replicate and the base config; written first), `rep-0` … `rep-{N-1}` (each an
//! ordinary run directory: `motornet eval DIR/rep-3` and `--resume --out DIR/rep-3` work as for
//! any run), and the summary: `summary.json`, `summary.csv` and the plots `loss` and (with
//! `validate_every`) `validation`.
//!
//! Each replicate trains in its own OS thread with its own trainer, and so its own worker pool
//! of `max(1, T / N)` threads, T being `--threads` (the config's `threads`) or every core. With
//! more replicates than cores all of them still run at once, one worker each: measured on a
//! 2-core machine, that is as fast as running them in waves of one per core (docs/training.md,
//! Replicates), and every replicate shows its progress from the start.

use super::{
    check_init_from, check_resume_flags, new_config, plot_run, progress_bar, restored,
    resume_overrides, start_trainer, stop_on_signal, validation, Session, TrainArgs, Trained,
    CHECKPOINT, CONFIG,
};
use crate::Result;
use motornet::train::files::{is_run_dir, REPLICATES_FILE, VALIDATION_FILE};
use motornet::train::{AnyTrainer, Checkpoint, RunDir, TrainConfig};
use std::path::{Path, PathBuf};

/// The summary of the replicates' metrics.
const SUMMARY_JSON: &str = "summary.json";
/// The summary of the replicates' curves.
const SUMMARY_CSV: &str = "summary.csv";

/// The metrics summarised, in the order of the `replicates:` line: the final training loss
/// (mean of the last 250 batches), then the validation reaches' loss and the metrics
/// `motornet eval` prints.
const METRICS: [&str; 8] = [
    "final_loss",
    "validation_loss",
    "mean_final_error_m",
    "mean_signed_lateral_deviation_m",
    "mean_path_length_ratio",
    "mean_peak_speed_m_per_s",
    "mean_movement_time_s",
    "mean_reaction_time_s",
];

/// The columns of `validation.csv` after `batches`, in its order.
const VALIDATION_COLUMNS: [&str; 4] = [
    "mean_final_error_m",
    "mean_signed_lateral_deviation_m",
    "mean_path_length_ratio",
    "mean_peak_speed_m_per_s",
];

/// The directory of replicate `i` inside its set.
fn rep_name(i: usize) -> String {
    format!("rep-{i}")
}

/// A replicate of the set: to train, or (on `--resume`) already finished.
enum State {
    Training(Box<Session>),
    Finished(Box<AnyTrainer>),
}

struct Replicate {
    index: usize,
    dir: PathBuf,
    state: State,
}

/// What the summary takes from a replicate that finished.
struct Outcome {
    index: usize,
    seed: u64,
    batches: usize,
    /// [`METRICS`]' values, `None` where the replicate has none (e.g. no path-length ratio
    /// when every reach starts on its target).
    metrics: [Option<f64>; 8],
    losses: Vec<f64>,
    /// `validation.csv`: `(batches, the VALIDATION_COLUMNS)` per row.
    curve: Vec<(usize, [Option<f64>; 4])>,
}

/// `motornet train --replicates N` (or `--resume` of a set): trains the set's replicates at
/// once, writes the summary, and fails naming every replicate that failed (after the summary
/// of the others).
pub(super) fn train(args: &TrainArgs) -> Result<()> {
    let (set, mut reps) = if args.resume {
        resume(args)?
    } else {
        start(args)?
    };
    let out = set.path().to_path_buf();
    let stop = stop_on_signal();
    let multi = if args.quiet {
        indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
    } else {
        indicatif::MultiProgress::new()
    };
    // one thread per replicate, each with its own trainer (and worker pool)
    let results: Vec<Option<Result<Trained>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (reps.iter_mut())
            .map(|r| match &mut r.state {
                State::Training(session) => {
                    let prefix = format!("{} ", rep_name(r.index));
                    let bar = multi.add(progress_bar(args.quiet, session, &prefix));
                    let stop = &stop;
                    Some(scope.spawn(move || {
                        let trained = session.train(stop, &bar)?;
                        // (each replicate's plots, as a single run's, in its own thread)
                        if let Err(e) = plot_run(session.out(), &session.trainer) {
                            let out = session.out().display();
                            eprintln!("warning: {out}: plots not written: {e}");
                        }
                        Ok(trained)
                    }))
                }
                State::Finished(_) => None,
            })
            .collect();
        (handles.into_iter())
            .map(|h| {
                h.map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the training thread panicked".into()))
                })
            })
            .collect()
    });
    let mut outcomes = vec![];
    let mut failed: Vec<(usize, String)> = vec![];
    let mut stopped = false;
    for (r, result) in reps.iter().zip(results) {
        let trainer = match (&r.state, result) {
            (State::Training(session), Some(Ok(trained))) => {
                eprintln!("{}", session.summary_line(&trained));
                stopped |= trained.stopped;
                &session.trainer
            }
            (State::Training(_), Some(Err(e))) => {
                eprintln!("error: {}: {e}", r.dir.display());
                failed.push((r.index, e));
                continue;
            }
            (State::Finished(trainer), _) => {
                eprintln!(
                    "train: out={} already has its {} batches",
                    r.dir.display(),
                    trainer.batches_done()
                );
                trainer
            }
            (State::Training(_), None) => unreachable!("every training replicate has a thread"),
        };
        match outcome(r, trainer) {
            Ok(o) => outcomes.push(o),
            Err(e) => failed.push((r.index, e)),
        }
    }
    let config = reps.first().map(|r| match &r.state {
        State::Training(s) => s.trainer.config().clone(),
        State::Finished(t) => t.config().clone(),
    });
    if !outcomes.is_empty() {
        let phases = config.as_ref().map_or(vec![], super::phase_starts);
        let (line, files) = write_summary(&out, reps.len(), &outcomes, &failed, stopped, &phases)?;
        crate::write_stdout(&(line + "\n"))?;
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = (failed.iter())
        .map(|(i, e)| format!("{}: {e}", out.join(rep_name(*i)).display()))
        .collect();
    Err(format!(
        "{} of {} replicates failed ({}){}",
        failed.len(),
        reps.len(),
        names.join("; "),
        if outcomes.is_empty() {
            String::new()
        } else {
            format!(
                "; the summary of the {} others is {}",
                outcomes.len(),
                out.join(SUMMARY_JSON).display()
            )
        }
    ))
}

/// A new set: every replicate's trainer is built (and checked) before the directories are
/// made, then `replicates.json` is written, then the replicates' run directories.
fn start(args: &TrainArgs) -> Result<(RunDir, Vec<Replicate>)> {
    let n = args.replicates.unwrap_or(1);
    let config = new_config(args)?;
    let out = args.out.clone().unwrap_or_else(super::default_out);
    let total = if config.threads > 0 {
        config.threads
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let per = (total / n).clamp(1, motornet::train::MAX_THREADS);
    let configs: Vec<TrainConfig> = (0..n)
        .map(|i| TrainConfig {
            seed: config.seed.wrapping_add(i as u64),
            threads: per,
            ..config.clone()
        })
        .collect();
    check_init_from(&config, &out)?;
    for i in 0..n {
        check_init_from(&config, &out.join(rep_name(i)))?;
    }
    let trainers = configs
        .iter()
        .map(start_trainer)
        .collect::<Result<Vec<_>>>()?;
    let set = RunDir::create_set(&out, args.overwrite).map_err(|e| e.to_string())?;
    let description = serde_json::json!({
        "replicates": n,
        "seeds": configs.iter().map(|c| c.seed).collect::<Vec<_>>(),
        "threads_per_replicate": per,
        "config": config,
    });
    let text = serde_json::to_string_pretty(&description).map_err(|e| e.to_string())?;
    super::write_atomic(&set.join(REPLICATES_FILE), &(text + "\n"))?;
    if args.overwrite {
        remove_replicates_beyond(&out, n)?;
    }
    let mut reps = vec![];
    for (i, (c, trainer)) in configs.into_iter().zip(trainers).enumerate() {
        let dir = out.join(rep_name(i));
        let run = RunDir::create(&dir, args.overwrite).map_err(|e| e.to_string())?;
        let session = Session::open(run, c, Some(trainer))?;
        reps.push(Replicate {
            index: i,
            dir,
            state: State::Training(Box::new(session)),
        });
    }
    Ok((set, reps))
}

/// `--overwrite` of a set that had more replicates than the new one: the run files of the
/// replicates `rep-N`, `rep-N+1`, … go (as `--overwrite` removes a run's), and their
/// directories if nothing else is left in them.
fn remove_replicates_beyond(out: &Path, n: usize) -> Result<()> {
    let entries = std::fs::read_dir(out).map_err(|e| super::io(out, e))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let stale = (name.strip_prefix("rep-"))
            .and_then(|k| k.parse::<usize>().ok())
            .is_some_and(|k| k >= n);
        if stale && is_run_dir(&e.path()) {
            drop(RunDir::create(&e.path(), true).map_err(|e| e.to_string())?);
            let _ = std::fs::remove_file(e.path().join(motornet::train::files::LOCK_FILE));
            let _ = std::fs::remove_dir(e.path());
        }
    }
    Ok(())
}

/// `--resume` of a set: every replicate short of its batches continues from its checkpoint
/// (from the start if it has none); the others are summarised as they are.
fn resume(args: &TrainArgs) -> Result<(RunDir, Vec<Replicate>)> {
    check_resume_flags(args)?;
    let out = args
        .out
        .clone()
        .ok_or("--resume needs --out DIR (the replicate set to continue)")?;
    let set = RunDir::open_set(&out).map_err(|e| e.to_string())?;
    let path = set.join(REPLICATES_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| super::io(&path, e))?;
    let n = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["replicates"].as_u64())
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{}: no `replicates` count", path.display()))? as usize;
    if let Some(m) = args.replicates.filter(|&m| m != n) {
        return Err(format!(
            "--replicates {m}: the set in {} has {n} replicates (leave --replicates out to \
             continue it)",
            out.display()
        ));
    }
    // each replicate's config (with the flags --resume may change) and batches done
    let mut plans = vec![];
    for i in 0..n {
        let dir = out.join(rep_name(i));
        let mut c = TrainConfig::from_file(&dir.join(CONFIG)).map_err(|e| e.to_string())?;
        resume_overrides(args, &mut c);
        let checkpoint = dir.join(CHECKPOINT);
        let done = if checkpoint.exists() {
            Checkpoint::load(&checkpoint, None)
                .map_err(|e| e.to_string())?
                .batches_done
        } else {
            0
        };
        plans.push((i, dir, c, done));
    }
    let unfinished = plans.iter().filter(|(_, _, c, d)| *d < c.batches).count();
    if unfinished == 0 {
        return Err(format!(
            "every replicate of the set in {} already has its batches ({}); ask for more with \
             --batches N (the total)",
            out.display(),
            plans[0].3
        ));
    }
    let mut reps = vec![];
    for (i, dir, mut c, done) in plans {
        if done >= c.batches {
            let trainer = restored(&c, &dir.join(CHECKPOINT))?;
            reps.push(Replicate {
                index: i,
                dir,
                state: State::Finished(Box::new(trainer)),
            });
            continue;
        }
        // --threads is shared out again, between the replicates that train
        if let Some(t) = args.threads {
            c.threads = (t / unfinished).clamp(1, motornet::train::MAX_THREADS);
        }
        let run = RunDir::open(&dir).map_err(|e| e.to_string())?;
        let checkpoint = dir.join(CHECKPOINT);
        let trainer = if checkpoint.exists() {
            restored(&c, &checkpoint)?
        } else {
            start_trainer(&c)?
        };
        let session = Session::open(run, c, Some(trainer))?;
        reps.push(Replicate {
            index: i,
            dir,
            state: State::Training(Box::new(session)),
        });
    }
    Ok((set, reps))
}

/// What the summary takes from replicate `r`, trained as `trainer` is: its metrics (from the
/// validation reaches, as `motornet eval` computes them), losses and validation curve.
fn outcome(r: &Replicate, trainer: &AnyTrainer) -> std::result::Result<Outcome, String> {
    let rollout = validation(trainer, None, None)?;
    let m = motornet::train::rollout_metrics(&rollout).map_err(|e| e.to_string())?;
    let losses = trainer.losses().to_vec();
    Ok(Outcome {
        index: r.index,
        seed: trainer.config().seed,
        batches: trainer.batches_done(),
        metrics: [
            Some(super::final_loss(&losses)).filter(|v| v.is_finite()),
            Some(rollout.loss),
            Some(m.mean_final_error_m),
            m.mean_signed_lateral_deviation_m,
            m.mean_path_length_ratio,
            Some(m.mean_peak_speed_m_per_s),
            m.mean_movement_time_s,
            m.mean_reaction_time_s,
        ],
        losses,
        curve: read_validation(&r.dir.join(VALIDATION_FILE)),
    })
}

/// The rows of a run's `validation.csv` (none if it has none).
fn read_validation(path: &Path) -> Vec<(usize, [Option<f64>; 4])> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    (text.lines().skip(1))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let batches = cells.first()?.parse().ok()?;
            let value = |i: usize| cells.get(i + 1).and_then(|c| c.parse::<f64>().ok());
            Some((batches, [value(0), value(1), value(2), value(3)]))
        })
        .collect()
}

/// The mean and sample standard deviation (n − 1 in the denominator) of `values`: NaN mean
/// without any, `None` sd with fewer than two.
pub(crate) fn mean_sd(values: &[f64]) -> (f64, Option<f64>) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, None);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (n > 1).then(|| {
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    (mean, sd)
}

/// The trailing running mean of `values` over `window` points (fewer at the start).
fn running_mean(values: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let mut sum = 0.0;
    (0..values.len())
        .map(|i| {
            sum += values[i].1;
            if i >= window {
                sum -= values[i - window].1;
            }
            (values[i].0, sum / (i + 1).min(window) as f64)
        })
        .collect()
}

/// Writes `summary.json`, `summary.csv` and the plots of the replicates that finished
/// (`outcomes`, of `total`); returns the `replicates:` line and the files written.
fn write_summary(
    out: &Path,
    total: usize,
    outcomes: &[Outcome],
    failed: &[(usize, String)],
    stopped: bool,
    phases: &[(usize, String)],
) -> Result<(String, Vec<PathBuf>)> {
    let cell = |v: f64| format!("{v:.6}");
    let mut line = format!(
        "replicates: out={} n={} of={total}",
        out.display(),
        outcomes.len()
    );
    let mut metrics = serde_json::Map::new();
    for (k, name) in METRICS.iter().enumerate() {
        let values: Vec<f64> = outcomes.iter().filter_map(|o| o.metrics[k]).collect();
        let (mean, sd) = mean_sd(&values);
        line += &format!(
            " {name}_mean={} {name}_sd={}",
            cell(mean),
            cell(sd.unwrap_or(f64::NAN))
        );
        metrics.insert(
            (*name).into(),
            serde_json::json!({ "mean": mean, "sd": sd, "n": values.len() }),
        );
    }
    if stopped {
        line += " stopped=signal";
    }
    let runs: Vec<serde_json::Value> = (outcomes.iter())
        .map(|o| {
            let mut run = serde_json::Map::new();
            run.insert("replicate".into(), o.index.into());
            run.insert("dir".into(), rep_name(o.index).into());
            run.insert("seed".into(), o.seed.into());
            run.insert("batches".into(), o.batches.into());
            for (name, v) in METRICS.iter().zip(o.metrics) {
                run.insert((*name).into(), serde_json::json!(v));
            }
            serde_json::Value::Object(run)
        })
        .collect();
    let failed: Vec<serde_json::Value> = (failed.iter())
        .map(|(i, e)| serde_json::json!({ "replicate": i, "dir": rep_name(*i), "error": e }))
        .collect();
    let json = serde_json::json!({
        "replicates": total,
        "n": outcomes.len(),
        "stopped": stopped,
        "metrics": metrics,
        "runs": runs,
        "failed": failed,
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    super::write_atomic(&out.join(SUMMARY_JSON), &(text + "\n"))?;
    let mut files = vec![out.join(SUMMARY_JSON)];

    // the curves: the loss of every batch all replicates have, the validation metrics at every
    // validation all of them ran
    let batches = outcomes.iter().map(|o| o.losses.len()).min().unwrap_or(0);
    let loss: Vec<(f64, Option<f64>)> = (0..batches)
        .map(|b| mean_sd(&outcomes.iter().map(|o| o.losses[b]).collect::<Vec<_>>()))
        .collect();
    let validations: Vec<usize> = (outcomes[0].curve.iter())
        .map(|(v, _)| *v)
        .filter(|v| *v <= batches && outcomes.iter().all(|o| o.curve.iter().any(|r| r.0 == *v)))
        .collect();
    let curve_at = |v: usize, c: usize| -> (f64, Option<f64>) {
        let values: Vec<f64> = (outcomes.iter())
            .filter_map(|o| o.curve.iter().find(|r| r.0 == v).and_then(|r| r.1[c]))
            .collect();
        mean_sd(&values)
    };
    let with_validation = outcomes.iter().any(|o| !o.curve.is_empty());
    let mut csv = String::from("batch,loss_mean,loss_sd");
    if with_validation {
        for c in VALIDATION_COLUMNS {
            csv += &format!(",{c}_mean,{c}_sd");
        }
    }
    csv.push('\n');
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v}")
        } else {
            String::new()
        }
    };
    for (b, (mean, sd)) in loss.iter().enumerate() {
        csv += &format!("{b},{},{}", num(*mean), num(sd.unwrap_or(f64::NAN)));
        if with_validation {
            // a validation after `v` batches goes on the row of batch v − 1, the last it saw
            let v = validations.contains(&(b + 1)).then_some(b + 1);
            for c in 0..VALIDATION_COLUMNS.len() {
                let (m, s) = v.map_or((f64::NAN, None), |v| curve_at(v, c));
                csv += &format!(",{},{}", num(m), num(s.unwrap_or(f64::NAN)));
            }
        }
        csv.push('\n');
    }
    super::write_atomic(&out.join(SUMMARY_CSV), &csv)?;
    files.push(out.join(SUMMARY_CSV));

    // the plots: mean and mean ± sd, the loss smoothed as a run's loss plot is
    let window = motornet::plot::LOSS_SMOOTHING;
    let band = |points: &[(f64, (f64, Option<f64>))], scale: f64| {
        let pick = |f: &dyn Fn(f64, f64) -> f64| -> Vec<(f64, f64)> {
            (points.iter())
                .map(|(x, (m, s))| (*x, scale * f(*m, s.unwrap_or(0.0))))
                .filter(|(_, y)| y.is_finite())
                .collect()
        };
        [pick(&|m, _| m), pick(&|m, s| m + s), pick(&|m, s| m - s)]
    };
    let loss_points: Vec<(f64, (f64, Option<f64>))> = (loss.iter().enumerate())
        .map(|(b, p)| (b as f64, *p))
        .collect();
    let [mean, upper, lower] = band(&loss_points, 1.0);
    let smooth = |p: Vec<(f64, f64)>| running_mean(&p, window);
    let plotted = motornet::plot::curves_with_phases(
        out,
        "loss",
        &format!(
            "Loss, {} replicates, mean of {window} batches",
            outcomes.len()
        ),
        ("batch", "loss"),
        &[
            ("mean", smooth(mean)),
            ("+sd", smooth(upper)),
            ("-sd", smooth(lower)),
        ],
        phases,
    );
    match plotted {
        Ok(f) => files.extend(f),
        Err(e) => eprintln!("warning: {}: loss plot not written: {e}", out.display()),
    }
    if !validations.is_empty() {
        // lateral deviation and final error (mm), as a run's validation plot
        let points = |c: usize| -> Vec<(f64, (f64, Option<f64>))> {
            (validations.iter())
                .map(|&v| (v as f64, curve_at(v, c)))
                .collect()
        };
        let [lat, lat_hi, lat_lo] = band(&points(1), 1e3);
        let [err, err_hi, err_lo] = band(&points(0), 1e3);
        let plotted = motornet::plot::curves_with_phases(
            out,
            "validation",
            &format!("Validation, {} replicates", outcomes.len()),
            ("batch", "mm"),
            &[
                ("lateral deviation", lat),
                ("+sd", lat_hi),
                ("-sd", lat_lo),
                ("final error", err),
                ("+sd", err_hi),
                ("-sd", err_lo),
            ],
            phases,
        );
        match plotted {
            Ok(f) => files.extend(f),
            Err(e) => eprintln!(
                "warning: {}: validation plot not written: {e}",
                out.display()
            ),
        }
    }
    Ok((line, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_sd() {
        let (m, s) = mean_sd(&[1.0, 2.0, 4.0]);
        assert_eq!(m, 7.0 / 3.0);
        // Σ(x − m)² = (4/3)² + (1/3)² + (5/3)² = 42/9, over n − 1 = 2
        assert!((s.unwrap() - (21.0f64 / 9.0).sqrt()).abs() < 1e-15);
        assert_eq!(mean_sd(&[3.0]), (3.0, None));
        assert!(mean_sd(&[]).0.is_nan());
    }

    #[test]
    fn running_mean_is_trailing_and_shorter_at_the_start() {
        let p: Vec<(f64, f64)> = [1.0, 3.0, 5.0, 7.0]
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
        assert_eq!(
            running_mean(&p, 2),
            vec![(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]
        );
    }
}
