/** The end of a run: the results read back from S3, owed events delivered, and the run event. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as summarizeHandler, summarizeRun } from '../../lambda/summarize-run';
import { run, serviceError } from './fixtures';

const NOW = Date.parse('2026-11-22T04:00:00Z');
const execution = { name: run.executionName, arn: run.executionArn, startTime: run.startTime };

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
      message: 'EventBridge PutEvents for bus exports-bus refused 1 of 1 events: InternalFailure: try again',
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
