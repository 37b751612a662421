//! Settings, read and checked in one place. The flags and their `SHUANGLIAN_*` variables are declared
//! in `args.rs` (clap reads those); the settings file and the few variables that are not flags are
//! read here, once, and validated before anything starts. Library crates read no environment: they
//! take these values. Every setting is listed in docs/operations.md ("Settings").

use std::path::{Path, PathBuf};

use anyhow::Context;
use server::ServerConfig;

use crate::args::ServeOptions;

/// The variable with the tracing filter for the logs (`-v` flags otherwise).
pub const LOG_FILTER_VAR: &str = "SHUANGLIAN_LOG";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// An edited chain taxonomy (`SHUANGLIAN_TAXONOMY`), for commands that take no `--taxonomy` flag.
pub fn taxonomy_dir() -> Option<PathBuf> {
    var("SHUANGLIAN_TAXONOMY").map(PathBuf::from)
}

/// The demo accounts' password (`SHUANGLIAN_DEMO_PASSWORD`); random when unset.
pub fn demo_password() -> Option<String> {
    var("SHUANGLIAN_DEMO_PASSWORD")
}

/// Who runs the command, for the audit trail of command-line changes.
pub fn operator() -> String {
    var("USER").unwrap_or_else(|| "cli".into())
}

/// The server settings: the file (when given), then flags and environment over it, validated.
pub fn server_config(
    data_dir: &Path,
    file: Option<&Path>,
    opts: &ServeOptions,
) -> anyhow::Result<ServerConfig> {
    let mut cfg = match file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the server settings {}", p.display()))?;
            toml::from_str::<ServerConfig>(&text)
                .with_context(|| format!("server settings {}", p.display()))?
        }
        None => ServerConfig::default(),
    };
    cfg.data_dir = data_dir.to_path_buf();
    if opts.model.is_some() {
        cfg.model = opts.model.clone();
    }
    cfg.embed_threads = opts.embed_threads.max(1);
    if let Some(dir) = taxonomy_dir() {
        cfg.taxonomy = Some(dir);
    }
    if let Some(token) = var("SHUANGLIAN_METRICS_TOKEN") {
        cfg.metrics_token = Some(token);
    }
    // Notification settings from the environment (the demo and containers have no settings file).
    if let Some(url) = var("SHUANGLIAN_SMTP_URL") {
        cfg.smtp_url = Some(url);
    }
    if let Some(from) = var("SHUANGLIAN_MAIL_FROM") {
        cfg.mail_from = from;
    }
    if let Some(url) = var("SHUANGLIAN_PUBLIC_URL") {
        cfg.public_url = Some(url);
    }
    if let Some(days) = var("SHUANGLIAN_REMINDER_DAYS") {
        cfg.reminder_days = Some(days.parse().with_context(|| {
            format!("SHUANGLIAN_REMINDER_DAYS={days}: give a whole number of days")
        })?);
    }
    if var("SHUANGLIAN_TEST_CLOCK").as_deref() == Some("1") {
        tracing::warn!(
            "SHUANGLIAN_TEST_CLOCK=1: operators may move the workflow clock; test set-ups only"
        );
        cfg.test_clock = true;
    }
    if var("SHUANGLIAN_WEBHOOK_ALLOW_PRIVATE").as_deref() == Some("1") {
        cfg.webhook_allow_private = true;
    }
    validate(&cfg)?;
    Ok(cfg)
}

/// The checks a settings file cannot express; each message names the setting and the fix.
fn validate(cfg: &ServerConfig) -> anyhow::Result<()> {
    if cfg.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!("metrics_token: give at least 16 characters (it guards /metrics)");
    }
    if cfg.session_ttl_secs < 60 {
        anyhow::bail!(
            "session_ttl_secs = {}: give at least 60 seconds",
            cfg.session_ttl_secs
        );
    }
    if cfg.max_body_bytes < 1024 {
        anyhow::bail!(
            "max_body_bytes = {}: give at least 1024",
            cfg.max_body_bytes
        );
    }
    if cfg.heavy_per_minute == 0 {
        anyhow::bail!("heavy_per_minute = 0: give at least 1 (0 would refuse every simulation)");
    }
    if cfg.heavy_budget_secs == 0 {
        anyhow::bail!("heavy_budget_secs = 0: give at least 1 second");
    }
    if let Some(url) = &cfg.smtp_url {
        notify::Smtp::parse(url, &cfg.mail_from)
            .map_err(|e| anyhow::anyhow!("smtp_url / mail_from: {e}"))?;
    }
    if cfg.reminder_days.is_some_and(|d| !(1..=365).contains(&d)) {
        anyhow::bail!("reminder_days: give 1 to 365 days");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_with_the_setting_named() {
        let ok = ServerConfig::default();
        assert!(validate(&ok).is_ok());
        for (cfg, named) in [
            (
                ServerConfig {
                    metrics_token: Some("short".into()),
                    ..ServerConfig::default()
                },
                "metrics_token",
            ),
            (
                ServerConfig {
                    session_ttl_secs: 5,
                    ..ServerConfig::default()
                },
                "session_ttl_secs",
            ),
            (
                ServerConfig {
                    heavy_per_minute: 0,
                    ..ServerConfig::default()
                },
                "heavy_per_minute",
            ),
        ] {
            let e = validate(&cfg).unwrap_err().to_string();
            assert!(e.contains(named), "{e}");
        }
    }
}
