//! The built-in cells, and two small cells written in a test (a feed-forward one with hidden
//! size 0 in dfdx's own ops, and one that uses its hidden state both whole and split), through
//! `motornet_policy::testing::conformance`: layout, batch independence, f32 ≈ f64, seeded
//! initialisation, the backward contract, and every gradient against finite differences.

use motornet_policy::testing::{conformance, ConformanceOptions};
use motornet_policy::{init, ParamLayout, Policy, PolicyError, Real};
use motornet_policy_dfdx::prelude::*;
use motornet_policy_dfdx::{DfdxGruConfig, LstmConfig, TanhRnnConfig};
use rand::Rng;

fn pass<P: Policy>(name: &str, net: &P) {
    match conformance(net, &ConformanceOptions::default()) {
        Ok(r) => eprintln!(
            "{name}: gradient error {:.1e} ({} numbers), f32 error {:.1e}, batch error {:.1e}",
            r.gradients.max_rel_error, r.gradients.checked, r.f32_error, r.batch_error
        ),
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn tanh_rnn_passes_the_conformance_suite() {
    pass(
        "TanhRnn 4→5→2",
        &TanhRnnConfig::new(4, 5, 2).build().unwrap(),
    );
    pass(
        "TanhRnn 4→5→2, 2 layers",
        &TanhRnnConfig::new(4, 5, 2).with_layers(2).build().unwrap(),
    );
}

#[test]
fn lstm_passes_the_conformance_suite() {
    pass("Lstm 4→5→2", &LstmConfig::new(4, 5, 2).build().unwrap());
    pass(
        "Lstm 4→5→2, 2 layers",
        &LstmConfig::new(4, 5, 2).with_layers(2).build().unwrap(),
    );
}

#[test]
fn dfdx_gru_passes_the_conformance_suite() {
    pass(
        "DfdxGru 4→5→2",
        &DfdxGruConfig::new(4, 5, 2).build().unwrap(),
    );
    pass(
        "DfdxGru 4→5→2, 3 layers",
        &DfdxGruConfig::new(4, 5, 2).with_layers(3).build().unwrap(),
    );
}

/// Sizes and layouts, as documented: PyTorch names, `[h, c]` per LSTM layer.
#[test]
fn layouts_and_sizes() {
    let lstm = LstmConfig::new(3, 4, 2).with_layers(2).build().unwrap();
    assert_eq!(lstm.hidden_size(), 2 * 2 * 4);
    let names: Vec<(&str, Vec<usize>)> = lstm
        .layout()
        .blocks()
        .iter()
        .map(|b| (b.name.as_str(), b.shape.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("lstm.weight_ih_l0", vec![16, 3]),
            ("lstm.weight_hh_l0", vec![16, 4]),
            ("lstm.bias_ih_l0", vec![16]),
            ("lstm.bias_hh_l0", vec![16]),
            ("lstm.weight_ih_l1", vec![16, 4]),
            ("lstm.weight_hh_l1", vec![16, 4]),
            ("lstm.bias_ih_l1", vec![16]),
            ("lstm.bias_hh_l1", vec![16]),
            ("fc.weight", vec![2, 4]),
            ("fc.bias", vec![2]),
        ]
    );
    let rnn = TanhRnnConfig::new(3, 4, 2).build().unwrap();
    assert_eq!(rnn.hidden_size(), 4);
    assert_eq!(rnn.n_params(), 4 * 3 + 4 * 4 + 4 + 4 + 2 * 4 + 2);
    assert_eq!(rnn.layout().blocks()[0].name, "rnn.weight_ih_l0");
    let (lstm, p) = LstmConfig::new(3, 4, 2)
        .init::<f64, _>(&mut rand::thread_rng())
        .unwrap();
    let layout = lstm.layout();
    assert_eq!(
        layout.slice(&p, "fc.bias"),
        &[-5.0, -5.0],
        "fc.bias starts at −5"
    );
    assert!(layout
        .slice(&p, "lstm.bias_hh_l0")
        .iter()
        .all(|&b| b == 0.0));
}

/// The LSTM's state update by hand, one element, one unit: `c' = f c + i g`, `h' = o tanh(c')`.
#[test]
fn lstm_step_equals_the_hand_calculation() {
    let lstm = LstmConfig::new(1, 1, 1).build().unwrap();
    // blocks: w_ih [4,1], w_hh [4,1], b_ih [4], b_hh [4], fc.weight [1,1], fc.bias [1]
    let w_ih = [0.5, -0.3, 0.8, 0.1];
    let w_hh = [0.2, 0.4, -0.6, 0.7];
    let b_ih = [0.1, 0.2, 0.3, 0.4];
    let b_hh = [-0.05, 0.0, 0.05, 0.1];
    let mut params = Vec::new();
    for block in [&w_ih[..], &w_hh, &b_ih, &b_hh, &[1.5], &[-0.5]] {
        params.extend_from_slice(block);
    }
    let (x, h, c) = (0.7, -0.2, 0.4);
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let pre: Vec<f64> = (0..4)
        .map(|k| w_ih[k] * x + b_ih[k] + w_hh[k] * h + b_hh[k])
        .collect();
    let (i, f, g, o) = (sig(pre[0]), sig(pre[1]), pre[2].tanh(), sig(pre[3]));
    let c_new = f * c + i * g;
    let h_new = o * c_new.tanh();
    let u_want = sig(1.5 * h_new - 0.5);
    let (mut u, mut hn) = (vec![0.0], vec![0.0; 2]);
    lstm.forward_step(
        &params,
        &[x],
        &[h, c],
        &mut u,
        &mut hn,
        &mut lstm.new_cache(1),
    );
    for (what, got, want) in [
        ("h'", hn[0], h_new),
        ("c'", hn[1], c_new),
        ("u", u[0], u_want),
    ] {
        assert!((got - want).abs() < 1e-14, "{what}: {got}, expected {want}");
    }
}

#[test]
fn zero_sizes_are_errors_naming_the_field() {
    let err = LstmConfig::new(3, 0, 2).build().unwrap_err();
    assert_eq!(
        err,
        PolicyError::ZeroSize {
            field: "LstmConfig.hidden".into()
        }
    );
    assert!(TanhRnnConfig::new(0, 3, 2).build_cell().is_err());
    let err = DfdxGruConfig::new(3, 4, 2)
        .with_layers(0)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("DfdxGruConfig.layers"), "{err}");
    assert!(LstmConfig::new(3, 4, 0)
        .init::<f32, _>(&mut rand::thread_rng())
        .is_err());
}

/// A feed-forward cell (hidden size 0) in dfdx's own operators (`matmul`, `+` with a
/// broadcast bias, `.relu()`, `.sigmoid()`): u = σ(W₂ relu(W₁ x + b₁) + b₂).
#[derive(Clone)]
struct TwoLayer {
    layout: ParamLayout,
    sizes: [usize; 3],
}

impl TwoLayer {
    fn new(input: usize, width: usize, output: usize) -> Self {
        let mut layout = ParamLayout::new();
        layout.push("w1", &[width, input]);
        layout.push("b1", &[width]);
        layout.push("w2", &[output, width]);
        layout.push("b2", &[output]);
        Self {
            layout,
            sizes: [input, width, output],
        }
    }
}

impl AutodiffCell for TwoLayer {
    fn input_size(&self) -> usize {
        self.sizes[0]
    }
    fn hidden_size(&self) -> usize {
        0
    }
    fn output_size(&self) -> usize {
        self.sizes[2]
    }
    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        let mut p = vec![T::zero(); self.layout.len()];
        for b in self.layout.blocks() {
            if let [rows, cols] = b.shape[..] {
                init::xavier_uniform(rng, rows, cols, &mut p[b.range()]);
            }
        }
        p
    }
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        p: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>,
    {
        let a = add_bias(matmul_t(x, p.matrix(0)), p.vector(1)).relu();
        let z = a.matmul(p.matrix(2).clone().permute());
        let shape = *z.shape();
        let u = (z + p.vector(3).clone().broadcast_like::<_, Axis<0>>(&shape)).sigmoid();
        (u, h)
    }
}

