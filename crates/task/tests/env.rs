//! Environment and task behaviour: observation layout, exact delay shifts, noise statistics,
//! go cues and catch trials, centre-out geometry, curl field direction, reproducibility.

use motornet_effector::{presets, DynEffector, State};
use motornet_muscle::MuscleModel;
use motornet_task::*;
use std::sync::Arc;

type Env = Environment<
    motornet_effector::AnySkeleton,
    motornet_muscle::AnyMuscle,
    motornet_effector::AnyGeometry,
>;

fn effector(name: &str) -> Arc<DynEffector> {
    Arc::new(presets::spec(name, None).unwrap().build().unwrap())
}

fn env(name: &str, task: Arc<dyn Task>, config: EnvConfig) -> Env {
    Environment::new(effector(name), task, config).unwrap()
}

/// Deterministic, varied actions for element `e` at step `t`.
fn action(m: usize, e: usize, t: usize) -> Vec<f64> {
    (0..m)
        .map(|k| 0.5 + 0.45 * (0.37 * (t as f64) + 1.3 * k as f64 + 0.7 * e as f64).sin())
        .collect()
}

#[test]
fn observation_layout_and_size_for_each_task() {
    let cfg = EnvConfig::default();
    // ReluPointMass24: 2-D, 4 muscles → goal 2, vision 2, proprioception 8
    let e = env("ReluPointMass24", Arc::new(RandomTargetReach), cfg.clone());
    let l = e.layout();
    assert_eq!(
        (
            l.goal,
            l.go_cue,
            l.vision,
            l.proprioception,
            l.actions,
            l.len
        ),
        (0, None, 2, 4, 12, 12)
    );
    let e = env(
        "ReluPointMass24",
        Arc::new(RandomTargetReachWithLoads {
            magnitude: (1.0, 2.0),
        }),
        cfg.clone(),
    );
    assert_eq!(e.obs_len(), 12);
    // tasks with a go cue carry one more entry, right after the goal
    for task in [
        TaskConfig::default_for("DelayedReach").unwrap(),
        TaskConfig::default_for("CentreOutReach").unwrap(),
    ] {
        let e = env("ReluPointMass24", task.build(), cfg.clone());
        let l = e.layout();
        assert_eq!(
            (l.go_cue, l.vision, l.proprioception, l.len),
            (Some(2), 3, 5, 13)
        );
    }
    // arm26: 6 muscles, two stacked actions
    let e = env(
        "RigidTendonArm26",
        Arc::new(RandomTargetReach),
        EnvConfig {
            action_frame_stacking: 2,
            ..cfg
        },
    );
    let l = e.layout();
    assert_eq!((l.proprioception, l.actions, l.len), (4, 16, 28));
}

#[test]
fn delays_shift_observations_exactly() {
    // vision 3·dt, proprioception 2·dt, two stacked actions, no noise: the observation after
    // step t shows the fingertip of state t − 2, the proprioception of state t − 1 (never
    // before the reset state) and the last two commands
    for name in ["ReluPointMass24", "RigidTendonArm26"] {
        let arm = effector(name);
        let dt = arm.options().timestep;
        let cfg = EnvConfig {
            vision_delay: Some(3.0 * dt),
            proprioception_delay: Some(2.0 * dt),
            action_frame_stacking: 2,
            ..EnvConfig::default()
        };
        let e = Environment::new(arm.clone(), Arc::new(RandomTargetReach), cfg).unwrap();
        let l = e.layout();
        let (m, d) = (arm.n_muscles(), arm.space_dim());
        let mut obs = vec![0.0; l.len];
        let mut ep = e.reset(0, 1, 7, None, &mut obs).unwrap();

        // the same trajectory simulated directly on the effector
        let mut states: Vec<State<f64>> = vec![ep.state.clone()];
        let mut s = ep.state.clone();
        let mut ws = arm.workspace::<f64>();
        let mut noisy = vec![0.0; m];
        let names = arm.muscle().state_names();
        let li = names.iter().position(|n| *n == "muscle length").unwrap();
        let vi = names.iter().position(|n| *n == "muscle velocity").unwrap();
        let ns = names.len();
        let mut actions: Vec<Vec<f64>> = vec![];
        for t in 0..=20 {
            if t > 0 {
                let a = action(m, 0, t);
                e.step(&mut ep, &a, &mut noisy, &mut obs).unwrap();
                assert_eq!(noisy, a, "no action noise");
                arm.step(&mut s, &a, &[], &[], &mut ws);
                states.push(s.clone());
                actions.push(a);
            }
            let sv = &states[t.saturating_sub(2)];
            let mut cart = vec![0.0; 2 * d];
            arm.cartesian(sv, &mut cart);
            assert_eq!(
                &obs[l.vision..l.vision + d],
                &cart[..d],
                "{name}: vision at t={t}"
            );
            let sp = &states[t.saturating_sub(1)];
            for k in 0..m {
                let (l0, vmax) = arm.muscle().proprioception_scale(k);
                let len = sp.muscle[k * ns + li] / l0;
                let vel = sp.muscle[k * ns + vi] / vmax;
                assert_eq!(
                    obs[l.proprioception + k],
                    len,
                    "{name}: length {k} at t={t}"
                );
                assert_eq!(
                    obs[l.proprioception + m + k],
                    vel,
                    "{name}: velocity {k} at t={t}"
                );
            }
            for j in 0..2 {
                // oldest first; zeros before the first steps
                let want = if t + j >= 2 {
                    actions[t + j - 2].clone()
                } else {
                    vec![0.0; m]
                };
                assert_eq!(&obs[l.actions + j * m..l.actions + (j + 1) * m], &want[..]);
            }
            assert_eq!(&obs[..d], &ep.trial.target[..], "goal");
        }
    }
}

