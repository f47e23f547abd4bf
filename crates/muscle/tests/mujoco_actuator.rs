//! `MujocoMuscle` against MuJoCo 4.0.1 itself:
//! - `tests/data/mujoco_muscle.json` (written by `tests/data/gen_mujoco_muscle.py` from MuJoCo's
//!   `mju_muscleGain`, `mju_muscleBias`, `mju_muscleDynamics`): 3200 force cases over 16
//!   parameter sets (lengths and velocities inside and outside every branch, activations outside
//!   [0, 1]) and 3000 activation-dynamics cases over 10 time-constant sets (`tausmooth` 0 and
//!   > 0, controls and activations outside [0, 1]); every value within 1e-9 relative;
//! - `../shared/mujoco/*.json` (MuJoCo's `mj_forward` on three MJCF models): `actuator_force`
//!   and `act_dot` from the recorded actuator lengths, velocities, activations and controls,
//!   with the muscle parameters of the `.xml` files written out below, within the README's rule.

use motornet_muscle::{
    ActivationDynamics, AnyMuscle, MujocoMuscle, MujocoMuscleParams, MuscleModel, ParamSet,
};
use serde_json::Value;
use std::path::PathBuf;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn pair(v: &Value) -> [f64; 2] {
    [f(&v[0]), f(&v[1])]
}

fn timeconst(tau_act: f64, tau_deact: f64) -> ActivationDynamics {
    ActivationDynamics::new(0.0, tau_act, tau_deact).unwrap()
}

fn generated() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/mujoco_muscle.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The generated cases' muscles.
fn generated_muscles(data: &Value) -> Vec<MujocoMuscleParams> {
    data["muscles"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, p)| MujocoMuscleParams {
            name: format!("m{i}"),
            force: f(&p["force"]),
            lengthrange: pair(&p["lengthrange"]),
            range: pair(&p["range"]),
            lmin: f(&p["lmin"]),
            lmax: f(&p["lmax"]),
            vmax: f(&p["vmax"]),
            fpmax: f(&p["fpmax"]),
            fvmax: f(&p["fvmax"]),
            timeconst: None,
        })
        .collect()
}

