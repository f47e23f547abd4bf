//! Shared helpers of the integration tests: the library's own BPTT probe
//! (`motornet_policy::testing`), re-exported under the names the tests use.

#![allow(unused_imports)]

pub use motornet_policy::testing::{bptt, loss, uniform, Episode, Grads};
