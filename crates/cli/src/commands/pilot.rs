//! `platforms …`: the pilot-platform library from the command line (the operator's tool: it reads and
//! writes as an operator).

use anyhow::Context;
use engine::engagements::Actor;
use engine::pilot::{Library, PlatformQuery};

use crate::args::Global;
use crate::pilot_args::PlatformsCommand;
use crate::EXIT_REJECTED;

/// The command line acts as an operator named `cli`.
pub fn cli_actor() -> Actor {
    Actor {
        user_id: 0,
        username: "cli".into(),
        org: None,
        operator: true,
        broker: false,
        official: false,
    }
}

pub async fn library(store: &store::Store) -> anyhow::Result<Library> {
    let issuer = super::issuer(store)?;
    Ok(Library::new(
        store.clone(),
        issuer.demands_everything(),
        false,
    )?)
}

pub async fn platforms(global: &Global, cmd: PlatformsCommand) -> anyhow::Result<u8> {
    match cmd {
        PlatformsCommand::Import {
            file,
            equipment,
            json,
        } => {
            let store = super::open_store(global).await?;
            let lib = library(&store).await?;
            let s = lib
                .import(&cli_actor(), &file, equipment.as_deref())
                .await?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!(
                    "platforms: {} created, {} updated, {} unchanged; equipment: {} created, {} updated, {} unchanged",
                    s.platforms_created, s.platforms_updated, s.platforms_unchanged,
                    s.equipment_created, s.equipment_updated, s.equipment_unchanged
                );
                for p in &s.problems {
                    eprintln!("rejected: {p}");
                }
            }
            Ok(if s.problems.is_empty() {
                0
            } else {
                EXIT_REJECTED
            })
        }
        PlatformsCommand::Search {
            q,
            filters,
            qualifications,
            trl,
            scope,
            json,
        } => {
            let store = super::open_existing_store(global).await?;
            let lib = library(&store).await?;
            let (trl_from, trl_to) = match trl.as_deref() {
                Some(t) => {
                    let (a, b) = t
                        .split_once(['-', '→'])
                        .context("--trl: write the span as 5-7")?;
                    (Some(a.trim().parse()?), Some(b.trim().parse()?))
                }
                None => (None, None),
            };
            let hits = lib
                .search(
                    None,
                    &PlatformQuery {
                        q,
                        filters,
                        qualifications,
                        trl_from,
                        trl_to,
                        scope: Some(scope),
                        ..Default::default()
                    },
                )
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
                return Ok(0);
            }
            for h in &hits {
                let place = if h.local {
                    "重庆"
                } else if h.alliance {
                    "联盟"
                } else {
                    "其他"
                };
                println!(
                    "#{:<4} [{place}] {} (TRL {}→{})",
                    h.id, h.name, h.trl_in, h.trl_out
                );
                for e in &h.equipment {
                    println!("        {}: {}", e.name, e.values.join("; "));
                }
            }
            if hits.is_empty() {
                println!("no platform meets the search");
            }
            Ok(0)
        }
        PlatformsCommand::Show { id, json } => {
            let store = super::open_existing_store(global).await?;
            let lib = library(&store).await?;
            let p = lib.show(Some(&cli_actor()), id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                println!(
                    "#{} {} ({}, TRL {}→{})",
                    p.id, p.name, p.kind, p.trl_in, p.trl_out
                );
                for e in &p.equipment {
                    let params: Vec<String> = e
                        .parameters
                        .iter()
                        .map(|x| format!("{} {} {}", x.name, x.value, x.unit))
                        .collect();
                    println!(
                        "  equipment #{} {} [{}]: {}",
                        e.id,
                        e.name,
                        e.hours,
                        params.join("; ")
                    );
                }
            }
            Ok(0)
        }
        PlatformsCommand::Utilisation { id, month, json } => {
            let store = super::open_existing_store(global).await?;
            let lib = library(&store).await?;
            let u = lib.utilisation(&cli_actor(), id, &month).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&u)?);
            } else {
                for e in &u.equipment {
                    println!(
                        "{:<30} {:>7.1} h booked / {:>7.1} h bookable  {}",
                        e.name,
                        e.booked_hours,
                        e.bookable_hours,
                        e.share.map_or("—".into(), |s| format!("{:.1}%", s * 100.0))
                    );
                }
                println!(
                    "total: {:.1} / {:.1} h; {} awaiting an answer, {} waiting",
                    u.booked_hours, u.bookable_hours, u.awaiting_answer, u.waiting
                );
            }
            Ok(0)
        }
    }
}

