//! Sparse multivariate polynomials in the landscape coordinates z and the control parameters θ,
//! and the small expression language of spec §5.7 ("x^4 + y^4 - 4*x^2*y - a*x + b*y").
//!
//! A polynomial is Σ_t c_t · Π_k z_k^{e_tk} · Π_j θ_j^{f_tj}; derivatives in z are exact.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// One monomial: coefficient and exponents (first the z variables, then the parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Coefficient c_t.
    pub coef: f64,
    /// Exponents, length = number of variables + number of parameters.
    pub exps: Vec<u32>,
}

/// A sparse polynomial over `nvars` landscape variables and `nparams` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Polynomial {
    /// Number of landscape variables z.
    pub nvars: usize,
    /// Number of control parameters θ.
    pub nparams: usize,
    /// Non-zero terms, sorted by exponent vector.
    pub terms: Vec<Term>,
}

impl Polynomial {
    fn from_map(nvars: usize, nparams: usize, map: BTreeMap<Vec<u32>, f64>) -> Self {
        let terms = map
            .into_iter()
            .filter(|(_, c)| *c != 0.0)
            .map(|(exps, coef)| Term { coef, exps })
            .collect();
        Polynomial {
            nvars,
            nparams,
            terms,
        }
    }
    fn to_map(&self) -> BTreeMap<Vec<u32>, f64> {
        self.terms.iter().map(|t| (t.exps.clone(), t.coef)).collect()
    }
    /// The constant polynomial c.
    pub fn constant(nvars: usize, nparams: usize, c: f64) -> Self {
        let mut m = BTreeMap::new();
        m.insert(vec![0; nvars + nparams], c);
        Self::from_map(nvars, nparams, m)
    }
    /// The monomial of the single symbol `index` (variables first, then parameters).
    pub fn symbol(nvars: usize, nparams: usize, index: usize) -> Self {
        let mut e = vec![0; nvars + nparams];
        e[index] = 1;
        let mut m = BTreeMap::new();
        m.insert(e, 1.0);
        Self::from_map(nvars, nparams, m)
    }
    /// Sum.
    pub fn add(&self, o: &Self) -> Self {
        let mut m = self.to_map();
        for t in &o.terms {
            *m.entry(t.exps.clone()).or_insert(0.0) += t.coef;
        }
        Self::from_map(self.nvars, self.nparams, m)
    }
    /// Multiplication by a scalar.
    pub fn scale(&self, s: f64) -> Self {
        let m = self.terms.iter().map(|t| (t.exps.clone(), t.coef * s)).collect();
        Self::from_map(self.nvars, self.nparams, m)
    }
    /// Product.
    pub fn mul(&self, o: &Self) -> Self {
        let mut m = BTreeMap::new();
        for a in &self.terms {
            for b in &o.terms {
                let e: Vec<u32> = a.exps.iter().zip(&b.exps).map(|(x, y)| x + y).collect();
                *m.entry(e).or_insert(0.0) += a.coef * b.coef;
            }
        }
        Self::from_map(self.nvars, self.nparams, m)
    }
    /// Integer power.
    pub fn pow(&self, k: u32) -> Self {
        let mut r = Self::constant(self.nvars, self.nparams, 1.0);
        for _ in 0..k {
            r = r.mul(self);
        }
        r
    }
    /// ∂/∂z_k (exact).
    pub fn derivative(&self, k: usize) -> Self {
        let mut m = BTreeMap::new();
        for t in &self.terms {
            if t.exps[k] > 0 {
                let mut e = t.exps.clone();
                e[k] -= 1;
                *m.entry(e).or_insert(0.0) += t.coef * f64::from(t.exps[k]);
            }
        }
        Self::from_map(self.nvars, self.nparams, m)
    }
    /// Total degree in the z variables.
    pub fn degree_z(&self) -> u32 {
        self.terms
            .iter()
            .map(|t| t.exps[..self.nvars].iter().sum::<u32>())
            .max()
            .unwrap_or(0)
    }
    /// The constant value if the polynomial has no symbols at all.
    pub fn as_constant(&self) -> Option<f64> {
        match self.terms.as_slice() {
            [] => Some(0.0),
            [t] if t.exps.iter().all(|&e| e == 0) => Some(t.coef),
            _ => None,
        }
    }
    /// Value at z, θ.
    pub fn eval(&self, z: &[f64], p: &[f64]) -> f64 {
        let mut s = 0.0;
        for t in &self.terms {
            let mut v = t.coef;
            for (k, &e) in t.exps.iter().enumerate() {
                if e > 0 {
                    let base = if k < self.nvars { z[k] } else { p[k - self.nvars] };
                    v *= base.powi(e as i32);
                }
            }
            s += v;
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(char),
}

fn tokenize(src: &str) -> Result<Vec<Tok>> {
    let err = |m: String| Error::invalid("potential expression", m);
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let st = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[st..i].iter().collect();
            let v = s.parse::<f64>().map_err(|_| err(format!("bad number '{s}'")))?;
            out.push(Tok::Num(v));
        } else if c.is_alphabetic() || c == '_' {
            let st = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[st..i].iter().collect()));
        } else if "+-*/^()".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(err(format!("unexpected character '{c}' at position {i}")));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    vars: &'a [String],
    params: &'a [String],
}

