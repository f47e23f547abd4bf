//! A downstream user's own parts, trained through motornet's public API:
//!
//! - a muscle model ([`Strap`]: first-order activation, a Gaussian force–length curve), checked
//!   with the library's muscle conformance suite;
//! - a skeleton ([`Pendulum`]: a rod swinging under gravity) and a geometry ([`Pulleys`]: two
//!   antagonist muscles on a pulley), the skeleton checked with the skeleton conformance suite;
//! - a network ([`Elman`]: an Elman RNN written in dfdx ops, gradients by dfdx's autodiff),
//!   checked with the policy gradient check;
//! - a loss term ([`ReachCost`]: squared distance to the goal plus a muscle-force penalty,
//!   written once over the scalar, gradient by reverse mode);
//! - a task ([`SwingTo`]: swing to a random angle; step logic pushes the rod with a brief
//!   velocity-dependent joint load mid-trial and shows a cue while it lasts).
//!
//! It trains, saves a checkpoint halfway, resumes from it in a new trainer, evaluates, checks
//! the closed loop's gradient against finite differences, and ends with one line:
//! `downstream: loss_first=<x> loss_last=<y> resumed=<bit-exact|differs> grad_check=<max rel err>
//! tree_grad_check=<max rel err>`.
//!
//! It also builds a 3-D arm in code ([`tree_arm_check`]: a two-body [`KinematicTree`], two
//! [`MujocoMuscle`]s on [`SpatialTendons`], one wrapping around a cylinder), steps it and
//! checks its rollout gradients (`tree_grad_check`: the larger of the errors against forward
//! mode and finite differences).

use motornet::effector::{
    check_gradients, Effector, EffectorError, EffectorOptions, Geometry, Integration, PathPoint,
    SpatialTendons, TendonElement, WrapShape,
};
use motornet::muscle::{ActivationDynamics, MujocoMuscle, MujocoMuscleParams, MuscleModel, Scalar};
use motornet::policy::{init, ParamLayout, Policy, Real};
// dfdx's prelude with the crate's faster ops (`linear`, `sigmoid`, `tanh`, ...) over it
use motornet::policy_dfdx::prelude::*;
use motornet::skeleton::{
    GeomMass, Inertial, JointBounds, KinematicTree, Skeleton, TreeBody, TreeJoint,
};
use motornet::task::loss::{Auto, EpisodeValues, Fields, LossSum, LossTerm};
use motornet::task::step::{DynStepLogic, StepContext, StepEffects, StepLogic};
use motornet::task::{EnvConfig, Environment, Task, TaskError, Trial, TrialContext};
use motornet::train::rand::rngs::StdRng;
use motornet::train::rand::{Rng, SeedableRng};
use motornet::train::{EpisodeRunner, LrPlan, LrSchedule, Trainer, TrainerConfig};
use std::error::Error;
use std::sync::Arc;

// ---------------------------------------------------------------- muscle model

/// A muscle whose force is activation × max force × a Gaussian force–length curve of its
/// musculotendon length: force = a · f_max · exp(−((len/l_opt − 1)/0.45)²) (N).
#[derive(Debug, Clone)]
struct Strap {
    act: ActivationDynamics,
    f_max: Vec<f64>,
    l_opt: Vec<f64>,
}

impl MuscleModel for Strap {
    fn name(&self) -> &'static str {
        "Strap"
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["activation", "tension"]
    }
    fn n_derivatives(&self) -> usize {
        1
    }
    fn n_muscles(&self) -> usize {
        self.f_max.len()
    }
    fn muscle_name(&self, m: usize) -> &str {
        ["flexor", "extensor"][m.min(1)]
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.act
    }
    fn max_isometric_force(&self, m: usize) -> f64 {
        self.f_max[m]
    }
    fn proprioception_scale(&self, m: usize) -> (f64, f64) {
        (self.l_opt[m], 0.5)
    }
    fn read_states(&self) -> &'static [usize] {
        &[0]
    }
    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        d: &[S],
        s: &[S],
        len: S,
        _vel: S,
        out: &mut [S],
    ) {
        let a = self.act.step(dt, s[0], d[0]);
        let x = (len.scale(1.0 / self.l_opt[m]).shift(-1.0)).scale(1.0 / 0.45);
        out[0] = a;
        out[1] = a * (-(x * x)).exp().scale(self.f_max[m]);
    }
}

