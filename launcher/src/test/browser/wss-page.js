// Loads https://<name>:<port>/ in Debian's headless Chromium; the page's own script opens
// wss://<name>:<port>/wss on the same port and shows the echo. Prints one JSON line; exit 0 on success.
// usage: node wss-page.js <url> <host-to-map> <screenshot.png>
const { chromium } = require('playwright-core');

(async () => {
  const [url, host, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=MAP ${host} 127.0.0.1`],
  });
  try {
    // The test certificate is self-signed for <host>; the browser is told to accept it, nothing else changes.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 420 } });
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    await page.waitForFunction(() => document.querySelector('#echo') && document.querySelector('#echo').dataset.done === 'yes', null, { timeout: 20000 });
    const echo = await page.textContent('#echo');
    const protocol = await page.evaluate(() => window.wsUrl);
    await page.screenshot({ path: shot });
    console.log(JSON.stringify({ status: response.status(), echo, ws: protocol }));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });
