//! Tiers and tech credit end to end: profiles imported from CSV and XLSX (a bad enterprise named by
//! line and column, the good ones kept), `tier evaluate` and `credit score` on the demo enterprises
//! and on files, stored evaluations that reproduce, the funnel, fitting and simulation.

use std::path::Path;

use super::{fixture, run, text};

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(o)))
}

fn demo(dir: &Path) {
    let o = run(dir, &["demo", "--no-shared", "--no-serve"]);
    assert!(o.status.success(), "{:?}", text(&o));
}

#[test]
fn csv_profiles_import_in_wan_yuan_and_a_bad_enterprise_is_named_and_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let file = fixture("profiles.csv");
    let o = run(tmp.path(), &["tier", "import", file.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(out.contains("2 profiles stored"), "{out}");
    assert!(
        err.contains("915001127CSVBAD003") || err.contains("line 5"),
        "the bad enterprise is named: {err}"
    );
    assert!(err.contains("revenue"), "the bad field is named: {err}");

    // The CSV enterprise in 万元 evaluates exactly like the same enterprise in JSON (yuan).
    let args = |f: &str| {
        vec![
            "tier".to_string(),
            "evaluate".into(),
            f.to_string(),
            "--json".into(),
            "--as-of".into(),
            "2026-06-30".into(),
            "--uscc".into(),
            "915001127DEM000011".into(),
        ]
    };
    let from_csv = {
        let a = args(file.to_str().unwrap());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        json(&run(tmp.path(), &a))
    };
    let from_json = {
        let a = args(fixture("profiles.json").to_str().unwrap());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        json(&run(tmp.path(), &a))
    };
    assert_eq!(from_csv[0]["schemes"], from_json[0]["schemes"]);

    // Stored profiles are evaluated without a file.
    let o = run(
        tmp.path(),
        &[
            "tier",
            "evaluate",
            "--json",
            "--as-of",
            "2026-06-30",
            "--uscc",
            "915001127CSVOK0004",
        ],
    );
    let v = json(&o);
    let hte = v[0]["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scheme"] == "hte")
        .unwrap();
    assert_ne!(
        hte["result"], "pass",
        "judgment items are not guessed: {hte}"
    );
}

