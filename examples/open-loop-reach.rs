//! Gradient descent on an open-loop excitation sequence, with nothing but the effector crate's
//! exact gradients (no tensor library, no network): the six-muscle arm (`RigidTendonArm26`)
//! learns to move its fingertip from one point to another in 0.6 s and stop there.
//!
//! What it shows:
//! - [`Effector::rollout_vjp`](motornet::effector::Effector::rollout_vjp) backpropagates a
//!   loss through a whole rollout; the loss enters through a per-step callback,
//! - [`Effector::cartesian_vjp`](motornet::effector::Effector::cartesian_vjp) turns a
//!   fingertip loss into a joint-state gradient,
//! - excitations are parameterised as `sigmoid(z)` so they stay in (0, 1), and Adam updates `z`.
//!
//! `cargo run --release --example open-loop-reach` (a few seconds; debug builds are ~20x
//! slower).

use motornet::effector::{presets, State};

const T: usize = 60; // steps of 10 ms
const ITERATIONS: usize = 300;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn main() {
    let arm = presets::spec("RigidTendonArm26", None)
        .unwrap()
        .build()
        .unwrap();
    let m = arm.n_muscles();
    let start = [0.8, 1.5, 0.0, 0.0];
    let goal_joint = [1.2, 1.0, 0.0, 0.0];
    let mut goal = [0.0; 4];
    let mut goal_state = arm.zero_state::<f64>();
    arm.reset(&goal_joint, &mut goal_state);
    arm.cartesian(&goal_state, &mut goal);
    let target = [goal[0], goal[1]];

    // loss weights per step: reach by the last third of the movement and stay there, still
    let w_pos = |t: usize| if t >= 2 * T / 3 { 1.0 } else { 0.1 };
    let w_vel = |t: usize| if t >= 2 * T / 3 { 0.01 } else { 0.0 };
    let w_effort = 1e-3;

    let mut z = vec![vec![-2.0; m]; T]; // sigmoid(-2) ≈ 0.12: light co-contraction
    let (mut m1, mut m2) = (vec![vec![0.0; m]; T], vec![vec![0.0; m]; T]);
    let (lr, b1, b2) = (0.05, 0.9, 0.999);
    for it in 0..=ITERATIONS {
        let u: Vec<Vec<f64>> = z
            .iter()
            .map(|r| r.iter().map(|&v| sigmoid(v)).collect())
            .collect();
        let mut position_loss = 0.0;
        let loss_grad = |t: usize, s: &State<f64>, grad: &mut State<f64>| {
            let mut c = [0.0; 4];
            arm.cartesian(s, &mut c);
            let (dx, dy) = (c[0] - target[0], c[1] - target[1]);
            position_loss += w_pos(t) * (dx * dx + dy * dy) / T as f64;
            let dl_dc = [
                2.0 * w_pos(t) * dx / T as f64,
                2.0 * w_pos(t) * dy / T as f64,
                2.0 * w_vel(t) * c[2] / T as f64,
                2.0 * w_vel(t) * c[3] / T as f64,
            ];
            for (g, d) in grad
                .joint
                .iter_mut()
                .zip(arm.cartesian_vjp(&s.joint, &dl_dc))
            {
                *g += d;
            }
        };
        let g = arm
            .rollout_vjp(&start, &u, None, None, loss_grad)
            .expect("the rollout stays finite");
        if it % 50 == 0 || it == ITERATIONS {
            let effort: f64 = u.iter().flatten().map(|v| v * v).sum::<f64>() * w_effort / T as f64;
            // final fingertip distance to the target
            let mut s = arm.zero_state::<f64>();
            let mut ws = arm.workspace::<f64>();
            arm.reset(&start, &mut s);
            for row in &u {
                arm.step(&mut s, row, &[], &[], &mut ws);
            }
            let mut c = [0.0; 4];
            arm.cartesian(&s, &mut c);
            let miss = ((c[0] - target[0]).powi(2) + (c[1] - target[1]).powi(2)).sqrt();
            println!(
                "iteration {it:3}: position loss {position_loss:.6}, effort {effort:.6}, final miss {:.1} mm, final speed {:.3} m/s",
                miss * 1e3,
                (c[2] * c[2] + c[3] * c[3]).sqrt()
            );
        }
        if it == ITERATIONS {
            break;
        }
        // Adam on z, chain rule through the sigmoid, plus the effort term
        let k = (it + 1) as i32;
        for t in 0..T {
            for j in 0..m {
                let uj = u[t][j];
                let grad = (g.excitation[t][j] + 2.0 * w_effort * uj / T as f64) * uj * (1.0 - uj);
                m1[t][j] = b1 * m1[t][j] + (1.0 - b1) * grad;
                m2[t][j] = b2 * m2[t][j] + (1.0 - b2) * grad * grad;
                let (mh, vh) = (m1[t][j] / (1.0 - b1.powi(k)), m2[t][j] / (1.0 - b2.powi(k)));
                z[t][j] -= lr * mh / (vh.sqrt() + 1e-8);
            }
        }
    }
}
