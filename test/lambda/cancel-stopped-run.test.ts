/** The clean-up of a run that ended without its run event, against mocked Step Functions, Glue, Personalize and EventBridge. */
import {
  CancelMLTaskRunCommand,
  GetMLTaskRunCommand,
  GetMLTaskRunsCommand,
  GlueClient,
} from '@aws-sdk/client-glue';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDatasetExportJobCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  cleanUpEndedRun,
  isMapChildExecution,
  SECOND_LOOK_AFTER_MS,
  type ExecutionStatusChangeEvent,
} from '../../lambda/cancel-stopped-run';
import { useCatalog } from './catalog';
import { DATASET_ARN, glueState, JOB_ARN, personalizeState, run, serviceError, tracking } from './fixtures';

const sfn = mockClient(SFNClient);
const glue = mockClient(GlueClient);
const personalize = mockClient(PersonalizeClient);
const events = mockClient(EventBridgeClient);

const SM = 'arn:aws:states:us-east-1:111122223333:stateMachine:sm';
const MAP_RUN = 'arn:aws:states:us-east-1:111122223333:mapRun:sm/Export Each:mr-1';
const child = (i: number) => `arn:aws:states:us-east-1:111122223333:execution:sm/Export Each:child-${i}`;
const STOPPED_AT = new Date('2026-11-22T03:10:00Z');

const statusChange = (overrides: Record<string, unknown> = {}): ExecutionStatusChangeEvent => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: run.executionArn,
    stateMachineArn: SM,
    name: 'run-1',
    status: 'ABORTED',
    ...overrides,
  },
});

/** History events newest first, as GetExecutionHistory answers with reverseOrder. */
function history(
  ...steps: ({ entered: string; input: unknown } | { exited: string; output: unknown } | 'start')[]
) {
  const list: HistoryEvent[] = steps.map((step, i) => ({
    id: i + 1,
    timestamp: new Date(),
    ...(step === 'start'
      ? { type: 'ExecutionStarted' }
      : 'entered' in step
        ? {
            type: 'TaskStateEntered',
            stateEnteredEventDetails: { name: step.entered, input: JSON.stringify(step.input) },
          }
        : {
            type: 'TaskStateExited',
            stateExitedEventDetails: { name: step.exited, output: JSON.stringify(step.output) },
          }),
  }));
  return { events: list.reverse() };
}

const glueItem = { type: 'glue', name: 'labels' };
const personalizeItem = { type: 'personalize', name: 'interactions' };
const list = {
  run,
  exports: [glueItem, personalizeItem, { type: 'glue', name: 'done' }, { type: 'glue', name: 'later' }],
};
const childInput = (item: unknown) => JSON.stringify({ export: item, run });

/** A run stopped in its Map: labels and interactions waiting for their jobs, done succeeded, later never started. */
function stoppedInTheMap() {
  sfn.on(DescribeExecutionCommand, { executionArn: run.executionArn }).resolves({
    executionArn: run.executionArn,
    stateMachineArn: SM,
    name: 'run-1',
    status: 'ABORTED',
    startDate: new Date(run.startTime),
    stopDate: STOPPED_AT,
  });
  sfn
    .on(GetExecutionHistoryCommand, { executionArn: run.executionArn })
    .resolves(
      history(
        'start',
        { entered: 'Prepare Run', input: {} },
        { exited: 'Prepare Run', output: list },
        { entered: 'Export Each', input: list },
      ),
    );
  sfn.on(ListMapRunsCommand).resolves({
    mapRuns: [
      { mapRunArn: MAP_RUN, executionArn: run.executionArn, stateMachineArn: SM, startDate: new Date() },
    ],
  });
  sfn.on(ListExecutionsCommand, { mapRunArn: MAP_RUN }).resolves({
    executions: [0, 1, 2].map((i) => ({
      executionArn: child(i),
      name: `child-${i}`,
      stateMachineArn: SM,
      status: 'ABORTED',
      startDate: new Date(),
    })),
  });
  const children = [
    { status: 'ABORTED', input: childInput(glueItem) },
    { status: 'ABORTED', input: childInput(personalizeItem) },
    {
      status: 'SUCCEEDED',
      input: childInput({ type: 'glue', name: 'done' }),
      output: JSON.stringify({ name: 'done', type: 'glue', outcome: 'SUCCEEDED' }),
    },
  ];
  children.forEach((c, i) =>
    sfn
      .on(DescribeExecutionCommand, { executionArn: child(i) })
      .resolves({ executionArn: child(i), stateMachineArn: SM, startDate: new Date(), ...c } as never),
  );
  // Each waiting for its job, its tracking in the Wait state's input.
  sfn.on(GetExecutionHistoryCommand, { executionArn: child(0) }).resolves(
    history('start', {
      entered: 'Wait For Glue Export',
      input: { ...glueState, tracking: tracking({ taskRunId: 'tr-mine' }) },
    }),
  );
  sfn.on(GetExecutionHistoryCommand, { executionArn: child(1) }).resolves(
    history('start', {
      entered: 'Wait For Personalize Export',
      input: { ...personalizeState, tracking: tracking({ datasetExportJobArn: JOB_ARN, jobName: 'j' }) },
    }),
  );
}

