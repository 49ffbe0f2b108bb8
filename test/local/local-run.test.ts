/**
 * End-to-end: the synthesized cloud assembly (state machine definition and bundled Lambda code, built by
 * the CDK CLI exactly as `cdk deploy` would, here through the local run's own `--config`) run by the local
 * simulator, for every named scenario; and the CLI as a user meets it (cli-cases.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { EVENT_DETAIL_SCHEMAS, eventSchemaDocument, schemaTypeName } from '../../lib/event-schemas';
import { transitionsPerExport } from '../../local/bench-schedule';
import { SCENARIO_NAMES } from '../../local/scenarios';
import { cliCases } from './cli-cases';
import { documentedOutcomes, outOfOrder } from './printed';
import {
  cli,
  ROOT,
  simulate as runSimulator,
  simulateText,
  type CliRun,
  type SimulationResult,
} from './simulator';

const WORK = path.join(ROOT, '.test-out');
const CLI_WORK = path.join(WORK, 'cli');
/** Where `--config config/example.json --out <CLI_WORK>` synthesizes the example. */
const ASSEMBLY = path.join(CLI_WORK, 'cdk.out-example');
const START = '2026-11-22T03:00:00.000Z';

type RunResult = SimulationResult;

function simulate(name: string, extra: string[] = [], scenario = name): Promise<RunResult> {
  const out = path.join(WORK, `sim-${name}`);
  fs.rmSync(out, { recursive: true, force: true });
  return runSimulator([
    '--assembly',
    ASSEMBLY,
    '--out',
    out,
    '--name',
    `e2e-${name}`,
    '--start-time',
    START,
    '--scenario',
    scenario,
    ...extra,
  ]);
}

const results = new Map<string, RunResult>();
let configRun: CliRun;
const EXPORTS = ['customer-matches', 'interactions'];

beforeAll(async () => {
  // Only this file's own folders: the other local-run test files write beside them.
  fs.rmSync(CLI_WORK, { recursive: true, force: true });
  fs.mkdirSync(CLI_WORK, { recursive: true });
  configRun = await cli([
    '--config',
    'config/example.json',
    '--out',
    CLI_WORK,
    '--json',
    '--name',
    'from-config',
  ]);
  if (configRun.code !== 0)
    throw new Error(`simulate --config failed (${configRun.code}): ${configRun.stderr}`);
  // Two at a time: the machine has two cores.
  const queue = [...SCENARIO_NAMES];
  await Promise.all(
    [0, 1].map(async () => {
      for (let name = queue.shift(); name; name = queue.shift()) results.set(name, await simulate(name));
    }),
  );
}, 300_000);

const run = (name: string) => {
  const result = results.get(name);
  if (!result) throw new Error(`scenario ${name} did not run`);
  return result;
};
const exportEvents = (r: RunResult) => r.events.filter((e) => e.event.detail.exportName !== undefined);
const runEvents = (r: RunResult) => r.events.filter((e) => e.event.detail.exportName === undefined);
const outcomeOf = (r: RunResult, name: string) =>
  exportEvents(r).find((e) => e.event.detail.exportName === name)?.event;

/** Scenarios whose run goes through its exports to the end. */
const COMPLETING = SCENARIO_NAMES.filter(
  (n) => !['bad-input', 'overlapping-run', 'eventbridge-long-outage'].includes(n),
);

