//! Gives the operating system back the heap the prover freed.
//!
//! A prover is built once (the circuit synthesised for its matrices, the key taken apart
//! query by query) and then proves for as long as the process lives. glibc's allocator keeps
//! what is freed resident: it returns memory only from the top of each arena, and blocks
//! below 32 MB (its dynamic mmap threshold) are served from the arenas. So the build left
//! hundreds of MB resident for the prover's life (the 8-slot proving process held 592 MB,
//! where the prover needs about 210), and each proof's vectors stayed behind for the next proof to
//! fragment. `malloc_trim(0)` releases every whole free page of every arena; the prover
//! calls it once built and after each proof (a few milliseconds). No crate exposes it
//! safely, hence this module's `unsafe`.

/// Releases the allocator's free pages to the system; whether any were released. A no-op
/// (false) off glibc, whose allocators return memory by themselves or have no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_pages() -> bool {
    #[expect(unsafe_code, reason = "glibc's malloc_trim has no safe binding")]
    // SAFETY: `malloc_trim` takes no pointer and touches only the allocator's own free
    // lists, under the same arena locks as every other allocation call.
    let released = unsafe { libc::malloc_trim(0) };
    released == 1
}

/// Releases the allocator's free pages to the system; a no-op off glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_pages() -> bool {
    false
}
