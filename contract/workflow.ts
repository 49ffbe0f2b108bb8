/**
 * The one check of a workflow's configuration, whoever wrote it: the construct's props (lib/, mapped to
 * this shape) and the configuration file (./config.ts, app/). Every problem is collected with the field path
 * as the configuration file writes it (`personalizeExports[0].datasetArn`, `polling.maxWaitSeconds`), the
 * value received and what is expected.
 */
import {
  HISTORY_EVENT_BUDGET,
  maxChecks,
  RUN_PAYLOAD_BUDGET_BYTES,
  runPayloadBytes,
  runSecondsNeeded,
  worstCaseExportHistoryEvents,
} from './limits';
import {
  parseExportSpec,
  partitionOf,
  pollingProblems,
  reportRepeatedExports,
  type ExportSpec,
  type PollingSettings,
} from './exports';
import type { PollingStrategy } from './names';
import { checkOutputPrefix, normalizePrefix, reportNestedPrefixes, type Problem } from './validation';

/** The defaults of the workflow's settings (the construct's props and the configuration file's fields). */
export const DEFAULTS = {
  eventSource: 'ml-exports',
  initialWaitSeconds: 30,
  backoffRate: 2,
  maxWaitSeconds: 360,
  maxExportSeconds: 43_200,
  strategy: 'history' as PollingStrategy,
  maxConcurrency: 10,
  maxConcurrentGlueExports: 30,
  maxConcurrentPersonalizeExports: 5,
  logRetentionDays: 30,
} as const;

/**
 * Values known only at deployment (a bucket or role the stack creates, any CDK token) stand in the check as
 * one of these: valid, as long as the longest real value where length matters, distinct per value, and
 * never compared with the stack's region or account.
 */
export const DEPLOY_TIME = 'mlx-deploy-time';

export type DeployTimeKind = 'bucket' | 'roleArn' | 'kmsKeyArn' | 'datasetArn' | 'transformId';

/** The `n`th stand-in of a kind, in `partition` (that of the dataset it goes with). */
export function deployTimeStandIn(kind: DeployTimeKind, n: number, partition = 'aws'): string {
  switch (kind) {
    // As long as the longest bucket name (63), so that path lengths are checked against the worst case.
    case 'bucket':
      return `${DEPLOY_TIME}-bucket-${n}-`.padEnd(63, '0');
    case 'roleArn':
      return `arn:${partition}:iam::000000000000:role/${DEPLOY_TIME}-role-${n}`;
    case 'kmsKeyArn':
      return `arn:${partition}:kms:us-east-1:000000000000:key/${DEPLOY_TIME}-key-${n}`;
    case 'datasetArn':
      return `arn:${partition}:personalize:us-east-1:000000000000:dataset/${DEPLOY_TIME}-${n}/INTERACTIONS`;
    case 'transformId':
      return `${DEPLOY_TIME}-transform-${n}`;
  }
}

export function isDeployTimeStandIn(value: string): boolean {
  return value.includes(DEPLOY_TIME);
}

/** The settings as given; anything missing takes its default. */
export interface WorkflowSettingsInput {
  readonly eventSource?: string;
  readonly polling?: Partial<Record<keyof PollingSettings, unknown>>;
  readonly maxConcurrency?: number;
  readonly maxConcurrentGlueExports?: number;
  readonly maxConcurrentPersonalizeExports?: number;
}

/** The settings with their defaults filled in. */
export interface WorkflowSettings {
  readonly eventSource: string;
  readonly polling: PollingSettings;
  readonly maxConcurrentGlueExports: number;
  readonly maxConcurrentPersonalizeExports: number;
  /** As asked for (checked against its range). */
  readonly maxConcurrency: number;
  /** As used: more exports in flight than the quotas admit would only wait for capacity. */
  readonly effectiveConcurrency: number;
  /** The state machine's timeout: room for the configured exports (or one full wave) to run to their limits. */
  readonly runTimeoutSeconds: number;
}

export function workflowSettings(input: WorkflowSettingsInput, exportCount: number): WorkflowSettings {
  const p = input.polling ?? {};
  const polling = {
    initialWaitSeconds: p.initialWaitSeconds ?? DEFAULTS.initialWaitSeconds,
    backoffRate: p.backoffRate ?? DEFAULTS.backoffRate,
    maxWaitSeconds: p.maxWaitSeconds ?? DEFAULTS.maxWaitSeconds,
    maxExportSeconds: p.maxExportSeconds ?? DEFAULTS.maxExportSeconds,
    strategy: p.strategy ?? DEFAULTS.strategy,
  } as PollingSettings;
  const glue = input.maxConcurrentGlueExports ?? DEFAULTS.maxConcurrentGlueExports;
  const personalize = input.maxConcurrentPersonalizeExports ?? DEFAULTS.maxConcurrentPersonalizeExports;
  const maxConcurrency = input.maxConcurrency ?? DEFAULTS.maxConcurrency;
  const effectiveConcurrency = Math.min(maxConcurrency, glue + personalize);
  return {
    eventSource: input.eventSource ?? DEFAULTS.eventSource,
    polling,
    maxConcurrentGlueExports: glue,
    maxConcurrentPersonalizeExports: personalize,
    maxConcurrency,
    effectiveConcurrency,
    runTimeoutSeconds: runSecondsNeeded(
      Math.max(exportCount, effectiveConcurrency),
      effectiveConcurrency,
      polling.maxExportSeconds,
    ),
  };
}

