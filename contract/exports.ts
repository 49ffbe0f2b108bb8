/**
 * The export shape, written once with zod (zod/mini: the handlers bundle it), the value rules part of it:
 * the spec of each export type (a discriminated union on `type`) and the polling settings. Every check of
 * an export goes through these schemas: the construct's props at synth (lib/), the configuration file
 * (./config.ts, app/) and the exports an operator gives in an execution's input (lambda/prepare-run). The
 * handlers' types (lambda/shared/types.ts) are inferred from them.
 * @see https://zod.dev/packages/mini
 */
import * as z from 'zod/mini';
import { EXPORT_NAME_PATTERN, EXPORT_TYPES, INGESTION_MODES, POLLING_STRATEGIES } from './names';
import {
  normalizePrefix,
  outputPrefixProblem,
  POLLING_LIMITS,
  problemsFromIssues,
  reportDuplicates,
  unknownFieldExpected,
  type Problem,
} from './validation';

/** What each field expects, as the problems say it. */
export const EXPECTED = {
  name: '1-40 letters, digits, "-" or "_", starting with a letter or digit',
  transformId: 'a Glue ML transform id of 1-255 characters without whitespace',
  datasetArn:
    'a Personalize dataset ARN "arn:aws:personalize:<region>:<account>:dataset/<dataset group>/<DATASET TYPE>" of at most 256 characters',
  roleArn: 'an IAM role ARN "arn:aws:iam::<12-digit account>:role/<name>" of at most 256 characters',
  kmsKeyArn: 'a KMS key ARN "arn:aws:kms:<region>:<account>:key/<key id>"',
  ingestionMode: `one of ${INGESTION_MODES.join(', ')}`,
  type: '"glue" or "personalize"',
  export: 'an object with "type": "glue" or "personalize"',
  strategy: '"history" (time the checks from the export\'s past runs) or "backoff" (the backoff only)',
} as const;

export const DATASET_ARN_PATTERN =
  /^arn:(aws[a-z-]*):personalize:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):dataset\/[a-zA-Z0-9][a-zA-Z0-9_-]*\/[A-Z_]+$/;
export const ROLE_ARN_PATTERN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
export const KMS_KEY_ARN_PATTERN = /^arn:(aws[a-z-]*):kms:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):key\/[^\s]+$/;
/** Glue ids are free text up to 255 characters; whitespace and control characters are never valid in one. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the pattern excludes
const TRANSFORM_ID_PATTERN = /^[^\s\u0000-\u001f]{1,255}$/;

/** The partition of an ARN that matched one of the patterns above. */
export function partitionOf(arn: string): string | undefined {
  return /^arn:([^:]+):/.exec(arn)?.[1];
}

/** A string field: one message whether it is not a string, too long or not of the pattern. */
function text(pattern: RegExp, maxLength: number, expected: string) {
  return z
    .string({ error: expected })
    .check(z.maxLength(maxLength, { error: expected }), z.regex(pattern, { error: expected }));
}

/** An object of exactly these fields: any other is named, with the ones allowed. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = unknownFieldExpected(Object.keys(shape));
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? allowed : undefined),
  });
}

export const exportNameSchema = text(EXPORT_NAME_PATTERN, 40, EXPECTED.name);
export const transformIdSchema = text(TRANSFORM_ID_PATTERN, 255, EXPECTED.transformId);
export const datasetArnSchema = text(DATASET_ARN_PATTERN, 256, EXPECTED.datasetArn);
export const roleArnSchema = text(ROLE_ARN_PATTERN, 256, EXPECTED.roleArn);
export const kmsKeyArnSchema = text(KMS_KEY_ARN_PATTERN, 2048, EXPECTED.kmsKeyArn);
/** Only a missing mode defaults to the service's PUT; null is a value, and not a valid one. */
export const ingestionModeSchema = z._default(
  z.enum(INGESTION_MODES, { error: EXPECTED.ingestionMode }),
  'PUT' as const,
);

/** An S3 URI prefix (see outputPrefixProblem), given its trailing slash. */
export const outputPrefixSchema = z.pipe(
  // A prefix that is not a string gets the same message as a malformed one.
  z.string({ error: outputPrefixProblem(undefined) }).check(
    z.superRefine((prefix, ctx) => {
      const expected = outputPrefixProblem(prefix);
      if (expected) ctx.addIssue({ code: 'custom', message: expected, input: prefix });
    }),
  ),
  z.transform(normalizePrefix),
);

export const glueExportSpecSchema = strict({
  type: z.literal('glue'),
  /** Unique within a run; names the export in events and in the output path. */
  name: exportNameSchema,
  /** S3 prefix; each run writes below `<prefix><yyyy-mm-dd>/<execution name>/`. */
  outputS3Prefix: outputPrefixSchema,
  /** @see https://docs.aws.amazon.com/glue/latest/webapi/API_StartExportLabelsTaskRun.html */
  transformId: transformIdSchema,
});

