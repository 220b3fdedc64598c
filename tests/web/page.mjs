// Drives an exported Waft web page in Debian's Chromium (headless, software WebGL through SwiftShader) with
// puppeteer-core: no network request at load, loop frames read back from the canvas for the parity check
// (web_test.sh compares them with the engine's), a scripted drag with real pointer events, the ring-down
// after release against the engine's pull of the same drag (waft-cli pull --trace), and the fallback loop
// when WebGL2 is missing. Prints one JSON object of measurements; exits 1 with a line per failed check.
//   node page.mjs CLI SCENE.waft PAGE.html OUT_DIR FRAME_INDEX,...
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [cli, scenePath, pagePath, outDir, frameList] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const report = { fileBytes: statSync(pagePath).size, browser: '', renderer: 'software WebGL (SwiftShader)' };

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--window-size=800,520'],
  defaultViewport: { width: 800, height: 520, deviceScaleFactor: 1 },
});
report.browser = await browser.version();
const pageUrl = pathToFileURL(pagePath).href;

async function open(setup) {
  const page = await browser.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => { if (r.url() !== pageUrl && !r.url().startsWith('blob:')) requests.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (setup) await page.evaluateOnNewDocument(setup);
  const t0 = Date.now();
  await page.goto(pageUrl, { waitUntil: 'load' });
  await page.waitForFunction(() => window.waft && window.waft.ready, { timeout: 120000 });
  return { page, requests, errors, loadMs: Date.now() - t0 };
}

// ---- The interactive page -------------------------------------------------------------------------------
const { page, requests, errors } = await open();
const state = await page.evaluate(() => ({ ...window.waft, trace: undefined, error: window.waft.error,
  reason: window.waft.reason }));
check(state.interactive, `the page is not interactive: ${state.reason || state.error}`);
check(requests.length === 0, `the page made network requests: ${requests.join(' ')}`);
check(errors.length === 0, `console errors: ${errors.join(' | ')}`);
if (!state.interactive) {
  console.log(JSON.stringify(report));
  console.error(failures.join('\n'));
  await browser.close();
  process.exit(1);
}
report.width = state.width;
report.height = state.height;
report.bands = state.bands;
report.floatBlend = state.floatBlend;

// Time to the first frame (from navigation start) and playback frame rate.
await page.waitForFunction(() => window.waft.frames() >= 2, { timeout: 60000 });
report.firstFrameMs = Math.round(await page.evaluate(() => window.waft.firstFrameMs));
const f0 = await page.evaluate(() => [window.waft.frames(), performance.now()]);
await sleep(4000);
const f1 = await page.evaluate(() => [window.waft.frames(), performance.now()]);
report.fps = +(((f1[0] - f0[0]) * 1000) / (f1[1] - f0[1])).toFixed(1);

// Loop frames as the engine renders them, read back from the canvas.
for (const i of frameList.split(',').map(Number)) {
  const url = await page.evaluate((index) => {
    window.waft.renderLoopFrame(index, 30);
    return document.getElementById('view').toDataURL('image/png');
  }, i);
  writeFileSync(`${outDir}/web-${String(i).padStart(4, '0')}.png`, Buffer.from(url.split(',')[1], 'base64'));
}
await page.evaluate(() => window.waft.resume());

// The drag: press where a pull moves the scene most, move 30 px right, hold, release.
const info = JSON.parse(execFileSync(cli, ['info', scenePath]).toString());
const sx = state.width / info.width, sy = state.height / info.height;
let [gx, gy] = await page.evaluate(() => window.waft.mostMobilePoint());
// A page pixel the engine's pull reaches exactly: px = int(lround(at) * s).
const atX = Math.round(gx / sx), atY = Math.round(gy / sy);
gx = Math.trunc(atX * sx);
gy = Math.trunc(atY * sy);
const box = await (await page.$('#view')).boundingBox();
check(Math.abs(box.width - state.width) < 1, `the canvas is shown at ${box.width} px, not 1:1`);
// The page maps the pointer to scene pixels and rounds: aim at the integer coordinate itself.
const client = (x, y) => [box.x + (x * box.width) / state.width, box.y + (y * box.height) / state.height];
const drag = 30;
const holdSec = 2.5;
// The patch around the grab point, for the pixel check: where its content went while held.
const patchShift = async (before) => page.evaluate((x, y, reference) => {
  const c = document.getElementById('view');
  const g = document.createElement('canvas');
  g.width = c.width;
  g.height = c.height;
  const ctx = g.getContext('2d');
  ctx.drawImage(c, 0, 0);
  const img = ctx.getImageData(0, 0, c.width, c.height).data;
  const grey = (px, py) => {
    const i = (Math.min(Math.max(py, 0), c.height - 1) * c.width + Math.min(Math.max(px, 0), c.width - 1)) * 4;
    return img[i] + img[i + 1] + img[i + 2];
  };
  const patch = [];
  for (let dy = -12; dy <= 12; ++dy) for (let dx = -12; dx <= 12; ++dx) patch.push(grey(x + dx, y + dy));
  if (!reference) return patch;
  let best = 0, bestCost = Infinity;
  for (let s = -15; s <= 45; ++s) {
    let cost = 0, n = 0;
    for (let dy = -12; dy <= 12; ++dy)
      for (let dx = -12; dx <= 12; ++dx) cost += Math.abs(grey(x + dx + s, y + dy) - reference[n++]);
    if (cost < bestCost) { bestCost = cost; best = s; }
  }
  return best;
}, gx, gy, before);
const rest = await patchShift(null);
await page.mouse.move(...client(gx, gy));
await page.mouse.down();
for (let s = 1; s <= 10; ++s) {
  await page.mouse.move(...client(gx + (drag * s) / 10, gy));
  await sleep(30);
}
await sleep(holdSec * 1000);
const held = await page.evaluate((x, y) => window.waft.modalDisplacementAt(x, y), gx, gy);
report.heldDisplacementPx = held.map((v) => +v.toFixed(2));
report.heldPatchShiftPx = await patchShift(rest);
await page.screenshot({ path: `${outDir}/web-drag.png` });
check(held[0] > 0.3 * drag && held[0] > Math.abs(held[1]), `held: the grabbed pixel moved ${held[0].toFixed(1)} px along a ${drag} px drag`);
check(report.heldPatchShiftPx >= 0.5 * held[0],
  `held: the pixels around the grab point moved ${report.heldPatchShiftPx} px, the grabbed one ${held[0].toFixed(1)}`);
await page.mouse.up();
await sleep(1000);
await page.screenshot({ path: `${outDir}/web-release.png` });
await sleep(3500);
const page1 = await page.evaluate(() => ({ trace: window.waft.trace.slice(), press: window.waft.pressTime,
  release: window.waft.releaseTime }));

// The engine's pull of the same drag held as long as the page's was, and the two curves side by side from the
// press on: the grabbed pixel's modal displacement along the drag, through the hold and the ring-down.
const fps = 30;
const heldSec = Math.max(1 / fps, Math.round((page1.release - page1.press) * fps) / fps);
const csv = `${outDir}/engine-trace.csv`;
rmSync(`${outDir}/engine-pull`, { recursive: true, force: true });
execFileSync(cli, ['pull', scenePath, '--at', `${atX},${atY}`, '--drag', `${drag / sx},0`, '--hold', String(heldSec),
  '--seconds', String(heldSec + 3.5), '--fps', String(fps), '--size', `${state.width}x${state.height}`, '--trace', csv,
  '-o', `${outDir}/engine-pull/`], { stdio: ['ignore', 'ignore', 'inherit'] });
const engine = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number))
  .map(([, t, v]) => [t, v]);
