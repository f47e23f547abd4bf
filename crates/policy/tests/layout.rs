//! Parameter layouts, sizes and configuration errors.

use motornet_policy::{GruConfig, MlpConfig, Policy, PolicyError};

#[test]
fn gru_n_params_matches_the_formula() {
    let gru = GruConfig::new(12, 32, 4).build().unwrap();
    assert_eq!(
        gru.n_params(),
        3 * 32 * 12 + 3 * 32 * 32 + 2 * 3 * 32 + 4 * 32 + 4
    );
    assert_eq!(gru.layout().len(), gru.n_params());
    assert_eq!(
        (gru.input_size(), gru.hidden_size(), gru.output_size()),
        (12, 32, 4)
    );

    // Two layers: layer 1 takes H inputs; the hidden state is both layers' units.
    let gru2 = GruConfig::new(12, 32, 4).with_layers(2).build().unwrap();
    assert_eq!(
        gru2.n_params(),
        gru.n_params() + 3 * 32 * 32 + 3 * 32 * 32 + 2 * 3 * 32
    );
    assert_eq!(gru2.hidden_size(), 64);
}

/// PyTorch's `named_parameters()` order and names for MotorNet's `PolicyGRU`, contiguous.
#[test]
fn gru_blocks_are_named_in_pytorch_order_and_contiguous() {
    let gru = GruConfig::new(12, 32, 4).with_layers(2).build().unwrap();
    let blocks = gru.layout().blocks();
    let got: Vec<(&str, Vec<usize>)> = blocks
        .iter()
        .map(|b| (b.name.as_str(), b.shape.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("gru.weight_ih_l0", vec![96, 12]),
            ("gru.weight_hh_l0", vec![96, 32]),
            ("gru.bias_ih_l0", vec![96]),
            ("gru.bias_hh_l0", vec![96]),
            ("gru.weight_ih_l1", vec![96, 32]),
            ("gru.weight_hh_l1", vec![96, 32]),
            ("gru.bias_ih_l1", vec![96]),
            ("gru.bias_hh_l1", vec![96]),
            ("fc.weight", vec![4, 32]),
            ("fc.bias", vec![4]),
        ]
    );
    let mut next = 0;
    for b in blocks {
        assert_eq!(
            b.offset, next,
            "block {} starts at {}, expected {next}",
            b.name, b.offset
        );
        next += b.len();
    }
    assert_eq!(next, gru.n_params());
    let fc = gru.layout().get("fc.bias").unwrap();
    assert_eq!(fc.range(), gru.n_params() - 4..gru.n_params());
    assert!(gru.layout().get("no.such.block").is_none());
}

#[test]
fn mlp_layout() {
    let mlp = MlpConfig::new(12, vec![64, 32], 4).build().unwrap();
    assert_eq!(mlp.n_params(), 64 * 12 + 64 + 32 * 64 + 32 + 4 * 32 + 4);
    let names: Vec<&str> = mlp
        .layout()
        .blocks()
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "hidden.0.weight",
            "hidden.0.bias",
            "hidden.1.weight",
            "hidden.1.bias",
            "fc.weight",
            "fc.bias"
        ]
    );
    assert_eq!(mlp.hidden_size(), 0);
    assert_eq!(
        mlp.layout().get("hidden.1.weight").unwrap().shape,
        vec![32, 64]
    );
    let linear = MlpConfig::new(3, vec![], 2).build().unwrap();
    assert_eq!(linear.n_params(), 2 * 3 + 2);
}

#[test]
fn zero_sizes_are_rejected_naming_the_field() {
    let err = |r: Result<_, PolicyError>| r.err().unwrap().to_string();
    assert_eq!(
        err(GruConfig::new(12, 0, 4).build().map(|_| ())),
        "GruConfig.hidden must be at least 1, got 0"
    );
    assert_eq!(
        err(GruConfig::new(12, 8, 4).with_layers(0).build().map(|_| ())),
        "GruConfig.layers must be at least 1, got 0"
    );
    assert_eq!(
        err(GruConfig::new(0, 8, 4).build().map(|_| ())),
        "GruConfig.input must be at least 1, got 0"
    );
    assert_eq!(
        err(GruConfig::new(3, 8, 0).build().map(|_| ())),
        "GruConfig.output must be at least 1, got 0"
    );
    assert_eq!(
        err(MlpConfig::new(3, vec![4, 0], 2).build().map(|_| ())),
        "MlpConfig.hidden[1] must be at least 1, got 0"
    );
}

