//! A small reader for R's binary serialisation (`.rda` / `.RData` written by `save()`, and the XDR
//! stream inside `.rds`), enough to read expression data shipped in R packages (spec §9.2).
//!
//! Layout: optional gzip; the 5-byte magic "RDX2\n" (or "RDX3\n") of a `save()` file; "X\n"
//! (big-endian XDR); three 32-bit integers (format version 2 or 3, writer's R version, minimal
//! reader version; version 3 adds the native encoding name); then one serialised item. Each item
//! starts with a 32-bit flags word: SEXP type in bits 0–7, "is object" bit 8, "has attributes"
//! bit 9, "has tag" bit 10, general-purpose levels in bits 12–27. Supported items: NULL,
//! symbols, pairlists (and language objects, closures, promises read as pairlists), environments
//! (also the special global/base/empty ones and namespace/package references), references to
//! earlier symbols/environments (REFSXP), logical/integer/real/complex/character/raw vectors,
//! generic vectors, S4 objects and attributes. Byte code, external pointers and ALTREP objects
//! are refused with an error naming them.

use crate::error::{Error, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// An R value with its attributes (in serialisation order).
#[derive(Debug, Clone, PartialEq)]
pub struct RValue {
    /// The value itself.
    pub data: RData,
    /// Attributes as (name, value) pairs (e.g. `dim`, `dimnames`, `names`, `class`, S4 slots).
    pub attributes: Vec<(String, RValue)>,
}

/// The payload of an R value.
#[derive(Debug, Clone, PartialEq)]
pub enum RData {
    /// NULL (R_NilValue).
    Null,
    /// A symbol (its print name).
    Symbol(String),
    /// A pairlist (LISTSXP; also LANGSXP, CLOSXP, PROMSXP, DOTSXP: `kind` is the SEXP type):
    /// (tag, value) nodes; a non-NULL dotted tail is stored as a last untagged node.
    Pairlist {
        /// SEXP type of the first node (2 = pairlist, 6 = call, 3 = closure, ...).
        kind: u8,
        /// The nodes.
        nodes: Vec<(Option<String>, RValue)>,
    },
    /// Logical vector (None = NA).
    Logical(Vec<Option<bool>>),
    /// Integer vector (None = NA).
    Integer(Vec<Option<i32>>),
    /// Double vector (NA_real_ is a NaN).
    Real(Vec<f64>),
    /// Complex vector (re, im).
    Complex(Vec<[f64; 2]>),
    /// Character vector (None = NA_character_).
    Character(Vec<Option<String>>),
    /// A single CHARSXP (only seen outside character vectors in unusual streams).
    Char(Option<String>),
    /// Generic vector (list) or expression vector.
    List(Vec<RValue>),
    /// Raw bytes.
    Raw(Vec<u8>),
    /// An S4 object (its slots are the attributes).
    S4,
    /// An environment: index into [`RFile::environments`].
    Environment(usize),
    /// A special environment or builtin referred to by name: "R_GlobalEnv", "R_EmptyEnv",
    /// "base", "namespace:NAME", "package:NAME", "persistent:NAME", "builtin:NAME",
    /// "unbound", "missing-arg".
    Special(String),
}

/// An environment read from the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Whether it was locked.
    pub locked: bool,
    /// Enclosing environment.
    pub enclos: RValue,
    /// Unhashed frame: a pairlist of bindings (or NULL).
    pub frame: RValue,
    /// Hash table: a list of pairlists of bindings (or NULL).
    pub hashtab: RValue,
}

/// A deserialised file: the top-level value and the environments it refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct RFile {
    /// The serialised item (for `save()` files: a tagged pairlist name → object).
    pub value: RValue,
    /// All environments, indexed by [`RData::Environment`].
    pub environments: Vec<Environment>,
}

