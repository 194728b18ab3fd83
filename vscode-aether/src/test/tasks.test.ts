import "./vscodeMock";
import * as assert from "node:assert";
import { test } from "node:test";
import * as vscode from "vscode";
import { argvFor, taskProvider } from "../tasks";

const folder = { uri: vscode.Uri.file("/p"), name: "p", index: 0 } as vscode.WorkspaceFolder;

function provider(env?: string): vscode.TaskProvider {
  return taskProvider({ executable: () => "/p/.venv/bin/aether", env: () => env, folder: () => folder });
}

test("a task definition becomes aether's argv, no shell", () => {
  assert.deepStrictEqual(argvFor({ type: "aether", command: "run", pipeline: "ingest", env: "prod", args: ["--dry-run"] }), [
    "run", "--pipeline", "ingest", "--env", "prod", "--dry-run",
  ]);
});

test("an unknown command is refused with the choices", () => {
  assert.throws(() => argvFor({ type: "aether", command: "deploy" }), /Unknown aether task command 'deploy': use one of run, test, lint, status, viz/);
});

test("the provider offers run, test, lint, status and viz as processes read by $aether, in the folder", async () => {
  const tasks = (await provider().provideTasks(undefined as never)) as vscode.Task[];
  assert.deepStrictEqual(tasks.map((t) => t.name), ["run", "test", "lint", "status", "viz"]);
  const run = tasks[0]!;
  const execution = run.execution as vscode.ProcessExecution;
  assert.ok(execution instanceof vscode.ProcessExecution);
  assert.strictEqual(execution.process, "/p/.venv/bin/aether");
  assert.deepStrictEqual(execution.args, ["run"]);
  assert.strictEqual(execution.options?.cwd, folder.uri.fsPath);
  assert.deepStrictEqual(run.problemMatchers, ["$aether"]);
});

test("the aether.env setting applies unless the task names an env, and the definition stays as written", async () => {
  const definition = { type: "aether", command: "status" };
  const task = new vscode.Task(definition, folder, "status", "aether");
  const resolved = (await provider("prod").resolveTask(task, undefined as never)) as vscode.Task;
  assert.deepStrictEqual((resolved.execution as vscode.ProcessExecution).args, ["status", "--env", "prod"]);
  assert.strictEqual(resolved.definition, definition);
  const own = new vscode.Task({ type: "aether", command: "status", env: "dev" }, folder, "status", "aether");
  const resolvedOwn = (await provider("prod").resolveTask(own, undefined as never)) as vscode.Task;
  assert.deepStrictEqual((resolvedOwn.execution as vscode.ProcessExecution).args, ["status", "--env", "dev"]);
});

test("a task of an unknown command is not resolved", async () => {
  const task = new vscode.Task({ type: "aether", command: "deploy" }, folder, "deploy", "aether");
  assert.strictEqual(await provider().resolveTask(task, undefined as never), undefined);
});

test("in a workspace of two projects, a task runs the aether of its own folder, in that folder", async () => {
  const other = { uri: vscode.Uri.file("/q"), name: "q", index: 1 } as vscode.WorkspaceFolder;
  const perFolder = taskProvider({ executable: (root) => `${root}/.venv/bin/aether`, env: () => undefined, folder: () => folder });
  const task = new vscode.Task({ type: "aether", command: "run" }, other, "run", "aether");
  const execution = ((await perFolder.resolveTask(task, undefined as never)) as vscode.Task).execution as vscode.ProcessExecution;
  assert.strictEqual(execution.process, "/q/.venv/bin/aether");
  assert.strictEqual(execution.options?.cwd, other.uri.fsPath);
});
