//! Known-value tests of the muscle models.

use crate::*;

const BICEPS: (f64, f64, f64) = (414.0, 0.204, 0.137); // F_max (N), l0_se (m), l0_ce (m)

fn rigid() -> RigidTendonHillMuscle {
    let (f, se, ce) = BICEPS;
    RigidTendonHillMuscle::new(
        RigidTendonHillMuscle::DEFAULT_ACTIVATION,
        vec![HillParams::new("biceps", f, se, ce, 1.4)],
    )
    .unwrap()
}

fn thelen() -> RigidTendonHillMuscleThelen {
    let (f, se, ce) = BICEPS;
    RigidTendonHillMuscleThelen::new(
        RigidTendonHillMuscleThelen::DEFAULT_ACTIVATION,
        vec![HillParams::new("biceps", f, se, ce, 1.0)],
    )
    .unwrap()
}

fn mujoco() -> MujocoHillMuscle {
    let (f, se, ce) = BICEPS;
    MujocoHillMuscle::new(
        MujocoHillMuscle::DEFAULT_ACTIVATION,
        1.0,
        vec![MujocoParams::new("biceps", f, se, ce)],
    )
    .unwrap()
}

fn compliant() -> CompliantTendonHillMuscle {
    let (f, se, ce) = BICEPS;
    CompliantTendonHillMuscle::new(
        CompliantTendonHillMuscle::DEFAULT_ACTIVATION,
        vec![HillParams::new("biceps", f, se, ce, 1.4)],
    )
    .unwrap()
}

/// State after one rigid-tendon step at activation `a`, fibre length `len_n` optimal lengths,
/// musculotendon velocity `vel` (m/s).
fn rigid_state<M: MuscleModel>(model: &M, a: f64, len_n: f64, vel: f64) -> Vec<f64> {
    let (_, se, ce) = BICEPS;
    let mut state = vec![0.0; model.n_states()];
    let mut start = vec![0.0; model.n_states()];
    start[0] = a;
    model.integrate(0, 0.01, &[0.0], &start, se + len_n * ce, vel, &mut state);
    state
}

fn argmax(curve: &[(f64, f64)]) -> f64 {
    curve
        .iter()
        .fold((0.0, f64::MIN), |a, &b| if b.1 > a.1 { b } else { a })
        .0
}

fn active_force_length<M: MuscleModel>(model: &M, fl_index: usize) -> Vec<(f64, f64)> {
    (0..=200)
        .map(|k| {
            let len_n = 0.5 + 0.005 * k as f64;
            (len_n, rigid_state(model, 1.0, len_n, 0.0)[fl_index])
        })
        .collect()
}

#[test]
fn kistemaker_force_length_peaks_at_optimal_length() {
    let curve = active_force_length(&rigid(), 4);
    assert!((argmax(&curve) - 1.0).abs() < 1e-12);
    let s = rigid_state(&rigid(), 1.0, 1.0, 0.0);
    assert!((s[4] - 1.0).abs() < 1e-12, "f_l(1) = {}", s[4]);
    assert!(
        (s[6] - BICEPS.0).abs() < 1e-9,
        "isometric force at optimum = F_max"
    );
}

#[test]
fn thelen_force_length_peaks_at_optimal_length() {
    let curve = active_force_length(&thelen(), 4);
    assert!((argmax(&curve) - 1.0).abs() < 1e-12);
    // Gaussian width: f_l(1 ± sqrt(γ)) = e^-1
    let s = rigid_state(&thelen(), 1.0, 1.0 + 0.45f64.sqrt(), 0.0);
    assert!((s[4] - (-1.0f64).exp()).abs() < 1e-12);
}

