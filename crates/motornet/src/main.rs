//! The `motornet` command-line program.

use clap::{Parser, Subcommand, ValueEnum};
use motornet::effector::grad::{EXACT_TOLERANCE, FD_TOLERANCE};
use motornet::effector::{batch, presets, simulate_json, EffectorSpec, Scenario, StreamError};
use motornet::scalar::Lanes;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// `eprintln!` that never panics: std's panics when standard error cannot be written
/// (`motornet ... 2> /dev/full`, issue 14); a report that cannot be shown is dropped instead.
/// Defined before the modules so that they use it too.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod analyze_cmd;
mod sweep_cmd;
mod train_cmd;

#[derive(Parser)]
#[command(
    name = "motornet",
    version,
    about = "Differentiable muscle-driven effectors (MotorNet in Rust)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Precision {
    F32,
    F64,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Format {
    Json,
    Toml,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate an effector open-loop.
    ///
    /// With SCENARIO (a file in the parity-fixture format; an `expected` block is ignored), write
    /// the trajectories (keys joint, cartesian, fingertip, muscle, geometry, state_names) to -o
    /// or stdout. With --preset (or --spec FILE for your own effector), simulate a batch from
    /// random initial states (fixed seed) under a constant excitation and report the throughput.
    /// Both print one summary line to stderr with `sample_steps_per_s=`.
    Simulate {
        /// Scenario file (JSON).
        #[arg(conflicts_with_all = ["preset", "spec"], required_unless_present_any = ["preset", "spec"])]
        scenario: Option<PathBuf>,
        /// Effector spec file (JSON or TOML; a scenario file's effector also works) or MJCF
        /// model (`.xml`), instead of a preset.
        #[arg(long, conflicts_with = "preset")]
        spec: Option<PathBuf>,
        /// Output file for the trajectories (default: stdout).
        #[arg(short, long, requires = "scenario")]
        output: Option<PathBuf>,
        /// Preset effector (ReluPointMass24, RigidTendonArm26, CompliantTendonArm26, Reacher,
        /// FreePointMass24, Arm3D).
        #[arg(long)]
        preset: Option<String>,
        /// Muscle model for presets that take one, or for the --spec effector (the names come
        /// from the muscle registry).
        #[arg(long, value_parser = muscle_names())]
        muscle: Option<String>,
        /// Batch size (with --preset or --spec).
        #[arg(long, default_value_t = 64, conflicts_with = "scenario")]
        batch: usize,
        /// Number of steps (with --preset or --spec).
        #[arg(long, default_value_t = 100, conflicts_with = "scenario")]
        steps: usize,
        /// Constant excitation for every muscle (with --preset or --spec).
        #[arg(
            long,
            default_value_t = 0.5,
            allow_negative_numbers = true,
            conflicts_with = "scenario"
        )]
        excitation: f64,
        /// Seed of the random initial states (with --preset or --spec).
        #[arg(long, default_value_t = 0, conflicts_with = "scenario")]
        seed: u64,
        /// Floating-point precision.
        #[arg(long, value_enum, default_value_t = Precision::F64)]
        precision: Precision,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Check an effector: validate its spec (a spec file, JSON or TOML, or a scenario/fixture
    /// file), simulate it briefly from random states inside its bounds, and compare its exact
    /// gradients (vector–Jacobian products), along random directions, with forward-mode
    /// derivatives of the same rollout (`max_rel_grad_err=`, at most 1e-9 passes) and with
    /// central finite differences in f64 where the dynamics are smooth within the step
    /// (`max_rel_fd_err=`, at most 1e-5; directions crossing a kink are counted as
    /// `fd_skipped=`, never failures).
    Check {
        /// Spec or scenario file.
        file: PathBuf,
        /// Number of start states.
        #[arg(long, default_value_t = 3)]
        states: usize,
        /// Steps per rollout.
        #[arg(long, default_value_t = 5)]
        steps: usize,
        /// Seed of the start states, excitations and loss weights.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Compare an MJCF model's forward dynamics with MuJoCo's: FIXTURE is a JSON file in the
    /// format of ../shared/mujoco (states, and what MuJoCo's mj_forward computed at each; it
    /// names its model file, relative to itself). Computes the same quantities with the
    /// imported effector (mass matrix, bias, passive and actuator forces, accelerations, tendon
    /// and actuator lengths, velocities and moment arms, muscle forces, activation rates, site
    /// positions) and prints `max_rel_err=` with the worst quantity, then each quantity's worst
    /// error (per component, relative to the component's largest |value| over the states).
    /// Fails (exit 1) above --tolerance.
    CheckForward {
        /// The fixture file.
        fixture: PathBuf,
        /// The largest relative error that passes.
        #[arg(long, default_value_t = 1e-6)]
        tolerance: f64,
    },
    /// Compare the DeGroote–Fregly 2016 muscle curves with OpenSim's: FIXTURE is a JSON file in
    /// the format of ../shared/degroote (`params`: the five curve parameters, all required; one
    /// key per curve, each a list of [input, value] pairs; `name` and `generator` are read as
    /// labels; any other key is an error). Evaluates every curve at the fixture's inputs with
    /// its parameters and prints `check-curves: fixture=NAME points=N max_rel_err=X worst=KEY`
    /// (per key: |got − expected| / (max |expected| + 1e-9)). Fails (exit 1) above --tolerance.
    CheckCurves {
        /// The fixture file.
        fixture: PathBuf,
        /// The largest relative error that passes.
        #[arg(long, default_value_t = 1e-9)]
        tolerance: f64,
    },
    /// Train a policy network to control an effector on a task (backpropagation through
    /// closed-loop episodes). Defaults reproduce MotorNet's tutorial: ReluPointMass24,
    /// RandomTargetReach (1 s episodes, dt 0.01 s), GRU 32, batch 32, 6000 batches, Adam 1e-3,
    /// gradient norm clipped to 1, position L1 loss. Without --config, an --effector and --task
    /// pair that has a recipe (CentreOutReach with RigidTendonArm26, ReluPointMass24,
    /// FreePointMass24, Reacher or Arm3D) starts from it instead (docs/training.md, Recipes);
    /// flags override either. Writes config.json, log.csv,
    /// checkpoint.bin and plots into --out, and prints a line with `seconds_per_batch=` and
    /// `final_loss=` (mean loss of the last 250 batches). Ctrl-C or SIGTERM stops cleanly and saves a
    /// checkpoint; a non-finite loss or gradient stops with the batch named, keeping the last
    /// good checkpoint, and exits non-zero.
    Train(train_cmd::TrainArgs),
    /// Reload a trained run from its directory, run a validation batch (centre-out reaches for
    /// effectors in 2-D and 3-D, noiseless), print metrics and write trajectories (JSON and .npy) and
    /// plots into a directory of RUN_DIR named after the condition: `eval` under the run's own
    /// conditions, `eval-curl-field-K` with --curl-field K, `eval-TASK` with --task TASK (so
    /// that evaluations under different conditions never replace each other).
    Eval {
        /// Run directory.
        run_dir: PathBuf,
        /// Evaluate on this task (default settings) instead.
        #[arg(long, value_parser = train_cmd::choices(&motornet::task::TaskConfig::DESCRIPTIONS))]
        task: Option<String>,
        /// Evaluate in a curl force field of this strength (N·s/m, on in every reach; negative
        /// turns the other way; 0 turns off a field the run trained in).
        #[arg(long, allow_negative_numbers = true)]
        curl_field: Option<f64>,
    },
    /// Analyse a run's hidden activity on its validation reaches (centre-out, noiseless):
    /// principal components (pca.csv, pc_trajectories.csv), each unit's cosine tuning around
    /// peak speed (tuning.csv; reaches in the plane only) and, with --compare, the shift of each unit's preferred
    /// direction from this run to another (shift.csv), with plots, into RUN_DIR/analysis.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// Run a parameter sweep: GRID is a run config (TOML, the format --config takes) plus a
    /// [grid] table whose keys are config fields (dotted paths for nested ones:
    /// `network.hidden`, `env.vision_delay`, `lr`, `seed`) and whose values are lists; the runs
    /// are their Cartesian product, every one checked before any starts (an unknown key or a
    /// wrong type is an error naming it). Writes DIR/sweep.json and one directory per run,
    /// DIR/runs/NNNN-KEY=VALUE-…, with its config.json (refuses an existing DIR), then trains
    /// the runs here, --jobs N at a time (one `motornet train` process each), and names the
    /// runs that failed (exit status 1 if any did). With --slurm, writes DIR/sweep.sbatch, a
    /// Slurm job array of one task per run, instead (and submits it with --submit). --resume
    /// DIR re-runs only the runs that failed or did not finish (docs/training.md, Sweeps and
    /// Slurm).
    Sweep(sweep_cmd::SweepArgs),
    /// Train one run of a sweep: run ID (0-based) of the sweep in DIR (what each task of the
    /// Slurm array of `motornet sweep --slurm` runs; threads from $SLURM_CPUS_PER_TASK when
    /// set). A run that is done is left alone; one that failed is re-run (the earlier attempt
    /// is kept in its attempt-K directory).
    SweepTask {
        /// The sweep directory.
        dir: PathBuf,
        /// The run's index.
        id: usize,
    },
    /// Summarise a sweep: write one CSV to stdout, a row per run with its grid values, status
    /// (done, failed, missing), batches, final loss (mean of the last 250 batches, as `train`
    /// reports) and the metrics of `motornet eval` (run first for runs that have no eval
    /// directory), and plot the final loss per condition (mean ± sd over the runs that differ
    /// only by `seed`) as DIR/collect.png and .svg.
    Collect {
        /// The sweep directory.
        dir: PathBuf,
    },
    /// Regenerate a run's plots from its directory.
    Plot {
        /// Run directory.
        run_dir: PathBuf,
    },
    /// Print an effector spec, to start a custom effector from: a preset's (--preset), or that
    /// of a MuJoCo model (--mjcf FILE.xml: a KinematicTree skeleton, MujocoMuscle muscles on
    /// spatial tendons; docs/mjcf.md).
    Spec {
        /// Preset name.
        #[arg(long, required_unless_present = "mjcf", conflicts_with = "mjcf")]
        preset: Option<String>,
        /// An MJCF model (MuJoCo's XML) to import.
        #[arg(long, value_name = "FILE.xml")]
        mjcf: Option<PathBuf>,
        /// Muscle model, for presets that take one (the names come from the muscle registry).
        #[arg(long, value_parser = muscle_names())]
        muscle: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
}

pub(crate) type Result<T> = std::result::Result<T, String>;

/// Write to stdout with `write`, buffered. A closed pipe (`motornet ... | head`) ends output
/// quietly: the reader went away. Any other failure (a full disk behind `> FILE`, say) is an
/// error, so that the exit status says the output is incomplete.
fn write_stdout_with(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'_>>) -> std::io::Result<()>,
) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("writing to standard output: {e}")),
    }
}