#[test]
fn a_delay_that_is_not_a_multiple_of_dt_is_an_error_naming_it() {
    let arm = effector("ReluPointMass24");
    for (cfg, field) in [
        (
            EnvConfig {
                vision_delay: Some(0.025),
                ..EnvConfig::default()
            },
            "vision_delay",
        ),
        (
            EnvConfig {
                proprioception_delay: Some(0.005),
                ..EnvConfig::default()
            },
            "proprioception_delay",
        ),
        (
            EnvConfig {
                action_noise: -0.1,
                ..EnvConfig::default()
            },
            "action_noise",
        ),
        (
            EnvConfig {
                obs_noise: NoiseStd::PerEntry(vec![0.1; 3]),
                ..EnvConfig::default()
            },
            "obs_noise",
        ),
        (
            EnvConfig {
                max_ep_duration: f64::NAN,
                ..EnvConfig::default()
            },
            "max_ep_duration",
        ),
    ] {
        let err = Environment::new(arm.clone(), Arc::new(RandomTargetReach), cfg)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(field), "{err}");
    }
    // a whole multiple is fine, and sets the buffer length
    let e = Environment::new(
        arm,
        Arc::new(RandomTargetReach),
        EnvConfig {
            vision_delay: Some(0.05),
            ..EnvConfig::default()
        },
    )
    .unwrap();
    assert_eq!(e.delays(), (5, 1));
}

/// Issue 14: `max_ep_duration` 1e9 or 1e4, `proprioception_delay` 1e7 and
/// `action_frame_stacking` 1e9 aborted the program on allocation; each is now an error naming
/// the field and the limit, before anything is allocated.
#[test]
fn huge_episode_sizes_are_errors_naming_the_field_and_the_limit() {
    let arm = effector("ReluPointMass24");
    for (cfg, field, words) in [
        (
            EnvConfig {
                max_ep_duration: 1e9,
                ..EnvConfig::default()
            },
            "max_ep_duration",
            "at most 1000000 steps",
        ),
        (
            EnvConfig {
                max_ep_duration: 1e5,
                ..EnvConfig::default()
            },
            "max_ep_duration",
            "at most 1000000 steps",
        ),
        (
            EnvConfig {
                proprioception_delay: Some(1e7),
                ..EnvConfig::default()
            },
            "proprioception_delay",
            "longer than any episode",
        ),
        (
            EnvConfig {
                vision_delay: Some(2.0),
                ..EnvConfig::default()
            },
            "vision_delay",
            "longer than the episode (100 steps",
        ),
        (
            EnvConfig {
                action_frame_stacking: 1_000_000_000,
                ..EnvConfig::default()
            },
            "action_frame_stacking",
            "more than the episode's 100 steps",
        ),
    ] {
        let err = Environment::new(arm.clone(), Arc::new(RandomTargetReach), cfg)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(field) && err.contains(words), "{err}");
    }
    // the limits themselves are fine: a delay of the whole episode, as many stacked actions
    let e = Environment::new(
        arm,
        Arc::new(RandomTargetReach),
        EnvConfig {
            vision_delay: Some(1.0),
            action_frame_stacking: 100,
            ..EnvConfig::default()
        },
    )
    .unwrap();
    assert_eq!(e.delays(), (100, 1));
}

