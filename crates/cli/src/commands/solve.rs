//! `ai4de solve <problem>`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use ai4de_ode::jacobian::{JacobianOptions, JacobianSource, JacobianStorage};
use ai4de_ode::krylov::{GmresOptions, LinearSolverChoice};
use ai4de_ode::problems::{self, Problem};
use ai4de_ode::sensitivity::{ForwardSensitivity, SensColumn};
use ai4de_ode::{Method, SaveAt, Solution, Solve};
use ai4de_report::Phase;
use anyhow::{bail, Context, Result};

use crate::output::{self, Format, Meta};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Problem name (see `ai4de problems`).
    pub problem: String,
    /// Integration method (see `ai4de methods`); `auto` starts explicit (Tsit5) and switches to
    /// Rodas5P when the problem turns out to be stiff.
    #[arg(long, default_value = "auto")]
    pub method: String,
    /// Relative tolerance.
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    pub rtol: f64,
    /// Absolute tolerance.
    #[arg(long, default_value_t = 1e-9, allow_hyphen_values = true)]
    pub atol: f64,
    /// Start time (default: the problem's).
    #[arg(long, allow_hyphen_values = true)]
    pub t0: Option<f64>,
    /// End time (default: the problem's); may be below t0 (backward integration).
    #[arg(long, allow_hyphen_values = true)]
    pub t_end: Option<f64>,
    /// Initial state, comma separated (default: the problem's).
    #[arg(long, allow_hyphen_values = true, value_name = "V1,V2,...")]
    pub y0: Option<String>,
    /// Parameter override, repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Output times: a count N (N equally spaced times from t0 to t_end) or a comma-separated
    /// list of times. Default: every accepted step.
    #[arg(long, allow_hyphen_values = true, value_name = "N | T1,T2,...")]
    pub saveat: Option<String>,
    /// Fixed step size (required by rk4 and euler; makes any method take fixed steps).
    #[arg(long, allow_hyphen_values = true)]
    pub dt: Option<f64>,
    /// Maximum number of steps.
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// Jacobian of the stiff methods: auto (analytic, else dual numbers, else finite
    /// differences), analytic, dual or fd; with an optional storage suffix :dense or :sparse
    /// (e.g. fd:sparse).
    #[arg(long, default_value = "auto", value_name = "SOURCE[:STORAGE]")]
    pub jacobian: String,
    /// Linear solver of the implicit methods: direct (dense or sparse LU, every stiff method) or
    /// gmres (Newton–Krylov with the problem's preconditioner, e.g. an FFT solve for bruss2d,
    /// else ILU(0) of a sparse iteration matrix, else its diagonal; bdf and ndf only).
    #[arg(long, default_value = "direct", value_name = "direct | gmres")]
    pub linear_solver: String,
    /// Output format: json, csv, npy (one array, t in column 0) or npz (arrays t and y).
    /// Default: from the --out extension, or a human summary on stdout.
    #[arg(long)]
    pub format: Option<String>,
    /// Output file (default: stdout for json/csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Plot the trajectory to this .png or .svg file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// State names for the phase portrait of the plot: two (a plane) or three (a 3-D curve),
    /// e.g. `--phase x,y`. Default: the whole state when it has 2 or 3 components.
    #[arg(long, value_name = "A,B[,C]")]
    pub phase: Option<String>,
    /// Also solve the forward sensitivities `dy/dθ` with respect to these parameters (names as
    /// in `ai4de problems`) or initial states (`y0:<state>`), comma separated; `all` for every
    /// parameter. They are written as extra columns `d<state>/d<θ>` after the states (json,
    /// csv, npy, npz) and their final values are printed in the summary.
    #[arg(long, value_name = "P1,P2,... | all")]
    pub sensitivities: Option<String>,
}

/// Parses a comma-separated list of finite numbers.
pub fn parse_list(what: &str, s: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(str::trim)
        .enumerate()
        .map(|(i, v)| {
            let x: f64 = v
                .parse()
                .with_context(|| format!("{what}: entry {i} '{v}' is not a number"))?;
            if !x.is_finite() {
                bail!("{what}: entry {i} is {x}, not a finite number");
            }
            Ok(x)
        })
        .collect()
}

/// Applies `NAME=VALUE` overrides.
pub fn apply_params(problem: &mut Problem, params: &[String]) -> Result<()> {
    for p in params {
        let (name, value) = p
            .split_once('=')
            .with_context(|| format!("--param '{p}' is not of the form NAME=VALUE"))?;
        let value: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--param {name}: '{value}' is not a number"))?;
        problem.set_param(name.trim(), value)?;
    }
    Ok(())
}