#[test]
fn xlsx_profiles_read_numbers_and_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("profiles.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let header = [
        "统一社会信用代码",
        "企业名称",
        "成立日期",
        "职工总数",
        "科技人员数",
        "年度",
        "营业收入（万元）",
        "研发费用（万元）",
        "净利润（万元）",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2018, 4, 2).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, (year, rev, rd)) in [(2024, 5000.0, 300.0), (2025, 6000.0, 420.0)]
        .into_iter()
        .enumerate()
    {
        let r = r as u32 + 1;
        ws.write_string(r, 0, "915001127XLSX00001").unwrap();
        ws.write_string(r, 1, "重庆示例表格企业（示例）").unwrap();
        ws.write_datetime_with_format(r, 2, &date, &fmt).unwrap();
        ws.write_number(r, 3, 80.0).unwrap();
        ws.write_number(r, 4, 16.0).unwrap();
        ws.write_number(r, 5, f64::from(year)).unwrap();
        ws.write_number(r, 6, rev).unwrap();
        ws.write_number(r, 7, rd).unwrap();
        ws.write_number(r, 8, 100.0).unwrap();
    }
    wb.save(&file).unwrap();
    let o = run(
        tmp.path(),
        &[
            "credit",
            "score",
            file.to_str().unwrap(),
            "--json",
            "--no-store",
            "--as-of",
            "2026-06-30",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let v = json(&o);
    let c = &v[0]["credit"];
    let rd = c["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["metric"] == "rd_ratio_last_year")
        .unwrap();
    // 420万 / 6000万 = 7%: the unit in the header was applied to both.
    assert!((rd["value"].as_f64().unwrap() - 0.07).abs() < 1e-9, "{rd}");
    assert!(
        v[0].get("evaluation_id").is_none(),
        "--no-store stores nothing"
    );
    assert_eq!(c["stage"], "growth", "{c}");
}

#[test]
fn demo_enterprises_evaluate_score_store_and_reproduce() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir);

    // Every demo enterprise against every scheme.
    let o = run(
        &dir,
        &["tier", "evaluate", "--json", "--as-of", "2026-06-30"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let all = json(&o);
    let all = all.as_array().unwrap();
    assert!(all.len() >= 40, "{} demo profiles", all.len());
    let mut results = std::collections::BTreeMap::<(String, String), usize>::new();
    for e in all {
        for s in e["schemes"].as_array().unwrap() {
            *results
                .entry((
                    s["scheme"].as_str().unwrap().to_string(),
                    s["result"].as_str().unwrap().to_string(),
                ))
                .or_default() += 1;
        }
    }
    // The demo spans the ladder: some pass innovative_sme, some fail little_giant.
    assert!(
        results.contains_key(&("innovative_sme".into(), "pass".into())),
        "{results:?}"
    );
    assert!(
        results.contains_key(&("little_giant".into(), "fail".into())),
        "{results:?}"
    );

    // The funnel counts every stored profile.
    let o = run(&dir, &["tier", "funnel", "--json", "--as-of", "2026-06-30"]);
    let f = json(&o);
    assert_eq!(
        f["total"]["enterprises"].as_u64().unwrap() as usize,
        all.len()
    );
    let inno = &f["total"]["schemes"]["innovative_sme"];
    assert_eq!(
        inno["qualify"].as_u64().unwrap() as usize,
        results[&("innovative_sme".into(), "pass".into())]
    );
    assert!(!f["by_cluster"].as_array().unwrap().is_empty());
    assert!(!f["by_district"].as_array().unwrap().is_empty());

    // Credit: scored, stored, and reproducible.
    let o = run(
        &dir,
        &[
            "credit",
            "score",
            "--uscc",
            "915001057DEM000033",
            "--as-of",
            "2026-06-30",
            "--json",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let v = json(&o);
    let c = &v[0]["credit"];
    let id = v[0]["evaluation_id"].as_i64().expect("stored");
    let grade = c["grade"].as_str().expect("a grade");
    let line = c["credit_line_yuan"].as_u64().unwrap();
    let expected = match grade {
        "A" => 5_000_000,
        "B" => 4_000_000,
        "C" => 3_000_000,
        "D" => 1_600_000,
        "E" => 800_000,
        g => panic!("grade {g}"),
    };
    assert_eq!(line, expected);
    assert!(!c["reasons"].as_array().unwrap().is_empty());
    assert!(c["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "innovative_sme"));
    let o = run(&dir, &["credit", "show", &id.to_string(), "--json"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let s = json(&o);
    assert_eq!(s["reproduction"]["reproduced"], true, "{s}");
    assert_eq!(s["evaluation"]["score"], *c);
    assert_eq!(
        s["evaluation"]["inputs"]["profile"]["uscc"],
        "915001057DEM000033"
    );

    // A different card: the stored evaluation is not silently re-run under it.
    let card = tmp.path().join("card.toml");
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/credit/scorecard.toml"),
    )
    .unwrap();
    std::fs::write(&card, shipped.replace("2026.1-draft", "2026.2-test")).unwrap();
    let o = run(
        &dir,
        &[
            "credit",
            "show",
            &id.to_string(),
            "--json",
            "--card",
            card.to_str().unwrap(),
        ],
    );
    let s = json(&o);
    assert_eq!(s["reproduction"]["same_card"], false);
    assert!(s["reproduction"]["reproduced"].is_null());
}

#[test]
fn fit_reports_holdout_auc_on_synthetic_loans_and_simulate_splits_losses() {
    let tmp = tempfile::tempdir().unwrap();
    let loans = tmp.path().join("loans.csv");
    let o = run(
        tmp.path(),
        &[
            "credit",
            "synth",
            "--n",
            "6000",
            "--seed",
            "5",
            "--out",
            loans.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let o = run(
        tmp.path(),
        &["credit", "fit", loans.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let r = json(&o);
    let auc = r["holdout_auc"].as_f64().unwrap();
    assert!(auc > 0.68 && auc < 0.85, "held-out AUC {auc}");
    assert_eq!(r["holdout_rows"], 1800);

    // A bad label is named by line and column.
    let bad = tmp.path().join("bad.csv");
    let text_in = std::fs::read_to_string(&loans).unwrap();
    let mut lines: Vec<String> = text_in.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "default").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[col] = "maybe".into();
    lines[3] = cells.join(",");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let o = run(tmp.path(), &["credit", "fit", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = text(&o).1;
    assert!(err.contains(":4") && err.contains("default"), "{err}");

    // The sample book: every default's principal is split 80/20, interest stays with the bank.
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/credit/loan_book_sample.csv");
    let o = run(
        tmp.path(),
        &["credit", "simulate", book.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let r = json(&o);
    let first = &r["first_run"];
    let principal = first["defaulted_principal_fen"].as_i64().unwrap();
    assert!(principal > 0);
    assert_eq!(first["fund_loss_fen"].as_i64().unwrap(), principal * 8 / 10);
    assert_eq!(
        first["bank_loss_fen"].as_i64().unwrap(),
        principal - principal * 8 / 10 + first["bank_interest_loss_fen"].as_i64().unwrap()
    );
}

#[test]
fn an_assessors_judgment_is_stored_and_read_by_evaluations_of_the_stored_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir);
    let u = "915001057DEM000033";
    let result = |dir: &Path, scheme: &str| {
        let o = run(
            dir,
            &[
                "tier",
                "evaluate",
                "--uscc",
                u,
                "--scheme",
                scheme,
                "--as-of",
                "2026-06-30",
                "--json",
            ],
        );
        json(&o)[0]["schemes"][0]["result"].clone()
    };
    // The demo stores two tech-SME judgments; residence and the dishonesty list now come from the
    // profile (a valid USCC, no list flag), so tech-SME passes with or without them.
    assert_eq!(result(&dir, "tech_sme"), "pass");
    let o = run(&dir, &["tier", "assess", u, "--json"]);
    assert_eq!(json(&o)["tech_sme_resident_enterprise"], 1.0);
    let o = run(&dir, &["tier", "assess", u, "--clear"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(result(&dir, "tech_sme"), "pass", "the data decides");
    // HTE waits on judgments the data cannot hold: unknown without them, never a pass.
    assert_eq!(result(&dir, "hte"), "unknown");
    let o = run(
        &dir,
        &["tier", "assess", u, "--set", "tech_sme_residency=yes"],
    );
    assert!(!o.status.success());
    assert!(
        text(&o)
            .1
            .contains("unknown assessor key 'tech_sme_residency'"),
        "{:?}",
        text(&o)
    );
    // A stored "no" on an eligibility judgment is read by the next evaluation.
    let o = run(
        &dir,
        &[
            "tier",
            "assess",
            u,
            "--set",
            "hte_core_ip_owned=否",
            "--set",
            "tech_sme_not_serious_dishonesty=是",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(result(&dir, "hte"), "fail");
    let o = run(&dir, &["tier", "assess", u, "--clear"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(result(&dir, "hte"), "unknown");
}
