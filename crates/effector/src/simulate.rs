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

/// One batch element's trajectory, `[T+1]` snapshots.
struct ElementRun {
    joint: Vec<Vec<f64>>,
    cartesian: Vec<Vec<f64>>,
    muscle: Vec<Vec<Vec<f64>>>,
    geometry: Vec<Vec<Vec<f64>>>,
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
    let (dof, n_m, ns, d) = (
        effector.dof(),
        effector.n_muscles(),
        effector.muscle().n_states(),
        effector.space_dim(),
    );
    let runs: Vec<ElementRun> = scenario
        .initial_joint_state
        .par_iter()
        .enumerate()
        .map(|(b, j0)| -> Result<ElementRun, EffectorError> {
            let mut joint = vec![S::zero(); 2 * dof];
            for (k, v) in j0.iter().enumerate() {
                joint[k] = S::c(*v);
            }
            let mut state = effector.zero_state::<S>();
            let mut ws = effector.workspace::<S>();
            effector.reset(&joint, &mut state);
            let mut run = ElementRun {
                joint: vec![],
                cartesian: vec![],
                muscle: vec![],
                geometry: vec![],
            };
            let mut cart = vec![S::zero(); 2 * d];
            let mut record = |state: &crate::State<S>, run: &mut ElementRun| {
                effector.cartesian(state, &mut cart);
                run.joint.push(state.joint.iter().map(|v| v.re()).collect());
                run.cartesian.push(cart.iter().map(|v| v.re()).collect());
                run.muscle.push(
                    (0..ns)
                        .map(|s| (0..n_m).map(|m| state.muscle[m * ns + s].re()).collect())
                        .collect(),
                );
                run.geometry.push(
                    state
                        .geometry
                        .chunks(n_m)
                        .map(|r| r.iter().map(|v| v.re()).collect())
                        .collect(),
                );
            };
            if let Some(e) = effector.find_non_finite(&state, 0, b) {
                return Err(e);
            }
            record(&state, &mut run);
            let (mut u, mut el, mut jl) = (vec![S::zero(); n_m], vec![], vec![]);
            for (t, exc) in scenario.excitation.iter().enumerate() {
                for (x, v) in u.iter_mut().zip(&exc[b]) {
                    *x = S::c(*v);
                }
                if let Some(l) = &scenario.endpoint_load {
                    el = l[t][b].iter().map(|v| S::c(*v)).collect();
                }
                if let Some(l) = &scenario.joint_load {
                    jl = l[t][b].iter().map(|v| S::c(*v)).collect();
                }
                effector.step(&mut state, &u, &el, &jl, &mut ws);
                if let Some(e) = effector.find_non_finite(&state, t + 1, b) {
                    return Err(e);
                }
                record(&state, &mut run);
            }
            Ok(run)
        })
        .collect::<Result<_, _>>()?;
    let steps = scenario.excitation.len() + 1;
    let gather = |f: &dyn Fn(&ElementRun, usize) -> Vec<f64>| -> Vec<Vec<Vec<f64>>> {
        (0..steps)
            .map(|t| runs.iter().map(|r| f(r, t)).collect())
            .collect()
    };
    Ok(Trajectory {
        joint: gather(&|r, t| r.joint[t].clone()),
        cartesian: gather(&|r, t| r.cartesian[t].clone()),
        fingertip: gather(&|r, t| r.cartesian[t][..d].to_vec()),
        muscle: (0..steps)
            .map(|t| runs.iter().map(|r| r.muscle[t].clone()).collect())
            .collect(),
        geometry: (0..steps)
            .map(|t| runs.iter().map(|r| r.geometry[t].clone()).collect())
            .collect(),
        state_names: StateNames {
            muscle: effector
                .muscle()
                .state_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            geometry: effector.geometry_state_names(),
        },
    })
}
