//! The conformance check (`motornet_muscle::testing`) on muscle models written the way a user
//! of the crate would write them: one that conforms passes, and each broken one is rejected
//! with an error naming the property it breaks.

use motornet_muscle::testing::{check_muscle_model, CheckConfig, ConformanceError, Property};
use motornet_muscle::{ActivationDynamics, MuscleModel, StepGradients, StepInputs};
use motornet_scalar::{Dual64, Scalar};

/// How each variant of [`Lagged`] is broken.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    None,
    /// `read_states` omits the previous tension, which `integrate` reads.
    UndeclaredRead,
    /// The length is read as a plain number (`lane(0)`), so its derivative is dropped.
    DroppedDerivative,
    /// A negative force when the activation is below one half.
    NegativeForce,
    /// `integrate_all` gives the second muscle the first muscle's F_max.
    IntegrateAllWrongValue,
    /// `integrate_all` reads the length as a plain number (its derivative is dropped), while
    /// `integrate` is right.
    IntegrateAllDroppedDerivative,
    /// In `f32` the tension target is 0.1 % too large (as a constant typed with too few
    /// digits for `f32` alone would make it).
    F32Constant,
    /// The hand-written `step_vjp` forgets the lag's own factor (1 − dt/τ) on the previous
    /// tension's gradient.
    StepVjpWrong,
}

/// A user's model with states named unlike MotorNet's: the tension follows
/// `F_max · a · (length / l0)` with a first-order lag of time constant `tau`; the force is the
/// tension. State: `["act", "tension", "force"]`; `integrate` reads the activation and the
/// previous tension (`read_states = [0, 1]`). Proprioception is the trait's default
/// (musculotendon length and velocity over `proprioception_scale`). It brings its own fast
/// path for the step's VJP (`step_vjp`), which the conformance check compares with the dual
/// numbers.
#[derive(Debug)]
struct Lagged {
    act: ActivationDynamics,
    f_max: Vec<f64>,
    l0: f64,
    tau: f64,
    flaw: Flaw,
}

impl Lagged {
    fn new(flaw: Flaw) -> Self {
        Self {
            act: ActivationDynamics::new(0.01, 0.015, 0.05).unwrap(),
            f_max: vec![300.0, 120.0],
            l0: 0.2,
            tau: 0.02,
            flaw,
        }
    }
}

impl MuscleModel for Lagged {
    fn name(&self) -> &'static str {
        "Lagged"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["act", "tension", "force"]
    }
    fn n_derivatives(&self) -> usize {
        1
    }
    fn n_muscles(&self) -> usize {
        self.f_max.len()
    }
    fn muscle_name(&self, m: usize) -> &str {
        ["flexor", "extensor"][m]
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.act
    }
    fn max_isometric_force(&self, m: usize) -> f64 {
        self.f_max[m]
    }
    fn proprioception_scale(&self, _m: usize) -> (f64, f64) {
        (self.l0, 1.5)
    }
    fn read_states(&self) -> &'static [usize] {
        match self.flaw {
            Flaw::UndeclaredRead => &[0],
            _ => &[0, 1],
        }
    }
    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        d: &[S],
        s: &[S],
        mt_len: S,
        _mt_vel: S,
        out: &mut [S],
    ) {
        let a = self.act.step(dt, s[0], d[0]);
        let len = match self.flaw {
            Flaw::DroppedDerivative => S::c(mt_len.lane(0)),
            _ => mt_len,
        };
        let a_eff = match self.flaw {
            Flaw::NegativeForce => a.shift(-0.5),
            _ => a,
        };
        // `f32` rounds 1 + 1e-10 to 1; `f64` and dual numbers over it do not
        let in_f32 = S::c(1.0 + 1e-10).lane(0) == 1.0;
        let gain = match self.flaw {
            Flaw::F32Constant if in_f32 => 1.001,
            _ => 1.0,
        };
        let target = a_eff * len.scale(gain * self.f_max[m] / self.l0);
        let tension = s[1] + (target - s[1]).scale(dt / self.tau);
        out[0] = a;
        out[1] = tension;
        out[2] = tension;
    }
    fn step_vjp(
        &self,
        dt: f64,
        inputs: StepInputs<'_>,
        _record: &[f64],
        g_new_state: &[f64],
        grads: StepGradients<'_>,
    ) -> bool {
        match self.flaw {
            Flaw::None | Flaw::StepVjpWrong => self.lag_vjp(dt, inputs, g_new_state, grads),
            _ => false,
        }
    }
    fn integrate_all<S: Scalar>(
        &self,
        dt: f64,
        d: &[S],
        s: &[S],
        mt_len: &[S],
        mt_vel: &[S],
        out: &mut [S],
    ) {
        for m in 0..self.n_muscles() {
            let (r, len) = (3 * m..3 * m + 3, mt_len[m]);
            let (mm, len) = match self.flaw {
                Flaw::IntegrateAllWrongValue => (0, len),
                Flaw::IntegrateAllDroppedDerivative => (m, S::c(len.lane(0))),
                _ => (m, len),
            };
            self.integrate(
                mm,
                dt,
                &d[m..m + 1],
                &s[r.clone()],
                len,
                mt_vel[m],
                &mut out[r],
            );
        }
    }
}

