//! [`Rev`]: reverse-mode automatic differentiation, for functions of many inputs and one output.
//!
//! Forward-mode dual numbers ([`Dual64`](crate::Dual64), [`DualN`](crate::DualN)) cost one
//! evaluation per input direction. A loss that reads a whole episode (thousands of inputs, one
//! number out) needs the other mode: [`Rev`] records every operation on a tape, and one
//! backward sweep over the tape gives the derivative of the output with respect to every input.
//! Model and loss code written over [`Scalar`] runs on `Rev` unchanged.
//!
//! ```
//! use motornet_scalar::{rev, Rev, RevTape, Scalar};
//!
//! /// Σ_i (x_i − t_i)², clipped below at 0.5 for each term, written once for every scalar type.
//! fn loss<S: Scalar>(x: &[S], target: &[f64]) -> S {
//!     let mut sum = S::zero();
//!     for (&xi, &ti) in x.iter().zip(target) {
//!         let d = xi.shift(-ti);
//!         sum += (d * d).clamp_min(S::c(0.5));
//!     }
//!     sum
//! }
//! let target = [1.0, 2.0, 3.0];
//!
//! // A recording on this thread: inputs, any generic code, one backward sweep.
//! let tape = RevTape::start();
//! let x: Vec<Rev> = tape.vars(&[2.0, 2.5, 6.0]);
//! let y = loss(&x, &target);
//! assert_eq!(y.value(), 1.0 + 0.5 + 9.0); // the middle term is clipped to 0.5
//! assert_eq!(tape.gradient(y), vec![2.0, 0.0, 6.0]); // 2 (x_i − t_i), 0 where clipped
//! drop(tape); // ends the recording (so does leaving the scope)
//!
//! // The same in one call, adding 0.1 · gradient into a caller's buffer: after the first call
//! // on a thread, this allocates nothing (the tape's storage is reused).
//! let mut grad = vec![0.0; 3];
//! let value = rev::accumulate_gradient(&[2.0, 2.5, 6.0], 0.1, &mut grad, |x| loss(x, &target))
//!     .expect("no recording is live on this thread, and grad has one slot per input");
//! assert_eq!(value, 10.5);
//! assert_eq!(grad, vec![0.2, 0.0, 0.6000000000000001]);
//! ```
//!
//! # Derivative semantics
//!
//! Exactly those of the dual types: [`Scalar::select`] (and the `clamp_*` built on it) carries
//! the derivative of the selected branch only, `clamp_*` return the input at a tie,
//! [`Scalar::scale`] and [`Scalar::shift`] add no derivative of their constant, and
//! `powi(0)` is the constant 1. The value of a `Rev` computation is the `f64` computation's,
//! bit for bit (each operation computes its value with the `f64` operation).
//!
//! [`Scalar::is_finite`] is true when the value and every partial derivative recorded on the
//! way from the inputs to this number are finite (a dual number's derivative parts are not
//! known before the backward sweep, so this is what it checks instead: `sqrt(0)` or `ln(0)`
//! anywhere upstream makes it false, as for [`Dual64`](crate::Dual64); a product of finite
//! partials that overflows only in the sweep is not detected).
//!
//! # The tape
//!
//! Each thread has its own tape, so recording takes no lock, and rayon workers (or any threads)
//! record independently. [`RevTape::start`] begins a recording on the calling thread; the guard
//! it returns hands out inputs ([`RevTape::var`], [`RevTape::vars`]) and computes gradients
//! ([`RevTape::gradient`], [`RevTape::accumulate_gradient`]); dropping it ends the recording.
//! The tape's storage (nodes, inputs, adjoints) stays with the thread and is reused by its next
//! recording, so a thread that records the same function again and again allocates nothing
//! after the first time ([`free_thread_storage`] gives the memory back).
//!
//! A constant ([`Scalar::c`], or anything computed from constants only) has no node on the tape:
//! it can be made and used outside any recording. Every other operation records one node (24
//! bytes): its one or two parents and the partial derivatives with respect to them. Adding a
//! constant to a number or subtracting one from it (`x + c`, `c + x`, `x - c`, `shift`),
//! `select`, comparisons and `powi(1)` record nothing.
//!
//! # Misuse, and what happens
//!
//! - Starting a recording while one is live on the same thread: [`RevTape::try_start`] returns
//!   [`RevError::RecordingLive`]; [`RevTape::start`], [`gradient`] panic with that message;
//!   [`accumulate_gradient`] returns the error.
//! - Using a non-constant `Rev` in any other recording than the one that made it (a later
//!   recording on the same thread, a recording on another thread, or after its recording
//!   ended): every operation that records a node, and [`RevTape::gradient`] /
//!   [`RevTape::accumulate_gradient`], panic with a message that says so. Each recording has a
//!   process-wide unique number (wrapping after 2³¹ recordings) that every `Rev` carries, so
//!   this is always detected rather than giving wrong gradients.
//! - A gradient buffer whose length is not the number of inputs: [`RevError::GradientLength`].
//! - A guard leaked with `std::mem::forget` leaves its recording live on that thread for good.

