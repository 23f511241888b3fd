//! numpy file input and output (`.npy`, `.npz`) with checks that name the file and the array.
//!
//! Reading never trusts a header: every size it claims is checked against the bytes actually
//! present (the file's length, or the archive member's) before anything is allocated, and the
//! data are read in bounded pieces, so a crafted or truncated file gives an error ("header claims
//! N bytes, file has M"), never an allocation failure or a panic. Writing goes through
//! [`crate::atomic`]: a file is whole or absent, whatever instant the process dies.

use crate::atomic::{self, Durability};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn, ShapeBuilder};
use ndarray_npy::{NpzWriter, WriteNpyExt, WriteNpzError};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The longest header accepted (numpy writes ≤ 4 KiB; version 2 allows 4 GiB, which no real
/// array needs).
const MAX_HEADER: usize = 1 << 20;

/// Element types the readers accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `<f8`: little-endian float64.
    F64,
    /// `<i8`: little-endian int64.
    I64,
    /// `<i4`: little-endian int32.
    I32,
    /// `|u1`: uint8.
    U8,
}

impl Dtype {
    fn parse(descr: &str) -> Option<Dtype> {
        match descr {
            "<f8" => Some(Dtype::F64),
            "<i8" => Some(Dtype::I64),
            "<i4" => Some(Dtype::I32),
            "|u1" | "<u1" => Some(Dtype::U8),
            _ => None,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 => 8,
            Dtype::I32 => 4,
            Dtype::U8 => 1,
        }
    }
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The `descr` string as written (`<f8`, …).
    pub descr: String,
    /// Whether the data are in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The array shape.
    pub shape: Vec<usize>,
    /// Bytes from the start of the file to the data.
    pub len: usize,
}

impl Header {
    /// The element type, or an error naming what was found.
    pub fn dtype(&self, what: &Path) -> Result<Dtype> {
        Dtype::parse(&self.descr).ok_or_else(|| {
            Error::format(
                what,
                format!(
                    "unsupported element type '{}' (expected float64 '<f8', or integers '<i8', '<i4', '|u1')",
                    self.descr
                ),
            )
        })
    }

    /// Number of elements, or an error if the shape overflows.
    pub fn elements(&self, what: &Path) -> Result<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                Error::format(
                    what,
                    format!("header claims an impossible shape {:?}", self.shape),
                )
            })
    }

    /// Bytes of data the header claims (elements × element size).
    pub fn data_bytes(&self, what: &Path) -> Result<u64> {
        let n = self.elements(what)? as u64;
        n.checked_mul(self.dtype(what)?.size() as u64).ok_or_else(|| {
            Error::format(
                what,
                format!("header claims an impossible shape {:?}", self.shape),
            )
        })
    }
}

fn truncated(what: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        Error::format(what, "truncated .npy header: the file ends inside it")
    } else {
        Error::io(what, e)
    }
}

/// Parse a `.npy` header from `r` (positioned at the magic string), leaving `r` at the data.
pub fn read_header(r: &mut impl Read, what: &Path) -> Result<Header> {
    let bad = |m: String| Error::format(what, m);
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|e| truncated(what, e))?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy array (bad magic string)".into()));
    }
    let (dict_len, prefix) = match magic[6] {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(|e| truncated(what, e))?;
            (u16::from_le_bytes(b) as usize, 10)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|e| truncated(what, e))?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        v => return Err(bad(format!("unsupported .npy format version {v}"))),
    };
    if dict_len > MAX_HEADER {
        return Err(bad(format!(
            "header claims {dict_len} bytes of text (at most {MAX_HEADER} accepted)"
        )));
    }
    let mut h = Vec::new();
    r.by_ref()
        .take(dict_len as u64)
        .read_to_end(&mut h)
        .map_err(|e| Error::io(what, e))?;
    if h.len() != dict_len {
        return Err(bad(format!(
            "truncated .npy header: it claims {dict_len} bytes, the file has {}",
            h.len()
        )));
    }
    let text = std::str::from_utf8(&h).map_err(|_| bad("the .npy header is not text".into()))?;
    let (descr, fortran_order, shape) =
        parse_dict(text).map_err(|m| bad(format!("malformed .npy header ({m}): {}", text.trim())))?;
    Ok(Header {
        descr,
        fortran_order,
        shape,
        len: prefix + dict_len,
    })
}

