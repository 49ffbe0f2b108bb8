import { CancelMLTaskRunCommand, GetMLTaskRunsCommand, GlueClient, type TaskRun } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import {
  cleanUpStoppedRun,
  handler as handlerWithSecondLook,
  isMapChildExecution,
  SECOND_LOOK_AFTER_MS,
  type ExecutionStatusChangeEvent,
} from '../../lambda/cancel-stopped-run';
import { useCatalog } from './catalog';
import { DATASET_ARN, serviceError } from './fixtures';

const glue = mockClient(GlueClient);
const EXECUTION_ARN = 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1';

/** A "Step Functions Execution Status Change" event as EventBridge delivers it. */
const stopped = (input: unknown, overrides: Record<string, unknown> = {}): ExecutionStatusChangeEvent => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: EXECUTION_ARN,
    stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:sm',
    name: 'run-1',
    status: 'ABORTED',
    startDate: Date.parse('2026-11-22T03:00:00.000Z'),
    input: JSON.stringify(input),
    inputDetails: { included: true },
    ...overrides,
  },
});

const taskRun = (TaskRunId: string, Status: TaskRun['Status'], OutputS3Path: string): TaskRun => ({
  TaskRunId,
  Status,
  Properties: { TaskType: 'EXPORT_LABELS', ExportLabelsTaskRunProperties: { OutputS3Path } },
});

/** One look only; the second look, 35 s later, has its own test. */
const handler = (event: ExecutionStatusChangeEvent) => cleanUpStoppedRun(event, { secondLookAfterMs: 0 });
const cancelCalls = () => glue.commandCalls(CancelMLTaskRunCommand).map((c) => c.args[0].input);

beforeEach(() => {
  glue.reset();
  useCatalog([
    { type: 'glue', name: 'labels', transformId: 'tfm-1', outputS3Prefix: 's3://b/l/' },
    { type: 'glue', name: 'matches', transformId: 'tfm-2', outputS3Prefix: 's3://b/m/' },
    {
      type: 'personalize',
      name: 'interactions',
      datasetArn: DATASET_ARN,
      roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExport',
      outputS3Prefix: 's3://b/p/',
      ingestionMode: 'BULK',
    },
  ]);
  glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
  glue
    .on(CancelMLTaskRunCommand)
    .callsFake((input: { TaskRunId: string }) => ({ ...input, Status: 'STOPPING' }));
});

