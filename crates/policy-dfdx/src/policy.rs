//! [`DfdxPolicy`]: any [`AutodiffCell`] as a [`Policy`], with the backward step from dfdx.

use std::any::TypeId;

use dfdx::prelude::Backward;
use dfdx::shapes::HasShape;
use dfdx::tensor::{
    Cpu, CpuError, Merge, OwnedTape, PutTape, SplitTape, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::Device;
use motornet_policy::{ParamLayout, Policy, Real};
use rand::Rng;

use crate::cell::{AutodiffCell, BlockRef, Params};
use crate::ops::{grad_slice, Float, Tensor2};

thread_local! {
    /// One dfdx device per thread: no lock is shared between the threads a training loop runs
    /// its chunks on. (dfdx's allocation cache stays off: turning it on made a step 3-4x
    /// slower, measured with `examples/speed.rs`.)
    static DEVICE: Cpu = Cpu::default();
}

/// An [`AutodiffCell`] as a [`Policy`]: the forward step runs the cell's dfdx ops without a
/// tape; the backward step re-runs the step on a tape from the cached `x` and `h`, and takes the
/// gradient of `⟨u, g_u⟩ + ⟨h_new, g_h_new⟩` with dfdx's reverse mode.
///
/// As [`Policy`] requires, [`backward_step`](Policy::backward_step) *adds* the parameter
/// gradients into `g_params` and *overwrites* `g_x` and `g_h`.
///
/// Both element types of [`Real`] work: `f32` buffers run the cell in dfdx `f32`, every other
/// [`Real`] (`f64`) in dfdx `f64`; the conversions are exact. The device is a dfdx `Cpu` per
/// thread, so one policy can be used from several threads at once.
///
/// ```
/// use motornet_policy::Policy;
/// use motornet_policy_dfdx::LstmConfig;
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let (lstm, params) = LstmConfig::new(3, 8, 2).init::<f32, _>(&mut StdRng::seed_from_u64(0))?;
/// assert_eq!(lstm.hidden_size(), 2 * 8); // [h, c]
/// let batch = 4;
/// let x = vec![0.5f32; batch * 3];
/// let h = vec![0.0f32; batch * lstm.hidden_size()];
/// let (mut u, mut h_new) = (vec![0.0; batch * 2], vec![0.0; batch * lstm.hidden_size()]);
/// let mut cache = lstm.new_cache(batch);
/// lstm.forward_step(&params, &x, &h, &mut u, &mut h_new, &mut cache);
///
/// let mut g_params = vec![0.0f32; lstm.n_params()];
/// let (mut g_x, mut g_h) = (vec![0.0; x.len()], vec![0.0; h.len()]);
/// let g_u = vec![1.0f32; u.len()];
/// let g_h_new = vec![0.0f32; h.len()];
/// let mut ws = lstm.new_workspace(batch);
/// lstm.backward_step(&params, &cache, &g_u, &g_h_new, &mut g_params, &mut g_x, &mut g_h, &mut ws);
/// assert!(g_params.iter().any(|&g| g != 0.0));
/// # Ok::<(), motornet_policy::PolicyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DfdxPolicy<C> {
    cell: C,
}

impl<C: AutodiffCell> DfdxPolicy<C> {
    /// Wraps `cell`.
    pub fn new(cell: C) -> Self {
        Self { cell }
    }

    /// The cell.
    pub fn cell(&self) -> &C {
        &self.cell
    }

    /// The cell, unwrapped.
    pub fn into_cell(self) -> C {
        self.cell
    }

    fn dims(&self) -> [usize; 3] {
        [
            self.cell.input_size(),
            self.cell.hidden_size(),
            self.cell.output_size(),
        ]
    }
}

/// What [`DfdxPolicy::forward_step`](Policy::forward_step) records of one step: copies of its
/// input `x [B, in]` and hidden state `h [B, hid]`, from which the backward step re-runs it.
#[derive(Clone, Debug)]
pub struct DfdxCache<T> {
    dims: [usize; 3],
    batch: usize,
    x: Vec<T>,
    h: Vec<T>,
}

impl<T> DfdxCache<T> {
    /// The batch size `B` this cache was made for.
    pub fn batch(&self) -> usize {
        self.batch
    }
}

/// Scratch space of [`DfdxPolicy::backward_step`](Policy::backward_step): sizes only (the
/// backward step's buffers are dfdx's, recycled by its allocation cache).
#[derive(Clone, Debug)]
pub struct DfdxWorkspace<T> {
    dims: [usize; 3],
    batch: usize,
    _marker: std::marker::PhantomData<T>,
}

/// The dfdx dtype a [`Real`] runs in, with exact conversions.
trait Element: Float {
    fn from_policy<T: Real>(v: T) -> Self;
    fn to_policy<T: Real>(self) -> T;
}

