//! Keeping freed tensor buffers inside the process (glibc's malloc tuned for training loops).
//!
//! A training step allocates and frees the same multi-megabyte activation buffers over and over
//! (an FNO-2D Darcy step at 85 × 85, batch 20, width 32 handles ~18 MB activations and 74 MB
//! projection buffers). With glibc's defaults (`mallopt(3)`): blocks above `M_MMAP_THRESHOLD`
//! (128 KiB, raised dynamically to at most 32 MiB) are fresh `mmap`s returned with `munmap` on
//! `free`, and the heap is trimmed whenever more than `M_TRIM_THRESHOLD` bytes are free at its
//! top. Every step then page-faults its buffers back in and the kernel zeroes each page: before
//! this was set, a quarter of the CPU time of a Darcy training epoch was system time
//! (`bench/neural/ACCURACY.md`, `RESULTS.md` "allocator").
//!
//! [`retain_freed_memory`] turns `mmap` off for heap blocks (`M_MMAP_MAX = 0`, so large blocks
//! come from the heap and are reused after `free`) and raises the trim threshold to 1 GiB, so
//! the process keeps its peak working set instead of handing it back every step. Other
//! allocators (musl, macOS, Windows) are left alone.

/// The trim threshold: free memory at the top of the heap that is kept rather than returned.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 1 << 30;

/// Tunes glibc's malloc to keep freed memory for reuse (see the module doc). Call it once at
/// start-up, before heavy allocation; later calls are harmless. Returns whether the settings
/// were applied (false on other platforms, or if glibc refused them).
pub fn retain_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` only changes malloc's parameters (under its own lock); it has no
        // memory-safety preconditions.
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_are_accepted_on_glibc() {
        let applied = super::retain_freed_memory();
        assert_eq!(applied, cfg!(all(target_os = "linux", target_env = "gnu")));
        // Allocation still works, large blocks included.
        let v = vec![1.0_f32; 1 << 24];
        assert_eq!(v.iter().sum::<f32>(), (1 << 24) as f32);
    }
}
