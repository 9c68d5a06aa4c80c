fn main() -> std::process::ExitCode {
    hsm::cli::main()
}
