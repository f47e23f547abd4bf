//! [`Effector`]: a skeleton, a muscle model and a geometry, advanced in time together.

use crate::error::EffectorError;
use crate::geometry::Geometry;
use crate::grad::VjpPlan;
use crate::{stack_buffer, MAX_DOF, MAX_SPACE_DIM};
use motornet_muscle::MuscleModel;
use motornet_scalar::Scalar;
use motornet_skeleton::{JointBounds, Skeleton};

/// How one ministep advances the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Integration {
    /// Explicit Euler: derivatives at the current state; the muscle integrates with the current
    /// geometry, the joints with the bounded explicit Euler update, then the geometry is
    /// recomputed from the new joint state.
    #[default]
    Euler,
    /// Runge–Kutta 4 as MotorNet 0.3.0 implements it: the intermediate states are *chained*
    /// (s₁ = s₀ ⊕ (h/2, k₁), s₂ = s₁ ⊕ (h/2, k₂), s₃ = s₂ ⊕ (h, k₃)), then
    /// s = s₀ ⊕ (h, (k₁ + 2k₂ + 2k₃ + k₄)/6). Spec files call it `"rk4"`.
    MotorNetRk4,
    /// Textbook Runge–Kutta 4: every intermediate state starts from s₀
    /// (s₁ = s₀ ⊕ (h/2, k₁), s₂ = s₀ ⊕ (h/2, k₂), s₃ = s₀ ⊕ (h, k₃)). Not in MotorNet; spec
    /// files call it `"rk4_classic"`.
    Rk4,
}

impl Integration {
    /// Parse the spec-file spelling: `euler`, `rk4` (MotorNet's), `rk4_classic`.
    pub fn parse(s: &str) -> Result<Self, EffectorError> {
        match s.to_ascii_lowercase().as_str() {
            "euler" => Ok(Integration::Euler),
            "rk4" | "rungekutta4" | "runge-kutta4" | "runge-kutta-4" => {
                Ok(Integration::MotorNetRk4)
            }
            "rk4_classic" => Ok(Integration::Rk4),
            other => Err(EffectorError::invalid(
                "integration_method",
                &format!("unknown method '{other}' (expected euler, rk4 or rk4_classic)"),
            )),
        }
    }
    /// The spec-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Integration::Euler => "euler",
            Integration::MotorNetRk4 => "rk4",
            Integration::Rk4 => "rk4_classic",
        }
    }
}

/// Time stepping and limits of an effector.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectorOptions {
    /// Duration of one step (s).
    pub timestep: f64,
    /// Ministeps per step (each of `timestep / n_ministeps`).
    pub n_ministeps: usize,
    /// Integration method.
    pub integration: Integration,
    /// Joint damping (N·m·s/rad, or N·s/m for a point mass): adds −damping·q̇ to the
    /// generalized forces.
    pub damping: f64,
    /// Joint position (rad or m) and velocity limits.
    pub bounds: JointBounds,
}

/// The state of one effector. Layouts (MotorNet's, per batch element):
/// - `joint`: `[q (dof), q̇ (dof)]` (rad or m, rad/s or m/s);
/// - `muscle`: `[M][n_states]`, muscle-major (state names from the muscle model);
/// - `geometry`: `[2 + dof][M]`: musculotendon lengths (m), velocities (m/s), then the moment
///   arms for each joint.
#[derive(Debug, PartialEq, Default)]
pub struct State<S> {
    /// Joint positions then velocities.
    pub joint: Vec<S>,
    /// Muscle states, `[M][n_states]`.
    pub muscle: Vec<S>,
    /// Geometry, `[2 + dof][M]`.
    pub geometry: Vec<S>,
}

impl<S: Clone> Clone for State<S> {
    fn clone(&self) -> Self {
        Self {
            joint: self.joint.clone(),
            muscle: self.muscle.clone(),
            geometry: self.geometry.clone(),
        }
    }

    /// Copies into `self`'s buffers, keeping their allocations (a derived `Clone` would
    /// allocate new ones): loops that keep a state per step use it.
    fn clone_from(&mut self, source: &Self) {
        self.joint.clone_from(&source.joint);
        self.muscle.clone_from(&source.muscle);
        self.geometry.clone_from(&source.geometry);
    }
}

