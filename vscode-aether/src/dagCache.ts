// One DAG per project, read from the CLI once and kept until a save under conf/ or src/ makes
// it stale. Concurrent callers share the one `aether viz` in flight.
import { DagIndex, type Dag } from "./dag";

export type ReadDag = (root: string) => Promise<Dag>;

export class DagCache {
  private readonly entries = new Map<string, Promise<DagIndex>>();
  private readonly failures = new Set<string>();

  /** `onError` hears a failure once per project until a read succeeds again. */
  constructor(private readonly read: ReadDag, private readonly onError: (message: string) => void) {}

  /** The project's DAG; rejects with the CLI's message (a failed read is not cached). */
  load(root: string): Promise<DagIndex> {
    let entry = this.entries.get(root);
    if (!entry) {
      const reading = this.read(root).then((dag) => new DagIndex(dag));
      reading.catch(() => {
        if (this.entries.get(root) === reading) this.entries.delete(root);
      });
      this.entries.set(root, reading);
      entry = reading;
    }
    return entry;
  }

  /** The project's DAG, or undefined when the CLI could not give it (reported once). */
  async get(root: string): Promise<DagIndex | undefined> {
    try {
      const index = await this.load(root);
      this.failures.delete(root);
      return index;
    } catch (error) {
      if (!this.failures.has(root)) {
        this.failures.add(root);
        this.onError((error as Error).message);
      }
      return undefined;
    }
  }

  /** Forget every project's DAG (a save may change any of them); the next get re-reads. */
  invalidate(): void {
    this.entries.clear();
  }
}