describe('cancel-stopped-run', () => {
  it("cancels only the STARTING and RUNNING task runs of this execution's output paths, for input {}", async () => {
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' }).resolves({
      TaskRuns: [
        taskRun('mine-running', 'RUNNING', 's3://b/l/2026-11-22/run-1/'),
        taskRun('other-run', 'RUNNING', 's3://b/l/2026-11-22/run-0/'),
        taskRun('other-prefix', 'RUNNING', 's3://elsewhere/2026-11-22/run-1/'),
      ],
    });
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-2' }).resolves({
      TaskRuns: [
        taskRun('mine-starting', 'STARTING', 's3://b/m/2026-11-22/run-1/'),
        taskRun('mine-stopping', 'STOPPING', 's3://b/m/2026-11-22/run-1/'),
        taskRun('mine-done', 'SUCCEEDED', 's3://b/m/2026-11-22/run-1/'),
        taskRun('mine-failed', 'FAILED', 's3://b/m/2026-11-22/run-1/'),
      ],
    });
    const report = await handler(stopped({}));
    expect(cancelCalls()).toEqual([
      { TransformId: 'tfm-1', TaskRunId: 'mine-running' },
      { TransformId: 'tfm-2', TaskRunId: 'mine-starting' },
    ]);
    expect(report).toEqual({
      executionArn: EXECUTION_ARN,
      glueExports: 2,
      cancelled: [
        { exportName: 'labels', transformId: 'tfm-1', taskRunId: 'mine-running' },
        { exportName: 'matches', transformId: 'tfm-2', taskRunId: 'mine-starting' },
      ],
      notCancelled: [],
    });
    expect(glue.commandCalls(GetMLTaskRunsCommand)[0].args[0].input).toMatchObject({
      TransformId: 'tfm-1',
      Filter: { TaskRunType: 'EXPORT_LABELS', StartedAfter: new Date('2026-11-22T02:55:00.000Z') },
    });
  });

  it('looks only at the exports named by {"exportNames": [...]}', async () => {
    glue.on(GetMLTaskRunsCommand).resolves({
      TaskRuns: [taskRun('mine', 'RUNNING', 's3://b/l/2026-11-22/run-1/')],
    });
    const report = await handler(stopped({ exportNames: ['labels', 'interactions'] }));
    expect(glue.commandCalls(GetMLTaskRunsCommand).map((c) => c.args[0].input.TransformId)).toEqual([
      'tfm-1',
    ]);
    expect(cancelCalls()).toEqual([{ TransformId: 'tfm-1', TaskRunId: 'mine' }]);
    expect(report.glueExports).toBe(1);
  });

  it('finds the task runs of explicit exports under their own (allowed) prefix', async () => {
    useCatalog(
      JSON.stringify({
        exports: [{ type: 'glue', name: 'matches', transformId: 'tfm-2', outputS3Prefix: 's3://b/m/' }],
        allowedOutputS3Prefixes: ['s3://adhoc-bucket/'],
      }),
    );
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-2' }).resolves({
      TaskRuns: [
        taskRun('configured-path', 'RUNNING', 's3://b/m/2026-11-22/run-1/'),
        taskRun('adhoc', 'RUNNING', 's3://adhoc-bucket/labels/2026-11-22/run-1/'),
      ],
    });
    await handler(
      stopped({
        exports: [
          { type: 'glue', name: 'adhoc', transformId: 'tfm-2', outputS3Prefix: 's3://adhoc-bucket/labels/' },
        ],
      }),
    );
    expect(cancelCalls()).toEqual([{ TransformId: 'tfm-2', TaskRunId: 'adhoc' }]);
  });

  it('follows NextToken through the task runs started since the run began', async () => {
    glue
      .on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' })
      .resolvesOnce({ TaskRuns: [taskRun('x', 'RUNNING', 's3://b/l/2026-11-21/run-0/')], NextToken: 't2' })
      .resolvesOnce({ TaskRuns: [taskRun('mine', 'RUNNING', 's3://b/l/2026-11-22/run-1/')] });
    await handler(stopped({ exportNames: ['labels'] }));
    expect(cancelCalls()).toEqual([{ TransformId: 'tfm-1', TaskRunId: 'mine' }]);
  });

  it('calls nothing for a run without Glue exports (Personalize has no stop call)', async () => {
    const report = await handler(stopped({ exportNames: ['interactions'] }));
    expect(glue.calls()).toHaveLength(0);
    expect(report).toMatchObject({ glueExports: 0, cancelled: [] });
  });

  it.each([
    ['unknown fields', { dryRun: true }],
    ['an unknown export name', { exportNames: ['nope'] }],
    [
      'an explicit export of a transform not configured',
      {
        exports: [{ type: 'glue', name: 'x', transformId: 'tfm-9', outputS3Prefix: 's3://adhoc-bucket/x/' }],
      },
    ],
    ['not an object', ['labels']],
  ])('calls nothing when the input was rejected (%s): the run started no job', async (_what, input) => {
    const report = await handler(stopped(input));
    expect(glue.calls()).toHaveLength(0);
    expect(report.skipped).toMatch(/^the run's input was rejected, so it started no job: /);
  });

  it("ignores a child execution of the Distributed Map (its exports are the parent run's)", async () => {
    const child =
      'arn:aws:states:us-east-1:111122223333:execution:sm/ExportEach:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    expect(isMapChildExecution(child)).toBe(true);
    expect(isMapChildExecution(EXECUTION_ARN)).toBe(false);
    const report = await handler(
      stopped({}, { executionArn: child, name: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' }),
    );
    expect(glue.calls()).toHaveLength(0);
    expect(report.skipped).toBe('a child execution of the Distributed Map');
  });

  it("looks for every configured Glue export's task run when the event leaves the input out (too large)", async () => {
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-2' }).resolves({
      TaskRuns: [
        taskRun('mine', 'RUNNING', 's3://b/m/2026-11-22/run-1/'),
        taskRun('other-run', 'RUNNING', 's3://b/m/2026-11-22/run-0/'),
      ],
    });
    const report = await handler(stopped({}, { input: null, inputDetails: { included: false } }));
    expect(glue.commandCalls(GetMLTaskRunsCommand).map((c) => c.args[0].input.TransformId)).toEqual([
      'tfm-1',
      'tfm-2',
    ]);
    expect(cancelCalls()).toEqual([{ TransformId: 'tfm-2', TaskRunId: 'mine' }]);
    expect(report.glueExports).toBe(2);
  });

  it('refuses an event that is not an execution status change, calling nothing', async () => {
    const report = await handler({ detail: { name: 'x' } });
    expect(glue.calls()).toHaveLength(0);
    expect(report.skipped).toMatch(/^not an execution status change event/);
  });

  it.each(['EntityNotFoundException', 'InvalidInputException'])(
    'logs a cancel refused with %s (e.g. the task run ended meanwhile) and goes on with the others',
    async (name) => {
      glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' }).resolves({
        TaskRuns: [taskRun('gone', 'RUNNING', 's3://b/l/2026-11-22/run-1/')],
      });
      glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-2' }).resolves({
        TaskRuns: [taskRun('mine', 'RUNNING', 's3://b/m/2026-11-22/run-1/')],
      });
      glue.on(CancelMLTaskRunCommand, { TaskRunId: 'gone' }).rejects(serviceError(name));
      const report = await handler(stopped({}));
      expect(report.cancelled.map((c) => c.taskRunId)).toEqual(['mine']);
      expect(report.notCancelled).toEqual([
        `Glue CancelMLTaskRun for transform tfm-1 task run gone failed: ${name}: ${name} message from the service`,
      ]);
    },
  );

  it('throws TransientServiceError after throttling, once every other transform was cleaned up, so Lambda retries the event', async () => {
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' }).rejects(serviceError('ThrottlingException'));
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-2' }).resolves({
      TaskRuns: [taskRun('mine', 'RUNNING', 's3://b/m/2026-11-22/run-1/')],
    });
    await expect(handler(stopped({}))).rejects.toMatchObject({
      name: 'TransientServiceError',
      message: `cancelling the task runs of ${EXECUTION_ARN} failed for now: Glue GetMLTaskRuns for transform tfm-1 failed: ThrottlingException: ThrottlingException message from the service`,
    });
    expect(cancelCalls()).toEqual([{ TransformId: 'tfm-2', TaskRunId: 'mine' }]);
  });

  it('throws TransientServiceError when a cancel meets a 5xx', async () => {
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' }).resolves({
      TaskRuns: [taskRun('mine', 'RUNNING', 's3://b/l/2026-11-22/run-1/')],
    });
    glue.on(CancelMLTaskRunCommand).rejects(serviceError('InternalServiceException', 'server'));
    await expect(handler(stopped({ exportNames: ['labels'] }))).rejects.toMatchObject({
      name: 'TransientServiceError',
    });
  });

  it('looks again after an in-flight start could have finished, cancelling the task run it started', async () => {
    jest.useFakeTimers();
    try {
      glue
        .on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' })
        .resolvesOnce({ TaskRuns: [taskRun('first', 'RUNNING', 's3://b/l/2026-11-22/run-1/')] })
        .resolves({
          TaskRuns: [
            taskRun('late', 'STARTING', 's3://b/l/2026-11-22/run-1/'),
            taskRun('first', 'STOPPING', 's3://b/l/2026-11-22/run-1/'),
          ],
        });
      const done = handlerWithSecondLook(stopped({ exportNames: ['labels'] }));
      await jest.advanceTimersByTimeAsync(SECOND_LOOK_AFTER_MS - 1);
      expect(cancelCalls()).toEqual([{ TransformId: 'tfm-1', TaskRunId: 'first' }]);
      await jest.advanceTimersByTimeAsync(1);
      const report = await done;
      expect(cancelCalls()).toEqual([
        { TransformId: 'tfm-1', TaskRunId: 'first' },
        { TransformId: 'tfm-1', TaskRunId: 'late' },
      ]);
      expect(report.cancelled.map((c) => c.taskRunId)).toEqual(['first', 'late']);
      expect(SECOND_LOOK_AFTER_MS).toBeGreaterThan(30_000); // the start task's own timeout
    } finally {
      jest.useRealTimers();
    }
  });

  it('cleans up after a run that hit the state machine timeout the same way', async () => {
    glue.on(GetMLTaskRunsCommand, { TransformId: 'tfm-1' }).resolves({
      TaskRuns: [taskRun('mine', 'RUNNING', 's3://b/l/2026-11-22/run-1/')],
    });
    await handler(stopped({ exportNames: ['labels'] }, { status: 'TIMED_OUT' }));
    expect(cancelCalls()).toEqual([{ TransformId: 'tfm-1', TaskRunId: 'mine' }]);
  });
});
