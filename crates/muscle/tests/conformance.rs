//! The conformance suite every muscle model must pass, run for each built-in model:
//! finite, non-negative force for finite inputs over a wide range; `f32` and `f64` agree to
//! `f32` precision; dual-number derivatives equal central finite differences in `f64`.
//!
//! A new model joins by adding a line to `models()`.

use motornet_muscle::*;
use motornet_scalar::{Dual64, Scalar};
use proptest::prelude::*;

fn hill() -> Vec<HillParams> {
    vec![
        HillParams::new("pectoralis", 838.0, 0.039, 0.134, 1.4),
        HillParams::new("biceps", 414.0, 0.204, 0.137, 1.4),
    ]
}

fn models() -> Vec<AnyMuscle> {
    let mujoco = |name: &str, f, se, ce| MujocoParams::new(name, f, se, ce);
    vec![
        ReluMuscle::new(
            ReluMuscle::DEFAULT_ACTIVATION,
            vec![ReluParams::new("a", 500.0), ReluParams::new("b", 300.0)],
        )
        .unwrap()
        .into(),
        RigidTendonHillMuscle::new(RigidTendonHillMuscle::DEFAULT_ACTIVATION, hill())
            .unwrap()
            .into(),
        RigidTendonHillMuscleThelen::new(RigidTendonHillMuscleThelen::DEFAULT_ACTIVATION, {
            let mut h = hill();
            h.iter_mut()
                .for_each(|m| m.normalized_slack_muscle_length = 1.0);
            h
        })
        .unwrap()
        .into(),
        CompliantTendonHillMuscle::new(
            CompliantTendonHillMuscle::DEFAULT_ACTIVATION,
            vec![
                HillParams::new("pectoralis", 838.0, 0.07, 0.134, 1.4),
                HillParams::new("biceps", 414.0, 0.204, 0.137, 1.4),
            ],
        )
        .unwrap()
        .into(),
        MujocoHillMuscle::new(
            MujocoHillMuscle::DEFAULT_ACTIVATION,
            1.0,
            vec![
                mujoco("pectoralis", 838.0, 0.039, 0.134),
                mujoco("biceps", 414.0, 0.204, 0.137),
            ],
        )
        .unwrap()
        .into(),
    ]
}

/// Inputs of one muscle step: musculotendon length (m) and velocity (m/s), activation,
/// excitation, and (compliant tendon only) fibre length as a fraction of the musculotendon
/// length.
#[derive(Debug, Clone, Copy)]
struct Inputs {
    mt_len: f64,
    mt_vel: f64,
    activation: f64,
    excitation: f64,
    fibre_fraction: f64,
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        0.0..0.8f64,
        -3.0..3.0f64,
        0.0..1.0f64,
        -0.5..1.5f64,
        0.05..0.95f64,
    )
        .prop_map(
            |(mt_len, mt_vel, activation, excitation, fibre_fraction)| Inputs {
                mt_len,
                mt_vel,
                activation,
                excitation,
                fibre_fraction,
            },
        )
}

/// One full muscle step (derivative, then Euler integration) from a consistent state: the
/// state is the model's initial state at these inputs with the activation replaced (and, for
/// the compliant tendon, the fibre length and its active force refreshed). Returns the new
/// state.
fn step<S: Scalar>(model: &AnyMuscle, m: usize, x: [S; 5]) -> Vec<S> {
    let [mt_len, mt_vel, activation, excitation, fibre_fraction] = x;
    let ns = model.n_states();
    let mut state = vec![S::zero(); ns];
    model.initial_state(m, mt_len, mt_vel, 0.001, &mut state);
    state[0] = activation;
    if model.name() == "CompliantTendonHillMuscle" {
        // put the fibre somewhere else and let one zero-derivative step refresh its forces
        let mut s = state.clone();
        s[1] = mt_len * fibre_fraction;
        let zero = [S::zero(), S::zero()];
        model.integrate(m, 0.001, &zero, &s, mt_len, mt_vel, &mut state);
        state[1] = s[1];
    }
    let mut d = vec![S::zero(); model.n_derivatives()];
    model.derivative(m, excitation, &state, &mut d);
    let mut out = vec![S::zero(); ns];
    model.integrate(m, 0.001, &d, &state, mt_len, mt_vel, &mut out);
    out
}