/// Derivatives at one state: muscle `[M][n_derivatives]`, joint accelerations `[dof]`.
#[derive(Debug, Clone)]
struct Deriv<S> {
    muscle: Vec<S>,
    qdd: Vec<S>,
}

/// Scratch buffers for [`Effector::step`], so that stepping allocates nothing. Make one with
/// [`Effector::workspace`] and reuse it.
#[derive(Debug, Clone)]
pub struct Workspace<S> {
    k: [Deriv<S>; 4],
    avg: Deriv<S>,
    a: State<S>,
    b: State<S>,
    u: Vec<S>,
}

/// An effector: a skeleton `K`, a muscle model `M` (one entry per muscle) and a geometry `G`
/// giving each muscle's length, velocity and moment arms.
///
/// Construction validates that the three agree (number of muscles, joints, bodies) and the
/// options (positive timestep, at least one ministep, finite non-negative damping, bounds with
/// one entry per joint).
///
/// Stepping works on one batch element with caller-provided buffers and is generic over the
/// [`Scalar`] type: `f32`/`f64` for simulation, dual numbers for exact derivatives. For many
/// elements at once see [`simulate()`](crate::simulate()).
#[derive(Debug, Clone, PartialEq)]
pub struct Effector<K, M, G> {
    skeleton: K,
    muscle: M,
    geometry: G,
    options: EffectorOptions,
    /// How step VJPs are computed, chosen from the above once, here.
    vjp_plan: VjpPlan,
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// Assemble and validate an effector.
    pub fn new(
        skeleton: K,
        muscle: M,
        geometry: G,
        options: EffectorOptions,
    ) -> Result<Self, EffectorError> {
        if !(options.timestep.is_finite() && options.timestep > 0.0) {
            return Err(EffectorError::invalid(
                "timestep",
                &format!("must be finite and > 0, got {}", options.timestep),
            ));
        }
        if options.n_ministeps == 0 || options.n_ministeps > crate::MAX_MINISTEPS {
            return Err(EffectorError::invalid(
                "n_ministeps",
                &format!(
                    "must be an integer from 1 to {} (a smaller timestep is the way to more), \
                     got {}",
                    crate::MAX_MINISTEPS,
                    options.n_ministeps
                ),
            ));
        }
        if !(options.damping.is_finite() && options.damping >= 0.0) {
            return Err(EffectorError::invalid(
                "damping",
                &format!("must be finite and >= 0, got {}", options.damping),
            ));
        }
        if skeleton.dof() > MAX_DOF || skeleton.space_dim() > MAX_SPACE_DIM {
            return Err(EffectorError::invalid(
                "skeleton",
                &format!(
                    "at most {MAX_DOF} joints and {MAX_SPACE_DIM} space dimensions are supported"
                ),
            ));
        }
        if options.bounds.dof() != skeleton.dof() {
            return Err(EffectorError::invalid(
                "pos_lower_bound",
                &format!(
                    "bounds have {} entries but the skeleton has {} joints",
                    options.bounds.dof(),
                    skeleton.dof()
                ),
            ));
        }
        if geometry.n_muscles() != muscle.n_muscles() {
            return Err(EffectorError::invalid(
                "geometry",
                &format!(
                    "describes {} muscles but there are {}",
                    geometry.n_muscles(),
                    muscle.n_muscles()
                ),
            ));
        }
        geometry.check(&skeleton).map_err(|e| match e {
            // geometry knows muscles by index only: add the name
            EffectorError::InvalidMuscle {
                index,
                muscle: name,
                field,
                reason,
            } if name.is_empty() => EffectorError::InvalidMuscle {
                index,
                muscle: if index < muscle.n_muscles() {
                    muscle.muscle_name(index).to_string()
                } else {
                    String::new()
                },
                field,
                reason,
            },
            other => other,
        })?;
        let vjp_plan = VjpPlan::choose(&options, skeleton.dof(), muscle.read_states().len());
        Ok(Self {
            skeleton,
            muscle,
            geometry,
            options,
            vjp_plan,
        })
    }

