// The web UI in a real browser (issue 18; docs/api.md, "Web UI"): Debian's chromium driven by
// playwright-core against a real spoke-server on a free loopback port and a store in a temp dir,
// filled with the real CLI. Every page loads with no console error, no script error and no failed
// request; search finds a field in another module; a type link lands on its definition; the compare
// page shows a known breaking finding; a download link serves a zip holding exactly what
// `spoke compile` generates; reading works without JS and by keyboard; a server that wants a token
// for reads asks for one.
//
//   node tests/browser/ui_browser_test.mjs --build BUILD_DIR [--screenshots DIR]
//
// ctest runs it (tests/CMakeLists.txt). --screenshots DIR saves a full-page PNG of every page:
// docs/ui/ holds the ones of the last run made with `--screenshots docs/ui` (tests/browser/README.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const CHROMIUM = process.env.SPOKE_CHROMIUM || '/usr/bin/chromium';
const SKIPPED = 77;  // ctest's SKIP_RETURN_CODE (CMakeLists.txt here)

// Without the browser or its driver the test cannot run: say so, and let ctest count it skipped.
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error('browser.ui skipped: no playwright-core (scripts/dev test runs npm ci in tests/browser)');
  process.exit(SKIPPED);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`browser.ui skipped: no ${CHROMIUM} (scripts/dev test installs Debian's chromium)`);
  process.exit(SKIPPED);
}

function argument(name) {
  const at = process.argv.indexOf(name);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : undefined;
}
const buildDir = argument('--build');
const screenshotDir = argument('--screenshots');
if (!buildDir) {
  console.error('usage: node ui_browser_test.mjs --build BUILD_DIR [--screenshots DIR]');
  process.exit(2);
}
const spokeBin = path.resolve(buildDir, 'spoke');
const serverBin = path.resolve(buildDir, 'spoke-server');

// The modules: `order` depends on `common`; order v2.0.0 deletes a field v1.0.0 had (a FILE-level
// break, allowed across a major version) and adds one that search must find from `common`.
const COMMON = {
  'common/types.proto': `syntax = "proto3";
package common;

// An identifier shared by every service.
message Id {
  // The opaque value.
  string value = 1;
}

// How far an order has come.
enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_PLACED = 1;
}
`,
};
const ORDER_V1 = {
  'order/order.proto': `syntax = "proto3";
package order;

import "common/types.proto";

// An order placed by a customer.
message Order {
  common.Id id = 1;
  // Where the parcel goes.
  string shipping_address = 2;
  common.Status status = 3;
}

message GetOrderRequest {
  common.Id id = 1;
}

// Orders, read and placed.
service OrderService {
  // Reads one order.
  rpc GetOrder(GetOrderRequest) returns (Order);
}
`,
};
const ORDER_V2 = {
  'order/order.proto': ORDER_V1['order/order.proto']
    .replace(`  // Where the parcel goes.
  string shipping_address = 2;
`, '')
    .replace('  common.Status status = 3;\n',
      '  common.Status status = 3;\n  // Who pays, and where the invoice goes.\n  string billing_address = 4;\n'),
};

