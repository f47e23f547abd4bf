//! The bad-input and fault audit of issue 14, re-run against the release `motornet` program.
//!
//! ```text
//! cargo run --release -p motornet --example audit -- [--quick] [--write docs/reliability.md]
//! ```
//!
//! It first builds the program (`cargo build --release -p motornet --bin motornet`, a no-op
//! when it is up to date; `--no-build` skips it, `--bin PATH` audits another binary), then
//! runs every variant of the audit's 12 families (docs/reliability.md) as a child process in
//! a temporary directory of its own, with a time limit, and classifies what happened:
//!
//! - `ok`: the expected success;
//! - `ok-error`: the expected failure, with a clear message (it starts with `error:`, stays
//!   under [`MAX_MESSAGE`] characters and names the flag, field or file the variant expects);
//! - `abort`: killed by a signal (SIGABRT after a failed allocation, SIGSEGV, ...);
//! - `panic`: exit status 101 or `panicked at` on standard error;
//! - `hang`: still running at the time limit (then killed);
//! - `lost-file`: a file the variant must keep (a run, a previous `simulate -o` output, a
//!   user's file) was changed or removed;
//! - `wrong`: anything else that is not what was promised: exit status 0 where an error was
//!   expected, a flag ignored, an unclear message, a log with duplicated rows, a failed check.
//!
//! It prints one line per variant and a summary per family, and with `--write FILE` rewrites
//! the table between `<!-- audit-table:start -->` and `<!-- audit-table:end -->` in FILE. It
//! exits with status 1 if any variant is `abort`, `panic`, `hang`, `lost-file` or `wrong`.
//!
//! Options: `--quick` (fewer timing repetitions and sizes: under a minute), `--jobs N`
//! (variants run at once, default 2; those that time signals run alone), `--timeout S`
//! (seconds per child process, default 60), `--family N` (only that family; repeatable),
//! `--keep` (keep the temporary directories), `--bin PATH`, `--no-build`.

use motornet::train::Checkpoint;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest error message (standard error, clap's usage hint left out) counted as clear.
const MAX_MESSAGE: usize = 500;
/// u64::MAX (and usize::MAX here), as a command-line value.
const MAX: &str = "18446744073709551615";
/// The markers around the generated table.
const TABLE_START: &str = "<!-- audit-table:start -->";
const TABLE_END: &str = "<!-- audit-table:end -->";

// ---------------------------------------------------------------------------------------------
// Outcomes

/// What a variant did.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
    Ok,
    OkError,
    Abort,
    Panic,
    Hang,
    LostFile,
    Wrong,
}

impl Class {
    const ALL: [Class; 7] = [
        Class::Ok,
        Class::OkError,
        Class::Abort,
        Class::Panic,
        Class::Hang,
        Class::LostFile,
        Class::Wrong,
    ];

    fn name(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::OkError => "ok-error",
            Class::Abort => "abort",
            Class::Panic => "panic",
            Class::Hang => "hang",
            Class::LostFile => "lost-file",
            Class::Wrong => "wrong",
        }
    }

    fn failed(self) -> bool {
        !matches!(self, Class::Ok | Class::OkError)
    }
}

/// A variant's outcome and a short explanation.
struct Verdict {
    class: Class,
    detail: String,
}

fn verdict(class: Class, detail: impl Into<String>) -> Verdict {
    Verdict {
        class,
        detail: detail.into(),
    }
}

/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Code(i32),
    Signal(i32),
    Timeout,
}

/// A finished child process.
struct Out {
    status: Status,
    stdout: String,
    stderr: String,
    secs: f64,
}

impl Out {
    fn success(&self) -> bool {
        self.status == Status::Code(0)
    }
}

/// The first `n` characters of `s` (on one line).
fn clip(s: &str, n: usize) -> String {
    let one: String = s.replace('\n', " | ");
    if one.chars().count() <= n {
        one
    } else {
        one.chars().take(n).collect::<String>() + "…"
    }
}

/// An abort, a panic or a hang, if `o` is one.
fn crash(o: &Out) -> Option<Verdict> {
    match o.status {
        Status::Timeout => Some(verdict(
            Class::Hang,
            format!("still running after {:.0} s; killed", o.secs),
        )),
        Status::Signal(s) => Some(verdict(
            Class::Abort,
            format!("killed by signal {s}: {}", clip(&o.stderr, 160)),
        )),
        _ if o.status == Status::Code(101) || o.stderr.contains("panicked at") => Some(verdict(
            Class::Panic,
            clip(
                o.stderr
                    .lines()
                    .find(|l| l.contains("panicked"))
                    .unwrap_or(&o.stderr),
                200,
            ),
        )),
        _ if o.stderr.contains("memory allocation of") => {
            Some(verdict(Class::Abort, clip(&o.stderr, 200)))
        }
        _ => None,
    }
}

/// Standard error without clap's usage and `--help` hint.
fn message(o: &Out) -> String {
    o.stderr
        .lines()
        .filter(|l| {
            !l.trim().is_empty()
                && !l.starts_with("Usage:")
                && !l.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An error that is clear (starts with `error:`, short) and names one of `needles`.
fn expect_error(o: &Out, needles: &[&str]) -> Verdict {
    expect_error_without(o, needles, &[])
}

/// [`expect_error`], and the message holds none of `forbidden`.
fn expect_error_without(o: &Out, needles: &[&str], forbidden: &[&str]) -> Verdict {
    if let Some(v) = crash(o) {
        return v;
    }
    if o.success() {
        return verdict(
            Class::Wrong,
            format!("exit 0 where an error naming {needles:?} was expected"),
        );
    }
    let msg = message(o);
    if !msg.starts_with("error:") {
        return verdict(
            Class::Wrong,
            format!("unclear: no `error:` line: {}", clip(&msg, 200)),
        );
    }
    if msg.chars().count() > MAX_MESSAGE {
        return verdict(
            Class::Wrong,
            format!(
                "unclear: a message of {} characters: {}",
                msg.chars().count(),
                clip(&msg, 200)
            ),
        );
    }
    if !needles.iter().any(|n| msg.contains(n)) {
        return verdict(
            Class::Wrong,
            format!("unclear: names none of {needles:?}: {}", clip(&msg, 200)),
        );
    }
    if let Some(f) = forbidden.iter().find(|f| msg.contains(*f)) {
        return verdict(
            Class::Wrong,
            format!("misleading: says {f:?}: {}", clip(&msg, 200)),
        );
    }
    verdict(Class::OkError, clip(&msg, 160))
}

/// Exit status 0.
fn expect_ok(o: &Out) -> Verdict {
    if let Some(v) = crash(o) {
        return v;
    }
    if !o.success() {
        return verdict(
            Class::Wrong,
            format!(
                "{:?} where success was expected: {}",
                o.status,
                clip(&message(o), 200)
            ),
        );
    }
    verdict(Class::Ok, format!("{:.2} s", o.secs))
}

/// Either a success or a clear error naming one of `needles`.
fn expect_either(o: &Out, needles: &[&str]) -> Verdict {
    if o.success() {
        verdict(Class::Ok, format!("accepted ({:.2} s)", o.secs))
    } else {
        expect_error(o, needles)
    }
}

/// `v`, unless a file of `before` is gone or changed (then `lost-file`; crashes come first).
fn kept(v: Verdict, before: &Snap) -> Verdict {
    if matches!(v.class, Class::Abort | Class::Panic | Class::Hang) {
        return v;
    }
    let lost = before.lost();
    if lost.is_empty() {
        v
    } else {
        verdict(
            Class::LostFile,
            format!("changed or removed: {}", lost.join(", ")),
        )
    }
}

/// The files under a directory (or one file) and a hash of their contents.
struct Snap {
    root: PathBuf,
    files: BTreeMap<PathBuf, u64>,
}

fn hash_file(path: &Path) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let bytes = fs::read(path).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    Some(h.finish())
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if let Ok(rd) = fs::read_dir(path) {
            for e in rd.flatten() {
                walk(&e.path(), out);
            }
        }
    } else if path.exists() {
        out.push(path.to_path_buf());
    }
}

impl Snap {
    fn take(root: &Path) -> Snap {
        let mut paths = Vec::new();
        walk(root, &mut paths);
        let files = paths
            .into_iter()
            // the lock file holds its holder's process id
            .filter(|p| p.file_name().is_none_or(|n| n != ".lock"))
            .filter_map(|p| hash_file(&p).map(|h| (p, h)))
            .collect();
        Snap {
            root: root.to_path_buf(),
            files,
        }
    }

    /// Files that are gone or changed since the snapshot.
    fn lost(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|(p, h)| hash_file(p) != Some(**h))
            .map(|(p, _)| {
                p.strip_prefix(self.root.parent().unwrap_or(&self.root))
                    .unwrap_or(p)
                    .display()
                    .to_string()
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Running the program

/// Everything the variants share: the program, and inputs made once.
struct Ctx {
    bin: PathBuf,
    timeout: Duration,
    quick: bool,
    /// The parity fixtures (../shared/parity).
    parity: PathBuf,
    /// Inputs made once (specs, configs, a trained run, a large scenario).
    inputs: PathBuf,
    /// Preset names (from the program's own error message).
    presets: Vec<String>,
    /// The muscle models RigidTendonArm26 takes (from the program's own error message).
    muscles: Vec<String>,
}

impl Ctx {
    fn cmd(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args).current_dir(dir).stdin(Stdio::null());
        c
    }

    /// Runs `motornet ARGS` in `dir` to its end (or the time limit).
    fn run(&self, dir: &Path, args: &[&str]) -> Out {
        finish(self.cmd(dir, args), None, self.timeout)
    }

    /// Runs it with standard output going to `stdout`.
    fn run_to(&self, dir: &Path, args: &[&str], stdout: fs::File) -> Out {
        finish(self.cmd(dir, args), Some(stdout), self.timeout)
    }

    /// Starts `motornet ARGS` in `dir` (standard output discarded, standard error to a file).
    fn spawn(&self, dir: &Path, args: &[&str], tag: &str) -> Child {
        let err = fs::File::create(dir.join(format!("{tag}.stderr"))).expect("scratch file");
        self.cmd(dir, args)
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("start motornet")
    }

    fn fixture(&self, name: &str) -> String {
        self.parity.join(name).display().to_string()
    }

    /// The arm26 fixture most variants use.
    fn arm26(&self) -> String {
        self.fixture("arm26_MujocoHillMuscle_euler.json")
    }

    fn input(&self, name: &str) -> String {
        self.inputs.join(name).display().to_string()
    }

    /// A preset's spec file (JSON), written by `motornet spec`.
    fn spec(&self, preset: &str) -> String {
        self.input(&format!("spec-{preset}.json"))
    }

    fn spec_value(&self, preset: &str) -> Value {
        serde_json::from_str(&fs::read_to_string(self.spec(preset)).expect("spec file"))
            .expect("spec JSON")
    }

    /// The small run config (0.3 s episodes, batch 8, GRU 16, one thread, checkpoints every 4).
    fn small(&self) -> String {
        self.input("small.toml")
    }

    /// A copy of the trained run (4 batches) at `dir/name`.
    fn trained_run(&self, dir: &Path, name: &str) -> PathBuf {
        let to = dir.join(name);
        copy_dir(&self.inputs.join("run"), &to);
        to
    }
}

/// Waits for `child` (at most `timeout`), reading its output.
fn finish(mut cmd: Command, stdout: Option<fs::File>, timeout: Duration) -> Out {
    let piped = stdout.is_none();
    match stdout {
        Some(f) => cmd.stdout(f),
        None => cmd.stdout(Stdio::piped()),
    };
    cmd.stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start motornet");
    let reader = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut r) = r {
                let mut buf = [0u8; 1 << 16];
                while let Ok(n) = r.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    // keep the first 256 kB
                    let room = (256usize << 10).saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .filter(|_| piped)
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = wait_for(&mut child, timeout);
    Out {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        secs: start.elapsed().as_secs_f64(),
    }
}

/// Waits for `child` at most `timeout`; kills it after that.
fn wait_for(child: &mut Child, timeout: Duration) -> Status {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(s)) => {
                return match s.code() {
                    Some(c) => Status::Code(c),
                    None => Status::Signal(s.signal().unwrap_or(0)),
                }
            }
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Status::Timeout;
            }
        }
    }
}

/// Sends `signal` (`INT`, `TERM`, `KILL`) to process `pid`.
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

