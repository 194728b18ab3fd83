// What the cursor is on in a pipeline.yml or catalog.yml buffer: only positions, read from the
// lines around the cursor (indentation and the key of each line). What a name means is the
// CLI's business (dag.ts); this never parses the YAML into values.

export type Role = "dataset" | "transformation" | "param" | "task";

export interface Token {
  role: Role;
  /** The name as the DAG knows it: a dataset or task name, a dotted path, a parameter key. */
  name: string;
  /** The token's columns on its line (end exclusive), "params:" included. */
  start: number;
  end: number;
}

export type FileKind = "pipeline" | "catalog";

const WORD = /[A-Za-z0-9_.\-:/]/;
const KEY_LINE = /^(\s*)(-\s+)?([A-Za-z0-9_.\-]+|"[^"]*"|'[^']*'):(?=\s|$)/;
const DATASET_KEYS = new Set(["inputs", "outputs"]);

interface LineShape {
  indent: number;
  dash: boolean;
  key: string | undefined;
  /** Column just after "key:", where the key's value starts. */
  valueStart: number;
  bare: boolean;
}

function shape(text: string): LineShape | undefined {
  if (/^\s*(#|$)/.test(text)) return undefined;
  const match = KEY_LINE.exec(text);
  if (match) {
    const key = match[3]!.replace(/^["']|["']$/g, "");
    const rest = text.slice(match[0].length).replace(/\s+#.*$/, "");
    return { indent: match[1]!.length, dash: Boolean(match[2]), key, valueStart: match[0].length, bare: rest.trim() === "" };
  }
  const dash = /^(\s*)-(\s|$)/.exec(text);
  const indent = /^\s*/.exec(text)![0].length;
  return { indent, dash: Boolean(dash), key: undefined, valueStart: dash ? dash[0].length : indent, bare: false };
}

/** The key whose (block) value holds the line `index`: the nearest line above that opens it. */
function parentKey(lines: string[], index: number, own: LineShape): string | undefined {
  // A "- item" line may sit at its key's own indentation; its key's line then ends in ":".
  const indent = own.indent;
  for (let i = index - 1; i >= 0; i--) {
    const above = shape(lines[i]!);
    if (!above) continue;
    if (above.indent < indent) return above.dash && !above.key ? undefined : above.key;
    if (above.indent === indent && own.dash && !above.dash && above.bare) return above.key;
  }
  return undefined;
}

/** The token-like word around `character` (a value: a name, a dotted path, "params:a.b"). */
export function wordAt(text: string, character: number): { text: string; start: number; end: number } | undefined {
  let start = character;
  let end = character;
  while (start > 0 && WORD.test(text[start - 1]!)) start--;
  while (end < text.length && WORD.test(text[end]!)) end++;
  // "orders:" in "{orders: raw}" is a key, and a trailing ":" is never part of a value.
  while (end > start && text[end - 1] === ":") end--;
  if (character > end) return undefined;
  return end > start ? { text: text.slice(start, end), start, end } : undefined;
}

function isKeyAt(text: string, end: number): boolean {
  return text[end] === ":" && (end + 1 >= text.length || /\s/.test(text[end + 1]!));
}

/** The role of a value written under `key` (with `parent` the key above its line). */
function valueRole(key: string | undefined, parent: string | undefined, kind: FileKind): Role | undefined {
  if (kind !== "pipeline") return undefined;
  if (key === "transformation") return "transformation";
  if (key === "name" && parent !== "inputs" && parent !== "outputs") return "task";
  if ((key && DATASET_KEYS.has(key)) || (parent && DATASET_KEYS.has(parent))) return "dataset";
  return undefined;
}

/** The name under the cursor and what it names, or undefined when it names nothing known. */
export function tokenAt(lines: string[], line: number, character: number, kind: FileKind): Token | undefined {
  const text = lines[line] ?? "";
  const own = shape(text);
  const word = wordAt(text, character);
  if (!own || !word) return undefined;
  if (word.text.startsWith("params:")) return { role: "param", name: word.text.slice("params:".length), ...span(word) };
  const onOwnKey = own.key !== undefined && word.end <= own.valueStart;
  if (onOwnKey) {
    // A top-level key of catalog.yml is a dataset's name.
    return kind === "catalog" && own.indent === 0 && !own.dash ? { role: "dataset", name: word.text, ...span(word) } : undefined;
  }
  if (isKeyAt(text, word.end)) return undefined; // a key inside a {flow: mapping}
  const role = valueRole(own.key, parentKey(lines, line, own), kind);
  return role ? { role, name: word.text, ...span(word) } : undefined;
}

function span(word: { start: number; end: number }): { start: number; end: number } {
  return { start: word.start, end: word.end };
}

export interface CompletionSpot {
  /** What may be written here: datasets (and params), a transformation, or params only. */
  roles: Role[];
  /** The partial token before the cursor and where it starts. */
  prefix: string;
  start: number;
  end: number;
}

/** Where the cursor may receive a dataset name, a transformation path or a "params:" key. */
export function completionAt(lines: string[], line: number, character: number, kind: FileKind): CompletionSpot | undefined {
  if (kind !== "pipeline") return undefined;
  const text = lines[line] ?? "";
  const own = shape(text);
  // A bare word on its own line is a key being typed (or a multi-line flow, not handled).
  if (!own || (own.key === undefined && !own.dash)) return undefined;
  let start = character;
  while (start > 0 && WORD.test(text[start - 1]!)) start--;
  let end = character;
  while (end < text.length && WORD.test(text[end]!) && text[end] !== ":") end++;
  const prefix = text.slice(start, character);
  if (own.key !== undefined && start < own.valueStart) return undefined; // typing a key
  if (prefix.startsWith("params:")) return { roles: ["param"], prefix, start, end };
  const role = valueRole(own.key, parentKey(lines, line, own), kind);
  if (role === "dataset") {
    // In a {flow: mapping} only values are datasets: right after "{" or "," comes a key.
    const before = text.slice(own.valueStart, start);
    if (/\{[^}]*$/.test(before) && /[{,]\s*$/.test(before)) return undefined;
    return { roles: ["dataset", "param"], prefix, start, end };
  }
  if (role === "transformation") return { roles: ["transformation"], prefix, start, end };
  return undefined;
}
