/** The end of each export: its one terminal event and the result the run counts. */
import { finalizeExport, handler as finalizeHandler } from '../../lambda/finalize-export';
import { logger } from '../../lambda/shared/logger';
import { useCatalog } from './catalog';
import { glueState, JOB_ARN, JOB_NAME, personalizeState, run, tracking } from './fixtures';

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
  it('writes one "Export ended" JSON line with the outcome and duration at the top level, for people and Logs Insights', async () => {
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