// ---------------------------------------------------------------- skeleton and geometry

const G: f64 = 9.81;

/// A rod of mass `m` (kg) and length `l` (m) hinged at the origin, angle q from hanging
/// straight down (rad), under gravity, with joint friction `b` (N·m·s/rad).
#[derive(Debug, Clone)]
struct Pendulum {
    m: f64,
    l: f64,
    b: f64,
}

impl Pendulum {
    /// The rod's direction and its normal at angle `q`.
    fn frame<S: Scalar>(q: S) -> ([S; 2], [S; 2]) {
        let (s, c) = q.sin_cos();
        ([s, -c], [c, s])
    }
}

impl Skeleton for Pendulum {
    fn name(&self) -> &'static str {
        "Pendulum"
    }
    fn dof(&self) -> usize {
        1
    }
    fn space_dim(&self) -> usize {
        2
    }
    fn n_bodies(&self) -> usize {
        1
    }
    fn acceleration<S: Scalar>(&self, q: &[S], qd: &[S], tau: &[S], load: &[S], qdd: &mut [S]) {
        let (_, n) = Self::frame(q[0]);
        let mut torque = tau[0] - q[0].sin().scale(self.m * G * self.l) - qd[0].scale(self.b);
        if load.len() == 2 {
            torque += (n[0] * load[0] + n[1] * load[1]).scale(self.l);
        }
        qdd[0] = torque.scale(1.0 / (self.m * self.l * self.l));
    }
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]) {
        let (d, n) = Self::frame(q[0]);
        for i in 0..2 {
            pos[i] = d[i].scale(self.l);
            vel[i] = n[i].scale(self.l) * qd[0];
        }
    }
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        if body == 0 {
            for i in 0..2 {
                pos[i] = S::c(local[i]);
                dpos_dq[i] = S::zero();
            }
            return;
        }
        let (d, n) = Self::frame(q[0]);
        for i in 0..2 {
            pos[i] = d[i].scale(local[0]) + n[i].scale(local[1]);
            dpos_dq[i] = n[i].scale(local[0]) - d[i].scale(local[1]);
        }
    }
}

/// Two antagonist muscles on a pulley of radius `r` (m) at the hinge: the flexor shortens as q
/// grows (length l₀ − r·q), the extensor lengthens (l₀ + r·q).
#[derive(Debug, Clone)]
struct Pulleys {
    r: f64,
    l0: f64,
}

impl Geometry for Pulleys {
    fn n_muscles(&self) -> usize {
        2
    }
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        if skeleton.dof() == 1 {
            Ok(())
        } else {
            Err(EffectorError::Invalid {
                field: "geometry".into(),
                reason: "Pulleys needs one joint".into(),
            })
        }
    }
    fn compute<S: Scalar, K: Skeleton>(
        &self,
        _skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        for (k, sign) in [(0, -1.0), (1, 1.0)] {
            len[k] = q[0].scale(sign * self.r).shift(self.l0);
            vel[k] = qd[0].scale(sign * self.r);
            moment[k] = S::c(sign * self.r);
        }
    }
}

type Arm = Effector<Pendulum, Strap, Pulleys>;

fn arm() -> Result<Arm, Box<dyn Error>> {
    let muscle = Strap {
        act: ActivationDynamics::new(0.01, 0.015, 0.05)?,
        f_max: vec![300.0, 300.0],
        l_opt: vec![0.1, 0.1],
    };
    let options = EffectorOptions {
        timestep: 0.01,
        n_ministeps: 1,
        integration: Integration::Euler,
        damping: 0.0,
        bounds: JointBounds::new(1, vec![-1.5], vec![1.5], vec![-20.0], vec![20.0])?,
    };
    let skeleton = Pendulum {
        m: 1.0,
        l: 0.4,
        b: 0.05,
    };
    Ok(Effector::new(
        skeleton,
        muscle,
        Pulleys { r: 0.03, l0: 0.1 },
        options,
    )?)
}

// ---------------------------------------------------------------- network

