//! Order conditions and structural properties of the Rosenbrock tableaus, in exact rational
//! arithmetic on the coefficients as published (each re-read from its source text `Coef::text`,
//! never from its `f64`).
//!
//! The tableaus are stored in Hairer's transformed form (`a_ij`, `c_ij`, `m_i`; see
//! `RosenbrockTableau`). The test undoes the transformation exactly: `Γ⁻¹ = diag(1/γ) − C`,
//! `Γ = (Γ⁻¹)⁻¹` (lower triangular, by forward substitution), `α = a Γ`, `b = m Γ`,
//! `b̂ = (m − e) Γ`, `β = α + Γ` (diagonal `γ` included). Then, for the Rosenbrock elementary
//! weights over rooted trees (Hairer & Wanner, *Solving ODEs II*, §IV.7, Theorem 7.7 and
//! Table 7.1; with `γ` folded into the diagonal of `β` the right-hand sides are plain `1/γ(t)`):
//!
//! ```text
//!   Φ_i(τ) = 1,
//!   Φ_i([t1]) = Σ_{k≤i} β_ik Φ_k(t1)                      (one subtree: f'·, from f' and J),
//!   Φ_i([t1, …, tm]) = Π_l Σ_{k<i} α_ik Φ_k(t_l), m ≥ 2   (f^(m), from the stage argument),
//!   order p  ⇔  Σ_i b_i Φ_i(t) = 1/γ(t) for all trees with |t| ≤ p,
//! ```
//!
//! (for order ≤ 4 these are the eight conditions of Table VI.7.1 / IV.7.1, e.g.
//! `Σ b_i β'_i = 1/2 − γ`, `Σ b_i β_ik β_kl β'_l = 1/24 − γ/2 + 3γ²/2 − γ³`). The test checks:
//!
//! * `b` satisfies all conditions up to `order` and violates one of order `order + 1`; `b̂` the
//!   same with `embedded_order`;
//! * the stored `α_i` and `γ_i` are the row sums of `α` and `Γ`;
//! * the dense output, as polynomials in θ: `Σ_i b_i(θ) Φ_i(t) = θ^|t|/γ(t)` up to `dense_order`
//!   (violated at `dense_order + 1`);
//! * stiff accuracy (Rodas4, Rodas5P): `y1` and `ŷ1` are stage arguments (`m_j = a_sj`,
//!   `m_s = 1`, `α_s = α_{s−1} = 1`), equivalently `b_i = β_si`, and so `R(∞) = R̂(∞) = 0`;
//! * FSAL and the W-method property of Rosenbrock23 (order 2 for any matrix in place of `J`:
//!   `Σ b_i = 1`, `Σ b_i α_i = 1/2`, `Σ_i b_i Σ_{j≤i} γ_ij = 0`), `R(∞) = 0`;
//! * A-stability: `|R(iy)| ≤ 1` on the imaginary axis and `|R(x)| ≤ 1` for `x < 0` (sampled).
//!
//! Residuals are exact rationals; they are zero up to the rounding of the published decimals.
//! Measured maxima (`--nocapture`):
//!
//! | method       | digits            | b (order) | b̂ (order) | dense (order) | α_i, γ_i sums | first violated b / b̂ / dense |
//! |--------------|-------------------|-----------|-----------|---------------|---------------|------------------------------|
//! | rodas5p      | ~17 (paper, via OrdinaryDiffEq.jl) | 5.5e-15 (5) | 4.0e-15 (4) | 1.6e-13 (4) | 4.0e-15 | 1.1e-2 / 1.5e-2 / 4.8e-1 |
//! | rodas4       | 16 (`rodas.f`)    | 7.8e-16 (4) | 9.1e-16 (3) | 2.0e-15 (3) | 9.1e-16     | 4.3e-3 / 1.0e-1 / 1.1        |
//! | rosenbrock23 | 40 (ℚ(√2))        | 9.1e-41 (2) | 8.7e-41 (3) | 5.3e-40 (2) | 4.3e-40     | 8.3e-2 / 3.5e-2 / 6.0e-1     |
//!
//! `R(∞) = R̂(∞) = 0` exactly for both Rodas methods (a consequence of the exact stiff structure)
//! and `R(∞) = 0` to 1e-40 for Rosenbrock23; sampled `max |R|` is 1 + 2e-16 (rounding) on the
//! imaginary axis and the negative reals.

