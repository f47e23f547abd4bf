//! `motornet train`, `motornet eval` and `motornet plot`: the run directory and what goes in it.
//!
//! A run directory holds `config.json` (the resolved config: enough to rebuild the run),
//! `log.csv` (one row per batch), `checkpoint.bin` (parameters, optimiser state, losses) and
//! the plots (motornet-plot's `plot_run`: `loss`, `reaches`, `speed`, and `arm` for arm effectors,
//! each as `.png` and `.svg`). One run's training loop is [`Session::train`]; `--replicates N`
//! (the `replicates` module) runs it for N seeds at once, one thread each.

use crate::Result;
use motornet::task::{CentreOutReach, TaskConfig};
use motornet::train::{AnyTrainer, Checkpoint, Rollout, TrainConfig, TrainError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod replicates;

/// Command-line overrides of a training config (`motornet train`).
#[derive(Debug, Default, Clone, clap::Args)]
pub(crate) struct TrainArgs {
    /// Run config (JSON or TOML, the format of a run's config.json); flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Preset effector.
    #[arg(long, conflicts_with = "effector_spec")]
    pub effector: Option<String>,
    /// Effector spec file (JSON or TOML) instead of a preset.
    #[arg(long)]
    pub effector_spec: Option<PathBuf>,
    /// Muscle model, for effectors that take one (the names come from the muscle registry).
    #[arg(long, value_parser = crate::muscle_names())]
    pub muscle: Option<String>,
    /// Task, with its default settings (docs/training.md lists the tasks and their settings).
    #[arg(long, value_parser = choices(&TaskConfig::DESCRIPTIONS))]
    pub task: Option<String>,
    /// Curl force field strength (N·s/m), on in every trial; negative turns the other way.
    #[arg(long, allow_negative_numbers = true)]
    pub curl_field: Option<f64>,
    /// Network (docs/training.md lists the networks).
    #[arg(long, value_parser = choices(&motornet::train::NetworkKind::DESCRIPTIONS))]
    pub network: Option<String>,
    /// Hidden units per layer.
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Network layers.
    #[arg(long)]
    pub layers: Option<usize>,
    /// Episodes per batch.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Number of batches.
    #[arg(long)]
    pub batches: Option<usize>,
    /// Learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed of the initial network and of the episodes.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run directory (default: runs/run-<unix time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint, as it was configured (its config.json):
    /// only --batches (the total, more than it has) and --threads may be given with it.
    #[arg(long)]
    pub resume: bool,
    /// Every N batches, run the validation reaches and log their final error, lateral
    /// deviation, path-length ratio and peak speed to validation.csv (plotted as
    /// validation.png); off by default.
    #[arg(long)]
    pub validate_every: Option<usize>,
    /// Start from the network of the run in this directory (its checkpoint) instead of a
    /// seeded initialisation, with a fresh optimiser: same network kind and sizes, same
    /// observation and muscle count (a clear error otherwise). The new run's config records it.
    #[arg(long, conflicts_with = "resume")]
    pub init_from: Option<PathBuf>,
    /// Replace the run already in --out (its config, log, checkpoint, plots and evaluations
    /// are deleted; other files are left). Without it an existing run is never overwritten.
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// Train N networks at once, with seeds SEED, SEED+1, …, each a run directory
    /// --out/rep-I, the machine's cores (or --threads) shared between them, and write their
    /// summary (mean ± sd of the metrics and curves) to --out (docs/training.md, Replicates).
    #[arg(long, value_name = "N")]
    pub replicates: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// The accepted values of a flag naming a built-in, with their one-line docs (`--help`), from
/// the built-ins' registry.
pub(crate) fn choices(
    builtins: &[motornet::task::registry::Description],
) -> clap::builder::PossibleValuesParser {
    let values = builtins
        .iter()
        .map(|d| clap::builder::PossibleValue::new(d.name).help(d.doc));
    clap::builder::PossibleValuesParser::new(values)
}

pub(crate) const CONFIG: &str = "config.json";
pub(crate) const CHECKPOINT: &str = "checkpoint.bin";
pub(crate) const LOG: &str = "log.csv";
/// The first line of `log.csv`.
const LOG_HEADER: &str = "batch,loss,grad_norm,lr,seconds";
/// The first line of a phased run's `log.csv`: each row names its batch's phase.
const PHASED_LOG_HEADER: &str = "batch,loss,grad_norm,lr,seconds,phase";
/// `validation.csv`'s header: the batches done, then the validation reaches' means.
const VALIDATION_HEADER: &str = "batches,mean_final_error_m,mean_signed_lateral_deviation_m,\
                                 mean_path_length_ratio,mean_peak_speed_m_per_s";

/// The recipe `motornet train` starts from without --config: that of the --effector preset
/// (default ReluPointMass24) on the --task (default RandomTargetReach), if there is one.
fn recipe_of(a: &TrainArgs) -> Option<&'static motornet::train::Recipe> {
    if a.config.is_some() || a.effector_spec.is_some() {
        return None;
    }
    let defaults = TrainConfig::default();
    let effector = match (&a.effector, &defaults.effector) {
        (Some(e), _) => e.as_str(),
        (None, motornet::train::EffectorChoice::Preset { preset, .. }) => preset.as_str(),
        (None, _) => return None,
    };
    let task = a.task.as_deref().unwrap_or(defaults.task.name());
    motornet::train::recipe(effector, task)
}

fn config_from_args(a: &TrainArgs) -> Result<TrainConfig> {
    let recipe = recipe_of(a);
    let mut c = match (&a.config, recipe) {
        (Some(p), _) => TrainConfig::from_file(p).map_err(|e| e.to_string())?,
        (None, Some(r)) => (r.config)(),
        (None, None) => TrainConfig::default(),
    };
    if recipe.is_some() {
        // the recipe's effector and task are the ones asked for
        if let (Some(m), motornet::train::EffectorChoice::Preset { muscle, .. }) =
            (&a.muscle, &mut c.effector)
        {
            *muscle = Some(m.clone());
        }
    } else if let Some(name) = &a.effector {
        c.effector = motornet::train::EffectorChoice::Preset {
            preset: name.clone(),
            muscle: a.muscle.clone(),
        };
    } else if let Some(path) = &a.effector_spec {
        let mut spec = crate::read_spec(path)?;
        if let Some(m) = &a.muscle {
            spec.muscle.kind = m.clone();
        }
        c.effector = motornet::train::EffectorChoice::Spec {
            spec: Box::new(spec),
        };
    } else if let Some(m) = &a.muscle {
        // the config's effector, whichever way it is given, takes the muscle model
        match &mut c.effector {
            motornet::train::EffectorChoice::Preset { muscle, .. } => *muscle = Some(m.clone()),
            motornet::train::EffectorChoice::Spec { spec } => spec.muscle.kind = m.clone(),
        }
    }
    if let (Some(t), None) = (&a.task, recipe) {
        c.task = TaskConfig::default_for(t).map_err(|e| e.to_string())?;
    }
    if let Some(n) = &a.network {
        c.network.kind = motornet::train::NetworkKind::from_name(n).map_err(|e| e.to_string())?;
    }
    if let Some(k) = a.curl_field {
        c.env.curl_field = Some(motornet::task::CurlField {
            strength: k,
            probability: 1.0,
        });
    }
    macro_rules! set {
        ($field:ident, $($path:tt)+) => {
            if let Some(v) = a.$field {
                c.$($path)+ = v;
            }
        };
    }
    set!(hidden, network.hidden);
    set!(layers, network.layers);
    set!(batch_size, batch_size);
    set!(batches, batches);
    set!(lr, lr);
    set!(seed, seed);
    set!(threads, threads);
    set!(validate_every, validate_every);
    if let Some(dir) = &a.init_from {
        c.init_from = Some(dir.clone());
    }
    c.validate().map_err(|e| e.to_string())?;
    if c.batches == 0 {
        // issue 14 audit: a config's `batches = 0` trained nothing and exited 0
        return Err("config `batches`: must be at least 1".into());
    }
    Ok(c)
}

fn io(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

/// Write `text` to `path` atomically (a temporary file of a unique name, then rename).
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    motornet::train::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())
}

