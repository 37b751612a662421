//! `shuanglian engagement | contracts | labels | nda`: the operator's view of engagements on the
//! host. The command line reads as an operator (it holds the store's pass issuer), through the same
//! desk use cases as the server.

use std::io::Write;

use anyhow::{bail, Context};
use engine::engagements::{Actor, Desk};

use crate::args::Global;
use crate::deal_args::{ContractsCommand, EngagementCommand, LabelsCommand, NdaCommand};
use crate::table::{print, Align};

/// The command line as an actor: an operator without an organization.
fn operator() -> Actor {
    Actor {
        user_id: 0,
        username: "cli".into(),
        org: None,
        operator: true,
        broker: false,
        official: true,
    }
}

async fn desk(global: &Global) -> anyhow::Result<(Desk, store::DemandPass)> {
    let store = super::open_existing_store(global).await?;
    let issuer = super::issuer(&store)?;
    let all = issuer.demands_everything();
    Ok((Desk::new(store, issuer.demands_everything(), false)?, all))
}

fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub async fn engagement(global: &Global, cmd: EngagementCommand) -> anyhow::Result<u8> {
    let (desk, all) = desk(global).await?;
    let me = operator();
    match cmd {
        EngagementCommand::List { stage, limit, json } => {
            if !(1..=5000).contains(&limit) {
                bail!("--limit: give 1 to 5000");
            }
            let list = desk.list(&me, &all, stage.as_deref(), limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.stage.clone(),
                        e.seeker.name.clone(),
                        e.provider.name.clone(),
                        e.item.title.clone(),
                        day(e.stage_at),
                    ]
                })
                .collect();
            print(
                &["id", "stage", "seeker", "provider", "item", "since"],
                &[
                    Align::Right,
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Left,
                ],
                &rows,
            );
            eprintln!("{} engagements", list.len());
            Ok(0)
        }
        EngagementCommand::Show { id, json } => {
            let v = match desk.show(&me, &all, id).await {
                Ok(v) => v,
                Err(engine::EngineError::NotFound(m)) => {
                    eprintln!("{m}");
                    return Ok(1);
                }
                Err(e) => return Err(e.into()),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(0);
            }
            println!(
                "engagement #{} ({}) — stage {}, version {}",
                v.id, v.purpose, v.stage, v.version
            );
            println!("  seeker   {}", v.seeker.name);
            println!("  provider {}", v.provider.name);
            println!("  item     {} #{} {}", v.item.kind, v.item.id, v.item.title);
            if let Some(t) = &v.demand.title {
                println!("  need     #{} {t}", v.demand.id.unwrap_or_default());
            }
            if let Some(c) = &v.contract {
                println!(
                    "  contract {} {:.2} yuan, signed {}, registration {}",
                    c.contract_type,
                    c.amount_fen as f64 / 100.0,
                    c.signed_on,
                    c.registration_no.as_deref().unwrap_or("none")
                );
            }
            for e in &v.timeline {
                println!(
                    "  {}  {:<8} {} → {}{}{}",
                    day(e.at),
                    e.party,
                    e.from.as_deref().unwrap_or("·"),
                    e.to,
                    e.reason_code
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default(),
                    if e.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", e.note)
                    }
                );
            }
            println!(
                "  timeline hash chain: {}",
                if v.timeline_intact { "whole" } else { "BROKEN" }
            );
            Ok(if v.timeline_intact { 0 } else { 1 })
        }
        EngagementCommand::Remind => {
            let n = desk.remind(chrono::Utc::now().timestamp()).await?;
            println!("{n} engagements reminded");
            Ok(0)
        }
    }
}

pub async fn contracts(global: &Global, cmd: ContractsCommand) -> anyhow::Result<u8> {
    let (desk, _) = desk(global).await?;
    let ContractsCommand::Export { file } = cmd;
    let list = desk.contracts(&operator(), 100_000).await?;
    let headers = [
        "engagement",
        "contract_type",
        "amount_yuan",
        "seller",
        "buyer",
        "buyer_local",
        "ip_ownership",
        "signed_on",
        "registration_no",
        "registered_on",
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.engagement_id.to_string(),
                c.contract_type.clone(),
                format!("{:.2}", c.amount_fen as f64 / 100.0),
                c.seller.name.clone(),
                c.buyer.name.clone(),
                c.buyer_local.to_string(),
                c.ip_ownership.clone(),
                c.signed_on.clone(),
                c.registration_no.clone().unwrap_or_default(),
                c.registered_on.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => {
            let mut w = csv::Writer::from_path(&file)
                .with_context(|| format!("cannot write {}", file.display()))?;
            w.write_record(headers)?;
            for r in &rows {
                w.write_record(r)?;
            }
            w.flush()?;
        }
        "xlsx" => {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("contracts")?;
            for (c, h) in headers.iter().enumerate() {
                ws.write_string(0, c as u16, *h)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    ws.write_string(r as u32 + 1, c as u16, cell)?;
                }
            }
            wb.save(&file)
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        other => bail!("{}: write .xlsx or .csv (not `{other}`)", file.display()),
    }
    println!("{} contracts written to {}", rows.len(), file.display());
    Ok(0)
}

