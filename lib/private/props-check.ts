/**
 * The one check of the workflow construct's props: mapped to the configuration's shape (values known only
 * at deployment as the contract's stand-ins, see deploy-time-values.ts) and checked by the contract
 * (contract/workflow.ts), as a configuration file is, plus what only props have (object environments, the
 * dashboard's name). Every problem is reported in one error.
 */
import { Annotations, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CATALOG_PLACEHOLDERS } from '../../contract/catalog';
import { partitionOf } from '../../contract/exports';
import { placeInBucket } from '../../contract/s3-uri';
import { formatProblems, type Problem } from '../../contract/validation';
import { arnPlace, checkWorkflow, type CheckedWorkflow, type Located } from '../../contract/workflow';
import type { ExportLocation } from '../export-location';
import type { MlExportWorkflowProps, PersonalizeExportProps } from '../workflow-props';
import { DeployTimeValues } from './deploy-time-values';

/** The props, checked. */
export interface CheckedProps extends CheckedWorkflow {
  /** The values known only at deployment, and the stand-ins the specs hold for them. */
  readonly values: DeployTimeValues;
  /** The stand-in of the role this construct creates, when a Personalize export needs it. */
  readonly createdRole?: string;
}

/** The construct's error: every problem of its props, one a line. */
export function configurationError(problems: readonly Problem[]): Error {
  const error = new Error(`Invalid MlExportWorkflow props:\n${formatProblems(problems)}`);
  error.name = 'ConfigurationError';
  return error;
}

export function checkProps(scope: Construct, props: MlExportWorkflowProps): CheckedProps {
  const stack = Stack.of(scope);
  const values = new DeployTimeValues();
  const problems: Problem[] = [];
  if (props.outputBucket)
    values.named(props.outputBucket.bucketName, 'bucket', CATALOG_PLACEHOLDERS.outputBucket);
  const location = (output: ExportLocation | undefined): unknown => {
    if (output?.bucketName === undefined || output.keyPrefix === undefined) return output?.s3Uri;
    const label = output.bucket ? `bucket ${output.bucket.node.path}` : undefined;
    return placeInBucket(values.standIn(output.bucketName, 'bucket', undefined, label), output.keyPrefix);
  };
  let createdRole: string | undefined;
  const role = (e: PersonalizeExportProps, partition: string | undefined): string | undefined => {
    if (e.role) return values.standIn(e.role.roleArn, 'roleArn', partition, `role ${e.role.node.path}`);
    if (props.personalizeRole)
      return values.named(
        props.personalizeRole.roleArn,
        'roleArn',
        CATALOG_PLACEHOLDERS.personalizeRoleArn,
        partition,
      );
    createdRole ??= values.named(undefined, 'roleArn', CATALOG_PLACEHOLDERS.personalizeRoleArn, partition);
    return createdRole;
  };
  const exports: Located[] = [
    ...listOf(props.glueExports, 'glueExports', problems).map((e, i) => ({
      field: `glueExports[${i}]`,
      value: isObject(e)
        ? {
            type: 'glue',
            name: e.name,
            transformId:
              typeof e.transformId === 'string'
                ? values.standIn(e.transformId, 'transformId')
                : e.transformId,
            outputS3Prefix: location(e.output),
          }
        : e,
    })),
    ...listOf(props.personalizeExports, 'personalizeExports', problems).map((e, i) => {
      if (!isObject(e)) return { field: `personalizeExports[${i}]`, value: e };
      const datasetArn =
        typeof e.datasetArn === 'string' ? values.standIn(e.datasetArn, 'datasetArn') : e.datasetArn;
      const partition = typeof datasetArn === 'string' ? partitionOf(datasetArn) : undefined;
      return {
        field: `personalizeExports[${i}]`,
        value: {
          type: 'personalize',
          name: e.name,
          datasetArn,
          roleArn: role(e, partition),
          outputS3Prefix: location(e.output),
          ...(e.ingestionMode !== undefined ? { ingestionMode: e.ingestionMode } : {}),
          ...(e.encryptionKey
            ? {
                kmsKeyArn: values.standIn(
                  e.encryptionKey.keyArn,
                  'kmsKeyArn',
                  partition,
                  `key ${e.encryptionKey.node.path}`,
                ),
              }
            : {}),
        },
      };
    }),
  ];
  const env = {
    ...(Token.isUnresolved(stack.region) ? {} : { region: stack.region }),
    ...(Token.isUnresolved(stack.account) ? {} : { account: stack.account }),
  };
  const checked = checkWorkflow({
    exports,
    allowedOutputS3Prefixes: listOf(props.allowedOutputLocations, 'allowedOutputLocations', problems).map(
      (l, i) => ({ field: `allowedOutputLocations[${i}]`, value: location(l) }),
    ),
    eventSource: props.eventSource,
    polling: {
      // Not integral here: a fraction of a second is a configuration problem the check reports.
      initialWaitSeconds: props.initialPollWait?.toSeconds({ integral: false }),
      backoffRate: props.pollBackoffRate,
      maxWaitSeconds: props.maxPollWait?.toSeconds({ integral: false }),
      maxExportSeconds: props.maxExportDuration?.toSeconds({ integral: false }),
      strategy: props.pollingStrategy,
    },
    maxConcurrency: props.maxConcurrency,
    maxConcurrentGlueExports: props.maxConcurrentGlueExports,
    maxConcurrentPersonalizeExports: props.maxConcurrentPersonalizeExports,
    environment: env,
  });
  problems.push(
    ...checked.problems.map((p) => inPropTerms(described(p, values))),
    ...resourceProblems(scope, props),
  );
  if (problems.length > 0) throw configurationError(problems);
  if (env.region === undefined || env.account === undefined) {
    Annotations.of(scope).addInfo(
      "ml-exports: the stack's region or account is not known at synth (no `env`), so the datasets, roles and keys were not checked against them: a dataset of another region or account fails its export at run time, with Personalize's error in the ML Export Failed event",
    );
  }
  return { ...checked, values, createdRole };
}

