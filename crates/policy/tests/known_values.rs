//! Forward steps against values computed by hand from the equations (PyTorch's GRU, gate order
//! r, z, n), written out here element by element rather than taken from the code under test.

use motornet_policy::{Activation, GruConfig, MlpConfig, ParamLayout, Policy};

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn set(layout: &ParamLayout, params: &mut [f64], name: &str, values: &[f64]) {
    layout.slice_mut(params, name).copy_from_slice(values);
}

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-14,
        "{what}: computed {got:.17e}, by hand {want:.17e}"
    );
}

/// A 1-layer GRU with input 2, hidden 2, output 1 and every parameter set by hand.
#[test]
fn gru_one_step_equals_the_hand_calculation() {
    let gru = GruConfig::new(2, 2, 1).build().unwrap();
    let layout = gru.layout().clone();
    let mut p = vec![f64::NAN; gru.n_params()];
    // weight_ih [3H, in] = rows of W_ir (2), W_iz (2), W_in (2).
    #[rustfmt::skip]
    set(&layout, &mut p, "gru.weight_ih_l0", &[
        0.1, 0.2, // W_ir row 0
        0.3, -0.1, // W_ir row 1
        -0.2, 0.4, // W_iz row 0
        0.0, 0.5, // W_iz row 1
        0.6, -0.3, // W_in row 0
        0.2, 0.1, // W_in row 1
    ]);
    #[rustfmt::skip]
    set(&layout, &mut p, "gru.weight_hh_l0", &[
        0.5, 0.0, // W_hr row 0
        -0.3, 0.2, // W_hr row 1
        0.1, 0.1, // W_hz row 0
        0.2, -0.2, // W_hz row 1
        0.4, -0.5, // W_hn row 0
        0.3, 0.7, // W_hn row 1
    ]);
    // [b_r (2), b_z (2), b_n (2)]
    set(
        &layout,
        &mut p,
        "gru.bias_ih_l0",
        &[0.1, -0.1, 0.0, 0.2, -0.3, 0.05],
    );
    set(
        &layout,
        &mut p,
        "gru.bias_hh_l0",
        &[0.05, 0.0, -0.1, 0.1, 0.2, -0.2],
    );
    set(&layout, &mut p, "fc.weight", &[1.0, -2.0]);
    set(&layout, &mut p, "fc.bias", &[0.5]);

    let x = [0.5, -0.8];
    let h = [0.2, -0.4];

    // r = σ(W_ir x + b_ir + W_hr h + b_hr)
    let r0 = sig((0.1 * 0.5 + 0.2 * -0.8) + 0.1 + (0.5 * 0.2 + 0.0 * -0.4) + 0.05);
    let r1 = sig((0.3 * 0.5 + -0.1 * -0.8) + -0.1 + (-0.3 * 0.2 + 0.2 * -0.4) + 0.0);
    // z = σ(W_iz x + b_iz + W_hz h + b_hz)
    let z0 = sig((-0.2 * 0.5 + 0.4 * -0.8) + 0.0 + (0.1 * 0.2 + 0.1 * -0.4) + -0.1);
    let z1 = sig((0.0 * 0.5 + 0.5 * -0.8) + 0.2 + (0.2 * 0.2 + -0.2 * -0.4) + 0.1);
    // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
    let n0 = ((0.6 * 0.5 + -0.3 * -0.8) + -0.3 + r0 * ((0.4 * 0.2 + -0.5 * -0.4) + 0.2)).tanh();
    let n1 = ((0.2 * 0.5 + 0.1 * -0.8) + 0.05 + r1 * ((0.3 * 0.2 + 0.7 * -0.4) + -0.2)).tanh();
    // h' = (1 − z) ⊙ n + z ⊙ h
    let h0 = (1.0 - z0) * n0 + z0 * 0.2;
    let h1 = (1.0 - z1) * n1 + z1 * -0.4;
    // u = σ(W_fc h' + b_fc)
    let u = sig(1.0 * h0 + -2.0 * h1 + 0.5);

    let mut cache = gru.new_cache(1);
    let (mut out, mut h_new) = ([0.0], [0.0; 2]);
    gru.forward_step(&p, &x, &h, &mut out, &mut h_new, &mut cache);
    assert_close("h'[0]", h_new[0], h0);
    assert_close("h'[1]", h_new[1], h1);
    assert_close("u[0]", out[0], u);
    assert_eq!(cache.hidden(), &h_new);
    assert_eq!(cache.output(), &out);
}