impl RValue {
    fn plain(data: RData) -> Self {
        RValue {
            data,
            attributes: Vec::new(),
        }
    }
    /// The attribute (or S4 slot) called `name`.
    pub fn attr(&self, name: &str) -> Option<&RValue> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    /// The class attribute's strings (empty if none).
    pub fn class(&self) -> Vec<String> {
        self.attr("class")
            .and_then(|c| c.as_strings())
            .map(|s| s.iter().flatten().cloned().collect())
            .unwrap_or_default()
    }
    /// The doubles of a real vector.
    pub fn as_real(&self) -> Option<&[f64]> {
        match &self.data {
            RData::Real(v) => Some(v),
            _ => None,
        }
    }
    /// The elements of a character vector.
    pub fn as_strings(&self) -> Option<&[Option<String>]> {
        match &self.data {
            RData::Character(v) => Some(v),
            _ => None,
        }
    }
    /// The elements of a list.
    pub fn as_list(&self) -> Option<&[RValue]> {
        match &self.data {
            RData::List(v) => Some(v),
            _ => None,
        }
    }
    /// A numeric (integer, logical or real) vector as f64 (NA → NaN).
    pub fn to_f64(&self) -> Option<Vec<f64>> {
        match &self.data {
            RData::Real(v) => Some(v.clone()),
            RData::Integer(v) => Some(v.iter().map(|x| x.map_or(f64::NAN, f64::from)).collect()),
            RData::Logical(v) => Some(
                v.iter()
                    .map(|x| x.map_or(f64::NAN, |b| f64::from(u8::from(b))))
                    .collect(),
            ),
            _ => None,
        }
    }
    /// Element `name` of a list (or pairlist) with names.
    pub fn get(&self, name: &str) -> Option<&RValue> {
        match &self.data {
            RData::List(items) => {
                let names = self.attr("names")?.as_strings()?;
                let k = names.iter().position(|n| n.as_deref() == Some(name))?;
                items.get(k)
            }
            RData::Pairlist { nodes, .. } => nodes
                .iter()
                .find(|(t, _)| t.as_deref() == Some(name))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl RFile {
    /// Read a file: gzip-compressed or plain; a `save()` file ("RDX2\n"/"RDX3\n") or a bare
    /// XDR serialisation (as in `.rds`).
    pub fn read(path: &Path) -> Result<Self> {
        let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&raw).map_err(|m| Error::format(path, m))
    }
    /// Parse bytes (see [`RFile::read`]); the error is a message without the file name.
    pub fn from_bytes(raw: &[u8]) -> std::result::Result<Self, String> {
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            // Bounded: a compressed "bomb" stops at MAX_BYTES with an error.
            const MAX_BYTES: u64 = 1 << 31;
            let mut out = Vec::new();
            GzDecoder::new(raw)
                .take(MAX_BYTES + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("gzip: {e}"))?;
            if out.len() as u64 > MAX_BYTES {
                return Err(format!(
                    "decompresses to more than {MAX_BYTES} bytes, the largest accepted"
                ));
            }
            out
        } else if raw.starts_with(b"BZh") || raw.starts_with(&[0xfd, b'7', b'z', b'X', b'Z']) {
            return Err(
                "bzip2/xz-compressed R data is not supported (re-save with compress = \"gzip\")".into(),
            );
        } else {
            raw.to_vec()
        };
        let body = match bytes.get(..5) {
            Some(b"RDX2\n") | Some(b"RDX3\n") => &bytes[5..],
            _ => &bytes[..],
        };
        let mut r = Reader {
            buf: body,
            pos: 0,
            refs: Vec::new(),
            envs: Vec::new(),
            depth: 0,
        };
        r.header()?;
        let value = r.item()?;
        Ok(RFile {
            value,
            environments: r.envs,
        })
    }
    /// The object called `name` in a `save()` file (top-level tagged pairlist).
    pub fn object(&self, name: &str) -> Option<&RValue> {
        self.value.get(name)
    }
    /// Names of the objects in a `save()` file.
    pub fn object_names(&self) -> Vec<String> {
        match &self.value.data {
            RData::Pairlist { nodes, .. } => nodes.iter().filter_map(|(t, _)| t.clone()).collect(),
            _ => Vec::new(),
        }
    }
    /// The binding `name` in environment `env` (searched in its frame and hash table; not in
    /// enclosing environments).
    pub fn env_get(&self, env: &RValue, name: &str) -> Option<&RValue> {
        let RData::Environment(k) = env.data else {
            return None;
        };
        let e = self.environments.get(k)?;
        if let Some(v) = e.frame.get(name) {
            return Some(v);
        }
        e.hashtab.as_list()?.iter().find_map(|bucket| bucket.get(name))
    }
}

// SEXP type codes (R Internals, "Serialization formats").
const NILSXP: u8 = 0;
const SYMSXP: u8 = 1;
const LISTSXP: u8 = 2;
const CLOSXP: u8 = 3;
const ENVSXP: u8 = 4;
const PROMSXP: u8 = 5;
const LANGSXP: u8 = 6;
const SPECIALSXP: u8 = 7;
const BUILTINSXP: u8 = 8;
const CHARSXP: u8 = 9;
const LGLSXP: u8 = 10;
const INTSXP: u8 = 13;
const REALSXP: u8 = 14;
const CPLXSXP: u8 = 15;
const STRSXP: u8 = 16;
const DOTSXP: u8 = 17;
const VECSXP: u8 = 19;
const EXPRSXP: u8 = 20;
const RAWSXP: u8 = 24;
const S4SXP: u8 = 25;
const REFSXP: u8 = 255;
const NILVALUE_SXP: u8 = 254;
const GLOBALENV_SXP: u8 = 253;
const UNBOUNDVALUE_SXP: u8 = 252;
const MISSINGARG_SXP: u8 = 251;
const BASENAMESPACE_SXP: u8 = 250;
const NAMESPACESXP: u8 = 249;
const PACKAGESXP: u8 = 248;
const PERSISTSXP: u8 = 247;
const EMPTYENV_SXP: u8 = 242;
const BASEENV_SXP: u8 = 241;
const ALTREP_SXP: u8 = 238;

const NA_INTEGER: i32 = i32::MIN;
const MAX_DEPTH: usize = 200;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    refs: Vec<RValue>,
    envs: Vec<Environment>,
    depth: usize,
}

