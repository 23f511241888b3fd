// Browser test of `waddington view` (docs/viewer.md): Debian's chromium driven by playwright-core.
//
//   cd tests/browser && npm ci && node --test view.test.mjs
//
// Builds the demo run (K = 100, 3 500 epochs recorded every 10: the size) with the release
// binary, writes its page, opens it from file:// and checks: no console error, no network request
// (only file:, data: and blob: URLs), play advances the frame counter, a click on a split-tree node
// highlights exactly its members, the UMAP panel shows the trails (a model of the embedded digits
// is fitted first), the PNG export downloads a PNG, a screenshot is not blank.
// Prints the page size, the load time and the frames per second reached while playing. Then the
// same page through `--serve` (only 127.0.0.1 requested) and a two-point sweep overview whose
// cell opens the point's page.
//
// Environment: WADDINGTON_BIN (default ../../target/release/waddington), CHROMIUM (default
// /usr/bin/chromium), VIEW_RUN (an existing finished run folder instead of training the demo),
// VIEW_SCREENSHOT (write the screenshot there, e.g. ../../docs/images/viewer.png).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, statSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.WADDINGTON_BIN || path.resolve(here, "../../target/release/waddington");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let work, run, pagePath, browser;

function waddington(...args) {
  return execFileSync(BIN, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// A page with console errors, page errors and requests recorded.
async function openPage(viewport = { width: 1600, height: 1250 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const log = { errors: [], requests: [] };
  page.on("console", (m) => { if (m.type() === "error") log.errors.push(m.text()); });
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("request", (r) => log.requests.push(r.url()));
  return { context, page, log };
}

const offline = (url) => /^(file|data|blob):/.test(url);

// Pixel variance of a PNG (decoded by the page itself, from a data: URL).
async function pngVariance(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = "data:image/png;base64," + b64;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0, n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
      s += v; s2 += v * v; n++;
    }
    const m = s / n;
    return { variance: s2 / n - m * m, width: c.width, height: c.height };
  }, png.toString("base64"));
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), "waddington-view-"));
  if (process.env.VIEW_RUN) {
    run = path.resolve(process.env.VIEW_RUN);
  } else {
    run = path.join(work, "demo");
    const t0 = Date.now();
    waddington("demo", "--out", run, "--threads", "1");
    console.log(`# trained the demo run in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  // A UMAP model of the embedded digits (few layout epochs: a test, not a figure), for the trails.
  const umap = path.join(work, "umap");
  let t0 = Date.now();
  waddington("embed", "fit", "--data", "embedded", "--epochs", "100", "--out", umap);
  console.log(`# fitted the UMAP model in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  pagePath = path.join(work, "view.html");
  t0 = Date.now();
  const out = waddington("view", run, "--out", pagePath, "--umap", umap, "--umap-every", "5");
  console.log(`# waddington view: ${((Date.now() - t0) / 1000).toFixed(1)} s; ${out.trim().replace(/\n/g, "; ")}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the page loads from file:// offline, plays, highlights a clade, exports a PNG", async () => {
  const size = statSync(pagePath).size;
  console.log(`# page size: ${(size / 1048576).toFixed(2)} MB`);
  assert.ok(size < 40 * 1048576, `page is ${size} bytes, over 40 MB`);
  const { context, page, log } = await openPage();
  const t0 = Date.now();
  await page.goto(pathToFileURL(pagePath).href);
  await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
  const wall = Date.now() - t0;
  const load = await page.evaluate(() => ({ loadMs: window.waddingtonViewer.loadMs, decodeMs: window.waddingtonViewer.decodeMs }));
  console.log(`# load: ${load.loadMs.toFixed(0)} ms from navigation start to the first frame drawn (data decoded in ${load.decodeMs.toFixed(0)} ms; ${wall} ms wall from goto)`);

  // The UMAP panel is shown, with the trails of every memory.
  assert.equal(await page.isVisible("#c-umap"), true, "UMAP panel hidden");
  const trails = await page.evaluate(() => window.waddingtonViewer.umapFrames);
  assert.ok(trails >= 70, `only ${trails} UMAP frames`);

  // Play advances the frame counter.
  const frame = async () => Number(await page.getAttribute("#frame", "data-frame"));
  assert.equal(await frame(), 0);
  await page.click("#play");
  await page.waitForTimeout(700);
  await page.click("#play");
  const played = await frame();
  assert.ok(played > 0, `frame counter still ${played} after playing`);

  // Keyboard: → steps one frame, Home goes back to 0.
  await page.keyboard.press("ArrowRight");
  assert.equal(await frame(), played + 1);
  await page.keyboard.press("Home");
  assert.equal(await frame(), 0);

  // Frames per second while playing at "every display frame".
  const fps = await page.evaluate(async () => {
    const v = window.waddingtonViewer;
    v.setFrame(0);
    v.setSpeed(0);
    const a0 = v.stats.advanced, d0 = v.stats.drawn, ms0 = v.stats.drawMs, t0 = performance.now();
    v.play();
    await new Promise((r) => setTimeout(r, 2500));
    v.pause();
    const dt = (performance.now() - t0) / 1000;
    const drawn = v.stats.drawn - d0;
    return { fps: (v.stats.advanced - a0) / dt, drawMs: (v.stats.drawMs - ms0) / Math.max(1, drawn) };
  });
  console.log(`# playing: ${fps.fps.toFixed(1)} frames per second (display-limited; ${fps.drawMs.toFixed(2)} ms to draw a frame, i.e. up to ${(1000 / fps.drawMs).toFixed(0)} fps)`);

  // Clicking a tree node highlights exactly its members.
  const target = await page.evaluate(() => {
    const v = window.waddingtonViewer;
    const K = v.nodes[0].size;
    const candidates = v.nodes.filter((n) => n.size >= 3 && n.size < K && v.treeNodePoint(n.id));
    candidates.sort((a, b) => Math.abs(a.size - K / 3) - Math.abs(b.size - K / 3));
    return candidates.length ? { id: candidates[0].id, size: candidates[0].size } : { id: 0, size: K };
  });
  await page.locator("#c-tree").scrollIntoViewIfNeeded();
  const pt = await page.evaluate((id) => window.waddingtonViewer.treeNodePoint(id), target.id);
  await page.mouse.click(pt.x, pt.y);
  assert.equal(await page.getAttribute("#highlight-count", "data-node"), String(target.id));
  assert.equal(Number(await page.getAttribute("#highlight-count", "data-count")), target.size);
  const members = await page.evaluate((id) => window.waddingtonViewer.nodes[id].members.length, target.id);
  assert.equal(members, target.size);
  console.log(`# clicked tree node ${target.id}: ${target.size} memories highlighted`);

  // PNG export downloads a PNG of the current frame.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  assert.match(download.suggestedFilename(), /\.png$/);
  const exported = path.join(work, "export.png");
  await download.saveAs(exported);
  assert.ok(statSync(exported).size > 10000, "exported PNG is tiny");

  // The screenshot (a frame in the middle of the run, the clade selected) is not blank.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => {
    const v = window.waddingtonViewer;
    v.setFrame(Math.round(v.frames * 0.6));
  });
  const shot = await page.screenshot({ fullPage: true });
  const stats = await pngVariance(page, shot);
  console.log(`# screenshot ${stats.width}×${stats.height}, pixel variance ${stats.variance.toFixed(0)}`);
  assert.ok(stats.variance > 100, `screenshot looks blank (variance ${stats.variance})`);
  if (process.env.VIEW_SCREENSHOT) {
    const out = path.resolve(process.env.VIEW_SCREENSHOT);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, shot);
    console.log(`# wrote ${out}`);
  }

  assert.deepEqual(log.errors, [], "console errors");
  assert.deepEqual(log.requests.filter((u) => !offline(u)), [], "network requests");
  await context.close();
});