/// An Elman RNN with a sigmoid readout: h' = tanh(W_ih x + b_ih + W_hh h + b_hh),
/// u = σ(W_out h' + b_out).
#[derive(Clone)]
struct Elman {
    sizes: [usize; 3],
    layout: ParamLayout,
}

impl Elman {
    fn new(input: usize, hidden: usize, output: usize) -> Self {
        let mut layout = ParamLayout::new();
        layout.push("w_ih", &[hidden, input]);
        layout.push("b_ih", &[hidden]);
        layout.push("w_hh", &[hidden, hidden]);
        layout.push("b_hh", &[hidden]);
        layout.push("w_out", &[output, hidden]);
        layout.push("b_out", &[output]);
        Self {
            sizes: [input, hidden, output],
            layout,
        }
    }
}

impl AutodiffCell for Elman {
    fn input_size(&self) -> usize {
        self.sizes[0]
    }
    fn hidden_size(&self) -> usize {
        self.sizes[1]
    }
    fn output_size(&self) -> usize {
        self.sizes[2]
    }
    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        let mut p = vec![T::zero(); self.layout.len()];
        for block in self.layout.blocks() {
            if let [rows, cols] = block.shape[..] {
                init::xavier_uniform(rng, rows, cols, &mut p[block.range()]);
            }
        }
        // start with weak commands, as MotorNet's readout bias of −5 does
        let b_out = self.layout.get("b_out").expect("declared above").range();
        p[b_out].iter_mut().for_each(|b| *b = T::c(-3.0));
        p
    }
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        p: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>,
    {
        let pre = linear2(x, p.matrix(0), p.vector(1), h, p.matrix(2), p.vector(3));
        let h_new = tanh(pre);
        let u = sigmoid(linear(h_new.with_empty_tape(), p.matrix(4), p.vector(5)));
        (u, h_new)
    }
}

// ---------------------------------------------------------------- loss term

/// Mean over the states of the squared distance from the fingertip to the goal (m²), plus
/// `force_weight` × the mean squared muscle force (N²).
struct ReachCost {
    force_weight: f64,
}

impl LossTerm for ReachCost {
    fn name(&self) -> &str {
        "reach_cost"
    }
    fn reads(&self) -> Fields {
        Fields::FINGERTIP | Fields::GOAL | Fields::MUSCLE
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let (d, m, ns, n) = (ep.space_dim, ep.n_muscles, ep.n_muscle_states, ep.states());
        let mut sum = S::zero();
        for t in 0..n {
            for k in 0..d {
                let e = ep.fingertip[t * 2 * d + k] - ep.goal[t * d + k];
                sum += e * e;
            }
            for j in 0..m {
                let f = ep.muscle[t * m * ns + j * ns + ns - 1];
                sum += (f * f).scale(self.force_weight);
            }
        }
        sum.scale(1.0 / n as f64)
    }
}

// ---------------------------------------------------------------- task

/// Swing from a random angle to the fingertip position of another random angle. From
/// `push.0` to `push.1` (s) a joint load pushes the rod (`push.2` N·m) against a viscous
/// brake (−0.05 N·m·s/rad × q̇), and an observation entry of the task's own is 1 meanwhile.
struct SwingTo {
    push: (f64, f64, f64),
}

impl Task for SwingTo {
    fn name(&self) -> &str {
        "SwingTo"
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        Ok(Trial {
            initial_joint: ctx.initial_or_random(rng),
            target: ctx.random_target(rng),
            go_cue: Some(0),
            endpoint_load: vec![],
        })
    }
    fn step_logic(&self) -> Option<&dyn DynStepLogic> {
        Some(self)
    }
}

impl StepLogic for SwingTo {
    fn observations(&self) -> usize {
        1
    }
    fn sets_endpoint_load(&self) -> bool {
        false
    }
    fn step<S: Scalar>(&self, ctx: &StepContext<'_, S>, out: &mut StepEffects<'_, S>) {
        let on = (self.push.0..self.push.1).contains(&ctx.time());
        if on {
            out.joint_load[0] = ctx.joint[1].scale(-0.05).shift(self.push.2);
        }
        out.observation[0] = S::c(if on { 1.0 } else { 0.0 });
    }
}

// ---------------------------------------------------------------- training