impl Element for f32 {
    #[inline(always)]
    fn from_policy<T: Real>(v: T) -> Self {
        v.to_f64() as f32
    }
    #[inline(always)]
    fn to_policy<T: Real>(self) -> T {
        T::c(f64::from(self))
    }
}

impl Element for f64 {
    #[inline(always)]
    fn from_policy<T: Real>(v: T) -> Self {
        v.to_f64()
    }
    #[inline(always)]
    fn to_policy<T: Real>(self) -> T {
        T::c(self)
    }
}

fn convert<T: Real, E: Element>(v: &[T]) -> Vec<E> {
    v.iter().map(|&x| E::from_policy(x)).collect()
}

fn params_tensors<T: Real, E: Element>(dev: &Cpu, layout: &ParamLayout, params: &[T]) -> Params<E>
where
    Cpu: Device<E>,
{
    Params::from_fn(dev, layout, params.len(), |r| convert(&params[r]))
}

/// Panics unless buffer `what` of `method` has the expected length.
fn check_len(method: &str, what: &str, len: usize, expected: usize) {
    assert!(
        len == expected,
        "DfdxPolicy::{method}: {what} has {len} numbers, expected {expected}"
    );
}

fn check_shape(what: &str, got: (usize, usize), want: (usize, usize)) {
    assert!(
        got == want,
        "AutodiffCell::forward returned {what} of shape {got:?}, expected [B, n] = {want:?}"
    );
}

/// The scalar `⟨u, g_u⟩ + ⟨h, g_h⟩` as one op whose backward pass adds `g_u` into the
/// gradient of `u` and `g_h` into that of `h` (its value is not computed: only its gradient is
/// used).
fn seed<E: Element>(
    u: Tensor2<E, OwnedTape<E, Cpu>>,
    h: Tensor2<E, OwnedTape<E, Cpu>>,
    g_u: Vec<E>,
    g_h: Vec<E>,
) -> Tensor<(), E, Cpu, OwnedTape<E, Cpu>>
where
    Cpu: Device<E>,
{
    let (u, tape_u) = u.split_tape();
    let (h, tape_h) = h.split_tape();
    let mut tape = tape_u.merge(tape_h);
    let out = u.device().tensor_from_vec(vec![E::default()], ());
    let (u_ghost, h_ghost) = (u.ghost(), h.ghost());
    tape.add_backward_op(move |grads| {
        for (ghost, seed) in [(&u_ghost, &g_u), (&h_ghost, &g_h)] {
            if seed.is_empty() {
                continue;
            }
            let g = grad_slice::<E>(grads.get_or_alloc_mut(ghost)?);
            if g.len() != seed.len() {
                return Err(CpuError::WrongNumElements);
            }
            for (a, &b) in g.iter_mut().zip(seed) {
                *a += b;
            }
        }
        Ok(())
    });
    out.put_tape(tape)
}

/// Copies a (row-major) result tensor into `out`, converting.
fn write<E: Element, T: Real, Tp>(t: &Tensor2<E, Tp>, out: &mut [T])
where
    Cpu: Device<E>,
{
    let mut v = vec![E::zero(); out.len()];
    t.copy_into(&mut v);
    for (o, v) in out.iter_mut().zip(v) {
        *o = v.to_policy();
    }
}

fn is_f32<T: 'static>() -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>()
}

