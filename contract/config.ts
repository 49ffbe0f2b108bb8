/**
 * The configuration file (config/*.json) of the deployable app, written once with zod: its fields, each
 * described with its default and unit, the value rules, the TypeScript type, the list of allowed fields and
 * the JSON Schema for the documentation all come from {@link configurationSchema}. Its exports are the
 * export shape of ./exports.ts without `type` (the list says it), their prefix an S3 URI or, with
 * `createOutputBucket`, a key prefix in the created bucket, their role the created one when they name none.
 * Checked as a whole by {@link checkConfiguration}, which applies the workflow's own check (./workflow.ts)
 * as the construct does, so that a file reports every problem at once with the paths written in it.
 * @see https://zod.dev/json-schema
 */
import * as z from 'zod';
import * as zm from 'zod/mini';
import {
  datasetArnSchema,
  EXPECTED,
  exportNameSchema,
  ingestionModeSchema,
  kmsKeyArnSchema,
  partitionOf,
  roleArnSchema,
  transformIdSchema,
} from './exports';
import { POLLING_STRATEGIES } from './names';
import { checkScheduleExpression, checkTimeZone } from './schedule-expression';
import { isKeyPrefix, placeInBucket } from './s3-uri';
import {
  outputPrefixProblem,
  fieldPath,
  firstPerField,
  isPlainObject,
  POLLING_LIMITS,
  problemsFromIssues,
  unknownFieldExpected,
  type Problem,
} from './validation';
import {
  arnPlace,
  checkWorkflow,
  DEFAULTS,
  deployTimeStandIn,
  type Located,
  type StackEnvironment,
  type WorkflowCheckInput,
} from './workflow';

/**
 * Retention periods CloudWatch Logs accepts, in days (9999: never expire), as aws-cdk-lib's RetentionDays.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  9999,
] as const;

const BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN_PATTERN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):\d{12}:event-bus\/[/.\-_A-Za-z0-9]{1,256}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** A rule given as a function that adds its problem: the schema's check, with the rule's own message. */
function rule(check: (value: unknown, field: string, problems: Problem[]) => boolean) {
  return z.superRefine((value: string, ctx) => {
    const problems: Problem[] = [];
    if (!check(value, '', problems))
      ctx.addIssue({ code: 'custom', message: problems[0].expected, input: value });
  });
}

/** What a rule expects, as it says it of a value that is not even a string (for a field of another type). */
function expectedOf(check: (value: unknown, field: string, problems: Problem[]) => boolean): string {
  const problems: Problem[] = [];
  check(null, '', problems);
  return problems[0].expected;
}

/** A string checked by a rule, with the rule's own message for a value that is not a string either. */
function ruledString(check: (value: unknown, field: string, problems: Problem[]) => boolean) {
  return z.string({ error: expectedOf(check) }).check(rule(check));
}

const BUS_EXPECTED =
  'an event bus name of 1-256 letters, digits, ".", "-", "_" or "/", or an event bus ARN "arn:aws:events:<region>:<account>:event-bus/<name>"';

function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = unknownFieldExpected(Object.keys(shape));
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? allowed : undefined),
  });
}

const wholeSeconds = (description: string) =>
  z
    .int({ error: 'a whole number of seconds' })
    .min(0, { error: 'a whole number of seconds' })
    .describe(description);
const count = (expected: string) =>
  z.int({ error: expected }).min(1, { error: expected }).max(10_000, { error: expected });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'an array' });
const outputS3Prefix = z
  .string({ error: outputPrefixProblem(undefined) })
  .describe(
    'Where the export writes: an S3 URI prefix "s3://bucket/prefix/" (at most 164 characters with its trailing slash, which is added when missing), or, with createOutputBucket, a key prefix in the created bucket ("personalize/items/"). Each run writes below <prefix><yyyy-mm-dd>/<execution name>/.',
  );

export const glueExportEntrySchema = strict({
  name: exportNameSchema.check(
    zm.describe(
      `Unique within the deployment: names the export in events, job names and the exportNames input. ${EXPECTED.name}.`,
    ),
  ),
  transformId: transformIdSchema.check(
    zm.describe('The Glue ML transform whose labels are exported (StartExportLabelsTaskRun).'),
  ),
  outputS3Prefix,
}).describe('A Glue ML transform whose labels each run exports.');