use ai4de_ode::methods::rosenbrock::RosenbrockTableau;
use ai4de_ode::methods::Method;
use ai4de_ode::tableau::Coef;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// The Rosenbrock methods (`Method::STIFF` may list other stiff methods too).
const ROSENBROCK: [Method; 3] = [Method::Rodas5P, Method::Rodas4, Method::Rosenbrock23];

type Q = BigRational;

// ------------------------------------------------------------------------------------------------
// Exact coefficients.

fn pow10(k: u32) -> BigInt {
    num_traits::pow(BigInt::from(10), k as usize)
}

/// Unsigned decimal `digits[.digits][e[+-]digits]` as an exact rational.
fn parse_unsigned(s: &str) -> Q {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(p) => (&s[..p], s[p + 1..].parse::<i32>().expect("exponent")),
        None => (s, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
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

/// `[-]x` or `[-]x/y` with decimals `x`, `y`.
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

fn q(c: &Coef) -> Q {
    let v = parse_text(c.text);
    // The f64 used by the solver is the text's value rounded.
    let f = v.to_f64().expect("finite");
    assert!(
        (f - c.v).abs() <= 4.0 * f64::EPSILON * f.abs(),
        "{}: f64 {} differs from its text",
        c.text,
        c.v
    );
    v
}

fn qi(n: i64) -> Q {
    Q::from_integer(BigInt::from(n))
}

fn to_f64(x: &Q) -> f64 {
    x.to_f64().unwrap_or(f64::INFINITY)
}

/// Exact data of one tableau, classical coefficients recovered.
struct Exact {
    name: &'static str,
    s: usize,
    gamma: Q,
    /// Transformed coefficients, full `s × s` (zero on and above the diagonal).
    a: Vec<Vec<Q>>,
    m: Vec<Q>,
    e: Vec<Q>,
    alpha_i: Vec<Q>,
    gamma_i: Vec<Q>,
    /// Classical `α_ij` (strictly lower) and `β_ij = α_ij + γ_ij` (lower, diagonal `γ`).
    alpha: Vec<Vec<Q>>,
    big_gamma: Vec<Vec<Q>>,
    beta: Vec<Vec<Q>>,
    b: Vec<Q>,
    b_hat: Vec<Q>,
    /// Dense-output rows (transformed, `u`-basis).
    dense: Vec<Vec<Q>>,
}

fn full(rows: &[&[Coef]], s: usize, what: &str, name: &str) -> Vec<Vec<Q>> {
    assert_eq!(rows.len(), s, "{name}: rows of {what}");
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            assert_eq!(r.len(), i, "{name}: row {i} of {what}");
            let mut v: Vec<Q> = r.iter().map(q).collect();
            v.resize(s, Q::zero());
            v
        })
        .collect()
}

fn mat_mul(x: &[Vec<Q>], y: &[Vec<Q>]) -> Vec<Vec<Q>> {
    let n = x.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).fold(Q::zero(), |acc, k| acc + &x[i][k] * &y[k][j]))
                .collect()
        })
        .collect()
}

fn vec_mat(v: &[Q], x: &[Vec<Q>]) -> Vec<Q> {
    let n = v.len();
    (0..n)
        .map(|j| (0..n).fold(Q::zero(), |acc, k| acc + &v[k] * &x[k][j]))
        .collect()
}

/// Inverse of a lower-triangular matrix with non-zero diagonal.
fn lower_inverse(l: &[Vec<Q>]) -> Vec<Vec<Q>> {
    let n = l.len();
    let mut inv = vec![vec![Q::zero(); n]; n];
    for j in 0..n {
        inv[j][j] = Q::one() / &l[j][j];
        for i in j + 1..n {
            let s = (j..i).fold(Q::zero(), |acc, k| acc + &l[i][k] * &inv[k][j]);
            inv[i][j] = -s / &l[i][i];
        }
    }
    inv
}

