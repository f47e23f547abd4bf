//! Reverse mode ([`Rev`]) against forward mode ([`Dual64`]) and hand-derived gradients: every
//! `Scalar` operation, branches and ties, the tape's bookkeeping (unused inputs, constants,
//! reuse of storage, threads) and the documented misuse cases.

use std::panic::{catch_unwind, AssertUnwindSafe};

use motornet_scalar::{rev, select, Dual64, Real, Rev, RevError, RevTape, Scalar};
use proptest::prelude::*;

/// A function of a slice of inputs, written once over `Scalar` (closures cannot be generic).
trait Func {
    fn eval<S: Scalar>(&self, x: &[S]) -> S;
}

/// |a − b| ≤ 1e-12 · max(|a|, |b|, 1).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// The `Rev` gradient of `f` at `x` equals `Dual64`'s derivative along each input, and the
/// `Rev` value is the `f64` value bit for bit.
fn check_against_dual(f: &impl Func, x: &[f64]) -> Result<(), TestCaseError> {
    let (value, grad) = rev::gradient(x, |r| f.eval(r));
    prop_assert_eq!(
        value.to_bits(),
        f.eval(x).to_bits(),
        "value {} at {:?}",
        value,
        x
    );
    prop_assert_eq!(grad.len(), x.len());
    for j in 0..x.len() {
        let seeded: Vec<Dual64> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| Dual64::new(v, if i == j { 1.0 } else { 0.0 }))
            .collect();
        let d = f.eval(&seeded);
        prop_assert!(
            close(grad[j], d.eps),
            "∂/∂x{} at {:?}: Rev {} Dual64 {}",
            j,
            x,
            grad[j],
            d.eps
        );
    }
    Ok(())
}

/// Every operation of `Scalar` (and the operators), as a function of two numbers.
#[derive(Clone, Copy, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    AddAssign,
    SubAssign,
    MulAssign,
    DivAssign,
    Exp,
    Ln,
    Sqrt,
    Sin,
    Cos,
    SinCosSin,
    SinCosCos,
    Tanh,
    Powi(i32),
    Scale(f64),
    Shift(f64),
    SelectLt,
    SelectLe,
    SelectGt,
    SelectGe,
    ClampMin,
    ClampMax,
    Clamp,
    Zero,
    One,
    FromLanes,
}

impl Op {
    fn apply<S: Scalar>(self, a: S, b: S) -> S {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Neg => -a,
            Op::AddAssign => {
                let mut y = a;
                y += b;
                y
            }
            Op::SubAssign => {
                let mut y = a;
                y -= b;
                y
            }
            Op::MulAssign => {
                let mut y = a;
                y *= b;
                y
            }
            Op::DivAssign => {
                let mut y = a;
                y /= b;
                y
            }
            Op::Exp => a.exp(),
            Op::Ln => a.ln(),
            Op::Sqrt => a.sqrt(),
            Op::Sin => a.sin(),
            Op::Cos => a.cos(),
            Op::SinCosSin => a.sin_cos().0,
            Op::SinCosCos => a.sin_cos().1,
            Op::Tanh => a.tanh(),
            Op::Powi(n) => a.powi(n),
            Op::Scale(k) => a.scale(k),
            Op::Shift(k) => a.shift(k),
            // each branch a different function of both, so that picking the wrong branch or
            // carrying both derivatives shows
            Op::SelectLt => select(a.lt(b), a * b, a - b.scale(3.0)),
            Op::SelectLe => select(a.le(b), a * b, a - b.scale(3.0)),
            Op::SelectGt => select(a.gt(b), a * b, a - b.scale(3.0)),
            Op::SelectGe => select(a.ge(b), a * b, a - b.scale(3.0)),
            Op::ClampMin => (a * a).clamp_min(b),
            Op::ClampMax => (a * a).clamp_max(b),
            Op::Clamp => (a * a).clamp(b, b.scale(2.0).shift(1.0)),
            Op::Zero => a * S::zero() + b * S::one().scale(0.0),
            Op::One => a + S::one(),
            Op::FromLanes => a * S::from_lanes(|i| 2.5 + i as f64),
        }
    }

    /// Whether `a` must be positive (logarithm, square root) and `b` away from zero
    /// (division).
    fn needs_positive_a(self) -> bool {
        matches!(self, Op::Ln | Op::Sqrt)
    }
}

