//! Times each built-in loss's hand-written gradient against its automatic form (`Auto`:
//! reverse mode over the same loss written once over the scalar) on a tutorial-sized episode
//! (T = 100 steps, d = 2, M = 6 muscles with 7 states, H = 32, arm26's dof = 2).
//!
//! `cargo run --release -p motornet-task --example loss_speed`

use motornet_task::loss::{
    ActivationL2, Auto, ClippedPosition, EpisodeGrad, EpisodeView, HiddenL2, Jerk, Loss,
    PositionL1, Speed,
};
use std::time::Instant;

fn main() {
    let (t, d, m, ns, h, dof) = (100usize, 2usize, 6usize, 7usize, 32usize, 2usize);
    let wave = |n: usize, k: f64| -> Vec<f64> { (0..n).map(|i| (i as f64 * k).sin()).collect() };
    let fields = [
        wave((t + 1) * 2 * d, 0.37),
        wave((t + 1) * m, 0.11),
        wave(t * h, 0.13),
        wave((t + 1) * 2 * dof, 0.17),
        wave((t + 1) * m * ns, 0.19),
        wave((t + 1) * (2 + dof) * m, 0.23),
        wave(t * m, 0.29),
        wave(t * m, 0.31),
        wave((t + 1) * d, 0.41),
    ];
    let ep = EpisodeView {
        dt: 0.01,
        space_dim: d,
        fingertip: &fields[0],
        goal: &fields[8],
        activation: &fields[1],
        hidden: &fields[2],
        n_muscles: m,
        hidden_size: h,
        dof,
        n_muscle_states: ns,
        joint: &fields[3],
        muscle: &fields[4],
        geometry: &fields[5],
        excitation: &fields[6],
        output: &fields[7],
    };
    let clipped = ClippedPosition::new(0.01).unwrap();
    let (act, hid) = (ActivationL2::new(0.1).unwrap(), HiddenL2::new(0.1).unwrap());
    let pairs: Vec<(Box<dyn Loss>, Box<dyn Loss>)> = vec![
        (Box::new(PositionL1), Box::new(Auto(PositionL1))),
        (Box::new(clipped), Box::new(Auto(clipped))),
        (Box::new(act), Box::new(Auto(act))),
        (Box::new(hid), Box::new(Auto(hid))),
        (Box::new(Speed), Box::new(Auto(Speed))),
        (Box::new(Jerk), Box::new(Auto(Jerk))),
    ];
    let mut g = fields.clone().map(|f| vec![0.0; f.len()]);
    let reps = 2000;
    for (hand, auto) in &pairs {
        let mut time = |loss: &dyn Loss| {
            let start = Instant::now();
            for _ in 0..reps {
                let [a, b, c, dd, e, f, gg, hh, ii] = &mut g;
                let mut grad = EpisodeGrad {
                    fingertip: a,
                    activation: b,
                    hidden: c,
                    joint: dd,
                    muscle: e,
                    geometry: f,
                    excitation: gg,
                    output: hh,
                    goal: ii,
                };
                std::hint::black_box(loss.value_and_grad(&ep, Some(&mut grad), 1.0));
            }
            start.elapsed().as_secs_f64() / reps as f64 * 1e6
        };
        let (th, ta) = (time(hand.as_ref()), time(auto.as_ref()));
        println!(
            "{:<17} hand-written {th:7.2} µs   automatic {ta:7.2} µs   ({:.1}x) per episode",
            hand.name(),
            ta / th
        );
    }
}
