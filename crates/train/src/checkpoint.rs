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

/// `body` (an encoded [`Checkpoint`], or any bytes) behind the header a checkpoint file starts
/// with: magic bytes, format version, this crate's version, `config_hash`, and the body's
/// length and checksum. What [`Checkpoint::to_bytes`] writes for its body; tools that test the
/// body's decoding (the parsers' fuzzer) frame their own bytes with it.
pub fn frame(body: &[u8], config_hash: u64) -> Vec<u8> {
    let header = Header {
        magic: MAGIC,
        format_version: FORMAT_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").into(),
        config_hash,
        body_len: body.len() as u64,
        body_checksum: fnv1a(body),
    };
    let mut bytes = bincode::serde::encode_to_vec(&header, cfg()).expect("a header encodes");
    bytes.extend_from_slice(body);
    bytes
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

/// Most bytes a header may claim while it is decoded. A header is a few dozen bytes; without
/// a limit, bincode allocates whatever length a corrupt header's string claims, and a claim
/// of exabytes aborted the program (issue 14, found by fuzzing). The body needs none: it is
/// decoded only once its length and checksum match, and holds no strings.
const HEADER_LIMIT: usize = 1024;

fn err(path: &Path, reason: impl Into<String>) -> TrainError {
    TrainError::Checkpoint {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

impl Checkpoint {
    /// The first non-finite number among the parameters and the optimiser's moments, as
    /// `(what, index, value)`.
    pub fn first_non_finite(&self) -> Option<(&'static str, usize, f32)> {
        [
            ("parameter", &self.params),
            ("optimiser first moment", &self.adam.m),
            ("optimiser second moment", &self.adam.v),
        ]
        .into_iter()
        .find_map(|(what, v)| {
            v.iter()
                .position(|x| !x.is_finite())
                .map(|i| (what, i, v[i]))
        })
    }

    /// Write to `path` atomically (see [`crate::files::write_atomic`]), tagged with
    /// `config_hash`. A checkpoint holding a non-finite parameter or optimiser moment is an
    /// error and is not written: a checkpoint is always a state training can continue from.
    pub fn save(&self, path: &Path, config_hash: u64) -> Result<(), TrainError> {
        if let Some((what, i, v)) = self.first_non_finite() {
            return Err(err(
                path,
                format!(
                    "not written: {what} {i} is {v}, and a checkpoint holds finite numbers only"
                ),
            ));
        }
        let bytes = self.encode(config_hash).map_err(|e| err(path, e))?;
        crate::files::write_atomic(path, &bytes).map_err(|e| match e {
            TrainError::Io { reason, .. } => err(path, reason),
            e => e,
        })
    }

    /// The file's bytes: header, then body.
    fn encode(&self, config_hash: u64) -> Result<Vec<u8>, String> {
        let body = bincode::serde::encode_to_vec(self, cfg()).map_err(|e| e.to_string())?;
        Ok(frame(&body, config_hash))
    }

    /// Read from `path`; `config_hash`, if given, must match the one it was saved with.
    pub fn load(path: &Path, config_hash: Option<u64>) -> Result<Self, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
        Self::decode(&bytes, config_hash).map_err(|reason| err(path, reason))
    }

    /// The bytes of a checkpoint file tagged with `config_hash` (what [`Checkpoint::save`]
    /// writes, without the finiteness check): header, then body.
    pub fn to_bytes(&self, config_hash: u64) -> Result<Vec<u8>, TrainError> {
        self.encode(config_hash)
            .map_err(|reason| err(Path::new("(bytes)"), reason))
    }

    /// Parse the bytes of a checkpoint file, as [`Checkpoint::load`] does with the file's
    /// content; `config_hash`, if given, must match the one it was saved with. Errors
    /// ([`TrainError::Checkpoint`]) have the path `(bytes)`.
    pub fn from_bytes(bytes: &[u8], config_hash: Option<u64>) -> Result<Self, TrainError> {
        Self::decode(bytes, config_hash).map_err(|reason| err(Path::new("(bytes)"), reason))
    }

    /// [`Checkpoint::from_bytes`], with the error's reason only.
    fn decode(bytes: &[u8], config_hash: Option<u64>) -> Result<Self, String> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err("not a motornet-rs checkpoint (bad magic bytes)".into());
        }
        let (header, used): (Header, usize) =
            bincode::serde::decode_from_slice(bytes, cfg().with_limit::<HEADER_LIMIT>())
                .map_err(|e| format!("truncated or corrupt header: {e}"))?;
        if header.format_version != FORMAT_VERSION {
            return Err(format!(
                "format version {} (written by motornet-rs {}); this build reads version {FORMAT_VERSION}",
                header.format_version, header.crate_version
            ));
        }
        if let Some(h) = config_hash {
            if h != header.config_hash {
                return Err(format!(
                    "belongs to another run: its config hash is {:016x}, this run's is {h:016x}",
                    header.config_hash
                ));
            }
        }
        let body = &bytes[used..];
        if (body.len() as u64) < header.body_len {
            return Err(format!(
                "truncated: body has {} of {} bytes",
                body.len(),
                header.body_len
            ));
        }
        if body.len() as u64 > header.body_len {
            return Err(format!(
                "{} bytes of trailing data after the checkpoint",
                body.len() as u64 - header.body_len
            ));
        }
        if fnv1a(body) != header.body_checksum {
            return Err("corrupt: the body's checksum does not match".into());
        }
        let (ckpt, used): (Checkpoint, usize) = bincode::serde::decode_from_slice(body, cfg())
            .map_err(|e| format!("corrupt body: {e}"))?;
        if used != body.len() {
            return Err("corrupt body: it is longer than the checkpoint it holds".into());
        }
        if let Some((what, i, v)) = ckpt.first_non_finite() {
            return Err(format!("unusable: {what} {i} is {v}"));
        }
        // training continues with the optimiser's settings and appends to the losses: the same
        // bounds a new run's settings have, and finite losses (a non-finite loss stops a run
        // before it is saved) (issue 14, found by fuzzing: NaN settings were restored)
        let a = &ckpt.adam.config;
        if !((0.0..1.0).contains(&a.beta1)
            && (0.0..1.0).contains(&a.beta2)
            && a.eps.is_finite()
            && a.eps > 0.0)
        {
            return Err(format!(
                "unusable: optimiser settings beta1 {}, beta2 {}, eps {} (beta1 and beta2 in \
                 [0, 1), eps finite and > 0)",
                a.beta1, a.beta2, a.eps
            ));
        }
        if let Some(i) = ckpt.losses.iter().position(|l| !l.is_finite()) {
            return Err(format!("unusable: loss {i} is {}", ckpt.losses[i]));
        }
        Ok(ckpt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adam::AdamConfig;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            batches_done: 1,
            params: vec![0.5, -1.0, 2.0],
            adam: Adam::new(3, AdamConfig::default()),
            losses: vec![0.25],
        }
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mn-ckpt-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("checkpoint.bin")
    }

    /// Issue 14: a checkpoint holding +inf (written by an older build) is refused on load.
    #[test]
    fn a_checkpoint_file_with_a_non_finite_parameter_is_refused() {
        let path = scratch("inf");
        let mut c = checkpoint();
        c.params[1] = f32::INFINITY;
        std::fs::write(&path, c.encode(7).unwrap()).unwrap();
        let e = Checkpoint::load(&path, Some(7)).unwrap_err().to_string();
        assert!(e.contains("parameter 1 is inf"), "{e}");
    }

    /// Issue 14: trailing data after a document is an error.
    #[test]
    fn trailing_data_after_a_checkpoint_is_refused() {
        let path = scratch("trailing");
        let mut bytes = checkpoint().encode(7).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(Checkpoint::load(&path, Some(7)).unwrap(), checkpoint());
        bytes.extend_from_slice(b"xx");
        std::fs::write(&path, &bytes).unwrap();
        let e = Checkpoint::load(&path, Some(7)).unwrap_err().to_string();
        assert!(e.contains("2 bytes of trailing data"), "{e}");
    }

    /// Issue 14 (found by fuzzing): a header whose version string claims 2⁶² bytes aborted
    /// the program on the failed allocation; it is an error.
    #[test]
    fn a_header_claiming_an_absurd_string_length_is_refused_without_allocating_it() {
        let mut bytes = b"MNRSCKPT".to_vec();
        bytes.push(1); // format version (varint)
        bytes.push(0xfd); // a u64 string length follows
        bytes.extend_from_slice(&(1u64 << 62).to_le_bytes());
        bytes.extend_from_slice(b"0.1.0");
        let e = Checkpoint::from_bytes(&bytes, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated or corrupt header"), "{e}");
    }

    /// `from_bytes` reads what `to_bytes` writes, and checks the config hash.
    #[test]
    fn bytes_round_trip_and_the_hash_is_checked() {
        let bytes = checkpoint().to_bytes(7).unwrap();
        assert_eq!(
            Checkpoint::from_bytes(&bytes, Some(7)).unwrap(),
            checkpoint()
        );
        assert_eq!(Checkpoint::from_bytes(&bytes, None).unwrap(), checkpoint());
        let e = Checkpoint::from_bytes(&bytes, Some(8))
            .unwrap_err()
            .to_string();
        assert!(e.contains("belongs to another run"), "{e}");
    }

    /// Issue 14 (found by fuzzing): a checkpoint whose optimiser settings were NaN or out of
    /// range, or whose losses were not finite, was accepted, and training resumed with them.
    #[test]
    fn a_checkpoint_with_nan_optimiser_settings_or_losses_is_refused() {
        let mut c = checkpoint();
        c.adam.config.beta1 = f64::NAN;
        let e = Checkpoint::from_bytes(&c.to_bytes(7).unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("optimiser settings beta1 NaN"), "{e}");
        let mut c = checkpoint();
        c.adam.config.eps = -1.0;
        let e = Checkpoint::from_bytes(&c.to_bytes(7).unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("eps -1"), "{e}");
        let mut c = checkpoint();
        c.losses[0] = f64::NAN;
        let e = Checkpoint::from_bytes(&c.to_bytes(7).unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("loss 0 is NaN"), "{e}");
    }
}
