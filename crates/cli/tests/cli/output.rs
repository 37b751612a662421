//! What the command line prints for a person at a terminal: a closed pipe ends the command quietly,
//! Chinese columns line up by display width, the tier funnel names what it counts, credit reasons
//! read as sentences, and a reading command never makes an empty store of a wrong folder.

use std::path::Path;
use std::process::Stdio;

use unicode_width::UnicodeWidthStr;

use super::{bin, run, text};

fn demo(dir: &Path) {
    let o = run(dir, &["demo", "--no-shared", "--no-serve"]);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// The display column where the first `n/m` of `line` ends.
fn ratio_end(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let slash = line.find('/')?;
    if slash == 0 || !bytes[slash - 1].is_ascii_digit() {
        return None;
    }
    let end = slash
        + 1
        + line[slash + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(line.len() - slash - 1);
    Some(line[..end].width())
}

#[test]
fn terminal_output_reads_well_and_survives_a_closed_pipe() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir);

    // `… | head -1`: the reader goes away before the command has written.
    let mut child = bin()
        .arg("--data-dir")
        .arg(&dir)
        .args(["chain", "gaps"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");

    // Chain gaps: the enterprises column ends at one display column in the header and every row.
    let o = run(&dir, &["chain", "gaps", "ICV-NEV"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let header = out
        .lines()
        .find(|l| l.contains("本地/全部企业"))
        .expect("a table header");
    let want = header[..header.find("本地/全部企业").unwrap() + "本地/全部企业".len()].width();
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("强链") || l.contains("弱链") || l.contains("缺链"))
        .filter(|l| ratio_end(l).is_some())
        .collect();
    assert!(rows.len() >= 10, "{out}");
    for r in &rows {
        assert_eq!(ratio_end(r), Some(want), "misaligned:\n{header}\n{r}");
    }

    // The tier funnel: one table per scheme, each number under a header that names it.
    let o = run(&dir, &["tier", "funnel", "--as-of", "2026-06-30"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    for word in [
        "== 高新技术企业",
        "已认定",
        "数据达标",
        "其中仅缺评审",
        "全部企业",
    ] {
        assert!(out.contains(word), "{word} missing:\n{out}");
    }
    assert!(!out.contains(")/"), "no packed cells:\n{out}");

    // Credit reasons: the weighting is a rule in words, not a number that reads like data.
    let o = run(&dir, &["credit", "score", "--uscc", "915001057DEM000033"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(!out.contains("（国家级 2、省级 1）"), "{out}");
    assert!(!out.contains("（I 类 1 件、II 类 0.25 件）"), "{out}");
}

#[test]
fn a_reading_command_names_the_missing_store_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nowhere");
    let o = run(&dir, &["stats", "--json"]);
    let (out, err) = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        err.contains("no store at") && err.contains("nowhere"),
        "{err}"
    );
    assert!(!dir.exists(), "a reading command made {}", dir.display());
    // With a store it says which one answered, on stderr, and stdout stays one JSON document.
    let real = tmp.path().join("demo");
    demo(&real);
    let o = run(&real, &["stats", "--json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("store: ") && err.contains("shuanglian.db"),
        "{err}"
    );
    serde_json::from_str::<serde_json::Value>(&out).expect("stdout is JSON");
}