export const personalizeExportEntrySchema = strict({
  name: exportNameSchema.check(zm.describe(`Unique within the deployment. ${EXPECTED.name}.`)),
  datasetArn: datasetArnSchema.check(
    zm.describe("The Personalize dataset, in the stack's region and account."),
  ),
  roleArn: z
    .optional(roleArnSchema)
    .describe(
      'The role Personalize assumes to write the export (it must allow s3:PutObject under the prefix). Default: the created role, with createPersonalizeRole (required otherwise).',
    ),
  outputS3Prefix,
  ingestionMode: ingestionModeSchema.check(
    zm.describe('Which data: BULK, PUT or ALL. Default PUT, as the service.'),
  ),
  kmsKeyArn: z
    .optional(kmsKeyArnSchema)
    .describe(
      "KMS key Personalize encrypts the export with, in the stack's region. Default: the bucket's own encryption.",
    ),
}).describe('A Personalize dataset each run exports.');

export const configurationSchema = strict({
  $comment: z.optional(z.string({ error: 'a string' })).describe('Free text for the reader; ignored.'),
  eventSource: z
    .string({ error: '1-256 characters, not starting with "aws."' })
    .default(DEFAULTS.eventSource)
    .describe('`source` of every event the workflow sends: 1-256 characters, not starting with "aws.".'),
  eventBusName: z
    .string({ error: BUS_EXPECTED })
    .check(
      z.superRefine((value, ctx) => {
        if (!BUS_ARN_PATTERN.test(value) && !BUS_NAME_PATTERN.test(value))
          ctx.addIssue({
            code: 'custom',
            input: value,
            message: BUS_EXPECTED,
          });
      }),
    )
    .optional()
    .describe(
      "The bus the events go to: its name (a bus of the stack's account), or its ARN (a bus of another account, in the stack's region). Default: the account's default bus.",
    ),
  schedule: ruledString(checkScheduleExpression)
    .optional()
    .describe(
      'EventBridge Scheduler expression that starts a run of every export: "cron(0 3 * * ? *)", "rate(1 day)" or "at(...)". Default: no schedule.',
    ),
  scheduleTimeZone: ruledString(checkTimeZone)
    .optional()
    .describe(
      'IANA time zone of a cron or at schedule, e.g. "Europe/Berlin". Default "UTC"; only with a schedule.',
    ),
  polling: strict({
    initialWaitSeconds: wholeSeconds(
      `Seconds before the first status check (${POLLING_LIMITS.initialWaitSeconds.min}-${POLLING_LIMITS.initialWaitSeconds.max}). Default ${DEFAULTS.initialWaitSeconds}.`,
    ).optional(),
    backoffRate: z
      .number({
        error: `a number from ${POLLING_LIMITS.backoffRate.min} to ${POLLING_LIMITS.backoffRate.max}`,
      })
      .optional()
      .describe(
        `Factor the wait grows by after each check (${POLLING_LIMITS.backoffRate.min}-${POLLING_LIMITS.backoffRate.max}). Default ${DEFAULTS.backoffRate}.`,
      ),
    maxWaitSeconds: wholeSeconds(
      `Longest wait between two checks, in seconds (at least initialWaitSeconds, at most ${POLLING_LIMITS.maxWaitSeconds.max}). Default ${DEFAULTS.maxWaitSeconds}.`,
    ).optional(),
    maxExportSeconds: wholeSeconds(
      `Seconds from the job's start after which the export ends as TIMED_OUT (${POLLING_LIMITS.maxExportSeconds.min}-${POLLING_LIMITS.maxExportSeconds.max}). Default ${DEFAULTS.maxExportSeconds} (12 hours).`,
    ).optional(),
    strategy: z
      .enum(POLLING_STRATEGIES, { error: EXPECTED.strategy })
      .optional()
      .describe(
        `"history": time the checks from the export's past runs; "backoff": the capped exponential backoff only. Default "${DEFAULTS.strategy}".`,
      ),
  })
    .optional()
    .describe('How each export job is polled.'),
  maxConcurrency: count('a whole number from 1 to 10000')
    .optional()
    .describe(`Exports of one run that go at the same time. Default ${DEFAULTS.maxConcurrency}.`),
  maxConcurrentGlueExports: count('a whole number from 1 to 10000 (your account quota)')
    .optional()
    .describe(
      `Glue ML task runs this workflow may have running at once (the account quota, less what others use). Default ${DEFAULTS.maxConcurrentGlueExports}.`,
    ),
  maxConcurrentPersonalizeExports: count('a whole number from 1 to 10000 (your account quota)')
    .optional()
    .describe(
      `Personalize dataset export jobs this workflow may have unfinished at once (the account quota). Default ${DEFAULTS.maxConcurrentPersonalizeExports}.`,
    ),
  logRetentionDays: z
    .number({ error: `one of ${LOG_RETENTION_DAYS.join(', ')}` })
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      error: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .optional()
    .describe(`Days the state machine's and functions' logs are kept. Default ${DEFAULTS.logRetentionDays}.`),
  logKmsKeyArn: z
    .optional(kmsKeyArnSchema)
    .describe(
      "KMS key for the logs, in the stack's region; its key policy must let CloudWatch Logs use it. Default: CloudWatch Logs' service key.",
    ),
  createOutputBucket: z
    .boolean({ error: 'true or false' })
    .optional()
    .describe(
      'Create the output bucket: exports may then give a key prefix instead of an s3:// URI. Default false.',
    ),
  createPersonalizeRole: z
    .boolean({ error: 'true or false' })
    .optional()
    .describe('Create the role Personalize assumes, for Personalize exports without roleArn. Default false.'),
  alarmEmail: z
    .string({ error: 'an e-mail address' })
    .regex(EMAIL_PATTERN, { error: 'an e-mail address' })
    .optional()
    .describe('E-mail address the alarms notify, through an encrypted SNS topic. Default: no notifications.'),
  allowedOutputS3Prefixes: list(z.string({ error: outputPrefixProblem(undefined) }))
    .optional()
    .describe(
      "Where exports given in an execution's input may write, besides the configured exports' prefixes: S3 URI prefixes, or key prefixes in the created bucket. Default: none.",
    ),
  glueExports: list(glueExportEntrySchema)
    .optional()
    .describe('Glue ML transforms whose labels each run exports.'),
  personalizeExports: list(personalizeExportEntrySchema)
    .optional()
    .describe('Personalize datasets each run exports.'),
}).describe('The configuration of an ml-exports deployment (one export workflow).');

