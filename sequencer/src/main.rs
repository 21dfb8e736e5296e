//! The `verity` command.

fn main() -> anyhow::Result<()> {
    verity_sequencer::cli::run()
}
