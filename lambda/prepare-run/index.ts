/**
 * First task of a run: validates the execution input against the configured exports (the export catalog
 * bundled with this function) and turns it into the list of exports the run carries out. Configured
 * exports go in the list by type and name only, so that thousands fit in one state payload.
 *
 * Accepted input (anything else is rejected with one error naming each bad field):
 * - `{}`: every configured export (what the schedule sends);
 * - `{ "exportNames": ["a", "b"] }`: the named configured exports;
 * - `{ "exports": [ ... ] }`: explicit exports in the configuration's shape, for the transforms, datasets
 *   and roles this deployment is allowed to use.
 */
import { InvalidExecutionInputError, InvalidTaskStateError, RunSkippedError } from '../shared/errors';
import { parseArn, withResource } from '../../contract/arn';
import { logger, withLambdaContext } from '../shared/logger';
import { CATALOG_PLACEHOLDERS, configuredCatalog, toItem } from '../shared/catalog';
import type { ExportItem, ExportSpec, PollingSettings, RunContext } from '../shared/types';
import {
  formatProblems,
  isPlainObject,
  listSome,
  normalizePrefix,
  rejectUnknownFields,
  validateExportList,
  type Problem,
} from '../../contract/validation';
import { findOverlap } from './overlap';
import { maxExportsPerRun, RUN_PAYLOAD_BUDGET_BYTES, runSecondsNeeded } from '../shared/polling';

export interface PrepareRunEvent {
  /** The execution input as the operator or the schedule gave it. */
  readonly input: unknown;
  readonly polling: PollingSettings;
  readonly execution: { readonly name: string; readonly arn: string; readonly startTime: string };
  /** How many exports go at once, and the state machine's timeout: a run must be able to finish in it. */
  readonly limits: {
    readonly maxConcurrency: number;
    readonly runTimeoutSeconds: number;
    /** Jobs of each service that may run at once (the account quotas); the run's list is paced by them. */
    readonly glue?: number;
    readonly personalize?: number;
  };
}

export interface PreparedRun {
  readonly run: RunContext;
  readonly exports: ExportItem[];
}

const INPUT_FIELDS = ['exports', 'exportNames'];
/** Step Functions execution names: 1-80 characters. */
const MAX_EXECUTION_NAME = 80;

/**
 * The exports a run's input selects. Explicit exports are confined to what this deployment was configured
 * with: its transforms, datasets, roles and KMS keys, and output prefixes under `allowedOutputS3Prefixes`
 * (by default the configured exports' own prefixes), so that whoever may start an execution cannot send
 * the training data anywhere else the services' roles can write.
 */
export function selectExports(
  input: unknown,
  configured: readonly ExportSpec[],
  allowedOutputS3Prefixes: readonly string[] = configured.map((e) => e.outputS3Prefix),
  created: CreatedResources = {},
): ExportSpec[] {
  const problems: Problem[] = [];
  if (!isPlainObject(input)) {
    throw new InvalidExecutionInputError(
      formatProblems([
        { field: 'input', value: input, expected: 'a JSON object such as {} or {"exportNames": ["..."]}' },
      ]),
    );
  }
  rejectUnknownFields(input, INPUT_FIELDS, 'input', problems);
  let selected: ExportSpec[] = [...configured];
  if (input.exports !== undefined && input.exportNames !== undefined) {
    problems.push({
      field: 'input',
      value: Object.keys(input),
      expected: 'either "exports" or "exportNames", not both',
    });
  } else if (input.exportNames !== undefined) {
    selected = selectByName(input.exportNames, configured, problems);
  } else if (input.exports !== undefined) {
    selected = validateExportList(withCreated(input.exports, created), 'input.exports', problems);
    checkAllowedResources(selected, configured, allowedOutputS3Prefixes, problems);
  }
  if (problems.length === 0 && selected.length === 0) {
    problems.push({
      field: input.exports !== undefined ? 'input.exports' : 'configuration',
      value: [],
      expected: 'at least one export',
    });
  }
  if (problems.length > 0) throw new InvalidExecutionInputError(formatProblems(problems));
  return selected;
}

function selectByName(names: unknown, configured: readonly ExportSpec[], problems: Problem[]): ExportSpec[] {
  const known = configured.map((e) => e.name);
  if (!Array.isArray(names) || names.length === 0) {
    problems.push({
      field: 'input.exportNames',
      value: names,
      expected: `a non-empty array of names from: ${listSome(known)}`,
    });
    return [];
  }
  names.forEach((name, i) => {
    if (typeof name !== 'string' || !known.includes(name)) {
      problems.push({
        field: `input.exportNames[${i}]`,
        value: name,
        expected: `one of the configured exports: ${listSome(known)}`,
      });
    } else if (names.indexOf(name) !== i) {
      problems.push({ field: `input.exportNames[${i}]`, value: name, expected: 'each name once' });
    }
  });
  return configured.filter((e) => names.includes(e.name));
}

