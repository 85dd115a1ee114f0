//! Order conditions of every built-in tableau, verified in exact rational arithmetic.
//!
//! Each coefficient is re-read from its source text (`Coef::text`: an integer, a fraction, or a
//! decimal with optional exponent), never from its `f64`. Rooted trees up to order 10 are generated
//! with their density `γ(t)`; the elementary weights `Φ_i(t)` are built tree by tree from those of
//! the subtrees. For every method in `Method::ALL` the test checks:
//!
//! * row sums `c_i = Σ_j a_ij` (main and extra stages);
//! * `b` satisfies `Σ b_i Φ_i(t) = 1/γ(t)` for all trees up to `order` and violates at least one of
//!   order `order + 1` (the stated order is exact);
//! * `b̂ = b − e` likewise for `embedded_order`, and `b − e3` for order 3 (DOP853's estimator);
//! * FSAL: `c_s = 1`, last row of `a` equal to `b`, `b_s = 0`;
//! * dense output: `b_i(1) = b_i` (0 for extra stages) and, as polynomials in θ,
//!   `Σ_i b_i(θ) Φ_i(t) = θ^|t| / γ(t)` for all trees up to `dense.order`, the extra stages entering
//!   `Φ` through their own rows.
//!
//! Residuals must be exactly zero wherever every coefficient involved is written as a fraction or an
//! integer. Where the source publishes truncated decimals the residual of the published digits is
//! tiny but not zero, and it must stay below a bound set by the number of published digits
//! ([`decimal_tolerance`]). Measured maxima (exact arithmetic, printed by this test with
//! `--nocapture`):
//!
//! | method | digits       | b        | b̂ (e)    | row sums | b_i(1)−b_i | dense conditions |
//! |--------|--------------|----------|----------|----------|------------|------------------|
//! | euler, rk4, bs3, dp5 | fractions | 0   | 0        | 0        | 0          | 0                |
//! | tsit5  | ~16 (paper)  | 1.1e-15  | 1.0e-15  | 1.7e-16  | 3.1e-16    | 3.2e-14          |
//! | dop853 | ~30 (Hairer) | 2.9e-29  | 4.7e-28  | 5.8e-29  | 0 (derived)| 3.1e-26          |
//! | vern7  | rationals + 40-digit interpolant | 0 | 0 | 9e-41 (extra) | 1.1e-37 | 3.1e-37 (order 6) |
//! | vern9  | 40 (Verner)  | 3.2e-40  | 7.8e-40  | 2.0e-39  | 2.2e-36    | 7.5e-36          |
//!
//! DOP853's `b − e3` satisfies the conditions up to order 3 to 2.5e-29. The first violated
//! condition of order `order + 1` is at least 1e-6 for every method.

use ai4de_ode::methods::Method;
use ai4de_ode::tableau::{ButcherTableau, Coef};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

type Q = BigRational;

// ------------------------------------------------------------------------------------------------
// Exact parsing of coefficient text.

fn pow10(k: u32) -> BigInt {
    num_traits::pow(BigInt::from(10), k as usize)
}

