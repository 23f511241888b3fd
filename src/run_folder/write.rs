//! Writing a run folder by the protocol of [`super`]: a [`RunWriter`] holds the folder's lock and
//! writes inputs, config, checkpoints and the summary, each whole or not at all and synced; a
//! [`Recorder`] appends trajectory records to the two partial `.npy` files (so memory use does not
//! grow with the number of epochs) and packs them into `trajectory.npz` at the end.

use super::{
    BATCHES, CHECKPOINT, CONFIG, Checkpoint, PART_LABELS, PART_MEMORIES, SAMPLE_INDEX, SAMPLES, SUMMARY,
    Summary, TARGETS, TEST_SAMPLES, TEST_TARGETS, TRAJECTORY,
};
use crate::atomic::{self, Durability, FolderLock};
use crate::config::RunConfig;
use crate::data::TrainingSet;
use crate::error::{Error, Result};
use crate::npy;
use ndarray::{Array0, Array2};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The writer of one run folder; holds its exclusive lock while it lives.
#[derive(Debug)]
pub struct RunWriter {
    dir: PathBuf,
    _lock: FolderLock,
}

impl RunWriter {
    /// Create `dir` if needed and take its lock (refused at once if another process holds it).
    pub fn lock(dir: &Path) -> Result<RunWriter> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock = FolderLock::acquire(dir, "a run is being written there")?;
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write the inputs: samples, targets, minibatches, source rows and the held-out set.
    pub fn write_inputs(
        &self,
        training: &TrainingSet,
        test: Option<&TrainingSet>,
        batches: &[Vec<usize>],
    ) -> Result<()> {
        let put =
            |name: &str, a: &Array2<f64>| npy::write_durable(&self.dir.join(name), a, Durability::Synced);
        put(SAMPLES, &training.samples)?;
        put(TARGETS, &training.targets)?;
        let per = batches.first().map_or(0, Vec::len);
        let flat: Vec<i64> = batches.iter().flatten().map(|&i| i as i64).collect();
        let arr = Array2::from_shape_vec((batches.len(), per), flat)
            .map_err(|e| Error::invalid("batches", format!("minibatches of unequal size: {e}")))?;
        npy::write_durable(&self.dir.join(BATCHES), &arr, Durability::Synced)?;
        if let Some(idx) = &training.source_index {
            npy::write_durable(
                &self.dir.join(SAMPLE_INDEX),
                &npy::indices(idx),
                Durability::Synced,
            )?;
        }
        if let Some(t) = test {
            put(TEST_SAMPLES, &t.samples)?;
            put(TEST_TARGETS, &t.targets)?;
        }
        Ok(())
    }

    /// Write `config.toml`: the commit point of a start (after it, the folder is resumable).
    pub fn write_config(&self, cfg: &RunConfig) -> Result<()> {
        atomic::write_bytes(
            &self.dir.join(CONFIG),
            cfg.to_toml().as_bytes(),
            Durability::Synced,
        )
    }

    /// A recorder of the `epochs` schedule for K×D memories and K×C labels, keeping the first
    /// `written` records already on disk (0: start the partial files afresh).
    pub fn recorder(
        &self,
        epochs: &[usize],
        k: usize,
        d: usize,
        c: usize,
        written: usize,
    ) -> Result<Recorder> {
        if written == 0 {
            Recorder::create(&self.dir, epochs, k, d, c)
        } else {
            Recorder::reopen(&self.dir, epochs, k, d, c, written)
        }
    }

    /// Write `checkpoint.npz` (synced; after the records it counts are synced by the caller).
    pub fn write_checkpoint(&self, ck: &Checkpoint) -> Result<()> {
        let path = self.dir.join(CHECKPOINT);
        let mut w = npy::create_npz_durable(&path, Durability::Synced)?;
        let st = &ck.state;
        w.add_array("memories", &st.memories)?;
        w.add_array("labels", &st.labels)?;
        w.add_array("vel_memories", &st.vel_memories)?;
        w.add_array("vel_labels", &st.vel_labels)?;
        w.add_array("epoch", &Array0::from_elem((), ck.epoch as i64))?;
        w.add_array("records", &Array0::from_elem((), ck.records as i64))?;
        w.add_array("wall_seconds", &Array0::from_elem((), ck.wall_seconds))?;
        let frozen = ck.frozen_memories.map_or(-1, |f| f as i64);
        w.add_array("frozen_memories", &Array0::from_elem((), frozen))?;
        w.finish()
    }

    /// Write `summary.json`: the last file, marking the run finished.
    pub fn write_summary(&self, s: &Summary) -> Result<()> {
        atomic::write_json(&self.dir.join(SUMMARY), s, Durability::Synced)
    }

