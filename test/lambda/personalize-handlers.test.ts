import {
  CreateDatasetExportJobCommand,
  DescribeDatasetExportJobCommand,
  PersonalizeClient,
  type DatasetExportJob,
} from '@aws-sdk/client-personalize';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as getStatus } from '../../lambda/get-personalize-export-status';
import { observeDatasetExportJob } from '../../lambda/get-personalize-export-status/status';
import { handler as start } from '../../lambda/start-personalize-export';
import { personalizeJobName } from '../../lambda/shared/naming';
import { useCatalog } from './catalog';
import {
  DATASET_ARN,
  JOB_ARN,
  JOB_NAME,
  personalizeState,
  polling,
  run,
  serviceError,
  tracking,
  useRunStanding,
} from './fixtures';

const personalize = mockClient(PersonalizeClient);
useRunStanding();
beforeEach(() => personalize.reset());

const existingJob = (overrides: Partial<DatasetExportJob> = {}): DatasetExportJob => ({
  jobName: JOB_NAME,
  datasetExportJobArn: JOB_ARN,
  datasetArn: DATASET_ARN,
  status: 'CREATE IN_PROGRESS',
  jobOutput: { s3DataDestination: { path: 's3://b/p/2026-11-22/run-1/' } },
  ...overrides,
});

