/**
 * The start and status tasks on a redriven run (a task run cancelled by the stop is replaced, not adopted;
 * a newer run exporting the same data wins) and Glue's per-transform quota counted before a start.
 */
import {
  GetMLTaskRunCommand,
  GetMLTaskRunsCommand,
  GlueClient,
  StartExportLabelsTaskRunCommand,
  type TaskRun,
} from '@aws-sdk/client-glue';
import {
  CreateDatasetExportJobCommand,
  DescribeDatasetExportJobCommand,
  ListDatasetExportJobsCommand,
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as getGlueStatus } from '../../lambda/get-glue-export-status';
import { handler as startGlue } from '../../lambda/start-glue-export';
import { handler as startPersonalize } from '../../lambda/start-personalize-export';
import { useCatalog } from './catalog';
import {
  glueState,
  JOB_ARN,
  personalizeState,
  run,
  serviceError,
  tracking,
  useRunStanding,
} from './fixtures';

const glue = mockClient(GlueClient);
const personalize = mockClient(PersonalizeClient);
const { sfn, standing } = useRunStanding();
beforeEach(() => {
  glue.reset();
  personalize.reset();
  useCatalog([
    { type: 'glue', name: 'labels', transformId: 'tfm-1', outputS3Prefix: 's3://b/l/' },
    {
      type: 'personalize',
      name: 'interactions',
      datasetArn: personalizeState.export.type === 'personalize' ? personalizeState.export.datasetArn : '',
      roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExport',
      outputS3Prefix: 's3://b/p/',
      ingestionMode: 'BULK',
    },
  ]);
});

const STOPPED_AT = new Date('2026-11-22T03:10:00Z');
const REDRIVEN_AT = new Date('2026-11-22T04:00:00Z');
const cancelledByTheStop: TaskRun = {
  TaskRunId: 'cancelled',
  Status: 'STOPPED',
  StartedOn: new Date('2026-11-22T03:00:05Z'),
  CompletedOn: STOPPED_AT,
  Properties: { ExportLabelsTaskRunProperties: { OutputS3Path: 's3://b/l/2026-11-22/run-1/' } },
};
const sm = 'arn:aws:states:us-east-1:111122223333:stateMachine:sm';
/** Another run exporting the same transform and dataset, started while run-1 was stopped. */
const newer = {
  executionArn: `${sm.replace(':stateMachine:', ':execution:')}:nightly-newer`,
  stateMachineArn: sm,
  name: 'nightly-newer',
  status: 'RUNNING' as const,
  startDate: new Date('2026-11-22T03:30:00Z'),
};

function redrivenWhile(others: (typeof newer)[]) {
  standing({ redriveCount: 1, redriveDate: REDRIVEN_AT });
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      {
        executionArn: run.executionArn,
        stateMachineArn: sm,
        name: 'run-1',
        status: 'RUNNING',
        startDate: new Date(run.startTime),
        redriveCount: 1,
        redriveDate: REDRIVEN_AT,
      },
      ...others,
    ],
  });
  sfn.on(DescribeExecutionCommand, { executionArn: newer.executionArn }).resolves({ ...newer, input: '{}' });
}

