/** A step graph: each step id → the ids it needs. */
export type NeedsGraph = ReadonlyMap<string, readonly string[]>;

/**
 * Every cycle in the graph (edges to unknown ids are ignored), each as the ids along it
 * with the first repeated at the end: `['a', 'b', 'a']`. A cycle is reported once.
 */
export function findCycles(graph: NeedsGraph): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of graph.get(id) ?? []) {
      if (!graph.has(dep)) continue;
      const s = state.get(dep);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const key = [...cycle.slice(0, -1)].sort().join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of graph.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

/** Every step `id` depends on, directly or through others (the graph must be acyclic). */
export function ancestors(graph: NeedsGraph, id: string): Set<string> {
  const out = new Set<string>();
  const walk = (n: string) => {
    for (const d of graph.get(n) ?? []) {
      if (!out.has(d)) {
        out.add(d);
        walk(d);
      }
    }
  };
  walk(id);
  return out;
}
