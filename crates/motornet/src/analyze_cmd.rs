//! `motornet analyze`: principal components, cosine tuning and preferred-direction shifts of a
//! trained run's hidden activity on its validation reaches, written into `RUN_DIR/analysis`.

use crate::Result;
use motornet::analysis::{
    cosine_tuning, preferred_direction_shift, Pca, PdShift, Tuned, UnitTuning,
};
use motornet::plot::PdPair;
use motornet::train::Rollout;
use std::path::{Path, PathBuf};

/// Half-width (s) of the window around each reach's peak speed over which a unit's activity
/// is averaged for its tuning.
pub(crate) const TUNING_HALF_WINDOW_S: f64 = 0.05;

/// The output directory, inside the run directory.
pub(crate) const ANALYSIS_DIR: &str = "analysis";

/// `motornet analyze` arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AnalyzeArgs {
    /// Run directory.
    pub run_dir: PathBuf,
    /// Another run of the same network size (e.g. the run after adaptation, trained with
    /// --init-from RUN_DIR): also fit its units' tuning and write the shift of each unit's
    /// preferred direction (other − run) to shift.csv.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Evaluate in a curl force field of this strength (N·s/m; 0 turns a run's field off):
    /// both runs under --compare. Without it each run is evaluated in the field it trained in.
    #[arg(long, allow_negative_numbers = true)]
    pub curl_field: Option<f64>,
    /// Principal components written to pc_trajectories.csv (at least 1, at most the number of
    /// hidden units).
    #[arg(long, default_value_t = 3)]
    pub components: usize,
}

/// A run's validation reaches, in the shapes the analyses take.
struct Activity {
    /// The validation rollout.
    rollout: Rollout,
    /// Reaches (B), network steps (T) and hidden units (H).
    reaches: usize,
    steps: usize,
    units: usize,
    /// `[B, T, H]` row-major: the hidden state after every step.
    hidden: Vec<f64>,
}

/// The validation reaches of the run in `dir` (under `curl_field` if given) and their hidden
/// activity, with its shape checked.
fn activity(dir: &Path, curl_field: Option<f64>) -> Result<Activity> {
    let trainer = crate::train_cmd::load_run(dir)?;
    let rollout = crate::train_cmd::validation(&trainer, None, curl_field)?;
    let name = dir.display();
    let reaches = rollout.hidden.len();
    let d = rollout.target.first().map_or(0, Vec::len);
    let states = match rollout.fingertip.first() {
        Some(f) if d > 0 => f.len() / (2 * d),
        _ => 0,
    };
    if reaches == 0 || states < 2 {
        return Err(format!(
            "{name}: the validation batch has no steps to analyse ({reaches} reaches, {states} \
             states)"
        ));
    }
    let steps = states - 1;
    let row = rollout.hidden[0].len();
    if row == 0 || !row.is_multiple_of(steps) {
        return Err(format!(
            "{name}: the network's recorded state has {row} numbers per reach, not a positive \
             multiple of its {steps} steps"
        ));
    }
    let units = row / steps;
    if let Some(b) = rollout.hidden.iter().position(|h| h.len() != row) {
        return Err(format!(
            "{name}: reach {b} has {} hidden-state numbers, reach 0 has {row}",
            rollout.hidden[b].len()
        ));
    }
    let hidden = rollout.hidden.concat();
    Ok(Activity {
        rollout,
        reaches,
        steps,
        units,
        hidden,
    })
}

