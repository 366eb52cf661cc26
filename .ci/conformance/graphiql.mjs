// GraphiQL in a real headless browser (Debian's Chromium) against the demo server: the page loads
// with nothing from outside (every request the page makes is to the server itself), the Docs pane
// fills from introspection sent with the Headers pane's token, and a query from the example tabs
// runs and answers data.
//   DEMO_URL=… DEMO_TOKEN=… node graphiql.mjs
import { chromium } from 'playwright-core';

const base = process.env.DEMO_URL;
const token = process.env.DEMO_TOKEN;
if (!base || !token) {
  console.error('DEMO_URL and DEMO_TOKEN must be set (run through with-demo.sh)');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
let current = null;
const fail = async (message) => {
  console.error(`GraphiQL check failed: ${message}`);
  if (process.env.SHOT && current) await current.screenshot({ path: process.env.SHOT }).catch(() => {});
  await browser.close();
  process.exit(1);
};
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  current = page;
  const outside = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return;
    if (url.origin !== new URL(base).origin && !url.href.startsWith(base.replace('http', 'ws'))) outside.push(url.href);
  });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));

  await page.goto(`${base}/graphql`, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  const help = await page.textContent('#help');
  if (!help.includes('neighbourhood token --role coordinator')) await fail('the page does not say how to get a token');

  // The example tabs are there (GraphiQL names each after its first operation).
  const tabs = await page.$$eval('.graphiql-tab', (nodes) => nodes.map((n) => n.textContent.trim()));
  for (const expected of ['FrailCohort', 'Refer', 'ProposeAgenda', 'MeetingLive']) {
    if (!tabs.some((t) => t.includes(expected))) await fail(`no "${expected}" tab in ${JSON.stringify(tabs)}`);
  }

  // Paste the token into Headers, as the page says.
  await page.click('text=Headers');
  // (Set as a paste would: typing character by character meets the editor's auto-closing quotes.)
  await page.evaluate((headers) => {
    const editors = [...document.querySelectorAll('.graphiql-editor:not(.hidden) > .CodeMirror')];
    const pane = editors.find((e) => e.CodeMirror.getValue().includes('Authorization'));
    pane.CodeMirror.setValue(headers);
  }, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
  // The schema is fetched again with the token (the refetch button), as a user does after pasting
  // (the editor hands its text on after a short debounce).
  await page.waitForTimeout(1000);
  await page.click('button[aria-label="Re-fetch GraphQL schema"]');

  // Docs: filled from introspection, which needs the token.
  await page.click('button[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer-root-type, .graphiql-doc-explorer-type-name', { timeout: 30000 });
  const docs = await page.textContent('.graphiql-doc-explorer');
  if (!docs.includes('Query')) await fail(`the Docs pane shows no Query type: ${docs.slice(0, 300)}`);

  // Run the first tab's first operation (FrailCohort) and read the answer.
  await page.click('.graphiql-tab >> nth=0');
  const reply = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST'
    && (r.request().postData() || '').includes('FrailCohort'));
  // The tab holds three operations: the run button asks which.
  await page.click('.graphiql-execute-button');
  await page.click('[role="menuitem"]:has-text("FrailCohort"), .graphiql-dropdown-item:has-text("FrailCohort")');
  const answered = await reply.catch(async (e) => {
    if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT });
    throw e;
  });
  const body = await answered.json();
  if (!body.data || !body.data.patients || typeof body.data.patients.totalCount !== 'number') {
    await fail(`FrailCohort answered ${JSON.stringify(body).slice(0, 300)}`);
  }
  await page.waitForFunction(() => document.querySelector('.result-window')?.textContent.includes('totalCount'), null, { timeout: 15000 });

  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT });
  if (outside.length) await fail(`the page fetched from outside the server: ${outside.join(', ')}`);
  if (errors.length) await fail(`script errors: ${errors.join('; ')}`);
  console.log(`GraphiQL: loaded offline, ${tabs.length} example tabs, Docs filled, FrailCohort answered ${body.data.patients.totalCount} people`);
  await browser.close();
} catch (error) {
  await fail(error.stack || String(error));
}
