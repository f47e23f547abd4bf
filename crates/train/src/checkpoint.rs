//! Checkpoints: the network parameters, the optimiser state and the batch count, in a small
//! binary file (serde + bincode 2).
//!
//! Layout: a header — magic `MNRSCKPT`, format version, the writing crate's version, the run
//! config's hash, the body's length and FNV-1a checksum — then the body. Loading checks each
//! of them and says which failed: a truncated file, a corrupt body, another format version, or
//! a checkpoint of another run. Writes are atomic: a temporary file in the same directory,
//! renamed over the target.

use crate::adam::Adam;
use crate::config::fnv1a;
use crate::error::TrainError;
use serde::{Deserialize, Serialize};
use std::path::Path;

const MAGIC: [u8; 8] = *b"MNRSCKPT";
/// Version of the checkpoint layout; bump it when `Checkpoint` changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    magic: [u8; 8],
    format_version: u32,
    crate_version: String,
    config_hash: u64,
    body_len: u64,
    body_checksum: u64,
}

/// What a checkpoint holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Batches trained so far.
    pub batches_done: usize,
    /// Network parameters (flat, the network's layout).
    pub params: Vec<f32>,
    /// Optimiser state.
    pub adam: Adam,
    /// Loss of every batch so far.
    pub losses: Vec<f64>,
}

fn cfg() -> bincode::config::Configuration {
    bincode::config::standard()
}

fn err(path: &Path, reason: impl Into<String>) -> TrainError {
    TrainError::Checkpoint {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

impl Checkpoint {
    /// Write to `path` atomically, tagged with `config_hash`.
    pub fn save(&self, path: &Path, config_hash: u64) -> Result<(), TrainError> {
        let body =
            bincode::serde::encode_to_vec(self, cfg()).map_err(|e| err(path, e.to_string()))?;
        let header = Header {
            magic: MAGIC,
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").into(),
            config_hash,
            body_len: body.len() as u64,
            body_checksum: fnv1a(&body),
        };
        let mut bytes =
            bincode::serde::encode_to_vec(&header, cfg()).map_err(|e| err(path, e.to_string()))?;
        bytes.extend_from_slice(&body);
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| err(path, format!("cannot write: {e}")))
    }

    /// Read from `path`; `config_hash`, if given, must match the one it was saved with.
    pub fn load(path: &Path, config_hash: Option<u64>) -> Result<Self, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(err(path, "not a motornet-rs checkpoint (bad magic bytes)"));
        }
        let (header, used): (Header, usize) = bincode::serde::decode_from_slice(&bytes, cfg())
            .map_err(|e| err(path, format!("truncated or corrupt header: {e}")))?;
        if header.format_version != FORMAT_VERSION {
            return Err(err(
                path,
                format!(
                    "format version {} (written by motornet-rs {}); this build reads version {FORMAT_VERSION}",
                    header.format_version, header.crate_version
                ),
            ));
        }
        if let Some(h) = config_hash {
            if h != header.config_hash {
                return Err(err(
                    path,
                    format!(
                        "belongs to another run: its config hash is {:016x}, this run's is {h:016x}",
                        header.config_hash
                    ),
                ));
            }
        }
        let body = &bytes[used..];
        if (body.len() as u64) < header.body_len {
            return Err(err(
                path,
                format!(
                    "truncated: body has {} of {} bytes",
                    body.len(),
                    header.body_len
                ),
            ));
        }
        let body = &body[..header.body_len as usize];
        if fnv1a(body) != header.body_checksum {
            return Err(err(path, "corrupt: the body's checksum does not match"));
        }
        let (ckpt, _): (Checkpoint, usize) = bincode::serde::decode_from_slice(body, cfg())
            .map_err(|e| err(path, format!("corrupt body: {e}")))?;
        Ok(ckpt)
    }
}