    /// The skeleton.
    pub fn skeleton(&self) -> &K {
        &self.skeleton
    }
    /// The muscle model.
    pub fn muscle(&self) -> &M {
        &self.muscle
    }
    /// The geometry.
    pub fn geometry(&self) -> &G {
        &self.geometry
    }
    /// Time stepping and limits.
    pub fn options(&self) -> &EffectorOptions {
        &self.options
    }
    /// Which algorithm computes this effector's step VJPs ([`Effector::step_vjp`] and the
    /// others of [`crate::grad`]), chosen when it was built; see [`VjpPlan`].
    pub fn vjp_plan(&self) -> VjpPlan {
        self.vjp_plan
    }
    /// Number of joints.
    pub fn dof(&self) -> usize {
        self.skeleton.dof()
    }
    /// Number of muscles.
    pub fn n_muscles(&self) -> usize {
        self.muscle.n_muscles()
    }
    /// Cartesian dimension of the endpoint.
    pub fn space_dim(&self) -> usize {
        self.skeleton.space_dim()
    }
    /// Ministep duration (s).
    pub fn ministep(&self) -> f64 {
        self.options.timestep / self.options.n_ministeps as f64
    }
    /// Names of the geometry state rows, as MotorNet names them.
    pub fn geometry_state_names(&self) -> Vec<String> {
        let mut v = vec![
            "musculotendon length".to_string(),
            "musculotendon velocity".to_string(),
        ];
        v.extend((0..self.dof()).map(|j| format!("moment for joint {j}")));
        v
    }

    /// Lengths of a state's three parts: joint `2·dof`, muscle `M·n_states`, geometry
    /// `(2 + dof)·M` (the one place these sizes are written).
    pub fn state_part_lens(&self) -> [usize; 3] {
        let (dof, m) = (self.dof(), self.n_muscles());
        [2 * dof, m * self.muscle.n_states(), (2 + dof) * m]
    }

    /// Number of values in a state, the length of a state flattened as
    /// `[joint | muscle | geometry]` (the sum of [`Effector::state_part_lens`]).
    pub fn state_len(&self) -> usize {
        self.state_part_lens().iter().sum()
    }

    /// A zeroed state of the right sizes.
    pub fn zero_state<S: Scalar>(&self) -> State<S> {
        let [j, m, g] = self.state_part_lens();
        State {
            joint: vec![S::zero(); j],
            muscle: vec![S::zero(); m],
            geometry: vec![S::zero(); g],
        }
    }

    /// Scratch buffers for [`Effector::step`].
    pub fn workspace<S: Scalar>(&self) -> Workspace<S> {
        let d = || Deriv {
            muscle: vec![S::zero(); self.n_muscles() * self.muscle.n_derivatives()],
            qdd: vec![S::zero(); self.dof()],
        };
        Workspace {
            k: [d(), d(), d(), d()],
            avg: d(),
            a: self.zero_state(),
            b: self.zero_state(),
            u: vec![S::zero(); self.n_muscles()],
        }
    }

