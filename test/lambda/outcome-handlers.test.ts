import { finalizeExport, handler as finalizeHandler } from '../../lambda/finalize-export';
import { logger } from '../../lambda/shared/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as summarizeHandler, summarizeRun } from '../../lambda/summarize-run';
import { useCatalog } from './catalog';
import { glueState, serviceError, JOB_ARN, JOB_NAME, personalizeState, run, tracking } from './fixtures';

const NOW = Date.parse('2026-11-22T04:00:00Z');
const execution = { name: run.executionName, arn: run.executionArn, startTime: run.startTime };

describe('finalizeExport', () => {
  it('describes a success with identifiers, times, checks and the output path', () => {
    const state = {
      ...glueState,
      tracking: tracking(
        { taskRunId: 'run-abc' },
        {
          outcome: 'SUCCEEDED',
          polls: 5,
          serviceStatus: 'SUCCEEDED',
          jobStartedAt: '2026-11-22T03:00:05.000Z',
          jobCompletedAt: '2026-11-22T03:10:05.000Z',
        },
      ),
    };
    expect(finalizeExport(state)).toEqual({
      result: { name: 'labels', type: 'glue', outcome: 'SUCCEEDED' },
      event: {
        detailType: 'ML Export Succeeded',
        detail: {
          exportName: 'labels',
          exportType: 'glue',
          outcome: 'SUCCEEDED',
          outputS3Path: 's3://b/l/2026-11-22/run-1/',
          transformId: 'tfm-1',
          taskRunId: 'run-abc',
          serviceStatus: 'SUCCEEDED',
          startedAt: '2026-11-22T03:00:05.000Z',
          completedAt: '2026-11-22T03:10:05.000Z',
          durationSeconds: 600,
          pollCount: 5,
          adoptedExistingJob: false,
          executionName: 'run-1',
          executionArn: run.executionArn,
        },
      },
    });
  });

  it('carries the service failure text of a failed job', () => {
    const state = {
      ...personalizeState,
      tracking: tracking(
        { datasetExportJobArn: JOB_ARN, jobName: JOB_NAME },
        { outcome: 'FAILED', serviceStatus: 'CREATE FAILED', serviceError: 'Access denied' },
      ),
    };
    const { event } = finalizeExport(state);
    expect(event.detailType).toBe('ML Export Failed');
    expect(event.detail).toMatchObject({
      datasetArn: personalizeState.export.type === 'personalize' ? personalizeState.export.datasetArn : '',
      datasetExportJobArn: JOB_ARN,
      jobName: JOB_NAME,
      ingestionMode: 'BULK',
      error: { type: 'ExportJobFailed', message: 'Access denied' },
    });
  });

  it('says how long a timed-out export waited', () => {
    const state = {
      ...glueState,
      tracking: tracking(
        { taskRunId: 'r' },
        { outcome: 'TIMED_OUT', serviceStatus: 'RUNNING', polls: 17, deadline: '2026-11-22T04:00:05.000Z' },
      ),
    };
    const { event, result } = finalizeExport(state);
    expect(result.outcome).toBe('TIMED_OUT');
    expect(event.detailType).toBe('ML Export Timed Out');
    expect(event.detail.error).toEqual({
      type: 'ExportTimedOut',
      message:
        'the job was still RUNNING at 2026-11-22T04:00:05.000Z, 3600 s after the export started (17 status checks); the workflow stopped waiting but cancelling task run r failed, so it may still be running: no cancel was attempted',
    });
    expect(event.detail.jobCancelled).toBe(false);
  });

  const timedOut = { outcome: 'TIMED_OUT', polls: 17, deadline: '2026-11-22T04:00:05.000Z' } as const;

  it('says the Glue task run was cancelled at the time limit', () => {
    const state = {
      ...glueState,
      tracking: tracking({ taskRunId: 'r' }, { ...timedOut, serviceStatus: 'RUNNING', jobCancelled: true }),
    };
    const { event } = finalizeExport(state);
    expect(event.detail).toMatchObject({
      outcome: 'TIMED_OUT',
      jobCancelled: true,
      error: {
        type: 'ExportTimedOut',
        message:
          'the job was still RUNNING at 2026-11-22T04:00:05.000Z, 3600 s after the export started (17 status checks); the workflow stopped waiting and cancelled task run r (CancelMLTaskRun)',
      },
    });
  });

  it('says why cancelling the Glue task run failed, and still ends TIMED_OUT', () => {
    const cancelError =
      'Glue CancelMLTaskRun for transform tfm-1 task run r failed: ThrottlingException: Rate exceeded';
    const state = {
      ...glueState,
      tracking: tracking(
        { taskRunId: 'r' },
        { ...timedOut, serviceStatus: 'RUNNING', jobCancelled: false, cancelError },
      ),
    };
    const { event, result } = finalizeExport(state);
    expect(result.outcome).toBe('TIMED_OUT');
    expect(event.detail.jobCancelled).toBe(false);
    expect(event.detail.error?.message).toBe(
      `the job was still RUNNING at 2026-11-22T04:00:05.000Z, 3600 s after the export started (17 status checks); the workflow stopped waiting but cancelling task run r failed, so it may still be running: ${cancelError}`,
    );
  });

  it('says Personalize cannot stop a dataset export job, which may still complete', () => {
    const state = {
      ...personalizeState,
      tracking: tracking(
        { datasetExportJobArn: JOB_ARN, jobName: JOB_NAME },
        { ...timedOut, serviceStatus: 'CREATE IN_PROGRESS' },
      ),
    };
    const { event } = finalizeExport(state);
    expect(event.detail).toMatchObject({ outcome: 'TIMED_OUT', jobCancelled: false });
    expect(event.detail.error?.message).toBe(
      'the job was still CREATE IN_PROGRESS at 2026-11-22T04:00:05.000Z, 3600 s after the export started (17 status checks); the workflow stopped waiting and could not stop the job: Personalize has no API to stop a dataset export job, so it may still complete',
    );
  });

  it('carries jobCancelled on time-outs only', () => {
    const state = {
      ...glueState,
      tracking: tracking({ taskRunId: 'r' }, { outcome: 'SUCCEEDED', serviceStatus: 'SUCCEEDED' }),
    };
    expect(finalizeExport(state).event.detail).not.toHaveProperty('jobCancelled');
  });

  it('reads the message of an error caught from a Lambda task', () => {
    const cause = JSON.stringify({
      errorType: 'PermanentServiceError',
      errorMessage: 'Glue StartExportLabelsTaskRun for transform tfm-1 failed: EntityNotFoundException: nope',
      trace: [],
    });
    const { event } = finalizeExport({
      ...glueState,
      error: { Error: 'PermanentServiceError', Cause: cause },
    });
    expect(event.detail).toMatchObject({
      outcome: 'FAILED',
      pollCount: 0,
      error: {
        type: 'PermanentServiceError',
        message: 'Glue StartExportLabelsTaskRun for transform tfm-1 failed: EntityNotFoundException: nope',
      },
    });
    expect(event.detail).not.toHaveProperty('taskRunId');
    // No job ever ran: nothing completed.
    expect(event.detail).not.toHaveProperty('completedAt');
    expect(event.detail).not.toHaveProperty('durationSeconds');
  });

  it('keeps a plain-text cause (States.Timeout) and the job ids known before the error', () => {
    const { event } = finalizeExport({
      ...glueState,
      tracking: tracking({ taskRunId: 'r' }),
      error: { Error: 'States.Timeout', Cause: 'Task timed out' },
    });
    expect(event.detail).toMatchObject({
      taskRunId: 'r',
      error: { type: 'States.Timeout', message: 'Task timed out' },
    });
  });

  it('gives a timed-out job no completedAt or duration: it had not completed (not the deadline, not the last check)', () => {
    const state = {
      ...glueState,
      tracking: tracking(
        { taskRunId: 'r' },
        {
          outcome: 'TIMED_OUT',
          serviceStatus: 'RUNNING',
          jobStartedAt: '2026-11-22T03:00:05.000Z',
          lastCheckedAt: '2026-11-22T04:00:05.000Z',
          deadline: '2026-11-22T04:00:05.000Z',
          jobCancelled: true,
        },
      ),
    };
    const { detail } = finalizeExport(state).event;
    expect(detail.startedAt).toBe('2026-11-22T03:00:05.000Z');
    expect(detail).not.toHaveProperty('completedAt');
    expect(detail).not.toHaveProperty('durationSeconds');
  });

  it('gives a job whose check failed after it started no completedAt', () => {
    const { detail } = finalizeExport({
      ...personalizeState,
      tracking: tracking(
        { datasetExportJobArn: JOB_ARN, jobName: JOB_NAME },
        { serviceStatus: 'CREATE IN_PROGRESS', lastCheckedAt: '2026-11-22T03:30:00.000Z' },
      ),
      error: { Error: 'TransientServiceError', Cause: 'Rate exceeded' },
    }).event;
    expect(detail).toMatchObject({ outcome: 'FAILED', startedAt: '2026-11-22T03:00:05.000Z' });
    expect(detail).not.toHaveProperty('completedAt');
    expect(detail).not.toHaveProperty('durationSeconds');
  });

  it("takes completedAt and the duration from the service's end time of a failed job", () => {
    const { detail } = finalizeExport({
      ...personalizeState,
      tracking: tracking(
        { datasetExportJobArn: JOB_ARN, jobName: JOB_NAME },
        {
          outcome: 'FAILED',
          serviceStatus: 'CREATE FAILED',
          serviceError: 'Access denied',
          jobStartedAt: '2026-11-22T03:00:00.000Z',
          jobCompletedAt: '2026-11-22T03:02:30.000Z',
          lastCheckedAt: '2026-11-22T03:05:00.000Z',
        },
      ),
    }).event;
    expect(detail).toMatchObject({ completedAt: '2026-11-22T03:02:30.000Z', durationSeconds: 150 });
  });

  it('never reports an export without an outcome as a success', () => {
    expect(finalizeExport({ ...glueState, tracking: tracking({ taskRunId: 'r' }) }).result.outcome).toBe(
      'FAILED',
    );
  });
});