#[test]
fn mujoco_force_length_peaks_at_optimal_length() {
    let curve = active_force_length(&mujoco(), 4);
    assert!((argmax(&curve) - 1.0).abs() < 1e-12);
    let s = rigid_state(&mujoco(), 1.0, 1.0, 0.0);
    // the main bump is 1 at L = 1; the second bump (0.15×) is zero beyond 0.95
    assert!((s[4] - 1.0).abs() < 1e-12);
    // outside [lmin, lmax] the active curve vanishes
    assert_eq!(rigid_state(&mujoco(), 1.0, 0.45, 0.0)[4], 0.0);
    assert_eq!(rigid_state(&mujoco(), 1.0, 1.65, 0.0)[4], 0.0);
}

#[test]
fn kistemaker_passive_force_is_zero_below_slack_length() {
    for len_n in [0.5, 1.0, 1.39] {
        assert_eq!(rigid_state(&rigid(), 0.5, len_n, 0.0)[3], 0.0);
    }
    let s = rigid_state(&rigid(), 0.5, 1.5, 0.0);
    // k_pe (l_n − 1.4)², k_pe = 1/(1.66 − 1.4)²
    let expected = (0.1f64 / 0.26).powi(2);
    assert!((s[3] - expected).abs() < 1e-12, "{} vs {expected}", s[3]);
}

#[test]
fn thelen_passive_force_is_zero_below_slack_length() {
    for len_n in [0.5, 0.9, 1.0] {
        assert_eq!(rigid_state(&thelen(), 0.5, len_n, 0.0)[3], 0.0);
    }
    assert!(rigid_state(&thelen(), 0.5, 1.2, 0.0)[3] > 0.0);
}

#[test]
fn mujoco_passive_force_is_zero_below_optimal_length() {
    for len_n in [0.5, 0.9, 1.0] {
        assert_eq!(rigid_state(&mujoco(), 0.5, len_n, 0.0)[3], 0.0);
    }
    // at b = (1 + lmax)/2 the passive force is 0.25 · normalized_slack_muscle_length
    let s = rigid_state(&mujoco(), 0.5, 1.3, 0.0);
    assert!((s[3] - 0.25 * 1.3).abs() < 1e-12);
}

#[test]
fn compliant_passive_force_is_zero_below_slack_length() {
    let m = compliant();
    let (_, se, ce) = BICEPS;
    let mut state = [0.0; 7];
    let mut start = [0.0; 7];
    start[0] = 0.5;
    start[1] = 1.2 * ce;
    m.integrate(0, 1e-4, &[0.0, 0.0], &start, se + 1.2 * ce, 0.0, &mut state);
    assert_eq!(state[3], 0.0);
    // tendon at its slack length carries no force
    assert_eq!(state[4], 0.0);
    assert_eq!(state[6], 0.0);
}

/// Active force (in F_max) at full activation, optimal length, for fibre velocities
/// (optimal lengths per second) from fast shortening to lengthening.
fn force_velocity<M: MuscleModel>(model: &M, vmax_scale: f64, index: usize) -> Vec<f64> {
    (-8..=8)
        .map(|k| {
            let v = k as f64 * vmax_scale / 8.0;
            rigid_state(model, 1.0, 1.0, v)[index]
        })
        .collect()
}

fn assert_increasing(name: &str, fv: &[f64]) {
    for w in fv.windows(2) {
        assert!(
            w[1] >= w[0],
            "{name}: force–velocity not increasing: {fv:?}"
        );
    }
    assert!(
        fv[0] < fv[fv.len() / 2],
        "{name}: shortening must reduce force: {fv:?}"
    );
}

#[test]
fn force_decreases_with_shortening_speed() {
    let ce = BICEPS.2;
    // velocities are musculotendon velocities in m/s; vmax = 10 l0_ce (Kistemaker, Thelen)
    assert_increasing(
        "RigidTendonHillMuscle",
        &force_velocity(&rigid(), 10.0 * ce, 5),
    );
    assert_increasing("Thelen", &force_velocity(&thelen(), 10.0 * ce, 5));
    // MuJoCo normalises by vmax (1.5 m/s here)
    assert_increasing("Mujoco", &force_velocity(&mujoco(), 1.5, 5));
    // isometric force–velocity factor is 1
    assert!((rigid_state(&thelen(), 1.0, 1.0, 0.0)[5] - 1.0).abs() < 1e-12);
    assert!((rigid_state(&mujoco(), 1.0, 1.0, 0.0)[5] - 1.0).abs() < 1e-12);
    // no active force at or beyond maximal shortening velocity (MuJoCo)
    assert_eq!(rigid_state(&mujoco(), 1.0, 1.0, -1.5)[5], 0.0);
}

