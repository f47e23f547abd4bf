//! Simulation throughput (sample-steps per second) of the presets the issues set goals for.
//!
//! `cargo bench -p motornet-benches --bench simulation`. Criterion reports time per batch run;
//! the throughput line gives elements (sample-steps) per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use motornet_effector::{batch, presets};

fn bench_preset(c: &mut Criterion, preset: &str, muscle: Option<&str>, batches: &[usize], steps: usize) {
    let spec = presets::spec(preset, muscle).expect("preset");
    let effector = spec.build().expect("builds");
    let mut group = c.benchmark_group(format!("{preset}/{}", spec.muscle.kind));
    group.sample_size(10);
    for &b in batches {
        let initial = batch::random_joint_states(&effector, b, 0);
        group.throughput(Throughput::Elements((b * steps) as u64));
        group.bench_with_input(BenchmarkId::new("f32", b), &b, |bench, _| {
            bench.iter(|| batch::run_constant::<f32, _, _, _>(&effector, &initial, 0.5, steps).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("f64", b), &b, |bench, _| {
            bench.iter(|| batch::run_constant::<f64, _, _, _>(&effector, &initial, 0.5, steps).unwrap())
        });
    }
    group.finish();
}

fn simulation(c: &mut Criterion) {
    bench_preset(c, "RigidTendonArm26", Some("RigidTendonHillMuscle"), &[64, 1024], 100);
    bench_preset(c, "CompliantTendonArm26", None, &[64], 500);
    bench_preset(c, "ReluPointMass24", None, &[64], 100);
}

criterion_group!(benches, simulation);
criterion_main!(benches);
