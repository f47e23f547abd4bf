//! Open-loop simulation of a batch of effectors: the trajectories MotorNet's parity fixtures
//! record.

use crate::effector::Effector;
use crate::error::EffectorError;
use crate::geometry::Geometry;
use crate::spec::Scenario;
use motornet_muscle::MuscleModel;
use motornet_scalar::Real;
use motornet_skeleton::Skeleton;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// State names of a trajectory, as MotorNet names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateNames {
    /// Muscle state names.
    pub muscle: Vec<String>,
    /// Geometry state names.
    pub geometry: Vec<String>,
}

/// Trajectories of a batch, index 0 being the state after reset. Shapes as in the parity
/// fixtures' `expected` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// `[T+1][B][2·dof]`: joint positions then velocities.
    pub joint: Vec<Vec<Vec<f64>>>,
    /// `[T+1][B][2·space_dim]`: endpoint position then velocity.
    pub cartesian: Vec<Vec<Vec<f64>>>,
    /// `[T+1][B][space_dim]`: endpoint position.
    pub fingertip: Vec<Vec<Vec<f64>>>,
    /// `[T+1][B][n_muscle_states][M]`.
    pub muscle: Vec<Vec<Vec<Vec<f64>>>>,
    /// `[T+1][B][2+dof][M]`.
    pub geometry: Vec<Vec<Vec<Vec<f64>>>>,
    /// State names.
    pub state_names: StateNames,
}

/// The worst deviation of one state key of a trajectory from a reference, located.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    /// The key: `joint`, `cartesian`, `fingertip`, `muscle` or `geometry`.
    pub key: &'static str,
    /// Worst |got − expected| / (max |expected| of that component + 1e-9); `inf` for a
    /// non-finite value.
    pub relative_error: f64,
    /// The state component (flat index over the key's last axes).
    pub component: usize,
    /// Step (0 = after reset).
    pub step: usize,
    /// Batch element.
    pub batch: usize,
    /// The value computed.
    pub got: f64,
    /// The reference value.
    pub expected: f64,
}

/// `[T][B][component]` values of one key, flattened per (step, element).
fn flat_rows(key: &str, t: &Trajectory) -> Vec<Vec<f64>> {
    let rows3 = |v: &Vec<Vec<Vec<f64>>>| -> Vec<Vec<f64>> { v.iter().flatten().cloned().collect() };
    let rows4 = |v: &Vec<Vec<Vec<Vec<f64>>>>| -> Vec<Vec<f64>> {
        v.iter()
            .flatten()
            .map(|r| r.iter().flatten().copied().collect())
            .collect()
    };
    match key {
        "joint" => rows3(&t.joint),
        "cartesian" => rows3(&t.cartesian),
        "fingertip" => rows3(&t.fingertip),
        "muscle" => rows4(&t.muscle),
        _ => rows4(&t.geometry),
    }
}

impl Trajectory {
    /// Compare with a reference trajectory by the rule of MotorNet's parity fixtures: for each
    /// state key and each state component (the last axes), scale = max |expected| over time and
    /// batch, error = |got − expected| / (scale + 1e-9). Returns the worst deviation of each key
    /// (`joint`, `cartesian`, `fingertip`, `muscle`, `geometry`), or an error message if the
    /// shapes differ. The fixtures require every `relative_error` ≤ 1e-6 in f64.
    pub fn compare(&self, expected: &Trajectory) -> Result<Vec<Deviation>, String> {
        let mut out = vec![];
        for key in ["joint", "cartesian", "fingertip", "muscle", "geometry"] {
            let (g, e) = (flat_rows(key, self), flat_rows(key, expected));
            if g.len() != e.len() || g.iter().zip(&e).any(|(a, b)| a.len() != b.len()) {
                return Err(format!("{key}: shapes differ"));
            }
            let batch = expected.joint.first().map_or(1, |s| s.len().max(1));
            let per = e.first().map_or(0, Vec::len);
            let mut scale = vec![0.0f64; per];
            for row in &e {
                for (s, v) in scale.iter_mut().zip(row) {
                    *s = s.max(v.abs());
                }
            }
            let mut worst = Deviation {
                key,
                relative_error: 0.0,
                component: 0,
                step: 0,
                batch: 0,
                got: 0.0,
                expected: 0.0,
            };
            for (r, (gr, er)) in g.iter().zip(&e).enumerate() {
                for (c, (&x, &y)) in gr.iter().zip(er).enumerate() {
                    let err = if x.is_finite() {
                        (x - y).abs() / (scale[c] + 1e-9)
                    } else {
                        f64::INFINITY
                    };
                    if err > worst.relative_error {
                        worst = Deviation {
                            key,
                            relative_error: err,
                            component: c,
                            step: r / batch,
                            batch: r % batch,
                            got: x,
                            expected: y,
                        };
                    }
                }
            }
            out.push(worst);
        }
        Ok(out)
    }
}

