//! IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw.
//!
//! Layout: a 4-byte magic `0x00 0x00 type ndim` (type 0x08 = unsigned byte), `ndim` big-endian u32
//! dimensions, then the data in row-major order. Images are `ndim = 3` (count × rows × cols),
//! labels `ndim = 1`.

use crate::error::{Error, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// The contents of an IDX file of unsigned bytes.
#[derive(Debug, Clone)]
pub struct IdxArray {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The data, row-major.
    pub data: Vec<u8>,
}

/// Read an IDX file from disk; gzip is detected from its first two bytes (0x1f 0x8b).
pub fn read_file(path: &Path) -> Result<IdxArray> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(&bytes, path)
}

/// The largest IDX payload accepted (4 GiB: 80 times MNIST's training images).
const MAX_BYTES: u64 = 1 << 32;

/// Parse IDX bytes (gzip or raw). `origin` names the source in error messages.
pub fn parse(bytes: &[u8], origin: &Path) -> Result<IdxArray> {
    let raw;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        // Decompressed data grow only as they arrive, up to the largest IDX file accepted (a
        // compressed "bomb" stops there with an error instead of exhausting memory).
        let mut out = Vec::new();
        GzDecoder::new(bytes)
            .take(MAX_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::format(origin, format!("gzip stream is corrupt or truncated: {e}")))?;
        if out.len() as u64 > MAX_BYTES {
            return Err(Error::format(
                origin,
                format!("decompresses to more than {MAX_BYTES} bytes, the largest IDX file accepted"),
            ));
        }
        raw = out;
        &raw[..]
    } else {
        bytes
    };
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(Error::format(
            origin,
            "not an IDX file: expected magic 0x0000TTNN (e.g. 00 00 08 03 for images, 00 00 08 01 for labels)",
        ));
    }
    if bytes[2] != 0x08 {
        return Err(Error::format(
            origin,
            format!(
                "IDX element type 0x{:02x} is not supported (expected 0x08, unsigned byte)",
                bytes[2]
            ),
        ));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 || ndim > 4 {
        return Err(Error::format(
            origin,
            format!("IDX file has {ndim} dimensions (expected 1 to 4)"),
        ));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(Error::format(origin, "truncated IDX header"));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|k| {
            let o = 4 + 4 * k;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&c| c as u64 <= MAX_BYTES)
        .ok_or_else(|| {
            Error::format(
                origin,
                format!("IDX dimensions {dims:?} claim more than {MAX_BYTES} bytes, the largest accepted"),
            )
        })?;
    let body = &bytes[header..];
    if body.len() < count {
        return Err(Error::format(
            origin,
            format!(
                "truncated IDX data: dimensions {dims:?} need {count} bytes, found {}",
                body.len()
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: body[..count].to_vec(),
    })
}

/// Encode bytes as a raw (uncompressed) IDX file, used by tests and tools.
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}