/// Mean and standard deviation of samples.
fn stats(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn noise_has_the_configured_mean_and_standard_deviation() {
    // one process, noise on; another, same seed, noise off: differences are the noise
    let (sa, so, sv, sp) = (0.05, 0.02, 0.01, 0.03);
    let noisy_cfg = EnvConfig {
        action_noise: sa,
        obs_noise: NoiseStd::Same(so),
        ..EnvConfig::default()
    };
    let e = env("ReluPointMass24", Arc::new(RandomTargetReach), noisy_cfg);
    let l = e.layout();
    let m = 4;
    let (mut d_action, mut d_obs) = (vec![], vec![]);
    let mut obs = vec![0.0; l.len];
    let mut noisy = vec![0.0; m];
    for el in 0..200 {
        let mut ep = e.reset(el, 200, 3, None, &mut obs).unwrap();
        for t in 0..10 {
            let a = action(m, el, t);
            e.step(&mut ep, &a, &mut noisy, &mut obs).unwrap();
            d_action.extend(noisy.iter().zip(&a).map(|(n, a)| n - a));
            // the goal is noiseless
            assert_eq!(&obs[..2], &ep.trial.target[..]);
            // noiseless vision is the fingertip now (no delay): the difference is obs noise
            d_obs.extend((0..2).map(|k| obs[l.vision + k] - ep.fingertip()[k]));
        }
    }
    let (mean, std) = stats(&d_action);
    let n = d_action.len() as f64;
    assert!(mean.abs() < 4.0 * sa / n.sqrt(), "action noise mean {mean}");
    assert!((std / sa - 1.0).abs() < 0.05, "action noise std {std}");
    let (mean, std) = stats(&d_obs);
    let n = d_obs.len() as f64;
    assert!(mean.abs() < 4.0 * so / n.sqrt(), "obs noise mean {mean}");
    assert!((std / so - 1.0).abs() < 0.06, "obs noise std {std}");

    // vision and proprioception noise, no observation noise: vision minus the fingertip
    let e = env(
        "ReluPointMass24",
        Arc::new(RandomTargetReach),
        EnvConfig {
            vision_noise: sv,
            proprioception_noise: sp,
            ..EnvConfig::default()
        },
    );
    let (mut d_vis, mut d_prop) = (vec![], vec![]);
    let mut prop = vec![0.0; 8];
    for el in 0..300 {
        let mut ep = e.reset(el, 300, 4, None, &mut obs).unwrap();
        for t in 0..5 {
            e.step(&mut ep, &action(m, el, t), &mut noisy, &mut obs)
                .unwrap();
            d_vis.extend((0..2).map(|k| obs[l.vision + k] - ep.fingertip()[k]));
            e.proprioception(&ep.state, &mut prop);
            d_prop.extend((0..8).map(|k| obs[l.proprioception + k] - prop[k]));
        }
    }
    for (d, s, what) in [(&d_vis, sv, "vision"), (&d_prop, sp, "proprioception")] {
        let (mean, std) = stats(d);
        let n = d.len() as f64;
        assert!(mean.abs() < 4.0 * s / n.sqrt(), "{what} noise mean {mean}");
        assert!((std / s - 1.0).abs() < 0.06, "{what} noise std {std}");
    }
}

#[test]
fn go_cue_timing_and_catch_trials() {
    let task = DelayedReach {
        cue_range: (0.1, 0.3),
        catch_probability: 0.25,
    };
    let e = env("ReluPointMass24", Arc::new(task), EnvConfig::default());
    let l = e.layout();
    let cue_at = l.go_cue.unwrap();
    let mut obs = vec![0.0; l.len];
    let mut noisy = vec![0.0; 4];
    let (mut catches, n) = (0, 800);
    let mut cues = vec![];
    for el in 0..n {
        let mut ep = e.reset(el, n, 11, None, &mut obs).unwrap();
        match ep.trial.go_cue {
            None => catches += 1,
            Some(c) => {
                assert!((10..=30).contains(&c), "cue step {c}");
                cues.push(c);
            }
        }
        if el < 40 {
            // walk the episode: cue entry and goal switch exactly at the cue
            for t in 0..=35 {
                if t > 0 {
                    e.step(&mut ep, &[0.0; 4], &mut noisy, &mut obs).unwrap();
                }
                let cued = ep.trial.go_cue.is_some_and(|c| t >= c);
                assert_eq!(obs[cue_at], if cued { 1.0 } else { 0.0 }, "t={t}");
                assert_eq!(
                    &obs[..2],
                    &ep.trial.target[..],
                    "the target is shown throughout"
                );
                let want = if cued { &ep.trial.target } else { &ep.start };
                assert_eq!(e.goal(&ep, t), &want[..]);
            }
        }
    }
    let p = catches as f64 / n as f64;
    let sd = (0.25 * 0.75 / n as f64).sqrt();
    assert!((p - 0.25).abs() < 4.0 * sd, "catch fraction {p}");
    // cues cover the range
    assert!(cues.iter().min().unwrap() <= &12 && cues.iter().max().unwrap() >= &28);
}

#[test]
fn centre_out_targets_are_at_the_right_angles_and_radius() {
    for name in ["RigidTendonArm26", "ReluPointMass24"] {
        let task = CentreOutReach::validation(8, 0.1);
        let e = env(name, Arc::new(task.clone()), EnvConfig::default());
        let mut obs = vec![0.0; e.obs_len()];
        let centre_joint = task.centre_joint(&e.effector().options().bounds);
        for el in 0..16 {
            let ep = e.reset(el, 16, 0, None, &mut obs).unwrap();
            assert_eq!(ep.trial.initial_joint, centre_joint);
            let angle = 2.0 * std::f64::consts::PI * (el % 8) as f64 / 8.0;
            let (dx, dy) = (
                ep.trial.target[0] - ep.start[0],
                ep.trial.target[1] - ep.start[1],
            );
            assert!(
                ((dx * dx + dy * dy).sqrt() - 0.1).abs() < 1e-12,
                "{name} radius"
            );
            assert!(
                (dx - 0.1 * angle.cos()).abs() < 1e-12 && (dy - 0.1 * angle.sin()).abs() < 1e-12
            );
            assert_eq!(ep.trial.go_cue, Some(0));
        }
    }
}

#[test]
fn curl_field_is_perpendicular_to_velocity_with_the_configured_sign() {
    for k in [15.0, -8.0] {
        let cfg = EnvConfig {
            curl_field: Some(CurlField {
                strength: k,
                probability: 1.0,
            }),
            ..EnvConfig::default()
        };
        let e = env("ReluPointMass24", Arc::new(RandomTargetReach), cfg);
        let mut obs = vec![0.0; e.obs_len()];
        let mut noisy = vec![0.0; 4];
        let mut ep = e.reset(0, 1, 5, None, &mut obs).unwrap();
        let mut load = vec![];
        let mut moving = 0;
        for t in 0..20 {
            e.step(&mut ep, &action(4, 0, t), &mut noisy, &mut obs)
                .unwrap();
            e.endpoint_load(&ep, &mut load);
            let v = &ep.fingertip()[2..4];
            moving += usize::from(v[0].abs() + v[1].abs() > 1e-6);
            let dot = load[0] * v[0] + load[1] * v[1];
            assert!(dot.abs() < 1e-12 * (1.0 + k.abs()), "perpendicular: {dot}");
            // k·[[0, 1], [−1, 0]]·v: moving along +x with k > 0 pushes along −y
            assert!((load[0] - k * v[1]).abs() < 1e-12 && (load[1] + k * v[0]).abs() < 1e-12);
        }
        assert!(moving >= 15, "the point mass moves ({moving} of 20 steps)");
    }
    // the field changes the movement, and is on in about `probability` of the trials
    let cfg = |p| EnvConfig {
        curl_field: Some(CurlField {
            strength: 20.0,
            probability: p,
        }),
        ..EnvConfig::default()
    };
    let (on, off) = (
        env("ReluPointMass24", Arc::new(RandomTargetReach), cfg(1.0)),
        env(
            "ReluPointMass24",
            Arc::new(RandomTargetReach),
            EnvConfig::default(),
        ),
    );
    let mut obs = vec![0.0; 12];
    let mut noisy = vec![0.0; 4];
    let (mut a, mut b) = (
        on.reset(0, 1, 9, None, &mut obs).unwrap(),
        off.reset(0, 1, 9, None, &mut obs).unwrap(),
    );
    for t in 0..30 {
        on.step(&mut a, &action(4, 0, t), &mut noisy, &mut obs)
            .unwrap();
        off.step(&mut b, &action(4, 0, t), &mut noisy, &mut obs)
            .unwrap();
    }
    assert!(
        (a.fingertip()[0] - b.fingertip()[0]).abs() + (a.fingertip()[1] - b.fingertip()[1]).abs()
            > 1e-4
    );
    let half = env("ReluPointMass24", Arc::new(RandomTargetReach), cfg(0.3));
    let n = 1000;
    let count = (0..n)
        .filter(|&i| half.reset(i, n, 2, None, &mut obs).unwrap().curl_on)
        .count();
    let p = count as f64 / n as f64;
    assert!(
        (p - 0.3).abs() < 4.0 * (0.21f64 / n as f64).sqrt(),
        "curl on in {p}"
    );
    // a curl field needs a planar effector; probabilities must be in [0, 1]
    let bad = Environment::new(
        effector("ReluPointMass24"),
        Arc::new(RandomTargetReach),
        cfg(1.5),
    );
    assert!(bad
        .err()
        .unwrap()
        .to_string()
        .contains("curl_field.probability"));
}

#[test]
fn loads_task_draws_loads_in_range_and_the_effector_feels_them() {
    let e = env(
        "ReluPointMass24",
        Arc::new(RandomTargetReachWithLoads {
            magnitude: (2.0, 4.0),
        }),
        EnvConfig::default(),
    );
    let plain = env(
        "ReluPointMass24",
        Arc::new(RandomTargetReach),
        EnvConfig::default(),
    );
    let mut obs = vec![0.0; 12];
    let mut noisy = vec![0.0; 4];
    for el in 0..50 {
        let mut ep = e.reset(el, 50, 1, None, &mut obs).unwrap();
        let size = ep
            .trial
            .endpoint_load
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        assert!((2.0..=4.0).contains(&size), "{size}");
        if el == 0 {
            let mut q = plain
                .reset(el, 50, 1, Some(&ep.trial.initial_joint), &mut obs)
                .unwrap();
            for t in 0..10 {
                e.step(&mut ep, &action(4, 0, t), &mut noisy, &mut obs)
                    .unwrap();
                plain
                    .step(&mut q, &action(4, 0, t), &mut noisy, &mut obs)
                    .unwrap();
            }
            assert!((ep.fingertip()[0] - q.fingertip()[0]).abs() > 1e-5);
        }
    }
}

#[test]
fn episodes_are_reproducible_and_independent_of_batch_size() {
    let cfg = EnvConfig {
        action_noise: 0.1,
        obs_noise: NoiseStd::Same(0.01),
        vision_noise: 0.01,
        ..EnvConfig::default()
    };
    let e = env("RigidTendonArm26", Arc::new(RandomTargetReach), cfg);
    let run = |el: usize, batch: usize, seed: u64| {
        let mut obs = vec![0.0; e.obs_len()];
        let mut noisy = vec![0.0; 6];
        let mut ep = e.reset(el, batch, seed, None, &mut obs).unwrap();
        let mut all = obs.clone();
        for t in 0..10 {
            e.step(&mut ep, &action(6, el, t), &mut noisy, &mut obs)
                .unwrap();
            all.extend(&obs);
        }
        all
    };
    assert_eq!(run(3, 8, 42), run(3, 8, 42));
    assert_eq!(
        run(3, 8, 42),
        run(3, 64, 42),
        "element 3 does not depend on the batch size"
    );
    assert_ne!(run(3, 8, 42), run(3, 8, 43));
    assert_ne!(run(3, 8, 42), run(4, 8, 42));
}

#[test]
fn fixed_initial_state_and_episode_length() {
    let e = env(
        "RigidTendonArm26",
        Arc::new(RandomTargetReach),
        EnvConfig::default(),
    );
    let mut obs = vec![0.0; e.obs_len()];
    let q0 = [0.8, 1.4, 0.0, 0.0];
    let mut ep = e.reset(0, 1, 0, Some(&q0), &mut obs).unwrap();
    assert_eq!(ep.trial.initial_joint, q0);
    assert_eq!(&ep.state.joint[..], &q0[..]);
    let mut noisy = vec![0.0; 6];
    let mut steps = 0;
    while !e.step(&mut ep, &[0.0; 6], &mut noisy, &mut obs).unwrap() {
        steps += 1;
    }
    assert_eq!(steps + 1, e.steps());
    assert_eq!(e.steps(), 100, "1 s at 10 ms");
    // bad inputs are errors, not panics
    assert!(e.step(&mut ep, &[0.0; 5], &mut noisy, &mut obs).is_err());
    assert!(e
        .step(&mut ep, &[f64::NAN; 6], &mut noisy, &mut obs)
        .is_err());
    let err = e
        .reset(0, 1, 0, Some(&[9.0, 9.0, 0.0, 0.0]), &mut obs)
        .err()
        .unwrap();
    assert!(err.to_string().contains("initial joint state"), "{err}");
}

#[test]
fn batch_api_equals_element_by_element() {
    let cfg = EnvConfig {
        action_noise: 0.05,
        vision_noise: 0.01,
        ..EnvConfig::default()
    };
    let e = env("RigidTendonArm26", Arc::new(RandomTargetReach), cfg);
    let (b, m, n) = (4, 6, e.obs_len());
    let mut batch = e.reset_batch(b, 21, None).unwrap();
    let mut obs = vec![0.0; n];
    let mut eps: Vec<Episode> = (0..b)
        .map(|i| e.reset(i, b, 21, None, &mut obs).unwrap())
        .collect();
    let mut noisy = vec![0.0; m];
    for t in 0..5 {
        let actions: Vec<f64> = (0..b).flat_map(|i| action(m, i, t)).collect();
        e.step_batch(&mut batch, &actions).unwrap();
        for (i, ep) in eps.iter_mut().enumerate() {
            e.step(ep, &action(m, i, t), &mut noisy, &mut obs).unwrap();
            assert_eq!(&batch.obs[i * n..(i + 1) * n], &obs[..]);
            assert_eq!(&batch.noisy_action[i * m..(i + 1) * m], &noisy[..]);
        }
    }
    assert!(e.step_batch(&mut batch, &[0.0; 5]).is_err());
    assert!(e.reset_batch(0, 1, None).is_err());
    assert!(e
        .reset_batch(3, 1, Some(&vec![vec![0.8, 1.2, 0.0, 0.0]; 2]))
        .is_err());
    let fixed = e
        .reset_batch(3, 1, Some(&[vec![0.8, 1.2, 0.0, 0.0]]))
        .unwrap();
    assert!(fixed
        .episodes
        .iter()
        .all(|ep| ep.trial.initial_joint == [0.8, 1.2, 0.0, 0.0]));
}

#[test]
fn centre_out_training_mixes_in_centre_out_reaches_at_the_asked_fraction() {
    let training = |f: f64| CentreOutReach {
        mode: CentreOutMode::Training {
            cue_range: (0.1, 0.3),
            catch_probability: 0.25,
            centre_out_fraction: f,
        },
        ..CentreOutReach::validation(8, 0.1)
    };
    let arm = "RigidTendonArm26";
    let n = 400;
    for f in [0.0, 0.3, 1.0] {
        let task = training(f);
        let e = env(arm, Arc::new(task.clone()), EnvConfig::default());
        let centre = task.centre_joint(&e.effector().options().bounds);
        let mut obs = vec![0.0; e.obs_len()];
        let (mut centre_out, mut angles, mut catches) = (0, std::collections::BTreeSet::new(), 0);
        for el in 0..n {
            let ep = e.reset(el, n, 3, None, &mut obs).unwrap();
            if ep.trial.initial_joint != centre {
                continue;
            }
            centre_out += 1;
            let (dx, dy) = (
                ep.trial.target[0] - ep.start[0],
                ep.trial.target[1] - ep.start[1],
            );
            assert!(((dx * dx + dy * dy).sqrt() - 0.1).abs() < 1e-12);
            let k = (dy.atan2(dx) / (std::f64::consts::PI / 4.0)).round();
            assert!((dy.atan2(dx) - k * std::f64::consts::PI / 4.0).abs() < 1e-9);
            angles.insert(k as i64);
            match ep.trial.go_cue {
                Some(c) => assert!((10..=30).contains(&c), "cue step {c}"),
                None => catches += 1,
            }
        }
        let p = centre_out as f64 / n as f64;
        let sd = (f * (1.0 - f) / n as f64).sqrt();
        assert!((p - f).abs() <= 4.0 * sd + 1e-12, "fraction {p}, asked {f}");
        if f == 1.0 {
            assert_eq!(angles.len(), 8, "every target drawn: {angles:?}");
            let q = catches as f64 / n as f64;
            assert!(
                (q - 0.25).abs() < 4.0 * (0.25f64 * 0.75 / n as f64).sqrt(),
                "{q}"
            );
        }
    }
    // without centre-out trials the draws are those of a delayed reach, as before
    let e0 = env(arm, Arc::new(training(0.0)), EnvConfig::default());
    let delayed = DelayedReach {
        cue_range: (0.1, 0.3),
        catch_probability: 0.25,
    };
    let e1 = env(arm, Arc::new(delayed), EnvConfig::default());
    let mut obs = vec![0.0; e0.obs_len()];
    for el in 0..20 {
        let a = e0.reset(el, 20, 9, None, &mut obs).unwrap().trial;
        let b = e1.reset(el, 20, 9, None, &mut obs).unwrap().trial;
        assert_eq!(
            (a.initial_joint, a.target, a.go_cue),
            (b.initial_joint, b.target, b.go_cue)
        );
    }
    // a fraction outside [0, 1] is an error naming it
    let e = env(arm, Arc::new(training(1.5)), EnvConfig::default());
    let err = e.reset(0, 1, 0, None, &mut obs).unwrap_err().to_string();
    assert!(err.contains("centre_out_fraction"), "{err}");
}

#[test]
fn noiseless_and_with_curl_field_change_only_what_they_name() {
    let c = EnvConfig {
        action_noise: 0.01,
        obs_noise: NoiseStd::Same(0.02),
        proprioception_noise: 0.001,
        vision_noise: 0.003,
        vision_delay: Some(0.07),
        curl_field: Some(CurlField {
            strength: -4.0,
            probability: 0.5,
        }),
        ..EnvConfig::default()
    };
    let quiet = c.noiseless();
    assert_eq!(
        (
            quiet.action_noise,
            quiet.proprioception_noise,
            quiet.vision_noise
        ),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(quiet.obs_noise, NoiseStd::Same(0.0));
    assert_eq!(
        (quiet.vision_delay, quiet.curl_field),
        (c.vision_delay, c.curl_field)
    );
    let field = c.with_curl_field(10.0);
    let want = CurlField {
        strength: 10.0,
        probability: 1.0,
    };
    assert_eq!(field.curl_field, Some(want));
    assert_eq!(field.action_noise, 0.01);
    assert_eq!(c.with_curl_field(0.0).curl_field, None);
}

/// A 3-D point mass (1 kg, bounds ±1 m) pulled by six 500 N ReLU muscles anchored 2 m out on
/// each axis: the spec of `crates/motornet/tests/data/point_mass_3d.json`, or with `space_dim`
/// other than 3 a point mass of that dimension with two muscles per axis.
fn point_mass(space_dim: usize) -> Arc<DynEffector> {
    let axes: Vec<(String, Vec<f64>)> = (0..space_dim)
        .flat_map(|k| {
            [1.0, -1.0].map(|s| {
                let mut c = vec![0.0; space_dim];
                c[k] = 2.0 * s;
                (format!("m{k}{}", if s > 0.0 { "p" } else { "n" }), c)
            })
        })
        .collect();
    let muscles: Vec<String> = axes
        .iter()
        .map(|(n, _)| format!(r#"{{"name": "{n}", "max_isometric_force": 500}}"#))
        .collect();
    let paths: Vec<String> = axes
        .iter()
        .map(|(n, c)| {
            format!(
                r#""{n}": {{"fixation_body": [0, 1], "coordinates": [{c:?}, {:?}]}}"#,
                vec![0.0; space_dim]
            )
        })
        .collect();
    let ones = |v: f64| format!("{:?}", vec![v; space_dim]);
    let json = format!(
        r#"{{"skeleton": {{"type": "PointMass", "space_dim": {space_dim}, "mass": 1.0}},
            "muscle": {{"type": "ReluMuscle"}}, "muscles": [{}],
            "geometry": {{"type": "paths", "paths": {{{}}}}},
            "timestep": 0.01, "damping": 0.0,
            "pos_lower_bound": {}, "pos_upper_bound": {},
            "vel_lower_bound": {}, "vel_upper_bound": {}}}"#,
        muscles.join(", "),
        paths.join(", "),
        ones(-1.0),
        ones(1.0),
        ones(-1000.0),
        ones(1000.0)
    );
    let spec = motornet_effector::EffectorSpec::from_json(&json).unwrap();
    Arc::new(spec.build().unwrap())
}

#[test]
fn centre_out_targets_in_3d_cover_the_sphere_evenly() {
    let arm = point_mass(3);
    assert_eq!((arm.space_dim(), arm.n_muscles()), (3, 6));
    let radius = 0.1;
    for n in [1usize, 2, 6, 8, 26] {
        let task = CentreOutReach::validation(n, radius);
        let e =
            Environment::new(arm.clone(), Arc::new(task.clone()), EnvConfig::default()).unwrap();
        let mut obs = vec![0.0; e.obs_len()];
        let centre = task.centre_joint(&arm.options().bounds);
        let mut offsets: Vec<[f64; 3]> = vec![];
        for el in 0..2 * n {
            let ep = e.reset(el, 2 * n, 0, None, &mut obs).unwrap();
            assert_eq!(ep.trial.initial_joint, centre);
            assert_eq!(ep.start, [0.0; 3], "the middle of the bounds");
            assert_eq!(ep.trial.go_cue, Some(0));
            let o = [0, 1, 2].map(|k| ep.trial.target[k] - ep.start[k]);
            let norm = o.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - radius).abs() < 1e-12, "n {n}: |{o:?}| = {norm}");
            if el < n {
                offsets.push(o);
            } else {
                // element i reaches to target i mod n
                assert_eq!(o, offsets[el - n]);
            }
        }
        if n == 1 {
            assert_eq!(offsets[0], [radius, 0.0, 0.0]);
            continue;
        }
        // heights evenly spaced 2r/n apart, symmetric about 0 (equal areas on the sphere)
        let mut z: Vec<f64> = offsets.iter().map(|o| o[2]).collect();
        z.sort_by(f64::total_cmp);
        for w in z.windows(2) {
            assert!(
                (w[1] - w[0] - 2.0 * radius / n as f64).abs() < 1e-12,
                "{z:?}"
            );
        }
        assert!((z[0] + z[n - 1]).abs() < 1e-12, "{z:?}");
        // no two targets close together: at least 0.75 of the spacing of n equal areas
        let spacing = radius * (4.0 * std::f64::consts::PI / n as f64).sqrt();
        for (i, a) in offsets.iter().enumerate() {
            for b in &offsets[i + 1..] {
                let d = (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>().sqrt();
                assert!(d > 0.75 * spacing, "n {n}: {a:?} and {b:?} are {d} apart");
            }
        }
        // balanced: from 6 targets on, their mean is within 5 % of the radius of the centre
        if n >= 6 {
            let mean = [0, 1, 2].map(|k| offsets.iter().map(|o| o[k]).sum::<f64>() / n as f64);
            let m = mean.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(m < 0.05 * radius, "n {n}: mean {mean:?}");
        }
    }
}

#[test]
fn planar_centre_out_targets_are_those_of_target_offset_bit_for_bit() {
    // the 2-D rule, as it was before 3-D targets existed: angle 2πk/n from +x
    let task = CentreOutReach::validation(8, 0.1);
    for k in 0..8 {
        let angle = 2.0 * std::f64::consts::PI * k as f64 / 8.0;
        assert_eq!(
            task.target_offset(2, k).unwrap(),
            [0.1 * angle.cos(), 0.1 * angle.sin()]
        );
    }
    assert!(task.target_offset(2, 8).is_err());
}

#[test]
fn centre_out_outside_2d_and_3d_is_a_clear_error() {
    for d in [1, 4] {
        let e = Environment::new(
            point_mass(d),
            Arc::new(CentreOutReach::validation(8, 0.1)),
            EnvConfig::default(),
        );
        // the environment checks a trial when it is built, or the first reset does
        let msg = match e {
            Err(err) => err.to_string(),
            Ok(env) => {
                let mut obs = vec![0.0; env.obs_len()];
                env.reset(0, 1, 0, None, &mut obs).unwrap_err().to_string()
            }
        };
        assert!(
            msg.contains(&format!("space_dim {d}")) && msg.contains("sphere"),
            "{msg}"
        );
    }
}

#[test]
fn every_built_in_task_draws_and_steps_in_3d() {
    let arm = point_mass(3);
    let (lo, hi) = (-1.0, 1.0);
    let training = CentreOutReach {
        mode: CentreOutMode::Training {
            cue_range: (0.1, 0.3),
            catch_probability: 0.25,
            centre_out_fraction: 0.5,
        },
        ..CentreOutReach::validation(8, 0.1)
    };
    // (task, whether about half its trials are centre-out reaches to the sphere)
    let tasks: Vec<(TaskConfig, bool)> = TaskConfig::NAMES
        .iter()
        .map(|n| (TaskConfig::default_for(n).unwrap(), false))
        .chain([(training.into(), true)])
        .collect();
    for (task, half_centre_out) in tasks {
        let name = task.name();
        let t = task.build();
        let e = Environment::new(arm.clone(), t.clone(), EnvConfig::default()).unwrap();
        // goal 3 (+ cue), vision 3, proprioception 2·6, stacked actions 0
        let l = e.layout();
        assert_eq!(l.len, 3 + usize::from(t.go_cue()) + 3 + 12, "{name}");
        let mut obs = vec![0.0; e.obs_len()];
        let mut noisy = vec![0.0; 6];
        let mut sphere = 0;
        for el in 0..40 {
            let mut ep = e.reset(el, 40, 11, None, &mut obs).unwrap();
            let tr = &ep.trial;
            assert_eq!(tr.target.len(), 3, "{name}");
            assert!(
                tr.target.iter().all(|x| (lo..=hi).contains(x)),
                "{name}: {:?}",
                tr.target
            );
            let off: f64 = (0..3).map(|k| (tr.target[k] - ep.start[k]).powi(2)).sum();
            if (off.sqrt() - 0.1).abs() < 1e-12 {
                sphere += 1;
            }
            if !tr.endpoint_load.is_empty() {
                let f = tr.endpoint_load.iter().map(|v| v * v).sum::<f64>().sqrt();
                assert_eq!(tr.endpoint_load.len(), 3);
                assert!((0.0..=5.0).contains(&f), "{name}: load {f} N");
            }
            for t in 0..5 {
                e.step(&mut ep, &action(6, el, t), &mut noisy, &mut obs)
                    .unwrap();
            }
            assert!(obs.iter().all(|v| v.is_finite()), "{name}");
        }
        if half_centre_out {
            // about half the trials (4 sd: 20 ± 12) reach from the centre to the sphere
            assert!((8..=32).contains(&sphere), "{name}: {sphere} of 40");
        } else {
            assert_eq!(sphere, 0, "{name}");
        }
    }
}
