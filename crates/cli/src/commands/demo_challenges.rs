//! The demo's challenges (揭榜挂帅) and scenarios (fictional, 示例数据): one at every stage, each
//! replayed through the board's use cases with the store's clock set back for each step — posted,
//! refined, published, answered (alone and as a consortium), reviewed by experts of the registry
//! (a conflicted one refused), put on notice, contracted, worked to milestones, accepted and graded
//! by the market — so every record, audit row and notification is what real use would leave.

use std::collections::BTreeMap;

use anyhow::Context;
use engine::challenges::{
    AcceptanceInput, Board, ChallengeInput, Detail, Measurement, MilestoneInput, MilestoneItem,
    MoveRequest, ScoreInput, TargetMetric,
};
use engine::engagements::Actor;
use model::{Record, RecordKind};
use store::{PassIssuer, Store};

mod teams;

const DAY: i64 = 86_400;

/// Days after posting of each step; a challenge that stops at step `k` was posted `T[k] + 2` days ago.
const T: [i64; 14] = [0, 2, 5, 8, 36, 38, 45, 53, 55, 120, 130, 310, 315, 320];
const STEPS: [&str; 14] = [
    "draft",
    "refining",
    "published",
    "applied",
    "applications_closed",
    "under_review",
    "notice",
    "contracted",
    "in_progress",
    "milestones",
    "accepted",
    "market",
    "market_graded",
    "closed",
];

/// (title, summary, target name, unit, threshold, end state).
const CHALLENGES: [(&str, &str, &str, &str, f64, &str); 13] = [
    (
        "固态电池电解质界面稳定性攻关（示例）",
        "面向 400 Wh/kg 固态电池，解决电解质与正极界面副反应。",
        "循环寿命",
        "次",
        1000.0,
        "draft",
    ),
    (
        "电驱系统 SiC 模块国产化封装（示例）",
        "车规级 SiC 功率模块封装与可靠性验证。",
        "结温",
        "°C",
        175.0,
        "refining",
    ),
    (
        "动力电池包热失控早期预警（示例）",
        "电池包级热失控提前 5 分钟以上预警，误报率低。",
        "预警提前时间",
        "min",
        5.0,
        "published",
    ),
    (
        "一体化压铸铝合金免热处理材料（示例）",
        "大型一体化压铸件用免热处理铝合金。",
        "屈服强度",
        "MPa",
        130.0,
        "applications_closed",
    ),
    (
        "高镍正极材料包覆工艺（示例）",
        "提升高镍正极的热稳定性与循环寿命。",
        "能量密度",
        "Wh/kg",
        300.0,
        "under_review",
    ),
    (
        "智能网联汽车高精度定位模组（示例）",
        "城区复杂环境下的车道级定位。",
        "定位误差",
        "cm",
        10.0,
        "notice",
    ),
    (
        "工业机器人高精度减速器（示例）",
        "谐波减速器寿命与精度保持。",
        "传动误差",
        "arcsec",
        30.0,
        "contracted",
    ),
    (
        "生物药连续流制造工艺（示例）",
        "单抗连续流纯化工艺放大。",
        "收率",
        "%",
        85.0,
        "in_progress",
    ),
    (
        "柔性显示用 PI 基膜（示例）",
        "耐高温透明聚酰亚胺薄膜国产化。",
        "透光率",
        "%",
        88.0,
        "accepted",
    ),
    (
        "功率半导体晶圆减薄设备（示例）",
        "8 英寸晶圆超薄减薄与应力控制。",
        "厚度偏差",
        "μm",
        2.0,
        "market_graded",
    ),
    (
        "汽车轻量化碳纤维复合材料（示例）",
        "车身结构件用快速成型碳纤维复合材料。",
        "成型周期",
        "min",
        5.0,
        "closed",
    ),
    (
        "工业软件 CAE 求解器（示例）",
        "结构仿真求解器国产化替代。",
        "计算误差",
        "%",
        3.0,
        "terminated",
    ),
    (
        "氢燃料电池膜电极（示例）",
        "低铂载量膜电极批量制备。",
        "功率密度",
        "W/cm²",
        1.2,
        "closed",
    ),
];

