//! Cost of exact gradients: a 100-step arm26 rollout (rigid Hill muscles) forward, and forward +
//! backward (`rollout_vjp`), for one batch element and for B = 64 (elements in parallel); and
//! the same B = 64 rollout through the fused dfdx op (`motornet-dfdx`), forward only and
//! forward + backward (issue 4's measure), once with one op per step and once with the whole
//! rollout as one op.
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
    let exc = vec![vec![0.3; arm.n_muscles()]; steps];
    let starts = batch::random_joint_states(&arm, 64, 0);
    let loss = |t: usize, _s: &State<f64>, g: &mut State<f64>| {
        if t == steps {
            g.joint[0] += 1.0;
        }
    };
    let mut group = c.benchmark_group("arm26_rollout_100_steps");
    group.sample_size(10);
    group.bench_function("forward_f64_B1", |b| {
        b.iter(|| batch::run_constant::<f64, _, _, _>(&arm, &starts[..1], 0.3, steps).unwrap())
    });
    group.bench_function("forward_backward_B1", |b| {
        b.iter(|| arm.rollout_vjp(&starts[0], &exc, None, None, loss).unwrap())
    });
    group.bench_function("forward_backward_B64", |b| {
        b.iter(|| {
            starts
                .par_iter()
                .map(|j| arm.rollout_vjp(j, &exc, None, None, loss).unwrap())
                .collect::<Vec<_>>()
        })
    });
    let dev = Cpu::default();
    let arm = Arc::new(arm);
    let b = starts.len();
    let joint0 = dev.tensor_from_vec(starts.concat(), (b, 4usize));
    let u = dev.tensor_from_vec(vec![0.3; b * arm.n_muscles()], (b, arm.n_muscles()));
    let layout = motornet_dfdx::StateLayout::new(&*arm);
    let w = dev.tensor_from_vec(vec![1e-3; b * layout.len], (b, layout.len));
    group.bench_function("dfdx_op_forward_B64", |bench| {
        bench.iter(|| {
            let mut s = motornet_dfdx::reset(&arm, joint0.clone());
            for _ in 0..steps {
                s = motornet_dfdx::step(&arm, s, u.clone());
            }
            s
        })
    });
    // a training loop runs inside the thread pool: ops then split the batch without handing
    // work across threads
    let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
    group.bench_function("dfdx_op_forward_backward_B64_in_pool", |bench| {
        bench.iter(|| {
            pool.install(|| {
                let mut s = motornet_dfdx::reset(&arm, joint0.leaky_trace());
                for _ in 0..steps {
                    s = motornet_dfdx::step(&arm, s, u.clone());
                }
                (s * w.clone()).sum::<Rank0, _>().backward()
            })
        })
    });
    group.bench_function("dfdx_op_forward_backward_B64", |bench| {
        bench.iter(|| {
            let mut s = motornet_dfdx::reset(&arm, joint0.leaky_trace());
            for _ in 0..steps {
                s = motornet_dfdx::step(&arm, s, u.clone());
            }
            (s * w.clone()).sum::<Rank0, _>().backward()
        })
    });
    // the whole open-loop rollout as one op: one tape entry, one split of the batch; the loss
    // is the plain sum of the [B, T, n] trajectory (a weighted sum costs two more passes of
    // dfdx over its 2.6 MB, several ms here)
    let u_all = dev.tensor_from_vec(
        vec![0.3; b * steps * arm.n_muscles()],
        (b, steps, arm.n_muscles()),
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
