// Browser tests of the web UI against a running demo (scripts/browser-tests starts it):
// sign-in, posting a need, seeing its matches, switching language, and confidentiality seen from two
// enterprise users. Screenshots go to $SCREENSHOTS (default ./screenshots).
import { chromium } from 'playwright-core';
import SwaggerParser from '@apidevtools/swagger-parser';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { JOURNEYS, checkPage } from './journeys.mjs';
import { dealLoop } from './deal-loop.mjs';
import { challengeLoop } from './challenge-loop.mjs';
import { pilotLoop } from './pilot-loop.mjs';

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
const PASSWORD = process.env.SHUANGLIAN_DEMO_PASSWORD;
const SHOTS = process.env.SCREENSHOTS ?? 'screenshots';
const EXE = process.env.CHROMIUM ?? '/usr/bin/chromium';
assert.ok(PASSWORD, 'SHUANGLIAN_DEMO_PASSWORD must be set (the demo accounts use it)');
fs.mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: EXE,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

let failures = 0;
async function test(name, fn) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await fn(page, context);
    assert.deepEqual(errors, [], 'no JavaScript errors');
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n     ${e.stack ?? e}`);
    await page.screenshot({ path: `${SHOTS}/FAILED-${name.replace(/\W+/g, '-')}.png`, fullPage: true }).catch(() => {});
  } finally {
    await context.close();
  }
}

async function signIn(page, user) {
  await page.goto(`${BASE}/login`);
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click('#login-form button[type=submit]')]);
  // The header names the organization and the person acting.
  assert.ok((await page.textContent('#whoami')).trim().length > 0, `${user} is signed in`);
}

// Every role's journey, in Chinese on a laptop and in English on a phone.
for (const [role, user, steps] of JOURNEYS) {
  for (const [lang, width] of [['zh', 1440], ['en', 390]]) {
    await test(`journey of the ${role} (${lang}, ${width} px)`, async (page) => {
      await page.setViewportSize({ width, height: 900 });
      if (user) await signIn(page, user);
      await page.goto(`${BASE}/?lang=${lang}`);
      await checkPage(page, lang);
      // The header: one line on a laptop, the menu folded on a phone; a favicon, not a 404.
      const header = await page.evaluate(() => document.querySelector('header.top').getBoundingClientRect().height);
      console.log(`     header ${Math.round(header)} px (${lang}, ${width} px)`);
      assert.ok(header <= (width < 800 ? 100 : 60), `header height ${header} px at ${width} px`);
      assert.equal((await page.request.get(`${BASE}/favicon.ico`)).status(), 200);
      const ctx = {
        zh: lang === 'zh',
        check: () => checkPage(page, lang),
        go: async (path) => {
          const res = await page.goto(`${BASE}${path}`);
          assert.ok(res.ok(), `${path}: HTTP ${res.status()}`);
          await checkPage(page, lang);
        },
        shot: (name) => page.screenshot({ path: `${SHOTS}/journey-${role.replace(/\W+/g, '-')}-${name}-${lang}-${width}.png`, fullPage: width < 800 }),
      };
      await steps(page, ctx);
    });
  }
}

// The OpenAPI document served by the demo validates against the OpenAPI 3 schema.
try {
  const doc = await (await fetch(`${BASE}/api/v1/openapi.json`)).json();
  await SwaggerParser.validate(doc);
  console.log(`ok   the OpenAPI ${doc.openapi} document validates (${Object.keys(doc.paths).length} paths)`);
} catch (e) {
  failures++;
  console.log(`FAIL the OpenAPI document validates\n     ${e.stack ?? e}`);
}

await test('home page shows counts in Chinese and switches to English', async (page) => {
  // Signed in as an admin: the longest menu there is.
  await signIn(page, 'admin');
  await page.goto(`${BASE}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.textContent('h1'), /双链/);
  const outcomes = Number(await page.textContent('#count-outcomes'));
  assert.ok(outcomes >= 200, `outcomes ${outcomes}`);
  await page.screenshot({ path: `${SHOTS}/home-zh.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.click('#lang-switch');
  await page.waitForURL(/lang=en/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  // The English menu fits one line at 1440 px.
  const header = await page.evaluate(() => document.querySelector('header.top').getBoundingClientRect().height);
  assert.ok(header <= 60, `English header ${header} px at 1440 px`);
  assert.match(await page.textContent('h1'), /Shuanglian/);
  // The choice sticks across pages.
  await page.goto(`${BASE}/match`);
  assert.match(await page.textContent('h1'), /Match a need/);
  await page.screenshot({ path: `${SHOTS}/match-en.png`, fullPage: true });
});

await test('from an NDA need to a contract: engagement, NDA, inbox and mail', async () => {
  await dealLoop({ browser, BASE, signIn, SHOTS, MAIL_DIR: process.env.MAIL_DIR });
});

await test('揭榜挂帅: post, publish, apply, review, notice, milestones, acceptance, market grade', async () => {
  await challengeLoop({ browser, BASE, signIn, SHOTS, PASSWORD });
});

await test('中试: find by capability, book, confirm, utilisation; select a PoC seed, open its path', async () => {
  await pilotLoop({ browser, BASE, signIn, SHOTS });
});

await test('a wrong password is refused with a message', async (page) => {
  await page.goto(`${BASE}/login`);
  await page.fill('#username', 'ent-a');
  await page.fill('#password', 'not-the-password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-error');
  assert.match(await page.textContent('#login-error'), /错误|Wrong/);
});

await test('a need typed into the match page gets explained matches', async (page) => {
  await page.goto(`${BASE}/match`);
  await page.fill('textarea[name=q]', '动力电池包热失控早期预警，提前5分钟报警');
  await Promise.all([page.waitForURL(/q=/), page.click('#match-form button[type=submit]')]);
  const hits = page.locator('#match-hits > li');
  assert.ok((await hits.count()) >= 3);
  const first = hits.first();
  assert.match(await first.locator('.title').textContent(), /热失控/);
  assert.ok((await first.locator('mark').count()) > 0, 'matched terms are highlighted');
  assert.ok((await first.locator('li.signal[data-signal=locality]').count()) === 1, 'locality explained');
  assert.match(await first.locator('details.numbers').textContent(), /地域.*重庆本地/, 'signal reasons in Chinese');
  assert.ok(['strong', 'possible', 'weak'].includes(await first.getAttribute('data-strength')), 'a strength in words');
  await page.screenshot({ path: `${SHOTS}/match-zh.png`, fullPage: true });
  await page.screenshot({ path: `${SHOTS}/match-zh-top.png` });
});

await test('an enterprise posts an NDA need, sees it with its matches; the other enterprise cannot', async (page, context) => {
  await signIn(page, 'ent-a');
  await page.goto(`${BASE}/demands/new`);
  const title = `氢燃料电池双极板激光焊接密封 ${Date.now()}`;
  await page.fill('#title', title);
  await page.fill('#problem', '双极板激光焊接后气密性不足，需要焊接密封工艺与检测方法，满足电堆批量生产。');
  await page.fill('#metrics', '泄漏率≤1e-6 Pa·m³/s\n节拍≤60秒/片');
  await page.selectOption('#confidentiality', 'nda');
  await page.selectOption('#trl', '6');
  await Promise.all([page.waitForURL(/\/demands\/\d+$/), page.click('#demand-form button[type=submit]')]);
  const url = page.url();
  assert.match(await page.textContent('#demand-title'), /双极板/);
  assert.ok((await page.locator('#match-hits > li').count()) >= 1, 'the new need has matches');
  await page.screenshot({ path: `${SHOTS}/demand-posted-ent-a.png`, fullPage: true });

  // ent-b: the need's page is a 404, and neither the list nor search shows it.
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, 'ent-b');
  const res = await p2.goto(url);
  assert.equal(res.status(), 404);
  await p2.goto(`${BASE}/demands`);
  assert.ok(!(await p2.content()).includes(title), 'listed for ent-b');
  await p2.goto(`${BASE}/search?q=${encodeURIComponent('双极板激光焊接密封')}&kind=demand`);
  assert.ok(!(await p2.content()).includes(title), 'found by ent-b');
  await p2.screenshot({ path: `${SHOTS}/demand-hidden-ent-b.png`, fullPage: true });
  // ent-b sees its own NDA need, which ent-a does not.
  await p2.goto(`${BASE}/search?q=${encodeURIComponent('磷酸锰铁锂')}&kind=demand`);
  assert.ok((await p2.content()).includes('提升磷酸锰铁锂倍率性能'));
  await other.close();
  await page.goto(`${BASE}/search?q=${encodeURIComponent('磷酸锰铁锂')}&kind=demand`);
  assert.ok(!(await page.content()).includes('提升磷酸锰铁锂倍率性能'), 'ent-b NDA need seen by ent-a');

  // Anonymous: registered and NDA needs are hidden, and the visible count is smaller.
  const anon = await browser.newContext();
  const p3 = await anon.newPage();
  const res3 = await p3.goto(url);
  assert.equal(res3.status(), 404);
  await p3.goto(`${BASE}/`);
  const anonCount = Number(await p3.textContent('#count-demands'));
  await page.goto(`${BASE}/`);
  const entCount = Number(await page.textContent('#count-demands'));
  assert.ok(anonCount < entCount, `anonymous ${anonCount} < ent-a ${entCount}`);
  await anon.close();
});

await test('an admin imports a file and sees the row-level report; an enterprise user may not', async (page) => {
  await signIn(page, 'admin');
  await page.goto(`${BASE}/admin/import`);
  await page.selectOption('#kind', 'organization');
  const csv = '机构类型,单位名称,统一社会信用代码,所在区县,产业集群,主要产品,简介,数据来源\n' +
    'enterprise,重庆浏览器测试科技有限公司（示例）,91500000MA00000008,渝北区,EIM,传感器,浏览器测试导入的示例企业,示例数据 (demo)\n' +
    'enterprise,,91500000MA0000000X,渝北区,EIM,传感器,缺少名称的一行,示例数据 (demo)\n';
  await page.setInputFiles('#file', { name: 'orgs.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await Promise.all([page.waitForLoadState('load'), page.click('#import-form button[type=submit]')]);
  await page.waitForSelector('#import-summary');
  assert.equal((await page.textContent('#import-inserted')).trim(), '1');
  assert.equal((await page.textContent('#import-rejected')).trim(), '1');
  const problems = await page.textContent('#import-problems');
  assert.match(problems, /3/, 'the bad row is named by its line');
  await page.screenshot({ path: `${SHOTS}/admin-import-report.png`, fullPage: true });
  // The imported organization is searchable at once.
  await page.goto(`${BASE}/search?q=${encodeURIComponent('浏览器测试科技')}&kind=organization`);
  assert.ok((await page.content()).includes('重庆浏览器测试科技有限公司'));

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, 'ent-a');
  const res = await p2.goto(`${BASE}/admin/import`);
  assert.equal(res.status(), 403);
  await other.close();
});

await test('the layout works on a phone', async (page) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}/match?q=${encodeURIComponent('碳化硅功率模块封装')}`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 400, `no horizontal scroll (${width}px)`);
  await page.screenshot({ path: `${SHOTS}/match-phone.png`, fullPage: true });
});