/// How the two operands enter: both inputs, one a constant, or one input used twice.
#[derive(Clone, Copy, Debug)]
enum Operands {
    VarVar,
    VarConst,
    ConstVar,
    SameVar,
}

struct OpCase(Op, Operands, f64);

impl Func for OpCase {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        let (a, b) = match self.1 {
            Operands::VarVar => (x[0], x[1]),
            Operands::VarConst => (x[0], S::c(self.2)),
            Operands::ConstVar => (S::c(self.2), x[0]),
            Operands::SameVar => (x[0], x[0]),
        };
        self.0.apply(a, b)
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Add),
        Just(Op::Sub),
        Just(Op::Mul),
        Just(Op::Div),
        Just(Op::Neg),
        Just(Op::AddAssign),
        Just(Op::SubAssign),
        Just(Op::MulAssign),
        Just(Op::DivAssign),
        Just(Op::Exp),
        Just(Op::Ln),
        Just(Op::Sqrt),
        Just(Op::Sin),
        Just(Op::Cos),
        Just(Op::SinCosSin),
        Just(Op::SinCosCos),
        Just(Op::Tanh),
        (-3i32..=4).prop_map(Op::Powi),
        (-3.0..3.0f64).prop_map(Op::Scale),
        (-3.0..3.0f64).prop_map(Op::Shift),
        Just(Op::SelectLt),
        Just(Op::SelectLe),
        Just(Op::SelectGt),
        Just(Op::SelectGe),
        Just(Op::ClampMin),
        Just(Op::ClampMax),
        Just(Op::Clamp),
        Just(Op::Zero),
        Just(Op::One),
        Just(Op::FromLanes),
    ]
}

fn operands() -> impl Strategy<Value = Operands> {
    prop_oneof![
        Just(Operands::VarVar),
        Just(Operands::VarConst),
        Just(Operands::ConstVar),
        Just(Operands::SameVar),
    ]
}

/// A number in ±[0.2, 3] (away from zero: divisions and negative powers).
fn nonzero() -> impl Strategy<Value = f64> {
    (0.2..3.0f64, any::<bool>()).prop_map(|(m, neg)| if neg { -m } else { m })
}

/// Σ|x_i − g_i| + Σ x_i² (|·| as a `select`, derivative +1 at a tie) and its gradient by hand:
/// sign(x_i − g_i) + 2 x_i.
fn l1_l2<S: Scalar>(x: &[S], g: &[f64]) -> S {
    let mut s = S::zero();
    for (&xi, &gi) in x.iter().zip(g) {
        let d = xi.shift(-gi);
        s += select(d.lt(S::zero()), -d, d) + xi * xi;
    }
    s
}
fn l1_l2_grad(x: &[f64], g: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(g)
        .map(|(&xi, &gi)| if xi - gi < 0.0 { -1.0 } else { 1.0 } + 2.0 * xi)
        .collect()
}

