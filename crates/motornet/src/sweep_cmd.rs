//! `motornet sweep`, `motornet sweep-task` and `motornet collect`: parameter sweeps.
//!
//! A grid file is a run config (the format `motornet train --config` takes, TOML) plus a
//! `[grid]` table whose keys are config fields (dotted paths for nested ones:
//! `network.hidden`, `env.vision_delay`, `losses.0.weight`) and whose values are lists; the
//! runs are their Cartesian product (the first key varies slowest). Each grid point is the
//! base config's value tree with the paths set, parsed and validated as a [`TrainConfig`]
//! before anything is written, so that an unknown key or a wrong type is an error naming the key.
//!
//! The sweep directory:
//!
//! ```text
//! DIR/sweep.json                 the grid, the base config and the runs (index, name, values, dir)
//! DIR/sweep.sbatch               the Slurm job-array script (--slurm)
//! DIR/slurm-%A_%a.out            each array task's Slurm log
//! DIR/runs/NNNN-KEY=V-…/         one grid point:
//!     config.json                    its config (the input of `motornet train`)
//!     output.log                     what `motornet train` printed
//!     status.json                    `done` or `failed` (exit status, seconds, reason)
//!     train/                         the run directory of `motornet train` (log, checkpoint, plots, eval/)
//!     attempt-K/                     an earlier attempt's output.log, status.json and train/ (kept;
//!                                    a stopped run continues train/ from its checkpoint)
//! ```
//!
//! Every run is one `motornet train` process (this executable), so that a run that fails or
//! runs out of memory fails alone.

use crate::Result;
use motornet::train::{TrainConfig, TrainError};
use serde_json::{Map, Value};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The sweep's description, in the sweep directory.
pub(crate) const SWEEP_FILE: &str = "sweep.json";
/// The Slurm job-array script, in the sweep directory.
pub(crate) const SBATCH_FILE: &str = "sweep.sbatch";
const RUNS: &str = "runs";
const RUN_CONFIG: &str = "config.json";
const STATUS: &str = "status.json";
const OUTPUT: &str = "output.log";
const TRAIN: &str = "train";
const LOCK: &str = ".lock";

/// `motornet sweep`.
#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
    /// The grid file (TOML): a run config plus a [grid] table of lists (docs/training.md,
    /// Sweeps and Slurm).
    #[arg(required_unless_present = "resume", conflicts_with = "resume")]
    pub grid: Option<PathBuf>,
    /// The sweep directory to create (refused if it exists: a sweep never overwrites one).
    #[arg(long, required_unless_present = "resume", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Re-run the runs of the sweep in DIR that failed or did not finish (locally, or with
    /// --slurm as a job array of those runs only).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// With --resume: train the runs again from the start, each earlier attempt (its
    /// checkpoint too) kept in attempt-K/, instead of continuing stopped runs from their
    /// checkpoints.
    #[arg(long, conflicts_with = "dry_run")]
    pub from_scratch: bool,
    /// Runs at a time on this machine, each with (cores / N) threads [default: 1].
    #[arg(long, value_name = "N", conflicts_with = "slurm")]
    pub jobs: Option<usize>,
    /// Write the sweep directory only (and the Slurm script with --slurm); run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write DIR/sweep.sbatch, a Slurm job-array script (one array task per run), instead of
    /// running the runs here.
    #[arg(long)]
    pub slurm: bool,
    /// Submit the script with `sbatch` and print the job id.
    #[arg(long, requires = "slurm", conflicts_with = "dry_run")]
    pub submit: bool,
    /// Slurm: time limit of each run (`#SBATCH --time`, e.g. 02:00:00).
    #[arg(long, requires = "slurm")]
    pub time: Option<String>,
    /// Slurm: cores of each run (`#SBATCH --cpus-per-task`; each run uses that many threads).
    #[arg(long, requires = "slurm")]
    pub cpus_per_task: Option<usize>,
    /// Slurm: memory of each run (`#SBATCH --mem`, e.g. 4G).
    #[arg(long, requires = "slurm")]
    pub mem: Option<String>,
    /// Slurm: partition (`#SBATCH --partition`).
    #[arg(long, requires = "slurm")]
    pub partition: Option<String>,
    /// Slurm: account (`#SBATCH --account`).
    #[arg(long, requires = "slurm")]
    pub account: Option<String>,
}

fn io(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

// ---------------------------------------------------------------------------------------------
// Expansion.

/// One grid point.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    /// Its index (the Slurm array task id).
    pub index: usize,
    /// Its directory's name: the index and the values.
    pub name: String,
    /// Its value of each grid key, in the grid's order.
    pub values: Vec<Value>,
}

/// A grid: its keys and their values, and the points of the product.
#[derive(Debug)]
pub(crate) struct Grid {
    /// `(dotted key, values)`, in the file's order.
    pub axes: Vec<(String, Vec<Value>)>,
    /// The base config, written out in full.
    pub base: Value,
    /// The points and their configs.
    pub points: Vec<(Point, TrainConfig)>,
}

