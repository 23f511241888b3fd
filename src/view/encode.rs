//! The compact encoding of the viewer's arrays: quantisation to bytes, frame-to-frame differences,
//! zlib (deflate) compression and base64 text (documented in `docs/viewer.md` and stated in every
//! page).
//!
//! An array travels as a [`Blob`]: its bytes, zlib-compressed, with a description ([`ArrayInfo`])
//! that the page reads to decode it. The page inflates with the browser's built-in
//! `DecompressionStream("deflate")` (zlib format), so no script library is needed.

use crate::error::{Error, Result};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use serde::Serialize;
use std::io::Write;

/// How one array is stored in its blob (serialised into the page's metadata).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayInfo {
    /// Index of the blob holding it.
    pub blob: usize,
    /// `"u8"` (quantised), `"f32"` or `"i32"` (little-endian).
    pub dtype: &'static str,
    /// Shape, C order.
    pub shape: Vec<usize>,
    /// For `u8`: value = lo + (hi − lo) · q / 255.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lo: Option<f64>,
    /// See `lo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hi: Option<f64>,
    /// For `u8`: the bytes of frame t > 0 are stored as (q_t − q_{t−1}) mod 256 along the first
    /// axis (undone by a running sum in the page); a slowly changing trajectory then compresses
    /// to a fraction of its size.
    pub delta: bool,
}

/// The quantisation range of values `v`: [min(−1, min v), max(1, max v)], so that the usual
/// [−1, 1] of memories and labels maps exactly onto the colour scale.
pub fn range_of<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((-1.0f64, 1.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// Quantise `v` to a byte: q = round((v − lo) / (hi − lo) · 255), clamped to 0…255.
pub fn quantise(v: f64, lo: f64, hi: f64) -> u8 {
    let q = ((v - lo) / (hi - lo) * 255.0).round();
    q.clamp(0.0, 255.0) as u8
}

/// The value a byte stands for: lo + (hi − lo) · q / 255.
pub fn dequantise(q: u8, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * f64::from(q) / 255.0
}

/// Frame-to-frame differences (mod 256) of `bytes`, frames of `frame` bytes each, in place.
pub fn delta_encode(bytes: &mut [u8], frame: usize) {
    if frame == 0 {
        return;
    }
    for i in (frame..bytes.len()).rev() {
        bytes[i] = bytes[i].wrapping_sub(bytes[i - frame]);
    }
}

/// The inverse of [`delta_encode`] (what the page does), in place.
pub fn delta_decode(bytes: &mut [u8], frame: usize) {
    if frame == 0 {
        return;
    }
    for i in frame..bytes.len() {
        bytes[i] = bytes[i].wrapping_add(bytes[i - frame]);
    }
}

/// Little-endian bytes of f32 values.
pub fn f32_bytes(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values
        .into_iter()
        .flat_map(|v| (v as f32).to_le_bytes())
        .collect()
}

/// Little-endian bytes of i32 values (checked to fit).
pub fn i32_bytes(values: impl IntoIterator<Item = i64>, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for v in values {
        let v = i32::try_from(v)
            .map_err(|_| Error::invalid(what, format!("value {v} does not fit in 32 bits")))?;
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

/// zlib-compress `bytes` (the format `DecompressionStream("deflate")` reads).
pub fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::with_capacity(bytes.len() / 4 + 64), Compression::new(6));
    // Writing into a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// Inflate zlib `bytes` (for tests and checks).
pub fn unzlib(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648, with `=` padding) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |i: u32| char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
        out.push(sextet(0));
        out.push(sextet(1));
        out.push(if chunk.len() > 1 { sextet(2) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(3) } else { '=' });
    }
    out
}

/// Decode standard base64 (for tests and checks); `None` on a character outside the alphabet.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The blobs of one page: compressed byte arrays and the description of each array in them.
#[derive(Debug, Default, Clone)]
pub struct Blobs {
    /// zlib-compressed bytes, one entry per blob.
    pub data: Vec<Vec<u8>>,
    /// Uncompressed sizes (for the page's size report).
    pub raw_sizes: Vec<usize>,
}

impl Blobs {
    /// Add `bytes` (uncompressed) as a new blob; returns its index.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        self.data.push(zlib(bytes));
        self.raw_sizes.push(bytes.len());
        self.data.len() - 1
    }

    /// Quantise `values` (shape `shape`, first axis = frames) to bytes over [`range_of`], with
    /// frame differences when `delta`; returns the description.
    pub fn push_u8(&mut self, values: &[f64], shape: Vec<usize>, delta: bool) -> ArrayInfo {
        let (lo, hi) = range_of(values);
        let mut q: Vec<u8> = values.iter().map(|&v| quantise(v, lo, hi)).collect();
        self.push_quantised(&mut q, shape, (lo, hi), delta)
    }

    /// Add bytes already quantised over `range` (differenced here when `delta`).
    pub fn push_quantised(
        &mut self,
        q: &mut [u8],
        shape: Vec<usize>,
        range: (f64, f64),
        delta: bool,
    ) -> ArrayInfo {
        if delta {
            let frame = shape.iter().skip(1).product();
            delta_encode(q, frame);
        }
        ArrayInfo {
            blob: self.push(q),
            dtype: "u8",
            shape,
            lo: Some(range.0),
            hi: Some(range.1),
            delta,
        }
    }

    /// Add f64 values as little-endian f32.
    pub fn push_f32(&mut self, values: impl IntoIterator<Item = f64>, shape: Vec<usize>) -> ArrayInfo {
        ArrayInfo {
            blob: self.push(&f32_bytes(values)),
            dtype: "f32",
            shape,
            lo: None,
            hi: None,
            delta: false,
        }
    }

    /// Add integers as little-endian i32.
    pub fn push_i32(
        &mut self,
        values: impl IntoIterator<Item = i64>,
        shape: Vec<usize>,
        what: &str,
    ) -> Result<ArrayInfo> {
        Ok(ArrayInfo {
            blob: self.push(&i32_bytes(values, what)?),
            dtype: "i32",
            shape,
            lo: None,
            hi: None,
            delta: false,
        })
    }

    /// Compressed size of all blobs, bytes.
    pub fn compressed_size(&self) -> usize {
        self.data.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
            assert_eq!(unbase64(enc).as_deref(), Some(raw.as_bytes()));
        }
    }

    #[test]
    fn delta_round_trips_and_quantisation_is_within_half_a_step() {
        let mut b: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        let orig = b.clone();
        delta_encode(&mut b, 16);
        delta_decode(&mut b, 16);
        assert_eq!(b, orig);
        for v in [-1.0, -0.3, 0.0, 0.77, 1.0] {
            let back = dequantise(quantise(v, -1.0, 1.0), -1.0, 1.0);
            assert!((back - v).abs() <= 1.0 / 255.0 + 1e-12);
        }
    }
}
