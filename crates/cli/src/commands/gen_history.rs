//! `shuanglian gen --history FILE`: a synthetic engagement history over the records `gen` imported,
//! for testing `shuanglian rank fit` until real labels exist. Every line says `"synthetic": true`.
//!
//! The truth is the generator's own: a need asks for a technique (term) on a part (object) of its
//! cluster. An outcome on the same part is relevant (grade 3 with the same technique, 2 with another);
//! one with the same technique on another part is what a lexical engine confuses with it, and its
//! engagement closes as not relevant (grade 0). Some public needs are posted again later with small
//! edits (as enterprises do when a first call found nobody): the re-posts come last in time, so a
//! time split holds out needs whose earlier twins were judged.

use std::collections::HashMap;

use model::{Confidentiality, Record, RecordKind};

/// One synthetic label, in the format `shuanglian labels export --format jsonl` writes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryLabel {
    pub demand_id: i64,
    pub item_kind: &'static str,
    pub item_id: i64,
    pub grade: i64,
    pub engagement_id: i64,
    pub confidentiality: String,
    pub updated_at: i64,
    pub synthetic: bool,
}

/// What a synthetic record is about: its cluster, technique and part, by the vocabulary's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub cluster: String,
    pub term: String,
    pub object: String,
}

/// The first day of the synthetic history (2025-01-01, Unix seconds).
const START: i64 = 1_735_689_600;
const DAY: i64 = 86_400;

/// A synthetic outcome's or need's topic from its cluster and key words (an English outcome's words
/// are mapped back through the vocabulary's parallel lists).
pub fn topic(record: &Record, english: &HashMap<String, String>) -> Option<Topic> {
    let (clusters, keywords) = match record {
        Record::Outcome(o) => (&o.clusters, &o.keywords),
        Record::Demand(d) => (&d.clusters, &d.keywords),
        _ => return None,
    };
    let zh = |w: &String| english.get(w).cloned().unwrap_or_else(|| w.clone());
    Some(Topic {
        cluster: clusters.first()?.clone(),
        term: zh(keywords.first()?),
        object: zh(keywords.get(1)?),
    })
}

/// Needs posted again: a copy of about two in five public needs with its metric sentence edited.
pub fn reposts(demands: &[(i64, Record)], seed: u64) -> Vec<Record> {
    let mut out = vec![];
    for (n, (_, r)) in demands.iter().enumerate() {
        let Record::Demand(d) = r else { continue };
        let pick = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n as u64).wrapping_mul(31) % 5;
        if d.confidentiality != Confidentiality::Public || pick >= 2 {
            continue;
        }
        let mut again = d.clone();
        again.title = format!("{}·再次发布", d.title);
        again.problem = format!("{}此前征集未果，现再次发布。", d.problem);
        out.push(Record::Demand(again));
    }
    out
}

/// The labels of every need: outcomes on the same part (relevant) and outcomes with the same
/// technique on another part (closed as not relevant), at most `per_need` of each, dated by the need's
/// place in `demands` (originals first, re-posts after).
pub fn labels(
    demands: &[(i64, Record)],
    outcomes: &[(i64, Record)],
    english: &HashMap<String, String>,
    per_need: usize,
) -> Vec<HistoryLabel> {
    let topics: Vec<(i64, Topic)> = outcomes
        .iter()
        .filter_map(|(id, r)| topic(r, english).map(|t| (*id, t)))
        .collect();
    let mut out = vec![];
    for (day, (demand_id, r)) in demands.iter().enumerate() {
        let (Some(t), Record::Demand(d)) = (topic(r, english), r) else {
            continue;
        };
        let same_cluster = topics.iter().filter(|(_, o)| o.cluster == t.cluster);
        let mut relevant = vec![];
        let mut confused = vec![];
        for (id, o) in same_cluster {
            if o.object == t.object {
                relevant.push((*id, if o.term == t.term { 3 } else { 2 }));
            } else if o.term == t.term {
                confused.push((*id, 0));
            }
        }
        relevant.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        relevant.truncate(per_need);
        confused.truncate(per_need);
        for (item_id, grade) in relevant.into_iter().chain(confused) {
            out.push(HistoryLabel {
                demand_id: *demand_id,
                item_kind: "outcome",
                item_id,
                grade,
                engagement_id: 0,
                confidentiality: d.confidentiality.to_string(),
                updated_at: START + day as i64 * DAY,
                synthetic: true,
            });
        }
    }
    out
}

/// Posts the re-posted needs, labels every synthetic need and writes the labels to `path`.
pub async fn write(
    store: &store::Store,
    sets: &[(RecordKind, Vec<Record>)],
    ids: &HashMap<RecordKind, Vec<i64>>,
    seed: u64,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let of = |kind: RecordKind| -> Vec<(i64, Record)> {
        let records = sets
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default();
        let ids = ids.get(&kind).map(Vec::as_slice).unwrap_or_default();
        ids.iter().copied().zip(records.iter().cloned()).collect()
    };
    let mut demands = of(RecordKind::Demand);
    let again = reposts(&demands, seed);
    let written = store.write_batch(&again, "gen").await?;
    demands.extend(
        written
            .into_iter()
            .map(store::WriteOutcome::id)
            .zip(again.iter().cloned()),
    );
    let english = super::gen::english_to_chinese();
    let history = labels(&demands, &of(RecordKind::Outcome), &english, 4);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
    );
    for l in &history {
        use std::io::Write;
        writeln!(out, "{}", serde_json::to_string(l)?)?;
    }
    println!(
        "{} needs posted again; {} synthetic labels (合成数据 / synthetic) → {}",
        again.len(),
        history.len(),
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(term: &str, object: &str) -> Record {
        let mut d = model::Demand::new("合成企业", format!("{term}{object}"), "需要方案");
        d.keywords = vec![term.into(), object.into()];
        d.clusters = vec!["C".into()];
        Record::Demand(d)
    }

    fn outcome(term: &str, object: &str) -> Record {
        let mut o = model::Outcome::new(model::OutcomeKind::Paper, format!("{term}{object}"));
        o.keywords = vec![term.into(), object.into(), "优化".into()];
        o.clusters = vec!["C".into()];
        Record::Outcome(o)
    }

    #[test]
    fn same_part_is_relevant_same_technique_on_another_part_is_not_and_english_maps_back() {
        let english = HashMap::from([("laser".to_string(), "激光".to_string())]);
        let outcomes = vec![
            (1, outcome("激光", "电芯")),
            (2, outcome("焊接", "电芯")),
            (3, outcome("激光", "箱体")),
            (4, outcome("焊接", "箱体")),
            (5, outcome("laser", "电芯")),
        ];
        let got = labels(&[(9, need("激光", "电芯"))], &outcomes, &english, 5);
        let grade = |id| got.iter().find(|l| l.item_id == id).map(|l| l.grade);
        assert_eq!(grade(1), Some(3));
        assert_eq!(grade(5), Some(3), "the English outcome maps back");
        assert_eq!(grade(2), Some(2));
        assert_eq!(grade(3), Some(0));
        assert_eq!(grade(4), None, "neither technique nor part: never engaged");
        assert!(got.iter().all(|l| l.synthetic && l.demand_id == 9));
    }
}