/// The value text after `'key':` in a header dict.
fn dict_value<'a>(text: &'a str, key: &str) -> std::result::Result<&'a str, String> {
    for q in ['\'', '"'] {
        let k = format!("{q}{key}{q}");
        if let Some(i) = text.find(&k) {
            let rest = text[i + k.len()..].trim_start();
            return rest
                .strip_prefix(':')
                .map(str::trim_start)
                .ok_or_else(|| format!("no ':' after '{key}'"));
        }
    }
    Err(format!("no '{key}'"))
}

fn parse_dict(text: &str) -> std::result::Result<(String, bool, Vec<usize>), String> {
    let d = dict_value(text, "descr")?;
    let quote = d
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or("descr is not a string")?;
    let end = d[1..].find(quote).ok_or("unterminated descr")?;
    let descr = d[1..1 + end].to_string();
    let f = dict_value(text, "fortran_order")?;
    let fortran = if f.starts_with("True") {
        true
    } else if f.starts_with("False") {
        false
    } else {
        return Err("fortran_order is neither True nor False".into());
    };
    let s = dict_value(text, "shape")?;
    let s = s.strip_prefix('(').ok_or("shape is not a tuple")?;
    let end = s.find(')').ok_or("unterminated shape")?;
    let shape = s[..end]
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("shape entry `{t}`"))
        })
        .collect::<std::result::Result<Vec<usize>, String>>()?;
    Ok((descr, fortran, shape))
}

/// Read `count` elements of `dtype` from `r` in bounded pieces, converted by `conv` (memory grows
/// only with the bytes actually read).
fn read_elements<T>(
    r: &mut impl Read,
    dtype: Dtype,
    count: usize,
    what: &Path,
    conv: impl Fn(Dtype, &[u8]) -> T,
) -> Result<Vec<T>> {
    const PIECE: usize = 1 << 16;
    let size = dtype.size();
    let mut out = Vec::with_capacity(count.min(PIECE));
    let mut buf = vec![0u8; PIECE.min(count.max(1)) * size];
    let mut done = 0;
    while done < count {
        let n = PIECE.min(count - done);
        let b = &mut buf[..n * size];
        r.read_exact(b).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::format(
                    what,
                    format!(
                        "truncated array: the header claims {} bytes of data, fewer are present (read {} whole elements of {count})",
                        count * size,
                        done
                    ),
                )
            } else {
                Error::io(what, e)
            }
        })?;
        out.extend(b.chunks_exact(size).map(|c| conv(dtype, c)));
        done += n;
    }
    Ok(out)
}

fn to_f64(_: Dtype, c: &[u8]) -> f64 {
    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
}

fn to_i64(d: Dtype, c: &[u8]) -> i64 {
    match d {
        Dtype::I64 => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        Dtype::I32 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        Dtype::U8 => i64::from(c[0]),
        // float data never reach here (checked by the caller)
        Dtype::F64 => 0,
    }
}

/// Shape the elements read into an array (C or Fortran order), returned in standard layout.
fn shaped<T: Clone>(h: &Header, data: Vec<T>, what: &Path) -> Result<ArrayD<T>> {
    let shape = IxDyn(&h.shape);
    let a = if h.fortran_order {
        ArrayD::from_shape_vec(shape.f(), data)
    } else {
        ArrayD::from_shape_vec(shape, data)
    }
    .map_err(|e| Error::format(what, e.to_string()))?;
    Ok(if h.fortran_order {
        a.as_standard_layout().to_owned()
    } else {
        a
    })
}

