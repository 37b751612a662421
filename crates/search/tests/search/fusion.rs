//! Fusion arithmetic, business signals and snippets.

use std::collections::HashMap;

use model::{RecordKind, RegionTier};
use search::fusion::{fuse, FusionMethod, FusionParams};
use search::matching::{highlight, rerank, signals, MatchContext, Profile, RankingConfig};
use search::{Hit, VectorHit};

fn lex(ids_scores: &[(u64, f32)]) -> Vec<Hit> {
    ids_scores
        .iter()
        .map(|&(id, score)| Hit {
            record_kind: RecordKind::Outcome,
            id,
            score,
        })
        .collect()
}

fn dense(ids_scores: &[(u64, f32)]) -> Vec<VectorHit> {
    ids_scores
        .iter()
        .map(|&(id, similarity)| VectorHit {
            record_kind: RecordKind::Outcome,
            id,
            similarity,
        })
        .collect()
}

fn params(method: FusionMethod) -> FusionParams {
    FusionParams {
        method,
        rrf_k: 60.0,
        w_lexical: 0.5,
        w_dense: 0.5,
        cross_language_lexical: 0.5,
        depth: 100,
        ..FusionParams::default()
    }
}

#[test]
fn reciprocal_rank_fusion_adds_one_over_k_plus_rank() {
    let l = lex(&[(1, 9.0), (2, 5.0)]);
    let d = dense(&[(2, 0.9), (3, 0.8)]);
    let out = fuse(&l, &d, |_, _| None, &params(FusionMethod::Rrf));
    let score = |id| out.iter().find(|f| f.id == id).unwrap().score;
    assert!((score(2) - (0.5 / 62.0 + 0.5 / 61.0)).abs() < 1e-7);
    assert!((score(1) - 0.5 / 61.0).abs() < 1e-7);
    assert_eq!(out[0].id, 2, "in both lists beats either alone");
}

#[test]
fn min_max_fusion_rescales_each_list_and_floors_the_missing_side() {
    let l = lex(&[(1, 10.0), (2, 6.0), (3, 2.0)]);
    let d = dense(&[(3, 0.9), (4, 0.8), (1, 0.5)]);
    let out = fuse(&l, &d, |_, _| None, &params(FusionMethod::MinMax));
    let get = |id| out.iter().find(|f| f.id == id).unwrap();
    // 1: lexical top (1.0), dense bottom (0.0); 2: lexical 0.5, dense missing → floor 0.
    assert!((get(1).score - 0.5).abs() < 1e-6);
    assert!((get(2).score - 0.25).abs() < 1e-6);
    assert!((get(3).score - 0.5).abs() < 1e-6);
    assert!((get(4).score - 0.375).abs() < 1e-6);
    assert_eq!(get(2).dense, None);
    assert_eq!(get(4).lexical, None);
    // Evidence records each list's own score and rank.
    assert_eq!(get(3).lexical.unwrap().rank, 3);
    assert_eq!(get(3).dense.unwrap().score, 0.9);
}

#[test]
fn the_parts_of_a_fused_score_add_up_including_the_floor() {
    let l = lex(&[(1, 10.0), (2, 6.0), (3, 2.0)]);
    let d = dense(&[(3, 0.9), (4, 0.8), (1, 0.5)]);
    for method in [
        FusionMethod::MinMax,
        FusionMethod::ZScore,
        FusionMethod::Rrf,
    ] {
        for f in fuse(&l, &d, |_, _| None, &params(method)) {
            let parts = f.lexical.map_or(0.0, |e| e.contribution)
                + f.dense.map_or(0.0, |e| e.contribution)
                + f.absent;
            assert!((parts - f.score).abs() < 1e-6, "{method:?} {f:?}");
        }
    }
    // Under z-scores the missing side's floor is the list's lowest (negative) value, and says so.
    let out = fuse(&l, &d, |_, _| None, &params(FusionMethod::ZScore));
    let two = out.iter().find(|f| f.id == 2).unwrap();
    assert!(two.absent < 0.0, "{two:?}");
}

#[test]
fn a_list_of_equal_scores_gives_no_floor_to_what_it_left_out() {
    // One need in the dense list: it is the best and the worst there, which says nothing of the others.
    let l = lex(&[(1, 10.0), (2, 6.0)]);
    let d = dense(&[(2, 0.71)]);
    let out = fuse(&l, &d, |_, _| None, &params(FusionMethod::MinMax));
    let one = out.iter().find(|f| f.id == 1).unwrap();
    assert_eq!(one.absent, 0.0);
    assert!((one.score - 0.5).abs() < 1e-6, "{one:?}");
}

#[test]
fn another_language_halves_the_lexical_weight() {
    let l = lex(&[(1, 10.0), (2, 0.0)]);
    let d = dense(&[(2, 0.9), (1, 0.5)]);
    let same = fuse(&l, &d, |_, _| Some(true), &params(FusionMethod::MinMax));
    let cross = fuse(&l, &d, |_, id| Some(id != 1), &params(FusionMethod::MinMax));
    let one = |v: &Vec<search::Fused>| v.iter().find(|f| f.id == 1).unwrap().clone();
    assert!((one(&same).score - 0.5).abs() < 1e-6);
    assert!((one(&cross).score - 0.25).abs() < 1e-6);
    assert!(one(&cross).cross_language && !one(&same).cross_language);
}

