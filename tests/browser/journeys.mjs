// One journey per role, walked in Chinese at 1440 px and in English at 390 px, asserting what a
// person in that role needs on each page, and on every page: the language check (no Latin words
// on a Chinese page beyond the allow-list of names, codes and units; no Chinese on an English
// page) and no sideways scrolling. Record data (titles, names, quoted words) is marked
// translate="no" by the templates and left out of the language check.
import assert from 'node:assert/strict';
import fs from 'node:fs';

const ALLOW = new Set(
  fs.readFileSync(new URL('./latin-allow.txt', import.meta.url), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')),
);

/// The page's own words: its text without record data, scripts, codes, the other-language switch,
/// and the contents of closed <details>.
async function ownText(page) {
  return page.evaluate(() => {
    const root = document.body.cloneNode(true);
    root.querySelectorAll('[translate="no"], script, style, noscript, .code, [lang]').forEach((e) => e.remove());
    root.querySelectorAll('details:not([open])').forEach((d) => {
      [...d.childNodes].forEach((c) => { if (c.nodeName !== 'SUMMARY') c.remove(); });
    });
    root.querySelectorAll('input, textarea').forEach((e) => e.remove());
    // Text node by text node, so two cells never run together into one word.
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const parts = [];
    while (walker.nextNode()) parts.push(walker.currentNode.nodeValue);
    return parts.join(' ');
  });
}

/// The language check and the sideways-scroll check of the page in view.
export async function checkPage(page, lang) {
  const text = await ownText(page);
  if (lang === 'zh') {
    const words = [...new Set(text.match(/[A-Za-z][A-Za-z_-]*[A-Za-z]/g) ?? [])];
    const bad = words.filter((w) => !ALLOW.has(w));
    assert.deepEqual(bad, [], `Latin words on the Chinese page ${page.url()}`);
  } else {
    const han = text.match(/[\u3400-\u9fff]+/g) ?? [];
    assert.deepEqual([...new Set(han)], [], `Chinese on the English page ${page.url()}`);
  }
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client + 1, `no sideways scroll on ${page.url()} (${scroll} > ${client})`);
}

