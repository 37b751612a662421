//! `shuanglian credit`: the tech-credit scorecard over profiles (files or stored), stored evaluations
//! and their reproduction, scorecard fitting on loan outcomes, synthetic loans, and the risk-sharing
//! simulation of a loan book.

use std::path::Path;

use ::credit::{Breaker, Card, CreditScore, Defaults, FitOptions, SimOptions};
use anyhow::{bail, Context};
use engine::tiers::Rulebook;

use super::tier::{load_profiles, parse_as_of};
use crate::args::{CreditCommand, Global};
use crate::EXIT_REJECTED;

fn card(path: Option<&Path>) -> anyhow::Result<Card> {
    Ok(match path {
        None => ::credit::shipped(),
        Some(p) => ::credit::load_card(p)?,
    })
}

fn yuan(fen: i64) -> String {
    let y = fen as f64 / 100.0;
    if y.abs() >= 10_000.0 {
        format!("¥{:.2}万", y / 10_000.0)
    } else {
        format!("¥{y:.2}")
    }
}

pub async fn run(global: &Global, command: CreditCommand) -> anyhow::Result<u8> {
    match command {
        CreditCommand::Score {
            file,
            uscc,
            as_of,
            card: card_path,
            format,
            sheet,
            no_store,
            json,
        } => {
            let date = parse_as_of(as_of.as_deref())?;
            let card = card(card_path.as_deref())?;
            let book = Rulebook::shipped().map_err(anyhow::Error::msg)?;
            let (profiles, bad) = load_profiles(
                global,
                file.as_deref(),
                format.as_deref(),
                sheet.as_deref(),
                &uscc,
            )
            .await?;
            let store = if no_store {
                None
            } else {
                let store = super::open_store(global).await?;
                let issuer = super::issuer(&store)?;
                Some((store, issuer))
            };
            let mut out: Vec<serde_json::Value> = vec![];
            for p in &profiles {
                let (id, s) = match &store {
                    Some((store, issuer)) => {
                        let pass = issuer.profile(&p.uscc);
                        let (id, s) = engine::credit::score_and_store(
                            store, &pass, &book, &card, p, date, "cli",
                        )
                        .await?;
                        (Some(id), s)
                    }
                    None => {
                        let none = rules::AssessorInputs::new();
                        (None, engine::credit::score(&book, &card, p, date, &none)?.0)
                    }
                };
                if json {
                    let mut v = serde_json::json!({ "uscc": p.uscc, "name": p.name });
                    if let Some(id) = id {
                        v["evaluation_id"] = id.into();
                    }
                    v["credit"] = serde_json::to_value(&s)?;
                    out.push(v);
                } else {
                    print_score(&p.uscc, &p.name, id, &s);
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            }
            for b in &bad {
                eprintln!("{b}");
            }
            Ok(if bad.is_empty() { 0 } else { EXIT_REJECTED })
        }
        CreditCommand::Show {
            id,
            card: card_path,
            json,
        } => {
            let card = card(card_path.as_deref())?;
            let store = super::open_store(global).await?;
            let every = super::issuer(&store)?.credit(None, true);
            let Some((stored, rep)) = engine::credit::evaluation(&store, &card, id, &every).await?
            else {
                bail!("no credit evaluation {id}: `shuanglian credit score` stores them");
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "evaluation": stored, "reproduction": rep })
                    )?
                );
            } else {
                let s = &stored.score;
                println!(
                    "evaluation {id}: {} by {} at {} — {} {} as of {}, score {}, grade {}",
                    stored.uscc,
                    stored.created_by,
                    chrono::DateTime::from_timestamp(stored.created_at, 0)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                    s["scheme"].as_str().unwrap_or(""),
                    s["version"].as_str().unwrap_or(""),
                    s["as_of"].as_str().unwrap_or(""),
                    s["score"],
                    s["grade"].as_str().unwrap_or("—"),
                );
                match rep.reproduced {
                    Some(true) => println!("reproduced: the same card gives the same result"),
                    Some(false) => {
                        println!("NOT reproduced: the same card gives a different result")
                    }
                    None => println!(
                        "the card in force ({}) differs from the one used: not re-run",
                        card.fingerprint.get(..12).unwrap_or("")
                    ),
                }
            }
            Ok(match rep.reproduced {
                Some(false) => 1,
                _ => 0,
            })
        }
        CreditCommand::Fit {
            file,
            holdout,
            seed,
            bins,
            json,
        } => {
            let rows = ::credit::read_labelled_csv(&file)?;
            let opts = FitOptions {
                seed,
                holdout,
                bins,
                ..FitOptions::default()
            };
            let r = ::credit::fit(&rows, &opts)
                .with_context(|| format!("fitting {}", file.display()))?;
            if json {
                let mut v = serde_json::to_value(&r)?;
                if let Some(o) = v.as_object_mut() {
                    o.remove("holdout_index");
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(0);
            }
            println!(
                "fitted on {} rows ({} defaults), held out {} rows ({} defaults); {} iterations{}",
                r.train_rows,
                r.train_defaults,
                r.holdout_rows,
                r.holdout_defaults,
                r.iterations,
                if r.converged { "" } else { " (not converged)" }
            );
            let f = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or("—".into());
            println!("train    AUC {:.3}  KS {:.3}", r.train_auc, r.train_ks);
            println!("held out AUC {}  KS {}", f(r.holdout_auc), f(r.holdout_ks));
            println!("feature                      IV   coefficient  direction");
            for ft in &r.features {
                println!(
                    "{:<24} {:>7.3} {:>12.3} {:>10.3}",
                    ft.name, ft.iv, ft.coefficient, ft.direction
                );
            }
            Ok(0)
        }
        CreditCommand::Synth { n, seed, out } => {
            let rows = ::credit::synthetic_loans(n, seed);
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    ::credit::write_labelled_csv(&rows, std::io::BufWriter::new(f))?;
                    eprintln!(
                        "{n} SYNTHETIC loans (seed {seed}) written to {}",
                        path.display()
                    );
                }
                None => ::credit::write_labelled_csv(&rows, std::io::stdout().lock())?,
            }
            Ok(0)
        }
        CreditCommand::Simulate {
            file,
            fund_share,
            fund_size,
            payout_cap,
            default_ratio_cap,
            stop_new_lending,
            runs,
            seed,
            json,
        } => {
            let book = ::credit::read_loan_book_csv(&file)?;
            let opts = SimOptions {
                fund_share,
                fund_size_fen: fund_size.map(|y| (y * 100.0).round() as i64),
                breaker: Breaker {
                    payout_cap,
                    default_ratio_cap,
                    stop_new_lending,
                },
                defaults: match runs {
                    Some(runs) => Defaults::Drawn { runs, seed },
                    None => Defaults::Given,
                },
                ..SimOptions::default()
            };
            let r = ::credit::simulate(&book, &opts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(0);
            }
            println!(
                "{} loans, {} lent; {} run(s); fund share {:.0}%",
                r.loans,
                yuan(r.book_principal_fen),
                r.runs,
                fund_share * 100.0
            );
            println!("                 mean       median     p95        max");
            for (name, m) in [("fund loss", &r.fund_loss), ("bank loss", &r.bank_loss)] {
                println!(
                    "{name:<12} {:>10} {:>10} {:>10} {:>10}",
                    yuan(m.mean_fen),
                    yuan(m.median_fen),
                    yuan(m.p95_fen),
                    yuan(m.max_fen)
                );
            }
            println!(
                "defaults: mean {:.1}, median {}, p95 {}, max {}",
                r.defaults.mean, r.defaults.median, r.defaults.p95, r.defaults.max
            );
            if r.tripped_runs > 0 {
                println!(
                    "breaker tripped in {} of {} runs (median month {})",
                    r.tripped_runs,
                    r.runs,
                    r.trip_month_median
                        .map(|m| m.to_string())
                        .unwrap_or("—".into())
                );
            }
            let first = &r.first_run;
            println!(
                "first run: {} defaults, principal {}, fund {}, bank {} (of which interest {}, uncompensated {}), {} loans not made",
                first.defaults,
                yuan(first.defaulted_principal_fen),
                yuan(first.fund_loss_fen),
                yuan(first.bank_loss_fen),
                yuan(first.bank_interest_loss_fen),
                yuan(first.uncompensated_fen),
                first.loans_not_made
            );
            if let Some(t) = &first.trip {
                println!(
                    "  breaker tripped at loan {} in month {} ({})",
                    t.loan_id, t.month, t.reason
                );
            }
            Ok(0)
        }
    }
}

fn print_score(uscc: &str, name: &str, id: Option<i64>, s: &CreditScore) {
    let line = if s.credit_line_yuan > 0 {
        format!("¥{}万", s.credit_line_yuan / 10_000)
    } else {
        "—".into()
    };
    println!(
        "{uscc} {name} (as of {}, {} stage){}",
        s.as_of,
        s.stage,
        id.map(|i| format!(" [evaluation {i}]")).unwrap_or_default()
    );
    println!(
        "  score {:.1}{} → grade {} → credit line {line}{}",
        s.score,
        if s.unknown_points > 0.0 {
            format!(" ({:.1} points unknown)", s.unknown_points)
        } else {
            String::new()
        },
        s.grade.as_deref().unwrap_or("—"),
        if s.disqualified {
            " (disqualified)"
        } else {
            ""
        }
    );
    if !s.tiers.is_empty() {
        println!("  tiers: {}", s.tiers.join(", "));
    }
    for r in &s.reasons {
        println!("  · {} {} / {}", r.code, r.zh, r.en);
    }
}