impl Exact {
    fn new(t: &RosenbrockTableau) -> Exact {
        let s = t.stages();
        let name = t.name;
        let gamma = q(&t.gamma);
        let a = full(t.a, s, "a", name);
        let c = full(t.c, s, "c", name);
        for (what, v) in [
            ("alpha", t.alpha),
            ("gamma_i", t.gamma_i),
            ("m", t.m),
            ("e", t.e),
        ] {
            assert_eq!(v.len(), s, "{name}: length of {what}");
        }
        assert!(!t.dense.is_empty(), "{name}: dense output rows");
        let dense: Vec<Vec<Q>> = t
            .dense
            .iter()
            .map(|r| {
                assert_eq!(r.len(), s, "{name}: dense row length");
                r.iter().map(q).collect()
            })
            .collect();
        // Γ⁻¹ = diag(1/γ) − C.
        let mut gi = vec![vec![Q::zero(); s]; s];
        for i in 0..s {
            for j in 0..i {
                gi[i][j] = -c[i][j].clone();
            }
            gi[i][i] = Q::one() / &gamma;
        }
        let big_gamma = lower_inverse(&gi);
        let alpha = mat_mul(&a, &big_gamma);
        let mut beta = alpha.clone();
        for i in 0..s {
            for j in 0..=i {
                beta[i][j] += &big_gamma[i][j];
            }
        }
        let m: Vec<Q> = t.m.iter().map(q).collect();
        let e: Vec<Q> = t.e.iter().map(q).collect();
        let m_hat: Vec<Q> = m.iter().zip(&e).map(|(x, y)| x - y).collect();
        Exact {
            name,
            s,
            b: vec_mat(&m, &big_gamma),
            b_hat: vec_mat(&m_hat, &big_gamma),
            gamma,
            a,
            m,
            e,
            alpha_i: t.alpha.iter().map(q).collect(),
            gamma_i: t.gamma_i.iter().map(q).collect(),
            alpha,
            big_gamma,
            beta,
            dense,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Rooted trees and Rosenbrock elementary weights.

struct Tree {
    order: usize,
    /// Indices of the subtrees hanging from the root (a multiset, non-increasing).
    children: Vec<usize>,
    /// Density γ(t).
    density: u64,
}

/// All rooted trees up to `max_order`, sorted by order, each once.
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
        density: 1,
    }];
    for n in 2..=max_order {
        let mut sets = Vec::new();
        multisets(&trees, n - 1, trees.len() - 1, &mut Vec::new(), &mut sets);
        for children in sets {
            let density = children
                .iter()
                .fold(n as u64, |g, &ch| g * trees[ch].density);
            trees.push(Tree {
                order: n,
                children,
                density,
            });
        }
    }
    trees
}

/// `Φ_i(t)` for every tree (outer) and stage (inner).
fn elementary_weights(ex: &Exact, trees: &[Tree]) -> Vec<Vec<Q>> {
    let s = ex.s;
    let mut phi: Vec<Vec<Q>> = Vec::with_capacity(trees.len());
    for t in trees {
        let v: Vec<Q> = match t.children.as_slice() {
            [] => vec![Q::one(); s],
            [only] => (0..s)
                .map(|i| (0..=i).fold(Q::zero(), |acc, k| acc + &ex.beta[i][k] * &phi[*only][k]))
                .collect(),
            many => (0..s)
                .map(|i| {
                    many.iter().fold(Q::one(), |prod, &ch| {
                        prod * (0..i).fold(Q::zero(), |acc, k| acc + &ex.alpha[i][k] * &phi[ch][k])
                    })
                })
                .collect(),
        };
        phi.push(v);
    }
    phi
}

fn dot(x: &[Q], y: &[Q]) -> Q {
    x.iter().zip(y).fold(Q::zero(), |acc, (a, b)| acc + a * b)
}

/// `(max |residual| over trees of order ≤ p, max |residual| over trees of order p + 1)`.
fn residuals(w: &[Q], trees: &[Tree], phi: &[Vec<Q>], p: usize) -> (f64, f64) {
    let mut within = 0.0f64;
    let mut next = 0.0f64;
    for (t, ph) in trees.iter().zip(phi) {
        let r = to_f64(&(dot(w, ph) - Q::new(BigInt::one(), BigInt::from(t.density))).abs());
        if t.order <= p {
            within = within.max(r);
        } else if t.order == p + 1 {
            next = next.max(r);
        }
    }
    (within, next)
}

