// Lab → pilot line as the people involved would walk it: an enterprise finds a pilot platform by a
// capability parameter (最高温度 ≥ 300 °C), opens a machine's calendar and books a free period; the
// platform's staff sees it in the queue and confirms it, and the machine's booked hours in the
// month's utilisation go up by the booking's hours; an official selects a PoC seed and opens an
// outcome's conversion path. Every page passes the language and width checks, in Chinese on a
// laptop and the library and the path in English on a phone.
import assert from 'node:assert/strict';
import { checkPage } from './journeys.mjs';

export async function pilotLoop({ browser, BASE, signIn, SHOTS }) {
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
  try {
    // 1. The enterprise searches by a typed capability filter.
    const a = await open('ent-a');
    await go(a, '/platforms');
    await a.fill('#filter', '最高温度>=300°C');
    await Promise.all([a.waitForURL(/filter=/), a.click('#platform-search button[type=submit]')]);
    await checkPage(a, 'zh');
    const list = await a.textContent('#platform-list');
    assert.ok(list.includes('重庆先进材料中试基地'), 'the 300 °C reactors are found');
    assert.ok(!list.includes('重庆食品工程中试平台'), 'a 142 °C sterilizer is not');
    await a.screenshot({ path: `${SHOTS}/pilot-search.png`, fullPage: true });
    await Promise.all([a.waitForURL(/\/platforms\/\d+$/), a.click('#platform-list a:has-text("重庆先进材料中试基地")')]);
    await checkPage(a, 'zh');
    const machine = a.locator('#equipment-list a:has-text("100 L 高压反应釜")').first();
    const href = await machine.getAttribute('href');
    const equipmentId = Number(href.split('/').pop());
    // 2. The staff's utilisation before, for the month of the booking.
    const day = new Date(Date.now() + 8 * 3600e3 + 20 * 86400e3).toISOString().slice(0, 10);
    const month = day.slice(0, 7);
    const s = await open('pilot-staff');
    const booked = async () => {
      await go(s, `/platforms/1/utilisation?month=${month}`);
      const row = s.locator(`#utilisation tr:has(a[href="/equipment/${equipmentId}"]) td.booked`);
      return Number((await row.textContent()).trim());
    };
    const before = await booked();
    // 3. The enterprise books six hours on a free day.
    await go(a, href);
    await a.fill('input[name=starts_at]', `${day}T09:00`);
    await a.fill('input[name=ends_at]', `${day}T15:00`);
    await a.fill('input[name=purpose]', '高压加氢小试放大（浏览器测试）');
    await Promise.all([a.waitForURL(/\/bookings\/\d+\?done=1/), a.click('#book')]);
    await checkPage(a, 'zh');
    const bookingUrl = a.url().split('?')[0];
    assert.equal((await a.textContent('#status')).trim(), '待平台确认');
    // The same period again is refused with the period taken, nothing more.
    await go(a, href);
    await a.fill('input[name=starts_at]', `${day}T10:00`);
    await a.fill('input[name=ends_at]', `${day}T11:00`);
    await a.click('#book');
    await a.waitForSelector('#taken');
    assert.ok((await a.textContent('#taken')).includes(`${day} 09:00`), 'the taken period is named');
    await checkPage(a, 'zh');
    // 4. The staff finds it in the queue and confirms it.
    await go(s, '/bookings');
    assert.ok((await s.textContent('#queue')).includes('重庆长江动力电池系统有限公司'), 'the requester is named to the platform');
    await go(s, bookingUrl.replace(BASE, ''));
    await Promise.all([s.waitForURL(/done=1/), s.click('#move-confirmed button[type=submit]')]);
    await checkPage(s, 'zh');
    assert.equal((await s.textContent('#status')).trim(), '已确认');
    // 5. Utilisation went up by the six hours.
    const after = await booked();
    assert.equal(after - before, 6, `booked hours ${before} → ${after}`);
    await s.screenshot({ path: `${SHOTS}/pilot-utilisation.png`, fullPage: true });
    // 6. An official selects a PoC seed and opens an outcome's path.
    const g = await open('gov');
    await go(g, '/poc');
    const row = g.locator('#seed-list tbody tr:not(:has(.selected))').first();
    const seedId = (await row.getAttribute('id')).replace('seed-', '');
    await row.locator('input[name=note]').fill('本地需求强，建议优先支持');
    await Promise.all([g.waitForURL(/done=1/), row.locator('.select-seed').click()]);
    await checkPage(g, 'zh');
    assert.equal(await g.locator(`#seed-${seedId} .selected`).count(), 1, 'the seed is marked selected');
    await Promise.all([g.waitForURL(/\/path$/), g.click(`#seed-${seedId} a[href$="/path"]`)]);
    await checkPage(g, 'zh');
    assert.equal(await g.locator('#path-steps > li').count(), 5, 'five steps, each with its reason');
    assert.ok((await g.locator('#bottleneck').count()) + (await g.locator('#no-bottleneck').count()) === 1);
    await g.screenshot({ path: `${SHOTS}/pilot-path.png`, fullPage: true });
    // 7. The same pages in English on a phone.
    const phone = await open('gov', 390);
    await go(phone, '/platforms?lang=en', 'en');
    await go(phone, `/outcomes/${seedId}/path`, 'en');
    await go(phone, '/poc', 'en');
    await go(phone, '/ip', 'en');
    await go(phone, '/platforms/1', 'en');
  } finally {
    for (const c of contexts) await c.close();
  }
}