type R<T> = std::result::Result<T, String>;

/// Flags word of one item.
#[derive(Clone, Copy)]
struct Flags {
    raw: u32,
    ty: u8,
    has_attr: bool,
    has_tag: bool,
    levels: u32,
}

impl Flags {
    fn new(raw: u32) -> Self {
        Flags {
            raw,
            ty: (raw & 0xff) as u8,
            has_attr: raw & (1 << 9) != 0,
            has_tag: raw & (1 << 10) != 0,
            levels: raw >> 12,
        }
    }
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> R<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| format!("truncated R data: need {n} bytes at offset {}", self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn int(&mut self) -> R<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn double(&mut self) -> R<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_be_bytes(a))
    }
    /// A vector length (with the long-length escape −1, hi, lo), checked against the bytes left
    /// (each element takes at least `elem_bytes`) so corrupt input cannot request a huge
    /// allocation.
    fn length(&mut self, elem_bytes: usize) -> R<usize> {
        let n = self.int()?;
        let n = match n {
            -1 => {
                let hi = self.int()? as u32 as u64;
                let lo = self.int()? as u32 as u64;
                usize::try_from((hi << 32) | lo).map_err(|_| "vector too long".to_string())?
            }
            n if n < 0 => return Err(format!("negative length {n} at offset {}", self.pos)),
            n => n as usize,
        };
        let left = self.buf.len() - self.pos;
        if n.saturating_mul(elem_bytes) > left {
            return Err(format!(
                "length {n} at offset {} exceeds the {left} bytes left (truncated or corrupt)",
                self.pos
            ));
        }
        Ok(n)
    }
    fn header(&mut self) -> R<()> {
        match self.take(2)? {
            b"X\n" => {}
            b"A\n" | b"B\n" => {
                return Err("ASCII/native-binary R serialisation is not supported (XDR only)".into());
            }
            _ => return Err("not R data: expected \"RDX2\\n\" then \"X\\n\" (XDR format)".into()),
        }
        let version = self.int()?;
        let _writer = self.int()?;
        let _min_reader = self.int()?;
        match version {
            2 => Ok(()),
            3 => {
                let n = self.length(1)?;
                self.take(n)?;
                Ok(())
            }
            v => Err(format!(
                "unsupported R serialisation format version {v} (2 or 3 expected)"
            )),
        }
    }
    fn item(&mut self) -> R<RValue> {
        let f = Flags::new(self.int()? as u32);
        self.item_with(f)
    }
    fn item_with(&mut self, f: Flags) -> R<RValue> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("R data nested deeper than {MAX_DEPTH} levels"));
        }
        let v = self.item_inner(f);
        self.depth -= 1;
        v
    }
    fn special(&mut self, name: &str) -> RValue {
        RValue::plain(RData::Special(name.to_string()))
    }
    /// A persistent name (namespace/package/persist reference): int 0, int n, n CHARSXP items.
    fn persistent_name(&mut self, prefix: &str) -> R<RValue> {
        if self.int()? != 0 {
            return Err("names in persistent strings are not supported".into());
        }
        let n = self.length(4)?;
        let mut parts = Vec::with_capacity(n);
        for _ in 0..n {
            match self.item()?.data {
                RData::Char(s) => parts.push(s.unwrap_or_default()),
                _ => return Err("persistent name: expected strings".into()),
            }
        }
        let v = self.special(&format!("{prefix}:{}", parts.join(":")));
        self.refs.push(v.clone());
        Ok(v)
    }
    fn item_inner(&mut self, f: Flags) -> R<RValue> {
        let mut v = match f.ty {
            NILVALUE_SXP | NILSXP => return Ok(RValue::plain(RData::Null)),
            EMPTYENV_SXP => return Ok(self.special("R_EmptyEnv")),
            BASEENV_SXP => return Ok(self.special("base")),
            GLOBALENV_SXP => return Ok(self.special("R_GlobalEnv")),
            UNBOUNDVALUE_SXP => return Ok(self.special("unbound")),
            MISSINGARG_SXP => return Ok(self.special("missing-arg")),
            BASENAMESPACE_SXP => return Ok(self.special("namespace:base")),
            REFSXP => {
                let k = match f.raw >> 8 {
                    0 => self.int()? as u32,
                    k => k,
                } as usize;
                return self.refs.get(k.wrapping_sub(1)).cloned().ok_or_else(|| {
                    format!(
                        "reference {k} to an unknown object (only {} seen)",
                        self.refs.len()
                    )
                });
            }
            NAMESPACESXP => return self.persistent_name("namespace"),
            PACKAGESXP => return self.persistent_name("package"),
            PERSISTSXP => return self.persistent_name("persistent"),
            SYMSXP => {
                let name = match self.item()?.data {
                    RData::Char(s) => s.unwrap_or_default(),
                    _ => return Err("symbol: expected its name as a string".into()),
                };
                let v = RValue::plain(RData::Symbol(name));
                self.refs.push(v.clone());
                return Ok(v);
            }
            ENVSXP => return self.environment(),
            LISTSXP | LANGSXP | CLOSXP | PROMSXP | DOTSXP => return self.pairlist(f),
            ALTREP_SXP => {
                return Err("ALTREP objects are not supported (re-save with R < 3.5 or version = 2)".into());
            }
            SPECIALSXP | BUILTINSXP => {
                let n = self.length(1)?;
                let name = String::from_utf8_lossy(self.take(n)?).into_owned();
                RValue::plain(RData::Special(format!("builtin:{name}")))
            }
            CHARSXP => RValue::plain(RData::Char(self.charsxp(f)?)),
            LGLSXP => {
                let n = self.length(4)?;
                let v = (0..n)
                    .map(|_| self.int().map(|x| (x != NA_INTEGER).then_some(x != 0)))
                    .collect::<R<_>>()?;
                RValue::plain(RData::Logical(v))
            }
            INTSXP => {
                let n = self.length(4)?;
                let v = (0..n)
                    .map(|_| self.int().map(|x| (x != NA_INTEGER).then_some(x)))
                    .collect::<R<_>>()?;
                RValue::plain(RData::Integer(v))
            }
            REALSXP => {
                let n = self.length(8)?;
                RValue::plain(RData::Real((0..n).map(|_| self.double()).collect::<R<_>>()?))
            }
            CPLXSXP => {
                let n = self.length(16)?;
                let v = (0..n)
                    .map(|_| Ok([self.double()?, self.double()?]))
                    .collect::<R<_>>()?;
                RValue::plain(RData::Complex(v))
            }
            STRSXP => {
                let n = self.length(4)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let g = Flags::new(self.int()? as u32);
                    if g.ty != CHARSXP {
                        return Err(format!(
                            "character vector: element of type {} (expected CHARSXP)",
                            g.ty
                        ));
                    }
                    v.push(self.charsxp(g)?);
                }
                RValue::plain(RData::Character(v))
            }
            VECSXP | EXPRSXP => {
                let n = self.length(4)?;
                let v = (0..n).map(|_| self.item()).collect::<R<_>>()?;
                RValue::plain(RData::List(v))
            }
            RAWSXP => {
                let n = self.length(1)?;
                RValue::plain(RData::Raw(self.take(n)?.to_vec()))
            }
            S4SXP => RValue::plain(RData::S4),
            t => {
                return Err(format!(
                    "unsupported R object type {t} at offset {}",
                    self.pos - 4
                ));
            }
        };
        if f.has_attr {
            v.attributes = self.attributes()?;
        }
        Ok(v)
    }
    /// A CHARSXP body: length (−1 = NA) and bytes (latin-1 if flagged, else UTF-8).
    fn charsxp(&mut self, f: Flags) -> R<Option<String>> {
        let n = self.int()?;
        if n == -1 {
            return Ok(None);
        }
        let n = usize::try_from(n).map_err(|_| format!("string of negative length {n}"))?;
        let b = self.take(n)?;
        const LATIN1: u32 = 1 << 2;
        Ok(Some(if f.levels & LATIN1 != 0 {
            b.iter().map(|&c| char::from(c)).collect()
        } else {
            String::from_utf8_lossy(b).into_owned()
        }))
    }
    /// An attribute pairlist → (name, value) pairs.
    fn attributes(&mut self) -> R<Vec<(String, RValue)>> {
        let a = self.item()?;
        match a.data {
            RData::Pairlist { nodes, .. } => Ok(nodes
                .into_iter()
                .map(|(t, v)| (t.unwrap_or_default(), v))
                .collect()),
            RData::Null => Ok(Vec::new()),
            _ => Err("attributes: expected a pairlist".into()),
        }
    }
    fn tag(&mut self) -> R<String> {
        match self.item()?.data {
            RData::Symbol(s) => Ok(s),
            RData::Null => Ok(String::new()),
            _ => Err("pairlist tag: expected a symbol".into()),
        }
    }
    /// A pairlist chain, read iteratively along the CDRs: per node [attributes] [tag] CAR, then
    /// the CDR's flags (another node of the same chain, or its end).
    fn pairlist(&mut self, first: Flags) -> R<RValue> {
        let mut nodes = Vec::new();
        let mut attributes = Vec::new();
        let mut f = first;
        loop {
            if f.has_attr {
                let a = self.attributes()?;
                if nodes.is_empty() {
                    attributes = a;
                }
            }
            let tag = if f.has_tag { Some(self.tag()?) } else { None };
            let car = self.item()?;
            nodes.push((tag, car));
            let next = Flags::new(self.int()? as u32);
            match next.ty {
                LISTSXP | LANGSXP | DOTSXP => f = next,
                NILVALUE_SXP | NILSXP => break,
                _ => {
                    let tail = self.item_with(next)?;
                    nodes.push((None, tail));
                    break;
                }
            }
        }
        Ok(RValue {
            data: RData::Pairlist {
                kind: first.ty,
                nodes,
            },
            attributes,
        })
    }
    /// An environment: locked flag, enclosure, frame, hash table, attributes. Registered in the
    /// reference table before its contents (they may refer back to it).
    fn environment(&mut self) -> R<RValue> {
        let k = self.envs.len();
        let placeholder = RValue::plain(RData::Null);
        self.envs.push(Environment {
            locked: false,
            enclos: placeholder.clone(),
            frame: placeholder.clone(),
            hashtab: placeholder,
        });
        let v = RValue::plain(RData::Environment(k));
        self.refs.push(v.clone());
        let locked = self.int()? != 0;
        let enclos = self.item()?;
        let frame = self.item()?;
        let hashtab = self.item()?;
        let attributes = self.attributes()?;
        self.envs[k] = Environment {
            locked,
            enclos,
            frame,
            hashtab,
        };
        Ok(RValue { attributes, ..v })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builder for hand-made XDR streams.
    struct W(Vec<u8>);
    impl W {
        fn i(&mut self, x: i32) -> &mut Self {
            self.0.extend_from_slice(&x.to_be_bytes());
            self
        }
        fn d(&mut self, x: f64) -> &mut Self {
            self.0.extend_from_slice(&x.to_be_bytes());
            self
        }
        fn s(&mut self, s: &str) -> &mut Self {
            self.i(0x0004_0009).i(s.len() as i32);
            self.0.extend_from_slice(s.as_bytes());
            self
        }
        fn sym(&mut self, s: &str) -> &mut Self {
            self.i(SYMSXP as i32).s(s)
        }
    }

    /// save(x, e) with x = structure(c(1.5, -2, 10, NA), dim = c(2L, 2L), dimnames =
    /// list(c("g1", "g2"), NULL)) and an environment e holding `x2` = TRUE, tagged twice so the
    /// second tag is a REFSXP back to the first symbol.
    fn stream() -> Vec<u8> {
        let mut w = W(b"RDX2\nX\n".to_vec());
        w.i(2).i(0x0003_0301).i(0x0002_0300);
        // Top-level pairlist node 1: tag "x", value: real matrix with attributes.
        w.i((LISTSXP as i32) | (1 << 10)).sym("x");
        w.i((REALSXP as i32) | (1 << 9))
            .i(4)
            .d(1.5)
            .d(-2.0)
            .d(10.0)
            .d(f64::NAN);
        // Attributes: dim = 2:2 (INTSXP), dimnames = list(c("g1", "g2"), NULL).
        w.i((LISTSXP as i32) | (1 << 10))
            .sym("dim")
            .i(INTSXP as i32)
            .i(2)
            .i(2)
            .i(2);
        w.i((LISTSXP as i32) | (1 << 10)).sym("dimnames");
        w.i(VECSXP as i32)
            .i(2)
            .i(STRSXP as i32)
            .i(2)
            .s("g1")
            .s("g2")
            .i(NILVALUE_SXP as i32);
        w.i(NILVALUE_SXP as i32);
        // Node 2: tag "e", an environment (locked, enclos = global, hashed: 1 bucket).
        w.i((LISTSXP as i32) | (1 << 10)).sym("e");
        w.i(ENVSXP as i32)
            .i(1)
            .i(GLOBALENV_SXP as i32)
            .i(NILVALUE_SXP as i32);
        w.i(VECSXP as i32).i(1);
        w.i((LISTSXP as i32) | (1 << 10))
            .sym("x2")
            .i(LGLSXP as i32)
            .i(1)
            .i(1)
            .i(NILVALUE_SXP as i32);
        w.i(NILVALUE_SXP as i32); // env attributes
        // Node 3: tag = REFSXP to symbol 1 ("x"), value = NA integer and a reference to the env.
        w.i((LISTSXP as i32) | (1 << 10)).i((1 << 8) | REFSXP as i32);
        w.i(VECSXP as i32).i(2).i(INTSXP as i32).i(1).i(NA_INTEGER);
        // Reference numbers: 1 "x", 2 "dim", 3 "dimnames", 4 "e", 5 env, 6 "x2".
        w.i((5 << 8) | REFSXP as i32);
        w.i(NILVALUE_SXP as i32);
        w.0
    }

    #[test]
    fn reads_hand_built_stream() {
        let f = RFile::from_bytes(&stream()).unwrap();
        assert_eq!(f.object_names(), vec!["x", "e", "x"]);
        let x = f.object("x").unwrap();
        let v = x.as_real().unwrap();
        assert_eq!(&v[..3], &[1.5, -2.0, 10.0]);
        assert!(v[3].is_nan());
        assert_eq!(
            x.attr("dim").unwrap().data,
            RData::Integer(vec![Some(2), Some(2)])
        );
        let dn = x.attr("dimnames").unwrap().as_list().unwrap();
        assert_eq!(
            dn[0].as_strings().unwrap(),
            &[Some("g1".to_string()), Some("g2".to_string())]
        );
        assert_eq!(dn[1].data, RData::Null);
        let e = f.object("e").unwrap();
        assert_eq!(e.data, RData::Environment(0));
        assert!(f.environments[0].locked);
        assert_eq!(
            f.environments[0].enclos.data,
            RData::Special("R_GlobalEnv".into())
        );
        assert_eq!(f.env_get(e, "x2").unwrap().data, RData::Logical(vec![Some(true)]));
        assert!(f.env_get(e, "nope").is_none());
        let RData::Pairlist { nodes, .. } = &f.value.data else {
            panic!("top level is a pairlist")
        };
        let third = nodes[2].1.as_list().unwrap();
        assert_eq!(third[0].data, RData::Integer(vec![None]));
        assert_eq!(third[1].data, RData::Environment(0));
        // The same stream gzip-compressed gives the same result.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &stream()).unwrap();
        let g = RFile::from_bytes(&gz.finish().unwrap()).unwrap();
        assert_eq!(format!("{g:?}"), format!("{f:?}")); // Debug: NaN == NaN
    }

    #[test]
    fn rejects_truncated_and_foreign_input() {
        let s = stream();
        for cut in [3, 9, 20, 40, s.len() - 1] {
            assert!(RFile::from_bytes(&s[..cut]).is_err(), "cut at {cut}");
        }
        assert!(
            RFile::from_bytes(b"PK\x03\x04 not R")
                .unwrap_err()
                .contains("not R data")
        );
        // A bad reference index is an error, not a panic.
        let mut bad = s.clone();
        let at = bad
            .windows(4)
            .position(|w| w == ((5 << 8) | 255i32).to_be_bytes())
            .unwrap();
        bad[at..at + 4].copy_from_slice(&((99 << 8) | 255i32).to_be_bytes());
        assert!(RFile::from_bytes(&bad).unwrap_err().contains("reference 99"));
        // A huge length cannot trigger a huge allocation.
        let mut huge = b"X\n".to_vec();
        for x in [2, 0, 0, REALSXP as i32, i32::MAX] {
            huge.extend_from_slice(&x.to_be_bytes());
        }
        assert!(RFile::from_bytes(&huge).unwrap_err().contains("exceeds"));
    }
}
