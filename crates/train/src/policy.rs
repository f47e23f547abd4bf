//! The networks a training config can name, as one [`Policy`]: [`AnyPolicy`].
//!
//! Code that trains a network it builds itself never needs this: any [`Policy`] goes into
//! [`crate::Trainer`] directly. `AnyPolicy` is what the config path ([`crate::TrainConfig`],
//! `motornet train --network`) builds. The built-in networks are registered in ONE list (the
//! `networks!` invocation below); [`NetworkKind`], its names, `--network`, [`build`] and
//! `AnyPolicy`'s dispatch follow from it. Adding one: a file under `policy/` with its
//! [`BuiltinNetwork`] impl (and the network itself, if it is not in another crate), and one
//! line in that list.

use crate::config::NetworkConfig;
use crate::error::TrainError;
use motornet_policy::{Gru, Mlp, ParamLayout, Policy, Real};
use motornet_policy_dfdx::{DfdxPolicy, Lstm, TanhRnn};
use motornet_task::registry::Description;
use rand::Rng;
use serde::{Deserialize, Serialize};

mod gru;
mod lstm;
mod mlp;
mod rnn;

/// A network the configs can name: what the registration list needs besides the name.
pub trait BuiltinNetwork: Policy + Clone + PartialEq + std::fmt::Debug + Sized {
    /// One line saying what the network is (docs and `--help`).
    const DOC: &'static str;
    /// The network for `input` observation entries and `output` muscles, with `layers` layers
    /// of `hidden` units (the config's `hidden` and `layers`).
    fn build(input: usize, hidden: usize, layers: usize, output: usize)
        -> Result<Self, TrainError>;
}

const MISMATCH: &str = "AnyPolicy: a cache or workspace made by another network";

/// THE list of built-in networks: one line per network, `Variant = "config name" => Type`. It
/// defines [`NetworkKind`] (with [`NetworkKind::ALL`], [`NetworkKind::from_name`],
/// [`NetworkKind::DESCRIPTIONS`]), [`AnyPolicy`], [`AnyCache`], [`AnyWorkspace`] and [`build`].
macro_rules! networks {
    ($($variant:ident = $name:literal => $ty:ty,)*) => {
        /// The network of a config (`network.kind`, `--network NAME`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum NetworkKind {
            $(
                #[doc = concat!("`", $name, "`: [`", stringify!($ty), "`].")]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl NetworkKind {
            /// Every kind with its name in configs and on the command line (`--network NAME`).
            pub const ALL: [(Self, &'static str); [$($name),*].len()] =
                [$((Self::$variant, $name)),*];

            /// Every built-in network's name and description.
            pub const DESCRIPTIONS: [Description; [$($name),*].len()] = [$(Description {
                name: $name,
                doc: <$ty as BuiltinNetwork>::DOC,
                params: &[],
            }),*];

            /// The kind's name, as in configs.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The kind named `name` (as in configs and `--network`).
            pub fn from_name(name: &str) -> Result<Self, TrainError> {
                match name {
                    $($name => Ok(Self::$variant),)*
                    other => {
                        let names: Vec<_> = Self::ALL.iter().map(|(_, n)| *n).collect();
                        Err(TrainError::Config {
                            field: "network".into(),
                            reason: format!("unknown network `{other}`; one of {names:?}"),
                        })
                    }
                }
            }
        }

        /// One of the built-in networks, chosen at run time.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyPolicy {
            $(
                #[doc = concat!("`", $name, "`: [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
        }

        /// The cache of one step of an [`AnyPolicy`]: the cache of the network it holds.
        pub enum AnyCache<T: Real> {
            $(
                #[doc = concat!("A `", $name, "` network's.")]
                $variant(<$ty as Policy>::Cache<T>),
            )*
        }

        /// The backward scratch space of an [`AnyPolicy`]: that of the network it holds.
        pub enum AnyWorkspace<T: Real> {
            $(
                #[doc = concat!("A `", $name, "` network's.")]
                $variant(<$ty as Policy>::Workspace<T>),
            )*
        }

        /// The network `config` names, for `input` observation entries and `output` muscles.
        pub fn build(
            config: &NetworkConfig,
            input: usize,
            output: usize,
        ) -> Result<AnyPolicy, TrainError> {
            let (h, layers) = (config.hidden, config.layers);
            Ok(match config.kind {
                $(NetworkKind::$variant => {
                    AnyPolicy::$variant(<$ty as BuiltinNetwork>::build(input, h, layers, output)?)
                })*
            })
        }

        impl Policy for AnyPolicy {
            type Cache<T: Real> = AnyCache<T>;
            type Workspace<T: Real> = AnyWorkspace<T>;

            fn layout(&self) -> &ParamLayout {
                match self {
                    $(Self::$variant(p) => p.layout(),)*
                }
            }
            fn input_size(&self) -> usize {
                match self {
                    $(Self::$variant(p) => p.input_size(),)*
                }
            }
            fn hidden_size(&self) -> usize {
                match self {
                    $(Self::$variant(p) => p.hidden_size(),)*
                }
            }
            fn output_size(&self) -> usize {
                match self {
                    $(Self::$variant(p) => p.output_size(),)*
                }
            }
            fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
                match self {
                    $(Self::$variant(p) => p.init_params(rng),)*
                }
            }
            fn new_cache<T: Real>(&self, batch: usize) -> AnyCache<T> {
                match self {
                    $(Self::$variant(p) => AnyCache::$variant(p.new_cache(batch)),)*
                }
            }
            fn new_workspace<T: Real>(&self, batch: usize) -> AnyWorkspace<T> {
                match self {
                    $(Self::$variant(p) => AnyWorkspace::$variant(p.new_workspace(batch)),)*
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
                    $((Self::$variant(p), AnyCache::$variant(c)) => {
                        p.forward_step(params, x, h, u, h_new, c)
                    })*
                    #[allow(unreachable_patterns)]
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
                match self {
                    $(Self::$variant(p) => p.prepare_caches(
                        params,
                        caches.into_iter().filter_map(|c| match c {
                            AnyCache::$variant(c) => Some(c),
                            #[allow(unreachable_patterns)]
                            _ => None,
                        }),
                    ),)*
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
                    $((Self::$variant(p), AnyCache::$variant(c), AnyWorkspace::$variant(w)) => {
                        p.backward_step(params, c, g_u, g_h_new, g_params, g_x, g_h, w)
                    })*
                    #[allow(unreachable_patterns)]
                    _ => panic!("{MISMATCH}"),
                }
            }
        }
    };
}

networks! {
    Gru = "gru" => Gru,
    Mlp = "mlp" => Mlp,
    Rnn = "rnn" => DfdxPolicy<TanhRnn>,
    Lstm = "lstm" => DfdxPolicy<Lstm>,
}
