//! Offline cell-fate data (spec §9): the krumsiek11 simulated myeloid differentiation table,
//! vendored from the scanpy 1.11.5 wheel (BSD-3-Clause; provenance in data/krumsiek11.md), and
//! the Guo et al. 2010 mouse embryo qPCR data, read (never vendored: GPL-2) from Debian's
//! `r-bioc-destiny` when it is installed (§9.2).

use super::patterns;
use super::rdata::{RData, RFile, RValue};
use crate::error::{Error, Result};
use ndarray::Array2;
use std::path::{Path, PathBuf};

const KRUMSIEK11: &str = include_str!("../../data/krumsiek11.txt");

/// The krumsiek11 table: 640 cells × 11 genes with scanpy's row-range labels (spec §9.1).
#[derive(Debug, Clone)]
pub struct Krumsiek11 {
    /// Gene names (11).
    pub genes: Vec<String>,
    /// Expression, cells × genes (640 × 11).
    pub expr: Array2<f64>,
    /// Simulation step of each row (0…159, restarting per realisation).
    pub step: Vec<usize>,
    /// Labels: Mo (rows 80–159), Ery (240–319), Mk (400–479), Neu (560–639), else progenitor.
    pub labels: Vec<String>,
}

impl Krumsiek11 {
    /// The vendored table.
    pub fn embedded() -> Result<Self> {
        Self::parse(KRUMSIEK11, Path::new("data/krumsiek11.txt (embedded)"))
    }
    /// Read a krumsiek11-format text file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&s, path)
    }
    /// Parse: '#' comment lines, the last of which names the columns ("it", genes...); then
    /// whitespace-separated rows.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut header: Option<Vec<String>> = None;
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let mut step = Vec::new();
        for (ln, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(c) = line.strip_prefix('#') {
                header = Some(c.split_whitespace().map(|s| s.to_string()).collect());
                continue;
            }
            let vals: Vec<f64> = line
                .split_whitespace()
                .map(|s| s.parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::format(path, format!("line {}: {e}", ln + 1)))?;
            if vals.len() < 2 {
                return Err(Error::format(path, format!("line {}: too few columns", ln + 1)));
            }
            step.push(vals[0] as usize);
            rows.push(vals[1..].to_vec());
        }
        let header = header.ok_or_else(|| Error::format(path, "no '#' header naming the columns"))?;
        let genes: Vec<String> = header.into_iter().skip(1).collect();
        let g = genes.len();
        if rows.is_empty() || rows.iter().any(|r| r.len() != g) {
            return Err(Error::format(
                path,
                format!("every row needs {g} gene values after the step column"),
            ));
        }
        let expr = Array2::from_shape_fn((rows.len(), g), |(i, j)| rows[i][j]);
        let labels = (0..rows.len())
            .map(|i| {
                match i {
                    80..=159 => "Mo",
                    240..=319 => "Ery",
                    400..=479 => "Mk",
                    560..=639 => "Neu",
                    _ => "progenitor",
                }
                .to_string()
            })
            .collect();
        Ok(Krumsiek11 {
            genes,
            expr,
            step,
            labels,
        })
    }
    /// Class-mean patterns, genes × classes (spec §8.4), unnormalised.
    pub fn class_means(&self, classes: &[String]) -> Result<Array2<f64>> {
        patterns::class_means(self.expr.view(), &self.labels, classes)
    }
}

/// Which Guo 2010 object of destiny (spec §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuoVariant {
    /// `guo` (guo.rda): ΔCt-like values, exactly 10 = not detected.
    Raw,
    /// `guo_norm` (guo_norm.rda): undetected entries replaced by larger values.
    Normalised,
}

impl GuoVariant {
    /// The R object's name (also the file stem).
    pub fn object_name(self) -> &'static str {
        match self {
            GuoVariant::Raw => "guo",
            GuoVariant::Normalised => "guo_norm",
        }
    }
}