/// A child started with [`Ctx::spawn`], waited for; its standard error read from the file.
fn collect(child: &mut Child, dir: &Path, tag: &str, timeout: Duration) -> Out {
    let start = Instant::now();
    let status = wait_for(child, timeout);
    Out {
        status,
        stdout: String::new(),
        stderr: fs::read_to_string(dir.join(format!("{tag}.stderr"))).unwrap_or_default(),
        secs: start.elapsed().as_secs_f64(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("scratch directory");
    for e in fs::read_dir(from).expect("read directory").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Waits (at most `limit`) until `dir/log.csv` has `lines` lines (header included).
fn wait_for_rows(dir: &Path, lines: usize, limit: Duration) -> bool {
    let start = Instant::now();
    while fs::read_to_string(dir.join("log.csv")).map_or(0, |t| t.lines().count()) < lines {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// What is wrong with a run directory's log and checkpoint, if anything: the log must have
/// its header once, first, then one row per batch of the checkpoint, numbered 0, 1, 2, ...
/// (or from where a lost log was restarted), strictly increasing.
fn run_problem(run: &Path) -> Option<String> {
    let log = match fs::read_to_string(run.join("log.csv")) {
        Ok(l) => l,
        Err(e) => return Some(format!("log.csv: {e}")),
    };
    let ck = match Checkpoint::load(&run.join("checkpoint.bin"), None) {
        Ok(c) => c,
        Err(e) => return Some(format!("checkpoint: {e}")),
    };
    if let Some((what, i, x)) = ck.first_non_finite() {
        return Some(format!("checkpoint holds {x} in {what}[{i}]"));
    }
    let mut lines = log.lines();
    if lines.next() != Some("batch,loss,grad_norm,lr,seconds") {
        return Some("log.csv does not start with its header".into());
    }
    if log.matches("batch,").count() != 1 {
        return Some("log.csv has several headers".into());
    }
    let batches: Vec<i64> = lines
        .map(|l| {
            l.split(',')
                .next()
                .and_then(|b| b.parse().ok())
                .unwrap_or(-1)
        })
        .collect();
    if batches.windows(2).any(|w| w[1] <= w[0]) || batches.contains(&-1) {
        return Some(format!(
            "log.csv batch numbers not strictly increasing: {}",
            clip(&format!("{batches:?}"), 120)
        ));
    }
    let last = batches.last().copied().unwrap_or(-1);
    if last != ck.batches_done as i64 - 1 {
        return Some(format!(
            "log.csv ends at batch {last}, the checkpoint holds {} batches",
            ck.batches_done
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Variants

type Body = Box<dyn Fn(&Ctx, &Path) -> Verdict + Send + Sync>;

struct Variant {
    family: usize,
    name: String,
    /// Times signals or processes against each other: runs alone.
    serial: bool,
    body: Body,
}

struct Plan {
    quick: bool,
    variants: Vec<Variant>,
}

impl Plan {
    fn add(
        &mut self,
        family: usize,
        name: impl Into<String>,
        body: impl Fn(&Ctx, &Path) -> Verdict + Send + Sync + 'static,
    ) {
        self.variants.push(Variant {
            family,
            name: name.into(),
            serial: false,
            body: Box::new(body),
        });
    }

    fn serial(
        &mut self,
        family: usize,
        name: impl Into<String>,
        body: impl Fn(&Ctx, &Path) -> Verdict + Send + Sync + 'static,
    ) {
        self.add(family, name, body);
        self.variants.last_mut().expect("just added").serial = true;
    }

    /// `motornet ARGS` must fail with a clear error naming one of `needles`. `@fixture` in
    /// ARGS is the arm26 fixture, `@spec:NAME` a preset's spec file, `@small` the small run
    /// config, `@run` a copy of the trained run (which must stay as it was).
    fn error(&mut self, family: usize, args: &[&str], needles: &[&'static str]) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let needles = needles.to_vec();
        self.add(family, args.join(" "), move |ctx, dir| {
            let (args, before) = expand(ctx, dir, &args);
            let o = ctx.run(dir, &refs(&args));
            let v = expect_error(&o, &needles);
            match before {
                Some(b) => kept(v, &b),
                None => v,
            }
        });
    }

    /// `motornet ARGS` must succeed.
    fn ok(&mut self, family: usize, args: &[&str]) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        self.add(family, args.join(" "), move |ctx, dir| {
            let (args, _) = expand(ctx, dir, &args);
            expect_ok(&ctx.run(dir, &refs(&args)))
        });
    }

    /// `motornet ARGS` may succeed or fail with a clear error naming one of `needles`.
    fn either(&mut self, family: usize, args: &[&str], needles: &[&'static str]) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let needles = needles.to_vec();
        self.add(family, args.join(" "), move |ctx, dir| {
            let (args, _) = expand(ctx, dir, &args);
            expect_either(&ctx.run(dir, &refs(&args)), &needles)
        });
    }

    /// `motornet train --quiet ARGS --out run` must fail with a clear error naming one of
    /// `needles`, and leave no run directory behind.
    fn train_refused(&mut self, family: usize, args: &[&str], needles: &[&'static str]) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let needles = needles.to_vec();
        self.add(
            family,
            format!("train {}", args.join(" ")),
            move |ctx, dir| {
                let (mut args, _) = expand(ctx, dir, &args);
                args.splice(0..0, ["train".to_string(), "--quiet".into()]);
                args.extend(["--out".to_string(), "run".into()]);
                let v = expect_error(&ctx.run(dir, &refs(&args)), &needles);
                if v.class == Class::OkError && dir.join("run").exists() {
                    verdict(Class::Wrong, "a failed start left a run directory")
                } else {
                    v
                }
            },
        );
    }

    /// A run config (TOML) made of the small config with `overrides` (`[section.]key = value`)
    /// must be refused by `train` naming one of `needles` (or, with `either`, may be accepted).
    fn config(
        &mut self,
        family: usize,
        overrides: &[&str],
        needles: &[&'static str],
        either: bool,
    ) {
        let overrides: Vec<String> = overrides.iter().map(|a| a.to_string()).collect();
        let needles = needles.to_vec();
        self.add(
            family,
            format!("train --config {{small, {}}}", overrides.join("; ")),
            move |ctx, dir| {
                let path = dir.join("config.toml");
                fs::write(&path, small_config(&refs(&overrides))).expect("scratch file");
                let mut args = vec![
                    "train",
                    "--quiet",
                    "--config",
                    "config.toml",
                    "--out",
                    "run",
                ];
                // 2 batches, unless the config says how many
                if !overrides.iter().any(|o| o.starts_with("batches")) {
                    args.extend(["--batches", "2"]);
                }
                let o = ctx.run(dir, &args);
                if either {
                    return expect_either(&o, &needles);
                }
                let v = expect_error(&o, &needles);
                if v.class == Class::OkError && dir.join("run").exists() {
                    verdict(Class::Wrong, "a failed start left a run directory")
                } else {
                    v
                }
            },
        );
    }

    /// A preset's spec with `edit` applied (a JSON pointer and a value) must be refused by
    /// `motornet ARGS` (with `@file` the edited spec) naming one of `needles`.
    fn spec_edit(
        &mut self,
        family: usize,
        preset: &'static str,
        pointer: &'static str,
        value: Value,
        args: &[&str],
        needles: &[&'static str],
    ) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let needles = needles.to_vec();
        let name = format!(
            "{} with {preset} {pointer} = {}",
            args.join(" "),
            clip(&value.to_string(), 40)
        );
        self.add(family, name, move |ctx, dir| {
            let mut spec = ctx.spec_value(preset);
            let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
            match spec.pointer_mut(parent).and_then(Value::as_object_mut) {
                Some(obj) => {
                    obj.insert(key.to_string(), value.clone());
                }
                None => match spec.pointer_mut(pointer) {
                    Some(slot) => *slot = value.clone(),
                    None => return verdict(Class::Wrong, format!("the spec has no {pointer}")),
                },
            }
            fs::write(dir.join("spec.json"), spec.to_string()).expect("scratch file");
            let args: Vec<String> = args
                .iter()
                .map(|a| a.replace("@file", "spec.json"))
                .collect();
            let (args, _) = expand(ctx, dir, &args);
            expect_error(&ctx.run(dir, &refs(&args)), &needles)
        });
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.as_str()).collect()
}

/// Replaces the `@` names of [`Plan::error`]; returns a snapshot of `@run` if it is used.
fn expand(ctx: &Ctx, dir: &Path, args: &[String]) -> (Vec<String>, Option<Snap>) {
    let mut snap = None;
    let out = args
        .iter()
        .map(|a| {
            if a == "@run" {
                let run = ctx.trained_run(dir, "run-kept");
                snap = Some(Snap::take(&run));
                s(&run)
            } else if a == "@fixture" {
                ctx.arm26()
            } else if a == "@small" {
                ctx.small()
            } else if let Some(p) = a.strip_prefix("@spec:") {
                ctx.spec(p)
            } else {
                a.clone()
            }
        })
        .collect();
    (out, snap)
}

/// The small run config with `overrides` (`key = value` or `section.key = value`).
fn small_config(overrides: &[&str]) -> String {
    let mut sections: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    for (k, v) in [
        ("batch_size", "8"),
        ("threads", "1"),
        ("checkpoint_every", "4"),
        ("env.max_ep_duration", "0.3"),
        ("network.kind", "\"gru\""),
        ("network.hidden", "16"),
        ("network.layers", "1"),
    ]
    .into_iter()
    .chain(overrides.iter().map(|o| {
        let (k, v) = o.split_once('=').expect("key = value");
        (k.trim(), v.trim())
    })) {
        let (section, key) = match k.split_once('.') {
            Some((s, k)) => (s, k),
            None => ("", k),
        };
        sections
            .entry(section)
            .or_default()
            .insert(key.to_string(), v.to_string());
    }
    let mut text = String::new();
    for (section, keys) in &sections {
        if !section.is_empty() {
            text += &format!("[{section}]\n");
        }
        for (k, v) in keys {
            text += &format!("{k} = {v}\n");
        }
    }
    text
}

// Family 1 -------------------------------------------------------------------------------------

fn family_1(p: &mut Plan) {
    const F: usize = 1;
    let sim = ["simulate", "--preset", "RigidTendonArm26"];
    let numbers = ["1000000000", "100000000", MAX, "-1", "abc", "0", "1e9", ""];
    for v in numbers {
        p.error(
            F,
            &[&sim[..], &[&format!("--batch={v}")]].concat(),
            &["--batch"],
        );
    }
    for v in ["-1", "abc", "0", "1e9", ""] {
        p.error(
            F,
            &[&sim[..], &[&format!("--steps={v}")]].concat(),
            &["--steps"],
        );
    }
    for v in ["0", "100000", MAX, "-1", "abc"] {
        p.error(
            F,
            &[&sim[..], &[&format!("--threads={v}")]].concat(),
            &["--threads"],
        );
    }
    for v in ["nan", "inf", "-inf", "abc"] {
        p.error(
            F,
            &[
                &sim[..],
                &[&format!("--excitation={v}"), "--batch=2", "--steps=2"],
            ]
            .concat(),
            &["excitation"],
        );
    }
    for v in ["1e300", "-1e300", "1e9"] {
        p.either(
            F,
            &[
                &sim[..],
                &[&format!("--excitation={v}"), "--batch=2", "--steps=2"],
            ]
            .concat(),
            &["excitation", "not finite"],
        );
    }
    p.ok(
        F,
        &[
            &sim[..],
            &[&format!("--seed={MAX}"), "--batch=2", "--steps=2"],
        ]
        .concat(),
    );
    for v in ["-1", "abc"] {
        p.error(
            F,
            &[&sim[..], &[&format!("--seed={v}")]].concat(),
            &["--seed"],
        );
    }
    p.error(
        F,
        &[&sim[..], &["--precision=f16"]].concat(),
        &["--precision"],
    );
    for v in ["1000000000", "100000000", MAX, "0", "-1", "abc"] {
        p.error(
            F,
            &["check", "@fixture", &format!("--states={v}")],
            &["--states"],
        );
    }
    for v in ["1000000000", MAX, "0", "-1", "abc"] {
        p.error(
            F,
            &["check", "@fixture", &format!("--steps={v}")],
            &["--steps"],
        );
    }
    p.ok(F, &["check", "@fixture", &format!("--seed={MAX}")]);

    for v in ["1000000000", "100000000", MAX, "0", "-1", "abc"] {
        p.train_refused(
            F,
            &[&format!("--batch-size={v}")],
            &["batch_size", "--batch-size"],
        );
    }
    for v in ["1000000", MAX, "0", "-1", "abc"] {
        p.train_refused(F, &[&format!("--hidden={v}")], &["hidden", "--hidden"]);
    }
    for v in ["100000", MAX, "0", "-1", "abc"] {
        // the memory estimate names the network's size
        p.train_refused(
            F,
            &[&format!("--layers={v}")],
            &["layers", "--layers", "network's size"],
        );
    }
    for v in ["0", "-1", "abc", "1e9"] {
        p.train_refused(F, &[&format!("--batches={v}")], &["--batches"]);
    }
    for v in ["0", "100000", MAX, "-1"] {
        p.train_refused(F, &[&format!("--threads={v}")], &["threads"]);
    }
    for v in ["abc", "-1", "nan", "inf", "0"] {
        p.train_refused(F, &[&format!("--lr={v}")], &["lr"]);
    }
    for v in ["nan", "inf"] {
        p.train_refused(F, &[&format!("--curl-field={v}")], &["curl"]);
    }
    p.either(
        F,
        &[
            "train",
            "--quiet",
            "--config",
            "@small",
            "--curl-field=1e300",
            "--batches=2",
            "--out",
            "run",
        ],
        &["curl", "not finite"],
    );
    p.ok(
        F,
        &[
            "train",
            "--quiet",
            "--config",
            "@small",
            &format!("--seed={MAX}"),
            "--batches=2",
            "--out",
            "run",
        ],
    );
    // a huge number of batches is a long run, not an allocation: it starts and stops on Ctrl-C
    p.serial(
        F,
        format!("train --batches={MAX} starts, Ctrl-C stops it"),
        |ctx, dir| {
            let mut child = ctx.spawn(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    &format!("--batches={MAX}"),
                    "--out",
                    "run",
                ],
                "train",
            );
            let started = wait_for_rows(&dir.join("run"), 3, ctx.timeout);
            signal(child.id(), "INT");
            let o = collect(&mut child, dir, "train", ctx.timeout);
            if !started {
                return crash(&o).unwrap_or_else(|| verdict(Class::Wrong, clip(&o.stderr, 200)));
            }
            let v = expect_ok(&o);
            match run_problem(&dir.join("run")) {
                Some(p) if v.class == Class::Ok => verdict(Class::Wrong, p),
                _ => v,
            }
        },
    );

    // run config fields
    let cfg = |p: &mut Plan, o: &str, needles: &[&'static str]| p.config(F, &[o], needles, false);
    for v in ["1e9", "1e5", "1e300", "-1.0", "0.0", "nan", "inf"] {
        cfg(
            p,
            &format!("env.max_ep_duration = {v}"),
            &["max_ep_duration"],
        );
    }
    // the issue's case: 1e4 s with the default batch (32) and network: about 80 GiB, refused by
    // the memory estimate (a size close to the memory available is not audited: it may train)
    p.config(
        F,
        &[
            "env.max_ep_duration = 1e4",
            "batch_size = 32",
            "network.hidden = 32",
        ],
        &["max_ep_duration", "memory"],
        false,
    );
    for field in ["proprioception_delay", "vision_delay"] {
        for v in ["1e7", "1e300", "-1.0", "nan", "0.005"] {
            let needles: &[&'static str] = if field == "vision_delay" {
                &["vision_delay"]
            } else {
                &["proprioception_delay"]
            };
            cfg(p, &format!("env.{field} = {v}"), needles);
        }
    }
    for v in ["1000000000", "100000000", "9223372036854775807", "-1"] {
        cfg(
            p,
            &format!("env.action_frame_stacking = {v}"),
            &["action_frame_stacking"],
        );
    }
    for field in ["action_noise", "proprioception_noise", "vision_noise"] {
        let needles: &[&'static str] = match field {
            "action_noise" => &["action_noise"],
            "vision_noise" => &["vision_noise"],
            _ => &["proprioception_noise"],
        };
        for v in ["-1.0", "nan"] {
            cfg(p, &format!("env.{field} = {v}"), needles);
        }
    }
    for v in ["1000000000", "0", "-1"] {
        cfg(p, &format!("batch_size = {v}"), &["batch_size"]);
    }
    cfg(p, "batches = 0", &["batches"]);
    for v in ["100000", "9223372036854775807"] {
        cfg(p, &format!("threads = {v}"), &["threads"]);
    }
    for v in ["1000000", "0"] {
        cfg(p, &format!("network.hidden = {v}"), &["hidden"]);
    }
    cfg(p, "network.layers = 0", &["layers"]);
    // 100000 layers at the default batch and episode length: hundreds of GiB, refused
    p.config(
        F,
        &[
            "network.layers = 100000",
            "batch_size = 32",
            "network.hidden = 32",
            "env.max_ep_duration = 1.0",
        ],
        &["layers", "network's size"],
        false,
    );
    cfg(p, "network.kind = \"transformer\"", &["transformer"]);
    for v in ["nan", "-1.0", "inf"] {
        cfg(p, &format!("lr = {v}"), &["lr"]);
    }
    for v in ["-1.0", "nan"] {
        cfg(p, &format!("grad_clip = {v}"), &["grad_clip"]);
    }
    cfg(p, "seed = -1", &["seed"]);
    cfg(p, "losses = []", &["losses"]);
    p.config(F, &["checkpoint_every = 0"], &["checkpoint_every"], true);
    cfg(
        p,
        "task = { name = \"DelayedReach\", cue_range = [0.1, 0.3], catch_probability = 2.0 }",
        &["catch_probability"],
    );
    p.config(
        F,
        &["task = { name = \"DelayedReach\", cue_range = [1e9, 2e9] }"],
        &["cue_range"],
        true,
    );
    p.config(
        F,
        &["task = { name = \"CentreOutReach\", n_targets = 1000000000, radius = 0.1, mode = { training = { cue_range = [0.1, 0.3], catch_probability = 0.5 } } }"],
        &["n_targets"],
        true,
    );
    p.config(
        F,
        &["task = { name = \"RandomTargetReachWithLoads\", magnitude = [1e300, 1e301] }"],
        &["magnitude", "not finite"],
        true,
    );

    // spec fields, through `check` and `simulate --spec`
    let arm = "RigidTendonArm26";
    let check = ["check", "@file", "--states=1", "--steps=2"];
    let simulate = ["simulate", "--spec", "@file", "--batch=2", "--steps=2"];
    for v in [
        json!(1e9),
        json!(1e300),
        json!(10001.0),
        json!(-1.0),
        json!(0.0),
        json!(0.5),
    ] {
        p.spec_edit(F, arm, "/n_ministeps", v.clone(), &check, &["n_ministeps"]);
        p.spec_edit(F, arm, "/n_ministeps", v, &simulate, &["n_ministeps"]);
    }
    for v in [json!(0.0), json!(-1.0)] {
        p.spec_edit(F, arm, "/timestep", v, &check, &["timestep"]);
    }
    // a tiny step is harmless for a given number of steps, but a training episode would have
    // 3e299 of them
    p.spec_edit(
        F,
        arm,
        "/timestep",
        json!(1e-300),
        &[
            "train",
            "--quiet",
            "--config",
            "@small",
            "--effector-spec",
            "@file",
            "--batches=2",
            "--out",
            "run",
        ],
        &["max_ep_duration"],
    );
    p.spec_edit(F, arm, "/damping", json!(-1.0), &check, &["damping"]);
    p.spec_edit(F, arm, "/muscles", json!([]), &check, &["muscles"]);
    p.spec_edit(
        F,
        arm,
        "/pos_lower_bound",
        json!([0.0, 0.0, 0.0]),
        &check,
        &["pos_lower_bound"],
    );
    p.spec_edit(
        F,
        arm,
        "/muscles/0/max_isometric_force",
        json!(-1.0),
        &check,
        &["max_isometric_force"],
    );
    p.spec_edit(F, arm, "/skeleton/m1", json!(-1.0), &check, &["m1"]);
    p.spec_edit(
        F,
        arm,
        "/muscle/tau_activation",
        json!(0.0),
        &check,
        &["tau_activation"],
    );
    // `geometry`: describes 7 muscles but there are 6
    p.spec_edit(
        F,
        arm,
        "/geometry/a0",
        json!(vec![0.1; 7]),
        &check,
        &["a0", "geometry"],
    );
    p.spec_edit(
        F,
        arm,
        "/geometry/a0",
        json!(vec![0.1; 100_000]),
        &check,
        &["a0", "geometry"],
    );

    // scenario sizes
    for (name, edit, either) in [
        ("initial_joint_state = []", "/initial_joint_state", false),
        // no steps: the initial states only
        ("excitation = []", "/excitation", true),
    ] {
        p.add(
            F,
            format!("simulate scenario with {name}"),
            move |ctx, dir| {
                let mut sc = fixture_value(ctx);
                *sc.pointer_mut(edit).expect("scenario field") = json!([]);
                fs::write(dir.join("sc.json"), sc.to_string()).expect("scratch file");
                let o = ctx.run(dir, &["simulate", "sc.json"]);
                if either {
                    expect_either(&o, &[edit.trim_start_matches('/')])
                } else {
                    expect_error(&o, &[edit.trim_start_matches('/')])
                }
            },
        );
    }
    p.add(
        F,
        "simulate scenario with 7 excitations per step for 6 muscles",
        |ctx, dir| {
            let mut sc = fixture_value(ctx);
            sc["excitation"][0][0] = json!(vec![0.1; 7]);
            fs::write(dir.join("sc.json"), sc.to_string()).expect("scratch file");
            expect_error(&ctx.run(dir, &["simulate", "sc.json"]), &["excitation"])
        },
    );
    p.add(
        F,
        "simulate scenario with a 3-entry joint state",
        |ctx, dir| {
            let mut sc = fixture_value(ctx);
            sc["initial_joint_state"][0] = json!([0.1, 0.2, 0.3]);
            fs::write(dir.join("sc.json"), sc.to_string()).expect("scratch file");
            expect_error(
                &ctx.run(dir, &["simulate", "sc.json"]),
                &["initial_joint_state"],
            )
        },
    );
}

/// The arm26 fixture as a value, without its `expected` block.
fn fixture_value(ctx: &Ctx) -> Value {
    let mut v: Value =
        serde_json::from_str(&fs::read_to_string(ctx.arm26()).expect("fixture")).expect("JSON");
    v.as_object_mut().expect("object").remove("expected");
    v
}

// Family 2 -------------------------------------------------------------------------------------

fn family_2(p: &mut Plan) {
    const F: usize = 2;
    let train = |extra: &[&str]| -> Vec<String> {
        ["train", "--quiet", "--batches", "3"]
            .iter()
            .chain(extra)
            .map(|a| a.to_string())
            .collect()
    };
    for (name, extra) in [
        ("the same settings", vec![]),
        ("another seed", vec!["--seed", "7"]),
        ("another network", vec!["--hidden", "8"]),
    ] {
        let args = train(&extra);
        p.add(
            F,
            format!("train --out RUN onto a run, {name}"),
            move |ctx, dir| {
                let run = ctx.trained_run(dir, "run");
                let before = Snap::take(&run);
                let mut a = args.clone();
                a.extend(["--config".into(), ctx.small(), "--out".into(), s(&run)]);
                kept(
                    expect_error(&ctx.run(dir, &refs(&a)), &["already holds a run"]),
                    &before,
                )
            },
        );
    }
    p.add(
        F,
        "train --out RUN --overwrite onto a run (a user's file in it)",
        |ctx, dir| {
            let run = ctx.trained_run(dir, "run");
            fs::write(run.join("notes.txt"), "mine").expect("scratch file");
            let notes = Snap::take(&run.join("notes.txt"));
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--batches",
                    "3",
                    "--seed",
                    "9",
                    "--overwrite",
                    "--out",
                    &s(&run),
                ],
            );
            let v = kept(expect_ok(&o), &notes);
            if v.class != Class::Ok {
                return v;
            }
            let rows = fs::read_to_string(run.join("log.csv")).map_or(0, |l| l.lines().count());
            match run_problem(&run) {
                Some(p) => verdict(Class::Wrong, p),
                None if rows != 4 => {
                    verdict(Class::Wrong, format!("{rows} log lines after 3 batches"))
                }
                None => v,
            }
        },
    );
    for overwrite in [false, true] {
        p.add(
            F,
            format!(
                "train --out onto a directory of a user's files{}",
                if overwrite { " --overwrite" } else { "" }
            ),
            move |ctx, dir| {
                let mine = dir.join("mine");
                fs::create_dir_all(mine.join("sub")).expect("scratch");
                fs::write(mine.join("thesis.tex"), "x").expect("scratch");
                fs::write(mine.join("sub/data.csv"), "1,2").expect("scratch");
                let before = Snap::take(&mine);
                let mut a = vec![
                    "train",
                    "--quiet",
                    "--config",
                    "@small",
                    "--batches",
                    "2",
                    "--out",
                    "mine",
                ];
                if overwrite {
                    a.push("--overwrite");
                }
                let (a, _) = expand(
                    ctx,
                    dir,
                    &a.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                );
                let v = kept(
                    expect_error(&ctx.run(dir, &refs(&a)), &["not empty"]),
                    &before,
                );
                let n = fs::read_dir(&mine).map_or(0, |d| d.count());
                if v.class == Class::OkError && n != 2 {
                    verdict(
                        Class::Wrong,
                        format!("{n} entries in the user's directory, 2 before"),
                    )
                } else {
                    v
                }
            },
        );
    }
    p.add(
        F,
        "train --out onto a directory holding a dotfile only",
        |ctx, dir| {
            fs::create_dir_all(dir.join("d")).expect("scratch");
            fs::write(dir.join("d/.hidden"), "x").expect("scratch");
            let before = Snap::take(&dir.join("d"));
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--batches",
                    "2",
                    "--out",
                    "d",
                ],
            );
            kept(expect_either(&o, &["not empty"]), &before)
        },
    );
    p.add(F, "train --out onto an empty directory", |ctx, dir| {
        fs::create_dir_all(dir.join("d")).expect("scratch");
        let o = ctx.run(
            dir,
            &[
                "train",
                "--quiet",
                "--config",
                &ctx.small(),
                "--batches",
                "2",
                "--out",
                "d",
            ],
        );
        let v = expect_ok(&o);
        match run_problem(&dir.join("d")) {
            Some(p) if v.class == Class::Ok => verdict(Class::Wrong, p),
            _ => v,
        }
    });
    for overwrite in [false, true] {
        p.add(
            F,
            format!(
                "train --out FILE (a regular file){}",
                if overwrite { " --overwrite" } else { "" }
            ),
            move |ctx, dir| {
                fs::write(dir.join("file"), "precious").expect("scratch");
                let before = Snap::take(&dir.join("file"));
                let mut a = vec![
                    "train".to_string(),
                    "--quiet".into(),
                    "--config".into(),
                    ctx.small(),
                    "--batches".into(),
                    "2".into(),
                    "--out".into(),
                    "file".into(),
                ];
                if overwrite {
                    a.push("--overwrite".into());
                }
                kept(expect_error(&ctx.run(dir, &refs(&a)), &["file"]), &before)
            },
        );
    }
    p.add(
        F,
        "train --out FILE/run (under a regular file)",
        |ctx, dir| {
            fs::write(dir.join("file"), "precious").expect("scratch");
            let before = Snap::take(&dir.join("file"));
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--batches",
                    "2",
                    "--out",
                    "file/run",
                ],
            );
            kept(expect_error(&o, &["file/run"]), &before)
        },
    );
    p.add(
        F,
        "train --resume --out onto a directory of a user's files",
        |ctx, dir| {
            fs::create_dir_all(dir.join("mine")).expect("scratch");
            fs::write(dir.join("mine/thesis.tex"), "x").expect("scratch");
            let before = Snap::take(&dir.join("mine"));
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--resume",
                    "--batches",
                    "5",
                    "--out",
                    "mine",
                ],
            );
            kept(expect_error(&o, &["mine"]), &before)
        },
    );
    p.error(
        F,
        &[
            "train",
            "--quiet",
            "--resume",
            "--batches",
            "5",
            "--out",
            "missing",
        ],
        &["missing"],
    );
    p.add(
        F,
        "train --out onto a run without its checkpoint (config and log only)",
        |ctx, dir| {
            let run = ctx.trained_run(dir, "run");
            fs::remove_file(run.join("checkpoint.bin")).expect("scratch");
            let before = Snap::take(&run);
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--batches",
                    "2",
                    "--out",
                    &s(&run),
                ],
            );
            kept(
                expect_error(&o, &["already holds a run", "not empty"]),
                &before,
            )
        },
    );
    p.error(
        F,
        &[
            "train",
            "--quiet",
            "--config",
            "@small",
            "--batches",
            "2",
            "--out",
            "",
        ],
        &["--out"],
    );
    p.add(
        F,
        "train twice without --out within a second (runs/run-<time>)",
        |ctx, dir| {
            let args = [
                "train",
                "--quiet",
                "--config",
                &ctx.small(),
                "--batches",
                "2",
            ];
            let first = ctx.run(dir, &args);
            let v = expect_ok(&first);
            if v.class != Class::Ok {
                return v;
            }
            let runs = dir.join("runs");
            let before = Snap::take(&runs);
            let second = ctx.run(dir, &args);
            kept(expect_either(&second, &["already holds a run"]), &before)
        },
    );
}

// Family 3 -------------------------------------------------------------------------------------

fn family_3(p: &mut Plan) {
    const F: usize = 3;
    for (name, second) in [
        (
            "train --out RUN (new)",
            vec![
                "train",
                "--quiet",
                "--config",
                "@small",
                "--batches",
                "5",
                "--out",
                "run",
            ],
        ),
        (
            "train --out RUN --overwrite",
            vec![
                "train",
                "--quiet",
                "--config",
                "@small",
                "--batches",
                "5",
                "--overwrite",
                "--out",
                "run",
            ],
        ),
        (
            "train --resume --out RUN",
            vec![
                "train",
                "--quiet",
                "--resume",
                "--batches",
                "200000",
                "--out",
                "run",
            ],
        ),
    ] {
        let second: Vec<String> = second.iter().map(|a| a.to_string()).collect();
        p.serial(F, format!("while RUN trains: {name}"), move |ctx, dir| {
            let mut first = ctx.spawn(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--batches",
                    "100000",
                    "--out",
                    "run",
                ],
                "first",
            );
            if !wait_for_rows(&dir.join("run"), 3, ctx.timeout) {
                let _ = first.kill();
                let o = collect(&mut first, dir, "first", ctx.timeout);
                return crash(&o).unwrap_or_else(|| {
                    verdict(
                        Class::Wrong,
                        format!("the first run did not start: {}", clip(&o.stderr, 200)),
                    )
                });
            }
            let (a, _) = expand(ctx, dir, &second);
            let o = ctx.run(dir, &refs(&a));
            // a new run may be refused for the run already there, before the lock is tried
            let mut v = expect_error(
                &o,
                &["in use by another motornet process", "already holds a run"],
            );
            if v.class == Class::OkError
                && o.stderr.contains("in use")
                && !o.stderr.contains(&first.id().to_string())
            {
                v = verdict(Class::Wrong, "the lock holder's process id is not named");
            }
            if v.class == Class::OkError && o.secs > 10.0 {
                v = verdict(
                    Class::Wrong,
                    format!("the second writer waited {:.1} s", o.secs),
                );
            }
            signal(first.id(), "INT");
            let fo = collect(&mut first, dir, "first", ctx.timeout);
            if let Some(c) = crash(&fo) {
                return c;
            }
            if !fo.success() {
                return verdict(
                    Class::Wrong,
                    format!("the first run failed: {}", clip(&fo.stderr, 200)),
                );
            }
            match run_problem(&dir.join("run")) {
                Some(p) => verdict(Class::LostFile, format!("the first run: {p}")),
                None => v,
            }
        });
    }
    p.serial(F, "while RUN trains: eval RUN reads it", |ctx, dir| {
        let mut first = ctx.spawn(
            dir,
            &[
                "train",
                "--quiet",
                "--config",
                &ctx.small(),
                "--batches",
                "100000",
                "--out",
                "run",
            ],
            "first",
        );
        // eval needs a checkpoint: the first is written after 4 batches
        if !wait_for_rows(&dir.join("run"), 6, ctx.timeout) {
            let _ = first.kill();
            let _ = first.wait();
            return verdict(Class::Wrong, "the first run did not start");
        }
        let o = ctx.run(dir, &["eval", "run"]);
        let v = expect_ok(&o);
        signal(first.id(), "INT");
        let fo = collect(&mut first, dir, "first", ctx.timeout);
        if let Some(c) = crash(&fo) {
            return c;
        }
        match run_problem(&dir.join("run")) {
            Some(p) => verdict(Class::LostFile, format!("the run: {p}")),
            None => v,
        }
    });
    let repeats = if p.quick { 2 } else { 5 };
    for i in 0..repeats {
        p.serial(
            F,
            format!("two train --out RUN started at once (#{i})"),
            |ctx, dir| {
                let args = [
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--batches",
                    "20",
                    "--out",
                    "run",
                ];
                let mut a = ctx.spawn(dir, &args, "a");
                let mut b = ctx.spawn(dir, &args, "b");
                let oa = collect(&mut a, dir, "a", ctx.timeout);
                let ob = collect(&mut b, dir, "b", ctx.timeout);
                for o in [&oa, &ob] {
                    if let Some(c) = crash(o) {
                        return c;
                    }
                }
                let (won, lost) = match (oa.success(), ob.success()) {
                    (true, false) => (&oa, &ob),
                    (false, true) => (&ob, &oa),
                    (x, y) => {
                        return verdict(
                            Class::Wrong,
                            format!(
                                "successes: {x}, {y}: {} / {}",
                                clip(&oa.stderr, 100),
                                clip(&ob.stderr, 100)
                            ),
                        )
                    }
                };
                let _ = won;
                let v = expect_error(
                    lost,
                    &[
                        "in use by another motornet process",
                        "already holds a run",
                        "not empty",
                    ],
                );
                match run_problem(&dir.join("run")) {
                    Some(p) => verdict(Class::LostFile, format!("the winner's run: {p}")),
                    None => v,
                }
            },
        );
    }
}

// Family 4 -------------------------------------------------------------------------------------

/// What `simulate -o OUT` left in OUT: `None` if the previous content or a complete output.
fn out_problem(out: &Path, previous: &[u8]) -> Option<String> {
    let now = match fs::read(out) {
        Ok(b) => b,
        Err(e) => return Some(format!("OUT: {e}")),
    };
    if now == previous || (now.starts_with(b"{") && now.ends_with(b"}\n")) {
        None
    } else {
        Some(format!(
            "OUT holds {} bytes of neither the old nor a complete new output",
            now.len()
        ))
    }
}

fn family_4(p: &mut Plan) {
    const F: usize = 4;
    // here the scenario is read and simulated in about 0.8 s, then written for about 0.5 s
    let delays: &[(u64, &str)] = if p.quick {
        &[(300, "KILL"), (1000, "KILL")]
    } else {
        &[
            (100, "KILL"),
            (400, "KILL"),
            (800, "KILL"),
            (950, "KILL"),
            (1100, "KILL"),
            (1250, "KILL"),
            (2500, "KILL"),
            (850, "TERM"),
            (850, "INT"),
        ]
    };
    for &(ms, sig) in delays {
        p.serial(
            F,
            format!("simulate BIG -o OUT, SIG{sig} after {ms} ms"),
            move |ctx, dir| {
                let out = dir.join("out.json");
                let previous = b"{\"previous\": true}\n".to_vec();
                fs::write(&out, &previous).expect("scratch");
                let mut child = ctx.spawn(
                    dir,
                    &["simulate", &ctx.input("big.json"), "-o", "out.json"],
                    "sim",
                );
                std::thread::sleep(Duration::from_millis(ms));
                let was_running = child.try_wait().ok().flatten().is_none();
                // how much of the new output was written when the signal came
                let writing: u64 = fs::read_dir(dir)
                    .map(|d| {
                        d.flatten()
                            .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
                            .filter_map(|e| e.metadata().ok())
                            .map(|m| m.len())
                            .sum()
                    })
                    .unwrap_or(0);
                signal(child.id(), sig);
                let o = collect(&mut child, dir, "sim", ctx.timeout);
                if o.status == Status::Timeout {
                    return crash(&o).expect("a hang");
                }
                let left: Vec<String> = fs::read_dir(dir)
                    .map(|d| {
                        d.flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                let temps = left.iter().filter(|n| n.contains("tmp")).count();
                match out_problem(&out, &previous) {
                    Some(p) => verdict(Class::LostFile, p),
                    None => {
                        let same = fs::read(&out).is_ok_and(|b| b == previous);
                        verdict(
                            Class::Ok,
                            format!(
                                "{}; OUT {}{}",
                                match (was_running, writing) {
                                    (false, _) => "had finished".to_string(),
                                    (true, 0) => "killed before writing".to_string(),
                                    (true, n) => format!(
                                        "killed mid-write ({:.0} MB written)",
                                        n as f64 / 1e6
                                    ),
                                },
                                if same {
                                    "is the old file"
                                } else {
                                    "is a complete new output"
                                },
                                if temps > 0 {
                                    format!("; {temps} temporary file(s) left")
                                } else {
                                    String::new()
                                }
                            ),
                        )
                    }
                }
            },
        );
    }
    p.add(
        F,
        "simulate BAD -o OUT (a failing scenario) keeps OUT",
        |ctx, dir| {
            let mut sc = fixture_value(ctx);
            sc["excitation"][0][0] = json!([0.1]);
            fs::write(dir.join("bad.json"), sc.to_string()).expect("scratch");
            fs::write(dir.join("out.json"), "old").expect("scratch");
            let before = Snap::take(&dir.join("out.json"));
            kept(
                expect_error(
                    &ctx.run(dir, &["simulate", "bad.json", "-o", "out.json"]),
                    &["excitation"],
                ),
                &before,
            )
        },
    );
    p.add(
        F,
        "simulate FIXTURE -o DIR (a non-empty directory)",
        |ctx, dir| {
            fs::create_dir_all(dir.join("d")).expect("scratch");
            fs::write(dir.join("d/keep"), "x").expect("scratch");
            let before = Snap::take(&dir.join("d"));
            kept(
                expect_error(
                    &ctx.run(dir, &["simulate", &ctx.arm26(), "-o", "d"]),
                    &["d"],
                ),
                &before,
            )
        },
    );
    p.error(
        F,
        &["simulate", "@fixture", "-o", "missing/dir/out.json"],
        &["missing/dir/out.json"],
    );
    p.add(F, "simulate X -o X (the scenario itself)", |ctx, dir| {
        fs::write(dir.join("x.json"), fixture_value(ctx).to_string()).expect("scratch");
        let v = expect_ok(&ctx.run(dir, &["simulate", "x.json", "-o", "x.json"]));
        let out: Option<Value> = fs::read_to_string(dir.join("x.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        match out {
            Some(o) if o.get("joint").is_some() => v,
            _ if v.class != Class::Ok => v,
            _ => verdict(Class::Wrong, "x.json is not a complete output"),
        }
    });
    p.add(
        F,
        "simulate FIXTURE -o OUT replaces OUT whole, no temporary file left",
        |ctx, dir| {
            fs::write(dir.join("out.json"), "x".repeat(1 << 20)).expect("scratch");
            let v = expect_ok(&ctx.run(dir, &["simulate", &ctx.arm26(), "-o", "out.json"]));
            let n = fs::read_dir(dir).map_or(0, |d| d.count());
            let parsed = fs::read_to_string(dir.join("out.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            if v.class == Class::Ok && (parsed.is_none() || n != 1) {
                verdict(
                    Class::Wrong,
                    format!(
                        "OUT parsed: {}, {n} files in the directory",
                        parsed.is_some()
                    ),
                )
            } else {
                v
            }
        },
    );
}

// Family 5 -------------------------------------------------------------------------------------

fn dev_full() -> Option<fs::File> {
    fs::OpenOptions::new().write(true).open("/dev/full").ok()
}

fn family_5(p: &mut Plan) {
    const F: usize = 5;
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("simulate FIXTURE", vec!["simulate", "@fixture"]),
        (
            "simulate FIXTURE --precision f32",
            vec!["simulate", "@fixture", "--precision", "f32"],
        ),
        ("simulate BIG", vec!["simulate", "@big"]),
        (
            "spec --preset RigidTendonArm26",
            vec!["spec", "--preset", "RigidTendonArm26"],
        ),
        (
            "spec --preset Reacher --format toml",
            vec!["spec", "--preset", "Reacher", "--format", "toml"],
        ),
        ("eval RUN", vec!["eval", "@run"]),
    ];
    for (name, args) in cases {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        p.add(F, format!("{name} > /dev/full"), move |ctx, dir| {
            let Some(full) = dev_full() else {
                return verdict(Class::Ok, "no /dev/full here: skipped");
            };
            let args: Vec<String> = args
                .iter()
                .map(|a| {
                    if a == "@big" {
                        ctx.input("big.json")
                    } else {
                        a.clone()
                    }
                })
                .collect();
            let (args, _) = expand(ctx, dir, &args);
            expect_error(
                &ctx.run_to(dir, &refs(&args), full),
                &["writing to standard output"],
            )
        });
    }
    for args in [
        vec!["--help"],
        vec!["--version"],
        vec!["simulate", "--help"],
    ] {
        let name = format!("{} > /dev/full", args.join(" "));
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        p.add(F, name, move |ctx, dir| {
            let Some(full) = dev_full() else {
                return verdict(Class::Ok, "no /dev/full here: skipped");
            };
            let o = ctx.run_to(dir, &refs(&args), full);
            crash(&o).unwrap_or_else(|| {
                if o.success() {
                    verdict(
                        Class::Ok,
                        "clap's help: exit 0 (not audited for write errors)",
                    )
                } else {
                    verdict(Class::OkError, clip(&message(&o), 160))
                }
            })
        });
    }
    p.add(
        F,
        "simulate FIXTURE | a reader that goes away",
        |ctx, dir| {
            let mut child = ctx
                .cmd(dir, &["simulate", &ctx.input("big.json")])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start");
            drop(child.stdout.take());
            let status = wait_for(&mut child, ctx.timeout);
            let o = Out {
                status,
                stdout: String::new(),
                stderr: String::new(),
                secs: 0.0,
            };
            expect_ok(&o)
        },
    );
    p.add(
        F,
        "simulate --preset (summary on stderr) 2> /dev/full",
        |ctx, dir| {
            let Some(full) = dev_full() else {
                return verdict(Class::Ok, "no /dev/full here: skipped");
            };
            let mut child = ctx
                .cmd(
                    dir,
                    &[
                        "simulate",
                        "--preset",
                        "RigidTendonArm26",
                        "--batch",
                        "2",
                        "--steps",
                        "2",
                    ],
                )
                .stdout(Stdio::null())
                .stderr(full)
                .spawn()
                .expect("start");
            let status = wait_for(&mut child, ctx.timeout);
            let o = Out {
                status,
                stdout: String::new(),
                stderr: String::new(),
                secs: 0.0,
            };
            crash(&o).unwrap_or_else(|| {
                verdict(
                    if o.success() {
                        Class::Ok
                    } else {
                        Class::OkError
                    },
                    format!("{status:?}"),
                )
            })
        },
    );
}

// Family 6 -------------------------------------------------------------------------------------

fn family_6(p: &mut Plan) {
    const F: usize = 6;
    let networks: &[&str] = if p.quick {
        &["gru", "lstm"]
    } else {
        &["gru", "mlp", "rnn", "lstm"]
    };
    for &net in networks {
        for then in ["", "eval", "plot", "resume"] {
            let name = format!(
                "train --network {net} --lr 1e300{}",
                if then.is_empty() {
                    String::new()
                } else {
                    format!(", then {then}")
                }
            );
            p.add(F, name, move |ctx, dir| {
                let o = ctx.run(
                    dir,
                    &[
                        "train",
                        "--quiet",
                        "--config",
                        &ctx.small(),
                        "--network",
                        net,
                        "--lr",
                        "1e300",
                        "--batches",
                        "5",
                        "--out",
                        "run",
                    ],
                );
                let v = expect_error(&o, &["not finite"]);
                if v.class != Class::OkError {
                    return v;
                }
                let run = dir.join("run");
                if let Some(p) = run_problem(&run) {
                    return verdict(Class::Wrong, p);
                }
                match then {
                    "" => v,
                    "eval" => expect_ok(&ctx.run(dir, &["eval", "run"])),
                    "plot" => expect_ok(&ctx.run(dir, &["plot", "run"])),
                    _ => {
                        let before = Snap::take(&run.join("checkpoint.bin"));
                        let o = ctx.run(
                            dir,
                            &[
                                "train",
                                "--quiet",
                                "--resume",
                                "--batches",
                                "5",
                                "--out",
                                "run",
                            ],
                        );
                        let v = kept(expect_error(&o, &["not finite"]), &before);
                        match run_problem(&run) {
                            Some(p) if !v.class.failed() => verdict(Class::Wrong, p),
                            _ => v,
                        }
                    }
                }
            });
        }
    }
    for lr in ["1e30", "1e10", "1e5"] {
        p.add(
            F,
            format!("train --lr {lr}: a finite checkpoint whatever happens"),
            move |ctx, dir| {
                let o = ctx.run(
                    dir,
                    &[
                        "train",
                        "--quiet",
                        "--config",
                        &ctx.small(),
                        "--lr",
                        lr,
                        "--batches",
                        "5",
                        "--out",
                        "run",
                    ],
                );
                let v = expect_either(&o, &["not finite"]);
                if v.class.failed() {
                    return v;
                }
                match run_problem(&dir.join("run")) {
                    Some(p) => verdict(Class::Wrong, p),
                    None => expect_ok(&ctx.run(dir, &["eval", "run"])),
                }
            },
        );
    }
    p.add(F, "run config lr = 1e300, then eval", |ctx, dir| {
        fs::write(dir.join("c.toml"), small_config(&["lr = 1e300"])).expect("scratch");
        let o = ctx.run(
            dir,
            &[
                "train",
                "--quiet",
                "--config",
                "c.toml",
                "--batches",
                "5",
                "--out",
                "run",
            ],
        );
        let v = expect_error(&o, &["not finite"]);
        if v.class != Class::OkError {
            return v;
        }
        expect_ok(&ctx.run(dir, &["eval", "run"]))
    });
}

// Family 7 -------------------------------------------------------------------------------------

/// A point mass pulled by `n` muscles spread around it (ReluPointMass24 with more muscles).
fn many_muscles(ctx: &Ctx, n: usize) -> Value {
    let mut spec = ctx.spec_value("ReluPointMass24");
    spec["preset"] = Value::Null;
    let mut muscles = Vec::new();
    let mut paths = serde_json::Map::new();
    for i in 0..n {
        let a = 2.0 * std::f64::consts::PI * (i as f64 + 0.5) / n as f64;
        let name = format!("m{i}");
        muscles.push(json!({"name": name, "max_isometric_force": 500.0}));
        paths.insert(
            name,
            json!({"fixation_body": [0.0, 1.0], "coordinates": [[2.0 * a.cos(), 2.0 * a.sin()], [0.0, 0.0]]}),
        );
    }
    spec["muscles"] = Value::Array(muscles);
    spec["geometry"]["paths"] = Value::Object(paths);
    spec
}

fn family_7(p: &mut Plan) {
    const F: usize = 7;
    for args in [
        vec!["check", "@file"],
        vec!["simulate", "--spec", "@file", "--batch=2", "--steps=2"],
        vec![
            "train",
            "--quiet",
            "--effector-spec",
            "@file",
            "--batches=2",
            "--out",
            "run",
        ],
    ] {
        p.spec_edit(
            F,
            "RigidTendonArm26",
            "/n_ministeps",
            json!(1e9),
            &args,
            &["n_ministeps"],
        );
    }
    for (ministeps, states, steps) in [(10_000.0, 1, 1), (2000.0, 3, 5)] {
        p.add(F, format!("check with n_ministeps {ministeps} (--states {states} --steps {steps}): bounded time"), move |ctx, dir| {
            let mut spec = ctx.spec_value("RigidTendonArm26");
            spec["n_ministeps"] = json!(ministeps);
            fs::write(dir.join("spec.json"), spec.to_string()).expect("scratch");
            let o = ctx.run(dir, &["check", "spec.json", &format!("--states={states}"), &format!("--steps={steps}")]);
            finished(&o)
        });
    }
    let sizes: &[usize] = if p.quick {
        &[16, 64, 256]
    } else {
        &[16, 64, 256, 1024]
    };
    for &n in sizes {
        p.add(
            F,
            format!("check a point mass with {n} muscles: bounded time"),
            move |ctx, dir| {
                fs::write(dir.join("spec.json"), many_muscles(ctx, n).to_string())
                    .expect("scratch");
                finished(&ctx.run(dir, &["check", "spec.json", "--states=1", "--steps=2"]))
            },
        );
    }
    p.add(
        F,
        "simulate --spec a point mass with 256 muscles",
        |ctx, dir| {
            fs::write(dir.join("spec.json"), many_muscles(ctx, 256).to_string()).expect("scratch");
            expect_ok(&ctx.run(
                dir,
                &[
                    "simulate",
                    "--spec",
                    "spec.json",
                    "--batch=64",
                    "--steps=100",
                ],
            ))
        },
    );
    p.add(
        F,
        "train --effector-spec a point mass with 64 muscles",
        |ctx, dir| {
            fs::write(dir.join("spec.json"), many_muscles(ctx, 64).to_string()).expect("scratch");
            expect_ok(&ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--effector-spec",
                    "spec.json",
                    "--batches=2",
                    "--out",
                    "run",
                ],
            ))
        },
    );
    // check's cost grows with the square of the muscles (4.4 s for 1024 here): 10 000 would
    // take over an hour unless refused or bounded
    if !p.quick {
        p.add(
            F,
            "check a point mass with 10000 muscles: refused or bounded",
            |ctx, dir| {
                fs::write(dir.join("spec.json"), many_muscles(ctx, 10_000).to_string())
                    .expect("scratch");
                finished(&ctx.run(dir, &["check", "spec.json", "--states=1", "--steps=1"]))
            },
        );
    }
}

/// `check` finished in time: its verdict (ok or FAILED, which family 12 audits) or a clear error.
fn finished(o: &Out) -> Verdict {
    if let Some(c) = crash(o) {
        return c;
    }
    let verdict_word = o
        .stderr
        .lines()
        .find(|l| l.starts_with("check:"))
        .and_then(|l| l.split_whitespace().last());
    match verdict_word {
        Some(w) => verdict(Class::Ok, format!("finished in {:.2} s ({w})", o.secs)),
        None => expect_error(o, &["muscles", "memory", "n_ministeps"]),
    }
}

// Family 8 -------------------------------------------------------------------------------------

fn family_8(p: &mut Plan) {
    const F: usize = 8;
    let kills: &[usize] = if p.quick {
        &[3, 10]
    } else {
        &[1, 3, 5, 8, 10, 13, 20]
    };
    for &rows in kills {
        p.serial(
            F,
            format!("kill -9 after {rows} logged batches, then resume"),
            move |ctx, dir| {
                let mut child = ctx.spawn(
                    dir,
                    &[
                        "train",
                        "--quiet",
                        "--config",
                        &ctx.small(),
                        "--batches",
                        "100000",
                        "--out",
                        "run",
                    ],
                    "train",
                );
                let started = wait_for_rows(&dir.join("run"), rows + 1, ctx.timeout);
                let _ = child.kill();
                let _ = child.wait();
                if !started {
                    return verdict(Class::Wrong, "training did not start");
                }
                resume_after_crash(ctx, dir)
            },
        );
    }
    p.serial(
        F,
        "kill -9 during a resumed run, then resume again",
        |ctx, dir| {
            let run = ctx.trained_run(dir, "run");
            let mut child = ctx.spawn(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--resume",
                    "--batches",
                    "100000",
                    "--out",
                    &s(&run),
                ],
                "train",
            );
            let started = wait_for_rows(&run, 12, ctx.timeout);
            let _ = child.kill();
            let _ = child.wait();
            if !started {
                return verdict(Class::Wrong, "the resumed run did not start");
            }
            resume_after_crash(ctx, dir)
        },
    );
    type Edit = fn(&Path);
    let edits: Vec<(&str, Edit, &[&'static str])> = vec![
        (
            "log.csv deleted",
            |r| fs::remove_file(r.join("log.csv")).expect("scratch"),
            &[],
        ),
        (
            "log.csv holding its header only",
            |r| fs::write(r.join("log.csv"), "batch,loss,grad_norm,lr,seconds\n").expect("scratch"),
            &[],
        ),
        (
            "log.csv empty",
            |r| fs::write(r.join("log.csv"), "").expect("scratch"),
            &[],
        ),
        (
            "log.csv ending in half a row",
            |r| append(&r.join("log.csv"), "4,0.5,0."),
            &[],
        ),
        (
            "log.csv ahead of the checkpoint by 3 rows",
            |r| {
                append(
                    &r.join("log.csv"),
                    "4,0.5,0.1,0.001,0.01\n5,0.5,0.1,0.001,0.01\n6,0.5,0.1,0.001,0.01\n",
                )
            },
            &[],
        ),
        (
            "log.csv with a garbage line",
            |r| append(&r.join("log.csv"), "garbage\n"),
            &[],
        ),
        (
            "checkpoint.bin deleted",
            |r| fs::remove_file(r.join("checkpoint.bin")).expect("scratch"),
            &["checkpoint.bin"],
        ),
        (
            "checkpoint.bin truncated",
            |r| truncate(&r.join("checkpoint.bin")),
            &["truncated"],
        ),
        (
            "checkpoint.bin empty",
            |r| fs::write(r.join("checkpoint.bin"), "").expect("scratch"),
            &["checkpoint.bin"],
        ),
        (
            "config.json deleted",
            |r| fs::remove_file(r.join("config.json")).expect("scratch"),
            &["config.json"],
        ),
        (
            "config.json of another seed",
            |r| edit_json(&r.join("config.json"), "/seed", json!(99)),
            &["another run"],
        ),
        (
            "config.json empty",
            |r| fs::write(r.join("config.json"), "").expect("scratch"),
            &["config.json"],
        ),
    ];
    for (name, edit, needles) in edits {
        for cmd in ["resume", "eval"] {
            if cmd == "eval" && needles.is_empty() {
                continue; // eval reads no log
            }
            p.add(F, format!("{cmd} a run with {name}"), move |ctx, dir| {
                let run = ctx.trained_run(dir, "run");
                edit(&run);
                let args: Vec<String> = if cmd == "eval" {
                    vec!["eval".into(), s(&run)]
                } else {
                    vec![
                        "train".into(),
                        "--quiet".into(),
                        "--resume".into(),
                        "--batches".into(),
                        "7".into(),
                        "--out".into(),
                        s(&run),
                    ]
                };
                let o = ctx.run(dir, &refs(&args));
                if needles.is_empty() {
                    let v = expect_ok(&o);
                    match run_problem(&run) {
                        Some(p) if v.class == Class::Ok => verdict(Class::Wrong, p),
                        _ => v,
                    }
                } else {
                    expect_error(&o, needles)
                }
            });
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("scratch");
    f.write_all(text.as_bytes()).expect("scratch");
}

fn truncate(path: &Path) {
    let b = fs::read(path).expect("scratch");
    fs::write(path, &b[..b.len() / 2]).expect("scratch");
}

fn edit_json(path: &Path, pointer: &str, value: Value) {
    let mut v: Value =
        serde_json::from_str(&fs::read_to_string(path).expect("scratch")).expect("JSON");
    *v.pointer_mut(pointer).expect("field") = value;
    fs::write(path, v.to_string()).expect("scratch");
}

/// After a crash of the run in `dir/run`: resume must continue it with a consistent log, or
/// (when the crash came before the first checkpoint) fail naming the missing checkpoint.
fn resume_after_crash(ctx: &Ctx, dir: &Path) -> Verdict {
    let run = dir.join("run");
    if !run.join("checkpoint.bin").exists() {
        let o = ctx.run(
            dir,
            &[
                "train",
                "--quiet",
                "--resume",
                "--batches",
                "30",
                "--out",
                "run",
            ],
        );
        return expect_error(&o, &["checkpoint.bin"]);
    }
    let done = Checkpoint::load(&run.join("checkpoint.bin"), None).map_or(0, |c| c.batches_done);
    let o = ctx.run(
        dir,
        &[
            "train",
            "--quiet",
            "--resume",
            "--batches",
            &(done + 3).to_string(),
            "--out",
            "run",
        ],
    );
    let v = expect_ok(&o);
    if v.class != Class::Ok {
        return v;
    }
    match run_problem(&run) {
        Some(p) => verdict(Class::Wrong, p),
        None => verdict(
            Class::Ok,
            format!("resumed from batch {done}; log consistent"),
        ),
    }
}

// Family 9 -------------------------------------------------------------------------------------

fn family_9(p: &mut Plan) {
    const F: usize = 9;
    let garbage = ["x", "{}", "}", "\n{\"a\": 1}", "\0", "[1]"];
    let docs: Vec<(&str, &str)> = vec![
        ("spec JSON", "check"),
        ("spec JSON", "simulate --spec"),
        ("spec JSON", "train --effector-spec"),
        ("spec TOML", "check"),
        ("scenario", "simulate"),
        ("run config JSON", "train --config"),
        ("run config TOML", "train --config"),
        ("config.json of a run", "eval"),
        ("config.json of a run", "train --resume"),
        ("checkpoint.bin of a run", "eval"),
        ("checkpoint.bin of a run", "plot"),
        ("checkpoint.bin of a run", "train --resume"),
    ];
    for (doc, cmd) in docs {
        let suffixes: Vec<&str> = if doc.contains("TOML") {
            vec!["x", "[[", "\n}"]
        } else if doc.starts_with("checkpoint") {
            vec!["x", "\0", "DOUBLE"]
        } else if p.quick {
            vec!["x", "{}"]
        } else {
            garbage.to_vec()
        };
        for suffix in suffixes.into_iter().chain(["\n \t\n"]) {
            // blank space after a text document is fine; after a checkpoint it is trailing data
            let blank = suffix.trim().is_empty() && !doc.starts_with("checkpoint");
            p.add(
                F,
                format!("{cmd} with a {doc} + {suffix:?}"),
                move |ctx, dir| {
                    let (file, args, needles): (PathBuf, Vec<String>, Vec<&str>) = match doc {
                        "spec JSON" | "spec TOML" => {
                            let (name, text) = if doc == "spec JSON" {
                                (
                                    "spec.json",
                                    fs::read_to_string(ctx.spec("RigidTendonArm26")).expect("spec"),
                                )
                            } else {
                                (
                                    "spec.toml",
                                    fs::read_to_string(ctx.input("spec-RigidTendonArm26.toml"))
                                        .expect("spec"),
                                )
                            };
                            let f = dir.join(name);
                            fs::write(&f, text).expect("scratch");
                            let args = match cmd {
                                "check" => vec![
                                    "check".into(),
                                    name.into(),
                                    "--states=1".into(),
                                    "--steps=2".into(),
                                ],
                                "simulate --spec" => vec![
                                    "simulate".into(),
                                    "--spec".into(),
                                    name.into(),
                                    "--batch=2".into(),
                                    "--steps=2".into(),
                                ],
                                _ => vec![
                                    "train".into(),
                                    "--quiet".into(),
                                    "--config".into(),
                                    ctx.small(),
                                    "--effector-spec".into(),
                                    name.into(),
                                    "--batches=2".into(),
                                    "--out".into(),
                                    "run".into(),
                                ],
                            };
                            (f, args, vec!["trailing", "line", "expected"])
                        }
                        "scenario" => {
                            let f = dir.join("sc.json");
                            fs::write(&f, fixture_value(ctx).to_string()).expect("scratch");
                            (
                                f,
                                vec!["simulate".into(), "sc.json".into()],
                                vec!["trailing", "line"],
                            )
                        }
                        "run config JSON" | "run config TOML" => {
                            let f = if doc.ends_with("JSON") {
                                let f = dir.join("c.json");
                                fs::copy(ctx.inputs.join("run/config.json"), &f).expect("scratch");
                                f
                            } else {
                                let f = dir.join("c.toml");
                                fs::copy(ctx.small(), &f).expect("scratch");
                                f
                            };
                            let args = vec![
                                "train".into(),
                                "--quiet".into(),
                                "--config".into(),
                                s(&f),
                                "--batches=2".into(),
                                "--out".into(),
                                "run".into(),
                            ];
                            (f, args, vec!["trailing", "line", "expected"])
                        }
                        _ => {
                            let run = ctx.trained_run(dir, "run");
                            let f = run.join(if doc.starts_with("config") {
                                "config.json"
                            } else {
                                "checkpoint.bin"
                            });
                            let args = match cmd {
                                "eval" => vec!["eval".into(), s(&run)],
                                "plot" => vec!["plot".into(), s(&run)],
                                _ => vec![
                                    "train".into(),
                                    "--quiet".into(),
                                    "--resume".into(),
                                    "--batches=6".into(),
                                    "--out".into(),
                                    s(&run),
                                ],
                            };
                            let needles = if doc.starts_with("config") {
                                vec!["trailing", "line"]
                            } else {
                                vec!["checkpoint"]
                            };
                            (f, args, needles)
                        }
                    };
                    if suffix == "DOUBLE" {
                        let b = fs::read(&file).expect("scratch");
                        append_bytes(&file, &b);
                    } else {
                        append_bytes(&file, suffix.as_bytes());
                    }
                    let o = ctx.run(dir, &refs(&args));
                    if blank {
                        expect_ok(&o)
                    } else {
                        expect_error(&o, &needles)
                    }
                },
            );
        }
    }
}

fn append_bytes(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("scratch");
    f.write_all(bytes).expect("scratch");
}

// Family 10 ------------------------------------------------------------------------------------

fn family_10(p: &mut Plan) {
    const F: usize = 10;
    let changing: Vec<(&'static str, Vec<&str>)> = vec![
        ("--config", vec!["--config", "@small"]),
        ("--effector", vec!["--effector", "Reacher"]),
        (
            "--effector-spec",
            vec!["--effector-spec", "@spec:ReluPointMass24"],
        ),
        ("--muscle", vec!["--muscle", "ReluMuscle"]),
        ("--task", vec!["--task", "DelayedReach"]),
        ("--curl-field", vec!["--curl-field", "10"]),
        ("--network", vec!["--network", "mlp"]),
        ("--hidden", vec!["--hidden", "64"]),
        ("--layers", vec!["--layers", "2"]),
        ("--batch-size", vec!["--batch-size", "4"]),
        ("--lr", vec!["--lr", "0.1"]),
        ("--seed", vec!["--seed", "3"]),
    ];
    for (flag, extra) in &changing {
        p.error(
            F,
            &[
                &[
                    "train",
                    "--quiet",
                    "--resume",
                    "--batches",
                    "8",
                    "--out",
                    "@run",
                ][..],
                extra,
            ]
            .concat(),
            &[flag],
        );
    }
    p.add(
        F,
        "train --resume --hidden 64 --curl-field 10 names both",
        |ctx, dir| {
            let run = ctx.trained_run(dir, "run");
            let before = Snap::take(&run);
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--resume",
                    "--batches",
                    "8",
                    "--hidden",
                    "64",
                    "--curl-field",
                    "10",
                    "--out",
                    &s(&run),
                ],
            );
            let v = kept(expect_error(&o, &["--hidden"]), &before);
            if v.class == Class::OkError && !o.stderr.contains("--curl-field") {
                verdict(Class::Wrong, "--curl-field is not named")
            } else {
                v
            }
        },
    );
    for n in ["2", "4"] {
        p.error(
            F,
            &[
                "train",
                "--quiet",
                "--resume",
                "--batches",
                n,
                "--out",
                "@run",
            ],
            &["already has 4 batches"],
        );
    }
    p.error(
        F,
        &[
            "train",
            "--quiet",
            "--resume",
            "--overwrite",
            "--batches",
            "8",
            "--out",
            "@run",
        ],
        &["--overwrite"],
    );
    p.error(
        F,
        &["train", "--quiet", "--resume", "--batches", "8"],
        &["--out"],
    );
    p.add(
        F,
        "train --resume --batches 7 --threads 2 (allowed)",
        |ctx, dir| {
            let run = ctx.trained_run(dir, "run");
            let v = expect_ok(&ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--resume",
                    "--batches",
                    "7",
                    "--threads",
                    "2",
                    "--out",
                    &s(&run),
                ],
            ));
            match run_problem(&run) {
                Some(p) if v.class == Class::Ok => verdict(Class::Wrong, p),
                _ => v,
            }
        },
    );
    p.add(F, "simulate --preset -o OUT writes nothing", |ctx, dir| {
        let o = ctx.run(
            dir,
            &["simulate", "--preset", "RigidTendonArm26", "-o", "out.json"],
        );
        let v = expect_error(&o, &["-o"]);
        if dir.join("out.json").exists() {
            verdict(Class::Wrong, "out.json was written")
        } else {
            v
        }
    });
    p.error(
        F,
        &["simulate", "--spec", "@spec:Reacher", "-o", "out.json"],
        &["-o"],
    );
    for (flag, value) in [
        ("--batch", "5"),
        ("--steps", "5"),
        ("--excitation", "0.1"),
        ("--seed", "3"),
    ] {
        p.error(F, &["simulate", "@fixture", flag, value], &[flag]);
    }
    p.error(
        F,
        &["simulate", "@fixture", "--preset", "Reacher"],
        &["--preset"],
    );
    p.error(
        F,
        &["simulate", "@fixture", "--muscle", "ReluMuscle"],
        &["--muscle"],
    );
    p.add(
        F,
        "simulate --spec ARM26 --muscle MujocoHillMuscle: the muscle is used",
        |ctx, dir| {
            let o = ctx.run(
                dir,
                &[
                    "simulate",
                    "--spec",
                    &ctx.spec("RigidTendonArm26"),
                    "--muscle",
                    "MujocoHillMuscle",
                    "--batch=2",
                    "--steps=2",
                ],
            );
            let v = expect_ok(&o);
            if v.class == Class::Ok && !o.stderr.contains("muscle=MujocoHillMuscle") {
                verdict(
                    Class::Wrong,
                    format!("--muscle ignored: {}", clip(&o.stderr, 200)),
                )
            } else {
                v
            }
        },
    );
    p.error(
        F,
        &["simulate", "--preset", "Reacher", "--spec", "@spec:Reacher"],
        &["--spec"],
    );
    p.error(
        F,
        &[
            "spec",
            "--preset",
            "ReluPointMass24",
            "--muscle",
            "RigidTendonHillMuscle",
        ],
        &["muscle"],
    );
    p.error(F, &["check", "@fixture", "--states=0"], &["--states"]);
    p.train_refused(
        F,
        &["--effector", "Reacher", "--effector-spec", "@spec:Reacher"],
        &["--effector"],
    );
    p.train_refused(F, &["--effector", "NoSuchArm"], &["NoSuchArm"]);
    p.train_refused(F, &["--task", "Juggling"], &["Juggling"]);
    p.train_refused(F, &["--network", "transformer"], &["transformer"]);
    p.train_refused(
        F,
        &[
            "--effector",
            "ReluPointMass24",
            "--muscle",
            "RigidTendonHillMuscle",
        ],
        &["muscle"],
    );
    for (name, args, muscle) in [
        (
            "--effector RigidTendonArm26 --muscle MujocoHillMuscle",
            vec![
                "--effector",
                "RigidTendonArm26",
                "--muscle",
                "MujocoHillMuscle",
            ],
            "MujocoHillMuscle",
        ),
        (
            "--effector-spec ARM --muscle RigidTendonHillMuscleThelen",
            vec![
                "--effector-spec",
                "@spec:RigidTendonArm26",
                "--muscle",
                "RigidTendonHillMuscleThelen",
            ],
            "RigidTendonHillMuscleThelen",
        ),
        (
            "--config (spec effector) --muscle MujocoHillMuscle",
            vec!["--config", "@armspec", "--muscle", "MujocoHillMuscle"],
            "MujocoHillMuscle",
        ),
    ] {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        p.add(
            F,
            format!("train {name}: the muscle is used"),
            move |ctx, dir| {
                let mut a: Vec<String> = vec![
                    "train".into(),
                    "--quiet".into(),
                    "--batches".into(),
                    "2".into(),
                    "--out".into(),
                    "run".into(),
                ];
                if !args.contains(&"--config".to_string()) {
                    a.extend(["--config".into(), ctx.small()]);
                }
                a.extend(args.iter().map(|x| {
                    if x == "@armspec" {
                        ctx.input("arm-spec-config.json")
                    } else {
                        x.clone()
                    }
                }));
                let (a, _) = expand(ctx, dir, &a);
                let v = expect_ok(&ctx.run(dir, &refs(&a)));
                if v.class != Class::Ok {
                    return v;
                }
                let cfg = fs::read_to_string(dir.join("run/config.json")).unwrap_or_default();
                if cfg.contains(&format!("\"{muscle}\"")) {
                    v
                } else {
                    verdict(
                        Class::Wrong,
                        format!("--muscle {muscle} ignored: not in run/config.json"),
                    )
                }
            },
        );
    }
    p.ok(F, &["eval", "@run", "--task", "RandomTargetReach"]);
    for sig in ["INT", "TERM"] {
        p.serial(
            F,
            format!("SIG{sig} while training: a checkpoint of every logged batch"),
            move |ctx, dir| {
                let mut child = ctx.spawn(
                    dir,
                    &[
                        "train",
                        "--quiet",
                        "--config",
                        &ctx.small(),
                        "--batches",
                        "100000",
                        "--out",
                        "run",
                    ],
                    "train",
                );
                if !wait_for_rows(&dir.join("run"), 7, ctx.timeout) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return verdict(Class::Wrong, "training did not start");
                }
                signal(child.id(), sig);
                let o = collect(&mut child, dir, "train", ctx.timeout);
                let v = expect_ok(&o);
                if v.class != Class::Ok {
                    return v;
                }
                if !o.stderr.contains("stopped=signal") {
                    return verdict(Class::Wrong, "no stopped=signal in the summary");
                }
                match run_problem(&dir.join("run")) {
                    Some(p) => verdict(Class::LostFile, p),
                    None => verdict(Class::Ok, "stopped with a checkpoint of every logged batch"),
                }
            },
        );
    }
    p.serial(F, "SIGINT twice while training, then resume", |ctx, dir| {
        let mut child = ctx.spawn(
            dir,
            &[
                "train",
                "--quiet",
                "--config",
                &ctx.small(),
                "--batches",
                "100000",
                "--out",
                "run",
            ],
            "train",
        );
        if !wait_for_rows(&dir.join("run"), 7, ctx.timeout) {
            let _ = child.kill();
            let _ = child.wait();
            return verdict(Class::Wrong, "training did not start");
        }
        signal(child.id(), "INT");
        signal(child.id(), "INT");
        let o = collect(&mut child, dir, "train", ctx.timeout);
        if let Some(c) = crash(&o) {
            return c;
        }
        resume_after_crash(ctx, dir)
    });
}