    /// Whether the trajectory is already packed (`trajectory.npz` present, no partial files).
    pub fn trajectory_packed(&self) -> bool {
        self.dir.join(TRAJECTORY).exists() && !self.dir.join(PART_MEMORIES).exists()
    }
}

/// Appends records of (memories, labels) to the two partial `.npy` files of a run folder, their
/// headers already sized for every record of the schedule.
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

const PARTS: [&str; 2] = [PART_MEMORIES, PART_LABELS];

impl Recorder {
    fn create(dir: &Path, epochs: &[usize], k: usize, pixels: usize, classes: usize) -> Result<Self> {
        let shapes = [(k, pixels), (k, classes)];
        let open = |name: &str, (r, c): (usize, usize)| -> Result<BufWriter<File>> {
            let p = dir.join(name);
            let mut f = BufWriter::new(File::create(&p).map_err(|e| Error::io(&p, e))?);
            f.write_all(&npy::header("<f8", &[epochs.len(), r, c]))
                .map_err(|e| Error::io(&p, e))?;
            Ok(f)
        };
        let files = [open(PART_MEMORIES, shapes[0])?, open(PART_LABELS, shapes[1])?];
        Ok(Recorder {
            dir: dir.to_path_buf(),
            epochs: epochs.to_vec(),
            shapes,
            written: 0,
            files,
        })
    }

    fn reopen(
        dir: &Path,
        epochs: &[usize],
        k: usize,
        pixels: usize,
        classes: usize,
        written: usize,
    ) -> Result<Self> {
        let shapes = [(k, pixels), (k, classes)];
        let open = |name: &str, (r, c): (usize, usize)| -> Result<BufWriter<File>> {
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
                    format!(
                        "damaged partial trajectory: it holds {len} bytes, the checkpoint's {written} records need {keep}; \
                         the disk lost synced data, so remove the folder and train again"
                    ),
                ));
            }
            f.set_len(keep).map_err(|e| Error::io(&p, e))?;
            f.seek(SeekFrom::End(0)).map_err(|e| Error::io(&p, e))?;
            Ok(BufWriter::new(f))
        };
        let files = [open(PART_MEMORIES, shapes[0])?, open(PART_LABELS, shapes[1])?];
        Ok(Recorder {
            dir: dir.to_path_buf(),
            epochs: epochs.to_vec(),
            shapes,
            written,
            files,
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
            .zip(PARTS.iter().zip(self.shapes))
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

    /// Flush both files and sync them to disk (before a checkpoint refers to them).
    pub fn sync(&mut self) -> Result<()> {
        for (f, name) in self.files.iter_mut().zip(PARTS) {
            f.flush().map_err(|e| Error::io(self.dir.join(name), e))?;
            f.get_ref()
                .sync_data()
                .map_err(|e| Error::io(self.dir.join(name), e))?;
        }
        Ok(())
    }

    /// Pack the records into `trajectory.npz` (uncompressed, like `numpy.savez`, with `epochs`
    /// (E int64), `memories` (E×K×D), `labels` (E×K×C); synced, renamed into place) and remove the
    /// partial files.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.sync()?;
        if self.written != self.epochs.len() {
            return Err(Error::format(
                &self.dir,
                format!("trajectory has {} of {} records", self.written, self.epochs.len()),
            ));
        }
        let out = self.dir.join(TRAJECTORY);
        let tmp = atomic::tmp_path(&out);
        let dir = self.dir.clone();
        let epochs = std::mem::take(&mut self.epochs);
        drop(self);
        {
            let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            let mut zip = zip::ZipWriter::new(BufWriter::new(file));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .large_file(true);
            let zerr = |e: zip::result::ZipError| npy::zip_write_error(&tmp, e);
            zip.start_file("epochs.npy", opts).map_err(zerr)?;
            let mut ep = npy::header("<i8", &[epochs.len()]);
            for &e in &epochs {
                ep.extend_from_slice(&(e as i64).to_le_bytes());
            }
            zip.write_all(&ep).map_err(|e| Error::io(&tmp, e))?;
            for (entry, part) in [("memories.npy", PART_MEMORIES), ("labels.npy", PART_LABELS)] {
                zip.start_file(entry, opts).map_err(zerr)?;
                let p = dir.join(part);
                let mut f = File::open(&p).map_err(|e| Error::io(&p, e))?;
                std::io::copy(&mut f, &mut zip).map_err(|e| Error::io(&tmp, e))?;
            }
            let w = zip.finish().map_err(zerr)?;
            let file = w.into_inner().map_err(|e| Error::io(&tmp, e.into_error()))?;
            atomic::commit(file, &tmp, &out, Durability::Synced)?;
        }
        for part in PARTS {
            let p = dir.join(part);
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
        atomic::sync_dir(&dir)?;
        Ok(out)
    }
}