/** The deployment's IAM policies name the configured resources only: say so before AWS denies the call. */
function checkAllowedResources(
  selected: readonly ExportSpec[],
  configured: readonly ExportSpec[],
  allowedOutputS3Prefixes: readonly string[],
  problems: Problem[],
) {
  const allowed = (pick: (e: ExportSpec) => string | undefined) =>
    new Set(configured.map(pick).filter((v): v is string => v !== undefined));
  const transforms = allowed((e) => (e.type === 'glue' ? e.transformId : undefined));
  const datasets = allowed((e) => (e.type === 'personalize' ? e.datasetArn : undefined));
  const roles = allowed((e) => (e.type === 'personalize' ? e.roleArn : undefined));
  const keys = allowed((e) => (e.type === 'personalize' ? e.kmsKeyArn : undefined));
  const prefixes = new Set(allowedOutputS3Prefixes.map(normalizePrefix));
  const list = (s: Set<string>) => (s.size > 0 ? listSome([...s]) : 'none configured');
  selected.forEach((e, i) => {
    const field = `input.exports[${i}]`;
    // Prefixes are compared whole, with their trailing slash: s3://bucket/labels/ admits
    // s3://bucket/labels/2027/, never s3://bucket/labels-elsewhere/ or another bucket.
    if (![...prefixes].some((p) => e.outputS3Prefix.startsWith(p))) {
      problems.push({
        field: `${field}.outputS3Prefix`,
        value: e.outputS3Prefix,
        expected: `a location under one of the output prefixes this deployment allows: ${list(prefixes)}`,
      });
    }
    if (e.type === 'glue' && !transforms.has(e.transformId)) {
      problems.push({
        field: `${field}.transformId`,
        value: e.transformId,
        expected: `a transform this deployment may export: ${list(transforms)}`,
      });
    }
    if (e.type === 'personalize') {
      if (!datasets.has(e.datasetArn)) {
        problems.push({
          field: `${field}.datasetArn`,
          value: e.datasetArn,
          expected: `a dataset this deployment may export: ${list(datasets)}`,
        });
      }
      if (!roles.has(e.roleArn)) {
        problems.push({
          field: `${field}.roleArn`,
          value: e.roleArn,
          expected: `a role this deployment may pass: ${list(roles)}`,
        });
      }
      if (e.kmsKeyArn !== undefined && !keys.has(e.kmsKeyArn)) {
        problems.push({
          field: `${field}.kmsKeyArn`,
          value: e.kmsKeyArn,
          expected: `a KMS key this deployment's exports use, or none (the bucket's own encryption): ${list(keys)}`,
        });
      }
    }
  });
}

/**
 * The exports in the order the Map starts them: Glue and Personalize interleaved in the ratio of the
 * jobs each service may run at once, so that the exports in flight match the account's quotas instead of
 * one service's exports queueing for capacity while the other's slots stay free. Otherwise in the order
 * given.
 */
export function interleaveByQuota<T extends { type: string }>(
  specs: readonly T[],
  limits: { readonly glue?: number; readonly personalize?: number },
): T[] {
  const glue = specs.filter((s) => s.type === 'glue');
  const personalize = specs.filter((s) => s.type !== 'glue');
  const g = limits.glue ?? 1;
  const p = limits.personalize ?? 1;
  const out: T[] = [];
  let gi = 0;
  let pi = 0;
  while (gi < glue.length || pi < personalize.length) {
    // The service furthest behind its share goes next.
    const takeGlue = pi >= personalize.length || (gi < glue.length && (gi + 1) / g <= (pi + 1) / p);
    out.push(takeGlue ? glue[gi++] : personalize[pi++]);
  }
  return out;
}

/** The output bucket and Personalize role the stack created, when it did (the functions' environment). */
export interface CreatedResources {
  readonly bucket?: string;
  readonly roleArn?: string;
}

export function createdResources(env: Readonly<Record<string, string | undefined>>): CreatedResources {
  return {
    bucket: env[CATALOG_PLACEHOLDERS.outputBucket.env] || undefined,
    roleArn: env[CATALOG_PLACEHOLDERS.personalizeRoleArn.env] || undefined,
  };
}

/**
 * Explicit exports in the configuration's shape: with a created bucket, a key prefix ("adhoc/") is a
 * place in it; with a created role, a Personalize export without roleArn uses it, as in the file.
 */
function withCreated(exports: unknown, created: CreatedResources): unknown {
  if (!Array.isArray(exports)) return exports;
  return exports.map((e: unknown) => {
    if (!isPlainObject(e)) return e;
    const prefix = e.outputS3Prefix;
    return {
      ...e,
      ...(created.bucket && typeof prefix === 'string' && !prefix.startsWith('s3://')
        ? { outputS3Prefix: `s3://${created.bucket}/${prefix.replace(/^\/+/, '')}` }
        : {}),
      ...(created.roleArn && e.type === 'personalize' && e.roleArn === undefined
        ? { roleArn: created.roleArn }
        : {}),
    };
  });
}

