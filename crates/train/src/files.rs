//! Files of a training run, written so that a crash, a full disk or a second process never
//! destroys results: atomic writes ([`write_atomic`]) and run directories ([`RunDir`]) that
//! refuse to replace a run by accident and that one process at a time may write.
//!
//! A run directory holds `config.json` (the resolved run config), `log.csv` (one row per
//! batch), `checkpoint.bin` and whatever else the program writes (plots, evaluations); while a
//! process writes it, it holds an exclusive lock on `RUN_DIR/.lock` (an advisory file lock the
//! operating system drops when the process ends, however it ends).

use crate::error::TrainError;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The run config, as [`crate::TrainConfig`] serialises it (JSON).
pub const CONFIG_FILE: &str = "config.json";
/// The training log: a header, then one row per batch.
pub const LOG_FILE: &str = "log.csv";
/// The behaviour learning curve (`validate_every`): a header, then one row per validation.
pub const VALIDATION_FILE: &str = "validation.csv";
/// The latest checkpoint ([`crate::Checkpoint`]).
pub const CHECKPOINT_FILE: &str = "checkpoint.bin";
/// The lock file of a run directory.
pub const LOCK_FILE: &str = ".lock";
/// What a replicate set is (`motornet train --replicates N`): the file that makes a directory
/// a set of runs `rep-0` … `rep-{N-1}` rather than a run.
pub const REPLICATES_FILE: &str = "replicates.json";

