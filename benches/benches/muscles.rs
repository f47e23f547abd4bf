//! Cost of one 10 ms step of the six muscles of `CompliantTendonArm26` (compliant tendons,
//! implicit fibre solves), in `f64` and on the dual numbers of the effector's VJP
//! (`DualN<8>`, 7 input directions per muscle): all muscles at once through
//! `MuscleModel::integrate_all` (side by side in `f64` lanes; dual numbers replay the lanes'
//! stage solutions) against muscle by muscle through `MuscleModel::integrate` (each stage
//! solved by Newton iterations on the number type itself); and on dual numbers through
//! `MuscleModel::integrate_all_replay` given the record the `f64` step left
//! (`integrate_all_record`), as training's VJP runs it (no stage solved again).
//!
//! The states come from 40 steps of the arm under varying excitations (a reach in progress).
//!
//! `cargo bench -p motornet-benches --bench muscles`.
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use motornet_effector::presets;
use motornet_muscle::MuscleModel;
use motornet_scalar::DualN;
use std::hint::black_box;

fn muscles(c: &mut Criterion) {
    let arm = presets::spec("CompliantTendonArm26", None)
        .unwrap()
        .build()
        .unwrap();
    let (n_m, dt) = (arm.n_muscles(), arm.options().timestep);
    let muscle = arm.muscle();
    let (ns, nd) = (muscle.n_states(), muscle.n_derivatives());
    let mut s = arm.zero_state::<f64>();
    let mut ws = arm.workspace::<f64>();
    arm.reset(&[0.8, 1.2, 0.0, 0.0], &mut s);
    let exc = |t: usize| -> Vec<f64> {
        (0..n_m)
            .map(|k| 0.3 + 0.25 * (0.2 * t as f64 + k as f64).sin())
            .collect()
    };
    for t in 0..40 {
        arm.step(&mut s, &exc(t), &[], &[], &mut ws);
    }
    let u = exc(40);
    let mut der = vec![0.0; n_m * nd];
    for m in 0..n_m {
        let st = &s.muscle[m * ns..(m + 1) * ns];
        muscle.derivative(m, u[m], st, &mut der[m * nd..(m + 1) * nd]);
    }
    let (len, vel) = (&s.geometry[..n_m], &s.geometry[n_m..2 * n_m]);
    let mut group = c.benchmark_group("compliant_arm26_muscles_10ms_step");
    group.bench_function("f64_integrate_all", |b| {
        let mut out = vec![0.0; n_m * ns];
        b.iter(|| {
            muscle.integrate_all(dt, &der, black_box(&s.muscle), len, vel, &mut out);
            out[ns - 1]
        })
    });
    group.bench_function("f64_integrate_each", |b| {
        let mut out = vec![0.0; n_m * ns];
        b.iter(|| {
            for m in 0..n_m {
                let r = m * ns..(m + 1) * ns;
                let st = &black_box(&s.muscle)[r.clone()];
                let d = &der[m * nd..(m + 1) * nd];
                muscle.integrate(m, dt, d, st, len[m], vel[m], &mut out[r]);
            }
            out[ns - 1]
        })
    });
    // the VJP's seeding: excitation, the 4 state entries read, length and velocity
    type D = DualN<8>;
    let reads = muscle.read_states();
    let mut st_d: Vec<D> = s.muscle.iter().map(|&v| D::constant(v)).collect();
    let mut der_d = vec![D::constant(0.0); n_m * nd];
    let mut len_d = vec![D::constant(0.0); n_m];
    let mut vel_d = vec![D::constant(0.0); n_m];
    for m in 0..n_m {
        for (j, &r) in reads.iter().enumerate() {
            st_d[m * ns + r] = D::variable(s.muscle[m * ns + r], 1 + j);
        }
        len_d[m] = D::variable(len[m], 1 + reads.len());
        vel_d[m] = D::variable(vel[m], 2 + reads.len());
        let ex = D::variable(u[m], 0);
        let st = &st_d[m * ns..(m + 1) * ns];
        muscle.derivative(m, ex, st, &mut der_d[m * nd..(m + 1) * nd]);
    }
    group.bench_function("dual8_integrate_all", |b| {
        let mut out = vec![D::constant(0.0); n_m * ns];
        b.iter(|| {
            let st = black_box(&st_d);
            muscle.integrate_all(dt, &der_d, st, &len_d, &vel_d, &mut out);
            out[ns - 1].re
        })
    });
    let mut record = Vec::new();
    let mut out = vec![0.0; n_m * ns];
    muscle.integrate_all_record(dt, &der, &s.muscle, len, vel, &mut out, &mut record);
    group.bench_function("dual8_integrate_all_replay", |b| {
        let mut out = vec![D::constant(0.0); n_m * ns];
        b.iter(|| {
            let st = black_box(&st_d);
            muscle.integrate_all_replay(dt, &der_d, st, &len_d, &vel_d, &mut out, &record);
            out[ns - 1].re
        })
    });
    group.bench_function("dual8_integrate_each", |b| {
        let mut out = vec![D::constant(0.0); n_m * ns];
        b.iter(|| {
            for m in 0..n_m {
                let r = m * ns..(m + 1) * ns;
                let st = &black_box(&st_d)[r.clone()];
                let d = &der_d[m * nd..(m + 1) * nd];
                muscle.integrate(m, dt, d, st, len_d[m], vel_d[m], &mut out[r]);
            }
            out[ns - 1].re
        })
    });
    group.finish();
}

criterion_group!(benches, muscles);
criterion_main!(benches);