describe.each(COMPLETING)('scenario %s', (name) => {
  it('ends every export in exactly one terminal event, then one run event, and starts at most one job per export', () => {
    const r = run(name);
    const perExport = EXPORTS.map(
      (e) => exportEvents(r).filter((ev) => ev.event.detail.exportName === e).length,
    );
    expect(perExport).toEqual([1, 1]);
    expect(runEvents(r).map((e) => e.event['detail-type'])).toEqual(['ML Export Run Completed']);
    expect(r.events[r.events.length - 1].event['detail-type']).toBe('ML Export Run Completed');
    expect(r.counts.glueTaskRunsStarted).toBeLessThanOrEqual(1);
    expect(r.counts.personalizeJobsCreated).toBeLessThanOrEqual(1);
    for (const e of r.events)
      expect(e.event).toMatchObject({ source: 'ml-exports', version: '0', region: 'us-east-1' });
  });

  it('succeeds exactly when every export succeeded, says so in the run event and in its exit status', () => {
    const r = run(name);
    const allSucceeded = exportEvents(r).every((e) => e.event.detail.outcome === 'SUCCEEDED');
    expect(r.status).toBe(allSucceeded ? 'SUCCEEDED' : 'FAILED');
    expect(r.exitCode).toBe(allSucceeded ? 0 : 1);
    expect(runEvents(r)[0].event.detail).toMatchObject({
      status: allSucceeded ? 'SUCCEEDED' : 'FAILED',
      exportCount: 2,
    });
  });

  it('writes the files of each succeeded export under its run path, and none for the others', () => {
    const r = run(name);
    for (const e of exportEvents(r)) {
      const prefix = String(e.event.detail.outputS3Path).replace(/^s3:\/\//, 's3/');
      const files = r.filesWritten.filter((f) => f.startsWith(prefix));
      expect({ export: e.event.detail.exportName, files: files.length }).toEqual({
        export: e.event.detail.exportName,
        files: e.event.detail.outcome === 'SUCCEEDED' ? 1 : 0,
      });
    }
  });
});

describe('what a user sees', () => {
  it('happy (no history): both exports succeed after several checks with growing waits, and land in dated, per-run folders', () => {
    const r = run('happy');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1, retries: 0 });
    const glue = outcomeOf(r, 'customer-matches')!;
    expect(glue['detail-type']).toBe('ML Export Succeeded');
    expect(glue.detail).toMatchObject({
      exportType: 'glue',
      outcome: 'SUCCEEDED',
      transformId: 'tfm-0123456789abcdef0123456789abcdef',
      taskRunId: expect.stringMatching(/^tfmtaskrun-/),
      outputS3Path: 's3://example-ml-exports/glue-labels/customer-matches/2026-11-22/e2e-happy/',
      serviceStatus: 'SUCCEEDED',
      // Job of 600 s, checks at 30, 90, 210, 450 and 810 s.
      pollCount: 5,
      durationSeconds: 600,
      adoptedExistingJob: false,
      executionName: 'e2e-happy',
      executionArn: expect.stringMatching(/:execution:.*:e2e-happy$/),
    });
    expect(outcomeOf(r, 'interactions')!.detail).toMatchObject({
      exportType: 'personalize',
      datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
      datasetExportJobArn: expect.stringMatching(
        /:dataset-export-job\/mlx-interactions-e2e-happy-[0-9a-f]{8}$/,
      ),
      jobName: expect.stringMatching(/^mlx-interactions-e2e-happy-/),
      ingestionMode: 'BULK',
      // Job of 1,500 s: checks at 30, 90, 210, 450, 810, 1170 and 1530 s.
      pollCount: 7,
      durationSeconds: 1500,
    });
    // The workflow noticed the end of the last job 30 s after it ended (1,500 s + 5 s queued in the stand-in).
    expect(r.simulatedSeconds).toBe(1530);
    // 6 run states, 6 per export, and 3 per status check (5 + 7): the cost model npm run bench reports.
    expect(r.counts.stateTransitions).toBe(6 + 2 * 6 + 3 * (5 + 7));
    // The cost model npm run bench prices exports with.
    expect(r.counts.stateTransitions).toBe(6 + transitionsPerExport(5) + transitionsPerExport(7));
    expect(runEvents(r)[0].event.detail).toMatchObject({
      status: 'SUCCEEDED',
      succeeded: 2,
      failed: 0,
      timedOut: 0,
      durationSeconds: 1530,
    });
    const header = (part: string) => {
      const file = r.filesWritten.find((f) => f.includes(part))!;
      return fs.readFileSync(path.join(r.runDir, file), 'utf8').split('\n')[0];
    };
    expect(header('glue-labels')).toBe('labeling_set_id,label,id,name,email,city');
    expect(header('personalize')).toBe('USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE');
  });

  it('stable-history: with 5 past runs within 2 %, each job is checked 3 times (not 5 and 7) and seen within 30 s', () => {
    const r = run('stable-history');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    // Glue 600 s: first check at 585 s (p10 590 less half a 10 s step), then 595 and 605 s.
    expect(outcomeOf(r, 'customer-matches')!.detail).toMatchObject({ outcome: 'SUCCEEDED', pollCount: 3 });
    // Personalize 1,500 s (+5 s queued): steps of 28 s (2 % less 2 s): 1,462, 1,490 and 1,518 s.
    expect(outcomeOf(r, 'interactions')!.detail).toMatchObject({ outcome: 'SUCCEEDED', pollCount: 3 });
    expect(r.simulatedSeconds).toBe(1518);
    expect(r.counts.stateTransitions).toBe(6 + 2 * 6 + 3 * (3 + 3));
    // Both look-ups were made, once each, and nothing else listed jobs.
    const calls = (op: string) => r.calls.filter((c) => c.operation === op).length;
    expect(calls('ListDatasetExportJobs')).toBe(1);
    expect(calls('GetMLTaskRuns')).toBe(2); // the adoption look-up, then the history
  });

  it('slower-than-history: a job 3x its history still succeeds, within 2 checks of the backoff (5 and 7)', () => {
    const r = run('slower-than-history');
    expect(r.status).toBe('SUCCEEDED');
    const glue = Number(outcomeOf(r, 'customer-matches')!.detail.pollCount);
    const personalize = Number(outcomeOf(r, 'interactions')!.detail.pollCount);
    expect([glue, personalize]).toEqual([5, 8]);
    expect(glue).toBeLessThanOrEqual(5 + 2);
    expect(personalize).toBeLessThanOrEqual(7 + 2);
  });

  it('job-fails: the failed export carries the service error text and the other one still succeeds', () => {
    const r = run('job-fails');
    expect(r.status).toBe('FAILED');
    expect(r.error).toEqual({
      error: 'ExportsDidNotSucceed',
      cause:
        '1 of 2 exports did not succeed; failed: customer-matches. Each export emitted its own event with the reason.',
    });
    expect(outcomeOf(r, 'customer-matches')).toMatchObject({
      'detail-type': 'ML Export Failed',
      detail: {
        serviceStatus: 'FAILED',
        error: { type: 'ExportJobFailed', message: 'Labeling file has no labeled records for transform.' },
      },
    });
    expect(outcomeOf(r, 'interactions')?.detail.outcome).toBe('SUCCEEDED');
  });

  it('personalize-fails: the failureReason reaches the event', () => {
    expect(outcomeOf(run('personalize-fails'), 'interactions')?.detail).toMatchObject({
      outcome: 'FAILED',
      serviceStatus: 'CREATE FAILED',
      error: { message: 'Insufficient privileges for accessing data in S3.' },
    });
  });

  it('stuck-job: the export ends TIMED_OUT at its 12-hour limit after 123 checks, never polling forever', () => {
    const r = run('stuck-job');
    const event = outcomeOf(r, 'interactions')!;
    expect(event['detail-type']).toBe('ML Export Timed Out');
    expect(event.detail).toMatchObject({
      outcome: 'TIMED_OUT',
      pollCount: 123,
      serviceStatus: 'CREATE IN_PROGRESS',
      // Personalize has no call to stop a dataset export job.
      jobCancelled: false,
      error: {
        type: 'ExportTimedOut',
        message: expect.stringMatching(
          /the workflow stopped waiting and could not stop the job: Personalize has no API to stop a dataset export job, so it may still complete$/,
        ),
      },
    });
    // The job had not completed: no end time, no duration.
    expect(event.detail).not.toHaveProperty('completedAt');
    expect(event.detail).not.toHaveProperty('durationSeconds');
    expect(r.simulatedSeconds).toBe(43_200);
    expect(runEvents(r)[0].event.detail).toMatchObject({ timedOut: 1, timedOutExports: ['interactions'] });
  });

  it('glue-stuck-job: the task run is cancelled at the 12-hour limit, ends STOPPED, and the time-out event says so', () => {
    const r = run('glue-stuck-job');
    const event = outcomeOf(r, 'customer-matches')!;
    const [taskRun] = r.glueTaskRuns;
    expect(event['detail-type']).toBe('ML Export Timed Out');
    expect(event.detail).toMatchObject({
      outcome: 'TIMED_OUT',
      pollCount: 123,
      serviceStatus: 'RUNNING',
      taskRunId: taskRun.taskRunId,
      jobCancelled: true,
      error: {
        type: 'ExportTimedOut',
        message: `the job was still RUNNING at 2026-11-22T15:00:00.000Z, 43200 s after the export started (123 status checks); the workflow stopped waiting and cancelled task run ${taskRun.taskRunId} (CancelMLTaskRun)`,
      },
    });
    expect(event.detail).not.toHaveProperty('completedAt');
    expect(r.calls.filter((c) => c.operation === 'CancelMLTaskRun')).toEqual([
      { operation: 'CancelMLTaskRun', at: '2026-11-22T15:00:00.000Z' },
    ]);
    expect(r.glueTaskRuns).toEqual([
      {
        transformId: 'tfm-0123456789abcdef0123456789abcdef',
        taskRunId: taskRun.taskRunId,
        status: 'STOPPED',
      },
    ]);
    expect(outcomeOf(r, 'interactions')?.detail.outcome).toBe('SUCCEEDED');
    expect(runEvents(r)[0].event.detail).toMatchObject({
      timedOut: 1,
      timedOutExports: ['customer-matches'],
    });
  });

  it('throttling: bursts longer than the SDK retries are retried by the state machine and both exports succeed', () => {
    const r = run('throttling');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts.retries).toBeGreaterThanOrEqual(2);
    expect(r.calls.filter((c) => c.error === 'ThrottlingException')).toHaveLength(14);
  });

  it('service-errors: starts retried through 5xx answers still start exactly one job each', () => {
    const r = run('service-errors');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    // Every injected 5xx was met (2 + 4 + 4) and retried through.
    expect(
      r.calls.filter((c) => c.error === 'InternalServiceException' || c.error === 'ServiceUnavailable'),
    ).toHaveLength(10);
  });

  it('lost-start-response: the retried start adopts the job it already created', () => {
    const r = run('lost-start-response');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    expect(outcomeOf(r, 'customer-matches')?.detail.adoptedExistingJob).toBe(true);
    expect(outcomeOf(r, 'interactions')?.detail.adoptedExistingJob).toBe(true);
  });

  it.each([
    [
      'unknown-transform',
      'customer-matches',
      'EntityNotFoundException: Transform tfm-0123456789abcdef0123456789abcdef not found',
    ],
    [
      'unknown-dataset',
      'interactions',
      'ResourceNotFoundException: Dataset arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS does not exist.',
    ],
    [
      'access-denied',
      'interactions',
      'AccessDeniedException: User is not authorized to perform: CreateDatasetExportJob',
    ],
  ])(
    '%s: fails that export at once, without retries, with the service message',
    (name, exportName, message) => {
      const r = run(name);
      expect(outcomeOf(r, exportName)?.detail).toMatchObject({
        outcome: 'FAILED',
        pollCount: 0,
        error: { type: 'PermanentServiceError', message: expect.stringContaining(message) },
      });
      expect(r.counts.retries).toBe(0);
      expect(
        outcomeOf(
          r,
          EXPORTS.find((e) => e !== exportName)!,
        )?.detail.outcome,
      ).toBe('SUCCEEDED');
    },
  );

  it('bad-input: the run is rejected with each bad field named, one rejection event, and no job started', () => {
    const r = run('bad-input');
    expect(r.status).toBe('FAILED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 0, personalizeJobsCreated: 0 });
    expect(r.calls).toEqual([]);
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Rejected']);
    expect(r.events[0].event.detail.error).toEqual({
      type: 'InvalidExecutionInput',
      message: [
        'input.dryRun: got true; expected no such field (allowed: exports, exportNames)',
        'input.exports[0].name: got "nightly labels"; expected 1-40 letters, digits, "-" or "_", starting with a letter or digit',
        'input.exports[0].outputS3Prefix: got "https://bucket/labels"; expected an S3 URI "s3://bucket/prefix/" of at most 164 characters, trailing slash included',
        'input.exports[0].transformId: got ""; expected a Glue ML transform id of 1-255 characters without whitespace',
      ].join('\n'),
    });
    expect(r.error?.error).toBe('InvalidExecutionInput');
  });
});