describe('finalizeExport of an export the run could not resolve', () => {
  it('fails it with the caught error, its name and type, and no output path', () => {
    useCatalog([]);
    const state = {
      export: { type: 'glue' as const, name: 'gone' },
      run,
      error: {
        Error: 'ExportNotConfigured',
        Cause: JSON.stringify({
          errorType: 'ExportNotConfigured',
          errorMessage: 'export "gone" (glue) is not in this deployment\'s configuration any more',
        }),
      },
    };
    const finalized = finalizeExport(state);
    expect(finalized.result).toEqual({ name: 'gone', type: 'glue', outcome: 'FAILED' });
    expect(finalized.event.detailType).toBe('ML Export Failed');
    expect(finalized.event.detail).not.toHaveProperty('outputS3Path');
    expect(finalized.event.detail.error).toEqual({
      type: 'ExportNotConfigured',
      message: 'export "gone" (glue) is not in this deployment\'s configuration any more',
    });
  });

  it('fills in the output path of a configured export that failed at its start', () => {
    useCatalog([{ type: 'glue', name: 'labels', transformId: 'tfm-1', outputS3Prefix: 's3://b/l/' }]);
    const finalized = finalizeExport({
      export: { type: 'glue', name: 'labels' },
      run,
      error: { Error: 'PermanentServiceError', Cause: 'denied' },
    });
    expect(finalized.event.detail).toMatchObject({
      outputS3Path: 's3://b/l/2026-11-22/run-1/',
      transformId: 'tfm-1',
      outcome: 'FAILED',
    });
  });
});