/** A configuration file, as written. */
export type Configuration = z.input<typeof configurationSchema>;

/** The fields a configuration file may have. */
export const CONFIGURATION_FIELDS = Object.keys(configurationSchema.shape) as (keyof Configuration)[];

/** The configuration file's JSON Schema (draft 2020-12), with each field's description, for the docs. */
export function configurationJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configurationSchema, { io: 'input' }) as Record<string, unknown>;
}

/** A checked configuration: only its valid fields, and every problem of the file. */
export interface CheckedConfiguration {
  readonly config: Configuration;
  readonly problems: Problem[];
}

/**
 * Every problem of a configuration file, each once, with its path as written in the file: each field's
 * value rules, the fields that go together, and the workflow's own check (./workflow.ts) of the exports and
 * settings, with stand-ins for the bucket and role the stack creates. `env` is the stack's, where known.
 */
export function checkConfiguration(raw: unknown, env: StackEnvironment = {}): CheckedConfiguration {
  if (!isPlainObject(raw)) {
    return { config: {}, problems: [{ field: '(file)', value: raw, expected: 'a JSON object' }] };
  }
  const problems: Problem[] = [];
  const config: Record<string, unknown> = {};
  const shape = configurationSchema.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(raw)) {
    const schema = shape[key];
    if (!schema) {
      problems.push({
        field: fieldPath('', [key]),
        value,
        expected: unknownFieldExpected(CONFIGURATION_FIELDS),
      });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) config[key] = value;
    else problems.push(...problemsFromIssues(parsed.error.issues, value, key));
  }
  const valid = config as Configuration;
  // A time zone alone would be ignored: say so rather than deploy no schedule.
  if (raw.scheduleTimeZone !== undefined && raw.schedule === undefined)
    problems.push({
      field: 'scheduleTimeZone',
      value: raw.scheduleTimeZone,
      expected: 'no time zone without a "schedule" (add the schedule, or remove the time zone)',
    });
  for (const [field, what] of [
    ['eventBusName', 'an event bus'],
    ['logKmsKeyArn', 'a key'],
  ] as const) {
    const region = typeof valid[field] === 'string' ? arnPlace(valid[field])?.region : undefined;
    if (region && env.region && region !== env.region)
      problems.push({ field, value: valid[field], expected: `${what} in the stack's region ${env.region}` });
  }
  const checked = checkWorkflow(workflowCheckInput(raw, valid, env));
  const all = firstPerField([...problems, ...checked.problems]).map((p) => withHint(raw, p));
  return { config: valid, problems: inFileOrder(raw, all) };
}