/// A 2-layer GRU is its layer 0 followed by its layer 1 fed layer 0's *new* hidden state: the
/// stacked step equals two 1-layer GRUs chained by hand (each checked above).
#[test]
fn gru_layer_one_reads_layer_zero_new_hidden_state() {
    let (nin, nh, nout, b) = (3, 4, 2, 3);
    let two = GruConfig::new(nin, nh, nout)
        .with_layers(2)
        .build()
        .unwrap();
    let first = GruConfig::new(nin, nh, nout).build().unwrap();
    let second = GruConfig::new(nh, nh, nout).build().unwrap();
    let p2: Vec<f64> = (0..two.n_params())
        .map(|i| ((i * 37 % 101) as f64 - 50.0) / 60.0)
        .collect();
    let lay2 = two.layout();
    let copy = |net: &motornet_policy::Gru, layer: usize| {
        let mut p = vec![0.0; net.n_params()];
        for name in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] {
            net.layout()
                .slice_mut(&mut p, &format!("gru.{name}_l0"))
                .copy_from_slice(lay2.slice(&p2, &format!("gru.{name}_l{layer}")));
        }
        for name in ["fc.weight", "fc.bias"] {
            net.layout()
                .slice_mut(&mut p, name)
                .copy_from_slice(lay2.slice(&p2, name));
        }
        p
    };
    let (p_first, p_second) = (copy(&first, 0), copy(&second, 1));
    let x: Vec<f64> = (0..b * nin).map(|i| (i as f64 * 0.37).sin()).collect();
    let h: Vec<f64> = (0..b * 2 * nh)
        .map(|i| (i as f64 * 0.73).cos() * 0.8)
        .collect();

    let (mut u2, mut h2) = (vec![0.0; b * nout], vec![0.0; b * 2 * nh]);
    two.forward_step(&p2, &x, &h, &mut u2, &mut h2, &mut two.new_cache(b));

    let layer = |l: usize| -> Vec<f64> {
        (0..b)
            .flat_map(|e| h[e * 2 * nh + l * nh..][..nh].to_vec())
            .collect()
    };
    let (mut u_a, mut h_a) = (vec![0.0; b * nout], vec![0.0; b * nh]);
    first.forward_step(
        &p_first,
        &x,
        &layer(0),
        &mut u_a,
        &mut h_a,
        &mut first.new_cache(b),
    );
    let (mut u_b, mut h_b) = (vec![0.0; b * nout], vec![0.0; b * nh]);
    second.forward_step(
        &p_second,
        &h_a,
        &layer(1),
        &mut u_b,
        &mut h_b,
        &mut second.new_cache(b),
    );

    for e in 0..b {
        for j in 0..nh {
            assert_close(
                &format!("element {e} layer 0 unit {j}"),
                h2[e * 2 * nh + j],
                h_a[e * nh + j],
            );
            assert_close(
                &format!("element {e} layer 1 unit {j}"),
                h2[e * 2 * nh + nh + j],
                h_b[e * nh + j],
            );
        }
        for o in 0..nout {
            // The readout reads the last layer.
            assert_close(
                &format!("element {e} output {o}"),
                u2[e * nout + o],
                u_b[e * nout + o],
            );
        }
    }
}

/// An MLP 2 → [2] → 1 with hand-set parameters, ReLU and tanh.
#[test]
fn mlp_one_step_equals_the_hand_calculation() {
    for activation in [Activation::Relu, Activation::Tanh] {
        let mlp = MlpConfig::new(2, vec![2], 1)
            .with_activation(activation)
            .build()
            .unwrap();
        let layout = mlp.layout().clone();
        let mut p = vec![f64::NAN; mlp.n_params()];
        set(&layout, &mut p, "hidden.0.weight", &[0.5, -1.0, 0.25, 0.75]);
        set(&layout, &mut p, "hidden.0.bias", &[0.1, -0.2]);
        set(&layout, &mut p, "fc.weight", &[2.0, -1.5]);
        set(&layout, &mut p, "fc.bias", &[0.3]);
        let x = [0.4, 0.6];
        // pre-activations: 0.5·0.4 − 1·0.6 + 0.1 = −0.3 and 0.25·0.4 + 0.75·0.6 − 0.2 = 0.35
        let (a0, a1) = match activation {
            Activation::Relu => (0.0, 0.35),
            Activation::Tanh => ((-0.3f64).tanh(), 0.35f64.tanh()),
        };
        let want = sig(2.0 * a0 - 1.5 * a1 + 0.3);
        let mut u = [0.0];
        mlp.forward_step(&p, &x, &[], &mut u, &mut [], &mut mlp.new_cache(1));
        assert_close(&format!("MLP {activation:?} u[0]"), u[0], want);
    }
}
