/**
 * Scale: one run of 1,000 exports (600 Glue transforms, 400 Personalize exports over 8 datasets) with
 * mixed outcomes, synthesized and run like any other, with every export in its own child execution. The
 * Personalize exports write to the bucket the stack creates, with the role it creates, so the bundled
 * catalog's placeholders are filled from the functions' environment as in AWS.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalRunResult } from '../../local/run';
import { manyExportsConfig } from '../../local/scenarios';
import { ROOT, simulate, synthesize } from './simulator';

const WORK = path.join(ROOT, '.test-out', 'many');
const GLUE = 600;
const PERSONALIZE = 400;

let result: LocalRunResult;

beforeAll(async () => {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const config = manyExportsConfig({
    glue: GLUE,
    personalize: PERSONALIZE,
    maxConcurrency: GLUE + PERSONALIZE,
  });
  fs.writeFileSync(path.join(WORK, 'config.json'), JSON.stringify(config));
  synthesize(path.join(WORK, 'cdk.out'), path.join(WORK, 'config.json'));
  result = await simulate([
    '--assembly',
    path.join(WORK, 'cdk.out'),
    '--scenario',
    'mixed-outcomes',
    '--name',
    'many',
    '--start-time',
    '2026-11-22T03:00:00Z',
    '--out',
    path.join(WORK, 'sim'),
  ]);
}, 300_000);

it('gives every one of the 1,000 exports exactly one terminal event, then one run event', () => {
  const names = result.events.map((e) => e.event.detail.exportName).filter((n) => n !== undefined);
  expect(names).toHaveLength(GLUE + PERSONALIZE);
  expect(new Set(names).size).toBe(GLUE + PERSONALIZE);
  expect(result.events[result.events.length - 1].event['detail-type']).toBe('ML Export Run Completed');
  expect(result.exports.every((e) => e.events === 1)).toBe(true);
});

it('starts exactly one job per export', () => {
  expect(result.counts).toMatchObject({ glueTaskRunsStarted: GLUE, personalizeJobsCreated: PERSONALIZE });
});

it('places the Personalize exports in the created bucket, under the paths their events report', () => {
  const paths = result.exports.filter((e) => e.type === 'personalize').map((e) => e.outputS3Path);
  expect(paths).toHaveLength(PERSONALIZE);
  for (const p of paths) {
    expect(p).toMatch(/^s3:\/\/outputbucket[0-9a-z]+\/records\/\d+\/2026-11-22\/many\/$/);
  }
});

it('reports the mixed outcomes the services produced, in the run event and the execution status', () => {
  // Transforms 1, 6, 11, ... fail and 3, 8, 13, ... are stopped: 240 failures. Datasets 1, 4, 7 never
  // finish: their 150 exports time out at the 2-hour limit.
  const outcomes: Record<string, number> = {};
  for (const e of result.exports) outcomes[e.outcome!] = (outcomes[e.outcome!] ?? 0) + 1;
  expect(outcomes).toEqual({ SUCCEEDED: 610, FAILED: 240, TIMED_OUT: 150 });
  expect(result.events[result.events.length - 1].event.detail).toMatchObject({
    status: 'FAILED',
    exportCount: 1000,
    succeeded: 610,
    failed: 240,
    timedOut: 150,
  });
  expect(result.status).toBe('FAILED');
  expect(result.filesWritten.filter((f) => f.endsWith('.csv'))).toHaveLength(610);
  expect(result.simulatedSeconds).toBe(7200);
});

it('counts the outcomes from the result files the Map wrote to S3, no state coming near 256 KiB', () => {
  const results = result.filesWritten.filter((f) => f.includes('/map-runs/'));
  expect(results.map((f) => path.basename(f)).sort()).toEqual(['SUCCEEDED_0.json', 'manifest.json']);
  // The run event points at the full results, beyond the 100 names per outcome it lists.
  const manifest = results.find((f) => f.endsWith('manifest.json'))!;
  expect(result.events[result.events.length - 1].event.detail.resultsManifest).toBe(
    `s3://${manifest.replace(/^s3\//, '')}`,
  );
  expect(result.calls.filter((c) => c.operation === 'GetObject' && !c.error)).toHaveLength(2);
  // The run's list of exports is the largest state input, under 48 bytes an export: 5,000 exports (the
  // most test/lib configures) stay under the 256 KiB limit. npm run bench runs 2,000.
  expect(result.counts.largestStateInputBytes / (GLUE + PERSONALIZE)).toBeLessThan(48);
});

it("keeps every execution history small: the run's own does not grow with the number of exports", () => {
  expect(result.counts.runHistoryEvents).toBeLessThan(40);
  expect(result.counts.largestExportHistoryEvents).toBeLessThan(400);
});