/// [`write_stdout_with`] for a text.
pub(crate) fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    write_stdout_with(|w| w.write_all(text.as_bytes()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train_cmd::train(args),
        Command::Eval {
            run_dir,
            task,
            curl_field,
        } => train_cmd::eval(&run_dir, task.as_deref(), curl_field),
        Command::Analyze(args) => analyze_cmd::analyze(args),
        Command::Sweep(args) => sweep_cmd::sweep(args),
        Command::SweepTask { dir, id } => sweep_cmd::sweep_task(&dir, id),
        Command::Collect { dir } => sweep_cmd::collect(&dir),
        Command::Plot { run_dir } => {
            let trainer = train_cmd::load_run(&run_dir)?;
            for p in train_cmd::plot_run(&run_dir, &trainer)? {
                eprintln!("wrote {}", p.display());
            }
            Ok(())
        }
        Command::Spec {
            preset,
            mjcf,
            muscle,
            format,
        } => {
            let spec = match (preset, mjcf) {
                (Some(preset), _) => {
                    presets::spec(&preset, muscle.as_deref()).map_err(|e| e.to_string())?
                }
                (None, Some(path)) => {
                    if muscle.is_some() {
                        return Err("--muscle: an MJCF model's muscles are MuJoCo's \
                                    (MujocoMuscle); edit the written spec to change them"
                            .into());
                    }
                    motornet::effector::mjcf::read_mjcf(&path).map_err(|e| e.to_string())?
                }
                (None, None) => unreachable!("clap requires one"),
            };
            match format {
                Format::Json => write_stdout(&(spec.to_json() + "\n"))?,
                Format::Toml => write_stdout(&spec.to_toml())?,
            }
            Ok(())
        }
        Command::CheckForward { fixture, tolerance } => check_forward(&fixture, tolerance),
        Command::CheckCurves { fixture, tolerance } => check_curves(&fixture, tolerance),
        Command::Check {
            file,
            states,
            steps,
            seed,
        } => check(&file, states, steps, seed),
        Command::Simulate {
            scenario,
            output,
            preset,
            muscle,
            batch,
            steps,
            excitation,
            seed,
            precision,
            threads,
            spec,
        } => {
            if output.is_some() && scenario.is_none() {
                // a batch run reports its throughput only: there is no trajectory to write
                return Err(
                    "-o/--output writes a scenario's trajectories; it does not apply \
                            to --preset or --spec runs"
                        .into(),
                );
            }
            if muscle.is_some() && scenario.is_some() {
                // issue 14 audit: it was accepted and ignored (clap's `requires` did not hold)
                return Err(
                    "--muscle applies to --preset or --spec; a scenario names its muscle \
                            model in effector.muscle.type"
                        .into(),
                );
            }
            let mut pool = rayon::ThreadPoolBuilder::new();
            if let Some(n) = threads {
                if n == 0 || n > motornet::train::MAX_THREADS {
                    return Err(format!(
                        "--threads must be between 1 and {}",
                        motornet::train::MAX_THREADS
                    ));
                }
                pool = pool.num_threads(n);
            }
            let pool = pool.build().map_err(|e| e.to_string())?;
            pool.install(|| match (scenario, preset, spec) {
                (Some(path), _, _) => simulate_scenario(&path, output, precision),
                (None, Some(preset), _) => {
                    let spec =
                        presets::spec(&preset, muscle.as_deref()).map_err(|e| e.to_string())?;
                    simulate_batch(&spec, batch, steps, excitation, seed, precision)
                }
                (None, None, Some(file)) => {
                    let mut spec = read_spec(&file)?;
                    // as `train --effector-spec FILE --muscle NAME` does
                    if let Some(m) = muscle {
                        spec.muscle.kind = m;
                    }
                    simulate_batch(&spec, batch, steps, excitation, seed, precision)
                }
                (None, None, None) => Err("give a SCENARIO file, --preset or --spec".into()),
            })
        }
    }
}