/// The reason of a config error, without the `config \`config\`:` prefix, nor the position in
/// the JSON text the sweep made (` at line 1 column 447`: not the user's file).
fn reason(e: TrainError) -> String {
    match e {
        TrainError::Config { field, reason } if field == "config" => {
            match reason.rfind(" at line ") {
                Some(at)
                    if reason[at + 9..]
                        .split(" column ")
                        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
                {
                    reason[..at].to_string()
                }
                _ => reason,
            }
        }
        e => e.to_string(),
    }
}

/// A value as it appears in a name or a CSV cell: strings bare, other values as JSON.
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Sets the dotted `path` (`network.hidden`, `losses.0.weight`) of `tree` to `value`: tables
/// missing on the way (or null) are created; a list is indexed by a number. The error says
/// which part of the path does not fit.
pub(crate) fn set_path(tree: &mut Value, path: &str, value: Value) -> Result<()> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("an empty part in the dotted path".into());
    }
    let mut node = tree;
    for (i, part) in parts.iter().enumerate() {
        let here = parts[..i].join(".");
        if node.is_null() {
            *node = Value::Object(Map::new());
        }
        node = match node {
            Value::Object(m) => m
                .entry(part.to_string())
                .or_insert(Value::Object(Map::new())),
            Value::Array(a) => {
                let len = a.len();
                let idx: usize = part.parse().map_err(|_| {
                    format!("`{here}` is a list: index it with a number (`{here}.0`)")
                })?;
                a.get_mut(idx)
                    .ok_or_else(|| format!("`{here}` has {len} entries, there is no `{idx}`"))?
            }
            other => {
                return Err(format!(
                    "`{here}` is {}, not a table",
                    match other {
                        Value::Bool(_) => "a boolean",
                        Value::Number(_) => "a number",
                        _ => "a string",
                    }
                ))
            }
        };
    }
    *node = value;
    Ok(())
}

/// The `(dotted key, values)` of a `[grid]` table (nested tables, as TOML's dotted keys make
/// them, are flattened); every value must be a non-empty list.
fn grid_axes(prefix: &str, table: &toml::Table, out: &mut Vec<(String, Vec<Value>)>) -> Result<()> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => grid_axes(&key, t, out)?,
            toml::Value::Array(a) => {
                if a.is_empty() {
                    return Err(format!("grid key `{key}`: the list of values is empty"));
                }
                let values = a
                    .iter()
                    .map(|x| serde_json::to_value(x).map_err(|e| format!("grid key `{key}`: {e}")))
                    .collect::<Result<Vec<_>>>()?;
                out.push((key, values));
            }
            other => {
                return Err(format!(
                    "grid key `{key}`: the values must be a list (e.g. `{key} = [{other}]`), \
                     got a single {}",
                    other.type_str()
                ))
            }
        }
    }
    Ok(())
}

/// Reads a grid file and expands it: every point's config parsed and validated (nothing is
/// written).
pub(crate) fn expand(path: &Path) -> Result<Grid> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| io(path, e))?;
    let grid = match table.remove("grid") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(io(path, "`grid` must be a table ([grid])")),
        None => {
            return Err(io(
                path,
                "no [grid] table: a sweep file is a run config plus a [grid] table of lists \
                 (e.g. [grid] lr = [1e-3, 3e-3])",
            ))
        }
    };
    let mut axes = vec![];
    grid_axes("", &grid, &mut axes).map_err(|e| io(path, e))?;
    if axes.is_empty() {
        return Err(io(path, "the [grid] table is empty"));
    }
    // the base config, parsed as `train --config` would, then written out in full so that
    // any field can be set
    let base_text = toml::to_string(&table).map_err(|e| io(path, e))?;
    let base = TrainConfig::from_toml(&base_text).map_err(|e| io(path, reason(e)))?;
    let base = serde_json::to_value(&base).map_err(|e| io(path, e))?;
    // each key with each of its values alone: an unknown key or a wrong type names the key
    for (key, values) in &axes {
        for v in values {
            let mut tree = base.clone();
            set_path(&mut tree, key, v.clone())
                .and_then(|()| TrainConfig::from_json(&tree.to_string()).map_err(reason))
                .map_err(|e| io(path, format!("grid key `{key}` = {v}: {e}")))?;
        }
    }
    let n: usize = axes.iter().map(|(_, v)| v.len()).product();
    if n > 100_000 {
        return Err(io(path, format!("the grid has {n} points; at most 100000")));
    }
    let width = (n.saturating_sub(1)).to_string().len().max(4);
    let mut points = Vec::with_capacity(n);
    for index in 0..n {
        // the last key varies fastest
        let mut rest = index;
        let mut values = vec![Value::Null; axes.len()];
        for (a, (_, vs)) in axes.iter().enumerate().rev() {
            values[a] = vs[rest % vs.len()].clone();
            rest /= vs.len();
        }
        let mut tree = base.clone();
        for ((key, _), v) in axes.iter().zip(&values) {
            set_path(&mut tree, key, v.clone()).map_err(|e| io(path, e))?;
        }
        let label = label(&axes, &values);
        let config = TrainConfig::from_json(&tree.to_string())
            .map_err(reason)
            .and_then(|c| check_config(&c).map(|()| c))
            .map_err(|e| io(path, format!("grid point {index} ({label}): {e}")))?;
        let name = format!("{index:0width$}-{}", dir_safe(&label));
        points.push((
            Point {
                index,
                name,
                values,
            },
            config,
        ));
    }
    Ok(Grid { axes, base, points })
}

