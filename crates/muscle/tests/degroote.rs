//! The DeGroote–Fregly 2016 curves and models: OpenSim 4.6's values (`../shared/degroote`,
//! compared by the rule of its README), the defining equations evaluated independently for
//! another parameter set, derivatives against dual numbers and finite differences, inverses,
//! parameter validation, and the conformance check on pennated and damped muscles.

use motornet_muscle::testing::{check_muscle_model, CheckConfig};
use motornet_muscle::*;
use motornet_scalar::{central_difference, Dual64};
use proptest::prelude::*;
use std::path::PathBuf;

/// A curve in dual numbers, the same in f64, its stated derivative, and where to evaluate them.
type Curve<'a> = (
    &'a dyn Fn(Dual64) -> Dual64,
    &'a dyn Fn(f64) -> f64,
    &'a dyn Fn(f64) -> f64,
    f64,
);

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/degroote")
}

/// Per key: scale = max |value|, error = max |got − expected| / (scale + 1e-9) (the README's
/// rule); returns the worst (error, key) over every key and the number of points.
fn fixture_error(path: &PathBuf) -> (f64, String, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let obj = v.as_object().unwrap();
    let params = obj["params"].as_object().unwrap();
    let curves = DeGrooteCurves::new(
        DeGrooteParams::from_named(
            params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_f64().unwrap())),
        )
        .unwrap(),
    )
    .unwrap();
    let (mut worst, mut worst_key, mut points) = (0.0_f64, String::new(), 0);
    let mut keys = 0;
    for (key, value) in obj {
        if ["name", "generator", "params"].contains(&key.as_str()) {
            continue;
        }
        let pairs = value.as_array().unwrap();
        let scale = pairs
            .iter()
            .map(|p| p[1].as_f64().unwrap().abs())
            .fold(0.0, f64::max);
        for p in pairs {
            let (x, want) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            let got = curves
                .curve(key, x)
                .unwrap_or_else(|| panic!("unknown key {key}"));
            let err = (got - want).abs() / (scale + 1e-9);
            assert!(err.is_finite(), "{key} at {x}: {got} vs {want}");
            if err > worst {
                (worst, worst_key) = (err, key.clone());
            }
            points += 1;
        }
        keys += 1;
    }
    assert_eq!(keys, 9, "{path:?}: the README lists 9 keys");
    (worst, worst_key, points)
}

#[test]
fn curves_match_opensim_on_both_shared_fixtures() {
    for name in ["defaults", "wide_stiff"] {
        let (err, key, points) =
            fixture_error(&fixture_dir().join(format!("degroote_{name}.json")));
        eprintln!("degroote_{name}: points={points} max_rel_err={err:.3e} worst={key}");
        assert!(points > 400, "{name}: {points} points");
        assert!(err <= 1e-9, "{name}: {key} off by {err:e} (relative)");
    }
}

/// A parameter set unlike the fixtures', with the defining equations written out here.
fn other() -> DeGrooteParams {
    DeGrooteParams {
        active_force_width_scale: 2.0,
        passive_fiber_strain_at_one_norm_force: 0.4,
        tendon_strain_at_one_norm_force: 0.06,
        max_contraction_velocity: 8.0,
        fiber_damping: 0.05,
    }
}

