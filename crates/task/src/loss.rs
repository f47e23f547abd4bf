//! Training losses for motor tasks, each with an exact hand-written gradient.
//!
//! A loss sees one batch element's episode through an [`EpisodeView`] (plain row-major,
//! time-major slices) and returns its value; when given an [`EpisodeGrad`] it also *adds*
//! `scale · ∂loss/∂input` into it, so several losses (and several calls) can accumulate into the
//! same buffers. Call [`EpisodeView::check`] (and [`EpisodeGrad::check`]) once per episode before
//! evaluating losses: a loss given an inconsistent view or gradient buffer does not panic, it
//! returns NaN and leaves the buffers untouched.
//!
//! Built-in losses: [`PositionL1`], [`ClippedPosition`], [`ActivationL2`], [`HiddenL2`],
//! [`Speed`], [`Jerk`], combined with weights by [`LossSum`]; [`LossConfig`] lists them in
//! training config files. Each lives in its own file under `loss/` with its config struct
//! (e.g. [`ClippedPositionConfig`]) implementing [`BuiltinLoss`], and is registered by one line
//! in the `losses!` list below, which generates [`LossConfig`] and its name table.

use crate::registry::{Description, Param, Registered};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod term;
pub use term::{Auto, EpisodeValues, Fields, LossTerm};

/// Errors from building a loss or checking an episode view.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossError {
    /// A loss parameter (radius, weight, derivative_weight) is out of range.
    #[error("{loss}: `{parameter}` must be finite and >= 0, got {value}")]
    Parameter {
        /// The loss being built (its config `kind`, or `loss_sum`).
        loss: &'static str,
        /// The bad parameter's name, as spelled in config files.
        parameter: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A slice of the episode (or of the gradient buffers) has the wrong length.
    #[error("episode: `{field}` has length {actual}, expected {expected}")]
    Length {
        /// The field, e.g. `fingertip` or `grad.hidden`.
        field: String,
        /// The length implied by T, d, M and H.
        expected: usize,
        /// The slice's actual length.
        actual: usize,
    },
    /// `goal` is not a whole, non-empty number of rows of `space_dim`, or `space_dim` is 0.
    #[error(
        "episode: `goal` has length {len}, not a positive multiple of space_dim = {space_dim}"
    )]
    Goal {
        /// `goal.len()`.
        len: usize,
        /// The declared space dimension d.
        space_dim: usize,
    },
    /// `dt` is not finite and positive.
    #[error("episode: `dt` must be finite and > 0, got {0}")]
    Dt(f64),
}

/// One batch element's episode, as the losses see it. T = number of steps, so there are T + 1
/// states `s_0..s_T`; arrays are row-major and time-major (one row per state or step).
///
/// Besides the fingertip, the goal, the activations and the hidden states, a loss sees the whole
/// effector state at every state (joint state, every muscle state entry including the force,
/// and the geometry) and, at every step, the command the effector received and the network's
/// output, so that a penalty on joint angles, muscle forces or excitations can be written.
#[derive(Debug, Clone, Copy)]
pub struct EpisodeView<'a> {
    /// Time step between consecutive states (s).
    pub dt: f64,
    /// Space dimension d of the fingertip.
    pub space_dim: usize,
    /// `[(T+1) × 2d]`: fingertip position (m) then velocity (m/s) at every state `s_0..s_T`.
    pub fingertip: &'a [f64],
    /// `[(T+1) × d]`: where the fingertip should be at each state (m). Defines T.
    pub goal: &'a [f64],
    /// `[(T+1) × M]`: muscle activations at each state (dimensionless).
    pub activation: &'a [f64],
    /// `[T × H]`: the network's hidden state after each of its T steps (H may be 0).
    pub hidden: &'a [f64],
    /// Number of muscles M.
    pub n_muscles: usize,
    /// Hidden size H.
    pub hidden_size: usize,
    /// Degrees of freedom of the skeleton (`dof`).
    pub dof: usize,
    /// State entries per muscle (`n_states` of the muscle model).
    pub n_muscle_states: usize,
    /// `[(T+1) × 2·dof]`: joint positions then velocities (rad or m, per s) at every state.
    pub joint: &'a [f64],
    /// `[(T+1) × M·n_states]`: every muscle's state at every state, muscle-major within a row
    /// (muscle `k`'s entry `j` at `k·n_states + j`; activation first, force (N) last).
    pub muscle: &'a [f64],
    /// `[(T+1) × (2 + dof)·M]`: musculotendon lengths (m), velocities (m/s), then one row of
    /// moment arms (m) per joint, at every state.
    pub geometry: &'a [f64],
    /// `[T × M]`: the excitation the effector received at each step (the network's output plus
    /// action noise).
    pub excitation: &'a [f64],
    /// `[T × M]`: the network's output at each step.
    pub output: &'a [f64],
}