/// What `motornet train` checks of a config before it starts.
fn check_config(c: &TrainConfig) -> Result<()> {
    c.validate().map_err(|e| e.to_string())?;
    if c.batches == 0 {
        return Err("config `batches`: must be at least 1".into());
    }
    c.effector.resolve().map_err(|e| e.to_string())?;
    Ok(())
}

/// `key=value-key=value`.
fn label(axes: &[(String, Vec<Value>)], values: &[Value]) -> String {
    (axes.iter().zip(values))
        .map(|((k, _), v)| format!("{k}={}", show(v)))
        .collect::<Vec<_>>()
        .join("-")
}

/// `s` with every character but letters, digits and `._=+-` replaced by `_`, at most 100 long.
fn dir_safe(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._=+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(100);
    out
}

// ---------------------------------------------------------------------------------------------
// The sweep directory.

/// A sweep directory as `sweep.json` describes it.
pub(crate) struct SweepDir {
    /// The directory.
    pub dir: PathBuf,
    /// The grid keys, in order.
    pub keys: Vec<String>,
    /// The runs.
    pub runs: Vec<Point>,
}

impl SweepDir {
    /// Reads `dir/sweep.json`.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(SWEEP_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            io(
                &path,
                format!("{e} (is {} a sweep directory?)", dir.display()),
            )
        })?;
        let bad = |what: &str| io(&path, format!("not a sweep file: {what}"));
        let v: Value = serde_json::from_str(&text).map_err(|e| io(&path, e))?;
        let keys: Vec<String> = (v["grid"].as_array())
            .ok_or_else(|| bad("no `grid` list"))?
            .iter()
            .map(|a| a["key"].as_str().map(String::from))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("a grid entry without `key`"))?;
        let runs = (v["runs"].as_array())
            .ok_or_else(|| bad("no `runs` list"))?
            .iter()
            .map(|r| {
                Some(Point {
                    index: r["index"].as_u64()? as usize,
                    name: r["name"].as_str()?.to_string(),
                    values: keys.iter().map(|k| r["values"][k].clone()).collect(),
                })
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a run without `index` or `name`"))?;
        if runs.iter().enumerate().any(|(i, r)| r.index != i) {
            return Err(bad("the runs are not numbered 0, 1, …"));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            keys,
            runs,
        })
    }

    /// The directory of run `i`.
    pub fn run_dir(&self, i: usize) -> PathBuf {
        self.dir.join(RUNS).join(&self.runs[i].name)
    }

    /// The status of run `i`: `done`, `failed` or `missing` (not run, or not finished).
    pub fn status(&self, i: usize) -> &'static str {
        let text = std::fs::read_to_string(self.run_dir(i).join(STATUS)).unwrap_or_default();
        match serde_json::from_str::<Value>(&text)
            .ok()
            .as_ref()
            .map(|v| v["status"].as_str())
        {
            Some(Some("done")) => "done",
            Some(Some("failed")) => "failed",
            _ => "missing",
        }
    }
}

