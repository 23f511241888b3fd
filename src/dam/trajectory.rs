//! Trajectory recording streamed to disk, so memory use does not grow with the number of epochs.
//!
//! While a run is in progress each recorded array is a `.npy` file being appended to
//! (`memories.npy.part`, `labels.npy.part`), its header already sized for every record of the
//! schedule. When the run finishes they are packed, without loading them, into
//! `trajectory.npz` (uncompressed, like `numpy.savez`) with the arrays
//! `epochs` (E, int64), `memories` (E×K×784, f64) and `labels` (E×K×C, f64).

use crate::error::{Error, Result};
use crate::npy;
use ndarray::Array2;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File names inside a run folder.
pub const TRAJECTORY: &str = "trajectory.npz";
const PART_M: &str = "memories.npy.part";
const PART_L: &str = "labels.npy.part";

/// Appends records of (memories, labels) to the two partial `.npy` files of a run folder.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    epochs: Vec<usize>,
    shapes: [(usize, usize); 2],
    written: usize,
    files: [BufWriter<File>; 2],
}

fn f64_bytes(a: &Array2<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len() * 8);
    for v in a.iter() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

impl Recorder {
    /// Start recording the epochs `epochs` of K×P memories and K×C labels into `dir`.
    pub fn create(dir: &Path, epochs: &[usize], k: usize, pixels: usize, classes: usize) -> Result<Self> {
        let shapes = [(k, pixels), (k, classes)];
        let mut files = Vec::new();
        for (name, (r, c)) in [PART_M, PART_L].iter().zip(shapes) {
            let p = dir.join(name);
            let mut f = BufWriter::new(File::create(&p).map_err(|e| Error::io(&p, e))?);
            f.write_all(&npy::header("<f8", &[epochs.len(), r, c]))
                .map_err(|e| Error::io(&p, e))?;
            files.push(f);
        }
        let [m, l]: [BufWriter<File>; 2] = files.try_into().expect("two files");
        Ok(Recorder {
            dir: dir.to_path_buf(),
            epochs: epochs.to_vec(),
            shapes,
            written: 0,
            files: [m, l],
        })
    }

    /// Re-open the partial files of an interrupted run, keeping the first `written` records and
    /// discarding anything written after the checkpoint.
    pub fn reopen(
        dir: &Path,
        epochs: &[usize],
        k: usize,
        pixels: usize,
        classes: usize,
        written: usize,
    ) -> Result<Self> {
        let shapes = [(k, pixels), (k, classes)];
        let mut files = Vec::new();
        for (name, (r, c)) in [PART_M, PART_L].iter().zip(shapes) {
            let p = dir.join(name);
            let head = npy::header("<f8", &[epochs.len(), r, c]).len() as u64;
            let keep = head + (written * r * c * 8) as u64;
            let mut f = OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(|e| Error::io(&p, e))?;
            let len = f.metadata().map_err(|e| Error::io(&p, e))?.len();
            if len < keep {
                return Err(Error::format(
                    &p,
                    format!("partial trajectory holds {len} bytes, the checkpoint needs {keep}"),
                ));
            }
            f.set_len(keep).map_err(|e| Error::io(&p, e))?;
            f.seek(SeekFrom::End(0)).map_err(|e| Error::io(&p, e))?;
            files.push(BufWriter::new(f));
        }
        let [m, l]: [BufWriter<File>; 2] = files.try_into().expect("two files");
        Ok(Recorder {
            dir: dir.to_path_buf(),
            epochs: epochs.to_vec(),
            shapes,
            written,
            files: [m, l],
        })
    }

    /// Whether `epoch` (completed epochs) is one of the recorded epochs still to write.
    pub fn wants(&self, epoch: usize) -> bool {
        self.epochs.get(self.written) == Some(&epoch)
    }

    /// Number of records written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Append one record.
    pub fn record(&mut self, memories: &Array2<f64>, labels: &Array2<f64>) -> Result<()> {
        for ((f, a), (name, shape)) in self
            .files
            .iter_mut()
            .zip([memories, labels])
            .zip([PART_M, PART_L].iter().zip(self.shapes))
        {
            if a.dim() != shape {
                return Err(Error::shape(*name, format!("{shape:?}"), a.shape()));
            }
            f.write_all(&f64_bytes(a))
                .map_err(|e| Error::io(self.dir.join(name), e))?;
        }
        self.written += 1;
        Ok(())
    }

    /// Flush both files to disk (called before a checkpoint is written).
    pub fn flush(&mut self) -> Result<()> {
        for (f, name) in self.files.iter_mut().zip([PART_M, PART_L]) {
            f.flush().map_err(|e| Error::io(self.dir.join(name), e))?;
            f.get_ref()
                .sync_data()
                .map_err(|e| Error::io(self.dir.join(name), e))?;
        }
        Ok(())
    }

    /// Pack the records into `trajectory.npz` (written under a temporary name, then renamed) and
    /// remove the partial files.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.flush()?;
        if self.written != self.epochs.len() {
            return Err(Error::format(
                &self.dir,
                format!("trajectory has {} of {} records", self.written, self.epochs.len()),
            ));
        }
        let out = self.dir.join(TRAJECTORY);
        let tmp = self.dir.join("trajectory.npz.tmp");
        {
            let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            let mut zip = zip::ZipWriter::new(BufWriter::new(file));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .large_file(true);
            let zerr = |e: zip::result::ZipError| Error::format(&tmp, e.to_string());
            zip.start_file("epochs.npy", opts).map_err(zerr)?;
            let mut ep = npy::header("<i8", &[self.epochs.len()]);
            for &e in &self.epochs {
                ep.extend_from_slice(&(e as i64).to_le_bytes());
            }
            zip.write_all(&ep).map_err(|e| Error::io(&tmp, e))?;
            for (entry, part) in [("memories.npy", PART_M), ("labels.npy", PART_L)] {
                zip.start_file(entry, opts).map_err(zerr)?;
                let p = self.dir.join(part);
                let mut f = File::open(&p).map_err(|e| Error::io(&p, e))?;
                std::io::copy(&mut f, &mut zip).map_err(|e| Error::io(&p, e))?;
            }
            let mut w = zip.finish().map_err(zerr)?;
            w.flush().map_err(|e| Error::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, &out).map_err(|e| Error::io(&out, e))?;
        for part in [PART_M, PART_L] {
            let p = self.dir.join(part);
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
        Ok(out)
    }
}
