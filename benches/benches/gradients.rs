//! Cost of exact gradients: a 100-step arm26 rollout (rigid Hill muscles) forward, and forward +
//! backward (`rollout_vjp`), for one batch element and for B = 64 (elements in parallel); and
//! the same B = 64 rollout through the fused dfdx ops (`motornet-dfdx`), forward only and
//! forward + backward (issue 4's measure), once with one op per step and once with the whole
//! rollout as one op.
//!
//! The rollouts start in the middle half of the joint ranges under weak, varying excitations
//! (0.01–0.03), so that the arms stay inside their joint limits: an arm pressed against a limit
//! has zero gradients through the clamp, and its backward pass skips most of the work (with
//! constant 0.3 excitations every element ended at a limit and the backward looked 3× cheaper
//! than it is).
//!
//! `cargo bench -p motornet-benches --bench gradients`.
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::prelude::*;
use motornet_effector::{batch, presets, State};
use rayon::prelude::*;
use std::sync::Arc;

fn gradients(c: &mut Criterion) {
    let arm = presets::spec("RigidTendonArm26", None)
        .unwrap()
        .build()
        .unwrap();
    let steps = 100;
    let m = arm.n_muscles();
    let bounds = arm.options().bounds.clone();
    let starts: Vec<Vec<f64>> = batch::random_joint_states(&arm, 64, 0)
        .into_iter()
        .map(|mut j| {
            for k in 0..arm.dof() {
                let mid = 0.5 * (bounds.pos_lower[k] + bounds.pos_upper[k]);
                j[k] = mid + 0.5 * (j[k] - mid);
            }
            j
        })
        .collect();
    // excitation of element e, step t, muscle k
    let ex = |e: usize, t: usize, k: usize| {
        0.02 + 0.01 * (0.15 * t as f64 + k as f64 + 0.7 * e as f64).sin()
    };
    let exc: Vec<Vec<f64>> = (0..steps)
        .map(|t| (0..m).map(|k| ex(0, t, k)).collect())
        .collect();
    let loss = |t: usize, _s: &State<f64>, g: &mut State<f64>| {
        if t == steps {
            g.joint[0] += 1.0;
        }
    };
    let mut group = c.benchmark_group("arm26_rollout_100_steps");
    group.sample_size(10);
    group.bench_function("forward_f64_B1", |b| {
        b.iter(|| {
            let mut s = arm.zero_state::<f64>();
            let mut ws = arm.workspace::<f64>();
            arm.reset(&starts[0], &mut s);
            for u in &exc {
                arm.step(&mut s, u, &[], &[], &mut ws);
            }
            s
        })
    });
    group.bench_function("forward_backward_B1", |b| {
        b.iter(|| arm.rollout_vjp(&starts[0], &exc, None, None, loss).unwrap())
    });
    group.bench_function("forward_backward_B64", |b| {
        b.iter(|| {
            (starts.par_iter().enumerate())
                .map(|(e, j)| {
                    let exc: Vec<Vec<f64>> = (0..steps)
                        .map(|t| (0..m).map(|k| ex(e, t, k)).collect())
                        .collect();
                    arm.rollout_vjp(j, &exc, None, None, loss).unwrap()
                })
                .collect::<Vec<_>>()
        })
    });
    let dev = Cpu::default();
    let arm = Arc::new(arm);
    let b = starts.len();
    let joint0 = dev.tensor_from_vec(starts.concat(), (b, 4usize));
    let u: Vec<_> = (0..steps)
        .map(|t| {
            let v = (0..b * m).map(|i| ex(i / m, t, i % m)).collect();
            dev.tensor_from_vec(v, (b, m))
        })
        .collect();
    let layout = motornet_dfdx::StateLayout::new(&*arm);
    let w = dev.tensor_from_vec(vec![1e-3; b * layout.len], (b, layout.len));
    // a training loop runs inside the thread pool: ops then split the batch without handing
    // work across threads
    let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
    group.bench_function("dfdx_op_forward_B64_in_pool", |bench| {
        bench.iter(|| {
            pool.install(|| {
                let mut s = motornet_dfdx::reset(&arm, joint0.clone());
                for u in &u {
                    s = motornet_dfdx::step(&arm, s, u.clone());
                }
                s
            })
        })
    });
    // loss: a weighted sum of the final state (every entry)
    group.bench_function("dfdx_op_forward_backward_B64_in_pool", |bench| {
        bench.iter(|| {
            pool.install(|| {
                let mut s = motornet_dfdx::reset(&arm, joint0.leaky_trace());
                for u in &u {
                    s = motornet_dfdx::step(&arm, s, u.clone());
                }
                (s * w.clone()).sum::<Rank0, _>().backward()
            })
        })
    });
    group.bench_function("dfdx_op_forward_backward_B64", |bench| {
        bench.iter(|| {
            let mut s = motornet_dfdx::reset(&arm, joint0.leaky_trace());
            for u in &u {
                s = motornet_dfdx::step(&arm, s, u.clone());
            }
            (s * w.clone()).sum::<Rank0, _>().backward()
        })
    });
    // the whole open-loop rollout as one op: one tape entry, one split of the batch; the loss
    // is the plain sum of the [B, T, n] trajectory (a weighted sum costs two more passes of
    // dfdx over its 2.6 MB, several ms here)
    let u_all = dev.tensor_from_vec(
        (0..b * steps * m)
            .map(|i| ex(i / (steps * m), (i / m) % steps, i % m))
            .collect(),
        (b, steps, m),
    );
    group.bench_function("dfdx_rollout_op_forward_B64", |bench| {
        bench.iter(|| {
            let s = motornet_dfdx::reset(&arm, joint0.clone());
            motornet_dfdx::rollout(&arm, s, u_all.clone())
        })
    });
    group.bench_function("dfdx_rollout_op_forward_backward_B64", |bench| {
        bench.iter(|| {
            let s = motornet_dfdx::reset(&arm, joint0.leaky_trace());
            let states = motornet_dfdx::rollout(&arm, s, u_all.leaky_trace());
            states.sum::<Rank0, _>().backward()
        })
    });
    group.finish();
}

criterion_group!(benches, gradients);
criterion_main!(benches);