#[test]
fn actuator_force_equals_mujocos_muscle_gain_and_bias() {
    let data = generated();
    let muscles = generated_muscles(&data);
    assert_eq!(muscles.len(), 16);
    let model = MujocoMuscle::new(MujocoMuscle::DEFAULT_ACTIVATION, 0.0, muscles).unwrap();
    let cases = data["force_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3200);
    let (mut worst, mut nonzero_gain, mut nonzero_bias) = (0.0_f64, 0, 0);
    for c in cases {
        let m = c[0].as_u64().unwrap() as usize;
        let [len, vel, act, gain, bias, force] = std::array::from_fn(|k| f(&c[k + 1]));
        let got_bias = model.actuator_force(m, 0.0, len, vel);
        let got_gain = model.actuator_force(m, 1.0, len, vel) - got_bias;
        let got = model.actuator_force(m, act, len, vel);
        // relative to the size of the terms (gain·act and bias have opposite signs when
        // act < 0, so their sum may cancel)
        let scale = gain.abs() * act.abs().max(1.0) + bias.abs();
        for (what, g, e) in [
            ("gain", got_gain, gain),
            ("bias", got_bias, bias),
            ("force", got, force),
        ] {
            let err = (g - e).abs() / scale.max(1e-300);
            worst = worst.max(if e == 0.0 && g == 0.0 { 0.0 } else { err });
            assert!(
                err <= 1e-9 || (g == 0.0 && e == 0.0),
                "muscle {m}, length {len} m, velocity {vel} m/s, act {act}: {what} {g} vs MuJoCo {e}"
            );
        }
        nonzero_gain += usize::from(gain != 0.0);
        nonzero_bias += usize::from(bias != 0.0);
        // the state stores the tension: −actuator_force, with the activation of the step
        let mut start = [0.0; 7];
        start[0] = act.clamp(0.0, 1.0);
        let mut s = [0.0; 7];
        model.integrate(m, 0.01, &[0.0], &start, len, vel, &mut s);
        let t = model.actuator_force(m, start[0], len, vel);
        assert!(
            (s[6] + t).abs() <= 1e-12 * (1.0 + t.abs()),
            "{} vs {t}",
            s[6]
        );
        // proprioception: MuJoCo's normalised length and velocity
        let p = &model.params()[m];
        let l0 = (p.lengthrange[1] - p.lengthrange[0]) / (p.range[1] - p.range[0]);
        let [pl, pv] = model.proprioception(m, &s, len, vel);
        let l = p.range[0] + (len - p.lengthrange[0]) / l0;
        assert!((pl - l).abs() <= 1e-12 * (1.0 + l.abs()), "{pl} vs {l}");
        let v = vel / (l0 * p.vmax);
        assert!((pv - v).abs() <= 1e-12 * (1.0 + v.abs()), "{pv} vs {v}");
    }
    // the cases exercise both curves, not only their zero branches
    assert!(
        nonzero_gain > 1000 && nonzero_bias > 1500,
        "{nonzero_gain} {nonzero_bias}"
    );
    eprintln!("worst relative error vs MuJoCo (gain, bias, force): {worst:e}");
}

#[test]
fn act_dot_equals_mujocos_muscle_dynamics() {
    let data = generated();
    let sets: Vec<MujocoMuscle> = data["dynamics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let [ta, td] = pair(&d["timeconst"]);
            MujocoMuscle::new(
                timeconst(ta, td),
                f(&d["tausmooth"]),
                vec![MujocoMuscleParams::new("m", 100.0, [0.1, 0.2])],
            )
            .unwrap()
        })
        .collect();
    assert!(sets.iter().filter(|m| m.tausmooth() > 0.0).count() >= 3);
    let cases = data["dynamics_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3000);
    let mut worst = 0.0_f64;
    let mut outside = 0;
    for c in cases {
        let model = &sets[c[0].as_u64().unwrap() as usize];
        let [ctrl, act, expected] = std::array::from_fn(|k| f(&c[k + 1]));
        let got = model.act_dot(0, ctrl, act);
        let err = (got - expected).abs() / expected.abs().max(1e-300);
        worst = worst.max(if got == expected { 0.0 } else { err });
        assert!(
            got == expected || err <= 1e-9,
            "timeconst {:?}, tausmooth {}, ctrl {ctrl}, act {act}: {got} vs MuJoCo {expected}",
            model.activation(),
            model.tausmooth()
        );
        // the model's derivative is the same function
        let mut d = [0.0];
        model.derivative(0, ctrl, &[act, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &mut d);
        assert_eq!(d[0], got);
        outside += usize::from(!(0.0..=1.0).contains(&ctrl) || !(0.0..=1.0).contains(&act));
    }
    assert!(outside > 1000, "{outside}");
    eprintln!("worst relative error vs MuJoCo (act_dot): {worst:e}");
}

/// A `<muscle>` of the shared MJCF files: name, force, lengthrange, and the attributes it sets
/// beyond those (`vmax`, `fpmax`, `range`, `lmin`, `lmax`; `timeconst` on its own).
fn xml_muscle(
    name: &str,
    force: f64,
    lengthrange: [f64; 2],
    set: impl FnOnce(&mut MujocoMuscleParams),
) -> MujocoMuscleParams {
    let mut p = MujocoMuscleParams::new(name, force, lengthrange);
    set(&mut p);
    p
}

/// The muscles of `../shared/mujoco/NAME.xml`, each with its `timeconst`, written out by hand.
fn shared_muscles(name: &str) -> Vec<(MujocoMuscleParams, (f64, f64))> {
    let d = (0.01, 0.04); // MuJoCo's default timeconst
    match name {
        "arm3d_cylinder" => vec![
            (xml_muscle("delt_ant", 1100.0, [0.05, 0.2], |_| ()), d),
            (xml_muscle("delt_post", 900.0, [0.05, 0.2], |_| ()), d),
            (xml_muscle("delt_lat", 1200.0, [0.04, 0.18], |_| ()), d),
            (xml_muscle("pec", 1000.0, [0.05, 0.22], |_| ()), d),
            (
                xml_muscle("biceps", 800.0, [0.2, 0.45], |p| p.vmax = 2.0),
                d,
            ),
            (
                xml_muscle("triceps", 1300.0, [0.1, 0.2], |p| p.fpmax = 1.1),
                d,
            ),
            (xml_muscle("brachial", 700.0, [0.12, 0.3], |_| ()), d),
            (xml_muscle("tri_long", 900.0, [0.25, 0.45], |_| ()), d),
        ],
        "planar3_gravity" => vec![
            (xml_muscle("sh_flex", 800.0, [0.03, 0.15], |_| ()), d),
            (xml_muscle("sh_ext", 900.0, [0.03, 0.15], |_| ()), d),
            (xml_muscle("el_flex", 600.0, [0.05, 0.25], |_| ()), d),
            (xml_muscle("el_ext", 700.0, [0.1, 0.3], |_| ()), d),
            (xml_muscle("bi_flex", 500.0, [0.2, 0.6], |_| ()), d),
            (
                xml_muscle("wr_flex", 200.0, [0.08, 0.2], |_| ()),
                (0.02, 0.06),
            ),
        ],
        "slider_sphere" => vec![
            (xml_muscle("left", 300.0, [0.1, 0.6], |_| ()), d),
            (xml_muscle("right", 300.0, [0.1, 0.6], |_| ()), d),
            (
                xml_muscle("wrap", 150.0, [0.1, 0.4], |p| {
                    p.range = [0.7, 1.1];
                    p.lmin = 0.4;
                    p.lmax = 1.7;
                }),
                d,
            ),
        ],
        _ => unreachable!(),
    }
}

#[test]
fn actuator_force_and_act_dot_match_mj_forward_on_the_shared_models() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/mujoco");
    for name in ["arm3d_cylinder", "planar3_gravity", "slider_sphere"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let data: Value = serde_json::from_str(&text).unwrap();
        let muscles = shared_muscles(name);
        let names: Vec<&str> = data["actuator_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(names.len(), muscles.len(), "{name}");
        // one model, as an effector has it: MJCF's timeconst is per actuator, so a muscle
        // whose timeconst differs from the default carries its own
        let default = (0.01, 0.04);
        let params: Vec<MujocoMuscleParams> = muscles
            .iter()
            .zip(&names)
            .map(|((p, (ta, td)), n)| {
                assert_eq!(&p.name, n);
                MujocoMuscleParams {
                    timeconst: ((*ta, *td) != default).then_some([*ta, *td]),
                    ..p.clone()
                }
            })
            .collect();
        if name == "planar3_gravity" {
            assert!(params.iter().any(|p| p.timeconst.is_some()));
        }
        let model = MujocoMuscle::new(timeconst(default.0, default.1), 0.0, params).unwrap();
        let states = data["states"].as_array().unwrap();
        let expected = data["expected"].as_array().unwrap();
        assert_eq!(states.len(), 16);
        for (key, got_of) in [
            (
                "actuator_force",
                &(|m: &MujocoMuscle, s: &Value, e: &Value, u: usize| {
                    m.actuator_force(
                        u,
                        f(&s["act"][u]),
                        f(&e["actuator_length"][u]),
                        f(&e["actuator_velocity"][u]),
                    )
                }) as &dyn Fn(&MujocoMuscle, &Value, &Value, usize) -> f64,
            ),
            ("act_dot", &|m: &MujocoMuscle,
                          s: &Value,
                          _e: &Value,
                          u: usize| {
                m.act_dot(u, f(&s["ctrl"][u]), f(&s["act"][u]))
            }),
        ] {
            for u in 0..names.len() {
                let model = &model;
                let scale = expected
                    .iter()
                    .map(|e| f(&e[key][u]).abs())
                    .fold(0.0, f64::max);
                let worst = states
                    .iter()
                    .zip(expected)
                    .map(|(s, e)| (got_of(model, s, e, u) - f(&e[key][u])).abs())
                    .fold(0.0, f64::max)
                    / (scale + 1e-9);
                assert!(
                    worst <= 1e-6,
                    "{name}, {}: {key} off by {worst:e} of its scale {scale}",
                    names[u]
                );
                eprintln!(
                    "{name} {:>9} {key:>14}: worst {worst:.1e} of {scale:.3e}",
                    names[u]
                );
            }
        }
    }
}

#[test]
fn the_registered_model_builds_from_mjcf_named_parameters() {
    let info = AnyMuscle::model("MujocoMuscle").unwrap();
    assert_eq!(info.default_activation, MujocoMuscle::DEFAULT_ACTIVATION);
    let mut params = ParamSet::examples(info.muscle_params);
    for (k, v) in [
        ("lengthrange_lower", 0.1),
        ("lengthrange_upper", 0.4),
        ("range_lower", 0.7),
        ("range_upper", 1.1),
        ("lmin", 0.4),
        ("lmax", 1.7),
        ("vmax", 2.0),
        ("fpmax", 1.1),
        ("fvmax", 1.4),
    ] {
        assert!(params.set(k, v), "{k}");
    }
    let mut model_params = ParamSet::examples(info.model_params);
    assert!(model_params.set("tausmooth", 0.2));
    let muscles = [motornet_muscle::MuscleParamSet {
        name: "wrap".into(),
        max_isometric_force: 150.0,
        params,
    }];
    let built = info
        .build(timeconst(0.02, 0.06), &model_params, &muscles)
        .unwrap();
    let AnyMuscle::Mujoco(m) = &built else {
        panic!("built {built:?}")
    };
    assert_eq!(
        m.params()[0],
        MujocoMuscleParams {
            name: "wrap".into(),
            force: 150.0,
            lengthrange: [0.1, 0.4],
            range: [0.7, 1.1],
            lmin: 0.4,
            lmax: 1.7,
            vmax: 2.0,
            fpmax: 1.1,
            fvmax: 1.4,
            timeconst: None,
        }
    );
    assert_eq!(m.tausmooth(), 0.2);
    // L0 = 0.3 / 0.4 = 0.75 m: the proprioception scales are (L0, L0·vmax)
    let (l0, v0) = built.proprioception_scale(0);
    assert!((l0 - 0.75).abs() < 1e-15 && (v0 - 1.5).abs() < 1e-15);
    // MuJoCo's defaults where nothing is given
    let defaults = AnyMuscle::model("MujocoMuscle")
        .unwrap()
        .build_example(&[("m", 100.0)])
        .unwrap();
    let AnyMuscle::Mujoco(d) = defaults else {
        panic!()
    };
    let p = &d.params()[0];
    assert_eq!(
        (p.range, p.lmin, p.lmax, p.vmax, p.fpmax, p.fvmax),
        ([0.75, 1.05], 0.5, 1.6, 1.5, 1.3, 1.2)
    );
    assert_eq!(d.tausmooth(), 0.0);
    assert_eq!(d.activation(), &timeconst(0.01, 0.04));
}

#[test]
fn invalid_parameters_are_errors_naming_the_parameter_and_the_muscle() {
    let good = MujocoMuscleParams::new("biceps", 800.0, [0.2, 0.45]);
    let act = MujocoMuscle::DEFAULT_ACTIVATION;
    assert!(MujocoMuscle::new(act, 0.0, vec![good.clone()]).is_ok());
    let cases: Vec<(&str, MujocoMuscleParams)> = vec![
        (
            "max_isometric_force",
            MujocoMuscleParams {
                force: 0.0,
                ..good.clone()
            },
        ),
        (
            "lengthrange_upper",
            MujocoMuscleParams {
                lengthrange: [0.3, 0.3],
                ..good.clone()
            },
        ),
        (
            "lengthrange_lower",
            MujocoMuscleParams {
                lengthrange: [f64::NAN, 0.3],
                ..good.clone()
            },
        ),
        (
            "range_upper",
            MujocoMuscleParams {
                range: [1.0, 0.9],
                ..good.clone()
            },
        ),
        (
            "lmin",
            MujocoMuscleParams {
                lmin: 1.0,
                ..good.clone()
            },
        ),
        (
            "lmax",
            MujocoMuscleParams {
                lmax: 0.99,
                ..good.clone()
            },
        ),
        (
            "vmax",
            MujocoMuscleParams {
                vmax: 0.0,
                ..good.clone()
            },
        ),
        (
            "fpmax",
            MujocoMuscleParams {
                fpmax: -0.1,
                ..good.clone()
            },
        ),
        (
            "fvmax",
            MujocoMuscleParams {
                fvmax: 1.0,
                ..good.clone()
            },
        ),
    ];
    for (parameter, p) in cases {
        let e = MujocoMuscle::new(act, 0.0, vec![good.clone(), p])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(parameter) && e.contains("muscle 1") && e.contains("'biceps'"),
            "{parameter}: {e}"
        );
    }
    let e = MujocoMuscle::new(act, -0.1, vec![good.clone()]).unwrap_err();
    assert!(e.to_string().contains("tausmooth"), "{e}");
    let e = MujocoMuscle::new(
        ActivationDynamics::new(0.01, 0.01, 0.04).unwrap(),
        0.0,
        vec![good.clone()],
    )
    .unwrap_err();
    assert!(e.to_string().contains("min_activation"), "{e}");
    assert!(MujocoMuscle::new(act, 0.0, vec![]).is_err());
}

/// The conformance check with `tausmooth` > 0 (the registry's run has the default 0) and
/// MJCF parameters away from their defaults.
#[test]
fn a_smoothed_model_with_other_parameters_conforms() {
    use motornet_muscle::testing::{check_muscle_model, CheckConfig};
    let wrap = MujocoMuscleParams {
        range: [0.7, 1.1],
        lmin: 0.4,
        lmax: 1.7,
        vmax: 2.0,
        fpmax: 1.1,
        fvmax: 1.4,
        ..MujocoMuscleParams::new("wrap", 150.0, [0.2, 0.5])
    };
    let model = MujocoMuscle::new(
        timeconst(0.02, 0.06),
        0.3,
        vec![wrap, MujocoMuscleParams::new("biceps", 800.0, [0.25, 0.3])],
    )
    .unwrap();
    let report =
        check_muscle_model(&model, &CheckConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.steps, 512);
    assert!(
        report.derivatives_compared > 4 * report.derivatives_skipped,
        "{report:?}"
    );
}

/// MJCF gives each `<muscle>` its own `timeconst` (planar3_gravity's `wr_flex` has 0.02, 0.06):
/// a muscle's `timeconst_activation`/`timeconst_deactivation` override the model's, 0 keeps it.
#[test]
fn a_muscle_may_have_its_own_time_constants() {
    let info = AnyMuscle::model("MujocoMuscle").unwrap();
    let muscle = |name: &str, own: &[(&str, f64)]| {
        let mut params = ParamSet::examples(info.muscle_params);
        for (k, v) in own {
            assert!(params.set(k, *v), "{k}");
        }
        motornet_muscle::MuscleParamSet {
            name: name.into(),
            max_isometric_force: 100.0,
            params,
        }
    };
    let muscles = [
        muscle("model's", &[]),
        muscle(
            "own",
            &[
                ("timeconst_activation", 0.02),
                ("timeconst_deactivation", 0.06),
            ],
        ),
        muscle("own activation", &[("timeconst_activation", 0.03)]),
    ];
    let model_params = ParamSet::examples(info.model_params);
    let built = info
        .build(timeconst(0.01, 0.04), &model_params, &muscles)
        .unwrap();
    let AnyMuscle::Mujoco(m) = &built else {
        panic!("built {built:?}")
    };
    let tc: Vec<_> = m.params().iter().map(|p| p.timeconst).collect();
    assert_eq!(tc, [None, Some([0.02, 0.06]), Some([0.03, 0.04])]);
    // activating from 0 to 1: act_dot = 1 / (τ_act · 0.5)
    assert!((m.act_dot(0, 1.0_f64, 0.0) - 1.0 / 0.005).abs() < 1e-9);
    assert!((m.act_dot(1, 1.0_f64, 0.0) - 1.0 / 0.01).abs() < 1e-9);
    assert!((m.act_dot(2, 1.0_f64, 0.0) - 1.0 / 0.015).abs() < 1e-9);
    // deactivating from 1 to 0: act_dot = −1 / (τ_deact / 2)
    assert!((m.act_dot(1, 0.0_f64, 1.0) + 1.0 / 0.03).abs() < 1e-9);
    let bad = [muscle("bad", &[("timeconst_activation", -0.01)])];
    let e = info
        .build(timeconst(0.01, 0.04), &model_params, &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("timeconst_activation") && e.contains("bad"),
        "{e}"
    );
}