use crate::{Real, Scalar};
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use std::sync::atomic::{AtomicU32, Ordering};

/// The node index of constants, and of the second parent of one-parent nodes: node 0 of every
/// recording is a sink whose adjoint is never read.
const SINK: u32 = 0;
/// At most this many nodes per recording (indices are `u32`).
const MAX_NODES: usize = u32::MAX as usize;
/// The bits of [`Rev::tag`] that hold the recording number.
const GEN_MASK: u32 = 0x7fff_ffff;
/// The bit of [`Rev::tag`] set when a partial derivative upstream is not finite.
const NONFINITE: u32 = 0x8000_0000;

/// The number of the next recording started anywhere in the process (0 is never used: the tape
/// of a thread with no live recording has number 0).
static NEXT_RECORDING: AtomicU32 = AtomicU32::new(1);

/// A real number whose operations are recorded on the calling thread's tape, for
/// reverse-mode derivatives: see the [module docs](self).
///
/// 16 bytes: the value (`f64`), the index of its node on the tape (0 for constants), and the
/// number of the recording it belongs to (plus one flag for [`Scalar::is_finite`]).
#[derive(Clone, Copy)]
pub struct Rev {
    value: f64,
    node: u32,
    /// Recording number (bits 0..31) | [`NONFINITE`].
    tag: u32,
}

impl Rev {
    /// The value.
    #[inline(always)]
    pub fn value(&self) -> f64 {
        self.value
    }
    /// A constant: no node on the tape, derivative zero. The same as [`Scalar::c`].
    #[inline(always)]
    pub fn constant(value: f64) -> Self {
        Rev {
            value,
            node: SINK,
            tag: 0,
        }
    }
    /// True for a constant (no node on the tape: its derivative with respect to every input
    /// is zero).
    #[inline(always)]
    pub fn is_constant(&self) -> bool {
        self.node == SINK
    }
    /// The same derivative (node), another value: for adding a constant.
    #[inline(always)]
    fn with_value(self, value: f64) -> Self {
        Rev { value, ..self }
    }
}

impl fmt::Debug for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Rev");
        s.field("value", &self.value);
        if self.is_constant() {
            s.field("node", &"constant");
        } else {
            s.field("node", &self.node)
                .field("recording", &(self.tag & GEN_MASK));
        }
        s.finish()
    }
}

/// The value, formatted as an `f64` is (precision and width apply).
impl fmt::Display for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

/// Why a recording could not start or a gradient could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevError {
    /// A recording is already live on this thread (its [`RevTape`] guard has not been dropped).
    RecordingLive,
    /// The gradient buffer does not have one slot per input.
    GradientLength {
        /// Inputs of the recording ([`RevTape::n_vars`]).
        vars: usize,
        /// Length of the buffer given.
        buffer: usize,
    },
}

impl fmt::Display for RevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevError::RecordingLive => write!(
                f,
                "a reverse-mode recording is already live on this thread: drop its RevTape \
                 before starting another (recordings do not nest)"
            ),
            RevError::GradientLength { vars, buffer } => write!(
                f,
                "the gradient buffer has {buffer} slots, but the recording has {vars} inputs"
            ),
        }
    }
}

impl std::error::Error for RevError {}

/// One recorded operation: its parents' node indices and the partial derivatives of its result
/// with respect to them (an input, or an operation with one parent, has [`SINK`] parents with
/// partial 0).
#[derive(Clone, Copy)]
struct Node {
    parents: [u32; 2],
    partials: [f64; 2],
}

const ROOT: Node = Node {
    parents: [SINK; 2],
    partials: [0.0; 2],
};

