//! MotorNet's initialisation (MotorNet 0.3.0 `PolicyGRU`): weight_ih Xavier-uniform, weight_hh
//! orthogonal, GRU biases 0, fc.weight Xavier-uniform, fc.bias −5; and seeding.

use motornet_policy::{init, GruConfig, MlpConfig, Policy, Real};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn gru_params<T: Real>(seed: u64, config: &GruConfig) -> (motornet_policy::Gru, Vec<T>) {
    config
        .init::<T, _>(&mut StdRng::seed_from_u64(seed))
        .unwrap()
}

/// Mean and standard deviation.
fn stats(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[test]
fn gru_biases_are_zero_and_fc_bias_is_minus_five() {
    let config = GruConfig::new(12, 32, 4).with_layers(2);
    let (gru, p) = gru_params::<f32>(1, &config);
    let layout = gru.layout();
    for l in 0..2 {
        for name in [format!("gru.bias_ih_l{l}"), format!("gru.bias_hh_l{l}")] {
            assert!(
                layout.slice(&p, &name).iter().all(|&v| v == 0.0),
                "{name} is not all zero"
            );
        }
    }
    assert!(
        layout.slice(&p, "fc.bias").iter().all(|&v| v == -5.0),
        "fc.bias: {:?}, expected all −5",
        layout.slice(&p, "fc.bias")
    );
}

/// `WᵀW = I` for every layer's `[3H, H]` weight_hh (orthonormal columns), in f64 and f32.
#[test]
fn gru_weight_hh_has_orthonormal_columns() {
    fn check<T: Real>(what: &str) {
        let (h, layers) = (32, 2);
        let (gru, p) = gru_params::<T>(2, &GruConfig::new(12, h, 4).with_layers(layers));
        for l in 0..layers {
            let name = format!("gru.weight_hh_l{l}");
            let w = gru.layout().slice(&p, &name);
            assert_eq!(gru.layout().get(&name).unwrap().shape, vec![3 * h, h]);
            for i in 0..h {
                for j in 0..h {
                    let dot: f64 = (0..3 * h)
                        .map(|k| w[k * h + i].to_f64() * w[k * h + j].to_f64())
                        .sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!(
                        (dot - want).abs() < 1e-5,
                        "{what} {name}: (WᵀW)[{i}, {j}] = {dot}, expected {want}"
                    );
                }
            }
        }
    }
    check::<f64>("f64");
    check::<f32>("f32");
}

/// Xavier-uniform blocks lie within ±a, a = sqrt(6 / (fan_in + fan_out)) (torch's fans of a
/// `[fan_out, fan_in]` weight), centred, and spread like U(−a, a): standard deviation a/√3
/// within 10 %.
#[test]
fn xavier_blocks_respect_the_bound_and_spread() {
    let (nin, h, nout) = (64, 64, 32);
    let (gru, p) = gru_params::<f64>(3, &GruConfig::new(nin, h, nout).with_layers(2));
    for (name, fan_out, fan_in) in [
        ("gru.weight_ih_l0", 3 * h, nin),
        ("gru.weight_ih_l1", 3 * h, h),
        ("fc.weight", nout, h),
    ] {
        let w = gru.layout().slice(&p, name);
        let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
        let outside: Vec<f64> = w.iter().copied().filter(|v| v.abs() > a).collect();
        assert!(
            outside.is_empty(),
            "{name}: values beyond the bound {a}: {outside:?}"
        );
        let (mean, std) = stats(w);
        let want = a / 3f64.sqrt();
        assert!(
            (std - want).abs() < 0.1 * want,
            "{name}: standard deviation {std}, expected a/√3 = {want} (a = {a})"
        );
        assert!(
            mean.abs() < 0.1 * want,
            "{name}: mean {mean}, expected about 0"
        );
        // Both halves of the interval are used, right up to the bound.
        let max = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max > 0.95 * a, "{name}: largest |value| {max}, bound {a}");
    }
}

