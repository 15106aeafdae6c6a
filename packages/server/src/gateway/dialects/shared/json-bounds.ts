/**
 * Whether a parsed JSON value nests deeper than `maxDepth` (a scalar is depth 0, `{}` and `[]` depth 1). Walks
 * without recursion, so a value nested tens of thousands deep is measured without exhausting the stack.
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
