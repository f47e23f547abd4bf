//! [`PlotError`]: why a plot could not be drawn or written.

use std::path::PathBuf;

/// Why a plot could not be drawn or written. The messages of errors about a file name it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The output directory could not be created.
    #[error("cannot create the plot directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The arguments cannot describe the plot to be written to `path` (lengths that disagree,
    /// a bad time step, an empty file stem, …).
    #[error("cannot plot {}: {message}", path.display())]
    Input {
        /// The file that was to be written.
        path: PathBuf,
        /// What is wrong with the input.
        message: String,
    },
    /// Drawing or writing the file failed.
    #[error("cannot draw {}: {message}", path.display())]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// The backend's error.
        message: String,
    },
    /// The data cannot describe a plot, or a rollout has inconsistent shapes (no file
    /// concerned yet: the `draw_*` functions and the rollout helpers).
    #[error("cannot plot: {message}")]
    Data {
        /// What is wrong with the data.
        message: String,
    },
    /// Drawing on a caller's drawing area failed (the `draw_*` functions).
    #[error("cannot draw: {message}")]
    Backend {
        /// The backend's error.
        message: String,
    },
    /// The bundled font could not be parsed (a corrupted build).
    #[error("the bundled font DejaVuSans.ttf could not be parsed")]
    Font,
}

impl PlotError {
    /// This error, about the file `path`: [`PlotError::Data`] becomes [`PlotError::Input`] and
    /// [`PlotError::Backend`] becomes [`PlotError::Draw`]; other errors are kept.
    pub(crate) fn at(self, path: PathBuf) -> Self {
        match self {
            PlotError::Data { message } => PlotError::Input { path, message },
            PlotError::Backend { message } => PlotError::Draw { path, message },
            other => other,
        }
    }

    pub(crate) fn data(message: impl Into<String>) -> Self {
        PlotError::Data {
            message: message.into(),
        }
    }
}