#[test]
fn another_parameter_set_follows_the_defining_equations() {
    let p = other();
    let c = DeGrooteCurves::new(p).unwrap();
    // tendon: 0.2 (exp(kT (l − 1)) − 1), kT = ln 6 / 0.06
    let kt = 6.0_f64.ln() / 0.06;
    assert!((c.tendon_stiffness_constant() - kt).abs() < 1e-12);
    for l in [0.97, 1.0, 1.02, 1.06, 1.1] {
        let want = 0.2 * ((kt * (l - 1.0)).exp() - 1.0);
        assert!((c.tendon_force_length::<f64>(l) - want).abs() < 1e-12 * (1.0 + want.abs()));
    }
    assert_eq!(c.tendon_force_length::<f64>(1.0), 0.0);
    assert!((c.tendon_force_length::<f64>(1.06) - 1.0).abs() < 1e-12);
    // passive: 0 at 0.2, 1 at 1 + 0.4, and the exponential in between
    assert!(c.passive_force_length::<f64>(0.2).abs() < 1e-15);
    assert!((c.passive_force_length::<f64>(1.4) - 1.0).abs() < 1e-12);
    let e = |l: f64| (4.0 * (l - 1.0) / 0.4).exp();
    let want = (e(1.1) - e(0.2)) / (e(1.4) - e(0.2));
    assert!((c.passive_force_length::<f64>(1.1) - want).abs() < 1e-13);
    assert!(
        c.passive_force_length::<f64>(0.1) < 0.0,
        "negative below 0.2, as in OpenSim"
    );
    // active: width 2 stretches the default curve about 1: f(1 + 2d) = f_default(1 + d)
    let d = DeGrooteCurves::new(DeGrooteParams::default()).unwrap();
    assert!((c.active_force_length::<f64>(1.0) - 1.0).abs() < 1e-12);
    for dl in [-0.4, -0.1, 0.15, 0.3] {
        let (wide, narrow) = (
            c.active_force_length::<f64>(1.0 + 2.0 * dl),
            d.active_force_length::<f64>(1.0 + dl),
        );
        assert!((wide - narrow).abs() < 1e-14, "{dl}: {wide} vs {narrow}");
        let (wide, narrow) = (
            c.active_force_length_derivative::<f64>(1.0 + 2.0 * dl),
            d.active_force_length_derivative::<f64>(1.0 + dl),
        );
        assert!(
            (2.0 * wide - narrow).abs() < 1e-13,
            "{dl}: {wide} vs {narrow}"
        );
    }
    // one point of the sum of three bumps, by hand (De Groote et al. 2016 supplement's form,
    // with the denominator squared), at l = 0.8 for the default width
    let g = |x: f64, b1: f64, b2: f64, b3: f64, b4: f64| {
        b1 * (-0.5 * (x - b2).powi(2) / (b3 + b4 * x).powi(2)).exp()
    };
    let want = g(
        0.8,
        0.8150671134243542,
        1.055033428970575,
        0.162384573599574,
        0.063303448465465,
    ) + g(
        0.8,
        0.433004984392647,
        0.716775413397760,
        -0.029947116970696,
        0.200356847296188,
    ) + g(0.8, 0.1, 1.0, 0.5 * 0.5_f64.sqrt(), 0.0);
    assert!((d.active_force_length::<f64>(0.8) - want).abs() < 1e-12);
    // force–velocity: through (−1, 0) and (0, 1), asinh in between
    let fv = DeGrooteCurves::force_velocity::<f64>;
    assert!(fv(-1.0).abs() < 1e-15 && (fv(0.0) - 1.0).abs() < 1e-15);
    let (d1, d4) = (-0.3211346127989808, 0.8825327733249912);
    let want = d1 * (-8.149 * 0.5 - 0.374_f64).asinh() + d4;
    assert!((fv(0.5) - want).abs() < 1e-14);
}

/// d1 and d4 are the solutions of f_V(−1) = 0 and f_V(0) = 1, and b11 makes f_L(1) = 1:
/// derived here from d2, d3 and the other bumps, not read from the code.
#[test]
fn the_constants_solve_their_defining_conditions() {
    let (d2, d3) = (-8.149_f64, -0.374_f64);
    let d1 = 1.0 / (d3.asinh() - (d3 - d2).asinh());
    let d4 = -d1 * (d3 - d2).asinh();
    let fv = |v: f64| d1 * (d2 * v + d3).asinh() + d4;
    for v in [-1.0, -0.5, 0.0, 0.3, 1.0] {
        assert!(
            (DeGrooteCurves::force_velocity::<f64>(v) - fv(v)).abs() < 1e-14,
            "{v}"
        );
    }
    let c = DeGrooteCurves::new(DeGrooteParams::default()).unwrap();
    assert!((c.active_force_length::<f64>(1.0) - 1.0).abs() < 1e-15);
}

#[test]
fn invalid_parameters_are_errors_naming_them() {
    let cases = [
        ("active_force_width_scale", 0.9),
        ("active_force_width_scale", f64::NAN),
        ("passive_fiber_strain_at_one_norm_force", 0.0),
        ("tendon_strain_at_one_norm_force", -0.01),
        ("max_contraction_velocity", f64::INFINITY),
        ("fiber_damping", -1e-3),
    ];
    for (name, value) in cases {
        let given: Vec<(&str, f64)> = DeGrooteParams::default()
            .named()
            .into_iter()
            .map(|(n, v)| (n, if n == name { value } else { v }))
            .collect();
        let e = DeGrooteParams::from_named(given).unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
    }
    // names: unknown, missing and repeated ones are refused
    let mut given: Vec<(&str, f64)> = DeGrooteParams::default().named().to_vec();
    given.push(("fibre_damping", 0.0));
    let e = DeGrooteParams::from_named(given).unwrap_err().to_string();
    assert!(e.contains("fibre_damping"), "{e}");
    let given = &DeGrooteParams::default().named()[1..];
    let e = DeGrooteParams::from_named(given.iter().copied())
        .unwrap_err()
        .to_string();
    assert!(e.contains("active_force_width_scale"), "{e}");
    // per muscle: the model's constructor names the muscle too
    let mut m = DeGrooteMuscleParams::new("soleus", 3000.0, 0.25, 0.05);
    m.curves.fiber_damping = -0.1;
    let e = RigidTendonDeGrooteMuscle::new(
        RigidTendonDeGrooteMuscle::DEFAULT_ACTIVATION,
        vec![m.clone()],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("fiber_damping") && e.contains("soleus"), "{e}");
    m.curves.fiber_damping = 0.0;
    m.pennation_angle_at_optimal = 1.6;
    let e = CompliantTendonDeGrooteMuscle::new(
        CompliantTendonDeGrooteMuscle::DEFAULT_ACTIVATION,
        vec![m],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("pennation_angle_at_optimal"), "{e}");
}