describe('start-personalize-export', () => {
  it('describes first, then creates the job under its deterministic name', async () => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
    personalize.on(CreateDatasetExportJobCommand).resolves({ datasetExportJobArn: JOB_ARN });
    const out = await start(personalizeState);
    expect(personalize.commandCalls(DescribeDatasetExportJobCommand)[0].args[0].input).toEqual({
      datasetExportJobArn: JOB_ARN,
    });
    expect(personalize.commandCalls(CreateDatasetExportJobCommand)[0].args[0].input).toEqual({
      jobName: JOB_NAME,
      datasetArn: DATASET_ARN,
      roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExport',
      ingestionMode: 'BULK',
      jobOutput: { s3DataDestination: { path: 's3://b/p/2026-11-22/run-1/', kmsKeyArn: undefined } },
    });
    expect(out.tracking).toMatchObject({
      job: { datasetExportJobArn: JOB_ARN, jobName: JOB_NAME },
      adopted: false,
      polls: 0,
    });
  });

  it('resolves a configured export from the catalog, filling in the created role from the environment', async () => {
    useCatalog([
      {
        type: 'personalize',
        name: 'interactions',
        datasetArn: DATASET_ARN,
        roleArn: '{{ml-exports:personalize-role-arn}}',
        outputS3Prefix: 's3://{{ml-exports:output-bucket}}/p/',
        ingestionMode: 'PUT',
      },
    ]);
    process.env.ML_EXPORTS_PERSONALIZE_ROLE_ARN = 'arn:aws:iam::111122223333:role/Created';
    process.env.ML_EXPORTS_OUTPUT_BUCKET = 'created-bucket';
    try {
      personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
      personalize.on(CreateDatasetExportJobCommand).resolves({ datasetExportJobArn: JOB_ARN });
      const out = await start({ export: { type: 'personalize', name: 'interactions' }, run });
      expect(personalize.commandCalls(CreateDatasetExportJobCommand)[0].args[0].input).toEqual({
        jobName: personalizeJobName(run, 'interactions'),
        datasetArn: DATASET_ARN,
        roleArn: 'arn:aws:iam::111122223333:role/Created',
        ingestionMode: 'PUT',
        jobOutput: {
          s3DataDestination: { path: 's3://created-bucket/p/2026-11-22/run-1/', kmsKeyArn: undefined },
        },
      });
      expect(out.export).toMatchObject({ outputS3Path: 's3://created-bucket/p/2026-11-22/run-1/' });
    } finally {
      delete process.env.ML_EXPORTS_PERSONALIZE_ROLE_ARN;
      delete process.env.ML_EXPORTS_OUTPUT_BUCKET;
    }
  });

  it('refuses an item whose type does not match the configured export of that name', async () => {
    useCatalog([personalizeState.export]);
    await expect(start({ export: { type: 'glue', name: 'interactions' }, run })).rejects.toMatchObject({
      name: 'ExportNotConfigured',
    });
  });

  it('passes the KMS key when one is configured', async () => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
    personalize.on(CreateDatasetExportJobCommand).resolves({ datasetExportJobArn: JOB_ARN });
    const kmsKeyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234';
    await start({ ...personalizeState, export: { ...personalizeState.export, kmsKeyArn } as never });
    expect(
      personalize.commandCalls(CreateDatasetExportJobCommand)[0].args[0].input.jobOutput?.s3DataDestination
        ?.kmsKeyArn,
    ).toBe(kmsKeyArn);
  });

  it('adopts the job when it already exists for the same dataset and path (a retried start)', async () => {
    personalize.on(DescribeDatasetExportJobCommand).resolves({ datasetExportJob: existingJob() });
    const out = await start(personalizeState);
    expect(personalize.commandCalls(CreateDatasetExportJobCommand)).toHaveLength(0);
    expect(out.tracking).toMatchObject({ adopted: true, job: { datasetExportJobArn: JOB_ARN } });
  });

  it('adopts on ResourceAlreadyExistsException when the create raced an earlier attempt', async () => {
    personalize
      .on(DescribeDatasetExportJobCommand)
      .rejectsOnce(serviceError('ResourceNotFoundException'))
      .resolves({ datasetExportJob: existingJob() });
    personalize.on(CreateDatasetExportJobCommand).rejects(serviceError('ResourceAlreadyExistsException'));
    expect((await start(personalizeState)).tracking).toMatchObject({ adopted: true });
  });

  it.each([
    ['another dataset', { datasetArn: DATASET_ARN.replace('INTERACTIONS', 'ITEMS') }],
    ['another path', { jobOutput: { s3DataDestination: { path: 's3://elsewhere/' } } }],
  ])('refuses to adopt a job of the same name for %s', async (_what, overrides) => {
    personalize.on(DescribeDatasetExportJobCommand).resolves({ datasetExportJob: existingJob(overrides) });
    await expect(start(personalizeState)).rejects.toMatchObject({
      name: 'ExportConflict',
      message: expect.stringContaining(`Personalize job ${JOB_NAME} already exists for dataset`),
    });
    expect(personalize.commandCalls(CreateDatasetExportJobCommand)).toHaveLength(0);
  });

  it.each([
    ['InvalidInputException', 'client', 'PermanentServiceError'],
    ['ResourceNotFoundException', 'client', 'PermanentServiceError'],
    ['TooManyTagsException', 'client', 'PermanentServiceError'],
    ['AccessDeniedException', 'client', 'PermanentServiceError'],
    ['ResourceInUseException', 'client', 'TransientServiceError'],
    ['InternalServerError', 'server', 'TransientServiceError'],
  ] as const)('maps %s from CreateDatasetExportJob to %s', async (name, fault, expected) => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
    personalize.on(CreateDatasetExportJobCommand).rejects(serviceError(name, fault));
    await expect(start(personalizeState)).rejects.toMatchObject({
      name: expected,
      message: `Personalize CreateDatasetExportJob for dataset ${DATASET_ARN} failed: ${name}: ${name} message from the service`,
    });
  });

  it('waits for capacity when the quota of unfinished export jobs is full (LimitExceededException), then starts', async () => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
    personalize.on(CreateDatasetExportJobCommand).rejects(
      Object.assign(serviceError('LimitExceededException'), {
        message: 'More than 5 resources with PENDING or IN_PROGRESS status.',
      }),
    );
    const waiting = await start(personalizeState);
    expect(waiting.tracking).toBeUndefined();
    expect(waiting.capacity).toMatchObject({
      outcome: 'WAITING',
      attempts: 1,
      waitSeconds: 30,
      lastRefusal: 'LimitExceededException: More than 5 resources with PENDING or IN_PROGRESS status.',
    });
    // The export's time limit counts from the first refused attempt, and is kept by the job once it starts.
    const since = Date.parse(waiting.capacity!.since);
    expect(Date.parse(waiting.capacity!.deadline) - since).toBe(polling.maxExportSeconds * 1000);
    const again = await start(waiting);
    expect(again.capacity).toMatchObject({ attempts: 2, waitSeconds: 60, since: waiting.capacity!.since });
    personalize.on(CreateDatasetExportJobCommand).resolves({ datasetExportJobArn: JOB_ARN });
    const started = await start(again);
    expect(started.tracking).toMatchObject({ outcome: 'RUNNING', deadline: waiting.capacity!.deadline });
    expect(started.capacity?.attempts).toBe(2);
  });

  it('ends TIMED_OUT, never started, when no slot frees before the time limit', async () => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('ResourceNotFoundException'));
    personalize.on(CreateDatasetExportJobCommand).rejects(serviceError('LimitExceededException'));
    const past = new Date(Date.now() - 1000).toISOString();
    const out = await start({
      ...personalizeState,
      capacity: {
        outcome: 'WAITING',
        since: past,
        deadline: past,
        attempts: 9,
        waitSeconds: 360,
        lastRefusal: 'x',
      },
    });
    expect(out.capacity).toMatchObject({ outcome: 'TIMED_OUT', attempts: 10, waitSeconds: 0 });
    expect(out.tracking).toBeUndefined();
  });

  it('maps InvalidInputException from the first describe to a permanent error without creating', async () => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError('InvalidInputException'));
    await expect(start(personalizeState)).rejects.toMatchObject({ name: 'PermanentServiceError' });
    expect(personalize.commandCalls(CreateDatasetExportJobCommand)).toHaveLength(0);
  });
});

