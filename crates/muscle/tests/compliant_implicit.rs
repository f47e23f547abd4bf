//! `CompliantTendonHillMuscle` with `FibreIntegration::Implicit` at 10 ms steps against the
//! explicit (MotorNet) model at 0.1 ms, over 1 s of a prescribed reach-like musculotendon
//! length trajectory with steps and ramps of excitation; plus its derivatives and extreme inputs.

use motornet_muscle::testing::{check_muscle_model, CheckConfig};
use motornet_muscle::*;
use motornet_scalar::{Dual64, DualN, SplitMix};

/// The six arm26 muscles of MotorNet's compliant preset: (name, F_max N, tendon m, optimal m).
const ARM26: [(&str, f64, f64, f64); 6] = [
    ("pectoralis", 838.0, 0.07, 0.134),
    ("deltoid", 1207.0, 0.07, 0.14),
    ("brachioradialis", 1422.0, 0.172, 0.092),
    ("tricepslat", 1549.0, 0.187, 0.093),
    ("biceps", 414.0, 0.204, 0.137),
    ("tricepslong", 603.0, 0.217, 0.127),
];

fn model(fibre: FibreIntegration) -> CompliantTendonHillMuscle {
    model_of(6, fibre)
}

/// `n` muscles cycling through [`ARM26`]'s.
fn model_of(n: usize, fibre: FibreIntegration) -> CompliantTendonHillMuscle {
    let muscles = (0..n)
        .map(|i| {
            let (name, f, t, o) = ARM26[i % 6];
            HillParams::new(name, f, t, o, 1.4)
        })
        .collect();
    CompliantTendonHillMuscle::new(CompliantTendonHillMuscle::DEFAULT_ACTIVATION, muscles)
        .unwrap()
        .with_fibre_integration(fibre)
}

/// Fibre excursion of the reach, in optimal lengths: fibres between 0.7 and 1.3.
const AMPLITUDE: f64 = 0.3;

/// Minimum-jerk profile from 0 (t ≤ t0) to 1 (t ≥ t1), and its time derivative (1/s).
fn min_jerk(t: f64, t0: f64, t1: f64) -> (f64, f64) {
    let d = t1 - t0;
    let s = ((t - t0) / d).clamp(0.0, 1.0);
    let p = s * s * s * (10.0 - 15.0 * s + 6.0 * s * s);
    let dp = if (0.0..=1.0).contains(&((t - t0) / d)) {
        30.0 * s * s * (1.0 - s) * (1.0 - s) / d
    } else {
        0.0
    };
    (p, dp)
}

/// Musculotendon length (m) and velocity (m/s) of muscle `m` at time `t` (s): a reach out
/// (0.1–0.5 s) and back (0.55–0.95 s), minimum-jerk, moving the fibre length (were the tendon
/// rigid and at its slack length) through 0.7–1.3 optimal lengths (shortening for even
/// muscles, lengthening for odd ones: agonists and antagonists), at up to 1.4 optimal lengths
/// per second.
fn path(m: usize, t: f64) -> (f64, f64) {
    let (_, _, tendon, opt) = ARM26[m];
    let sign = if m.is_multiple_of(2) { -1.0 } else { 1.0 };
    let (out, dout) = min_jerk(t, 0.1, 0.5);
    let (back, dback) = min_jerk(t, 0.55, 0.95);
    let x = 1.0 + sign * AMPLITUDE * (out - back);
    let dx = sign * AMPLITUDE * (dout - dback);
    (tendon + x * opt, dx * opt)
}