/// Read a spec from a spec file (JSON or TOML) or from the `effector` of a scenario file.
/// The `--muscle` values: the registered muscle models (`AnyMuscle::NAMES`), which clap lists
/// in `--help` and in the error for any other name.
pub(crate) fn muscle_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(motornet::muscle::AnyMuscle::NAMES.iter().copied())
}

/// An error naming `flag` if `bytes` (an estimate of what `what` holds) exceed the memory
/// available: a clear message instead of an abort when the allocation fails.
fn fits_in_memory(flag: &str, bytes: f64, what: &str) -> Result<()> {
    match motornet::train::files::memory_shortfall(bytes) {
        Some(why) => Err(format!("{flag}: {what} need {why}")),
        None => Ok(()),
    }
}

pub(crate) fn read_spec(path: &std::path::Path) -> Result<EffectorSpec> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_scenario = serde_json::from_str::<serde_json::Value>(&text)
        .map(|v| v.get("effector").is_some())
        .unwrap_or(false);
    // the file is named once: `from_path` names it itself
    if is_scenario {
        Scenario::from_json(&text)
            .map(|s| s.effector)
            .map_err(|e| format!("{}: {e}", path.display()))
    } else {
        EffectorSpec::from_path(path).map_err(|e| e.to_string())
    }
}