/// The Guo et al. 2010 single-cell qPCR data (48 genes × 428 cells) from destiny's ExpressionSet
/// (spec §9.2).
#[derive(Debug, Clone)]
pub struct Guo {
    /// Which object was read.
    pub variant: GuoVariant,
    /// Gene names (48; `exprs` row names).
    pub genes: Vec<String>,
    /// Cell names from phenoData column `Cell`, e.g. "64C 7.14" (428).
    pub cells: Vec<String>,
    /// `exprs`: ΔCt-like values, genes × cells (48 × 428); lower = more expression.
    pub exprs: Array2<f64>,
    /// Embryo stage of each cell: phenoData `num_cells` ∈ {2, 4, 8, 16, 32, 64}.
    pub num_cells: Vec<u32>,
}

/// Environment variable naming a folder holding guo.rda / guo_norm.rda (overrides the default).
pub const DESTINY_DATA_ENV: &str = "WADDINGTON_DESTINY_DATA";
/// Where Debian's `r-bioc-destiny` installs its data sets.
pub const DESTINY_DATA_DIR: &str = "/usr/lib/R/site-library/destiny/data";

/// Detection limit of the raw ΔCt values (spec §8.3): E = max(0, 10 − value).
pub const GUO_DETECTION_LIMIT: f64 = 10.0;

const TE_MARKERS: [&str; 4] = ["Cdx2", "Gata3", "Tcfap2c", "Id2"];
const ICM_MARKERS: [&str; 9] = [
    "Nanog", "Gata6", "Sox2", "Fgf4", "Pdgfra", "Gata4", "Sox17", "Klf2", "Esrrb",
];
const EPI_MARKERS: [&str; 5] = ["Nanog", "Fgf4", "Sox2", "Klf2", "Esrrb"];
const PRE_MARKERS: [&str; 4] = ["Gata6", "Gata4", "Pdgfra", "Sox17"];

