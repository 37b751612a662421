//! `shuanglian chain …` end to end on the demo records: gaps with statuses and reasons, the taxonomy
//! validator on edited copies, reassignment on a taxonomy change, overrides, and the assignment
//! precision on the labelled sample.

use std::path::{Path, PathBuf};

use super::{run, text, weights};

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{:?}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(o)))
}

/// A demo data directory with the repository's records only.
fn demo(dir: &Path) {
    let o = run(dir, &["demo", "--no-shared", "--no-serve"]);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// A copy of the shipped taxonomy to edit.
fn taxonomy_copy(into: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/chains");
    let dst = into.join("chains");
    std::fs::create_dir_all(dst.join("clusters")).unwrap();
    for f in ["taxonomy.toml", "gaps.toml", "assignment.toml"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("clusters")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dst.join("clusters").join(p.file_name().unwrap())).unwrap();
    }
    dst
}

fn node<'a>(g: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == code)
        .unwrap_or_else(|| panic!("no node {code} in {}", g["cluster"]))
}

#[test]
fn chain_gaps_on_the_demo_lists_nodes_with_statuses_and_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    demo(tmp.path());
    let o = run(tmp.path(), &["chain", "gaps"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    for word in [
        "强链",
        "弱链",
        "缺链",
        "本地没有该环节的企业",
        "阈值 thresholds",
        "关键核心技术攻关",
    ] {
        assert!(out.contains(word), "{word} missing:\n{out}");
    }
    let g = json(&run(tmp.path(), &["chain", "gaps", "ICV-NEV", "--json"]));
    let nodes = g["nodes"].as_array().unwrap();
    assert!(nodes.len() >= 15);
    let statuses: std::collections::HashSet<&str> = nodes
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("weak") && statuses.contains("missing"),
        "{statuses:?}"
    );
    for n in nodes {
        assert!(!n["reasons"].as_array().unwrap().is_empty(), "{n}");
    }
    // The key-technology map is ordered by priority.
    let priority = |code: &serde_json::Value| {
        node(&g, code.as_str().unwrap())["priority"]
            .as_f64()
            .unwrap()
    };
    let keys = g["key_technologies"].as_array().unwrap();
    assert!(!keys.is_empty());
    for w in keys.windows(2) {
        assert!(priority(&w[0]) >= priority(&w[1]), "{keys:?}");
    }
    // The demo's battery-system enterprise sits on the battery link, in Chongqing.
    assert!(
        node(&g, "ICV-NEV.battery")["counts"]["local_enterprises"]
            .as_u64()
            .unwrap()
            >= 1
    );
    // Fillers of a weak link, local first, explained.
    let f = json(&run(
        tmp.path(),
        &[
            "chain",
            "fillers",
            "ICV-NEV.bms",
            "--json",
            "--lexical-only",
        ],
    ));
    let outcomes = f["fillers"]["outcomes"].as_array().unwrap();
    assert!(!outcomes.is_empty(), "{f}");
    let rank = |l: &str| {
        ["local", "chengyu", "elsewhere"]
            .iter()
            .position(|x| *x == l)
            .unwrap()
    };
    for w in outcomes.windows(2) {
        assert!(
            rank(w[0]["locality"].as_str().unwrap()) <= rank(w[1]["locality"].as_str().unwrap())
        );
    }
    assert!(!outcomes[0]["reasons_zh"].as_array().unwrap().is_empty());
    // Bad input is named.
    let o = run(tmp.path(), &["chain", "gaps", "NOPE"]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("no cluster 'NOPE'"), "{:?}", text(&o));
    let o = run(
        tmp.path(),
        &["chain", "gaps", "ICV-NEV", "--region", "火星"],
    );
    assert!(
        text(&o).1.contains("unknown region '火星'"),
        "{:?}",
        text(&o)
    );
    let o = run(tmp.path(), &["chain", "fillers", "ICV-NEV.nope"]);
    assert!(
        text(&o).1.contains("no chain node 'ICV-NEV.nope'"),
        "{:?}",
        text(&o)
    );
}