fn environment() -> Result<Environment<Pendulum, Strap, Pulleys>, Box<dyn Error>> {
    let task = SwingTo {
        push: (0.25, 0.35, 0.6),
    };
    let config = EnvConfig {
        max_ep_duration: 0.6,
        proprioception_delay: Some(0.02),
        vision_delay: Some(0.04),
        ..EnvConfig::default()
    };
    Ok(Environment::new(Arc::new(arm()?), Arc::new(task), config)?)
}

fn losses() -> Result<LossSum, Box<dyn Error>> {
    Ok(LossSum::new().with(1.0, Auto(ReachCost { force_weight: 1e-7 }))?)
}

fn network(env: &Environment<Pendulum, Strap, Pulleys>) -> DfdxPolicy<Elman> {
    DfdxPolicy::new(Elman::new(env.obs_len(), 32, env.effector().n_muscles()))
}

const BATCHES: usize = 400;

/// The user's trainer: their pendulum, muscles, pulleys and network.
type PendulumTrainer = Trainer<Pendulum, Strap, Pulleys, DfdxPolicy<Elman>>;

fn trainer() -> Result<PendulumTrainer, Box<dyn Error>> {
    let env = environment()?;
    let net = network(&env);
    let settings = TrainerConfig {
        batch_size: 32,
        batches: BATCHES,
        lr: 3e-3,
        seed: 7,
        ..TrainerConfig::default()
    };
    Ok(Trainer::new(env, net, losses()?, settings)?)
}

/// The closed loop's gradient (f64 network, 2 episodes) against central finite differences
/// at 12 random parameters: the largest relative error.
fn closed_loop_grad_check() -> Result<f64, Box<dyn Error>> {
    let env = environment()?;
    let net = network(&env);
    let mut rng = StdRng::seed_from_u64(3);
    let params: Vec<f64> = net.init_params(&mut rng);
    let mut runner = EpisodeRunner::<_, _, _, _, f64>::new(env, net, losses()?, 2, 1);
    let mut grad = vec![0.0; params.len()];
    runner.run(&params, 5, None, Some(&mut grad), None)?;
    let scale = grad.iter().fold(0.0f64, |a, g| a.max(g.abs()));
    let mut worst: f64 = 0.0;
    for _ in 0..12 {
        let k = rng.gen_range(0..params.len());
        let h = 1e-6;
        let mut p = params.clone();
        p[k] += h;
        let up = runner.run(&p, 5, None, None, None)?;
        p[k] -= 2.0 * h;
        let down = runner.run(&p, 5, None, None, None)?;
        let fd = (up - down) / (2.0 * h);
        let err = (fd - grad[k]).abs() / (fd.abs().max(grad[k].abs()) + 1e-6 * scale);
        worst = worst.max(err);
    }
    Ok(worst)
}

// ---------------------------------------------------------------- a 3-D tree in code

