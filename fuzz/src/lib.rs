//! The fuzz targets' bodies: each feeds a file's bytes to the public entry point the
//! `motornet` program uses for that kind of file, then does what the program does next with
//! a parsed value (build the effector, check it, simulate a scenario). A target passes an
//! input if everything returns `Ok` or `Err`: a panic, an abort (a failed allocation) or a
//! hang is a finding.
//!
//! Beyond "no panic", the spec targets check that a parsed spec writes back (JSON, TOML) to
//! text that parses to the same spec, and the checkpoint target that a parsed checkpoint
//! writes back to bytes that parse to the same checkpoint.
#![warn(missing_docs)]

use motornet_effector::{simulate, EffectorSpec, Scenario};
use motornet_train::{AnyTrainer, Checkpoint, TrainConfig};

/// Most ministeps a scenario input may simulate (steps × batch × ministeps): beyond it the
/// scenario is parsed, built and checked but not run, so that a long but valid simulation is
/// not reported as a hang.
pub const MAX_SIMULATED_MINISTEPS: f64 = 20_000.0;

/// The text of a file: `None` for bytes that are not UTF-8 (the program's
/// `read_to_string` refuses them with an error).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Equal as printed with `{:?}`: NaN equals NaN, and 0.0 differs from -0.0 (TOML has both).
fn same<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// After a spec parsed: what `motornet check`/`simulate --spec` do with it next.
fn use_spec(spec: &EffectorSpec) {
    let _ = spec.build();
}

/// `EffectorSpec::from_json` (spec files not named `*.toml`).
pub fn spec_json(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(spec) = EffectorSpec::from_json(text) else {
        return;
    };
    let json = spec.to_json();
    let again = EffectorSpec::from_json(&json)
        .unwrap_or_else(|e| panic!("a parsed spec's JSON does not parse: {e}\n{json}"));
    assert!(
        same(&again, &spec),
        "JSON round trip changed the spec\n{json}"
    );
    use_spec(&spec);
}

/// `EffectorSpec::from_toml` (`*.toml` spec files).
pub fn spec_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(spec) = EffectorSpec::from_toml(text) else {
        return;
    };
    let toml = spec.to_toml();
    let again = EffectorSpec::from_toml(&toml)
        .unwrap_or_else(|e| panic!("a parsed spec's TOML does not parse: {e}\n{toml}"));
    assert!(
        same(&again, &spec),
        "TOML round trip changed the spec\n{toml}"
    );
    use_spec(&spec);
}

/// `Scenario::from_json` (`motornet simulate SCENARIO`), then the effector's build and, for
/// small scenarios, the simulation (which checks the scenario's shapes against the effector).
pub fn scenario(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(s) = Scenario::from_json(text) else {
        return;
    };
    let Ok(effector) = s.effector.build() else {
        return;
    };
    let work = s.excitation.len() as f64
        * s.initial_joint_state.len() as f64
        * s.effector.n_ministeps.max(1.0);
    if work <= MAX_SIMULATED_MINISTEPS {
        let _ = simulate::<f64, _, _, _>(&effector, &s);
    }
}

/// After a run config parsed: what `motornet train --config` checks before it builds the
/// trainer (the trainer itself is not built: a valid config may ask for gigabytes).
fn use_config(c: &TrainConfig) {
    if c.validate().is_ok() {
        let _ = c.hash();
        if let Ok(spec) = c.effector.resolve() {
            use_spec(&spec);
        }
    }
}

/// `TrainConfig::from_json` (`train --config FILE`, and a run's `config.json`).
pub fn run_config_json(data: &[u8]) {
    if let Some(c) = text(data).and_then(|t| TrainConfig::from_json(t).ok()) {
        use_config(&c);
    }
}

/// `TrainConfig::from_toml` (`train --config FILE.toml`).
pub fn run_config_toml(data: &[u8]) {
    if let Some(c) = text(data).and_then(|t| TrainConfig::from_toml(t).ok()) {
        use_config(&c);
    }
}

/// The run the checkpoint seed comes from (`motornet train --hidden 4 --batch-size 1
/// --batches 2`, docs/reliability.md): a GRU of 4 units on the default effector and task.
pub fn seed_run_config() -> TrainConfig {
    let mut c = TrainConfig::default();
    c.network.hidden = 4;
    c.batch_size = 1;
    c.batches = 2;
    c
}

/// `body` behind a valid header (right length and checksum: `checkpoint::frame`), so that the
/// fuzzer reaches the body's decoding, which a checksum would otherwise guard against every
/// mutation.
pub fn wrap_body(body: &[u8], config_hash: u64) -> Vec<u8> {
    motornet_train::checkpoint::frame(body, config_hash)
}

thread_local! {
    /// The trainer checkpoints are restored into ([`seed_run_config`]), built once.
    static TRAINER: std::cell::RefCell<Option<AnyTrainer>> = const { std::cell::RefCell::new(None) };
}

/// `Checkpoint::from_bytes` (what `Checkpoint::load` does with `checkpoint.bin`), then
/// `restore` into a trainer of [`seed_run_config`] as `train --resume`, `eval` and `plot` do.
/// Inputs that do not start with the magic bytes are also tried as a body behind a valid
/// header ([`wrap_body`]).
pub fn checkpoint(data: &[u8]) {
    let parsed = if data.starts_with(b"MNRSCKPT") {
        Checkpoint::from_bytes(data, None)
    } else {
        let _ = Checkpoint::from_bytes(data, None);
        Checkpoint::from_bytes(&wrap_body(data, 0), None)
    };
    let Ok(c) = parsed else { return };
    let bytes = c.to_bytes(7).expect("a parsed checkpoint encodes");
    let again = Checkpoint::from_bytes(&bytes, Some(7)).expect("its bytes parse");
    assert_eq!(again, c, "bytes round trip changed the checkpoint");
    TRAINER.with(|t| {
        let mut t = t.borrow_mut();
        let trainer = t.get_or_insert_with(|| {
            AnyTrainer::new(&seed_run_config()).expect("the seed run's config builds")
        });
        let _ = trainer.restore(c);
    });
}

/// Start-up of every target: one worker thread (a scenario's simulation runs on rayon).
pub fn init() {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
}
