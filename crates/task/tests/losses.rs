//! Losses: gradients against central finite differences, hand-computed values, accumulation,
//! validation and config round trips.

use motornet_task::loss::{
    self, ActivationL2, ActivationL2Config, Auto, ClippedPosition, ClippedPositionConfig,
    EpisodeGrad, EpisodeView, Fields, HiddenL2, HiddenL2Config, Jerk, JerkConfig, Loss, LossConfig,
    LossError, LossSum, PositionL1, PositionL1Config, Speed, SpeedConfig,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// An owned episode; `view()` lends it to the losses.
#[derive(Debug, Clone)]
struct Ep {
    dt: f64,
    d: usize,
    m: usize,
    h: usize,
    fingertip: Vec<f64>,
    goal: Vec<f64>,
    activation: Vec<f64>,
    hidden: Vec<f64>,
    dof: usize,
    ns: usize,
    joint: Vec<f64>,
    muscle: Vec<f64>,
    geometry: Vec<f64>,
    excitation: Vec<f64>,
    output: Vec<f64>,
}

impl Ep {
    fn view(&self) -> EpisodeView<'_> {
        EpisodeView {
            dt: self.dt,
            space_dim: self.d,
            fingertip: &self.fingertip,
            goal: &self.goal,
            activation: &self.activation,
            hidden: &self.hidden,
            n_muscles: self.m,
            hidden_size: self.h,
            dof: self.dof,
            n_muscle_states: self.ns,
            joint: &self.joint,
            muscle: &self.muscle,
            geometry: &self.geometry,
            excitation: &self.excitation,
            output: &self.output,
        }
    }
    /// The differentiable fields, in `EpisodeGrad`'s order: 0 fingertip, 1 activation,
    /// 2 hidden, 3 joint, 4 muscle, 5 geometry, 6 excitation, 7 output, 8 goal.
    fn field(&mut self, f: usize) -> &mut Vec<f64> {
        [
            &mut self.fingertip,
            &mut self.activation,
            &mut self.hidden,
            &mut self.joint,
            &mut self.muscle,
            &mut self.geometry,
            &mut self.excitation,
            &mut self.output,
            &mut self.goal,
        ][f]
    }
    fn zeros(&self) -> [Vec<f64>; 9] {
        self.filled(0.0)
    }
    fn filled(&self, x: f64) -> [Vec<f64>; 9] {
        [
            self.fingertip.len(),
            self.activation.len(),
            self.hidden.len(),
            self.joint.len(),
            self.muscle.len(),
            self.geometry.len(),
            self.excitation.len(),
            self.output.len(),
            self.goal.len(),
        ]
        .map(|n| vec![x; n])
    }
    /// Value and gradient of `loss`, accumulated into `g` with `scale`.
    fn eval(&self, loss: &dyn Loss, g: &mut [Vec<f64>; 9], scale: f64) -> f64 {
        let mut grad = grad_of(g);
        loss.value_and_grad(&self.view(), Some(&mut grad), scale)
    }
    /// Distance from the goal at each state.
    fn distances(&self) -> Vec<f64> {
        (0..self.goal.len() / self.d)
            .map(|s| {
                let x = &self.fingertip[s * 2 * self.d..s * 2 * self.d + self.d];
                let g = &self.goal[s * self.d..(s + 1) * self.d];
                x.iter()
                    .zip(g)
                    .map(|(x, g)| (x - g) * (x - g))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }
}

/// The [`Fields`] flag of field `f` in `Ep::field`'s order.
fn field_flag(f: usize) -> Fields {
    [
        Fields::FINGERTIP,
        Fields::ACTIVATION,
        Fields::HIDDEN,
        Fields::JOINT,
        Fields::MUSCLE,
        Fields::GEOMETRY,
        Fields::EXCITATION,
        Fields::OUTPUT,
        Fields::GOAL,
    ][f]
}

fn grad_of(g: &mut [Vec<f64>; 9]) -> EpisodeGrad<'_> {
    let [f, a, h, j, mu, ge, ex, o, goal] = g;
    EpisodeGrad {
        fingertip: f,
        activation: a,
        hidden: h,
        joint: j,
        muscle: mu,
        geometry: ge,
        excitation: ex,
        output: o,
        goal,
    }
}

/// The effector-state, command and output fields of an episode with `t` steps, `m` muscles,
/// one joint and one state per muscle, filled with `x`: the by-hand tests' losses do not read
/// them.
fn state_fields(t: usize, m: usize, x: f64) -> [Vec<f64>; 5] {
    [
        vec![x; (t + 1) * 2],
        vec![x; (t + 1) * m],
        vec![x; (t + 1) * 3 * m],
        vec![x; t * m],
        vec![x; t * m],
    ]
}

/// Hand-built episode: rows of fingertip `[pos, vel]`, goal rows, activation rows, hidden rows.
fn ep(dt: f64, d: usize, ft: &[&[f64]], goal: &[&[f64]], act: &[&[f64]], hid: &[&[f64]]) -> Ep {
    let m = act.first().map_or(0, |r| r.len());
    let [joint, muscle, geometry, excitation, output] = state_fields(goal.len() - 1, m, 0.25);
    Ep {
        dt,
        d,
        m,
        h: hid.first().map_or(0, |r| r.len()),
        fingertip: ft.concat(),
        goal: goal.concat(),
        activation: act.concat(),
        hidden: hid.concat(),
        dof: 1,
        ns: 1,
        joint,
        muscle,
        geometry,
        excitation,
        output,
    }
}

fn away_from_zero() -> impl Strategy<Value = f64> {
    (0.05f64..1.0, any::<bool>()).prop_map(|(x, neg)| if neg { -x } else { x })
}

/// Random episodes with T in 1..6, d in 1..=3 (3-D fingertips too), M in 1..4, H in 0..4,
/// every position error component at least 0.05 from 0.
fn episode() -> impl Strategy<Value = Ep> {
    (1usize..6, 1usize..4, 1usize..4, 0usize..4, 0.05f64..0.2)
        .prop_flat_map(|(t, d, m, h, dt)| {
            let n = (t + 1) * d;
            (
                Just((d, m, h, dt)),
                vec(-1.0f64..1.0, n),
                vec(away_from_zero(), n),
                vec(-1.0f64..1.0, n),
                vec(0.0f64..1.0, (t + 1) * m),
                vec(-1.0f64..1.0, t * h),
            )
        })
        .prop_map(|((d, m, h, dt), goal, offset, vel, activation, hidden)| {
            let mut fingertip = Vec::new();
            for s in 0..goal.len() / d {
                fingertip.extend((0..d).map(|k| goal[s * d + k] + offset[s * d + k]));
                fingertip.extend_from_slice(&vel[s * d..(s + 1) * d]);
            }
            let t = goal.len() / d - 1;
            let [joint, muscle, geometry, excitation, output] = state_fields(t, m, 0.5);
            Ep {
                dt,
                d,
                m,
                h,
                fingertip,
                goal,
                activation,
                hidden,
                dof: 1,
                ns: 1,
                joint,
                muscle,
                geometry,
                excitation,
                output,
            }
        })
}

/// Every loss, with the ClippedPosition radius given.
fn all_losses(radius: f64) -> Vec<Box<dyn Loss>> {
    vec![
        Box::new(PositionL1),
        Box::new(ClippedPosition::new(radius).unwrap()),
        Box::new(ActivationL2::new(0.3).unwrap()),
        Box::new(HiddenL2::new(0.2).unwrap()),
        Box::new(Speed),
        Box::new(Jerk),
    ]
}

fn weighted_sum(radius: f64) -> LossSum {
    let weights = [0.7, 1.3, 0.5, 2.0, 0.25, 1e-3];
    let mut sum = LossSum::new();
    for (w, l) in weights.into_iter().zip(all_losses(radius)) {
        sum.push(w, l).unwrap();
    }
    sum
}

/// Compares the analytic gradient with central finite differences over every input.
fn check_fd(loss: &dyn Loss, ep: &Ep) -> Result<(), TestCaseError> {
    let mut g = ep.zeros();
    let value = ep.eval(loss, &mut g, 1.0);
    prop_assert!(value.is_finite());
    prop_assert_eq!(value, loss.value_and_grad(&ep.view(), None, 1.0));
    let step = 1e-5;
    let mut p = ep.clone();
    for f in 0..9 {
        for i in 0..g[f].len() {
            let x = p.field(f)[i];
            p.field(f)[i] = x + step;
            let up = loss.value_and_grad(&p.view(), None, 1.0);
            p.field(f)[i] = x - step;
            let down = loss.value_and_grad(&p.view(), None, 1.0);
            p.field(f)[i] = x;
            let (a, n) = (g[f][i], (up - down) / (2.0 * step));
            let tol = 1e-6 * a.abs().max(n.abs()) + 1e-9 * (1.0 + value.abs());
            prop_assert!(
                (a - n).abs() <= tol,
                "{}: field {} [{}]: analytic {} vs numeric {}",
                loss.name(),
                f,
                i,
                a,
                n
            );
        }
    }
    Ok(())
}

fn radius_away_from(ep: &Ep, radius: f64) -> bool {
    ep.distances().iter().all(|r| (r - radius).abs() > 1e-3)
}

/// Every built-in loss next to its automatic form (`Auto`: written once over the scalar,
/// gradient by reverse mode).
fn hand_and_auto(radius: f64) -> Vec<(Box<dyn Loss>, Box<dyn Loss>)> {
    let clipped = ClippedPosition::new(radius).unwrap();
    let (act, hid) = (ActivationL2::new(0.3).unwrap(), HiddenL2::new(0.2).unwrap());
    vec![
        (Box::new(PositionL1), Box::new(Auto(PositionL1))),
        (Box::new(clipped), Box::new(Auto(clipped))),
        (Box::new(act), Box::new(Auto(act))),
        (Box::new(hid), Box::new(Auto(hid))),
        (Box::new(Speed), Box::new(Auto(Speed))),
        (Box::new(Jerk), Box::new(Auto(Jerk))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hand_written_gradients_equal_the_automatic_ones(
        ep in episode(), radius in 0.0f64..1.2, scale in -3.0f64..3.0
    ) {
        prop_assume!(radius_away_from(&ep, radius));
        for (hand, auto) in hand_and_auto(radius) {
            prop_assert_eq!(hand.name(), auto.name());
            let (mut gh, mut ga) = (ep.filled(0.5), ep.filled(0.5));
            let vh = ep.eval(hand.as_ref(), &mut gh, scale);
            let va = ep.eval(auto.as_ref(), &mut ga, scale);
            let vn = auto.value_and_grad(&ep.view(), None, 1.0);
            prop_assert!((vh - va).abs() <= 1e-12 * vh.abs().max(1e-12), "{}: {} vs {}", hand.name(), vh, va);
            prop_assert_eq!(va, vn);
            for (f, (a, b)) in gh.iter().zip(&ga).enumerate() {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    prop_assert!(
                        (x - y).abs() <= 1e-10 * x.abs().max(1.0),
                        "{}: field {} [{}]: hand {} vs automatic {}", hand.name(), f, i, x, y
                    );
                }
            }
        }
    }

    /// `Loss::reads` is what a training loop relies on to leave fields out (they hold NaN
    /// there): every built-in loss, its automatic form and a sum give the same value and
    /// gradient when every field they do not declare is NaN, and add nothing to those fields'
    /// gradients.
    #[test]
    fn losses_read_only_the_fields_they_declare(ep in episode(), radius in 0.0f64..1.2) {
        let mut losses = all_losses(radius);
        losses.extend(hand_and_auto(radius).into_iter().map(|(_, auto)| auto));
        losses.push(Box::new(weighted_sum(radius)));
        for l in losses {
            let reads = l.reads();
            let mut blind = ep.clone();
            for f in 0..9 {
                if !reads.contains(field_flag(f)) {
                    blind.field(f).iter_mut().for_each(|v| *v = f64::NAN);
                }
            }
            let (mut g, mut g_blind) = (ep.zeros(), ep.zeros());
            let v = ep.eval(l.as_ref(), &mut g, 1.0);
            let v_blind = blind.eval(l.as_ref(), &mut g_blind, 1.0);
            prop_assert_eq!(v, v_blind, "{}: the value read an undeclared field", l.name());
            for f in 0..9 {
                if reads.contains(field_flag(f)) {
                    prop_assert_eq!(&g[f], &g_blind[f], "{}: field {}", l.name(), f);
                } else {
                    prop_assert!(g_blind[f].iter().all(|&x| x == 0.0), "{}: gradient into undeclared field {}", l.name(), f);
                }
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences(ep in episode(), radius in 0.0f64..1.2) {
        prop_assume!(radius_away_from(&ep, radius));
        for l in all_losses(radius) {
            check_fd(l.as_ref(), &ep)?;
        }
        check_fd(&weighted_sum(radius), &ep)?;
    }

    #[test]
    fn scale_multiplies_and_gradients_add(ep in episode(), radius in 0.0f64..1.2, scale in -3.0f64..3.0) {
        let mut losses = all_losses(radius);
        losses.push(Box::new(weighted_sum(radius)));
        for l in losses {
            let mut g0 = ep.zeros();
            let v0 = ep.eval(l.as_ref(), &mut g0, 1.0);
            let mut g1 = ep.filled(1.0);
            let v1 = ep.eval(l.as_ref(), &mut g1, scale);
            prop_assert_eq!(v0, v1, "{}: scale changed the value", l.name());
            for f in 0..3 {
                for (a, b) in g0[f].iter().zip(&g1[f]) {
                    let want = 1.0 + scale * a;
                    // scaled inside the loss, term by term: the jerk's third differences over
                    // dt³ cancel, so the sums differ by more than one rounding of the result
                    // (regression: 6e-12 relative at dt = 0.089, in losses.proptest-regressions)
                    prop_assert!((b - want).abs() <= 1e-10 * (1.0 + want.abs()), "{}: {} vs {}", l.name(), b, want);
                }
            }
        }
    }

    #[test]
    fn sum_is_weighted_sum_of_terms(ep in episode(), radius in 0.0f64..1.2) {
        let sum = weighted_sum(radius);
        let terms = sum.terms(&ep.view());
        let names: Vec<_> = terms.iter().map(|(n, _)| n.as_str()).collect();
        prop_assert_eq!(names, ["position_l1", "clipped_position", "activation_l2", "hidden_l2", "speed", "jerk"]);
        let total: f64 = terms.iter().map(|(_, v)| v).sum();
        let mut by_hand = 0.0;
        for ((w, l), (_, term)) in sum.losses().iter().zip(&terms) {
            let v = l.value_and_grad(&ep.view(), None, 1.0);
            prop_assert!((w * v - term).abs() <= 1e-12 * (1.0 + term.abs()));
            by_hand += w * v;
        }
        let v = sum.value_and_grad(&ep.view(), None, 1.0);
        prop_assert!((v - total).abs() <= 1e-12 * (1.0 + v.abs()) && (v - by_hand).abs() <= 1e-12 * (1.0 + v.abs()));
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

fn assert_all_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w),
            "[{i}]: {g} vs {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// A 2-step 2-D episode: rows `[x, y, vx, vy]`.
fn two_step_2d() -> Ep {
    ep(
        0.1,
        2,
        &[
            &[0.0, 0.0, 3.0, 4.0],
            &[1.0, 2.0, 1.0, 0.0],
            &[3.0, -1.0, 0.0, -2.0],
        ],
        &[&[0.5, 0.5], &[1.0, 1.0], &[1.0, 1.0]],
        &[&[0.1], &[0.3], &[0.2]],
        &[&[1.0, 0.0], &[0.0, 2.0]],
    )
}

#[test]
fn position_l1_by_hand() {
    let e = two_step_2d();
    // |errors|: s0 0.5 + 0.5, s1 0 + 1, s2 2 + 2 → (1 + 1 + 4) / 3 states.
    let mut g = e.zeros();
    assert!(close(e.eval(&PositionL1, &mut g, 1.0), 2.0));
    let third = 1.0 / 3.0;
    // sign(x − g)/3 on positions (0 where x = g exactly), nothing on velocities.
    #[rustfmt::skip]
    let want = [-third, -third, 0.0, 0.0,  0.0, third, 0.0, 0.0,  third, -third, 0.0, 0.0];
    assert_all_close(&g[0], &want);
    assert!(g[1].iter().chain(&g[2]).all(|&x| x == 0.0));
}

#[test]
fn clipped_position_by_hand() {
    // Radius 1: s0 at distance 5 (3-4-5) costs 4; s1 at distance 0.5 costs nothing.
    let e = ep(
        0.1,
        2,
        &[&[3.0, 4.0, 0.0, 0.0], &[0.3, 0.4, 0.0, 0.0]],
        &[&[0.0; 2], &[0.0; 2]],
        &[],
        &[],
    );
    let mut g = e.zeros();
    let l = ClippedPosition::new(1.0).unwrap();
    assert!(close(e.eval(&l, &mut g, 1.0), 2.0));
    assert_all_close(&g[0], &[0.6 / 2.0, 0.8 / 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // Exactly on the goal with radius 0: value and gradient 0, no NaN.
    let e = ep(
        0.1,
        2,
        &[&[1.0, 1.0, 0.0, 0.0], &[1.0, 1.0, 0.0, 0.0]],
        &[&[1.0; 2], &[1.0; 2]],
        &[],
        &[],
    );
    let mut g = e.zeros();
    assert_eq!(
        e.eval(&ClippedPosition::new(0.0).unwrap(), &mut g, 1.0),
        0.0
    );
    assert!(g[0].iter().all(|&x| x == 0.0));
}

#[test]
fn activation_l2_by_hand() {
    let e = two_step_2d(); // a = 0.1, 0.3, 0.2; dt = 0.1
    let mut g = e.zeros();
    let v = e.eval(&ActivationL2::new(0.5).unwrap(), &mut g, 1.0);
    // (0.01 + 0.09 + 0.04)/3 + 0.5 · (2² + (−1)²)/2
    assert!(close(v, 0.14 / 3.0 + 1.25), "{v}");
    // 2a/3, then rates r1 = 2, r2 = −1: 0.5 · 2 r / (dt · 2) = 5 r, + on a_t, − on a_{t−1}.
    assert_all_close(
        &g[1],
        &[0.2 / 3.0 - 10.0, 0.6 / 3.0 + 10.0 + 5.0, 0.4 / 3.0 - 5.0],
    );
    assert!(close(
        ActivationL2::new(0.0)
            .unwrap()
            .value_and_grad(&e.view(), None, 1.0),
        0.14 / 3.0
    ));
}

#[test]
fn hidden_l2_by_hand() {
    let mut e = two_step_2d(); // h = [1, 0], [0, 2]
    e.dt = 0.5;
    let mut g = e.zeros();
    // (1 + 4)/2 + 2 · ((−1/0.5)² + (2/0.5)²)/1 = 2.5 + 40
    assert!(close(
        e.eval(&HiddenL2::new(2.0).unwrap(), &mut g, 1.0),
        42.5
    ));
    // 2h/2 = h, then 2 · 2 · rate / dt = 8 · rate with rate = (−2, 4).
    assert_all_close(&g[2], &[1.0 + 16.0, -32.0, -16.0, 2.0 + 32.0]);
    // T = 1: one hidden state, no pairs.
    let e = ep(
        0.5,
        1,
        &[&[0.0, 0.0], &[0.0, 0.0]],
        &[&[0.0], &[0.0]],
        &[],
        &[&[3.0, -1.0]],
    );
    assert_eq!(
        HiddenL2::new(2.0)
            .unwrap()
            .value_and_grad(&e.view(), None, 1.0),
        10.0
    );
    // H = 0.
    let e = ep(
        0.5,
        1,
        &[&[0.0, 0.0], &[0.0, 0.0], &[0.0, 0.0]],
        &[&[0.0], &[0.0], &[0.0]],
        &[],
        &[],
    );
    assert_eq!(
        HiddenL2::new(2.0)
            .unwrap()
            .value_and_grad(&e.view(), None, 1.0),
        0.0
    );
}

#[test]
fn speed_and_jerk_by_hand() {
    let e = two_step_2d(); // v = (3, 4), (1, 0), (0, −2); dt = 0.1
    let mut g = e.zeros();
    assert!(close(e.eval(&Speed, &mut g, 1.0), (25.0 + 1.0 + 4.0) / 3.0));
    #[rustfmt::skip]
    let want = [0.0, 0.0, 2.0, 8.0 / 3.0,  0.0, 0.0, 2.0 / 3.0, 0.0,  0.0, 0.0, 0.0, -4.0 / 3.0];
    assert_all_close(&g[0], &want);
    // One interior state: j = (v2 − 2 v1 + v0)/dt² = (1, 2)/0.01 = (100, 200).
    let mut g = e.zeros();
    assert!(close(
        e.eval(&Jerk, &mut g, 1.0),
        100.0f64.powi(2) + 200.0f64.powi(2)
    ));
    // 2j/dt² = (2e4, 4e4), weighted (1, −2, 1) over v0, v1, v2.
    #[rustfmt::skip]
    let want = [0.0, 0.0, 2e4, 4e4,  0.0, 0.0, -4e4, -8e4,  0.0, 0.0, 2e4, 4e4];
    assert_all_close(&g[0], &want);
    // T = 1: no interior state.
    let e = ep(
        0.1,
        1,
        &[&[0.0, 1.0], &[0.0, 5.0]],
        &[&[0.0], &[0.0]],
        &[],
        &[],
    );
    assert_eq!(Jerk.value_and_grad(&e.view(), None, 1.0), 0.0);
}

#[test]
fn fingertip_losses_by_hand_in_3d() {
    // rows [x, y, z, vx, vy, vz]; goals (0, 0, 0), (0, 0, 0), (2, 3, 2); dt = 0.1
    let e = ep(
        0.1,
        3,
        &[
            &[0.0, 0.0, 0.0, 1.0, 2.0, 2.0],
            &[1.0, 2.0, 2.0, 0.0, 0.0, 0.0],
            &[2.0, 3.0, -4.0, 2.0, 3.0, 6.0],
        ],
        &[&[0.0; 3], &[0.0; 3], &[2.0, 3.0, 2.0]],
        &[],
        &[],
    );
    let third = 1.0 / 3.0;
    // L1: 0, 1 + 2 + 2, 0 + 0 + 6 over 3 states
    let mut g = e.zeros();
    assert!(close(e.eval(&PositionL1, &mut g, 1.0), 11.0 / 3.0));
    #[rustfmt::skip]
    let want = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                third, third, third, 0.0, 0.0, 0.0,
                0.0, 0.0, -third, 0.0, 0.0, 0.0];
    assert_all_close(&g[0], &want);
    // clipped at 1 m: distances 0, 3, 6 cost 0, 2, 5; gradient (x − g)/(|x − g| · 3)
    let mut g = e.zeros();
    let l = ClippedPosition::new(1.0).unwrap();
    assert!(close(e.eval(&l, &mut g, 1.0), 7.0 / 3.0));
    let ninth = 1.0 / 9.0;
    #[rustfmt::skip]
    let want = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                ninth, 2.0 * ninth, 2.0 * ninth, 0.0, 0.0, 0.0,
                0.0, 0.0, -third, 0.0, 0.0, 0.0];
    assert_all_close(&g[0], &want);
    // speeds² 9, 0, 49
    assert!(close(
        Speed.value_and_grad(&e.view(), None, 1.0),
        58.0 / 3.0
    ));
    // jerk (v2 − 2 v1 + v0)/dt² = (3, 5, 8)/0.01: 9e4 + 25e4 + 64e4
    assert!(close(Jerk.value_and_grad(&e.view(), None, 1.0), 98e4));
}

#[test]
fn a_planar_episode_embedded_in_3d_has_the_same_losses() {
    // every fingertip loss depends on distances and norms only: z = 0 adds nothing
    let flat = two_step_2d();
    let embed = |rows: &[f64], w: usize| -> Vec<f64> {
        rows.chunks(w)
            .flat_map(|r| {
                if w == 4 {
                    vec![r[0], r[1], 0.0, r[2], r[3], 0.0]
                } else {
                    vec![r[0], r[1], 0.0]
                }
            })
            .collect()
    };
    let mut space = flat.clone();
    space.d = 3;
    space.fingertip = embed(&flat.fingertip, 4);
    space.goal = embed(&flat.goal, 2);
    for radius in [0.0, 0.5, 3.0] {
        for loss in all_losses(radius) {
            let (a, b) = (
                loss.value_and_grad(&flat.view(), None, 1.0),
                loss.value_and_grad(&space.view(), None, 1.0),
            );
            assert!(a.is_finite() && close(a, b), "{}: {a} vs {b}", loss.name());
            // and the gradient is the planar one, with nothing along z
            let (mut ga, mut gb) = (flat.zeros(), space.zeros());
            flat.eval(&*loss, &mut ga, 1.0);
            space.eval(&*loss, &mut gb, 1.0);
            assert_all_close(&gb[0], &embed(&ga[0], 4));
            assert_all_close(&gb[8], &embed(&ga[8], 2));
        }
    }
}

#[test]
fn sum_by_hand() {
    let e = two_step_2d();
    let sum = LossSum::new()
        .with(2.0, PositionL1)
        .unwrap()
        .with(0.5, Speed)
        .unwrap();
    let mut g = e.zeros();
    assert!(close(e.eval(&sum, &mut g, 1.0), 2.0 * 2.0 + 0.5 * 10.0));
    assert_eq!(
        sum.terms(&e.view()),
        vec![("position_l1".into(), 4.0), ("speed".into(), 5.0)]
    );
    let t = 2.0 / 3.0;
    #[rustfmt::skip]
    let want = [-t, -t, 1.0, 4.0 / 3.0,  0.0, t, 1.0 / 3.0, 0.0,  t, -t, 0.0, -2.0 / 3.0];
    assert_all_close(&g[0], &want);
}

fn names_param(r: Result<impl std::fmt::Debug, LossError>, param: &str) {
    let e = r.expect_err("expected an error");
    assert!(
        matches!(e, LossError::Parameter { parameter, .. } if parameter == param),
        "{e:?}"
    );
    assert!(e.to_string().contains(param), "{e}");
}

#[test]
fn bad_parameters_are_rejected() {
    names_param(ClippedPosition::new(-0.01), "radius");
    names_param(ClippedPosition::new(f64::INFINITY), "radius");
    names_param(ActivationL2::new(-1.0), "derivative_weight");
    names_param(HiddenL2::new(f64::NAN), "derivative_weight");
    names_param(LossSum::new().with(f64::NAN, Speed), "weight");
    names_param(LossSum::new().with(-1.0, Speed), "weight");
    names_param(
        loss::build(&[LossConfig::ClippedPosition(ClippedPositionConfig {
            weight: 1.0,
            radius: -1.0,
        })]),
        "radius",
    );
    names_param(
        loss::build(&[LossConfig::Jerk(JerkConfig { weight: f64::NAN })]),
        "weight",
    );
    assert!(ClippedPosition::new(0.0).is_ok() && LossSum::new().with(0.0, Jerk).is_ok());
}

#[test]
fn check_reports_mismatched_lengths() {
    let e = two_step_2d();
    assert_eq!(e.view().check(), Ok(2));
    let length = |mut e: Ep, f: usize, field: &str| {
        e.field(f).push(0.0);
        let err = e.view().check().unwrap_err();
        assert!(
            matches!(&err, LossError::Length { field: got, .. } if got == field),
            "{err:?}"
        );
        assert!(err.to_string().contains(field));
        // Losses do not panic on the bad view: NaN, buffers untouched.
        let mut g = e.filled(1.0);
        for l in all_losses(0.1)
            .into_iter()
            .chain([Box::new(weighted_sum(0.1)) as Box<dyn Loss>])
        {
            assert!(e.eval(l.as_ref(), &mut g, 1.0).is_nan());
        }
        assert!(g.iter().flatten().all(|&x| x == 1.0));
    };
    for (f, name) in [
        "fingertip",
        "activation",
        "hidden",
        "joint",
        "muscle",
        "geometry",
        "excitation",
        "output",
    ]
    .into_iter()
    .enumerate()
    {
        length(e.clone(), f, name);
    }
    let mut bad = e.clone();
    bad.goal.push(0.0);
    assert!(matches!(
        bad.view().check(),
        Err(LossError::Goal {
            len: 7,
            space_dim: 2
        })
    ));
    bad.d = 0;
    assert!(matches!(bad.view().check(), Err(LossError::Goal { .. })));
    let empty = Ep {
        goal: vec![],
        ..e.clone()
    };
    assert!(matches!(
        empty.view().check(),
        Err(LossError::Goal { len: 0, .. })
    ));
    assert!(Jerk.value_and_grad(&empty.view(), None, 1.0).is_nan());
    for dt in [0.0, -0.1, f64::NAN] {
        assert!(matches!(
            Ep { dt, ..e.clone() }.view().check(),
            Err(LossError::Dt(_))
        ));
    }
    // A gradient buffer of the wrong length: reported, and the losses leave the buffers alone.
    for (f, name) in [(2, "grad.hidden"), (4, "grad.muscle"), (7, "grad.output")] {
        let mut g = e.filled(1.0);
        g[f].pop();
        let mut grad = grad_of(&mut g);
        let err = grad.check(&e.view()).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
        for l in all_losses(0.1) {
            assert!(l.value_and_grad(&e.view(), Some(&mut grad), 1.0).is_nan());
        }
        assert!(g.iter().flatten().all(|&x| x == 1.0));
    }
}

fn all_configs() -> Vec<LossConfig> {
    vec![
        LossConfig::PositionL1(PositionL1Config { weight: 1.0 }),
        LossConfig::ClippedPosition(ClippedPositionConfig {
            weight: 0.5,
            radius: 0.01,
        }),
        LossConfig::ActivationL2(ActivationL2Config {
            weight: 0.1,
            derivative_weight: 0.02,
        }),
        LossConfig::HiddenL2(HiddenL2Config {
            weight: 0.3,
            derivative_weight: 0.0,
        }),
        LossConfig::Speed(SpeedConfig { weight: 0.25 }),
        LossConfig::Jerk(JerkConfig { weight: 1e-6 }),
    ]
}

#[test]
fn config_round_trips_and_builds_the_same_losses() {
    let configs = all_configs();
    let json = serde_json::to_string(&configs).unwrap();
    let back: Vec<LossConfig> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, configs);
    let e = two_step_2d();
    let (a, b) = (loss::build(&configs).unwrap(), loss::build(&back).unwrap());
    assert_eq!(a.terms(&e.view()), b.terms(&e.view()));
    // The built sum equals the losses assembled by hand.
    let by_hand = LossSum::new()
        .with(1.0, PositionL1)
        .and_then(|s| s.with(0.5, ClippedPosition::new(0.01)?))
        .and_then(|s| s.with(0.1, ActivationL2::new(0.02)?))
        .and_then(|s| s.with(0.3, HiddenL2::new(0.0)?))
        .and_then(|s| s.with(0.25, Speed))
        .and_then(|s| s.with(1e-6, Jerk))
        .unwrap();
    assert_eq!(a.terms(&e.view()), by_hand.terms(&e.view()));
    let (mut ga, mut gb) = (e.zeros(), e.zeros());
    assert_eq!(e.eval(&a, &mut ga, 1.0), e.eval(&by_hand, &mut gb, 1.0));
    assert_eq!(ga, gb);
}

#[test]
fn config_parses_the_documented_form() {
    let json = r#"[{"kind": "position_l1", "weight": 1.0},
                   {"kind": "clipped_position", "weight": 1, "radius": 0.01},
                   {"kind": "activation_l2"}]"#;
    let configs: Vec<LossConfig> = serde_json::from_str(json).unwrap();
    assert_eq!(
        configs,
        [
            LossConfig::PositionL1(PositionL1Config { weight: 1.0 }),
            LossConfig::ClippedPosition(ClippedPositionConfig {
                weight: 1.0,
                radius: 0.01
            }),
            LossConfig::ActivationL2(ActivationL2Config {
                weight: 1.0,
                derivative_weight: 0.0
            }),
        ]
    );
    assert!(serde_json::from_str::<LossConfig>(r#"{"kind": "clipped_position"}"#).is_err());
    assert!(serde_json::from_str::<LossConfig>(r#"{"kind": "speed", "radius": 1}"#).is_err());
    assert!(serde_json::from_str::<LossConfig>(r#"{"kind": "acceleration"}"#).is_err());
}

#[test]
fn a_single_state_episode_is_valid() {
    // T = 0: one state, no steps, no hidden states; every loss is finite, rate terms are 0.
    let e = ep(
        0.1,
        2,
        &[&[1.0, 2.0, 3.0, 4.0]],
        &[&[0.0, 0.0]],
        &[&[0.5]],
        &[],
    );
    assert_eq!(e.view().check(), Ok(0));
    let values: Vec<f64> = all_losses(0.0)
        .iter()
        .map(|l| e.eval(l.as_ref(), &mut e.zeros(), 1.0))
        .collect();
    let want = [3.0, 5.0f64.sqrt(), 0.25, 0.0, 25.0, 0.0];
    assert!(
        values.iter().zip(want).all(|(v, w)| close(*v, w)),
        "{values:?}"
    );
}
