/** Readers of what people read: the local run's printed lines, and the scenario table of docs/local-run.md. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './simulator';

/**
 * Progress lines printed out of the order they happened in: for each export (and the run), a task's line
 * must come after the line of the state that ran it, and the simulated time never goes back.
 */
export function outOfOrder(lines: string[]): string[] {
  const stateOf = (text: string) =>
    /^check \d+:/.test(text)
      ? /^> Get .* Status$/
      : /^(job started|adopted the job)/.test(text)
        ? /^> Start .* Export$/
        : /^event "ML Export Run/.test(text)
          ? /^> Emit Run Event$/
          : /^event "/.test(text)
            ? /^> Emit Export Event$/
            : /^run prepared/.test(text)
              ? /^> Prepare Run$/
              : undefined;
  const last = new Map<string, { text: string; seconds: number }>();
  const wrong: string[] = [];
  for (const line of lines) {
    const m = /^\[\+\s*(\d+)m (\d+)s\] (\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, min, sec, who, text] = m;
    const seconds = Number(min) * 60 + Number(sec);
    const before = last.get(who);
    const expected = stateOf(text);
    if (before && seconds < before.seconds) wrong.push(`${line} (time went back)`);
    if (expected && !(before && (expected.test(before.text) || before.text === text)))
      wrong.push(`${line} (after "${before?.text}")`);
    last.set(who, { text, seconds });
  }
  return wrong;
}

/** The scenario table of docs/local-run.md: scenario name and the execution status its outcome starts with. */
export function documentedOutcomes(): Record<string, string> {
  const lines = fs.readFileSync(path.join(ROOT, 'docs', 'local-run.md'), 'utf8').split('\n');
  const header = lines.findIndex((l) => /^\|\s*scenario\s*\|/.test(l));
  const end = lines.findIndex((l, i) => i > header && !l.startsWith('|'));
  const rows = lines.slice(header + 2, end);
  return Object.fromEntries(
    rows.map((row) => {
      const cells = row.split('|').map((c) => c.trim());
      return [
        cells[1].replace(/`/g, ''),
        /^(SUCCEEDED|FAILED|ABORTED|TIMED_OUT)\b/.exec(cells[3])?.[1] ?? cells[3],
      ];
    }),
  );
}