#[test]
fn compliant_fibre_shortens_when_tendon_pulls_harder_than_the_fibre_can_hold() {
    let m = compliant();
    let (_, se, ce) = BICEPS;
    // fibre at optimal length, tendon stretched 2 % (f_se = k_se · 0.02² = 0.25) at low activation
    let mut state = [0.0; 7];
    let mut start = [0.0; 7];
    start[0] = 0.05;
    start[1] = ce;
    m.integrate(
        0,
        1e-4,
        &[0.0, 0.0],
        &start,
        se * 1.02 + ce,
        0.0,
        &mut state,
    );
    assert!((state[4] - 0.25).abs() < 1e-12);
    let mut d = [0.0; 2];
    m.derivative(0, 0.05, &state, &mut d);
    assert!(
        d[1] > 0.0,
        "tendon force above a·f_l: the fibre is stretched (lengthens)"
    );
    // high activation: the fibre can pull harder than the tendon force, so it shortens
    let mut hi = state;
    hi[0] = 1.0;
    m.derivative(0, 1.0, &hi, &mut d);
    assert!(d[1] < 0.0, "fibre shortens at full activation: {d:?}");
}

#[test]
fn compliant_initial_state_is_near_force_equilibrium() {
    let m = compliant();
    let (_, se, ce) = BICEPS;
    let mut s = [0.0; 7];
    let mt_len = se + 1.5 * ce; // beyond the fibre's slack length: both springs loaded
    m.initial_state(0, mt_len, 0.0, 2e-4, &mut s);
    // tendon force ≈ passive fibre force (active force ≈ a_min · f_l)
    assert!(s[4] > 0.0 && s[3] > 0.0);
    assert!((s[4] - s[3]).abs() < 0.02, "f_se {} vs f_pe {}", s[4], s[3]);
    assert!((s[1] + se * (1.0 + (s[4] / 625.0).sqrt()) - mt_len).abs() < 1e-3);
}

#[test]
fn relu_force_is_max_force_times_activation() {
    let m = ReluMuscle::new(
        ReluMuscle::DEFAULT_ACTIVATION,
        vec![ReluParams::new("x", 500.0)],
    )
    .unwrap();
    let mut s = [0.0; 4];
    m.integrate(0, 0.01, &[0.0], &[0.3, 0.0, 0.0, 0.0], 0.2, -0.1, &mut s);
    assert_eq!(s, [0.3, 0.2, -0.1, 150.0]);
    m.initial_state(0, 0.2, 0.0, 0.01, &mut s);
    assert_eq!(s[3], 0.0);
}

#[test]
fn activation_rise_and_fall_time_constants() {
    let act = ActivationDynamics::new(0.0, 0.015, 0.05).unwrap();
    // rising from a = 0 with full excitation: τ = τ_act · 0.5
    assert!((act.derivative(1.0_f64, 0.0) - 1.0 / (0.015 * 0.5)).abs() < 1e-9);
    // falling from a = 1 with no excitation: τ = τ_deact / 2
    assert!((act.derivative(0.0_f64, 1.0) - (-1.0 / (0.05 / 2.0))).abs() < 1e-9);
    // a step response rises faster than it falls
    let (mut up, mut down) = (0.0, 1.0);
    let dt = 1e-5;
    let mut t_up = 0.0;
    while up < 1.0 - (-1.0f64).exp() {
        up = act.step(dt, up, act.derivative(1.0, up));
        t_up += dt;
    }
    let mut t_down = 0.0;
    while down > (-1.0f64).exp() {
        down = act.step(dt, down, act.derivative(0.0, down));
        t_down += dt;
    }
    assert!(t_up > 0.5 * 0.015 && t_up < 2.0 * 0.015, "rise time {t_up}");
    assert!(
        t_down > 0.05 / 2.0 && t_down < 0.05 / 0.5,
        "fall time {t_down}"
    );
    assert!(t_up < t_down);
}