describe('a redriven run', () => {
  it('does not adopt the task run the stop cancelled: it starts a new one for the same output path', async () => {
    redrivenWhile([]);
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(GetMLTaskRunsCommand, { Filter: { TaskRunType: 'EXPORT_LABELS' } }).resolves({
      TaskRuns: [cancelledByTheStop],
    });
    glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'new' });
    const out = await startGlue(glueState);
    expect(out.tracking).toMatchObject({ job: { taskRunId: 'new' }, adopted: false });
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)).toHaveLength(1);
  });

  it('still adopts a stopped task run of this attempt (stopped by someone while it was watched): that is the outcome', async () => {
    // Not redriven: the STOPPED task run is this run's, and the export reports it.
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [cancelledByTheStop] });
    const out = await startGlue(glueState);
    expect(out.tracking).toMatchObject({ job: { taskRunId: 'cancelled' }, adopted: true });
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)).toHaveLength(0);
  });

  it('sends the export back to its start when the status task finds the task run cancelled before the redrive', async () => {
    redrivenWhile([]);
    glue.on(GetMLTaskRunCommand).resolves(cancelledByTheStop);
    const out = await getGlueStatus({ ...glueState, tracking: tracking({ taskRunId: 'cancelled' }) });
    expect(out.tracking).toMatchObject({ outcome: 'RESTART', serviceStatus: 'STOPPED', polls: 2 });
  });

  it('reports a task run stopped during this attempt as the failure it is', async () => {
    glue
      .on(GetMLTaskRunCommand)
      .resolves({ ...cancelledByTheStop, StartedOn: new Date(Date.now() - 60_000) });
    const out = await getGlueStatus({ ...glueState, tracking: tracking({ taskRunId: 'cancelled' }) });
    expect(out.tracking).toMatchObject({ outcome: 'FAILED', serviceStatus: 'STOPPED' });
  });

  it('yields to a newer run exporting the same transform: the export fails with RunSkipped, starting nothing', async () => {
    redrivenWhile([newer]);
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [cancelledByTheStop] });
    await expect(startGlue(glueState)).rejects.toMatchObject({
      name: 'RunSkipped',
      message:
        'execution nightly-newer (started 2026-11-22T03:30:00.000Z) is still running and exports the same data as labels, so export labels started no task run (arn:aws:states:us-east-1:111122223333:execution:sm:nightly-newer)',
    });
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)).toHaveLength(0);
  });

  it('yields to a newer run exporting the same dataset before creating a job, but adopts its own job', async () => {
    redrivenWhile([newer]);
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
    await expect(startPersonalize(personalizeState)).rejects.toMatchObject({ name: 'RunSkipped' });
    expect(personalize.commandCalls(CreateDatasetExportJobCommand)).toHaveLength(0);
    // A Personalize job cannot be stopped: the one the stop left running is still this export's.
    personalize.on(DescribeDatasetExportJobCommand).resolves({
      datasetExportJob: {
        datasetArn: personalizeState.export.type === 'personalize' ? personalizeState.export.datasetArn : '',
        status: 'CREATE IN_PROGRESS',
        jobOutput: { s3DataDestination: { path: 's3://b/p/2026-11-22/run-1/' } },
      },
    });
    personalize.on(ListDatasetExportJobsCommand).resolves({ datasetExportJobs: [] });
    const out = await startPersonalize(personalizeState);
    expect(out.tracking).toMatchObject({ job: { datasetExportJobArn: JOB_ARN }, adopted: true });
  });

  it('goes ahead when the other run started after the redrive (that one yields instead)', async () => {
    redrivenWhile([{ ...newer, startDate: new Date(REDRIVEN_AT.getTime() + 1000) }]);
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'new' });
    await expect(startGlue(glueState)).resolves.toMatchObject({ tracking: { job: { taskRunId: 'new' } } });
  });
});

describe("Glue's quota of task runs per transform", () => {
  it('waits for capacity, without calling the start, while the transform has 3 task runs starting or running', async () => {
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(GetMLTaskRunsCommand, { Filter: { Status: 'RUNNING' } }).resolves({
      TaskRuns: [{ Status: 'RUNNING' }, { Status: 'RUNNING' }],
    });
    glue.on(GetMLTaskRunsCommand, { Filter: { Status: 'STARTING' } }).resolves({
      TaskRuns: [{ Status: 'STARTING' }],
    });
    const out = await startGlue(glueState);
    expect(glue.commandCalls(StartExportLabelsTaskRunCommand)).toHaveLength(0);
    expect(out.capacity).toMatchObject({
      outcome: 'WAITING',
      attempts: 1,
      lastRefusal:
        "TransformAtCapacity: transform tfm-1 has 3 task runs starting or running, Glue's quota per transform (3)",
    });
    expect(
      glue
        .commandCalls(GetMLTaskRunsCommand)
        .slice(1)
        .map((c) => c.args[0].input),
    ).toEqual([
      { TransformId: 'tfm-1', MaxResults: 3, Filter: { Status: 'RUNNING' } },
      { TransformId: 'tfm-1', MaxResults: 3, Filter: { Status: 'STARTING' } },
    ]);
  });

  it('starts with fewer than 3', async () => {
    glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
    glue.on(GetMLTaskRunsCommand, { Filter: { Status: 'RUNNING' } }).resolves({
      TaskRuns: [{ Status: 'RUNNING' }, { Status: 'RUNNING' }],
    });
    glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'new' });
    expect((await startGlue(glueState)).tracking?.job).toEqual({ taskRunId: 'new' });
  });
});
