//! The arguments of the evaluation engines' commands: `credit`, `tier` and `chain`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::EncoderArgs;

#[derive(Debug, Subcommand)]
pub enum CreditCommand {
    /// Score enterprise profiles: stage, factor points, grade A–E, credit line and reason codes.
    /// Tiers the profile passes on the rule tables count as held. Each score is stored with its
    /// inputs and the card's version and fingerprint (unless --no-store).
    Score {
        /// The profiles (JSON, JSONL, CSV, TSV or XLSX); omit to score the stored ones.
        file: Option<PathBuf>,
        /// Only these enterprises (repeatable).
        #[arg(long)]
        uscc: Vec<String>,
        /// Score as on this date (YYYY-MM-DD; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Another scorecard TOML (default the shipped data/credit/scorecard.toml).
        #[arg(long)]
        card: Option<PathBuf>,
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        sheet: Option<String>,
        /// Do not store the evaluations.
        #[arg(long)]
        no_store: bool,
        #[arg(long)]
        json: bool,
    },
    /// A stored evaluation with its inputs, and whether re-running it gives the same result.
    Show {
        id: i64,
        #[arg(long)]
        card: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Fit a WoE logistic scorecard on labelled loan outcomes (CSV: feature columns and `default`
    /// 0/1) and report AUC and KS on a stratified held-out part.
    Fit {
        file: PathBuf,
        /// Share held out for the report (0–0.9).
        #[arg(long, default_value_t = 0.3)]
        holdout: f64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Quantile bins per feature.
        #[arg(long, default_value_t = 5)]
        bins: usize,
        #[arg(long)]
        json: bool,
    },
    /// Write SYNTHETIC labelled loans drawn from a known model (docs/credit.md) as CSV.
    Synth {
        #[arg(long, default_value_t = 10_000)]
        n: usize,
        #[arg(long, default_value_t = 11)]
        seed: u64,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Simulate a loan book (CSV: id, principal, annual_rate, term_months[, start_month, grade, pd,
    /// default_month]): losses of the risk fund and the bank under the sharing rule and a breaker.
    Simulate {
        file: PathBuf,
        /// The fund's share of defaulted principal (Chongqing: 0.8).
        #[arg(long, default_value_t = 0.8)]
        fund_share: f64,
        /// The fund's size in yuan (needed for --payout-cap).
        #[arg(long)]
        fund_size: Option<f64>,
        /// Breaker: stop compensating once paid-out reaches this share of the fund size.
        #[arg(long)]
        payout_cap: Option<f64>,
        /// Breaker: trip when defaulted principal exceeds this share of principal lent so far.
        #[arg(long)]
        default_ratio_cap: Option<f64>,
        /// Once tripped, loans starting later are not made.
        #[arg(long)]
        stop_new_lending: bool,
        /// Draw defaults (Monte Carlo, from each loan's pd or its grade's) this many times instead
        /// of using the book's default_month column.
        #[arg(long)]
        runs: Option<usize>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TierCommand {
    /// Evaluate enterprise profiles against every scheme, or those named: per criterion the value,
    /// threshold, points, result and gap, and the next tier on each ladder. Profiles come from FILE
    /// (JSON, JSONL, CSV, TSV or XLSX; see docs/data-formats.md) or, without FILE, from the store.
    Evaluate {
        /// The profiles; omit to evaluate the stored ones (`tier import`, the demo).
        file: Option<PathBuf>,
        /// Only these enterprises (repeatable).
        #[arg(long)]
        uscc: Vec<String>,
        /// Only these schemes (repeatable): tech_sme, hte, innovative_sme, zjtx_sme, little_giant.
        #[arg(long)]
        scheme: Vec<String>,
        /// Evaluate as on this date (YYYY-MM-DD; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Assessor inputs: a JSON object {"key": value} for all, or {"USCC": {"key": value}}.
        #[arg(long)]
        assessor: Option<PathBuf>,
        /// The file's format when its extension does not say: json, csv, tsv or xlsx.
        #[arg(long)]
        format: Option<String>,
        /// The XLSX sheet (default the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Print JSON: [{ "uscc", "schemes": [{ "scheme", "result", "score", "criteria": [...] }], "next": [...] }].
        #[arg(long)]
        json: bool,
    },
    /// Store enterprise profiles (replacing those with the same USCC); bad enterprises are reported
    /// by file, line and column and left out, the others are stored.
    Import {
        file: PathBuf,
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Record an assessor's judgments for a stored enterprise (criteria the data cannot hold, keyed
    /// by the `assessor` names of data/rules): evaluations of the stored profile then read them.
    /// Without --set or --clear, prints what is stored.
    Assess {
        uscc: String,
        /// KEY=VALUE: points, or yes / no (repeatable); added to what is stored.
        #[arg(long)]
        set: Vec<String>,
        /// Forget the stored judgments first.
        #[arg(long)]
        clear: bool,
        #[arg(long)]
        json: bool,
    },
    /// Counts per cluster and district: tiers held, qualifying on the data, unknown, next step.
    Funnel {
        #[arg(long)]
        as_of: Option<String>,
        /// Only this cluster (code, e.g. ICV-NEV).
        #[arg(long)]
        cluster: Option<String>,
        /// Only this district (e.g. 渝北区).
        #[arg(long)]
        district: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// The clusters with their memberships, or one cluster's chains and nodes.
    List {
        /// A cluster code (ICV-NEV, EIM, AM…); without it, every cluster.
        cluster: Option<String>,
        #[command(flatten)]
        map: ChainMapArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check taxonomy files and print every problem (exit 1 when there is one).
    Validate {
        /// A directory holding taxonomy.toml and clusters/*.toml (default: the shipped taxonomy).
        dir: Option<PathBuf>,
    },
    /// Assign records to chain nodes now (runs by itself on import, serve and demo).
    Assign {
        /// Reassign every record, not only those changed since the last run.
        #[arg(long)]
        full: bool,
        /// Rules only: do not load the encoder for semantic similarity.
        #[arg(long)]
        lexical_only: bool,
        #[command(flatten)]
        map: ChainMapArgs,
        #[command(flatten)]
        encoder: EncoderArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Gap analysis: per node, local enterprises, innovation supply and open needs, with the status
    /// (强链 strong / 弱链 weak / 缺链 missing), the bottleneck flag, the reasons and the
    /// key-technology ranking.
    Gaps {
        /// A cluster code; without it, every cluster.
        cluster: Option<String>,
        #[command(flatten)]
        scope: ChainScopeArgs,
        #[command(flatten)]
        map: ChainMapArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What could fill a node: outcomes, experts, labs and pilot platforms, local first, explained.
    Fillers {
        /// A node code, e.g. ICV-NEV.bms (`chain list CLUSTER` shows them).
        node: String,
        #[command(flatten)]
        scope: ChainScopeArgs,
        /// How many of each kind (1–100).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
        limit: u16,
        #[command(flatten)]
        map: ChainMapArgs,
        /// Do not use the encoder for the search part.
        #[arg(long)]
        lexical_only: bool,
        #[command(flatten)]
        encoder: EncoderArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put a record on a node, or keep it off, by hand; the decision wins over every rule.
    Override {
        /// organization, person, outcome or demand.
        kind: String,
        /// The record's id.
        id: i64,
        /// The node code.
        node: String,
        /// add, remove, or clear (drop an earlier decision).
        #[arg(long, default_value = "add")]
        action: String,
        /// Why (kept with the decision).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        map: ChainMapArgs,
    },
    /// Assignment precision and recall on a labelled sample (the demo sample by default).
    EvalAssign {
        /// CSV with columns split, kind, key, nodes (see data/chains/labels/README.md).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// dev (used to tune the weights), test (reported) or all.
        #[arg(long, default_value = "test")]
        split: String,
        #[command(flatten)]
        map: ChainMapArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// Which taxonomy and rules.
#[derive(Debug, Args, Clone)]
pub struct ChainMapArgs {
    /// An edited taxonomy directory (taxonomy.toml, clusters/, optional gaps.toml and
    /// assignment.toml) instead of the shipped one.
    #[arg(long, env = "SHUANGLIAN_TAXONOMY")]
    pub taxonomy: Option<PathBuf>,
}

/// The region and date of a gap analysis.
#[derive(Debug, Args, Clone)]
pub struct ChainScopeArgs {
    /// The region that counts as local (name, alias or code; default 重庆市).
    #[arg(long)]
    pub region: Option<String>,
    /// Needs open on this date count as demand pressure (YYYY-MM-DD; default today).
    #[arg(long)]
    pub as_of: Option<String>,
}