/// Check that the data the header claims fit in the `available` bytes after it.
fn check_size(h: &Header, available: u64, what: &Path, unit: &str) -> Result<()> {
    let claimed = h.data_bytes(what)?;
    if claimed > available {
        return Err(Error::format(
            what,
            format!(
                "truncated or corrupt array: the header claims {claimed} bytes of data (shape {:?}, '{}'), the {unit} has {available}",
                h.shape, h.descr
            ),
        ));
    }
    Ok(())
}

fn read_f64_from(r: &mut impl Read, h: &Header, what: &Path) -> Result<ArrayD<f64>> {
    if h.dtype(what)? != Dtype::F64 {
        return Err(Error::format(
            what,
            format!(
                "not a float64 .npy array: element type '{}', expected '<f8'",
                h.descr
            ),
        ));
    }
    let data = read_elements(r, Dtype::F64, h.elements(what)?, what, to_f64)?;
    shaped(h, data, what)
}

fn read_int_from(r: &mut impl Read, h: &Header, what: &Path) -> Result<ArrayD<i64>> {
    let d = h.dtype(what)?;
    if d == Dtype::F64 {
        return Err(Error::format(
            what,
            "not an integer (int64/int32/uint8) .npy array: element type '<f8'",
        ));
    }
    let data = read_elements(r, d, h.elements(what)?, what, to_i64)?;
    shaped(h, data, what)
}

/// Open a `.npy` file and read its header, checked against the file's length.
fn open_npy(path: &Path) -> Result<(BufReader<File>, Header)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut r = BufReader::new(file);
    let h = read_header(&mut r, path)?;
    check_size(&h, len.saturating_sub(h.len as u64), path, "file")?;
    Ok((r, h))
}

/// Parse a float64 `.npy` file held in memory (`what` names it in errors).
pub fn f64_from_bytes(bytes: &[u8], what: &Path) -> Result<ArrayD<f64>> {
    let mut r = bytes;
    let h = read_header(&mut r, what)?;
    check_size(&h, r.len() as u64, what, "file")?;
    read_f64_from(&mut r, &h, what)
}

/// Parse an integer `.npy` file held in memory (`what` names it in errors).
pub fn int_from_bytes(bytes: &[u8], what: &Path) -> Result<ArrayD<i64>> {
    let mut r = bytes;
    let h = read_header(&mut r, what)?;
    check_size(&h, r.len() as u64, what, "file")?;
    read_int_from(&mut r, &h, what)
}

/// Read a float64 `.npy` array of any dimension.
pub fn read_f64_dyn(path: &Path) -> Result<ArrayD<f64>> {
    let (mut r, h) = open_npy(path)?;
    read_f64_from(&mut r, &h, path)
}

/// Read a float64 matrix from `.npy`. A leading axis of length 1 is dropped, so the reference's
/// (1, P, 784) minibatch files are accepted as P×784. Non-finite entries are rejected.
pub fn read_matrix(path: &Path, what: &str) -> Result<Array2<f64>> {
    let mut a = read_f64_dyn(path)?;
    while a.ndim() > 2 && a.shape()[0] == 1 {
        a = a.index_axis_move(ndarray::Axis(0), 0);
    }
    let shape = a.shape().to_vec();
    let m = a.into_dimensionality::<ndarray::Ix2>().map_err(|_| {
        Error::shape(
            format!("{what} ({})", path.display()),
            "2-D (rows × columns)",
            &shape,
        )
    })?;
    check_finite(&m, &format!("{what} ({})", path.display()))?;
    Ok(m.as_standard_layout().to_owned())
}

/// Read a vector or matrix of integers (int64, int32 or uint8) from `.npy`, returned as i64.
pub fn read_int_dyn(path: &Path) -> Result<ArrayD<i64>> {
    let (mut r, h) = open_npy(path)?;
    read_int_from(&mut r, &h, path)
}

/// Fail with a message naming `what` if any entry is NaN or infinite.
pub fn check_finite<D: ndarray::Dimension>(
    a: &ndarray::ArrayBase<impl ndarray::Data<Elem = f64>, D>,
    what: &str,
) -> Result<()> {
    if let Some(pos) = a.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            what,
            format!(
                "entry {pos} is not finite ({})",
                a.iter().nth(pos).copied().unwrap_or(f64::NAN)
            ),
        ));
    }
    Ok(())
}

