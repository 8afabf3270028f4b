fn main() {
    std::process::exit(vippl::cli::main());
}