#[test]
fn a_feed_forward_cell_in_dfdx_operators_passes() {
    pass(
        "TwoLayer 4→6→3 (hidden size 0)",
        &DfdxPolicy::new(TwoLayer::new(4, 6, 3)),
    );
}

/// A cell that uses its hidden state whole *and* split into two parts (swapped and joined
/// again), so that the split's backward pass must add to, not overwrite, the state's gradient:
/// h' = tanh(W x + b + h + swap(h) ⊙ h), u = σ(V h' + c).
#[derive(Clone)]
struct Swapper {
    layout: ParamLayout,
}

impl Swapper {
    const IN: usize = 3;
    const HID: usize = 5;
    const OUT: usize = 2;
    fn new() -> Self {
        let mut layout = ParamLayout::new();
        layout.push("w", &[Self::HID, Self::IN]);
        layout.push("b", &[Self::HID]);
        layout.push("v", &[Self::OUT, Self::HID]);
        layout.push("c", &[Self::OUT]);
        Self { layout }
    }
}

impl AutodiffCell for Swapper {
    fn input_size(&self) -> usize {
        Self::IN
    }
    fn hidden_size(&self) -> usize {
        Self::HID
    }
    fn output_size(&self) -> usize {
        Self::OUT
    }
    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        (0..self.layout.len())
            .map(|_| T::c(rng.gen_range(-0.5..0.5)))
            .collect()
    }
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        p: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>,
    {
        let mut parts = split_cols(h.with_empty_tape(), &[2, 3]);
        let tail = parts.pop().unwrap();
        let head = parts.pop().unwrap();
        let swapped = concat_cols(vec![tail, head]);
        let pre = add(
            add(linear(x, p.matrix(0), p.vector(1)), h.with_empty_tape()),
            mul(swapped, h),
        );
        let h_new = tanh(pre);
        let u = sigmoid(linear(h_new.with_empty_tape(), p.matrix(2), p.vector(3)));
        (u, h_new)
    }
}

#[test]
fn split_and_concat_add_gradients_of_a_tensor_used_elsewhere() {
    pass("Swapper", &DfdxPolicy::new(Swapper::new()));
}

/// What motornet-train asks of a network (`P: Policy + Send + Sync + Clone`, caches and
/// workspaces `Send`), and the same results from several threads at once (one dfdx device per
/// thread).
#[test]
fn policies_are_usable_from_training_threads() {
    fn trainable<P: Policy + Send + Sync + Clone>(_: &P)
    where
        P::Cache<f32>: Send,
        P::Workspace<f32>: Send,
    {
    }
    let (lstm, params) = LstmConfig::new(3, 4, 2)
        .init::<f32, _>(&mut rand::thread_rng())
        .unwrap();
    trainable(&lstm);
    trainable(&TanhRnnConfig::new(3, 4, 2).build().unwrap());
    trainable(&DfdxGruConfig::new(3, 4, 2).build().unwrap());
    let run = |seed: f32| {
        let x: Vec<f32> = (0..2 * 3).map(|i| (i as f32 * seed).sin()).collect();
        let h = vec![0.1f32; 2 * lstm.hidden_size()];
        let (mut u, mut hn) = (vec![0.0f32; 4], vec![0.0f32; h.len()]);
        let mut cache = lstm.new_cache(2);
        lstm.forward_step(&params, &x, &h, &mut u, &mut hn, &mut cache);
        let mut g = vec![0.0f32; lstm.n_params()];
        let (mut gx, mut gh) = (vec![0.0f32; 6], vec![0.0f32; h.len()]);
        let mut ws = lstm.new_workspace(2);
        lstm.backward_step(
            &params, &cache, &[1.0; 4], &hn, &mut g, &mut gx, &mut gh, &mut ws,
        );
        (u, g)
    };
    let alone: Vec<_> = [0.3f32, 0.7].iter().map(|&s| run(s)).collect();
    let threaded: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = [0.3f32, 0.7]
            .iter()
            .map(|&s| scope.spawn(move || run(s)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(alone, threaded);
    assert_ne!(alone[0].0, alone[1].0);
}

/// Issue 14: `--network lstm --hidden 1000000` must be an error naming the sizes, not an abort
/// when the parameters are allocated.
#[test]
fn cells_too_large_to_allocate_are_errors_naming_their_sizes() {
    use motornet_policy::PolicyError;
    let e = LstmConfig::new(12, 1_000_000, 4).build().unwrap_err();
    assert!(matches!(e, PolicyError::TooLarge { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("LstmConfig (input 12, hidden 1000000"),
        "{e}"
    );
    let e = TanhRnnConfig::new(12, usize::MAX, 4).build().unwrap_err();
    assert!(matches!(e, PolicyError::TooLarge { .. }), "{e}");
}
