//! The demo's engagement history (fictional, 示例数据): a few dozen engagements at every stage,
//! replayed through the same desk use cases as the API with the store's clock set back for each
//! step — so every record, hash chain, notification and label is what real use would leave.
//!
//! Pairs come from the demo registry itself: each open public or registered need is paired with the
//! demo outcome of a registered holder that shares a cluster and the most character bigrams with it.
//! Scenario `i` (cycling) decides how far the pair got. Two NDA needs get hand-written stories: one
//! signed and under evaluation, one with a signed provider that contracted and an unsigned one.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use engine::engagements::{
    Actor, ContractInput, Desk, EvaluationInput, ItemRef, OpenRequest, ReportInput,
    TransitionRequest,
};
use model::{Confidentiality, OrgKind, Record, RecordKind};
use store::{PassIssuer, Store, Stored};

const DAY: i64 = 86_400;
const DEMO_SOURCE: &str = "示例数据 (demo)";

/// One step of a scenario: days ago, who moves (`seeker`, `provider`, `broker`), the move.
#[derive(Clone, Copy)]
enum Step {
    Accept,
    Sign,
    Evaluate(&'static str),
    Negotiate,
    Contract(&'static str, i64, bool),
    Report(&'static str),
    Close(&'static str),
    Withdraw,
    Broker,
}

/// How far each scenario goes: (days ago opened, steps with days ago).
fn scenario(i: usize) -> (i64, Vec<(i64, Step)>) {
    use Step::*;
    match i % 10 {
        0 => (3, vec![]),
        1 => (16, vec![]),
        2 => (40, vec![(33, Accept), (30, Broker)]),
        3 => (60, vec![(55, Accept), (41, Evaluate("sample_test"))]),
        4 => (
            75,
            vec![(70, Accept), (58, Evaluate("poc")), (40, Negotiate)],
        ),
        5 => (
            120,
            vec![
                (112, Accept),
                (108, Broker),
                (95, Evaluate("pilot")),
                (70, Negotiate),
                (52, Contract("development_cooperative", 180_000_000, true)),
                (20, Report("in_production")),
            ],
        ),
        6 => (50, vec![(44, Close("trl_too_low"))]),
        7 => (
            90,
            vec![(85, Accept), (66, Evaluate("poc")), (48, Close("price"))],
        ),
        8 => (
            150,
            vec![
                (140, Accept),
                (120, Negotiate),
                (101, Contract("licence", 45_000_000, false)),
                (60, Report("delivered")),
            ],
        ),
        _ => (30, vec![(26, Withdraw)]),
    }
}

struct Seeder<'a> {
    store: &'a Store,
    desk: Desk,
    issuer: &'a PassIssuer,
    /// The acting user of each organization (a demo account, else a staff account made here).
    staff: HashMap<i64, Actor>,
    brokers: Vec<Actor>,
}

/// Writes the history; how many engagements were opened.
pub async fn seed(store: &Store, issuer: &PassIssuer) -> anyhow::Result<usize> {
    let desk = Desk::new(store.clone(), issuer.demands_everything(), false)?;
    let mut s = Seeder {
        store,
        desk,
        issuer,
        staff: HashMap::new(),
        brokers: vec![],
    };
    s.contacts_and_brokers().await?;
    let mut n = 0;
    n += s.nda_stories().await?;
    let pairs = s.pairs().await?;
    for (i, (demand, outcome, holder)) in pairs.into_iter().enumerate() {
        let (opened, steps) = scenario(i);
        let opener_is_provider = i % 3 != 1;
        if s.play(
            Some(demand),
            outcome,
            holder,
            opener_is_provider,
            opened,
            &steps,
            i,
        )
        .await
        .with_context(|| format!("demo engagement {i} (need #{demand}, outcome #{outcome})"))?
        {
            n += 1;
        }
    }
    store.set_clock_offset(0);
    Ok(n)
}

impl Seeder<'_> {
    /// Demo accounts get contact details; the broker account registers its fields; two more
    /// fictional brokers join it.
    async fn contacts_and_brokers(&mut self) -> anyhow::Result<()> {
        for (i, u) in self.store.users().await?.into_iter().enumerate() {
            let mail = format!("{}@demo.shuanglian.example", u.username);
            let phone = format!("023-6000-{:04}", i + 1);
            self.store
                .set_user_contact(u.id, Some(&mail), Some(&phone))
                .await?;
            if u.role == "broker" {
                self.brokers.push(actor_of(&u, false));
            }
        }
        let extra = [
            ("broker-lin", "林思远（示例·技术经纪人）"),
            ("broker-zhou", "周敏（示例·技术经纪人）"),
        ];
        for (name, display) in extra {
            let id = self
                .store
                .upsert_user(
                    &store::NewUser {
                        username: name,
                        display_name: display,
                        role: "broker",
                        organization_id: None,
                        password_hash: "!not-a-login",
                    },
                    self.store.now_ts(),
                )
                .await?;
            let u = self.store.user(id).await?.context("broker just made")?;
            self.brokers.push(actor_of(&u, false));
        }
        let fields: [(&[&str], &[&str], &[&str]); 3] = [
            (
                &["ICV-NEV", "AM"],
                &["电池", "热管理", "轻量化", "压铸"],
                &["长寿区", "两江新区"],
            ),
            (
                &["EIM", "EQUIP"],
                &["半导体", "封装", "机器人", "视觉"],
                &["沙坪坝区", "荣昌区"],
            ),
            (
                &["BIO", "FOOD", "AM"],
                &["制剂", "发酵", "复合材料"],
                &["涪陵区", "大渡口区"],
            ),
        ];
        for (b, (clusters, keywords, regions)) in self.brokers.iter().zip(fields) {
            let regions = regions
                .iter()
                .filter_map(|r| model::Region::lookup(r).map(|x| x.key().to_string()))
                .collect();
            self.store
                .put_broker(&store::BrokerRow {
                    user_id: b.user_id,
                    clusters: clusters.iter().map(|c| c.to_string()).collect(),
                    keywords: keywords.iter().map(|k| k.to_string()).collect(),
                    regions,
                    bio: "示例数据：技术经纪人，陪跑需求对接与合同登记。".into(),
                })
                .await?;
        }
        Ok(())
    }

    /// The acting user of an organization.
    async fn actor(&mut self, org: i64) -> anyhow::Result<Actor> {
        if let Some(a) = self.staff.get(&org) {
            return Ok(a.clone());
        }
        let users = self.store.users_of_org(org).await?;
        let user = match users.into_iter().next() {
            Some(u) => u,
            None => {
                let s = self
                    .store
                    .get(RecordKind::Organization, org)
                    .await?
                    .context("organization of a demo engagement")?;
                let Record::Organization(o) = &s.record else {
                    anyhow::bail!("#{org} is not an organization");
                };
                let role = if o.kind == OrgKind::Enterprise {
                    "enterprise"
                } else {
                    "institution"
                };
                let id = self
                    .store
                    .upsert_user(
                        &store::NewUser {
                            username: &format!("staff-{org}"),
                            display_name: &format!("{} 联络人（示例）", o.name),
                            role,
                            organization_id: Some(org),
                            password_hash: "!not-a-login",
                        },
                        self.store.now_ts(),
                    )
                    .await?;
                let mail = format!("staff-{org}@demo.shuanglian.example");
                self.store.set_user_contact(id, Some(&mail), None).await?;
                self.store.user(id).await?.context("staff user just made")?
            }
        };
        let a = actor_of(&user, false);
        self.staff.insert(org, a.clone());
        Ok(a)
    }

    fn pass(&self, a: &Actor) -> store::DemandPass {
        self.issuer.demands_of(a.org, [])
    }

    fn at(&self, days_ago: i64) {
        self.store.set_clock_offset(-days_ago * DAY);
    }

    /// Opens one engagement and plays its steps; false when the pair could not be opened.
    #[allow(clippy::too_many_arguments)]
    async fn play(
        &mut self,
        demand: Option<i64>,
        outcome: i64,
        holder: i64,
        provider_opens: bool,
        opened: i64,
        steps: &[(i64, Step)],
        i: usize,
    ) -> anyhow::Result<bool> {
        let seeker_org = match demand {
            Some(d) => self.owner_of(d).await?,
            None => return Ok(false),
        };
        let seeker = self.actor(seeker_org).await?;
        let provider = self.actor(holder).await?;
        let opener = if provider_opens { &provider } else { &seeker };
        self.at(opened);
        let messages = [
            "我们的成果与贵方需求高度相关，希望进一步交流。",
            "看到贵单位的成果，想了解能否用于我们的产线。",
            "可提供样品测试与技术支持。",
        ];
        let req = OpenRequest {
            demand_id: demand,
            item: ItemRef {
                kind: "outcome".into(),
                id: outcome,
            },
            message: messages[i % messages.len()].into(),
            purpose: None,
            seeker_org_id: None,
            want_broker: i % 4 == 2,
        };
        let v = match self.desk.open(opener, &self.pass(opener), &req).await {
            Ok(v) => v,
            Err(engine::EngineError::Conflict(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let counterpart = if provider_opens {
            seeker.clone()
        } else {
            provider.clone()
        };
        let mut version = v.version;
        for (days, step) in steps {
            self.at(*days);
            let (who, req) = match *step {
                Step::Accept => (&counterpart, mv("introduced", version)),
                Step::Evaluate(kind) => (
                    &seeker,
                    TransitionRequest {
                        evaluation: Some(EvaluationInput {
                            kind: kind.into(),
                            platform_org_id: None,
                        }),
                        ..mv("evaluation", version)
                    },
                ),
                Step::Negotiate => (&provider, mv("negotiation", version)),
                Step::Contract(kind, fen, registered) => {
                    let signed = (chrono::Utc::now() - chrono::Duration::days(*days)).date_naive();
                    (
                        &seeker,
                        TransitionRequest {
                            contract: Some(ContractInput {
                                contract_type: kind.into(),
                                amount_fen: fen,
                                seller: None,
                                ip_ownership: if registered { "joint" } else { "seller" }.into(),
                                signed_on: signed.to_string(),
                                registration_no: registered
                                    .then(|| format!("5001{}{:06}", signed.format("%Y"), 100 + i)),
                                registered_on: registered.then(|| signed.to_string()),
                            }),
                            ..mv("contracted", version)
                        },
                    )
                }
                Step::Report(kind) => (
                    &seeker,
                    TransitionRequest {
                        report: Some(ReportInput {
                            kind: kind.into(),
                            revenue_fen: None,
                        }),
                        ..mv("follow_up", version)
                    },
                ),
                Step::Close(reason) => (
                    &counterpart,
                    TransitionRequest {
                        reason_code: Some(reason.into()),
                        note: Some("示例：经评估暂不推进。".into()),
                        ..mv("closed_lost", version)
                    },
                ),
                Step::Withdraw => (opener, mv("withdrawn", version)),
                Step::Sign => {
                    self.desk
                        .sign_nda(&provider, v.id, version)
                        .await
                        .context("signing the NDA")?;
                    version += 1;
                    continue;
                }
                Step::Broker => {
                    let b = self.brokers[i % self.brokers.len().max(1)].user_id;
                    let pass = self.pass(&seeker);
                    self.desk
                        .assign_broker(&seeker, &pass, v.id, version, b)
                        .await
                        .context("assigning a broker")?;
                    version += 1;
                    continue;
                }
            };
            let pass = self.pass(who);
            let after = self
                .desk
                .transition(who, &pass, v.id, &req)
                .await
                .with_context(|| format!("moving to {}", req.to))?;
            version = after.version;
        }
        Ok(true)
    }

    async fn owner_of(&self, demand: i64) -> anyhow::Result<i64> {
        let all = self.issuer.demands_everything();
        let s = self
            .store
            .get_demand(demand, &all)
            .await?
            .context("demo need")?;
        let Record::Demand(d) = &s.record else {
            anyhow::bail!("#{demand} is not a need");
        };
        let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
        Ok(self
            .store
            .find_organization(&d.owner, uscc.as_deref())
            .await?
            .context("the need's owner is registered")?
            .id)
    }

    /// The NDA stories: XQ-2026-009 (ent-a) signed by the university and under evaluation;
    /// XQ-2026-004 (ent-b) contracted with a signed provider, another provider introduced unsigned.
    async fn nda_stories(&mut self) -> anyhow::Result<usize> {
        let needs = self.demands().await?;
        let outcomes = self.outcomes().await?;
        let mut n = 0;
        for (code, plan) in [("XQ-2026-009", 0usize), ("XQ-2026-004", 1)] {
            let Some((id, need)) = needs.iter().find(|(_, d)| d.code.as_deref() == Some(code))
            else {
                continue;
            };
            let text = demand_text(need);
            let mut ranked: Vec<(usize, i64, i64)> = outcomes
                .iter()
                .map(|(oid, holder, t, _)| (overlap(&text, t), *oid, *holder))
                .collect();
            ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let owner = self.owner_of(*id).await?;
            let mut holders = BTreeSet::new();
            let picks: Vec<(i64, i64)> = ranked
                .into_iter()
                .filter(|(_, _, h)| *h != owner && holders.insert(*h))
                .map(|(_, o, h)| (o, h))
                .take(2)
                .collect();
            use Step::*;
            let stories: Vec<(i64, Vec<(i64, Step)>)> = if plan == 0 {
                vec![(21, vec![(18, Accept), (15, Sign), (9, Evaluate("poc"))])]
            } else {
                vec![
                    (
                        130,
                        vec![
                            (125, Accept),
                            (122, Sign),
                            (110, Evaluate("sample_test")),
                            (90, Negotiate),
                            (64, Contract("transfer", 260_000_000, true)),
                        ],
                    ),
                    (12, vec![(8, Accept)]),
                ]
            };
            for ((outcome, holder), (opened, steps)) in picks.into_iter().zip(stories) {
                if self
                    .play(Some(*id), outcome, holder, true, opened, &steps, 2)
                    .await
                    .with_context(|| format!("demo NDA story {code}"))?
                {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Every demo need with its id.
    async fn demands(&self) -> anyhow::Result<Vec<(i64, model::Demand)>> {
        let all = self.issuer.demands_everything();
        let mut out = vec![];
        let mut pages = self.store.pages_with(RecordKind::Demand, 500, &all);
        while let Some(page) = pages.next().await? {
            for s in page {
                if let Record::Demand(d) = s.record {
                    if d.source.as_deref() == Some(DEMO_SOURCE) {
                        out.push((s.id, d));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Demo outcomes with a registered holder: (id, holder, text, clusters).
    async fn outcomes(&self) -> anyhow::Result<Vec<(i64, i64, String, Vec<String>)>> {
        let mut out = vec![];
        let mut pages = self.store.pages(RecordKind::Outcome, 500);
        while let Some(page) = pages.next().await? {
            for s in page {
                let Stored { id, record, .. } = s;
                let Record::Outcome(o) = &record else {
                    continue;
                };
                if o.source.as_deref() != Some(DEMO_SOURCE) {
                    continue;
                }
                let item = ItemRef {
                    kind: "outcome".into(),
                    id,
                };
                if let Ok(holder) = self.desk.provider_of(&item).await {
                    let text = format!(
                        "{} {}",
                        o.title,
                        o.abstract_text.clone().unwrap_or_default()
                    );
                    out.push((id, holder, text, o.clusters.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Each open public or registered need with the best demo outcome of another holder that
    /// shares a cluster (at most one engagement per need; 30 at most).
    async fn pairs(&self) -> anyhow::Result<Vec<(i64, i64, i64)>> {
        let outcomes = self.outcomes().await?;
        // The needs of the demo accounts' own organizations first, so their boards are not empty.
        let accounts: BTreeSet<i64> = self
            .store
            .users()
            .await?
            .iter()
            .filter(|u| !u.password_hash.starts_with('!'))
            .filter_map(|u| u.organization_id)
            .collect();
        let mut needs = vec![];
        for (id, d) in self.demands().await? {
            if d.confidentiality == Confidentiality::Nda || d.status != model::DemandStatus::Open {
                continue;
            }
            let owner = self.owner_of(id).await?;
            needs.push((!accounts.contains(&owner), d.code.clone(), id, owner, d));
        }
        needs.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut out = vec![];
        for (_, _, id, owner, d) in &needs {
            let text = demand_text(d);
            let best = outcomes
                .iter()
                .filter(|(_, h, _, c)| *h != *owner && c.iter().any(|x| d.clusters.contains(x)))
                .map(|(o, h, t, _)| (overlap(&text, t), *o, *h))
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            if let Some((score, o, h)) = best {
                if score >= 2 {
                    out.push((*id, o, h));
                }
            }
            if out.len() == 36 {
                break;
            }
        }
        Ok(out)
    }
}

fn mv(to: &str, version: i64) -> TransitionRequest {
    TransitionRequest {
        to: to.into(),
        version,
        reason_code: None,
        note: None,
        contract: None,
        placement: None,
        evaluation: None,
        report: None,
    }
}

fn actor_of(u: &store::User, operator: bool) -> Actor {
    Actor {
        user_id: u.id,
        username: u.username.clone(),
        org: u.organization_id,
        operator,
        broker: u.role == "broker",
        official: u.role == "government",
    }
}

fn demand_text(d: &model::Demand) -> String {
    format!("{} {} {}", d.title, d.problem, d.keywords.join(" "))
}

/// Shared character bigrams of two Chinese texts (a crude relatedness, enough to pair demo records).
fn overlap(a: &str, b: &str) -> usize {
    let grams = |s: &str| -> BTreeSet<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    };
    grams(a).intersection(&grams(b)).count()
}
