/**
 * Validation rules for exports and polling settings, one set shared by the synth-time configuration check
 * (lib/config.ts, lib/workflow-props.ts) and the run-time check of an operator's execution input
 * (lambda/prepare-run), so the two can never disagree.
 * Every rule reports a {@link Problem} naming the field, the value received and what is expected; callers
 * collect all problems and throw once.
 */
import type { ExportSpec, GlueExportSpec, PersonalizeExportSpec, PollingSettings } from './exports';
import type { IngestionMode } from './names';
import { arnPartition } from './arn';
import { EXPORT_NAME_PATTERN, INGESTION_MODES, POLLING_STRATEGIES } from './names';
import { parseS3Uri } from './s3-uri';

export { arnAccount, arnPartition, arnRegion } from './arn';

export interface Problem {
  readonly field: string;
  readonly value: unknown;
  readonly expected: string;
}

/** At most this many problems are spelled out, so a message stays within event and Cause size limits. */
export const MAX_PROBLEMS_LISTED = 50;

export function formatProblems(problems: readonly Problem[]): string {
  const lines = problems
    .slice(0, MAX_PROBLEMS_LISTED)
    .map((p) => `${p.field}: got ${describeValue(p.value)}; expected ${p.expected}`);
  if (problems.length > MAX_PROBLEMS_LISTED)
    lines.push(`... and ${problems.length - MAX_PROBLEMS_LISTED} more problems`);
  return lines.join('\n');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Nested too deeply for JSON.stringify (a hostile input thousands of levels deep): say what it is.
    text = Array.isArray(value) ? '[...] (nested too deeply to show)' : '{...} (nested too deeply to show)';
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export { INGESTION_MODES };

export { EXPORT_NAME_PATTERN };
/**
 * No whitespace, control characters (a NUL would only fail later, at the service) or bidirectional
 * overrides (which can disguise a folder name in a console) in a key.
 */
const S3_URI_PATTERN =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what the pattern excludes
  /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]*)?$/;
const DATASET_ARN_PATTERN =
  /^arn:(aws[a-z-]*):personalize:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):dataset\/[a-zA-Z0-9][a-zA-Z0-9_-]*\/[A-Z_]+$/;
const ROLE_ARN_PATTERN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const KMS_KEY_ARN_PATTERN = /^arn:(aws[a-z-]*):kms:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):key\/[^\s]+$/;
/** Glue ids are free text up to 255 characters; whitespace and control characters are never valid in one. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the pattern excludes
const TRANSFORM_ID_PATTERN = /^[^\s\u0000-\u001f]{1,255}$/;

/**
 * Longest prefix accepted: Personalize caps the output path at 256 characters, and each run appends
 * `yyyy-mm-dd/` (11) and the execution name (up to 80) with a slash.
 */
export const MAX_OUTPUT_PREFIX_LENGTH = 256 - 11 - 81;

const GLUE_FIELDS = ['type', 'name', 'transformId', 'outputS3Prefix'];
const PERSONALIZE_FIELDS = [
  'type',
  'name',
  'datasetArn',
  'roleArn',
  'outputS3Prefix',
  'ingestionMode',
  'kmsKeyArn',
];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Longest part of an unknown key a message shows: the key is echoed in events and states. */
export const MAX_KEY_SHOWN = 60;

