//! `shuanglian tier`: enterprise profiles against the tier schemes of `data/rules` — evaluate files or
//! stored profiles, import profiles, and the funnel per cluster and district.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use engine::tiers::{self, Rulebook};
use rules::{AssessorInputs, EnterpriseEvaluation, Outcome, Profile};

use crate::args::{Global, TierCommand};
use crate::EXIT_REJECTED;

pub async fn run(global: &Global, command: TierCommand) -> anyhow::Result<u8> {
    match command {
        TierCommand::Evaluate {
            file,
            uscc,
            scheme,
            as_of,
            assessor,
            format,
            sheet,
            json,
        } => {
            let date = parse_as_of(as_of.as_deref())?;
            let book = Rulebook::shipped().map_err(anyhow::Error::msg)?;
            book.choose(&scheme)?;
            let (profiles, bad) = load_profiles(
                global,
                file.as_deref(),
                format.as_deref(),
                sheet.as_deref(),
                &uscc,
            )
            .await?;
            let (common, per) = read_inputs(assessor.as_deref())?;
            // Stored profiles bring their stored judgments; --assessor wins over them.
            let stored = if file.is_none() {
                let store = super::open_store(global).await?;
                let every = super::issuer(&store)?.every_profile();
                tiers::all_assessor_inputs(&store, &every).await?
            } else {
                HashMap::new()
            };
            let mut out = vec![];
            for p in &profiles {
                let mut inputs = stored.get(&p.uscc).cloned().unwrap_or_default();
                inputs.extend(common.clone());
                if let Some(m) = per.get(&p.uscc) {
                    inputs.extend(m.clone());
                }
                out.push(book.evaluate(p, &scheme, date, &inputs)?);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for e in &out {
                    print_evaluation(e);
                }
            }
            for b in &bad {
                eprintln!("{b}");
            }
            Ok(if bad.is_empty() { 0 } else { EXIT_REJECTED })
        }
        TierCommand::Import {
            file,
            format,
            sheet,
        } => {
            let (profiles, bad) = read_profiles(&file, format.as_deref(), sheet.as_deref())?;
            let store = super::open_store(global).await?;
            tiers::put_profiles(&store, &profiles, &file.display().to_string(), "cli").await?;
            println!(
                "{} profiles stored from {}, {} problems",
                profiles.len(),
                file.display(),
                bad.len()
            );
            for b in &bad {
                eprintln!("{b}");
            }
            Ok(if bad.is_empty() { 0 } else { EXIT_REJECTED })
        }
        TierCommand::Assess {
            uscc,
            set,
            clear,
            json,
        } => {
            let book = Rulebook::shipped().map_err(anyhow::Error::msg)?;
            let store = super::open_store(global).await?;
            let mut inputs: std::collections::BTreeMap<String, f64> = if clear {
                Default::default()
            } else {
                let pass = super::issuer(&store)?.profile(&uscc);
                tiers::assessor_inputs(&store, &pass)
                    .await?
                    .into_iter()
                    .collect()
            };
            for kv in &set {
                let Some((k, v)) = kv.split_once('=') else {
                    bail!("--set {kv}: write KEY=VALUE, e.g. tech_sme_resident_enterprise=1");
                };
                let v: f64 = match v.trim() {
                    "yes" | "true" | "是" => 1.0,
                    "no" | "false" | "否" => 0.0,
                    n => n
                        .parse()
                        .with_context(|| format!("--set {kv}: the value is points, or yes / no"))?,
                };
                inputs.insert(k.trim().to_string(), v);
            }
            if clear || !set.is_empty() {
                tiers::set_assessor_inputs(&store, &book, &uscc, &inputs, "cli").await?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&inputs)?);
            } else if inputs.is_empty() {
                println!("{uscc}: no assessor inputs stored");
            } else {
                for (k, v) in &inputs {
                    println!("{uscc} {k} = {v}");
                }
            }
            Ok(0)
        }
        TierCommand::Funnel {
            as_of,
            cluster,
            district,
            json,
        } => {
            let date = parse_as_of(as_of.as_deref())?;
            let book = Rulebook::shipped().map_err(anyhow::Error::msg)?;
            let store = super::open_store(global).await?;
            let every = super::issuer(&store)?.every_profile();
            let (cluster, district) = (cluster.as_deref(), district.as_deref());
            let f = tiers::funnel(&store, &every, &book, date, cluster, district).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&f)?);
                return Ok(0);
            }
            print_funnel(&f, &book);
            if !f.refused.is_empty() {
                println!(
                    "not evaluated (impossible values): {}",
                    f.refused.join(", ")
                );
            }
            Ok(0)
        }
    }
}

