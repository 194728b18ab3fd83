// package.json against the code and the repository: what it promises exists.
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { PACKAGE } from "./fixtures";

const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE, "package.json"), "utf8"));

test("main is the compiled entry point, and @types/vscode is no newer than engines.vscode", () => {
  assert.strictEqual(manifest.main, "./out/extension.js");
  assert.ok(fs.existsSync(path.join(PACKAGE, manifest.main)));
  assert.strictEqual(manifest.engines.vscode, `^${manifest.devDependencies["@types/vscode"]}`);
});

test("every command contributed is registered, and the settings read exist", () => {
  const source = fs.readFileSync(path.join(PACKAGE, "src", "extension.ts"), "utf8");
  for (const { command } of manifest.contributes.commands) assert.ok(source.includes(`"${command}"`), command);
  assert.deepStrictEqual(Object.keys(manifest.contributes.configuration.properties).sort(), ["aether.env", "aether.executable"]);
});

test("the template's .vscode/extensions.json recommends this extension by its id", () => {
  const vscodeDir = path.join(PACKAGE, "..", "template", "{{cookiecutter.project_slug}}", ".vscode");
  const file = fs.readdirSync(vscodeDir).find((name) => name.includes("extensions.json"))!;
  const recommendations = JSON.parse(fs.readFileSync(path.join(vscodeDir, file), "utf8")).recommendations as string[];
  assert.ok(recommendations.includes(`${manifest.publisher}.${manifest.name}`));
});

test("a workspace that is not trusted gets no activation: the extension runs the project's own code", () => {
  // The default .venv/bin/aether and a workspace's aether.executable are the workspace's files.
  assert.strictEqual(manifest.capabilities?.untrustedWorkspaces?.supported, false);
  assert.match(manifest.capabilities.untrustedWorkspaces.description, /trust/);
  // It runs a local process on the files: a virtual (remote file system) workspace has none.
  assert.strictEqual(manifest.capabilities.virtualWorkspaces, false);
});
