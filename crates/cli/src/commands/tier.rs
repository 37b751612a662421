//! `shuanglian tier evaluate`: enterprise profiles against the tier schemes of `data/rules`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use rules::{evaluate, AssessorInputs, Outcome, Profile, Scheme, SchemeResult};

use crate::args::TierCommand;
use crate::EXIT_REJECTED;

/// The cultivation ladders, lowest tier first: the next tier not yet reached is the path shown.
const LADDERS: [&[&str]; 2] = [
    &["tech_sme", "hte"],
    &["innovative_sme", "zjtx_sme", "little_giant"],
];

pub fn run(command: TierCommand) -> anyhow::Result<u8> {
    match command {
        TierCommand::Evaluate {
            file,
            scheme,
            as_of,
            assessor,
            json,
        } => evaluate_file(&file, &scheme, as_of.as_deref(), assessor.as_deref(), json),
    }
}

/// Profiles from a JSON array or JSONL; a bad one is reported with its place and skipped.
fn read_profiles(file: &Path) -> anyhow::Result<(Vec<Profile>, Vec<String>)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.display().to_string();
    let mut good = vec![];
    let mut bad = vec![];
    let take =
        |place: String, v: serde_json::Value, good: &mut Vec<Profile>, bad: &mut Vec<String>| {
            match serde_json::from_value::<Profile>(v) {
                Ok(p) => {
                    let problems = p.check();
                    if problems.is_empty() {
                        good.push(p);
                    } else {
                        for pr in problems {
                            bad.push(format!("{name}: {place}: {pr}"));
                        }
                    }
                }
                Err(e) => bad.push(format!(
                    "{name}: {place}: {e} (fix: see docs/data-formats.md, enterprise profiles)"
                )),
            }
        };
    if text.trim_start().starts_with('[') {
        let all: Vec<serde_json::Value> =
            serde_json::from_str(&text).with_context(|| format!("{name}: not a JSON array"))?;
        for (i, v) in all.into_iter().enumerate() {
            take(format!("item {}", i + 1), v, &mut good, &mut bad);
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(v) => take(format!("line {}", i + 1), v, &mut good, &mut bad),
                Err(e) => bad.push(format!("{name}: line {}: {e}", i + 1)),
            }
        }
    }
    Ok((good, bad))
}

/// Assessor inputs: one object for everyone, or one per USCC.
fn read_inputs(
    file: Option<&Path>,
) -> anyhow::Result<(AssessorInputs, HashMap<String, AssessorInputs>)> {
    let Some(file) = file else {
        return Ok((AssessorInputs::new(), HashMap::new()));
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("{}: a JSON object of assessor inputs", file.display()))?;
    let mut common = AssessorInputs::new();
    let mut per = HashMap::new();
    for (k, val) in v {
        match val {
            serde_json::Value::Number(n) => {
                common.insert(k, n.as_f64().unwrap_or(0.0));
            }
            serde_json::Value::Bool(b) => {
                common.insert(k, if b { 1.0 } else { 0.0 });
            }
            serde_json::Value::Object(o) => {
                let mut m = AssessorInputs::new();
                for (ik, iv) in o {
                    let x = match iv {
                        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
                        serde_json::Value::Bool(b) => f64::from(u8::from(b)),
                        other => bail!(
                            "{}: {k}.{ik} = {other}: give a number or true/false",
                            file.display()
                        ),
                    };
                    m.insert(ik, x);
                }
                per.insert(k, m);
            }
            other => bail!(
                "{}: {k} = {other}: give a number, true/false, or an object per USCC",
                file.display()
            ),
        }
    }
    Ok((common, per))
}

fn label(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "通过 pass",
        Outcome::Fail => "未通过 fail",
        Outcome::Unknown => "待定 unknown",
    }
}

fn evaluate_file(
    file: &Path,
    only: &[String],
    as_of: Option<&str>,
    assessor: Option<&Path>,
    json: bool,
) -> anyhow::Result<u8> {
    let date = match as_of {
        None => chrono::Local::now().date_naive(),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("--as-of {s}: write a date as YYYY-MM-DD"))?,
    };
    let all: Vec<Scheme> = rules::load_shipped().map_err(|p| {
        anyhow::anyhow!(
            "the rule tables are not valid:\n{}",
            p.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    for s in only {
        if !all.iter().any(|x| &x.scheme == s) {
            bail!(
                "unknown scheme '{s}': use {}",
                all.iter()
                    .map(|x| x.scheme.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let chosen: Vec<&Scheme> = all
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.scheme))
        .collect();
    let (profiles, bad) = read_profiles(file)?;
    let (common, per) = read_inputs(assessor)?;
    let mut out = vec![];
    for p in &profiles {
        let mut inputs = common.clone();
        if let Some(m) = per.get(&p.uscc) {
            inputs.extend(m.clone());
        }
        let results: Vec<SchemeResult> = chosen
            .iter()
            .map(|s| evaluate(s, &all, p, date, &inputs))
            .collect();
        out.push((p, results));
    }
    if json {
        let v: Vec<serde_json::Value> = out
            .iter()
            .map(|(p, r)| serde_json::json!({"uscc": p.uscc, "name": p.name, "as_of": date.to_string(), "schemes": r}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for (p, results) in &out {
            println!("{} {} (as of {date})", p.uscc, p.name);
            for r in results {
                let score = match (r.score, r.score_range) {
                    (Some(s), _) => format!(", score {s}"),
                    (None, Some((lo, hi))) => format!(", score {lo}–{hi} (unknown parts)"),
                    _ => String::new(),
                };
                let direct = r
                    .direct_pass
                    .as_deref()
                    .map(|d| format!(", direct route {d}"))
                    .unwrap_or_default();
                println!("  {:<15} {}{score}{direct}", r.scheme, label(r.result));
            }
            // The next tier on each ladder and what it misses.
            for ladder in LADDERS {
                let next = ladder.iter().find_map(|code| {
                    results
                        .iter()
                        .find(|r| &r.scheme == code)
                        .filter(|r| r.result != Outcome::Pass)
                });
                if let Some(r) = next {
                    println!("  next: {} — {}", r.scheme, label(r.result));
                    for c in r
                        .criteria
                        .iter()
                        .filter(|c| c.result != Outcome::Pass || c.gap.is_some())
                    {
                        if let Some(g) = &c.gap {
                            println!("    · {} {}: {g}", c.kind, c.id);
                        }
                    }
                }
            }
        }
    }
    for b in &bad {
        eprintln!("{b}");
    }
    Ok(if bad.is_empty() { 0 } else { EXIT_REJECTED })
}