impl EpisodeView<'_> {
    /// Checks every slice length against T (from `goal.len() / d − 1`), d, M, H, dof and the
    /// muscle state size, and that `dt` is finite and positive. Returns T. Call it before
    /// evaluating losses.
    pub fn check(&self) -> Result<usize, LossError> {
        let d = self.space_dim;
        if d == 0 || self.goal.is_empty() || !self.goal.len().is_multiple_of(d) {
            let len = self.goal.len();
            return Err(LossError::Goal { len, space_dim: d });
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(LossError::Dt(self.dt));
        }
        let t = self.goal.len() / d - 1;
        lengths(&self.fields("", t))?;
        Ok(t)
    }

    /// `(name, actual length, expected length)` of every differentiable field, in the order
    /// of [`EpisodeGrad`]'s fields, for T = `t`.
    fn fields(&self, prefix: &'static str, t: usize) -> [(String, usize, usize); 9] {
        let (d, m, h, dof, ns) = (
            self.space_dim,
            self.n_muscles,
            self.hidden_size,
            self.dof,
            self.n_muscle_states,
        );
        [
            ("fingertip", self.fingertip.len(), (t + 1) * 2 * d),
            ("activation", self.activation.len(), (t + 1) * m),
            ("hidden", self.hidden.len(), t * h),
            ("joint", self.joint.len(), (t + 1) * 2 * dof),
            ("muscle", self.muscle.len(), (t + 1) * m * ns),
            ("geometry", self.geometry.len(), (t + 1) * (2 + dof) * m),
            ("excitation", self.excitation.len(), t * m),
            ("output", self.output.len(), t * m),
            ("goal", self.goal.len(), (t + 1) * d),
        ]
        .map(|(name, actual, expected)| (format!("{prefix}{name}"), actual, expected))
    }
}

/// The first `(field, actual, expected)` whose lengths differ, as an error.
fn lengths(fields: &[(String, usize, usize)]) -> Result<(), LossError> {
    match fields
        .iter()
        .find(|(_, actual, expected)| actual != expected)
    {
        Some((field, actual, expected)) => Err(LossError::Length {
            field: field.clone(),
            expected: *expected,
            actual: *actual,
        }),
        None => Ok(()),
    }
}

/// Gradient buffers with the same shapes as the differentiable fields of [`EpisodeView`]
/// (all but `dt` and the sizes; the goal too, since a task may move it with the state).
/// Losses add into them.
#[derive(Debug)]
pub struct EpisodeGrad<'a> {
    /// `[(T+1) × 2d]`: ∂/∂ fingertip position (1/m) and velocity (s/m).
    pub fingertip: &'a mut [f64],
    /// `[(T+1) × M]`: ∂/∂ activation.
    pub activation: &'a mut [f64],
    /// `[T × H]`: ∂/∂ hidden state.
    pub hidden: &'a mut [f64],
    /// `[(T+1) × 2·dof]`: ∂/∂ joint state.
    pub joint: &'a mut [f64],
    /// `[(T+1) × M·n_states]`: ∂/∂ muscle states.
    pub muscle: &'a mut [f64],
    /// `[(T+1) × (2 + dof)·M]`: ∂/∂ geometry.
    pub geometry: &'a mut [f64],
    /// `[T × M]`: ∂/∂ excitation (the command the effector received).
    pub excitation: &'a mut [f64],
    /// `[T × M]`: ∂/∂ network output.
    pub output: &'a mut [f64],
    /// `[(T+1) × d]`: ∂/∂ goal (1/m).
    pub goal: &'a mut [f64],
}