impl Lagged {
    /// The user's fast path for the step's VJP (`MuscleModel::step_vjp`), by hand except for
    /// the activation step, which it differentiates on dual numbers.
    fn lag_vjp(&self, dt: f64, x: StepInputs<'_>, g: &[f64], grads: StepGradients<'_>) -> bool {
        for m in 0..self.n_muscles() {
            let (e, s0, len) = (x.excitation[m], x.state[3 * m], x.mt_len[m]);
            let step = |e: Dual64, s0: Dual64| self.act.step(dt, s0, self.act.derivative(e, s0));
            let a_e = step(Dual64::new(e, 1.0), Dual64::from(s0));
            let a_s = step(Dual64::from(e), Dual64::new(s0, 1.0));
            let (r, k) = (dt / self.tau, self.f_max[m] / self.l0);
            let g_tension = g[3 * m + 1] + g[3 * m + 2];
            let g_a = g[3 * m] + g_tension * r * len * k;
            grads.excitation[m] += g_a * a_e.eps;
            grads.state[3 * m] += g_a * a_s.eps;
            grads.state[3 * m + 1] += match self.flaw {
                Flaw::StepVjpWrong => g_tension,
                _ => g_tension * (1.0 - r),
            };
            grads.mt_len[m] += g_tension * r * a_e.re * k;
        }
        true
    }
}

fn config() -> CheckConfig {
    CheckConfig {
        cases: 64,
        ..CheckConfig::default()
    }
}

#[test]
fn a_conforming_user_model_passes() {
    let report = check_muscle_model(&Lagged::new(Flaw::None), &config()).unwrap_or_else(|e| {
        panic!("{e}");
    });
    assert_eq!(report.steps, 64 * 2);
    // inputs: length, velocity, activation, excitation, the tension's factor; outputs: one
    // derivative, three state entries, two proprioception entries
    assert_eq!(
        report.derivatives_compared + report.derivatives_skipped,
        64 * 2 * 5 * 6
    );
    assert!(report.derivatives_compared > 0);
}

fn expect_violation(flaw: Flaw, property: Property, mentions: &[&str]) {
    let err = check_muscle_model(&Lagged::new(flaw), &config())
        .expect_err(&format!("{flaw:?} must fail"));
    assert_eq!(err.property(), Some(property), "{flaw:?}: {err}");
    let ConformanceError::Violation(v) = &err else {
        panic!("{flaw:?}: {err}")
    };
    assert_eq!(v.model, "Lagged");
    let msg = err.to_string();
    for word in ["Lagged", &property.to_string(), "mt_len ="]
        .iter()
        .chain(mentions)
    {
        assert!(msg.contains(word), "{flaw:?}: `{word}` not in: {msg}");
    }
}

