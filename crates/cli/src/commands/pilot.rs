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