fn stop_index(stage: &str) -> usize {
    match stage {
        "draft" => 0,
        "refining" => 1,
        "published" => 3,
        "terminated" => 9,
        "accepted" => 11,
        other => STEPS.iter().position(|s| *s == other).unwrap_or(0),
    }
}

struct Seeder<'a> {
    store: &'a Store,
    board: Board,
    op: Actor,
    poster: Actor,
    gov: Actor,
    end_user: i64,
    applicants: Vec<Actor>,
    member: Actor,
    experts: Vec<i64>,
}

fn actor(u: &store::User, operator: bool) -> Actor {
    Actor {
        user_id: u.id,
        username: u.username.clone(),
        org: u.organization_id,
        operator,
        broker: u.role == "broker",
        official: u.role == "government",
    }
}

/// Writes the challenges and scenarios; how many.
pub async fn seed(store: &Store, issuer: &PassIssuer) -> anyhow::Result<usize> {
    let user = |name: &'static str| async move {
        store
            .user_by_name(name)
            .await?
            .with_context(|| format!("demo account {name}"))
    };
    let board = Board::new(
        store.clone(),
        issuer.demands_everything(),
        issuer.demands_everything(),
        false,
        None,
    )?;
    let staff = |org: i64, name: &str| {
        let name = name.to_string();
        async move {
            let id = store
                .upsert_user(
                    &store::NewUser {
                        username: &format!("staff-{org}"),
                        display_name: &format!("{name} 联络人（示例）"),
                        role: "institution",
                        organization_id: Some(org),
                        password_hash: "!not-a-login",
                    },
                    store.now_ts(),
                )
                .await?;
            anyhow::Ok(actor(&store.user(id).await?.context("staff user")?, false))
        }
    };
    let find = |name: &'static str| async move {
        anyhow::Ok(
            store
                .find_organization(name, None)
                .await?
                .with_context(|| format!("demo organization {name}"))?
                .id,
        )
    };
    let lab = find("先进电池材料重点实验室（示例）").await.ok();
    let mut s = Seeder {
        store,
        op: actor(&user("admin").await?, true),
        poster: actor(&user("ent-a").await?, false),
        gov: actor(&user("gov").await?, false),
        end_user: user("ent-b")
            .await?
            .organization_id
            .context("ent-b's organization")?,
        applicants: vec![actor(&user("inst").await?, false)],
        member: match (store.user_by_name("lab").await?, lab) {
            (Some(u), _) => actor(&u, false),
            (None, Some(l)) => staff(l, "先进电池材料重点实验室").await?,
            (None, None) => actor(&user("inst").await?, false),
        },
        experts: vec![],
        board,
    };
    // A second applicant: a registered institute or university other than the demo accounts'.
    for o in store.list(RecordKind::Organization, 0, 500).await? {
        if let Record::Organization(org) = &o.record {
            let kind = org.kind.as_str();
            if (kind == "research_institute" || kind == "new_rd_institution")
                && Some(o.id) != s.member.org
                && !s.applicants.iter().any(|a| a.org == Some(o.id))
            {
                s.applicants.push(staff(o.id, &org.name).await?);
                break;
            }
        }
    }
    s.reviewers().await?;
    let mut n = 0;
    for (i, c) in CHALLENGES.iter().enumerate() {
        s.play(i, c)
            .await
            .with_context(|| format!("demo challenge {i} ({})", c.0))?;
        n += 1;
    }
    n += s.scenarios().await?;
    store.set_clock_offset(0);
    Ok(n)
}

