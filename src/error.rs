//! The library's error type. Every variant names what was wrong (file, field) and what was expected,
//! so the CLI can print it as is and exit non-zero.

use std::path::PathBuf;

/// Errors raised by the library. No function panics on user input; they return one of these.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    // The OS error is part of this message and deliberately not a `#[source]`: the CLI prints the
    // whole chain, which would repeat it ("f: No such file…: No such file…").
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// A file exists but its contents are not what was expected (bad magic, truncated, wrong dtype).
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// An array has the wrong shape.
    #[error("{what}: expected shape {expected}, found {found:?}")]
    Shape {
        what: String,
        expected: String,
        found: Vec<usize>,
    },
    /// A configuration field is out of range or inconsistent with another one.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// An output folder already holds results that would be overwritten.
    #[error("{path}: {message}")]
    Exists { path: PathBuf, message: String },
    /// A folder is being written by another process (it holds the folder's lock).
    #[error("{path}: {message}")]
    Busy { path: PathBuf, message: String },
    /// The run was stopped on request before the end; it can be resumed from its checkpoint.
    #[error("interrupted after epoch {0}; resume with `waddington train --resume DIR`")]
    Interrupted(usize),
    /// Training produced a non-finite value.
    #[error("training diverged: {0}")]
    Diverged(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
    /// A format error in the file `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }
    /// An invalid value of the configuration field `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
    /// An array `what` whose shape is not `expected`.
    pub fn shape(what: impl Into<String>, expected: impl Into<String>, found: &[usize]) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.into(),
            found: found.to_vec(),
        }
    }
}
