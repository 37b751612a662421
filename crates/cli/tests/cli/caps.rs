//! Import files built to exhaust memory or to merge rows silently (issue 16, items 4, 10 and 11): each
//! is refused or reported by line with a clear message, under a memory cap, and good rows are kept.

use std::process::Command;

use super::{bin, text};

/// Runs `shuanglian --data-dir DIR ARGS…` under a cap on virtual memory (`ulimit -v`, KiB).
fn run_capped(dir: &std::path::Path, kib: u64, args: &[&str]) -> std::process::Output {
    let exe = bin().get_program().to_owned();
    let mut script = format!("ulimit -v {kib}; exec \"$0\" --data-dir \"$1\"");
    for i in 0..args.len() {
        script.push_str(&format!(" \"${}\"", i + 2));
    }
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .arg(dir)
        .args(args)
        .env_remove("SHUANGLIAN_DATABASE_URL")
        .env_remove("SHUANGLIAN_DATA_DIR")
        .output()
        .expect("sh runs")
}

/// A 2 KB workbook whose two cells sit at A1 and XFD1048576: a dense reader asks for the whole grid.
fn corner_bomb(path: &std::path::Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "title").unwrap();
    ws.write_string(1, 0, "第一行").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn a_sheet_with_a_far_corner_is_refused_under_a_memory_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bomb.xlsx");
    corner_bomb(&file);
    assert!(std::fs::metadata(&file).unwrap().len() < 20_000);
    let o = run_capped(
        tmp.path(),
        3 << 20,
        &["import", "outcome", file.to_str().unwrap()],
    );
    let (out, err) = text(&o);
    assert!(
        o.status.code().is_some(),
        "killed by a signal: {out}\n{err}"
    );
    assert!(!o.status.success(), "{out}\n{err}");
    assert!(
        err.contains("XFD1048576"),
        "the message names the cell: {err}"
    );
    assert!(!err.contains("memory allocation"), "{err}");
}

#[test]
fn a_long_field_rejects_its_row_and_keeps_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("long.csv");
    let long = "长".repeat(100_001);
    std::fs::write(
        &file,
        format!("title,kind,lang,year\n好的一行,paper,zh,2024\n{long},paper,zh,2024\n另一行,paper,zh,2025\n"),
    )
    .unwrap();
    let o = run_capped(
        tmp.path(),
        3 << 20,
        &["import", "outcome", file.to_str().unwrap()],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(all.contains(":3") && all.contains("100000"), "{all}");
    let stats = super::stats(tmp.path());
    assert_eq!(stats["outcomes"], 2, "{stats}");
}

#[test]
fn an_unterminated_quote_is_reported_by_line_and_rows_are_not_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("quote.csv");
    std::fs::write(
        &file,
        "title,kind,lang,year\n第一篇,paper,zh,2024\n\"第二篇,paper,zh,2024\n第三篇,paper,zh,2025\n",
    )
    .unwrap();
    let o = super::run(tmp.path(), &["import", "outcome", file.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(all.contains("never closed"), "{all}");
    let stats = super::stats(tmp.path());
    assert_eq!(stats["outcomes"], 2, "{stats}");
}

#[test]
fn one_undecodable_line_is_a_bad_row_not_a_refused_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mixed.csv");
    let mut bytes = "title,kind,lang,year\n第一篇,paper,zh,2024\n"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\xFF\xFE\xFD,paper,zh,2024\n");
    bytes.extend_from_slice("第三篇,paper,zh,2025\n".as_bytes());
    std::fs::write(&file, bytes).unwrap();
    let o = super::run(tmp.path(), &["import", "outcome", file.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(all.contains(":3"), "the line is named: {all}");
    let stats = super::stats(tmp.path());
    assert_eq!(stats["outcomes"], 2, "{stats}");
}

#[test]
fn a_jsonl_nesting_bomb_rejects_its_line_and_keeps_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("nested.jsonl");
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    std::fs::write(
        &file,
        format!(
            "{{\"title\":\"好的一篇\",\"kind\":\"paper\",\"lang\":\"zh\",\"year\":2024}}\n{deep}\n{{\"title\":\"另一篇\",\"kind\":\"paper\",\"lang\":\"zh\",\"year\":2025}}\n"
        ),
    )
    .unwrap();
    let o = run_capped(
        tmp.path(),
        3 << 20,
        &["import", "outcome", file.to_str().unwrap()],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(
        format!("{out}{err}").contains(":2"),
        "the line is named: {err}"
    );
    assert_eq!(super::stats(tmp.path())["outcomes"], 2);
}