impl Seeder<'_> {
    fn at(&self, days_ago: i64) {
        self.store.set_clock_offset(-days_ago * DAY);
    }

    async fn go(
        &self,
        who: &Actor,
        id: i64,
        to: &str,
        extra: impl FnOnce(&mut MoveRequest),
    ) -> anyhow::Result<()> {
        let v = self.board.show(Some(&self.op), id).await?;
        let mut req = MoveRequest {
            to: to.into(),
            version: v.version,
            note: None,
            winners: None,
            acceptance: None,
        };
        extra(&mut req);
        self.board.transition(who, id, &req).await?;
        Ok(())
    }

    async fn reviewer(&self, expert: i64) -> anyhow::Result<Actor> {
        let u = self
            .store
            .user_of_expert(expert)
            .await?
            .context("expert account")?;
        Ok(actor(&u, false))
    }

    async fn play(
        &mut self,
        i: usize,
        c: &(&str, &str, &str, &str, f64, &str),
    ) -> anyhow::Result<()> {
        let (title, summary, target, unit, threshold, end) = *c;
        let stop = stop_index(end);
        let base = T[stop] + 2;
        let day = |k: usize| base - T[k];
        self.at(day(0));
        let poster = if i % 4 == 3 {
            self.gov.clone()
        } else {
            self.poster.clone()
        };
        let deadline = (chrono::Utc::now() + chrono::Duration::hours(8)
            - chrono::Duration::days(day(2))
            + chrono::Duration::days(30))
        .date_naive();
        let mut market = BTreeMap::new();
        market.insert("adopters".to_string(), 5);
        market.insert("revenue_fen".to_string(), 2_000_000_000);
        let input = ChallengeInput {
            kind: None,
            title: title.into(),
            summary: summary.into(),
            demand_id: None,
            poster_org_id: None,
            end_user_org_id: Some(self.end_user),
            budget_fen: 300_000_000 + 100_000_000 * (i as i64 % 4),
            matching_fen: 100_000_000,
            deadline: Some(deadline.to_string()),
            visibility: Some(if i % 5 == 4 { "registered" } else { "public" }.into()),
            winners_max: if i.is_multiple_of(2) { 2 } else { 1 },
            blind: i % 3 == 2,
            notice_days: None,
            detail: Detail {
                targets: vec![TargetMetric {
                    name: target.into(),
                    unit: unit.into(),
                    threshold,
                    direction: if ["定位误差", "传动误差", "厚度偏差", "成型周期", "计算误差"]
                        .contains(&target)
                    {
                        "at_most"
                    } else {
                        "at_least"
                    }
                    .into(),
                    method: "第三方检测机构按国家或行业标准测试（示例）".into(),
                }],
                market_targets: market,
                ip_terms:
                    "背景知识产权归各方所有；攻关中产生的知识产权由发榜方与揭榜方共有（示例）。"
                        .into(),
                form: None,
                offer: String::new(),
            },
            version: None,
        };
        let v = self.board.create(&poster, &input).await?;
        let id = v.id;
        let mut apps: Vec<(Actor, i64)> = vec![];
        for (k, step) in STEPS.iter().enumerate().take(stop + 1).skip(1) {
            self.at(day(k));
            match *step {
                "refining" => self.go(&poster, id, "refining", |_| {}).await?,
                "published" => self.go(&self.op, id, "published", |_| {}).await?,
                "applied" => apps = self.apply(id, i).await?,
                "applications_closed" => {
                    for e in self.experts.clone().iter().take(3) {
                        self.board.assign_reviewer(&self.op, id, *e).await?;
                    }
                    self.go(&self.op, id, "applications_closed", |_| {}).await?
                }
                "under_review" => {
                    self.go(&self.op, id, "under_review", |_| {}).await?;
                    if stop > k {
                        for (r, e) in self.experts.clone().iter().take(3).enumerate() {
                            let rev = self.reviewer(*e).await?;
                            for (j, (_, app)) in apps.iter().enumerate() {
                                let x = (9 - j as u32 - (r as u32 % 2)).min(10);
                                let scores = [
                                    "technical_route",
                                    "target_fit",
                                    "team",
                                    "budget_plan",
                                    "pledge",
                                ]
                                .iter()
                                .map(|c| (c.to_string(), x))
                                .collect();
                                let comment = [
                                    "技术路线清晰，建议补充中试验证计划。",
                                    "团队基础扎实，经费安排合理。",
                                    "指标论证充分，风险应对需细化。",
                                ][r]
                                    .to_string();
                                self.board
                                    .score(&rev, *app, &ScoreInput { scores, comment })
                                    .await?;
                            }
                        }
                    }
                }
                "notice" => {
                    self.go(&self.op, id, "notice", |_| {}).await?;
                    let v = self.board.show(Some(&self.op), id).await?;
                    for w in &v.winners {
                        let due = |d: i64| {
                            (chrono::Utc::now() - chrono::Duration::days(day(k) - d))
                                .date_naive()
                                .to_string()
                        };
                        self.board
                            .set_milestones(
                                &self.op,
                                id,
                                &MilestoneInput {
                                    application_id: w.id,
                                    milestones: vec![
                                        MilestoneItem {
                                            title: "样品验证".into(),
                                            due_on: due(60),
                                            metric: format!("{target} 达到目标的 90%"),
                                            tranche_fen: 100_000_000,
                                        },
                                        MilestoneItem {
                                            title: "中试与终验".into(),
                                            due_on: due(120),
                                            metric: format!("{target} 达到目标值"),
                                            tranche_fen: 150_000_000,
                                        },
                                    ],
                                },
                            )
                            .await?;
                    }
                }
                "contracted" => self.go(&self.op, id, "contracted", |_| {}).await?,
                "in_progress" => self.go(&poster, id, "in_progress", |_| {}).await?,
                "milestones" => {
                    if end == "terminated" {
                        self.go(&self.op, id, "terminated", |r| {
                            r.note = Some(
                                "揭榜方技术路线未能达到样品验证指标，经发榜方同意终止（示例）"
                                    .into(),
                            )
                        })
                        .await?;
                        continue;
                    }
                    let v = self.board.show(Some(&self.op), id).await?;
                    let end_user = self.end_user_actor().await?;
                    for (j, m) in v.milestones.iter().enumerate() {
                        let team = apps
                            .iter()
                            .find(|(_, a)| *a == m.application_id)
                            .map(|(t, _)| t.clone())
                            .context("milestone team")?;
                        let cur = self.board.show(Some(&self.op), id).await?;
                        let still = cur.applications.iter().any(|a| {
                            a.id == m.application_id && a.result.as_deref() == Some("winner")
                        });
                        if !still {
                            continue;
                        }
                        self.board
                            .report_milestone(
                                &team,
                                id,
                                m.id,
                                "按计划完成，检测报告见附件（示例）。",
                            )
                            .await?;
                        // In a horse race the second team stops at its first milestone.
                        let stop_team = j == 2 && v.winners.len() > 1;
                        self.board
                            .decide_milestone(
                                &end_user,
                                id,
                                m.id,
                                !stop_team,
                                if stop_team {
                                    "未达样品验证指标（示例）"
                                } else {
                                    ""
                                },
                                stop_team,
                            )
                            .await?;
                    }
                }
                "accepted" => {
                    let end_user = self.end_user_actor().await?;
                    let t = &input.detail.targets[0];
                    let value = if t.direction == "at_least" {
                        t.threshold * 1.05
                    } else {
                        t.threshold * 0.9
                    };
                    self.go(&end_user, id, "accepted", |r| {
                        r.acceptance = Some(AcceptanceInput {
                            measurements: vec![Measurement {
                                name: t.name.clone(),
                                value,
                            }],
                        })
                    })
                    .await?
                }
                "market" => {
                    let mut figures = BTreeMap::new();
                    figures.insert("adopters".to_string(), 3 + i as i64 % 3);
                    figures.insert(
                        "revenue_fen".to_string(),
                        1_200_000_000 + 300_000_000 * (i as i64 % 3),
                    );
                    figures.insert("orders".to_string(), 12);
                    self.board
                        .record_market(&self.op, id, 6, &figures, "来自采用企业的销售台账（示例）")
                        .await?;
                }
                "market_graded" => self.go(&self.op, id, "market_graded", |_| {}).await?,
                "closed" => self.go(&self.op, id, "closed", |_| {}).await?,
                other => anyhow::bail!("no step {other}"),
            }
        }
        Ok(())
    }

    async fn end_user_actor(&self) -> anyhow::Result<Actor> {
        let u = self.store.user_by_name("ent-b").await?.context("ent-b")?;
        Ok(actor(&u, false))
    }
}