/// One batch element of a scenario on its way: its state, scratch, and the step's inputs in
/// precision `S`. What [`simulate`] and [`simulate_json`] both advance.
struct Element<S: Real> {
    state: crate::State<S>,
    ws: crate::Workspace<S>,
    u: Vec<S>,
    el: Vec<S>,
    jl: Vec<S>,
    cart: Vec<S>,
}

/// One state of an element, as a [`Trajectory`] records it: joint `[2·dof]`, endpoint
/// position then velocity `[2·space_dim]`, muscle `[n_states][M]`, geometry `[2+dof][M]`.
struct Snapshot {
    joint: Vec<f64>,
    cartesian: Vec<f64>,
    muscle: Vec<Vec<f64>>,
    geometry: Vec<Vec<f64>>,
}

impl<S: Real> Element<S> {
    /// Element `b` of `scenario` after reset, its first state checked for finiteness.
    fn reset<K: Skeleton, M: MuscleModel, G: Geometry>(
        effector: &Effector<K, M, G>,
        scenario: &Scenario,
        b: usize,
    ) -> Result<Self, EffectorError> {
        let mut joint = vec![S::zero(); 2 * effector.dof()];
        for (x, v) in joint.iter_mut().zip(&scenario.initial_joint_state[b]) {
            *x = S::c(*v);
        }
        let mut state = effector.zero_state::<S>();
        effector.reset(&joint, &mut state);
        if let Some(e) = effector.find_non_finite(&state, 0, b) {
            return Err(e);
        }
        Ok(Self {
            state,
            ws: effector.workspace::<S>(),
            u: vec![S::zero(); effector.n_muscles()],
            el: vec![],
            jl: vec![],
            cart: vec![S::zero(); 2 * effector.space_dim()],
        })
    }

    /// Input step `k` of element `b` (state `k + 1` checked for finiteness).
    fn step<K: Skeleton, M: MuscleModel, G: Geometry>(
        &mut self,
        effector: &Effector<K, M, G>,
        scenario: &Scenario,
        k: usize,
        b: usize,
    ) -> Result<(), EffectorError> {
        for (x, v) in self.u.iter_mut().zip(&scenario.excitation[k][b]) {
            *x = S::c(*v);
        }
        if let Some(l) = &scenario.endpoint_load {
            self.el = l[k][b].iter().map(|v| S::c(*v)).collect();
        }
        if let Some(l) = &scenario.joint_load {
            self.jl = l[k][b].iter().map(|v| S::c(*v)).collect();
        }
        effector.step(&mut self.state, &self.u, &self.el, &self.jl, &mut self.ws);
        effector
            .find_non_finite(&self.state, k + 1, b)
            .map_or(Ok(()), Err)
    }

    /// The current state, as a trajectory records it.
    fn snapshot<K: Skeleton, M: MuscleModel, G: Geometry>(
        &mut self,
        effector: &Effector<K, M, G>,
    ) -> Snapshot {
        let (n_m, ns) = (effector.n_muscles(), effector.muscle().n_states());
        effector.cartesian(&self.state, &mut self.cart);
        let re = |v: &[S]| -> Vec<f64> { v.iter().map(|x| x.re()).collect() };
        Snapshot {
            joint: re(&self.state.joint),
            cartesian: re(&self.cart),
            muscle: (0..ns)
                .map(|s| {
                    (0..n_m)
                        .map(|m| self.state.muscle[m * ns + s].re())
                        .collect()
                })
                .collect(),
            geometry: self.state.geometry.chunks(n_m).map(re).collect(),
        }
    }
}