#[test]
fn the_validator_names_every_problem_and_a_taxonomy_change_reassigns() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let o = run(&data, &["chain", "validate"]);
    let (out, _) = text(&o);
    assert!(o.status.success() && out.contains("is valid"), "{out}");

    // Break a copy three ways: a duplicate code, an undeclared supply cycle, a node without source.
    let bad = taxonomy_copy(tmp.path());
    let f = bad.join("clusters/ICV-NEV.toml");
    let mut s = std::fs::read_to_string(&f).unwrap();
    s = s.replacen("code = \"ICV-NEV.anode\"", "code = \"ICV-NEV.cathode\"", 1);
    s = s.replace("declared_cycle = true", "declared_cycle = false");
    s = s.replacen(
        "source = \"draft by Shuanglian, to be confirmed\"",
        "source = \"\"",
        1,
    );
    std::fs::write(&f, s).unwrap();
    let o = run(&data, &["chain", "validate", bad.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("clusters/ICV-NEV.toml: node ICV-NEV.cathode: code: code already used"),
        "{out}"
    );
    assert!(out.contains("supply edges form a cycle"), "{out}");
    assert!(out.contains("no provenance source"), "{out}");

    // A new node in an edited taxonomy: the next run is a full one and records land on it.
    demo(&data);
    let edited = taxonomy_copy(&tmp.path().join("edited"));
    let f = edited.join("clusters/ICV-NEV.toml");
    let mut s = std::fs::read_to_string(&f).unwrap();
    s.push_str(
        "\n[[node]]\ncode = \"ICV-NEV.thermal-runaway\"\nchain = \"ICV-NEV.parts\"\nzh = \"热失控防护\"\nen = \"Thermal-runaway protection\"\nstage = \"upstream\"\nimportance = 5\nkeywords_zh = [\"热失控\", \"热失控预警\", \"热蔓延\", \"热失控防护\"]\nkeywords_en = [\"thermal runaway\"]\nprovenance = \"draft\"\nsource = \"draft by Shuanglian, to be confirmed\"\n",
    );
    std::fs::write(&f, s).unwrap();
    let tax = edited.to_str().unwrap();
    let a = json(&run(
        &data,
        &[
            "chain",
            "assign",
            "--json",
            "--lexical-only",
            "--taxonomy",
            tax,
        ],
    ));
    assert_eq!(a["full"], true, "{a}");
    let again = json(&run(
        &data,
        &[
            "chain",
            "assign",
            "--json",
            "--lexical-only",
            "--taxonomy",
            tax,
        ],
    ));
    assert_eq!(again["full"], false);
    assert_eq!(again["records"], 0);
    let g = json(&run(
        &data,
        &["chain", "gaps", "ICV-NEV", "--json", "--taxonomy", tax],
    ));
    let n = node(&g, "ICV-NEV.thermal-runaway");
    let c = &n["counts"];
    let on = ["enterprises", "outcomes", "local_supply", "open_needs"]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum::<u64>();
    assert!(on >= 1, "records land on the new node: {n}");
    // Back on the shipped taxonomy the node is gone again.
    let a = json(&run(
        &data,
        &["chain", "assign", "--json", "--lexical-only"],
    ));
    assert_eq!(a["full"], true);
}

