//! Deterministic random streams: sample `i` of a dataset with seed `s` draws from a stream that
//! depends only on `(s, i)`, so that any subset of samples, computed on any number of threads, in
//! any order, or resumed after an interruption, gives the same numbers.

use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// The random stream of sample `index` under dataset seed `seed` (ChaCha12 keyed by the seed,
/// stream number = sample index).
pub fn sample_rng(seed: u64, index: u64) -> ChaCha12Rng {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_depend_only_on_seed_and_index() {
        let x: f64 = sample_rng(7, 3).random();
        let y: f64 = sample_rng(7, 3).random();
        let z: f64 = sample_rng(7, 4).random();
        let w: f64 = sample_rng(8, 3).random();
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(x, w);
    }
}