fn as_array(x: Inputs) -> [f64; 5] {
    [
        x.mt_len,
        x.mt_vel,
        x.activation,
        x.excitation,
        x.fibre_fraction,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn force_is_finite_and_non_negative(x in inputs()) {
        for model in models() {
            for m in 0..model.n_muscles() {
                let s = step::<f64>(&model, m, as_array(x));
                for (k, v) in s.iter().enumerate() {
                    prop_assert!(v.is_finite(), "{} state {} = {v} for {x:?}", model.name(), k);
                }
                let force = s[model.force_index()];
                prop_assert!(force >= 0.0, "{}: force {force} for {x:?}", model.name());
                let a = s[0];
                let act = model.activation();
                prop_assert!(a >= act.min_activation && a <= 1.0);
            }
        }
    }

    #[test]
    fn f32_and_f64_agree(x in inputs()) {
        for model in models() {
            for m in 0..model.n_muscles() {
                let x32 = as_array(x).map(|v| v as f32);
                let s64 = step::<f64>(&model, m, x32.map(|v| v as f64));
                let s32 = step::<f32>(&model, m, x32);
                let f_max = model.max_isometric_force(m);
                let force = model.force_index();
                let err = (s32[force] as f64 - s64[force]).abs();
                prop_assert!(
                    err <= 1e-4 * (f_max + s64[force].abs()),
                    "{}: f32 force {} vs f64 {} for {x:?}", model.name(), s32[force], s64[force]
                );
                let err = (s32[0] as f64 - s64[0]).abs();
                prop_assert!(err <= 1e-5, "{}: activation", model.name());
            }
        }
    }

    #[test]
    fn dual_derivatives_match_finite_differences(x in inputs()) {
        for model in models() {
            for m in 0..model.n_muscles() {
                let base = as_array(x);
                let value = step::<f64>(&model, m, base);
                for i in 0..5 {
                    let mut seeded = base.map(Dual64::c);
                    seeded[i].eps = 1.0;
                    let dual = step::<Dual64>(&model, m, seeded);
                    // Richardson-extrapolated central differences (truncation O(h⁴)) with a
                    // step large enough that rounding stays far below the tolerance
                    let h = 1e-4 * base[i].abs().max(0.1);
                    let at = |delta: f64| {
                        let mut p = base;
                        p[i] += delta;
                        step::<f64>(&model, m, p)
                    };
                    let (plus, minus) = (at(h), at(-h));
                    let (plus2, minus2) = (at(h / 2.0), at(-h / 2.0));
                    for k in 0..value.len() {
                        let fwd = (plus[k] - value[k]) / h;
                        let bwd = (value[k] - minus[k]) / h;
                        let c1 = (plus[k] - minus[k]) / (2.0 * h);
                        let c2 = (plus2[k] - minus2[k]) / h;
                        let central = (4.0 * c2 - c1) / 3.0;
                        // a kink or a branch switch within ±h: finite differences are not a
                        // reference there
                        let smooth = (fwd - bwd).abs() <= 1e-2 * (fwd.abs() + bwd.abs()) + 1e-6
                            // a jump of the second derivative (a C¹ spline's knot) within ±h
                            // shows as central differences that still change with h
                            && (c1 - c2).abs() <= 1e-7 * (c1.abs() + c2.abs()) + 1e-9;
                        if !smooth {
                            continue;
                        }
                        let d = dual[k].eps;
                        let tol = 1e-6 * d.abs().max(central.abs()) + 1e-7 * (1.0 + value[k].abs());
                        prop_assert!(
                            (d - central).abs() <= tol,
                            "{}: d state[{k}] / d input[{i}]: dual {d} vs finite difference \
                             {central} at {x:?}", model.name()
                        );
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// `read_states` is what derivative and integrate read: changing any other entry of the
    /// state changes neither (exact derivatives rely on it).
    #[test]
    fn state_entries_outside_read_states_are_not_read(x in inputs(), junk in -10.0..10.0f64) {
        for model in models() {
            for m in 0..model.n_muscles() {
                let ns = model.n_states();
                let mut state = vec![0.0; ns];
                model.initial_state(m, x.mt_len, x.mt_vel, 0.001, &mut state);
                state[0] = x.activation;
                let mut other = state.clone();
                for (k, v) in other.iter_mut().enumerate() {
                    if !model.read_states().contains(&k) {
                        *v += junk;
                    }
                }
                let run = |s: &[f64]| {
                    let mut d = vec![0.0; model.n_derivatives()];
                    model.derivative(m, x.excitation, s, &mut d);
                    let mut out = vec![0.0; ns];
                    model.integrate(m, 0.001, &d, s, x.mt_len, x.mt_vel, &mut out);
                    (d, out)
                };
                prop_assert_eq!(run(&state), run(&other), "{}", model.name());
            }
        }
    }
}