impl EpisodeGrad<'_> {
    /// The buffers in the order of [`EpisodeView`]'s differentiable fields.
    pub fn buffers(&mut self) -> [&mut [f64]; 9] {
        [
            &mut *self.fingertip,
            &mut *self.activation,
            &mut *self.hidden,
            &mut *self.joint,
            &mut *self.muscle,
            &mut *self.geometry,
            &mut *self.excitation,
            &mut *self.output,
            &mut *self.goal,
        ]
    }

    /// Checks that each buffer has the length of the matching field of `ep`.
    pub fn check(&self, ep: &EpisodeView) -> Result<(), LossError> {
        let mine = [
            self.fingertip.len(),
            self.activation.len(),
            self.hidden.len(),
            self.joint.len(),
            self.muscle.len(),
            self.geometry.len(),
            self.excitation.len(),
            self.output.len(),
            self.goal.len(),
        ];
        let theirs = ep.fields("grad.", 0);
        let pairs: Vec<_> = theirs
            .into_iter()
            .zip([
                ep.fingertip.len(),
                ep.activation.len(),
                ep.hidden.len(),
                ep.joint.len(),
                ep.muscle.len(),
                ep.geometry.len(),
                ep.excitation.len(),
                ep.output.len(),
                ep.goal.len(),
            ])
            .zip(mine)
            .map(|(((name, _, _), want), got)| (name, got, want))
            .collect();
        lengths(&pairs)
    }
}

/// A training loss of one batch element's episode.
pub trait Loss: Send + Sync {
    /// Short name, as the config `kind` (e.g. `position_l1`).
    fn name(&self) -> &str;
    /// The loss of one element; when `grad` is given, ADD (never assign) `scale ·` ∂loss/∂input
    /// into it. Returns NaN, touching nothing, if `ep` or `grad` fails its `check`.
    fn value_and_grad(&self, ep: &EpisodeView, grad: Option<&mut EpisodeGrad>, scale: f64) -> f64;
    /// The fields of the [`EpisodeView`] this loss reads. The default, every field, is always
    /// correct; naming fewer lets a training loop skip building the others (the network's
    /// hidden states, `[T · H]` per element, are the costly one). A field that no loss of a
    /// [`LossSum`] reads may hold NaN in the view the loop passes, so that reading it anyway
    /// gives a non-finite loss (an error), never a silently wrong one.
    fn reads(&self) -> Fields {
        Fields::ALL
    }
}

/// T if the view and the buffers are consistent.
fn prepare(ep: &EpisodeView, grad: Option<&EpisodeGrad>) -> Option<usize> {
    let t = ep.check().ok()?;
    grad.map_or(Ok(()), |g| g.check(ep)).ok().map(|_| t)
}

fn nonneg(loss: &'static str, parameter: &'static str, value: f64) -> Result<f64, LossError> {
    let ok = value.is_finite() && value >= 0.0;
    ok.then_some(value).ok_or(LossError::Parameter {
        loss,
        parameter,
        value,
    })
}

type Grad<'g, 'a> = Option<&'g mut EpisodeGrad<'a>>;

/// The `weight` every built-in loss's config has (its weight in the sum).
const WEIGHT: Param = Param {
    name: "weight",
    doc: "weight in the sum",
};

