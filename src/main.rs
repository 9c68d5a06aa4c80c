/// mimalloc (its v2 line, without transparent huge pages) instead of the system's
/// allocator. A registry-wide lint at 100k components spends a third of its time in
/// glibc's malloc and free (the workers load and free about 60 small blocks per file, and
/// glibc sorts freed blocks back into shared bins under a lock); with mimalloc it takes
/// about 4.8 s instead of 7.2 s. Its v3 line, and v2 with huge pages, cost about 1 ms at
/// every start, in faulting in and zeroing a 2 MiB page; this build's start-up cost is
/// within this machine's noise (docs/decisions.md, "Speed at scale"). Only the binary
/// chooses it: a program that links the library keeps its own allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hsm::main()
}