impl<C: AutodiffCell> DfdxPolicy<C> {
    fn forward_in<E: Element, T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        batch: usize,
    ) where
        Cpu: Device<E>,
    {
        let [nin, hid, nout] = self.dims();
        DEVICE.with(|dev| {
            let p = params_tensors::<T, E>(dev, self.cell.layout(), params);
            let xt = dev.tensor_from_vec(convert::<T, E>(x), (batch, nin));
            let ht = dev.tensor_from_vec(convert::<T, E>(h), (batch, hid));
            let (ut, hnt) = self.cell.forward(&p, xt, ht);
            check_shape("u", *ut.shape(), (batch, nout));
            check_shape("h_new", *hnt.shape(), (batch, hid));
            write(&ut, u);
            write(&hnt, h_new);
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn backward_in<E: Element, T: Real>(
        &self,
        params: &[T],
        cache: &DfdxCache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
    ) where
        Cpu: Device<E>,
    {
        let [nin, hid, nout] = self.dims();
        let batch = cache.batch;
        let layout = self.cell.layout();
        DEVICE.with(|dev| {
            let p = params_tensors::<T, E>(dev, layout, params);
            let xt = dev.tensor_from_vec(convert::<T, E>(&cache.x), (batch, nin));
            let ht = dev.tensor_from_vec(convert::<T, E>(&cache.h), (batch, hid));
            let (x_id, h_id) = (xt.clone(), ht.clone());
            let (ut, hnt) = self.cell.forward(
                &p,
                xt.put_tape(OwnedTape::default()),
                ht.put_tape(OwnedTape::default()),
            );
            check_shape("u", *ut.shape(), (batch, nout));
            check_shape("h_new", *hnt.shape(), (batch, hid));
            let mut grads = seed(ut, hnt, convert(g_u), convert(g_h_new)).backward();
            let blocks = layout.blocks();
            p.for_each_block(|i, block| {
                let g = grad_slice::<E>(
                    match block {
                        BlockRef::Matrix(t) => grads.get_or_alloc_mut(t),
                        BlockRef::Vector(t) => grads.get_or_alloc_mut(t),
                    }
                    .expect("allocating a gradient on the CPU"),
                );
                for (o, &v) in g_params[blocks[i].range()].iter_mut().zip(g.iter()) {
                    *o += v.to_policy::<T>();
                }
            });
            let gx = grad_slice::<E>(
                grads
                    .get_or_alloc_mut(&x_id)
                    .expect("allocating a gradient"),
            );
            for (o, &v) in g_x.iter_mut().zip(gx.iter()) {
                *o = v.to_policy();
            }
            let gh = grad_slice::<E>(
                grads
                    .get_or_alloc_mut(&h_id)
                    .expect("allocating a gradient"),
            );
            for (o, &v) in g_h.iter_mut().zip(gh.iter()) {
                *o = v.to_policy();
            }
        });
    }

    fn check_cache<T>(&self, cache: &DfdxCache<T>, method: &str) {
        assert!(
            cache.dims == self.dims(),
            "DfdxPolicy::{method}: the cache was made for (input, hidden, output) = {:?}, this \
             network is {:?}",
            cache.dims,
            self.dims()
        );
    }
}

impl<C: AutodiffCell> Policy for DfdxPolicy<C> {
    type Cache<T: Real> = DfdxCache<T>;
    type Workspace<T: Real> = DfdxWorkspace<T>;

    fn layout(&self) -> &ParamLayout {
        self.cell.layout()
    }

    fn input_size(&self) -> usize {
        self.cell.input_size()
    }

    fn hidden_size(&self) -> usize {
        self.cell.hidden_size()
    }

    fn output_size(&self) -> usize {
        self.cell.output_size()
    }

    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        self.cell.init_params(rng)
    }

    fn new_cache<T: Real>(&self, batch: usize) -> DfdxCache<T> {
        assert!(batch > 0, "DfdxPolicy::new_cache: batch size 0");
        let [nin, hid, _] = self.dims();
        DfdxCache {
            dims: self.dims(),
            batch,
            x: vec![T::zero(); batch * nin],
            h: vec![T::zero(); batch * hid],
        }
    }

    fn new_workspace<T: Real>(&self, batch: usize) -> DfdxWorkspace<T> {
        assert!(batch > 0, "DfdxPolicy::new_workspace: batch size 0");
        DfdxWorkspace {
            dims: self.dims(),
            batch,
            _marker: std::marker::PhantomData,
        }
    }

    fn forward_step<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        cache: &mut DfdxCache<T>,
    ) {
        self.check_cache(cache, "forward_step");
        let [nin, hid, nout] = self.dims();
        let b = cache.batch;
        check_len("forward_step", "params", params.len(), self.n_params());
        check_len("forward_step", "x", x.len(), b * nin);
        check_len("forward_step", "h", h.len(), b * hid);
        check_len("forward_step", "u", u.len(), b * nout);
        check_len("forward_step", "h_new", h_new.len(), b * hid);
        cache.x.copy_from_slice(x);
        cache.h.copy_from_slice(h);
        if is_f32::<T>() {
            self.forward_in::<f32, T>(params, x, h, u, h_new, b);
        } else {
            self.forward_in::<f64, T>(params, x, h, u, h_new, b);
        }
    }

    fn backward_step<T: Real>(
        &self,
        params: &[T],
        cache: &DfdxCache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
        ws: &mut DfdxWorkspace<T>,
    ) {
        self.check_cache(cache, "backward_step");
        assert!(
            ws.dims == self.dims() && ws.batch == cache.batch,
            "DfdxPolicy::backward_step: the workspace was made for (input, hidden, output) = \
             {:?} and batch {}, the cache for {:?} and batch {}",
            ws.dims,
            ws.batch,
            cache.dims,
            cache.batch
        );
        let [nin, hid, nout] = self.dims();
        let b = cache.batch;
        check_len("backward_step", "params", params.len(), self.n_params());
        check_len("backward_step", "g_params", g_params.len(), self.n_params());
        check_len("backward_step", "g_u", g_u.len(), b * nout);
        check_len("backward_step", "g_h_new", g_h_new.len(), b * hid);
        check_len("backward_step", "g_x", g_x.len(), b * nin);
        check_len("backward_step", "g_h", g_h.len(), b * hid);
        if is_f32::<T>() {
            self.backward_in::<f32, T>(params, cache, g_u, g_h_new, g_params, g_x, g_h);
        } else {
            self.backward_in::<f64, T>(params, cache, g_u, g_h_new, g_params, g_x, g_h);
        }
    }
}
