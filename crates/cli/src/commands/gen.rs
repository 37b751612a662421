//! `shuanglian gen`: synthetic records of realistic shape for load and latency tests. Every record is
//! labelled `合成数据 (synthetic …)` in its source and name, so it can never pass for real data; the
//! vocabulary is `data/synthetic/vocabulary.toml`. The same `--outcomes` and `--seed` give the same records.

use model::{
    Confidentiality, Demand, Lang, OrgKind, Organization, Outcome, OutcomeKind, Person, PersonKind,
    Record, RecordKind, Region, Trl,
};

use crate::args::{GenArgs, Global};

const VOCABULARY: &str = include_str!("../../../../data/synthetic/vocabulary.toml");

#[derive(serde::Deserialize)]
struct Vocabulary {
    cluster: Vec<ClusterWords>,
    methods: Methods,
    places: Places,
}

#[derive(serde::Deserialize)]
struct ClusterWords {
    code: String,
    terms: Vec<String>,
    terms_en: Vec<String>,
    objects: Vec<String>,
    objects_en: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Methods {
    zh: Vec<String>,
    en: Vec<String>,
    actions: Vec<String>,
    actions_en: Vec<String>,
    metrics: Vec<String>,
    metrics_en: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Places {
    chongqing: Vec<String>,
    chengyu: Vec<String>,
    elsewhere: Vec<String>,
}

/// Each English word of the vocabulary → its Chinese counterpart (the lists are parallel).
pub fn english_to_chinese() -> std::collections::HashMap<String, String> {
    let v: Vocabulary = toml::from_str(VOCABULARY).expect("the vocabulary file parses");
    let mut out = std::collections::HashMap::new();
    for c in v.cluster {
        out.extend(c.terms_en.into_iter().zip(c.terms));
        out.extend(c.objects_en.into_iter().zip(c.objects));
    }
    out
}

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// The synthetic registry: organizations (a tenth of the outcomes, at least 20), experts and demands (a
/// twentieth each), and the outcomes, in an order that imports cleanly (owners first).
pub fn synthetic(outcomes: usize, seed: u64) -> Vec<(RecordKind, Vec<Record>)> {
    let v: Vocabulary = toml::from_str(VOCABULARY).expect("the vocabulary file parses");
    let mut rng = Rng(seed ^ 0x5348_5541_4E47_4C49);
    let label = format!("合成数据 (synthetic, shuanglian gen --seed {seed})");
    let region = |rng: &mut Rng| -> String {
        let r = rng.below(100);
        let list = if r < 70 {
            &v.places.chongqing
        } else if r < 85 {
            &v.places.chengyu
        } else {
            &v.places.elsewhere
        };
        rng.pick(list).clone()
    };

    let n_orgs = (outcomes / 10).max(20);
    let mut orgs = Vec::with_capacity(n_orgs);
    let mut institutions = vec![];
    let mut enterprises = vec![];
    for i in 0..n_orgs {
        let c = rng.pick(&v.cluster);
        let place = region(&mut rng);
        let r = rng.below(100);
        let kind = match r {
            0..=69 => OrgKind::Enterprise,
            70..=79 => OrgKind::University,
            80..=86 => OrgKind::ResearchInstitute,
            87..=93 => OrgKind::Lab,
            94..=96 => OrgKind::PilotPlatform,
            _ => OrgKind::PocCentre,
        };
        let term = rng.pick(&c.terms).clone();
        let short = place.trim_end_matches(['区', '市', '省', '县']);
        let name = match kind {
            OrgKind::Enterprise => format!("{short}{term}科技有限公司（合成{i:06}）"),
            OrgKind::University => format!("{short}理工大学（合成{i:06}）"),
            OrgKind::ResearchInstitute => format!("{short}{term}研究院（合成{i:06}）"),
            OrgKind::Lab => format!("{term}重点实验室（合成{i:06}）"),
            OrgKind::PilotPlatform => format!("{term}中试平台（合成{i:06}）"),
            _ => format!("{term}概念验证中心（合成{i:06}）"),
        };
        let mut o = Organization::new(kind, name.clone());
        o.region = Region::lookup(&place);
        o.clusters = vec![c.code.clone()];
        o.source = Some(label.clone());
        if kind == OrgKind::Enterprise {
            let n = 2 + rng.below(3);
            o.products = (0..n)
                .map(|_| format!("{}{}", rng.pick(&c.terms), rng.pick(&c.objects)))
                .collect();
            o.business_scope = Some(format!(
                "{}、{}的研发、生产与销售；{}技术服务",
                o.products[0],
                o.products[1],
                rng.pick(&c.terms)
            ));
            o.extra.insert(
                "employees".into(),
                serde_json::json!(20 + rng.below(2000) * rng.below(3)),
            );
            enterprises.push((name, o.region.clone(), c.code.clone()));
        } else {
            o.description = Some(format!(
                "面向{}产业的{}与{}研究",
                c.code,
                rng.pick(&c.terms),
                rng.pick(&c.terms)
            ));
            institutions.push(name);
        }
        orgs.push(Record::Organization(o));
    }
    if institutions.is_empty() {
        institutions.push("合成理工大学（合成）".to_string());
    }

    let mut persons = vec![];
    for i in 0..(outcomes / 20).max(5) {
        let c = rng.pick(&v.cluster);
        let mut p = Person::new(PersonKind::Expert, format!("专家{i:06}（合成）"));
        p.affiliation = Some(rng.pick(&institutions).clone());
        p.fields = (0..3).map(|_| rng.pick(&c.terms).clone()).collect();
        p.fields.dedup();
        p.clusters = vec![c.code.clone()];
        p.bio = Some(format!(
            "长期从事{}与{}研究，主持{}项目。",
            p.fields[0],
            rng.pick(&c.objects),
            rng.pick(&v.methods.zh)
        ));
        p.source = Some(label.clone());
        persons.push(Record::Person(p));
    }

    let mut demands = vec![];
    if !enterprises.is_empty() {
        for i in 0..(outcomes / 20).max(5) {
            let (owner, owner_region, code) = rng.pick(&enterprises).clone();
            let c = v
                .cluster
                .iter()
                .find(|c| c.code == code)
                .expect("cluster of the owner");
            let term = rng.pick(&c.terms).clone();
            let object = rng.pick(&c.objects).clone();
            let mut d = Demand::new(
                owner,
                format!(
                    "{term}{object}{}技术攻关（合成{i:06}）",
                    rng.pick(&v.methods.actions)
                ),
                format!(
                    "现有{object}在{}方面不足，需要{}的{term}方案，使{}。",
                    rng.pick(&v.methods.actions),
                    rng.pick(&v.methods.zh),
                    rng.pick(&v.methods.metrics)
                ),
            );
            d.keywords = vec![term, object];
            d.trl_needed = Trl::new(4 + rng.below(5) as u8).ok();
            d.clusters = vec![code];
            d.region = owner_region;
            d.confidentiality = match rng.below(10) {
                0..=6 => Confidentiality::Public,
                7..=8 => Confidentiality::Registered,
                _ => Confidentiality::Nda,
            };
            d.source = Some(label.clone());
            demands.push(Record::Demand(d));
        }
    }

    let mut outs = Vec::with_capacity(outcomes);
    for i in 0..outcomes {
        let c = rng.pick(&v.cluster);
        let k = rng.below(c.terms.len());
        let j = rng.below(c.objects.len());
        let m = rng.below(v.methods.zh.len());
        let a = rng.below(v.methods.actions.len());
        let x = rng.below(v.methods.metrics.len());
        let english = rng.chance(0.2);
        let kind = match rng.below(10) {
            0..=4 => OutcomeKind::Paper,
            5..=7 => OutcomeKind::Patent,
            8 => OutcomeKind::Prototype,
            _ => OutcomeKind::Process,
        };
        let (title, body, keywords) = if english {
            (
                format!(
                    "A {} {} method for {} {}s (synthetic {i:07})",
                    v.methods.en[m], v.methods.actions_en[a], c.terms_en[k], c.objects_en[j]
                ),
                format!(
                    "We present a {} approach to the {} of {} {}s. Tests on {} samples show that {} by {}%. \
                     The method suits {} production and has been verified at pilot scale.",
                    v.methods.en[m],
                    v.methods.actions_en[a],
                    c.terms_en[k],
                    c.objects_en[j],
                    10 + rng.below(500),
                    v.methods.metrics_en[x],
                    5 + rng.below(40),
                    rng.pick(&c.terms_en)
                ),
                vec![c.terms_en[k].clone(), c.objects_en[j].clone()],
            )
        } else {
            (
                format!(
                    "一种{}{}{}的{}方法（合成{i:07}）",
                    v.methods.zh[m], c.terms[k], c.objects[j], v.methods.actions[a]
                ),
                format!(
                    "针对{}{}的{}难题，提出一种{}方法。在{}个样品上验证，{}{}%。该方法适用于{}生产。",
                    c.terms[k],
                    c.objects[j],
                    v.methods.actions[a],
                    v.methods.zh[m],
                    10 + rng.below(500),
                    v.methods.metrics[x],
                    5 + rng.below(40),
                    rng.pick(&c.terms)
                ),
                vec![c.terms[k].clone(), c.objects[j].clone(), v.methods.actions[a].clone()],
            )
        };
        let mut o = Outcome::new(kind, title);
        o.abstract_text = Some(body);
        o.keywords = keywords;
        o.lang = if english { Lang::en() } else { Lang::zh() };
        o.owners = vec![rng.pick(&institutions).clone()];
        o.trl = Trl::new(1 + rng.below(9) as u8).ok();
        o.year = Some(2015 + rng.below(12) as i32);
        o.clusters = vec![c.code.clone()];
        o.source = Some(label.clone());
        o.source_id = Some(format!("synthetic-{seed}-{i}"));
        outs.push(Record::Outcome(o));
    }
    vec![
        (RecordKind::Organization, orgs),
        (RecordKind::Person, persons),
        (RecordKind::Demand, demands),
        (RecordKind::Outcome, outs),
    ]
}

/// `shuanglian gen`: into the store (the indexes follow on the next search or `reindex`), or as JSON
/// Lines files with `--out DIR`.
pub async fn run(global: &Global, args: &GenArgs) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let sets = synthetic(args.outcomes, args.seed);
    if args.history.is_some() && args.out.is_some() {
        anyhow::bail!(
            "--history labels the records in the store by their ids: drop --out (import into the store)"
        );
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        for (kind, records) in &sets {
            let path = dir.join(format!("{}.jsonl", kind.plural()));
            let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
            ingest::export_records(
                *kind,
                records,
                ingest::ExportFormat::Jsonl,
                ingest::ExportOptions {
                    include_confidential: true,
                    include_private: true,
                },
                file,
            )?;
            println!(
                "{} synthetic {} → {}",
                records.len(),
                kind.plural(),
                path.display()
            );
        }
        return Ok(0);
    }
    let store = super::open_store(global).await?;
    let mut ids: std::collections::HashMap<RecordKind, Vec<i64>> = Default::default();
    for (kind, records) in &sets {
        for chunk in records.chunks(1000) {
            let written = store.write_batch(chunk, "gen").await?;
            ids.entry(*kind)
                .or_default()
                .extend(written.into_iter().map(store::WriteOutcome::id));
        }
        println!("{} synthetic {}", records.len(), kind.plural());
    }
    if let Some(path) = &args.history {
        super::gen_history::write(&store, &sets, &ids, args.seed, path).await?;
    }
    println!(
        "done in {:.1}s (labelled 合成数据 / synthetic; seed {})",
        started.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(0)
}
