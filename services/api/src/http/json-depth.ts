/**
 * Deepest nesting of arrays and objects a request body may have. The contract's bodies are at
 * most two levels deep; a body nested thousands deep would overflow the stack of anything that
 * walks it recursively (a 500, issue 13, item 2), so it is refused where it is parsed.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests arrays or objects deeper than `max` levels; walked without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

export function tooDeepReason(): string {
  return `Nested deeper than ${MAX_JSON_DEPTH} levels.`;
}