#[test]
fn business_signals_add_their_weighted_values_and_say_why() {
    let cfg = RankingConfig::builtin();
    let w = &cfg.need_to_supply;
    let ctx = MatchContext {
        trl: Some(7),
        clusters: vec!["ICV-NEV".into()],
        chain_nodes: vec!["battery-pack".into(), "bms".into()],
    };
    let local = Profile {
        region: Some("长寿区".into()),
        region_tier: Some(RegionTier::Chongqing),
        trl: Some(5),
        chain_nodes: vec!["bms".into()],
        owner_kind: Some("university".into()),
        ..Profile::default()
    };
    let s = signals(&local, &ctx, w);
    let get = |name| s.iter().find(|x| x.name == name).unwrap();
    assert_eq!(get("locality").value, Some(1.0));
    assert!((get("locality").contribution - w.locality).abs() < 1e-6);
    // Two levels below a TRL-7 need with zero fit at four below: half.
    assert_eq!(get("trl_fit").value, Some(0.5));
    assert!(get("trl_fit").reason.contains("2 below"));
    assert_eq!(get("chain").value, Some(0.5));
    assert_eq!(get("owner").value, Some(0.7));
    // Unknown data adds nothing and says so.
    let unknown = signals(&Profile::default(), &ctx, w);
    assert!(unknown.iter().all(|x| x.contribution == 0.0));
    assert!(unknown
        .iter()
        .any(|x| x.name == "trl_fit" && x.reason.contains("unknown")));
    // Far is worth less than near.
    let far = Profile {
        region_tier: Some(RegionTier::China),
        ..local.clone()
    };
    let v = |p: &Profile| signals(p, &ctx, w)[0].contribution;
    assert!(v(&local) > v(&far));

    // rerank: score = relevance + contributions, best first.
    let fused = fuse(
        &lex(&[(1, 5.0), (2, 4.9), (3, 1.0)]),
        &dense(&[(1, 0.8), (2, 0.79), (3, 0.5)]),
        |_, _| None,
        &cfg.fusion,
    );
    let profiles = HashMap::from([
        ((RecordKind::Outcome, 1), far.clone()),
        ((RecordKind::Outcome, 2), local.clone()),
    ]);
    let hits = rerank(&fused, &profiles, "电池", &[], &ctx, w, 10);
    for h in &hits {
        let sum: f32 = h.signals.iter().map(|s| s.contribution).sum();
        assert!((h.score - h.relevance - sum).abs() < 1e-6);
    }
    // Near-equal relevance: the Chongqing candidate wins; one without a profile is dropped.
    assert_eq!(hits[0].id, 2);
    assert_eq!(hits.len(), 2);
}

#[test]
fn snippets_show_the_densest_window_with_matches_marked() {
    let text = format!(
        "{}。基于多传感器融合识别电池热失控早期征兆，可提前数分钟报警。",
        "无关的前言文字".repeat(40)
    );
    let terms: Vec<String> = ["热", "失控", "报警"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (snippet, matched) = highlight(&terms, &text, 60);
    assert!(snippet.starts_with('…'), "{snippet}");
    assert!(
        snippet.contains("【失控】") && snippet.contains("【报警】"),
        "{snippet}"
    );
    assert_eq!(matched, vec!["热", "失控", "报警"]);
    let (snippet, matched) = highlight(&terms, "no match here", 60);
    assert_eq!(snippet, "no match here");
    assert!(matched.is_empty());
}

#[test]
fn the_ranking_file_is_validated() {
    let cfg = RankingConfig::builtin();
    assert_eq!(cfg.fusion.method, FusionMethod::MinMax);
    let bad = search::matching::DEFAULT_CONFIG.replace("w_lexical = 0.5", "w_lexical = -1");
    let err = RankingConfig::parse(&bad, "x.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.toml") && err.contains("w_lexical"), "{err}");
    for (from, to, says) in [
        ("m = 16", "m = 100000", "vector.m"),
        (
            "ef_construction = 128",
            "ef_construction = 0",
            "ef_construction",
        ),
        ("depth = 100", "depth = 0", "fusion.depth"),
        ("chain = 0.05", "chain = nan", "need_to_supply.chain"),
        (
            "chongqing = 1.0",
            "chongqing = 3.0",
            "locality_values.chongqing",
        ),
        (
            "trl_gap_to_zero = 4.0",
            "trl_gap_to_zero = 0.0",
            "trl_gap_to_zero",
        ),
    ] {
        let bad = search::matching::DEFAULT_CONFIG.replacen(from, to, 1);
        assert_ne!(bad, search::matching::DEFAULT_CONFIG, "{from}");
        let err = RankingConfig::parse(&bad, "z.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{to}: {err}");
    }
    let err = RankingConfig::parse("version = 1", "y.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("y.toml"), "{err}");
}
