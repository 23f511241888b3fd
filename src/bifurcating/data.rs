//! Offline cell-fate data (spec §9): the krumsiek11 simulated myeloid differentiation table,
//! vendored from the scanpy 1.11.5 wheel (BSD-3-Clause; provenance in data/krumsiek11.md).

use super::patterns;
use crate::error::{Error, Result};
use ndarray::Array2;
use std::path::Path;

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
