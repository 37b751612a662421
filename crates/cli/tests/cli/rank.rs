//! `shuanglian rank fit` on a synthetic history from `shuanglian gen --history`: the output says the
//! history is synthetic in every form, the verdicts of the training period keep rejected items out of
//! the held-out needs' top 10 more than the ranking without them, and a bad labels file is refused
//! with file, line and field.

use super::{run, text};

#[test]
fn rank_fit_on_a_synthetic_history_reports_held_out_figures_with_and_without_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let history = tmp.path().join("history.jsonl");
    let o = run(
        &dir,
        &[
            "gen",
            "--outcomes",
            "1200",
            "--seed",
            "5",
            "--history",
            history.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("synthetic labels"), "{:?}", text(&o));
    let lines = std::fs::read_to_string(&history).unwrap();
    assert!(lines.lines().count() > 100);
    assert!(lines.lines().all(|l| l.contains("\"synthetic\":true")));
    assert!(lines.contains("\"grade\":0") && lines.contains("\"grade\":3"));
    assert!(run(&dir, &["reindex"]).status.success());

    let fitted = tmp.path().join("fitted.toml");
    let o = run(
        &dir,
        &[
            "rank",
            "fit",
            "--labels",
            history.to_str().unwrap(),
            "--lexical-only",
            "--json",
            "--output",
            fitted.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["synthetic"], true);
    assert!(v["held_out_needs"].as_u64().unwrap() >= 5, "{v}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let (with, without) = (&rows[0]["held_out"], &rows[1]["held_out"]);
    for r in rows {
        for part in ["train", "held_out"] {
            let n = r[part]["ndcg"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&n), "{r}");
        }
    }
    assert!(
        with["rejected_in_top"].as_f64().unwrap() < without["rejected_in_top"].as_f64().unwrap(),
        "the training period's verdicts keep rejected items out of the held-out top 10: {v}"
    );
    assert!(
        with["ndcg"].as_f64().unwrap() >= without["ndcg"].as_f64().unwrap(),
        "{v}"
    );
    let written = std::fs::read_to_string(&fitted).unwrap();
    assert!(written.contains("SYNTHETIC") && written.contains("not_relevant"));

    // The table says it too.
    let o = run(
        &dir,
        &[
            "rank",
            "fit",
            "--labels",
            history.to_str().unwrap(),
            "--lexical-only",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o).0.starts_with("SYNTHETIC HISTORY"),
        "{:?}",
        text(&o)
    );

    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"demand_id\":1,\"item_kind\":\"outcome\",\"item_id\":2,\"grade\":1,\"updated_at\":5}\n\
         {\"demand_id\":1,\"item_kind\":\"outcome\",\"item_id\":3,\"grade\":7,\"updated_at\":5}\n",
    )
    .unwrap();
    let o = run(&dir, &["rank", "fit", "--labels", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o).1;
    assert!(
        err.contains("bad.jsonl:2") && err.contains("`grade` = 7") && err.contains("give 0"),
        "{err}"
    );
}
