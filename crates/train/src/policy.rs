//! The networks a training config can name, as one [`Policy`]: [`AnyPolicy`].
//!
//! Code that trains a network it builds itself never needs this: any [`Policy`] goes into
//! [`crate::Trainer`] directly. `AnyPolicy` is what the config path ([`crate::TrainConfig`],
//! `motornet train --network`) builds; adding a built-in network to the configs is one variant
//! here and one match arm in [`build`].

use crate::config::{NetworkConfig, NetworkKind};
use crate::error::TrainError;
use motornet_policy::{
    Activation, Gru, GruCache, GruConfig, GruWorkspace, Mlp, MlpCache, MlpConfig, MlpWorkspace,
    ParamLayout, Policy, Real,
};
use motornet_policy_dfdx::{
    DfdxCache, DfdxPolicy, DfdxWorkspace, Lstm, LstmConfig, TanhRnn, TanhRnnConfig,
};
use rand::Rng;

/// One of the built-in networks, chosen at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyPolicy {
    /// Stacked GRU with a sigmoid readout ([`Gru`], hand-written backward pass).
    Gru(Gru),
    /// Feed-forward network with tanh hidden layers and a sigmoid readout ([`Mlp`]).
    Mlp(Mlp),
    /// Stacked vanilla tanh RNN with a sigmoid readout, backward pass by dfdx's autodiff
    /// ([`TanhRnn`]).
    Rnn(DfdxPolicy<TanhRnn>),
    /// Stacked LSTM with a sigmoid readout, backward pass by dfdx's autodiff ([`Lstm`]; its
    /// hidden state holds h and c of every layer).
    Lstm(DfdxPolicy<Lstm>),
}

/// The cache of one step of an [`AnyPolicy`]: the cache of the network it holds.
#[derive(Debug, Clone)]
pub enum AnyCache<T> {
    /// A [`Gru`]'s.
    Gru(GruCache<T>),
    /// An [`Mlp`]'s.
    Mlp(MlpCache<T>),
    /// A dfdx network's ([`AnyPolicy::Rnn`], [`AnyPolicy::Lstm`]).
    Dfdx(DfdxCache<T>),
}

/// The backward scratch space of an [`AnyPolicy`]: that of the network it holds.
#[derive(Debug, Clone)]
pub enum AnyWorkspace<T> {
    /// A [`Gru`]'s.
    Gru(GruWorkspace<T>),
    /// An [`Mlp`]'s.
    Mlp(MlpWorkspace<T>),
    /// A dfdx network's ([`AnyPolicy::Rnn`], [`AnyPolicy::Lstm`]).
    Dfdx(DfdxWorkspace<T>),
}

/// The network `config` names, for `input` observation entries and `output` muscles.
pub fn build(config: &NetworkConfig, input: usize, output: usize) -> Result<AnyPolicy, TrainError> {
    let (h, layers) = (config.hidden, config.layers);
    Ok(match config.kind {
        NetworkKind::Gru => AnyPolicy::Gru(
            GruConfig::new(input, h, output)
                .with_layers(layers)
                .build()?,
        ),
        NetworkKind::Mlp => AnyPolicy::Mlp(
            MlpConfig::new(input, vec![h; layers], output)
                .with_activation(Activation::Tanh)
                .build()?,
        ),
        NetworkKind::Rnn => AnyPolicy::Rnn(
            TanhRnnConfig::new(input, h, output)
                .with_layers(layers)
                .build()?,
        ),
        NetworkKind::Lstm => AnyPolicy::Lstm(
            LstmConfig::new(input, h, output)
                .with_layers(layers)
                .build()?,
        ),
    })
}

macro_rules! each {
    ($self:expr, $p:ident => $e:expr) => {
        match $self {
            AnyPolicy::Gru($p) => $e,
            AnyPolicy::Mlp($p) => $e,
            AnyPolicy::Rnn($p) => $e,
            AnyPolicy::Lstm($p) => $e,
        }
    };
}