// Family 11 ------------------------------------------------------------------------------------

fn family_11(p: &mut Plan) {
    const F: usize = 11;
    let arm = "RigidTendonArm26";
    let check = ["check", "@file"];
    p.spec_edit(
        F,
        arm,
        "/geometry/a3",
        json!([1.0, 2.0, 3.0]),
        &check,
        &["a3"],
    );
    p.spec_edit(
        F,
        arm,
        "/geometry/a1",
        json!([[0.1], [0.2]]),
        &check,
        &["a1"],
    );
    p.spec_edit(F, arm, "/geometry/a2", json!("x"), &check, &["a2"]);
    p.spec_edit(F, arm, "/skeleton/m1", json!("heavy"), &check, &["m1"]);
    p.spec_edit(
        F,
        arm,
        "/muscles/2/max_isometric_force",
        json!(null),
        &check,
        &["max_isometric_force"],
    );
    p.spec_edit(
        F,
        "ReluPointMass24",
        "/geometry/paths/UpperLeft/coordinates",
        json!([[1.0]]),
        &check,
        &["UpperLeft"],
    );
    for (name, args) in [
        ("check", vec!["check", "x.json"]),
        ("simulate --spec", vec!["simulate", "--spec", "x.json"]),
        (
            "train --effector-spec",
            vec![
                "train",
                "--quiet",
                "--effector-spec",
                "x.json",
                "--out",
                "run",
            ],
        ),
        ("simulate (scenario)", vec!["simulate", "x.json"]),
    ] {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        p.add(
            F,
            format!("{name} of a bad file names it once and the field"),
            move |ctx, dir| {
                let text = if name.starts_with("simulate (") {
                    let mut sc = fixture_value(ctx);
                    sc["effector"]["preset"] = json!(3);
                    sc.to_string()
                } else {
                    r#"{"preset": 3}"#.to_string()
                };
                fs::write(dir.join("x.json"), text).expect("scratch");
                let o = ctx.run(dir, &refs(&args));
                let v = expect_error(&o, &["preset"]);
                let n = message(&o).matches("x.json").count();
                if v.class == Class::OkError && n != 1 {
                    verdict(
                        Class::Wrong,
                        format!("x.json named {n} times: {}", clip(&message(&o), 200)),
                    )
                } else {
                    v
                }
            },
        );
    }
    p.add(
        F,
        "train --config of a bad field names the file once and the field",
        |ctx, dir| {
            fs::write(
                dir.join("c.toml"),
                small_config(&["env.max_ep_duration = \"long\""]),
            )
            .expect("scratch");
            let o = ctx.run(
                dir,
                &["train", "--quiet", "--config", "c.toml", "--out", "run"],
            );
            let v = expect_error(&o, &["max_ep_duration"]);
            let n = message(&o).matches("c.toml").count();
            if v.class == Class::OkError && n != 1 {
                verdict(Class::Wrong, format!("c.toml named {n} times"))
            } else {
                v
            }
        },
    );
    p.config(F, &["unknown_field = 1"], &["unknown_field"], false);
    p.config(
        F,
        &["env.unknown_env_field = 1"],
        &["unknown_env_field"],
        false,
    );
    p.spec_edit(
        F,
        arm,
        "/skeleton/unknown_skeleton_field",
        json!(1.0),
        &check,
        &["unknown_skeleton_field"],
    );
    p.add(
        F,
        "eval a run with another network's checkpoint names the checkpoint",
        |ctx, dir| {
            let run = ctx.trained_run(dir, "run");
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--hidden",
                    "8",
                    "--batches",
                    "4",
                    "--out",
                    "other",
                ],
            );
            if !o.success() {
                return expect_ok(&o);
            }
            fs::copy(dir.join("other/checkpoint.bin"), run.join("checkpoint.bin"))
                .expect("scratch");
            expect_error(&ctx.run(dir, &["eval", &s(&run)]), &["run/checkpoint.bin"])
        },
    );
    p.add(
        F,
        "simulate a scenario with a JSON syntax error",
        |ctx, dir| {
            let text = fixture_value(ctx).to_string().replacen(',', "", 3);
            fs::write(dir.join("sc.json"), text).expect("scratch");
            expect_error_without(
                &ctx.run(dir, &["simulate", "sc.json"]),
                &["line", "expected"],
                &["unknown field"],
            )
        },
    );
    p.add(F, "simulate a truncated scenario", |ctx, dir| {
        let text = fixture_value(ctx).to_string();
        fs::write(dir.join("sc.json"), &text[..text.len() / 2]).expect("scratch");
        expect_error_without(
            &ctx.run(dir, &["simulate", "sc.json"]),
            &["EOF", "line"],
            &["unknown field"],
        )
    });
    p.add(F, "train --threads 100000 fails at once", |ctx, dir| {
        let o = ctx.run(
            dir,
            &["train", "--quiet", "--threads", "100000", "--out", "run"],
        );
        let v = expect_error(&o, &["threads"]);
        if v.class == Class::OkError && o.secs > 5.0 {
            verdict(Class::Wrong, format!("took {:.1} s to fail", o.secs))
        } else {
            v
        }
    });
    for (name, text) in [
        (
            "a 200 kB TOML line",
            format!("x = \"{}\n", "y".repeat(200_000)),
        ),
        (
            "a TOML array nested 100000 deep",
            format!("x = {}", "[".repeat(100_000)),
        ),
        (
            "a JSON array nested 100000 deep",
            format!("{{\"skeleton\": {}", "[".repeat(100_000)),
        ),
        (
            "a 10 MB JSON string",
            format!("{{\"preset\": \"{}\"}}", "y".repeat(10_000_000)),
        ),
        ("a binary file", "\u{0}\u{1}\u{2}\u{ff}".repeat(1000)),
    ] {
        let ext = if name.contains("TOML") {
            "toml"
        } else {
            "json"
        };
        for cmd in ["check", "train --config"] {
            let text = text.clone();
            p.add(
                F,
                format!("{cmd} with {name}: a short message"),
                move |ctx, dir| {
                    let f = format!("f.{ext}");
                    fs::write(dir.join(&f), &text).expect("scratch");
                    let o = if cmd == "check" {
                        ctx.run(dir, &["check", &f])
                    } else {
                        ctx.run(dir, &["train", "--quiet", "--config", &f, "--out", "run"])
                    };
                    expect_error(&o, &[&f])
                },
            );
        }
    }
    for args in [
        vec!["check", "no/such.json"],
        vec!["simulate", "no/such.json"],
        vec!["simulate", "--spec", "no/such.json"],
        vec![
            "train",
            "--quiet",
            "--config",
            "no/such.toml",
            "--out",
            "run",
        ],
        vec![
            "train",
            "--quiet",
            "--effector-spec",
            "no/such.json",
            "--out",
            "run",
        ],
        vec!["eval", "no/such"],
        vec!["plot", "no/such"],
    ] {
        let needle: &'static str = if args.iter().any(|a| a.ends_with(".toml")) {
            "no/such.toml"
        } else if args.iter().any(|a| a.ends_with(".json")) {
            "no/such.json"
        } else {
            "no/such"
        };
        p.error(F, &args, &[needle]);
    }
    p.add(
        F,
        "train on an effector that diverges: not blamed on the network",
        |ctx, dir| {
            let mut spec = ctx.spec_value("ReluPointMass24");
            spec["skeleton"]["mass"] = json!(1e-9);
            spec["muscles"][0]["max_isometric_force"] = json!(1e30);
            fs::write(dir.join("spec.json"), spec.to_string()).expect("scratch");
            let o = ctx.run(
                dir,
                &[
                    "train",
                    "--quiet",
                    "--config",
                    &ctx.small(),
                    "--effector-spec",
                    "spec.json",
                    "--batches",
                    "3",
                    "--out",
                    "run",
                ],
            );
            if o.success() {
                return verdict(Class::Ok, "accepted (did not diverge)");
            }
            expect_error_without(
                &o,
                &["not finite", "effector", "state"],
                &["network output"],
            )
        },
    );
}