// A long file: 600 messages, 2,403 lines, so its page's lines come in many chunks that the browser
// lays out only near the view (content-visibility); anchors deep inside must still land.
const CATALOG = {
  'catalog/items.proto': 'syntax = "proto3";\npackage catalog;\n\n' +
    Array.from({ length: 600 }, (_, i) => `// Item kind ${i}.\nmessage Item${i} {\n  string sku = 1;\n}\n`).join('')
    .trimEnd() + '\n',
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spoke-browser-'));
const servers = [];
let browser;
let registry;  // the open server's URL

// Starts spoke-server on a free port of a store under `work`; resolves to its URL once it serves
// (its first stdout line names the port).
function startServer(store, extra = []) {
  const child = spawn(serverBin, ['-storage-dir', store, '-port', '0', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (port) resolve(`http://127.0.0.1:${port[1]}`);
      else reject(new Error(`spoke-server's first line names no port: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`spoke-server exited (${code}): ${stderr}`)));
  });
}

// Runs a command and returns its stdout; throws with its stderr when it fails.
function run(bin, args, env = {}) {
  try {
    return execFileSync(bin, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: path.join(work, 'home'), no_proxy: '*', NO_PROXY: '*', ...env },
    });
  } catch (error) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${error.stderr || error}`);
  }
}

function writeFiles(dir, files) {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

function push(module, version, files, extra = []) {
  const dir = path.join(work, 'src', module, version);
  writeFiles(dir, files);
  run(spokeBin, ['push', '-module', module, '-version', version, '-dir', dir, ...extra],
    { SPOKE_REGISTRY: registry });
}

// A fresh page that records everything that went wrong while it was open: console errors and
// warnings, uncaught script errors, requests that failed, and answers with an error status.
async function watchedPage(context = undefined) {
  const page = await (context ?? browser).newPage();
  // Waits are on conditions; this only bounds them on a loaded machine (ctest -j2).
  page.setDefaultTimeout(60_000);
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });
  return { page, problems };
}

async function screenshot(page, name) {
  if (!screenshotDir) return;
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

before(async () => {
  for (const bin of [spokeBin, serverBin])
    assert.ok(fs.existsSync(bin), `${bin} is missing: build first`);
  registry = await startServer(path.join(work, 'store'));
  push('common', 'v1.0.0', COMMON, ['-description', 'Types every service shares']);
  push('order', 'v1.0.0', ORDER_V1, ['--dep', 'common@v1.0.0', '-description', 'Orders and their service']);
  push('catalog', 'v1.0.0', CATALOG, ['-description', 'Many items']);
  push('order', 'v2.0.0', ORDER_V2, ['--dep', 'common@v1.0.0', '-description', 'Billing address']);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // A fresh profile (playwright makes one per launch) and nothing that talks to the network.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  for (const child of servers) child.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
});

const PAGES = [
  ['home', '/', 'Modules'],
  ['module', '/ui/modules/order', 'order'],
  ['version', '/ui/modules/order/versions/v1.0.0', 'order v1.0.0'],
  ['file', '/ui/modules/order/versions/v1.0.0/files/order/order.proto', 'order/order.proto'],
  ['search', '/ui/search?q=Order', 'Search'],
  ['compare', '/ui/modules/order/versions/v1.0.0/compare/v2.0.0', 'order v1.0.0 → v2.0.0'],
  ['graph', '/ui/modules/order/versions/v2.0.0/graph', 'order v2.0.0'],
];

test('every page loads with no console error and no failed request', async () => {
  for (const [name, url, heading] of PAGES) {
    const { page, problems } = await watchedPage();
    const response = await page.goto(registry + url, { waitUntil: 'networkidle' });
    assert.equal(response.status(), 200, url);
    const h1 = await page.locator('h1').first().innerText();
    assert.ok(h1.includes(heading), `${url}: <h1> is "${h1}", wanted "${heading}"`);
    // The stylesheet applied: the site header is laid out as a flex row.
    assert.equal(await page.locator('header.site').evaluate((e) => getComputedStyle(e).display),
      'flex', `${url}: the stylesheet did not apply`);
    await screenshot(page, name);
    assert.deepEqual(problems, [], url);
    await page.close();
  }
});

test('search finds a field by name in another module, and its result opens the field', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(`${registry}/ui/modules/common`, { waitUntil: 'networkidle' });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'q',
    "'/' focuses the search box");
  await page.keyboard.type('billing_address');
  await Promise.all([page.waitForURL(/\/ui\/search\?q=billing_address/), page.keyboard.press('Enter')]);
  const result = page.locator('main a', { hasText: 'order.Order.billing_address' });
  assert.equal(await result.count(), 1, await page.locator('main').innerText());
  await Promise.all([page.waitForURL(/\/ui\/modules\/order\/versions\/v2\.0\.0\//), result.click()]);
  const target = await page.evaluate(() => document.querySelector(':target')?.textContent ?? '');
  assert.ok(target.includes('billing_address'), `the search result's target is "${target}"`);
  assert.deepEqual(problems, []);
});

test('a type link navigates to the definition, in another module', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(`${registry}/ui/modules/order/versions/v1.0.0`, { waitUntil: 'networkidle' });
  const link = page.locator('[id="order.Order.id"] a', { hasText: 'common.Id' });
  await Promise.all([page.waitForURL(/\/ui\/modules\/common\/versions\/v1\.0\.0#common\.Id$/),
    link.click()]);
  assert.equal(await page.evaluate(() => document.querySelector(':target')?.id), 'common.Id');
  const definition = page.locator('[id="common.Id"]');
  assert.ok((await definition.innerText()).includes('The opaque value.'),
    'the definition shows its fields and their comments');
  const box = await definition.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(box && box.y >= 0 && box.y < viewport.height, `the definition is in view: ${JSON.stringify(box)}`);
  assert.deepEqual(problems, []);
});

test('the compare page shows the breaking finding, linked to the line', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(`${registry}/ui/modules/order/versions/v1.0.0/compare/v2.0.0`,
    { waitUntil: 'networkidle' });
  // At FILE level a deleted field is FIELD_NO_DELETE (buf's rule), whatever the default level.
  await Promise.all([page.waitForURL(/level=FILE/), page.getByRole('link', { name: 'FILE', exact: true }).click()]);
  const finding = page.locator('main tr', { hasText: 'FIELD_NO_DELETE' });
  assert.equal(await finding.count(), 1, await page.locator('main').innerText());
  assert.ok((await finding.innerText()).includes('shipping_address'));
  const lineLink = finding.locator('a[href*="/files/order/order.proto#L"]');
  await Promise.all([page.waitForURL(/#L\d+$/), lineLink.click()]);
  const line = await page.evaluate(() => document.querySelector(':target')?.textContent ?? '');
  assert.ok(line.includes('shipping_address') || line.includes('message Order'),
    `the finding's link lands on "${line}"`);
  assert.deepEqual(problems, []);
});

test('a download link serves a zip that unzips to the generated files', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(`${registry}/ui/modules/order`, { waitUntil: 'networkidle' });
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('link', { name: 'python.zip', exact: true }).click()]);
  assert.equal(download.suggestedFilename().endsWith('.zip'), true, download.suggestedFilename());
  const zip = path.join(work, 'python.zip');
  await download.saveAs(zip);
  const unzipped = path.join(work, 'unzipped');
  run('python3', ['-m', 'zipfile', '-e', zip, unzipped]);
  const compiled = path.join(work, 'compiled');
  run(spokeBin, ['compile', '-module', 'order', '-version', 'v2.0.0', '-lang', 'python', '-out', compiled],
    { SPOKE_REGISTRY: registry });
  const listing = (root) => fs.readdirSync(root, { recursive: true })
    .filter((name) => fs.statSync(path.join(root, name)).isFile()).sort();
  const files = listing(unzipped);
  assert.ok(files.some((name) => name.endsWith('order_pb2.py')), files.join(', '));
  assert.deepEqual(files, listing(compiled));
  for (const name of files) {
    assert.ok(fs.readFileSync(path.join(unzipped, name)).equals(fs.readFileSync(path.join(compiled, name))),
      `${name} differs from spoke compile's`);
  }
  // A navigation that turns into a download is reported as aborted: that one is no failure.
  const aborted = `${registry}/modules/order/versions/v2.0.0/download/python (net::ERR_ABORTED)`;
  assert.deepEqual(problems.filter((problem) => !problem.endsWith(aborted)), []);
});

test('a line or a type deep in a long file is shown when its anchor is opened', async () => {
  const { page, problems } = await watchedPage();
  const file = `${registry}/ui/modules/catalog/versions/v1.0.0/files/catalog/items.proto`;
  for (const [anchor, text] of [['L2325', 'message Item580'], ['catalog.Item590', 'Item kind 590.']]) {
    await page.goto('about:blank');
    await page.goto(`${file}#${anchor}`, { waitUntil: 'networkidle' });
    const target = page.locator(`[id="${anchor}"]`);
    assert.ok((await target.innerText()).includes(text), `#${anchor}: ${await target.innerText()}`);
    const box = await target.boundingBox();
    assert.ok(box && box.y >= -1 && box.y < page.viewportSize().height,
      `#${anchor} is in view: ${JSON.stringify(box)}`);
  }
  assert.deepEqual(problems, []);
});

test('pages read without JS, and by keyboard', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const { page, problems } = await watchedPage(context);
  await page.goto(`${registry}/ui/modules/order/versions/v1.0.0`, { waitUntil: 'networkidle' });
  const types = await page.locator('#types').innerText();
  assert.ok(types.includes('An order placed by a customer.'), types);
  assert.ok(types.includes('Reads one order.'), types);
  // The first Tab reaches the skip link, which shows itself and leads to the content.
  await page.keyboard.press('Tab');
  const skip = page.locator('a.skip');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip');
  const box = await skip.boundingBox();
  assert.ok(box && box.x >= 0, `the focused skip link is on screen: ${JSON.stringify(box)}`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/#main$/);
  await context.close();
  assert.deepEqual(problems, []);
});

test('the home page filters modules as you type', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(registry + '/', { waitUntil: 'networkidle' });
  const filter = page.locator('input.filter');
  assert.ok(await filter.isVisible(), 'the filter box shows when JS runs');
  await filter.fill('ord');
  assert.ok(await page.locator('#modules a', { hasText: 'order' }).first().isVisible());
  assert.equal(await page.locator('#modules a', { hasText: 'common' }).first().isVisible(), false);
  assert.deepEqual(problems, []);
});

test('a server that wants a token for reads asks for one, then shows the pages', async () => {
  const store = path.join(work, 'private-store');
  const url = await startServer(store, ['--read-auth']);
  const token = run(serverBin, ['token', 'create', '--name', 'browser', '--scope', 'read',
    '--storage-dir', store]).trim().split(/\s+/).pop();
  const { page, problems } = await watchedPage();
  const response = await page.goto(url + '/', { waitUntil: 'networkidle' });
  assert.ok(await page.locator('input[name="token"]').isVisible(), 'the page asks for a token');
  assert.equal(response.status(), 401);
  problems.length = 0;  // the 401 is the answer wanted here
  await screenshot(page, 'sign-in');
  await page.locator('input[name="token"]').fill(token);
  await page.keyboard.press('Enter');
  // The form sends the reader back to the page asked for, now shown.
  await page.locator('h1', { hasText: 'Modules' }).waitFor();
  assert.equal(page.url(), `${url}/`);
  assert.deepEqual(problems, []);
});
