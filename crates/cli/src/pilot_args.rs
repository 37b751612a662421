//! Arguments of the chain 实验室—中试线—生产线: `platforms` (the resource library, bookings'
//! utilisation) and, later in the file, PoC seeds, IP filings and the conversion path.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PlatformsCommand {
    /// Import platforms (and their equipment) from CSV or one XLSX workbook with sheets 平台 and 设备
    /// (templates: data/import/platforms-template.csv, equipment-template.csv). Good rows are kept;
    /// each bad row is named with file, line, column and fix (exit status 3).
    Import {
        /// The platforms file (.csv, .xlsx).
        file: PathBuf,
        /// The equipment file, when the platforms file is a CSV.
        #[arg(long)]
        equipment: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Search the library: words and typed capability filters, Chongqing first.
    Search {
        /// Words (Chinese or English).
        #[arg(default_value = "")]
        q: String,
        /// A typed filter, e.g. `最高温度>=300°C` (repeat for more; one machine must meet all).
        #[arg(long = "filter")]
        filters: Vec<String>,
        /// A required qualification (repeat): CNAS, CMA, GMP …
        #[arg(long = "qualification")]
        qualifications: Vec<String>,
        /// TRL span to cover, e.g. `5-7`.
        #[arg(long)]
        trl: Option<String>,
        /// local, alliance or all.
        #[arg(long, default_value = "all")]
        scope: String,
        #[arg(long)]
        json: bool,
    },
    /// One platform with its equipment.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// A platform's utilisation in a month (booked hours / bookable hours) and its queue.
    Utilisation {
        id: i64,
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PocCommand {
    /// The PoC seed list: outcomes in the TRL band scored by IP, local market pull, chain priority
    /// and team (data/rules/poc.toml), best first.
    Seeds {
        /// TRL band, e.g. `3-5` (default: the rules').
        #[arg(long)]
        trl: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Write the list as XLSX.
        #[arg(long)]
        export: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        encoder: crate::args::EncoderArgs,
    },
}

/// `shuanglian path OUTCOME_ID`.
#[derive(Debug, clap::Args)]
pub struct PathArgs {
    pub outcome: i64,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub encoder: crate::args::EncoderArgs,
}