/** A value as given, and where: `glueExports[0]`. */
export interface Located {
  readonly field: string;
  readonly value: unknown;
}

/** The region and account of the stack, where known at synth. */
export interface StackEnvironment {
  readonly region?: string;
  readonly account?: string;
}

export interface WorkflowCheckInput extends WorkflowSettingsInput {
  /** Every export, resolved: with its `type`, its prefix an S3 URI, its role named (or a stand-in). */
  readonly exports: readonly Located[];
  /** S3 URI prefixes exports given in an execution's input may write under, besides the configured ones. */
  readonly allowedOutputS3Prefixes?: readonly Located[];
  /** The stack's, where known: datasets, roles and keys are checked against it. */
  readonly environment?: StackEnvironment;
}

export interface CheckedWorkflow {
  /** The valid exports, normalized. */
  readonly specs: ExportSpec[];
  readonly allowedOutputS3Prefixes: string[];
  readonly settings: WorkflowSettings;
  readonly problems: Problem[];
}

const ONE_YEAR_SECONDS = 365 * 86_400;

export function checkWorkflow(input: WorkflowCheckInput): CheckedWorkflow {
  const settings = workflowSettings(input, input.exports.length);
  const { eventSource, polling, maxConcurrency } = settings;
  const problems: Problem[] = [];
  const checked = input.exports.flatMap(({ field, value }) => {
    const spec = parseExportSpec(value, field, problems);
    return spec ? [{ field, spec }] : [];
  });
  const specs = checked.map((c) => c.spec);
  reportRepeatedExports(checked, problems);
  // One folder per export: a consumer of one export must never read another's files.
  reportNestedPrefixes(
    checked.map((c) => ({ field: c.field, name: c.spec.name, prefix: c.spec.outputS3Prefix })),
    problems,
  );
  const allowedOutputS3Prefixes: string[] = [];
  for (const { field, value } of input.allowedOutputS3Prefixes ?? []) {
    if (checkOutputPrefix(value, field, problems)) allowedOutputS3Prefixes.push(normalizePrefix(value));
  }
  if (input.exports.length === 0) {
    problems.push({
      field: 'glueExports + personalizeExports',
      value: [],
      expected: 'at least one Glue or Personalize export',
    });
  }
  for (const { field, spec } of checked)
    problems.push(...environmentProblems(spec, field, input.environment));
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
  const concurrencyOk = Number.isInteger(maxConcurrency) && maxConcurrency >= 1 && maxConcurrency <= 10_000;
  if (!concurrencyOk) {
    problems.push({
      field: 'maxConcurrency',
      value: maxConcurrency,
      expected: 'a whole number from 1 to 10000',
    });
  }
  const pollingIssues = pollingProblems(polling, 'polling');
  problems.push(...pollingIssues);
  if (pollingIssues.length === 0) {
    const events = worstCaseExportHistoryEvents(polling);
    if (events > HISTORY_EVENT_BUDGET) {
      problems.push({
        field: 'polling',
        value: polling,
        expected: `settings whose longest export (${maxChecks(polling)} start attempts and status checks, ~${events} history events) stays under ${HISTORY_EVENT_BUDGET} events: raise maxWaitSeconds or lower maxExportSeconds`,
      });
    }
  }
  if (concurrencyOk && settings.runTimeoutSeconds > ONE_YEAR_SECONDS) {
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
  return { specs, allowedOutputS3Prefixes, settings, problems };
}

const ARN_PLACE = /^arn:[^:]+:[^:]+:([^:]*):([^:]*):/;

/** Region and account of an ARN (empty where the ARN has none). */
export function arnPlace(arn: string): { region: string; account: string } | undefined {
  const match = ARN_PLACE.exec(arn);
  return match ? { region: match[1], account: match[2] } : undefined;
}

/**
 * Where an export's resources must be, as far as the stack's environment is known: its dataset in the
 * stack's region and account (the functions call Personalize there), its role in the stack's account
 * (iam:PassRole passes roles of the caller's own account), its KMS key in the stack's region (KMS keys are
 * regional; a key of another account is allowed when its key policy lets the role use it).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/overview.html
 */
export function environmentProblems(spec: ExportSpec, field: string, env: StackEnvironment = {}): Problem[] {
  if (spec.type !== 'personalize') return [];
  const problems: Problem[] = [];
  const check = (
    key: 'datasetArn' | 'roleArn' | 'kmsKeyArn',
    what: string,
    region: boolean,
    account: boolean,
  ) => {
    const arn = spec[key];
    if (arn === undefined || isDeployTimeStandIn(arn)) return;
    const place = arnPlace(arn);
    if (region && env.region && place && place.region !== env.region)
      problems.push({
        field: `${field}.${key}`,
        value: arn,
        expected: `${what} in the stack's region ${env.region}`,
      });
    else if (account && env.account && place && place.account !== env.account)
      problems.push({
        field: `${field}.${key}`,
        value: arn,
        expected: `${what} of the stack's account ${env.account}`,
      });
  };
  check('datasetArn', 'a dataset', true, true);
  check('roleArn', 'a role', false, true);
  check('kmsKeyArn', 'a key', true, false);
  return problems;
}

export { partitionOf };