// Family 12 ------------------------------------------------------------------------------------

fn family_12(p: &mut Plan, ctx: &Ctx) {
    const F: usize = 12;
    let mut files: Vec<(String, String)> = Vec::new();
    for preset in &ctx.presets {
        files.push((format!("preset {preset}"), ctx.spec(preset)));
    }
    for m in &ctx.muscles {
        files.push((
            format!("RigidTendonArm26 --muscle {m}"),
            ctx.input(&format!("spec-RigidTendonArm26-{m}.json")),
        ));
    }
    let mut fixtures: Vec<PathBuf> = fs::read_dir(&ctx.parity)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    fixtures.sort();
    for f in fixtures {
        files.push((
            format!(
                "fixture {}",
                f.file_name().unwrap_or_default().to_string_lossy()
            ),
            s(&f),
        ));
    }
    for (name, file) in files {
        for seed in 0..10 {
            let file = file.clone();
            p.add(F, format!("check {name} --seed {seed}"), move |ctx, dir| {
                let o = ctx.run(dir, &["check", &file, "--seed", &seed.to_string()]);
                if let Some(c) = crash(&o) {
                    return c;
                }
                let err = o
                    .stderr
                    .split_whitespace()
                    .find(|w| w.starts_with("max_rel_grad_err="))
                    .unwrap_or("")
                    .to_string();
                let last = message(&o).lines().last().unwrap_or("").to_string();
                if o.success() {
                    verdict(Class::Ok, err)
                } else {
                    verdict(
                        Class::Wrong,
                        format!(
                            "check failed on a valid effector: {err}: {}",
                            clip(&last, 160)
                        ),
                    )
                }
            });
        }
    }
}

