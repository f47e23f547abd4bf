//! Per-step task logic: a task that sets the goal, the loads or observation entries of its own
//! at every step, from the time and the state — a force channel, a moving target, a force pulse
//! at a chosen time, a load that turns on mid-reach, a context cue.
//!
//! Write it once, generic over [`Scalar`], by implementing [`StepLogic`], and return it from
//! [`Task::step_logic`](crate::Task::step_logic). The environment evaluates it in `f64` while
//! simulating and on dual numbers ([`StepDual`]) for the gradient: what it computes from the
//! state (the fingertip and the joints) is differentiated exactly, with no derivative to write.
//!
//! ```
//! use motornet_task::step::{StepContext, StepEffects, StepLogic};
//! use motornet_scalar::Scalar;
//!
//! /// A force channel along x: a stiff spring and damper hold the fingertip on the line
//! /// y = start y (N per m and N per m/s).
//! struct Channel { stiffness: f64, damping: f64 }
//!
//! impl StepLogic for Channel {
//!     fn step<S: Scalar>(&self, ctx: &StepContext<'_, S>, out: &mut StepEffects<'_, S>) {
//!         let d = ctx.start.len();
//!         let off = ctx.fingertip[1].shift(-ctx.start[1]); // lateral position (m)
//!         let vel = ctx.fingertip[d + 1]; // lateral velocity (m/s)
//!         out.endpoint_load[1] -= off.scale(self.stiffness) + vel.scale(self.damping);
//!     }
//! }
//! ```

use crate::task::Trial;
use motornet_scalar::{DualN, Scalar};

/// Directions per dual-number pass when the environment differentiates step logic: the
/// fingertip (`2·space_dim`) and joint (`2·dof`) inputs are seeded this many at a time.
pub const STEP_DUAL_WIDTH: usize = 8;

/// The dual number step logic is differentiated on.
pub type StepDual = DualN<STEP_DUAL_WIDTH>;

/// What step logic may read at state `t` (time `t·dt`) of an episode.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a, S> {
    /// The state index (0 at reset; the episode has `steps` steps, so `t` runs to `steps`).
    pub t: usize,
    /// Time step (s).
    pub dt: f64,
    /// Steps per episode.
    pub steps: usize,
    /// The trial drawn at reset (target, go cue, constant load).
    pub trial: &'a Trial,
    /// Fingertip position at reset (`[space_dim]`, m).
    pub start: &'a [f64],
    /// Fingertip position then velocity now (`[2·space_dim]`, m and m/s).
    pub fingertip: &'a [S],
    /// Joint positions then velocities now (`[2·dof]`, rad or m, per s).
    pub joint: &'a [S],
}

impl<S> StepContext<'_, S> {
    /// The time (s) of this state: `t·dt`.
    pub fn time(&self) -> f64 {
        self.t as f64 * self.dt
    }
}

/// What step logic sets at state `t`. Each buffer arrives holding what the environment would
/// use without the logic; change what the task needs and leave the rest.
#[derive(Debug)]
pub struct StepEffects<'a, S> {
    /// The goal of the losses at this state (`[space_dim]`, m); arrives holding the start
    /// position before the go cue (and in catch trials) and the target from it on.
    pub goal: &'a mut [S],
    /// The goal the observation shows at this state (`[space_dim]`, m); arrives holding the
    /// target for tasks with a go-cue input, otherwise the goal above. A moving target sets
    /// both.
    pub shown_goal: &'a mut [S],
    /// The endpoint load during the step from this state (`[space_dim]`, N); arrives holding
    /// the trial's constant load plus the curl field, if any.
    pub endpoint_load: &'a mut [S],
    /// The load on each joint during the step from this state (`[dof]`, N·m or N); arrives
    /// holding zeros.
    pub joint_load: &'a mut [S],
    /// The task's own observation entries at this state (`[observations()]`, after the stacked
    /// actions); arrive holding zeros. Observation noise is not added to them.
    pub observation: &'a mut [S],
}