describe('finalize-export handler logs', () => {
  it('writes one "Export ended" JSON line with the outcome and duration at the top level (the metric filters read them)', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    logger.setLogLevel('INFO');
    try {
      const state = {
        ...glueState,
        tracking: tracking(
          { taskRunId: 'r' },
          {
            outcome: 'SUCCEEDED',
            jobStartedAt: '2026-11-22T03:00:00.000Z',
            jobCompletedAt: '2026-11-22T03:10:00.000Z',
          },
        ),
      };
      await finalizeHandler(state, {
        functionName: 'finalize',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:finalize',
        memoryLimitInMB: '256',
        awsRequestId: 'req-1',
      } as never);
    } finally {
      logger.setLogLevel('SILENT');
      write.mockRestore();
    }
    const entries = lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Export ended',
        function_request_id: 'req-1',
        cold_start: expect.any(Boolean),
        outcome: 'SUCCEEDED',
        durationSeconds: 600,
        exportName: 'labels',
      }),
    ]);
  });
});

describe('summarizeRun', () => {
  it('succeeds only when every export succeeded', () => {
    const summary = summarizeRun(
      { execution, results: [{ name: 'a', type: 'glue', outcome: 'SUCCEEDED' }] },
      NOW,
    );
    expect(summary.runOutcome).toBe('SUCCEEDED');
    expect(summary.event).toEqual({
      detailType: 'ML Export Run Completed',
      detail: expect.objectContaining({
        status: 'SUCCEEDED',
        exportCount: 1,
        succeeded: 1,
        failed: 0,
        timedOut: 0,
        durationSeconds: 3600,
      }),
    });
  });

  it('counts failures and timeouts and says which exports for the Fail state', () => {
    const summary = summarizeRun(
      {
        execution,
        results: [
          { name: 'a', type: 'glue', outcome: 'SUCCEEDED' },
          { name: 'b', type: 'personalize', outcome: 'FAILED' },
          { name: 'c', type: 'personalize', outcome: 'TIMED_OUT' },
        ],
      },
      NOW,
    );
    expect(summary.runOutcome).toBe('FAILED');
    expect(summary.event.detail).toMatchObject({
      status: 'FAILED',
      exportCount: 3,
      succeeded: 1,
      failed: 1,
      timedOut: 1,
      failedExports: ['b'],
      timedOutExports: ['c'],
    });
    expect(summary.failure).toEqual({
      error: 'ExportsDidNotSucceed',
      cause:
        '2 of 3 exports did not succeed; failed: b; timed out: c. Each export emitted its own event with the reason.',
    });
  });

  it('describes a rejected run with the validation message', () => {
    const cause = JSON.stringify({
      errorType: 'InvalidExecutionInput',
      errorMessage: 'input.x: got 1; expected no such field',
    });
    const summary = summarizeRun({ execution, error: { Error: 'InvalidExecutionInput', Cause: cause } }, NOW);
    expect(summary.event.detailType).toBe('ML Export Run Rejected');
    expect(summary.event.detail).toMatchObject({
      status: 'REJECTED',
      exportCount: 0,
      error: { type: 'InvalidExecutionInput', message: 'input.x: got 1; expected no such field' },
    });
    expect(summary.failure).toEqual({
      error: 'InvalidExecutionInput',
      cause: 'The run was rejected before any export started: input.x: got 1; expected no such field',
    });
  });

  it('describes a skipped run with the overlapping execution', () => {
    const cause = JSON.stringify({
      errorType: 'RunSkipped',
      errorMessage: 'execution manual-1 (started ...) is still running',
    });
    const summary = summarizeRun({ execution, error: { Error: 'RunSkipped', Cause: cause } }, NOW);
    expect(summary.event).toMatchObject({
      detailType: 'ML Export Run Skipped',
      detail: {
        status: 'SKIPPED',
        exportCount: 0,
        error: { type: 'RunSkipped', message: 'execution manual-1 (started ...) is still running' },
      },
    });
    expect(summary.failure).toEqual({
      error: 'RunSkipped',
      cause: 'The run was skipped: execution manual-1 (started ...) is still running',
    });
  });

  it('lists at most 100 names per outcome but counts all', () => {
    const results = Array.from({ length: 250 }, (_, i) => ({
      name: `e${i}`,
      type: 'glue' as const,
      outcome: 'FAILED' as const,
    }));
    const { detail } = summarizeRun({ execution, results }, NOW).event;
    expect(detail.failed).toBe(250);
    expect(detail.failedExports).toHaveLength(100);
  });

  it("says what to do when the input left no room for the run's settings (States.DataLimitExceeded)", () => {
    const summary = summarizeRun(
      {
        execution,
        error: {
          Error: 'States.DataLimitExceeded',
          Cause: "The state/task 'Prepare Run' input is 262,518 bytes",
        },
      },
      NOW,
    );
    expect(summary.event.detailType).toBe('ML Export Run Rejected');
    expect(summary.event.detail.error).toEqual({
      type: 'States.DataLimitExceeded',
      message: expect.stringMatching(
        /^input: too large for Prepare Run's task payload.*"exportNames".*'Prepare Run' input is 262,518 bytes\)$/,
      ),
    });
  });

  it('refuses input without results or error', () => {
    expect(() => summarizeRun({ execution } as never, NOW)).toThrow(
      expect.objectContaining({ name: 'InvalidTaskState' }),
    );
  });
});

