// The dashboard in Debian's headless Chromium, driven step by step by DashboardBrowserTest: each line on stdin is
// a command, each answer one JSON line on stdout. The page is never reloaded: every change must arrive live.
//   login <token> <node> <version>   enter the admin token, wait until <node> shows applied version <version>
//   tunnels <node> <count>           wait until <node> shows <count> open tunnels; report the tunnel section
//   close <route>                    close the first tunnel listed under <route> with its button
//   rollback <to> <expected> <node>  press "Roll back" on version <to>, wait until version <expected> is current
//                                    and <node> applied it
//   screenshot <file>                save a full-page PNG
//   quit
// usage: node dashboard-page.js <url>
const { chromium } = require('playwright-core');
const readline = require('readline');

const lines = readline.createInterface({ input: process.stdin });
const queue = [];
let waiting = null;
lines.on('line', (l) => { if (waiting) { const w = waiting; waiting = null; w(l); } else queue.push(l); });
const nextLine = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => { waiting = resolve; }));
const say = (o) => console.log(JSON.stringify(o));
const WAIT = { timeout: 45000 };
const errors = [];

(async () => {
  const [url] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let loads = 0;
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('load', () => { loads++; });
    page.on('dialog', (d) => d.accept());
    const response = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    const cell = (node, cls) => `#fleet tr[data-node="${node}"] td.${cls}`;
    const text = (sel) => page.locator(sel).first().innerText();
    for (;;) {
      const [cmd, ...args] = (await nextLine()).trim().split(/\s+/);
      if (cmd === 'login') {
        const [token, node, version] = args;
        await page.locator('#token-form').waitFor({ state: 'visible', ...WAIT });
        const asked = await text('#message');
        await page.fill('#token', token);
        await page.click('#token-form button');
        await page.waitForFunction(([sel, v]) => document.querySelector(sel)?.textContent === v,
          [cell(node, 'applied'), version], WAIT);
        // The event stream is open once the indicator says so.
        await page.waitForFunction(() => document.querySelector('#live').textContent === 'live', null, WAIT);
        say({ step: cmd, status: response.status(), asked, version: await text('#version'),
          status_cell: await text(`#fleet tr[data-node="${node}"] .status`), live: await text('#live'),
          routes: await text('#routes tbody'), upstreams: await text('#upstreams tbody'),
          stored_token: await page.evaluate(() => sessionStorage.getItem('switchyard.admin-token')) });
      } else if (cmd === 'tunnels') {
        const [node, count] = args;
        const started = Date.now();
        await page.waitForFunction(([sel, c]) => document.querySelector(sel)?.textContent === c,
          [cell(node, 'open-tunnels'), count], WAIT);
        say({ step: cmd, count: await text(cell(node, 'open-tunnels')), waited_ms: Date.now() - started,
          unavailable: await page.locator('#tunnels-unavailable').count() > 0, tunnels: await text('#tunnels'), loads });
      } else if (cmd === 'close') {
        const [route] = args;
        await page.click(`#tunnels .route-tunnels[data-route="${route}"] button.close-tunnel`);
        await page.waitForFunction((r) => !document.querySelector(`#tunnels .route-tunnels[data-route="${r}"]`), route, WAIT);
        say({ step: cmd, message: await text('#message'), tunnels: await text('#tunnels'), loads });
      } else if (cmd === 'rollback') {
        const [to, expected, node] = args;
        await page.click(`#history tr[data-version="${to}"] button.rollback`);
        await page.waitForFunction((v) => document.querySelector('#version').textContent === v, expected, WAIT);
        await page.waitForFunction(([sel, v]) => document.querySelector(sel)?.textContent === v,
          [cell(node, 'applied'), expected], WAIT);
        await page.click(`#history tr[data-version="${expected}"] button.show-diff`);
        await page.locator('#diff h3').waitFor(WAIT);
        say({ step: cmd, version: await text('#version'), message: await text('#message'),
          newest: await text('#history tbody tr'), diff: await text('#diff'), loads });
      } else if (cmd === 'screenshot') {
        await page.screenshot({ path: args[0], fullPage: true });
        say({ step: cmd, errors });
      } else if (cmd === 'quit') {
        say({ step: cmd, errors, loads });
        break;
      } else {
        throw new Error('unknown command ' + cmd);
      }
    }
  } finally {
    await browser.close();
    lines.close();
  }
})().catch((e) => { console.log(JSON.stringify({ error: String(e), console: errors })); process.exit(1); });