fn io_error(path: &Path, reason: impl std::fmt::Display) -> TrainError {
    TrainError::Io {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A temporary name beside `path`, unique to this process and call: `.NAME.tmp-PID-N`.
fn temporary_beside(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Write `bytes` to `path` atomically: into a temporary file of a unique name in the same
/// directory, flushed to disk, then renamed over `path`. A reader (or a crash) sees the old
/// file or the new one, never a part; two writers never share a temporary file. On error the
/// temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// [`write_atomic`] with the contents written by `write` (for output produced piece by piece,
/// e.g. streamed, without holding it all in memory).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&File>) -> std::io::Result<()>,
) -> Result<(), TrainError> {
    let tmp = temporary_beside(path);
    let result = (|| {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        {
            let mut w = std::io::BufWriter::new(&file);
            write(&mut w)?;
            w.flush()?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error(path, format!("cannot write: {e}"))
    })
}

/// The memory available to a new allocation, in bytes, as the operating system reports it
/// (Linux: `MemAvailable` in `/proc/meminfo`); `None` where it cannot be read.
pub fn available_memory_bytes() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// The share of the available memory an estimate may take: estimates are rough (a training
/// batch's was found 8 % low), and a run that fills memory to the last byte is killed by the
/// kernel rather than refused.
pub const MEMORY_MARGIN: f64 = 0.8;

/// Why `bytes` of memory cannot be had: "about X GiB of memory, more than the Y GiB available
/// allow" when the estimate exceeds [`MEMORY_MARGIN`] of what [`available_memory_bytes`]
/// reports; `None` when it fits or the available memory is unknown. The one place the program
/// compares an estimate with the machine (a training batch, a `simulate` batch, a `check`).
pub fn memory_shortfall(bytes: f64) -> Option<String> {
    let available = available_memory_bytes()?;
    let gib = |b: f64| b / (1u64 << 30) as f64;
    (bytes > MEMORY_MARGIN * available).then(|| {
        format!(
            "about {:.1} GiB of memory, more than the {:.1} GiB available allow (estimates \
             may take {:.0} % of it)",
            gib(bytes),
            gib(available),
            100.0 * MEMORY_MARGIN
        )
    })
}

/// Whether `dir` holds a run (its `config.json`).
pub fn is_run_dir(dir: &Path) -> bool {
    dir.join(CONFIG_FILE).is_file()
}

/// Whether `dir` holds a replicate set (its [`REPLICATES_FILE`]).
pub fn is_replicate_set(dir: &Path) -> bool {
    dir.join(REPLICATES_FILE).is_file()
}

/// What a directory holds: a run, or a set of replicate runs (the file that marks it, the
/// words that name it in errors).
#[derive(Clone, Copy)]
struct Kind {
    marker: &'static str,
    name: &'static str,
}

const RUN: Kind = Kind {
    marker: CONFIG_FILE,
    name: "a run",
};
const SET: Kind = Kind {
    marker: REPLICATES_FILE,
    name: "a replicate set",
};

/// A run directory this process holds the lock of; the lock goes when this value is dropped
/// (or the process ends).
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    /// Holds the exclusive lock.
    _lock: File,
    /// Whether [`RunDir::create`] made the directory (then [`RunDir::discard`] removes it).
    created: bool,
}

impl RunDir {
    /// A directory for a new run at `path`: created if missing; an existing empty directory
    /// is fine. An existing run there is an error unless `overwrite`, which removes that run's
    /// files (`config.json`, `log.csv`, `checkpoint.bin`, and the plots and evaluations the
    /// program writes: `*.png`, `*.npy`, `*.csv`, `*.json` at its top level); a non-empty
    /// directory that is not a run is always an error (nothing in it is deleted).
    pub fn create(path: &Path, overwrite: bool) -> Result<Self, TrainError> {
        Self::create_kind(path, overwrite, RUN)
    }

    /// [`RunDir::create`] for a replicate set (`motornet train --replicates N`): a directory
    /// marked by [`REPLICATES_FILE`] instead of `config.json`, under the same rules (refused if
    /// it holds a set, unless `overwrite`, which removes the set's top-level files as
    /// [`RunDir::create`] does a run's; always refused if it holds anything else). Its
    /// replicates, in subdirectories, are run directories of their own.
    pub fn create_set(path: &Path, overwrite: bool) -> Result<Self, TrainError> {
        Self::create_kind(path, overwrite, SET)
    }

    fn create_kind(path: &Path, overwrite: bool, kind: Kind) -> Result<Self, TrainError> {
        let holds = |p: &Path| p.join(kind.marker).is_file();
        let existed = path.exists();
        if existed && !path.is_dir() {
            return Err(io_error(path, "exists and is not a directory"));
        }
        if existed {
            let others = Self::entries_besides_lock(path)?;
            if !others.is_empty() {
                if !holds(path) {
                    return Err(io_error(
                        path,
                        format!(
                            "is not empty ({} entries, e.g. `{}`) and holds no {}; choose a \
                             new or empty directory",
                            others.len(),
                            others[0],
                            &kind.name[2..]
                        ),
                    ));
                }
                if !overwrite {
                    let eval = if kind.marker == CONFIG_FILE {
                        "evaluate it with `motornet eval`, "
                    } else {
                        ""
                    };
                    return Err(io_error(
                        path,
                        format!(
                            "already holds {}; continue it with --resume, {eval}or replace it \
                             with --overwrite",
                            kind.name
                        ),
                    ));
                }
            }
        } else {
            std::fs::create_dir_all(path).map_err(|e| io_error(path, e))?;
        }
        let dir = Self::lock(path, !existed)?;
        if overwrite && holds(path) {
            dir.remove_run_files()?;
        }
        Ok(dir)
    }

    /// An existing run at `path`, to continue or add to: it must hold a run.
    pub fn open(path: &Path) -> Result<Self, TrainError> {
        Self::open_kind(path, RUN)
    }

    /// An existing replicate set at `path` (see [`RunDir::create_set`]), to continue.
    pub fn open_set(path: &Path) -> Result<Self, TrainError> {
        Self::open_kind(path, SET)
    }

    fn open_kind(path: &Path, kind: Kind) -> Result<Self, TrainError> {
        if !path.is_dir() {
            return Err(io_error(path, "no such run directory"));
        }
        if !path.join(kind.marker).is_file() {
            return Err(io_error(
                path,
                format!("holds no {} (no {})", &kind.name[2..], kind.marker),
            ));
        }
        Self::lock(path, false)
    }

    fn lock(path: &Path, created: bool) -> Result<Self, TrainError> {
        let lock_path = path.join(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| io_error(&lock_path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
                let holder = holder.trim();
                return Err(io_error(
                    path,
                    format!(
                        "is in use by another motornet process{}; wait for it to finish or \
                         choose another directory",
                        if holder.is_empty() {
                            String::new()
                        } else {
                            format!(" (process {holder})")
                        }
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io_error(&lock_path, format!("cannot lock: {e}")))
            }
        }
        // the holder's process id, for the message a second writer gets
        let mut f = &file;
        let _ = f.set_len(0);
        let _ = f.rewind();
        let _ = writeln!(f, "{}", std::process::id());
        Ok(Self {
            path: path.to_path_buf(),
            _lock: file,
            created,
        })
    }

    fn entries_besides_lock(path: &Path) -> Result<Vec<String>, TrainError> {
        let mut names = vec![];
        for e in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
            let name = e.map_err(|e| io_error(path, e))?.file_name();
            let name = name.to_string_lossy().into_owned();
            if name != LOCK_FILE {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn remove_run_files(&self) -> Result<(), TrainError> {
        for e in std::fs::read_dir(&self.path).map_err(|e| io_error(&self.path, e))? {
            let e = e.map_err(|e| io_error(&self.path, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = [CONFIG_FILE, LOG_FILE, CHECKPOINT_FILE].contains(&name.as_str())
                || [".png", ".svg", ".npy", ".csv", ".json"]
                    .iter()
                    .any(|ext| name.ends_with(ext));
            if ours && e.path().is_file() {
                std::fs::remove_file(e.path()).map_err(|err| io_error(&e.path(), err))?;
            }
        }
        Ok(())
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Give up a run that wrote nothing yet: removes the directory if [`RunDir::create`]
    /// made it and it holds nothing but the lock file (so a failed start leaves nothing
    /// behind); otherwise leaves it as it is.
    pub fn discard(self) {
        if self.created && Self::entries_besides_lock(&self.path).is_ok_and(|e| e.is_empty()) {
            let _ = std::fs::remove_file(self.path.join(LOCK_FILE));
            let _ = std::fs::remove_dir(&self.path);
        }
    }

    /// Open the run's `log.csv` for appending rows after `keep_rows` rows of a previous
    /// session (the batches its checkpoint holds): a missing log, or one without `header` as
    /// its first line, is started with `header`; rows beyond `keep_rows` (written after the
    /// last checkpoint by a process that then died) are cut off. Fewer rows than `keep_rows`
    /// are kept as they are (rows lost with an older log cannot be made up).
    pub fn open_log(&self, header: &str, keep_rows: usize) -> Result<File, TrainError> {
        self.open_table(LOG_FILE, header, keep_rows)
    }

    /// [`RunDir::open_log`] for any of the run's CSV tables (`name`, e.g.
    /// [`VALIDATION_FILE`]).
    pub fn open_table(
        &self,
        name: &str,
        header: &str,
        keep_rows: usize,
    ) -> Result<File, TrainError> {
        let path = self.join(name);
        let mut keep_bytes: Option<u64> = None;
        if path.exists() {
            let f = File::open(&path).map_err(|e| io_error(&path, e))?;
            let mut r = BufReader::new(f);
            let mut line = String::new();
            let mut offset = 0u64;
            let n = r.read_line(&mut line).map_err(|e| io_error(&path, e))?;
            if n > 0 && line.trim_end() == header {
                offset += n as u64;
                let mut rows = 0;
                while rows < keep_rows {
                    line.clear();
                    let n = r.read_line(&mut line).map_err(|e| io_error(&path, e))?;
                    if n == 0 || !line.ends_with('\n') {
                        break;
                    }
                    offset += n as u64;
                    rows += 1;
                }
                keep_bytes = Some(offset);
            } else if n > 0 {
                return Err(io_error(
                    &path,
                    format!("does not start with the header `{header}`; move it away to continue"),
                ));
            }
        }
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        match keep_bytes {
            Some(len) => {
                f.set_len(len).map_err(|e| io_error(&path, e))?;
                f.seek(std::io::SeekFrom::End(0))
                    .map_err(|e| io_error(&path, e))?;
            }
            None => {
                f.set_len(0).map_err(|e| io_error(&path, e))?;
                writeln!(f, "{header}").map_err(|e| io_error(&path, e))?;
            }
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "motornet-files-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn a_new_run_refuses_an_existing_run_unless_overwritten_and_never_a_foreign_directory() {
        let dir = scratch("refuse");
        {
            let run = RunDir::create(&dir, false).unwrap();
            write_atomic(&run.join(CONFIG_FILE), b"{}").unwrap();
            write_atomic(&run.join(CHECKPOINT_FILE), b"x").unwrap();
        }
        let e = RunDir::create(&dir, false).unwrap_err().to_string();
        assert!(
            e.contains("already holds a run") && e.contains("--overwrite"),
            "{e}"
        );
        assert!(
            dir.join(CHECKPOINT_FILE).exists(),
            "a refused start deleted the run"
        );
        // --overwrite removes the old run's files, keeps others
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let run = RunDir::create(&dir, true).unwrap();
        assert!(!dir.join(CHECKPOINT_FILE).exists() && !dir.join(CONFIG_FILE).exists());
        assert!(dir.join("notes.txt").exists());
        drop(run);
        // a directory with files but no run: refused even with --overwrite, nothing deleted
        let other = scratch("foreign");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("thesis.tex"), "x").unwrap();
        for overwrite in [false, true] {
            let e = RunDir::create(&other, overwrite).unwrap_err().to_string();
            assert!(e.contains("not empty") && e.contains("thesis.tex"), "{e}");
        }
        assert!(other.join("thesis.tex").exists());
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&other);
    }

    #[test]
    fn a_replicate_set_follows_the_rules_of_a_run_and_is_never_taken_for_one() {
        let set = scratch("set");
        {
            let dir = RunDir::create_set(&set, false).unwrap();
            write_atomic(&dir.join(REPLICATES_FILE), b"{}").unwrap();
            write_atomic(&dir.join("summary.csv"), b"x").unwrap();
            std::fs::create_dir_all(dir.join("rep-0")).unwrap();
        }
        let e = RunDir::create_set(&set, false).unwrap_err().to_string();
        assert!(
            e.contains("already holds a replicate set") && e.contains("--overwrite"),
            "{e}"
        );
        // a set is not a run, and a run is not a set, even with --overwrite
        for overwrite in [false, true] {
            let e = RunDir::create(&set, overwrite).unwrap_err().to_string();
            assert!(e.contains("holds no run"), "{e}");
        }
        let e = RunDir::open(&set).unwrap_err().to_string();
        assert!(e.contains("holds no run"), "{e}");
        RunDir::open_set(&set).unwrap();
        let run = scratch("not-a-set");
        drop(RunDir::create(&run, false).unwrap());
        write_atomic(&run.join(CONFIG_FILE), b"{}").unwrap();
        let e = RunDir::create_set(&run, true).unwrap_err().to_string();
        assert!(e.contains("holds no replicate set"), "{e}");
        let e = RunDir::open_set(&run).unwrap_err().to_string();
        assert!(e.contains("no replicates.json"), "{e}");
        // --overwrite removes the set's own files, not its replicates' directories
        drop(RunDir::create_set(&set, true).unwrap());
        assert!(!set.join(REPLICATES_FILE).exists() && !set.join("summary.csv").exists());
        assert!(set.join("rep-0").is_dir());
        let _ = std::fs::remove_dir_all(&set);
        let _ = std::fs::remove_dir_all(&run);
    }

    #[test]
    fn a_second_writer_fails_at_once_while_the_first_holds_the_lock() {
        let dir = scratch("lock");
        let first = RunDir::create(&dir, false).unwrap();
        write_atomic(&first.join(CONFIG_FILE), b"{}").unwrap();
        let e = RunDir::open(&dir).unwrap_err().to_string();
        assert!(e.contains("in use by another motornet process"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
        drop(first);
        RunDir::open(&dir).expect("the lock goes with its holder");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_start_leaves_no_directory_behind() {
        let dir = scratch("discard");
        RunDir::create(&dir, false).unwrap().discard();
        assert!(!dir.exists());
        // but a directory that existed before is left alone
        std::fs::create_dir_all(&dir).unwrap();
        RunDir::create(&dir, false).unwrap().discard();
        assert!(dir.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_log_is_cut_back_to_the_checkpoint_and_gets_its_header() {
        let dir = scratch("log");
        let run = RunDir::create(&dir, false).unwrap();
        let path = run.join(LOG_FILE);
        // missing: header only
        drop(run.open_log("a,b", 3).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n");
        // rows beyond the checkpoint (and a torn last line) are cut
        std::fs::write(&path, "a,b\n0,x\n1,x\n2,x\n3,x\n4,").unwrap();
        let mut f = run.open_log("a,b", 2).unwrap();
        writeln!(f, "2,y").unwrap();
        drop(f);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a,b\n0,x\n1,x\n2,y\n"
        );
        // a log that is not ours is not overwritten
        std::fs::write(&path, "something else\n").unwrap();
        let e = run.open_log("a,b", 0).unwrap_err().to_string();
        assert!(e.contains("header"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "something else\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary() {
        let dir = scratch("atomic");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.json");
        write_atomic(&path, b"old").unwrap();
        let e = write_atomic_with(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("disk full"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "a temporary file was left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