describe('observeDatasetExportJob', () => {
  it.each([
    ['CREATE PENDING', 'RUNNING'],
    ['CREATE IN_PROGRESS', 'RUNNING'],
    ['ACTIVE', 'SUCCEEDED'],
    ['CREATE FAILED', 'FAILED'],
    ['DELETE PENDING', 'FAILED'],
    ['', 'FAILED'],
  ])('%j -> %s', (status, outcome) => {
    expect(observeDatasetExportJob({ status }).outcome).toBe(outcome);
  });

  it('carries the failureReason and the times', () => {
    expect(
      observeDatasetExportJob({
        status: 'CREATE FAILED',
        failureReason: 'Access denied to s3://b/p/',
        creationDateTime: new Date('2026-01-01T00:00:00Z'),
        lastUpdatedDateTime: new Date('2026-01-01T00:30:00Z'),
      }),
    ).toEqual({
      outcome: 'FAILED',
      serviceStatus: 'CREATE FAILED',
      serviceError: 'Access denied to s3://b/p/',
      jobStartedAt: '2026-01-01T00:00:00.000Z',
      jobCompletedAt: '2026-01-01T00:30:00.000Z',
    });
  });

  it('takes no completion time from a job still running or in an unknown status', () => {
    const times = {
      creationDateTime: new Date('2026-01-01T00:00:00Z'),
      lastUpdatedDateTime: new Date('2026-01-01T00:30:00Z'),
    };
    expect(observeDatasetExportJob({ status: 'CREATE IN_PROGRESS', ...times })).not.toHaveProperty(
      'jobCompletedAt',
    );
    expect(observeDatasetExportJob({ status: 'DELETE PENDING', ...times })).toMatchObject({
      outcome: 'FAILED',
      jobStartedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(observeDatasetExportJob({ status: 'DELETE PENDING', ...times })).not.toHaveProperty(
      'jobCompletedAt',
    );
    expect(observeDatasetExportJob({ status: 'ACTIVE', ...times }).jobCompletedAt).toBe(
      '2026-01-01T00:30:00.000Z',
    );
  });

  it('explains an unknown status instead of polling it forever', () => {
    expect(observeDatasetExportJob({ status: 'DELETE PENDING' }).serviceError).toBe(
      'unexpected export job status "DELETE PENDING"; treated as a failure',
    );
  });
});

describe('get-personalize-export-status', () => {
  const state = {
    ...personalizeState,
    tracking: tracking({ datasetExportJobArn: JOB_ARN, jobName: JOB_NAME }),
  };

  it('describes the tracked job and schedules the next check', async () => {
    personalize.on(DescribeDatasetExportJobCommand).resolves({ datasetExportJob: existingJob() });
    const out = await getStatus(state);
    expect(personalize.commandCalls(DescribeDatasetExportJobCommand)[0].args[0].input).toEqual({
      datasetExportJobArn: JOB_ARN,
    });
    expect(out.tracking).toMatchObject({
      polls: 3,
      outcome: 'RUNNING',
      waitSeconds: 240,
      serviceStatus: 'CREATE IN_PROGRESS',
    });
  });

  it('reports ACTIVE as success', async () => {
    personalize
      .on(DescribeDatasetExportJobCommand)
      .resolves({ datasetExportJob: existingJob({ status: 'ACTIVE' }) });
    expect((await getStatus(state)).tracking?.outcome).toBe('SUCCEEDED');
  });

  it('fails permanently when the response has no job', async () => {
    personalize.on(DescribeDatasetExportJobCommand).resolves({});
    await expect(getStatus(state)).rejects.toMatchObject({ name: 'PermanentServiceError' });
  });

  it.each([
    ['InvalidInputException', 'client', 'PermanentServiceError'],
    ['ResourceNotFoundException', 'client', 'PermanentServiceError'],
    ['ThrottlingException', 'client', 'TransientServiceError'],
    ['InternalServerError', 'server', 'TransientServiceError'],
  ] as const)('maps %s to %s', async (name, fault, expected) => {
    personalize.on(DescribeDatasetExportJobCommand).rejects(serviceError(name, fault));
    await expect(getStatus(state)).rejects.toMatchObject({
      name: expected,
      message: expect.stringContaining(JOB_ARN),
    });
  });
});