#[test]
fn imports_assign_at_once_and_overrides_win() {
    let tmp = tempfile::tempdir().unwrap();
    demo(tmp.path());
    // The demo's import already assigned everything: nothing waits.
    let a = json(&run(
        tmp.path(),
        &["chain", "assign", "--json", "--lexical-only"],
    ));
    assert_eq!(a["records"], 0, "{a}");
    let file = tmp.path().join("new.jsonl");
    std::fs::write(
        &file,
        "{\"kind\": \"patent\", \"title\": \"一种车载操作系统中间件的实时调度方法\", \"keywords\": [\"车载操作系统\", \"中间件\"], \"clusters\": [\"ICV-NEV\"], \"trl\": 5}\n",
    )
    .unwrap();
    let o = run(tmp.path(), &["import", "outcome", file.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let a = json(&run(
        tmp.path(),
        &["chain", "assign", "--json", "--lexical-only"],
    ));
    assert_eq!(
        a["records"], 0,
        "import assigned the new record itself: {a}"
    );
    let count = |code: &str| {
        let g = json(&run(tmp.path(), &["chain", "gaps", "ICV-NEV", "--json"]));
        node(&g, code)["counts"]["outcomes"].as_u64().unwrap()
    };
    let os_before = count("ICV-NEV.os");
    assert!(os_before >= 1);
    let id = {
        let o = run(
            tmp.path(),
            &["search", "车载操作系统中间件的实时调度", "--json"],
        );
        assert!(o.status.success(), "{:?}", text(&o));
        let first = String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap()
            .to_string();
        let v: serde_json::Value = serde_json::from_str(&first).unwrap();
        assert_eq!(v["title"], "一种车载操作系统中间件的实时调度方法");
        v["id"].as_i64().unwrap()
    };
    let id = id.to_string();
    // Keep it off the OS link, put it on the charging link: both win over the rules.
    for (node_code, action) in [("ICV-NEV.os", "remove"), ("ICV-NEV.charging", "add")] {
        let o = run(
            tmp.path(),
            &[
                "chain", "override", "outcome", &id, node_code, "--action", action, "--note",
                "测试",
            ],
        );
        assert!(o.status.success(), "{:?}", text(&o));
    }
    assert_eq!(count("ICV-NEV.os"), os_before - 1);
    let charging = count("ICV-NEV.charging");
    assert!(charging >= 1);
    let o = run(tmp.path(), &["chain", "assign", "--full", "--lexical-only"]);
    assert!(o.status.success());
    assert_eq!(
        count("ICV-NEV.os"),
        os_before - 1,
        "a full run keeps the decision"
    );
    let o = run(
        tmp.path(),
        &[
            "chain",
            "override",
            "outcome",
            &id,
            "ICV-NEV.os",
            "--action",
            "clear",
        ],
    );
    assert!(o.status.success());
    assert_eq!(count("ICV-NEV.os"), os_before);
    let o = run(
        tmp.path(),
        &["chain", "override", "outcome", &id, "ICV-NEV.nope"],
    );
    assert!(text(&o).1.contains("unknown chain node"), "{:?}", text(&o));
}

/// Assignment precision on the labelled demo sample (test split; weights were tuned on dev), rules
/// alone and, when the weights are here, with semantic similarity. The figures are printed for
/// BENCHMARKS.md; the floor is well under them so only a real regression fails.
#[test]
fn assignment_precision_on_the_labelled_sample() {
    let tmp = tempfile::tempdir().unwrap();
    demo(tmp.path());
    let o = run(tmp.path(), &["chain", "assign", "--full", "--lexical-only"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let e = json(&run(
        tmp.path(),
        &["chain", "eval-assign", "--split", "test", "--json"],
    ));
    eprintln!("rules only, test split: {e}");
    assert!(e["labelled"].as_u64().unwrap() >= 100);
    assert_eq!(
        e["found"], e["labelled"],
        "every labelled record is in the demo"
    );
    assert_eq!(e["semantic"], false);
    assert!(e["precision"].as_f64().unwrap() >= 0.6, "{e}");
    assert!(e["recall"].as_f64().unwrap() >= 0.25, "{e}");
    assert_eq!(e["none_kept_empty"], e["none_labelled"], "{e}");
    if let Some(model) = weights() {
        let model = model.to_str().unwrap().to_string();
        let o = run(tmp.path(), &["reindex", "--dense", "--model", &model]);
        assert!(o.status.success(), "{:?}", text(&o));
        let o = run(
            tmp.path(),
            &["chain", "assign", "--full", "--model", &model],
        );
        assert!(o.status.success(), "{:?}", text(&o));
        let s = json(&run(
            tmp.path(),
            &["chain", "eval-assign", "--split", "test", "--json"],
        ));
        eprintln!("rules + semantic, test split: {s}");
        assert_eq!(s["semantic"], true);
        assert!(s["precision"].as_f64().unwrap() >= 0.6, "{s}");
        assert!(
            s["recall"].as_f64().unwrap() >= e["recall"].as_f64().unwrap(),
            "{s} vs {e}"
        );
    }
}