/// A thread's tape. Its storage outlives recordings and is reused by the next one.
struct Tape {
    /// Number of the live recording; 0 when none is live.
    recording: u32,
    /// Node 0 is the sink; then every input and operation in recording order.
    nodes: Vec<Node>,
    /// The inputs' node indices, in creation order (increasing).
    vars: Vec<u32>,
    /// ∂output/∂node, one per node, filled by the backward sweep.
    adjoints: Vec<f64>,
}

thread_local! {
    static TAPE: RefCell<Tape> = const {
        RefCell::new(Tape {
            recording: 0,
            nodes: Vec::new(),
            vars: Vec::new(),
            adjoints: Vec::new(),
        })
    };
    /// Inputs handed to the closure of [`accumulate_gradient`], reused between calls.
    static SCRATCH: RefCell<Vec<Rev>> = const { RefCell::new(Vec::new()) };
}

#[cold]
#[inline(never)]
fn foreign(rev_recording: u32, live: u32) -> ! {
    if live == 0 {
        panic!(
            "a Rev of recording {rev_recording} was used, but no reverse-mode recording is live \
             on this thread (its RevTape was dropped, or it was made on another thread)"
        )
    }
    panic!(
        "a Rev of recording {rev_recording} was used in recording {live}: values of one \
         recording cannot be used in another (recordings are per thread, and each start begins \
         a new one)"
    )
}

#[cold]
#[inline(never)]
fn mixed(a: u32, b: u32) -> ! {
    panic!(
        "Revs of recordings {a} and {b} were combined: values of one recording cannot be used \
         in another (recordings are per thread, and each start begins a new one)"
    )
}

impl Tape {
    /// Panics unless `y` is a constant or belongs to the live recording.
    #[inline]
    fn check(&self, y: Rev) {
        if !y.is_constant() && y.tag & GEN_MASK != self.recording {
            foreign(y.tag & GEN_MASK, self.recording);
        }
    }

    /// Appends `count` inputs; returns the index of the first.
    fn push_vars(&mut self, count: usize) -> u32 {
        let first = self.nodes.len();
        if first.saturating_add(count) > MAX_NODES {
            full();
        }
        self.nodes.extend(std::iter::repeat_n(ROOT, count));
        self.vars.extend(first as u32..(first + count) as u32);
        first as u32
    }

    /// The backward sweep from `y` (of the live recording, not a constant): fills `adjoints`
    /// with ∂y/∂node for every node from the first input on (zero for nodes after `y`).
    fn sweep(&mut self, y: Rev) {
        let Tape {
            nodes,
            vars,
            adjoints,
            ..
        } = self;
        adjoints.clear();
        adjoints.resize(nodes.len(), 0.0);
        let Some(&first) = vars.first() else {
            return;
        };
        let (first, last) = (first as usize, y.node as usize);
        if last < first {
            return;
        }
        adjoints[last] = 1.0;
        for (i, node) in nodes[first..=last].iter().enumerate().rev() {
            let a = adjoints[first + i];
            adjoints[node.parents[0] as usize] += a * node.partials[0];
            adjoints[node.parents[1] as usize] += a * node.partials[1];
        }
    }
}

/// Appends a node to this thread's tape and returns its index; panics if `recording` is not the
/// live recording. One out-of-line function with its arguments in registers: the operators
/// inline only the call.
#[inline(never)]
fn push_node(recording: u32, p0: u32, w0: f64, p1: u32, w1: f64) -> u32 {
    TAPE.with(|t| {
        let mut t = t.borrow_mut();
        if recording != t.recording {
            foreign(recording, t.recording);
        }
        let index = t.nodes.len();
        if index >= MAX_NODES {
            full();
        }
        t.nodes.push(Node {
            parents: [p0, p1],
            partials: [w0, w1],
        });
        index as u32
    })
}

#[cold]
#[inline(never)]
fn full() -> ! {
    panic!("the reverse-mode tape is full ({MAX_NODES} nodes: node indices are u32)")
}

/// A node with one parent `a` (not a constant): the result `value`, with ∂value/∂a = `da`.
#[inline(always)]
fn record1(value: f64, a: Rev, da: f64) -> Rev {
    let node = push_node(a.tag & GEN_MASK, a.node, da, SINK, 0.0);
    let flag = if da.is_finite() { 0 } else { NONFINITE };
    Rev {
        value,
        node,
        tag: a.tag | flag,
    }
}

