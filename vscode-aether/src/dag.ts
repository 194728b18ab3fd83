// The DAG as `aether viz --format json` prints it (schema aether.dag/v1), and an index of it
// by the names a pipeline.yml or catalog.yml uses. All meaning comes from here, none from YAML.

export interface CheckResult {
  name: string;
  severity?: string | null;
  passed?: boolean | null;
  message?: string | null;
  checked_at?: string | null;
}

export interface DagNode {
  id: string;
  kind: string;
  name: string;
  status?: string | null;
  reason?: string | null;
  location?: string | null;
  type?: string | null;
  filepath?: string | null;
  owner?: string | null;
  description?: string | null;
  checks?: unknown[] | null;
  tags?: string[] | null;
  transformation?: string | null;
  location_in_pipeline?: string | null;
  check_results?: CheckResult[] | null;
}

export interface Dag {
  schema: string;
  pipeline?: string | null;
  nodes: DagNode[];
  edges: { source: string; target: string }[];
}

/** A task's dotted transformation path: the contract's field, else its `type` (older CLIs). */
export function transformationOf(node: DagNode): string | undefined {
  return node.transformation || node.type || undefined;
}

export class DagIndex {
  readonly datasets = new Map<string, DagNode>();
  readonly tasks = new Map<string, DagNode>();
  readonly params = new Map<string, DagNode>();
  /** Dotted path -> the tasks that run it (one transformation may serve several nodes). */
  readonly transformations = new Map<string, DagNode[]>();

  constructor(readonly dag: Dag) {
    for (const node of dag.nodes) {
      const [prefix, ...rest] = node.id.split(":");
      const key = rest.join(":");
      if (prefix === "dataset") this.datasets.set(key, node);
      else if (prefix === "param") this.params.set(key, node);
      else if (prefix === "task") {
        this.tasks.set(key, node);
        const dotted = transformationOf(node);
        if (dotted) this.transformations.set(dotted, [...(this.transformations.get(dotted) ?? []), node]);
      }
    }
  }
}
