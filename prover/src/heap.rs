//! Gives the operating system back the heap the prover freed.
//!
//! A prover is built once (the circuit synthesised for its matrices, the key taken apart
//! query by query) and then proves for as long as the process lives. glibc's allocator keeps
//! what is freed resident: it returns memory only from the top of each arena, and blocks
//! below 32 MB (its dynamic mmap threshold) are served from the arenas. So the build left
//! hundreds of MB resident for the prover's life (the 8-slot proving process held 592 MB,
//! where the prover needs about 210), and each proof's vectors stayed behind for the next proof to
//! fragment. `malloc_trim(0)` releases every whole free page of every arena; the prover
//! calls it once built and after each proof (a few milliseconds).
//!
//! Even trimmed, the arenas held the prover's large vectors among partly used pages: at 32
//! slots 389 MB in use sat in 444 to 600 MB resident, varying from run to run with how the
//! build's allocations interleaved. So the `verity` command (first thing) and the prover
//! (before it builds) fix glibc's mmap threshold at [`LARGE_BLOCK`]: every larger block (the key's queries, the matrices,
//! each proof's vectors) is a mapping of its own, returned whole when freed, and the arenas
//! keep only small blocks. At 32 slots the rest level fell to 392 MB and a proof's peak to
//! about 530 MB. No crate exposes these calls safely, hence this module's `unsafe`.

/// Blocks from this size up get mappings of their own (glibc's `M_MMAP_THRESHOLD`).
pub const LARGE_BLOCK: i32 = 1 << 20;

/// Has every block of [`LARGE_BLOCK`] bytes or more allocated as a mapping of its own from
/// now on, for the whole process (glibc's dynamic threshold, which grows up to 32 MB, is
/// turned off); whether glibc took the setting. A no-op (false) off glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn map_large_blocks() -> bool {
    #[expect(unsafe_code, reason = "glibc's mallopt has no safe binding")]
    // SAFETY: `mallopt` takes two integers and changes a setting the allocator reads under
    // its own lock.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK) };
    set == 1
}

/// Has large blocks mapped on their own; a no-op off glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn map_large_blocks() -> bool {
    false
}

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