/// A composite with branches: a muscle-like force with clipped activation, a kinked
/// force–length curve, trigonometry of joint angles and a division; with `ln(k·v)` when
/// `with_ln` (for inputs with v > 0).
struct Composite {
    with_ln: bool,
}
impl Func for Composite {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        let (a, l, v, q0, q1, k) = (x[0], x[1], x[2], x[3], x[4], x[5]);
        let act = a.clamp(S::c(0.01), S::one());
        let fl = select(
            l.lt(S::one()),
            (-(l.shift(-1.0)).powi(2).scale(4.0)).exp(),
            S::one() / (l * l),
        );
        let fv = select(
            v.le(S::zero()),
            (v.shift(1.0)).clamp_min(S::zero()),
            v.tanh().shift(1.0),
        );
        let (s0, c0) = q0.sin_cos();
        let arm = s0 * q1.cos() + c0 * (q0 + q1).sin();
        let passive = (l.shift(-1.2)).clamp_min(S::zero()).powi(3) * k.sqrt();
        let y = act * fl * fv * arm + passive - arm / (k.shift(0.5));
        if self.with_ln {
            y + (k * v).ln().scale(0.1)
        } else {
            y
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every operation, with inputs or constants in either place or one input used twice:
    /// reverse mode gives Dual64's derivative, and f64's value.
    #[test]
    fn every_operation_matches_dual64(
        op in op(),
        operands in operands(),
        a in nonzero(),
        b in nonzero(),
        c in nonzero(),
    ) {
        let (a, b, c) = if op.needs_positive_a() { (a.abs(), b, c.abs()) } else { (a, b, c) };
        let case = OpCase(op, operands, c);
        let x: Vec<f64> = match operands {
            Operands::VarVar => vec![a, b],
            _ => vec![a],
        };
        check_against_dual(&case, &x)?;
    }

    /// A composite with selects, clamps (both sides of each taken over the input range),
    /// sin_cos, powi, sqrt, ln and divisions equals Dual64 input by input.
    #[test]
    fn composite_with_branches_matches_dual64(
        a in -0.5..1.5f64,
        l in 0.5..1.6f64,
        v in -1.5..1.0f64,
        q0 in -3.0..3.0f64,
        q1 in -3.0..3.0f64,
        k in 0.1..4.0f64,
    ) {
        let v = if v == 0.0 { 0.1 } else { v };
        check_against_dual(&Composite { with_ln: v > 0.0 }, &[a, l, v, q0, q1, k])?;
    }

    /// Comparisons read values, as f64's do.
    #[test]
    fn comparisons_read_values(a in -2.0..2.0f64, b in -2.0..2.0f64) {
        let tape = RevTape::start();
        let (ra, rb) = (tape.var(a), tape.var(b));
        prop_assert_eq!(ra.lt(rb), a < b);
        prop_assert_eq!(ra.le(rb), a <= b);
        prop_assert_eq!(ra.gt(rb), a > b);
        prop_assert_eq!(ra.ge(rb), a >= b);
        prop_assert_eq!(ra.le(ra), true);
        prop_assert_eq!(Rev::c(a).lt(rb), a < b);
    }
}

/// The loss of the issue, over 10 000 inputs: equals the hand-derived gradient exactly (each
/// entry is a sum of ±1 and 2·x, both exact in binary), and the value the f64 evaluation gives.
#[test]
fn sum_of_abs_and_squares_over_10k_inputs() {
    let n = 10_000;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f64 / 512.0 - 1.0)
        .collect();
    // targets, equal to the input at every 97th (a tie: |·| has derivative +1 there)
    let g: Vec<f64> = (0..n)
        .map(|i| match i % 97 {
            0 => x[i],
            _ => ((i * 104729) % 1000) as f64 / 1024.0 - 0.5,
        })
        .collect();
    let (value, grad) = rev::gradient(&x, |r| l1_l2(r, &g));
    assert_eq!(value, l1_l2(&x, &g));
    assert_eq!(grad, l1_l2_grad(&x, &g));
    assert_eq!(grad[97], 1.0 + 2.0 * x[97]);
}

/// At a tie, clamp_* return the input and its derivative, select carries only the selected
/// branch's derivative, and Rev agrees with Dual64 on each.
#[test]
fn ties_and_branches_follow_the_dual_rules() {
    let tape = RevTape::start();
    let x = tape.var(1.0);
    let lo = Rev::c(1.0);
    assert_eq!(tape.gradient(x.clamp_min(lo)), vec![1.0]);
    assert_eq!(tape.gradient(x.clamp_max(lo)), vec![1.0]);
    assert_eq!(tape.gradient(x.clamp(Rev::c(0.0), lo)), vec![1.0]);
    assert_eq!(tape.gradient(x.clamp(lo, Rev::c(2.0))), vec![1.0]);
    // clipped: constant bound, zero derivative
    assert_eq!(tape.gradient(x.clamp_min(Rev::c(2.0))), vec![0.0]);
    assert_eq!(tape.gradient(x.clamp_max(Rev::c(0.5))), vec![0.0]);
    // the bound may itself depend on the input: its derivative is the one carried
    let y = tape.var(3.0);
    assert_eq!(tape.gradient(x.clamp_min(y * y)), vec![0.0, 6.0]);
    // select: only the chosen branch
    assert_eq!(tape.gradient(select(true, x * y, x + y)), vec![3.0, 1.0]);
    assert_eq!(tape.gradient(select(false, x * y, x - y)), vec![1.0, -1.0]);
    let d = Dual64::new(1.0, 1.0);
    assert_eq!(d.clamp_min(Dual64::c(1.0)).eps, 1.0);
}