/// Every journey: (name, user, steps(page, ctx)). `ctx.go(path)` navigates and checks the page;
/// `ctx.zh` says the language; `ctx.shot(name)` saves a screenshot.
export const JOURNEYS = [
  ['visitor', null, async (page, ctx) => {
    await ctx.go('/login');
    assert.equal(await page.locator('#login-form').count(), 1);
    const res = await page.goto(`${page.url().split('/login')[0]}/outcomes/999999999`);
    assert.equal(res.status(), 404);
    await ctx.check();
    await ctx.go('/demands');
    assert.ok(Number(await page.getAttribute('#demand-total', 'data-total')) >= 1, 'public needs');
  }],
  ['enterprise', 'ent-a', async (page, ctx) => {
    await ctx.go('/demands/new');
    assert.equal(await page.inputValue('#confidentiality'), 'nda', 'a new need starts at the most protective level');
    const title = `${ctx.zh ? '电池包液冷板钎焊泄漏检测' : 'Cold-plate brazing leak test'} ${Date.now()}`;
    await page.fill('#title', title);
    await page.fill('#problem', '液冷板钎焊后内部泄漏难以在线检出，需要快速氦检或压降检测方法，节拍不超过 60 秒。');
    await page.selectOption('#trl', '6');
    await Promise.all([page.waitForURL(/\/demands\/\d+$/), page.click('#demand-form button[type=submit]')]);
    await ctx.check();
    assert.equal((await page.textContent('#demand-title')).trim(), title);
    const hits = page.locator('#match-hits > li');
    assert.ok((await hits.count()) >= 1, 'the new need has matches');
    const strength = await hits.first().getAttribute('data-strength');
    assert.ok(['strong', 'possible', 'weak'].includes(strength), `a strength is shown (${strength})`);
    assert.ok((await hits.first().locator('ul.why li').count()) >= 1, 'reasons in words');
    await ctx.shot('need-posted');
    const exportHref = await page.getAttribute('#demand-export', 'href');
    const xlsx = await page.request.get(new URL(exportHref, page.url()).href);
    assert.equal(xlsx.status(), 200);
    assert.match(xlsx.headers()['content-type'], /spreadsheetml/);
    // The owner edits the need (a sharper title) and closes it.
    await Promise.all([page.waitForURL(/\/edit$/), page.click('#demand-edit')]);
    await ctx.check();
    await page.fill('#title', `${title} ✓`);
    await Promise.all([page.waitForURL(/saved=1/), page.click('#demand-form button[type=submit]')]);
    await ctx.check();
    assert.equal((await page.textContent('#demand-title')).trim(), `${title} ✓`);
    await Promise.all([page.waitForURL(/saved=1/), page.click('#demand-close')]);
    assert.equal(await page.locator('#demand-close').count(), 0, 'a closed need has no close button');
    assert.equal(await page.locator('.tag.status-closed').count(), 1);
    await ctx.go('/demands?mine=1');
    assert.ok((await page.content()).includes(title), 'my needs lists the new need');
    await ctx.go('/tiers');
    assert.match(page.url(), /\/tiers\/whatif/, 'an enterprise sees its own standing');
    assert.equal(await page.locator('#whatif-choices li').count(), 1);
    await Promise.all([page.waitForURL(/uscc=/), page.click('#whatif-choices a')]);
    await ctx.check();
    assert.equal(await page.locator('#whatif-results tbody tr').count(), 5, 'every scheme with its result');
    await ctx.go('/credit');
    assert.match(page.url(), /\/credit\/915001157DEM00002F/, 'an enterprise sees its own credit');
    assert.ok((await page.textContent('#credit-grade')).trim().length > 0);
    await ctx.shot('own-credit');
  }],
  ['institution', 'inst', async (page, ctx) => {
    await ctx.go(`/search?q=${encodeURIComponent('重庆示例理工大学')}&kind=organization`);
    await Promise.all([page.waitForURL(/\/organizations\/\d+/), page.click('#search-hits li a.title >> nth=0')]);
    await ctx.check();
    assert.ok((await page.locator('#org-outcomes li').count()) >= 3, 'the university page lists its outcomes');
    assert.ok((await page.locator('#org-people li').count()) >= 1, 'and its people');
    await ctx.shot('organization');
    await Promise.all([page.waitForURL(/\/outcomes\/\d+/), page.click('#org-outcomes li a >> nth=0')]);
    await ctx.check();
    assert.ok((await page.locator('#outcome-facts a').count()) >= 1, 'the owner is linked');
    assert.ok((await page.locator('ul.onward li').count()) >= 2, 'a path onward');
    assert.ok((await page.locator('#match-hits > li').count()) >= 1, 'enterprises that could adopt it');
    await ctx.shot('outcome');
  }],
  ['pilot platform', 'pilot', async (page, ctx) => {
    await ctx.go('/demands?trl=4-6&status=open');
    const total = Number(await page.getAttribute('#demand-total', 'data-total'));
    assert.ok(total >= 1, `open needs at TRL 4–6: ${total}`);
    const facts = await page.locator('#demand-list li .why').allTextContents();
    assert.ok(facts.every((f) => !/TRL [1-3789]\b/.test(f)), 'only needs at TRL 4–6');
    await Promise.all([page.waitForURL(/\/demands\/\d+$/), page.click('#demand-list li a.title >> nth=0')]);
    await ctx.check();
    assert.ok((await page.locator('#match-hits > li').count()) >= 1);
    await ctx.go(`/match?q=${encodeURIComponent('车规级功率模块可靠性验证与小批量试制')}&kind=platform`);
    assert.ok((await page.locator('#match-hits > li').count()) >= 1, 'pilot platforms that fit');
    await ctx.shot('platform-match');
  }],
  ['official', 'gov', async (page, ctx) => {
    await ctx.go('/tiers?as_of=2026-06-30');
    await page.waitForSelector('#funnel-charts[data-ready="2"]');
    assert.equal(await page.locator('#funnel-whole tbody tr').count(), 5, 'every scheme, in ladder order');
    assert.ok((await page.locator('#funnel-clusters tbody tr').count()) >= 3);
    const districts = await page.locator('#funnel-districts tbody td:first-child').allTextContents();
    assert.ok(!districts.some((d) => /广东|江苏|成都|Guangdong|Jiangsu|Chengdu/.test(d)), 'only Chongqing districts are districts');
    await ctx.shot('tier-funnel');
    await page.selectOption('#funnel-cluster', 'ICV-NEV');
    await Promise.all([page.waitForURL(/cluster=ICV-NEV/), page.click('#funnel-form button[type=submit]')]);
    await ctx.check();
    const first = page.locator('#funnel-whole tbody tr:first-child td a >> nth=1');
    const n = Number((await first.textContent()).trim());
    await Promise.all([page.waitForURL(/\/tiers\/list/), first.click()]);
    await ctx.check();
    assert.equal(Number(await page.textContent('#members-total')), n, 'the list has as many enterprises as the number clicked');
    const xlsx = await page.request.get(new URL(await page.getAttribute('#members-export', 'href'), page.url()).href);
    assert.equal(xlsx.status(), 200);
    await ctx.go('/chains');
    assert.ok((await page.locator('table.clusters tr[data-cluster]').count()) >= 37, 'every cluster');
    await ctx.go('/chains/ICV-NEV');
    await page.waitForSelector('#chain-graph[data-ready="1"]', { timeout: 20000 });
    await ctx.shot('chain-map');
    await ctx.go('/chains/nodes/ICV-NEV.battery');
    assert.ok((await page.locator('#fill-outcomes li').count()) >= 1, 'who could fill the link');
  }],
  ['bank', 'bank', async (page, ctx) => {
    await ctx.go('/credit');
    const rows = await page.locator('#credit-roster tbody tr').count();
    assert.ok(rows >= 10, `enterprises on the list: ${rows}`);
    await page.selectOption('select[name=grade]', 'B');
    await Promise.all([page.waitForURL(/grade=B/), page.click('#credit-filter button[type=submit]')]);
    await ctx.check();
    const grades = await page.locator('#credit-roster tbody tr td:nth-child(2)').allTextContents();
    assert.ok(grades.length >= 1 && grades.every((g) => /B/.test(g)), `only grade B: ${grades}`);
    const xlsx = await page.request.get(new URL(await page.getAttribute('#credit-export', 'href'), page.url()).href);
    assert.equal(xlsx.status(), 200);
    assert.deepEqual([...(await xlsx.body()).subarray(0, 2)], [0x50, 0x4b], 'an XLSX (zip) file');
    await ctx.shot('credit-list');
    await Promise.all([page.waitForURL(/\/credit\/\w+$/), page.click('#credit-roster tbody tr:first-child a')]);
    await ctx.check();
    assert.match(await page.textContent('#credit-grade'), /B/);
    assert.ok((await page.locator('#credit-reasons li').count()) >= 1, 'reasons');
    assert.ok((await page.locator('#credit-factors tbody tr').count()) >= 5, 'inputs per factor');
    const before = await page.locator('#credit-history tbody tr').count();
    await Promise.all([page.waitForURL(/scored=1/), page.click('#credit-rescore')]);
    await ctx.check();
    assert.equal(await page.locator('#credit-history tbody tr').count(), before + 1, 'the new rating is on record');
    await ctx.shot('credit-detail');
  }],
  ['broker', 'broker', async (page, ctx) => {
    await ctx.go(`/match?q=${encodeURIComponent('动力电池热失控早期预警')}&kind=expert`);
    const hits = page.locator('#match-hits > li');
    assert.ok((await hits.count()) >= 1, 'experts for the need');
    await Promise.all([page.waitForURL(/\/experts\/\d+/), hits.first().locator('a.title').click()]);
    await ctx.check();
    assert.ok((await page.locator('#expert-facts tr').count()) >= 2, 'fields and organization');
    await ctx.shot('expert');
  }],
  ['operator', 'admin', async (page, ctx) => {
    await ctx.go('/admin/accounts');
    assert.ok((await page.locator('table tbody tr').count()) >= 8, 'the demo accounts are listed');
    await ctx.go('/admin/import');
    assert.equal(await page.locator('#import-form').count(), 1);
    await ctx.shot('operator');
  }],
];