/// `motornet check-curves`: the DeGroote–Fregly 2016 curves against a fixture of
/// ../shared/degroote's format.
fn check_curves(path: &std::path::Path, tolerance: f64) -> Result<()> {
    use motornet::muscle::{DeGrooteCurves, DeGrooteParams};
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(format!(
            "--tolerance must be finite and ≥ 0, got {tolerance}"
        ));
    }
    let at = |what: String| format!("{}: {what}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| at(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| at(e.to_string()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| at("the fixture must be a JSON object".into()))?;
    let name = match obj.get("name") {
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        Some(n) => n
            .as_str()
            .ok_or_else(|| at("`name` must be a string".into()))?
            .to_string(),
    };
    let params = obj
        .get("params")
        .and_then(|p| p.as_object())
        .ok_or_else(|| at("`params` (an object of the five curve parameters) is missing".into()))?;
    let mut given = Vec::new();
    for (k, v) in params {
        let x = v
            .as_f64()
            .ok_or_else(|| at(format!("params.{k} must be a number")))?;
        given.push((k.as_str(), x));
    }
    let curves = DeGrooteParams::from_named(given)
        .and_then(|p| DeGrooteCurves::new(p).map_err(Into::into))
        .map_err(|e| at(e.to_string()))?;
    let (mut worst, mut worst_key, mut points) = (0.0_f64, String::new(), 0usize);
    for (key, value) in obj {
        if ["name", "generator", "params"].contains(&key.as_str()) {
            continue;
        }
        if !DeGrooteCurves::CURVE_NAMES.contains(&key.as_str()) {
            return Err(at(format!(
                "unknown key `{key}` (curves: {})",
                DeGrooteCurves::CURVE_NAMES.join(", ")
            )));
        }
        let pairs = value
            .as_array()
            .ok_or_else(|| at(format!("`{key}` must be a list of [input, value] pairs")))?;
        let mut xy = Vec::with_capacity(pairs.len());
        for (i, p) in pairs.iter().enumerate() {
            let pair = p.as_array().filter(|a| a.len() == 2);
            let num = |j: usize| pair.and_then(|a| a[j].as_f64());
            match (num(0), num(1)) {
                (Some(x), Some(y)) => xy.push((x, y)),
                _ => {
                    return Err(at(format!(
                        "{key}[{i}] must be [input, value] (two numbers)"
                    )))
                }
            }
        }
        let scale = xy.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
        for &(x, want) in &xy {
            let got = curves.curve(key, x).expect("a listed curve name");
            let err = (got - want).abs() / (scale + 1e-9);
            // a NaN is the worst error there is
            if err.is_nan() || err > worst {
                (worst, worst_key) = (if err.is_nan() { f64::INFINITY } else { err }, key.clone());
            }
            points += 1;
        }
    }
    if points == 0 {
        return Err(at("the fixture has no curve points".into()));
    }
    write_stdout(&format!(
        "check-curves: fixture={name} points={points} max_rel_err={worst:.3e} worst={worst_key}\n"
    ))?;
    if worst <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "max_rel_err={worst:.3e} exceeds --tolerance {tolerance:e} (worst: {worst_key})"
        ))
    }
}