/// Dense-output weights on the classical stages as polynomials in θ: `w[i][k]` is the
/// coefficient of `θ^k` in `b_i(θ)`, from `θ m + θ(1 − θ) Σ_r θ^r dense_r`, mapped by `Γ`.
fn dense_weights(ex: &Exact) -> Vec<Vec<Q>> {
    let s = ex.s;
    let deg = ex.dense.len() + 2;
    // u-basis polynomials.
    let mut pu = vec![vec![Q::zero(); deg + 1]; s];
    for i in 0..s {
        pu[i][1] += &ex.m[i];
        for (r, row) in ex.dense.iter().enumerate() {
            // θ^(r+1) − θ^(r+2)
            pu[i][r + 1] += &row[i];
            pu[i][r + 2] -= &row[i];
        }
    }
    (0..s)
        .map(|j| {
            (0..=deg)
                .map(|k| (0..s).fold(Q::zero(), |acc, i| acc + &pu[i][k] * &ex.big_gamma[i][j]))
                .collect()
        })
        .collect()
}

/// Like [`residuals`] for the dense output: coefficient-wise in θ.
fn dense_residuals(ex: &Exact, trees: &[Tree], phi: &[Vec<Q>], p: usize) -> (f64, f64) {
    let w = dense_weights(ex);
    let deg = w[0].len() - 1;
    let mut within = 0.0f64;
    let mut next = 0.0f64;
    for (t, ph) in trees.iter().zip(phi) {
        let mut r = 0.0f64;
        for k in 0..=deg {
            let mut v = w
                .iter()
                .zip(ph)
                .fold(Q::zero(), |acc, (wi, p)| acc + &wi[k] * p);
            if k == t.order {
                v -= Q::new(BigInt::one(), BigInt::from(t.density));
            }
            r = r.max(to_f64(&v.abs()));
        }
        if t.order <= p {
            within = within.max(r);
        } else if t.order == p + 1 {
            next = next.max(r);
        }
    }
    (within, next)
}

/// Stability function at `z = −∞`: the stages of `y' = λy` satisfy
/// `(1/γ − z) u_i = z (1 + Σ a_ij u_j) + Σ c_ij u_j`; dividing by `z` and letting `z → ∞`,
/// `u_i = −(1 + Σ_{j<i} a_ij u_j)`. Returns `(R(∞), R̂(∞))`.
fn r_infinity(ex: &Exact) -> (Q, Q) {
    let s = ex.s;
    let mut u: Vec<Q> = Vec::with_capacity(s);
    for i in 0..s {
        let arg = (0..i).fold(Q::one(), |acc, j| acc + &ex.a[i][j] * &u[j]);
        u.push(-arg);
    }
    let r = Q::one() + dot(&ex.m, &u);
    let m_hat: Vec<Q> = ex.m.iter().zip(&ex.e).map(|(x, y)| x - y).collect();
    let r_hat = Q::one() + dot(&m_hat, &u);
    (r, r_hat)
}

/// `R(z)` in complex f64 arithmetic, with `z = hλ`: `(1/γ − z) u_i = z(1 + Σ a_ij u_j) + Σ c_ij u_j`.
fn r_complex(t: &RosenbrockTableau, z: (f64, f64)) -> f64 {
    let s = t.stages();
    let mul = |x: (f64, f64), y: (f64, f64)| (x.0 * y.0 - x.1 * y.1, x.0 * y.1 + x.1 * y.0);
    let div = |x: (f64, f64), y: (f64, f64)| {
        let d = y.0 * y.0 + y.1 * y.1;
        ((x.0 * y.0 + x.1 * y.1) / d, (x.1 * y.0 - x.0 * y.1) / d)
    };
    let mut u: Vec<(f64, f64)> = Vec::with_capacity(s);
    for i in 0..s {
        let mut arg = (1.0, 0.0);
        let mut cu = (0.0, 0.0);
        for ((a, c), uj) in t.a[i].iter().zip(t.c[i]).zip(&u) {
            arg.0 += a.v * uj.0;
            arg.1 += a.v * uj.1;
            cu.0 += c.v * uj.0;
            cu.1 += c.v * uj.1;
        }
        let rhs = mul(z, arg);
        let rhs = (rhs.0 + cu.0, rhs.1 + cu.1);
        u.push(div(rhs, (1.0 / t.gamma.v - z.0, -z.1)));
    }
    let mut r = (1.0, 0.0);
    for (m, ui) in t.m.iter().zip(&u) {
        r.0 += m.v * ui.0;
        r.1 += m.v * ui.1;
    }
    r.0.hypot(r.1)
}

