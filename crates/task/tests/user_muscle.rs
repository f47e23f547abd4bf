//! A muscle model written by a user, with its own state names, works in an `Environment`:
//! proprioception goes through `MuscleModel::proprioception` (its default, or the model's own),
//! and `Environment::proprioception_vjp` equals finite differences of it.

use motornet_effector::{Effector, EffectorError, EffectorOptions, Geometry, Integration, State};
use motornet_muscle::{ActivationDynamics, MuscleModel};
use motornet_scalar::Scalar;
use motornet_skeleton::{JointBounds, PointMass, Skeleton};
use motornet_task::{EnvConfig, Environment, RandomTargetReach};
use std::sync::Arc;

/// Four muscles on a planar point mass, pulling right, up, left and down: length_m =
/// rest + a_m · q (m), velocity a_m · q̇, moment arms a_m (`d length / d q`).
#[derive(Debug)]
struct Straps;

const ARMS: [[f64; 4]; 2] = [[-1.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 1.0]];
const REST: f64 = 1.5;

impl Geometry for Straps {
    fn n_muscles(&self) -> usize {
        4
    }
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        assert_eq!(skeleton.dof(), 2);
        Ok(())
    }
    fn compute<S: Scalar, K: Skeleton>(
        &self,
        _skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        for m in 0..4 {
            len[m] = S::c(REST) + q[0].scale(ARMS[0][m]) + q[1].scale(ARMS[1][m]);
            vel[m] = qd[0].scale(ARMS[0][m]) + qd[1].scale(ARMS[1][m]);
            for j in 0..2 {
                moment[j * 4 + m] = S::c(ARMS[j][m]);
            }
        }
    }
}

/// Tension lags `F_max · a · length / l0` with time constant 20 ms. States named `"act"`,
/// `"tension"`, `"pull"`: no `"muscle length"` or `"muscle velocity"`, which the environment
/// once required. With `spindle`, its own proprioception: `[length / l0 · (1 + a / 10),
/// tanh(velocity / v0) + tension / (100 F_max)]`; without, the trait's default.
#[derive(Debug)]
struct Lagged {
    act: ActivationDynamics,
    spindle: bool,
}

const F_MAX: f64 = 20.0;
const L0: f64 = 1.2;
const V0: f64 = 0.8;

impl MuscleModel for Lagged {
    fn name(&self) -> &'static str {
        "Lagged"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["act", "tension", "pull"]
    }
    fn n_derivatives(&self) -> usize {
        1
    }
    fn n_muscles(&self) -> usize {
        4
    }
    fn muscle_name(&self, m: usize) -> &str {
        ["right", "up", "left", "down"][m]
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.act
    }
    fn max_isometric_force(&self, _m: usize) -> f64 {
        F_MAX
    }
    fn proprioception_scale(&self, _m: usize) -> (f64, f64) {
        (L0, V0)
    }
    fn read_states(&self) -> &'static [usize] {
        &[0, 1]
    }
    fn integrate<S: Scalar>(
        &self,
        _m: usize,
        dt: f64,
        d: &[S],
        s: &[S],
        mt_len: S,
        _mt_vel: S,
        out: &mut [S],
    ) {
        let a = self.act.step(dt, s[0], d[0]);
        let target = a * mt_len.scale(F_MAX / L0);
        let tension = s[1] + (target - s[1]).scale(dt / 0.02);
        out[0] = a;
        out[1] = tension;
        out[2] = tension;
    }
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], mt_len: S, mt_vel: S) -> [S; 2] {
        if !self.spindle {
            let (l0, v0) = self.proprioception_scale(m);
            return [mt_len / S::c(l0), mt_vel / S::c(v0)];
        }
        [
            mt_len.scale(1.0 / L0) * state[0].scale(0.1).shift(1.0),
            mt_vel.scale(1.0 / V0).tanh() + state[1].scale(0.01 / F_MAX),
        ]
    }
}

fn environment(spindle: bool) -> Environment<PointMass, Lagged, Straps> {
    let effector = Effector::new(
        PointMass::new(2, 1.0).unwrap(),
        Lagged {
            act: ActivationDynamics::new(0.01, 0.015, 0.05).unwrap(),
            spindle,
        },
        Straps,
        EffectorOptions {
            timestep: 0.01,
            n_ministeps: 1,
            integration: Integration::Euler,
            damping: 0.0,
            bounds: JointBounds::new(
                2,
                vec![-1.0; 2],
                vec![1.0; 2],
                vec![-50.0; 2],
                vec![50.0; 2],
            )
            .unwrap(),
        },
    )
    .unwrap();
    let config = EnvConfig {
        max_ep_duration: 0.2,
        ..EnvConfig::default()
    };
    Environment::new(Arc::new(effector), Arc::new(RandomTargetReach), config)
        .expect("a muscle model with its own state names builds an environment")
}

