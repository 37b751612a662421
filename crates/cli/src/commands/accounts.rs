//! `shuanglian user …` and `shuanglian grant …`: account administration from the command line, through
//! the same engine use cases as the admin pages (each change in the audit log as `cli`).

use std::io::BufRead;

use crate::account_args::{GrantCommand, UserCommand};
use crate::args::Global;

const ACTOR: &str = "cli";

/// The password on the first line of standard input when asked for (`--password-stdin`), else
/// `None` (the engine makes a random one and it is printed once).
fn password_from_stdin(asked: bool) -> anyhow::Result<Option<String>> {
    if !asked {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

pub async fn user(global: &Global, command: UserCommand) -> anyhow::Result<u8> {
    let store = super::open_store(global).await?;
    match command {
        UserCommand::Add {
            username,
            role,
            org,
            display_name,
            password_stdin,
        } => {
            let given = password_from_stdin(password_stdin)?;
            let (id, made) = engine::accounts::add_user(
                &store,
                &engine::accounts::NewAccount {
                    username: &username,
                    display_name: &display_name,
                    role: &role,
                    organization: org.as_deref(),
                    password: given.as_deref(),
                },
                false,
                ACTOR,
            )
            .await?;
            println!("user {username} created (#{id}, {role})");
            if let Some(p) = made {
                println!("password: {p}  (shown once: hand it over and ask for a change)");
            }
        }
        UserCommand::List { json } => {
            let users = engine::accounts::list_users(&store).await?;
            if json {
                println!("{}", serde_json::to_string(&users)?);
            } else {
                for u in users {
                    println!(
                        "{:<16} {:<18} {:<8} {}",
                        u.username,
                        u.role,
                        if u.disabled { "disabled" } else { "active" },
                        u.organization.unwrap_or_default()
                    );
                }
            }
        }
        UserCommand::Disable { username } => {
            engine::accounts::set_disabled(&store, &username, true, ACTOR).await?;
            println!("user {username} disabled; their sessions have ended");
        }
        UserCommand::Contact {
            username,
            email,
            phone,
        } => {
            let Some(u) = store.user_by_name(&username).await? else {
                anyhow::bail!("no user {username}");
            };
            let email = email.or(u.email);
            let phone = phone.or(u.phone);
            engine::accounts::set_contact(&store, u.id, email.as_deref(), phone.as_deref(), ACTOR)
                .await?;
            println!("contact of {username} set");
        }
        UserCommand::Expert {
            username,
            expert_id,
            unlink,
        } => {
            let Some(u) = store.user_by_name(&username).await? else {
                anyhow::bail!("no user {username}");
            };
            let expert = match (expert_id, unlink) {
                (Some(e), false) => {
                    let is_expert = matches!(
                        store.get(model::RecordKind::Person, e).await?.map(|s| s.record),
                        Some(model::Record::Person(p)) if p.kind == model::PersonKind::Expert
                    );
                    anyhow::ensure!(is_expert, "#{e} is not an expert of the registry");
                    Some(e)
                }
                (None, true) => None,
                _ => anyhow::bail!("give an expert id, or --unlink"),
            };
            store.set_user_expert(u.id, expert).await?;
            store
                .audit(
                    ACTOR,
                    "user_expert",
                    "user",
                    Some(u.id),
                    &format!("expert {expert:?}"),
                )
                .await?;
            println!("{username} reviews as expert {expert:?}");
        }
        UserCommand::Enable { username } => {
            engine::accounts::set_disabled(&store, &username, false, ACTOR).await?;
            println!("user {username} enabled");
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let given = password_from_stdin(password_stdin)?;
            let made = engine::accounts::reset_password(&store, &username, given.as_deref(), ACTOR)
                .await?;
            println!("password of {username} reset; their sessions have ended");
            if let Some(p) = made {
                println!("password: {p}  (shown once)");
            }
        }
    }
    Ok(0)
}

pub async fn grant(global: &Global, command: GrantCommand) -> anyhow::Result<u8> {
    let store = super::open_store(global).await?;
    match command {
        GrantCommand::Add { owner, grantee } => {
            engine::accounts::grant(&store, &owner, &grantee, ACTOR).await?;
            println!("{grantee} may now read the NDA-only needs of {owner}");
        }
        GrantCommand::Revoke { owner, grantee } => {
            if engine::accounts::revoke(&store, &owner, &grantee, ACTOR).await? {
                println!("{grantee} no longer reads the NDA-only needs of {owner}");
            } else {
                println!("{owner} had granted nothing to {grantee}; nothing changed");
            }
        }
        GrantCommand::List { json } => {
            let grants = engine::accounts::grants(&store).await?;
            if json {
                println!("{}", serde_json::to_string(&grants)?);
            } else {
                for g in grants {
                    println!("{} → {}", g.owner, g.grantee);
                }
            }
        }
    }
    Ok(0)
}
