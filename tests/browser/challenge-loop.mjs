// The whole 揭榜挂帅 loop as the people involved would walk it, with three organizations answering:
// ent-a posts a challenge from its need; the operator refines and publishes it; the university
// applies alone and ent-b leads a consortium with the lab, which confirms; the operator's attempt to
// assign the lab's own expert is refused with the reason, three reviewers are assigned and score;
// two teams win (horse race); the notice takes an objection, which the operator resolves; the task
// book gets milestones; the university's team stops at its first milestone; the consortium reports,
// files evidence and is accepted against the target metric; the market is recorded and graded; the
// public page shows the grade with its inputs. Every page passes the language and width checks.
import assert from 'node:assert/strict';
import { checkPage } from './journeys.mjs';

export async function challengeLoop({ browser, BASE, signIn, SHOTS, PASSWORD }) {
  const contexts = [];
  const open = async (user, width = 1280) => {
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    if (user) await signIn(page, user);
    return page;
  };
  const go = async (page, p, lang = 'zh') => {
    const res = await page.goto(`${BASE}${p}`);
    assert.ok(res.ok(), `${p}: HTTP ${res.status()}`);
    await checkPage(page, lang);
  };
  const submit = async (page, form, button = 'button[type=submit]') => {
    await Promise.all([page.waitForURL(/done=1/), form.locator(button).first().click()]);
    await checkPage(page, 'zh');
  };
  const move = async (page, to, fill = async () => {}) => {
    const form = page.locator(`#move-${to}`);
    assert.equal(await form.count(), 1, `the move to ${to} is offered`);
    await fill(form);
    await submit(page, form);
    assert.ok(await page.isVisible('#done'), `moved to ${to}`);
  };
  // The operator moves the workflow clock (the test set-up's SHUANGLIAN_TEST_CLOCK=1).
  const token = await (await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  })).json();
  const clock = async (days) => {
    const r = await fetch(`${BASE}/api/v1/test/clock`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token.token}` },
      body: JSON.stringify({ days }),
    });
    assert.equal(r.status, 204, 'the test clock moves');
  };

  try {
    // 1. 企业出题: ent-a posts from its need.
    const a = await open('ent-a');
    await go(a, '/challenges');
    await Promise.all([a.waitForURL(/\/challenges\/new/), a.click('#post-challenge')]);
    await checkPage(a, 'zh');
    const stamp = Date.now();
    const title = `电芯快充析锂在线检测 ${stamp}`;
    const deadline = new Date(Date.now() + 10 * 86400e3).toISOString().slice(0, 10);
    await a.fill('#title', title);
    await a.fill('#summary', '在 4C 快充工况下在线识别析锂，避免安全隐患。');
    const needs = await a.locator('#demand option').count();
    assert.ok(needs > 1, 'ent-a may start from one of its needs');
    await a.selectOption('#demand', { index: 1 });
    await a.fill('#budget_yuan', '3000000');
    await a.fill('#matching_yuan', '1000000');
    await a.fill('#deadline', deadline);
    await a.fill('#winners_max', '2');
    await a.fill('#t1_name', '识别准确率');
    await a.fill('#t1_threshold', '95');
    await a.fill('#t1_unit', '%');
    await a.fill('#adopters', '3');
    await a.fill('#revenue_yuan', '10000000');
    await a.fill('#ip_terms', '新产生的知识产权由双方共有。');
    await a.fill('#scoring', '技术路线与可行性，60，10\n团队与业绩，40，10');
    await Promise.all([a.waitForURL(/\/challenges\/\d+\?done=1/), a.click('#challenge-save')]);
    await checkPage(a, 'zh');
    const url = a.url().split('?')[0];
    const path = new URL(url).pathname;
    assert.match(await a.textContent('#stage'), /需求征集/);
    await move(a, 'refining');
    assert.equal(await a.locator('#move-published').count(), 0, 'the poster does not publish');

    // 2. 榜单凝练 and 发榜 by the operator.
    const op = await open('admin');
    await go(op, path);
    await move(op, 'published');
    const anon = await open(null);
    await go(anon, '/challenges');
    assert.equal(await anon.locator('#challenge-list a', { hasText: title }).count(), 1, 'published for everyone');

    // 3. 揭榜: the university alone; ent-b leads a consortium with the lab.
    const u = await open('inst');
    await go(u, path);
    await u.fill('#apply-form #plan', '基于声发射与膨胀力融合的析锂在线识别方案。');
    await u.fill('#apply-form #pledge', '12 个月内识别准确率达到 95%。');
    await u.fill('#apply-form #team', '王芳，负责人');
    await submit(u, u.locator('#apply-form'), '#submit-application');
    assert.match(await u.textContent('#my-application'), /已提交/);
    const b = await open('ent-b');
    await go(b, path);
    await b.fill('#apply-form #plan', '基于三电极参比与阻抗谱的析锂识别，联合实验室完成标定。');
    await b.fill('#apply-form #pledge', '9 个月完成中试验证。');
    await b.fill('#apply-form #members', '先进电池材料重点实验室（示例）');
    await submit(b, b.locator('#apply-form'), '#save-draft');
    const lab = await open('lab');
    await go(lab, path);
    await submit(lab, lab.locator('form:has(.confirm-member)'));
    assert.ok((await lab.content()).includes('三电极参比'), 'a member reads its consortium plan');
    assert.ok(!(await lab.content()).includes('声发射'), 'but not a competitor plan');
    await go(b, path);
    await submit(b, b.locator('#edit-application'), '#submit-application');
    assert.ok(!(await b.content()).includes('声发射'), 'ent-b does not read the university plan');

    // 4. Reviewers: the lab's own expert is refused with the reason; three are assigned.
    await go(op, path);
    const conflicted = op.locator('#assign-form option', { hasText: '陈志强' });
    assert.equal(await conflicted.count(), 1);
    await op.selectOption('#assign-form select', await conflicted.getAttribute('value'));
    await Promise.all([op.waitForLoadState('load'), op.click('#assign-form button')]);
    assert.match(await op.textContent('#error'), /同单位|利益冲突/, 'refused with the reason');
    await checkPage(op, 'zh');
    for (const who of ['expert', 'expert2', 'expert3']) {
      await go(op, path);
      const value = await op.locator(`#assign-form option[data-account="${who}"]`).getAttribute('value');
      await op.selectOption('#assign-form select', value);
      await submit(op, op.locator('#assign-form'));
    }
    assert.equal(await op.locator('#reviewers li').count(), 3);

    // 5. The deadline passes; review.
    await clock(11);
    await go(op, path);
    await move(op, 'applications_closed');
    await move(op, 'under_review');
    const scores = { expert: [8, 9], expert2: [7, 9], expert3: [8, 8] };
    for (const [who, [first, second]] of Object.entries(scores)) {
      const r = await open(who);
      await go(r, path);
      const items = r.locator('.review-item');
      assert.equal(await items.count(), 2, `${who} reviews both applications`);
      for (const [i, x] of [[0, first], [1, second]]) {
        const form = r.locator('.score-form').nth(i);
        for (const input of await form.locator('input[type=number]').all()) await input.fill(String(x));
        await form.locator('textarea').fill(`意见第 ${i + 1} 份`);
        await submit(r, form);
      }
      if (who === 'expert') await r.screenshot({ path: `${SHOTS}/challenge-review.png`, fullPage: true });
    }

    // 6. Two winners go on public notice; an objection is filed and resolved.
    await go(op, path);
    await move(op, 'notice');
    assert.equal(await op.locator('#winners li').count(), 2, 'horse race: two winners');
    const bank = await open('bank');
    await go(bank, path);
    await bank.fill('#objection-body', '对其中一家揭榜方的业绩存疑。');
    await Promise.all([bank.waitForURL(/done=1/), bank.click('#object-form button')]);
    await go(u, path);
    assert.equal(await u.locator('.feedback').count(), 1, 'the university gets its feedback');
    assert.match(await u.textContent('.feedback'), /团队与业绩/, 'feedback per criterion of the challenge own form');
    const mine = await u.content();
    for (const secret of ['评审专家二', '评审专家三', 'standings']) {
      assert.ok(!mine.includes(secret), `an applicant learns nothing of who scored (${secret})`);
    }
    const msForms = await op.locator('.milestones-form').count();
    assert.equal(msForms, 2);
    for (let i = 0; i < msForms; i++) {
      await go(op, path);
      const f = op.locator('.milestones-form').nth(i);
      await f.locator('textarea').fill(`样品验证，${deadline}，识别准确率≥90%，500000\n终验，${deadline}，识别准确率≥95%，1000000`);
      await submit(op, f);
    }
    await clock(11 + 8);
    await go(op, path);
    const contract = op.locator('#move-contracted');
    await contract.locator('button').click();
    await op.waitForLoadState('load');
    assert.ok(await op.isVisible('#error'), 'an open objection blocks the contract');
    await op.fill('.objection form input[name=resolution]', '经核实，业绩材料真实。');
    await submit(op, op.locator('.objection form'));
    await move(op, 'contracted');

    // 7. The work: the university's team stops at milestone 1; the consortium passes both.
    await go(a, path);
    await move(a, 'in_progress');
    await go(u, path);
    await u.locator('.report-form textarea').first().fill('样品准确率 82%，未达标。');
    await submit(u, u.locator('.report-form').first());
    await go(a, path);
    await submit(a, a.locator('.decide-form').first(), '.decide-stop');
    await go(u, path);
    assert.match(await u.textContent('#my-result'), /止步/);
    for (let i = 0; i < 2; i++) {
      await go(b, path);
      await b.locator('.report-form textarea').first().fill(`第 ${i + 1} 个里程碑达标，报告见附件。`);
      await submit(b, b.locator('.report-form').first());
      if (i === 0) {
        await go(b, path);
        await b.setInputFiles('.evidence-form input[type=file]', { name: '检测报告.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 test report') });
        await submit(b, b.locator('.evidence-form').first());
      }
      await go(a, path);
      await submit(a, a.locator('.decide-form').first(), '.decide-accept');
    }
    assert.ok((await a.locator('#milestones a[href^="/challenges/evidence/"]').count()) >= 1, 'the end user sees the evidence');
    const evidence = await a.locator('#milestones a[href^="/challenges/evidence/"]').first().getAttribute('href');
    const res = await u.goto(`${BASE}${evidence}`).catch(() => null);
    assert.ok(res && res.status() === 404, 'a competitor gets no evidence');

    // 8. 验收 against the target metric, then 市场阅卷.
    await go(a, path);
    await move(a, 'accepted', async (form) => {
      await form.locator('input[name^="m:"]').fill('96.5');
    });
    await go(op, path);
    await op.selectOption('#market-form select[name=months]', '12');
    await op.fill('#market-form input[name="ind:adopters"]', '3');
    await op.fill('#market-form input[name="ind:revenue_fen"]', '6000000');
    await submit(op, op.locator('#market-form'));
    await op.setInputFiles('#market-evidence-form input[type=file]', { name: '销售台账.csv', mimeType: 'text/csv', buffer: Buffer.from('月份,销售额\n1,600\n') });
    await submit(op, op.locator('#market-evidence-form'));
    assert.equal(await op.locator('a[href^="/challenges/evidence/"]', { hasText: '销售台账' }).count(), 1, 'market evidence listed for the operator');
    await move(op, 'market_graded');
    await move(op, 'closed');

    // 9. The public page shows the grade and its inputs, in Chinese on a laptop and English on a phone.
    await go(anon, path);
    assert.match(await anon.textContent('#stage'), /结题/);
    assert.match(await anon.textContent('#grade-letter'), /^[ABCD]$/);
    assert.equal(await anon.locator('#grade-inputs tbody tr').count(), 2);
    assert.ok(!(await anon.content()).includes('三电极参比'), 'the public reads no plan');
    assert.ok(!(await anon.content()).includes('销售台账'), 'the public reads no evidence names');
    await anon.screenshot({ path: `${SHOTS}/challenge-graded.png`, fullPage: true });
    const phone = await open(null, 390);
    await go(phone, `${path}?lang=en`, 'en');
    await phone.screenshot({ path: `${SHOTS}/challenge-graded-phone-en.png`, fullPage: true });
  } finally {
    await clock(0).catch(() => {});
    for (const c of contexts) await c.close();
  }
}
