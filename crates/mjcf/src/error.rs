//! The error every failure of the reader returns.

/// What went wrong, so that a caller (or a test) can tell the classes apart without reading the
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not well-formed XML.
    Syntax,
    /// An element outside the subset (`<include>`, `<asset>`, `<freejoint>`, …) or in the wrong
    /// place.
    UnknownElement,
    /// An attribute outside the subset (`mesh`, `gear` on a default, …).
    UnknownAttribute,
    /// A known attribute with a value the subset does not support (`type="ball"`, `stiffness`
    /// ≠ 0, contacts enabled, `gear` ≠ 1, …).
    Unsupported,
    /// A value that does not parse, has the wrong number of numbers, or is out of its range.
    BadValue,
    /// A required attribute (a muscle's `lengthrange`, an inertial's `mass`, …) is absent.
    MissingAttribute,
    /// Two objects of the same type share a name (or two default classes do).
    DuplicateName,
    /// A reference to a site, geom, tendon or default class that does not exist.
    MissingReference,
    /// A structural rule is broken (a tendon path that does not start with a site, two
    /// orientations on one element, `fromto` with `pos`, …).
    Invalid,
}

/// An error reading an MJCF file: the file, the line (1-based) and a message naming the element
/// and attribute.
///
/// Displays as `FILE:LINE: MESSAGE` (`FILE: MESSAGE` when no line applies).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line_suffix(*line))]
pub struct MjcfError {
    /// The file name (or the origin given to [`parse_str`](crate::parse_str)).
    pub file: String,
    /// 1-based line of the offending element or attribute; 0 when none applies (I/O errors).
    pub line: u32,
    /// The class of the error.
    pub kind: ErrorKind,
    /// What is wrong, naming the element (`<geom>`) and attribute (`"size"`).
    pub message: String,
}

fn line_suffix(line: u32) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