/** arn:<p>:states:<region>:<account>:execution:<state machine>:<name> -> the state machine's ARN. */
export function stateMachineArnOf(executionArn: string | undefined): string | undefined {
  const arn = parseArn(executionArn);
  const [kind, stateMachine, name, ...rest] = arn?.resource.split(':') ?? [];
  return arn?.service === 'states' && kind === 'execution' && stateMachine && name && rest.length === 0
    ? withResource(arn, `stateMachine:${stateMachine}`)
    : undefined;
}

/** Refuses a run too long for the state machine's timeout, which would stop its exports unfinished. */
function checkRunFits(count: number, event: PrepareRunEvent): void {
  const { maxConcurrency, runTimeoutSeconds } = event.limits;
  const { maxExportSeconds } = event.polling;
  if (runSecondsNeeded(count, maxConcurrency, maxExportSeconds) <= runTimeoutSeconds) return;
  const fits = maxExportsPerRun(runTimeoutSeconds, maxConcurrency, maxExportSeconds);
  throw new InvalidExecutionInputError(
    formatProblems([
      {
        field: 'input.exports',
        value: `${count} exports`,
        expected:
          `at most ${fits} exports per run: ${maxConcurrency} go at a time and each may take up to ${maxExportSeconds} s, ` +
          `and a run must end within the state machine's timeout of ${runTimeoutSeconds} s; split them over several runs`,
      },
    ]),
  );
}

/** Refuses a list of exports too large for the state payload (only explicit `exports` input can get there). */
function checkPayloadFits(prepared: PreparedRun): void {
  const bytes = Buffer.byteLength(JSON.stringify(prepared));
  if (bytes <= RUN_PAYLOAD_BUDGET_BYTES) return;
  throw new InvalidExecutionInputError(
    formatProblems([
      {
        field: 'input.exports',
        value: `${prepared.exports.length} exports (${bytes} bytes as a run's list)`,
        expected: `a list of at most ${RUN_PAYLOAD_BUDGET_BYTES} bytes, to fit Step Functions' 256 KiB state payload: configure the exports and name them with "exportNames", or split them over several runs`,
      },
    ]),
  );
}

export const handler = withLambdaContext(async (event: PrepareRunEvent): Promise<PreparedRun> => {
  const { execution } = event;
  if (!execution?.name || execution.name.length > MAX_EXECUTION_NAME || !event.limits?.maxConcurrency) {
    throw new InvalidTaskStateError(
      `prepare-run needs execution.name (1-${MAX_EXECUTION_NAME} characters) and limits; ` +
        `got ${JSON.stringify({ execution, limits: event.limits })}`,
    );
  }
  const { exports: configured, allowedOutputS3Prefixes } = configuredCatalog();
  const run: RunContext = {
    executionName: execution.name,
    executionArn: execution.arn,
    startTime: execution.startTime,
    polling: event.polling,
  };
  const created = createdResources(process.env);
  if (execution.name === '.' || execution.name === '..') {
    // Step Functions accepts these names, but a run's folder <prefix><date>/<name>/ would then be a
    // relative segment: a key that looks like it leads elsewhere.
    throw new InvalidExecutionInputError(
      formatProblems([
        {
          field: 'execution name',
          value: execution.name,
          expected: 'a name other than "." or "..": it names the run\'s output folder',
        },
      ]),
    );
  }
  const selected = selectExports(event.input, configured, allowedOutputS3Prefixes, created);
  checkRunFits(selected.length, event);
  const byName = new Map(configured.map((e) => [e.name, e]));
  const prepared: PreparedRun = {
    run,
    exports: interleaveByQuota(selected, event.limits).map((spec) => toItem(spec, byName)),
  };
  checkPayloadFits(prepared);
  // Fails closed: without its own state machine's ARN the run cannot look for overlapping runs.
  const stateMachineArn = stateMachineArnOf(execution.arn);
  if (!stateMachineArn) {
    throw new InvalidTaskStateError(
      `execution.arn must be a Step Functions execution ARN; got ${JSON.stringify(execution.arn)}`,
    );
  }
  const overlap = await findOverlap(stateMachineArn, execution, selected, (input) => {
    try {
      return selectExports(input, configured, allowedOutputS3Prefixes, created);
    } catch {
      return undefined;
    }
  });
  if (overlap) {
    throw new RunSkippedError(
      `execution ${overlap.executionName} (started ${overlap.startDate}) is still running and exports the same data as ` +
        `${listSome(overlap.exportNames)}, so this run started no job (${overlap.executionArn})`,
    );
  }
  logger.info('Run prepared', {
    executionName: run.executionName,
    exportCount: selected.length,
    exports: listSome(selected.map((e) => `${e.type}:${e.name}`)),
  });
  return prepared;
});