/// Write any ndarray as `.npy` (whole or absent, never partial; see [`crate::atomic`]).
pub fn write<A, D>(path: &Path, a: &ndarray::ArrayBase<A, D>) -> Result<()>
where
    A: ndarray::Data,
    A::Elem: ndarray_npy::WritableElement,
    D: ndarray::Dimension,
{
    write_durable(path, a, Durability::Atomic)
}

/// Write any ndarray as `.npy` with the given durability.
pub fn write_durable<A, D>(path: &Path, a: &ndarray::ArrayBase<A, D>, durability: Durability) -> Result<()>
where
    A: ndarray::Data,
    A::Elem: ndarray_npy::WritableElement,
    D: ndarray::Dimension,
{
    atomic::write_with(path, durability, |w| {
        a.write_npy(w)
            .map_err(|e| Error::format(path, format!("writing .npy failed: {e}")))
    })
}

/// An `.npz` archive open for reading. Errors name the file and the array; a damaged archive is
/// reported as "truncated or corrupt archive", never as a dtype error.
pub struct Npz {
    path: PathBuf,
    archive: zip::ZipArchive<BufReader<File>>,
}

impl std::fmt::Debug for Npz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Npz").field("path", &self.path).finish()
    }
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::format(path, format!("truncated or corrupt archive: {e}"))
}

