import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_DETAILS, detailJsonSchema, exportEventDetailSchema } from '../../contract/events';

/** Key order and the spelling of a pattern aside, two JSON Schemas say the same. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(normalize).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [
        k,
        k === 'pattern' ? new RegExp(v as string).source.replace(/\\\//g, '/') : normalize(v),
      ]),
  );
}

describe('the event contract', () => {
  it('generates the same JSON Schemas as the hand-written ones it replaced', () => {
    const before = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'event-detail-schemas.before.json'), 'utf8'),
    ) as Record<string, unknown>;
    const generated = Object.fromEntries(
      Object.entries(EVENT_DETAILS).map(([type, schema]) => [type, detailJsonSchema(schema)]),
    );
    expect(normalize(generated)).toEqual(normalize(before));
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
