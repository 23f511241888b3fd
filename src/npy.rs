//! numpy file input and output (`.npy`, `.npz`) with checks that name the file and the array.

use crate::error::{Error, Result};
use ndarray::{Array1, Array2, ArrayD, Ix2};
use ndarray_npy::{NpzReader, NpzWriter, ReadNpyExt, WriteNpyExt};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

/// Read a float64 `.npy` array of any dimension.
pub fn read_f64_dyn(path: &Path) -> Result<ArrayD<f64>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ArrayD::<f64>::read_npy(BufReader::new(file))
        .map_err(|e| Error::format(path, format!("not a float64 .npy array: {e}")))
}

/// Read a float64 matrix from `.npy`. A leading axis of length 1 is dropped, so the reference's
/// (1, P, 784) minibatch files are accepted as P×784. Non-finite entries are rejected.
pub fn read_matrix(path: &Path, what: &str) -> Result<Array2<f64>> {
    let mut a = read_f64_dyn(path)?;
    while a.ndim() > 2 && a.shape()[0] == 1 {
        a = a.index_axis_move(ndarray::Axis(0), 0);
    }
    let shape = a.shape().to_vec();
    let m = a.into_dimensionality::<Ix2>().map_err(|_| {
        Error::shape(
            format!("{what} ({})", path.display()),
            "2-D (rows × columns)",
            &shape,
        )
    })?;
    check_finite(&m, &format!("{what} ({})", path.display()))?;
    Ok(m.as_standard_layout().to_owned())
}

/// Read a vector or matrix of integers (int64 or int32) from `.npy`, returned as i64.
pub fn read_int_dyn(path: &Path) -> Result<ArrayD<i64>> {
    let open = || {
        File::open(path)
            .map_err(|e| Error::io(path, e))
            .map(BufReader::new)
    };
    if let Ok(a) = ArrayD::<i64>::read_npy(open()?) {
        return Ok(a);
    }
    if let Ok(a) = ArrayD::<i32>::read_npy(open()?) {
        return Ok(a.mapv(i64::from));
    }
    if let Ok(a) = ArrayD::<u8>::read_npy(open()?) {
        return Ok(a.mapv(i64::from));
    }
    Err(Error::format(
        path,
        "not an integer (int64/int32/uint8) .npy array",
    ))
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

/// Write any ndarray as `.npy`.
pub fn write<A, D>(path: &Path, a: &ndarray::ArrayBase<A, D>) -> Result<()>
where
    A: ndarray::Data,
    A::Elem: ndarray_npy::WritableElement,
    D: ndarray::Dimension,
{
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    a.write_npy(BufWriter::new(file))
        .map_err(|e| Error::format(path, format!("writing .npy failed: {e}")))
}

/// Open an `.npz` archive for reading.
pub fn open_npz(path: &Path) -> Result<NpzReader<BufReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    NpzReader::new(BufReader::new(file)).map_err(|e| Error::format(path, format!("not an .npz archive: {e}")))
}

/// Read the named float64 array from an open `.npz` archive.
pub fn npz_f64(npz: &mut NpzReader<BufReader<File>>, path: &Path, name: &str) -> Result<ArrayD<f64>> {
    npz.by_name(name)
        .map_err(|e| Error::format(path, format!("array `{name}`: {e}")))
}

/// Read the named integer array (int64 or int32) from an open `.npz` archive.
pub fn npz_int(npz: &mut NpzReader<BufReader<File>>, path: &Path, name: &str) -> Result<ArrayD<i64>> {
    if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<i64>, ndarray::IxDyn>(name) {
        return Ok(a);
    }
    npz.by_name::<ndarray::OwnedRepr<i32>, ndarray::IxDyn>(name)
        .map(|a| a.mapv(i64::from))
        .map_err(|e| Error::format(path, format!("array `{name}` (integer): {e}")))
}

/// Create an `.npz` writer (uncompressed, like `numpy.savez`).
pub fn create_npz(path: &Path) -> Result<NpzWriter<BufWriter<File>>> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(NpzWriter::new(BufWriter::new(file)))
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
