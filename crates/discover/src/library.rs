//! Candidate libraries: the columns `Θ(x) = [θ_1(x), ..., θ_p(x)]` that sparse regression picks
//! from, each with a symbolic name.
//!
//! A library acts on named *features*: the state variables of an ODE (`x`, `y`, `z`), or for
//! PDE-FIND the field and its spatial derivatives (`u`, `u_x`, `u_xx`, ...; Rudy et al., "Data-driven
//! discovery of partial differential equations", Sci. Adv. 3 (2017) e1602614). Names follow one
//! format: a product of factors joined by `*`, powers as `x^2`, the constant as `1`,
//! Fourier factors as `sin(x)`, `cos(2*x)`.
//!
//! ```
//! use ai4de_discover::Library;
//! let lib = Library::polynomial(&["x", "y"], 2, true, true).unwrap();
//! assert_eq!(lib.term_names(), ["1", "x", "y", "x^2", "x*y", "y^2"]);
//! let mut row = vec![0.0; lib.len()];
//! lib.eval_row(&[2.0, 3.0], &mut row);
//! assert_eq!(row, [1.0, 2.0, 3.0, 4.0, 6.0, 9.0]);
//! ```

use std::fmt;
use std::sync::Arc;

use crate::error::DiscoverError;

/// A shared closure `θ(x)`.
pub type TermFn = Arc<dyn Fn(&[f64]) -> f64 + Send + Sync>;

/// A user-supplied term `θ(x)` with its name.
#[derive(Clone)]
pub struct CustomTerm {
    pub name: String,
    pub f: TermFn,
}

impl fmt::Debug for CustomTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomTerm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One candidate function of the features.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Term {
    /// `∏ x_i^{p_i}` as `(feature, power)` pairs sorted by feature, powers ≥ 1; empty is `1`.
    Monomial(Vec<(usize, u32)>),
    /// `sin(k x_i)`.
    Sin { feature: usize, freq: u32 },
    /// `cos(k x_i)`.
    Cos { feature: usize, freq: u32 },
    /// A named closure.
    Custom(CustomTerm),
    /// A product of terms that is not a monomial (from [`Library::tensor`]).
    Product(Vec<Term>),
}

impl Term {
    /// The constant `1`.
    pub fn one() -> Self {
        Term::Monomial(Vec::new())
    }

    /// Evaluates the term on one feature vector.
    #[inline]
    pub fn eval(&self, x: &[f64]) -> f64 {
        match self {
            Term::Monomial(f) => f.iter().map(|&(i, p)| x[i].powi(p as i32)).product(),
            Term::Sin { feature, freq } => (*freq as f64 * x[*feature]).sin(),
            Term::Cos { feature, freq } => (*freq as f64 * x[*feature]).cos(),
            Term::Custom(c) => (c.f)(x),
            Term::Product(ts) => ts.iter().map(|t| t.eval(x)).product(),
        }
    }