#[test]
fn activation_and_excitation_are_clipped() {
    let act = ActivationDynamics::new(0.01, 0.015, 0.05).unwrap();
    assert_eq!(act.clip(-3.0), 0.01);
    assert_eq!(act.clip(7.0), 1.0);
    assert_eq!(act.step(0.01, 0.99, 100.0), 1.0);
    assert_eq!(act.step(0.01, 0.02, -100.0), 0.01);
    // an excitation above 1 drives the activation like an excitation of exactly 1
    assert_eq!(act.derivative(5.0, 0.3), act.derivative(1.0, 0.3));
}

#[test]
fn bad_activation_parameters_are_rejected_by_name() {
    for (args, name) in [
        ((1.0, 0.015, 0.05), "min_activation"),
        ((-0.1, 0.015, 0.05), "min_activation"),
        ((f64::NAN, 0.015, 0.05), "min_activation"),
        ((0.0, 0.0, 0.05), "tau_activation"),
        ((0.0, 0.015, -1.0), "tau_deactivation"),
        ((0.0, 0.015, f64::INFINITY), "tau_deactivation"),
    ] {
        let err = ActivationDynamics::new(args.0, args.1, args.2).unwrap_err();
        assert!(err.to_string().contains(name), "{err} should name {name}");
    }
}

#[test]
fn bad_muscle_parameters_name_parameter_and_muscle() {
    let act = RigidTendonHillMuscle::DEFAULT_ACTIVATION;
    let good = HillParams::new("deltoid", 1207.0, 0.066, 0.14, 1.4);
    let cases: Vec<(HillParams, &str)> = vec![
        (
            HillParams {
                max_isometric_force: 0.0,
                ..good.clone()
            },
            "max_isometric_force",
        ),
        (
            HillParams {
                tendon_length: -0.1,
                ..good.clone()
            },
            "tendon_length",
        ),
        (
            HillParams {
                optimal_muscle_length: f64::NAN,
                ..good.clone()
            },
            "optimal_muscle_length",
        ),
        (
            HillParams {
                normalized_slack_muscle_length: 0.0,
                ..good.clone()
            },
            "normalized_slack_muscle_length",
        ),
    ];
    for (bad, param) in cases {
        let err = RigidTendonHillMuscle::new(act, vec![good.clone(), bad.clone()]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(param) && msg.contains("deltoid") && msg.contains("muscle 1"),
            "{msg}"
        );
        assert!(RigidTendonHillMuscleThelen::new(act, vec![bad.clone()]).is_err());
        assert!(CompliantTendonHillMuscle::new(act, vec![bad]).is_err());
    }
}

