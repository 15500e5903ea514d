/** A CDK context value given once, repeated, or as a comma list (`-c region=a,b`), as a list of names. */
export function contextList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}
