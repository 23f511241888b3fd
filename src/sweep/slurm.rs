//! Slurm job arrays: one array task per shard (`--shard $SLURM_ARRAY_TASK_ID/N`), a throttle on
//! concurrent tasks, and a collect job that starts after every task succeeded (`afterok`).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Settings of the generated scripts.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// The `waddington` executable the jobs call (absolute path).
    pub binary: PathBuf,
    /// The grid file (absolute path).
    pub grid: PathBuf,
    /// The sweep folder (absolute path).
    pub out: PathBuf,
    /// Array tasks (shards); each runs `points / tasks` points.
    pub tasks: usize,
    /// At most this many tasks at once (`--array=0-(N-1)%throttle`); 0 = no limit.
    pub throttle: usize,
    /// CPUs per task; also the `--jobs` of each task.
    pub cpus_per_task: usize,
    /// Memory per task (`--mem`, e.g. "2G").
    pub mem: String,
    /// Time limit per task (`--time`, e.g. "04:00:00").
    pub time: String,
    /// Partition, if any.
    pub partition: Option<String>,
    /// Extra `#SBATCH` lines (e.g. "--account=abc").
    pub extra: Vec<String>,
}

/// The three files written by [`write_scripts`].
#[derive(Debug, Clone)]
pub struct Scripts {
    /// The array job (`sweep.sbatch`).
    pub array: PathBuf,
    /// The collect job (`collect.sbatch`).
    pub collect: PathBuf,
    /// `submit.sh`: submits the array, then the collect job with `afterok` on it.
    pub submit: PathBuf,
}

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn header(o: &SlurmOptions, name: &str, log: &str) -> String {
    let mut s = format!(
        "#!/bin/bash\n#SBATCH --job-name={name}\n#SBATCH --output={}\n#SBATCH --cpus-per-task={}\n#SBATCH --mem={}\n#SBATCH --time={}\n",
        o.out.join("slurm").join(log).display(),
        o.cpus_per_task,
        o.mem,
        o.time
    );
    if let Some(p) = &o.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    for x in &o.extra {
        s += &format!("#SBATCH {x}\n");
    }
    s
}

/// The array-job script.
pub fn array_script(o: &SlurmOptions) -> String {
    let range = if o.throttle > 0 {
        format!("0-{}%{}", o.tasks - 1, o.throttle)
    } else {
        format!("0-{}", o.tasks - 1)
    };
    let mut s = header(o, "waddington-sweep", "sweep-%A_%a.out");
    s += &format!("#SBATCH --array={range}\n\nset -euo pipefail\n");
    s += &format!(
        "exec {} sweep run {} --out {} --jobs {} --shard \"$SLURM_ARRAY_TASK_ID/{}\" --no-progress\n",
        sh_quote(&o.binary),
        sh_quote(&o.grid),
        sh_quote(&o.out),
        o.cpus_per_task,
        o.tasks
    );
    s
}

/// The collect-job script.
pub fn collect_script(o: &SlurmOptions) -> String {
    let mut c = o.clone();
    c.cpus_per_task = c.cpus_per_task.max(1);
    let mut s = header(&c, "waddington-collect", "collect-%j.out");
    s += &format!(
        "\nset -euo pipefail\nexec {} sweep collect {}\n",
        sh_quote(&o.binary),
        sh_quote(&o.out)
    );
    s
}

/// The submission script: array job, then the collect job depending on it (`afterok`).
pub fn submit_script(array: &Path, collect: &Path) -> String {
    format!(
        "#!/bin/bash\nset -euo pipefail\narray=$(sbatch --parsable {})\narray=${{array%%;*}}\ncollect=$(sbatch --parsable --dependency=afterok:$array {})\necho \"array job $array, collect job ${{collect%%;*}}\"\n",
        sh_quote(array),
        sh_quote(collect)
    )
}

/// Write `OUT/slurm/{sweep.sbatch, collect.sbatch, submit.sh}`.
pub fn write_scripts(o: &SlurmOptions) -> Result<Scripts> {
    if o.tasks == 0 || o.cpus_per_task == 0 {
        return Err(Error::invalid("--tasks/--cpus-per-task", "expected at least 1"));
    }
    let dir = o.out.join("slurm");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let s = Scripts {
        array: dir.join("sweep.sbatch"),
        collect: dir.join("collect.sbatch"),
        submit: dir.join("submit.sh"),
    };
    for (p, text) in [
        (&s.array, array_script(o)),
        (&s.collect, collect_script(o)),
        (&s.submit, submit_script(&s.array, &s.collect)),
    ] {
        crate::atomic::write_bytes(p, text, crate::atomic::Durability::Atomic)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::io(p, e))?;
        }
    }
    Ok(s)
}
