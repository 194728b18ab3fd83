import { calls, resetCalls } from "./vscodeMock";
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as vscode from "vscode";
import type { Dag } from "../dag";
import { DagPanel, openTarget, pageHtml } from "../dagPanel";
import { resolveInside } from "../locations";
import { fixtureDag, projectCopy, tempDir } from "./fixtures";

test("the webview page runs only nonce'd scripts and escapes the data", () => {
  const html = pageHtml({ nodes: [{ name: "</script><script>x()</script>" }] }, "vscode-resource:/viewer.js", "vscode-resource:", "abc");
  assert.match(html, /script-src 'nonce-abc'/);
  assert.match(html, /default-src 'none'/);
  assert.match(html, /<script nonce="abc" src="vscode-resource:\/viewer.js"><\/script>/);
  assert.ok(!html.includes("</script><script>x()"));
});

test("open messages: a location inside the project, with its line", () => {
  const root = projectCopy();
  assert.deepStrictEqual(openTarget(root, { type: "open", location: "src/mini/nodes.py:6" }), { file: path.join(root, "src/mini/nodes.py"), line: 6 });
  assert.deepStrictEqual(openTarget(root, { type: "open", location: "conf/base/catalog.yml" }), { file: path.join(root, "conf/base/catalog.yml"), line: undefined });
});

test("open messages: .., absolute paths, drive letters, odd values and other types are refused", () => {
  const root = projectCopy();
  for (const location of ["../x.py:1", "src/../../x.py", "src/../conf/base/catalog.yml:1", "/etc/passwd:1", "C:\\Windows\\x:1", "c:x", "", "src/mini/nodes.py:0", "src/mini/nodes.py:-1", "src/mini/nodes.py:NaN", "src/mini/nodes.py:1.5", "src/mini/nodes.py:+3", "src/mini/nodes.py:99999999999999999999", "a\0b", 42, null, { path: "x" }]) {
    assert.strictEqual(openTarget(root, { type: "open", location }), undefined, String(location));
  }
  assert.strictEqual(openTarget(root, { type: "select", location: "src/mini/nodes.py:6" }), undefined);
  assert.strictEqual(openTarget(root, "open"), undefined);
});

test("open messages: a symbolic link inside the project that points outside is refused", () => {
  const root = projectCopy();
  const outside = path.join(tempDir(), "secret.py");
  fs.writeFileSync(outside, "x = 1\n");
  fs.symlinkSync(outside, path.join(root, "src", "link.py"));
  assert.strictEqual(resolveInside(root, "src/link.py:1"), undefined);
});

function panelFor(root: string, dags: Dag[]) {
  resetCalls();
  const reads: string[] = [];
  const panel = new DagPanel(vscode as never, vscode.Uri.file("/ext"), () => ({
    root,
    readDag: async (where) => {
      reads.push(where);
      const next = dags.shift();
      if (!next) throw new Error("aether viz failed");
      return next;
    },
  }));
  return { panel, reads };
}

test("show draws the page once; a refresh posts the new DAG to it (the viewport stays)", async () => {
  const root = projectCopy();
  const second = fixtureDag();
  second.nodes[0]!.status = "fresh";
  const { panel, reads } = panelFor(root, [fixtureDag(), second]);
  await panel.show();
  const webview = calls.panels[0].webview;
  const html = webview.html;
  assert.match(html, /<script nonce="[^"]+" src="vscode-webview:\/\/\/ext\/media\/viewer.js"><\/script>/);
  assert.match(html, /"id":"dataset:doubled"/);
  await panel.refresh();
  assert.strictEqual(webview.html, html, "a refresh never resets the page");
  assert.deepStrictEqual(webview.posted, [{ type: "update", dag: second }]);
  assert.deepStrictEqual(reads, [root, root]);
});

test("a click on a node opens its file at the line; a location outside is refused with a warning", async () => {
  const root = projectCopy();
  const { panel } = panelFor(root, [fixtureDag()]);
  await panel.show();
  const page = calls.panels[0];
  await page.receive({ type: "open", location: "src/mini/nodes.py:10" });
  assert.deepStrictEqual(calls.opened, [{ file: path.join(root, "src/mini/nodes.py"), line: 9 }]);
  await page.receive({ type: "open", location: "../../etc/passwd:1" });
  assert.strictEqual(calls.opened.length, 1);
  assert.deepStrictEqual(calls.warnings, ["Aether: not opening '../../etc/passwd:1': not a file inside the project"]);
  await page.receive({ type: "select", id: "task:double" });
  assert.strictEqual(calls.opened.length, 1);
});

test("a refused location from the page is echoed in the warning as one short line", async () => {
  const root = projectCopy();
  const { panel } = panelFor(root, [fixtureDag()]);
  await panel.show();
  const page = calls.panels[0];
  await page.receive({ type: "open", location: `/etc/${"x".repeat(100000)}\nline two` });
  await page.receive({ type: "open", location: { toString: "no" } });
  assert.strictEqual(calls.opened.length, 0);
  assert.strictEqual(calls.warnings.length, 2);
  assert.ok(calls.warnings[0]!.length < 200, `a warning of ${calls.warnings[0]!.length} characters`);
  assert.ok(!calls.warnings[0]!.includes("\n"));
  assert.strictEqual(calls.warnings[1], `Aether: not opening '{"toString":"no"}': not a file inside the project`);
});

test("a CLI failure on show or refresh is one error message, and a closed panel is reopened", async () => {
  const root = projectCopy();
  const { panel } = panelFor(root, []);
  await panel.show();
  assert.deepStrictEqual(calls.errors, ["Aether: aether viz failed"]);
  assert.strictEqual(calls.panels.length, 0);
  const again = panelFor(root, [fixtureDag()]);
  await again.panel.show();
  await again.panel.refresh();
  assert.deepStrictEqual(calls.errors, ["Aether: aether viz failed"]);
  calls.panels[0].dispose();
  assert.strictEqual(again.panel.isOpen, false);
});
