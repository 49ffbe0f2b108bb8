import { App, Duration, Stack } from 'aws-cdk-lib';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../app/app';
import { checkConfigFile } from '../../app/config';
import { ExportLocation, MlExportWorkflow } from '../../lib';
import { example, DATASET_ARN, newApp, synth, TRANSFORM_ID } from './helpers';

describe('invalid configurations fail the synth with one message naming each problem', () => {
  const failure = (config: unknown, env?: { region: string; account: string }) => {
    try {
      synth(config, env);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the configuration to be rejected');
  };

  it('lists every bad export field with its value and what is expected', () => {
    const message = failure({
      ...example,
      glueExports: [{ name: 'bad name', transformId: 'has space', outputS3Prefix: 's3://B/x' }],
      personalizeExports: [
        {
          name: 'p',
          datasetArn: 'arn:aws:personalize:::dataset',
          roleArn: 'role',
          outputS3Prefix: 's3://bucket/x/',
          ingestionMode: 'SOME',
          extra: 1,
        },
      ],
    });
    expect(message.split('\n')).toEqual([
      'Invalid ml-exports configuration in test:',
      'glueExports[0].name: got "bad name"; expected 1-40 letters, digits, "-" or "_", starting with a letter or digit',
      'glueExports[0].transformId: got "has space"; expected a Glue ML transform id of 1-255 characters without whitespace',
      'glueExports[0].outputS3Prefix: got "s3://B/x"; expected an S3 URI whose bucket name has 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit',
      'personalizeExports[0].datasetArn: got "arn:aws:personalize:::dataset"; expected a Personalize dataset ARN "arn:aws:personalize:<region>:<account>:dataset/<dataset group>/<DATASET TYPE>" of at most 256 characters',
      'personalizeExports[0].roleArn: got "role"; expected an IAM role ARN "arn:aws:iam::<12-digit account>:role/<name>" of at most 256 characters',
      'personalizeExports[0].ingestionMode: got "SOME"; expected one of BULK, PUT, ALL',
      'personalizeExports[0].extra: got 1; expected no such field (allowed: name, datasetArn, roleArn, outputS3Prefix, ingestionMode, kmsKeyArn)',
    ]);
  });

  it.each([
    [
      { ...example, glueExports: [], personalizeExports: [] },
      'glueExports + personalizeExports: got []; expected at least one Glue or Personalize export',
    ],
    [
      { ...example, schedule: 'every day' },
      'schedule: got "every day"; expected an EventBridge Scheduler expression',
    ],
    [
      { ...example, eventSource: 'aws.ml' },
      'eventSource: got "aws.ml"; expected 1-256 characters, not starting with "aws."',
    ],
    [{ ...example, maxConcurrency: 0 }, 'maxConcurrency: got 0; expected a whole number from 1 to 10000'],
    [
      { ...example, schedule: undefined, scheduleTimeZone: 'Europe/Paris' },
      'scheduleTimeZone: got "Europe/Paris"; expected no time zone without a "schedule" (add the schedule, or remove the time zone)',
    ],
    [
      {
        ...example,
        glueExports: [{ ...(example.glueExports as object[])[0], outputS3Prefix: 's3://My_Exports/labels/' }],
      },
      'glueExports[0].outputS3Prefix: got "s3://My_Exports/labels/"; expected an S3 URI whose bucket name has 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit',
    ],
    [
      {
        ...example,
        glueExports: [{ ...(example.glueExports as object[])[0], outputS3Prefix: 's3://exports..bucket/x/' }],
      },
      'glueExports[0].outputS3Prefix: got "s3://exports..bucket/x/"; expected an S3 URI whose bucket name has no two adjacent periods',
    ],
    [{ ...example, logRetentionDays: 31 }, 'logRetentionDays: got 31; expected one of 1, 3, 5, 7'],
    [
      { ...example, polling: { strategy: 'guess' } },
      'polling.strategy: got "guess"; expected "history" (time the checks from the export\'s past runs) or "backoff" (the backoff only)',
    ],
    [
      { ...example, polling: { initialWaitSeconds: 600, maxWaitSeconds: 60 } },
      'polling.maxWaitSeconds: got 60; expected at least initialWaitSeconds (600)',
    ],
    [
      { ...example, polling: { backoffRate: 0.5 } },
      'polling.backoffRate: got 0.5; expected a number from 1 to 10',
    ],
    [
      { ...example, polling: { maxExportSeconds: 1.5 } },
      'polling.maxExportSeconds: got 1.5; expected a whole number of seconds',
    ],
    [{ ...example, polling: { everySeconds: 5 } }, 'polling.everySeconds: got 5; expected no such field'],
    [{ ...example, glueExports: 'tfm-1' }, 'glueExports: got "tfm-1"; expected an array'],
    [{ ...example, exports: [] }, 'exports: got []; expected no such field'],
    [{ ...example, eventBusName: 'bad bus!' }, 'eventBusName: got "bad bus!"; expected an event bus name'],
    [
      { ...example, eventBusName: 'arn:aws:events:eu-west-1:444455556666:event-bus/ml-events' },
      'eventBusName: got "arn:aws:events:eu-west-1:444455556666:event-bus/ml-events"; expected an event bus in the stack\'s region us-east-1',
    ],
    [{ ...example, createOutputBucket: 'yes' }, 'createOutputBucket: got "yes"; expected true or false'],
    [{ ...example, logKmsKeyArn: 'alias/logs' }, 'logKmsKeyArn: got "alias/logs"; expected a KMS key ARN'],
    [
      {
        ...example,
        glueExports: [...(example.glueExports as object[]), ...(example.glueExports as object[])],
      },
      'glueExports[1].name: got "customer-matches"; expected export names unique within a run (glueExports[0].name has it too)',
    ],
  ])('%#: %s', (config, expected) => {
    expect(failure(config)).toContain(expected);
  });

  it('reports every problem of every section in one synth, with the path as written in the file', () => {
    const message = failure({
      ...example,
      eventSource: 'aws.mine',
      schedule: 'rate(0 minutes)',
      scheduleTimeZone: 'Mars/Olympus',
      logRetentionDays: 2,
      polling: { initialWaitSeconds: 600, maxWaitSeconds: 60, backoffRate: 20 },
      glueExports: [{ name: 'g', transformId: 'tfm 1', outputS3Prefix: 's3://my..bucket/x/' }],
      personalizeExports: [
        {
          name: 'g',
          datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
          outputS3Prefix: 's3://192.168.1.1/x/',
        },
      ],
      allowedOutputS3Prefixes: ['s3://xn--bucket/x/', 's3://bucket//x/'],
    });
    expect(message.split('\n')).toEqual([
      'Invalid ml-exports configuration in test:',
      'eventSource: got "aws.mine"; expected 1-256 characters, not starting with "aws."',
      'schedule: got "rate(0 minutes)"; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)" (a rate of at least 1)',
      'scheduleTimeZone: got "Mars/Olympus"; expected an IANA time zone such as "UTC" or "Europe/Berlin"',
      'polling.backoffRate: got 20; expected a number from 1 to 10',
      'polling.maxWaitSeconds: got 60; expected at least initialWaitSeconds (600)',
      'logRetentionDays: got 2; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999',
      'allowedOutputS3Prefixes[0]: got "s3://xn--bucket/x/"; expected an S3 URI whose bucket name does not start with "xn--" or "sthree-"',
      'allowedOutputS3Prefixes[1]: got "s3://bucket//x/"; expected an S3 prefix without empty, "." or ".." segments (no "//", "./" or "../")',
      'glueExports[0].transformId: got "tfm 1"; expected a Glue ML transform id of 1-255 characters without whitespace',
      'glueExports[0].outputS3Prefix: got "s3://my..bucket/x/"; expected an S3 URI whose bucket name has no two adjacent periods',
      'personalizeExports[0].outputS3Prefix: got "s3://192.168.1.1/x/"; expected an S3 URI whose bucket name is not an IP address',
      'personalizeExports[0].roleArn: got nothing; expected an IAM role ARN "arn:aws:iam::<12-digit account>:role/<name>" of at most 256 characters, or "createPersonalizeRole": true for a role the stack creates',
    ]);
  });

  it('says what a hurried user wrote wrong in the words of the field, and which setting a key prefix needs', () => {
    const [glue] = example.glueExports as Record<string, unknown>[];
    const message = failure({
      ...example,
      schedule: null,
      logRetentionDays: '30',
      alarmEmail: 5,
      glueExports: [{ ...glue, name: 'n'.repeat(300), outputS3Prefix: 'glue/labels/' }],
    });
    expect(message.split('\n')).toEqual([
      'Invalid ml-exports configuration in test:',
      'schedule: got null; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)"',
      `logRetentionDays: got "30"; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999`,
      `glueExports[0].name: got "${'n'.repeat(99)}... (a string of 300 characters); expected 1-40 letters, digits, "-" or "_", starting with a letter or digit`,
      'glueExports[0].outputS3Prefix: got "glue/labels/"; expected an S3 URI "s3://bucket/prefix/" of at most 164 characters, trailing slash included (a key prefix needs "createOutputBucket": true)',
      'alarmEmail: got 5; expected an e-mail address',
    ]);
  });

  it('refuses two exports whose prefixes are equal or one inside the other, naming both (one folder per export)', () => {
    const [glue] = example.glueExports as Record<string, unknown>[];
    const [personalize] = example.personalizeExports as Record<string, unknown>[];
    const message = failure({
      ...example,
      glueExports: [
        { ...glue, outputS3Prefix: 's3://example-ml-exports/exports/' },
        { name: 'other', transformId: 'tfm-2', outputS3Prefix: 's3://example-ml-exports/exports/other/' },
      ],
      personalizeExports: [{ ...personalize, outputS3Prefix: 's3://example-ml-exports/exports' }],
    });
    expect(message.split('\n')).toEqual([
      'Invalid ml-exports configuration in test:',
      `glueExports[1].outputS3Prefix: got "s3://example-ml-exports/exports/other/"; expected a prefix of its own, neither equal to nor inside nor containing another export's: it is inside export "customer-matches"'s s3://example-ml-exports/exports/ (glueExports[0]); each export writes its own folder, one per run`,
      `personalizeExports[0].outputS3Prefix: got "s3://example-ml-exports/exports/"; expected a prefix of its own, neither equal to nor inside nor containing another export's: it is equal to export "customer-matches"'s s3://example-ml-exports/exports/ (glueExports[0]); each export writes its own folder, one per run`,
    ]);
    // Prefixes compare by whole segments: labels/1/ and labels/10/ are apart.
    expect(() =>
      synth({
        ...example,
        glueExports: [
          { ...glue, outputS3Prefix: 's3://example-ml-exports/labels/1/' },
          { name: 'ten', transformId: 'tfm-10', outputS3Prefix: 's3://example-ml-exports/labels/10/' },
        ],
      }),
    ).not.toThrow();
  });

  it('reports duplicate names across the Glue and Personalize lists at the later one', () => {
    const personalize = (example.personalizeExports as Record<string, unknown>[])[0];
    expect(
      failure({ ...example, personalizeExports: [{ ...personalize, name: 'customer-matches' }] }),
    ).toContain(
      'personalizeExports[0].name: got "customer-matches"; expected export names unique within a run (glueExports[0].name has it too)',
    );
  });

  it.each([
    ['rate(1 minutes)', 'a singular unit for 1'],
    ['rate(5 hour)', 'a plural unit above 1'],
    ['rate(-1 days)', ''],
    ['cron(0 3 * * *)', '6 cron fields, got 5'],
    ['cron(60 3 * * ? *)', 'minutes "60": values 0-59'],
    ['cron(0 24 * * ? *)', 'hours "24": values 0-23'],
    ['cron(0 3 32 * ? *)', 'day-of-month "32": values 1-31'],
    ['cron(0 3 ? 13 MON *)', 'month "13": values 1-12 or JAN-DEC'],
    ['cron(0 3 ? * FUN *)', 'day-of-week "FUN": values 1-7 or SUN-SAT'],
    ['cron(0 3 ? * MON#6 *)', 'day-of-week "MON#6": a day 1-7 or SUN-SAT and a week 1-5'],
    ['cron(0 3 * * ? 1969)', 'year "1969": values 1970-2199'],
    ['cron(0 ? * * ? *)', 'hours "?": "?" is only for the day fields'],
    ['cron(0 3 * * MON *)', '"?" in exactly one of day-of-month and day-of-week'],
    ['cron(0/0 3 * * ? *)', 'minutes "0/0": a step of at least 1'],
    ['at(2026-02-30T00:00:00)', 'a real date and time'],
    ['at(2026-01-01 00:00:00)', ''],
  ])('refuses the schedule %s', (schedule, why) => {
    expect(failure({ ...example, schedule })).toContain(
      `schedule: got "${schedule}"; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)"${why ? ` (${why})` : '\n'}`.trimEnd(),
    );
  });

  it.each([
    'rate(1 minute)',
    'rate(15 minutes)',
    'rate(1 day)',
    'cron(0/15 8-18 ? * MON-FRI *)',
    'cron(0 3 L * ? *)',
    'cron(0 3 15W * ? 2026-2030)',
    'cron(0 3 ? * 6#3 *)',
    'cron(0 3 ? * FRIL *)',
    'cron(0 3 1,15 JAN,JUL ? *)',
    'at(2028-02-29T23:59:59)',
  ])('accepts the schedule %s', (schedule) => {
    expect(() =>
      checkConfigFile({ ...example, schedule, scheduleTimeZone: 'Europe/Berlin' }, 'test'),
    ).not.toThrow();
  });

  it.each([
    'a-b',
    'ab',
    'Bucket',
    'bucket-',
    '10.0.0.1',
    'b..c',
    'xn--b',
    'sthree-b',
    'b-s3alias',
    'b--ol-s3',
    'b'.repeat(64),
  ])('refuses the bucket name %s', (bucket) => {
    const expected = bucket === 'a-b' ? undefined : 'outputS3Prefix: got';
    const run = () =>
      checkConfigFile(
        {
          ...example,
          glueExports: [{ name: 'g', transformId: 't', outputS3Prefix: `s3://${bucket}/x/` }],
        },
        'test',
      );
    if (expected) expect(run).toThrow(expected);
    else expect(run).not.toThrow();
  });

  it('refuses polling so dense that one export could approach the 25,000-event history limit', () => {
    expect(
      failure({
        ...example,
        polling: { initialWaitSeconds: 1, backoffRate: 1, maxWaitSeconds: 1, maxExportSeconds: 86_400 },
      }),
    ).toContain(
      'polling: got {"initialWaitSeconds":1,"backoffRate":1,"maxWaitSeconds":1,"maxExportSeconds":86400,"strategy":"history"}; expected settings whose longest export (86402 start attempts and status checks, ~3888240 history events) stays under 20000 events',
    );
  });

  it('checks the final output path: a 164-character prefix without its slash would make a 257-character path', () => {
    const prefix = `s3://bucket/${'p'.repeat(164 - ', s3://bucket/'.length + 2)}`;
    expect(prefix).toHaveLength(164);
    const message = failure({
      ...example,
      personalizeExports: [
        { ...(example.personalizeExports as Record<string, unknown>[])[0], outputS3Prefix: prefix },
      ],
    });
    expect(message).toContain('personalizeExports[0].outputS3Prefix: got "s3://bucket/ppp');
    const personalize = (example.personalizeExports as Record<string, unknown>[])[0];
    expect(
      failure({ ...example, personalizeExports: [{ ...personalize, outputS3Prefix: prefix }] }),
    ).toContain(
      `; expected an S3 URI "s3://bucket/prefix/" of at most 164 characters, trailing slash included`,
    );
    // With the slash, 164 characters in all, it fits: 164 + 11 (date) + 80 (execution name) + 1 = 256.
    expect(() =>
      synth({
        ...example,
        personalizeExports: [{ ...personalize, outputS3Prefix: `${prefix.slice(0, 163)}/` }],
      }),
    ).not.toThrow();
  });

  it('checks allowedOutputS3Prefixes and bundles them with the catalog', () => {
    expect(
      failure({ ...example, allowedOutputS3Prefixes: ['s3://ok-bucket/x/', 'https://nope/'] }),
    ).toContain('allowedOutputS3Prefixes[1]: got "https://nope/"; expected an S3 URI');
    expect(failure({ ...example, allowedOutputS3Prefixes: ['s3://bkt/a/../c/'] })).toContain(
      'allowedOutputS3Prefixes[0]: got "s3://bkt/a/../c/"; expected an S3 prefix without empty, "." or ".." segments',
    );
    expect(failure({ ...example, allowedOutputS3Prefixes: 's3://b/' })).toContain(
      'allowedOutputS3Prefixes: got "s3://b/"; expected an array',
    );
    const { stack } = synth({ ...example, allowedOutputS3Prefixes: ['s3://adhoc/backfills'] });
    const catalog = JSON.parse(
      fs.readFileSync(
        path.join(App.of(stack)!.outdir, `${stack.workflow.node.addr}.export-catalog.json`),
        'utf8',
      ),
    ) as { allowedOutputS3Prefixes: string[] };
    expect(catalog.allowedOutputS3Prefixes).toEqual(['s3://adhoc/backfills/']);
  });

  it('refuses a dataset in another region than the stack', () => {
    expect(failure(example, { region: 'eu-west-1', account: '111122223333' })).toContain(
      `personalizeExports[0].datasetArn: got "${DATASET_ARN}"; expected a dataset in the stack's region eu-west-1`,
    );
  });

  it('prints the message, not a stack trace, when `cdk synth` runs the app on a bad file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-config-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ ...example, schedule: 'rate(0 minutes)', maxConcurrency: 0 }));
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../bin/app.ts')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: dir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'mlExports:configFile': file, 'aws:cdk:bundling-stacks': [] }),
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `Invalid ml-exports configuration in ${file}:`,
      'schedule: got "rate(0 minutes)"; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)" (a rate of at least 1)',
      'maxConcurrency: got 0; expected a whole number from 1 to 10000',
    ]);
  });

  it('names the file when it cannot be read or parsed', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [], 'mlExports:configFile': 'config/missing.json' },
    });
    expect(() => buildApp(app)).toThrow(
      /Cannot read the ml-exports configuration file .*config\/missing\.json/,
    );
    expect(() => checkConfigFile([], 'x.json')).toThrow(
      'Invalid ml-exports configuration in x.json:\n(file): got []; expected a JSON object',
    );
  });
});