impl Guo {
    /// Where `variant` is looked for: `$WADDINGTON_DESTINY_DATA/<name>.rda` if that variable is
    /// set, else `/usr/lib/R/site-library/destiny/data/<name>.rda`.
    pub fn default_path(variant: GuoVariant) -> PathBuf {
        let dir = std::env::var_os(DESTINY_DATA_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DESTINY_DATA_DIR));
        dir.join(format!("{}.rda", variant.object_name()))
    }
    /// Load `variant` from [`Guo::default_path`]; if absent, the error says how to install it.
    pub fn installed(variant: GuoVariant) -> Result<Self> {
        let path = Self::default_path(variant);
        if !path.is_file() {
            return Err(Error::format(
                &path,
                format!(
                    "Guo 2010 data not found; install Debian's r-bioc-destiny (apt-get install \
                     r-bioc-destiny), or unpack it (apt-get download r-bioc-destiny && dpkg-deb -x \
                     r-bioc-destiny_*.deb DIR) and set {DESTINY_DATA_ENV}=DIR{DESTINY_DATA_DIR}"
                ),
            ));
        }
        Self::from_file(&path, variant)
    }
    /// Read an .rda file holding destiny's ExpressionSet `guo` or `guo_norm` (or any single
    /// ExpressionSet with a numeric `num_cells` phenoData column).
    pub fn from_file(path: &Path, variant: GuoVariant) -> Result<Self> {
        let file = RFile::read(path)?;
        Self::from_rdata(&file, variant).map_err(|m| Error::format(path, m))
    }

    fn from_rdata(file: &RFile, variant: GuoVariant) -> std::result::Result<Self, String> {
        let names = file.object_names();
        let eset = match file.object(variant.object_name()) {
            Some(v) => v,
            None if names.len() == 1 => file.object(&names[0]).ok_or("empty file")?,
            None => return Err(format!("no object '{}' (found {names:?})", variant.object_name())),
        };
        if !eset.class().iter().any(|c| c == "ExpressionSet") {
            return Err(format!(
                "expected an ExpressionSet, found class {:?}",
                eset.class()
            ));
        }
        let assay = eset
            .attr("assayData")
            .ok_or("ExpressionSet without slot assayData")?;
        let exprs = file
            .env_get(assay, "exprs")
            .ok_or("assayData has no 'exprs' matrix")?;
        let (exprs, genes, samples) = numeric_matrix(exprs, "exprs")?;
        let (g, n) = exprs.dim();
        let pdata = eset
            .attr("phenoData")
            .and_then(|p| p.attr("data"))
            .ok_or("ExpressionSet without phenoData@data")?;
        let num = pdata
            .get("num_cells")
            .and_then(|v| v.to_f64())
            .ok_or("phenoData has no numeric column 'num_cells'")?;
        if num.len() != n {
            return Err(format!(
                "phenoData num_cells has {} rows, exprs {n} columns",
                num.len()
            ));
        }
        let num_cells = num
            .iter()
            .map(|&x| {
                let ok = x.is_finite() && x >= 1.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX);
                ok.then_some(x as u32)
                    .ok_or(format!("num_cells value {x} is not a cell count"))
            })
            .collect::<std::result::Result<Vec<u32>, String>>()?;
        let row_names = pdata.attr("row.names").map(strings_of).unwrap_or_default();
        if !row_names.is_empty() && !samples.is_empty() && row_names != samples {
            return Err("phenoData row names differ from the exprs column names".into());
        }
        let cells = match pdata.get("Cell") {
            Some(c) => strings_of(c),
            None => samples,
        };
        if cells.len() != n {
            return Err(format!("{} cell names for {n} cells", cells.len()));
        }
        if genes.len() != g {
            return Err(format!("exprs: {} gene names for {g} rows", genes.len()));
        }
        Ok(Guo {
            variant,
            genes,
            cells,
            exprs,
            num_cells,
        })
    }

    /// Stage label of each cell: "{num_cells}C".
    pub fn stage_labels(&self) -> Vec<String> {
        self.num_cells.iter().map(|n| format!("{n}C")).collect()
    }

    /// Expression proxy E = max(0, 10 − value), cells × genes (spec §8.3; 10 = detection limit).
    pub fn expression(&self) -> Array2<f64> {
        self.exprs.t().mapv(|v| (GUO_DETECTION_LIMIT - v).max(0.0))
    }

    /// Row of gene `name` in `exprs`.
    pub fn gene_index(&self, name: &str) -> Result<usize> {
        self.genes
            .iter()
            .position(|g| g == name)
            .ok_or_else(|| Error::invalid("genes", format!("gene '{name}' not in the Guo data")))
    }

    /// Per cell, the mean of E over the genes `panel`.
    fn panel_score(&self, e: &Array2<f64>, panel: &[&str]) -> Result<Vec<f64>> {
        let idx = panel
            .iter()
            .map(|g| self.gene_index(g))
            .collect::<Result<Vec<_>>>()?;
        Ok(e.rows()
            .into_iter()
            .map(|r| idx.iter().map(|&j| r[j]).sum::<f64>() / idx.len() as f64)
            .collect())
    }

    /// Lineage labels by the spec §8.3 rule on E = max(0, 10 − value): a cell is "inner" if
    /// mean E{Cdx2, Gata3, Tcfap2c, Id2} − mean E{Nanog, Gata6, Sox2, Fgf4, Pdgfra, Gata4, Sox17,
    /// Klf2, Esrrb} < 2. 32-cell inner cells are "ICM"; 64-cell inner cells are "EPI" if
    /// mean E{Nanog, Fgf4, Sox2, Klf2, Esrrb} > mean E{Gata6, Gata4, Pdgfra, Sox17}, else "PrE";
    /// other 32/64-cell cells are "TE"; earlier cells keep their stage label ("2C" … "16C").
    pub fn lineage_labels(&self) -> Result<Vec<String>> {
        let e = self.expression();
        let te = self.panel_score(&e, &TE_MARKERS)?;
        let icm = self.panel_score(&e, &ICM_MARKERS)?;
        let epi = self.panel_score(&e, &EPI_MARKERS)?;
        let pre = self.panel_score(&e, &PRE_MARKERS)?;
        Ok((0..self.cells.len())
            .map(|i| {
                let inner = te[i] - icm[i] < 2.0;
                match (self.num_cells[i], inner) {
                    (32, true) => "ICM".to_string(),
                    (64, true) if epi[i] > pre[i] => "EPI".to_string(),
                    (64, true) => "PrE".to_string(),
                    (32 | 64, false) => "TE".to_string(),
                    (n, _) => format!("{n}C"),
                }
            })
            .collect())
    }

    /// Class-mean patterns of the expression proxy E (spec §8.2 step 2, §8.3), genes × classes,
    /// unnormalised. A class is a stage ("2C", "4C", "8C", "16C", "32C", "64C": all cells of that
    /// stage) or a lineage of [`Guo::lineage_labels`] ("ICM", "PrE", "EPI", "TE").
    pub fn class_means(&self, classes: &[String]) -> Result<Array2<f64>> {
        let stage = self.stage_labels();
        let lineage = self.lineage_labels()?;
        let e = self.expression();
        let mut out = Array2::zeros((self.genes.len(), classes.len()));
        for (k, cls) in classes.iter().enumerate() {
            let labels = if stage.contains(cls) {
                &stage
            } else if lineage.contains(cls) {
                &lineage
            } else {
                return Err(Error::invalid(
                    "classes",
                    format!("'{cls}' is not a Guo class; use 2C, 4C, 8C, 16C, 32C, 64C, ICM, PrE, EPI or TE"),
                ));
            };
            let col = patterns::class_means(e.view(), labels, std::slice::from_ref(cls))?;
            out.column_mut(k).assign(&col.column(0));
        }
        Ok(out)
    }
}