/// A node with parents `a` and `b` (neither a constant), with partials `da`, `db`.
#[inline(always)]
fn record2(value: f64, a: Rev, da: f64, b: Rev, db: f64) -> Rev {
    let recording = a.tag & GEN_MASK;
    if b.tag & GEN_MASK != recording {
        mixed(recording, b.tag & GEN_MASK);
    }
    let node = push_node(recording, a.node, da, b.node, db);
    let flag = if da.is_finite() && db.is_finite() {
        0
    } else {
        NONFINITE
    };
    Rev {
        value,
        node,
        tag: a.tag | b.tag | flag,
    }
}

/// `f(a)` with f(a) = `value` and f'(a) = `slope`: a constant if `a` is one.
#[inline(always)]
fn unary(value: f64, a: Rev, slope: f64) -> Rev {
    if a.is_constant() {
        Rev::constant(value)
    } else {
        record1(value, a, slope)
    }
}

/// `f(a, b)` with partials `da`, `db`: one node, or none if both are constants.
#[inline(always)]
fn binary(value: f64, a: Rev, da: f64, b: Rev, db: f64) -> Rev {
    match (a.is_constant(), b.is_constant()) {
        (false, false) => record2(value, a, da, b, db),
        (false, true) => record1(value, a, da),
        (true, false) => record1(value, b, db),
        (true, true) => Rev::constant(value),
    }
}

impl Add for Rev {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        let value = self.value + o.value;
        match (self.is_constant(), o.is_constant()) {
            (false, false) => record2(value, self, 1.0, o, 1.0),
            (false, true) => self.with_value(value),
            (true, false) => o.with_value(value),
            (true, true) => Rev::constant(value),
        }
    }
}

impl Sub for Rev {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        let value = self.value - o.value;
        match (self.is_constant(), o.is_constant()) {
            (false, false) => record2(value, self, 1.0, o, -1.0),
            (false, true) => self.with_value(value),
            (true, false) => record1(value, o, -1.0),
            (true, true) => Rev::constant(value),
        }
    }
}

impl Mul for Rev {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        binary(self.value * o.value, self, o.value, o, self.value)
    }
}

impl Div for Rev {
    type Output = Self;
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        let value = self.value / o.value;
        let inv = 1.0 / o.value;
        binary(value, self, inv, o, -value * inv)
    }
}

impl Neg for Rev {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        unary(-self.value, self, -1.0)
    }
}

impl AddAssign for Rev {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}
impl SubAssign for Rev {
    #[inline(always)]
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}
impl MulAssign for Rev {
    #[inline(always)]
    fn mul_assign(&mut self, o: Self) {
        *self = *self * o;
    }
}
impl DivAssign for Rev {
    #[inline(always)]
    fn div_assign(&mut self, o: Self) {
        *self = *self / o;
    }
}

impl Scalar for Rev {
    type Mask = bool;
    const LANES: usize = 1;
    #[inline(always)]
    fn c(x: f64) -> Self {
        Rev::constant(x)
    }
    #[inline(always)]
    fn lane(&self, _i: usize) -> f64 {
        self.value
    }
    #[inline(always)]
    fn from_lanes(value: impl Fn(usize) -> f64) -> Self {
        Rev::constant(value(0))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self.value < o.value
    }
    #[inline(always)]
    fn le(self, o: Self) -> bool {
        self.value <= o.value
    }
    #[inline(always)]
    fn select(mask: bool, a: Self, b: Self) -> Self {
        if mask {
            a
        } else {
            b
        }
    }
    #[inline]
    fn exp(self) -> Self {
        let e = self.value.exp();
        unary(e, self, e)
    }
    #[inline]
    fn ln(self) -> Self {
        unary(self.value.ln(), self, 1.0 / self.value)
    }
    #[inline]
    fn sqrt(self) -> Self {
        let s = self.value.sqrt();
        unary(s, self, 0.5 / s)
    }
    #[inline]
    fn sin(self) -> Self {
        unary(self.value.sin(), self, self.value.cos())
    }
    #[inline]
    fn cos(self) -> Self {
        unary(self.value.cos(), self, -self.value.sin())
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.value.sin_cos();
        (unary(s, self, c), unary(c, self, -s))
    }
    #[inline]
    fn tanh(self) -> Self {
        let t = self.value.tanh();
        unary(t, self, 1.0 - t * t)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        match n {
            0 => Rev::constant(1.0),
            1 => self,
            _ => unary(self.value.powi(n), self, self.value.powi(n - 1) * n as f64),
        }
    }
    #[inline]
    fn is_finite(&self) -> bool {
        self.value.is_finite() && self.tag & NONFINITE == 0
    }
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        unary(self.value * k, self, k)
    }
    #[inline(always)]
    fn shift(self, k: f64) -> Self {
        self.with_value(self.value + k)
    }
}