impl Npz {
    /// Open the archive at `path`.
    pub fn open(path: &Path) -> Result<Npz> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
            Error::format(
                path,
                format!("not an .npz archive, or a truncated or corrupt one: {e}"),
            )
        })?;
        Ok(Npz {
            path: path.to_path_buf(),
            archive,
        })
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The array names it holds (member names without `.npy`).
    pub fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
            .collect()
    }

    /// Whether it holds the array `name`.
    pub fn has(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    fn entry(&self, name: &str) -> Option<String> {
        [format!("{name}.npy"), name.to_string()]
            .into_iter()
            .find(|n| self.archive.index_for_name(n).is_some())
    }

    fn missing(&self, name: &str) -> Error {
        let mut names = self.names();
        names.sort();
        Error::format(
            &self.path,
            format!(
                "array `{name}` is missing (the archive holds: {})",
                names.join(", ")
            ),
        )
    }

    /// The member `name`, its header (checked against the member's size) and its display path.
    fn member(&mut self, name: &str) -> Result<(zip::read::ZipFile<'_, BufReader<File>>, Header, PathBuf)> {
        let entry = self.entry(name).ok_or_else(|| self.missing(name))?;
        let what = self.path.join(&entry);
        let path = self.path.clone();
        let mut f = self.archive.by_name(&entry).map_err(|e| corrupt(&path, e))?;
        let size = f.size();
        let h = read_header(&mut f, &what).map_err(|e| match e {
            Error::Io { error, .. } => corrupt(&what, error),
            other => other,
        })?;
        check_size(&h, size.saturating_sub(h.len as u64), &what, "archive member")?;
        Ok((f, h, what))
    }

    /// The header of array `name` (only the header is read).
    pub fn header(&mut self, name: &str) -> Result<Header> {
        Ok(self.member(name)?.1)
    }

    /// The shape of array `name`.
    pub fn shape(&mut self, name: &str) -> Result<Vec<usize>> {
        Ok(self.header(name)?.shape)
    }

    /// Read the float64 array `name`.
    pub fn f64(&mut self, name: &str) -> Result<ArrayD<f64>> {
        let (mut f, h, what) = self.member(name)?;
        let a = read_f64_from(&mut f, &h, &what).map_err(|e| reading(e, &what))?;
        drain(&mut f, &what)?;
        Ok(a)
    }

    /// Read the float64 array `name` with `D::NDIM` dimensions.
    pub fn f64_as<D: ndarray::Dimension>(&mut self, name: &str) -> Result<ndarray::Array<f64, D>> {
        let a = self.f64(name)?;
        let shape = a.shape().to_vec();
        a.into_dimensionality::<D>().map_err(|_| {
            Error::shape(
                format!("`{name}` in {}", self.path.display()),
                format!(
                    "{} dimensions",
                    D::NDIM.map_or_else(|| "any number of".to_string(), |n| n.to_string())
                ),
                &shape,
            )
        })
    }

    /// Read the integer array `name` (int64, int32 or uint8) as i64.
    pub fn int(&mut self, name: &str) -> Result<ArrayD<i64>> {
        let (mut f, h, what) = self.member(name)?;
        let a = read_int_from(&mut f, &h, &what).map_err(|e| reading(e, &what))?;
        drain(&mut f, &what)?;
        Ok(a)
    }

    /// Stream the E×K×D float64 array `name` in chunks of up to `chunk` frames along its first
    /// axis: `f(first_frame, frames)` is called with F×K×D arrays in order; only one chunk is in
    /// memory at a time. Every entry is checked to be finite. Returns (E, K, D).
    pub fn stream_frames(
        &mut self,
        name: &str,
        chunk: usize,
        mut f: impl FnMut(usize, Array3<f64>) -> Result<()>,
    ) -> Result<(usize, usize, usize)> {
        let (mut r, h, what) = self.member(name)?;
        let [e, k, d] = frames_shape(&h, name, &what)?;
        let chunk = chunk.max(1);
        let mut start = 0;
        while start < e {
            let n = chunk.min(e - start);
            let data = read_elements(&mut r, Dtype::F64, n * k * d, &what, to_f64)
                .map_err(|err| reading(err, &what))?;
            let a = Array3::from_shape_vec((n, k, d), data)
                .map_err(|err| Error::format(&what, err.to_string()))?;
            check_finite(
                &a,
                &format!("{name} ({}), frames {start}..{}", what.display(), start + n),
            )?;
            f(start, a)?;
            start += n;
        }
        drain(&mut r, &what)?;
        Ok((e, k, d))
    }

    /// Frame `index` (K×D) of the E×K×D float64 array `name`, read alone: by a seek where the
    /// member is stored uncompressed (as this tool and `numpy.savez` write it), else by skipping.
    pub fn frame(&mut self, name: &str, index: usize) -> Result<Array2<f64>> {
        let (h, what) = {
            let (_, h, what) = self.member(name)?;
            (h, what)
        };
        let [e, k, d] = frames_shape(&h, name, &what)?;
        if index >= e {
            return Err(Error::invalid(
                name,
                format!("frame {index} requested, {} holds {e}", what.display()),
            ));
        }
        let offset = (h.len + index * k * d * 8) as u64;
        let entry = self.entry(name).ok_or_else(|| self.missing(name))?;
        let path = self.path.clone();
        let data = match self.archive.by_name_seek(&entry) {
            Ok(mut r) => {
                r.seek(SeekFrom::Start(offset))
                    .map_err(|err| corrupt(&path, err))?;
                read_elements(&mut r, Dtype::F64, k * d, &what, to_f64)
            }
            Err(_) => {
                let mut r = self.archive.by_name(&entry).map_err(|err| corrupt(&path, err))?;
                std::io::copy(&mut r.by_ref().take(offset), &mut std::io::sink())
                    .map_err(|err| corrupt(&path, err))?;
                read_elements(&mut r, Dtype::F64, k * d, &what, to_f64)
            }
        }
        .map_err(|err| reading(err, &what))?;
        let a = Array2::from_shape_vec((k, d), data).map_err(|err| Error::format(&what, err.to_string()))?;
        check_finite(&a, &format!("{name} ({}), frame {index}", what.display()))?;
        Ok(a)
    }
}

/// Read a member to its end, so the archive's checksum of it is verified (the zip reader checks
/// the CRC-32 when the member's last byte has been read).
fn drain(r: &mut impl Read, what: &Path) -> Result<()> {
    std::io::copy(r, &mut std::io::sink())
        .map(|_| ())
        .map_err(|e| corrupt(what, e))
}

