//! `ai4de problems` and `ai4de methods`.

use ai4de_ode::problems;
use ai4de_ode::Method;
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
    if args.format == "json" {
        let v: Vec<_> = list
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "dim": p.dim(),
                    "description": p.description,
                    "source": p.source,
                    "t_span": [p.t0, p.t_end],
                    "y0": p.y0,
                    "state_names": p.state_names,
                    "params": p.params().iter().map(|q| json!({
                        "name": q.name, "value": q.value, "description": q.description
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{:<10} {:>4}  {:<36} description",
        "problem", "dim", "parameters"
    );
    for p in &list {
        let params = p
            .params()
            .iter()
            .map(|q| format!("{}={}", q.name, short(q.value)))
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "{:<10} {:>4}  {:<36} {}",
            p.name,
            p.dim(),
            if params.is_empty() {
                "-".to_string()
            } else {
                params
            },
            p.description
        );
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
    println!("{:<8} {:>5} {:>6}  description", "method", "order", "dense");
    for m in Method::ALL {
        println!(
            "{:<8} {:>5} {:>6}  {}",
            m.name(),
            m.order(),
            m.dense_order(),
            m.description()
        );
    }
    Ok(())
}
