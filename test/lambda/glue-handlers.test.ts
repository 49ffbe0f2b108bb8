import {
  CancelMLTaskRunCommand,
  GetMLTaskRunCommand,
  GetMLTaskRunsCommand,
  GlueClient,
  StartExportLabelsTaskRunCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as getStatus } from '../../lambda/get-glue-export-status';
import { observeGlueTaskRun } from '../../lambda/get-glue-export-status/status';
import { handler as start } from '../../lambda/start-glue-export';
import { useCatalog } from './catalog';
import { glueState, run, serviceError, tracking, useRunStanding } from './fixtures';

const glue = mockClient(GlueClient);
useRunStanding();
beforeEach(() => glue.reset());

describe('start-glue-export', () => {
  it('starts a task run for the run output path when none exists', async () => {
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'run-abc' });
    const out = await start(glueState);
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)[0].args[0].input).toEqual({
      TransformId: 'tfm-1',
      OutputS3Path: 's3://b/l/2026-11-22/run-1/',
    });
    expect(glue.commandCalls(GetMLTaskRunsCommand)[0].args[0].input).toMatchObject({
      TransformId: 'tfm-1',
      Filter: { TaskRunType: 'EXPORT_LABELS', StartedAfter: new Date('2026-11-22T02:55:00.000Z') },
    });
    expect(out.tracking).toMatchObject({
      job: { taskRunId: 'run-abc' },
      adopted: false,
      polls: 0,
      waitSeconds: 30,
      outcome: 'RUNNING',
    });
    expect(out.export).toEqual(glueState.export);
  });

  it("resolves a configured export named by the run from the catalog into this run's task", async () => {
    useCatalog([{ type: 'glue', name: 'labels', transformId: 'tfm-9', outputS3Prefix: 's3://b/l/' }]);
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'run-abc' });
    const out = await start({ export: { type: 'glue', name: 'labels' }, run });
    expect(out.export).toEqual({
      type: 'glue',
      name: 'labels',
      transformId: 'tfm-9',
      outputS3Prefix: 's3://b/l/',
      outputS3Path: 's3://b/l/2026-11-22/run-1/',
    });
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)[0].args[0].input.TransformId).toBe('tfm-9');
  });

  it('fails an export the configuration no longer has, starting nothing', async () => {
    useCatalog([]);
    await expect(start({ export: { type: 'glue', name: 'labels' }, run })).rejects.toMatchObject({
      name: 'ExportNotConfigured',
      message:
        'export "labels" (glue) is not in this deployment\'s configuration any more; it was removed or renamed after the run started',
    });
    expect(glue.calls()).toHaveLength(0);
  });

  it('adopts the task run an earlier attempt started for the same output path, starting nothing', async () => {
    glue.on(GetMLTaskRunsCommand).resolves({
      TaskRuns: [
        {
          TaskRunId: 'other',
          Properties: { ExportLabelsTaskRunProperties: { OutputS3Path: 's3://b/l/2026-11-21/run-0/' } },
        },
        {
          TaskRunId: 'mine',
          Status: 'RUNNING',
          Properties: { ExportLabelsTaskRunProperties: { OutputS3Path: 's3://b/l/2026-11-22/run-1/' } },
        },
      ],
    });
    const out = await start(glueState);
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)).toHaveLength(0);
    expect(out.tracking).toMatchObject({ job: { taskRunId: 'mine' }, adopted: true });
  });

  it('follows NextToken when looking for an earlier task run', async () => {
    glue
      .on(GetMLTaskRunsCommand)
      .resolvesOnce({ TaskRuns: [], NextToken: 't2' })
      .resolvesOnce({
        TaskRuns: [
          {
            TaskRunId: 'mine',
            Properties: { ExportLabelsTaskRunProperties: { OutputS3Path: 's3://b/l/2026-11-22/run-1/' } },
          },
        ],
      });
    const out = await start(glueState);
    expect(glue.commandCalls(GetMLTaskRunsCommand)[1].args[0].input.NextToken).toBe('t2');
    expect(out.tracking?.job).toEqual({ taskRunId: 'mine' });
  });

  it.each([
    ['EntityNotFoundException', 'client', 'PermanentServiceError'],
    ['InvalidInputException', 'client', 'PermanentServiceError'],
    ['AccessDeniedException', 'client', 'PermanentServiceError'],
    ['OperationTimeoutException', 'client', 'TransientServiceError'],
    ['InternalServiceException', 'server', 'TransientServiceError'],
    ['ThrottlingException', 'client', 'TransientServiceError'],
  ] as const)('maps %s from StartExportLabelsTaskRun to %s', async (name, fault, expected) => {
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(StartExportLabelsTaskRunCommand).rejects(serviceError(name, fault));
    await expect(start(glueState)).rejects.toMatchObject({
      name: expected,
      message: `Glue StartExportLabelsTaskRun for transform tfm-1 failed: ${name}: ${name} message from the service`,
    });
  });

  it.each([
    ['EntityNotFoundException', 'PermanentServiceError'],
    ['InternalServiceException', 'TransientServiceError'],
  ])('maps %s from GetMLTaskRuns to %s without starting anything', async (name, expected) => {
    glue
      .on(GetMLTaskRunsCommand)
      .rejects(serviceError(name, name.startsWith('Internal') ? 'server' : 'client'));
    await expect(start(glueState)).rejects.toMatchObject({ name: expected });
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)).toHaveLength(0);
  });

  it.each(['ConcurrentRunsExceededException', 'ResourceNumberLimitExceededException'])(
    'waits for capacity when the start is refused with %s, and keeps the time limit once started',
    async (name) => {
      glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
      glue.on(StartExportLabelsTaskRunCommand).rejects(serviceError(name));
      const waiting = await start(glueState);
      expect(waiting.tracking).toBeUndefined();
      expect(waiting.capacity).toMatchObject({
        outcome: 'WAITING',
        attempts: 1,
        waitSeconds: 30,
        lastRefusal: `${name}: ${name} message from the service`,
      });
      glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'run-late' });
      const started = await start(waiting);
      expect(started.tracking).toMatchObject({
        job: { taskRunId: 'run-late' },
        outcome: 'RUNNING',
        deadline: waiting.capacity!.deadline,
      });
    },
  );

  it('refuses state that is not a Glue export', async () => {
    await expect(
      start({ ...glueState, export: { ...glueState.export, type: 'personalize' } as never }),
    ).rejects.toMatchObject({
      name: 'InvalidTaskState',
    });
  });
});