describe('service quotas', () => {
  it('busy-account: each export waits for capacity while other jobs fill the quota, then starts once and succeeds', () => {
    const r = run('busy-account');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    // Refused while the other jobs hold the slots (20 minutes), with growing waits between attempts.
    const refused = r.calls.filter(
      (c) => c.error && ['StartExportLabelsTaskRun', 'CreateDatasetExportJob'].includes(c.operation),
    );
    expect(new Set(refused.map((c) => `${c.operation}: ${c.error}`))).toEqual(
      new Set([
        'StartExportLabelsTaskRun: ConcurrentRunsExceededException',
        'CreateDatasetExportJob: LimitExceededException',
      ]),
    );
    for (const name of EXPORTS) {
      const detail = outcomeOf(r, name)!.detail;
      expect(detail.outcome).toBe('SUCCEEDED');
      // The first slot frees at 20 minutes; attempts about 30, 60, 120, 240, 360, 360 s apart (plus the SDK's
      // own short retries of each refusal): started at the first attempt after 1,200 s.
      expect(detail.waitedForCapacitySeconds).toBeGreaterThanOrEqual(1200);
      expect(detail.waitedForCapacitySeconds).toBeLessThan(1200 + 360 + 60);
    }
  });
});

describe('runs that start no export, and a run a redrive resumes', () => {
  it('overlapping-run: yields to the earlier run exporting the same dataset, says which, and starts nothing', () => {
    const r = run('overlapping-run');
    // Yielding is not failing: the execution succeeds (no failed-executions alarm), the event says why.
    expect(r.status).toBe('SUCCEEDED');
    expect(r.error).toBeUndefined();
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 0, personalizeJobsCreated: 0 });
    expect(r.calls.map((c) => c.operation)).toEqual(['ListExecutions', 'DescribeExecution']);
    expect(r.events.map((e) => e.event['detail-type'])).toEqual(['ML Export Run Skipped']);
    expect(r.events[0].event.detail).toMatchObject({
      status: 'SKIPPED',
      error: {
        type: 'RunSkipped',
        message: expect.stringMatching(
          /^execution manual-backfill \(started 2026-11-22T02:30:00\.000Z\) is still running and exports the same data as interactions, so this run started no job \(arn:aws:states:.*:execution:.*:manual-backfill\)$/,
        ),
      },
    });
  });

  it("eventbridge-outage: one export's event refused past its retries never stops the other export, and is delivered late", () => {
    const r = run('eventbridge-outage');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    // The Glue export's event was refused 9 times (8 retries) while the Personalize export was mid-poll;
    // that one still polled to its end and sent its own event; the held one came with the run's summary.
    expect(r.events.map((e) => [e.event['detail-type'], e.event.detail.exportName])).toEqual([
      ['ML Export Succeeded', 'interactions'],
      ['ML Export Succeeded', 'customer-matches'],
      ['ML Export Run Completed', undefined],
    ]);
    expect(r.exports.every((e) => e.events === 1)).toBe(true);
    expect(runEvents(r)[0].event.detail).toMatchObject({ status: 'SUCCEEDED', lateEvents: 1 });
    // Delivered by Summarize Run's own PutEvents, after the Personalize export ended (25 min).
    expect(r.events[1].simSeconds).toBeGreaterThanOrEqual(r.events[0].simSeconds);
  });

  it('eventbridge-long-outage: an outage past every retry fails the execution at Summarize Run, never silently', () => {
    const r = run('eventbridge-long-outage');
    expect(r.status).toBe('FAILED');
    expect(r.failedState).toBe('Summarize Run');
    expect(r.error?.error).toBe('TransientServiceError');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    expect(r.events).toEqual([]);
  });
});

