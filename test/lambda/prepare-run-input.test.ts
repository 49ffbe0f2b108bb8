/** What an operator may paste in the console, and how Prepare Run answers everything else. */
import fc from 'fast-check';
import { handler } from '../../lambda/prepare-run';
import { selectExports } from '../../lambda/shared/select-exports';
import { runFolderOf } from '../../contract/validation';
import type { ExportSpec } from '../../lambda/shared/types';
import { useCatalog } from './catalog';
import { configured, event, glue, personalize, usePrepareRunMocks } from './prepare-run-fixtures';

usePrepareRunMocks();

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
          // The configured exports themselves, into folders below their own prefixes.
          { ...glue, outputS3Prefix: 'labels/2027/' },
          {
            type: 'personalize',
            name: personalize.name,
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
      'input.exports[1].name: got "labels"; expected export names unique within a run',
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
  // Each below an allowed prefix no configured export writes under, in a folder of its own (its name).
  const ADHOC = 's3://adhoc/';
  const validExport = fc.oneof(
    name.map((n) => ({ type: 'glue', name: n, transformId: 'tfm-1', outputS3Prefix: `${ADHOC}${n}/` })),
    fc
      .record({ n: name, ingestionMode: fc.constantFrom('BULK', 'PUT', 'ALL') })
      .map(({ n, ingestionMode }) => ({
        type: 'personalize',
        name: n,
        datasetArn: personalize.datasetArn,
        roleArn: personalize.roleArn,
        outputS3Prefix: `${ADHOC}${n}/`,
        ingestionMode,
      })),
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
        // The configured Personalize export itself may write below its own prefix, never below another
        // export's (one folder per export), nor into a run's folder.
        const underItsOwn = normalized.startsWith(personalize.outputS3Prefix);
        const inRunFolder = runFolderOf(normalized, [personalize.outputS3Prefix]) !== undefined;
        // No KMS key is configured here: any key is refused; without one, the prefix decides.
        expect(admitted).toBe(
          underItsOwn &&
            !inRunFolder &&
            kmsKeyArn === undefined &&
            !/\/\/|\/\.\.?\//.test(normalized.slice(5)),
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
          const allowed = [ADHOC, ...configured.map((c) => c.outputS3Prefix)];
          expect(selectExports({ exports }, configured, allowed)).toHaveLength(exports.length);
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