impl Real for Rev {}

/// A live recording on the calling thread's tape: hands out inputs and computes gradients.
/// Dropping it ends the recording. Not `Send`: the tape it refers to is the thread's.
///
/// Shapes: with `n` inputs made by [`var`](Self::var) / [`vars`](Self::vars) (numbered
/// `0..n` in creation order, over all calls), a gradient is `[n]`, entry `i` the derivative
/// of the output with respect to input `i`, in output units per input unit.
pub struct RevTape {
    recording: u32,
    /// The recording lives in this thread's tape: keep the guard on this thread.
    _thread: PhantomData<*const ()>,
}

impl RevTape {
    /// Begins a recording on this thread (clearing the tape, keeping its storage).
    ///
    /// # Panics
    /// If a recording is already live on this thread ([`RevError::RecordingLive`]; use
    /// [`try_start`](Self::try_start) to get the error instead).
    pub fn start() -> Self {
        match Self::try_start() {
            Ok(tape) => tape,
            Err(e) => panic!("{e}"),
        }
    }

    /// Begins a recording on this thread, or says why not: [`RevError::RecordingLive`] if one
    /// is already live here.
    pub fn try_start() -> Result<Self, RevError> {
        TAPE.with(|t| {
            let mut t = t.borrow_mut();
            if t.recording != 0 {
                return Err(RevError::RecordingLive);
            }
            let recording = loop {
                let n = NEXT_RECORDING.fetch_add(1, Ordering::Relaxed) & GEN_MASK;
                if n != 0 {
                    break n;
                }
            };
            t.recording = recording;
            t.nodes.clear();
            t.nodes.push(ROOT);
            t.vars.clear();
            Ok(RevTape {
                recording,
                _thread: PhantomData,
            })
        })
    }

    /// A new input with value `value`: the next number in creation order.
    pub fn var(&self, value: f64) -> Rev {
        let node = TAPE.with(|t| t.borrow_mut().push_vars(1));
        Rev {
            value,
            node,
            tag: self.recording,
        }
    }

    /// New inputs with the given values, numbered in order after those made before.
    pub fn vars(&self, values: &[f64]) -> Vec<Rev> {
        let mut out = Vec::with_capacity(values.len());
        self.vars_into(values, &mut out);
        out
    }

    /// [`vars`](Self::vars) into a caller's buffer (cleared first), which keeps its storage
    /// between calls.
    pub fn vars_into(&self, values: &[f64], out: &mut Vec<Rev>) {
        let first = TAPE.with(|t| t.borrow_mut().push_vars(values.len()));
        out.clear();
        out.extend(values.iter().zip(first..).map(|(&value, node)| Rev {
            value,
            node,
            tag: self.recording,
        }));
    }

    /// Number of inputs made so far (the length of a gradient).
    pub fn n_vars(&self) -> usize {
        TAPE.with(|t| t.borrow().vars.len())
    }

    /// Number of nodes recorded so far: inputs and operations (constants have none).
    pub fn n_nodes(&self) -> usize {
        TAPE.with(|t| t.borrow().nodes.len() - 1)
    }

    /// How many nodes the thread's tape holds without reallocating (its storage is kept from
    /// one recording to the next): for checking that a loop has reached a steady state.
    pub fn node_capacity(&self) -> usize {
        TAPE.with(|t| t.borrow().nodes.capacity())
    }

    /// ∂y/∂(input i) for every input, in creation order: `[n_vars]`. Zero for inputs `y` does
    /// not depend on (and for every input if `y` is a constant). May be called for several
    /// outputs of one recording, and recording may go on afterwards.
    ///
    /// # Panics
    /// If `y` belongs to another recording (see the [module docs](self)).
    pub fn gradient(&self, y: Rev) -> Vec<f64> {
        let mut g = vec![0.0; self.n_vars()];
        self.add_gradient(y, 1.0, &mut g);
        g
    }