/// Errors while reading a member's data are damage to the archive.
fn reading(e: Error, what: &Path) -> Error {
    match e {
        Error::Io { error, .. } => corrupt(what, error),
        other => other,
    }
}

fn frames_shape(h: &Header, name: &str, what: &Path) -> Result<[usize; 3]> {
    if h.fortran_order || h.descr != "<f8" {
        return Err(Error::format(
            what,
            format!(
                "`{name}` must be a C-ordered float64 ('<f8') array, found '{}'",
                h.descr
            ),
        ));
    }
    match h.shape[..] {
        [e, k, d] => Ok([e, k, d]),
        _ => Err(Error::shape(
            format!("`{name}` in {}", what.display()),
            "(E, K, D)",
            &h.shape,
        )),
    }
}

/// Open an `.npz` archive for reading.
pub fn open_npz(path: &Path) -> Result<Npz> {
    Npz::open(path)
}

/// Read the named float64 array from an open `.npz` archive.
pub fn npz_f64(npz: &mut Npz, _path: &Path, name: &str) -> Result<ArrayD<f64>> {
    npz.f64(name)
}

/// Read the named integer array (int64, int32 or uint8) from an open `.npz` archive.
pub fn npz_int(npz: &mut Npz, _path: &Path, name: &str) -> Result<ArrayD<i64>> {
    npz.int(name)
}

/// An `.npz` archive being written (uncompressed, like `numpy.savez`) under its temporary name;
/// [`NpzFile::finish`] completes it and renames it into place, so it is whole or absent.
pub struct NpzFile {
    path: PathBuf,
    tmp: PathBuf,
    durability: Durability,
    writer: NpzWriter<BufWriter<File>>,
}

/// An error while writing an archive, in the user's terms: the OS error (disk full, permission)
/// with the file's name where there is one.
fn write_error(path: &Path, e: WriteNpzError) -> Error {
    match e {
        WriteNpzError::Zip(z) => zip_write_error(path, z),
        WriteNpzError::Npy(ndarray_npy::WriteNpyError::Io(io)) => Error::io(path, io),
        other => Error::format(path, format!("writing the archive failed: {other}")),
    }
}

/// A zip error while writing `path`, in the user's terms (the OS error where there is one).
pub fn zip_write_error(path: &Path, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => Error::io(path, io),
        other => Error::format(path, format!("writing the archive failed: {other}")),
    }
}

impl NpzFile {
    /// Add an array (its member is `name.npy`).
    pub fn add_array<N, T>(&mut self, name: N, array: &T) -> Result<()>
    where
        N: Into<String>,
        T: WriteNpyExt + ?Sized,
    {
        self.writer
            .add_array(name, array)
            .map_err(|e| write_error(&self.tmp, e))
    }

    /// Write the archive's directory, flush (and sync), and rename it into place.
    pub fn finish(self) -> Result<()> {
        let w = self.writer.finish().map_err(|e| write_error(&self.tmp, e))?;
        let file = w.into_inner().map_err(|e| Error::io(&self.tmp, e.into_error()))?;
        atomic::commit(file, &self.tmp, &self.path, self.durability)
    }
}

/// Create an `.npz` writer (uncompressed, like `numpy.savez`; atomic, see [`NpzFile`]).
pub fn create_npz(path: &Path) -> Result<NpzFile> {
    create_npz_durable(path, Durability::Atomic)
}

/// Create an `.npz` writer with the given durability.
pub fn create_npz_durable(path: &Path, durability: Durability) -> Result<NpzFile> {
    let tmp = atomic::tmp_path(path);
    let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    Ok(NpzFile {
        path: path.to_path_buf(),
        tmp,
        durability,
        writer: NpzWriter::new(BufWriter::new(file)),
    })
}

/// Convert an index vector to a numpy int64 array.
pub fn indices(v: &[usize]) -> Array1<i64> {
    v.iter().map(|&i| i as i64).collect()
}

/// The header of a version-1.0 `.npy` file for a C-ordered array of `descr` (e.g. `<f8`) with
/// the given shape, padded so the data starts at a multiple of 64 bytes (as numpy writes it).
pub fn header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}