/// Implements [`Loss`] for a type with a private `eval(ep, T, grad, scale)` that may assume a
/// checked view and checked buffers, and reads the fields `$reads`.
macro_rules! impl_loss {
    ($ty:ty, $name:expr, $reads:expr) => {
        impl Loss for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn reads(&self) -> Fields {
                $reads
            }
            fn value_and_grad(&self, ep: &EpisodeView, grad: Grad, scale: f64) -> f64 {
                match prepare(ep, grad.as_deref()) {
                    Some(t) => self.eval(ep, t, grad, scale),
                    None => f64::NAN,
                }
            }
        }
    };
}

/// Mean over `rows` rows of width `w` of Σ x² plus `dw ·` mean over the `rows − 1` consecutive
/// pairs of Σ ((x_r − x_{r−1})/dt)²; each term is 0 when it has no rows. Adds `scale ·` gradient.
fn l2_with_derivative(
    x: &[f64],
    mut g: Option<&mut [f64]>,
    rows: usize,
    w: usize,
    dt: f64,
    dw: f64,
    scale: f64,
) -> f64 {
    let mut value = 0.0;
    if rows > 0 {
        let n = rows as f64;
        for i in 0..rows * w {
            value += x[i] * x[i] / n;
            if let Some(g) = g.as_deref_mut() {
                g[i] += scale * 2.0 * x[i] / n;
            }
        }
    }
    if rows > 1 && dw != 0.0 {
        let n = (rows - 1) as f64;
        for i in w..rows * w {
            let rate = (x[i] - x[i - w]) / dt;
            value += dw * rate * rate / n;
            if let Some(g) = g.as_deref_mut() {
                let c = scale * dw * 2.0 * rate / (dt * n);
                g[i] += c;
                g[i - w] -= c;
            }
        }
    }
    value
}

mod activation_l2;
mod clipped_position;
mod hidden_l2;
mod jerk;
mod position_l1;
mod speed;

pub use activation_l2::{ActivationL2, ActivationL2Config};
pub use clipped_position::{ClippedPosition, ClippedPositionConfig};
pub use hidden_l2::{HiddenL2, HiddenL2Config};
pub use jerk::{Jerk, JerkConfig};
pub use position_l1::{PositionL1, PositionL1Config};
pub use speed::{Speed, SpeedConfig};

/// A weighted sum of losses: value Σ w·loss, gradient Σ w·grad. Weights are finite and ≥ 0.
#[derive(Default)]
pub struct LossSum {
    terms: Vec<(f64, Box<dyn Loss>)>,
}

impl LossSum {
    /// An empty sum (value 0).
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds `weight · loss`; `weight` must be finite and ≥ 0.
    pub fn push(&mut self, weight: f64, loss: Box<dyn Loss>) -> Result<(), LossError> {
        self.terms
            .push((nonneg("loss_sum", "weight", weight)?, loss));
        Ok(())
    }
    /// Builder form of [`LossSum::push`].
    pub fn with(mut self, weight: f64, loss: impl Loss + 'static) -> Result<Self, LossError> {
        self.push(weight, Box::new(loss))?;
        Ok(self)
    }
    /// The fields any of the losses reads ([`Loss::reads`]).
    pub fn reads(&self) -> Fields {
        self.terms
            .iter()
            .fold(Fields::NONE, |acc, (_, l)| acc | l.reads())
    }
    /// The (weight, loss) pairs, in order.
    pub fn losses(&self) -> &[(f64, Box<dyn Loss>)] {
        &self.terms
    }
    /// Each term's name and weighted value `w · loss`, in order, for logging.
    pub fn terms(&self, ep: &EpisodeView) -> Vec<(String, f64)> {
        let terms = self.terms.iter();
        terms
            .map(|(w, l)| (l.name().to_owned(), w * l.value_and_grad(ep, None, 1.0)))
            .collect()
    }
}

impl std::fmt::Debug for LossSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.terms.iter().map(|(w, l)| (w, l.name())))
            .finish()
    }
}

impl Loss for LossSum {
    fn name(&self) -> &str {
        "loss_sum"
    }
    fn value_and_grad(&self, ep: &EpisodeView, mut grad: Grad, scale: f64) -> f64 {
        if prepare(ep, grad.as_deref()).is_none() {
            return f64::NAN;
        }
        let terms = self.terms.iter();
        terms
            .map(|(w, l)| w * l.value_and_grad(ep, grad.as_deref_mut(), scale * w))
            .sum()
    }
}

