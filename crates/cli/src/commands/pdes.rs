//! `ai4de pdes`: the PDE catalogue.

use std::io::Write;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub fn run(args: &Args) -> Result<()> {
    let infos: Vec<_> = ai4de_pde::catalogue().iter().map(|p| p.info()).collect();
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        writeln!(out, "{}", serde_json::to_string_pretty(&infos)?)?;
        return Ok(());
    }
    if infos.is_empty() {
        writeln!(out, "(the PDE catalogue is empty in this build)")?;
        return Ok(());
    }
    for p in &infos {
        let grid = p
            .default_grid
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("x");
        writeln!(
            out,
            "{}  ({}-D, grid {grid}, {} time points)",
            p.name, p.spatial_dims, p.default_steps
        )?;
        writeln!(out, "    {}", p.equation)?;
        writeln!(out, "    domain: {}; boundary: {}", p.domain, p.boundary)?;
        writeln!(out, "    sampler: {}", p.sampler)?;
        writeln!(out, "    solver: {}", p.solver)?;
        writeln!(out, "    source: {}", p.source)?;
        if !p.params.is_empty() {
            let params = p
                .params
                .iter()
                .map(|q| format!("{}={} ({})", q.name, q.default, q.description))
                .collect::<Vec<_>>()
                .join("; ");
            writeln!(out, "    params: {params}")?;
        }
    }
    Ok(())
}
