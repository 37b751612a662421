//! Accounts as use cases, shared by the command line (`shuanglian user …`, `shuanglian grant …`), the
//! admin pages and the demo: users of organizations with a role, passwords (argon2id), disabling,
//! and the grants by which an organization lets another read its NDA-only demands. Every change is
//! written to the audit log with who made it; no password is ever logged or stored in clear.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use model::{Record, RecordKind};
use rand::RngCore;
use store::Store;

use crate::{EngineError, Result};

/// The roles of the platform, as stored.
pub const ROLES: [&str; 7] = [
    "admin",
    "enterprise",
    "institution",
    "platform_operator",
    "government",
    "financier",
    "broker",
];

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes a password with argon2id (a fresh random salt each time).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Whether `password` matches the stored hash (a malformed hash never matches).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A readable random password (no look-alike characters).
pub fn random_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 14];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect()
}

fn input(message: impl Into<String>) -> EngineError {
    EngineError::Input(message.into())
}

fn check_password(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSWORD_CHARS || p.len() > 1000 {
        return Err(input(format!(
            "password: give {MIN_PASSWORD_CHARS} to 1000 characters"
        )));
    }
    Ok(())
}

/// An organization named by its exact name, its USCC, or `#ID`.
pub async fn organization(store: &Store, name: &str) -> Result<(i64, String)> {
    let name = name.trim();
    let found = if let Some(id) = name.strip_prefix('#').and_then(|i| i.parse::<i64>().ok()) {
        store.get(RecordKind::Organization, id).await?
    } else if name.parse::<model::Uscc>().is_ok() {
        store.find_organization("", Some(name)).await?
    } else {
        store.find_organization(name, None).await?
    };
    match found {
        Some(s) => match &s.record {
            Record::Organization(o) => Ok((s.id, o.name.clone())),
            _ => Err(input(format!("'{name}' is not an organization"))),
        },
        None => Err(EngineError::NotFound(format!(
            "no organization '{name}': give its exact name, its USCC or #ID (shuanglian search NAME --kind organization)"
        ))),
    }
}

/// A user to create or replace.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    /// Exact name, USCC or `#ID`; `None` for a user of no organization (admins, officials).
    pub organization: Option<&'a str>,
    /// `None`: a random one is made and returned.
    pub password: Option<&'a str>,
}

/// A user as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub organization: Option<String>,
    pub disabled: bool,
}

/// Creates a user (`replace`: or resets an existing one's role, organization and password, as the
/// demo does on every run). Returns the user's id and the password when one was made up.
pub async fn add_user(
    store: &Store,
    a: &NewAccount<'_>,
    replace: bool,
    actor: &str,
) -> Result<(i64, Option<String>)> {
    let username = a.username.trim();
    if username.is_empty()
        || username.chars().count() > 100
        || !username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        return Err(input(format!(
            "username '{username}': 1 to 100 letters, digits, '-', '_', '.' or '@'"
        )));
    }
    if !ROLES.contains(&a.role) {
        return Err(input(format!(
            "role '{}': use one of {}",
            a.role,
            ROLES.join(", ")
        )));
    }
    if a.display_name.chars().count() > 200 {
        return Err(input("display name: at most 200 characters"));
    }
    if !replace && store.user_by_name(username).await?.is_some() {
        return Err(input(format!(
            "user '{username}' exists: reset the password or disable it instead"
        )));
    }
    let org = match a.organization.filter(|o| !o.trim().is_empty()) {
        Some(o) => Some(organization(store, o).await?),
        None => None,
    };
    let (password, made) = match a.password {
        Some(p) => (p.to_string(), None),
        None => {
            let p = random_password();
            (p.clone(), Some(p))
        }
    };
    check_password(&password)?;
    let display = if a.display_name.trim().is_empty() {
        username
    } else {
        a.display_name.trim()
    };
    let id = store
        .upsert_user(
            &store::NewUser {
                username,
                display_name: display,
                role: a.role,
                organization_id: org.as_ref().map(|(id, _)| *id),
                password_hash: &hash_password(&password),
            },
            chrono::Utc::now().timestamp(),
        )
        .await?;
    let detail = format!(
        "{username}: role {}, organization {}",
        a.role,
        org.as_ref().map_or("none".to_string(), |(_, n)| n.clone())
    );
    store
        .audit(actor, "user_set", "user", Some(id), &detail)
        .await?;
    Ok((id, made))
}

/// Every user, with their organization's name.
pub async fn list_users(store: &Store) -> Result<Vec<Account>> {
    let users = store.users().await?;
    let mut out = Vec::with_capacity(users.len());
    let mut names: std::collections::HashMap<i64, String> = Default::default();
    for u in users {
        let organization = match u.organization_id {
            Some(id) => match names.get(&id) {
                Some(n) => Some(n.clone()),
                None => {
                    let n = match store.get(RecordKind::Organization, id).await? {
                        Some(s) => s.record.label().to_string(),
                        None => format!("#{id}"),
                    };
                    names.insert(id, n.clone());
                    Some(n)
                }
            },
            None => None,
        };
        out.push(Account {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            organization_id: u.organization_id,
            organization,
            disabled: u.disabled != 0,
        });
    }
    Ok(out)
}