/** Reports each key of `obj` that is not in `allowed`, showing at most {@link MAX_KEY_SHOWN} characters of it. */
export function rejectUnknownFields(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  field: string,
  problems: Problem[],
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const shown = key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN - 3)}...` : key;
      problems.push({
        field: /^[A-Za-z_$][\w$]*$/.test(shown)
          ? `${field ? `${field}.` : ''}${shown}`
          : `${field}[${JSON.stringify(shown)}]`,
        value: obj[key],
        expected: `no such field (allowed: ${allowed.join(', ')})`,
      });
    }
  }
}

function checkString(
  value: unknown,
  field: string,
  pattern: RegExp,
  maxLength: number,
  expected: string,
  problems: Problem[],
): value is string {
  if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) {
    problems.push({ field, value, expected });
    return false;
  }
  return true;
}

/**
 * An output prefix: an S3 URI whose final form (with its trailing slash) leaves room for the run's folder
 * within Personalize's 256-character path limit, and whose key has no empty or relative segments ("//",
 * "./", "../"), which S3 would keep literally and which make prefixes that look nested but are not.
 */
export function checkOutputPrefix(prefix: unknown, field: string, problems: Problem[]): prefix is string {
  const expected = `an S3 URI "s3://bucket/prefix/" of at most ${MAX_OUTPUT_PREFIX_LENGTH} characters, trailing slash included`;
  // A URI with a bucket gets the bucket's own rule first: "My_Bucket" is a bucket-name problem.
  const location = parseS3Uri(prefix);
  const bucketProblem = location && bucketNameProblem(location.bucket);
  if (bucketProblem) {
    problems.push({ field, value: prefix, expected: `an S3 URI whose bucket name ${bucketProblem}` });
    return false;
  }
  if (!checkString(prefix, field, S3_URI_PATTERN, MAX_OUTPUT_PREFIX_LENGTH, expected, problems)) return false;
  if (normalizePrefix(prefix).length > MAX_OUTPUT_PREFIX_LENGTH) {
    problems.push({ field, value: prefix, expected });
    return false;
  }
  const { key } = location!;
  if (
    key
      .split('/')
      .some(
        (segment, i, all) => segment === '.' || segment === '..' || (segment === '' && i < all.length - 1),
      )
  ) {
    problems.push({
      field,
      value: prefix,
      expected: 'an S3 prefix without empty, "." or ".." segments (no "//", "./" or "../")',
    });
    return false;
  }
  return true;
}

/**
 * What is wrong with a bucket name by S3's naming rules, or undefined.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
    return 'has 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit';
  if (name.includes('..')) return 'has no two adjacent periods';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'is not an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-')) return 'does not start with "xn--" or "sthree-"';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3'))
    return 'does not end with "-s3alias" or "--ol-s3"';
  return undefined;
}

/** Adds the trailing slash S3 prefixes are documented with, so a run's folder sits below the prefix. */
export function normalizePrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Validates one export as written in configuration or execution input. Returns the normalized spec, or
 * undefined after adding one problem per bad field.
 */
export function validateExportSpec(raw: unknown, field: string, problems: Problem[]): ExportSpec | undefined {
  if (!isPlainObject(raw)) {
    problems.push({ field, value: raw, expected: 'an object with "type": "glue" or "personalize"' });
    return undefined;
  }
  const before = problems.length;
  const name = raw.name;
  checkString(
    name,
    `${field}.name`,
    EXPORT_NAME_PATTERN,
    40,
    '1-40 letters, digits, "-" or "_", starting with a letter or digit',
    problems,
  );
  const prefix = raw.outputS3Prefix;
  checkOutputPrefix(prefix, `${field}.outputS3Prefix`, problems);

  if (raw.type === 'glue') {
    rejectUnknownFields(raw, GLUE_FIELDS, field, problems);
    checkString(
      raw.transformId,
      `${field}.transformId`,
      TRANSFORM_ID_PATTERN,
      255,
      'a Glue ML transform id of 1-255 characters without whitespace',
      problems,
    );
    if (problems.length > before) return undefined;
    const spec: GlueExportSpec = {
      type: 'glue',
      name: name as string,
      transformId: raw.transformId as string,
      outputS3Prefix: normalizePrefix(prefix as string),
    };
    return spec;
  }

  if (raw.type === 'personalize') {
    rejectUnknownFields(raw, PERSONALIZE_FIELDS, field, problems);
    const datasetOk = checkString(
      raw.datasetArn,
      `${field}.datasetArn`,
      DATASET_ARN_PATTERN,
      256,
      'a Personalize dataset ARN "arn:aws:personalize:<region>:<account>:dataset/<dataset group>/<DATASET TYPE>" of at most 256 characters',
      problems,
    );
    const roleOk = checkString(
      raw.roleArn,
      `${field}.roleArn`,
      ROLE_ARN_PATTERN,
      256,
      'an IAM role ARN "arn:aws:iam::<12-digit account>:role/<name>" of at most 256 characters',
      problems,
    );
    // Only a missing mode defaults to the service's PUT; null is a value, and not a valid one.
    const mode = raw.ingestionMode === undefined ? 'PUT' : raw.ingestionMode;
    if (!INGESTION_MODES.includes(mode as IngestionMode)) {
      problems.push({
        field: `${field}.ingestionMode`,
        value: raw.ingestionMode,
        expected: `one of ${INGESTION_MODES.join(', ')}`,
      });
    }
    const kmsOk =
      raw.kmsKeyArn === undefined ||
      checkString(
        raw.kmsKeyArn,
        `${field}.kmsKeyArn`,
        KMS_KEY_ARN_PATTERN,
        2048,
        'a KMS key ARN "arn:aws:kms:<region>:<account>:key/<key id>"',
        problems,
      );
    if (datasetOk && roleOk) {
      const partition = arnPartition(raw.datasetArn as string);
      if (arnPartition(raw.roleArn as string) !== partition) {
        problems.push({
          field: `${field}.roleArn`,
          value: raw.roleArn,
          expected: `a role in the dataset's partition "${partition}"`,
        });
      }
      if (kmsOk && raw.kmsKeyArn !== undefined && arnPartition(raw.kmsKeyArn as string) !== partition) {
        problems.push({
          field: `${field}.kmsKeyArn`,
          value: raw.kmsKeyArn,
          expected: `a key in the dataset's partition "${partition}"`,
        });
      }
    }
    if (problems.length > before) return undefined;
    const spec: PersonalizeExportSpec = {
      type: 'personalize',
      name: name as string,
      datasetArn: raw.datasetArn as string,
      roleArn: raw.roleArn as string,
      outputS3Prefix: normalizePrefix(prefix as string),
      ingestionMode: mode as IngestionMode,
      ...(raw.kmsKeyArn !== undefined ? { kmsKeyArn: raw.kmsKeyArn as string } : {}),
    };
    return spec;
  }

  problems.push({ field: `${field}.type`, value: raw.type, expected: '"glue" or "personalize"' });
  return undefined;
}