describe('observeGlueTaskRun', () => {
  it.each([
    ['STARTING', 'RUNNING'],
    ['RUNNING', 'RUNNING'],
    ['STOPPING', 'RUNNING'],
    ['SUCCEEDED', 'SUCCEEDED'],
    ['FAILED', 'FAILED'],
    ['TIMEOUT', 'FAILED'],
    ['STOPPED', 'FAILED'],
    ['SOMETHING_NEW', 'FAILED'],
  ] as const)('%s -> %s', (Status, outcome) => {
    expect(observeGlueTaskRun({ Status: Status as never }).outcome).toBe(outcome);
  });

  it('carries the ErrorString of a failed run and the service times', () => {
    expect(
      observeGlueTaskRun({
        Status: 'FAILED',
        ErrorString: 'No labels',
        StartedOn: new Date('2026-01-01T00:00:00Z'),
        CompletedOn: new Date('2026-01-01T00:10:00Z'),
      }),
    ).toEqual({
      outcome: 'FAILED',
      serviceStatus: 'FAILED',
      serviceError: 'No labels',
      jobStartedAt: '2026-01-01T00:00:00.000Z',
      jobCompletedAt: '2026-01-01T00:10:00.000Z',
    });
  });

  it('says why when a status is unknown or a failure has no text', () => {
    expect(observeGlueTaskRun({ Status: 'PAUSED' as never }).serviceError).toBe(
      'unexpected task run status "PAUSED"; treated as a failure',
    );
    expect(observeGlueTaskRun({ Status: 'TIMEOUT' }).serviceError).toBe(
      'the task run ended with status TIMEOUT',
    );
    expect(observeGlueTaskRun({}).outcome).toBe('FAILED');
  });
});