describe('the published event schemas', () => {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const validators = new Map(
    Object.keys(EVENT_DETAIL_SCHEMAS).map((detailType) => {
      const doc = eventSchemaDocument('ml-exports', detailType) as {
        components: { schemas: Record<string, object> };
      };
      const id = `https://ml-exports.local/${schemaTypeName(detailType)}`;
      ajv.addSchema({ ...doc, $id: id });
      return [detailType, ajv.compile({ $ref: `${id}#/components/schemas/AWSEvent` })];
    }),
  );

  it('describe every event every scenario emitted, and every detail-type is emitted by some scenario', () => {
    const seen = new Set<string>();
    for (const [name, r] of results) {
      for (const { event } of r.events) {
        const validate = validators.get(event['detail-type']);
        expect({ scenario: name, detailType: event['detail-type'], known: validate !== undefined }).toEqual({
          scenario: name,
          detailType: event['detail-type'],
          known: true,
        });
        const valid = validate!(event);
        expect({ scenario: name, event: event['detail-type'], errors: validate!.errors ?? [] }).toEqual({
          scenario: name,
          event: event['detail-type'],
          errors: [],
        });
        expect(valid).toBe(true);
        seen.add(event['detail-type']);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(EVENT_DETAIL_SCHEMAS).sort());
  });

  it('rejects an event that drifted from the contract', () => {
    const event = run('happy').events[0].event;
    const validate = validators.get(event['detail-type'])!;
    expect(validate({ ...event, detail: { ...event.detail, pollCount: 'five' } })).toBe(false);
    expect(validate({ ...event, detail: { ...event.detail, newField: 1 } })).toBe(false);
  });

  it("describe the README's example events (a time-out without completedAt, with jobCancelled)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```json\n(\{\n {2}"detail-type": [\s\S]*?)\n```/g)].map(
      (m) => JSON.parse(m[1]) as { 'detail-type': string; detail: Record<string, unknown> },
    );
    expect(examples.map((e) => e['detail-type'])).toEqual([
      'ML Export Failed',
      'ML Export Succeeded',
      'ML Export Timed Out',
      'ML Export Run Completed',
    ]);
    for (const example of examples) {
      const detailType = example['detail-type'];
      const validate = ajv.getSchema(
        `https://ml-exports.local/${schemaTypeName(detailType)}#/components/schemas/${schemaTypeName(detailType)}`,
      )!;
      expect({ detailType, valid: validate(example.detail), errors: validate.errors ?? [] }).toEqual({
        detailType,
        valid: true,
        errors: [],
      });
    }
    expect(examples[2].detail).not.toHaveProperty('completedAt');
  });
});

