// A small stand-in for the `vscode` module, registered before the extension's modules load
// (VS Code itself cannot be downloaded here). It implements the classes the extension builds
// and records what the extension asks the window to do, for the tests to assert.
/* eslint-disable @typescript-eslint/no-explicit-any */
import Module = require("node:module");
import * as path from "node:path";

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === "number") {
      this.start = new Position(a, b as number);
      this.end = new Position(c as number, d as number);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(file: string): Uri {
    return new Uri("file", path.resolve(file));
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class Location {
  readonly range: Range;
  constructor(readonly uri: Uri, where: Position | Range) {
    this.range = where instanceof Range ? where : new Range(where, where);
  }
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  source?: string;
  code?: string | number;
  constructor(readonly range: Range, readonly message: string, readonly severity = DiagnosticSeverity.Error) {}
}

export enum CompletionItemKind {
  Function = 2,
  Reference = 17,
  Constant = 20,
}

export class CompletionItem {
  detail?: string;
  range?: Range;
  constructor(readonly label: string, readonly kind?: CompletionItemKind) {}
}

export class MarkdownString {
  supportThemeIcons = false;
  constructor(readonly value = "") {}
}

export class Hover {
  readonly contents: MarkdownString[];
  constructor(contents: MarkdownString, readonly range?: Range) {
    this.contents = [contents];
  }
}

export class Task {
  constructor(
    readonly definition: any,
    readonly scope: any,
    readonly name: string,
    readonly source: string,
    readonly execution: ProcessExecution,
    readonly problemMatchers: string[],
  ) {}
}

export class ProcessExecution {
  constructor(readonly process: string, readonly args: string[], readonly options: any = {}) {}
}

export enum TaskScope {
  Global = 1,
  Workspace = 2,
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}

/** A document made from text, as the providers see an open editor buffer. */
export function document(file: string, text: string): any {
  return { uri: Uri.file(file), getText: () => text };
}

/** A DiagnosticCollection that keeps what was set, by file. */
export class Collection {
  readonly entries = new Map<string, Diagnostic[]>();
  set(uri: Uri, diagnostics: Diagnostic[]): void {
    this.entries.set(uri.fsPath, diagnostics);
  }
  delete(uri: Uri): void {
    this.entries.delete(uri.fsPath);
  }
  dispose(): void {}
}

/** What the extension asked the window to do, in order. */
export const calls: { errors: string[]; warnings: string[]; opened: { file: string; line: number }[]; panels: any[] } = {
  errors: [],
  warnings: [],
  opened: [],
  panels: [],
};

export function resetCalls(): void {
  calls.errors.length = 0;
  calls.warnings.length = 0;
  calls.opened.length = 0;
  calls.panels.length = 0;
}

/** A webview panel that records the html set and the messages posted, and can receive one. */
function makePanel(): any {
  let receive: (message: unknown) => unknown = () => undefined;
  let disposed: () => void = () => undefined;
  const webview = {
    html: "",
    cspSource: "vscode-webview:",
    posted: [] as unknown[],
    asWebviewUri: (uri: Uri) => ({ toString: () => `vscode-webview://${uri.fsPath}` }),
    postMessage: async (message: unknown) => {
      webview.posted.push(message);
      return true;
    },
    onDidReceiveMessage: (listener: (message: unknown) => unknown) => {
      receive = listener;
      return { dispose() {} };
    },
  };
  return {
    webview,
    reveal() {},
    onDidDispose: (listener: () => void) => {
      disposed = listener;
      return { dispose() {} };
    },
    receive: (message: unknown) => receive(message),
    dispose: () => disposed(),
  };
}

export const window = {
  /** The editor with focus: tests set it (`{document}`), undefined by default. */
  activeTextEditor: undefined as { document: { uri: Uri } } | undefined,
  showErrorMessage: async (message: string) => void calls.errors.push(message),
  showWarningMessage: async (message: string) => void calls.warnings.push(message),
  showTextDocument: async (uri: Uri, options: { selection: Range }) => {
    calls.opened.push({ file: uri.fsPath, line: options.selection.start.line });
  },
  createWebviewPanel: (..._args: unknown[]) => {
    const panel = makePanel();
    calls.panels.push(panel);
    return panel;
  },
};

type Listener = (value: any) => unknown;

/** What activate() registered, and the events the tests fire at it. */
export const registry = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  taskProviders: new Map<string, any>(),
  providers: [] as { kind: string; selector: unknown; provider: any; triggers: string[] }[],
  collections: [] as Collection[],
  listeners: { open: [] as Listener[], save: [] as Listener[], configuration: [] as Listener[] },
  settings: new Map<string, unknown>(),
};

export function resetRegistry(): void {
  window.activeTextEditor = undefined;
  registry.commands.clear();
  registry.taskProviders.clear();
  registry.providers.length = 0;
  registry.collections.length = 0;
  registry.listeners.open.length = 0;
  registry.listeners.save.length = 0;
  registry.listeners.configuration.length = 0;
  registry.settings.clear();
}

const disposable = { dispose() {} };

function listen(list: Listener[]) {
  return (listener: Listener) => {
    list.push(listener);
    return disposable;
  };
}

function provider(kind: string) {
  return (selector: unknown, implementation: any, ...triggers: string[]) => {
    registry.providers.push({ kind, selector, provider: implementation, triggers });
    return disposable;
  };
}

export const workspace = {
  workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  textDocuments: [] as unknown[],
  getConfiguration: (section: string) => ({
    get: (key: string) => registry.settings.get(`${section}.${key}`),
  }),
  onDidOpenTextDocument: listen(registry.listeners.open),
  onDidSaveTextDocument: listen(registry.listeners.save),
  onDidChangeConfiguration: listen(registry.listeners.configuration),
};

const vscode = {
  Position,
  Range,
  Uri,
  Location,
  Diagnostic,
  DiagnosticSeverity,
  CompletionItem,
  CompletionItemKind,
  MarkdownString,
  Hover,
  Task,
  ProcessExecution,
  TaskScope,
  ViewColumn,
  window,
  workspace,
  languages: {
    createDiagnosticCollection: () => {
      const collection = new Collection();
      registry.collections.push(collection);
      return collection;
    },
    registerDefinitionProvider: provider("definition"),
    registerCompletionItemProvider: provider("completion"),
    registerHoverProvider: provider("hover"),
  },
  commands: {
    registerCommand: (name: string, run: (...args: unknown[]) => unknown) => {
      registry.commands.set(name, run);
      return disposable;
    },
  },
  tasks: {
    registerTaskProvider: (type: string, implementation: any) => {
      registry.taskProviders.set(type, implementation);
      return disposable;
    },
  },
};

const load = (Module as any)._load;
(Module as any)._load = function (request: string, ...rest: unknown[]) {
  return request === "vscode" ? vscode : load.call(this, request, ...rest);
};