/// Rounding bound of the published digits: the tableaus carry at least this many significant
/// digits, and coefficients up to ~100 with sums over trees of order 6 lose about 4 more.
fn tolerance(t: &RosenbrockTableau) -> f64 {
    match t.name {
        "rosenbrock23" => 1e-34,
        _ => 1e-12,
    }
}

// ------------------------------------------------------------------------------------------------

#[test]
fn tree_counts() {
    let trees = rooted_trees(6);
    let counts: Vec<usize> = (1..=6)
        .map(|n| trees.iter().filter(|t| t.order == n).count())
        .collect();
    assert_eq!(counts, [1, 1, 2, 4, 9, 20]);
}

/// The eight conditions of order ≤ 4 of Hairer & Wanner's Table VI.7.1, written out with the
/// strictly lower `β_ij` and `β'_i = Σ_{j<i} β_ij`: `(order, Σ_j w_j(…) − rhs(γ))` for weights `w`.
fn table_7_1_residuals(ex: &Exact, w: &[Q]) -> Vec<(usize, Q)> {
    let s = ex.s;
    let g = &ex.gamma;
    let al: Vec<Q> = (0..s)
        .map(|i| (0..i).fold(Q::zero(), |a, j| a + &ex.alpha[i][j]))
        .collect();
    let bp: Vec<Q> = (0..s)
        .map(|i| (0..i).fold(Q::zero(), |a, j| a + &ex.beta[i][j]))
        .collect();
    let sum = |f: &dyn Fn(usize) -> Q| (0..s).fold(Q::zero(), |a, i| a + &w[i] * f(i));
    let beta_mul = |i: usize, v: &[Q]| (0..i).fold(Q::zero(), |a, k| a + &ex.beta[i][k] * &v[k]);
    let alpha_mul = |i: usize, v: &[Q]| (0..i).fold(Q::zero(), |a, k| a + &ex.alpha[i][k] * &v[k]);
    let bbp: Vec<Q> = (0..s).map(|k| beta_mul(k, &bp)).collect();
    let al2: Vec<Q> = al.iter().map(|x| x * x).collect();
    let frac = |n: i64, d: i64| Q::new(n.into(), d.into());
    vec![
        (1, sum(&|_| Q::one()) - Q::one()),
        (2, sum(&|i| bp[i].clone()) - (frac(1, 2) - g)),
        (3, sum(&|i| &al[i] * &al[i]) - frac(1, 3)),
        (3, sum(&|i| beta_mul(i, &bp)) - (frac(1, 6) - g + g * g)),
        (4, sum(&|i| &al[i] * &al[i] * &al[i]) - frac(1, 4)),
        (
            4,
            sum(&|i| &al[i] * alpha_mul(i, &bp)) - (frac(1, 8) - g / qi(3)),
        ),
        (4, sum(&|i| beta_mul(i, &al2)) - (frac(1, 12) - g / qi(3))),
        (
            4,
            sum(&|i| beta_mul(i, &bbp))
                - (frac(1, 24) - g / qi(2) + qi(3) * g * g / qi(2) - g * g * g),
        ),
    ]
}

/// The hand-written conditions of Table VI.7.1 agree with the tree-generated ones: they hold up
/// to each solution's order (at most 4) and fail at the next order. An independent check of the
/// elementary-weight recursion.
#[test]
fn table_7_1_conditions() {
    for method in ROSENBROCK {
        let t = method
            .rosenbrock_tableau()
            .expect("stiff methods are Rosenbrock");
        let ex = Exact::new(t);
        let tol = tolerance(t);
        for (w, p, what) in [
            (&ex.b, t.order as usize, "b"),
            (&ex.b_hat, t.embedded_order as usize, "b̂"),
        ] {
            let res = table_7_1_residuals(&ex, w);
            for (order, r) in &res {
                let r = to_f64(&r.abs());
                if *order <= p {
                    assert!(
                        r <= tol,
                        "{} {what}: order-{order} condition: {r:e}",
                        t.name
                    );
                }
            }
            if p < 4 {
                let worst = res
                    .iter()
                    .filter(|(o, _)| *o == p + 1)
                    .map(|(_, r)| to_f64(&r.abs()))
                    .fold(0.0, f64::max);
                assert!(worst > 1e-6, "{} {what}: order {} holds too", t.name, p + 1);
            }
        }
    }
}