/// Inputs the output does not depend on, and inputs made after it, get 0; a constant output
/// gets all zeros; inputs are numbered in creation order over several calls.
#[test]
fn unused_inputs_get_zero_and_numbering_follows_creation() {
    let tape = RevTape::start();
    let a = tape.var(2.0);
    let unused = tape.vars(&[5.0, 6.0]);
    let b = tape.var(3.0);
    let y = a * b + a.sin();
    let late = tape.var(7.0);
    assert_eq!(tape.n_vars(), 5);
    let g = tape.gradient(y);
    assert_eq!(g, vec![3.0 + 2f64.cos(), 0.0, 0.0, 2.0, 0.0]);
    // a constant output: zero gradient, no panic
    assert_eq!(tape.gradient(Rev::c(4.0)), vec![0.0; 5]);
    // an input as the output: the unit vector
    assert_eq!(tape.gradient(late), vec![0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(tape.gradient(unused[1]), vec![0.0, 0.0, 1.0, 0.0, 0.0]);
    // recording goes on after a gradient, and the first output's gradient is unchanged
    let z = y * late;
    assert_eq!(tape.gradient(y), g);
    let gz = tape.gradient(z);
    assert!(close(gz[0], 7.0 * g[0]) && close(gz[3], 7.0 * g[3]));
    assert_eq!(gz[4], y.value());
}

/// Constants have no node: arithmetic on constants, adding constants and selecting record
/// nothing; they work outside any recording.
#[test]
fn constants_get_no_node() {
    // outside any recording
    let c = (Rev::c(2.0) * Rev::c(3.0)).exp().sqrt() - Rev::one();
    assert!(c.is_constant());
    assert_eq!(c.value(), 6f64.exp().sqrt() - 1.0);
    assert_eq!(Rev::from_lanes(|i| i as f64 + 4.0).value(), 4.0);

    let tape = RevTape::start();
    let x = tape.var(1.5);
    assert_eq!(tape.n_nodes(), 1);
    let k = Rev::c(2.0) * Rev::c(0.5) + Rev::c(1.0).sin();
    assert!(k.is_constant());
    assert_eq!(tape.n_nodes(), 1);
    // adding or subtracting a constant, shift and select record nothing
    let y = select(x.lt(k), x + k, x - k).shift(3.0) + Rev::zero();
    assert!(!y.is_constant());
    assert_eq!(tape.n_nodes(), 1);
    assert_eq!(tape.gradient(y), vec![1.0]);
    // an operation with one input records one node; powi(0) is a constant
    let z = x * k;
    assert_eq!(tape.n_nodes(), 2);
    assert!(x.powi(0).is_constant());
    assert_eq!(tape.n_nodes(), 2);
    assert_eq!(tape.gradient(z), vec![k.value()]);
}

/// Repeated recordings on one thread reuse the tape: its capacity stops growing after the
/// first, and every recording's gradient is right.
#[test]
fn repeated_recordings_reuse_storage() {
    let n = 2_000;
    let g: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let mut capacity = None;
    for rep in 0..20 {
        let x: Vec<f64> = (0..n)
            .map(|i| ((i + rep) % 17) as f64 / 8.0 - 1.0)
            .collect();
        let tape = RevTape::start();
        let xs = tape.vars(&x);
        let y = l1_l2(&xs, &g);
        assert_eq!(tape.gradient(y), l1_l2_grad(&x, &g), "recording {rep}");
        match capacity {
            None => capacity = Some(tape.node_capacity()),
            Some(c) => assert_eq!(tape.node_capacity(), c, "recording {rep}"),
        }
    }
    // the one-call form, adding scale · gradient
    let x: Vec<f64> = (0..n).map(|i| (i % 5) as f64 - 2.0).collect();
    let mut grad = vec![1.0; n];
    for _ in 0..3 {
        let v = rev::accumulate_gradient(&x, 0.5, &mut grad, |r| l1_l2(r, &g)).unwrap();
        assert_eq!(v, l1_l2(&x, &g));
    }
    let expect: Vec<f64> = l1_l2_grad(&x, &g)
        .iter()
        .map(|d| 1.0 + 3.0 * (0.5 * d))
        .collect();
    assert_eq!(grad, expect);
    let tape = RevTape::start();
    assert_eq!(tape.node_capacity(), capacity.unwrap());
    drop(tape);
    // freeing gives the storage back
    rev::free_thread_storage().unwrap();
    assert!(RevTape::start().node_capacity() < 16);
}

/// Recordings on several threads at once are independent.
#[test]
fn recordings_on_several_threads_are_independent() {
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                s.spawn(move || {
                    let mut ok = true;
                    for rep in 0..200 {
                        let n = 50 + 10 * t;
                        let x: Vec<f64> = (0..n)
                            .map(|i| ((i * (t + 3) + rep) % 23) as f64 / 7.0 - 1.5)
                            .collect();
                        let g: Vec<f64> = (0..n).map(|i| (i % 3) as f64 * 0.25).collect();
                        let (v, grad) = rev::gradient(&x, |r| l1_l2(r, &g));
                        ok &= v == l1_l2(&x, &g) && grad == l1_l2_grad(&x, &g);
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results, vec![true; 4]);
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// A second recording while one is live: `try_start` and `accumulate_gradient` return the
/// error (without calling the function or touching the buffer); `start` and `gradient` panic
/// saying so. After the first ends, recording works again.
#[test]
fn nested_recording_is_refused() {
    let tape = RevTape::start();
    let x = tape.var(2.0);
    assert_eq!(RevTape::try_start().unwrap_err(), RevError::RecordingLive);
    let mut grad = vec![7.0];
    let mut called = false;
    let r = rev::accumulate_gradient(&[1.0], 1.0, &mut grad, |v| {
        called = true;
        v[0]
    });
    assert_eq!(r, Err(RevError::RecordingLive));
    assert!(!called);
    assert_eq!(grad, vec![7.0]);
    let msg = panic_message(|| {
        let _ = RevTape::start();
    });
    assert!(msg.contains("already live"), "{msg}");
    let msg = panic_message(|| {
        let _ = rev::gradient(&[1.0], |v| v[0]);
    });
    assert!(msg.contains("already live"), "{msg}");
    // the live recording is intact
    let y = x * x;
    assert_eq!(tape.gradient(y), vec![4.0]);
    drop(tape);
    assert_eq!(rev::gradient(&[3.0], |v| v[0] * v[0]), (9.0, vec![6.0]));
}

/// A Rev of an ended recording, used in a later one or with none live, panics (it would
/// otherwise point at another recording's nodes); so does combining two recordings' values.
#[test]
fn values_of_another_recording_are_refused() {
    let old = {
        let tape = RevTape::start();
        let x = tape.var(2.0);
        x * x
    };
    // no recording live
    let msg = panic_message(|| {
        let _ = old.sin();
    });
    assert!(msg.contains("no reverse-mode recording is live"), "{msg}");
    // constants and adding constants still work: they record nothing
    assert_eq!((old + Rev::c(1.0)).value(), 5.0);
    // a later recording
    let tape = RevTape::start();
    let x = tape.var(3.0);
    let msg = panic_message(|| {
        let _ = old * Rev::c(2.0);
    });
    assert!(msg.contains("was used in recording"), "{msg}");
    let msg = panic_message(|| {
        let _ = x * old;
    });
    assert!(msg.contains("were combined"), "{msg}");
    let msg = panic_message(|| {
        let _ = tape.gradient(old.shift(1.0));
    });
    assert!(msg.contains("was used in recording"), "{msg}");
    let mut g = vec![0.0];
    let msg = panic_message(|| {
        let _ = tape.accumulate_gradient(old, 1.0, &mut g);
    });
    assert!(msg.contains("was used in recording"), "{msg}");
    // the recording is still usable after the refused operations
    assert_eq!(tape.gradient(x * x), vec![6.0]);
}

/// A Rev sent to another thread cannot be recorded there (that thread's tape has other nodes).
#[test]
fn values_sent_to_another_thread_are_refused() {
    let tape = RevTape::start();
    let x = tape.var(2.0);
    let (bare, other) = std::thread::scope(|s| {
        let bare = s
            .spawn(move || {
                panic_message(|| {
                    let _ = x.exp();
                })
            })
            .join()
            .unwrap();
        let other = s
            .spawn(move || {
                let t = RevTape::start();
                let y = t.var(1.0);
                panic_message(|| {
                    let _ = x + y;
                })
            })
            .join()
            .unwrap();
        (bare, other)
    });
    assert!(bare.contains("no reverse-mode recording is live"), "{bare}");
    assert!(other.contains("were combined"), "{other}");
    assert_eq!(tape.gradient(x.exp()), vec![2f64.exp()]);
}

/// A panic inside a recording ends it (the guard drops while unwinding): the thread can record
/// again.
#[test]
fn a_panic_while_recording_ends_the_recording() {
    let r = catch_unwind(|| {
        rev::gradient(&[1.0, 2.0], |v| {
            if v[0].value() > 0.0 {
                panic!("loss failed");
            }
            v[0]
        })
    });
    assert!(r.is_err());
    assert_eq!(
        rev::gradient(&[1.0, 2.0], |v| v[0] * v[1]).1,
        vec![2.0, 1.0]
    );
}

/// A gradient buffer of the wrong length is an error, and the buffer is unchanged.
#[test]
fn wrong_gradient_length_is_an_error() {
    let mut g = vec![0.5; 3];
    let r = rev::accumulate_gradient(&[1.0, 2.0], 1.0, &mut g, |v| v[0] * v[1]);
    assert_eq!(r, Err(RevError::GradientLength { vars: 2, buffer: 3 }));
    assert_eq!(g, vec![0.5; 3]);
    let tape = RevTape::start();
    let x = tape.vars(&[1.0, 2.0]);
    let y = x[0] * x[1];
    let err = tape.accumulate_gradient(y, 1.0, &mut g).unwrap_err();
    assert_eq!(err, RevError::GradientLength { vars: 2, buffer: 3 });
    assert_eq!(
        err.to_string(),
        "the gradient buffer has 3 slots, but the recording has 2 inputs"
    );
    let mut g2 = vec![1.0, 1.0];
    tape.accumulate_gradient(y, -2.0, &mut g2).unwrap();
    assert_eq!(g2, vec![1.0 - 4.0, 1.0 - 2.0]);
}

/// is_finite: false for a non-finite value, and for a non-finite partial anywhere upstream
/// (as Dual64's derivative part is), unless a select dropped that branch.
#[test]
fn non_finite_derivatives_are_reported_like_dual64() {
    fn cases<S: Scalar>(x: S) -> [S; 6] {
        let s = x.sqrt(); // at 0: derivative ∞
        [
            s,
            s.scale(2.0).shift(1.0) * S::c(3.0),
            (s + x).exp(),
            select(x.lt(S::one()), x * S::c(2.0), s),
            x.ln(), // at 0: value −∞
            x * S::c(2.0),
        ]
    }
    let tape = RevTape::start();
    let x = tape.var(0.0);
    let r = cases(x);
    let d = cases(Dual64::new(0.0, 1.0));
    for i in 0..6 {
        assert_eq!(
            Scalar::is_finite(&r[i]),
            Scalar::is_finite(&d[i]),
            "case {i}: {:?} vs {:?}",
            r[i],
            d[i]
        );
    }
    assert!(!Scalar::is_finite(&r[0]) && Scalar::is_finite(&r[3]));
    assert!(!Scalar::is_finite(&Rev::c(f64::INFINITY)));
    assert!(Scalar::is_finite(&Rev::c(1.0)));
}

/// Display shows the value as f64 does (formatting flags included); lane, re and LANES read it.
#[test]
fn display_lane_and_re() {
    let tape = RevTape::start();
    let x = tape.var(1.25) * Rev::c(2.0);
    assert_eq!(format!("{x}"), "2.5");
    assert_eq!(format!("{x:.3}"), "2.500");
    assert_eq!(format!("{:>6}", Rev::c(-1.0)), "    -1");
    assert_eq!(x.lane(0), 2.5);
    assert_eq!(x.re(), 2.5);
    assert_eq!(Rev::LANES, 1);
    assert!(format!("{x:?}").contains("value: 2.5"));
}

/// The Rev type satisfies the trait's bounds (Send + Sync + 'static, Copy) and is small.
#[test]
fn rev_is_small_and_thread_safe() {
    fn bounds<T: Scalar + Real + Send + Sync + Copy + 'static>() {}
    bounds::<Rev>();
    assert_eq!(std::mem::size_of::<Rev>(), 16);
}
