fn main() -> std::process::ExitCode {
    tune_malloc();
    hsm::main()
}

/// Make glibc's malloc keep what it has instead of handing memory back to the system and
/// faulting it in again. By default it trims the heap's top once 128 KiB are free, grows
/// the heap by 128 KiB at a time, and serves blocks over its (dynamic) mmap threshold with
/// their own mmap each: at 10k–100k registry components, a solve or lint spends much of
/// its time in page faults, trims and `malloc_consolidate` (measured on the development
/// machine: a 10k implication chain resolves in 651 ms instead of 894 ms, a 100k one in
/// about 6 s instead of 8 s; docs/decisions.md, "Speed at scale"). Setting the
/// three parameters costs nothing at start-up, unlike another allocator (mimalloc added
/// 1 ms to every run), and the memory a short-lived CLI keeps is returned when it exits.
/// Only the binary does this: a program that links the library keeps its own settings.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_malloc() {
    const TRIM_THRESHOLD: libc::c_int = 256 << 20;
    const TOP_PAD: libc::c_int = 64 << 20;
    const MMAP_THRESHOLD: libc::c_int = 32 << 20;
    // SAFETY: mallopt only sets allocator parameters, and runs before any other thread
    // exists; a parameter it refuses (returns 0) leaves glibc's default, which is fine.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