    /// Adds `scale · ∂y/∂(input i)` to `grad[i]` for every input; allocates nothing once the
    /// thread's tape has grown to the recording's size.
    ///
    /// # Errors
    /// [`RevError::GradientLength`] unless `grad.len()` is [`n_vars`](Self::n_vars); `grad` is
    /// then unchanged.
    ///
    /// # Panics
    /// If `y` belongs to another recording (see the [module docs](self)).
    pub fn accumulate_gradient(
        &self,
        y: Rev,
        scale: f64,
        grad: &mut [f64],
    ) -> Result<(), RevError> {
        let vars = self.n_vars();
        if grad.len() != vars {
            return Err(RevError::GradientLength {
                vars,
                buffer: grad.len(),
            });
        }
        self.add_gradient(y, scale, grad);
        Ok(())
    }

    fn add_gradient(&self, y: Rev, scale: f64, grad: &mut [f64]) {
        TAPE.with(|t| {
            let mut t = t.borrow_mut();
            t.check(y);
            if y.is_constant() {
                return;
            }
            t.sweep(y);
            for (g, &v) in grad.iter_mut().zip(&t.vars) {
                *g += scale * t.adjoints[v as usize];
            }
        })
    }
}

impl Drop for RevTape {
    fn drop(&mut self) {
        // `try_with`: the thread's storage may already be gone if the guard lives in another
        // thread-local that is destroyed later.
        let _ = TAPE.try_with(|t| {
            if let Ok(mut t) = t.try_borrow_mut() {
                t.recording = 0;
            }
        });
    }
}

impl fmt::Debug for RevTape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevTape")
            .field("recording", &self.recording)
            .finish()
    }
}

/// The value of `f` at `inputs` and its gradient (`[inputs.len()]`, ∂f/∂input i), in one
/// recording on this thread. `f` receives the inputs as [`Rev`]s, in order.
///
/// # Panics
/// If a recording is already live on this thread (recordings do not nest;
/// [`accumulate_gradient`] returns the error instead).
///
/// ```
/// use motornet_scalar::{rev, Scalar};
/// // f(x, y) = x·y + sin x, at (2, 3): ∂f/∂x = y + cos x, ∂f/∂y = x
/// let (f, g) = rev::gradient(&[2.0, 3.0], |v| v[0] * v[1] + v[0].sin());
/// assert_eq!(f, 6.0 + 2f64.sin());
/// assert_eq!(g, vec![3.0 + 2f64.cos(), 2.0]);
/// ```
pub fn gradient(inputs: &[f64], f: impl FnOnce(&[Rev]) -> Rev) -> (f64, Vec<f64>) {
    let tape = RevTape::start();
    let x = tape.vars(inputs);
    let y = f(&x);
    (y.value, tape.gradient(y))
}

/// Adds `scale · ∇f(inputs)` to `grad` (`[inputs.len()]`) and returns `f(inputs)`, in one
/// recording on this thread: the form a loss evaluated per batch element uses. After the first
/// call of a given size on a thread it allocates nothing (the tape, and the buffer of inputs
/// handed to `f`, are reused).
///
/// # Errors
/// [`RevError::GradientLength`] unless `grad.len() == inputs.len()`, and
/// [`RevError::RecordingLive`] if a recording is live on this thread; `f` is then not called
/// and `grad` is unchanged.
pub fn accumulate_gradient(
    inputs: &[f64],
    scale: f64,
    grad: &mut [f64],
    f: impl FnOnce(&[Rev]) -> Rev,
) -> Result<f64, RevError> {
    if grad.len() != inputs.len() {
        return Err(RevError::GradientLength {
            vars: inputs.len(),
            buffer: grad.len(),
        });
    }
    let tape = RevTape::try_start()?;
    // the inputs' buffer is taken out of its thread-local while `f` runs (`f` may itself use
    // it through a nested call, which fails with `RecordingLive` before touching it)
    let mut x = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    tape.vars_into(inputs, &mut x);
    let y = f(&x);
    tape.add_gradient(y, scale, grad);
    SCRATCH.with(|s| *s.borrow_mut() = x);
    Ok(y.value)
}

/// Frees the calling thread's tape storage (kept between recordings for reuse).
///
/// # Errors
/// [`RevError::RecordingLive`] if a recording is live on this thread (nothing is freed).
pub fn free_thread_storage() -> Result<(), RevError> {
    TAPE.with(|t| {
        let mut t = t.borrow_mut();
        if t.recording != 0 {
            return Err(RevError::RecordingLive);
        }
        t.nodes = Vec::new();
        t.vars = Vec::new();
        t.adjoints = Vec::new();
        Ok(())
    })?;
    SCRATCH.with(|s| *s.borrow_mut() = Vec::new());
    Ok(())
}