/// A trajectory's state names, as MotorNet names them.
fn state_names<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
) -> StateNames {
    StateNames {
        muscle: (effector.muscle().state_names().iter())
            .map(|s| s.to_string())
            .collect(),
        geometry: effector.geometry_state_names(),
    }
}

/// A per-step, per-batch-element input: `[T][B][width]`.
type PerStep = Vec<Vec<Vec<f64>>>;

fn check_shape(input: &str, got: usize, expected: usize, what: &str) -> Result<(), EffectorError> {
    if got == expected {
        Ok(())
    } else {
        Err(EffectorError::input(
            input,
            format!("expected {expected} {what}, got {got}"),
        ))
    }
}

/// Check the inputs of a scenario against an effector.
pub fn check_scenario<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    scenario: &Scenario,
) -> Result<(), EffectorError> {
    let b = scenario.initial_joint_state.len();
    if b == 0 {
        return Err(EffectorError::input(
            "initial_joint_state",
            "needs at least one batch element".into(),
        ));
    }
    for (i, j) in scenario.initial_joint_state.iter().enumerate() {
        effector.check_joint_state(j, &format!("initial_joint_state[{i}]"))?;
    }
    let t = scenario.excitation.len();
    let inputs: [(&str, Option<&PerStep>, usize, &str); 3] = [
        (
            "excitation",
            Some(&scenario.excitation),
            effector.n_muscles(),
            "muscles",
        ),
        (
            "endpoint_load",
            scenario.endpoint_load.as_ref(),
            effector.space_dim(),
            "space dimensions",
        ),
        (
            "joint_load",
            scenario.joint_load.as_ref(),
            effector.dof(),
            "joints",
        ),
    ];
    for (name, arr, width, what) in inputs {
        let Some(arr) = arr else { continue };
        check_shape(name, arr.len(), t, "steps (as many as the excitation has)")?;
        for (k, step) in arr.iter().enumerate() {
            check_shape(&format!("{name}[{k}]"), step.len(), b, "batch elements")?;
            for (bi, row) in step.iter().enumerate() {
                check_shape(&format!("{name}[{k}][{bi}]"), row.len(), width, what)?;
                if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                    return Err(EffectorError::input(
                        &format!("{name}[{k}][{bi}]"),
                        format!("non-finite value {v}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Simulate a scenario in precision `S` (`f32` or `f64`), batch elements in parallel. Reports
/// the first non-finite state with its step, batch element and name.
pub fn simulate<S: Real, K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    scenario: &Scenario,
) -> Result<Trajectory, EffectorError> {
    check_scenario(effector, scenario)?;
    let d = effector.space_dim();
    // per element, its `[T+1]` snapshots
    let runs: Vec<Vec<Snapshot>> = (0..scenario.initial_joint_state.len())
        .into_par_iter()
        .map(|b| -> Result<Vec<Snapshot>, EffectorError> {
            let mut e = Element::<S>::reset(effector, scenario, b)?;
            let mut run = vec![e.snapshot(effector)];
            for k in 0..scenario.excitation.len() {
                e.step(effector, scenario, k, b)?;
                run.push(e.snapshot(effector));
            }
            Ok(run)
        })
        .collect::<Result<_, _>>()?;
    let steps = scenario.excitation.len() + 1;
    let gather = |f: &dyn Fn(&Snapshot) -> Vec<f64>| -> Vec<Vec<Vec<f64>>> {
        (0..steps)
            .map(|t| runs.iter().map(|r| f(&r[t])).collect())
            .collect()
    };
    Ok(Trajectory {
        joint: gather(&|s| s.joint.clone()),
        cartesian: gather(&|s| s.cartesian.clone()),
        fingertip: gather(&|s| s.cartesian[..d].to_vec()),
        muscle: (0..steps)
            .map(|t| runs.iter().map(|r| r[t].muscle.clone()).collect())
            .collect(),
        geometry: (0..steps)
            .map(|t| runs.iter().map(|r| r[t].geometry.clone()).collect())
            .collect(),
        state_names: state_names(effector),
    })
}

/// What can stop [`simulate_json`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The scenario does not fit the effector, or a state became non-finite.
    #[error(transparent)]
    Effector(#[from] EffectorError),
    /// Writing the output or a scratch file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The five arrays of a [`Trajectory`], in its field (and JSON) order.
const STREAMED_KEYS: [&str; 5] = ["joint", "cartesian", "fingertip", "muscle", "geometry"];

/// Scratch files in a directory, one per array, removed when dropped.
struct Scratch {
    paths: Vec<std::path::PathBuf>,
}

impl Scratch {
    fn new(
        dir: &std::path::Path,
    ) -> std::io::Result<(Self, Vec<std::io::BufWriter<std::fs::File>>)> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let mut scratch = Self { paths: vec![] };
        let mut files = vec![];
        for key in STREAMED_KEYS {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".motornet-{key}-{}-{n}.tmp", std::process::id()));
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)?;
            scratch.paths.push(path);
            files.push(std::io::BufWriter::new(file));
        }
        Ok((scratch, files))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// [`simulate`], written out as it is computed: the trajectory's JSON, byte for byte what
/// `serde_json::to_writer(out, &simulate(..)?)` writes, without holding the trajectory in
/// memory. The batch advances one step at a time (elements in parallel, the same arithmetic as
/// [`simulate`]); each step's rows go to five scratch files in `scratch_dir` (one per array,
/// removed afterwards, whatever happens), which are then copied into `out` in the
/// trajectory's field order. Memory: the batch's states and one step's rows; disk: about the
/// output's size in `scratch_dir`.
///
/// An error leaves `out` partly written: write to a temporary file and rename it when this
/// returns `Ok` (`motornet simulate -o` does).
pub fn simulate_json<S: Real, K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    scenario: &Scenario,
    scratch_dir: &std::path::Path,
    out: &mut dyn std::io::Write,
) -> Result<(), StreamError> {
    use std::io::{Seek, Write};
    check_scenario(effector, scenario)?;
    let d = effector.space_dim();
    let (scratch, mut files) = Scratch::new(scratch_dir)?;
    let mut batch: Vec<Element<S>> = (0..scenario.initial_joint_state.len())
        .map(|b| Element::reset(effector, scenario, b))
        .collect::<Result<_, _>>()?;
    for t in 0..=scenario.excitation.len() {
        if t > 0 {
            let stepped: Vec<Result<(), EffectorError>> = batch
                .par_iter_mut()
                .enumerate()
                .map(|(b, e)| e.step(effector, scenario, t - 1, b))
                .collect();
            stepped.into_iter().collect::<Result<(), _>>()?;
        }
        // this step's rows, `[B][…]` per array, as serde_json writes them
        let snaps: Vec<Snapshot> = batch.iter_mut().map(|e| e.snapshot(effector)).collect();
        let sep: &[u8] = if t == 0 { b"" } else { b"," };
        for f in files.iter_mut() {
            f.write_all(sep)?;
        }
        let rows =
            |f: &dyn Fn(&Snapshot) -> &[f64]| -> Vec<&[f64]> { snaps.iter().map(f).collect() };
        write_rows(&mut files[0], &rows(&|s| &s.joint))?;
        write_rows(&mut files[1], &rows(&|s| &s.cartesian))?;
        write_rows(&mut files[2], &rows(&|s| &s.cartesian[..d]))?;
        let muscle: Vec<&Vec<Vec<f64>>> = snaps.iter().map(|s| &s.muscle).collect();
        write_rows(&mut files[3], &muscle)?;
        let geometry: Vec<&Vec<Vec<f64>>> = snaps.iter().map(|s| &s.geometry).collect();
        write_rows(&mut files[4], &geometry)?;
    }
    out.write_all(b"{")?;
    for (i, (key, f)) in STREAMED_KEYS.iter().zip(files).enumerate() {
        let comma = if i == 0 { "" } else { "," };
        write!(out, "{comma}\"{key}\":[")?;
        let mut file = f.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        std::io::copy(&mut file, out)?;
        out.write_all(b"]")?;
    }
    out.write_all(b",\"state_names\":")?;
    serde_json::to_writer(&mut *out, &state_names(effector)).map_err(json_io)?;
    out.write_all(b"}")?;
    drop(scratch);
    Ok(())
}

/// `value` as serde_json writes it compactly, into `w`; an I/O error keeps its kind.
fn write_rows<T: Serialize>(w: &mut impl std::io::Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer(w, value).map_err(json_io)
}

/// A serde_json error as an I/O error, keeping the kind of an I/O failure.
fn json_io(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::new(kind, e),
        None => std::io::Error::other(e),
    }
}
