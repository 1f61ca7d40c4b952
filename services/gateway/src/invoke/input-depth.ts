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
  const stack: { node: object; path: string[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (path.length >= maxDepth) return path;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value !== null && typeof value === 'object') stack.push({ node: value, path: [...path, key] });
    }
  }
  return null;
}
