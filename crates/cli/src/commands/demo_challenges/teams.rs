//! The demo's people around its challenges: reviewer accounts for the experts of the registry, the
//! applications (alone and as a consortium that confirms), and the two open application scenarios.

use anyhow::Context;
use engine::challenges::{
    ApplicationInput, ChallengeInput, Detail, MilestoneInput, MilestoneItem, TeamMember,
};
use engine::engagements::Actor;
use model::{Record, RecordKind};

use super::Seeder;

impl Seeder<'_> {
    /// Accounts for the experts of the registry.
    pub(super) async fn reviewers(&mut self) -> anyhow::Result<()> {
        let applicant_orgs: Vec<i64> = self
            .applicants
            .iter()
            .filter_map(|a| a.org)
            .chain(self.member.org)
            .collect();
        // The demo logins `expert`, `expert2`, `expert3` act for the first three experts no demo
        // applicant is conflicted with; the others get accounts nobody signs in to.
        let mut logins = vec!["expert3", "expert2", "expert"];
        for p in self.store.list(RecordKind::Person, 0, 200).await? {
            let Record::Person(person) = &p.record else {
                continue;
            };
            if person.kind != model::PersonKind::Expert {
                continue;
            }
            let aff = match &person.affiliation {
                Some(a) => self.store.find_organization(a, None).await?.map(|o| o.id),
                None => None,
            };
            let conflicted = aff.is_some_and(|o| {
                applicant_orgs.contains(&o) || Some(o) == self.poster.org || o == self.end_user
            });
            let login = if conflicted { None } else { logins.pop() };
            let uid = if let Some(name) = login {
                self.store
                    .user_by_name(name)
                    .await?
                    .with_context(|| format!("demo account {name}"))?
                    .id
            } else {
                self.store
                    .upsert_user(
                        &store::NewUser {
                            username: &format!("expert-{}", p.id),
                            display_name: &format!("{}（评审专家）", person.name),
                            role: "institution",
                            organization_id: None,
                            password_hash: "!not-a-login",
                        },
                        self.store.now_ts(),
                    )
                    .await?
            };
            self.store.set_user_expert(uid, Some(p.id)).await?;
            if !conflicted {
                self.experts.push(p.id);
            }
        }
        anyhow::ensure!(
            self.experts.len() >= 3,
            "the demo registry needs 3 experts free of conflicts"
        );
        Ok(())
    }

    /// Two applications: the university alone, and an institute leading a consortium with a lab.
    pub(super) async fn apply(&self, id: i64, i: usize) -> anyhow::Result<Vec<(Actor, i64)>> {
        let mut out = vec![];
        for (j, a) in self.applicants.iter().enumerate() {
            let with_member = j == 1 && self.member.org.is_some() && self.member.org != a.org;
            let input = ApplicationInput {
                plan: ["采用梯度掺杂与表面包覆协同的技术路线，分三阶段完成小试、中试和产线验证（示例）。", "联合体分工：牵头单位负责工艺放大，成员单位负责表征与可靠性测试（示例）。"][j % 2].into(),
                pledge: "按期达到全部目标指标，未达标时按任务书约定退还未使用经费（示例）。".into(),
                team: vec![TeamMember { person_id: None, name: format!("项目负责人{}（示例）", j + 1), role: "负责人".into() }],
                budget: vec![engine::challenges::BudgetLine { item: "材料与测试".into(), amount_fen: 100_000_000 }],
                members: if with_member { self.member.org.into_iter().collect() } else { vec![] },
                submit: !with_member,
                version: None,
            };
            let v = self.board.apply(a, id, &input).await?;
            let app = v
                .applications
                .iter()
                .find(|x| x.lead.as_ref().map(|o| Some(o.id)) == Some(a.org))
                .context("application just made")?
                .id;
            if with_member {
                self.board.confirm_membership(&self.member, app).await?;
                let ver = self
                    .board
                    .show(Some(&self.op), id)
                    .await?
                    .applications
                    .iter()
                    .find(|x| x.id == app)
                    .map(|x| x.version)
                    .unwrap_or(1);
                self.board
                    .edit_application(
                        a,
                        app,
                        &ApplicationInput {
                            submit: true,
                            version: Some(ver),
                            ..input
                        },
                    )
                    .await?;
            }
            out.push((a.clone(), app));
        }
        let _ = i;
        Ok(out)
    }

    /// Two open application scenarios: one open, one with a selected trial under way.
    pub(super) async fn scenarios(&self) -> anyhow::Result<usize> {
        let offers = [
            (
                "两江新区自动驾驶公开测试道路（示例）",
                "开放 12 公里城市道路和路侧感知数据 6 个月，供车路协同与自动驾驶方案实测。",
            ),
            (
                "市级医院首台套手术机器人应用（示例）",
                "三甲医院提供 2 间手术室和首购承诺，验证国产手术机器人。",
            ),
        ];
        for (k, (title, offer)) in offers.iter().enumerate() {
            self.at(if k == 0 { 4 } else { 60 });
            let deadline = (chrono::Utc::now() + chrono::Duration::hours(8)
                - chrono::Duration::days(if k == 0 { 4 } else { 60 })
                + chrono::Duration::days(20))
            .date_naive();
            let input = ChallengeInput {
                kind: Some("scenario".into()),
                title: title.to_string(),
                summary: "示例数据：开放应用场景。".into(),
                demand_id: None,
                poster_org_id: None,
                end_user_org_id: None,
                budget_fen: 0,
                matching_fen: 0,
                deadline: Some(deadline.to_string()),
                visibility: None,
                winners_max: 2,
                blind: false,
                notice_days: None,
                detail: Detail {
                    offer: offer.to_string(),
                    ..Detail::default()
                },
                version: None,
            };
            let v = self.board.create(&self.gov, &input).await?;
            self.go(&self.gov, v.id, "published", |_| {}).await?;
            if k == 1 {
                self.at(55);
                let a = &self.applicants[0];
                let v = self
                    .board
                    .apply(
                        a,
                        v.id,
                        &ApplicationInput {
                            plan: "在开放场地完成 3 个月试用并提交临床评价报告（示例）。".into(),
                            pledge: "按场景方要求完成试用并提交结果（示例）。".into(),
                            team: vec![],
                            budget: vec![],
                            members: vec![],
                            submit: true,
                            version: None,
                        },
                    )
                    .await?;
                let app = v.applications[0].id;
                self.at(35);
                self.go(&self.gov, v.id, "under_review", |_| {}).await?;
                let due = (chrono::Utc::now() + chrono::Duration::days(60))
                    .date_naive()
                    .to_string();
                self.board
                    .set_milestones(
                        &self.gov,
                        v.id,
                        &MilestoneInput {
                            application_id: app,
                            milestones: vec![MilestoneItem {
                                title: "试用报告".into(),
                                due_on: due,
                                metric: "完成 20 例试用".into(),
                                tranche_fen: 0,
                            }],
                        },
                    )
                    .await?;
                self.at(30);
                self.go(&self.gov, v.id, "contracted", |r| {
                    r.winners = Some(vec![app])
                })
                .await?;
            }
        }
        Ok(offers.len())
    }
}