describe('redrive', () => {
  it('eventbridge-long-outage, redriven: Summarize Run runs again and delivers each held event once, with no second job', async () => {
    const r = await simulate('outage-redrive', ['--redrive'], 'eventbridge-long-outage');
    expect(r.firstAttempt).toMatchObject({
      failedState: 'Summarize Run',
      error: { error: 'TransientServiceError' },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.counts).toMatchObject({ glueTaskRunsStarted: 1, personalizeJobsCreated: 1 });
    expect(r.exports.map((e) => [e.name, e.outcome, e.events])).toEqual([
      ['customer-matches', 'SUCCEEDED', 1],
      ['interactions', 'SUCCEEDED', 1],
    ]);
    expect(r.events.map((e) => e.event['detail-type'])).toEqual([
      'ML Export Succeeded',
      'ML Export Succeeded',
      'ML Export Run Completed',
    ]);
    expect(
      r.calls.filter(
        (c) => c.operation === 'StartExportLabelsTaskRun' || c.operation === 'CreateDatasetExportJob',
      ),
    ).toHaveLength(2);
  });
});

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

describe('the README', () => {
  it('documents every scenario with the execution status its run ends in (example configuration)', () => {
    const documented = documentedOutcomes();
    expect(Object.keys(documented).sort()).toEqual([...SCENARIO_NAMES].sort());
    const actual = Object.fromEntries(SCENARIO_NAMES.map((name) => [name, run(name).status]));
    expect(documented).toEqual(actual);
  });
});

cliCases({ work: CLI_WORK, assembly: ASSEMBLY, configRun: () => configRun });
