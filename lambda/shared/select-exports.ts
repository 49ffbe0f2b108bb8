/**
 * The exports a run's input selects, one set of rules for every handler that reads a run's input: Prepare Run
 * (the run's own), and the overlap check (other runs'). Explicit exports are confined to what this deployment
 * was configured with, and to folders no other export or run writes.
 */
import { parseArn, withResource } from './arn';
import {
  formatProblems,
  isPlainObject,
  listSome,
  normalizePrefix,
  prefixNesting,
  rejectUnknownFields,
  reportNestedPrefixes,
  runFolderOf,
  type Problem,
} from '../../contract/validation';
import { parseExportList } from '../../contract/exports';
import { isKeyPrefix, placeInBucket } from '../../contract/s3-uri';
import { CATALOG_PLACEHOLDERS } from './catalog';
import { InvalidExecutionInputError } from './errors';
import type { ExportSpec } from './types';

export const INPUT_FIELDS = ['exports', 'exportNames'];

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
    selected = parseExportList(withCreated(input.exports, created), 'input.exports', problems);
    checkAllowedResources(selected, configured, allowedOutputS3Prefixes, problems);
    checkOwnFolders(selected, configured, allowedOutputS3Prefixes, problems);
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

/** Whether an explicit export is the configured export of that name (same type and same transform or dataset). */
function isConfiguredAs(e: ExportSpec, c: ExportSpec): boolean {
  if (e.name !== c.name || e.type !== c.type) return false;
  return e.type === 'glue'
    ? c.type === 'glue' && e.transformId === c.transformId
    : c.type === 'personalize' && e.datasetArn === c.datasetArn;
}

/**
 * One folder per export per run, for explicit exports: never inside another configured export's prefix
 * (only that export writes there), never inside a run's folder (`<prefix><yyyy-mm-dd>/<execution name>/`,
 * another run's files), and never equal to or nested with another export of the same input.
 */
function checkOwnFolders(
  selected: readonly ExportSpec[],
  configured: readonly ExportSpec[],
  allowedOutputS3Prefixes: readonly string[],
  problems: Problem[],
) {
  const outer = [...new Set([...allowedOutputS3Prefixes, ...configured.map((c) => c.outputS3Prefix)])].map(
    normalizePrefix,
  );
  selected.forEach((e, i) => {
    const field = `input.exports[${i}].outputS3Prefix`;
    // Inside (or equal to) a configured export's prefix: only that same export may write there.
    const owner = configured.find(
      (c) => e.outputS3Prefix.startsWith(c.outputS3Prefix) && !isConfiguredAs(e, c),
    );
    if (owner) {
      problems.push({
        field,
        value: e.outputS3Prefix,
        expected: `a prefix outside other exports' folders (one folder per export): it is ${prefixNesting(e.outputS3Prefix, owner.outputS3Prefix)} configured export "${owner.name}"'s ${owner.outputS3Prefix}, where only that export writes`,
      });
      return;
    }
    const folder = runFolderOf(e.outputS3Prefix, outer);
    if (folder) {
      problems.push({
        field,
        value: e.outputS3Prefix,
        expected: `a prefix outside every run's folder (<prefix><yyyy-mm-dd>/<execution name>/): it is inside ${folder}, the folder of another run`,
      });
    }
  });
  reportNestedPrefixes(
    selected.map((e, i) => ({ field: `input.exports[${i}]`, name: e.name, prefix: e.outputS3Prefix })),
    problems,
  );
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
      ...(created.bucket && isKeyPrefix(prefix)
        ? { outputS3Prefix: placeInBucket(created.bucket, prefix) }
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