#[test]
fn order_conditions_hold_to_the_published_digits() {
    let trees = rooted_trees(6);
    for method in ROSENBROCK {
        let t = method
            .rosenbrock_tableau()
            .expect("stiff methods are Rosenbrock");
        let ex = Exact::new(t);
        let tol = tolerance(t);
        let phi = elementary_weights(&ex, &trees);
        let p = t.order as usize;
        let (b_in, b_next) = residuals(&ex.b, &trees, &phi, p);
        let ph = t.embedded_order as usize;
        let (bh_in, bh_next) = residuals(&ex.b_hat, &trees, &phi, ph);
        let (d_in, d_next) = dense_residuals(&ex, &trees, &phi, t.dense_order as usize);
        // Stored row sums.
        let mut sums = 0.0f64;
        for i in 0..ex.s {
            let ai = (0..i).fold(Q::zero(), |a, j| a + &ex.alpha[i][j]);
            let gi = (0..=i).fold(Q::zero(), |a, j| a + &ex.big_gamma[i][j]);
            sums = sums
                .max(to_f64(&(ai - &ex.alpha_i[i]).abs()))
                .max(to_f64(&(gi - &ex.gamma_i[i]).abs()));
        }
        println!(
            "{:<13} b: {b_in:.1e} (order {} violated by {b_next:.1e})  b̂: {bh_in:.1e} (order {} by {bh_next:.1e})  dense: {d_in:.1e} (order {} by {d_next:.1e})  sums: {sums:.1e}",
            ex.name,
            p + 1,
            ph + 1,
            t.dense_order + 1
        );
        assert!(b_in <= tol, "{}: order {p} conditions: {b_in:e}", ex.name);
        assert!(b_next > 1e-6, "{}: order {} also holds", ex.name, p + 1);
        assert!(bh_in <= tol, "{}: embedded order {ph}: {bh_in:e}", ex.name);
        assert!(
            bh_next > 1e-6,
            "{}: embedded order {} also holds",
            ex.name,
            ph + 1
        );
        assert!(d_in <= 10.0 * tol, "{}: dense output: {d_in:e}", ex.name);
        assert!(
            d_next > 1e-6,
            "{}: dense order {} also holds",
            ex.name,
            t.dense_order + 1
        );
        assert!(
            sums <= tol,
            "{}: stored α_i/γ_i are not row sums: {sums:e}",
            ex.name
        );
        assert!(
            t.error_exponent == t.order.min(t.embedded_order) + 1,
            "{}",
            ex.name
        );
    }
}

#[test]
fn rodas_methods_are_stiffly_accurate() {
    for method in [Method::Rodas5P, Method::Rodas4] {
        let t = method.rosenbrock_tableau().expect("Rodas is Rosenbrock");
        let ex = Exact::new(t);
        let s = ex.s;
        // Exact in the transformed coefficients: y1 = arg_s + u_s, ŷ1 = arg_s = arg_{s−1} + u_{s−1}.
        for j in 0..s - 1 {
            assert_eq!(
                t.m[j].text,
                t.a[s - 1][j].text,
                "{}: m_{j} ≠ a_s{j}",
                t.name
            );
        }
        assert_eq!(ex.m[s - 1], Q::one());
        assert_eq!(ex.e, {
            let mut e = vec![Q::zero(); s];
            e[s - 1] = Q::one();
            e
        });
        for j in 0..s - 2 {
            assert_eq!(t.a[s - 1][j].text, t.a[s - 2][j].text, "{}", t.name);
        }
        assert_eq!(ex.a[s - 1][s - 2], Q::one());
        assert_eq!(ex.alpha_i[s - 1], Q::one());
        assert_eq!(ex.alpha_i[s - 2], Q::one());
        // Classical form: b_i = β_si and b̂_i = β_{s−1,i} (to the published digits).
        let tol = tolerance(t);
        for i in 0..s {
            let d1 = to_f64(&(&ex.b[i] - &ex.beta[s - 1][i]).abs());
            let d2 = to_f64(&(&ex.b_hat[i] - &ex.beta[s - 2][i]).abs());
            assert!(
                d1 <= tol && d2 <= tol,
                "{}: stage {i}: {d1:e} {d2:e}",
                t.name
            );
        }
        // Hence L-stability of both solutions.
        let (r, r_hat) = r_infinity(&ex);
        println!(
            "{}: R(∞) = {:.1e}, R̂(∞) = {:.1e}",
            t.name,
            to_f64(&r),
            to_f64(&r_hat)
        );
        assert!(
            to_f64(&r.abs()) <= tol && to_f64(&r_hat.abs()) <= tol,
            "{}",
            t.name
        );
    }
}