    /// Check a joint state `[q, q̇]` against the sizes and bounds, as MotorNet does at reset.
    /// `name` names the input in the error (e.g. `initial_joint_state[3]`).
    pub fn check_joint_state(&self, joint: &[f64], name: &str) -> Result<(), EffectorError> {
        let dof = self.dof();
        if joint.len() != 2 * dof && joint.len() != dof {
            return Err(EffectorError::input(
                name,
                format!(
                    "needs {dof} positions (and optionally {dof} velocities), got {} values",
                    joint.len()
                ),
            ));
        }
        let b = &self.options.bounds;
        for j in 0..dof {
            let q = joint[j];
            if !q.is_finite() || q < b.pos_lower[j] || q > b.pos_upper[j] {
                return Err(EffectorError::input(
                    name,
                    format!(
                        "position {j} = {q} is outside [{}, {}]",
                        b.pos_lower[j], b.pos_upper[j]
                    ),
                ));
            }
            if let Some(&v) = joint.get(dof + j) {
                if !v.is_finite() || v < b.vel_lower[j] || v > b.vel_upper[j] {
                    return Err(EffectorError::input(
                        name,
                        format!(
                            "velocity {j} = {v} is outside [{}, {}]",
                            b.vel_lower[j], b.vel_upper[j]
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reset: from joint positions and velocities `joint` (`[q, q̇]`), compute the geometry and
    /// the muscles' initial states, into `state`.
    pub fn reset<S: Scalar>(&self, joint: &[S], state: &mut State<S>) {
        state.joint.copy_from_slice(joint);
        self.update_geometry(state);
        let (m_n, ns) = (self.n_muscles(), self.muscle.n_states());
        let dt = if self.geometry.muscle_built_with_full_timestep() {
            self.options.timestep
        } else {
            self.ministep()
        };
        for m in 0..m_n {
            let (len, vel) = (state.geometry[m], state.geometry[m_n + m]);
            self.muscle
                .initial_state(m, len, vel, dt, &mut state.muscle[m * ns..(m + 1) * ns]);
        }
    }

    /// Recompute the geometry part of `state` from its joint part.
    pub(crate) fn update_geometry<S: Scalar>(&self, state: &mut State<S>) {
        let (dof, m) = (self.dof(), self.n_muscles());
        let (q, qd) = state.joint.split_at(dof);
        let (len, rest) = state.geometry.split_at_mut(m);
        let (vel, moment) = rest.split_at_mut(m);
        self.geometry
            .compute(&self.skeleton, q, qd, len, vel, moment);
    }

    /// The generalized forces on the joints (`tau[dof]`, N·m or N): τ_j = −Σ_m f_m·r_jm +
    /// joint load_j − damping·q̇_j, from the joint state (`[2·dof]`), the muscle states
    /// (`[M·n_states]`, forces f at the model's force index) and the geometry (`[(2+dof)·M]`,
    /// moment arms r in rows 2..). The one place this equation is written: the step evaluates
    /// it in any scalar, the reverse-mode adjoint in `f64` (its hand-written VJP is tested
    /// against dual numbers of this function).
    #[inline(always)]
    pub(crate) fn torques<S: Scalar>(
        &self,
        joint: &[S],
        muscle: &[S],
        geometry: &[S],
        joint_load: &[S],
        tau: &mut [S],
    ) {
        let (dof, n_m) = (self.dof(), self.n_muscles());
        let ns = self.muscle.n_states();
        let fi = self.muscle.force_index();
        let qd = &joint[dof..2 * dof];
        let damping = S::c(self.options.damping);
        for j in 0..dof {
            let moments = &geometry[(2 + j) * n_m..(3 + j) * n_m];
            let mut t = S::zero();
            for m in 0..n_m {
                t += muscle[m * ns + fi] * moments[m];
            }
            let load = joint_load.get(j).copied().unwrap_or(S::zero());
            tau[j] = -t + load - damping * qd[j];
        }
    }

    /// State derivative at `s` for the (already clipped) excitation `u`.
    fn ode<S: Scalar>(
        &self,
        u: &[S],
        s: &State<S>,
        endpoint_load: &[S],
        joint_load: &[S],
        k: &mut Deriv<S>,
    ) {
        let (dof, n_m) = (self.dof(), self.n_muscles());
        let (ns, nd) = (self.muscle.n_states(), self.muscle.n_derivatives());
        let (q, qd) = s.joint.split_at(dof);
        stack_buffer(dof, S::zero(), |tau| {
            self.torques(&s.joint, &s.muscle, &s.geometry, joint_load, tau);
            // an empty endpoint load means none (the skeleton then skips its Jacobian)
            self.skeleton
                .acceleration(q, qd, tau, endpoint_load, &mut k.qdd);
        });
        for m in 0..n_m {
            self.muscle.derivative(
                m,
                u[m],
                &s.muscle[m * ns..(m + 1) * ns],
                &mut k.muscle[m * nd..(m + 1) * nd],
            );
        }
    }

    /// `to = from ⊕ (h, k)`: muscles integrate with `from`'s geometry, joints with the bounded
    /// explicit Euler update, then the geometry is recomputed.
    fn advance<S: Scalar>(&self, h: f64, k: &Deriv<S>, from: &State<S>, to: &mut State<S>) {
        let [der, state, len, vel] = self.integrate_all_inputs(k, from);
        let n = state.len();
        self.muscle
            .integrate_all(h, der, state, len, vel, &mut to.muscle[..n]);
        self.advance_joints(h, k, from, to);
    }

    /// What the muscles' `integrate_all` reads in [`Self::advance`]: their derivatives, states,
    /// and `from`'s musculotendon lengths and velocities.
    fn integrate_all_inputs<'a, S: Scalar>(
        &self,
        k: &'a Deriv<S>,
        from: &'a State<S>,
    ) -> [&'a [S]; 4] {
        let n_m = self.n_muscles();
        let (ns, nd) = (self.muscle.n_states(), self.muscle.n_derivatives());
        [
            &k.muscle[..n_m * nd],
            &from.muscle[..n_m * ns],
            &from.geometry[..n_m],
            &from.geometry[n_m..2 * n_m],
        ]
    }

    /// [`Self::advance`] in `f64` with the muscles' [`MuscleModel::integrate_all_record`].
    fn advance_recording(
        &self,
        h: f64,
        k: &Deriv<f64>,
        from: &State<f64>,
        to: &mut State<f64>,
        record: &mut Vec<f64>,
    ) {
        let [der, state, len, vel] = self.integrate_all_inputs(k, from);
        let n = state.len();
        self.muscle
            .integrate_all_record(h, der, state, len, vel, &mut to.muscle[..n], record);
        self.advance_joints(h, k, from, to);
    }

    /// The joints' part of [`Self::advance`]: the bounded explicit Euler update, then the
    /// geometry recomputed.
    fn advance_joints<S: Scalar>(&self, h: f64, k: &Deriv<S>, from: &State<S>, to: &mut State<S>) {
        let dof = self.dof();
        let (q, qd) = from.joint.split_at(dof);
        let (q_new, qd_new) = to.joint.split_at_mut(dof);
        self.options
            .bounds
            .integrate(h, q, qd, &k.qdd, q_new, qd_new);
        self.update_geometry(to);
    }

    /// Advance `state` by one step (`n_ministeps` ministeps) under `excitation` (`[M]`,
    /// dimensionless, clipped to `[min_activation, 1]` once per step), an `endpoint_load`
    /// (`[space_dim]`, N; empty slice for none) and a `joint_load` (`[dof]`, N·m or N; empty
    /// for none).
    pub fn step<S: Scalar>(
        &self,
        state: &mut State<S>,
        excitation: &[S],
        endpoint_load: &[S],
        joint_load: &[S],
        ws: &mut Workspace<S>,
    ) {
        let act = self.muscle.activation();
        for (u, &e) in ws.u.iter_mut().zip(excitation) {
            *u = act.clip(e);
        }
        let h = self.ministep();
        for _ in 0..self.options.n_ministeps {
            self.ministep_once(h, state, endpoint_load, joint_load, ws);
        }
    }

    /// [`Effector::step`] in `f64` that also leaves in `record` what the muscle model's
    /// [`MuscleModel::integrate_all_record`] writes, for the step's VJP to reuse
    /// ([`Effector::step_vjp_unfolded_add_batch_recorded`]): with Euler steps of one ministep
    /// (the VJP plans that differentiate the muscles' step as it is); otherwise `record` is
    /// emptied. The new state is [`Effector::step`]'s, bit for bit.
    pub fn step_recording(
        &self,
        state: &mut State<f64>,
        excitation: &[f64],
        endpoint_load: &[f64],
        joint_load: &[f64],
        ws: &mut Workspace<f64>,
        record: &mut Vec<f64>,
    ) {
        if self.options.integration != Integration::Euler || self.options.n_ministeps != 1 {
            record.clear();
            self.step(state, excitation, endpoint_load, joint_load, ws);
            return;
        }
        let act = self.muscle.activation();
        for (u, &e) in ws.u.iter_mut().zip(excitation) {
            *u = act.clip(e);
        }
        let Workspace { k, a, u, .. } = ws;
        self.ode(u, state, endpoint_load, joint_load, &mut k[0]);
        // (integrate_all_record empties it too; a model's override might not)
        record.clear();
        self.advance_recording(self.ministep(), &k[0], state, a, record);
        std::mem::swap(state, a);
    }

    /// One ministep of length `h` under an already clipped excitation `u`.
    pub(crate) fn ministep_with_clipped<S: Scalar>(
        &self,
        h: f64,
        state: &mut State<S>,
        u: &[S],
        endpoint_load: &[S],
        joint_load: &[S],
        ws: &mut Workspace<S>,
    ) {
        ws.u.copy_from_slice(u);
        self.ministep_once(h, state, endpoint_load, joint_load, ws);
    }

    fn ministep_once<S: Scalar>(
        &self,
        h: f64,
        s: &mut State<S>,
        el: &[S],
        jl: &[S],
        ws: &mut Workspace<S>,
    ) {
        let Workspace { k, avg, a, b, u } = ws;
        match self.options.integration {
            Integration::Euler => {
                self.ode(u, s, el, jl, &mut k[0]);
                self.advance(h, &k[0], s, a);
            }
            Integration::MotorNetRk4 | Integration::Rk4 => {
                let chained = self.options.integration == Integration::MotorNetRk4;
                self.ode(u, s, el, jl, &mut k[0]);
                self.advance(h / 2.0, &k[0], s, a);
                self.ode(u, a, el, jl, &mut k[1]);
                if chained {
                    self.advance(h / 2.0, &k[1], a, b);
                } else {
                    self.advance(h / 2.0, &k[1], s, b);
                }
                self.ode(u, b, el, jl, &mut k[2]);
                if chained {
                    self.advance(h, &k[2], b, a);
                } else {
                    self.advance(h, &k[2], s, a);
                }
                self.ode(u, a, el, jl, &mut k[3]);
                let sixth = S::c(1.0 / 6.0);
                let two = S::c(2.0);
                for (i, v) in avg.muscle.iter_mut().enumerate() {
                    *v =
                        (k[0].muscle[i] + two * (k[1].muscle[i] + k[2].muscle[i]) + k[3].muscle[i])
                            * sixth;
                }
                for (i, v) in avg.qdd.iter_mut().enumerate() {
                    *v = (k[0].qdd[i] + two * (k[1].qdd[i] + k[2].qdd[i]) + k[3].qdd[i]) * sixth;
                }
                self.advance(h, avg, s, a);
            }
        }
        std::mem::swap(s, a);
    }

    /// Endpoint position (`[space_dim]`, m) then velocity (m/s) of `state`, into `out`
    /// (`[2 · space_dim]`).
    pub fn cartesian<S: Scalar>(&self, state: &State<S>, out: &mut [S]) {
        let (dof, d) = (self.dof(), self.space_dim());
        let (q, qd) = state.joint.split_at(dof);
        let (pos, vel) = out.split_at_mut(d);
        self.skeleton.joint_to_cartesian(q, qd, pos, vel);
    }

    /// Find the first non-finite entry of `state`, naming it. `batch` is the batch index of the
    /// state's first lane (lane `l` of a [`Lanes`](motornet_scalar::Lanes) state is element
    /// `batch + l`).
    pub fn find_non_finite<S: Scalar>(
        &self,
        state: &State<S>,
        step: usize,
        batch: usize,
    ) -> Option<EffectorError> {
        let (dof, n_m, ns) = (self.dof(), self.n_muscles(), self.muscle.n_states());
        let err = |kind, st: String, v: &S| {
            // the lane whose value is not finite (or lane 0 if only a derivative part is not)
            let lane = (0..S::LANES).find(|&l| !v.lane(l).is_finite()).unwrap_or(0);
            EffectorError::NonFinite {
                step,
                batch: batch + lane,
                kind,
                state: st,
                value: v.lane(lane),
            }
        };
        for (i, v) in state.joint.iter().enumerate() {
            if !v.is_finite() {
                let what = if i < dof { "position" } else { "velocity" };
                return Some(err("joint", format!("joint {} {what}", i % dof), v));
            }
        }
        for (i, v) in state.muscle.iter().enumerate() {
            if !v.is_finite() {
                let (m, s) = (i / ns, i % ns);
                let st = format!(
                    "muscle {m} ('{}') {}",
                    self.muscle.muscle_name(m),
                    self.muscle.state_names()[s]
                );
                return Some(err("muscle", st, v));
            }
        }
        for (i, v) in state.geometry.iter().enumerate() {
            if !v.is_finite() {
                let (r, m) = (i / n_m, i % n_m);
                let row = &self.geometry_state_names()[r];
                let st = format!("muscle {m} ('{}') {row}", self.muscle.muscle_name(m));
                return Some(err("geometry", st, v));
            }
        }
        None
    }
}