/// Unsigned decimal: `digits[.digits][e[+-]digits]`.
fn parse_unsigned(s: &str) -> Q {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(p) => (&s[..p], s[p + 1..].parse::<i32>().expect("exponent")),
        None => (s, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    let digits = format!("{int_part}{frac_part}");
    assert!(
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
        "not a decimal: {s:?}"
    );
    let n: BigInt = digits.parse().expect("digits");
    let scale = exp - i32::try_from(frac_part.len()).expect("length");
    if scale >= 0 {
        Q::from_integer(n * pow10(scale.unsigned_abs()))
    } else {
        Q::new(n, pow10(scale.unsigned_abs()))
    }
}

/// The exact value of a coefficient's source text: `[-]x` or `[-]x/y` with decimals `x`, `y`.
fn parse_text(text: &str) -> Q {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let v = match body.split_once('/') {
        Some((n, d)) => parse_unsigned(n) / parse_unsigned(d),
        None => parse_unsigned(body),
    };
    if neg {
        -v
    } else {
        v
    }
}

/// Whether the text is an integer or a fraction of integers (a trailing `.0` allowed), i.e. a
/// coefficient given exactly rather than as a truncated decimal.
fn is_exact_text(text: &str) -> bool {
    let int = |s: &str| {
        let s = s.strip_suffix(".0").unwrap_or(s);
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
    };
    let body = text.trim().trim_start_matches('-');
    match body.split_once('/') {
        Some((n, d)) => int(n) && int(d),
        None => int(body),
    }
}

#[test]
fn parser_reads_every_form() {
    let q = |n: i64, d: i64| Q::new(BigInt::from(n), BigInt::from(d));
    assert_eq!(parse_text("-56/15"), q(-56, 15));
    assert_eq!(parse_text("0.161"), q(161, 1000));
    assert_eq!(parse_text("-0.3462e-1"), q(-3462, 100_000));
    assert_eq!(parse_text("0.25e+00"), q(1, 4));
    assert_eq!(parse_text("2.75920996994467083049415600797e+1"), {
        let n: BigInt = "275920996994467083049415600797".parse().unwrap();
        Q::new(n, pow10(28))
    });
    assert_eq!(
        parse_text("2454451729.0/3841600000.0"),
        q(2454451729, 3841600000)
    );
    assert_eq!(parse_text("7"), q(7, 1));
    assert!(is_exact_text("-2454451729.0/3841600000.0"));
    assert!(is_exact_text("1"));
    assert!(!is_exact_text("0.5"));
    assert!(!is_exact_text("0.1e-1/3"));
}

// ------------------------------------------------------------------------------------------------
// Rooted trees.

struct Tree {
    order: usize,
    /// Indices (into the tree list) of the subtrees hanging from the root, non-increasing.
    children: Vec<usize>,
    gamma: u64,
}

/// All rooted trees up to `max_order`, sorted by order; each tree once (children as multisets).
fn rooted_trees(max_order: usize) -> Vec<Tree> {
    fn multisets(
        trees: &[Tree],
        total: usize,
        max_idx: usize,
        cur: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if total == 0 {
            out.push(cur.clone());
            return;
        }
        for i in (0..=max_idx).rev() {
            if trees[i].order <= total {
                cur.push(i);
                multisets(trees, total - trees[i].order, i, cur, out);
                cur.pop();
            }
        }
    }
    let mut trees = vec![Tree {
        order: 1,
        children: Vec::new(),
        gamma: 1,
    }];
    for n in 2..=max_order {
        let mut sets = Vec::new();
        multisets(&trees, n - 1, trees.len() - 1, &mut Vec::new(), &mut sets);
        for children in sets {
            let gamma = children.iter().fold(n as u64, |g, &ch| g * trees[ch].gamma);
            trees.push(Tree {
                order: n,
                children,
                gamma,
            });
        }
    }
    trees
}

#[test]
fn tree_counts() {
    let trees = rooted_trees(10);
    let counts: Vec<usize> = (1..=10)
        .map(|n| trees.iter().filter(|t| t.order == n).count())
        .collect();
    assert_eq!(counts, [1, 1, 2, 4, 9, 20, 48, 115, 286, 719]);
    assert_eq!(trees.iter().filter(|t| t.order <= 9).count(), 486);
    // Densities of the order-3 trees: [[τ]] has γ = 6, [τ, τ] has γ = 3.
    let mut g3: Vec<u64> = trees
        .iter()
        .filter(|t| t.order == 3)
        .map(|t| t.gamma)
        .collect();
    g3.sort_unstable();
    assert_eq!(g3, [3, 6]);
}

// ------------------------------------------------------------------------------------------------
// Exact tableau.

#[derive(Clone)]
struct Exact {
    name: &'static str,
    order: usize,
    embedded_order: usize,
    fsal: bool,
    /// Main stages.
    s: usize,
    /// Nodes of all stages (main, then extra).
    c: Vec<Q>,
    /// Rows of `a` for all stages, ragged (row `i` has `i` entries).
    a: Vec<Vec<Q>>,
    b: Vec<Q>,
    e: Vec<Q>,
    e3: Vec<Q>,
    dense_order: usize,
    /// `bi[i][p]` = coefficient of θ^(p+1), padded to a common degree.
    bi: Vec<Vec<Q>>,
    /// Whether all texts of (c, a, b) of the main stages are exact (fractions or integers).
    main_exact: bool,
    e_exact: bool,
    e3_exact: bool,
    /// Whether the extra stages and the interpolant are exact too.
    dense_exact: bool,
}

fn all_exact<'a>(coefs: impl IntoIterator<Item = &'a Coef>) -> bool {
    coefs.into_iter().all(|c| is_exact_text(c.text))
}

