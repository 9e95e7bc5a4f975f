// A page on one origin calls a route on another: loads <url> (http://app.localhost:<port>/) in Debian's headless
// Chromium, where every *.localhost name is 127.0.0.1. Step 1 runs the page's probe (a credentialed fetch with a
// custom header, so a preflight goes first, and a WebSocket echo whose socket stays open) and prints one JSON line,
// then waits for a line on stdin (the test changes the route's origin policy meanwhile). Step 2 probes again and
// sends one more message on the socket opened in step 1, prints a second JSON line and exits 0.
// usage: node origin-page.js <url>
const { chromium } = require('playwright-core');
const readline = require('readline');

const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

(async () => {
  const [url] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP *.localhost 127.0.0.1'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const response = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    const first = await page.evaluate(() => window.probe('first'));
    console.log(JSON.stringify({ step: 1, status: response.status(), ...first }));
    await nextLine();
    const second = await page.evaluate(() => window.probe('second'));
    const kept = await page.evaluate(() => window.viaKept('still here'));
    console.log(JSON.stringify({ step: 2, ...second, kept, console: errors }));
  } finally {
    await browser.close();
    lines.close();
  }
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });
