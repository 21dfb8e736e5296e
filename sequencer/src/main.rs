//! The `verity` command.

use std::process::ExitCode;

fn main() -> ExitCode {
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