fn check_forward(path: &std::path::Path, tolerance: f64) -> Result<()> {
    use motornet::effector::mjcf::{fixture, forward, ForwardModel};
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(format!(
            "--tolerance must be finite and ≥ 0, got {tolerance}"
        ));
    }
    let f = fixture::ForwardFixture::read(path)?;
    let model_path = path
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(&f.model);
    let model = motornet::mjcf::parse_file(&model_path).map_err(|e| e.to_string())?;
    let at = |e: motornet::effector::EffectorError| format!("{}: {e}", model_path.display());
    let (nv, nu, nt) = (model.nv(), model.muscles.len(), model.tendons.len());
    if (f.nv, f.nu, f.na, f.ntendon) != (nv, nu, nu, nt) {
        return Err(format!(
            "{}: the fixture has nv={} nu={} na={} ntendon={}, the model nv={nv} nu={nu} \
             na={nu} ntendon={nt}",
            path.display(),
            f.nv,
            f.nu,
            f.na,
            f.ntendon
        ));
    }
    let fm = ForwardModel::new(model).map_err(at)?;
    let got = f
        .states
        .iter()
        .map(|s| forward(&fm, s))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(at)?;
    let c = fixture::compare(&f.expected, &got);
    let mut out = format!(
        "check-forward: model={} states={} max_rel_err={:.3e} worst={}\n",
        f.model,
        f.states.len(),
        c.max_rel_err,
        c.worst
    );
    for (q, e) in &c.per_quantity {
        out += &format!("  {q}: {e:.3e}\n");
    }
    write_stdout(&out)?;
    if c.max_rel_err <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "max_rel_err={:.3e} exceeds --tolerance {tolerance:e} (worst: {})",
            c.max_rel_err, c.worst
        ))
    }
}