describe('get-glue-export-status', () => {
  const state = { ...glueState, tracking: tracking({ taskRunId: 'run-abc' }) };

  it('asks for the tracked task run and schedules the next check with backoff', async () => {
    glue.on(GetMLTaskRunCommand).resolves({ Status: 'RUNNING' });
    const out = await getStatus(state);
    expect(glue.commandCalls(GetMLTaskRunCommand)[0].args[0].input).toEqual({
      TransformId: 'tfm-1',
      TaskRunId: 'run-abc',
    });
    expect(out.tracking).toMatchObject({
      polls: 3,
      outcome: 'RUNNING',
      waitSeconds: 240,
      serviceStatus: 'RUNNING',
    });
  });

  it('reports success with the completion time', async () => {
    glue
      .on(GetMLTaskRunCommand)
      .resolves({ Status: 'SUCCEEDED', CompletedOn: new Date('2026-11-22T03:10:00Z') });
    expect((await getStatus(state)).tracking).toMatchObject({
      outcome: 'SUCCEEDED',
      jobCompletedAt: '2026-11-22T03:10:00.000Z',
    });
  });

  it.each([
    ['EntityNotFoundException', 'client', 'PermanentServiceError'],
    ['InvalidInputException', 'client', 'PermanentServiceError'],
    ['OperationTimeoutException', 'client', 'TransientServiceError'],
    ['InternalServiceException', 'server', 'TransientServiceError'],
  ] as const)('maps %s to %s', async (name, fault, expected) => {
    glue.on(GetMLTaskRunCommand).rejects(serviceError(name, fault));
    await expect(getStatus(state)).rejects.toMatchObject({
      name: expected,
      message: expect.stringContaining(
        `Glue GetMLTaskRun for transform tfm-1 task run run-abc failed: ${name}`,
      ),
    });
  });

  it('refuses state without a task run id', async () => {
    await expect(getStatus(glueState)).rejects.toMatchObject({ name: 'InvalidTaskState' });
  });

  it('calls no CancelMLTaskRun while the export is within its time limit', async () => {
    glue.on(GetMLTaskRunCommand).resolves({ Status: 'RUNNING' });
    const out = await getStatus(state);
    expect(glue.commandCalls(CancelMLTaskRunCommand)).toHaveLength(0);
    expect(out.tracking).not.toHaveProperty('jobCancelled');
  });
});

describe('get-glue-export-status at the time limit', () => {
  const pastDeadline = {
    ...glueState,
    tracking: tracking({ taskRunId: 'run-abc' }, { deadline: '2020-01-01T00:00:00.000Z' }),
  };

  it('cancels the task run that outlived its time limit and records it', async () => {
    glue.on(GetMLTaskRunCommand).resolves({ Status: 'RUNNING' });
    glue
      .on(CancelMLTaskRunCommand)
      .resolves({ TransformId: 'tfm-1', TaskRunId: 'run-abc', Status: 'STOPPING' });
    const out = await getStatus(pastDeadline);
    expect(glue.commandCalls(CancelMLTaskRunCommand).map((c) => c.args[0].input)).toEqual([
      { TransformId: 'tfm-1', TaskRunId: 'run-abc' },
    ]);
    expect(out.tracking).toMatchObject({ outcome: 'TIMED_OUT', jobCancelled: true, waitSeconds: 0 });
    expect(out.tracking).not.toHaveProperty('cancelError');
  });

  it.each([
    ['EntityNotFoundException', 'client'],
    ['InvalidInputException', 'client'],
    ['ThrottlingException', 'client'],
    ['InternalServiceException', 'server'],
  ] as const)(
    'still ends TIMED_OUT when CancelMLTaskRun fails with %s, recording why',
    async (name, fault) => {
      glue.on(GetMLTaskRunCommand).resolves({ Status: 'RUNNING' });
      glue.on(CancelMLTaskRunCommand).rejects(serviceError(name, fault));
      const out = await getStatus(pastDeadline);
      expect(out.tracking).toMatchObject({
        outcome: 'TIMED_OUT',
        jobCancelled: false,
        cancelError: `Glue CancelMLTaskRun for transform tfm-1 task run run-abc failed: ${name}: ${name} message from the service`,
      });
    },
  );

  it('cancels nothing when the task run ended by the time limit', async () => {
    glue.on(GetMLTaskRunCommand).resolves({ Status: 'SUCCEEDED' });
    const out = await getStatus(pastDeadline);
    expect(out.tracking?.outcome).toBe('SUCCEEDED');
    expect(glue.commandCalls(CancelMLTaskRunCommand)).toHaveLength(0);
  });
});