/** Validates a list of exports: each one, then that names are unique and no transform is exported twice. */
export function validateExportList(raw: unknown, field: string, problems: Problem[]): ExportSpec[] {
  if (!Array.isArray(raw)) {
    problems.push({ field, value: raw, expected: 'an array of exports' });
    return [];
  }
  const specs: ExportSpec[] = [];
  raw.forEach((item, i) => {
    const spec = validateExportSpec(item, `${field}[${i}]`, problems);
    if (spec) specs.push(spec);
  });
  reportDuplicates(
    specs.map((s) => s.name),
    `${field}[].name`,
    'export names unique within a run',
    problems,
  );
  reportDuplicates(
    specs.flatMap((s) => (s.type === 'glue' ? [s.transformId] : [])),
    `${field}[].transformId`,
    'each Glue transform at most once per run (its task runs are matched by transform and output path)',
    problems,
  );
  return specs;
}

function reportDuplicates(
  values: readonly string[],
  field: string,
  expected: string,
  problems: Problem[],
): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) problems.push({ field, value, expected });
    seen.add(value);
  }
}

/** Bounds on polling settings: waits must fit a Wait state and an export must end within Step Functions' year. */
export const POLLING_LIMITS = {
  initialWaitSeconds: { min: 1, max: 3600 },
  backoffRate: { min: 1, max: 10 },
  maxWaitSeconds: { min: 1, max: 86_400 },
  maxExportSeconds: { min: 60, max: 7 * 86_400 },
} as const;

export { POLLING_STRATEGIES };

