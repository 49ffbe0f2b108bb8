/**
 * Service quotas: a run with more Glue and Personalize exports than the account's quotas allow at once
 * (1 of each here) waits for capacity instead of failing, and still starts exactly one job per export.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalRunResult } from '../../local/run';
import { ROOT, simulate, synthesize } from './simulator';

const WORK = path.join(ROOT, '.test-out', 'quotas');
const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'config', 'example.json'), 'utf8')) as {
  glueExports: Record<string, string>[];
  personalizeExports: Record<string, string>[];
};

let result: LocalRunResult;

beforeAll(async () => {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const [glue] = example.glueExports;
  const [personalize] = example.personalizeExports;
  const config = {
    ...example,
    // The account allows one of each at a time; the deployment is told so.
    maxConcurrentGlueExports: 1,
    maxConcurrentPersonalizeExports: 1,
    glueExports: [0, 1, 2].map((i) => ({
      ...glue,
      name: `labels-${i}`,
      transformId: `tfm-quota-${i}`,
      outputS3Prefix: `s3://example-ml-exports/glue-labels/labels-${i}/`,
    })),
    personalizeExports: [0, 1, 2].map((i) => ({
      ...personalize,
      name: `records-${i}`,
      datasetArn: personalize.datasetArn.replace('INTERACTIONS', ['INTERACTIONS', 'ITEMS', 'USERS'][i]),
      outputS3Prefix: `s3://example-ml-exports/personalize/records-${i}/`,
    })),
  };
  fs.writeFileSync(path.join(WORK, 'config.json'), JSON.stringify(config));
  synthesize(path.join(WORK, 'cdk.out'), path.join(WORK, 'config.json'));
  result = await simulate([
    '--assembly',
    path.join(WORK, 'cdk.out'),
    '--scenario',
    'over-quota',
    '--name',
    'quotas',
    '--start-time',
    '2026-11-22T03:00:00Z',
    '--out',
    path.join(WORK, 'sim'),
  ]);
}, 300_000);

it('succeeds with 3 Glue and 3 Personalize exports against a quota of 1 each: one job and one event per export', () => {
  expect(result.status).toBe('SUCCEEDED');
  expect(result.counts).toMatchObject({ glueTaskRunsStarted: 3, personalizeJobsCreated: 3 });
  const outcomes = result.exports.map((e) => [e.name, e.outcome, e.events]).sort();
  expect(outcomes).toEqual(
    ['labels-0', 'labels-1', 'labels-2', 'records-0', 'records-1', 'records-2']
      .map((n) => [n, 'SUCCEEDED', 1])
      .sort(),
  );
});

it('paces the starts: at most one export of each service in flight at a time, and the only refusals are for capacity', () => {
  // maxConcurrency is capped at the sum of the quotas (2) and the list interleaves the services in their
  // ratio; an export pulled in while its service's slot is still taken waits for it (backoff, not failure).
  const refusals = result.calls.filter(
    (c) => ['StartExportLabelsTaskRun', 'CreateDatasetExportJob'].includes(c.operation) && c.error,
  );
  for (const c of refusals)
    expect(['ConcurrentRunsExceededException', 'LimitExceededException']).toContain(c.error);
  const started = result.calls.filter(
    (c) => ['StartExportLabelsTaskRun', 'CreateDatasetExportJob'].includes(c.operation) && !c.error,
  );
  expect(started).toHaveLength(6);
  // A handful of refused calls, not a start hammered every few seconds: one start attempt per backoff step
  // (30 s, 60 s, 120 s, ...), each at most 3 calls (the SDK's own attempts on LimitExceededException).
  expect(refusals.length).toBeGreaterThan(0);
  expect(refusals.length).toBeLessThan(20);
  const waited = result.events
    .map((e) => e.event.detail)
    .filter((d) => typeof d.waitedForCapacitySeconds === 'number');
  expect(waited.length).toBeGreaterThan(0);
  for (const d of waited) expect(d.outcome).toBe('SUCCEEDED');
});
