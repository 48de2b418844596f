//! Handing back to the system what the C allocator keeps after a large read.
//!
//! A file is decoded through buffers of a few megabytes that are freed as it goes. glibc's
//! allocator raises its threshold for mapping large blocks each time one is freed, so after
//! the first few batches these buffers come from its heaps, and a freed heap block stays
//! resident: about 8 MB after reading 8 × 16 M samples of zstd Parquet, which `serve` then
//! carries under the pyramid it builds, at its peak. Fixing the threshold instead (mapping
//! every large buffer) made the read itself 40% slower from page faults.

/// Returns the allocator's free memory to the system (glibc; nothing elsewhere). Costs a
/// walk of the allocator's heaps: call it once after a read, not in a loop.
pub(crate) fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: `malloc_trim` takes the allocator's own locks and only releases pages that
    // hold no allocation; it has no arguments that could be invalid.
    unsafe {
        libc::malloc_trim(0);
    }
}
