fn main() -> std::process::ExitCode {
    hsm::main()
}
