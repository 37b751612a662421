//! Arguments of the engagement commands: `engagement`, `contracts`, `labels`, `nda`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum EngagementCommand {
    /// Every engagement (the command line reads as an operator), most recently moved first.
    List {
        /// Only this stage: interest, introduced, nda_signed, evaluation, negotiation, contracted,
        /// follow_up, closed_lost, withdrawn.
        #[arg(long)]
        stage: Option<String>,
        /// At most this many (1–5000).
        #[arg(long, default_value_t = 200)]
        limit: i64,
        /// Print JSON (one array).
        #[arg(long)]
        json: bool,
    },
    /// One engagement with its timeline (and whether its hash chain is whole).
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Remind the awaited side of engagements idle for the reminder period (the server does this
    /// every minute; run it from cron where no server runs).
    Remind,
}

#[derive(Debug, Subcommand)]
pub enum ContractsCommand {
    /// Every technology contract as XLSX or CSV (by the file's extension).
    Export {
        /// Where to write: contracts.xlsx or contracts.csv.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabelsCommand {
    /// The relevance labels engagements left (contracted 3, evaluation/negotiation 2, introduced 1,
    /// closed as not relevant 0), for tuning and evaluating the matching engine.
    Export {
        /// `qrels` (BEIR: query-id, corpus-id, score; a header line) or `jsonl`.
        #[arg(long, default_value = "qrels")]
        format: String,
        /// Also the labels of registered-only and NDA-only needs (an operator's export: handle it
        /// as confidential).
        #[arg(long)]
        include_confidential: bool,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum NdaCommand {
    /// The signatures on a need's NDA: organization, signer, time, text version and SHA-256.
    Signatures { demand: i64 },
    /// Revoke a signature: the organization no longer reads the need (audited).
    Revoke { signature: i64 },
    /// Set a need's own NDA text (a new version; later signatures name it), from a UTF-8 file; or
    /// the platform default with --default.
    Text {
        /// The need (omit with --default).
        demand: Option<i64>,
        #[arg(long)]
        default: bool,
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit log's hash chain from its first row; name the first row that does not verify
    /// (exit status 4) and print the head hash to keep elsewhere.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RankCommand {
    /// Learn from the relevance labels engagements left: split the labelled needs by time, fit the
    /// lexical/dense weights and the not-relevant weight on the earlier part, and report nDCG@10 on
    /// the held-out part with and without what was learnt.
    Fit(RankFitArgs),
}

#[derive(Debug, Args)]
pub struct RankFitArgs {
    /// Labels as `shuanglian labels export --format jsonl` (or `gen --history`) writes them.
    #[arg(long)]
    pub labels: PathBuf,
    /// Share of the labelled needs held out: those first labelled last.
    #[arg(long, default_value_t = 0.3)]
    pub holdout: f64,
    /// Ranking configuration to start from (default: DATA_DIR/config/ranking.toml, else built in).
    #[arg(long)]
    pub ranking: Option<PathBuf>,
    /// Write the fitted ranking configuration here.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Do not use the encoder.
    #[arg(long)]
    pub lexical_only: bool,
    #[command(flatten)]
    pub encoder: crate::args::EncoderArgs,
    /// One JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}