    /// The symbolic name, given the feature names.
    pub fn name(&self, names: &[String]) -> String {
        match self {
            Term::Monomial(f) if f.is_empty() => "1".to_string(),
            Term::Monomial(f) => f
                .iter()
                .map(|&(i, p)| {
                    if p == 1 {
                        names[i].clone()
                    } else {
                        format!("{}^{p}", names[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("*"),
            Term::Sin { feature, freq } => trig("sin", *freq, &names[*feature]),
            Term::Cos { feature, freq } => trig("cos", *freq, &names[*feature]),
            Term::Custom(c) => c.name.clone(),
            Term::Product(ts) => ts
                .iter()
                .map(|t| t.name(names))
                .collect::<Vec<_>>()
                .join("*"),
        }
    }

    /// The features the term depends on (sorted, unique).
    pub fn features(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect_features(&mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn collect_features(&self, out: &mut Vec<usize>) {
        match self {
            Term::Monomial(f) => out.extend(f.iter().map(|&(i, _)| i)),
            Term::Sin { feature, .. } | Term::Cos { feature, .. } => out.push(*feature),
            Term::Custom(_) => {}
            Term::Product(ts) => ts.iter().for_each(|t| t.collect_features(out)),
        }
    }

    /// Total polynomial degree of a monomial (`None` for other terms).
    pub fn degree(&self) -> Option<u32> {
        match self {
            Term::Monomial(f) => Some(f.iter().map(|&(_, p)| p).sum()),
            _ => None,
        }
    }

    /// The product of two terms, simplified: monomials merge (`x * x = x^2`), `1` disappears,
    /// products flatten.
    pub fn times(&self, other: &Term) -> Term {
        match (self, other) {
            (Term::Monomial(a), _) if a.is_empty() => other.clone(),
            (_, Term::Monomial(b)) if b.is_empty() => self.clone(),
            (Term::Monomial(a), Term::Monomial(b)) => {
                let mut m: Vec<(usize, u32)> = a.clone();
                for &(i, p) in b {
                    match m.iter_mut().find(|(j, _)| *j == i) {
                        Some(e) => e.1 += p,
                        None => m.push((i, p)),
                    }
                }
                m.sort_unstable_by_key(|&(i, _)| i);
                Term::Monomial(m)
            }
            _ => {
                let mut fs = Vec::new();
                for t in [self, other] {
                    match t {
                        Term::Product(ts) => fs.extend(ts.iter().cloned()),
                        t => fs.push(t.clone()),
                    }
                }
                // merge the monomial factors so that names stay canonical
                let mut mono = Term::one();
                let mut rest = Vec::new();
                for f in fs {
                    match f {
                        Term::Monomial(_) => mono = mono.times(&f),
                        other => rest.push(other),
                    }
                }
                if !matches!(&mono, Term::Monomial(m) if m.is_empty()) {
                    rest.insert(0, mono);
                }
                if rest.len() == 1 {
                    rest.pop().expect("one element")
                } else {
                    Term::Product(rest)
                }
            }
        }
    }

    /// Parses a term name written by [`Term::name`] (monomials, `sin`/`cos` factors and their
    /// products). Custom terms cannot be parsed back.
    pub fn parse(name: &str, features: &[String]) -> Result<Term, DiscoverError> {
        let bad = |reason: &str| DiscoverError::UnknownTerm {
            term: name.to_string(),
            reason: reason.to_string(),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("empty name"));
        }
        let mut term = Term::one();
        for factor in split_top_level(name) {
            let factor = factor.trim();
            let f = if factor == "1" {
                Term::one()
            } else if let Some(arg) = factor
                .strip_prefix("sin(")
                .or_else(|| factor.strip_prefix("cos("))
            {
                let arg = arg
                    .strip_suffix(')')
                    .ok_or_else(|| bad("unbalanced parenthesis"))?;
                let (freq, var) = match arg.split_once('*') {
                    Some((k, v)) => (
                        k.trim()
                            .parse::<u32>()
                            .map_err(|_| bad("frequency is not a positive integer"))?,
                        v.trim(),
                    ),
                    None => (1, arg.trim()),
                };
                let feature =
                    feature_index(var, features).ok_or_else(|| bad("unknown variable"))?;
                if factor.starts_with("sin") {
                    Term::Sin { feature, freq }
                } else {
                    Term::Cos { feature, freq }
                }
            } else {
                let (var, p) = match factor.rsplit_once('^') {
                    Some((v, p)) => (
                        v,
                        p.parse::<u32>()
                            .ok()
                            .filter(|&p| p >= 1)
                            .ok_or_else(|| bad("power is not a positive integer"))?,
                    ),
                    None => (factor, 1),
                };
                let i = feature_index(var, features).ok_or_else(|| bad("unknown variable"))?;
                Term::Monomial(vec![(i, p)])
            };
            term = term.times(&f);
        }
        Ok(term)
    }
}

fn feature_index(var: &str, features: &[String]) -> Option<usize> {
    features.iter().position(|f| f == var)
}

/// Splits `a*sin(2*x)*b` at the `*` outside parentheses.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '*' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn trig(f: &str, k: u32, var: &str) -> String {
    if k == 1 {
        format!("{f}({var})")
    } else {
        format!("{f}({k}*{var})")
    }
}

/// A set of candidate terms over named features.
#[derive(Debug, Clone)]
pub struct Library {
    features: Vec<String>,
    terms: Vec<Term>,
}

fn owned(names: &[impl AsRef<str>]) -> Vec<String> {
    names.iter().map(|s| s.as_ref().to_string()).collect()
}

/// All exponent vectors of `n` variables with total degree exactly `d`, in the order of
/// `itertools.combinations_with_replacement` (PySINDy's `PolynomialLibrary` order).
fn combinations_with_replacement(n: usize, d: usize, out: &mut Vec<Vec<usize>>) {
    fn rec(n: usize, d: usize, start: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == d {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(n, d, i, cur, out);
            cur.pop();
        }
    }
    rec(n, d, 0, &mut Vec::with_capacity(d), out);
}

fn monomial_from_indices(idx: &[usize]) -> Term {
    let mut m: Vec<(usize, u32)> = Vec::new();
    for &i in idx {
        match m.iter_mut().find(|(j, _)| *j == i) {
            Some(e) => e.1 += 1,
            None => m.push((i, 1)),
        }
    }
    m.sort_unstable_by_key(|&(i, _)| i);
    Term::Monomial(m)
}

impl Library {
    /// An empty library over the given features (add terms with [`Library::push`]).
    pub fn new(features: &[impl AsRef<str>]) -> Self {
        Self {
            features: owned(features),
            terms: Vec::new(),
        }
    }

    /// Adds a term.
    pub fn push(&mut self, term: Term) -> &mut Self {
        self.terms.push(term);
        self
    }

    /// Adds a named custom term `θ(x)`.
    pub fn push_custom(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static,
    ) -> &mut Self {
        self.terms.push(Term::Custom(CustomTerm {
            name: name.into(),
            f: Arc::new(f),
        }));
        self
    }

    /// Polynomials of the features up to total degree `degree`: with `cross` all monomials
    /// (`x*y`), without only pure powers (`x^2`); `bias` adds the constant `1`. Order as PySINDy's
    /// `PolynomialLibrary` (degree by degree, lexicographic within a degree).
    pub fn polynomial(
        features: &[impl AsRef<str>],
        degree: usize,
        cross: bool,
        bias: bool,
    ) -> Result<Self, DiscoverError> {
        Self::polynomial_of(
            features,
            &(0..features.len()).collect::<Vec<_>>(),
            degree,
            cross,
            bias,
        )
    }

    /// Polynomials in the subset `vars` of the features (for PDE-FIND: polynomials of `u` only).
    pub fn polynomial_of(
        features: &[impl AsRef<str>],
        vars: &[usize],
        degree: usize,
        cross: bool,
        bias: bool,
    ) -> Result<Self, DiscoverError> {
        let mut lib = Self::new(features);
        if features.is_empty() {
            return Err(DiscoverError::InvalidLibrary {
                spec: format!("poly:{degree}"),
                reason: "no variables".into(),
            });
        }
        if degree > 10 {
            return Err(DiscoverError::InvalidLibrary {
                spec: format!("poly:{degree}"),
                reason: "degree above 10".into(),
            });
        }
        if bias {
            lib.terms.push(Term::one());
        }
        for d in 1..=degree {
            if cross {
                let mut combos = Vec::new();
                combinations_with_replacement(vars.len(), d, &mut combos);
                for c in combos {
                    let idx: Vec<usize> = c.iter().map(|&k| vars[k]).collect();
                    lib.terms.push(monomial_from_indices(&idx));
                }
            } else {
                for &v in vars {
                    lib.terms.push(Term::Monomial(vec![(v, d as u32)]));
                }
            }
        }
        Ok(lib)
    }

    /// Fourier terms `sin(k x_i), cos(k x_i)` for `k = 1..=n_freq` and every feature (PySINDy's
    /// `FourierLibrary` order: per frequency, per feature, sin then cos).
    pub fn fourier(features: &[impl AsRef<str>], n_freq: u32) -> Result<Self, DiscoverError> {
        if n_freq == 0 {
            return Err(DiscoverError::InvalidLibrary {
                spec: "fourier:0".into(),
                reason: "needs at least one frequency".into(),
            });
        }
        let mut lib = Self::new(features);
        for k in 1..=n_freq {
            for i in 0..features.len() {
                lib.terms.push(Term::Sin {
                    feature: i,
                    freq: k,
                });
                lib.terms.push(Term::Cos {
                    feature: i,
                    freq: k,
                });
            }
        }
        Ok(lib)
    }

    /// PDE-FIND library (Rudy et al. 2017): with features `fields ++ derivatives` (e.g.
    /// `[u, u_x, u_xx, u_xxx]`), the polynomials of the fields up to `degree` (including `1`)
    /// times `1` or one derivative feature: `1, u, u^2, u_x, u*u_x, u^2*u_x, u_xx, ...`.
    pub fn pde(
        fields: &[impl AsRef<str>],
        derivatives: &[impl AsRef<str>],
        degree: usize,
    ) -> Result<Self, DiscoverError> {
        let mut features = owned(fields);
        features.extend(owned(derivatives));
        let nf = fields.len();
        let poly =
            Self::polynomial_of(&features, &(0..nf).collect::<Vec<_>>(), degree, true, true)?;
        let mut lib = Self::new(&features);
        lib.terms.extend(poly.terms.iter().cloned());
        for d in 0..derivatives.len() {
            let dt = Term::Monomial(vec![(nf + d, 1)]);
            for p in &poly.terms {
                lib.terms.push(p.times(&dt));
            }
        }
        Ok(lib)
    }

    /// The terms of `self` followed by those of `other` (same features), dropping duplicates by
    /// name.
    pub fn concat(mut self, other: &Library) -> Result<Self, DiscoverError> {
        self.check_same_features(other)?;
        let mut names = self.term_names();
        for t in &other.terms {
            let n = t.name(&self.features);
            if !names.contains(&n) {
                names.push(n);
                self.terms.push(t.clone());
            }
        }
        Ok(self)
    }

    /// The tensor product: every product `a*b` of a term of `self` and one of `other` (same
    /// features), simplified and without duplicates.
    pub fn tensor(&self, other: &Library) -> Result<Self, DiscoverError> {
        self.check_same_features(other)?;
        let mut lib = Self::new(&self.features);
        let mut names: Vec<String> = Vec::new();
        for a in &self.terms {
            for b in &other.terms {
                let t = a.times(b);
                let n = t.name(&self.features);
                if !names.contains(&n) {
                    names.push(n);
                    lib.terms.push(t);
                }
            }
        }
        Ok(lib)
    }

    fn check_same_features(&self, other: &Library) -> Result<(), DiscoverError> {
        if self.features != other.features {
            return Err(DiscoverError::ShapeMismatch {
                what: "library features",
                expected: self.features.join(","),
                found: other.features.join(","),
            });
        }
        Ok(())
    }

    /// Parses a command-line specification over the given features: `poly:D` (all monomials up
    /// to degree D with the constant), `poly:D:nocross` (pure powers only), `fourier:K`, joined by
    /// `+` (concatenation) or `x` (tensor product, binding tighter than `+`), e.g.
    /// `poly:2+fourier:1` or `poly:1xfourier:1`.
    pub fn parse(spec: &str, features: &[impl AsRef<str>]) -> Result<Self, DiscoverError> {
        let bad = |reason: String| DiscoverError::InvalidLibrary {
            spec: spec.to_string(),
            reason,
        };
        let mut total: Option<Library> = None;
        for sum_part in spec.split('+') {
            let mut prod: Option<Library> = None;
            for atom in sum_part.split('x') {
                let atom = atom.trim();
                let mut it = atom.split(':');
                let kind = it.next().unwrap_or("");
                let arg = it.next();
                let opt = it.next();
                let n: u32 = arg
                    .ok_or_else(|| bad(format!("'{atom}' needs a number, e.g. poly:3")))?
                    .parse()
                    .map_err(|_| bad(format!("'{atom}': not a non-negative integer")))?;
                let lib = match kind {
                    "poly" | "polynomial" => {
                        let cross = match opt {
                            None | Some("cross") => true,
                            Some("nocross") => false,
                            Some(o) => return Err(bad(format!("unknown poly option '{o}'"))),
                        };
                        Library::polynomial(features, n as usize, cross, true)?
                    }
                    "fourier" => Library::fourier(features, n)?,
                    other => {
                        return Err(bad(format!(
                            "unknown library '{other}' (known: poly:D, poly:D:nocross, fourier:K)"
                        )))
                    }
                };
                prod = Some(match prod {
                    None => lib,
                    Some(p) => p.tensor(&lib)?,
                });
            }
            let p = prod.ok_or_else(|| bad("empty".into()))?;
            total = Some(match total {
                None => p,
                Some(t) => t.concat(&p)?,
            });
        }
        let lib = total.ok_or_else(|| bad("empty".into()))?;
        if lib.is_empty() {
            return Err(DiscoverError::EmptyLibrary);
        }
        Ok(lib)
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the library has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The feature names.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The terms.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The symbolic term names.
    pub fn term_names(&self) -> Vec<String> {
        self.terms.iter().map(|t| t.name(&self.features)).collect()
    }

    /// Evaluates every term on one feature vector into `out` (length [`Library::len`]).
    #[inline]
    pub fn eval_row(&self, x: &[f64], out: &mut [f64]) {
        for (o, t) in out.iter_mut().zip(&self.terms) {
            *o = t.eval(x);
        }
    }

    /// The library matrix `Θ` (`rows × len`) of a row-major feature array `x` (`rows × features`).
    pub fn matrix(&self, x: &[f64]) -> Result<faer::Mat<f64>, DiscoverError> {
        let nf = self.features.len();
        if nf == 0 || !x.len().is_multiple_of(nf) {
            return Err(DiscoverError::ShapeMismatch {
                what: "feature array",
                expected: format!("a multiple of {nf} values"),
                found: format!("{} values", x.len()),
            });
        }
        let mut m = faer::Mat::<f64>::zeros(x.len() / nf, self.len());
        self.matrix_into(x, m.as_mut())?;
        for j in 0..m.ncols() {
            let col = m
                .col(j)
                .try_as_col_major()
                .expect("Mat columns are contiguous");
            if !col.as_slice().iter().all(|v| v.is_finite()) {
                return Err(DiscoverError::NonFiniteResult {
                    what: "library column",
                    index: j,
                });
            }
        }
        Ok(m)
    }

    /// Writes `Θ(x)` into `out` (`rows × len`), column by column. A monomial column is its
    /// parent's column (the same monomial with one power less, found among the earlier terms)
    /// times one feature column, so a degree-`d` polynomial library costs one multiplication per
    /// entry instead of `d` powers; other terms are evaluated entry by entry. Non-finite
    /// entries are left for the caller to detect ([`crate::optimize::fit`] does, through the
    /// Gram matrix, in `O(p²)`).
    pub fn matrix_into(
        &self,
        x: &[f64],
        mut out: faer::MatMut<'_, f64>,
    ) -> Result<(), DiscoverError> {
        let nf = self.features.len();
        let rows = out.nrows();
        if nf == 0 || x.len() != rows * nf || out.ncols() != self.len() {
            return Err(DiscoverError::ShapeMismatch {
                what: "feature array / library matrix",
                expected: format!("{rows} x {nf} features into {rows} x {} terms", self.len()),
                found: format!("{} values into {} x {}", x.len(), out.nrows(), out.ncols()),
            });
        }
        // feature columns, contiguous
        let mut feat = vec![0.0; rows * nf];
        for (i, row) in x.chunks_exact(nf).enumerate() {
            for (f, v) in row.iter().enumerate() {
                feat[f * rows + i] = *v;
            }
        }
        let fcol = |f: usize| &feat[f * rows..(f + 1) * rows];
        // monomial exponent vector -> column index among the terms built so far
        let mut seen: std::collections::HashMap<Vec<(usize, u32)>, usize> =
            std::collections::HashMap::new();
        for (j, t) in self.terms.iter().enumerate() {
            let (done, rest) = out.as_mut().split_at_col_mut(j);
            let col = rest
                .col_mut(0)
                .try_as_col_major_mut()
                .expect("Mat columns are contiguous")
                .as_slice_mut();
            match t {
                Term::Monomial(f) if f.is_empty() => col.fill(1.0),
                Term::Monomial(f) => {
                    // a parent: drop one power of some factor
                    let parent = f.iter().enumerate().find_map(|(k, &(i, p))| {
                        let mut g = f.clone();
                        if p == 1 {
                            g.remove(k);
                        } else {
                            g[k].1 -= 1;
                        }
                        if g.is_empty() {
                            None
                        } else {
                            seen.get(&g).map(|&c| (c, i))
                        }
                    });
                    match parent {
                        Some((c, i)) => {
                            let pc = done
                                .col(c)
                                .try_as_col_major()
                                .expect("Mat columns are contiguous")
                                .as_slice();
                            for ((o, a), b) in col.iter_mut().zip(pc).zip(fcol(i)) {
                                *o = a * b;
                            }
                        }
                        None => {
                            let i0 = f[0].0;
                            col.copy_from_slice(fcol(i0));
                            for (k, &(i, p)) in f.iter().enumerate() {
                                for _ in usize::from(k == 0)..p as usize {
                                    for (o, v) in col.iter_mut().zip(fcol(i)) {
                                        *o *= v;
                                    }
                                }
                            }
                        }
                    }
                    seen.insert(f.clone(), j);
                }
                Term::Sin { feature, freq } => {
                    let k = *freq as f64;
                    for (o, v) in col.iter_mut().zip(fcol(*feature)) {
                        *o = (k * v).sin();
                    }
                }
                Term::Cos { feature, freq } => {
                    let k = *freq as f64;
                    for (o, v) in col.iter_mut().zip(fcol(*feature)) {
                        *o = (k * v).cos();
                    }
                }
                _ => {
                    for (o, row) in col.iter_mut().zip(x.chunks_exact(nf)) {
                        *o = t.eval(row);
                    }
                }
            }
        }
        Ok(())
    }
}