/// The save-at rule of `--saveat`.
pub fn parse_saveat(s: &str, t0: f64, t_end: f64) -> Result<SaveAt> {
    let s = s.trim();
    if let Ok(n) = s.parse::<usize>() {
        if n < 2 {
            bail!("--saveat {n}: a count needs at least 2 points (t0 and t_end)");
        }
        let ts = (0..n)
            .map(|i| {
                if i == n - 1 {
                    t_end
                } else {
                    t0 + (t_end - t0) * i as f64 / (n - 1) as f64
                }
            })
            .collect();
        return Ok(SaveAt::Times(ts));
    }
    Ok(SaveAt::Times(parse_list("--saveat", s)?))
}

/// A fully set-up solve request.
pub struct Request {
    pub problem: Problem,
    pub method: Method,
    pub rtol: f64,
    pub atol: f64,
    pub save_at: SaveAt,
    pub dt: Option<f64>,
    pub max_steps: Option<usize>,
    pub jacobian: JacobianOptions,
    pub linear_solver: LinearSolverChoice,
    /// Forward-sensitivity columns (`--sensitivities`), empty for a plain solve.
    pub sensitivities: Vec<SensColumn>,
    /// Output column names: the states, then `d<state>/d<θ>` per sensitivity column.
    pub column_names: Vec<String>,
}

/// Parses `--sensitivities P1,P2,...` (parameter names, `y0:<state>`, or `all`).
pub fn parse_sensitivities(spec: &str, problem: &Problem) -> Result<Vec<SensColumn>> {
    let params: Vec<&str> = problem.params().iter().map(|q| q.name).collect();
    if spec.trim() == "all" {
        return Ok((0..params.len()).map(SensColumn::Param).collect());
    }
    let mut cols = Vec::new();
    for name in spec.split(',').map(str::trim) {
        let col = if let Some(state) = name.strip_prefix("y0:") {
            let k = problem.state_index(state).with_context(|| {
                format!(
                    "--sensitivities: {} has no state '{state}' (states: {})",
                    problem.name,
                    problem.state_names.join(", ")
                )
            })?;
            SensColumn::InitialState(k)
        } else {
            let i = params.iter().position(|p| *p == name).with_context(|| {
                format!(
                    "--sensitivities: {} has no parameter '{name}' (parameters: {}; initial states: y0:<state>)",
                    problem.name,
                    params.join(", ")
                )
            })?;
            SensColumn::Param(i)
        };
        if cols.contains(&col) {
            bail!("--sensitivities: '{name}' is listed twice");
        }
        cols.push(col);
    }
    Ok(cols)
}

/// Column names of the sensitivities: `d<state>/d<param>`, `d<state>/d<state>(0)`.
pub fn sensitivity_names(problem: &Problem, cols: &[SensColumn]) -> Vec<String> {
    let mut names = Vec::with_capacity(problem.dim() * cols.len());
    for c in cols {
        let wrt = match *c {
            SensColumn::Param(i) => problem.params()[i].name.to_string(),
            SensColumn::InitialState(k) => format!("{}(0)", problem.state_names[k]),
        };
        for s in &problem.state_names {
            names.push(format!("d{s}/d{wrt}"));
        }
    }
    names
}

/// Parses `--jacobian SOURCE[:STORAGE]`.
fn parse_jacobian(s: &str) -> Result<JacobianOptions> {
    let (source, storage) = s.split_once(':').unwrap_or((s, "auto"));
    let source = match source {
        "auto" => None,
        "analytic" => Some(JacobianSource::Analytic),
        "dual" => Some(JacobianSource::Dual),
        "fd" => Some(JacobianSource::FiniteDifference),
        other => bail!("--jacobian: unknown source '{other}' (known: auto, analytic, dual, fd)"),
    };
    let storage = match storage {
        "auto" => JacobianStorage::Auto,
        "dense" => JacobianStorage::Dense,
        "sparse" => JacobianStorage::Sparse,
        other => bail!("--jacobian: unknown storage '{other}' (known: auto, dense, sparse)"),
    };
    Ok(JacobianOptions {
        source,
        storage,
        ..Default::default()
    })
}

