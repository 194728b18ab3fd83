// TaskProvider: a task definition {command, pipeline, env, args} -> `aether <command> ...`,
// run as a process (no shell, so nothing in a name is interpreted).
const COMMANDS = ["run", "test", "lint", "status", "viz"];

function argvFor(definition) {
  if (!COMMANDS.includes(definition.command)) {
    throw new Error(`Unknown aether task command '${definition.command}': use one of ${COMMANDS.join(", ")}`);
  }
  const argv = [definition.command];
  if (definition.pipeline) argv.push("--pipeline", definition.pipeline);
  if (definition.env) argv.push("--env", definition.env);
  return argv.concat(definition.args || []);
}

function makeTask(vscode, definition, executable, folder) {
  const task = new vscode.Task(
    definition,
    folder || vscode.TaskScope.Workspace,
    [definition.command, definition.pipeline].filter(Boolean).join(" "),
    "aether",
    new vscode.ProcessExecution(executable, argvFor(definition)),
    [],
  );
  return task;
}

function taskProvider(vscode, executable) {
  return {
    provideTasks: () => ["run", "test", "lint", "status"].map((command) => makeTask(vscode, { type: "aether", command }, executable())),
    resolveTask: (task) => makeTask(vscode, task.definition, executable(), task.scope),
  };
}

module.exports = { COMMANDS, argvFor, makeTask, taskProvider };