/// The funnel as one readable table per scheme, in ladder order: who holds it, who qualifies on
/// the data without holding it, who waits only on an assessor's judgment, who fails — per group.
fn print_funnel(f: &tiers::Funnel, book: &Rulebook) {
    use crate::table::{self, Align};
    println!("梯度培育漏斗 tier funnel, as of {}", f.as_of);
    let groups: Vec<(&str, &tiers::FunnelRow)> = std::iter::once(("", &f.total))
        .chain(f.by_cluster.iter().map(|r| ("集群 ", r)))
        .chain(f.by_district.iter().map(|r| ("区县 ", r)))
        .collect();
    for code in &f.schemes {
        let name = book
            .schemes
            .iter()
            .find(|s| &s.scheme == code)
            .map_or(code.as_str(), |s| s.zh.as_str());
        println!();
        println!("== {name} ({code})");
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|(prefix, r)| {
                let c = r.schemes.get(code).cloned().unwrap_or_default();
                let group = if r.group == "all" {
                    "全部企业".to_string()
                } else {
                    format!("{prefix}{}", r.group)
                };
                vec![
                    group,
                    r.enterprises.to_string(),
                    c.held.to_string(),
                    c.qualify.to_string(),
                    c.qualify_not_held.to_string(),
                    c.unknown.to_string(),
                    c.pending_assessor.to_string(),
                    c.fail.to_string(),
                    c.next_step.to_string(),
                ]
            })
            .collect();
        let mut aligns = vec![Align::Left];
        aligns.extend([Align::Right; 8]);
        table::print(
            &[
                "分组",
                "企业数",
                "已认定",
                "数据达标",
                "其中未认定",
                "待定",
                "其中仅缺评审",
                "未达标",
                "其中差一步",
            ],
            &aligns,
            &rows,
        );
    }
}

pub fn parse_as_of(as_of: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    Ok(match as_of {
        None => chrono::Local::now().date_naive(),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("--as-of {s}: write a date as YYYY-MM-DD"))?,
    })
}

/// The profiles to work on: from `file`, or the stored ones without it; only `uscc` when given (each
/// must be there). The bad ones of a file come back as messages.
pub async fn load_profiles(
    global: &Global,
    file: Option<&Path>,
    format: Option<&str>,
    sheet: Option<&str>,
    uscc: &[String],
) -> anyhow::Result<(Vec<Profile>, Vec<String>)> {
    let (mut profiles, bad) = match file {
        Some(f) => read_profiles(f, format, sheet)?,
        None => {
            let store = super::open_store(global).await?;
            let every = super::issuer(&store)?.every_profile();
            let all = tiers::profiles(&store, &every).await?;
            if all.is_empty() {
                bail!("no stored profiles: run `shuanglian tier import FILE`, or give a FILE");
            }
            (all, vec![])
        }
    };
    for u in uscc {
        if !profiles.iter().any(|p| &p.uscc == u) {
            bail!("no profile for USCC {u}");
        }
    }
    if !uscc.is_empty() {
        profiles.retain(|p| uscc.contains(&p.uscc));
    }
    Ok((profiles, bad))
}

/// Profiles from a file; the bad ones come back as messages naming file, line and column.
pub fn read_profiles(
    file: &Path,
    format: Option<&str>,
    sheet: Option<&str>,
) -> anyhow::Result<(Vec<Profile>, Vec<String>)> {
    let format = format
        .map(ingest::FileFormat::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let read = ingest::profiles::read_profiles(file, format, sheet)?;
    Ok((
        read.profiles.into_iter().map(|(_, p)| p).collect(),
        read.problems,
    ))
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
    let number = |k: &str, v: &serde_json::Value| -> anyhow::Result<f64> {
        match v {
            serde_json::Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            other => bail!(
                "{}: {k} = {other}: give a number or true/false",
                file.display()
            ),
        }
    };
    for (k, val) in v {
        match val {
            serde_json::Value::Object(o) => {
                let mut m = AssessorInputs::new();
                for (ik, iv) in o {
                    m.insert(ik.clone(), number(&format!("{k}.{ik}"), &iv)?);
                }
                per.insert(k, m);
            }
            other => {
                common.insert(k.clone(), number(&k, &other)?);
            }
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

fn print_evaluation(e: &EnterpriseEvaluation) {
    println!("{} {} (as of {})", e.uscc, e.name, e.as_of);
    for r in &e.schemes {
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
    for n in &e.next {
        println!("  next ({}): {} — {}", n.ladder, n.scheme, label(n.result));
        for (zh, en) in n.missing_zh.iter().zip(&n.missing) {
            println!("    · {zh}");
            println!("      {en}");
        }
    }
}