impl Request {
    pub fn from_args(args: &Args) -> Result<Self> {
        let mut problem = problems::get(&args.problem)?;
        let method: Method = args.method.parse()?;
        apply_params(&mut problem, &args.params)?;
        if let Some(t0) = args.t0 {
            problem.t0 = t0;
        }
        if let Some(t_end) = args.t_end {
            problem.t_end = t_end;
        }
        if let Some(y0) = &args.y0 {
            let y0 = parse_list("--y0", y0)?;
            if y0.len() != problem.dim() {
                bail!(
                    "--y0 has {} values but {} has {} states ({})",
                    y0.len(),
                    problem.name,
                    problem.dim(),
                    problem.state_names.join(", ")
                );
            }
            problem.y0 = y0;
        }
        let save_at = match &args.saveat {
            Some(s) => parse_saveat(s, problem.t0, problem.t_end)?,
            None => SaveAt::Steps,
        };
        let sensitivities = match &args.sensitivities {
            Some(spec) => parse_sensitivities(spec, &problem)?,
            None => Vec::new(),
        };
        Ok(Self {
            method,
            rtol: args.rtol,
            atol: args.atol,
            save_at,
            dt: args.dt,
            max_steps: args.max_steps,
            jacobian: parse_jacobian(&args.jacobian)?,
            linear_solver: match args.linear_solver.as_str() {
                "direct" => LinearSolverChoice::Direct,
                "gmres" if sensitivities.is_empty() => {
                    LinearSolverChoice::Gmres(GmresOptions::default())
                }
                "gmres" => bail!("--linear-solver gmres is not available with --sensitivities"),
                other => bail!("--linear-solver: unknown solver '{other}' (known: direct, gmres)"),
            },
            column_names: problem
                .state_names
                .iter()
                .cloned()
                .chain(sensitivity_names(&problem, &sensitivities))
                .collect(),
            sensitivities,
            problem,
        })
    }

    pub fn solve(&self) -> Result<Solution> {
        let p = &self.problem;
        if !self.sensitivities.is_empty() {
            return self.solve_sensitivities();
        }
        let mut s = Solve::new(p, (p.t0, p.t_end), &p.y0)
            .method(self.method)
            .rtol(self.rtol)
            .atol(self.atol)
            .save_at(self.save_at.clone())
            .jacobian(self.jacobian.clone())
            .linear_solver(self.linear_solver);
        if let Some(dt) = self.dt {
            s = s.dt(dt);
        }
        if let Some(m) = self.max_steps {
            s = s.max_steps(m);
        }
        s.run()
            .with_context(|| format!("solving {} with {}", p.name, self.method))
    }

    /// The solve with forward sensitivities, as a [`Solution`] whose rows are
    /// `[y, dy/dθ_1, …, dy/dθ_m]` (the layout of
    /// [`SensitivitySolution::z`](ai4de_ode::sensitivity::SensitivitySolution::z)).
    fn solve_sensitivities(&self) -> Result<Solution> {
        let p = &self.problem;
        let mut options = ai4de_ode::Options {
            save_at: self.save_at.clone(),
            jacobian: self.jacobian.clone(),
            dt: self.dt,
            ..Default::default()
        };
        if let Some(m) = self.max_steps {
            options.max_steps = m;
        }
        let sol = ForwardSensitivity::new(p, (p.t0, p.t_end), &p.y0)
            .columns(self.sensitivities.clone())
            .method(self.method)
            .options(options)
            .rtol(self.rtol)
            .atol(self.atol)
            .run()
            .with_context(|| {
                format!(
                    "solving {} with forward sensitivities ({})",
                    p.name, self.method
                )
            })?;
        Ok(Solution {
            method: sol.method,
            dim: p.dim() * (1 + sol.columns.len()),
            t: sol.t,
            y: sol.z,
            stats: sol.stats,
            events: Vec::new(),
            terminated_by: None,
        })
    }

    pub fn meta(&self) -> Meta<'_> {
        Meta {
            problem: self.problem.name,
            method: self.method.name(),
            rtol: self.rtol,
            atol: self.atol,
            state_names: &self.column_names,
            params: self
                .problem
                .params()
                .iter()
                .map(|q| (q.name, q.value))
                .collect(),
        }
    }
}

/// The phase portrait named by `--phase a,b[,c]` (state names).
pub fn parse_phase(spec: &str, names: &[String]) -> Result<Phase> {
    let idx: Vec<usize> =
        spec.split(',')
            .map(|n| {
                let n = n.trim();
                names.iter().position(|m| m == n).with_context(|| {
                    format!("--phase: no state '{n}' (states: {})", names.join(", "))
                })
            })
            .collect::<Result<_>>()?;
    match idx[..] {
        [i, j] => Ok(Phase::Pair(i, j)),
        [i, j, k] => Ok(Phase::Triple(i, j, k)),
        _ => bail!("--phase takes two or three state names, got '{spec}'"),
    }
}

