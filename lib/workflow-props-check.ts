/**
 * The one check of the workflow construct's props (lib/workflow-props.ts): every problem of the props
 * (or of the configuration file mapped to them, lib/config.ts) is collected with the field path as the
 * user wrote it, the value received and what is expected, and reported in one message.
 */
import { Arn, ArnFormat, Token } from 'aws-cdk-lib';
import { arnPartition } from '../contract/arn';
import {
  HISTORY_EVENT_BUDGET,
  maxChecks,
  RUN_PAYLOAD_BUDGET_BYTES,
  runPayloadBytes,
  worstCaseExportHistoryEvents,
} from '../contract/limits';
import type { ExportSpec } from '../contract/exports';
import {
  checkOutputPrefix,
  formatProblems,
  normalizePrefix,
  reportNestedPrefixes,
  validateExportSpec,
  validatePolling,
  type Problem,
} from '../contract/validation';
import {
  CREATED_BUCKET,
  CREATED_ROLE,
  workflowSettings,
  type MlExportWorkflowProps,
  type PersonalizeExportProps,
} from './workflow-props';

/** A configuration (props or file) that cannot be deployed; its message lists every problem. */
export class ConfigurationError extends Error {
  /** The problems of a configuration read from `source` (or given as props), one a line. */
  static of(source: string | undefined, problems: readonly Problem[]): ConfigurationError {
    return new ConfigurationError(
      `Invalid ml-exports configuration${source ? ` in ${source}` : ''}:\n${formatProblems(problems)}`,
    );
  }

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

const ONE_YEAR_SECONDS = 365 * 86_400;

export interface CheckedProps {
  /** The valid exports, normalized, with stand-ins for the bucket and role the construct creates. */
  readonly specs: ExportSpec[];
  readonly allowedOutputS3Prefixes: string[];
  readonly problems: Problem[];
}

/**
 * Every problem of the props, with field paths as written in the props and the configuration file
 * (`personalizeExports[0].datasetArn`, `polling.maxWaitSeconds`). `region` is the stack's, when known.
 */
export function checkWorkflowProps(props: MlExportWorkflowProps, region: string): CheckedProps {
  const settings = workflowSettings(props);
  const { eventSource, polling, maxConcurrency } = settings;
  const problems: Problem[] = [];
  // A key prefix stands for a place in the created bucket, a missing role for the created role.
  const prefix = (p: unknown) =>
    (props.createOutputBucket || props.outputBucket) && typeof p === 'string' && !p.startsWith('s3://')
      ? `s3://${CREATED_BUCKET}/${p.replace(/^\//, '')}`
      : p;
  const role = (e: PersonalizeExportProps) =>
    (props.createPersonalizeRole || props.personalizeRole) && e.roleArn === undefined
      ? `arn:${arnPartition(String(e.datasetArn)) ?? 'aws'}:iam::000000000000:role/${CREATED_ROLE}`
      : e.roleArn;
  const raw: { field: string; value: unknown }[] = [
    ...listOf(props.glueExports, 'glueExports', problems).map((e, i) => ({
      field: `glueExports[${i}]`,
      value: isObject(e) ? { type: 'glue', ...e, outputS3Prefix: prefix(e.outputS3Prefix) } : e,
    })),
    ...listOf(props.personalizeExports, 'personalizeExports', problems).map((e, i) => ({
      field: `personalizeExports[${i}]`,
      value: isObject(e)
        ? { type: 'personalize', ...e, outputS3Prefix: prefix(e.outputS3Prefix), roleArn: role(e) }
        : e,
    })),
  ];
  const checked = raw.flatMap(({ field, value }) => {
    const spec = validateExportSpec(value, field, problems);
    return spec ? [{ field, spec }] : [];
  });
  const specs = checked.map((c) => c.spec);
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
  // One folder per export: a consumer of one export must never read another's files.
  reportNestedPrefixes(
    checked.map((c) => ({ field: c.field, name: c.spec.name, prefix: c.spec.outputS3Prefix })),
    problems,
  );
  const allowedOutputS3Prefixes: string[] = [];
  listOf(props.allowedOutputS3Prefixes, 'allowedOutputS3Prefixes', problems).forEach((p, i) => {
    const uri = prefix(p);
    if (checkOutputPrefix(uri, `allowedOutputS3Prefixes[${i}]`, problems))
      allowedOutputS3Prefixes.push(normalizePrefix(uri));
  });
  if (raw.length === 0) {
    problems.push({
      field: 'glueExports + personalizeExports',
      value: [],
      expected: 'at least one Glue or Personalize export',
    });
  }
  if (!Token.isUnresolved(region)) {
    for (const { field, spec } of checked) {
      if (spec.type !== 'personalize') continue;
      const datasetRegion = Arn.split(spec.datasetArn, ArnFormat.SLASH_RESOURCE_NAME).region;
      if (datasetRegion !== region) {
        problems.push({
          field: `${field}.datasetArn`,
          value: spec.datasetArn,
          expected: `a dataset in the stack's region ${region}`,
        });
      }
    }
  }
  if (
    typeof eventSource !== 'string' ||
    eventSource.length < 1 ||
    eventSource.length > 256 ||
    eventSource.startsWith('aws.')
  ) {
    problems.push({
      field: 'eventSource',
      value: eventSource,
      expected: '1-256 characters, not starting with "aws."',
    });
  }
  for (const key of ['maxConcurrentGlueExports', 'maxConcurrentPersonalizeExports'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 1 || value > 10_000)
      problems.push({ field: key, value, expected: 'a whole number from 1 to 10000 (your account quota)' });
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
    problems.push({
      field: 'maxConcurrency',
      value: maxConcurrency,
      expected: 'a whole number from 1 to 10000',
    });
  }
  const pollingProblems: Problem[] = [];
  validatePolling(polling, 'polling', pollingProblems);
  problems.push(...pollingProblems);
  if (pollingProblems.length === 0) {
    const events = worstCaseExportHistoryEvents(polling);
    if (events > HISTORY_EVENT_BUDGET) {
      problems.push({
        field: 'polling',
        value: polling,
        expected: `settings whose longest export (${maxChecks(polling)} start attempts and status checks, ~${events} history events) stays under ${HISTORY_EVENT_BUDGET} events: raise maxWaitSeconds or lower maxExportSeconds`,
      });
    }
  }
  if (
    Number.isInteger(maxConcurrency) &&
    maxConcurrency >= 1 &&
    settings.runTimeoutSeconds > ONE_YEAR_SECONDS
  ) {
    problems.push({
      field: 'maxConcurrency',
      value: maxConcurrency,
      expected: `enough concurrency for ${specs.length} exports of up to ${polling.maxExportSeconds} s to finish within Step Functions' one-year execution limit`,
    });
  }
  const payload = runPayloadBytes(specs, polling);
  if (payload > RUN_PAYLOAD_BUDGET_BYTES) {
    problems.push({
      field: 'glueExports + personalizeExports',
      value: `${specs.length} exports`,
      expected: `at most about ${Math.floor((RUN_PAYLOAD_BUDGET_BYTES / payload) * specs.length)} exports (shorter names allow more): a run's list names each export (${payload} bytes for all of them) and must fit Step Functions' 256 KiB state payload; split them over several deployments`,
    });
  }
  return { specs, allowedOutputS3Prefixes, problems };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The list's items, or none after a problem when it is not a list. */
function listOf<T>(value: readonly T[] | undefined, field: string, problems: Problem[]): readonly T[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  problems.push({ field, value, expected: 'an array' });
  return [];
}

/** Each repeated value, at its own path, naming where it first appeared. */
function reportDuplicates(
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
