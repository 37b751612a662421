// The whole loop from an NDA need to a contract, as the people involved would walk it: ent-a posts
// an NDA need with a public summary; the university finds it as a match of its outcome and opens an
// engagement; ent-a accepts; the university signs the NDA and now reads the full brief (ent-b still
// does not); evaluation, negotiation, a registered contract, a follow-up report. The inbox and the
// mail that reached an SMTP server show each step, and no mail carries the need's text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkPage } from './journeys.mjs';

/// The mails in `dir` (written by smtp-sink.mjs) as { to, subject, body } with bodies decoded.
function mails(dir) {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => {
    const raw = fs.readFileSync(path.join(dir, f), 'utf8');
    const [head, ...rest] = raw.split('\r\n\r\n');
    const to = (head.match(/^X-Envelope-To: (.*)$/m) ?? [])[1] ?? '';
    const subj = (head.match(/^Subject: =\?UTF-8\?B\?([^?]*)\?=/m) ?? [])[1] ?? '';
    return {
      to,
      subject: Buffer.from(subj, 'base64').toString('utf8'),
      body: Buffer.from(rest.join('\r\n\r\n').replace(/\s+/g, ''), 'base64').toString('utf8'),
    };
  });
}

async function waitFor(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function dealLoop({ browser, BASE, signIn, SHOTS, MAIL_DIR }) {
  const open = async (user) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, user);
    return { ctx, page };
  };
  const go = async (page, p) => {
    const res = await page.goto(`${BASE}${p}`);
    assert.ok(res.ok(), `${p}: HTTP ${res.status()}`);
    await checkPage(page, 'zh');
  };
  const move = async (page, to, fill = async () => {}) => {
    const form = page.locator(`#move-${to}`);
    assert.equal(await form.count(), 1, `the move to ${to} is offered`);
    await fill(form);
    await Promise.all([page.waitForURL(/done=1/), form.locator('button[type=submit]').click()]);
    await checkPage(page, 'zh');
  };

  // 1. ent-a posts an NDA need with a public summary.
  const a = await open('ent-a');
  const stamp = Date.now();
  const title = `磷酸锰铁锂正极倍率性能提升（保密）${stamp}`;
  const brief = `我司 ${stamp} 批次产品 1C 倍率容量保持率偏低，需快离子导体包覆方案，目标 1C≥150mAh/g。`;
  const summary = `磷酸锰铁锂正极材料碳包覆改性，提升动力电池倍率性能 ${stamp}`;
  await go(a.page, '/demands/new');
  await a.page.fill('#title', title);
  await a.page.fill('#problem', brief);
  await a.page.fill('#public_summary', summary);
  await a.page.selectOption('#confidentiality', 'nda');
  await Promise.all([a.page.waitForURL(/\/demands\/\d+$/), a.page.click('#demand-form button[type=submit]')]);
  const demandUrl = a.page.url();

  // 2. The university finds it as a match of its outcome and opens an engagement.
  const u = await open('inst');
  await go(u.page, `/search?q=${encodeURIComponent('磷酸锰铁锂 碳包覆')}&kind=outcome`);
  await Promise.all([u.page.waitForURL(/\/outcomes\/\d+/), u.page.click('#search-hits li a.title >> nth=0')]);
  await checkPage(u.page, 'zh');
  const teaser = u.page.locator('#teaser-matches li', { hasText: String(stamp) });
  assert.equal(await teaser.count(), 1, 'the NDA need is a match of the outcome, by its public summary');
  assert.ok(!(await u.page.content()).includes(title), 'the title is not shown');
  await Promise.all([u.page.waitForURL(/\/engagements\/new/), teaser.locator('a.engage').click()]);
  await checkPage(u.page, 'zh');
  await u.page.fill('textarea[name=message]', '我校碳包覆专利可直接用于贵司正极材料，欢迎对接。');
  await Promise.all([u.page.waitForURL(/\/engagements\/\d+\?done=1/), u.page.click('#open-submit')]);
  const engagementUrl = u.page.url().replace(/\?done=1$/, '');
  const id = engagementUrl.split('/').pop();
  assert.match(await u.page.textContent('#stage'), /意向/);
  assert.match(await u.page.textContent('#contacts'), /双方接受引荐后/, 'contacts hidden before the introduction');
  assert.ok(!(await u.page.content()).includes(brief), 'no brief before the NDA');

  // 3. ent-a sees it in the inbox and accepts the introduction.
  await go(a.page, '/inbox');
  assert.ok((await a.page.textContent('#notices')).includes(`#${id}`), 'the opening reaches the inbox');
  await go(a.page, `/engagements/${id}`);
  await move(a.page, 'introduced');
  assert.match(await a.page.textContent('#stage'), /引荐/);

  // 4. The university now sees the contact, signs the NDA and reads the full brief.
  await go(u.page, `/engagements/${id}`);
  assert.match(await u.page.textContent('#contacts'), /ent-a@/, 'the seeker contact after the introduction');
  assert.equal(await u.page.locator('#move-evaluation').count(), 0, 'no evaluation before the NDA');
  await Promise.all([u.page.waitForURL(/done=1/), u.page.click('#sign-nda')]);
  assert.match(await u.page.textContent('#stage'), /保密协议/);
  assert.ok((await u.page.textContent('#brief')).includes(brief), 'the full brief after signing');
  await go(u.page, demandUrl.replace(BASE, ''));
  assert.ok((await u.page.textContent('#demand-title')).includes(title), 'the need page opens to the signer');

  // ent-b still reads the summary only, and not the engagement.
  const b = await open('ent-b');
  await go(b.page, demandUrl.replace(BASE, ''));
  assert.ok(!(await b.page.content()).includes(brief) && !(await b.page.content()).includes(title));
  assert.ok((await b.page.content()).includes(summary), 'ent-b reads the public summary');
  assert.equal((await b.page.goto(engagementUrl)).status(), 404);
  await b.ctx.close();

  // 5. Evaluation, negotiation, a registered contract, a follow-up report.
  await go(a.page, `/engagements/${id}`);
  await move(a.page, 'evaluation', (f) => f.locator('select[name=evaluation_kind]').selectOption('sample_test'));
  await go(u.page, `/engagements/${id}`);
  await move(u.page, 'negotiation');
  await go(a.page, `/engagements/${id}`);
  const today = new Date().toISOString().slice(0, 10);
  await move(a.page, 'contracted', async (f) => {
    await f.locator('select[name=contract_type]').selectOption('licence');
    await f.locator('input[name=amount_yuan]').fill('1200000');
    await f.locator('select[name=ip_ownership]').selectOption('joint');
    await f.locator('input[name=registration_no]').fill(`2026500001${String(stamp).slice(-6)}`);
    await f.locator('input[name=registered_on]').fill(today);
  });
  assert.match(await a.page.textContent('#contract'), /技术许可/);
  assert.match(await a.page.textContent('#contract'), /120 万元/, 'the amount in 万元');
  await move(a.page, 'follow_up', (f) => f.locator('select[name=report_kind]').selectOption('in_production'));
  assert.match(await a.page.textContent('#stage'), /实施跟踪/);
  assert.equal(await a.page.locator('#timeline li').count(), 7, 'seven steps on the timeline');
  await a.page.screenshot({ path: `${SHOTS}/engagement-loop-ent-a.png`, fullPage: true });

  // 6. The university's inbox shows each step; the contract is listed for it.
  await go(u.page, '/inbox');
  const inbox = await u.page.textContent('#notices');
  for (const stage of ['引荐', '评估验证', '签约', '实施跟踪']) {
    assert.ok(inbox.includes(stage), `the inbox tells of ${stage}`);
  }
  await u.page.screenshot({ path: `${SHOTS}/inbox-inst.png`, fullPage: true });
  await go(u.page, '/contracts');
  assert.ok((await u.page.textContent('#contracts')).includes(`#${id}`));

  // 7. Mail reached the SMTP server for each step, and never carries the need's text.
  const mine = await waitFor('the mail of every step', () => {
    const m = mails(MAIL_DIR).filter((x) => x.body.includes(`#${id}`));
    const toUni = m.filter((x) => x.to.startsWith('inst@'));
    return toUni.length >= 4 && m.some((x) => x.to.startsWith('ent-a@')) ? m : null;
  });
  for (const stage of ['引荐', '签约', '实施跟踪']) {
    assert.ok(mine.some((x) => x.to.startsWith('inst@') && x.body.includes(stage)), `a mail tells the university of ${stage}`);
  }
  for (const m of mine) {
    assert.ok(!m.body.includes(title) && !m.body.includes(brief) && !m.subject.includes(title), 'no need text in mail');
    assert.ok(m.body.includes(`/engagements/${id}`), 'the mail links the engagement');
  }
  console.log(`     ${mine.length} mails for engagement #${id}`);
  await a.ctx.close();
  await u.ctx.close();
}
