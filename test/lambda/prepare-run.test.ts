import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { handler, selectExports, stateMachineArnOf, type PrepareRunEvent } from '../../lambda/prepare-run';
import { RUN_PAYLOAD_BUDGET_BYTES } from '../../lambda/shared/polling';
import type { ExportSpec } from '../../lambda/shared/types';
import { useCatalog } from './catalog';
import { serviceError } from './fixtures';

const glue: ExportSpec = {
  type: 'glue',
  name: 'labels',
  transformId: 'tfm-1',
  outputS3Prefix: 's3://bucket/labels/',
};
const personalize: ExportSpec = {
  type: 'personalize',
  name: 'interactions',
  datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
  roleArn: 'arn:aws:iam::111122223333:role/PersonalizeExport',
  outputS3Prefix: 's3://bucket/personalize/',
  ingestionMode: 'BULK',
};
const configured = [glue, personalize];
const event = (input: unknown): PrepareRunEvent => ({
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

const sfn = mockClient(SFNClient);
beforeEach(() => {
  useCatalog(configured);
  sfn.reset();
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
});

describe('prepare-run handler', () => {
  it('runs every configured export for {}, each named by type and name only', async () => {
    const prepared = await handler(event({}));
    expect(prepared.run).toMatchObject({ executionName: 'run-1', startTime: '2026-11-22T03:00:00.000Z' });
    expect(prepared.exports).toEqual([
      { type: 'glue', name: 'labels' },
      { type: 'personalize', name: 'interactions' },
    ]);
  });

  it('reads the configured exports from the catalog bundled with it', async () => {
    useCatalog([{ ...glue, name: 'only-this' }]);
    expect((await handler(event({}))).exports).toEqual([{ type: 'glue', name: 'only-this' }]);
  });

  it('fails clearly when its catalog is missing or refers to a value its environment lacks', async () => {
    process.env.ML_EXPORTS_CATALOG_FILE = '/nonexistent/export-catalog.json';
    await expect(handler(event({}))).rejects.toMatchObject({
      name: 'InvalidTaskState',
      message: expect.stringContaining('the export catalog /nonexistent/export-catalog.json cannot be read'),
    });
    useCatalog(
      JSON.stringify({ exports: [{ ...glue, outputS3Prefix: 's3://{{ml-exports:output-bucket}}/l/' }] }),
    );
    delete process.env.ML_EXPORTS_OUTPUT_BUCKET;
    await expect(handler(event({}))).rejects.toMatchObject({
      name: 'InvalidTaskState',
      message:
        'the export catalog refers to {{ml-exports:output-bucket}} but the function has no ML_EXPORTS_OUTPUT_BUCKET environment variable',
    });
  });

  it('carries thousands of configured exports within the state payload budget', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({
      ...glue,
      name: `labels-${i}`,
      transformId: `t${i}`,
    }));
    useCatalog(many);
    const prepared = await handler({ ...event({}), limits: { maxConcurrency: 100, runTimeoutSeconds: 1e9 } });
    expect(prepared.exports).toHaveLength(3000);
    expect(Buffer.byteLength(JSON.stringify(prepared))).toBeLessThan(RUN_PAYLOAD_BUDGET_BYTES);
  });

  it('refuses an explicit list too large for the state payload, saying how to run it instead', async () => {
    const prefix = `s3://bucket/${'p'.repeat(150)}/`;
    const configuredMany = Array.from({ length: 1200 }, (_, i) => ({
      ...glue,
      name: `g${i}`,
      transformId: `t${i}`,
      outputS3Prefix: 's3://bucket/',
    }));
    useCatalog(configuredMany);
    const exports = configuredMany.map((e) => ({ ...e, name: `adhoc-${e.name}`, outputS3Prefix: prefix }));
    await expect(
      handler({ ...event({ exports }), limits: { maxConcurrency: 100, runTimeoutSeconds: 1e9 } }),
    ).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: expect.stringMatching(
        /^input\.exports: got "1200 exports \(\d+ bytes as a run's list\)"; expected a list of at most 245760 bytes, to fit Step Functions' 256 KiB state payload: configure the exports and name them with "exportNames", or split them over several runs$/,
      ),
    });
  });

  it('selects configured exports by name', async () => {
    const prepared = await handler(event({ exportNames: ['interactions'] }));
    expect(prepared.exports.map((e) => e.name)).toEqual(['interactions']);
  });

  it('accepts explicit exports of configured resources with another prefix below a configured one, and mode', async () => {
    const outputS3Prefix = 's3://bucket/personalize/backfill';
    const prepared = await handler(
      event({ exports: [{ ...personalize, name: 'backfill', ingestionMode: 'ALL', outputS3Prefix }] }),
    );
    // Not configured as given: the item carries the whole export for the start task.
    expect(prepared.exports).toEqual([
      { ...personalize, name: 'backfill', ingestionMode: 'ALL', outputS3Prefix: `${outputS3Prefix}/` },
    ]);
  });

  it('names an explicit export by type and name when it is configured exactly so', async () => {
    const prepared = await handler(event({ exports: [glue, { ...personalize, ingestionMode: 'PUT' }] }));
    expect(prepared.exports).toEqual([
      { type: 'glue', name: 'labels' },
      { ...personalize, ingestionMode: 'PUT' },
    ]);
  });

  it('refuses an execution without a name: a wiring bug, not bad input', async () => {
    await expect(handler({ ...event({}), execution: undefined as never })).rejects.toMatchObject({
      name: 'InvalidTaskState',
    });
  });
});