const sentEvents = () =>
  events.commandCalls(PutEventsCommand).flatMap((c) =>
    (c.args[0].input.Entries ?? []).map((e) => ({
      detailType: e.DetailType,
      detail: JSON.parse(e.Detail!),
    })),
  );
const once = (event: ExecutionStatusChangeEvent) => cleanUpEndedRun(event, { secondLookAfterMs: 0 });

beforeEach(() => {
  for (const m of [sfn, glue, personalize, events]) m.reset();
  useCatalog([{ type: 'glue', name: 'labels', transformId: 'tfm-1', outputS3Prefix: 's3://b/l/' }]);
  Object.assign(process.env, {
    STATE_MACHINE_ARN: SM,
    EVENT_BUS: 'arn:aws:events:us-east-1:111122223333:event-bus/default',
    EVENT_SOURCE: 'ml-exports',
  });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  glue.on(GetMLTaskRunCommand).resolves({ Status: 'RUNNING' });
  glue.on(CancelMLTaskRunCommand).resolves({ Status: 'STOPPING' });
  glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
  personalize
    .on(DescribeDatasetExportJobCommand)
    .resolves({ datasetExportJob: { status: 'CREATE IN_PROGRESS' } });
});

describe('the clean-up of an ended run', () => {
  it('cancels the Glue task run, says the Personalize job still runs, and sends one event per unfinished export, then one run event', async () => {
    stoppedInTheMap();
    const report = await once(statusChange());
    expect(glue.commandCalls(CancelMLTaskRunCommand).map((c) => c.args[0].input)).toEqual([
      { TransformId: 'tfm-1', TaskRunId: 'tr-mine' },
    ]);
    expect(report.stopped.map(({ exportName, jobState }) => [exportName, jobState])).toEqual([
      ['labels', 'CANCELLED'],
      ['interactions', 'STILL_RUNNING'],
      ['later', 'NOT_STARTED'],
    ]);
    const sent = sentEvents();
    expect(sent.map((e) => `${e.detailType} ${e.detail.exportName ?? e.detail.status}`)).toEqual([
      'ML Export Stopped labels',
      'ML Export Stopped interactions',
      'ML Export Stopped later',
      'ML Export Run Stopped ABORTED',
    ]);
    expect(sent[0].detail).toEqual({
      exportName: 'labels',
      exportType: 'glue',
      outcome: 'STOPPED',
      outputS3Path: 's3://b/l/2026-11-22/run-1/',
      transformId: 'tfm-1',
      taskRunId: 'tr-mine',
      serviceStatus: 'STOPPING',
      startedAt: '2026-11-22T03:00:05.000Z',
      pollCount: 2,
      adoptedExistingJob: false,
      jobCancelled: true,
      jobState: 'CANCELLED',
      error: {
        type: 'RunStopped',
        message:
          'the run was stopped (StopExecution) at 2026-11-22T03:10:00.000Z while the export was at "Wait For Glue Export"; task run tr-mine was cancelled (CancelMLTaskRun)',
      },
      executionName: 'run-1',
      executionArn: run.executionArn,
    });
    expect(sent[1].detail).toMatchObject({
      datasetArn: DATASET_ARN,
      datasetExportJobArn: JOB_ARN,
      jobCancelled: false,
      jobState: 'STILL_RUNNING',
      serviceStatus: 'CREATE IN_PROGRESS',
      error: { message: expect.stringContaining('Personalize has no call to stop a dataset export job') },
    });
    expect(sent[2].detail).toMatchObject({
      jobState: 'NOT_STARTED',
      error: { message: expect.stringContaining('before the export started; no job had been started') },
    });
    expect(sent[3].detail).toEqual({
      executionName: 'run-1',
      executionArn: run.executionArn,
      status: 'ABORTED',
      startedAt: run.startTime,
      completedAt: STOPPED_AT.toISOString(),
      durationSeconds: 600,
      exportCount: 4,
      succeeded: 1,
      failed: 0,
      timedOut: 0,
      stopped: 3,
      failedExports: [],
      timedOutExports: [],
      stoppedExports: ['labels', 'interactions', 'later'],
      failedState: 'Export Each',
      error: {
        type: 'ExecutionAborted',
        message:
          'the run was stopped (StopExecution) at 2026-11-22T03:10:00.000Z in state "Export Each"; 3 export(s) had not ended, each told in its own ML Export Stopped event',
      },
    });
    // The event is a trigger only: the execution was confirmed with Step Functions first.
    expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input).toEqual({
      executionArn: run.executionArn,
    });
  });

  it('works the exports out from the run itself, whatever the configuration deployed now says', async () => {
    stoppedInTheMap();
    useCatalog([]); // "labels" removed, and no other export either
    await once(statusChange());
    expect(glue.commandCalls(CancelMLTaskRunCommand).map((c) => c.args[0].input)).toEqual([
      { TransformId: 'tfm-1', TaskRunId: 'tr-mine' },
    ]);
    expect(sentEvents()).toHaveLength(4);
  });

  it('delivers what ended children owe (a held event, a failed child) and sends nothing for an event already sent', async () => {
    stoppedInTheMap();
    const held = { detailType: 'ML Export Succeeded', detail: { exportName: 'done', outcome: 'SUCCEEDED' } };
    sfn.on(DescribeExecutionCommand, { executionArn: child(2) }).resolves({
      executionArn: child(2),
      status: 'SUCCEEDED',
      input: childInput({ type: 'glue', name: 'done' }),
      output: JSON.stringify({ name: 'done', type: 'glue', outcome: 'SUCCEEDED', heldEvent: held }),
    } as never);
    sfn.on(DescribeExecutionCommand, { executionArn: child(1) }).resolves({
      executionArn: child(1),
      status: 'FAILED',
      input: childInput(personalizeItem),
      error: 'States.Runtime',
      cause: 'boom',
    } as never);
    // labels had sent its event when it was stopped.
    sfn.on(GetExecutionHistoryCommand, { executionArn: child(0) }).resolves(
      history(
        'start',
        { entered: 'Emit Export Event', input: {} },
        {
          exited: 'Emit Export Event',
          output: { result: { name: 'labels', type: 'glue', outcome: 'SUCCEEDED' } },
        },
      ),
    );
    const report = await once(statusChange());
    expect(glue.commandCalls(CancelMLTaskRunCommand)).toHaveLength(0);
    expect(sentEvents().map((e) => `${e.detailType} ${e.detail.exportName ?? e.detail.status}`)).toEqual([
      'ML Export Failed interactions',
      'ML Export Succeeded done',
      'ML Export Stopped later',
      'ML Export Run Stopped ABORTED',
    ]);
    expect(report.owed).toBe(2);
    expect(sentEvents()[3].detail).toMatchObject({ succeeded: 2, failed: 1, stopped: 1, lateEvents: 2 });
  });

  it('sends the event a stopped child had made but not sent, as it was', async () => {
    stoppedInTheMap();
    const made = {
      detailType: 'ML Export Succeeded',
      detail: { exportName: 'labels', outcome: 'SUCCEEDED' },
    };
    sfn.on(GetExecutionHistoryCommand, { executionArn: child(0) }).resolves(
      history('start', {
        entered: 'Emit Export Event',
        input: { event: made, result: { name: 'labels', type: 'glue', outcome: 'SUCCEEDED' } },
      }),
    );
    await once(statusChange());
    expect(sentEvents()[0]).toEqual(made);
    expect(glue.commandCalls(CancelMLTaskRunCommand)).toHaveLength(0);
  });

  it('looks again, after a start in flight could have finished, for the task run it started (by its output path)', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      stoppedInTheMap();
      sfn
        .on(GetExecutionHistoryCommand, { executionArn: child(0) })
        .resolves(history('start', { entered: 'Start Glue Export', input: { export: glueItem, run } }));
      glue
        .on(GetMLTaskRunsCommand)
        .resolvesOnce({ TaskRuns: [] })
        .resolves({
          TaskRuns: [
            {
              TaskRunId: 'late',
              Status: 'STARTING',
              Properties: { ExportLabelsTaskRunProperties: { OutputS3Path: 's3://b/l/2026-11-22/run-1/' } },
            },
          ],
        });
      const done = cleanUpEndedRun(statusChange());
      await jest.advanceTimersByTimeAsync(SECOND_LOOK_AFTER_MS);
      const report = await done;
      expect(glue.commandCalls(CancelMLTaskRunCommand).map((c) => c.args[0].input)).toEqual([
        { TransformId: 'tfm-1', TaskRunId: 'late' },
      ]);
      expect(report.stopped[0]).toMatchObject({
        exportName: 'labels',
        jobState: 'CANCELLED',
        taskRunId: 'late',
      });
      expect(SECOND_LOOK_AFTER_MS).toBeGreaterThan(30_000); // the start task's own timeout
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends a run event for a run that failed in Prepare Run, with the state and the error', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: run.executionArn,
      stateMachineArn: SM,
      name: 'run-1',
      status: 'FAILED',
      startDate: new Date(run.startTime),
      stopDate: STOPPED_AT,
      error: 'PermanentServiceError',
      cause: JSON.stringify({
        errorMessage: 'Step Functions ListExecutions for sm failed: AccessDeniedException: no',
      }),
    });
    sfn.on(GetExecutionHistoryCommand).resolves(history('start', { entered: 'Prepare Run', input: {} }));
    await once(statusChange({ status: 'FAILED' }));
    expect(sfn.commandCalls(ListMapRunsCommand)).toHaveLength(0);
    expect(sentEvents()).toEqual([
      {
        detailType: 'ML Export Run Stopped',
        detail: expect.objectContaining({
          status: 'FAILED',
          exportCount: 0,
          stopped: 0,
          failedState: 'Prepare Run',
          error: {
            type: 'PermanentServiceError',
            message:
              'the run failed in state "Prepare Run": Step Functions ListExecutions for sm failed: AccessDeniedException: no',
          },
        }),
      },
    ]);
  });

  it('says a timed-out run reached the timeout', async () => {
    stoppedInTheMap();
    sfn.on(DescribeExecutionCommand, { executionArn: run.executionArn }).resolves({
      executionArn: run.executionArn,
      stateMachineArn: SM,
      name: 'run-1',
      status: 'TIMED_OUT',
      startDate: new Date(run.startTime),
      stopDate: STOPPED_AT,
    });
    await once(statusChange({ status: 'TIMED_OUT' }));
    const sent = sentEvents();
    expect(sent[0].detail.error.type).toBe('RunTimedOut');
    expect(sent[3].detail).toMatchObject({ status: 'TIMED_OUT', error: { type: 'ExecutionTimedOut' } });
  });

  it.each([
    [
      'a child execution of the Map',
      statusChange({ executionArn: child(0) }),
      'a child execution of the Distributed Map',
    ],
    ['not a status change', { detail: { name: 'x' } }, /^not an execution status change event/],
  ])('does nothing for %s', async (_what, event, why) => {
    expect((await once(event as ExecutionStatusChangeEvent)).skipped).toMatch(why);
    expect(sfn.calls()).toHaveLength(0);
    expect(isMapChildExecution(child(0))).toBe(true);
  });

  it.each([
    [
      "another state machine's execution",
      { stateMachineArn: `${SM}-other`, status: 'ABORTED' },
      /^not an execution of this state machine/,
    ],
    [
      'an execution running again (redriven)',
      { stateMachineArn: SM, status: 'RUNNING' },
      /^the execution is RUNNING/,
    ],
    [
      'an execution that succeeded',
      { stateMachineArn: SM, status: 'SUCCEEDED' },
      /^the execution is SUCCEEDED/,
    ],
  ])('confirms with Step Functions first, and touches nothing for %s', async (_what, described, why) => {
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: run.executionArn, startDate: new Date(), ...described } as never);
    expect((await once(statusChange())).skipped).toMatch(why);
    expect(glue.calls()).toHaveLength(0);
    expect(events.calls()).toHaveLength(0);
  });

  it('sends nothing for a run that sent its own run event (it failed in Run Failed)', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: run.executionArn,
      stateMachineArn: SM,
      status: 'FAILED',
      startDate: new Date(),
    });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves(
        history(
          'start',
          { entered: 'Emit Run Event', input: {} },
          { exited: 'Emit Run Event', output: {} },
          { entered: 'Run Failed', input: {} },
        ),
      );
    expect((await once(statusChange({ status: 'FAILED' }))).skipped).toBe(
      'the run sent its own run event (it ended in "Run Failed")',
    );
    expect(events.calls()).toHaveLength(0);
  });

  it('fails as transient before sending anything when a service throttles, so that Lambda runs it again', async () => {
    stoppedInTheMap();
    glue.on(GetMLTaskRunCommand).rejects(serviceError('ThrottlingException'));
    await expect(once(statusChange())).rejects.toMatchObject({ name: 'TransientServiceError' });
    expect(events.calls()).toHaveLength(0);
  });

  it('says when a task run could not be cancelled, and why', async () => {
    stoppedInTheMap();
    glue.on(CancelMLTaskRunCommand).rejects(serviceError('InvalidInputException'));
    await once(statusChange());
    expect(sentEvents()[0].detail).toMatchObject({
      jobCancelled: false,
      jobState: 'STILL_RUNNING',
      error: {
        message: expect.stringContaining(
          'task run tr-mine could not be cancelled and may still be running (Glue CancelMLTaskRun for transform tfm-1 task run tr-mine failed: InvalidInputException',
        ),
      },
    });
  });
});