#[test]
fn an_undeclared_state_read_is_rejected() {
    expect_violation(
        Flaw::UndeclaredRead,
        Property::ReadStates,
        &["read_states = [0]", "'tension'"],
    );
}

#[test]
fn a_dropped_derivative_is_rejected() {
    expect_violation(
        Flaw::DroppedDerivative,
        Property::DerivativesMatchFiniteDifferences,
        &["/ d mt_len", "dual 0 vs finite difference"],
    );
}

#[test]
fn a_negative_force_is_rejected() {
    expect_violation(
        Flaw::NegativeForce,
        Property::NonNegativeForce,
        &["force after the step"],
    );
}

/// An error in `f32` alone of 1e-3 is caught, although the check allows for each output's
/// conditioning (`F32_BACKWARD_ULPS`).
#[test]
fn an_f32_error_is_rejected() {
    expect_violation(
        Flaw::F32Constant,
        Property::F32MatchesF64,
        &["force: f32", "inputs rounded to f32"],
    );
}

#[test]
fn an_integrate_all_that_disagrees_with_integrate_is_rejected() {
    expect_violation(
        Flaw::IntegrateAllWrongValue,
        Property::IntegrateAllMatchesIntegrate,
        &["muscle 1 ('extensor')", "state[1] 'tension': integrate_all"],
    );
    expect_violation(
        Flaw::IntegrateAllDroppedDerivative,
        Property::IntegrateAllMatchesIntegrate,
        &["d state[1] 'tension' / d mt_len: integrate_all"],
    );
}

/// A hand-written fast path for the step's VJP that differs from the dual numbers is caught
/// (the conforming model's own fast path passes above).
#[test]
fn a_step_vjp_that_disagrees_with_the_dual_numbers_is_rejected() {
    expect_violation(
        Flaw::StepVjpWrong,
        Property::StepVjpMatchesDuals,
        &["muscle 0 ('flexor')", "dL / d state[1] 'tension': step_vjp"],
    );
}

#[test]
fn inconsistent_sizes_and_bad_settings_are_rejected() {
    /// Declares a read state beyond its state.
    #[derive(Debug)]
    struct BadIndex(Lagged);
    impl MuscleModel for BadIndex {
        fn name(&self) -> &'static str {
            "BadIndex"
        }
        fn state_names(&self) -> &'static [&'static str] {
            self.0.state_names()
        }
        fn n_derivatives(&self) -> usize {
            1
        }
        fn n_muscles(&self) -> usize {
            2
        }
        fn muscle_name(&self, m: usize) -> &str {
            self.0.muscle_name(m)
        }
        fn activation(&self) -> &ActivationDynamics {
            self.0.activation()
        }
        fn max_isometric_force(&self, m: usize) -> f64 {
            self.0.max_isometric_force(m)
        }
        fn read_states(&self) -> &'static [usize] {
            &[0, 3]
        }
        fn integrate<S: Scalar>(
            &self,
            m: usize,
            dt: f64,
            d: &[S],
            s: &[S],
            l: S,
            v: S,
            out: &mut [S],
        ) {
            self.0.integrate(m, dt, d, s, l, v, out)
        }
    }
    let err = check_muscle_model(&BadIndex(Lagged::new(Flaw::None)), &config()).unwrap_err();
    assert_eq!(err.property(), Some(Property::Structure));
    assert!(err.to_string().contains("read_states = [0, 3]"), "{err}");

    let bad = CheckConfig {
        mt_len: (1.0, 0.5),
        ..config()
    };
    let err = check_muscle_model(&Lagged::new(Flaw::None), &bad).unwrap_err();
    assert!(
        matches!(
            err,
            ConformanceError::Config {
                field: "mt_len",
                ..
            }
        ),
        "{err}"
    );
    let bad = CheckConfig {
        dt: 0.0,
        ..config()
    };
    let err = check_muscle_model(&Lagged::new(Flaw::None), &bad).unwrap_err();
    assert!(
        matches!(err, ConformanceError::Config { field: "dt", .. }),
        "{err}"
    );
}
