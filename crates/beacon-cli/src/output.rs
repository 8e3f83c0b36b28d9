//! Standard output for people and pipes. A reader that goes away early
//! (`beacon queue | head -1`) is not an error: Beacon stops printing and
//! exits quietly, as other command-line tools do, instead of panicking.

use std::io::{ErrorKind, Write};

/// Print one line to standard output (the `say!` macro).
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.write_all(b"\n")) {
        finish_on_write_error(&e);
    }
}

/// Whether `err` is standard output closed by its reader.
pub fn is_closed_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                .is_some_and(|kind| kind == ErrorKind::BrokenPipe)
    })
}

fn finish_on_write_error(e: &std::io::Error) {
    if e.kind() == ErrorKind::BrokenPipe {
        // Everything the command changed is committed before it prints.
        std::process::exit(0);
    }
    eprintln!("error: could not write to standard output ({})", e.kind());
    std::process::exit(1);
}

/// `println!` that stops quietly when standard output is closed.
macro_rules! say {
    () => { $crate::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}
pub(crate) use say;