/// A two-body arm written in code, not read from MJCF: a [`KinematicTree`] (shoulder and elbow
/// hinges about −y, the arm hanging along −z under gravity), two [`MujocoMuscle`]s on
/// [`SpatialTendons`] (a biarticular flexor in front, an elbow extensor behind that wraps
/// around a cylinder at the elbow). Simulates 0.2 s with the flexor excited (the elbow must
/// flex) and returns the gradient check's worst relative error (exact and finite differences).
fn tree_arm_check() -> Result<f64, Box<dyn Error>> {
    let hinge = |name: &str| TreeJoint::hinge(name, [0.0, -1.0, 0.0]).with_damping(0.5);
    let capsule = |length: f64, mass: f64| {
        GeomMass::from_fromto([0.0; 3], [0.0, 0.0, -length], 0.035, true)
            .map(|g| Inertial::from_geoms(&[g.with_mass(mass)]))
            .ok_or("degenerate capsule")
    };
    let upper = TreeBody::new("upper", 0, [0.0; 3])
        .with_joint(hinge("shoulder"))
        .with_inertial(capsule(0.3, 2.0)?);
    let lower = TreeBody::new("lower", 1, [0.0, 0.0, -0.3])
        .with_joint(hinge("elbow"))
        .with_inertial(capsule(0.3, 1.5)?);
    // bodies: 0 world, 1 upper, 2 lower; the endpoint 0.3 m down the lower body (m)
    let tree = KinematicTree::new(vec![upper, lower], [0.0, 0.0, -9.81], (2, [0.0, 0.0, -0.3]))?;
    let site = |body: usize, p: [f64; 3]| {
        TendonElement::Site(PathPoint {
            body,
            coordinates: p.to_vec(),
        })
    };
    let tendons = SpatialTendons::new(vec![
        // flexor: world, via the front of the upper body, to the lower body
        vec![
            site(0, [0.03, 0.0, 0.02]),
            site(1, [0.025, 0.0, -0.08]),
            site(2, [0.02, 0.0, -0.05]),
        ],
        // extensor: the back of the upper body, around the elbow cylinder, to the lower body
        vec![
            site(1, [-0.025, 0.0, -0.15]),
            TendonElement::Wrap {
                body: 2,
                center: [0.0; 3],
                axis: [0.0, 1.0, 0.0],
                shape: WrapShape::Cylinder { radius: 0.02 },
                sidesite: Some(PathPoint {
                    body: 1,
                    coordinates: vec![-0.08, 0.0, -0.3],
                }),
            },
            site(2, [-0.025, 0.0, 0.02]),
        ],
    ])?;
    // MuJoCo's lengthrange: each tendon's shortest and longest length over the joint ranges
    // (a 21 × 21 grid of poses)
    let (lo, hi) = ([-0.5, 0.0], [2.0, 2.5]);
    let mut range = [[f64::INFINITY, f64::NEG_INFINITY]; 2];
    let (mut len, mut vel, mut moment) = ([0.0; 2], [0.0; 2], [0.0; 4]);
    for i in 0..21 * 21 {
        let q = [
            lo[0] + (hi[0] - lo[0]) * (i % 21) as f64 / 20.0,
            lo[1] + (hi[1] - lo[1]) * (i / 21) as f64 / 20.0,
        ];
        tendons.compute(&tree, &q, &[0.0; 2], &mut len, &mut vel, &mut moment);
        for (r, l) in range.iter_mut().zip(len) {
            *r = [r[0].min(l), r[1].max(l)];
        }
    }
    let muscle = MujocoMuscle::new(
        MujocoMuscle::DEFAULT_ACTIVATION,
        MujocoMuscle::DEFAULT_TAUSMOOTH,
        vec![
            MujocoMuscleParams::new("flexor", 600.0, range[0]),
            MujocoMuscleParams::new("extensor", 800.0, range[1]),
        ],
    )?;
    let options = EffectorOptions {
        timestep: 0.01,
        n_ministeps: 1,
        integration: Integration::Euler,
        damping: 0.0,
        bounds: JointBounds::new(2, lo.to_vec(), hi.to_vec(), vec![-50.0; 2], vec![50.0; 2])?,
    };
    let effector = Effector::new(tree, muscle, tendons, options)?;
    // 0.2 s with the flexor fully excited, from the elbow bent 0.3 rad
    let mut state = effector.zero_state::<f64>();
    let mut ws = effector.workspace::<f64>();
    effector.reset(&[0.0, 0.3, 0.0, 0.0], &mut state);
    for _ in 0..20 {
        effector.step(&mut state, &[1.0, 0.0], &[], &[], &mut ws);
    }
    if state.joint[1] < 0.5 {
        return Err(format!(
            "tree arm: the flexor did not flex the elbow ({} rad)",
            state.joint[1]
        )
        .into());
    }
    let check = check_gradients(&effector, 1, 10, 5)?;
    if !check.max_rel_grad_ok() {
        return Err(format!("tree arm: gradient check failed: {check:?}").into());
    }
    println!(
        "tree arm in code: elbow 0.30 -> {:.2} rad in 0.2 s; gradients: {:.1e} against forward \
         mode, {:.1e} against finite differences",
        state.joint[1], check.max_rel_exact_err, check.max_rel_fd_err
    );
    Ok(check.max_rel_exact_err.max(check.max_rel_fd_err))
}