/// The flags that would change a run, given with `--resume` (which continues a run as it was
/// configured): an error naming them.
fn check_resume_flags(a: &TrainArgs) -> Result<()> {
    let changed: Vec<&str> = [
        ("--config", a.config.is_some()),
        ("--effector", a.effector.is_some()),
        ("--effector-spec", a.effector_spec.is_some()),
        ("--muscle", a.muscle.is_some()),
        ("--task", a.task.is_some()),
        ("--curl-field", a.curl_field.is_some()),
        ("--network", a.network.is_some()),
        ("--hidden", a.hidden.is_some()),
        ("--layers", a.layers.is_some()),
        ("--batch-size", a.batch_size.is_some()),
        ("--lr", a.lr.is_some()),
        ("--seed", a.seed.is_some()),
        ("--init-from", a.init_from.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if changed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "--resume continues a run as it was configured, and {} would change it; start a new \
             run (--out NEW_DIR) to train with other settings",
            changed.join(", ")
        ))
    }
}

/// How many rows of the validation table at `path` belong to the first `batches` batches (a
/// process killed after its last checkpoint may have written more); 0 if there is none.
fn validation_rows_within(path: &Path, batches: usize) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| {
        text.lines()
            .skip(1)
            .take_while(|l| {
                l.split(',')
                    .next()
                    .and_then(|b| b.parse::<usize>().ok())
                    .is_some_and(|b| b <= batches)
            })
            .count()
    })
}

