/** Shared test state: one Glue and one Personalize export of run "run-1". */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  type DescribeExecutionOutput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type {
  ExportState,
  GlueJobRef,
  PersonalizeJobRef,
  PollingSettings,
  RunContext,
  Tracking,
} from '../../lambda/shared/types';

export const polling: PollingSettings = {
  initialWaitSeconds: 30,
  backoffRate: 2,
  maxWaitSeconds: 360,
  maxExportSeconds: 3600,
};
export const run: RunContext = {
  executionName: 'run-1',
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:run-1',
  startTime: '2026-11-22T03:00:00.000Z',
  polling,
};
export const DATASET_ARN = 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS';
export const JOB_NAME = 'mlx-interactions-run-1-0123abcd';
export const JOB_ARN = `arn:aws:personalize:us-east-1:111122223333:dataset-export-job/${JOB_NAME}`;

export const glueState: ExportState = {
  export: {
    type: 'glue',
    name: 'labels',
    transformId: 'tfm-1',
    outputS3Prefix: 's3://b/l/',
    outputS3Path: 's3://b/l/2026-11-22/run-1/',
  },
  run,
};
export const personalizeState: ExportState = {
  export: {
    type: 'personalize',
    name: 'interactions',
    datasetArn: DATASET_ARN,
    roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExport',
    outputS3Prefix: 's3://b/p/',
    ingestionMode: 'BULK',
    outputS3Path: 's3://b/p/2026-11-22/run-1/',
    jobName: JOB_NAME,
  },
  run,
};

/** An SDK-style service error. */
export function serviceError(
  name: string,
  fault: 'client' | 'server' = 'client',
  status = fault === 'client' ? 400 : 500,
) {
  return Object.assign(new Error(`${name} message from the service`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}

export const tracking = (
  job: GlueJobRef | PersonalizeJobRef,
  overrides: Partial<Tracking> = {},
): Tracking => ({
  job,
  adopted: false,
  trackingStartedAt: '2026-11-22T03:00:05.000Z',
  deadline: '2099-01-01T00:00:00.000Z',
  polls: 2,
  waitSeconds: 120,
  outcome: 'RUNNING',
  ...overrides,
});

/**
 * Step Functions as the start and status tasks see it: this run is the only one running, and was not
 * redriven (or was, at `redriveDate`). Returns the mock, reset before each test.
 */
export function useRunStanding() {
  const sfn = mockClient(SFNClient);
  const standing = (described: Partial<DescribeExecutionOutput> = {}) => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: run.executionArn,
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:sm',
      status: 'RUNNING',
      startDate: new Date(run.startTime),
      redriveCount: 0,
      ...described,
    });
  };
  beforeEach(() => {
    sfn.reset();
    standing();
  });
  return { sfn, standing };
}