await test('the chain map draws a cluster graph coloured by status, drills down and exports SVG and PNG', async (page) => {
  await page.goto(`${BASE}/chains`);
  const clusters = await page.locator('table.clusters tr[data-cluster]').count();
  assert.ok(clusters >= 37, `every cluster listed (${clusters})`);
  await Promise.all([page.waitForURL(/\/chains\/ICV-NEV/), page.click('tr[data-cluster="ICV-NEV"] a')]);
  await page.waitForSelector('#chain-graph[data-ready="1"]', { timeout: 20000 });
  const nodes = Number(await page.getAttribute('#chain-graph', 'data-nodes'));
  const links = Number(await page.getAttribute('#chain-graph', 'data-links'));
  assert.ok(nodes >= 15 && links >= 10, `graph of ${nodes} nodes, ${links} links`);
  assert.equal(await page.locator('#chain-graph canvas').count(), 1, 'ECharts drew on a canvas');
  // The canvas is not blank: it holds the status colours (missing = red).
  const reds = await page.evaluate(() => {
    const c = document.querySelector('#chain-graph canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === 0xd6 && d[i + 1] === 0x45 && d[i + 2] === 0x45) n++;
    return n;
  });
  assert.ok(reds > 100, `missing links drawn in red (${reds} px)`);
  const rows = await page.locator('#gap-table tbody tr').count();
  assert.equal(rows, nodes, 'the table lists every node of the graph');
  assert.ok(await page.locator('#gap-table tr[data-status="missing"]').count() > 0);
  assert.match(await page.textContent('#thresholds'), /≥/);
  await page.screenshot({ path: `${SHOTS}/chain-graph.png`, fullPage: false });
  // Drill down: a weak link's fillers open in the panel, explained, local first.
  const weak = page.locator('#gap-table tr[data-status="weak"] button.show-fillers').first();
  await weak.click();
  await page.waitForSelector('#node-panel ol.fillers');
  const panel = await page.textContent('#node-panel');
  assert.match(panel, /弱链/);
  assert.match(panel, /可转化的科技成果/);
  // Exports: an SVG document and a PNG image.
  const [svg] = await Promise.all([page.waitForEvent('download'), page.click('#export-svg')]);
  const svgText = fs.readFileSync(await svg.path(), 'utf8');
  assert.match(svgText, /^<svg[\s\S]*<\/svg>\s*$/);
  assert.ok(svgText.includes('ICV-NEV') || svgText.length > 5000, 'the SVG holds the graph');
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const bytes = fs.readFileSync(await png.path());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
  assert.ok(png.suggestedFilename().endsWith('.png'));
  // The node page lists the fillers and the enterprises on the link.
  const code = await page.getAttribute('#node-panel', 'data-node');
  await page.goto(`${BASE}/chains/nodes/${code}?lang=en`);
  assert.equal(await page.getAttribute('h1', 'title'), code, 'the link page is the one asked for');
  assert.ok(await page.locator('#fill-outcomes, #fill-labs').count() >= 1);
  await page.screenshot({ path: `${SHOTS}/chain-node.png`, fullPage: true });
});

await test('a platform operator corrects a link by hand; an enterprise user sees no such form', async (page, context) => {
  const outcomes = async () => page.evaluate(async () => {
    const v = await (await fetch('/api/v1/chains/ICV-NEV/gaps')).json();
    return v.gaps.nodes.find((n) => n.node === 'ICV-NEV.hd-map').counts.outcomes;
  });
  await signIn(page, 'pilot');
  await page.goto(`${BASE}/chains/nodes/ICV-NEV.hd-map`);
  const before = await outcomes();
  await page.selectOption('#ov-kind', 'outcome');
  await page.fill('#ov-id', '1');
  await page.selectOption('#ov-action', 'add');
  await page.fill('#ov-note', '浏览器测试');
  await Promise.all([page.waitForURL(/saved=1/), page.click('#override-form button[type=submit]')]);
  assert.ok(await page.isVisible('#override-saved'));
  assert.equal(await outcomes(), before + 1, 'the outcome is on the link at once');
  // A bad id is refused with a message, on the page.
  await page.fill('#ov-id', 'abc');
  await page.click('#override-form button[type=submit]');
  assert.match(await page.textContent('p.error'), /记录编号.*'abc'/, 'the refusal is in the page language and names the value');
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await signIn(p2, 'ent-a');
  await p2.goto(`${BASE}/chains/nodes/ICV-NEV.hd-map`);
  assert.equal(await p2.locator('#override-form').count(), 0);
  await other.close();
});

await test('an enterprise tries a what-if on its own figures only', async (page) => {
  await signIn(page, 'ent-a');
  await page.goto(`${BASE}/tiers/whatif`);
  const choices = await page.locator('#whatif-choices li').count();
  assert.equal(choices, 1, 'ent-a may try only its own enterprise');
  await Promise.all([page.waitForURL(/uscc=915001157DEM00002F/), page.click('#whatif-choices a')]);
  await page.fill('#whatif-form input[name=as_of]', '2026-06-30');
  await page.fill('#whatif-form input[name=rd_expense]', '2000');
  await Promise.all([page.waitForURL(/rd_expense=2000/), page.click('#whatif-form button[type=submit]')]);
  assert.ok(await page.isVisible('#whatif-changed'));
  assert.equal(await page.locator('#whatif-results tbody tr').count(), 5);
  assert.match(await page.textContent('#whatif-credit'), /→/);
  await page.screenshot({ path: `${SHOTS}/tier-whatif.png`, fullPage: true });
  await page.goto(`${BASE}/tiers/whatif?uscc=915001057DEM000033`);
  assert.equal(await page.locator('#whatif-form').count(), 0, 'not another enterprise');
  // Another enterprise's credit view is a plain 404, as for one that does not exist.
  const res = await page.goto(`${BASE}/credit/915001057DEM000033`);
  assert.equal(res.status(), 404);
});

await browser.close();
if (failures) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log('all browser tests passed');
