// Drives a page made by `aether viz --format html` in real headless Chromium and prints what
// it saw as JSON, for aether-runtime/tests/integration/viz/test_viewer_browser.py.
// Usage: node drive.mjs PAGE [--screenshot FILE] [--click ID [--screenshot-details FILE]]
//   [--search TEXT] [--vscode [--vscode-state JSON]] [--pan DX,DY] [--open] [--open-pipeline]
//   [--dblclick ID] [--bad-update] [--update DAG.json] [--rebuild] [--expand GROUP] [--focus ID]
// Steps run in that order. --vscode stubs acquireVsCodeApi as a VS Code webview has it
// (callable once; postMessage recorded; getState/setState kept in the page) and reports the
// messages posted and the state stored; --rebuild opens the page again with that state, as
// VS Code rebuilds a webview hidden then shown.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [page_, ...rest] = process.argv.slice(2);
const option = (name) => {
  const at = rest.indexOf(name);
  return at >= 0 ? rest[at + 1] : undefined;
};
const flag = (name) => rest.includes(name);

// What VS Code gives a webview: acquireVsCodeApi(), which throws when called a second time.
function stubVsCode(initial) {
  window.__posted = [];
  window.__acquired = 0;
  window.__state = initial;
  window.acquireVsCodeApi = () => {
    window.__acquired += 1;
    if (window.__acquired > 1) throw new Error("An instance of the VS Code API has already been acquired");
    return {
      postMessage: (message) => window.__posted.push(message),
      getState: () => window.__state,
      setState: (value) => (window.__state = JSON.parse(JSON.stringify(value))),
    };
  };
}
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
  const open = async (state) => {
    const tab = await context.newPage();
    tab.on("pageerror", (error) => report.errors.push(String(error)));
    tab.on("console", (msg) => msg.type() === "error" && report.errors.push(msg.text()));
    if (flag("--vscode")) await tab.addInitScript(stubVsCode, state === undefined ? null : state);
    await tab.goto(new URL(`file://${page_}`).href);
    return tab;
  };
  const started = Date.now();
  let page = await open(option("--vscode-state") ? JSON.parse(option("--vscode-state")) : undefined);
  const ready = () => page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 120000 });
  await ready();
  report.readyMs = Date.now() - started;
  // The scene's transform (the viewport), the selection and the details panel.
  const seen = () => page.evaluate(() => ({
    transform: document.getElementById("scene").getAttribute("transform"),
    selected: [...document.querySelectorAll("#scene .node.selected")].map((e) => e.dataset.id),
    title: document.getElementById("title").textContent,
    details: Object.fromEntries(
      [...document.querySelectorAll("#details dd")].map((dd) => [dd.dataset.field, dd.textContent])),
    search: document.getElementById("search").value,
    hits: [...document.querySelectorAll(".node.hit")].map((e) => e.dataset.id),
    classes: Object.fromEntries([...document.querySelectorAll("#scene [data-id]")].map(
      (e) => [e.dataset.id, e.getAttribute("class")])),
  }));
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
    report.checks = await page.evaluate(() => [...document.querySelectorAll("#details li[data-check]")].map(
      (li) => ({ name: li.dataset.check, result: li.dataset.result,
        mark: li.querySelector(".mark").textContent, message: li.querySelector(".message").textContent })));
    report.buttons = await page.evaluate(() => [...document.querySelectorAll("#details button")].map((b) => b.id));
    if (option("--screenshot-details")) await page.screenshot({ path: option("--screenshot-details") });
  }
  if (option("--search")) {
    await page.fill("#search", option("--search"));
    // A search marks nodes after a pause in typing, without a new layout.
    await page.waitForFunction((text) => document.body.dataset.search === text, option("--search"));
    await ready();
    report.hits = await page.evaluate(() => [...document.querySelectorAll(".node.hit")].map((e) => e.dataset.id));
  }
  if (option("--pan")) {
    const [dx, dy] = option("--pan").split(",").map(Number);
    const box = await page.locator("#canvas").boundingBox();
    const x = box.x + box.width - 40;
    const y = box.y + box.height - 40; // an empty corner: nodes start at the top left
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + dx, y + dy, { steps: 4 });
    await page.mouse.up();
  }
  if (flag("--open")) await page.click("#open");
  if (flag("--open-pipeline")) await page.click("#open-pipeline");
  if (option("--dblclick")) await page.dblclick(`[data-id="${option("--dblclick")}"]`);
  if (flag("--bad-update")) {
    // Not a DAG at all, then DAGs of the right schema whose nodes or edges lack what the
    // viewer reads: each must leave the drawing as it was, and say so.
    const v1 = (nodes, edges) => ({ schema: "aether.dag/v1", pipeline: "x", nodes, edges });
    const bad = [{ nodes: "?" }, v1([{}], []), v1([null], []), v1([{ id: "task:a", kind: "task", name: "a" }], [null])];
    const before = await snapshot();
    const statuses = [];
    for (const dag of bad) {
      await page.evaluate((data) => window.dispatchEvent(new MessageEvent("message", { data })), { type: "update", dag });
      statuses.push(await page.textContent("#status"));
    }
    const ready_ = await page.evaluate(() => document.body.dataset.ready);
    report.badUpdate = {
      statuses: [...new Set(statuses)],
      same: JSON.stringify(before) === JSON.stringify(await snapshot()) && ready_ === "true",
    };
  }
  if (option("--update")) {
    const dag = JSON.parse(readFileSync(option("--update"), "utf8"));
    report.beforeUpdate = { ...(await seen()), ...(await snapshot()) };
    // As VS Code delivers a webview message: a MessageEvent on window.
    await page.evaluate((data) => window.dispatchEvent(new MessageEvent("message", { data })), { type: "update", dag });
    await ready();
    report.afterUpdate = { ...(await seen()), ...(await snapshot()) };
  }
  if (flag("--vscode")) {
    report.posted = await page.evaluate(() => window.__posted);
    report.vscodeState = await page.evaluate(() => window.__state);
  }
  if (flag("--rebuild")) {
    await page.close();
    page = await open(report.vscodeState);
    await ready();
    report.rebuilt = { ...(await seen()), ...(await snapshot()) };
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
