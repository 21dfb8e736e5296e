//! The `verity` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything large is allocated, so that the prover's vectors never share the
    // heap's pages (see `verity_prover::heap`).
    verity_prover::heap::map_large_blocks();
    match verity_sequencer::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever read the output stopped reading (`verity … | head`): nothing is left to say.
        Err(error) if verity_sequencer::cli::is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:?}");
            ExitCode::FAILURE
        }
    }
}
