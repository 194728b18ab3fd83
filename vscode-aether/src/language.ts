// Go to definition, completion and hover in conf/**/pipeline.yml and catalog.yml. The buffer
// only says where the cursor is (yamlCursor); what a name is comes from the CLI's DAG.
import * as vscode from "vscode";
import { type CheckResult, type DagIndex, type DagNode, transformationOf } from "./dag";
import { resolveInside } from "./locations";
import { fileKindOf, projectRootOf } from "./project";
import { completionAt, tokenAt, type Token } from "./yamlCursor";

export type DagFor = (root: string) => Promise<DagIndex | undefined>;

export const SELECTOR: vscode.DocumentSelector = [
  { scheme: "file", pattern: "**/conf/**/pipeline.yml" },
  { scheme: "file", pattern: "**/conf/**/catalog.yml" },
];

function linesOf(document: vscode.TextDocument): string[] {
  return document.getText().split(/\r?\n/);
}

interface Found {
  root: string;
  dag: DagIndex;
  token: Token;
  nodes: DagNode[];
}

function nodesFor(dag: DagIndex, token: Token): DagNode[] {
  const one = (node: DagNode | undefined): DagNode[] => (node ? [node] : []);
  switch (token.role) {
    case "dataset":
      return one(dag.datasets.get(token.name));
    case "param":
      return one(dag.params.get(token.name));
    case "task":
      return one(dag.tasks.get(token.name));
    case "transformation":
      return dag.transformations.get(token.name) ?? [];
  }
}

async function find(document: vscode.TextDocument, position: vscode.Position, dagFor: DagFor): Promise<Found | undefined> {
  const root = projectRootOf(document.uri.fsPath);
  const kind = fileKindOf(document.uri.fsPath);
  if (!root || !kind) return undefined;
  const token = tokenAt(linesOf(document), position.line, position.character, kind);
  if (!token) return undefined;
  const dag = await dagFor(root);
  if (!dag) return undefined;
  return { root, dag, token, nodes: nodesFor(dag, token) };
}

function locationOf(root: string, location: string | null | undefined): vscode.Location | undefined {
  const resolved = resolveInside(root, location);
  if (!resolved) return undefined;
  const line = Math.max(0, (resolved.line ?? 1) - 1);
  return new vscode.Location(vscode.Uri.file(resolved.file), new vscode.Position(line, 0));
}

export function definitionProvider(dagFor: DagFor): vscode.DefinitionProvider {
  return {
    async provideDefinition(document, position) {
      const found = await find(document, position, dagFor);
      if (!found) return undefined;
      const seen = new Set<string>();
      const targets: vscode.Location[] = [];
      for (const node of found.nodes) {
        const target = locationOf(found.root, node.location);
        const key = target && `${target.uri.fsPath}:${target.range.start.line}`;
        if (target && key && !seen.has(key)) {
          seen.add(key);
          targets.push(target);
        }
      }
      return targets.length ? targets : undefined;
    },
  };
}

function item(label: string, kind: vscode.CompletionItemKind, detail: string | undefined, range: vscode.Range): vscode.CompletionItem {
  const completion = new vscode.CompletionItem(label, kind);
  completion.detail = detail;
  completion.range = range;
  return completion;
}

export function completionProvider(dagFor: DagFor): vscode.CompletionItemProvider {
  return {
    async provideCompletionItems(document, position) {
      const root = projectRootOf(document.uri.fsPath);
      const kind = fileKindOf(document.uri.fsPath);
      if (!root || !kind) return undefined;
      const spot = completionAt(linesOf(document), position.line, position.character, kind);
      if (!spot) return undefined;
      const dag = await dagFor(root);
      if (!dag) return undefined;
      const range = new vscode.Range(position.line, spot.start, position.line, spot.end);
      const items: vscode.CompletionItem[] = [];
      if (spot.roles.includes("dataset")) {
        for (const [name, node] of dag.datasets) items.push(item(name, vscode.CompletionItemKind.Reference, statusLine(node), range));
      }
      if (spot.roles.includes("param")) {
        for (const key of dag.params.keys()) items.push(item(`params:${key}`, vscode.CompletionItemKind.Constant, "parameter", range));
      }
      if (spot.roles.includes("transformation")) {
        const paths = new Set([...dag.tasks.values()].map(transformationOf).filter((p): p is string => Boolean(p)));
        for (const dotted of paths) items.push(item(dotted, vscode.CompletionItemKind.Function, "transformation", range));
      }
      return items;
    },
  };
}

function statusLine(node: DagNode): string | undefined {
  if (!node.status) return node.type ?? undefined;
  return [node.status, node.reason].filter(Boolean).join(": ");
}

const STATUS_ICON: Record<string, string> = { fresh: "$(pass)", stale: "$(history)", missing: "$(circle-outline)", failed: "$(error)" };

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** One check's last result; `passed: null` means it never ran as configured now. */
function checkLine(check: CheckResult): string {
  const icon = check.passed === true ? "$(pass)" : check.passed === false ? "$(error)" : "$(circle-outline)";
  const outcome = check.passed === null || check.passed === undefined ? ": not run yet" : check.message ? `: ${escape(check.message)}` : "";
  return `- ${icon} ${escape(check.name)}${check.severity ? ` (${check.severity})` : ""}${outcome}${check.checked_at ? ` — ${check.checked_at}` : ""}`;
}

/** The hover text of one node: status and reason first (what the user came for), then the rest. */
export function describe(node: DagNode): string {
  const lines: string[] = [];
  const kind = node.id.split(":")[0];
  lines.push(`**${escape(node.name)}** · ${kind}${node.type ? ` · \`${node.type}\`` : ""}`);
  if (node.status) {
    lines.push(`${STATUS_ICON[node.status] ?? ""} **${node.status}**${node.reason ? `: ${escape(node.reason)}` : ""}`.trim());
  }
  if (node.description) lines.push(escape(node.description));
  const facts: string[] = [];
  if (node.owner) facts.push(`owner: ${escape(node.owner)}`);
  if (node.filepath) facts.push(`filepath: \`${node.filepath}\``);
  const transformation = kind === "task" ? transformationOf(node) : undefined;
  if (transformation && transformation !== node.type) facts.push(`transformation: \`${transformation}\``);
  if (node.location) facts.push(`defined at \`${node.location}\``);
  if (node.location_in_pipeline) facts.push(`node at \`${node.location_in_pipeline}\``);
  if (facts.length) lines.push(facts.join("  \n"));
  const results = node.check_results ?? [];
  if (results.length) {
    lines.push(
      ["checks:", ...results.map(checkLine)].join("\n"),
    );
  } else if (node.checks && node.checks.length) {
    lines.push(`checks: ${node.checks.length} declared, no result yet`);
  }
  return lines.join("\n\n");
}

export function hoverProvider(dagFor: DagFor): vscode.HoverProvider {
  return {
    async provideHover(document, position) {
      const found = await find(document, position, dagFor);
      if (!found || found.nodes.length === 0) return undefined;
      const markdown = new vscode.MarkdownString(found.nodes.map((node) => describe(node)).join("\n\n---\n\n"));
      markdown.supportThemeIcons = true;
      const range = new vscode.Range(position.line, found.token.start, position.line, found.token.end);
      return new vscode.Hover(markdown, range);
    },
  };
}