fn one() -> f64 {
    1.0
}

/// A loss term that training config files can name: what [`LossConfig`]'s registration list
/// needs besides the name. Implemented by the config struct of the term (its serde fields,
/// `weight` first, are the config's fields after `kind`), next to the [`Loss`] it builds, so a
/// built-in loss is one file.
pub trait BuiltinLoss:
    Registered + Clone + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned + 'static
{
    /// One line saying what the loss measures, with its unit (docs).
    const DOC: &'static str;
    /// The config fields, in the order of the struct's fields (`weight` first).
    const PARAMS: &'static [Param];
    /// A valid config: the defaults, and typical values for the fields without one.
    fn example() -> Self;
    /// The term's weight in the sum.
    fn weight(&self) -> f64;
    /// The loss, its parameters validated.
    fn build(&self) -> Result<Box<dyn Loss>, LossError>;
}

/// THE list of built-in losses: one line per loss, `Variant = "config kind" => ConfigType`. It
/// defines [`LossConfig`] (tagged by `kind`), [`LossConfig::NAMES`],
/// [`LossConfig::DESCRIPTIONS`], [`LossConfig::examples`], [`LossConfig::name`] and
/// [`LossConfig::build`].
macro_rules! losses {
    ($($variant:ident = $name:literal => $ty:ty,)*) => {
        $(impl Registered for $ty {
            const NAME: &'static str = $name;
        })*

        /// One loss term of a training config file, tagged by `kind`, e.g.
        /// `{"kind": "clipped_position", "weight": 1, "radius": 0.01}`; the fields after `kind`
        /// are those of the term's config struct. `weight` defaults to 1 and
        /// `derivative_weight` to 0.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum LossConfig {
            $(
                #[doc = concat!("`", $name, "`: [`", stringify!($ty), "`].")]
                #[serde(rename = $name)]
                $variant($ty),
            )*
        }

        $(impl From<$ty> for LossConfig {
            fn from(config: $ty) -> Self {
                Self::$variant(config)
            }
        })*

        impl LossConfig {
            /// Loss names (`kind`), as config files accept them.
            pub const NAMES: [&'static str; [$($name),*].len()] = [$($name),*];

            /// Every built-in loss's name, description and parameters.
            pub const DESCRIPTIONS: [Description; [$($name),*].len()] = [$(Description {
                name: $name,
                doc: <$ty as BuiltinLoss>::DOC,
                params: <$ty as BuiltinLoss>::PARAMS,
            }),*];

            /// One valid config of every built-in loss ([`BuiltinLoss::example`]), in the
            /// order of [`LossConfig::NAMES`].
            pub fn examples() -> Vec<Self> {
                vec![$(Self::$variant(<$ty as BuiltinLoss>::example())),*]
            }

            /// The term's `kind`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }

            /// This term's weight and loss, validated.
            pub fn build(&self) -> Result<(f64, Box<dyn Loss>), LossError> {
                match self {
                    $(Self::$variant(c) => Ok((c.weight(), c.build()?)),)*
                }
            }
        }
    };
}

losses! {
    PositionL1 = "position_l1" => PositionL1Config,
    ClippedPosition = "clipped_position" => ClippedPositionConfig,
    ActivationL2 = "activation_l2" => ActivationL2Config,
    HiddenL2 = "hidden_l2" => HiddenL2Config,
    Speed = "speed" => SpeedConfig,
    Jerk = "jerk" => JerkConfig,
}

/// Builds the weighted sum of the listed losses, validating every parameter and weight.
pub fn build(configs: &[LossConfig]) -> Result<LossSum, LossError> {
    let mut sum = LossSum::new();
    for c in configs {
        let (weight, loss) = c.build()?;
        sum.push(weight, loss)?;
    }
    Ok(sum)
}
