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
use serde::Serialize;

/// State names of a trajectory, as MotorNet names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateNames {
    /// Muscle state names.
    pub muscle: Vec<String>,
    /// Geometry state names.
    pub geometry: Vec<String>,
}

/// Trajectories of a batch, index 0 being the state after reset. Shapes as in the parity
/// fixtures' `expected` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