// Setup, running, report ------------------------------------------------------------------------

/// Family number, short description, regression tests.
const FAMILIES: [(usize, &str, &str); 12] = [
    (1, "huge, negative and non-numeric sizes: flags, run config fields, spec fields, scenarios", "`crates/motornet/tests/bad_sizes.rs`, `audit_findings.rs`, `crates/task/tests/env.rs`, `crates/policy/tests/layout.rs`"),
    (2, "`train --out` onto runs, users' directories and files", "`crates/motornet/tests/run_dirs.rs`"),
    (3, "two writers on one run", "`run_dirs.rs`, `crates/train/src/files.rs`"),
    (4, "`simulate -o OUT` killed mid-write or failing: the old OUT stays", "`crates/motornet/tests/cli.rs`, `crates/effector/tests/stream.rs`"),
    (5, "write errors on standard output (and standard error)", "`cli.rs`, `audit_findings.rs`"),
    (6, "huge learning rates, then eval, plot and resume of the checkpoint", "`crates/train/tests/open_trainer.rs`, `train_cli.rs`, `checkpoint.rs`"),
    (7, "huge `n_ministeps`; `check` on many muscles in bounded time", "`crates/effector/tests/spec_validation.rs`, `crates/effector/tests/gradients.rs`"),
    (8, "kill -9 during training, then resume; damaged log, checkpoint, config", "`run_dirs.rs`, `files.rs`"),
    (9, "trailing data after a document (spec, scenario, config, checkpoint)", "`spec_validation.rs`, `checkpoint.rs`"),
    (10, "flags ignored or inconsistent; Ctrl-C and SIGTERM", "`run_dirs.rs`, `cli.rs`, `train_cli.rs`, `audit_findings.rs`"),
    (11, "unclear messages: the file named once, the field by its path, short", "`spec_validation.rs`, `cli.rs`, `bad_sizes.rs`, `open_trainer.rs`, `audit_findings.rs`"),
    (12, "`motornet check` on every preset, muscle and parity fixture, seeds 0–9", "`cli.rs`, `gradients.rs`"),
];