async fn user_named(store: &Store, username: &str) -> Result<store::User> {
    store
        .user_by_name(username.trim())
        .await?
        .ok_or_else(|| EngineError::NotFound(format!("no user '{}'", username.trim())))
}

/// Disables (its sessions end at once) or enables a user.
pub async fn set_disabled(
    store: &Store,
    username: &str,
    disabled: bool,
    actor: &str,
) -> Result<()> {
    let u = user_named(store, username).await?;
    store.set_user_disabled(u.id, disabled).await?;
    if disabled {
        store.revoke_user_sessions(u.id).await?;
    }
    let action = if disabled {
        "user_disabled"
    } else {
        "user_enabled"
    };
    store
        .audit(actor, action, "user", Some(u.id), &u.username)
        .await?;
    Ok(())
}

/// Gives a user a new password (`None`: a random one, returned) and ends their sessions.
pub async fn reset_password(
    store: &Store,
    username: &str,
    password: Option<&str>,
    actor: &str,
) -> Result<Option<String>> {
    let u = user_named(store, username).await?;
    let (password, made) = match password {
        Some(p) => (p.to_string(), None),
        None => {
            let p = random_password();
            (p.clone(), Some(p))
        }
    };
    check_password(&password)?;
    store
        .set_password_hash(u.id, &hash_password(&password))
        .await?;
    store.revoke_user_sessions(u.id).await?;
    store
        .audit(actor, "password_reset", "user", Some(u.id), &u.username)
        .await?;
    Ok(made)
}

/// A grant as people read it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GrantView {
    pub owner_id: i64,
    pub owner: String,
    pub grantee_id: i64,
    pub grantee: String,
    pub created_at: i64,
}

/// Lets users of `grantee` read the NDA-only demands of `owner` (both by name, USCC or `#ID`).
pub async fn grant(store: &Store, owner: &str, grantee: &str, actor: &str) -> Result<()> {
    let (o, on) = organization(store, owner).await?;
    let (g, gn) = organization(store, grantee).await?;
    if o == g {
        return Err(input(
            "an organization always sees its own demands: name another grantee",
        ));
    }
    store
        .grant_access(o, g, chrono::Utc::now().timestamp())
        .await?;
    store
        .audit(actor, "grant", "grant", Some(o), &format!("{on} → {gn}"))
        .await?;
    Ok(())
}

/// Withdraws a grant; its NDA-only demands are hidden from the grantee's users at once. False when
/// there was no such grant.
pub async fn revoke(store: &Store, owner: &str, grantee: &str, actor: &str) -> Result<bool> {
    let (o, on) = organization(store, owner).await?;
    let (g, gn) = organization(store, grantee).await?;
    let was = store.revoke_access(o, g).await?;
    if was {
        store
            .audit(actor, "revoke", "grant", Some(o), &format!("{on} → {gn}"))
            .await?;
    }
    Ok(was)
}

/// Every grant with both organizations' names.
pub async fn grants(store: &Store) -> Result<Vec<GrantView>> {
    let mut out = vec![];
    for g in store.grants().await? {
        let name = |id: i64| async move {
            Ok::<String, EngineError>(match store.get(RecordKind::Organization, id).await? {
                Some(s) => s.record.label().to_string(),
                None => format!("#{id}"),
            })
        };
        out.push(GrantView {
            owner_id: g.owner_org_id,
            owner: name(g.owner_org_id).await?,
            grantee_id: g.grantee_org_id,
            grantee: name(g.grantee_org_id).await?,
            created_at: g.created_at,
        });
    }
    Ok(out)
}

/// Sets a user's contact details (shown to the other side of an engagement once introduced; where
/// notification mail goes): an e-mail address and a phone number, each optional. Audited.
pub async fn set_contact(
    store: &Store,
    user_id: i64,
    email: Option<&str>,
    phone: Option<&str>,
    actor: &str,
) -> Result<()> {
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    if let Some(e) = email {
        let ok = e.len() <= 254
            && e.split_once('@')
                .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'))
            && !e
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
        if !ok {
            return Err(EngineError::Input(format!(
                "email: `{e}` is not an address like name@example.cn"
            )));
        }
    }
    if let Some(p) = phone {
        let ok = p.chars().count() <= 40
            && p.chars()
                .all(|c| c.is_ascii_digit() || " +-()#转".contains(c));
        if !ok {
            return Err(EngineError::Input(format!(
                "phone: `{p}` is not a phone number (digits, spaces, + - ( ) #, at most 40)"
            )));
        }
    }
    store.set_user_contact(user_id, email, phone).await?;
    store
        .audit(
            actor,
            "contact_set",
            "user",
            Some(user_id),
            "contact details changed",
        )
        .await?;
    Ok(())
}
