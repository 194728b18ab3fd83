// A small stand-in for the `vscode` module, registered before the extension's modules load
// (VS Code itself cannot be downloaded here).
const Module = require("node:module");

class Task {
  constructor(definition, scope, name, source, execution, matchers) {
    Object.assign(this, { definition, scope, name, source, execution, matchers });
  }
}
class ProcessExecution {
  constructor(process, args) {
    Object.assign(this, { process, args });
  }
}
const vscode = { Task, ProcessExecution, TaskScope: { Workspace: "workspace" } };

const load = Module._load;
Module._load = function (request, ...rest) {
  return request === "vscode" ? vscode : load.call(this, request, ...rest);
};
module.exports = vscode;