fn values(row: &[Coef]) -> Vec<Q> {
    row.iter().map(|c| parse_text(c.text)).collect()
}

impl Exact {
    fn new(t: &ButcherTableau) -> Exact {
        let s = t.stages();
        let n = t.dense_stages();
        assert_eq!(t.a.len(), s, "{}: rows of a", t.name);
        for (i, row) in t.a.iter().enumerate() {
            assert_eq!(row.len(), i, "{}: row {i} of a", t.name);
        }
        assert_eq!(t.b.len(), s, "{}: length of b", t.name);
        assert!(t.e.is_empty() || t.e.len() == s, "{}: length of e", t.name);
        assert!(
            t.e3.is_empty() || t.e3.len() == s,
            "{}: length of e3",
            t.name
        );
        assert_eq!(
            t.dense.extra_a.len(),
            t.dense.extra_c.len(),
            "{}: extra stages",
            t.name
        );
        for (j, row) in t.dense.extra_a.iter().enumerate() {
            assert_eq!(row.len(), s + j, "{}: extra row {j}", t.name);
        }
        assert_eq!(t.dense.bi.len(), n, "{}: rows of bi", t.name);
        assert!(t.dense.order <= t.order, "{}: dense order", t.name);

        let mut c = values(t.c);
        c.extend(values(t.dense.extra_c));
        let mut a: Vec<Vec<Q>> = t.a.iter().map(|r| values(r)).collect();
        a.extend(t.dense.extra_a.iter().map(|r| values(r)));
        let deg = t.dense.bi.iter().map(|r| r.len()).max().unwrap_or(0);
        let bi = t
            .dense
            .bi
            .iter()
            .map(|r| {
                let mut v = values(r);
                v.resize(deg, Q::zero());
                v
            })
            .collect();
        let main_exact = all_exact(t.c) && t.a.iter().all(|r| all_exact(*r)) && all_exact(t.b);
        let dense_exact = main_exact
            && all_exact(t.dense.extra_c)
            && t.dense.extra_a.iter().all(|r| all_exact(*r))
            && t.dense.bi.iter().all(|r| all_exact(*r));
        Exact {
            name: t.name,
            order: t.order as usize,
            embedded_order: t.embedded_order as usize,
            fsal: t.fsal,
            s,
            c,
            a,
            b: values(t.b),
            e: values(t.e),
            e3: values(t.e3),
            dense_order: t.dense.order as usize,
            bi,
            main_exact,
            e_exact: main_exact && all_exact(t.e),
            e3_exact: main_exact && all_exact(t.e3),
            dense_exact,
        }
    }
}

/// The tableau's coefficients as integers over one common denominator `d` (the lcm of all their
/// denominators), so that the elementary weights need no gcd: with `A = d a`,
/// `Ψ(t) = d^(|t|-1) Φ(t)` is an integer vector, `Ψ(τ) = 1` and `Ψ([t1..tm]) = Π_k A Ψ(t_k)`.
struct Scaled {
    d: BigInt,
    /// Sparse rows of `d a` for all stages.
    a: Vec<Vec<(usize, BigInt)>>,
    /// `d^m` for `m = 0..=max order`.
    d_pow: Vec<BigInt>,
}

fn lcm(x: &BigInt, y: &BigInt) -> BigInt {
    let (mut p, mut q) = (x.clone(), y.clone());
    while !q.is_zero() {
        let r = &p % &q;
        p = std::mem::replace(&mut q, r);
    }
    x / p * y
}