/// The engines, the ranking and the chain map a screening or a path reads.
async fn context(
    store: &store::Store,
    global: &Global,
    encoder: &crate::args::EncoderArgs,
) -> anyhow::Result<(
    engine::Engines,
    search::matching::RankingConfig,
    engine::chains::ChainMap,
)> {
    let dir = super::data_dir(global);
    let cfg = super::matching::ranking_config(&dir, None)?;
    let engines = super::matching::engines(store, &dir, encoder, false, &cfg).await?;
    Ok((engines, cfg, engine::chains::ChainMap::shipped()?))
}

pub async fn poc(global: &Global, cmd: crate::pilot_args::PocCommand) -> anyhow::Result<u8> {
    let crate::pilot_args::PocCommand::Seeds {
        trl,
        limit,
        export,
        json,
        encoder,
    } = cmd;
    let store = super::open_existing_store(global).await?;
    let lib = library(&store).await?;
    let band = match trl.as_deref() {
        Some(t) => {
            let (a, b) = t
                .split_once(['-', '→'])
                .context("--trl: write the band as 3-5")?;
            Some((a.trim().parse()?, b.trim().parse()?))
        }
        None => None,
    };
    let (engines, cfg, chains) = context(&store, global, &encoder).await?;
    let cx = engine::pilot::seeds::ScreenContext {
        engines: &engines,
        ranking: &cfg,
        chains: &chains,
    };
    let seeds = lib
        .screen(&cli_actor(), &cx, band, limit.clamp(1, 1_000))
        .await?;
    if let Some(path) = export {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let headers = [
            "成果 outcome",
            "权利人 owners",
            "TRL",
            "得分 score",
            "知识产权 IP",
            "本地需求 market",
            "补链 chain",
            "团队 team",
            "入选 selected",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h)?;
        }
        for (r, s) in seeds.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, &s.title)?;
            ws.write_string(r, 1, s.owners.join("；"))?;
            ws.write_number(r, 2, f64::from(s.trl))?;
            ws.write_number(r, 3, s.score)?;
            for (i, p) in s.parts.iter().enumerate() {
                ws.write_number(r, 4 + i as u16, p.points)?;
            }
            ws.write_string(r, 8, if s.selected { "是" } else { "" })?;
        }
        wb.save(&path)?;
        println!("{} seeds written to {}", seeds.len(), path.display());
        return Ok(0);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&seeds)?);
        return Ok(0);
    }
    for (i, s) in seeds.iter().enumerate() {
        let parts: Vec<String> = s
            .parts
            .iter()
            .map(|p| format!("{} {:.1}/{}", p.criterion, p.points, p.max))
            .collect();
        println!(
            "{:>3}. {:>5.1}  #{:<5} TRL {} {}{}\n       {}",
            i + 1,
            s.score,
            s.outcome_id,
            s.trl,
            s.title,
            if s.selected { "  [selected]" } else { "" },
            parts.join("  ")
        );
    }
    Ok(0)
}

pub async fn path(global: &Global, args: &crate::pilot_args::PathArgs) -> anyhow::Result<u8> {
    let store = super::open_existing_store(global).await?;
    let issuer = super::issuer(&store)?;
    let lib = Library::new(store.clone(), issuer.demands_everything(), false)?;
    let credit = vec![issuer.credit(None, false)];
    let (engines, cfg, chains) = context(&store, global, &args.encoder).await?;
    let cx = engine::pilot::seeds::ScreenContext {
        engines: &engines,
        ranking: &cfg,
        chains: &chains,
    };
    let p = lib
        .path(Some(&cli_actor()), args.outcome, &cx, &credit)
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&p)?);
        return Ok(0);
    }
    println!(
        "#{} {} (TRL {} → {})",
        p.outcome_id,
        p.title,
        p.trl.map_or("?".into(), |t| t.to_string()),
        p.target_trl
    );
    for s in &p.steps {
        println!(
            "  {:<10} {:<8} {}{} [{}]",
            s.step,
            s.status,
            s.choice.as_deref().unwrap_or(""),
            s.at.map(|t| format!(" from {}", &engine::pilot::booking::beijing(t)[..10]))
                .unwrap_or_default(),
            if s.values.is_empty() {
                s.reason.clone()
            } else {
                format!("{}: {}", s.reason, s.values.join(", "))
            }
        );
    }
    println!("bottleneck: {}", p.bottleneck.as_deref().unwrap_or("none"));
    Ok(0)
}
