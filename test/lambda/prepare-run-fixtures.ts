/** Shared state of the Prepare Run tests: one Glue and one Personalize export configured, run "run-1". */
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { PrepareRunEvent } from '../../lambda/prepare-run';
import type { ExportSpec, GlueExportSpec, PersonalizeExportSpec } from '../../lambda/shared/types';
import { useCatalog } from './catalog';

export const glue: GlueExportSpec = {
  type: 'glue',
  name: 'labels',
  transformId: 'tfm-1',
  outputS3Prefix: 's3://bucket/labels/',
};
export const personalize: PersonalizeExportSpec = {
  type: 'personalize',
  name: 'interactions',
  datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
  roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExport',
  outputS3Prefix: 's3://bucket/personalize/',
  ingestionMode: 'BULK',
};
export const configured: ExportSpec[] = [glue, personalize];
export const event = (input: unknown): PrepareRunEvent => ({
  input,
  polling: { initialWaitSeconds: 30, backoffRate: 2, maxWaitSeconds: 360, maxExportSeconds: 3600 },
  execution: {
    name: 'run-1',
    arn: 'arn:aws:states:us-east-1:1:execution:sm:run-1',
    startTime: '2026-11-22T03:00:00.000Z',
  },
  // Two waves of two exports of up to an hour: (3600 + 3600) * 2 + 86,400 s.
  limits: { maxConcurrency: 2, runTimeoutSeconds: 2 * 7200 + 86_400 },
});

/** Each test starts with the catalog of `configured` and no other running execution. */
export function usePrepareRunMocks() {
  const sfn = mockClient(SFNClient);
  beforeEach(() => {
    useCatalog(configured);
    sfn.reset();
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  });
  return { sfn };
}
