/**
 * What a user sees in each scenario's run of the example (example-run.ts runs them once for all of
 * test/local): outcomes, checks and waits, the events' details, the files, the errors' texts.
 */
import { transitionsPerExport } from '../../local/bench-schedule';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPORTS, outcomeOf, runEvents, useScenarioResults } from './example-run';

const results = useScenarioResults();

const run = (name: string) => results.run(name);

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
        /:dataset-export-job\/mlx-12-interactions-e2e-happy-[0-9a-f]{8}$/,
      ),
      jobName: expect.stringMatching(/^mlx-12-interactions-e2e-happy-/),
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
    // The adoption look-up, the transform's task runs RUNNING and STARTING (its quota), then the history.
    expect(calls('GetMLTaskRuns')).toBe(4);
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
      // The organization's service control policy, evaluated as IAM would, in AWS's words.
      'AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/WorkflowStartPersonalizeExportRoleA5C8AC9C/WorkflowStartPersonalizeExportBFD6A370 is not authorized to perform: personalize:CreateDatasetExportJob on resource: arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS with an explicit deny in a service control policy',
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