fn main() -> Result<(), Box<dyn Error>> {
    // the user's parts pass the library's conformance checks
    let effector = arm()?;
    let muscle = motornet::muscle::testing::check_muscle_model(
        effector.muscle(),
        &motornet::muscle::testing::CheckConfig::default(),
    )?;
    let skeleton = motornet::skeleton::testing::check_skeleton(
        effector.skeleton(),
        &motornet::skeleton::testing::CheckConfig::default(),
    )?;
    let env = environment()?;
    let net = network(&env);
    let params: Vec<f64> = net.init_params(&mut StdRng::seed_from_u64(1));
    let network_check = motornet::policy::testing::check_gradients(
        &net,
        &params,
        &motornet::policy::testing::GradCheckOptions::default(),
    );
    println!(
        "conformance: muscle {} steps, skeleton {} cases, network gradient max rel err {:.1e}",
        muscle.steps, skeleton.cases, network_check.max_rel_error
    );

    // train straight through, and in two halves with a checkpoint between
    let dir = std::env::temp_dir().join(format!("motornet-downstream-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ckpt = dir.join("checkpoint.bin");
    let start = std::time::Instant::now();
    let mut straight = trainer()?;
    for b in 0..BATCHES {
        let s = straight.batch()?;
        if b % 100 == 0 || b + 1 == BATCHES {
            println!("batch {:4}  loss {:.5}", s.batch, s.loss);
        }
    }
    let mut first_half = trainer()?;
    for _ in 0..BATCHES / 2 {
        first_half.batch()?;
    }
    first_half.save_checkpoint(&ckpt)?;
    let mut resumed = trainer()?;
    resumed.resume_from(&ckpt)?;
    for _ in BATCHES / 2..BATCHES {
        resumed.batch()?;
    }
    let bit_exact = resumed.losses() == straight.losses() && resumed.params() == straight.params();
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "trained {} batches three times in {:.1} s",
        BATCHES,
        start.elapsed().as_secs_f64()
    );

    // evaluate the trained network on fresh trials
    let r = resumed.evaluate(None, None, 16, 12345, None)?;
    let final_error: f64 = r
        .fingertip
        .iter()
        .zip(&r.target)
        .map(|(f, t)| {
            let end = &f[f.len() - 4..f.len() - 2];
            ((end[0] - t[0]).powi(2) + (end[1] - t[1]).powi(2)).sqrt()
        })
        .sum::<f64>()
        / r.fingertip.len() as f64;
    println!(
        "evaluation: loss {:.5}, mean final distance to the target {:.1} mm",
        r.loss,
        1e3 * final_error
    );

    // a second phase, as a protocol would run it: the user's task again under noisier
    // commands, only the network's input weights learning, at a lower rate
    let noisy = EnvConfig {
        action_noise: 0.02,
        ..resumed.env().config().clone()
    };
    let task = resumed.env().task().clone();
    resumed.set_environment(Some(task), Some(&noisy))?;
    let layout = resumed.policy().layout().clone();
    let mask = motornet::train::phase::trainable_mask(&layout, &["w_ih".into(), "b_ih".into()])?;
    resumed.set_trainable(Some(mask.clone()))?;
    resumed.set_lr_plan(LrPlan {
        lr: 1e-3,
        schedule: LrSchedule::Constant,
        start: BATCHES,
        batches: 50,
    })?;
    let before = resumed.params().to_vec();
    for _ in 0..50 {
        resumed.batch()?;
    }
    let moved = |learns: bool| {
        (before.iter().zip(resumed.params()).zip(&mask))
            .filter(|(_, &m)| m == learns)
            .any(|((a, b), _)| a != b)
    };
    if moved(false) || !moved(true) {
        return Err("phase: the frozen blocks changed, or the input weights did not".into());
    }
    println!("phase: 50 batches with only w_ih, b_ih learning; the other blocks unchanged");

    let grad_check = closed_loop_grad_check()?;
    let tree_grad_check = tree_arm_check()?;
    let l = straight.losses();
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    println!(
        "downstream: loss_first={:.5} loss_last={:.5} resumed={} grad_check={:.2e} tree_grad_check={:.2e}",
        mean(&l[..10]),
        mean(&l[l.len() - 10..]),
        if bit_exact { "bit-exact" } else { "differs" },
        grad_check,
        tree_grad_check
    );
    Ok(())
}
