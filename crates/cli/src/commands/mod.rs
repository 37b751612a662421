mod accounts;
mod bench;
mod chain;
mod chain_eval;
mod credit;
mod deals;
mod demo;
mod demo_challenges;
mod demo_deals;
mod demo_pilot;
mod encode;
mod english;
mod eval;
mod export;
mod fetch_model;
mod gen;
mod gen_history;
mod import;
mod matching;
mod pilot;
mod rank_fit;
mod reindex;
mod serve;
mod tier;
mod vector_cache;

use std::path::PathBuf;

use anyhow::{bail, Context};
use store::{Store, Target};

use crate::args::{Cli, Command, Global};

pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Init => {
            let store = open_store(&cli.global).await?;
            println!(
                "store ready: {} ({})",
                target(&cli.global)?,
                store.backend_name()
            );
            Ok(0)
        }
        Command::Import(mut args) => {
            let store = open_store(&cli.global).await?;
            args.index_dir = Some(data_dir(&cli.global));
            import::run(&store, &args).await
        }
        Command::Export(args) => {
            let store = open_existing_store(&cli.global).await?;
            export::run(&store, &args).await
        }
        Command::Stats { json } => {
            let store = open_existing_store(&cli.global).await?;
            // Which store answered, on stderr so `--json` output stays one document.
            eprintln!("store: {}", target(&cli.global)?);
            stats(&store, json).await?;
            Ok(0)
        }
        Command::Check => {
            let store = open_existing_store(&cli.global).await?;
            let problems = store.check_consistency().await?;
            for p in &problems {
                println!("problem: {p}");
            }
            if problems.is_empty() {
                println!("store is consistent: {}", store.backend_name());
                Ok(0)
            } else {
                Ok(1)
            }
        }
        Command::Eval(args) => eval::run(&args, &data_dir(&cli.global)),
        Command::Reindex(args) => {
            let store = open_store(&cli.global).await?;
            let dir = data_dir(&cli.global);
            let code = reindex::run(&store, &dir).await?;
            if args.dense {
                encode::embed_store(&store, &dir, &args.encoder).await?;
            }
            // The vector index is rebuilt whenever vectors exist (after --dense, or from an earlier run).
            if args.dense || engine::vector_path(&dir).exists() {
                let cfg = matching::ranking_config(&dir, None)?;
                let started = std::time::Instant::now();
                let (n, missing) = engine::indexing::rebuild_vectors(
                    &store,
                    &dir,
                    cfg.vector,
                    engine::embedder::DEFAULT_MODEL,
                )
                .await?;
                println!(
                    "vector index: {n} items in {:.2}s ({})",
                    started.elapsed().as_secs_f64(),
                    if missing == 0 {
                        "every searchable record has a vector".to_string()
                    } else {
                        format!("{missing} without a vector yet: run `shuanglian reindex --dense`")
                    }
                );
            }
            if args.dense {
                english::reindex(&store, &dir).await?;
            }
            Ok(code)
        }
        Command::Embed(args) => encode::embed(&data_dir(&cli.global), &args),
        Command::Model { command } => match command {
            crate::args::ModelCommand::Status { encoder, json } => {
                encode::status(&data_dir(&cli.global), &encoder, json)
            }
        },
        Command::Search(args) => {
            let store = open_existing_store(&cli.global).await?;
            reindex::search(&store, &data_dir(&cli.global), &args).await
        }
        Command::Match(args) => {
            let store = open_existing_store(&cli.global).await?;
            matching::match_need(&store, &data_dir(&cli.global), &args).await
        }
        Command::Adopters(args) => {
            let store = open_existing_store(&cli.global).await?;
            matching::adopters(&store, &data_dir(&cli.global), &args).await
        }
        Command::Gen(args) => gen::run(&cli.global, &args).await,
        Command::Bench { command } => match command {
            crate::args::BenchCommand::Ann(args) => bench::ann(&args, &data_dir(&cli.global)),
            crate::args::BenchCommand::Match(args) => {
                bench::match_latency(&args, &data_dir(&cli.global))
            }
        },
        Command::Demo(args) => demo::run(&cli.global, &args).await,
        Command::Serve(args) => serve::run(&cli.global, &args).await,
        Command::Chain { command } => chain::run(&cli.global, command).await,
        Command::Tier { command } => tier::run(&cli.global, command).await,
        Command::Credit { command } => credit::run(&cli.global, command).await,
        Command::User { command } => accounts::user(&cli.global, command).await,
        Command::Grant { command } => accounts::grant(&cli.global, command).await,
        Command::Engagement { command } => deals::engagement(&cli.global, command).await,
        Command::Contracts { command } => deals::contracts(&cli.global, command).await,
        Command::Platforms { command } => pilot::platforms(&cli.global, command).await,
        Command::Poc { command } => pilot::poc(&cli.global, command).await,
        Command::Path(args) => pilot::path(&cli.global, &args).await,
        Command::Rank { command } => match command {
            crate::deal_args::RankCommand::Fit(args) => rank_fit::fit(&cli.global, &args).await,
        },
        Command::Labels { command } => deals::labels(&cli.global, command).await,
        Command::Nda { command } => deals::nda(&cli.global, command).await,
        Command::Audit { command } => deals::audit(&cli.global, command).await,
    }
}

pub fn data_dir(global: &Global) -> PathBuf {
    global
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("shuanglian-data"))
}

fn target(global: &Global) -> anyhow::Result<Target> {
    Target::resolve(&data_dir(global), global.database_url.as_deref()).map_err(anyhow::Error::msg)
}

async fn open_store(global: &Global) -> anyhow::Result<Store> {
    let t = target(global)?;
    open_target(&t).await
}

/// The store a reading command reads: one that exists. A SQLite file that is not there is an
/// error naming where it was looked for — never a fresh empty store that answers "0 records".
async fn open_existing_store(global: &Global) -> anyhow::Result<Store> {
    let t = target(global)?;
    if let Target::Sqlite(path) = &t {
        if !path.exists() {
            bail!(
                "no store at {} (fix: give --data-dir DIR of an existing store, run `shuanglian import` \
                 to create one, or `shuanglian demo` for the demo data)",
                path.display()
            );
        }
    }
    open_target(&t).await
}

/// The store's pass issuer (see `store::pass`): the command line is the operator's tool on the host,
/// so it reads every enterprise's profile, judgments and credit evaluations.
fn issuer(store: &Store) -> anyhow::Result<store::PassIssuer> {
    store
        .take_issuer()
        .context("the store's pass issuer was already taken in this command")
}

async fn open_target(t: &Target) -> anyhow::Result<Store> {
    Store::open(t)
        .await
        .with_context(|| format!("opening the store {t}"))
}

pub async fn stats(store: &Store, json: bool) -> anyhow::Result<()> {
    let counts = store.counts().await?;
    if json {
        println!("{}", serde_json::to_string(&counts)?);
        return Ok(());
    }
    for kind in model::RecordKind::ALL {
        let by = store.counts_by(kind).await?;
        let detail: Vec<String> = by.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!(
            "{:<14} {:>8}   {}",
            kind.plural(),
            counts.get(kind),
            detail.join(", ")
        );
    }
    Ok(())
}
