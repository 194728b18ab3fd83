// Drives a page made by `aether viz --format html` in real headless Chromium and prints what
// it saw as JSON, for aether-runtime/tests/integration/viz/test_viewer_browser.py.
// Usage: node drive.mjs PAGE [--screenshot FILE] [--click ID] [--search TEXT] [--focus ID] [--expand GROUP]
import { chromium } from "playwright-core";

const [page_, ...rest] = process.argv.slice(2);
const option = (name) => {
  const at = rest.indexOf(name);
  return at >= 0 ? rest[at + 1] : undefined;
};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const report = { requests: [], errors: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  // Any http(s) request is recorded and refused: the page must need none.
  await context.route(/^https?:/, (route) => {
    report.requests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => report.errors.push(String(error)));
  page.on("console", (msg) => msg.type() === "error" && report.errors.push(msg.text()));
  const ready = () => page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 120000 });
  const started = Date.now();
  await page.goto(new URL(`file://${page_}`).href);
  await ready();
  report.readyMs = Date.now() - started;
  const snapshot = () => page.evaluate(() => {
    const positions = {};
    for (const el of document.querySelectorAll("#scene [data-id]")) {
      const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(el.getAttribute("transform"));
      positions[el.dataset.id] = [Number(m[1]), Number(m[2])];
    }
    return { positions, edges: document.querySelectorAll("#scene path.edge").length };
  });
  report.first = await snapshot();
  // The viewer's own stylesheet is applied: the canvas fills the page beside the side panel.
  report.canvasWidth = await page.evaluate(() => document.getElementById("canvas").getBoundingClientRect().width);
  if (option("--screenshot")) await page.screenshot({ path: option("--screenshot") });
  if (option("--click")) {
    await page.dispatchEvent(`[data-id="${option("--click")}"]`, "click");
    report.details = await page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll("#details dd")].map((dd) => [dd.dataset.field, dd.textContent])));
    report.title = await page.textContent("#title");
    if (option("--screenshot-details")) await page.screenshot({ path: option("--screenshot-details") });
  }
  if (option("--search")) {
    await page.fill("#search", option("--search"));
    await ready();
    report.hits = await page.evaluate(() => [...document.querySelectorAll(".node.hit")].map((e) => e.dataset.id));
  }
  if (option("--expand")) {
    await page.dispatchEvent(`[data-id="${option("--expand")}"]`, "click");
    await ready();
    report.expanded = await snapshot();
  }
  if (option("--focus")) {
    await page.dispatchEvent(`[data-id="${option("--focus")}"]`, "click");
    await page.click("#focus");
    await ready();
    report.focused = await snapshot();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
