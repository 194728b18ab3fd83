const test = require("node:test");
const assert = require("node:assert");
const vscode = require("./vscode-mock");
const { argvFor, taskProvider } = require("../src/tasks");

test("a task definition becomes aether's argv, no shell", () => {
  assert.deepStrictEqual(argvFor({ command: "run", pipeline: "ingest", env: "prod", args: ["--dry-run"] }), [
    "run", "--pipeline", "ingest", "--env", "prod", "--dry-run",
  ]);
});

test("an unknown command is refused with the choices", () => {
  assert.throws(() => argvFor({ command: "deploy" }), /Unknown aether task command 'deploy': use one of run, test/);
});

test("the provider offers run, test, lint and status as process executions", () => {
  const tasks = taskProvider(vscode, () => "/p/.venv/bin/aether").provideTasks();
  assert.deepStrictEqual(tasks.map((t) => t.name), ["run", "test", "lint", "status"]);
  assert.ok(tasks[0].execution instanceof vscode.ProcessExecution);
  assert.strictEqual(tasks[0].execution.process, "/p/.venv/bin/aether");
  assert.deepStrictEqual(tasks[0].execution.args, ["run"]);
});