export const personalizeExportSpecSchema = strict({
  type: z.literal('personalize'),
  name: exportNameSchema,
  outputS3Prefix: outputPrefixSchema,
  /** @see https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html */
  datasetArn: datasetArnSchema,
  /** The IAM role Personalize assumes to write to S3. */
  roleArn: roleArnSchema,
  ingestionMode: ingestionModeSchema,
  kmsKeyArn: z.optional(kmsKeyArnSchema),
}).check(
  // The role and the key are in the dataset's partition (aws, aws-cn, aws-us-gov, ...).
  z.superRefine((spec, ctx) => {
    const partition = partitionOf(spec.datasetArn);
    if (partitionOf(spec.roleArn) !== partition)
      ctx.addIssue({
        code: 'custom',
        path: ['roleArn'],
        message: `a role in the dataset's partition "${partition}"`,
        input: spec.roleArn,
      });
    if (spec.kmsKeyArn !== undefined && partitionOf(spec.kmsKeyArn) !== partition)
      ctx.addIssue({
        code: 'custom',
        path: ['kmsKeyArn'],
        message: `a key in the dataset's partition "${partition}"`,
        input: spec.kmsKeyArn,
      });
  }),
);

export const exportSpecSchema = z.discriminatedUnion(
  'type',
  [glueExportSpecSchema, personalizeExportSpecSchema],
  {
    // A list item that is no object at all, or an object whose `type` is neither.
    error: (issue) => ((issue.code as string) === 'invalid_type' ? EXPECTED.export : EXPECTED.type),
  },
);

export type GlueExportSpec = Readonly<z.output<typeof glueExportSpecSchema>>;
export type PersonalizeExportSpec = Readonly<z.output<typeof personalizeExportSpecSchema>>;
export type ExportSpec = GlueExportSpec | PersonalizeExportSpec;

/**
 * One export as written in configuration or execution input, validated and normalized (trailing slash on
 * the prefix, the default ingestion mode); undefined after adding one problem per bad field.
 */
export function parseExportSpec(raw: unknown, field: string, problems: Problem[]): ExportSpec | undefined {
  const parsed = exportSpecSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(...problemsFromIssues(parsed.error.issues, raw, field));
  return undefined;
}

/** A list of exports: each one, then that names are unique and no transform is exported twice. */
export function parseExportList(raw: unknown, field: string, problems: Problem[]): ExportSpec[] {
  if (!Array.isArray(raw)) {
    problems.push({ field, value: raw, expected: 'an array of exports' });
    return [];
  }
  const checked = raw.flatMap((item, i) => {
    const spec = parseExportSpec(item, `${field}[${i}]`, problems);
    return spec ? [{ field: `${field}[${i}]`, spec }] : [];
  });
  reportRepeatedExports(checked, problems);
  return checked.map((c) => c.spec);
}

/** Names unique within a run, each Glue transform at most once (its task runs are matched by transform). */
export function reportRepeatedExports(
  checked: readonly { field: string; spec: ExportSpec }[],
  problems: Problem[],
): void {
  reportDuplicates(
    checked.map((c) => ({ field: `${c.field}.name`, value: c.spec.name })),
    'export names unique within a run',
    problems,
  );
  reportDuplicates(
    checked.flatMap((c) =>
      c.spec.type === 'glue' ? [{ field: `${c.field}.transformId`, value: c.spec.transformId }] : [],
    ),
    'each Glue transform at most once per run (its task runs are matched by transform and output path)',
    problems,
  );
}

function bounded(key: keyof typeof POLLING_LIMITS, integral: boolean) {
  const { min, max } = POLLING_LIMITS[key];
  const range = `a number from ${min} to ${max}`;
  return z.number({ error: range }).check(
    z.gte(min, { error: range }),
    z.lte(max, { error: range }),
    z.refine((n) => !integral || Number.isInteger(n), { error: 'a whole number of seconds' }),
  );
}

export const pollingSettingsSchema = strict({
  initialWaitSeconds: bounded('initialWaitSeconds', true),
  backoffRate: bounded('backoffRate', false),
  maxWaitSeconds: bounded('maxWaitSeconds', true),
  /** Time from the start of the job after which the export ends as TIMED_OUT. */
  maxExportSeconds: bounded('maxExportSeconds', true),
  /** "history" (default): time the checks from the export's past runs; "backoff": the backoff only. */
  strategy: z.optional(z.enum(POLLING_STRATEGIES, { error: EXPECTED.strategy })),
}).check(
  z.refine((p) => p.maxWaitSeconds >= p.initialWaitSeconds, {
    path: ['maxWaitSeconds'],
    error: (issue) =>
      `at least initialWaitSeconds (${(issue.input as { initialWaitSeconds: number }).initialWaitSeconds})`,
    // Also when another setting is wrong: every problem is told at once.
    when: ({ value }) => {
      const v = value as Record<string, unknown> | undefined;
      return typeof v?.initialWaitSeconds === 'number' && typeof v?.maxWaitSeconds === 'number';
    },
  }),
);

/** How an export's job is polled; filled from configuration. */
export type PollingSettings = Readonly<z.output<typeof pollingSettingsSchema>>;

/** The problems of polling settings, at `field` (`polling`). */
export function pollingProblems(raw: unknown, field: string): Problem[] {
  const parsed = pollingSettingsSchema.safeParse(raw);
  return parsed.success ? [] : problemsFromIssues(parsed.error.issues, raw, field);
}

export { EXPORT_TYPES };