pub async fn labels(global: &Global, cmd: LabelsCommand) -> anyhow::Result<u8> {
    let (desk, _) = desk(global).await?;
    let LabelsCommand::Export {
        format,
        include_confidential,
        output,
    } = cmd;
    let labels = desk.labels(include_confidential).await?;
    let mut out: Box<dyn Write> = match &output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match format.as_str() {
        "qrels" => {
            writeln!(out, "query-id\tcorpus-id\tscore")?;
            for l in &labels {
                writeln!(
                    out,
                    "demand:{}\t{}:{}\t{}",
                    l.demand_id, l.item_kind, l.item_id, l.grade
                )?;
            }
        }
        "jsonl" => {
            for l in &labels {
                writeln!(out, "{}", serde_json::to_string(l)?)?;
            }
        }
        other => bail!("--format: `{other}` is not a format; use qrels or jsonl"),
    }
    out.flush()?;
    eprintln!(
        "{} labels{}",
        labels.len(),
        if include_confidential {
            " (confidential needs included)"
        } else {
            " (public needs only; --include-confidential for all)"
        }
    );
    Ok(0)
}

pub async fn nda(global: &Global, cmd: NdaCommand) -> anyhow::Result<u8> {
    let store = super::open_existing_store(global).await?;
    match cmd {
        NdaCommand::Signatures { demand } => {
            let rows: Vec<Vec<String>> = store
                .signatures_of(demand)
                .await?
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.org_id.to_string(),
                        s.user_id.to_string(),
                        day(s.at),
                        s.text_version.to_string(),
                        s.text_sha256.chars().take(16).collect(),
                        s.revoked_at.map(day).unwrap_or_default(),
                    ]
                })
                .collect();
            print(
                &[
                    "id", "org", "user", "signed", "version", "sha256", "revoked",
                ],
                &[Align::Right; 7],
                &rows,
            );
            Ok(0)
        }
        NdaCommand::Revoke { signature } => {
            if store.revoke_signature(signature, "cli").await? {
                println!("signature #{signature} revoked");
                Ok(0)
            } else {
                eprintln!("no live signature #{signature}");
                Ok(1)
            }
        }
        NdaCommand::Text {
            demand,
            default,
            file,
        } => {
            let body = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (UTF-8 text)", file.display()))?;
            if body.trim().is_empty() || body.len() > 100_000 {
                bail!("{}: give a text of 1 to 100,000 bytes", file.display());
            }
            let target = match (demand, default) {
                (Some(d), false) => Some(d),
                (None, true) => None,
                _ => bail!("name a need, or --default for the platform's text"),
            };
            let t = store.put_nda_text(target, &body).await?;
            println!(
                "NDA text version {} stored (SHA-256 {})",
                t.version, t.sha256
            );
            Ok(0)
        }
    }
}

/// `audit verify`: 0 when the chain holds, 4 when a row does not verify.
pub async fn audit(global: &Global, cmd: crate::deal_args::AuditCommand) -> anyhow::Result<u8> {
    let crate::deal_args::AuditCommand::Verify { json } = cmd;
    let store = super::open_store(global).await?;
    let check = store.verify_audit().await?;
    if json {
        println!("{}", serde_json::to_string(&check)?);
    } else {
        match &check.broken {
            None => println!(
                "audit chain holds: {} rows; head row {} with hash {}",
                check.rows, check.head_id, check.head_hash
            ),
            Some((row, why)) => println!(
                "audit chain broken at row {row}: {why} ({} rows read). Restore the audit_log table \
                 from a backup taken before the change, or investigate who wrote to the database.",
                check.rows
            ),
        }
    }
    Ok(if check.broken.is_some() { 4 } else { 0 })
}