impl Scaled {
    fn new(ex: &Exact, max_order: usize) -> Scaled {
        let mut d = BigInt::one();
        let rows = ex.a.iter().chain(ex.bi.iter());
        for x in rows.flatten().chain(&ex.b).chain(&ex.e).chain(&ex.e3) {
            if !x.denom().is_one() {
                d = lcm(&d, x.denom());
            }
        }
        let a =
            ex.a.iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .filter(|(_, v)| !v.is_zero())
                        .map(|(j, v)| (j, scale(v, &d)))
                        .collect()
                })
                .collect();
        let mut d_pow = vec![BigInt::one()];
        for m in 1..=max_order {
            let next = &d_pow[m - 1] * &d;
            d_pow.push(next);
        }
        Scaled { d, a, d_pow }
    }

    /// `Ψ_i(t)` for the trees of order `<= max_order` (a prefix of `trees`), for stages
    /// `0..stages(|t|)`; `stages` must not increase with the order.
    fn psi(
        &self,
        trees: &[Tree],
        max_order: usize,
        stages: impl Fn(usize) -> usize,
    ) -> Vec<Vec<BigInt>> {
        let mut psi: Vec<Vec<BigInt>> = Vec::new();
        let mut a_psi: Vec<Vec<BigInt>> = Vec::new();
        for t in trees.iter().take_while(|t| t.order <= max_order) {
            let n = stages(t.order);
            let mut p = vec![BigInt::one(); n];
            for &ch in &t.children {
                for (pi, wi) in p.iter_mut().zip(&a_psi[ch]) {
                    if !pi.is_zero() {
                        *pi = if wi.is_zero() {
                            BigInt::zero()
                        } else {
                            &*pi * wi
                        };
                    }
                }
            }
            let w: Vec<BigInt> = self.a[..n]
                .iter()
                .map(|row| {
                    row.iter().fold(BigInt::zero(), |acc, (j, aij)| {
                        if p[*j].is_zero() {
                            acc
                        } else {
                            acc + aij * &p[*j]
                        }
                    })
                })
                .collect();
            psi.push(p);
            a_psi.push(w);
        }
        psi
    }

    /// `|Σ w_i Φ_i(t) − target/γ(t)|` (target 0 or 1) from `W = d w`, as an unreduced fraction.
    fn residual(&self, w: &[(usize, BigInt)], psi: &[BigInt], t: &Tree, target: bool) -> Q {
        let sum = w
            .iter()
            .filter(|(i, _)| *i < psi.len())
            .fold(BigInt::zero(), |acc, (i, wi)| acc + wi * &psi[*i]);
        let gamma = BigInt::from(t.gamma);
        let dm = &self.d_pow[t.order];
        let mut num = sum * &gamma;
        if target {
            num -= dm;
        }
        Q::new_raw(num.abs(), gamma * dm)
    }

    fn weights(&self, w: &[Q]) -> Vec<(usize, BigInt)> {
        w.iter()
            .enumerate()
            .filter(|(_, v)| !v.is_zero())
            .map(|(i, v)| (i, scale(v, &self.d)))
            .collect()
    }
}

/// `x d` as an integer (`x`'s denominator divides `d`).
fn scale(x: &Q, d: &BigInt) -> BigInt {
    x.numer() * (d / x.denom())
}

/// Largest residual of the weights `w` over the trees of each order `1..=max_order`
/// (index = order).
fn order_residuals(
    sc: &Scaled,
    w: &[Q],
    psi: &[Vec<BigInt>],
    trees: &[Tree],
    max_order: usize,
) -> Vec<Q> {
    let w = sc.weights(w);
    let mut worst = vec![Q::zero(); max_order + 1];
    for (t, ps) in trees
        .iter()
        .zip(psi)
        .take_while(|(t, _)| t.order <= max_order)
    {
        let r = sc.residual(&w, ps, t, true);
        if r > worst[t.order] {
            worst[t.order] = r;
        }
    }
    worst
}

fn max_of(v: &[Q]) -> Q {
    v.iter()
        .cloned()
        .fold(Q::zero(), |m, x| if x > m { x } else { m })
}

/// Measured residuals of one tableau.
struct Report {
    row_sums: Q,
    extra_row_sums: Q,
    b: Q,
    b_next: Q,
    bhat: Option<(Q, Q)>,
    b3hat: Option<(Q, Q)>,
    fsal: Q,
    dense_end: Q,
    dense: Q,
}