describe('summarize-run handler reads the results the Distributed Map wrote to S3', () => {
  const s3 = mockClient(S3Client);
  const eventBridge = mockClient(EventBridgeClient);
  const events = { source: 'ml-exports', eventBusName: 'exports-bus' };
  beforeEach(() => {
    s3.reset();
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });
  const body = (value: unknown) =>
    ({ Body: { transformToString: async () => JSON.stringify(value) } }) as never;
  const child = (name: string, outcome: string, status = 'SUCCEEDED') => ({
    ExecutionArn: `arn:aws:states:us-east-1:1:execution:sm/Export Each:${name}`,
    Input: JSON.stringify({ export: { type: 'glue', name }, run }),
    Output: status === 'SUCCEEDED' ? JSON.stringify({ name, type: 'glue', outcome }) : undefined,
    Status: status,
    ...(status === 'SUCCEEDED'
      ? {}
      : { Error: 'States.TaskFailed', Cause: 'Finalize Export failed: Lambda.Unknown' }),
  });
  const mapOutput = {
    MapRunArn: 'arn:aws:states:us-east-1:1:mapRun:sm/Export Each:run-id',
    ResultWriterDetails: { Bucket: 'results', Key: 'map-runs/run-id/manifest.json' },
  };

  it('counts every child execution of every result file', async () => {
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/manifest.json' }).resolves(
      body({
        DestinationBucket: 'results',
        MapRunArn: mapOutput.MapRunArn,
        ResultFiles: {
          FAILED: [],
          PENDING: [],
          SUCCEEDED: [
            { Key: 'map-runs/run-id/SUCCEEDED_0.json', Size: 1 },
            { Key: 'map-runs/run-id/SUCCEEDED_1.json', Size: 1 },
          ],
        },
      }),
    );
    const first = Array.from({ length: 1500 }, (_, i) => child(`a${i}`, i < 3 ? 'FAILED' : 'SUCCEEDED'));
    const second = Array.from({ length: 1000 }, (_, i) =>
      child(`b${i}`, i === 0 ? 'TIMED_OUT' : 'SUCCEEDED'),
    );
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/SUCCEEDED_0.json' }).resolves(body(first));
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/SUCCEEDED_1.json' }).resolves(body(second));
    const summary = await summarizeHandler({ execution, results: mapOutput });
    expect(summary.event.detail).toMatchObject({
      status: 'FAILED',
      exportCount: 2500,
      succeeded: 2496,
      failed: 3,
      timedOut: 1,
      failedExports: ['a0', 'a1', 'a2'],
      timedOutExports: ['b0'],
      resultsManifest: 's3://results/map-runs/run-id/manifest.json',
    });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'results', Key: 'map-runs/run-id/manifest.json' },
      { Bucket: 'results', Key: 'map-runs/run-id/SUCCEEDED_0.json' },
      { Bucket: 'results', Key: 'map-runs/run-id/SUCCEEDED_1.json' },
    ]);
  });

  it('counts a child execution that did not succeed as a failed export, named from its input', async () => {
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/manifest.json' }).resolves(
      body({
        DestinationBucket: 'results',
        ResultFiles: {
          FAILED: [{ Key: 'map-runs/run-id/FAILED_0.json', Size: 1 }],
          SUCCEEDED: [{ Key: 'map-runs/run-id/SUCCEEDED_0.json', Size: 1 }],
        },
      }),
    );
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/FAILED_0.json' }).resolves(
      body([child('lost', '', 'FAILED')]),
    );
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/SUCCEEDED_0.json' }).resolves(
      body([child('fine', 'SUCCEEDED')]),
    );
    const { detail } = (await summarizeHandler({ execution, results: mapOutput, events })).event;
    expect(detail).toMatchObject({
      exportCount: 2,
      succeeded: 1,
      failed: 1,
      failedExports: ['lost'],
      lateEvents: 1,
    });
    // It never sent its own event: the run sends its ML Export Failed, with why, before the run event.
    const [entry] = eventBridge.commandCalls(PutEventsCommand)[0].args[0].input.Entries!;
    expect(entry).toMatchObject({
      Source: 'ml-exports',
      DetailType: 'ML Export Failed',
      EventBusName: 'exports-bus',
    });
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      exportName: 'lost',
      exportType: 'glue',
      outcome: 'FAILED',
      error: {
        type: 'States.TaskFailed',
        message: expect.stringContaining(
          "the export's child execution ended FAILED before it sent its event: Finalize Export failed",
        ),
      },
      executionName: run.executionName,
      executionArn: run.executionArn,
    });
  });

  const manifestOf = (files: Record<string, string[]>) =>
    body({
      DestinationBucket: 'results',
      ResultFiles: Object.fromEntries(
        Object.entries(files).map(([k, keys]) => [k, keys.map((Key) => ({ Key, Size: 1 }))]),
      ),
    });
  const held = (name: string) => ({
    ...child(name, 'SUCCEEDED'),
    Output: JSON.stringify({
      name,
      type: 'glue',
      outcome: 'SUCCEEDED',
      heldEvent: { detailType: 'ML Export Succeeded', detail: { exportName: name, outcome: 'SUCCEEDED' } },
      deliveryError: { Error: 'EventBridge.FailedEntry', Cause: 'refused' },
    }),
  });

  it('delivers the events EventBridge refused during the run, ten per call, before the run event', async () => {
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/manifest.json' }).resolves(
      manifestOf({ SUCCEEDED: ['map-runs/run-id/SUCCEEDED_0.json'] }),
    );
    const children = [...Array.from({ length: 12 }, (_, i) => held(`h${i}`)), child('sent', 'SUCCEEDED')];
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/SUCCEEDED_0.json' }).resolves(body(children));
    const summary = await summarizeHandler({ execution, results: mapOutput, events });
    const calls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((entries) => entries.length)).toEqual([10, 2]);
    expect(calls.flat().map((e) => JSON.parse(e.Detail!).exportName)).toEqual(
      Array.from({ length: 12 }, (_, i) => `h${i}`),
    );
    expect(summary.runOutcome).toBe('SUCCEEDED');
    expect(summary.event.detail).toMatchObject({ exportCount: 13, succeeded: 13, lateEvents: 12 });
  });

  it('fails as transient (retried, then redrivable) while EventBridge still refuses owed events', async () => {
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/manifest.json' }).resolves(
      manifestOf({ SUCCEEDED: ['map-runs/run-id/SUCCEEDED_0.json'] }),
    );
    s3.on(GetObjectCommand, { Key: 'map-runs/run-id/SUCCEEDED_0.json' }).resolves(body([held('h0')]));
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    await expect(summarizeHandler({ execution, results: mapOutput, events })).rejects.toMatchObject({
      name: 'TransientServiceError',
      message:
        'EventBridge PutEvents for bus exports-bus refused 1 of 1 owed export events: InternalFailure: try again',
    });
    eventBridge.on(PutEventsCommand).rejects(serviceError('AccessDeniedException'));
    await expect(summarizeHandler({ execution, results: mapOutput, events })).rejects.toMatchObject({
      name: 'PermanentServiceError',
    });
    await expect(summarizeHandler({ execution, results: mapOutput })).rejects.toMatchObject({
      name: 'InvalidTaskState',
    });
  });

  it('reports S3 throttling as transient (retried) and a missing manifest as permanent', async () => {
    s3.on(GetObjectCommand).rejects(serviceError('SlowDown', 'server', 503));
    await expect(summarizeHandler({ execution, results: mapOutput })).rejects.toMatchObject({
      name: 'TransientServiceError',
      message: expect.stringContaining('S3 GetObject for s3://results/map-runs/run-id/manifest.json failed'),
    });
    s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey', 'client', 404));
    await expect(summarizeHandler({ execution, results: mapOutput })).rejects.toMatchObject({
      name: 'PermanentServiceError',
    });
  });

  it('takes a results array as it is (a Map without ResultWriter), reading nothing', async () => {
    const summary = await summarizeHandler({
      execution,
      results: [{ name: 'a', type: 'glue', outcome: 'SUCCEEDED' }],
    });
    expect(summary.runOutcome).toBe('SUCCEEDED');
    expect(s3.calls()).toHaveLength(0);
    expect(eventBridge.calls()).toHaveLength(0);
  });
});