/// Excitation of muscle `m` at time `t`: steps and ramps between 0.05 and 1, as in a reach
/// (a burst of the muscles that shorten, a braking burst of those that lengthen, co-contraction
/// while holding), shifted by a few ms from muscle to muscle. High excitations fall where the
/// muscle shortens or holds away from its optimal length, so that the tendon stays below its
/// force clamp (F_max): where it reaches it, the force has a kink that even the 0.1 ms
/// reference does not resolve to 1 %.
fn excitation(m: usize, t: f64) -> f64 {
    let t = t - 0.004 * m as f64;
    let ramp = |t: f64, t0: f64, t1: f64, a: f64, b: f64| a + (b - a) * ((t - t0) / (t1 - t0));
    if m.is_multiple_of(2) {
        // shortens 0.1–0.5 s, holds at 0.7 optimal lengths, lengthens back 0.55–0.95 s
        match t {
            t if t < 0.1 => 0.05,
            t if t < 0.25 => 1.0,
            t if t < 0.45 => ramp(t, 0.25, 0.45, 1.0, 0.2),
            t if t < 0.55 => 1.0,
            t if t < 0.9 => ramp(t, 0.55, 0.9, 0.3, 0.05),
            _ => 0.6,
        }
    } else {
        // lengthens 0.1–0.5 s, holds at 1.3 optimal lengths, shortens back 0.55–0.95 s
        match t {
            t if t < 0.3 => 0.05,
            t if t < 0.45 => 0.5,
            t if t < 0.55 => 1.0,
            t if t < 0.75 => ramp(t, 0.55, 0.75, 1.0, 0.3),
            t if t < 0.9 => 0.05,
            t => ramp(t, 0.9, 1.0, 0.05, 0.8),
        }
    }
}

/// The excitation as a controller at 10 ms sends it: [`excitation`] at the start of each 10 ms
/// interval, held through it (the same for every step size).
fn held_excitation(m: usize, t: f64) -> f64 {
    excitation(m, (t / 0.01 + 1e-6).floor() * 0.01)
}

/// Simulate every muscle for 1 s with step `dt` (s) as the effector's Euler does (derivative,
/// then integrate with the current length and velocity); the force (N) of each muscle at every
/// multiple of `every` (s), or `None` once a state is not finite.
fn forces(model: &CompliantTendonHillMuscle, dt: f64, every: f64) -> Option<Vec<Vec<f64>>> {
    let n = (1.0 / dt).round() as usize;
    let stride = (every / dt).round() as usize;
    let ns = model.n_states();
    let mut out = vec![];
    for m in 0..model.n_muscles() {
        let (l, v) = path(m, 0.0);
        let mut s = vec![0.0; ns];
        model.initial_state(m, l, v, dt, &mut s);
        let mut f = vec![s[model.force_index()]];
        let mut d = [0.0; 2];
        let mut next = vec![0.0; ns];
        for k in 0..n {
            let t = k as f64 * dt;
            let (l, v) = path(m, t);
            model.derivative(m, held_excitation(m, t), &s, &mut d);
            model.integrate(m, dt, &d, &s, l, v, &mut next);
            std::mem::swap(&mut s, &mut next);
            if !s.iter().all(|x| x.is_finite()) {
                return None;
            }
            if (k + 1) % stride == 0 {
                f.push(s[model.force_index()]);
            }
        }
        out.push(f);
    }
    Some(out)
}

/// Worst |a − b| over muscles and times, in F_max of the muscle, and where.
fn worst(model: &CompliantTendonHillMuscle, a: &[Vec<f64>], b: &[Vec<f64>]) -> (f64, usize, usize) {
    let mut w = (0.0, 0, 0);
    for m in 0..a.len() {
        for (k, (x, y)) in a[m].iter().zip(&b[m]).enumerate() {
            let e = (x - y).abs() / model.max_isometric_force(m);
            if e > w.0 {
                w = (e, m, k);
            }
        }
    }
    w
}