impl Parser<'_> {
    fn err(&self, m: impl Into<String>) -> Error {
        Error::invalid("potential expression", m.into())
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn expr(&mut self) -> Result<Polynomial> {
        let mut acc = self.term()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek().cloned() {
            self.pos += 1;
            let t = self.term()?;
            acc = if c == '+' {
                acc.add(&t)
            } else {
                acc.add(&t.scale(-1.0))
            };
        }
        Ok(acc)
    }
    fn term(&mut self) -> Result<Polynomial> {
        let mut acc = self.unary()?;
        while let Some(Tok::Op(c @ ('*' | '/'))) = self.peek().cloned() {
            self.pos += 1;
            let t = self.unary()?;
            if c == '*' {
                acc = acc.mul(&t);
            } else {
                match t.as_constant() {
                    Some(v) if v != 0.0 => acc = acc.scale(1.0 / v),
                    _ => return Err(self.err("division is only allowed by a non-zero number")),
                }
            }
        }
        Ok(acc)
    }
    fn unary(&mut self) -> Result<Polynomial> {
        match self.peek() {
            Some(Tok::Op('-')) => {
                self.pos += 1;
                Ok(self.unary()?.scale(-1.0))
            }
            Some(Tok::Op('+')) => {
                self.pos += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }
    fn power(&mut self) -> Result<Polynomial> {
        let base = self.atom()?;
        if let Some(Tok::Op('^')) = self.peek() {
            self.pos += 1;
            match self.peek().cloned() {
                Some(Tok::Num(v)) if v >= 0.0 && v.fract() == 0.0 && v <= 64.0 => {
                    self.pos += 1;
                    Ok(base.pow(v as u32))
                }
                _ => Err(self.err("'^' must be followed by a non-negative integer exponent (≤ 64)")),
            }
        } else {
            Ok(base)
        }
    }
    fn atom(&mut self) -> Result<Polynomial> {
        let (nv, np) = (self.vars.len(), self.params.len());
        match self.peek().cloned() {
            Some(Tok::Num(v)) => {
                self.pos += 1;
                Ok(Polynomial::constant(nv, np, v))
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if let Some(i) = self.vars.iter().position(|v| *v == name) {
                    Ok(Polynomial::symbol(nv, np, i))
                } else if let Some(j) = self.params.iter().position(|v| *v == name) {
                    Ok(Polynomial::symbol(nv, np, nv + j))
                } else {
                    Err(self.err(format!(
                        "unknown symbol '{name}' (variables: {:?}, parameters: {:?})",
                        self.vars, self.params
                    )))
                }
            }
            Some(Tok::Op('(')) => {
                self.pos += 1;
                let e = self.expr()?;
                if self.peek() != Some(&Tok::Op(')')) {
                    return Err(self.err("missing ')'"));
                }
                self.pos += 1;
                Ok(e)
            }
            other => Err(self.err(format!("unexpected {other:?} at token {}", self.pos))),
        }
    }
}

/// Parse a polynomial expression in the variables `vars` and parameters `params` (spec §5.7).
/// Grammar: numbers, names, `+ - * /` (division by numbers only), `^` with integer exponents,
/// parentheses. Unknown names are an error naming the symbol.
pub fn parse(src: &str, vars: &[String], params: &[String]) -> Result<Polynomial> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(Error::invalid("potential expression", "empty expression"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        vars,
        params,
    };
    let e = p.expr()?;
    if p.pos != p.toks.len() {
        return Err(p.err(format!("unexpected trailing input at token {}", p.pos)));
    }
    Ok(e)
}

/// Collect the identifiers of an expression in order of first appearance (to infer parameters).
pub fn identifiers(src: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tokenize(src)? {
        if let Tok::Ident(s) = t
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    Ok(out)
}

/// Real roots of the univariate polynomial Σ_i c_i t^i (coefficients in ascending order), found by
/// recursive isolation between the real roots of the derivative plus bisection, ascending.
/// Double roots where the polynomial touches zero are included (|p| ≤ 1e-12 × scale).
pub fn real_roots(coefs: &[f64]) -> Vec<f64> {
    let mut c = coefs.to_vec();
    while c.len() > 1
        && c.last()
            .is_some_and(|v| v.abs() <= 1e-14 * c.iter().map(|x| x.abs()).fold(0.0, f64::max))
    {
        c.pop();
    }
    let deg = c.len().saturating_sub(1);
    if deg == 0 {
        return vec![];
    }
    if deg == 1 {
        return vec![-c[0] / c[1]];
    }
    let lead = c[deg];
    let bound = 1.0 + c[..deg].iter().map(|v| (v / lead).abs()).fold(0.0, f64::max);
    let dc: Vec<f64> = (1..=deg).map(|i| c[i] * i as f64).collect();
    let crit = real_roots(&dc);
    let ev = |t: f64| c.iter().rev().fold(0.0, |acc, &v| acc * t + v);
    let scale = |t: f64| {
        c.iter()
            .enumerate()
            .map(|(i, v)| (v * t.powi(i as i32)).abs())
            .sum::<f64>()
    };
    let mut pts = vec![-bound];
    pts.extend(crit.iter().copied().filter(|t| t.abs() < bound));
    pts.push(bound);
    let mut roots: Vec<f64> = Vec::new();
    for w in pts.windows(2) {
        let (mut lo, mut hi) = (w[0], w[1]);
        let (flo, fhi) = (ev(lo), ev(hi));
        if flo == 0.0 {
            roots.push(lo);
            continue;
        }
        if flo.signum() == fhi.signum() {
            continue;
        }
        for _ in 0..300 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            let fm = ev(mid);
            if fm == 0.0 {
                lo = mid;
                hi = mid;
                break;
            }
            if fm.signum() == flo.signum() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        roots.push(0.5 * (lo + hi));
    }
    for &t in &crit {
        if ev(t).abs() <= 1e-12 * scale(t).max(1e-300) && !roots.iter().any(|r| (r - t).abs() < 1e-9) {
            roots.push(t);
        }
    }
    if let Some(&last) = pts.last()
        && ev(last) == 0.0
    {
        roots.push(last);
    }
    roots.sort_by(f64::total_cmp);
    roots.dedup_by(|a, b| (*a - *b).abs() < 1e-14 * (1.0 + a.abs()));
    roots
}

/// Coefficients (ascending) of the product of two univariate polynomials.
pub fn upoly_mul(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut r = vec![0.0; a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            r[i + j] += x * y;
        }
    }
    r
}

/// Coefficients (ascending) of a + b.
pub fn upoly_add(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut r = vec![0.0; a.len().max(b.len())];
    for (i, x) in a.iter().enumerate() {
        r[i] += x;
    }
    for (i, x) in b.iter().enumerate() {
        r[i] += x;
    }
    r
}
