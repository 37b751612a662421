//! `shuanglian`: the command-line face of the platform.

mod account_args;
mod args;
mod commands;
mod config;
mod deal_args;
mod domain_args;
mod kind_arg;
mod pilot_args;
mod table;

use std::process::ExitCode;

use clap::Parser;

/// Indexing and analysis allocate many short strings across threads; mimalloc handles that pattern
/// faster than the system allocator (BENCHMARKS.md, lexical index build).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status when a run finished but some input rows were rejected.
pub const EXIT_REJECTED: u8 = 3;

/// Turns transparent huge pages off for this process. The CLI's work (indexing, analysis, encoding)
/// touches many fresh allocator pages once; with THP every first touch zeroes 2 MB, and after another
/// process has churned memory that zeroing doubled the CPU time of a SciFact index build (0.20 s → 0.13 s
/// without it; BENCHMARKS.md). The flag applies to page faults from now on, whatever is already mapped.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn disable_transparent_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) only sets a flag on this process's memory descriptor; it reads
    // and writes no memory of ours. A failure (old kernel) leaves THP as it was, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn disable_transparent_huge_pages() {}

/// Restores the default SIGPIPE action, as command-line tools have it: `shuanglian search 电池 |
/// head -1` then ends quietly when `head` closes the pipe, instead of panicking in `println!`
/// (Rust ignores SIGPIPE by default, so a closed pipe becomes a write error).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL touches no memory of ours; the process has
    // no other threads yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(target_os = "linux"))]
fn quiet_on_closed_pipe() {}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    quiet_on_closed_pipe();
    let cli = args::Cli::parse();
    init_logging(cli.global.verbose, &cli.global.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(verbose: u8, format: &str) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(config::LOG_FILTER_VAR)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