/// Writes a new sweep directory `out` for `grid` (refused if `out` exists): built under a
/// temporary name beside it and renamed into place, so that `out` appears complete or not
/// at all.
fn create(out: &Path, grid: &Grid) -> Result<()> {
    if out.exists() {
        return Err(format!(
            "{} already exists: a sweep never replaces one; choose a new --out, or re-run \
             the runs of this one that failed or did not finish with `motornet sweep --resume {}`",
            out.display(),
            out.display()
        ));
    }
    let name = out
        .file_name()
        .ok_or_else(|| format!("--out {}: not a directory name", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> Result<()> {
        std::fs::create_dir(&tmp).map_err(|e| io(&tmp, e))?;
        let mut runs = vec![];
        for (p, config) in &grid.points {
            let dir = tmp.join(RUNS).join(&p.name);
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
            let text = serde_json::to_string_pretty(config).map_err(|e| e.to_string())?;
            std::fs::write(dir.join(RUN_CONFIG), text + "\n").map_err(|e| io(&dir, e))?;
            let values: Map<String, Value> = (grid.axes.iter().zip(&p.values))
                .map(|((k, _), v)| (k.clone(), v.clone()))
                .collect();
            runs.push(serde_json::json!({
                "index": p.index,
                "name": p.name,
                "dir": format!("{RUNS}/{}", p.name),
                "values": values,
            }));
        }
        let json = serde_json::json!({
            "format": "motornet-sweep-1",
            "grid": grid.axes.iter().map(|(k, v)| serde_json::json!({"key": k, "values": v}))
                .collect::<Vec<_>>(),
            "base": grid.base,
            "runs": runs,
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        std::fs::write(tmp.join(SWEEP_FILE), text + "\n").map_err(|e| io(&tmp, e))
    })();
    let renamed = written.and_then(|()| {
        if out.exists() {
            return Err(format!(
                "{} appeared while the sweep was written",
                out.display()
            ));
        }
        std::fs::rename(&tmp, out).map_err(|e| io(out, e))
    });
    if renamed.is_err() {
        // only our own temporary directory
        let _ = std::fs::remove_dir_all(&tmp);
    }
    renamed
}

// ---------------------------------------------------------------------------------------------
// Running.

/// A run being trained: its `motornet train` process, and the lock on its directory.
struct Running {
    index: usize,
    child: Child,
    _lock: File,
    start: Instant,
}

/// Locks run directory `dir` (its `.lock` file) for as long as the returned file is open; an
/// error if another process holds it.
fn lock_run(dir: &Path) -> Result<File> {
    let lock_path = dir.join(LOCK);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io(&lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(io(dir, "is being run by another motornet process"))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(&lock_path, e)),
    }
}

/// Moves the files of run directory `dir`'s earlier attempt that `files` names (those that
/// exist) into a new `dir/attempt-K/`; nothing when none exists.
fn move_aside(dir: &Path, files: &[&str]) -> Result<()> {
    let earlier: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| dir.join(f).exists())
        .collect();
    if earlier.is_empty() {
        return Ok(());
    }
    let attempt = (1..)
        .map(|k| dir.join(format!("attempt-{k}")))
        .find(|p| !p.exists())
        .expect("an unused name");
    std::fs::create_dir(&attempt).map_err(|e| io(&attempt, e))?;
    for f in earlier {
        std::fs::rename(dir.join(f), attempt.join(f)).map_err(|e| io(&dir.join(f), e))?;
    }
    Ok(())
}

/// Whether run directory `dir`'s `train/` can be continued from its checkpoint: it has one,
/// and fewer than `batches` batches logged (the run was stopped: a time limit, Ctrl-C, a lost
/// node; checkpoints are written every `checkpoint_every` batches and when a run is stopped).
fn resumable(dir: &Path, batches: usize) -> bool {
    let train = dir.join(TRAIN);
    train
        .join(motornet::train::files::CHECKPOINT_FILE)
        .is_file()
        && rows(&train.join(motornet::train::files::LOG_FILE)) < batches
}

/// Locks run `i`'s directory (an error if another process holds it) and starts
/// `motornet train` with `threads` threads (the config's own when `None`), its output to
/// `output.log`: continuing `train/` from its checkpoint when the earlier attempt stopped
/// part-way ([`resumable`]; its `output.log` and `status.json` kept in `attempt-K/`), else
/// on the run's config from the start (the whole earlier attempt kept in `attempt-K/`).
/// Returns the process and whether it resumes.
fn start_run(sweep: &SweepDir, i: usize, threads: Option<usize>) -> Result<(Running, bool)> {
    let dir = sweep.run_dir(i);
    let lock = lock_run(&dir)?;
    let config_path = dir.join(RUN_CONFIG);
    let batches = TrainConfig::from_file(&config_path)
        .map_err(|e| io(&config_path, reason(e)))?
        .batches;
    let resume = resumable(&dir, batches);
    if resume {
        move_aside(&dir, &[OUTPUT, STATUS])?;
    } else {
        move_aside(&dir, &[TRAIN, OUTPUT, STATUS])?;
    }
    let output_path = dir.join(OUTPUT);
    let output = File::create(&output_path).map_err(|e| io(&output_path, e))?;
    let exe = std::env::current_exe().map_err(|e| format!("the motornet executable: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("train").arg("--quiet");
    if resume {
        cmd.arg("--resume")
            .arg("--batches")
            .arg(batches.to_string());
    } else {
        cmd.arg("--config").arg(&config_path);
    }
    cmd.arg("--out").arg(dir.join(TRAIN));
    if let Some(t) = threads {
        cmd.arg("--threads").arg(t.to_string());
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(output.try_clone().map_err(|e| io(&output_path, e))?)
        .stderr(output)
        .spawn()
        .map_err(|e| format!("cannot start motornet train: {e}"))?;
    Ok((
        Running {
            index: i,
            child,
            _lock: lock,
            start: Instant::now(),
        },
        resume,
    ))
}

/// Number of data rows of a CSV file (0 if it cannot be read).
fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().skip(1).count())
}

/// Records how run `i` ended in its `status.json`: `done` if `motornet train` exited 0 with
/// every batch logged, else `failed` with the reason (the last line of its output). Returns
/// `None` if done, else the reason.
fn finish_run(sweep: &SweepDir, i: usize, status: ExitStatus, seconds: f64) -> Option<String> {
    let dir = sweep.run_dir(i);
    let batches = TrainConfig::from_file(&dir.join(RUN_CONFIG)).map_or(0, |c| c.batches);
    let logged = rows(&dir.join(TRAIN).join(motornet::train::files::LOG_FILE));
    let failure = if !status.success() {
        let output = std::fs::read_to_string(dir.join(OUTPUT)).unwrap_or_default();
        let last = output.lines().rev().find(|l| !l.trim().is_empty());
        Some(format!(
            "motornet train exited with {status}{}",
            last.map_or(String::new(), |l| format!(": {}", l.trim()))
        ))
    } else if logged < batches {
        Some(format!(
            "stopped after {logged} of {batches} batches (interrupted?)"
        ))
    } else {
        None
    };
    let json = serde_json::json!({
        "status": if failure.is_none() { "done" } else { "failed" },
        "exit_code": status.code(),
        "seconds": seconds,
        "batches": logged,
        "reason": failure,
    });
    let path = dir.join(STATUS);
    if let Err(e) = motornet::train::write_atomic(&path, (json.to_string() + "\n").as_bytes()) {
        eprintln!("warning: {}: {e}", path.display());
    }
    failure
}

/// Runs `todo` (run indices) here, `jobs` at a time, each with cores / `jobs` threads;
/// prints progress, and at the end the failed runs (an error if there are any).
fn run_local(sweep: &SweepDir, todo: &[usize], jobs: usize) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores / jobs).clamp(1, motornet::train::MAX_THREADS);
    let stop = Arc::new(AtomicBool::new(false));
    {
        let flag = stop.clone();
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    }
    eprintln!(
        "sweep: {} runs to train in {}, {jobs} at a time, {threads} threads each",
        todo.len(),
        sweep.dir.display()
    );
    let start = Instant::now();
    let mut pending = todo
        .iter()
        .copied()
        .collect::<std::collections::VecDeque<_>>();
    let mut running: Vec<Running> = vec![];
    let (mut finished, mut failed) = (0usize, Vec::<(String, String)>::new());
    let n = todo.len();
    while !pending.is_empty() || !running.is_empty() {
        while running.len() < jobs && !stop.load(Ordering::SeqCst) {
            let Some(i) = pending.pop_front() else { break };
            match start_run(sweep, i, Some(threads)) {
                Ok((r, resumed)) => {
                    eprintln!(
                        "sweep: started {}{}",
                        sweep.runs[i].name,
                        if resumed {
                            " (resuming from its checkpoint)"
                        } else {
                            ""
                        }
                    );
                    running.push(r);
                }
                Err(e) => {
                    finished += 1;
                    eprintln!("sweep: [{finished}/{n}] FAILED {}: {e}", sweep.runs[i].name);
                    failed.push((sweep.runs[i].name.clone(), e));
                }
            }
        }
        if stop.load(Ordering::SeqCst) {
            pending.clear();
        }
        let mut k = 0;
        while k < running.len() {
            match running[k].child.try_wait() {
                Ok(Some(status)) => {
                    let r = running.swap_remove(k);
                    let seconds = r.start.elapsed().as_secs_f64();
                    finished += 1;
                    let name = &sweep.runs[r.index].name;
                    match finish_run(sweep, r.index, status, seconds) {
                        None => eprintln!("sweep: [{finished}/{n}] done {name} ({seconds:.1} s)"),
                        Some(why) => {
                            eprintln!("sweep: [{finished}/{n}] FAILED {name}: {why}");
                            failed.push((name.clone(), why));
                        }
                    }
                }
                Ok(None) => k += 1,
                Err(e) => {
                    return Err(format!(
                        "waiting for {}: {e}",
                        sweep.runs[running[k].index].name
                    ))
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let not_run = n - finished;
    eprintln!(
        "sweep: dir={} runs={n} done={} failed={} not_run={not_run} seconds={:.1}",
        sweep.dir.display(),
        finished - failed.len(),
        failed.len(),
        start.elapsed().as_secs_f64()
    );
    if failed.is_empty() && not_run == 0 {
        return Ok(());
    }
    for (name, why) in &failed {
        eprintln!("  failed: {name}: {why}");
    }
    Err(format!(
        "{} of {n} runs failed{}; their output is in {}/runs/NAME/output.log; re-run them with \
         `motornet sweep --resume {}`",
        failed.len(),
        if not_run > 0 {
            format!(" and {not_run} were not run (stopped)")
        } else {
            String::new()
        },
        sweep.dir.display(),
        sweep.dir.display()
    ))
}

// ---------------------------------------------------------------------------------------------
// Slurm.

/// `s` quoted for the shell.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The resource directives the flags ask for, as `(option, value)`.
fn resources(a: &SweepArgs) -> Vec<(&'static str, String)> {
    let mut r = vec![];
    if let Some(t) = &a.time {
        r.push(("time", t.clone()));
    }
    if let Some(c) = a.cpus_per_task {
        r.push(("cpus-per-task", c.to_string()));
    }
    if let Some(m) = &a.mem {
        r.push(("mem", m.clone()));
    }
    if let Some(p) = &a.partition {
        r.push(("partition", p.clone()));
    }
    if let Some(acc) = &a.account {
        r.push(("account", acc.clone()));
    }
    r
}

/// Writes `DIR/sweep.sbatch`: one array task per run, each `motornet sweep-task DIR ID`.
fn write_sbatch(sweep: &SweepDir, a: &SweepArgs) -> Result<PathBuf> {
    let dir = sweep.dir.canonicalize().map_err(|e| io(&sweep.dir, e))?;
    let d = dir.to_string_lossy();
    if d.chars().any(char::is_whitespace) {
        return Err(format!(
            "{d}: #SBATCH lines cannot name a directory with spaces; choose another --out"
        ));
    }
    let exe = std::env::current_exe().map_err(|e| format!("the motornet executable: {e}"))?;
    let n = sweep.runs.len();
    let name = dir_safe(
        &dir.file_name()
            .map_or("sweep".into(), |f| f.to_string_lossy()),
    );
    let mut s = format!(
        "#!/bin/bash\n\
         # motornet sweep: {n} runs, one Slurm array task each (written by `motornet sweep --slurm`).\n\
         # Submit:                sbatch {d}/{SBATCH_FILE}\n\
         # Re-run run 3 alone:    sbatch --array=3 {d}/{SBATCH_FILE}\n\
         # Re-run every run that failed or did not finish: motornet sweep --resume {d} --slurm --submit\n\
         # Results:               motornet collect {d}\n\
         #SBATCH --job-name=motornet-{name}\n\
         #SBATCH --array=0-{}\n\
         #SBATCH --output={d}/slurm-%A_%a.out\n",
        n - 1
    );
    for (k, v) in resources(a) {
        s += &format!("#SBATCH --{k}={v}\n");
    }
    s += &format!(
        "set -eu\nexec {} sweep-task {} \"$SLURM_ARRAY_TASK_ID\"\n",
        sh_quote(&exe.to_string_lossy()),
        sh_quote(&d)
    );
    let path = sweep.dir.join(SBATCH_FILE);
    motornet::train::write_atomic(&path, s.as_bytes()).map_err(|e| e.to_string())?;
    Ok(path)
}

/// `0-3` for all of `0..n`, else `1,3,5`.
fn array_spec(todo: &[usize], n: usize) -> String {
    if todo.len() == n && n > 0 {
        format!("0-{}", n - 1)
    } else {
        todo.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Submits `script` with `extra` options; returns the job id.
fn submit(sweep: &SweepDir, script: &Path, extra: &[String]) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(extra)
        .arg(script)
        .output()
        .map_err(|e| {
            format!(
                "cannot run sbatch ({e}): is Slurm installed here? The script is {}",
                script.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "sbatch failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    // a record of the jobs of this sweep
    use std::io::Write as _;
    let log = sweep.dir.join("slurm-jobs.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
    {
        let _ = writeln!(f, "{id} {}", extra.join(" "));
    }
    Ok(id)
}

/// The Slurm side of `motornet sweep` (--slurm): writes the script (a new sweep, or a
/// resumed one without it) and submits it (--submit) for `todo`.
fn slurm(sweep: &SweepDir, a: &SweepArgs, todo: &[usize], fresh: bool) -> Result<()> {
    let script = sweep.dir.join(SBATCH_FILE);
    let mut extra = vec![];
    if fresh || !script.exists() {
        let p = write_sbatch(sweep, a)?;
        eprintln!(
            "sweep: wrote {} ({} array tasks)",
            p.display(),
            sweep.runs.len()
        );
    } else {
        // the script keeps its resources; flags given now override them
        extra.extend(resources(a).into_iter().map(|(k, v)| format!("--{k}={v}")));
    }
    if todo.is_empty() {
        eprintln!("sweep: every run is done; nothing to submit");
        return Ok(());
    }
    if todo.len() != sweep.runs.len() {
        extra.insert(0, format!("--array={}", array_spec(todo, sweep.runs.len())));
    }
    let command = format!(
        "sbatch {}{}",
        extra.iter().map(|e| format!("{e} ")).collect::<String>(),
        script.display()
    );
    if !a.submit {
        eprintln!("sweep: submit with `{command}`");
        return Ok(());
    }
    let id = submit(sweep, &script, &extra)?;
    crate::write_stdout(&format!("{id}\n"))?;
    eprintln!(
        "sweep: submitted job {id} ({} array tasks: {command}); logs in {}/slurm-{id}_ID.out; \
         when it is done, `motornet collect {}`; re-run one run alone with \
         `sbatch --array=ID {}`",
        todo.len(),
        sweep.dir.display(),
        sweep.dir.display(),
        script.display()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The commands.

/// `motornet sweep`.
pub(crate) fn sweep(a: SweepArgs) -> Result<()> {
    let jobs = a.jobs.unwrap_or(1);
    if jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if a.from_scratch && a.resume.is_none() {
        return Err(
            "--from-scratch re-runs the runs of an existing sweep: give it with \
                    --resume DIR"
                .into(),
        );
    }
    if a.cpus_per_task == Some(0) {
        return Err("--cpus-per-task must be at least 1".into());
    }
    let (sweep, fresh) = match (&a.grid, &a.out, &a.resume) {
        (Some(grid), Some(out), None) => {
            let g = expand(grid)?;
            create(out, &g)?;
            eprintln!(
                "sweep: wrote {} ({} runs: {})",
                out.join(SWEEP_FILE).display(),
                g.points.len(),
                (g.axes.iter())
                    .map(|(k, v)| format!("{k} × {}", v.len()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            (SweepDir::open(out)?, true)
        }
        (None, None, Some(dir)) => (SweepDir::open(dir)?, false),
        _ => return Err("give GRID --out DIR, or --resume DIR".into()),
    };
    let todo: Vec<usize> = (0..sweep.runs.len())
        .filter(|&i| fresh || sweep.status(i) != "done")
        .collect();
    if a.from_scratch {
        for &i in &todo {
            let dir = sweep.run_dir(i);
            let _lock = lock_run(&dir)?;
            move_aside(&dir, &[TRAIN, OUTPUT, STATUS])?;
        }
    }
    if a.slurm {
        return if a.dry_run {
            write_sbatch(&sweep, &a).map(|p| eprintln!("sweep: wrote {}", p.display()))
        } else {
            slurm(&sweep, &a, &todo, fresh)
        };
    }
    if a.dry_run {
        eprintln!(
            "sweep: nothing run (--dry-run); run with `motornet sweep --resume {}`",
            sweep.dir.display()
        );
        return Ok(());
    }
    if todo.is_empty() {
        eprintln!("sweep: every run of {} is done", sweep.dir.display());
        return Ok(());
    }
    run_local(&sweep, &todo, jobs)
}

/// `motornet sweep-task DIR ID`: trains run ID of the sweep in DIR (what each Slurm array task
/// runs), with `$SLURM_CPUS_PER_TASK` threads when set; a run already done is left alone.
pub(crate) fn sweep_task(dir: &Path, index: usize) -> Result<()> {
    let sweep = SweepDir::open(dir)?;
    let n = sweep.runs.len();
    if index >= n {
        return Err(format!(
            "the sweep in {} has {n} runs (0 to {}), no run {index}",
            dir.display(),
            n.saturating_sub(1)
        ));
    }
    let name = &sweep.runs[index].name;
    if sweep.status(index) == "done" {
        eprintln!("sweep-task: {name} is done already; nothing to do");
        return Ok(());
    }
    let threads = std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .map(|t| t.clamp(1, motornet::train::MAX_THREADS));
    let (mut r, resumed) = start_run(&sweep, index, threads)?;
    eprintln!(
        "sweep-task: training {name}{}",
        if resumed {
            " (resuming from its checkpoint)"
        } else {
            ""
        }
    );
    let status = r
        .child
        .wait()
        .map_err(|e| format!("waiting for {name}: {e}"))?;
    let seconds = r.start.elapsed().as_secs_f64();
    match finish_run(&sweep, index, status, seconds) {
        None => {
            eprintln!("sweep-task: done {name} ({seconds:.1} s)");
            Ok(())
        }
        Some(why) => Err(format!(
            "{name} failed: {why} (output: {})",
            sweep.run_dir(index).join(OUTPUT).display()
        )),
    }
}

/// The evaluation metrics `collect` reports, in the keys of `eval`'s `trajectories.json`.
const METRICS: [&str; 6] = [
    "mean_final_error_m",
    "mean_path_length_ratio",
    "mean_peak_speed_m_per_s",
    "mean_signed_lateral_deviation_m",
    "mean_movement_time_s",
    "mean_reaction_time_s",
];

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number's cell: empty when not finite.
fn num_cell(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or(String::new(), |v| format!("{v}"))
}

/// `motornet collect DIR`: one CSV row per run to stdout, and the final loss per condition
/// (mean ± sd over seeds) as DIR/collect.png and .svg.
pub(crate) fn collect(dir: &Path) -> Result<()> {
    let sweep = SweepDir::open(dir)?;
    let mut csv = String::from("run");
    for k in &sweep.keys {
        csv += &format!(",{}", csv_cell(k));
    }
    csv += ",status,batches,final_loss,eval_loss";
    for m in METRICS {
        csv += &format!(",{m}");
    }
    csv += "\n";
    // (condition: the values of every key but `seed`) → final losses of its done runs
    let mut conditions: Vec<(String, Vec<f64>)> = vec![];
    let (mut done, mut failed, mut missing) = (0, 0, 0);
    for (i, run) in sweep.runs.iter().enumerate() {
        let status = sweep.status(i);
        let train = sweep.run_dir(i).join(TRAIN);
        let mut cells: Vec<String> = vec![csv_cell(&run.name)];
        cells.extend(run.values.iter().map(|v| csv_cell(&show(v))));
        cells.push(status.to_string());
        let mut numbers = vec![String::new(); 3 + METRICS.len()];
        match status {
            "done" => {
                done += 1;
                let losses = read_losses(&train.join(motornet::train::files::LOG_FILE));
                let final_loss = crate::train_cmd::final_loss(&losses);
                numbers[0] = losses.len().to_string();
                numbers[1] = num_cell(Some(final_loss));
                match metrics(&train) {
                    Ok(m) => {
                        numbers[2] = num_cell(m["loss"].as_f64());
                        for (k, name) in METRICS.iter().enumerate() {
                            numbers[3 + k] = num_cell(m[*name].as_f64());
                        }
                    }
                    Err(e) => eprintln!("warning: {}: evaluation: {e}", run.name),
                }
                let condition = (sweep.keys.iter().zip(&run.values))
                    .filter(|(k, _)| k.as_str() != "seed")
                    .map(|(k, v)| format!("{k}={}", show(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                match conditions.iter_mut().find(|(c, _)| *c == condition) {
                    Some((_, v)) => v.push(final_loss),
                    None => conditions.push((condition, vec![final_loss])),
                }
            }
            "failed" => failed += 1,
            _ => missing += 1,
        }
        cells.extend(numbers);
        csv += &cells.join(",");
        csv += "\n";
    }
    crate::write_stdout(&csv)?;
    eprintln!(
        "collect: dir={} runs={} done={done} failed={failed} missing={missing}",
        dir.display(),
        sweep.runs.len()
    );
    match plot_conditions(dir, &conditions) {
        Ok(files) => files
            .iter()
            .for_each(|f| eprintln!("wrote {}", f.display())),
        Err(e) => eprintln!("warning: plot not written: {e}"),
    }
    Ok(())
}

/// The `loss` column of a `log.csv`.
fn read_losses(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path).map_or(vec![], |t| {
        t.lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1)?.parse().ok())
            .collect()
    })
}

/// The evaluation of the run in `train` (`motornet eval`'s `eval/trajectories.json`), made
/// first if the run has none.
fn metrics(train: &Path) -> Result<Value> {
    let path = train.join("eval").join("trajectories.json");
    if !path.is_file() {
        crate::train_cmd::evaluate(train, None, None)?;
    }
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| io(&path, e))
}

/// Mean and sample standard deviation (0 for one value).
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Plots each condition's final losses (dots, one per run) and their mean ± sd (bar) as
/// `dir/collect.png` and `.svg`: one row per condition, labelled with its values.
fn plot_conditions(dir: &Path, conditions: &[(String, Vec<f64>)]) -> Result<Vec<PathBuf>> {
    use motornet::plot::plotters::prelude::*;
    use motornet::plot::style;
    let finite: Vec<(&str, Vec<f64>)> = (conditions.iter())
        .map(|(c, v)| {
            let label = if c.is_empty() { "all runs" } else { c.as_str() };
            (
                label,
                v.iter()
                    .copied()
                    .filter(|x| x.is_finite())
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if finite.is_empty() {
        return Err("no finished run with a finite final loss".into());
    }
    style::register_font().map_err(|e| e.to_string())?;
    let all = finite.iter().flat_map(|(_, v)| v.iter().copied());
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.05).max(1e-9);
    let (lo, hi) = (lo - pad, hi + pad);
    let n = finite.len();
    let longest = finite
        .iter()
        .map(|(c, _)| c.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = ((longest as u32 + 8) * 9 + 20).clamp(80, 600);
    let size = (600 + label_width, 140 + 44 * n as u32);
    let mut files = vec![];
    let png = dir.join("collect.png");
    let svg = dir.join("collect.svg");
    macro_rules! figure {
        ($root:expr, $path:expr) => {{
            let root = $root.into_drawing_area();
            let e = |e: &dyn std::fmt::Display| io($path, e);
            root.fill(&WHITE).map_err(|x| e(&x))?;
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    "Final loss per condition (mean ± sd over seeds; dots: runs)",
                    style::text_style(style::TITLE_SIZE * 0.8),
                )
                .margin(20)
                .x_label_area_size(55)
                .y_label_area_size(label_width)
                .build_cartesian_2d(lo..hi, -0.5..(n as f64 - 0.5))
                .map_err(|x| e(&x))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_desc("final loss (mean of the last 250 batches)")
                .x_label_style(style::text_style(style::LABEL_SIZE * 0.8))
                .axis_desc_style(style::text_style(style::LABEL_SIZE * 0.8))
                .draw()
                .map_err(|x| e(&x))?;
            for (i, (label, v)) in finite.iter().enumerate() {
                // the first condition on top
                let y = (n - 1 - i) as f64;
                let c = style::color(i);
                let (mean, sd) = mean_sd(v);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(mean - sd, y), (mean + sd, y)],
                        c.stroke_width(3),
                    )))
                    .map_err(|x| e(&x))?;
                chart
                    .draw_series(std::iter::once(Circle::new((mean, y), 7, c.filled())))
                    .map_err(|x| e(&x))?;
                chart
                    .draw_series(v.iter().enumerate().map(|(k, x)| {
                        let jitter = 0.18 * ((k % 5) as f64 - 2.0) / 2.0;
                        Circle::new((*x, y + 0.25 + 0.1 * jitter), 3, BLACK.filled())
                    }))
                    .map_err(|x| e(&x))?;
                let (px, py) = chart.backend_coord(&(lo, y));
                root.draw(&Text::new(
                    format!("{label} (n={})", v.len()),
                    (px - 8, py),
                    style::text_style(style::LABEL_SIZE * 0.75).pos(
                        motornet::plot::plotters::style::text_anchor::Pos::new(
                            motornet::plot::plotters::style::text_anchor::HPos::Right,
                            motornet::plot::plotters::style::text_anchor::VPos::Center,
                        ),
                    ),
                ))
                .map_err(|x| e(&x))?;
            }
            root.present().map_err(|x| e(&x))?;
        }};
    }
    figure!(BitMapBackend::new(&png, size), &png);
    files.push(png.clone());
    figure!(SVGBackend::new(&svg, size), &svg);
    files.push(svg.clone());
    Ok(files)
}
