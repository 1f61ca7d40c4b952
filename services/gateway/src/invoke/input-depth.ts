/**
 * How deep `input` may nest (the object itself is level 1). Template variables are shallow; a
 * value nested thousands of levels deep cannot even be serialized into the interaction event
 * (JSON.stringify overflows the stack), so it is refused up front with its path.
 */
export const MAX_INPUT_DEPTH = 64;

/**
 * The path (keys from the root) to the first object or array nested deeper than `maxDepth`, or
 * null when none is. Walks without recursion, so any depth is safe to check.
 */
export function tooDeepPath(root: unknown, maxDepth: number): string[] | null {
  if (root === null || typeof root !== 'object') return null;
  // each entry links to its parent: the path is built only for the one that is too deep
  interface Entry {
    node: object;
    depth: number;
    key: string;
    parent: Entry | null;
  }
  const stack: Entry[] = [{ node: root, depth: 0, key: '', parent: null }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.depth >= maxDepth) return pathOf(entry);
    const record = entry.node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value !== null && typeof value === 'object')
        stack.push({ node: value, depth: entry.depth + 1, key, parent: entry });
    }
  }
  return null;
}

function pathOf(entry: { key: string; parent: { key: string; parent: unknown } | null }): string[] {
  const path: string[] = [];
  for (let e: typeof entry | null = entry; e?.parent; e = e.parent as typeof entry | null) path.push(e.key);
  return path.reverse();
}