#[test]
fn bad_mujoco_parameters_are_rejected() {
    let good = MujocoParams::new("m", 100.0, 0.1, 0.1);
    for (bad, name) in [
        (
            MujocoParams {
                lmin: 0.97,
                ..good.clone()
            },
            "lmin",
        ),
        (
            MujocoParams {
                lmax: 0.9,
                ..good.clone()
            },
            "lmax",
        ),
        (
            MujocoParams {
                fvmax: 1.0,
                ..good.clone()
            },
            "fvmax",
        ),
        (
            MujocoParams {
                vmax: 0.0,
                ..good.clone()
            },
            "vmax",
        ),
    ] {
        let err = MujocoHillMuscle::new(MujocoHillMuscle::DEFAULT_ACTIVATION, 1.0, vec![bad])
            .unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
    let err =
        MujocoHillMuscle::new(MujocoHillMuscle::DEFAULT_ACTIVATION, -1.0, vec![good]).unwrap_err();
    assert!(err.to_string().contains("passive_forces"));
}

#[test]
fn wrong_column_lengths_are_rejected() {
    let err = HillParams::from_columns(&["a", "b"], &[1.0, 2.0], &[0.1, 0.1], &[0.1], &[1.4, 1.4])
        .unwrap_err();
    assert_eq!(
        err,
        MuscleError::WrongLength {
            parameter: "optimal_muscle_length",
            expected: 2,
            got: 1
        }
    );
    assert!(err.to_string().contains("optimal_muscle_length"));
    let ok = HillParams::from_columns(&["a"], &[1.0], &[0.1], &[0.1], &[1.4]).unwrap();
    assert_eq!(ok[0], HillParams::new("a", 1.0, 0.1, 0.1, 1.4));
}

#[test]
fn a_model_needs_muscles() {
    assert_eq!(
        RigidTendonHillMuscle::new(RigidTendonHillMuscle::DEFAULT_ACTIVATION, vec![]).unwrap_err(),
        MuscleError::NoMuscles
    );
    assert!(ReluMuscle::new(ReluMuscle::DEFAULT_ACTIVATION, vec![]).is_err());
}

#[test]
fn any_muscle_dispatches_to_the_model_it_holds() {
    let direct = rigid();
    let any: AnyMuscle = direct.clone().into();
    assert_eq!(any.name(), "RigidTendonHillMuscle");
    assert_eq!(any.state_names(), direct.state_names());
    let a = rigid_state(&any, 0.4, 1.1, -0.2);
    let b = rigid_state(&direct, 0.4, 1.1, -0.2);
    assert_eq!(a, b);
    assert_eq!(AnyMuscle::NAMES.len(), 8);
}

#[test]
fn state_layout_matches_motornet() {
    let models: Vec<AnyMuscle> = vec![
        ReluMuscle::new(
            ReluMuscle::DEFAULT_ACTIVATION,
            vec![ReluParams::new("x", 1.0)],
        )
        .unwrap()
        .into(),
        rigid().into(),
        thelen().into(),
        compliant().into(),
        mujoco().into(),
    ];
    for m in &models {
        assert_eq!(m.state_names()[0], "activation");
        assert_eq!(m.state_names()[m.force_index()], "force");
        assert!(m.n_states() <= MAX_MUSCLE_STATES);
    }
    assert_eq!(models[0].n_states(), 4);
    assert_eq!(models[3].n_derivatives(), 2);
    assert_eq!(models[3].state_names()[4], "force-length SE");
}

#[test]
fn rigid_initial_state_has_min_activation() {
    let m = rigid();
    let mut s = [0.0_f64; 7];
    m.initial_state(0, 0.204 + 0.137, 0.0, 0.01, &mut s);
    assert_eq!(s[0], 0.001);
    assert!((s[6] - 0.001 * 414.0).abs() < 1e-9);
}

#[test]
fn proprioception_scales_are_motornets_l0_ce_and_vmax() {
    // MotorNet: l0_ce = optimal fibre length and vmax = 10·l0_ce for the Hill models
    // (Kistemaker, Thelen, compliant); vmax is the MuJoCo model's own parameter (1.5 by
    // default); ReLU muscles have no fibre and use 1 and 1
    let ce = BICEPS.2;
    assert_eq!(rigid().proprioception_scale(0), (ce, 10.0 * ce));
    assert_eq!(thelen().proprioception_scale(0), (ce, 10.0 * ce));
    assert_eq!(compliant().proprioception_scale(0), (ce, 10.0 * ce));
    assert_eq!(mujoco().proprioception_scale(0), (ce, 1.5));
    let relu = ReluMuscle::new(
        ReluMuscle::DEFAULT_ACTIVATION,
        vec![ReluParams::new("m", 500.0)],
    )
    .unwrap();
    assert_eq!(relu.proprioception_scale(0), (1.0, 1.0));
    let any = AnyMuscle::MujocoHill(mujoco());
    assert_eq!(any.proprioception_scale(0), (ce, 1.5));
}