const MISMATCH: &str = "AnyPolicy: a cache or workspace made by another network";

impl Policy for AnyPolicy {
    type Cache<T: Real> = AnyCache<T>;
    type Workspace<T: Real> = AnyWorkspace<T>;

    fn layout(&self) -> &ParamLayout {
        each!(self, p => p.layout())
    }
    fn input_size(&self) -> usize {
        each!(self, p => p.input_size())
    }
    fn hidden_size(&self) -> usize {
        each!(self, p => p.hidden_size())
    }
    fn output_size(&self) -> usize {
        each!(self, p => p.output_size())
    }
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        each!(self, p => p.init_params(rng))
    }
    fn new_cache<T: Real>(&self, batch: usize) -> AnyCache<T> {
        match self {
            Self::Gru(p) => AnyCache::Gru(p.new_cache(batch)),
            Self::Mlp(p) => AnyCache::Mlp(p.new_cache(batch)),
            Self::Rnn(p) => AnyCache::Dfdx(p.new_cache(batch)),
            Self::Lstm(p) => AnyCache::Dfdx(p.new_cache(batch)),
        }
    }
    fn new_workspace<T: Real>(&self, batch: usize) -> AnyWorkspace<T> {
        match self {
            Self::Gru(p) => AnyWorkspace::Gru(p.new_workspace(batch)),
            Self::Mlp(p) => AnyWorkspace::Mlp(p.new_workspace(batch)),
            Self::Rnn(p) => AnyWorkspace::Dfdx(p.new_workspace(batch)),
            Self::Lstm(p) => AnyWorkspace::Dfdx(p.new_workspace(batch)),
        }
    }
    fn forward_step<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        cache: &mut AnyCache<T>,
    ) {
        match (self, cache) {
            (Self::Gru(p), AnyCache::Gru(c)) => p.forward_step(params, x, h, u, h_new, c),
            (Self::Mlp(p), AnyCache::Mlp(c)) => p.forward_step(params, x, h, u, h_new, c),
            (Self::Rnn(p), AnyCache::Dfdx(c)) => p.forward_step(params, x, h, u, h_new, c),
            (Self::Lstm(p), AnyCache::Dfdx(c)) => p.forward_step(params, x, h, u, h_new, c),
            _ => panic!("{MISMATCH}"),
        }
    }
    fn prepare_caches<'c, T: Real>(
        &self,
        params: &[T],
        caches: impl IntoIterator<Item = &'c mut AnyCache<T>>,
    ) where
        AnyCache<T>: 'c,
    {
        // only the GRU prepares anything (the other networks keep the default)
        if let Self::Gru(p) = self {
            p.prepare_caches(
                params,
                caches.into_iter().filter_map(|c| match c {
                    AnyCache::Gru(c) => Some(c),
                    _ => None,
                }),
            );
        }
    }
    fn backward_step<T: Real>(
        &self,
        params: &[T],
        cache: &AnyCache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
        ws: &mut AnyWorkspace<T>,
    ) {
        match (self, cache, ws) {
            (Self::Gru(p), AnyCache::Gru(c), AnyWorkspace::Gru(w)) => {
                p.backward_step(params, c, g_u, g_h_new, g_params, g_x, g_h, w)
            }
            (Self::Mlp(p), AnyCache::Mlp(c), AnyWorkspace::Mlp(w)) => {
                p.backward_step(params, c, g_u, g_h_new, g_params, g_x, g_h, w)
            }
            (Self::Rnn(p), AnyCache::Dfdx(c), AnyWorkspace::Dfdx(w)) => {
                p.backward_step(params, c, g_u, g_h_new, g_params, g_x, g_h, w)
            }
            (Self::Lstm(p), AnyCache::Dfdx(c), AnyWorkspace::Dfdx(w)) => {
                p.backward_step(params, c, g_u, g_h_new, g_params, g_x, g_h, w)
            }
            _ => panic!("{MISMATCH}"),
        }
    }
}
