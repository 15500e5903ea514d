/**
 * Reads the Markdown fleet summary back (lib/cli/fleet.ts) as a reader would: the title, then each table as rows keyed
 * by its header cells. Written independently of the formatter, so a test sees what GitHub would render.
 */
export interface ParsedSummary {
  readonly title: string;
  /** The line under the title with the overall counts. */
  readonly counts: string;
  readonly waves: Record<string, string>[];
  readonly accounts: Record<string, string>[];
  readonly failures: Record<string, string>[];
  readonly rows: Record<string, string>[];
  /** Section headings in order. */
  readonly headings: string[];
}

const splitRow = (line: string): string[] =>
  line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));

export function parseSummary(markdown: string): ParsedSummary {
  const lines = markdown.split('\n');
  const title = (lines.find((l) => l.startsWith('# ')) ?? '').slice(2);
  const counts = lines.find((l) => /^\d+ target\(s\)/.test(l)) ?? '';
  const tables = new Map<string, Record<string, string>[]>();
  const headings: string[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) {
      section = line.slice(3).replace(/ \(\d+\)$/, '');
      headings.push(line.slice(3));
      continue;
    }
    if (line.startsWith('|') && lines[i + 1]?.startsWith('| ---')) {
      const header = splitRow(line);
      const rows: Record<string, string>[] = [];
      let j = i + 2;
      for (; j < lines.length && lines[j]!.startsWith('|'); j++) {
        const cells = splitRow(lines[j]!);
        rows.push(Object.fromEntries(header.map((h, k) => [h, cells[k] ?? ''])));
      }
      tables.set(section, rows);
      i = j - 1;
    }
  }
  return {
    title,
    counts,
    headings,
    waves: tables.get('Waves') ?? [],
    accounts: tables.get('Accounts') ?? [],
    failures: tables.get('Failures') ?? [],
    rows: tables.get('All targets') ?? [],
  };
}