fn measure(ex: &Exact, trees: &[Tree]) -> Report {
    let s = ex.s;
    let n = ex.c.len();
    let row_sum = |i: usize| (ex.a[i].iter().sum::<Q>() - &ex.c[i]).abs();
    let row_sums = max_of(&(0..s).map(row_sum).collect::<Vec<_>>());
    let extra_row_sums = max_of(&(s..n).map(row_sum).collect::<Vec<_>>());

    let fsal = if ex.fsal {
        let last = &ex.a[s - 1];
        let mut d = (&ex.c[s - 1] - Q::one()).abs().max(ex.b[s - 1].abs());
        for (x, y) in last.iter().zip(&ex.b) {
            d = d.max((x - y).abs());
        }
        d
    } else {
        Q::zero()
    };

    // b_i(1) against b (0 for the extra stages).
    let dense_end = max_of(
        &(0..n)
            .map(|i| {
                let target = if i < s { ex.b[i].clone() } else { Q::zero() };
                (ex.bi[i].iter().sum::<Q>() - target).abs()
            })
            .collect::<Vec<_>>(),
    );

    // One pass over the trees: all stages up to the dense order, the main stages beyond.
    let p = ex.order;
    let max_order = (p + 1).max(ex.dense_order);
    let sc = Scaled::new(ex, max_order);
    let psi = sc.psi(
        trees,
        max_order,
        |m| if m <= ex.dense_order { n } else { s },
    );

    let rb = order_residuals(&sc, &ex.b, &psi, trees, p + 1);
    let embedded = |e: &[Q], q: usize| -> Option<(Q, Q)> {
        if e.is_empty() {
            return None;
        }
        let bhat: Vec<Q> = ex.b.iter().zip(e).map(|(x, y)| x - y).collect();
        let r = order_residuals(&sc, &bhat, &psi, trees, q + 1);
        Some((max_of(&r[..=q]), r[q + 1].clone()))
    };

    // Dense output, as polynomials in θ: the coefficient of θ^(k+1) of Σ_i b_i(θ) Φ_i(t) must be
    // 1/γ(t) for k + 1 = |t| and 0 otherwise.
    let deg = ex.bi.first().map_or(0, Vec::len);
    let columns: Vec<Vec<(usize, BigInt)>> = (0..deg)
        .map(|k| sc.weights(&ex.bi.iter().map(|r| r[k].clone()).collect::<Vec<_>>()))
        .collect();
    let mut dense = Q::zero();
    for (t, ps) in trees
        .iter()
        .zip(&psi)
        .take_while(|(t, _)| t.order <= ex.dense_order)
    {
        for (k, col) in columns.iter().enumerate() {
            let r = sc.residual(col, ps, t, k + 1 == t.order);
            if r > dense {
                dense = r;
            }
        }
    }

    Report {
        row_sums,
        extra_row_sums,
        b: max_of(&rb[..=p]),
        b_next: rb[p + 1].clone(),
        bhat: embedded(&ex.e, ex.embedded_order),
        b3hat: embedded(&ex.e3, 3),
        fsal,
        dense_end,
        dense,
    }
}

/// Bound on the residuals of truncated published decimals, from the number of published digits.
fn decimal_tolerance(name: &str) -> Q {
    let k = match name {
        // The paper prints about 16 significant digits; interpolant coefficients reach ~90 in size.
        "tsit5" => 13,
        // dop853.f: about 30 significant digits; dense coefficients D reach ~500 in size.
        "dop853" => 24,
        // Verner: 40 significant digits.
        "vern7" => 34,
        "vern9" => 33,
        other => panic!("{other}: decimal coefficients but no tolerance chosen"),
    };
    Q::new(BigInt::one(), pow10(k))
}

/// A violated condition of the next order must be clearly visible.
fn next_order_threshold() -> Q {
    Q::new(BigInt::one(), pow10(7))
}

fn f(x: &Q) -> f64 {
    x.to_f64().unwrap_or(f64::NAN)
}

