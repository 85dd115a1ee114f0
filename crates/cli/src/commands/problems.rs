//! `ai4de problems` and `ai4de methods`.

use ai4de_ode::problems;
use ai4de_ode::Method;
use std::io::Write;

use anyhow::Result;
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub fn run(args: &Args) -> Result<()> {
    let list = problems::catalogue();
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        let v: Vec<_> = list
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "dim": p.dim(),
                    "description": p.description,
                    "source": p.source,
                    "stiff": p.is_stiff(),
                    "t_span": [p.t0, p.t_end],
                    // Large grids (the 2-D Brusselator has 32 768 states) would swamp the
                    // listing: their initial state and names are left out.
                    "y0": (p.dim() <= 64).then_some(&p.y0),
                    "state_names": (p.dim() <= 64).then_some(&p.state_names),
                    "params": p.params().iter().map(|q| json!({
                        "name": q.name, "value": q.value, "description": q.description
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<12} {:>6}  {:<36} description",
        "problem", "dim", "parameters"
    )?;
    for p in &list {
        let params = p
            .params()
            .iter()
            .map(|q| format!("{}={}", q.name, short(q.value)))
            .collect::<Vec<_>>()
            .join(" ");
        let params = if params.is_empty() {
            "-".to_string()
        } else if params.chars().count() > 36 {
            let cut: String = params.chars().take(33).collect();
            format!("{cut}...")
        } else {
            params
        };
        writeln!(
            out,
            "{:<12} {:>6}  {:<36} {}",
            p.name,
            p.dim(),
            params,
            p.description
        )?;
    }
    Ok(())
}

/// A parameter value in at most a few significant digits for the listing.
fn short(v: f64) -> String {
    let s = format!("{v}");
    if s.len() > 8 {
        format!("{v:.4e}")
    } else {
        s
    }
}

pub fn methods() -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<13} {:>5} {:>6}  description",
        "method", "order", "dense"
    )?;
    let all = [Method::Auto]
        .into_iter()
        .chain(Method::ALL)
        .chain(Method::STIFF)
        .chain(Method::MULTISTEP);
    for m in all {
        writeln!(
            out,
            "{:<13} {:>5} {:>6}  {}",
            m.name(),
            m.order(),
            m.dense_order(),
            m.description()
        )?;
    }
    Ok(())
}