/// Draws the trajectory of a solve.
pub fn plot(
    path: &std::path::Path,
    title: &str,
    names: &[String],
    phase: Phase,
    sol: &Solution,
) -> Result<()> {
    let spec = ai4de_report::TrajectoryPlot::new(title, &sol.t, &sol.y, sol.dim)
        .names(names.iter())
        .phase(phase);
    ai4de_report::plot_trajectories(path, &spec)
        .with_context(|| format!("plotting to {}", path.display()))
}

pub fn run(args: &Args) -> Result<()> {
    let req = Request::from_args(args)?;
    let format = match (&args.format, &args.out) {
        (Some(f), _) => Some(Format::parse(f)?),
        (None, Some(out)) => Some(Format::from_path(out).with_context(|| {
            format!(
                "cannot tell the format of {} from its extension; pass --format",
                out.display()
            )
        })?),
        (None, None) => None,
    };
    if let (Some(spec), None) = (&args.phase, &args.plot) {
        bail!("--phase {spec} needs --plot FILE");
    }
    let start = Instant::now();
    let sol = req.solve()?;
    let elapsed = start.elapsed();
    let meta = req.meta();

    if let Some(path) = &args.plot {
        let title = format!("{} ({}, rtol {:e})", req.problem.name, req.method, req.rtol);
        let phase = match &args.phase {
            Some(spec) => parse_phase(spec, &req.problem.state_names)?,
            None => Phase::Auto,
        };
        plot(path, &title, &req.column_names, phase, &sol)?;
    }
    match (format, &args.out) {
        (Some(f), Some(out)) => {
            output::write_solution(out, f, &meta, &sol)?;
            summary(&req, &sol, elapsed.as_secs_f64(), &mut std::io::stderr())?;
        }
        (Some(Format::Json), None) => writeln!(
            std::io::stdout().lock(),
            "{}",
            output::to_json(&meta, &sol)?
        )?,
        (Some(Format::Csv), None) => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            output::write_csv(&mut lock, &meta, &sol)?;
        }
        (Some(f), None) => bail!("--format {f:?} is binary: pass --out FILE"),
        (None, _) => summary(&req, &sol, elapsed.as_secs_f64(), &mut std::io::stdout())?,
    }
    Ok(())
}

/// A short human summary of one solve.
pub fn summary(req: &Request, sol: &Solution, seconds: f64, w: &mut impl Write) -> Result<()> {
    let p = &req.problem;
    let st = sol.stats;
    writeln!(
        w,
        "{}: {} from t = {} to {} with {} (rtol {:e}, atol {:e})",
        p.name,
        p.description,
        p.t0,
        sol.t_final(),
        req.method,
        req.rtol,
        req.atol
    )?;
    writeln!(
        w,
        "  {} steps ({} accepted, {} rejected), {} f-evaluations, {:.3} ms, {} saved points",
        st.steps,
        st.accepted,
        st.rejected,
        st.f_evals,
        seconds * 1e3,
        sol.len()
    )?;
    if st.jac_evals + st.lu_decomps + st.prec_setups > 0 {
        writeln!(
            w,
            "  {} Jacobians, {} LU factorisations, {} linear solves, {} Newton iterations ({} failed)",
            st.jac_evals, st.lu_decomps, st.lin_solves, st.newton_iters, st.newton_failures
        )?;
    }
    if st.prec_setups > 0 {
        writeln!(
            w,
            "  GMRES: {} iterations, {} preconditioner set-ups, {} preconditioner solves",
            st.lin_iters, st.prec_setups, st.prec_solves
        )?;
    }
    let finals: Vec<String> = p
        .state_names
        .iter()
        .zip(sol.y_final())
        .take(8)
        .map(|(n, v)| format!("{n} = {v:.10e}"))
        .collect();
    let more = if p.dim() > 8 {
        format!(" ... ({} more)", p.dim() - 8)
    } else {
        String::new()
    };
    writeln!(w, "  final state: {}{more}", finals.join(", "))?;
    if !req.sensitivities.is_empty() {
        let n = p.dim();
        let last = sol.y_final();
        writeln!(w, "  final sensitivities:")?;
        for (j, names) in req.column_names[n..].chunks(n).enumerate() {
            let vals: Vec<String> = names
                .iter()
                .zip(&last[n * (1 + j)..n * (2 + j)])
                .take(8)
                .map(|(name, v)| format!("{name} = {v:.10e}"))
                .collect();
            writeln!(w, "    {}{more}", vals.join(", "))?;
        }
    }
    for e in &sol.events {
        writeln!(w, "  event {} at t = {}", e.event, e.t)?;
    }
    Ok(())
}