/// Every failed check, as a line of text (empty when the tableau is correct).
fn failures(ex: &Exact, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let tol = |exact: bool| {
        if exact {
            Q::zero()
        } else {
            decimal_tolerance(ex.name)
        }
    };
    let mut check = |what: &str, value: &Q, exact: bool| {
        if *value > tol(exact) {
            out.push(format!(
                "{}: {what}: residual {:.3e} (bound {:.1e})",
                ex.name,
                f(value),
                f(&tol(exact))
            ));
        }
    };
    check("row sums", &r.row_sums, ex.main_exact);
    check("extra-stage row sums", &r.extra_row_sums, ex.dense_exact);
    check("order conditions of b", &r.b, ex.main_exact);
    check("FSAL structure", &r.fsal, ex.main_exact);
    if let Some((ok, _)) = &r.bhat {
        check("order conditions of b - e", ok, ex.e_exact);
    }
    if let Some((ok, _)) = &r.b3hat {
        check("order conditions of b - e3", ok, ex.e3_exact);
    }
    check("b_i(1) = b_i", &r.dense_end, ex.dense_exact);
    check("dense-output conditions", &r.dense, ex.dense_exact);
    let next = next_order_threshold();
    let mut check_next = |what: &str, value: &Q| {
        if *value < next {
            out.push(format!(
                "{}: {what} also satisfies the next order (largest residual {:.3e})",
                ex.name,
                f(value)
            ));
        }
    };
    check_next("b", &r.b_next);
    if let Some((_, nxt)) = &r.bhat {
        check_next("b - e", nxt);
    }
    if let Some((_, nxt)) = &r.b3hat {
        check_next("b - e3", nxt);
    }
    out
}

fn print_report(ex: &Exact, r: &Report) {
    let opt = |x: &Option<(Q, Q)>| {
        x.as_ref()
            .map_or("-".to_string(), |(a, _)| format!("{:.1e}", f(a)))
    };
    println!(
        "{:7} b {:.1e} (next {:.1e})  b-e {}  b-e3 {}  rows {:.1e}/{:.1e}  fsal {:.1e}  \
         b_i(1) {:.1e}  dense(order {}) {:.1e}",
        ex.name,
        f(&r.b),
        f(&r.b_next),
        opt(&r.bhat),
        opt(&r.b3hat),
        f(&r.row_sums),
        f(&r.extra_row_sums),
        f(&r.fsal),
        f(&r.dense_end),
        ex.dense_order,
        f(&r.dense),
    );
}

#[test]
fn every_tableau_satisfies_its_order_conditions() {
    let trees = rooted_trees(10);
    let mut all = Vec::new();
    for method in Method::ALL {
        let tab = method.tableau();
        assert!(
            tab.order <= 9,
            "{}: trees only generated up to order 10",
            tab.name
        );
        let ex = Exact::new(tab);
        let report = measure(&ex, &trees);
        print_report(&ex, &report);
        all.extend(failures(&ex, &report));
    }
    assert!(
        all.is_empty(),
        "order-condition failures:\n{}",
        all.join("\n")
    );
}

/// The check can fail: moving one coefficient by 1e-10 (keeping the row sum) breaks the order
/// conditions, and moving one interpolant coefficient breaks the dense-output conditions.
#[test]
fn a_perturbed_coefficient_is_caught() {
    let trees = rooted_trees(10);
    let delta = Q::new(BigInt::one(), pow10(10));
    for method in [Method::Dp5, Method::Tsit5, Method::Dop853, Method::Vern7] {
        let ex = Exact::new(method.tableau());
        assert!(failures(&ex, &measure(&ex, &trees)).is_empty());

        // Stage i with the largest weight (not the FSAL stage, whose weight is 0), and a column
        // j >= 1 with c_j != 0: a_ij += δ, a_i0 -= δ.
        let i = (1..ex.s)
            .max_by(|&x, &y| ex.b[x].abs().cmp(&ex.b[y].abs()))
            .unwrap();
        let j = (1..i).rev().find(|&j| !ex.c[j].is_zero()).unwrap();
        let mut bad = ex.clone();
        bad.a[i][j] += &delta;
        bad.a[i][0] -= &delta;
        let fails = failures(&bad, &measure(&bad, &trees));
        assert!(
            fails.iter().any(|m| m.contains("order conditions of b:")),
            "{}: perturbing a[{i}][{j}] went unnoticed: {fails:?}",
            ex.name
        );

        let mut bad = ex.clone();
        bad.bi[0][1] += &delta;
        let fails = failures(&bad, &measure(&bad, &trees));
        assert!(
            fails.iter().any(|m| m.contains("dense-output conditions")),
            "{}: perturbing bi[0][1] went unnoticed: {fails:?}",
            ex.name
        );
    }
}