/// Each reach's direction and the network step of its peak fingertip speed
/// (`motornet::train::metrics::reach_directions_and_peaks`), for planar effectors; `None` out
/// of the plane.
fn directions_and_peaks(a: &Activity) -> Result<Option<(Vec<f64>, Vec<usize>)>> {
    if a.rollout.target.first().map_or(0, Vec::len) != 2 {
        return Ok(None);
    }
    motornet::train::metrics::reach_directions_and_peaks(&a.rollout)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The cosine tuning of each hidden unit around the reaches' peak speed, `None` out of the
/// plane.
fn tuning(a: &Activity) -> Result<Option<Vec<UnitTuning>>> {
    let Some((directions, peaks)) = directions_and_peaks(a)? else {
        return Ok(None);
    };
    let half = (TUNING_HALF_WINDOW_S / a.rollout.dt).round() as usize;
    cosine_tuning(
        &a.hidden,
        a.reaches,
        a.steps,
        a.units,
        &directions,
        &peaks,
        half,
    )
    .map(Some)
    .map_err(|e| format!("tuning: {e}"))
}

fn write(path: &Path, text: &str) -> Result<()> {
    motornet::train::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())
}

pub(crate) fn analyze(args: AnalyzeArgs) -> Result<()> {
    if args.components == 0 {
        return Err("--components must be at least 1".into());
    }
    let run = activity(&args.run_dir, args.curl_field)?;
    let (b, t, h) = (run.reaches, run.steps, run.units);
    if args.components > h {
        return Err(format!(
            "--components {}: the network of {} has {h} hidden units",
            args.components,
            args.run_dir.display()
        ));
    }
    // the other run before anything is written: its errors leave no partial analysis
    let other = match &args.compare {
        Some(dir) => {
            let o = activity(dir, args.curl_field)?;
            if o.units != h || o.reaches != b {
                return Err(format!(
                    "--compare {}: its validation has {} reaches of {} hidden units, {} has {b} \
                     of {h}; a shift compares the same units",
                    dir.display(),
                    o.reaches,
                    o.units,
                    args.run_dir.display()
                ));
            }
            Some(o)
        }
        None => None,
    };
    let pca = Pca::fit(&run.hidden, b * t, h).map_err(|e| format!("principal components: {e}"))?;
    let k = args.components;
    let projected = pca
        .project(&run.hidden, b * t, k)
        .map_err(|e| e.to_string())?;
    let tuned_by = Tuned::default();
    let tuning_run = tuning(&run)?;
    let d = run.rollout.target.first().map_or(0, Vec::len);
    if tuning_run.is_none() {
        // a decision, not a failure: directions are angles in the plane (docs/training.md)
        eprintln!(
            "note: no tuning.csv: cosine tuning fits a preferred direction as an angle in the \
             plane, and this run's reaches have {d} coordinates; the principal components are \
             written"
        );
    }
    let shift: Option<PdShift> = match (&other, &tuning_run) {
        (Some(o), Some(a)) => {
            let Some(tb) = tuning(o)? else {
                return Err("--compare: the other run's reaches are not in the plane".into());
            };
            Some(preferred_direction_shift(a, &tb, &tuned_by).map_err(|e| e.to_string())?)
        }
        (Some(_), None) => {
            return Err(format!(
                "--compare needs reaches in the plane (reach directions to tune to); this run's \
                 have {d} coordinates"
            ))
        }
        _ => None,
    };

    let out = args.run_dir.join(ANALYSIS_DIR);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let ratios = pca.explained_variance_ratio();
    let cumulative = pca.cumulative_variance_ratio();
    let mut csv = String::from("component,variance_ratio,cumulative\n");
    for (i, (r, c)) in ratios.iter().zip(&cumulative).enumerate() {
        csv += &format!("{},{r},{c}\n", i + 1);
    }
    write(&out.join("pca.csv"), &csv)?;
    let pcs: Vec<String> = (1..=k).map(|i| format!("pc{i}")).collect();
    let mut csv = format!("reach,step,time_s,{}\n", pcs.join(","));
    for (row, values) in projected.chunks_exact(k).enumerate() {
        let (reach, step) = (row / t, row % t);
        let values: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
        csv += &format!(
            "{reach},{step},{},{}\n",
            step as f64 * run.rollout.dt,
            values.join(",")
        );
    }
    write(&out.join("pc_trajectories.csv"), &csv)?;
    let mut files = vec![out.join("pca.csv"), out.join("pc_trajectories.csv")];
    if let Some(tuning) = &tuning_run {
        let mut csv = String::from("unit,preferred_direction_rad,depth,r2,baseline,tuned\n");
        for (u, x) in tuning.iter().enumerate() {
            csv += &format!(
                "{u},{},{},{},{},{}\n",
                x.preferred_direction_rad,
                x.depth,
                x.r2,
                x.baseline,
                u8::from(x.is_tuned(&tuned_by))
            );
        }
        write(&out.join("tuning.csv"), &csv)?;
        files.push(out.join("tuning.csv"));
    }
    if shift.is_none() {
        // a comparison written by an earlier `--compare` no longer describes this analysis
        for name in ["shift.csv", "pd_shift.png", "pd_shift.svg"] {
            let path = out.join(name);
            if path.exists() {
                std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    if let Some(s) = &shift {
        let mut csv = String::from("unit,pd_run_rad,pd_other_rad,shift_rad,counted\n");
        for (u, x) in s.units.iter().enumerate() {
            csv += &format!(
                "{u},{},{},{},{}\n",
                x.pd_a_rad,
                x.pd_b_rad,
                x.shift_rad,
                u8::from(x.counted)
            );
        }
        write(&out.join("shift.csv"), &csv)?;
        files.push(out.join("shift.csv"));
    }

    // plots: a failure is a warning, the numbers are written
    let plots = (|| -> std::result::Result<Vec<PathBuf>, motornet::plot::PlotError> {
        let mut plots = motornet::plot::variance_explained(&out, "variance", &ratios)?;
        if h >= 2 {
            let in_plane = pca.project(&run.hidden, b * t, 2).map_err(|e| {
                motornet::plot::PlotError::Data {
                    message: e.to_string(),
                }
            })?;
            let trajectories: Vec<Vec<(f64, f64)>> = in_plane
                .chunks_exact(2 * t)
                .map(|reach| reach.chunks_exact(2).map(|p| (p[0], p[1])).collect())
                .collect();
            plots.extend(motornet::plot::pc_trajectories(
                &out,
                "pc_trajectories",
                &trajectories,
                ("PC1", "PC2"),
                "Hidden activity in the first two principal components",
            )?);
        }
        if let Some(s) = &shift {
            let units: Vec<PdPair> = s
                .units
                .iter()
                .map(|u| PdPair {
                    run_deg: u.pd_a_rad.to_degrees(),
                    other_deg: u.pd_b_rad.to_degrees(),
                    counted: u.counted,
                })
                .collect();
            let title = match s.mean_shift_rad {
                Some(m) => format!(
                    "Preferred directions: mean shift {:.1}° over {} tuned units",
                    m.to_degrees(),
                    s.counted
                ),
                None => "Preferred directions: no unit tuned in both runs".to_string(),
            };
            plots.extend(motornet::plot::preferred_directions(
                &out,
                "pd_shift",
                &units,
                ("this run (°)", "other run (°)"),
                &title,
            )?);
        }
        Ok(plots)
    })()
    .unwrap_or_else(|e| {
        eprintln!("warning: plots not written: {e}");
        vec![]
    });
    files.extend(plots);

    let mut line = format!(
        "analyze: run={} units={h} reaches={b} steps={t} pc1_variance={:.4} pc3_cumulative={:.4}",
        args.run_dir.display(),
        ratios[0],
        cumulative[cumulative.len().min(3) - 1]
    );
    if let Some(tuning) = &tuning_run {
        let tuned = tuning.iter().filter(|x| x.is_tuned(&tuned_by)).count();
        line += &format!(" tuned_units={tuned}");
    }
    if let (Some(s), Some(dir)) = (&shift, &args.compare) {
        line += &format!(
            " compare={} mean_pd_shift_rad={:.4} shift_units={}",
            dir.display(),
            s.mean_shift_rad.unwrap_or(f64::NAN),
            s.counted
        );
    }
    crate::write_stdout(&(line + "\n"))?;
    for f in files {
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}
