/** The start tasks' look-ups of each export's past runs, and what the schedule makes of them. */
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
  type DatasetExportJobSummary,
} from '@aws-sdk/client-personalize';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as getGlueStatus } from '../../lambda/get-glue-export-status';
import { logger } from '../../lambda/shared/logger';
import { handler as startGlue } from '../../lambda/start-glue-export';
import { handler as startPersonalize } from '../../lambda/start-personalize-export';
import {
  DATASET_ARN,
  JOB_ARN,
  JOB_NAME,
  glueState,
  personalizeState,
  polling,
  serviceError,
  useRunStanding,
} from './fixtures';

const glue = mockClient(GlueClient);
useRunStanding();
const personalize = mockClient(PersonalizeClient);
let warn: jest.SpyInstance;
beforeEach(() => {
  glue.reset();
  personalize.reset();
  warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());

const HISTORY_FILTER = { Filter: { TaskRunType: 'EXPORT_LABELS', Status: 'SUCCEEDED' } } as const;
const DAY = 86_400_000;
const hourRuns = [3600, 3571, 3641, 3537, 3662];
/** Summary of hourRuns, and the first wait it gives: half a step (72 s) before p10. */
const hourSummary = { samples: 5, lowSeconds: 3551, expectedSeconds: 3600, highSeconds: 3654 };

/** Past task runs of the export, each in its run's folder below the export's prefix (s3://b/l/). */
const pastTaskRuns = (seconds: number[], prefix = 's3://b/l/'): TaskRun[] =>
  seconds.map((s, i) => {
    const started = Date.parse('2026-11-21T03:00:00Z') - i * DAY;
    const day = new Date(started).toISOString().slice(0, 10);
    return {
      TaskRunId: `past-${i}`,
      Status: 'SUCCEEDED',
      Properties: {
        TaskType: 'EXPORT_LABELS',
        ExportLabelsTaskRunProperties: { OutputS3Path: `${prefix}${day}/nightly-${day}/` },
      },
      StartedOn: new Date(started),
      CompletedOn: new Date(started + s * 1000),
    };
  });
const mine = { ExportLabelsTaskRunProperties: { OutputS3Path: 's3://b/l/2026-11-20/nightly/' } };

function glueStarts(history: TaskRun[] | Error) {
  glue.on(GetMLTaskRunsCommand).resolves({ TaskRuns: [] });
  const lookUp = glue.on(GetMLTaskRunsCommand, HISTORY_FILTER);
  if (history instanceof Error) lookUp.rejects(history);
  else lookUp.resolves({ TaskRuns: history });
  glue.on(StartExportLabelsTaskRunCommand).resolves({ TaskRunId: 'run-abc' });
}

describe('Glue: the transform history (GetMLTaskRuns)', () => {
  it('asks for one page of its last SUCCEEDED label exports, newest first, after starting the job', async () => {
    glueStarts(pastTaskRuns(hourRuns));
    const out = await startGlue(glueState);
    const calls = glue.calls().map((c) => c.args[0].constructor.name);
    // Adoption look-up, the transform's task runs RUNNING and STARTING (its quota), the start, the history.
    expect(calls).toEqual([
      'GetMLTaskRunsCommand',
      'GetMLTaskRunsCommand',
      'GetMLTaskRunsCommand',
      'StartExportLabelsTaskRunCommand',
      'GetMLTaskRunsCommand',
    ]);
    expect(glue.commandCalls(GetMLTaskRunsCommand)[3].args[0].input).toEqual({
      TransformId: 'tfm-1',
      MaxResults: 100,
      Filter: { TaskRunType: 'EXPORT_LABELS', Status: 'SUCCEEDED' },
      Sort: { Column: 'STARTED', SortDirection: 'DESCENDING' },
    });
    expect(out.tracking).toMatchObject({ history: hourSummary, waitSeconds: 3516, polls: 0 });
  });

  it('uses ExecutionTime when a run has no times, and skips the current run and other task types', async () => {
    glueStarts([
      { TaskRunId: 'run-abc', Status: 'SUCCEEDED', ExecutionTime: 5, Properties: mine },
      {
        TaskRunId: 'x',
        Status: 'SUCCEEDED',
        Properties: { ...mine, TaskType: 'LABELING_SET_GENERATION' },
        ExecutionTime: 9,
      },
      ...[100, 101, 99].map((s, i) => ({
        TaskRunId: `p${i}`,
        Status: 'SUCCEEDED' as const,
        ExecutionTime: s,
        Properties: mine,
      })),
    ]);
    expect((await startGlue(glueState)).tracking?.history).toEqual({
      samples: 3,
      lowSeconds: 99,
      expectedSeconds: 100,
      highSeconds: 101,
    });
  });

  it("is timed from the export's own task runs only: those another export of the transform wrote elsewhere do not count", async () => {
    // An export given in a run's input (a backfill of the same transform, under its own prefix) took 10 h.
    glueStarts([...pastTaskRuns([36_000, 36_000, 36_000], 's3://b/backfills/'), ...pastTaskRuns(hourRuns)]);
    expect((await startGlue(glueState)).tracking?.history).toEqual(hourSummary);
  });

  it('keeps the backoff with too little history, and does not look with strategy "backoff"', async () => {
    glueStarts(pastTaskRuns([3600, 3590]));
    expect((await startGlue(glueState)).tracking).toMatchObject({ waitSeconds: 30, history: { samples: 2 } });
    glue.reset();
    glueStarts(pastTaskRuns(hourRuns));
    const out = await startGlue({
      ...glueState,
      run: { ...glueState.run, polling: { ...polling, strategy: 'backoff' } },
    });
    expect(out.tracking).toMatchObject({ waitSeconds: 30 });
    expect(out.tracking?.history).toBeUndefined();
    // The adoption look-up and the quota count only.
    expect(glue.commandCalls(GetMLTaskRunsCommand)).toHaveLength(3);
  });

  it.each([
    ['EntityNotFoundException', 'client'],
    ['InvalidInputException', 'client'],
    ['OperationTimeoutException', 'client'],
    ['InternalServiceException', 'server'],
    ['ThrottlingException', 'client'],
    ['AccessDeniedException', 'client'],
  ] as const)(
    '%s from the look-up: the export goes on with the backoff and a warning',
    async (name, fault) => {
      glueStarts(serviceError(name, fault));
      const out = await startGlue(glueState);
      expect(out.tracking).toMatchObject({
        job: { taskRunId: 'run-abc' },
        waitSeconds: 30,
        outcome: 'RUNNING',
      });
      expect(out.tracking?.history).toBeUndefined();
      expect(warn).toHaveBeenCalledWith('Could not look up the export history; polling with the backoff', {
        exportName: 'labels',
        transformId: 'tfm-1',
        error: `${name}: ${name} message from the service`,
      });
    },
  );

  it('times the checks after the first from the history too, from the job start the service reports', async () => {
    glue.on(GetMLTaskRunCommand).resolves({ Status: 'RUNNING', StartedOn: new Date('2026-11-22T03:00:00Z') });
    const now = Date.parse('2026-11-22T03:58:36Z'); // 3516 s after the job started: the first planned check
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate', 'setTimeout'] });
    try {
      const out = await getGlueStatus({
        ...glueState,
        run: { ...glueState.run, polling: { ...polling, maxExportSeconds: 43_200 } },
        tracking: {
          job: { taskRunId: 'run-abc' },
          adopted: false,
          trackingStartedAt: '2026-11-22T03:00:00.000Z',
          deadline: '2026-11-22T15:00:00.000Z',
          polls: 0,
          waitSeconds: 3516,
          outcome: 'RUNNING',
          history: hourSummary,
        },
      });
      // The next check a step (2 % of the hour less 2 s for the check itself) later.
      expect(out.tracking).toMatchObject({ polls: 1, waitSeconds: 70, history: hourSummary });
    } finally {
      jest.useRealTimers();
    }
  });
});

const pastJobs = (seconds: number[], prefix = 'mlx-12-interactions-nightly'): DatasetExportJobSummary[] =>
  seconds.map((s, i) => {
    const created = Date.parse('2026-11-21T03:00:00Z') - i * DAY;
    return {
      jobName: `${prefix}-2026-11-${21 - i}-0000000${i}`,
      status: 'ACTIVE',
      creationDateTime: new Date(created),
      lastUpdatedDateTime: new Date(created + s * 1000),
    };
  });

function personalizeStarts(history: DatasetExportJobSummary[] | Error) {
  personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
  personalize.on(CreateDatasetExportJobCommand).resolves({ datasetExportJobArn: JOB_ARN });
  const lookUp = personalize.on(ListDatasetExportJobsCommand);
  if (history instanceof Error) lookUp.rejects(history);
  else lookUp.resolves({ datasetExportJobs: history });
}

describe('Personalize: the dataset export history (ListDatasetExportJobs)', () => {
  it("asks for one page of the dataset's jobs after creating the job, and keeps this export's ACTIVE ones", async () => {
    personalizeStarts([
      { jobName: JOB_NAME, status: 'CREATE PENDING', creationDateTime: new Date('2026-11-22T03:00:00Z') },
      ...pastJobs([60_000, 50_000], 'mlx-12-other-export-nightly'),
      // Export "interactions-bulk" on the same dataset: its names start with mlx-interactions- too, but
      // not with this export's own mlx-12-interactions-.
      ...pastJobs([3300, 3300, 3300], 'mlx-17-interactions-bulk-nightly'),
      { ...pastJobs([10])[0], jobName: 'mlx-12-interactions-failed-1', status: 'CREATE FAILED' },
      // Jobs named before the length was part of the name: not told apart, so not counted.
      ...pastJobs([3300, 3300, 3300], 'mlx-interactions-nightly'),
      ...pastJobs(hourRuns).reverse(),
    ]);
    const out = await startPersonalize(personalizeState);
    expect(personalize.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'DescribeDatasetExportJobCommand',
      'CreateDatasetExportJobCommand',
      'ListDatasetExportJobsCommand',
    ]);
    expect(personalize.commandCalls(ListDatasetExportJobsCommand)[0].args[0].input).toEqual({
      datasetArn: DATASET_ARN,
      maxResults: 100,
    });
    expect(out.tracking).toMatchObject({ history: hourSummary, waitSeconds: 3516 });
  });

  it('counts an adopted job from its creation, and takes only the newest ten', async () => {
    const created = Date.now() - 3000_000;
    personalize.on(DescribeDatasetExportJobCommand).resolves({
      datasetExportJob: {
        jobName: JOB_NAME,
        datasetArn: DATASET_ARN,
        status: 'CREATE IN_PROGRESS',
        creationDateTime: new Date(created),
        jobOutput: { s3DataDestination: { path: 's3://b/p/2026-11-22/run-1/' } },
      },
    });
    personalize
      .on(ListDatasetExportJobsCommand)
      .resolves({ datasetExportJobs: pastJobs([...hourRuns, ...hourRuns, 99_999]) });
    const out = await startPersonalize(personalizeState);
    expect(out.tracking).toMatchObject({
      adopted: true,
      history: { samples: 10, lowSeconds: 3537, expectedSeconds: 3600, highSeconds: 3662 },
    });
    // First check 3501 s (p10 less half a step of 72 s) from the job's creation, which was 3000 s ago.
    expect(out.tracking?.waitSeconds).toBeGreaterThanOrEqual(500);
    expect(out.tracking?.waitSeconds).toBeLessThanOrEqual(502);
  });

  it.each([
    ['InvalidInputException', 'client'],
    ['InvalidNextTokenException', 'client'],
    ['ThrottlingException', 'client'],
    ['AccessDeniedException', 'client'],
  ] as const)(
    '%s from the look-up: the export goes on with the backoff and a warning',
    async (name, fault) => {
      personalizeStarts(serviceError(name, fault));
      const out = await startPersonalize(personalizeState);
      expect(out.tracking).toMatchObject({ job: { datasetExportJobArn: JOB_ARN }, waitSeconds: 30 });
      expect(out.tracking?.history).toBeUndefined();
      expect(warn).toHaveBeenCalledWith('Could not look up the export history; polling with the backoff', {
        exportName: 'interactions',
        datasetArn: DATASET_ARN,
        error: `${name}: ${name} message from the service`,
      });
    },
  );

  it('does not look with strategy "backoff"', async () => {
    personalizeStarts(pastJobs(hourRuns));
    const out = await startPersonalize({
      ...personalizeState,
      run: { ...personalizeState.run, polling: { ...polling, strategy: 'backoff' } },
    });
    expect(out.tracking).toMatchObject({ waitSeconds: 30 });
    expect(personalize.commandCalls(ListDatasetExportJobsCommand)).toHaveLength(0);
  });
});
