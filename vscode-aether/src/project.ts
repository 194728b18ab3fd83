// Which Aether project a file belongs to: the folder holding its conf/ (every path the CLI
// prints is relative to that folder).
import * as path from "node:path";

/** The project root of a file under `<root>/conf/...`, else undefined. */
export function projectRootOf(file: string): string | undefined {
  const parts = file.split(/[\\/]/);
  const conf = parts.lastIndexOf("conf");
  if (conf <= 0 || conf === parts.length - 1) return undefined;
  return parts.slice(0, conf).join(path.sep) || path.sep;
}

/** "pipeline" or "catalog" for the YAML files the language features serve. */
export function fileKindOf(file: string): "pipeline" | "catalog" | undefined {
  const base = path.basename(file);
  if (!projectRootOf(file)) return undefined;
  if (base === "pipeline.yml") return "pipeline";
  if (base === "catalog.yml") return "catalog";
  return undefined;
}

/** Saving one of these can change the DAG or its statuses. */
export function affectsDag(file: string): boolean {
  return /[\\/](conf|src)[\\/]/.test(file);
}

/** Saving or opening one of these is worth an `aether validate`. */
export function isConfYaml(file: string): boolean {
  return projectRootOf(file) !== undefined && /\.ya?ml$/.test(file);
}