/// Strings of a character vector, factor (its level names) or integer/real vector (formatted as
/// R prints whole numbers); NA → "NA".
fn strings_of(v: &RValue) -> Vec<String> {
    let na = || "NA".to_string();
    match &v.data {
        RData::Character(s) => s.iter().map(|x| x.clone().unwrap_or_else(na)).collect(),
        RData::Integer(codes) if v.class().iter().any(|c| c == "factor") => {
            let levels = v.attr("levels").and_then(|l| l.as_strings()).unwrap_or(&[]);
            codes
                .iter()
                .map(|c| {
                    c.and_then(|k| {
                        levels
                            .get(usize::try_from(k).ok()?.checked_sub(1)?)
                            .cloned()
                            .flatten()
                    })
                    .unwrap_or_else(na)
                })
                .collect()
        }
        RData::Integer(x) => x.iter().map(|c| c.map_or_else(na, |k| k.to_string())).collect(),
        RData::Real(x) => x.iter().map(|f| f.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A matrix with its row and column names (empty if absent).
type NamedMatrix = (Array2<f64>, Vec<String>, Vec<String>);

/// A real matrix (column-major with `dim`) → rows × cols array and its row/column names.
fn numeric_matrix(v: &RValue, what: &str) -> std::result::Result<NamedMatrix, String> {
    let data = v.to_f64().ok_or(format!("{what}: not a numeric matrix"))?;
    let dim: Vec<usize> = v
        .attr("dim")
        .and_then(|d| d.to_f64())
        .map(|d| d.iter().map(|&x| x as usize).collect())
        .ok_or(format!("{what}: no 'dim' attribute"))?;
    let [r, c] = dim[..] else {
        return Err(format!("{what}: expected 2 dimensions, found {dim:?}"));
    };
    if r.checked_mul(c) != Some(data.len()) {
        return Err(format!(
            "{what}: dim {r} × {c} does not match {} values",
            data.len()
        ));
    }
    let m = Array2::from_shape_fn((r, c), |(i, j)| data[j * r + i]);
    let dn = v.attr("dimnames").and_then(|d| d.as_list());
    let names = |k: usize| dn.and_then(|d| d.get(k)).map(strings_of).unwrap_or_default();
    Ok((m, names(0), names(1)))
}
