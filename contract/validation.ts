/**
 * The value rules of the contract, plain functions with no dependency: what a {@link Problem} is and how
 * problems are told, the rules on output prefixes and bucket names, one folder per export, and where a
 * resource must be. The zod schemas (./exports.ts, ./config.ts) apply them; the synth-time check
 * (lib/), the configuration file's check (app/) and the run-time check of an operator's execution input
 * (lambda/prepare-run) all go through those schemas, so they can never disagree.
 * Every rule reports a {@link Problem} naming the field, the value received and what is expected; callers
 * collect all problems and throw once.
 */
import { parseS3Uri } from './s3-uri';

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
  if (text.length <= 120) return text;
  // Shortened, saying how long it is: a name of 300 characters is refused for its length.
  const size =
    typeof value === 'string' ? `a string of ${value.length} characters` : `${text.length} characters`;
  return `${text.slice(0, 100)}... (${size})`;
}

/**
 * Longest prefix accepted: Personalize caps the output path at 256 characters, and each run appends
 * `yyyy-mm-dd/` (11) and the execution name (up to 80) with a slash.
 */
export const MAX_OUTPUT_PREFIX_LENGTH = 256 - 11 - 81;

/**
 * No whitespace, control characters (a NUL would only fail later, at the service) or bidirectional
 * overrides (which can disguise a folder name in a console) in a key.
 */
const S3_URI_PATTERN =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what the pattern excludes
  /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]*)?$/;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Longest part of an unknown key a message shows: the key is echoed in events and states. */
export const MAX_KEY_SHOWN = 60;

/** The path of a field as a user writes it: `input.exports[0].name`, `input["odd key"]`. */
export function fieldPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const key = String(segment);
    const shown = key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN - 3)}...` : key;
    out += /^[A-Za-z_$][\w$]*$/.test(shown) ? `${out ? '.' : ''}${shown}` : `[${JSON.stringify(shown)}]`;
  }
  return out;
}

/** Reports each key of `obj` that is not in `allowed`, showing at most {@link MAX_KEY_SHOWN} characters of it. */
export function rejectUnknownFields(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  field: string,
  problems: Problem[],
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      problems.push({
        field: fieldPath(field, [key]),
        value: obj[key],
        expected: unknownFieldExpected(allowed),
      });
    }
  }
}

/** What is expected instead of a field that does not exist. */
export function unknownFieldExpected(allowed: readonly string[]): string {
  return `no such field (allowed: ${allowed.join(', ')})`;
}

/** One issue of a zod parse, as much of it as the problems need (zod's own type, kept structural). */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

/**
 * The problems of a zod parse of `input` at `field`: one per field (the first of its issues: each check of a
 * field carries the same message), one per unknown key, with the value as received.
 */
export function problemsFromIssues(issues: readonly SchemaIssue[], input: unknown, field: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const add = (path: readonly PropertyKey[], expected: string) => {
    const at = fieldPath(field, path);
    if (seen.has(at)) return;
    seen.add(at);
    problems.push({ field: at, value: valueAt(input, path), expected });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys ?? []) add([...issue.path, key], issue.message);
    } else add(issue.path, issue.message);
  }
  return problems;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Keeps the first problem of each field: the same rule reached twice (a file's field, then its export). */
export function firstPerField(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.field) && (seen.add(p.field), true));
}

/**
 * What is wrong with an output prefix, or undefined: an S3 URI whose final form (with its trailing slash)
 * leaves room for the run's folder within Personalize's 256-character path limit, and whose key has no
 * empty or relative segments ("//", "./", "../"), which S3 would keep literally and which make prefixes that
 * look nested but are not.
 */
export function outputPrefixProblem(prefix: unknown): string | undefined {
  const expected = `an S3 URI "s3://bucket/prefix/" of at most ${MAX_OUTPUT_PREFIX_LENGTH} characters, trailing slash included`;
  // A URI with a bucket gets the bucket's own rule first: "My_Bucket" is a bucket-name problem.
  const location = parseS3Uri(prefix);
  const bucketProblem = location && bucketNameProblem(location.bucket);
  if (bucketProblem) return `an S3 URI whose bucket name ${bucketProblem}`;
  if (typeof prefix !== 'string' || !S3_URI_PATTERN.test(prefix)) return expected;
  if (normalizePrefix(prefix).length > MAX_OUTPUT_PREFIX_LENGTH) return expected;
  const segments = location!.key.split('/');
  if (segments.some((s, i) => s === '.' || s === '..' || (s === '' && i < segments.length - 1)))
    return 'an S3 prefix without empty, "." or ".." segments (no "//", "./" or "../")';
  return undefined;
}

/** Checks an output prefix (see {@link outputPrefixProblem}), adding its problem. */
export function checkOutputPrefix(prefix: unknown, field: string, problems: Problem[]): prefix is string {
  const expected = outputPrefixProblem(prefix);
  if (expected) problems.push({ field, value: prefix, expected });
  return expected === undefined;
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

/** Each repeated value, at its own path, naming where it first appeared. */
export function reportDuplicates(
  entries: readonly { field: string; value: string }[],
  expected: string,
  problems: Problem[],
): void {
  const first = new Map<string, string>();
  for (const { field, value } of entries) {
    const earlier = first.get(value);
    if (earlier !== undefined)
      problems.push({ field, value, expected: `${expected} (${earlier} has it too)` });
    else first.set(value, field);
  }
}

/** Bounds on polling settings: waits must fit a Wait state and an export must end within Step Functions' year. */
export const POLLING_LIMITS = {
  initialWaitSeconds: { min: 1, max: 3600 },
  backoffRate: { min: 1, max: 10 },
  maxWaitSeconds: { min: 1, max: 86_400 },
  maxExportSeconds: { min: 60, max: 7 * 86_400 },
} as const;

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