#[test]
fn rosenbrock23_is_an_fsal_l_stable_w_method() {
    let t = Method::Rosenbrock23
        .rosenbrock_tableau()
        .expect("Rosenbrock");
    let ex = Exact::new(t);
    let s = ex.s;
    let tol = tolerance(t);
    assert!(t.fsal);
    for j in 0..s {
        assert_eq!(
            t.m[j].text,
            if j < s - 1 { t.a[s - 1][j].text } else { "0" }
        );
    }
    assert_eq!(ex.alpha_i[s - 1], Q::one());
    // W-method conditions of order 2 (any matrix in place of J).
    let sum_b = ex.b.iter().fold(Q::zero(), |a, x| a + x);
    let sum_b_alpha = (0..s).fold(Q::zero(), |a, i| {
        a + &ex.b[i] * (0..i).fold(Q::zero(), |x, j| x + &ex.alpha[i][j])
    });
    let sum_b_gamma = (0..s).fold(Q::zero(), |a, i| {
        a + &ex.b[i] * (0..=i).fold(Q::zero(), |x, j| x + &ex.big_gamma[i][j])
    });
    let res = [
        sum_b - Q::one(),
        sum_b_alpha - Q::new(1.into(), 2.into()),
        sum_b_gamma,
    ];
    for r in &res {
        assert!(to_f64(&r.abs()) <= tol, "W-method condition: {}", to_f64(r));
    }
    // ode23s's classical coefficients: γ = d, γ_21 = −d, α_21 = 1/2, α_32 = 1, b = (0, 1, 0).
    let d = &ex.gamma;
    let close = |x: &Q, y: &Q| to_f64(&(x - y).abs()) <= tol;
    assert!(close(&ex.big_gamma[1][0], &-d.clone()));
    assert!(close(&ex.alpha[1][0], &Q::new(1.into(), 2.into())));
    assert!(close(&ex.alpha[2][0], &Q::zero()) && close(&ex.alpha[2][1], &Q::one()));
    assert!(
        close(&ex.b[0], &Q::zero()) && close(&ex.b[1], &Q::one()) && close(&ex.b[2], &Q::zero())
    );
    // d = 1/(2 + √2): d² · 2 = (1 − d)² ... i.e. 2d² − 4d + 1 = 0.
    let quad = qi(2) * d * d - qi(4) * d + Q::one();
    assert!(to_f64(&quad.abs()) <= tol);
    let (r, _) = r_infinity(&ex);
    assert!(to_f64(&r.abs()) <= tol, "R(∞) = {}", to_f64(&r));
}

#[test]
fn methods_are_a_stable() {
    for method in ROSENBROCK {
        let t = method.rosenbrock_tableau().expect("Rosenbrock");
        let mut worst = 0.0f64;
        for k in 0..=400 {
            let y = 10f64.powf(-3.0 + 9.0 * f64::from(k) / 400.0);
            worst = worst
                .max(r_complex(t, (0.0, y)))
                .max(r_complex(t, (0.0, -y)));
            worst = worst.max(r_complex(t, (-y, 0.0)));
        }
        println!(
            "{}: max |R| on the sampled imaginary axis and negative reals: {worst}",
            t.name
        );
        assert!(worst <= 1.0 + 1e-12, "{}: |R| = {worst}", t.name);
        // Strong damping far out (L-stability).
        assert!(r_complex(t, (-1e12, 0.0)) < 1e-6, "{}", t.name);
    }
}