/// Runs `motornet ARGS` in `dir` for setting up; its standard output on success.
fn setup_run(ctx: &Ctx, dir: &Path, args: &[&str]) -> Result<String, String> {
    let o = ctx.run(dir, args);
    if o.success() {
        Ok(o.stdout)
    } else {
        Err(format!(
            "setup: motornet {}: {:?}: {}",
            args.join(" "),
            o.status,
            clip(&o.stderr, 400)
        ))
    }
}

/// The names listed in a message between `start` and `end` (comma-separated).
fn listed(text: &str, start: &str, end: char) -> Vec<String> {
    text.split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(list, _)| {
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Makes the shared inputs: spec files, the small config, a trained run, a large scenario.
fn prepare(ctx: &mut Ctx) -> Result<(), String> {
    let dir = ctx.inputs.clone();
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    fs::write(dir.join("small.toml"), small_config(&[])).map_err(|e| e.to_string())?;
    // the presets and muscles, as the program lists them in its own errors
    let o = ctx.run(&dir, &["spec", "--preset", "?"]);
    ctx.presets = listed(&o.stderr, "expected one of ", ')');
    let o = ctx.run(
        &dir,
        &["spec", "--preset", "RigidTendonArm26", "--muscle", "?"],
    );
    ctx.muscles = listed(&o.stderr, "[possible values: ", ']');
    if ctx.presets.is_empty() || ctx.muscles.is_empty() {
        return Err(format!("setup: no preset or muscle list in: {}", o.stderr));
    }
    for preset in ctx.presets.clone() {
        let text = setup_run(ctx, &dir, &["spec", "--preset", &preset])?;
        fs::write(dir.join(format!("spec-{preset}.json")), text).map_err(|e| e.to_string())?;
    }
    let text = setup_run(
        ctx,
        &dir,
        &["spec", "--preset", "RigidTendonArm26", "--format", "toml"],
    )?;
    fs::write(dir.join("spec-RigidTendonArm26.toml"), text).map_err(|e| e.to_string())?;
    // the muscles RigidTendonArm26 takes (a compliant tendon is refused: it has its preset)
    let mut arm_muscles = Vec::new();
    for m in ctx.muscles.clone() {
        if let Ok(text) = setup_run(
            ctx,
            &dir,
            &["spec", "--preset", "RigidTendonArm26", "--muscle", &m],
        ) {
            fs::write(dir.join(format!("spec-RigidTendonArm26-{m}.json")), text)
                .map_err(|e| e.to_string())?;
            arm_muscles.push(m);
        }
    }
    ctx.muscles = arm_muscles;
    // a run config whose effector is a full spec
    let config = json!({
        "batch_size": 8, "threads": 1, "checkpoint_every": 4,
        "env": {"max_ep_duration": 0.3},
        "network": {"kind": "gru", "hidden": 16, "layers": 1},
        "effector": {"spec": ctx.spec_value("RigidTendonArm26")},
    });
    fs::write(dir.join("arm-spec-config.json"), config.to_string()).map_err(|e| e.to_string())?;
    setup_run(
        ctx,
        &dir,
        &[
            "train",
            "--quiet",
            "--config",
            "small.toml",
            "--batches",
            "4",
            "--out",
            "run",
        ],
    )?;
    // a scenario whose output takes a while to write (about 100 MB)
    let mut sc = fixture_value(ctx);
    let (b, t) = (32, 3000);
    let states = sc["initial_joint_state"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let steps = sc["excitation"].as_array().cloned().unwrap_or_default();
    if states.is_empty() || steps.is_empty() {
        return Err("setup: the arm26 fixture has no states or excitations".into());
    }
    sc["initial_joint_state"] =
        Value::Array((0..b).map(|i| states[i % states.len()].clone()).collect());
    sc["excitation"] = Value::Array(
        (0..t)
            .map(|k| {
                let row = steps[k % steps.len()]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                Value::Array((0..b).map(|i| row[i % row.len()].clone()).collect())
            })
            .collect(),
    );
    fs::write(dir.join("big.json"), sc.to_string()).map_err(|e| e.to_string())?;
    Ok(())
}

struct Result_ {
    family: usize,
    name: String,
    class: Class,
    detail: String,
    secs: f64,
}

/// Runs the variants (`jobs` at a time, serial ones alone afterwards), printing a line each.
fn run_all(ctx: &Ctx, variants: Vec<Variant>, jobs: usize, scratch: &Path) -> Vec<Result_> {
    let total = variants.len();
    let (serial, parallel): (Vec<_>, Vec<_>) = variants
        .into_iter()
        .enumerate()
        .partition(|(_, v)| v.serial);
    let results: Mutex<Vec<(usize, Result_)>> = Mutex::new(Vec::new());
    let done = AtomicUsize::new(0);
    let one = |i: usize, v: &Variant| {
        let dir = scratch.join(format!("{i:04}"));
        fs::create_dir_all(&dir).expect("scratch directory");
        let start = Instant::now();
        let verdict = (v.body)(ctx, &dir);
        let secs = start.elapsed().as_secs_f64();
        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
        println!(
            "[{n:>3}/{total}] family {:>2}  {:<9}  {:>6.2}s  {}  — {}",
            v.family,
            verdict.class.name(),
            secs,
            v.name,
            verdict.detail
        );
        results.lock().expect("results").push((
            i,
            Result_ {
                family: v.family,
                name: v.name.clone(),
                class: verdict.class,
                detail: verdict.detail,
                secs,
            },
        ));
    };
    let next = AtomicUsize::new(0);
    let parallel = Arc::new(parallel);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some((i, v)) = parallel.get(k) else { break };
                one(*i, v);
            });
        }
    });
    for (i, v) in &serial {
        one(*i, v);
    }
    let mut r = results.into_inner().expect("results");
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, r)| r).collect()
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // civil date from days since 1970-01-01 (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn counts(results: &[&Result_]) -> String {
    Class::ALL
        .iter()
        .filter_map(|c| {
            let n = results.iter().filter(|r| r.class == *c).count();
            (n > 0).then(|| format!("{} {n}", c.name()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The generated table and its footnote.
/// `paths` (a path, its stand-in) are shortened in the list of failures.
fn table(results: &[Result_], quick: bool, secs: f64, paths: &[(String, &str)]) -> String {
    let tidy = |s: &str| {
        let mut s = s.replace('`', "'");
        for (long, short) in paths {
            s = s.replace(long.as_str(), short);
        }
        s
    };
    let mut t = String::from(
        "| # | family | variants tried | outcomes | status | regression tests |\n|---|---|---|---|---|---|\n",
    );
    for (f, what, tests) in FAMILIES {
        let rs: Vec<&Result_> = results.iter().filter(|r| r.family == f).collect();
        if rs.is_empty() {
            continue;
        }
        let open = rs.iter().any(|r| r.class.failed());
        t += &format!(
            "| {f} | {what} | {} | {} | {} | {tests} |\n",
            rs.len(),
            counts(&rs),
            if open { "open" } else { "fixed" }
        );
    }
    let all: Vec<&Result_> = results.iter().collect();
    t += &format!("| | **all** | **{}** | {} | | |\n", all.len(), counts(&all));
    let failed: Vec<&&Result_> = all.iter().filter(|r| r.class.failed()).collect();
    t += &format!(
        "\nLast run: {}, {} mode, {} variants in {:.0} s{}",
        today(),
        if quick { "`--quick`" } else { "full" },
        all.len(),
        secs,
        if failed.is_empty() {
            ", none failed.\n".to_string()
        } else {
            ". Failed:\n\n".to_string()
        }
    );
    for r in failed {
        t += &format!(
            "- family {}, {}: `{}`: {}\n",
            r.family,
            r.class.name(),
            tidy(&r.name),
            tidy(&r.detail)
        );
    }
    t
}

/// Replaces the text between the markers in `path` with `table`.
fn write_table(path: &Path, table: &str) -> Result<(), String> {
    let doc = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(a), Some(b)) = (doc.find(TABLE_START), doc.find(TABLE_END)) else {
        return Err(format!(
            "{}: no {TABLE_START} ... {TABLE_END} markers",
            path.display()
        ));
    };
    if b < a {
        return Err(format!(
            "{}: the markers are in the wrong order",
            path.display()
        ));
    }
    let new = format!("{}{TABLE_START}\n{table}{}", &doc[..a], &doc[b..]);
    fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))
}

struct Options {
    quick: bool,
    write: Option<PathBuf>,
    jobs: usize,
    timeout: u64,
    families: Vec<usize>,
    keep: bool,
    bin: Option<PathBuf>,
    build: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        write: None,
        jobs: 2,
        timeout: 60,
        families: vec![],
        keep: false,
        bin: None,
        build: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--quick" => o.quick = true,
            "--keep" => o.keep = true,
            "--no-build" => o.build = false,
            "--write" => o.write = Some(value("--write")?.into()),
            "--bin" => o.bin = Some(value("--bin")?.into()),
            "--jobs" => {
                o.jobs = value("--jobs")?
                    .parse()
                    .map_err(|e| format!("--jobs: {e}"))?
            }
            "--timeout" => {
                o.timeout = value("--timeout")?
                    .parse()
                    .map_err(|e| format!("--timeout: {e}"))?
            }
            "--family" => o.families.push(
                value("--family")?
                    .parse()
                    .map_err(|e| format!("--family: {e}"))?,
            ),
            "-h" | "--help" => {
                println!("cargo run --release -p motornet --example audit -- [--quick] [--write docs/reliability.md] [--jobs N] [--timeout S] [--family N]... [--keep] [--bin PATH] [--no-build]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(o)
}

/// The release `motornet` beside this example (target/release/examples/audit), built first.
fn locate_binary(o: &Options) -> Result<PathBuf, String> {
    if let Some(b) = &o.bin {
        return Ok(b.clone());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot find the target directory from this example's path")?;
    if o.build {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut c = Command::new(cargo);
        c.args(["build", "--quiet", "-p", "motornet", "--bin", "motornet"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            c.arg("--release");
        }
        eprintln!("audit: building motornet ({})", profile_dir.display());
        let status = c.status().map_err(|e| format!("cargo build: {e}"))?;
        if !status.success() {
            return Err("cargo build -p motornet failed".into());
        }
    }
    let bin = profile_dir.join("motornet");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{} does not exist: build it (cargo build --release -p motornet)",
            bin.display()
        ))
    }
}

fn main() -> ExitCode {
    match audit() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("audit: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn audit() -> Result<bool, String> {
    let o = options()?;
    let bin = locate_binary(&o)?;
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let parity = manifest.join("../../../shared/parity");
    if !parity.is_dir() {
        return Err(format!(
            "{} is missing (the parity fixtures)",
            parity.display()
        ));
    }
    let scratch = std::env::temp_dir().join(format!("motornet-audit-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    let mut ctx = Ctx {
        bin,
        timeout: Duration::from_secs(o.timeout),
        quick: o.quick,
        parity,
        inputs: scratch.join("inputs"),
        presets: vec![],
        muscles: vec![],
    };
    let start = Instant::now();
    prepare(&mut ctx)?;
    let mut plan = Plan {
        quick: ctx.quick,
        variants: vec![],
    };
    family_1(&mut plan);
    family_2(&mut plan);
    family_3(&mut plan);
    family_4(&mut plan);
    family_5(&mut plan);
    family_6(&mut plan);
    family_7(&mut plan);
    family_8(&mut plan);
    family_9(&mut plan);
    family_10(&mut plan);
    family_11(&mut plan);
    family_12(&mut plan, &ctx);
    let variants: Vec<Variant> = plan
        .variants
        .into_iter()
        .filter(|v| o.families.is_empty() || o.families.contains(&v.family))
        .collect();
    eprintln!(
        "audit: {} variants against {} ({} mode, {} at a time, {} s limit each), in {}",
        variants.len(),
        ctx.bin.display(),
        if o.quick { "quick" } else { "full" },
        o.jobs,
        o.timeout,
        scratch.display()
    );
    let results = run_all(&ctx, variants, o.jobs, &scratch.join("variants"));
    let secs = start.elapsed().as_secs_f64();
    println!("\nfamily  variants  outcomes");
    for (f, _, _) in FAMILIES {
        let rs: Vec<&Result_> = results.iter().filter(|r| r.family == f).collect();
        if !rs.is_empty() {
            println!("{f:>6}  {:>8}  {}", rs.len(), counts(&rs));
        }
    }
    let all: Vec<&Result_> = results.iter().collect();
    println!("   all  {:>8}  {}  ({secs:.0} s)", all.len(), counts(&all));
    let failed: Vec<&Result_> = results.iter().filter(|r| r.class.failed()).collect();
    if !failed.is_empty() {
        println!("\nFAILED ({}):", failed.len());
        for r in &failed {
            println!(
                "  family {:>2}  {:<9}  {}  — {}",
                r.family,
                r.class.name(),
                r.name,
                r.detail
            );
        }
    }
    let slow = results.iter().map(|r| r.secs).fold(0.0, f64::max);
    println!("slowest variant: {slow:.1} s");
    if let Some(path) = &o.write {
        let paths = [(s(&ctx.parity), "../shared/parity"), (s(&scratch), "$TMP")];
        write_table(path, &table(&results, o.quick, secs, &paths))?;
        println!("wrote the table into {}", path.display());
    }
    if o.keep {
        println!("kept {}", scratch.display());
    } else {
        let _ = fs::remove_dir_all(&scratch);
    }
    Ok(failed.is_empty())
}