/// Runs the validation reaches with the current network and appends their means to `table`.
fn validate_row(
    trainer: &AnyTrainer,
    batches: usize,
    table: &mut std::fs::File,
) -> std::io::Result<()> {
    use std::io::Write;
    let r = validation(trainer, None, None).map_err(std::io::Error::other)?;
    let m = motornet::train::rollout_metrics(&r).map_err(std::io::Error::other)?;
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    writeln!(
        table,
        "{batches},{},{},{},{}",
        m.mean_final_error_m,
        cell(m.mean_signed_lateral_deviation_m),
        cell(m.mean_path_length_ratio),
        m.mean_peak_speed_m_per_s
    )
}

/// Plots `validation.csv` (if the run has one) as `validation.png`/`.svg`: the validation
/// reaches' mean signed lateral deviation (for an effector in 3-D, `space_dim` 3: the mean
/// of its magnitude, so labelled) and final error (mm) against the batches done.
pub(crate) fn plot_validation(
    dir: &Path,
    phases: &[(usize, String)],
    space_dim: usize,
) -> Result<Vec<PathBuf>> {
    let path = dir.join(motornet::train::files::VALIDATION_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(vec![]);
    };
    let (mut lateral, mut error) = (vec![], vec![]);
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let num = |i: usize| cells.get(i).and_then(|c| c.parse::<f64>().ok());
        if let (Some(b), Some(e)) = (num(0), num(1)) {
            error.push((b, 1e3 * e));
            if let Some(l) = num(2) {
                lateral.push((b, 1e3 * l));
            }
        }
    }
    motornet::plot::curves_with_phases(
        dir,
        "validation",
        "Validation reaches",
        ("batch", "mm"),
        &[
            (
                if space_dim == 2 {
                    "mean signed lateral deviation"
                } else {
                    "mean |lateral deviation|"
                },
                lateral,
            ),
            ("mean final error", error),
        ],
        phases,
    )
    .map_err(|e| e.to_string())
}

/// The trainer of a new run: built from `config`, its network taken from `config.init_from`'s
/// run when given.
fn start_trainer(config: &TrainConfig) -> Result<AnyTrainer> {
    let mut trainer = AnyTrainer::new(config).map_err(|e| e.to_string())?;
    if let Some(dir) = &config.init_from {
        trainer.init_from(dir).map_err(|e| e.to_string())?;
    }
    Ok(trainer)
}

fn default_out() -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from("runs").join(format!("run-{secs}"))
}

