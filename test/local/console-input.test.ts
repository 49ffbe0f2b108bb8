/**
 * What an operator pastes as execution input in the console, run on the example assembly
 * (example-run.ts): input that is not an object, exports outside what the deployment allows, named
 * exports, explicit exports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILD_TIMEOUT_MS, exampleAssembly, exportEvents, outcomeOf, simulate, WORK } from './example-run';

beforeAll(async () => {
  await exampleAssembly();
}, BUILD_TIMEOUT_MS);

describe('console input', () => {
  it.each([['42'], ['[]'], ['"x"'], ['null']])(
    'rejects input that is not a JSON object (%s) with one Run Rejected event and no job',
    async (text) => {
      const file = path.join(WORK, `not-object-${text.replace(/\W/g, '')}.json`);
      fs.writeFileSync(file, text);
      const r = await simulate(`not-object-${text.replace(/\W/g, '')}`, ['--input', file], 'happy');
      expect(r.status).toBe('FAILED');
      expect(r.error?.error).toBe('InvalidExecutionInput');
      expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
      expect(r.events[0].event.detail.error).toEqual({
        type: 'InvalidExecutionInput',
        message: `input: got ${text}; expected a JSON object such as {} or {"exportNames": ["..."]}`,
      });
      expect(r.calls).toEqual([]);
    },
  );

  it('refuses an explicit export to a bucket or key outside what the deployment allows, before any job', async () => {
    const file = path.join(WORK, 'elsewhere.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        exports: [
          {
            type: 'glue',
            name: 'exfiltrate',
            transformId: 'tfm-0123456789abcdef0123456789abcdef',
            outputS3Prefix: 's3://someone-elses-bucket/labels/',
          },
        ],
      }),
    );
    const r = await simulate('elsewhere', ['--input', file], 'happy');
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
    expect(
      String(
        r.events[0].event.detail.error && (r.events[0].event.detail.error as { message: string }).message,
      ),
    ).toContain(
      'input.exports[0].outputS3Prefix: got "s3://someone-elses-bucket/labels/"; expected a location under one of the output prefixes this deployment allows',
    );
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 0, personalizeJobsCreated: 0 });
  });

  it('runs only the named exports from {"exportNames": [...]}', async () => {
    const file = path.join(WORK, 'names.json');
    fs.writeFileSync(file, JSON.stringify({ exportNames: ['interactions'] }));
    const r = await simulate('names', ['--input', file], 'happy');
    expect(r.status).toBe('SUCCEEDED');
    expect(exportEvents(r).map((e) => e.event.detail.exportName)).toEqual(['interactions']);
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 0, personalizeJobsCreated: 1 });
  });

  it('runs explicit exports with their own prefix and ingestion mode', async () => {
    const file = path.join(WORK, 'explicit.json');
    const input = {
      exports: [
        {
          type: 'personalize',
          name: 'backfill',
          datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
          roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExportRole',
          outputS3Prefix: 's3://example-ml-exports/backfills',
          ingestionMode: 'ALL',
        },
      ],
    };
    fs.writeFileSync(file, JSON.stringify(input));
    const r = await simulate('explicit', ['--input', file, '--personalize-job-seconds', '60'], 'happy');
    expect(outcomeOf(r, 'backfill')?.detail).toMatchObject({
      outcome: 'SUCCEEDED',
      ingestionMode: 'ALL',
      outputS3Path: 's3://example-ml-exports/backfills/2026-11-22/e2e-explicit/',
      // 60 s job: checks at 30 and 90 s.
      pollCount: 2,
    });
  });
});