fn params_strategy() -> impl Strategy<Value = DeGrooteParams> {
    (
        1.0..3.0f64,
        0.2..1.0f64,
        0.02..0.1f64,
        5.0..15.0f64,
        0.0..0.2f64,
    )
        .prop_map(|(w, e0, et, v, b)| DeGrooteParams {
            active_force_width_scale: w,
            passive_fiber_strain_at_one_norm_force: e0,
            tendon_strain_at_one_norm_force: et,
            max_contraction_velocity: v,
            fiber_damping: b,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The derivative curves equal dual-number derivatives of the curves, and central finite
    /// differences; the inverses invert.
    #[test]
    fn derivatives_and_inverses_are_consistent(
        p in params_strategy(),
        l in 0.3..1.8f64,
        v in -1.0..1.0f64,
        lt in 0.98..1.1f64,
    ) {
        let c = DeGrooteCurves::new(p).unwrap();
        let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()));
        let dual = |f: &dyn Fn(Dual64) -> Dual64, x: f64| f(Dual64::new(x, 1.0)).eps;
        let pairs: [Curve<'_>; 4] = [
            (&|x| c.active_force_length::<Dual64>(x), &|x| c.active_force_length::<f64>(x), &|x| c.active_force_length_derivative::<f64>(x), l),
            (&|x| c.passive_force_length::<Dual64>(x), &|x| c.passive_force_length::<f64>(x), &|x| c.passive_force_length_derivative::<f64>(x), l),
            (&|x| DeGrooteCurves::force_velocity::<Dual64>(x), &|x| DeGrooteCurves::force_velocity::<f64>(x), &|x| DeGrooteCurves::force_velocity_derivative::<f64>(x), v),
            (&|x| c.tendon_force_length::<Dual64>(x), &|x| c.tendon_force_length::<f64>(x), &|x| c.tendon_force_length_derivative::<f64>(x), lt),
        ];
        for (i, (fd, f, df, x)) in pairs.iter().enumerate() {
            let want = df(*x);
            prop_assert!(close(dual(*fd, *x), want, 1e-12), "curve {i} at {x}: dual {} vs {want}", dual(*fd, *x));
            let fdiff = central_difference(f, *x, 1e-6);
            prop_assert!(close(fdiff, want, 1e-6), "curve {i} at {x}: fd {fdiff} vs {want}");
        }
        let fv = DeGrooteCurves::force_velocity::<f64>(v);
        prop_assert!((DeGrooteCurves::force_velocity_inverse::<f64>(fv) - v).abs() < 1e-12);
        let ft = c.tendon_force_length::<f64>(lt);
        prop_assert!((c.tendon_force_length_inverse::<f64>(ft) - lt).abs() < 1e-12);
        // invariants of every parameter set
        prop_assert!(c.tendon_force_length::<f64>(1.0).abs() < 1e-15);
        prop_assert!((c.tendon_force_length::<f64>(1.0 + p.tendon_strain_at_one_norm_force) - 1.0).abs() < 1e-12);
        prop_assert!((c.passive_force_length::<f64>(1.0 + p.passive_fiber_strain_at_one_norm_force) - 1.0).abs() < 1e-12);
        prop_assert!(c.passive_force_length::<f64>(0.2).abs() < 1e-15);
        prop_assert!((c.active_force_length::<f64>(1.0) - 1.0).abs() < 1e-12);
    }
}

fn pennated_damped(width: f64, damping: f64) -> Vec<DeGrooteMuscleParams> {
    let mut a = DeGrooteMuscleParams::new("pennated", 838.0, 0.204, 0.137);
    a.pennation_angle_at_optimal = 0.35;
    a.curves.fiber_damping = damping;
    a.curves.active_force_width_scale = width;
    let mut b = DeGrooteMuscleParams::new("stiff", 414.0, 0.07, 0.134);
    b.curves.tendon_strain_at_one_norm_force = 0.033;
    b.curves.passive_fiber_strain_at_one_norm_force = 0.7;
    b.curves.fiber_damping = damping;
    vec![a, b]
}

