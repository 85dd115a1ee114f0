//! `ai4de predict DIR --input FILE.npy --out FILE.npy`: runs a trained surrogate on an array.

use std::path::PathBuf;

use anyhow::{Context, Result};
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A directory written by `ai4de train`.
    pub dir: PathBuf,
    /// Input .npy (float32 or float64): [N, C_in, grid...], [C_in, grid...], or without the
    /// channel axis for one input channel. A model trained with --history H takes H states
    /// stacked along the channels, oldest first (C_in = H x state channels).
    #[arg(long)]
    pub input: PathBuf,
    /// Output .npy (float32), same leading layout with C_out channels.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
}

pub fn run(args: &Args) -> Result<()> {
    let read = || {
        std::fs::File::open(&args.input)
            .with_context(|| format!("opening {}", args.input.display()))
    };
    let input: ArrayD<f32> = match ArrayD::<f32>::read_npy(read()?) {
        Ok(a) => a,
        Err(_) => ArrayD::<f64>::read_npy(read()?)
            .with_context(|| {
                format!(
                    "{} is not a float32/float64 .npy array",
                    args.input.display()
                )
            })?
            .mapv(|v| v as f32),
    };
    let shape = input.shape().to_vec();
    let flat: Vec<f32> = input.iter().copied().collect();
    let (out, out_shape) = ai4de_neural::eval::predict_array(&args.dir, &flat, &shape, args.batch)?;
    let arr = ArrayD::from_shape_vec(IxDyn(&out_shape), out).context("output shape")?;
    let tmp = args.out.with_extension("npy.tmp");
    {
        let f =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        arr.write_npy(std::io::BufWriter::new(&f))
            .context("writing the output")?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("renaming into {}", args.out.display()))?;
    println!("wrote {} {:?}", args.out.display(), out_shape);
    Ok(())
}
