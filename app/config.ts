/**
 * The deployment's configuration file (config/*.json, chosen by the `mlExports:configFile` context key):
 * read, checked by the contract's schema (contract/config.ts: every problem at once, with its path as written
 * in the file), and turned into the workflow construct's props: ARNs into imported roles, keys and buses,
 * seconds into Durations, key prefixes into locations in the bucket the app creates.
 */
import { Duration, Stack, TimeZone, Token } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import * as fs from 'node:fs';
import { checkConfiguration, type Configuration } from '../contract/config';
import type { StackEnvironment } from '../contract/workflow';
import { isKeyPrefix } from '../contract/s3-uri';
import { formatProblems, type Problem } from '../contract/validation';
import {
  ExportBucket,
  ExportLocation,
  type IngestionMode,
  type MlExportWorkflowProps,
  type PollingStrategy,
} from '../lib';

/** A configuration file that cannot be deployed; its message lists every problem. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }

  /** The problems of the file `source`, one a line. */
  static of(source: string, problems: readonly Problem[]): ConfigurationError {
    return new ConfigurationError(
      `Invalid ml-exports configuration in ${source}:\n${formatProblems(problems)}`,
    );
  }
}

export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(
      `Cannot read the ml-exports configuration file ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigurationError(
      `The ml-exports configuration file ${file} is not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * The file, checked: every problem in one {@link ConfigurationError}. `env` is the stack's region and
 * account, where known.
 */
export function checkConfigFile(raw: unknown, source: string, env: StackEnvironment = {}): Configuration {
  const { config, problems } = checkConfiguration(raw, env);
  if (problems.length > 0) throw ConfigurationError.of(source, problems);
  return config;
}

/** The props, and what the app makes for them beside the workflow. */
export interface AppWorkflowProps {
  readonly props: MlExportWorkflowProps;
  readonly config: Configuration;
  /** The bucket the app creates, with `createOutputBucket`. */
  readonly outputBucket?: ExportBucket;
}

/**
 * Checks the file (every problem in one error) and makes the construct's props in `scope`: the stack's
 * region and account, where known, are checked too.
 */
export function workflowPropsFromConfig(scope: Construct, raw: unknown, source: string): AppWorkflowProps {
  const stack = Stack.of(scope);
  const env = {
    ...(Token.isUnresolved(stack.region) ? {} : { region: stack.region }),
    ...(Token.isUnresolved(stack.account) ? {} : { account: stack.account }),
  };
  const config = checkConfigFile(raw, source, env);

  const outputBucket = config.createOutputBucket ? new ExportBucket(scope, 'OutputBucket') : undefined;
  const location = (prefix: string) =>
    outputBucket && isKeyPrefix(prefix)
      ? ExportLocation.fromBucket(outputBucket.bucket, prefix)
      : ExportLocation.fromS3Uri(prefix);
  // One imported object per ARN, whichever exports share it.
  const imported = new Map<string, unknown>();
  const once = <T>(arn: string, make: (id: string) => T): T => {
    if (!imported.has(arn)) imported.set(arn, make(`Imported${imported.size}`));
    return imported.get(arn) as T;
  };
  const role = (arn: string) => once(arn, (id) => Role.fromRoleArn(scope, id, arn, { mutable: false }));
  const key = (arn: string) => once(arn, (id) => Key.fromKeyArn(scope, id, arn));
  const seconds = (value: number | undefined) => (value === undefined ? undefined : Duration.seconds(value));
  const bus = config.eventBusName;
  const props: MlExportWorkflowProps = {
    eventSource: config.eventSource,
    // A bus of another account is named by its ARN.
    eventBus:
      bus && bus !== 'default'
        ? bus.startsWith('arn:')
          ? EventBus.fromEventBusArn(scope, 'EventBus', bus)
          : EventBus.fromEventBusName(scope, 'EventBus', bus)
        : undefined,
    schedule:
      config.schedule !== undefined
        ? ScheduleExpression.expression(config.schedule, TimeZone.of(config.scheduleTimeZone ?? 'UTC'))
        : undefined,
    initialPollWait: seconds(config.polling?.initialWaitSeconds),
    pollBackoffRate: config.polling?.backoffRate,
    maxPollWait: seconds(config.polling?.maxWaitSeconds),
    maxExportDuration: seconds(config.polling?.maxExportSeconds),
    // The file's strings are the enums' values (contract/names.ts; test/lib/api.test.ts).
    pollingStrategy: config.polling?.strategy as PollingStrategy | undefined,
    maxConcurrency: config.maxConcurrency,
    maxConcurrentGlueExports: config.maxConcurrentGlueExports,
    maxConcurrentPersonalizeExports: config.maxConcurrentPersonalizeExports,
    logRetention: config.logRetentionDays as RetentionDays | undefined,
    logEncryptionKey: config.logKmsKeyArn ? key(config.logKmsKeyArn) : undefined,
    outputBucket: outputBucket?.bucket,
    allowedOutputLocations: config.allowedOutputS3Prefixes?.map(location),
    glueExports: config.glueExports?.map((e) => ({
      name: e.name,
      transformId: e.transformId,
      output: location(e.outputS3Prefix),
    })),
    personalizeExports: config.personalizeExports?.map((e) => ({
      name: e.name,
      datasetArn: e.datasetArn,
      output: location(e.outputS3Prefix),
      role: e.roleArn ? role(e.roleArn) : undefined,
      ingestionMode: e.ingestionMode as IngestionMode | undefined,
      encryptionKey: e.kmsKeyArn ? key(e.kmsKeyArn) : undefined,
    })),
  };
  return { props, config, outputBucket };
}