/** A problem that a setting of the file would fix says which. */
function withHint(raw: Record<string, unknown>, problem: Problem): Problem {
  const prefixField = /(Exports\[\d+\]\.outputS3Prefix|^allowedOutputS3Prefixes\[\d+\])$/.test(problem.field);
  if (prefixField && isKeyPrefix(problem.value) && raw.createOutputBucket !== true)
    return { ...problem, expected: `${problem.expected} (a key prefix needs "createOutputBucket": true)` };
  if (
    /^personalizeExports\[\d+\]\.roleArn$/.test(problem.field) &&
    problem.value === undefined &&
    raw.createPersonalizeRole !== true
  )
    return {
      ...problem,
      expected: `${problem.expected}, or "createPersonalizeRole": true for a role the stack creates`,
    };
  return problem;
}

/** Problems in the order of the fields (and list items) they concern in the file, so they read top down. */
function inFileOrder(raw: Record<string, unknown>, problems: Problem[]): Problem[] {
  const keys = Object.keys(raw);
  const rank = (field: string): [number, number] => {
    const match = /^([^.[]+)(?:\[(\d+)\])?/.exec(field);
    const key = match ? keys.indexOf(match[1]) : -1;
    return [key < 0 ? keys.length : key, match?.[2] === undefined ? -1 : Number(match[2])];
  };
  return problems
    .map((problem, i) => ({ problem, i, rank: rank(problem.field) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.i - b.i)
    .map((r) => r.problem);
}

/**
 * The file's exports and settings as the workflow's check takes them: each export with its type, a key
 * prefix placed in the created bucket and a missing role the created one (stand-ins for both, which exist
 * only at deployment). Fields that failed their own rules are given as they are: their problem is told once.
 */
function workflowCheckInput(
  raw: Record<string, unknown>,
  valid: Configuration,
  env: StackEnvironment,
): WorkflowCheckInput {
  const bucket = deployTimeStandIn('bucket', 0);
  const place = (prefix: unknown) =>
    valid.createOutputBucket && isKeyPrefix(prefix) ? placeInBucket(bucket, prefix) : prefix;
  const entries = (key: 'glueExports' | 'personalizeExports', type: string): Located[] =>
    (Array.isArray(raw[key]) ? (raw[key] as unknown[]) : []).map((entry, i) => ({
      field: `${key}[${i}]`,
      value: isPlainObject(entry)
        ? {
            type,
            ...entry,
            outputS3Prefix: place(entry.outputS3Prefix),
            ...(type === 'personalize' && entry.roleArn === undefined && valid.createPersonalizeRole
              ? {
                  roleArn: deployTimeStandIn(
                    'roleArn',
                    0,
                    typeof entry.datasetArn === 'string' ? partitionOf(entry.datasetArn) : undefined,
                  ),
                }
              : {}),
          }
        : entry,
    }));
  const polling = isPlainObject(raw.polling) ? raw.polling : {};
  return {
    exports: [...entries('glueExports', 'glue'), ...entries('personalizeExports', 'personalize')],
    allowedOutputS3Prefixes: (Array.isArray(raw.allowedOutputS3Prefixes)
      ? raw.allowedOutputS3Prefixes
      : []
    ).map((value: unknown, i) => ({ field: `allowedOutputS3Prefixes[${i}]`, value: place(value) })),
    eventSource: raw.eventSource as string | undefined,
    polling: {
      initialWaitSeconds: polling.initialWaitSeconds,
      backoffRate: polling.backoffRate,
      maxWaitSeconds: polling.maxWaitSeconds,
      maxExportSeconds: polling.maxExportSeconds,
      strategy: polling.strategy,
    },
    maxConcurrency: raw.maxConcurrency as number | undefined,
    maxConcurrentGlueExports: raw.maxConcurrentGlueExports as number | undefined,
    maxConcurrentPersonalizeExports: raw.maxConcurrentPersonalizeExports as number | undefined,
    environment: env,
  };
}