#[test]
fn configs_round_trip_through_json() {
    let gru = GruConfig::new(12, 32, 4).with_layers(2);
    let text = serde_json::to_string(&gru).unwrap();
    assert_eq!(text, r#"{"input":12,"hidden":32,"layers":2,"output":4}"#);
    assert_eq!(serde_json::from_str::<GruConfig>(&text).unwrap(), gru);
    let mlp: MlpConfig = serde_json::from_str(r#"{"input":3,"hidden":[8],"output":2}"#).unwrap();
    assert_eq!(mlp, MlpConfig::new(3, vec![8], 2));
    let tanh: MlpConfig =
        serde_json::from_str(r#"{"input":3,"hidden":[8],"output":2,"activation":"tanh"}"#).unwrap();
    assert_eq!(tanh.activation, motornet_policy::Activation::Tanh);
    let layout = GruConfig::new(2, 3, 1).build().unwrap().layout().clone();
    let back: motornet_policy::ParamLayout =
        serde_json::from_str(&serde_json::to_string(&layout).unwrap()).unwrap();
    assert_eq!(back, layout);
}

#[test]
#[should_panic(expected = "x has 11 numbers, expected 12")]
fn wrong_buffer_length_panics_naming_the_buffer() {
    let gru = GruConfig::new(3, 4, 2).build().unwrap();
    let p = vec![0.0f32; gru.n_params()];
    let mut cache = gru.new_cache(4);
    gru.forward_step(
        &p,
        &[0.0; 11],
        &[0.0; 16],
        &mut [0.0; 8],
        &mut [0.0; 16],
        &mut cache,
    );
}

#[test]
#[should_panic(expected = "no parameter block \"fc.weights\"")]
fn unknown_block_panics_naming_it() {
    let gru = GruConfig::new(3, 4, 2).build().unwrap();
    let p = vec![0.0f32; gru.n_params()];
    let _ = gru.layout().slice(&p, "fc.weights");
}

/// Issue 14: `--hidden 1000000`, `--hidden u64::MAX` and huge layer counts aborted on
/// allocation ("capacity overflow" or "memory allocation failed"); building such a network is
/// now an error naming the sizes, before anything is allocated.
#[test]
fn networks_too_large_to_allocate_are_errors_naming_their_sizes() {
    use motornet_policy::{GruConfig, MlpConfig, PolicyError, MAX_PARAMS};
    for (hidden, layers) in [
        (1_000_000, 1),
        (usize::MAX, 1),
        (32, usize::MAX),
        (20_000, 2),
    ] {
        let e = GruConfig::new(12, hidden, 4)
            .with_layers(layers)
            .build()
            .unwrap_err();
        assert!(matches!(e, PolicyError::TooLarge { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("hidden {hidden}")) && msg.contains(&MAX_PARAMS.to_string()),
            "{msg}"
        );
    }
    let e = MlpConfig::new(12, vec![usize::MAX, 3], 4)
        .build()
        .unwrap_err();
    assert!(matches!(e, PolicyError::TooLarge { .. }), "{e}");
    // the count the check uses is the layout's: a network just under the limit builds, and
    // its layout has the parameters the check counted
    let gru = GruConfig::new(12, 1000, 4).with_layers(3).build().unwrap();
    let want = 3 * 1000 * (12 + 1000 + 2) + 2 * 3 * 1000 * (2 * 1000 + 2) + 4 * (1000 + 1);
    assert_eq!(motornet_policy::Policy::n_params(&gru), want);
}