fn check(path: &std::path::Path, states: usize, steps: usize, seed: u64) -> Result<()> {
    if states == 0 || steps == 0 {
        return Err("--states and --steps must be at least 1".into());
    }
    let spec = read_spec(path)?;
    let effector = spec
        .build()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // every state's rollout and its gradients, before any is allocated
    fits_in_memory(
        "--states and --steps",
        states as f64 * (steps as f64 + 1.0) * 8.0 * 6.0 * effector.state_len() as f64,
        &format!("{states} states of {steps} steps"),
    )?;
    // a short simulation from random states inside the bounds must stay finite
    let initial = batch::random_joint_states(&effector, states, seed);
    batch::run_constant::<f64, _, _, _>(&effector, &initial, 0.5, 10 * steps)
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let c = motornet::effector::check_gradients(&effector, states, steps, seed)
        .map_err(|e| e.to_string())?;
    let verdict = if c.max_rel_grad_ok() { "ok" } else { "FAILED" };
    eprintln!(
        "check: file={} skeleton={} muscle={} muscles={} dof={} states={states} steps={steps} directions={} max_rel_grad_err={:.3e} fd_compared={} fd_skipped={} max_rel_fd_err={:.3e} seconds={:.3} {verdict}",
        path.display(),
        spec.skeleton.kind,
        spec.muscle.kind,
        effector.n_muscles(),
        effector.dof(),
        c.exact_directions,
        c.max_rel_exact_err,
        c.compared,
        c.skipped,
        c.max_rel_fd_err,
        start.elapsed().as_secs_f64(),
    );
    if c.skipped > 0 {
        eprintln!(
            "check: {} of {} directions left out of the finite-difference comparison: the \
             dynamics have a kink (a clip or a branch) within the step along them; the exact \
             comparison covers them",
            c.skipped,
            c.skipped + c.compared
        );
    }
    if c.max_rel_grad_ok() {
        Ok(())
    } else if c.max_rel_exact_err > EXACT_TOLERANCE {
        Err(format!(
            "the gradients (vector–Jacobian products) differ from forward-mode derivatives of \
             the same rollout by up to {:.3e} (relative; at most {EXACT_TOLERANCE:e} passes)",
            c.max_rel_exact_err
        ))
    } else if c.compared == 0 {
        Err(format!(
            "every one of the {} directions crosses a kink within the finite-difference step: \
             try another --seed or more --states",
            c.skipped
        ))
    } else {
        Err(format!(
            "the gradients differ from finite differences by up to {:.3e} (relative; at most \
             {FD_TOLERANCE:e} passes) while they equal forward-mode derivatives: a derivative \
             is lost in the model code (a value taken out of the scalar type and put back?)",
            c.max_rel_fd_err
        ))
    }
}

