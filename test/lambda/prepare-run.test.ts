import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { handler } from '../../lambda/prepare-run';
import { selectExports, stateMachineArnOf } from '../../lambda/shared/select-exports';
import { RUN_PAYLOAD_BUDGET_BYTES } from '../../lambda/shared/polling';
import { useCatalog } from './catalog';
import { serviceError } from './fixtures';
import { configured, event, glue, personalize, usePrepareRunMocks } from './prepare-run-fixtures';

const { sfn } = usePrepareRunMocks();

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
    const configuredMany = Array.from({ length: 1200 }, (_, i) => ({
      ...glue,
      name: `g${i}`,
      transformId: `t${i}`,
      outputS3Prefix: `s3://bucket/configured/${i}/`,
    }));
    useCatalog(JSON.stringify({ exports: configuredMany, allowedOutputS3Prefixes: ['s3://bucket/adhoc/'] }));
    // Each in a folder of its own.
    const exports = configuredMany.map((e, i) => ({
      ...e,
      name: `adhoc-${e.name}`,
      outputS3Prefix: `s3://bucket/adhoc/${'p'.repeat(130)}/${i}/`,
    }));
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

  it('accepts a configured export given in full into a folder below its own prefix, with another mode', async () => {
    const outputS3Prefix = 's3://bucket/personalize/backfill';
    const prepared = await handler(
      event({ exports: [{ ...personalize, ingestionMode: 'ALL', outputS3Prefix }] }),
    );
    // Not configured as given: the item carries the whole export for the start task.
    expect(prepared.exports).toEqual([
      { ...personalize, ingestionMode: 'ALL', outputS3Prefix: `${outputS3Prefix}/` },
    ]);
  });

  it("refuses explicit exports that would write into another export's folder, saying which rule", async () => {
    useCatalog(JSON.stringify({ exports: configured, allowedOutputS3Prefixes: ['s3://bucket/adhoc/'] }));
    const rejection = async (exports: unknown[]) =>
      handler(event({ exports })).then(
        () => 'accepted',
        (err: Error) => err.message,
      );
    // Another configured export's prefix: only that export writes there.
    expect(
      await rejection([{ ...personalize, name: 'backfill', outputS3Prefix: 's3://bucket/personalize/b/' }]),
    ).toBe(
      'input.exports[0].outputS3Prefix: got "s3://bucket/personalize/b/"; expected a prefix outside other exports\' folders (one folder per export): it is inside configured export "interactions"\'s s3://bucket/personalize/, where only that export writes',
    );
    // Another run's folder.
    expect(
      await rejection([
        { ...glue, name: 'again', outputS3Prefix: 's3://bucket/adhoc/2026-11-21/nightly-7/x/' },
      ]),
    ).toBe(
      'input.exports[0].outputS3Prefix: got "s3://bucket/adhoc/2026-11-21/nightly-7/x/"; expected a prefix outside every run\'s folder (<prefix><yyyy-mm-dd>/<execution name>/): it is inside s3://bucket/adhoc/2026-11-21/nightly-7/, the folder of another run',
    );
    // Two exports of the same input, one inside the other.
    expect(
      await rejection([
        { ...glue, name: 'a', outputS3Prefix: 's3://bucket/adhoc/x/' },
        { ...personalize, name: 'b', outputS3Prefix: 's3://bucket/adhoc/x/y/' },
      ]),
    ).toBe(
      'input.exports[1].outputS3Prefix: got "s3://bucket/adhoc/x/y/"; expected a prefix of its own, neither equal to nor inside nor containing another export\'s: it is inside export "a"\'s s3://bucket/adhoc/x/ (input.exports[0]); each export writes its own folder, one per run',
    );
    // A folder of its own below an allowed prefix is fine.
    expect(await rejection([{ ...glue, name: 'a', outputS3Prefix: 's3://bucket/adhoc/a/' }])).toBe(
      'accepted',
    );
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
    useCatalog(JSON.stringify({ exports: configured, allowedOutputS3Prefixes: ['s3://bucket/adhoc/'] }));
    const exports = Array.from({ length: 5 }, (_, i) => ({
      ...personalize,
      name: `p${i}`,
      outputS3Prefix: `s3://bucket/adhoc/p${i}/`,
    }));
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
