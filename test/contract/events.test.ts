import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  EVENT_DETAILS,
  RUN_EVENT_DETAILS,
  detailJsonSchema,
  exportEventDetailSchema,
} from '../../contract/events';

/**
 * Key order, the spelling of a pattern and the descriptions (added since, for the docs and the registry)
 * aside, two JSON Schemas say the same.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(normalize).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'description')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [
        k,
        k === 'pattern' ? new RegExp(v as string).source.replace(/\\\//g, '/') : normalize(v),
      ]),
  );
}

describe('the event contract', () => {
  it('generates the same JSON Schemas as the hand-written ones it replaced, for the detail-types they covered', () => {
    const before = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'event-detail-schemas.before.json'), 'utf8'),
    ) as Record<string, unknown>;
    const generated = Object.fromEntries(
      Object.keys(before).map((type) => [
        type,
        detailJsonSchema(EVENT_DETAILS[type as keyof typeof EVENT_DETAILS]),
      ]),
    );
    expect(normalize(generated)).toEqual(normalize(before));
    // Added since: the clean-up's events for a run that ended without its own run event.
    expect(
      Object.keys(EVENT_DETAILS)
        .filter((type) => !(type in before))
        .sort(),
    ).toEqual(['ML Export Run Stopped', 'ML Export Stopped']);
  });

  it('requires a stopped export to say what became of its job, and a stopped run why it ended', () => {
    const stopped = {
      exportName: 'labels',
      exportType: 'glue',
      outcome: 'STOPPED',
      outputS3Path: 's3://bucket/labels/2026-01-01/run/',
      transformId: 'tfm-1',
      taskRunId: 'tfmtaskrun-1',
      pollCount: 2,
      adoptedExistingJob: false,
      jobCancelled: true,
      jobState: 'CANCELLED',
      error: { type: 'RunStopped', message: 'the run was stopped' },
      executionName: 'run',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run',
    };
    expect(exportEventDetailSchema.safeParse(stopped).success).toBe(true);
    expect(exportEventDetailSchema.safeParse({ ...stopped, jobState: undefined }).success).toBe(false);
    expect(exportEventDetailSchema.safeParse({ ...stopped, jobState: 'GONE' }).success).toBe(false);
    const run = RUN_EVENT_DETAILS.stopped;
    const detail = {
      executionName: 'run',
      executionArn: stopped.executionArn,
      status: 'ABORTED',
      startedAt: '2026-01-01T03:00:00.000Z',
      completedAt: '2026-01-01T03:10:00.000Z',
      durationSeconds: 600,
      exportCount: 2,
      succeeded: 1,
      failed: 0,
      timedOut: 0,
      stopped: 1,
      failedExports: [],
      timedOutExports: [],
      stoppedExports: ['labels'],
      error: { type: 'ExecutionAborted', message: 'stopped' },
    };
    expect(run.safeParse(detail).success).toBe(true);
    expect(run.safeParse({ ...detail, status: 'SUCCEEDED' }).success).toBe(false);
    expect(run.safeParse({ ...detail, error: undefined }).success).toBe(false);
  });

  it('parses a detail by its outcome and refuses unknown fields and missing required ones', () => {
    const succeeded = {
      exportName: 'labels',
      exportType: 'glue',
      outcome: 'SUCCEEDED',
      outputS3Path: 's3://bucket/labels/2026-01-01/run/',
      pollCount: 3,
      adoptedExistingJob: false,
      executionName: 'run',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run',
    };
    expect(exportEventDetailSchema.safeParse(succeeded).success).toBe(true);
    expect(exportEventDetailSchema.safeParse({ ...succeeded, extra: 1 }).success).toBe(false);
    expect(exportEventDetailSchema.safeParse({ ...succeeded, outcome: 'FAILED' }).success).toBe(false);
    expect(
      exportEventDetailSchema.safeParse({
        ...succeeded,
        outcome: 'FAILED',
        error: { type: 'X', message: 'm' },
      }).success,
    ).toBe(true);
  });
});