/// Runs a few steps with varied commands; returns the environment's observations and the
/// states they show (no delay: the observation after step t shows state t).
fn run(env: &Environment<PointMass, Lagged, Straps>) -> Vec<(Vec<f64>, State<f64>)> {
    let mut obs = vec![0.0; env.obs_len()];
    let mut ep = env.reset(0, 1, 11, None, &mut obs).unwrap();
    let mut out = vec![(obs.clone(), ep.state.clone())];
    let mut noisy = vec![0.0; 4];
    for t in 0..12 {
        let a: Vec<f64> = (0..4)
            .map(|k| 0.5 + 0.45 * (0.9 * t as f64 + 1.7 * k as f64).sin())
            .collect();
        env.step(&mut ep, &a, &mut noisy, &mut obs).unwrap();
        out.push((obs.clone(), ep.state.clone()));
    }
    out
}

#[test]
fn default_proprioception_is_the_musculotendon_length_and_velocity_over_the_scales() {
    let env = environment(false);
    let p = env.layout().proprioception;
    for (t, (obs, state)) in run(&env).iter().enumerate() {
        let (q, qd) = (&state.joint[..2], &state.joint[2..]);
        for m in 0..4 {
            // by hand: the straps' length and velocity, over l0 and v0
            let len = REST + ARMS[0][m] * q[0] + ARMS[1][m] * q[1];
            let vel = ARMS[0][m] * qd[0] + ARMS[1][m] * qd[1];
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
            assert!(close(obs[p + m], len / L0), "t={t} muscle {m} length");
            assert!(close(obs[p + 4 + m], vel / V0), "t={t} muscle {m} velocity");
        }
        // and the point mass moved
        if t == 12 {
            assert!(q.iter().any(|v| v.abs() > 1e-3), "{q:?}");
        }
    }
}

#[test]
fn a_models_own_proprioception_is_what_the_environment_observes() {
    let env = environment(true);
    let p = env.layout().proprioception;
    for (t, (obs, state)) in run(&env).iter().enumerate() {
        for m in 0..4 {
            let (len, vel) = (state.geometry[m], state.geometry[4 + m]);
            let (a, tension) = (state.muscle[3 * m], state.muscle[3 * m + 1]);
            let want = [
                len / L0 * (1.0 + 0.1 * a),
                (vel / V0).tanh() + 0.01 * tension / F_MAX,
            ];
            for (k, w) in want.iter().enumerate() {
                let got = obs[p + 4 * k + m];
                assert!(
                    (got - w).abs() <= 1e-12 * (1.0 + w.abs()),
                    "t={t} m={m} {got} vs {w}"
                );
            }
        }
    }
}

/// ∂⟨g, proprioception(state)⟩/∂state by central differences over every state entry.
fn finite_difference_vjp(
    env: &Environment<PointMass, Lagged, Straps>,
    state: &State<f64>,
    g: &[f64],
) -> State<f64> {
    let f = |s: &State<f64>| {
        let mut p = vec![0.0; 8];
        env.proprioception(s, &mut p);
        p.iter().zip(g).map(|(a, b)| a * b).sum::<f64>()
    };
    let mut out = state.clone();
    let h = 1e-6;
    let n = (state.joint.len(), state.muscle.len(), state.geometry.len());
    for i in 0..n.0 + n.1 + n.2 {
        let at = |delta: f64| {
            let mut s = state.clone();
            *entry(&mut s, i) += delta;
            f(&s)
        };
        *entry(&mut out, i) = (at(h) - at(-h)) / (2.0 * h);
    }
    out
}

fn entry(s: &mut State<f64>, i: usize) -> &mut f64 {
    let (j, m) = (s.joint.len(), s.muscle.len());
    if i < j {
        &mut s.joint[i]
    } else if i < j + m {
        &mut s.muscle[i - j]
    } else {
        &mut s.geometry[i - j - m]
    }
}

#[test]
fn proprioception_vjp_equals_finite_differences() {
    for spindle in [false, true] {
        let env = environment(spindle);
        for (t, (_, state)) in run(&env).iter().enumerate().step_by(3) {
            let g: Vec<f64> = (0..8).map(|k| (1.3 * k as f64 + t as f64).cos()).collect();
            let mut got = env.effector().zero_state::<f64>();
            // it adds into what is there
            got.muscle[1] = 0.25;
            env.proprioception_vjp(state, &g, &mut got);
            got.muscle[1] -= 0.25;
            let mut want = finite_difference_vjp(&env, state, &g);
            let n = state.joint.len() + state.muscle.len() + state.geometry.len();
            for i in 0..n {
                let (a, b) = (*entry(&mut got, i), *entry(&mut want, i));
                assert!(
                    (a - b).abs() <= 1e-8 * (1.0 + b.abs()),
                    "spindle {spindle}, t={t}: entry {i}: vjp {a} vs finite difference {b}"
                );
            }
            // the gradient reaches the muscle state only where the model reads it
            let reads_state = got.muscle.iter().any(|&v| v != 0.0);
            assert_eq!(reads_state, spindle, "t={t}");
            assert!(got.geometry[..8].iter().any(|&v| v != 0.0));
        }
    }
}