export function validatePolling(raw: PollingSettings, field: string, problems: Problem[]): void {
  for (const [key, { min, max }] of Object.entries(POLLING_LIMITS)) {
    const value = raw[key as keyof PollingSettings];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      problems.push({ field: `${field}.${key}`, value, expected: `a number from ${min} to ${max}` });
    } else if (key !== 'backoffRate' && !Number.isInteger(value)) {
      problems.push({ field: `${field}.${key}`, value, expected: 'a whole number of seconds' });
    }
  }
  if (raw.strategy !== undefined && !POLLING_STRATEGIES.includes(raw.strategy)) {
    problems.push({
      field: `${field}.strategy`,
      value: raw.strategy,
      expected: '"history" (time the checks from the export\'s past runs) or "backoff" (the backoff only)',
    });
  }
  if (raw.maxWaitSeconds < raw.initialWaitSeconds) {
    problems.push({
      field: `${field}.maxWaitSeconds`,
      value: raw.maxWaitSeconds,
      expected: `at least initialWaitSeconds (${raw.initialWaitSeconds})`,
    });
  }
}

/** Up to 20 values, so that a message about a large configuration stays readable. */
export function listSome(values: readonly string[]): string {
  return values.length > 20
    ? `${values.slice(0, 20).join(', ')}, ... (${values.length} in all)`
    : values.join(', ');
}

/** An export's prefix, where its field is (`glueExports[0]`), for the one-folder-per-export rules. */
export interface PrefixOwner {
  readonly field: string;
  readonly name: string;
  /** Normalized: with its trailing slash, so that prefixes compare by whole segments. */
  readonly prefix: string;
}

/** How `prefix` stands to `other`'s: equal to, inside or containing it, or undefined when apart. */
export function prefixNesting(
  prefix: string,
  other: string,
): 'equal to' | 'inside' | 'containing' | undefined {
  if (prefix === other) return 'equal to';
  if (prefix.startsWith(other)) return 'inside';
  if (other.startsWith(prefix)) return 'containing';
  return undefined;
}

/**
 * One folder per export: no two exports' prefixes may be equal or one inside the other, or a consumer of one
 * export would read the other's files. Reports each clash once, on the export listed later, naming both.
 * Sorted, a prefix's descendants follow it, so one pass with a stack of open prefixes finds every clash.
 */
export function reportNestedPrefixes(owners: readonly PrefixOwner[], problems: Problem[]): void {
  const order = new Map(owners.map((o, i) => [o, i]));
  const sorted = [...owners].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  const open: PrefixOwner[] = [];
  for (const owner of sorted) {
    while (open.length > 0 && !owner.prefix.startsWith(open[open.length - 1].prefix)) open.pop();
    const outer = open[open.length - 1];
    if (outer) {
      const [first, later] = order.get(outer)! < order.get(owner)! ? [outer, owner] : [owner, outer];
      problems.push({
        field: `${later.field}.outputS3Prefix`,
        value: later.prefix,
        expected:
          `a prefix of its own, neither equal to nor inside nor containing another export's: it is ` +
          `${prefixNesting(later.prefix, first.prefix)} export "${first.name}"'s ${first.prefix} ` +
          `(${first.field}); each export writes its own folder, one per run`,
      });
    }
    // An equal prefix is the one already open: the next clash is told against that one.
    if (!outer || outer.prefix !== owner.prefix) open.push(owner);
  }
}

/** A run's folder below a prefix: `<yyyy-mm-dd>/<execution name>/`. */
const RUN_FOLDER = /^(\d{4}-\d{2}-\d{2})\/([^/]+)\//;

/**
 * The run folder that `prefix` lies in, below one of `prefixes` (`<prefix><yyyy-mm-dd>/<execution name>/`),
 * or undefined: an export given in the input may not write into another run's folder.
 */
export function runFolderOf(prefix: string, prefixes: readonly string[]): string | undefined {
  for (const outer of prefixes) {
    if (!prefix.startsWith(outer)) continue;
    const match = RUN_FOLDER.exec(prefix.slice(outer.length));
    if (match) return `${outer}${match[0]}`;
  }
  return undefined;
}