const web = page1.trace.filter((e) => e.t > page1.press).map((e) => [e.t - page1.press, e.along]);
const webAt = (tau) => {
  for (let i = 1; i < web.length; ++i)
    if (web[i][0] >= tau) {
      const [t0, v0] = web[i - 1], [t1, v1] = web[i];
      return v0 + ((v1 - v0) * (tau - t0)) / Math.max(t1 - t0, 1e-9);
    }
  return NaN;
};
let sum = 0, n = 0, peak = 0;
for (const [tau, v] of engine) {
  const w = webAt(tau);
  if (!Number.isFinite(w)) continue;
  sum += (w - v) * (w - v);
  peak = Math.max(peak, Math.abs(v));
  ++n;
}
const engineAt = (t) => { const e = engine.find((x) => x[0] >= t); return e ? e[1] : NaN; };
report.pull = { heldSec, samples: n, webSamples: web.length,
  relativeRms: +(Math.sqrt(sum / Math.max(n, 1)) / Math.max(peak, 1e-9)).toFixed(3),
  // [seconds after release, engine px, page px]: the ring-down the user sees.
  afterRelease: [0, 0.5, 1, 1.5, 2, 2.5, 3].map((tau) => [tau, +engineAt(heldSec + tau).toFixed(2),
    +webAt(heldSec + tau).toFixed(2)]) };
check(n >= 60, `pull: only ${n} comparable samples`);
check(report.pull.relativeRms <= 0.2, `the pull differs from the engine's: relative RMS ${report.pull.relativeRms}`);

// ---- Without float blending: half-float accumulation, a loop frame for the parity check -----------------
const half = await open(() => {
  const original = WebGL2RenderingContext.prototype.getExtension;
  WebGL2RenderingContext.prototype.getExtension = function (name) {
    return name === 'EXT_float_blend' ? null : original.call(this, name);
  };
});
const halfState = await half.page.evaluate(() => ({ interactive: window.waft.interactive, floatBlend: window.waft.floatBlend }));
check(halfState.interactive && halfState.floatBlend === false, `without EXT_float_blend: ${JSON.stringify(halfState)}`);
if (halfState.interactive) {
  const url = await half.page.evaluate(() => {
    window.waft.renderLoopFrame(0, 30);
    return document.getElementById('view').toDataURL('image/png');
  });
  writeFileSync(`${outDir}/web-half-0000.png`, Buffer.from(url.split(',')[1], 'base64'));
}
report.halfFloat = halfState;

// ---- Without WebGL2: the fallback loop and a reason --------------------------------------------------------
const noGl = await open(() => {
  const original = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return kind === 'webgl2' ? null : original.call(this, kind, ...rest);
  };
});
const fallback = await noGl.page.evaluate(async () => {
  const img = document.getElementById('fallback');
  if (!img.hidden) await img.decode().catch(() => {});
  return { interactive: window.waft.interactive, note: document.getElementById('note').textContent,
    shown: !img.hidden, width: img.naturalWidth };
});
report.fallback = fallback;
check(!fallback.interactive && fallback.shown && fallback.width > 0,
  `without WebGL2 the fallback loop is not shown: ${JSON.stringify(fallback)}`);
check(/WebGL2/.test(fallback.note), `without WebGL2 the page does not say why: "${fallback.note}"`);
await noGl.page.screenshot({ path: `${outDir}/web-fallback.png` });

await browser.close();
console.log(JSON.stringify(report));
if (failures.length) {
  console.error(failures.map((f) => `FAIL: ${f}`).join('\n'));
  process.exit(1);
}