describe('errors about large configurations', () => {
  it('list at most 20 of the configured names', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ ...glue, name: `g${i}`, transformId: `tfm-${i}` }));
    expect(() => selectExports({ exportNames: ['nope'] }, many)).toThrow(
      'input.exportNames[0]: got "nope"; expected one of the configured exports: g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11, g12, g13, g14, g15, g16, g17, g18, g19, ... (30 in all)',
    );
  });
});

describe('a very bad input', () => {
  it('spells out the first 50 problems and counts the rest', () => {
    const exports = Array.from({ length: 60 }, (_, i) => ({
      type: 'glue',
      name: `bad name ${i}`,
      transformId: 'tfm-1',
      outputS3Prefix: 's3://bucket/x/',
    }));
    let message = '';
    try {
      selectExports({ exports }, configured);
    } catch (err) {
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe(
      'input.exports[0].name: got "bad name 0"; expected 1-40 letters, digits, "-" or "_", starting with a letter or digit',
    );
    expect(lines[50]).toBe('... and 10 more problems');
  });
});

describe('run length', () => {
  it('refuses a run with more waves of exports than the state machine timeout allows', async () => {
    const exports = Array.from({ length: 5 }, (_, i) => ({ ...personalize, name: `p${i}` }));
    await expect(handler(event({ exports }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message:
        'input.exports: got "5 exports"; expected at most 4 exports per run: 2 go at a time and each may take up to 3600 s, and a run must end within the state machine\'s timeout of 100800 s; split them over several runs',
    });
    await expect(handler(event({ exports: exports.slice(0, 4) }))).resolves.toBeDefined();
  });
});

describe('overlapping runs', () => {
  it('finds its state machine from its execution ARN, so no context beyond the execution is needed', () => {
    expect(
      stateMachineArnOf('arn:aws-cn:states:cn-north-1:111122223333:execution:Exports-1a2b:nightly'),
    ).toBe('arn:aws-cn:states:cn-north-1:111122223333:stateMachine:Exports-1a2b');
    expect(stateMachineArnOf('not-an-arn')).toBeUndefined();
  });

  it('fails closed when the execution ARN is not one: the overlap check is never skipped', async () => {
    await expect(
      handler({ ...event({}), execution: { ...event({}).execution, arn: 'local' } }),
    ).rejects.toMatchObject({ name: 'InvalidTaskState', message: expect.stringContaining('"local"') });
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });

  const other = (name: string, startDate: string) => ({
    name,
    executionArn: `arn:aws:states:us-east-1:1:execution:sm:${name}`,
    stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:sm',
    status: 'RUNNING' as const,
    startDate: new Date(startDate),
  });

  it('asks Step Functions for running executions of this state machine', async () => {
    await handler(event({}));
    expect(sfn.commandCalls(ListExecutionsCommand)[0].args[0].input).toEqual({
      stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:sm',
      statusFilter: 'RUNNING',
      maxResults: 100,
      nextToken: undefined,
    });
  });

  it('skips the run when an earlier running execution exports the same data, naming it', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [other('run-1', '2026-11-22T03:00:00Z'), other('manual-1', '2026-11-22T01:00:00Z')],
    });
    sfn.on(DescribeExecutionCommand).resolves({ input: JSON.stringify({ exportNames: ['interactions'] }) });
    await expect(handler(event({}))).rejects.toMatchObject({
      name: 'RunSkipped',
      message:
        'execution manual-1 (started 2026-11-22T01:00:00.000Z) is still running and exports the same data as interactions, so this run started no job (arn:aws:states:us-east-1:1:execution:sm:manual-1)',
    });
    // Itself is never described.
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      'arn:aws:states:us-east-1:1:execution:sm:manual-1',
    ]);
  });

  it('goes ahead when the earlier run exports other data', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [other('manual-1', '2026-11-22T01:00:00Z')] });
    sfn.on(DescribeExecutionCommand).resolves({ input: JSON.stringify({ exportNames: ['labels'] }) });
    expect((await handler(event({ exportNames: ['interactions'] }))).exports.map((e) => e.name)).toEqual([
      'interactions',
    ]);
  });

  it('does not yield to runs started later, and breaks a tie of start times by name', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [other('later', '2026-11-22T04:00:00Z'), other('run-2', '2026-11-22T03:00:00Z')],
    });
    sfn.on(DescribeExecutionCommand).resolves({ input: '{}' });
    await expect(handler(event({}))).resolves.toBeDefined();
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    sfn.on(ListExecutionsCommand).resolves({ executions: [other('run-0', '2026-11-22T03:00:00Z')] });
    await expect(handler(event({}))).rejects.toMatchObject({ name: 'RunSkipped' });
  });

  it('ignores an earlier run whose input is invalid (it will be rejected itself)', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [other('bad', '2026-11-22T01:00:00Z')] });
    sfn.on(DescribeExecutionCommand).resolves({ input: '{"exports": 1}' });
    await expect(handler(event({}))).resolves.toBeDefined();
  });

  it('fails closed: no answer from Step Functions is a transient error, retried, never a skipped check', async () => {
    sfn
      .on(ListExecutionsCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }));
    await expect(handler(event({}))).rejects.toMatchObject({
      name: 'TransientServiceError',
      message: expect.stringContaining('Step Functions ListExecutions'),
    });
    sfn.on(ListExecutionsCommand).rejects(
      Object.assign(new Error('The endpoint does not implement it'), {
        name: 'UnknownOperationException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(handler(event({}))).rejects.toMatchObject({ name: 'PermanentServiceError' });
  });

  it('fails on an answer from Step Functions that denies the check', async () => {
    sfn.on(ListExecutionsCommand).rejects(serviceError('AccessDeniedException'));
    await expect(handler(event({}))).rejects.toMatchObject({
      name: 'PermanentServiceError',
      message: expect.stringContaining('AccessDeniedException'),
    });
  });

  it('reports throttling of ListExecutions as transient, to be retried', async () => {
    sfn.on(ListExecutionsCommand).rejects(serviceError('ThrottlingException'));
    await expect(handler(event({}))).rejects.toMatchObject({
      name: 'TransientServiceError',
      message: expect.stringContaining('Step Functions ListExecutions'),
    });
  });

  it('refuses the execution names "." and "..", which would make a relative segment of the output folder', async () => {
    for (const name of ['.', '..']) {
      await expect(
        handler({
          ...event({}),
          execution: { ...event({}).execution, name, arn: `arn:aws:states:us-east-1:1:execution:sm:${name}` },
        }),
      ).rejects.toMatchObject({
        name: 'InvalidExecutionInput',
        message: expect.stringContaining(`execution name: got "${name}"`),
      });
    }
  });

  it('validates the input before looking at other runs', async () => {
    await expect(handler(event({ nope: 1 }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });
});

describe('selectExports rejects bad input with one error naming every field', () => {
  const rejected = (input: unknown) => {
    try {
      selectExports(input, configured);
    } catch (err) {
      expect((err as Error).name).toBe('InvalidExecutionInput');
      return (err as Error).message;
    }
    throw new Error('expected the input to be rejected');
  };

  it('lists each bad field with its value and what is expected', () => {
    const message = rejected({
      exports: [{ type: 'glue', name: 'bad name', transformId: '', outputS3Prefix: 'https://x/y' }],
      extra: 1,
    });
    expect(message.split('\n')).toEqual([
      'input.extra: got 1; expected no such field (allowed: exports, exportNames)',
      'input.exports[0].name: got "bad name"; expected 1-40 letters, digits, "-" or "_", starting with a letter or digit',
      'input.exports[0].outputS3Prefix: got "https://x/y"; expected an S3 URI "s3://bucket/prefix/" of at most 164 characters, trailing slash included',
      'input.exports[0].transformId: got ""; expected a Glue ML transform id of 1-255 characters without whitespace',
    ]);
  });

  it('refuses resources the deployment is not allowed to use', () => {
    const message = rejected({
      exports: [
        {
          ...personalize,
          datasetArn: personalize.datasetArn.replace('retail', 'other'),
          roleArn: 'arn:aws:iam::111122223333:role/Other',
        },
      ],
    });
    expect(message).toContain(
      'input.exports[0].datasetArn: got "arn:aws:personalize:us-east-1:111122223333:dataset/other/INTERACTIONS"; expected a dataset this deployment may export',
    );
    expect(message).toContain(
      'input.exports[0].roleArn: got "arn:aws:iam::111122223333:role/Other"; expected a role this deployment may pass',
    );
  });

  it('confines explicit exports to the configured output prefixes, buckets and KMS keys', () => {
    const keyed = { ...personalize, kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/configured' };
    const outside = (changes: Partial<Record<string, string>>) =>
      rejected({ exports: [{ ...keyed, ...changes }] });
    const withKey = [glue, keyed];
    const rejectedWith = (input: unknown, specs: ExportSpec[], allowed?: string[]) => {
      try {
        selectExports(input, specs, allowed);
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    // Another bucket, a sibling prefix that only starts with the same letters, and the bucket's root.
    for (const outputS3Prefix of [
      's3://attacker-bucket/labels/',
      's3://bucket/personalize-elsewhere/',
      's3://bucket/',
    ])
      expect(outside({ outputS3Prefix })).toContain(
        `input.exports[0].outputS3Prefix: got "${outputS3Prefix}"; expected a location under one of the output prefixes this deployment allows: s3://bucket/labels/, s3://bucket/personalize/`,
      );
    expect(
      rejectedWith(
        { exports: [{ ...keyed, kmsKeyArn: 'arn:aws:kms:us-east-1:999999999999:key/theirs' }] },
        withKey,
      ),
    ).toBe(
      'input.exports[0].kmsKeyArn: got "arn:aws:kms:us-east-1:999999999999:key/theirs"; expected a KMS key this deployment\'s exports use, or none (the bucket\'s own encryption): arn:aws:kms:us-east-1:111122223333:key/configured',
    );
    // Below a configured prefix, with a configured key or none, is fine.
    expect(
      selectExports({ exports: [{ ...keyed, outputS3Prefix: 's3://bucket/personalize/2027/' }] }, withKey),
    ).toHaveLength(1);
    expect(
      selectExports({ exports: [{ ...personalize, outputS3Prefix: 's3://bucket/personalize/a/' }] }, withKey),
    ).toHaveLength(1);
    // allowedOutputS3Prefixes widens where explicit exports may write.
    expect(
      rejectedWith({ exports: [{ ...glue, outputS3Prefix: 's3://adhoc/x/' }] }, withKey, ['s3://adhoc/']),
    ).toBe('');
  });

  it('refuses control characters and bidirectional overrides in a prefix, which would only fail later or disguise it', () => {
    for (const outputS3Prefix of [
      's3://bucket/labels/\u0000x/',
      's3://bucket/labels/\u0001\u007f/',
      's3://bucket/labels/\u202egnp.exe/',
    ])
      expect(rejected({ exports: [{ ...glue, outputS3Prefix }] })).toContain(
        'input.exports[0].outputS3Prefix: got',
      );
  });

  it('names a value nested too deeply to print instead of failing with a RangeError', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    expect(rejected({ ...deep })).toBe(
      'input.a: got {...} (nested too deeply to show); expected no such field (allowed: exports, exportNames)',
    );
  });

  it('refuses an ingestionMode of null rather than taking it for the default', () => {
    expect(rejected({ exports: [{ ...personalize, ingestionMode: null }] })).toContain(
      'input.exports[0].ingestionMode: got null; expected one of BULK, PUT, ALL',
    );
  });

  it('takes explicit exports in the configuration shape when the stack created the bucket and the role', () => {
    const bucket = 'workflowoutputbucket1234';
    const createdConfigured: ExportSpec[] = [
      { ...glue, outputS3Prefix: `s3://${bucket}/labels/` },
      {
        ...personalize,
        roleArn: 'arn:aws:iam::111122223333:role/Created',
        outputS3Prefix: `s3://${bucket}/p/`,
      },
    ];
    const [g, p] = selectExports(
      {
        exports: [
          { ...glue, name: 'adhoc', outputS3Prefix: 'labels/2027/' },
          {
            type: 'personalize',
            name: 'records',
            datasetArn: personalize.datasetArn,
            outputS3Prefix: '/p/x/',
          },
        ],
      },
      createdConfigured,
      undefined,
      { bucket, roleArn: 'arn:aws:iam::111122223333:role/Created' },
    );
    expect(g.outputS3Prefix).toBe(`s3://${bucket}/labels/2027/`);
    expect(p).toMatchObject({
      outputS3Prefix: `s3://${bucket}/p/x/`,
      roleArn: 'arn:aws:iam::111122223333:role/Created',
    });
    // Without a created bucket, a key prefix is still not an S3 URI.
    expect(rejected({ exports: [{ ...glue, outputS3Prefix: 'labels/' }] })).toContain('expected an S3 URI');
  });

  it('refuses relative and empty key segments, which only look nested', () => {
    for (const outputS3Prefix of [
      's3://bucket/labels/../secret/',
      's3://bucket/labels//x/',
      's3://bucket/labels/./x/',
    ])
      expect(rejected({ exports: [{ ...glue, outputS3Prefix }] })).toContain(
        `input.exports[0].outputS3Prefix: got "${outputS3Prefix}"; expected an S3 prefix without empty, "." or ".." segments`,
      );
  });

  it('reads the prefixes explicit exports may use from the bundled catalog', async () => {
    useCatalog(
      JSON.stringify({ exports: configured, allowedOutputS3Prefixes: ['s3://adhoc-bucket/backfills/'] }),
    );
    const adhoc = { ...glue, outputS3Prefix: 's3://adhoc-bucket/backfills/2027/' };
    expect((await handler(event({ exports: [adhoc] }))).exports).toEqual([adhoc]);
    await expect(
      handler(event({ exports: [{ ...glue, outputS3Prefix: 's3://adhoc-bucket/other/' }] })),
    ).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: expect.stringContaining('input.exports[0].outputS3Prefix'),
    });
  });

  it.each([
    [null, 'input: got null; expected a JSON object'],
    [[], 'input: got []; expected a JSON object'],
    [42, 'input: got 42; expected a JSON object'],
    ['x', 'input: got "x"; expected a JSON object'],
    [
      { exportNames: ['nope'] },
      'input.exportNames[0]: got "nope"; expected one of the configured exports: labels, interactions',
    ],
    [{ exportNames: [] }, 'input.exportNames: got []; expected a non-empty array of names'],
    [{ exportNames: ['labels', 'labels'] }, 'input.exportNames[1]: got "labels"; expected each name once'],
    [{ exports: [] }, 'input.exports: got []; expected at least one export'],
    [
      { exports: [glue, glue] },
      'input.exports[].name: got "labels"; expected export names unique within a run',
    ],
    [
      { exports: [{ ...personalize, ingestionMode: 'SOME' }] },
      'input.exports[0].ingestionMode: got "SOME"; expected one of BULK, PUT, ALL',
    ],
    [
      { exports: [{ ...personalize, kmsKeyArn: 'key' }] },
      'input.exports[0].kmsKeyArn: got "key"; expected a KMS key ARN',
    ],
    [
      { exports: [{ ...personalize, roleArn: 'arn:aws-cn:iam::111122223333:role/R' }] },
      'input.exports[0].roleArn: got "arn:aws-cn:iam::111122223333:role/R"; expected a role in the dataset\'s partition "aws"',
    ],
    [
      { exports: [{ type: 'sagemaker' }] },
      'input.exports[0].type: got "sagemaker"; expected "glue" or "personalize"',
    ],
    [{ exports: glue }, 'input.exports: got {"type":"glue"'],
    [
      { exports: [glue], exportNames: ['labels'] },
      'input: got ["exports","exportNames"]; expected either "exports" or "exportNames", not both',
    ],
  ])('%j', (input, expected) => {
    expect(rejected(input)).toContain(expected);
  });
});

describe('run-time validation properties', () => {
  const name = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/);
  // Below a configured prefix, without empty segments.
  const prefix = fc
    .tuple(
      fc.constantFrom(glue.outputS3Prefix, personalize.outputS3Prefix),
      fc.stringMatching(/^([a-z0-9_-]{1,8}\/){0,4}$/),
    )
    .map(([base, rest]) => `${base}${rest}`);
  const validExport = fc.oneof(
    fc.record({ type: fc.constant('glue'), name, transformId: fc.constant('tfm-1'), outputS3Prefix: prefix }),
    fc.record(
      {
        type: fc.constant('personalize'),
        name,
        datasetArn: fc.constant(personalize.datasetArn),
        roleArn: fc.constant(personalize.roleArn),
        outputS3Prefix: prefix,
        ingestionMode: fc.constantFrom('BULK', 'PUT', 'ALL'),
      },
      { requiredKeys: ['type', 'name', 'datasetArn', 'roleArn', 'outputS3Prefix'] },
    ),
  );

  it('never admits an explicit export outside the allowed prefixes or with a key not configured', () => {
    const elsewhere = fc.stringMatching(/^s3:\/\/[a-z0-9][a-z0-9-]{1,20}[a-z0-9]\/[a-z0-9/_-]{0,40}$/);
    const key = fc.stringMatching(/^arn:aws:kms:us-east-1:\d{12}:key\/[a-z0-9-]{1,36}$/);
    fc.assert(
      fc.property(elsewhere, fc.option(key, { nil: undefined }), (outputS3Prefix, kmsKeyArn) => {
        const candidate = { ...personalize, outputS3Prefix, ...(kmsKeyArn ? { kmsKeyArn } : {}) };
        const admitted = (() => {
          try {
            return selectExports({ exports: [candidate] }, configured).length === 1;
          } catch (err) {
            expect((err as Error).name).toBe('InvalidExecutionInput');
            return false;
          }
        })();
        const normalized = outputS3Prefix.endsWith('/') ? outputS3Prefix : `${outputS3Prefix}/`;
        const underConfigured = configured.some((c) => normalized.startsWith(c.outputS3Prefix));
        // No KMS key is configured here: any key is refused; without one, the prefix decides.
        expect(admitted).toBe(
          underConfigured && kmsKeyArn === undefined && !/\/\/|\/\.\.?\//.test(normalized.slice(5)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('accepts every valid explicit export list', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(validExport, { minLength: 1, maxLength: 5, selector: (e) => e.name }),
        (exports) => {
          const glueCount = exports.filter((e) => e.type === 'glue').length;
          fc.pre(glueCount <= 1); // a transform is exported at most once per run
          expect(selectExports({ exports }, configured)).toHaveLength(exports.length);
        },
      ),
    );
  });

  it('answers any other input with InvalidExecutionInput that names a field, never with another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            exports: fc.array(
              fc.dictionary(
                fc.constantFrom(
                  'type',
                  'name',
                  'transformId',
                  'outputS3Prefix',
                  'datasetArn',
                  'roleArn',
                  'ingestionMode',
                  'kmsKeyArn',
                  'other',
                ),
                fc.anything(),
              ),
            ),
          }),
          fc.record({ exportNames: fc.anything() }),
        ),
        (input) => {
          try {
            selectExports(input, configured);
          } catch (err) {
            expect((err as Error).name).toBe('InvalidExecutionInput');
            for (const line of (err as Error).message.split('\n'))
              expect(line).toMatch(
                /^(\.\.\. and \d+ more problems$|input(\.[\w$]+|\[\d+\]|\[".*"\]|\[\]\.\w+)*: got .*; expected .+)/,
              );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
