/** What the local run prints for a person: a plain run of the example assembly (example-run.ts). */
import * as path from 'node:path';
import { ASSEMBLY, BUILD_TIMEOUT_MS, exampleAssembly, START, WORK } from './example-run';
import { outOfOrder } from './printed';
import { simulateText } from './simulator';

beforeAll(async () => {
  await exampleAssembly();
}, BUILD_TIMEOUT_MS);

describe('what the local run prints for a person', () => {
  it('shows each state entered, each check with its next wait, every event, and a summary', async () => {
    const out = path.join(WORK, 'sim-text');
    const text = await simulateText([
      '--assembly',
      ASSEMBLY,
      '--out',
      out,
      '--name',
      'e2e-text',
      '--start-time',
      START,
    ]);
    const lines = text.split('\n');
    expect(lines).toContain('[+ 0m 00s] customer-matches   > Wait For Glue Export');
    expect(lines).toContain('[+ 0m 30s] customer-matches   check 1: RUNNING, next check in 60 s');
    expect(lines).toContain('[+13m 30s] customer-matches   event "ML Export Succeeded" (SUCCEEDED)');
    expect(lines).toContain('--- ML Export Run Completed (bus: default)');
    expect(lines).toContain('Execution e2e-text: SUCCEEDED');
    expect(lines).toContain('Terminal events: 2 export(s), each with exactly one');
    expect(
      lines.some((l) => /^interactions\s+personalize\s+SUCCEEDED\s+7\s+25m 00s\s+1\s+s3:\/\//.test(l)),
    ).toBe(true);
    expect(outOfOrder(lines)).toEqual([]);
  });
});
