//! Simulation throughput (sample-steps per second) of the presets the issues set goals for.
//!
//! `cargo bench -p motornet-benches --bench simulation`. Criterion reports time per batch run
//! and, as throughput, elements (sample-steps) per second. `lanes` is what `motornet simulate
//! --preset` runs (packs of 8 f32 or 4 f64 batch elements at once); `scalar` advances one
//! element at a time.
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use motornet_effector::{batch, presets};
use motornet_scalar::Lanes;

fn bench_preset(
    c: &mut Criterion,
    preset: &str,
    muscle: Option<&str>,
    batches: &[usize],
    steps: usize,
) {
    let spec = presets::spec(preset, muscle).expect("preset");
    let effector = spec.build().expect("builds");
    let mut group = c.benchmark_group(format!("{preset}/{}", spec.muscle.kind));
    group.sample_size(10);
    for &b in batches {
        let initial = batch::random_joint_states(&effector, b, 0);
        group.throughput(Throughput::Elements((b * steps) as u64));
        let mut run = |name: &str, f: &dyn Fn() -> batch::BatchSummary| {
            group.bench_with_input(BenchmarkId::new(name, b), &b, |bench, _| bench.iter(f));
        };
        run("f32-lanes", &|| {
            batch::run_constant::<Lanes<f32, 8>, _, _, _>(&effector, &initial, 0.5, steps).unwrap()
        });
        run("f32-scalar", &|| {
            batch::run_constant::<f32, _, _, _>(&effector, &initial, 0.5, steps).unwrap()
        });
        run("f64-lanes", &|| {
            batch::run_constant::<Lanes<f64, 4>, _, _, _>(&effector, &initial, 0.5, steps).unwrap()
        });
        run("f64-scalar", &|| {
            batch::run_constant::<f64, _, _, _>(&effector, &initial, 0.5, steps).unwrap()
        });
    }
    group.finish();
}

fn simulation(c: &mut Criterion) {
    bench_preset(
        c,
        "RigidTendonArm26",
        Some("RigidTendonHillMuscle"),
        &[64, 1024],
        100,
    );
    bench_preset(c, "CompliantTendonArm26", None, &[64], 500);
    bench_preset(c, "ReluPointMass24", None, &[64], 100);
    // issue 16: the 3-D arm (a KinematicTree, 11 MuJoCo muscles on spatial tendons), >= 1 M
    // sample-steps/s in f32 on 2 threads at B = 1024 (benches/compare/mujoco_speed.sh times
    // MuJoCo beside it)
    bench_preset(c, "Arm3D", None, &[1024], 100);
}

criterion_group!(benches, simulation);
criterion_main!(benches);
