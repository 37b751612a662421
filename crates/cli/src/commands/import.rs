use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ingest::{parse_file, rejected_lines, FileFormat, ParseOptions};
use store::Store;

use crate::args::ImportArgs;
use crate::EXIT_REJECTED;

/// Counts of one import, printed and recorded.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    pub file: String,
    pub kind: String,
    pub format: String,
    pub encoding: Option<String>,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected_rows: usize,
    pub warnings: usize,
    pub written: bool,
    pub seconds: f64,
}

pub async fn run(store: &Store, args: &ImportArgs) -> anyhow::Result<u8> {
    let all = super::issuer(store)?.demands_everything();
    let summary = import_file(store, args, false, &all).await?;
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(if summary.rejected_rows > 0 {
        EXIT_REJECTED
    } else {
        0
    })
}

/// Imports one file; `quiet` suppresses the human summary (the demo prints its own). `all` is the
/// command line's pass to every demand (new demands of any level go on their chain nodes).
pub async fn import_file(
    store: &Store,
    args: &ImportArgs,
    quiet: bool,
    all: &store::DemandPass,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let file_label = args.file.display().to_string();
    let opts = ParseOptions {
        format: args
            .format
            .as_deref()
            .map(FileFormat::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        sheet: args.sheet.clone(),
        default_source: Some(args.source.clone().unwrap_or_else(|| {
            args.file
                .file_name()
                .map_or_else(|| file_label.clone(), |n| n.to_string_lossy().into_owned())
        })),
        default_licence: args.licence.clone(),
        limits: ingest::Limits::default(),
    };
    let parsed = parse_file(&args.file, args.kind, &opts)?;
    let mut summary = Summary {
        file: file_label.clone(),
        kind: args.kind.to_string(),
        format: format!("{:?}", parsed.format.expect("set by parse_file")).to_lowercase(),
        encoding: parsed.encoding.map(|e| e.name().to_string()),
        rows: parsed.accepted.len() + rejected_lines(&parsed.rejected),
        rejected_rows: rejected_lines(&parsed.rejected),
        warnings: parsed.warnings.len(),
        ..Default::default()
    };

    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    const SHOWN: usize = 50;
    for r in parsed.rejected.iter().take(SHOWN) {
        eprintln!("rejected: {r}");
    }
    if parsed.rejected.len() > SHOWN {
        eprintln!(
            "… and {} more problems{}",
            parsed.rejected.len() - SHOWN,
            if args.report.is_some() {
                " (all in the report)"
            } else {
                "; pass --report FILE for all of them"
            }
        );
    }
    if let Some(report) = &args.report {
        ingest::write_report_csv(report, &parsed.rejected)
            .with_context(|| format!("cannot write the report {}", report.display()))?;
    }

    let hold_back = args.dry_run || (args.all_or_nothing && !parsed.rejected.is_empty());
    if !hold_back && !parsed.accepted.is_empty() {
        let records: Vec<model::Record> = parsed.accepted.into_iter().map(|a| a.record).collect();
        let batch = if args.all_or_nothing {
            records.len()
        } else {
            args.batch_size.max(1)
        };
        let bar = ProgressBar::new(records.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows, {per_sec}, eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(format!("importing {}", args.kind.plural()));
        if records.len() < 2000 || quiet {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let job = engine::import::ImportJob {
            kind: args.kind,
            file: &file_label,
            file_sha256: &parsed.sha256,
            rejected_rows: summary.rejected_rows,
            actor: "cli:import",
            batch,
        };
        let written =
            engine::import::write_records(store, &job, &records, |n| bar.inc(n as u64)).await?;
        bar.finish_and_clear();
        summary.inserted = written.inserted;
        summary.updated = written.updated;
        summary.unchanged = written.unchanged;
        summary.written = true;
    }
    if summary.written && (summary.inserted + summary.updated) > 0 {
        let data_dir = args.index_dir.clone();
        if let Some(dir) = data_dir {
            let n = super::reindex::sync(store, &dir).await?;
            tracing::info!(changes = n, "lexical index brought up to date");
        }
        // New and changed records go on their chain nodes now (rules and cached vectors).
        let taxonomy = crate::config::taxonomy_dir();
        let map = engine::chains::ChainMap::open(taxonomy.as_deref())?.with_demands(all.clone());
        let run = engine::chains::sync_assignments(store, &map, None, false).await?;
        tracing::info!(
            records = run.records,
            assignments = run.assignments,
            full = run.full,
            "chain nodes assigned"
        );
    }
    summary.seconds = started.elapsed().as_secs_f64();

    if !quiet && !args.json {
        let enc = summary
            .encoding
            .as_deref()
            .map(|e| format!(", {e}"))
            .unwrap_or_default();
        println!(
            "{}: {} rows ({}{}): {} new, {} updated, {} unchanged, {} rejected in {:.2}s",
            file_label,
            summary.rows,
            summary.format,
            enc,
            summary.inserted,
            summary.updated,
            summary.unchanged,
            summary.rejected_rows,
            summary.seconds
        );
        if args.dry_run {
            println!("dry run: nothing was written");
        } else if hold_back {
            println!(
                "--all-or-nothing: {} rows rejected, so nothing was imported; fix them and run again",
                summary.rejected_rows
            );
        }
    }
    Ok(summary)
}