pub(crate) fn train(args: TrainArgs) -> Result<()> {
    if args.threads == Some(0) {
        return Err("--threads must be at least 1 (leave it out to use every core)".into());
    }
    if args.batches == Some(0) {
        return Err("--batches must be at least 1".into());
    }
    if args.replicates == Some(0) {
        return Err("--replicates must be at least 1".into());
    }
    // a replicate set: `--replicates N`, or `--resume` of a directory that holds one
    let resumes_set = args.resume
        && args
            .out
            .as_deref()
            .is_some_and(motornet::train::files::is_replicate_set);
    if args.replicates.is_some() || resumes_set {
        return replicates::train(&args);
    }
    // a new run's trainer is built (and checked) before its directory is made, and kept
    let (config, run, fresh) = if args.resume {
        check_resume_flags(&args)?;
        let dir = args
            .out
            .clone()
            .ok_or("--resume needs --out RUN_DIR (the run to continue)")?;
        let run = motornet::train::RunDir::open(&dir).map_err(|e| e.to_string())?;
        let mut c = TrainConfig::from_file(&run.join(CONFIG)).map_err(|e| e.to_string())?;
        resume_overrides(&args, &mut c);
        (c, run, None)
    } else {
        // everything that can be checked is, before the run directory is made
        let config = new_config(&args)?;
        let trainer = start_trainer(&config)?;
        let out = args.out.clone().unwrap_or_else(default_out);
        check_init_from(&config, &out)?;
        let run =
            motornet::train::RunDir::create(&out, args.overwrite).map_err(|e| e.to_string())?;
        (config, run, Some(trainer))
    };
    let mut session = Session::open(run, config, fresh)?;
    let stop = stop_on_signal();
    let bar = progress_bar(args.quiet, &session, "");
    let trained = session.train(&stop, &bar)?;
    let plots = plot_run(session.out(), &session.trainer).unwrap_or_else(|e| {
        eprintln!("warning: plots not written: {e}");
        vec![]
    });
    eprintln!("{}", session.summary_line(&trained));
    for p in plots {
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

/// The config of a new run (or replicate set) from the flags, with the recipe's notice.
fn new_config(args: &TrainArgs) -> Result<TrainConfig> {
    let config = config_from_args(args)?;
    if let (Some(r), false) = (recipe_of(args), args.quiet) {
        eprintln!(
            "train: settings from the recipe for {} on {} (docs/training.md, Recipes), \
             flags override them",
            r.effector, r.task
        );
    }
    Ok(config)
}

/// The flags `--resume` may change (`--batches`, `--threads`, `--validate-every`: none of them
/// changes the run) applied to the run's `config`.
fn resume_overrides(args: &TrainArgs, c: &mut TrainConfig) {
    if let Some(n) = args.batches {
        c.batches = n;
    }
    if let Some(t) = args.threads {
        c.threads = t;
    }
    if let Some(v) = args.validate_every {
        c.validate_every = v;
    }
}

/// `--init-from` naming the directory the new run goes to (`out`) is an error.
fn check_init_from(config: &TrainConfig, out: &Path) -> Result<()> {
    let Some(from) = &config.init_from else {
        return Ok(());
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(from, out) {
        return Err(format!(
            "--init-from {} is the run directory itself (--out): start the new run in \
             another directory",
            from.display()
        ));
    }
    Ok(())
}

/// A stop flag raised by Ctrl-C or SIGTERM (every training loop of the process checks it after
/// each batch); a second signal while stopping kills the process as usual.
fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    stop
}

/// The progress bar of `session`'s batches (hidden when `quiet`), `prefix` before it.
fn progress_bar(quiet: bool, session: &Session, prefix: &str) -> indicatif::ProgressBar {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(session.config.batches as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix}{elapsed_precise} [{bar:30}] {pos}/{len} batches  {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    bar.set_position(session.trainer.batches_done() as u64);
    bar
}

/// A run ready to train: its directory (locked), its trainer, and its log and validation
/// table open for appending. One run of `motornet train`, or one replicate of a set.
pub(crate) struct Session {
    run: motornet::train::RunDir,
    config: TrainConfig,
    trainer: AnyTrainer,
    hash: u64,
    log: std::fs::File,
    validation: Option<(std::fs::File, PathBuf)>,
}

/// What [`Session::train`] did.
pub(crate) struct Trained {
    /// Wall time of the loop (s).
    seconds: f64,
    /// Batches trained in this session (not counting those a resumed checkpoint held).
    batches: usize,
    /// Whether a signal stopped it before its last batch.
    stopped: bool,
}

impl Session {
    /// Opens `run` for training with `config`: `trainer` is a new run's (its network already
    /// initialised, or restored by the caller); `None` resumes the run from its checkpoint (an
    /// error if it already has `config.batches`). Writes `config.json` and opens the log and
    /// validation table, cut back to the trainer's batches. If this fails, a directory made for
    /// the run is removed again.
    fn open(
        run: motornet::train::RunDir,
        config: TrainConfig,
        trainer: Option<AnyTrainer>,
    ) -> Result<Self> {
        let opened = (|| -> Result<_> {
            let trainer = match trainer {
                Some(t) => t,
                None => {
                    let t = restored(&config, &run.join(CHECKPOINT))?;
                    if t.batches_done() >= config.batches {
                        return Err(format!(
                            "the run in {} already has {} batches; ask for more with --batches \
                             N (the total)",
                            run.path().display(),
                            t.batches_done()
                        ));
                    }
                    t
                }
            };
            let hash = trainer.config_hash();
            let resolved =
                serde_json::to_string_pretty(trainer.config()).map_err(|e| e.to_string())?;
            write_atomic(&run.join(CONFIG), &(resolved + "\n"))?;
            // the log holds one row per batch of the checkpoint (rows a killed process wrote
            // after its last checkpoint are cut), under its header
            let header = if config.phases.is_empty() {
                LOG_HEADER
            } else {
                PHASED_LOG_HEADER
            };
            let log = run
                .open_log(header, trainer.batches_done())
                .map_err(|e| e.to_string())?;
            // the behaviour learning curve, cut back to the checkpoint's batches the same way
            let validation = if config.validate_every > 0 {
                let path = run.join(motornet::train::files::VALIDATION_FILE);
                let keep = validation_rows_within(&path, trainer.batches_done());
                let table = run
                    .open_table(
                        motornet::train::files::VALIDATION_FILE,
                        VALIDATION_HEADER,
                        keep,
                    )
                    .map_err(|e| e.to_string())?;
                Some((table, path))
            } else {
                None
            };
            Ok((trainer, hash, log, validation))
        })();
        match opened {
            Ok((trainer, hash, log, validation)) => Ok(Self {
                run,
                config,
                trainer,
                hash,
                log,
                validation,
            }),
            Err(e) => {
                run.discard();
                Err(e)
            }
        }
    }

    /// The run directory.
    fn out(&self) -> &Path {
        self.run.path()
    }

    /// The training loop of one run, up to `config.batches`: one row of `log.csv` per batch,
    /// a row of `validation.csv` every `validate_every` batches, a checkpoint every
    /// `checkpoint_every` batches and at the end; stops after the current batch once `stop` is
    /// raised. A non-finite batch ends it with an error naming the last good checkpoint
    /// (saved). `bar` shows the progress.
    fn train(&mut self, stop: &AtomicBool, bar: &indicatif::ProgressBar) -> Result<Trained> {
        let out = self.run.path().to_path_buf();
        let log_path = self.run.join(LOG);
        let total = self.config.batches;
        let first = self.trainer.batches_done();
        let (trainer, hash) = (&mut self.trainer, self.hash);
        let save = |trainer: &AnyTrainer| -> Result<()> {
            trainer
                .checkpoint()
                .save(&out.join(CHECKPOINT), hash)
                .map_err(|e| e.to_string())
        };
        let start = Instant::now();
        let mut failure: Option<TrainError> = None;
        let mut done_here = 0usize;
        for b in first..total {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let t0 = Instant::now();
            match trainer.batch() {
                Ok(s) => {
                    done_here += 1;
                    // (the phase the batch ran in: names are quoted, as CSV needs for commas)
                    let phase = trainer.phase().map_or(String::new(), |(i, p)| {
                        format!(",\"{}\"", p.label(i).replace('"', "\"\""))
                    });
                    writeln!(
                        self.log,
                        "{},{},{},{},{:.6}{phase}",
                        s.batch,
                        s.loss,
                        s.grad_norm,
                        s.lr,
                        t0.elapsed().as_secs_f64()
                    )
                    .map_err(|e| io(&log_path, e))?;
                    if b % 10 == 0 || b + 1 == total {
                        let rate = done_here as f64 / start.elapsed().as_secs_f64().max(1e-9);
                        bar.set_message(format!("loss {:.4}  {:.1} batches/s", s.loss, rate));
                    }
                    bar.set_position((b + 1) as u64);
                    if let Some((table, path)) = &mut self.validation {
                        if (b + 1) % self.config.validate_every == 0 {
                            validate_row(trainer, b + 1, table).map_err(|e| io(path, e))?;
                        }
                    }
                    if self.config.checkpoint_every > 0
                        && (b + 1) % self.config.checkpoint_every == 0
                    {
                        save(trainer)?;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        self.log.flush().map_err(|e| io(&log_path, e))?;
        // the parameters are those before any failed batch: the last good state
        save(trainer)?;
        if let Some(e) = failure {
            return Err(format!(
                "{e}; the last good checkpoint is {}",
                out.join(CHECKPOINT).display()
            ));
        }
        Ok(Trained {
            seconds,
            batches: done_here,
            stopped: trainer.batches_done() < total,
        })
    }

    /// The `train: out=… final_loss=…` line of a run that `trained`.
    fn summary_line(&self, trained: &Trained) -> String {
        let trainer = &self.trainer;
        format!(
            "train: out={} effector={} task={} network={} params={} batches={} batch_size={} threads={} seconds={:.3} seconds_per_batch={:.6} final_loss={:.5}{}",
            self.out().display(),
            effector_name(trainer.config()),
            trainer.config().task.name(),
            trainer.config().network.kind.name(),
            trainer.n_params(),
            trainer.batches_done(),
            self.config.batch_size,
            trainer.threads(),
            trained.seconds,
            trained.seconds / trained.batches.max(1) as f64,
            final_loss(trainer.losses()),
            if trained.stopped { " stopped=signal" } else { "" }
        )
    }
}

/// The final loss of a run: the mean loss of its last 250 batches (of all, if fewer; NaN
/// without any).
pub(crate) fn final_loss(losses: &[f64]) -> f64 {
    let tail = &losses[losses.len().saturating_sub(250)..];
    if tail.is_empty() {
        f64::NAN
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    }
}

fn effector_name(c: &TrainConfig) -> String {
    match &c.effector {
        motornet::train::EffectorChoice::Preset { preset, .. } => preset.clone(),
        motornet::train::EffectorChoice::Spec { spec } => {
            spec.preset.clone().unwrap_or_else(|| "custom".into())
        }
    }
}

/// Reload a run from its directory alone: config and checkpoint.
pub(crate) fn load_run(dir: &Path) -> Result<AnyTrainer> {
    let config = TrainConfig::from_file(&dir.join(CONFIG)).map_err(|e| e.to_string())?;
    restored(&config, &dir.join(CHECKPOINT))
}

/// The run `config` describes, continued from its checkpoint at `path` (which must belong to
/// it: its config hash); every error names the file (issue 14: a checkpoint that did not fit
/// the network was reported with an empty path).
fn restored(config: &TrainConfig, path: &Path) -> Result<AnyTrainer> {
    let mut trainer = AnyTrainer::new(config).map_err(|e| e.to_string())?;
    let c = Checkpoint::load(path, Some(trainer.config_hash())).map_err(|e| e.to_string())?;
    trainer.restore(c).map_err(|e| match e {
        TrainError::Checkpoint { reason, .. } => format!("checkpoint {}: {reason}", path.display()),
        e => e.to_string(),
    })?;
    Ok(trainer)
}

/// The validation batch of a run: centre-out reaches (8 targets, 10 cm, no noise) for planar
/// effectors (on the circle) and effectors in 3-D (on the sphere: `CentreOutReach`'s
/// Fibonacci lattice), else a noiseless batch of the training task.
pub(crate) fn validation(
    trainer: &AnyTrainer,
    task: Option<&TaskConfig>,
    curl_field: Option<f64>,
) -> Result<Rollout> {
    let c = trainer.config();
    // the environment of the phase the run is in (the run's own, without phases)
    let mut env = trainer.env().config().noiseless();
    if let Some(k) = curl_field {
        if !k.is_finite() {
            return Err(format!("--curl-field: must be finite, got {k}"));
        }
        env = env.with_curl_field(k);
    }
    // centre-out targets exist on a circle (2-D) or a sphere (3-D)
    let centre_out_space = matches!(trainer.effector().space_dim(), 2 | 3);
    // the validation observation must have the training observation's layout
    let cue_input = c.task.build().go_cue();
    let centre_out = TaskConfig::CentreOutReach(CentreOutReach {
        n_targets: 8,
        radius: 0.1,
        centre: None,
        mode: motornet::task::CentreOutMode::Validation {
            cue: validation_cue(&c.task),
        },
        cue_input,
    });
    let task = match task {
        Some(t) => t.clone(),
        None if centre_out_space => centre_out,
        None => c.task.clone(),
    };
    trainer
        .evaluate(Some(task.build()), Some(&env), 8, 0, None)
        .map_err(|e| e.to_string())
}

/// The go-cue time (s) of the validation reaches of a run trained on `task`: the middle of
/// the task's cue range, so that the network waits for the cue as it learned to; 0 for tasks
/// without a go cue.
fn validation_cue(task: &TaskConfig) -> f64 {
    let mid = |(lo, hi): (f64, f64)| 0.5 * (lo + hi);
    match task {
        TaskConfig::CentreOutReach(CentreOutReach {
            mode: motornet::task::CentreOutMode::Training { cue_range, .. },
            cue_input: true,
            ..
        }) => mid(*cue_range),
        TaskConfig::CentreOutReach(CentreOutReach {
            mode: motornet::task::CentreOutMode::Validation { cue },
            cue_input: true,
            ..
        }) => *cue,
        TaskConfig::DelayedReach(t) => mid(t.cue_range),
        _ => 0.0,
    }
}

/// Write the run's plots (motornet-plot's `plot_run`: the loss, and the validation batch's
/// reaches, speeds and arm; and the behaviour learning curve when the run logged one);
/// returns the files written.
pub(crate) fn plot_run(dir: &Path, trainer: &AnyTrainer) -> Result<Vec<PathBuf>> {
    let r = validation(trainer, None, None)?;
    let losses = trainer.losses();
    let batches: Vec<usize> = (0..losses.len()).collect();
    let phases = phase_starts(trainer.config());
    let mut files = motornet::plot::loss_curve_with_phases(
        dir,
        "loss",
        &batches,
        losses,
        motornet::plot::LOSS_SMOOTHING,
        &phases,
    )
    .map_err(|e| e.to_string())?;
    files.extend(
        motornet::plot::plot_rollout(dir, trainer.effector(), &r, "validation reaches")
            .map_err(|e| e.to_string())?,
    );
    files.extend(plot_validation(
        dir,
        &phases,
        trainer.effector().space_dim(),
    )?);
    Ok(files)
}

/// `(first batch, name)` of each phase of a phased run (none without phases).
fn phase_starts(config: &TrainConfig) -> Vec<(usize, String)> {
    let starts = std::iter::once(0).chain(motornet::train::phase::boundaries(&config.phases));
    (starts.zip(&config.phases).enumerate())
        .map(|(i, (b, p))| (b, p.label(i)))
        .collect()
}

/// Write `data` (row-major, `shape`) as a NumPy `.npy` file of little-endian f64.
pub(crate) fn write_npy(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    let dims: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    let shape_txt = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic (6) + version (2) + header length (2) + header, padded to 64 bytes with a newline
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

pub(crate) fn eval(dir: &Path, task: Option<&str>, curl_field: Option<f64>) -> Result<()> {
    let (line, files) = evaluate(dir, task, curl_field)?;
    crate::write_stdout(&line)?;
    for f in files {
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}

/// What `motornet eval` does, printing nothing: writes the evaluation directory and returns
/// the `eval: …` line and the files written.
pub(crate) fn evaluate(
    dir: &Path,
    task: Option<&str>,
    curl_field: Option<f64>,
) -> Result<(String, Vec<PathBuf>)> {
    let trainer = load_run(dir)?;
    let task = task
        .map(|t| TaskConfig::default_for(t).map_err(|e| e.to_string()))
        .transpose()?;
    let r = validation(&trainer, task.as_ref(), curl_field)?;
    let eff = trainer.effector();
    let (d, m) = (eff.space_dim(), eff.n_muscles());
    let out = dir.join(eval_dir_name(task.as_ref(), curl_field));
    std::fs::create_dir_all(&out).map_err(|e| io(&out, e))?;
    let metrics = motornet::train::rollout_metrics(&r).map_err(|e| e.to_string())?;
    let (err, peak) = (metrics.mean_final_error_m, metrics.mean_peak_speed_m_per_s);
    // NaN (JSON null) when no reach has the value (every reach starts on its target, a
    // reach out of the plane, catch trials)
    let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let ratio = nan(metrics.mean_path_length_ratio);
    let lateral = nan(metrics.mean_signed_lateral_deviation_m);
    let (mt, rt) = (
        nan(metrics.mean_movement_time_s),
        nan(metrics.mean_reaction_time_s),
    );
    let b = r.fingertip.len();
    let t1 = r.fingertip.first().map_or(0, |f| f.len() / (2 * d));
    let json = serde_json::json!({
        "loss": r.loss,
        "curl_field": trainer_curl(&trainer, curl_field),
        "mean_final_error_m": err,
        "mean_path_length_ratio": metrics.mean_path_length_ratio,
        "mean_peak_speed_m_per_s": peak,
        "mean_signed_lateral_deviation_m": metrics.mean_signed_lateral_deviation_m,
        "mean_movement_time_s": metrics.mean_movement_time_s,
        "mean_reaction_time_s": metrics.mean_reaction_time_s,
        "dt": eff.options().timestep,
        "fingertip": r.fingertip,
        "goal": r.goal,
        "target": r.target,
        "go_cue": r.go_cue,
        "joint": r.joint,
        "excitation": r.excitation,
    });
    write_atomic(&out.join("trajectories.json"), &json.to_string())?;
    // one row per reach: its target and metrics (empty where a reach has no value)
    let mut csv = String::from(
        "reach,target,final_error_m,path_length_ratio,peak_speed_m_per_s,\
         signed_lateral_deviation_m,movement_time_s,reaction_time_s\n",
    );
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for (i, (reach, timing)) in metrics.reaches.iter().zip(&metrics.timing).enumerate() {
        let target: Vec<String> = r.target[i].iter().map(|v| format!("{v}")).collect();
        csv += &format!(
            "{i},{},{},{},{},{},{},{}\n",
            target.join(" "),
            reach.final_error_m,
            cell(reach.path_length_ratio),
            reach.peak_speed_m_per_s,
            cell(reach.signed_lateral_deviation_m),
            cell(timing.map(|t| t.movement_time_s)),
            cell(timing.map(|t| t.reaction_time_s)),
        );
    }
    write_atomic(&out.join("reaches.csv"), &csv)?;
    write_npy(
        &out.join("fingertip.npy"),
        &[b, t1, 2 * d],
        &r.fingertip.concat(),
    )?;
    write_npy(&out.join("target.npy"), &[b, d], &r.target.concat())?;
    let dof2 = r.joint.first().map_or(0, |j| j.len() / t1.max(1));
    write_npy(&out.join("joint.npy"), &[b, t1, dof2], &r.joint.concat())?;
    write_npy(
        &out.join("excitation.npy"),
        &[b, t1.saturating_sub(1), m],
        &r.excitation.concat(),
    )?;
    let hid = r
        .hidden
        .first()
        .map_or(0, |h| h.len() / t1.saturating_sub(1).max(1));
    write_npy(
        &out.join("hidden.npy"),
        &[b, t1.saturating_sub(1), hid],
        &r.hidden.concat(),
    )?;
    let files = motornet::plot::plot_rollout(&out, eff, &r, "evaluation reaches")
        .map_err(|e| e.to_string())?;
    let line = format!(
        "eval: run={} episodes={b} loss={:.5} mean_final_error_m={err:.5} mean_path_length_ratio={ratio:.3} mean_peak_speed_m_per_s={peak:.3} mean_signed_lateral_deviation_m={lateral:.5} mean_movement_time_s={mt:.3} mean_reaction_time_s={rt:.3}\n",
        dir.display(),
        r.loss
    );
    let written = ["trajectories.json", "reaches.csv", "hidden.npy"]
        .iter()
        .map(|name| out.join(name))
        .chain(files)
        .collect();
    Ok((line, written))
}

/// The directory of `RUN_DIR` an evaluation writes into: `eval`, then `-TASK` for another
/// task and `-curl-field-K` for a field of its own (K as given: `10`, `-2.5`, `0`).
fn eval_dir_name(task: Option<&TaskConfig>, curl_field: Option<f64>) -> String {
    let mut name = String::from("eval");
    if let Some(t) = task {
        name += &format!("-{}", t.name());
    }
    if let Some(k) = curl_field {
        name += &format!("-curl-field-{k}");
    }
    name
}

/// The curl field strength (N·s/m) an evaluation ran under: `--curl-field`, else the run's.
fn trainer_curl(trainer: &AnyTrainer, curl_field: Option<f64>) -> f64 {
    curl_field.unwrap_or_else(|| trainer.config().env.curl_field.map_or(0.0, |c| c.strength))
}