#[test]
fn implicit_at_10_ms_follows_the_explicit_model_at_0_1_ms_within_1_percent_of_f_max() {
    let explicit = model(FibreIntegration::Explicit);
    let implicit = model(FibreIntegration::Implicit);
    // explicit Euler at 0.1 ms is itself off by ~1 % of F_max where a muscle lengthens at low
    // activation (the eccentric force–velocity slope is 0.001: the fibre's time constant there
    // is tens of µs), so the reference takes 10 µs steps
    let reference = forces(&explicit, 1e-5, 0.01).unwrap();
    // the reference has converged: half its step changes it by far less than the tolerance
    let finer = forces(&explicit, 5e-6, 0.01).unwrap();
    let (ref_err, _, _) = worst(&explicit, &reference, &finer);
    assert!(ref_err < 1e-3, "reference error {ref_err}");
    // the trajectory is demanding: forces span most of each muscle's range
    for (m, f) in reference.iter().enumerate() {
        let f_max = explicit.max_isometric_force(m);
        let (lo, hi) = f
            .iter()
            .fold((f64::MAX, 0.0_f64), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(
            hi > 0.5 * f_max && hi < 0.98 * f_max && lo < 0.1 * f_max,
            "muscle {m}: {lo}..{hi} N"
        );
    }
    let got = forces(&implicit, 0.01, 0.01).unwrap();
    let (err, m, k) = worst(&implicit, &got, &reference);
    println!("implicit 10 ms: worst force error {err:.5} F_max (muscle {m}, t = {} s); reference (0.1 vs 0.05 ms) {ref_err:.2e}", k as f64 * 0.01);
    assert!(
        err < 0.01,
        "implicit at 10 ms errs by {err} F_max (muscle {m}, step {k})"
    );
    // the explicit model at the same step fails: it diverges or errs far more
    match forces(&explicit, 0.01, 0.01) {
        None => println!("explicit 10 ms: diverges (non-finite state)"),
        Some(f) => {
            let (e, _, _) = worst(&explicit, &f, &reference);
            println!("explicit 10 ms: worst force error {e:.3} F_max");
            assert!(e > 0.01, "explicit at 10 ms errs by only {e}");
        }
    }
    // the table in docs/training.md
    for dt in [1e-4, 2e-4, 1e-3, 2e-3, 5e-3] {
        let e_exp = forces(&explicit, dt, 0.01).map(|f| worst(&explicit, &f, &reference).0);
        let e_imp = worst(&implicit, &forces(&implicit, dt, 0.01).unwrap(), &reference).0;
        println!("dt {dt}: explicit {e_exp:?}, implicit {e_imp:.5}");
    }
}

#[test]
fn implicit_model_conforms_at_1_and_10_ms() {
    let implicit = model(FibreIntegration::Implicit);
    for dt in [0.001, 0.01] {
        let report = check_muscle_model(
            &implicit,
            &CheckConfig {
                dt,
                ..CheckConfig::default()
            },
        )
        .unwrap_or_else(|e| panic!("dt {dt}: {e}"));
        // the Newton solve's dual numbers were compared with finite differences, many times
        assert!(report.derivatives_compared > 1000, "{report:?}");
        println!("dt {dt}: {report:?}");
    }
}

#[test]
fn implicit_step_is_finite_at_extreme_inputs() {
    let zero_floor = CompliantTendonHillMuscle::new(
        ActivationDynamics::new(0.0, 0.015, 0.05).unwrap(),
        vec![HillParams::new("pectoralis", 838.0, 0.07, 0.134, 1.4)],
    )
    .unwrap()
    .with_fibre_integration(FibreIntegration::Implicit);
    for model in [model(FibreIntegration::Implicit), zero_floor] {
        let ns = model.n_states();
        let mut cases = 0;
        for &dt in &[1e-5, 0.01, 0.1] {
            for &len in &[0.0, 0.05, 0.2, 0.3, 0.5, 2.0] {
                for &vel in &[-20.0, -1.0, 0.0, 1.0, 20.0] {
                    for &act in &[0.0, 0.01, 0.5, 1.0] {
                        for &u in &[-1.0, 0.0, 0.3, 1.0, 2.0] {
                            for &fibre in &[-0.1, 0.0, 0.01, 0.1, 0.3] {
                                for &fvel in &[-50.0, 0.0, 50.0] {
                                    let mut s = vec![0.0; ns];
                                    s[0] = act;
                                    s[1] = fibre;
                                    s[2] = fvel;
                                    s[6] = -vel;
                                    let mut d = [Dual64::new(0.0, 0.0); 2];
                                    let st: Vec<Dual64> =
                                        s.iter().map(|&x| Dual64::new(x, 1.0)).collect();
                                    model.derivative(0, Dual64::new(u, 1.0), &st, &mut d);
                                    let mut out = vec![Dual64::new(0.0, 0.0); ns];
                                    model.integrate(
                                        0,
                                        dt,
                                        &d,
                                        &st,
                                        Dual64::new(len, 1.0),
                                        Dual64::new(vel, 1.0),
                                        &mut out,
                                    );
                                    for (k, o) in out.iter().enumerate() {
                                        assert!(
                                            o.re.is_finite() && o.eps.is_finite(),
                                            "state {k} = {o:?} at dt {dt}, len {len}, vel {vel}, \
                                             act {act}, u {u}, fibre {fibre}, fvel {fvel}"
                                        );
                                    }
                                    let f = out[model.force_index()].re;
                                    assert!((0.0..=model.max_isometric_force(0)).contains(&f));
                                    // every muscle at once (the six-muscle model: side by
                                    // side in lanes, the dual numbers replaying them)
                                    let n = model.n_muscles();
                                    let (st_all, d_all) = (st.repeat(n), d.repeat(n));
                                    let len_all = vec![Dual64::new(len, 1.0); n];
                                    let vel_all = vec![Dual64::new(vel, 1.0); n];
                                    let mut all = vec![Dual64::new(0.0, 0.0); n * ns];
                                    model.integrate_all(
                                        dt, &d_all, &st_all, &len_all, &vel_all, &mut all,
                                    );
                                    for (k, o) in all.iter().enumerate() {
                                        assert!(
                                            o.re.is_finite() && o.eps.is_finite(),
                                            "integrate_all: muscle {}, state {} = {o:?} at dt \
                                             {dt}, len {len}, vel {vel}, act {act}, u {u}, \
                                             fibre {fibre}, fvel {fvel}",
                                            k / ns,
                                            k % ns
                                        );
                                    }
                                    for m in 0..n {
                                        let f = all[m * ns + model.force_index()].re;
                                        let f_max = model.max_isometric_force(m);
                                        assert!((0.0..=f_max).contains(&f));
                                    }
                                    cases += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 3 * 6 * 5 * 4 * 5 * 5 * 3);
    }
}

/// Random states near a reach's: each muscle's equilibrium at a random length, moved by a
/// step under a random excitation; returns (derivative, state, lengths, velocities).
fn random_inputs(
    model: &CompliantTendonHillMuscle,
    dt: f64,
    rng: &mut SplitMix,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = model.n_muscles();
    let (ns, nd) = (model.n_states(), model.n_derivatives());
    let (mut der, mut state) = (vec![0.0; n * nd], vec![0.0; n * ns]);
    let (mut len, mut vel) = (vec![0.0; n], vec![0.0; n]);
    for m in 0..n {
        let p = &model.params()[m];
        let (l0_se, l0_ce) = (p.tendon_length, p.optimal_muscle_length);
        len[m] = l0_se + l0_ce * (0.6 + 0.8 * rng.unit());
        vel[m] = l0_ce * 3.0 * (rng.unit() - 0.5);
        let st = &mut state[m * ns..(m + 1) * ns];
        model.initial_state(m, len[m], vel[m], dt, st);
        st[0] = rng.unit();
        let mut next = vec![0.0; ns];
        model.derivative(m, rng.unit(), st, &mut der[m * nd..(m + 1) * nd]);
        model.integrate(
            m,
            dt,
            &der[m * nd..(m + 1) * nd],
            st,
            len[m],
            vel[m],
            &mut next,
        );
        st.copy_from_slice(&next);
        model.derivative(
            m,
            1.2 * rng.unit() - 0.1,
            st,
            &mut der[m * nd..(m + 1) * nd],
        );
        len[m] += vel[m] * dt;
    }
    (der, state, len, vel)
}

/// [`random_inputs`] jolted far from equilibrium (musculotendon velocities up to 3 m/s, fibre
/// lengths and velocities jolted, the tendon near slack, activation at its minimum or full,
/// no excitation), where the Radau IIA stages' Newton sometimes runs out.
fn jolted_inputs(
    model: &CompliantTendonHillMuscle,
    dt: f64,
    rng: &mut SplitMix,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut der, mut state, len, mut vel) = random_inputs(model, dt, rng);
    let ns = model.n_states();
    for m in 0..model.n_muscles() {
        vel[m] = 6.0 * (rng.unit() - 0.5); // m/s
        if rng.unit() < 0.5 {
            der[2 * m + 1] = 0.0; // no excitation: the activation decays to 0.01
        }
        let st = &mut state[m * ns..(m + 1) * ns];
        st[0] = if rng.unit() < 0.5 { 0.0 } else { 1.0 };
        let p = &model.params()[m];
        let (l0, l0_se) = (p.optimal_muscle_length, p.tendon_length);
        st[1] = if rng.unit() < 0.5 {
            // the tendon near slack: its force's kink
            (len[m] - l0_se) * (1.0 + 0.02 * (rng.unit() - 0.5))
        } else {
            st[1] * (0.5 + rng.unit())
        };
        st[2] = 40.0 * (rng.unit() - 0.5) * l0;
        st[6] = 20.0 * (rng.unit() - 0.5) * l0;
    }
    (der, state, len, vel)
}

/// `integrate_all` (the muscles side by side in lanes) gives every muscle the bits that
/// `integrate` gives it alone, and only finite numbers, at `inputs` (derivative, state,
/// lengths, velocities).
fn assert_lanes_give_the_bits_of_integrate(
    model: &CompliantTendonHillMuscle,
    dt: f64,
    (der, state, len, vel): (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>),
) {
    let (n, ns) = (model.n_muscles(), model.n_states());
    let mut all = vec![0.0; n * ns];
    model.integrate_all(dt, &der, &state, &len, &vel, &mut all);
    assert!(all.iter().all(|x| x.is_finite()), "n {n}, dt {dt}: {all:?}");
    for m in 0..n {
        let mut one = vec![0.0; ns];
        let r = m * ns..(m + 1) * ns;
        let d = &der[2 * m..2 * m + 2];
        model.integrate(m, dt, d, &state[r.clone()], len[m], vel[m], &mut one);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&all[r]), bits(&one), "n {n}, dt {dt}, muscle {m}");
    }
}

#[test]
fn integrate_all_in_lanes_gives_the_bits_of_integrate_in_f64() {
    let mut rng = SplitMix(11);
    // one pack, a pack and one muscle alone, two full packs
    for n in [6, 9, 16] {
        let model = model_of(n, FibreIntegration::Implicit);
        for dt in [0.001, 0.01, 0.05] {
            for _ in 0..20 {
                let inputs = random_inputs(&model, dt, &mut rng);
                assert_lanes_give_the_bits_of_integrate(&model, dt, inputs);
            }
        }
    }
}

/// Where the Radau IIA stages' Newton runs out and the step falls back (per lane) to SDIRK2
/// ([`jolted_inputs`]: a few packs in a hundred fall back), the lanes still give each muscle
/// the bits of the muscle alone, and the step stays finite.
#[test]
fn integrate_all_in_lanes_gives_the_bits_of_integrate_where_the_radau_stages_fall_back() {
    let mut rng = SplitMix(23);
    for n in [6, 9] {
        let model = model_of(n, FibreIntegration::Implicit);
        for dt in [0.001, 0.01] {
            for _ in 0..200 {
                let inputs = jolted_inputs(&model, dt, &mut rng);
                assert_lanes_give_the_bits_of_integrate(&model, dt, inputs);
            }
        }
    }
}

/// The inputs of `integrate_all` as the effector's VJP seeds them (`DualN<8>`): excitation,
/// the 4 read state entries, length, velocity; returns (derivative, state, lengths,
/// velocities).
#[allow(clippy::type_complexity)]
fn vjp_seeding(
    model: &CompliantTendonHillMuscle,
    der: &[f64],
    state: &[f64],
    len: &[f64],
    vel: &[f64],
) -> (Vec<DualN<8>>, Vec<DualN<8>>, Vec<DualN<8>>, Vec<DualN<8>>) {
    type D = DualN<8>;
    let (ns, nd) = (model.n_states(), model.n_derivatives());
    let mut st: Vec<D> = state.iter().map(|&v| D::constant(v)).collect();
    let mut dd: Vec<D> = der.iter().map(|&v| D::constant(v)).collect();
    for m in 0..model.n_muscles() {
        dd[m * nd + 1] = D::variable(der[m * nd + 1], 0);
        for (j, &r) in model.read_states().iter().enumerate() {
            st[m * ns + r] = D::variable(state[m * ns + r], 1 + j);
        }
    }
    let l: Vec<D> = len.iter().map(|&v| D::variable(v, 5)).collect();
    let v: Vec<D> = vel.iter().map(|&v| D::variable(v, 6)).collect();
    (dd, st, l, v)
}

#[test]
fn integrate_all_on_dual_numbers_replays_the_lanes_with_the_same_derivatives() {
    type D = DualN<8>;
    let mut rng = SplitMix(12);
    let (mut worst, mut compared) = (0.0_f64, 0);
    for n in [6, 9] {
        let model = model_of(n, FibreIntegration::Implicit);
        let (ns, nd) = (model.n_states(), model.n_derivatives());
        // 50 ms: more stages than are replayed, so muscle by muscle
        for dt in [0.001, 0.01, 0.027, 0.05] {
            for i in 0..40 {
                // every other step far from equilibrium, where some lanes fall back to SDIRK2
                let (der, state, len, vel) = if i % 2 == 1 {
                    jolted_inputs(&model, dt, &mut rng)
                } else {
                    random_inputs(&model, dt, &mut rng)
                };
                // the VJP's seeding: excitation, the 4 read entries, length, velocity
                let (dd, st, l, v) = vjp_seeding(&model, &der, &state, &len, &vel);
                let mut all = vec![D::constant(0.0); n * ns];
                model.integrate_all(dt, &dd, &st, &l, &v, &mut all);
                for m in 0..n {
                    let mut one = vec![D::constant(0.0); ns];
                    let r = m * ns..(m + 1) * ns;
                    let d = &dd[m * nd..(m + 1) * nd];
                    model.integrate(m, dt, d, &st[r.clone()], l[m], v[m], &mut one);
                    for (a, b) in all[r].iter().zip(&one) {
                        assert!((a.re - b.re).abs() <= 1e-12 * (1.0 + b.re.abs()));
                        for (x, y) in a.eps.iter().zip(&b.eps) {
                            let scale = 1e-3 * b.re.abs().max(1.0) + y.abs();
                            worst = worst.max((x - y).abs() / scale);
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    // both are the implicit-function derivatives at the same solution: the lanes' from the
    // stages' partials, muscle by muscle from one more Newton step on dual numbers
    assert!(worst < 1e-7, "worst relative difference {worst}");
    assert!(compared > 10000);
}

/// `integrate_all_replay` on dual numbers, given the record `integrate_all_record` left in
/// `f64` for the same inputs, gives what `integrate_all` gives (to rounding: the record holds
/// the `f64` step's own stage solutions, while the dual numbers' solve starts from stage
/// activations whose divisions round differently in the last bit); with a record of other
/// inputs, a cut one or none, it gives the same bits as `integrate_all`; and it does read the
/// record (stage solutions altered in it change the result).
#[test]
fn integrate_all_replay_with_the_forward_record_gives_what_integrate_all_gives() {
    type D = DualN<8>;
    let mut rng = SplitMix(13);
    let bits = |v: &[D]| {
        v.iter()
            .flat_map(|d| std::iter::once(d.re).chain(d.eps))
            .map(f64::to_bits)
            .collect::<Vec<_>>()
    };
    for n in [6, 9, 16] {
        let model = model_of(n, FibreIntegration::Implicit);
        let ns = model.n_states();
        for dt in [0.001, 0.01, 0.05] {
            let (der2, state2, len2, vel2) = random_inputs(&model, dt, &mut rng);
            let mut other = Vec::new();
            let mut out = vec![0.0; n * ns];
            model.integrate_all_record(dt, &der2, &state2, &len2, &vel2, &mut out, &mut other);
            for i in 0..20 {
                // every other step far from equilibrium, where some lanes fall back to SDIRK2
                let jolted = i % 2 == 1;
                let (der, state, len, vel) = if jolted {
                    jolted_inputs(&model, dt, &mut rng)
                } else {
                    random_inputs(&model, dt, &mut rng)
                };
                let (mut record, mut recorded) = (Vec::new(), vec![0.0; n * ns]);
                model.integrate_all_record(
                    dt,
                    &der,
                    &state,
                    &len,
                    &vel,
                    &mut recorded,
                    &mut record,
                );
                let mut plain = vec![0.0; n * ns];
                model.integrate_all(dt, &der, &state, &len, &vel, &mut plain);
                assert_eq!(recorded, plain, "recording changes nothing in f64");
                let packs = n / 8 + usize::from(n % 8 > 1);
                // 7 key lanes, then per Radau sub-step (at most 5.1 ms) two velocities and the
                // convergence lanes
                let substeps = (dt / 0.0051_f64).ceil() as usize;
                assert_eq!(
                    record.len(),
                    packs * 8 * (7 + 3 * substeps),
                    "n {n}, dt {dt}"
                );
                let (dd, st, l, v) = vjp_seeding(&model, &der, &state, &len, &vel);
                let mut want = vec![D::constant(0.0); n * ns];
                model.integrate_all(dt, &dd, &st, &l, &v, &mut want);
                let cut = &record[..8 * 7 + 20]; // inside the first pack
                let mut altered = record.clone();
                altered[7 * 8] += 1e-3; // the first stage's velocity, muscle 0
                let mut got = vec![D::constant(0.0); n * ns];
                model.integrate_all_replay(dt, &dd, &st, &l, &v, &mut got, &record);
                for (a, b) in got.iter().zip(&want) {
                    assert!(
                        (a.re - b.re).abs() <= 1e-12 * (1.0 + b.re.abs()),
                        "{a:?} {b:?}"
                    );
                    for (x, y) in a.eps.iter().zip(&b.eps) {
                        let scale = 1e-3 * b.re.abs().max(1.0) + y.abs();
                        assert!((x - y).abs() <= 1e-8 * scale, "n {n}, dt {dt}: {x} vs {y}");
                    }
                }
                for (what, rec) in [
                    ("another step's record", &other[..]),
                    ("a cut record", cut),
                    ("no record", &[][..]),
                ] {
                    let mut got = vec![D::constant(0.0); n * ns];
                    model.integrate_all_replay(dt, &dd, &st, &l, &v, &mut got, rec);
                    assert_eq!(bits(&got), bits(&want), "n {n}, dt {dt}: {what}");
                }
                if !jolted {
                    // (a lane that fell back does not read the Radau stages' record)
                    let mut got = vec![D::constant(0.0); n * ns];
                    model.integrate_all_replay(dt, &dd, &st, &l, &v, &mut got, &altered);
                    assert_ne!(bits(&got[..ns]), bits(&want[..ns]), "the record is read");
                }
            }
        }
    }
}

/// The implicit step's own VJP (`step_vjp`: the Radau sub-steps' adjoint in lanes) adds what
/// the dual numbers give (`testing::step_vjp_by_duals`), near a reach's states and far from
/// them; it is taken wherever every pack has two or more muscles, the step at most four
/// sub-steps and the record converged stages, and declines (adding nothing) elsewhere.
#[test]
fn step_vjp_in_lanes_equals_the_dual_numbers() {
    use motornet_muscle::testing::step_vjp_by_duals;
    let mut rng = SplitMix(21);
    let (mut taken, mut worst) = (0, 0.0_f64);
    for n in [6, 9, 16] {
        let model = model_of(n, FibreIntegration::Implicit);
        let (ns, nd) = (model.n_states(), model.n_derivatives());
        for dt in [0.001, 0.01, 0.02, 0.05] {
            for i in 0..12 {
                let jolted = i % 3 == 2;
                let (_, state, len, vel) = if jolted {
                    jolted_inputs(&model, dt, &mut rng)
                } else {
                    random_inputs(&model, dt, &mut rng)
                };
                let excitation: Vec<f64> = (0..n).map(|_| 1.2 * rng.unit() - 0.1).collect();
                let mut der = vec![0.0; n * nd];
                for m in 0..n {
                    let st = &state[m * ns..(m + 1) * ns];
                    model.derivative(m, excitation[m], st, &mut der[m * nd..(m + 1) * nd]);
                }
                let (mut new, mut record) = (vec![0.0; n * ns], Vec::new());
                model.integrate_all_record(dt, &der, &state, &len, &vel, &mut new, &mut record);
                let g: Vec<f64> = (0..n * ns)
                    .map(|_| {
                        if rng.unit() < 0.3 {
                            0.0
                        } else {
                            rng.unit() - 0.5
                        }
                    })
                    .collect();
                let inputs = StepInputs {
                    excitation: &excitation,
                    state: &state,
                    mt_len: &len,
                    mt_vel: &vel,
                };
                let mut fast = [vec![0.0; n], vec![0.0; n * ns], vec![0.0; n], vec![0.0; n]];
                let [fe, fs, fl, fv] = &mut fast;
                let grads = StepGradients {
                    excitation: fe,
                    state: fs,
                    mt_len: fl,
                    mt_vel: fv,
                };
                let took = model.step_vjp(dt, inputs, &record, &g, grads);
                let expected = n != 9 && dt < 0.03;
                if !jolted {
                    assert_eq!(took, expected, "n {n}, dt {dt}");
                }
                if !took {
                    assert!(fast.iter().flatten().all(|&v| v == 0.0));
                    continue;
                }
                assert!(expected, "n {n}, dt {dt}");
                taken += 1;
                let duals = step_vjp_by_duals(&model, dt, inputs, &record, &g);
                for (f, d) in fast.iter().zip(&duals) {
                    let largest = d.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
                    for (a, b) in f.iter().zip(d) {
                        assert!(a.is_finite(), "n {n}, dt {dt}: {f:?}");
                        worst = worst.max((a - b).abs() / (largest + 1e-300));
                    }
                }
                // the same calls again read the record a second time and add as much again
                let mut twice = fast.clone();
                let [te, ts, tl, tv] = &mut twice;
                let grads = StepGradients {
                    excitation: te,
                    state: ts,
                    mt_len: tl,
                    mt_vel: tv,
                };
                assert!(model.step_vjp(dt, inputs, &record, &g, grads));
                for (t, f) in twice.iter().flatten().zip(fast.iter().flatten()) {
                    assert_eq!(*t, 2.0 * f);
                }
            }
        }
    }
    eprintln!("step_vjp: taken {taken}, worst {worst:e}");
    assert!(
        worst < 1e-9,
        "worst difference relative to the largest gradient {worst}"
    );
    assert!(taken >= 2 * 3 * 8, "fast path taken {taken} times");
}