/** The props that are resources (keys, buses) and names, beside the exports. */
function resourceProblems(scope: Construct, props: MlExportWorkflowProps): Problem[] {
  const stack = Stack.of(scope);
  const problems: Problem[] = [];
  const sameRegion = (arn: string | undefined, field: string, what: string) => {
    const region = arn && !Token.isUnresolved(arn) ? arnPlace(arn)?.region : undefined;
    if (region && !Token.isUnresolved(stack.region) && region !== stack.region)
      problems.push({ field, value: arn, expected: `${what} in the stack's region ${stack.region}` });
  };
  // CloudWatch Logs uses a key of the log group's region; PutEvents sends to a bus of the caller's region.
  sameRegion(props.logEncryptionKey?.keyArn, 'logEncryptionKey', 'a key');
  sameRegion(props.eventBus?.eventBusArn, 'eventBus', 'an event bus');
  problems.push(...forwardedBusProblems(stack, props));
  const name = props.dashboardName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    problems.push({
      field: 'dashboardName',
      value: name,
      expected:
        '1-255 letters, digits, "-" or "_" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html)',
    });
  }
  for (const [i, e] of (Array.isArray(props.personalizeExports) ? props.personalizeExports : []).entries()) {
    const key = e?.encryptionKey;
    if (key && Token.compareStrings(key.env.account, stack.account) === TokenComparison.DIFFERENT) {
      Annotations.of(scope).addInfo(
        `ml-exports: personalizeExports[${i}].encryptionKey is a key of account ${key.env.account}: its key policy must let the export's role use it (kms:GenerateDataKey, kms:Decrypt)`,
      );
    }
  }
  return problems;
}

/**
 * `forwardedEventBus` is the bus of this account and region that a bus of another account (`eventBus`)
 * forwards the events to: with the events on a bus of this account already, rules and metrics on another
 * bus would never see one.
 */
function forwardedBusProblems(stack: Stack, props: MlExportWorkflowProps): Problem[] {
  const forwarded = props.forwardedEventBus;
  if (!forwarded) return [];
  const shown = Token.isUnresolved(forwarded.eventBusArn) ? forwarded.node.path : forwarded.eventBusArn;
  const problems: Problem[] = [];
  const differs = (a: string, b: string) => Token.compareStrings(a, b) === TokenComparison.DIFFERENT;
  if (differs(forwarded.env.account, stack.account) || differs(forwarded.env.region, stack.region)) {
    problems.push({
      field: 'forwardedEventBus',
      value: shown,
      expected: `a bus of the stack's account ${stack.account} and region ${stack.region}`,
    });
  }
  const busAccount = props.eventBus
    ? Token.compareStrings(props.eventBus.env.account, stack.account)
    : TokenComparison.SAME;
  if (busAccount === TokenComparison.SAME || busAccount === TokenComparison.BOTH_UNRESOLVED) {
    problems.push({
      field: 'forwardedEventBus',
      value: shown,
      expected:
        'nothing while eventBus is a bus of this account (the default bus when not given): the events are there, where the metrics and on*() rules are made; forwardedEventBus is for an eventBus of another account',
    });
  }
  return problems;
}

/** The contract speaks the configuration file's terms: a problem names the prop instead. */
const PROP_NAMES: [RegExp, string][] = [
  [/^polling\.initialWaitSeconds$/, 'initialPollWait'],
  [/^polling\.backoffRate$/, 'pollBackoffRate'],
  [/^polling\.maxWaitSeconds$/, 'maxPollWait'],
  [/^polling\.maxExportSeconds$/, 'maxExportDuration'],
  [/^polling\.strategy$/, 'pollingStrategy'],
  [/\.outputS3Prefix$/, '.output'],
  [/\.roleArn$/, '.role'],
  [/\.kmsKeyArn$/, '.encryptionKey'],
];

/** A problem's value and expectation with the stand-ins of values known at deployment named as the user knows them. */
function described(problem: Problem, values: DeployTimeValues): Problem {
  return {
    ...problem,
    value: typeof problem.value === 'string' ? values.describe(problem.value) : problem.value,
    expected: values.describe(problem.expected),
  };
}

function inPropTerms(problem: Problem): Problem {
  const field = PROP_NAMES.reduce((f, [pattern, name]) => f.replace(pattern, name), problem.field);
  return { ...problem, field };
}

function isObject<T>(value: T): value is T & object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The list's items, or none after a problem when it is not a list. */
function listOf<T>(value: readonly T[] | undefined, field: string, problems: Problem[]): readonly T[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  problems.push({ field, value, expected: 'an array' });
  return [];
}