#[test]
fn pennated_and_damped_models_conform() {
    for damping in [0.0, 0.01, 0.1] {
        let rigid = RigidTendonDeGrooteMuscle::new(
            RigidTendonDeGrooteMuscle::DEFAULT_ACTIVATION,
            pennated_damped(1.5, damping),
        )
        .unwrap();
        let compliant = CompliantTendonDeGrooteMuscle::new(
            CompliantTendonDeGrooteMuscle::DEFAULT_ACTIVATION,
            pennated_damped(1.5, damping),
        )
        .unwrap();
        let config = CheckConfig::default();
        let r = check_muscle_model(&rigid, &config).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.derivatives_compared > 4 * r.derivatives_skipped, "{r:?}");
        let r = check_muscle_model(&compliant, &config).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.derivatives_compared > 4 * r.derivatives_skipped, "{r:?}");
    }
}

/// The rigid-tendon force by hand at one point: pennation with constant thickness, damping.
#[test]
fn rigid_tendon_force_by_hand() {
    let mut p = DeGrooteMuscleParams::new("m", 1000.0, 0.2, 0.1);
    p.pennation_angle_at_optimal = 0.3;
    p.curves.fiber_damping = 0.1;
    let model =
        RigidTendonDeGrooteMuscle::new(RigidTendonDeGrooteMuscle::DEFAULT_ACTIVATION, vec![p])
            .unwrap();
    let (mt_len, mt_vel, a) = (0.305, -0.2, 0.6);
    let mut s = [0.0; 7];
    model.integrate(
        0,
        0.01,
        &[0.0],
        &[a, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        mt_len,
        mt_vel,
        &mut s,
    );
    let w = 0.1 * 0.3_f64.sin();
    let x = mt_len - 0.2;
    let lf = (x * x + w * w).sqrt();
    let cos = x / lf;
    let vn = mt_vel * cos / (10.0 * 0.1);
    let c = model.curves(0);
    let fibre =
        a * c.active_force_length::<f64>(lf / 0.1) * DeGrooteCurves::force_velocity::<f64>(vn)
            + c.passive_force_length::<f64>(lf / 0.1)
            + 0.1 * vn;
    assert!((s[1] - lf).abs() < 1e-15);
    assert!(
        (s[6] - 1000.0 * fibre * cos).abs() < 1e-9,
        "{} vs {}",
        s[6],
        1000.0 * fibre * cos
    );
}

/// The compliant model's initial state is an equilibrium: tendon force = fibre force along the
/// tendon (f_V = 1), so the fibre velocity it starts with is ~0; and held isometric at full
/// activation the force settles where tendon and fibre balance.
#[test]
fn compliant_tendon_starts_in_equilibrium_and_settles() {
    let model = CompliantTendonDeGrooteMuscle::new(
        CompliantTendonDeGrooteMuscle::DEFAULT_ACTIVATION,
        pennated_damped(1.0, 0.0),
    )
    .unwrap();
    for m in 0..2 {
        let k = &model.params()[m];
        let mt_len = k.tendon_length * 1.01 + k.optimal_muscle_length * 1.1;
        let mut s = [0.0; 8];
        model.initial_state(m, mt_len, 0.0, 1e-4, &mut s);
        let mut d = [0.0; 2];
        model.derivative(m, 0.01, &s, &mut d);
        assert!(d[1].abs() < 1e-6, "muscle {m}: initial fibre rate {}", d[1]);
        // full excitation, isometric, 0.5 ms Euler steps for 1 s
        for _ in 0..2000 {
            model.derivative(m, 1.0, &s, &mut d);
            let old = s;
            model.integrate(m, 5e-4, &d, &old, mt_len, 0.0, &mut s);
        }
        model.derivative(m, 1.0, &s, &mut d);
        assert!(
            d[1].abs() < 1e-3,
            "muscle {m}: fibre still moving at {}",
            d[1]
        );
        let c = model.curves(m);
        let ln = s[1] / k.optimal_muscle_length;
        let w = k.optimal_muscle_length * k.pennation_angle_at_optimal.sin();
        let cos = (s[1] * s[1] - w * w).sqrt() / s[1];
        let fibre = s[0] * c.active_force_length::<f64>(ln) + c.passive_force_length::<f64>(ln);
        assert!(s[0] > 0.99);
        assert!(
            (s[5] - fibre * cos).abs() < 1e-3,
            "muscle {m}: tendon {} vs fibre along tendon {}",
            s[5],
            fibre * cos
        );
        assert!((s[7] - k.max_isometric_force * s[5]).abs() < 1e-9);
    }
}
