//! The fused dfdx op and the standalone VJP give the same gradients (1e-10 relative, f64):
//! a tape through reset and T steps, with a loss on an intermediate state (so the state tensor
//! has two users on the tape) and on the final state, against `Effector::rollout_vjp`.

use dfdx::prelude::*;
use motornet_dfdx::{reset, rollout, step, StateLayout};
use motornet_effector::{presets, State};
use std::sync::Arc;

type Mat<T> = Tensor<(usize, usize), f64, Cpu, T>;

fn weights(len: usize, seed: usize) -> Vec<f64> {
    (0..len)
        .map(|i| (((i * 7919 + seed * 104729) % 1000) as f64 / 500.0 - 1.0) * 1e-2)
        .collect()
}

#[test]
fn dfdx_tape_gradients_equal_the_standalone_vjp() {
    let dev = Cpu::default();
    for (name, steps) in [
        ("RigidTendonArm26", 20),
        ("ReluPointMass24", 20),
        ("CompliantTendonArm26", 30),
    ] {
        let arm = Arc::new(presets::spec(name, None).unwrap().build().unwrap());
        let layout = StateLayout::new(&*arm);
        let (b, m, dof) = (3usize, arm.n_muscles(), arm.dof());
        let starts = motornet_effector::batch::random_joint_states(&*arm, b, 5);
        let exc: Vec<Vec<Vec<f64>>> = (0..steps)
            .map(|t| {
                (0..b)
                    .map(|e| {
                        (0..m)
                            .map(|k| 0.2 + 0.5 * (((t * 3 + e * 5 + k * 7) % 11) as f64 / 11.0))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mid = steps / 2;
        let (w_mid, w_end) = (weights(layout.len, 1), weights(layout.len, 2));

        // dfdx: every input a leaf on one tape
        let joint0 = dev.tensor_from_vec(starts.concat(), (b, 2 * dof));
        let u: Vec<_> = exc
            .iter()
            .map(|e| dev.tensor_from_vec(e.concat(), (b, m)))
            .collect();
        let mut s = reset(&arm, joint0.leaky_trace());
        let mut mid_state = None;
        let mut mid_term = None;
        for t in 0..steps {
            s = step(&arm, s, u[t].leaky_trace());
            if t + 1 == mid {
                // keep a handle on this state: it gets a second user below
                let (plain, tape) = s.split_tape();
                mid_state = Some(plain.clone());
                s = plain.put_tape(tape);
            }
            if t == mid {
                // the loss term is recorded *after* the step that consumed the state, so its
                // backward runs first: the step's backward must add to the state's gradient,
                // not overwrite it
                let w = dev.tensor_from_vec(w_mid.repeat(b), (b, layout.len));
                let plain = mid_state.take().unwrap();
                mid_term = Some((plain.retaped::<OwnedTape<f64, Cpu>>() * w).sum::<Rank0, _>());
            }
        }
        let w = dev.tensor_from_vec(w_end.repeat(b), (b, layout.len));
        let loss = (s * w).sum::<Rank0, _>() + mid_term.unwrap();
        let grads = loss.backward();
        let g_joint = grads.get(&joint0).as_vec();
        let g_u: Vec<Vec<f64>> = u.iter().map(|t| grads.get(t).as_vec()).collect();

        // standalone VJP, element by element
        for e in 0..b {
            let exc_e: Vec<Vec<f64>> = exc.iter().map(|x| x[e].clone()).collect();
            let add = |w: &[f64], g: &mut State<f64>| {
                for (k, v) in g.joint.iter_mut().enumerate() {
                    *v += w[layout.joint + k];
                }
                for (k, v) in g.muscle.iter_mut().enumerate() {
                    *v += w[layout.muscle + k];
                }
                for (k, v) in g.geometry.iter_mut().enumerate() {
                    *v += w[layout.geometry + k];
                }
            };
            let r = arm
                .rollout_vjp(&starts[e], &exc_e, None, None, |t, _s, g| {
                    if t == steps {
                        add(&w_end, g);
                    }
                    if t == mid {
                        add(&w_mid, g);
                    }
                })
                .unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * a.abs().max(b.abs()) + 1e-14;
            for k in 0..2 * dof {
                let a = g_joint[e * 2 * dof + k];
                assert!(
                    close(a, r.initial_joint[k]),
                    "{name}: joint0[{e}][{k}]: dfdx {a:e} vs vjp {:e}",
                    r.initial_joint[k]
                );
            }
            for t in 0..steps {
                for k in 0..m {
                    let a = g_u[t][e * m + k];
                    assert!(
                        close(a, r.excitation[t][k]),
                        "{name}: excitation[{t}][{e}][{k}]: dfdx {a:e} vs vjp {:e}",
                        r.excitation[t][k]
                    );
                }
            }
        }
    }
}

#[test]
fn cartesian_op_gradient_equals_the_standalone_vjp() {
    // loss = Σ w · fingertip(position, velocity) after 10 steps, through the cartesian op
    let dev = Cpu::default();
    let arm = Arc::new(
        presets::spec("RigidTendonArm26", None)
            .unwrap()
            .build()
            .unwrap(),
    );
    let start = vec![0.7, 1.1, 0.2, -0.1];
    let exc = vec![vec![0.1, 0.3, 0.2, 0.1, 0.4, 0.2]; 10];
    let w = [1.0, -2.0, 0.5, 0.25];
    let joint0 = dev.tensor_from_vec(start.clone(), (1usize, 4usize));
    let mut s = reset(&arm, joint0.leaky_trace());
    for u in &exc {
        s = step(&arm, s, dev.tensor_from_vec(u.clone(), (1usize, 6usize)));
    }
    let c = motornet_dfdx::cartesian(&arm, s);
    let loss = (c * dev.tensor_from_vec(w.to_vec(), (1usize, 4usize))).sum::<Rank0, _>();
    let g = loss.backward().get(&joint0).as_vec();
    let r = arm
        .rollout_vjp(&start, &exc, None, None, |t, st, grad| {
            if t == 10 {
                for (d, v) in grad.joint.iter_mut().zip(arm.cartesian_vjp(&st.joint, &w)) {
                    *d += v;
                }
            }
        })
        .unwrap();
    for k in 0..4 {
        assert!(
            (g[k] - r.initial_joint[k]).abs() <= 1e-10 * g[k].abs().max(1e-6),
            "{k}: {} vs {}",
            g[k],
            r.initial_joint[k]
        );
    }
    // and the fingertip velocity part really carries gradient
    assert!(g.iter().any(|v| v.abs() > 1e-3));
}

#[test]
fn rollout_op_equals_step_ops() {
    // loss = Σ_t w_t · state_t over every step's state, plus w₀ · (initial state), which gives
    // the initial state a second user on the tape: one rollout op against T step ops, same
    // values and the same gradients
    let dev = Cpu::default();
    for (name, steps) in [
        ("RigidTendonArm26", 15),
        ("ReluPointMass24", 15),
        ("CompliantTendonArm26", 10),
    ] {
        let arm = Arc::new(presets::spec(name, None).unwrap().build().unwrap());
        let layout = StateLayout::new(&*arm);
        let (b, m, n) = (5usize, arm.n_muscles(), layout.len);
        let starts = motornet_effector::batch::random_joint_states(&*arm, b, 9);
        let joint0 = dev.tensor_from_vec(starts.concat(), (b, 2 * arm.dof()));
        // [B, T, M] and [B, T, n], element-major
        let u: Vec<f64> = (0..b * steps * m)
            .map(|i| 0.1 + 0.8 * ((i * 37 % 101) as f64 / 101.0))
            .collect();
        let w = weights(b * steps * n, 3);
        let w0 = dev.tensor_from_vec(weights(b * n, 4), (b, n));
        let at = |v: &[f64], width: usize, e: usize, t: usize| {
            v[(e * steps + t) * width..(e * steps + t + 1) * width].to_vec()
        };
        let initial_term = |s: Mat<OwnedTape<f64, Cpu>>| {
            let (plain, tape) = s.split_tape();
            let term =
                (plain.clone().retaped::<OwnedTape<f64, Cpu>>() * w0.clone()).sum::<Rank0, _>();
            (plain.put_tape(tape), term)
        };

        // T step ops
        let (mut s, mut loss) = initial_term(reset(&arm, joint0.leaky_trace()));
        let mut values = vec![0.0; b * steps * n];
        let mut u_t = Vec::new();
        for t in 0..steps {
            let ut: Vec<f64> = (0..b).flat_map(|e| at(&u, m, e, t)).collect();
            let ut = dev.tensor_from_vec(ut, (b, m));
            s = step(&arm, s, ut.leaky_trace());
            u_t.push(ut);
            let (plain, tape) = s.split_tape();
            let v = plain.as_vec();
            for e in 0..b {
                values[(e * steps + t) * n..(e * steps + t + 1) * n]
                    .copy_from_slice(&v[e * n..(e + 1) * n]);
            }
            let wt: Vec<f64> = (0..b).flat_map(|e| at(&w, n, e, t)).collect();
            let wt = dev.tensor_from_vec(wt, (b, n));
            loss = loss + (plain.clone().put_tape(tape) * wt).sum::<Rank0, _>();
            s = plain.retaped();
        }
        let g = loss.backward();
        let g_joint_steps = g.get(&joint0).as_vec();
        let g_u_steps: Vec<Vec<f64>> = u_t.iter().map(|t| g.get(t).as_vec()).collect();

        // one rollout op
        let u_all = dev.tensor_from_vec(u.clone(), (b, steps, m));
        // the initial-state term is recorded after the rollout, so its backward runs first:
        // the rollout's backward must add to the initial state's gradient, not overwrite it
        let (s0, tape) = reset(&arm, joint0.leaky_trace()).split_tape();
        let states = rollout(&arm, s0.clone().put_tape(tape), u_all.leaky_trace());
        let initial = (s0.retaped::<OwnedTape<f64, Cpu>>() * w0.clone()).sum::<Rank0, _>();
        assert_eq!(states.as_vec(), values, "{name}: rollout values");
        let loss =
            (states * dev.tensor_from_vec(w.clone(), (b, steps, n))).sum::<Rank0, _>() + initial;
        let g = loss.backward();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-15;
        let g_joint = g.get(&joint0).as_vec();
        for (k, (a, b)) in g_joint.iter().zip(&g_joint_steps).enumerate() {
            assert!(
                close(*a, *b),
                "{name}: joint0[{k}]: rollout {a:e} vs steps {b:e}"
            );
        }
        let g_u = g.get(&u_all).as_vec();
        for e in 0..b {
            for t in 0..steps {
                for k in 0..m {
                    let (a, b) = (g_u[(e * steps + t) * m + k], g_u_steps[t][e * m + k]);
                    assert!(
                        close(a, b),
                        "{name}: u[{e}][{t}][{k}]: rollout {a:e} vs steps {b:e}"
                    );
                }
            }
        }
    }
}

/// Regression: the ops read their inputs' raw storage, so a broadcast excitation (one row for
/// the whole batch) used to give the gradient of the first batch element only. The ops now make
/// their inputs contiguous first (dfdx's reshape, with its own backward), so a broadcast input
/// gets the gradient summed over the batch, like an explicit copy per element.
#[test]
fn broadcast_excitation_gets_the_gradient_of_every_element() {
    let dev = Cpu::default();
    let arm = Arc::new(
        presets::spec("RigidTendonArm26", None)
            .unwrap()
            .build()
            .unwrap(),
    );
    let layout = StateLayout::new(&*arm);
    let (b, m) = (4usize, arm.n_muscles());
    let starts = motornet_effector::batch::random_joint_states(&*arm, b, 9);
    let row: Vec<f64> = (0..m).map(|k| 0.1 + 0.05 * k as f64).collect();
    let w = dev.tensor_from_vec(weights(b * layout.len, 3), (b, layout.len));
    let run = |broadcast: bool| {
        let joint0 = dev.tensor_from_vec(starts.concat(), (b, 4usize));
        let u_row = dev.tensor_from_vec(row.clone(), (m,));
        let u_full = dev.tensor_from_vec(row.repeat(b), (b, m));
        let mut s = reset(&arm, joint0.leaky_trace());
        for _ in 0..5 {
            let u: Mat<OwnedTape<f64, Cpu>> = if broadcast {
                u_row.leaky_trace().broadcast_like::<_, Axis<0>>(&(b, m))
            } else {
                u_full.leaky_trace()
            };
            s = step(&arm, s, u);
        }
        let (plain, tape) = s.split_tape();
        let values = plain.as_vec();
        let grads = (plain.put_tape(tape) * w.clone())
            .sum::<Rank0, _>()
            .backward();
        let g = if broadcast {
            grads.get(&u_row).as_vec()
        } else {
            // the explicit copy's gradient, summed over the batch
            let g = grads.get(&u_full).as_vec();
            (0..m).map(|k| (0..b).map(|e| g[e * m + k]).sum()).collect()
        };
        (values, g)
    };
    let (values_b, g_b) = run(true);
    let (values_f, g_f) = run(false);
    assert_eq!(values_b, values_f, "same states either way");
    assert!(g_f.iter().all(|v| v.abs() > 0.0));
    for (k, (a, e)) in g_b.iter().zip(&g_f).enumerate() {
        assert!(
            (a - e).abs() <= 1e-12 * e.abs(),
            "excitation[{k}]: broadcast {a:e} vs summed {e:e}"
        );
    }
}

/// The ops' forward passes simulate four elements at a time on `Lanes<f64, 4>`; their states
/// must be exactly what `Effector::step` gives one element at a time, including the elements of
/// a batch that does not fill its last pack of lanes (B = 6: one full pack and a half one).
#[test]
fn op_states_equal_effector_steps_exactly() {
    let dev = Cpu::default();
    for name in [
        "RigidTendonArm26",
        "CompliantTendonArm26",
        "ReluPointMass24",
    ] {
        let arm = Arc::new(presets::spec(name, None).unwrap().build().unwrap());
        let layout = StateLayout::new(&*arm);
        let (b, m, steps) = (6usize, arm.n_muscles(), 5usize);
        let starts = motornet_effector::batch::random_joint_states(&*arm, b, 11);
        let u_at =
            |e: usize, t: usize, k: usize| 0.1 + 0.8 * (((e * 5 + t * 3 + k) % 7) as f64 / 7.0);
        // one element at a time, plain f64
        let mut want = vec![vec![0.0; b * layout.len]; steps];
        for (e, j) in starts.iter().enumerate() {
            let mut s = arm.zero_state::<f64>();
            let mut ws = arm.workspace::<f64>();
            arm.reset(j, &mut s);
            for (t, w) in want.iter_mut().enumerate() {
                let u: Vec<f64> = (0..m).map(|k| u_at(e, t, k)).collect();
                arm.step(&mut s, &u, &[], &[], &mut ws);
                let row = [&s.joint[..], &s.muscle, &s.geometry].concat();
                w[e * layout.len..(e + 1) * layout.len].copy_from_slice(&row);
            }
        }
        let joint0 = dev.tensor_from_vec(starts.concat(), (b, 2 * arm.dof()));
        // per-step ops
        let mut s = reset(&arm, joint0.clone());
        for (t, w) in want.iter().enumerate() {
            let u = (0..b * m).map(|i| u_at(i / m, t, i % m)).collect();
            s = step(&arm, s, dev.tensor_from_vec(u, (b, m)));
            assert_eq!(&s.as_vec(), w, "{name}: step op, step {t}");
        }
        // one rollout op
        let u_all = (0..b * steps * m)
            .map(|i| u_at(i / (steps * m), (i / m) % steps, i % m))
            .collect();
        let s0 = reset(&arm, joint0);
        let all = rollout(&arm, s0, dev.tensor_from_vec(u_all, (b, steps, m))).as_vec();
        for e in 0..b {
            for (t, w) in want.iter().enumerate() {
                let at = (e * steps + t) * layout.len;
                assert_eq!(
                    &all[at..at + layout.len],
                    &w[e * layout.len..(e + 1) * layout.len],
                    "{name}: rollout op, element {e}, step {t}"
                );
            }
        }
    }
}
