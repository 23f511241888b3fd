//! `waddington view RUN_DIR|SWEEP_DIR [--out PATH] [--serve [--port P]]`: a run or a sweep in the
//! browser (`docs/viewer.md`).

use std::path::PathBuf;
use waddington::view::{self, GatherOptions};

/// Arguments of `view`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A finished run folder, or a sweep folder (`sweep run --out DIR`: an overview of its points).
    pub dir: PathBuf,
    /// The page to write (default RUN_DIR/view.html); for a sweep, a folder (default SWEEP_DIR/view)
    /// receiving index.html and points/<id>.html.
    #[arg(long, short, conflicts_with = "serve")]
    pub out: Option<PathBuf>,
    /// Replace a finished output.
    #[arg(long)]
    pub force: bool,
    /// Serve the page on 127.0.0.1 instead of writing a file (data sent as separate requests;
    /// for large runs and sweeps). Ctrl-C ends it.
    #[arg(long)]
    pub serve: bool,
    /// Port of --serve (0: any free port).
    #[arg(long, default_value_t = 8765, requires = "serve")]
    pub port: u16,
    /// A fitted UMAP model folder (`embed fit --out`): adds the memories' UMAP trails.
    #[arg(long)]
    pub umap: Option<PathBuf>,
    /// Transform every N-th record through the UMAP model (fewer frames, faster).
    #[arg(long, default_value_t = 1, requires = "umap", value_parser = clap::value_parser!(u64).range(1..))]
    pub umap_every: u64,
    /// Threads of the UMAP transform (0 = all cores); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Run the command.
pub fn run(a: Args) -> anyhow::Result<()> {
    let options = GatherOptions {
        umap: a.umap.clone(),
        umap_every: usize::try_from(a.umap_every)?,
        threads: a.threads,
        back: None,
    };
    if a.serve {
        let server = view::serve::Server::bind(&a.dir, a.port, &options)?;
        println!(
            "serving {} at http://{}/ (loopback only; Ctrl-C ends)",
            a.dir.display(),
            server.addr()?
        );
        server.run()?;
        return Ok(());
    }
    let out = a.out.clone().unwrap_or_else(|| view::default_out(&a.dir));
    let w = view::write(&a.dir, &out, a.force, &options)?;
    let mb = |b: usize| b as f64 / 1_048_576.0;
    for (p, bytes) in &w.pages {
        println!("wrote {} ({:.1} MB)", p.display(), mb(*bytes));
    }
    println!(
        "data: {:.1} MB compressed ({:.1} MB decoded); open the page in a browser (file://, no network)",
        mb(w.data_bytes),
        mb(w.raw_bytes)
    );
    Ok(())
}