#[test]
fn same_seed_same_parameters_different_seed_different() {
    let config = GruConfig::new(12, 32, 4);
    let (_, a) = gru_params::<f32>(7, &config);
    let (_, b) = gru_params::<f32>(7, &config);
    let (_, c) = gru_params::<f32>(8, &config);
    assert_eq!(a, b, "seed 7 twice gave different parameters");
    let differing = a.iter().zip(&c).filter(|(x, y)| x != y).count();
    // Everything but the constant biases differs.
    assert_eq!(
        differing,
        a.len() - 2 * 3 * 32 - 4,
        "seeds 7 and 8: {differing} of {} parameters differ",
        a.len()
    );
    // f32 parameters are the f64 draws rounded.
    let (_, d) = gru_params::<f64>(7, &config);
    assert!(a.iter().zip(&d).all(|(&x, &y)| x == y as f32));

    let mlp = MlpConfig::new(6, vec![16, 8], 3);
    let m1 = mlp.init::<f64, _>(&mut StdRng::seed_from_u64(1)).unwrap().1;
    let m2 = mlp.init::<f64, _>(&mut StdRng::seed_from_u64(1)).unwrap().1;
    let m3 = mlp.init::<f64, _>(&mut StdRng::seed_from_u64(2)).unwrap().1;
    assert_eq!(m1, m2);
    assert_ne!(m1, m3);
}

#[test]
fn mlp_initialisation() {
    let (mlp, p) = MlpConfig::new(6, vec![16, 8], 3)
        .init::<f64, _>(&mut StdRng::seed_from_u64(4))
        .unwrap();
    let layout = mlp.layout();
    assert!(layout.slice(&p, "hidden.0.bias").iter().all(|&v| v == 0.0));
    assert!(layout.slice(&p, "hidden.1.bias").iter().all(|&v| v == 0.0));
    assert!(layout.slice(&p, "fc.bias").iter().all(|&v| v == -5.0));
    for (name, fan_out, fan_in) in [
        ("hidden.0.weight", 16, 6),
        ("hidden.1.weight", 8, 16),
        ("fc.weight", 3, 8),
    ] {
        let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
        let w = layout.slice(&p, name);
        assert!(
            w.iter().all(|v| v.abs() <= a),
            "{name} exceeds the Xavier bound {a}"
        );
        assert!(w.iter().any(|&v| v != 0.0), "{name} is all zero");
    }
}

/// `init::orthogonal` on a wide matrix gives orthonormal rows, as torch does.
#[test]
fn orthogonal_wide_matrix_has_orthonormal_rows() {
    let (rows, cols) = (5, 12);
    let mut w = vec![0.0f64; rows * cols];
    init::orthogonal(&mut StdRng::seed_from_u64(9), rows, cols, &mut w);
    for i in 0..rows {
        for j in 0..rows {
            let dot: f64 = (0..cols).map(|k| w[i * cols + k] * w[j * cols + k]).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((dot - want).abs() < 1e-12, "(WWᵀ)[{i}, {j}] = {dot}");
        }
    }
}

/// Orthogonal draws are uniform (Haar) over orthogonal matrices: over many draws, each entry
/// has mean about 0. A QR whose `R` diagonal signs depend on the data (LAPACK-style Householder
/// QR gives `Q[0, 0] < 0` always) fails this unless the sign correction undoes it; a sign
/// correction that itself depends on the data (flipping on the sign of `Q`'s first row, say)
/// fails it too.
#[test]
fn orthogonal_entries_are_centred() {
    let n = 4;
    let draws = 2000;
    let mut sums = vec![0.0f64; n * n];
    let mut rng = StdRng::seed_from_u64(10);
    let mut w = vec![0.0f64; n * n];
    for _ in 0..draws {
        init::orthogonal(&mut rng, n, n, &mut w);
        for (s, v) in sums.iter_mut().zip(&w) {
            *s += v;
        }
    }
    // Each entry of a Haar-random 4×4 orthogonal matrix has variance 1/4: the mean of 2000
    // draws has standard deviation 0.011; allow 5 of them.
    for (k, s) in sums.iter().enumerate() {
        let mean = s / draws as f64;
        assert!(
            mean.abs() < 0.056,
            "entry {k}: mean {mean} over {draws} draws"
        );
    }
}