fn simulate_scenario(
    path: &std::path::Path,
    output: Option<PathBuf>,
    precision: Precision,
) -> Result<()> {
    let scenario = Scenario::from_path(path).map_err(|e| e.to_string())?;
    let effector = scenario
        .effector
        .build()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let (b, t) = (
        scenario.initial_joint_state.len(),
        scenario.excitation.len(),
    );
    // the trajectory is written as it is computed (through scratch files beside the output,
    // or in the temporary directory for stdout), never held in memory: to a temporary file
    // renamed over OUT when complete (a killed run leaves the previous OUT, never a truncated
    // one), or to stdout
    let start = Instant::now();
    let mut failed: Option<StreamError> = None;
    let mut stream = |w: &mut dyn std::io::Write, scratch: &std::path::Path| {
        let r = match precision {
            Precision::F64 => simulate_json::<f64, _, _, _>(&effector, &scenario, scratch, w),
            Precision::F32 => simulate_json::<f32, _, _, _>(&effector, &scenario, scratch, w),
        };
        match r {
            Ok(()) => w.write_all(b"\n"),
            Err(StreamError::Io(e)) => Err(e),
            Err(e) => {
                let message = e.to_string();
                failed = Some(e);
                Err(std::io::Error::other(message))
            }
        }
    };
    let written = match &output {
        Some(out) => {
            let dir = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            motornet::train::files::write_atomic_with(out, |w| stream(w, &dir))
                .map_err(|e| e.to_string())
        }
        None => write_stdout_with(|w| stream(w, &std::env::temp_dir())),
    };
    if let Some(e) = failed {
        return Err(e.to_string());
    }
    written?;
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "simulate: scenario={} batch={b} steps={t} precision={precision:?} seconds={seconds:.6} sample_steps_per_s={:.1}",
        path.display(),
        (b * t) as f64 / seconds.max(1e-12)
    );
    Ok(())
}

fn simulate_batch(
    spec: &EffectorSpec,
    batch: usize,
    steps: usize,
    excitation: f64,
    seed: u64,
    precision: Precision,
) -> Result<()> {
    if batch == 0 || steps == 0 {
        return Err("--batch and --steps must be at least 1".into());
    }
    let effector = spec.build().map_err(|e| e.to_string())?;
    // the batch's states (and the lanes' copies of them), before any is allocated
    fits_in_memory(
        "--batch",
        batch as f64 * 8.0 * 4.0 * (effector.state_len() + 2 * effector.dof()) as f64,
        &format!("{batch} elements"),
    )?;
    let initial = batch::random_joint_states(&effector, batch, seed);
    let summary = match precision {
        Precision::F64 => {
            batch::run_constant::<Lanes<f64, 4>, _, _, _>(&effector, &initial, excitation, steps)
        }
        Precision::F32 => {
            batch::run_constant::<Lanes<f32, 8>, _, _, _>(&effector, &initial, excitation, steps)
        }
    }
    .map_err(|e| e.to_string())?;
    eprintln!(
        "simulate: preset={} muscle={} batch={batch} steps={steps} precision={precision:?} threads={} seconds={:.6} sample_steps_per_s={:.1}",
        spec.preset.as_deref().unwrap_or("custom"),
        spec.muscle.kind,
        rayon::current_num_threads(),
        summary.seconds,
        summary.sample_steps_per_s
    );
    Ok(())
}
