// Code locations as the CLI prints them ("path" or "path:line", relative to the project root),
// and the guard that keeps every file the extension opens on a location inside that root:
// a location can arrive from a webview message, which is not trusted.
import * as fs from "node:fs";
import * as path from "node:path";

export interface ResolvedLocation {
  /** The absolute file path, inside the project root. */
  file: string;
  /** 1-based line, when the location names one. */
  line: number | undefined;
}

/** Splits "path:line" (or "path") into its parts; undefined for anything else. */
export function parseLocation(location: unknown): { path: string; line: number | undefined } | undefined {
  if (typeof location !== "string" || location === "" || location.includes("\0")) return undefined;
  const match = /^(.*?)(?::(\d+))?$/.exec(location);
  if (!match || !match[1]) return undefined;
  const line = match[2] === undefined ? undefined : Number(match[2]);
  if (line !== undefined && (line < 1 || !Number.isSafeInteger(line))) return undefined;
  // "file:-1", "file:NaN", "file:1.5": a line that is not one, not a file named so.
  if (line === undefined && /:[-+]?(?:\d[\d.eE+-]*|NaN|Infinity)$/.test(location)) return undefined;
  return { path: match[1], line };
}

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

/**
 * The file a location names, or undefined when it would leave the project root: an absolute
 * path, a drive letter, a `..` segment, or a symbolic link that points outside.
 */
export function resolveInside(root: string, location: unknown): ResolvedLocation | undefined {
  const parsed = parseLocation(location);
  if (!parsed) return undefined;
  const segments = parsed.path.split(/[\\/]/);
  if (path.isAbsolute(parsed.path) || /^[A-Za-z]:/.test(parsed.path) || segments.includes("..")) return undefined;
  const file = path.resolve(root, parsed.path);
  if (!inside(path.resolve(root), file)) return undefined;
  if (fs.existsSync(file) && !inside(fs.realpathSync(root), fs.realpathSync(file))) return undefined;
  return { file, line: parsed.line };
}
