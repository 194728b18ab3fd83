// TaskProvider: a task definition {command, pipeline, env, args} -> `aether <command> ...`, run
// as a process (no shell, so nothing in a name is interpreted), its output read by the $aether
// problem matcher (package.json) into Problems.
import * as vscode from "vscode";

export const COMMANDS = ["run", "test", "lint", "status", "viz"] as const;
export const PROBLEM_MATCHER = "$aether";

export interface AetherTaskDefinition extends vscode.TaskDefinition {
  command: string;
  pipeline?: string;
  env?: string;
  args?: string[];
}

/** `defaultEnv` (the aether.env setting) applies when the definition names no env. */
export function argvFor(definition: AetherTaskDefinition, defaultEnv?: string): string[] {
  if (!(COMMANDS as readonly string[]).includes(definition.command)) {
    throw new Error(`Unknown aether task command '${definition.command}': use one of ${COMMANDS.join(", ")}`);
  }
  const argv = [definition.command];
  if (definition.pipeline) argv.push("--pipeline", definition.pipeline);
  const env = definition.env || defaultEnv;
  if (env) argv.push("--env", env);
  return argv.concat(definition.args ?? []);
}

export function makeTask(
  definition: AetherTaskDefinition,
  executable: string,
  scope: vscode.WorkspaceFolder | vscode.TaskScope.Global | vscode.TaskScope.Workspace = vscode.TaskScope.Workspace,
  cwd?: string,
  defaultEnv?: string,
): vscode.Task {
  const name = [definition.command, definition.pipeline].filter(Boolean).join(" ");
  const execution = new vscode.ProcessExecution(executable, argvFor(definition, defaultEnv), cwd ? { cwd } : {});
  return new vscode.Task(definition, scope, name, "aether", execution, [PROBLEM_MATCHER]);
}

export interface TaskSettings {
  /** The aether of the project at `root` (its own .venv): each folder of a workspace has its own. */
  executable: (root: string | undefined) => string;
  env: () => string | undefined;
  folder: () => vscode.WorkspaceFolder | undefined;
}

export function taskProvider(settings: TaskSettings): vscode.TaskProvider {
  const build = (definition: AetherTaskDefinition, scope?: vscode.WorkspaceFolder | vscode.TaskScope) => {
    const where = typeof scope === "object" ? scope : settings.folder() ?? vscode.TaskScope.Workspace;
    // The problem matcher reads paths relative to the workspace folder: run there. The
    // definition is passed on untouched (VS Code matches resolved tasks by it).
    const cwd = typeof where === "object" ? where.uri.fsPath : undefined;
    return makeTask(definition, settings.executable(cwd), where, cwd, settings.env());
  };
  return {
    provideTasks: () => COMMANDS.map((command) => build({ type: "aether", command })),
    resolveTask: (task) => {
      const definition = task.definition as AetherTaskDefinition;
      return COMMANDS.includes(definition.command as (typeof COMMANDS)[number]) ? build(definition, task.scope) : undefined;
    },
  };
}