test("--serve answers on loopback only and the page loads from it", async () => {
  const server = spawn(BIN, ["view", run, "--serve", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise((resolve, reject) => {
      let text = "";
      server.stdout.on("data", (d) => {
        text += d;
        const m = text.match(/http:\/\/127\.0\.0\.1:\d+\//);
        if (m) resolve(m[0]);
      });
      server.on("exit", (c) => reject(new Error(`server exited with ${c}`)));
      setTimeout(() => reject(new Error("server did not start in 60 s")), 60000);
    });
    const { context, page, log } = await openPage();
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
    await page.click("#play");
    await page.waitForTimeout(400);
    assert.ok(Number(await page.getAttribute("#frame", "data-frame")) > 0);
    assert.deepEqual(log.errors, [], "console errors");
    assert.deepEqual(log.requests.filter((u) => !u.startsWith(url) && !offline(u)), [], "requests off the server");
    await context.close();
  } finally {
    server.kill();
  }
});

test("a sweep folder gets an overview whose cell opens the point's page", async () => {
  const grid = path.join(work, "grid.toml");
  writeFileSync(grid, [
    "[model]", "memories = 8", "[data]", "per_class = 2", "[train]", "epochs = 60", "save_every = 5",
    "[sweep]", "[sweep.grid]", '"model.n" = [3, 20]', '"model.temperature" = [400]', "",
  ].join("\n"));
  const sweep = path.join(work, "sweep");
  waddington("sweep", "run", grid, "--out", sweep, "--jobs", "2", "--no-progress");
  const out = path.join(work, "sweep-view");
  waddington("view", sweep, "--out", out);
  const { context, page, log } = await openPage({ width: 1400, height: 900 });
  await page.goto(pathToFileURL(path.join(out, "index.html")).href);
  await page.waitForSelector("body[data-ready='1']");
  const box = await page.locator("#c-maxalpha").boundingBox();
  // The first cell (n = 3, T = 400) sits at the heat map's left edge (its box starts at x = 90).
  await Promise.all([page.waitForNavigation(), page.mouse.click(box.x + 100, box.y + 20)]);
  assert.match(page.url(), /points\/0000-[0-9a-f]{8}\.html$/);
  await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
  assert.equal(await page.isVisible("#back"), true);
  assert.deepEqual(log.errors, [], "console errors");
  assert.deepEqual(log.requests.filter((u) => !offline(u)), [], "network requests");
  await context.close();
});