describe('the stack name', () => {
  it('is MlExports unless -c mlExports:stackName names another deployment, which is checked', () => {
    const app = (stackName?: string) =>
      new App({
        context: {
          'aws:cdk:bundling-stacks': [],
          ...(stackName ? { 'mlExports:stackName': stackName } : {}),
        },
      });
    expect(buildApp(app()).stackName).toBe('MlExports');
    expect(buildApp(app('MlExportsStaging')).stackName).toBe('MlExportsStaging');
    expect(() => buildApp(app('ml exports'))).toThrow(
      'Invalid ml-exports configuration in -c mlExports:stackName:\nmlExports:stackName: got "ml exports"; expected 1-128 letters, digits or "-", starting with a letter',
    );
  });
});

describe('construct props that the configuration file cannot express', () => {
  it('reports a wait of a fraction of a second as a configuration problem, not a CDK error', () => {
    const stack = new Stack(newApp(), 'Fractions', { env: { region: 'us-east-1', account: '111122223333' } });
    expect(
      () =>
        new MlExportWorkflow(stack, 'Workflow', {
          initialPollWait: Duration.millis(1500),
          maxExportDuration: Duration.millis(3_600_500),
          glueExports: [
            {
              name: 'labels',
              transformId: TRANSFORM_ID,
              output: ExportLocation.fromS3Uri('s3://exports-bucket/x/'),
            },
          ],
        }),
    ).toThrow(
      'Invalid MlExportWorkflow props:\ninitialPollWait: got 1.5; expected a whole number of seconds\nmaxExportDuration: got 3600.5; expected a whole number of seconds',
    );
  });
});