/// Per-step task logic, written once over any [`Scalar`]. See the [module docs](self).
pub trait StepLogic: Send + Sync {
    /// Number of observation entries the logic adds (0 by default).
    fn observations(&self) -> usize {
        0
    }
    /// Whether [`StepLogic::step`] reads the state (`fingertip`, `joint`). The default, `true`,
    /// is always correct; logic that depends on the time and the trial only may say `false`,
    /// and its gradient with respect to the state is then skipped.
    fn reads_state(&self) -> bool {
        true
    }
    /// Whether [`StepLogic::step`] changes the endpoint load. The default, `true`, is always
    /// correct; `false` lets trials without a load of their own step without one (a cheaper
    /// gradient).
    fn sets_endpoint_load(&self) -> bool {
        true
    }
    /// Whether [`StepLogic::step`] sets a joint load. The default, `true`, is always correct;
    /// `false` steps without one.
    fn sets_joint_load(&self) -> bool {
        true
    }
    /// Set the goal, loads and observation entries of state `ctx.t`. Branch on values with
    /// [`Scalar::select`] and the comparison masks, never with `if` on a value, so that the
    /// derivative follows the branch taken; `ctx.t` and the trial are plain numbers and may
    /// be branched on freely.
    fn step<S: Scalar>(&self, ctx: &StepContext<'_, S>, out: &mut StepEffects<'_, S>);
}

/// The object-safe form of [`StepLogic`] that tasks hand to the environment (implemented for
/// every `StepLogic`; implement `StepLogic`, not this).
pub trait DynStepLogic: Send + Sync {
    /// See [`StepLogic::observations`].
    fn observations(&self) -> usize;
    /// See [`StepLogic::reads_state`].
    fn reads_state(&self) -> bool;
    /// See [`StepLogic::sets_endpoint_load`].
    fn sets_endpoint_load(&self) -> bool;
    /// See [`StepLogic::sets_joint_load`].
    fn sets_joint_load(&self) -> bool;
    /// [`StepLogic::step`] in `f64`.
    fn step_f64(&self, ctx: &StepContext<'_, f64>, out: &mut StepEffects<'_, f64>);
    /// [`StepLogic::step`] on dual numbers.
    fn step_dual(&self, ctx: &StepContext<'_, StepDual>, out: &mut StepEffects<'_, StepDual>);
}

impl<L: StepLogic> DynStepLogic for L {
    fn observations(&self) -> usize {
        StepLogic::observations(self)
    }
    fn reads_state(&self) -> bool {
        StepLogic::reads_state(self)
    }
    fn sets_endpoint_load(&self) -> bool {
        StepLogic::sets_endpoint_load(self)
    }
    fn sets_joint_load(&self) -> bool {
        StepLogic::sets_joint_load(self)
    }
    fn step_f64(&self, ctx: &StepContext<'_, f64>, out: &mut StepEffects<'_, f64>) {
        self.step(ctx, out)
    }
    fn step_dual(&self, ctx: &StepContext<'_, StepDual>, out: &mut StepEffects<'_, StepDual>) {
        self.step(ctx, out)
    }
}

/// The scalars the environment evaluates step logic in: `f64` and [`StepDual`].
pub trait StepScalar: Scalar {
    /// Run `logic` in this scalar type.
    fn run(logic: &dyn DynStepLogic, ctx: &StepContext<'_, Self>, out: &mut StepEffects<'_, Self>);
}

impl StepScalar for f64 {
    fn run(logic: &dyn DynStepLogic, ctx: &StepContext<'_, f64>, out: &mut StepEffects<'_, f64>) {
        logic.step_f64(ctx, out)
    }
}

impl StepScalar for StepDual {
    fn run(
        logic: &dyn DynStepLogic,
        ctx: &StepContext<'_, StepDual>,
        out: &mut StepEffects<'_, StepDual>,
    ) {
        logic.step_dual(ctx, out)
    }
}
