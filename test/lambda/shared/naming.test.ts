import {
  datasetExportJobArn,
  exportJobNamePrefix,
  personalizeJobName,
  runOutputPath,
} from '../../../lambda/shared/naming';

const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/;
const runOf = (executionName: string, stateMachine = 'MlExportsStateMachine') => ({
  executionName,
  executionArn: `arn:aws:states:us-east-1:111122223333:execution:${stateMachine}:${executionName}`,
});

describe('personalizeJobName', () => {
  it('is deterministic, readable and valid for Personalize', () => {
    const name = personalizeJobName(runOf('nightly-2026-11-22'), 'interactions');
    expect(name).toBe(personalizeJobName(runOf('nightly-2026-11-22'), 'interactions'));
    expect(name).toMatch(/^mlx-12-interactions-nightly-2026-11-22-[0-9a-f]{8}$/);
    expect(name).toMatch(JOB_NAME);
  });

  it("starts with the export's own prefix, which no other export's names start with, whatever its length", () => {
    const longest = 'e'.repeat(40);
    expect(personalizeJobName(runOf('x'.repeat(80)), longest)).toMatch(
      new RegExp(`^${exportJobNamePrefix(longest)}`),
    );
    expect(exportJobNamePrefix(longest)).toBe(`mlx-40-${longest}-`);
    // Without the length, "interactions" would be a prefix of "interactions-bulk"'s names.
    expect(
      personalizeJobName(runOf('run'), 'interactions-bulk').startsWith(exportJobNamePrefix('interactions')),
    ).toBe(false);
    expect(
      personalizeJobName(runOf('run'), 'interactions').startsWith(exportJobNamePrefix('interactions-bulk')),
    ).toBe(false);
  });

  it('fits 63 characters and stays distinct when long names are truncated', () => {
    const execution = `a${'x'.repeat(79)}`;
    const a = personalizeJobName(runOf(execution), 'export-with-a-fairly-long-name-number-1');
    const b = personalizeJobName(runOf(execution), 'export-with-a-fairly-long-name-number-2');
    expect(a.length).toBeLessThanOrEqual(63);
    expect(b.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });

  it('differs between two deployments for the same export and execution names', () => {
    const prod = personalizeJobName(runOf('backfill-2026-01', 'ProdStateMachine'), 'interactions');
    const staging = personalizeJobName(runOf('backfill-2026-01', 'StagingStateMachine'), 'interactions');
    expect(prod).not.toBe(staging);
    expect(prod.startsWith(exportJobNamePrefix('interactions'))).toBe(true);
  });

  it('replaces characters Personalize does not allow', () => {
    expect(personalizeJobName(runOf('run:with.dots$'), 'e')).toMatch(JOB_NAME);
  });
});

describe('runOutputPath', () => {
  it('puts each run below the prefix by start date and execution name', () => {
    expect(runOutputPath('s3://b/p/', '2026-11-22T03:00:00.123Z', 'exec-1')).toBe(
      's3://b/p/2026-11-22/exec-1/',
    );
  });
});

describe('datasetExportJobArn', () => {
  it('is in the dataset account and region', () => {
    expect(
      datasetExportJobArn('arn:aws-cn:personalize:cn-north-1:111122223333:dataset/g/ITEMS', 'mlx-a'),
    ).toBe('arn:aws-cn:personalize:cn-north-1:111122223333:dataset-export-job/mlx-a');
  });
});
