/**
 * The deployment's configuration file (config/*.json, chosen by the `mlExports:configFile` context key):
 * read, checked for shape, and turned into the workflow construct's props. Values are checked by the
 * construct itself, so that every problem of the file is reported at synth time with its field and value.
 */

import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Aws, Duration, TimeZone, Token } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as fs from 'node:fs';
import { isPlainObject, rejectUnknownFields, type Problem } from '../contract/validation';
import type { PollingStrategy } from '../contract/names';
import { checkScheduleExpression, checkTimeZone } from './schedule-rules';
import { checkWorkflowProps, ConfigurationError } from './workflow-props-check';
import {
  type GlueExportProps,
  type MlExportWorkflowProps,
  type PersonalizeExportProps,
} from './workflow-props';

export interface MlExportsConfig {
  /** `source` of the events. Default "ml-exports". */
  readonly eventSource?: string;
  /**
   * The bus the events go to: its name (in the stack's account), or its ARN (a bus of another account, in
   * the stack's region). Default: the account's default bus.
   */
  readonly eventBusName?: string;
  /** EventBridge Scheduler expression, e.g. "cron(0 3 * * ? *)" or "rate(1 day)". Default: no schedule. */
  readonly schedule?: string;
  /** IANA time zone of a cron schedule. Default "UTC". */
  readonly scheduleTimeZone?: string;
  readonly polling?: {
    readonly initialWaitSeconds?: number;
    readonly backoffRate?: number;
    readonly maxWaitSeconds?: number;
    readonly maxExportSeconds?: number;
    /** "history" (default) or "backoff". */
    readonly strategy?: PollingStrategy;
  };
  /** Exports of one run that go at once. Default 10. */
  readonly maxConcurrency?: number;
  /** Glue ML task runs at once (the account quota). Default 30. */
  readonly maxConcurrentGlueExports?: number;
  /** Unfinished Personalize dataset export jobs at once (the account quota). Default 5. */
  readonly maxConcurrentPersonalizeExports?: number;
  /** Retention of the state machine's and functions' logs. Default 30. */
  readonly logRetentionDays?: number;
  /** KMS key for the logs; its key policy must let CloudWatch Logs use it. Default: the service key. */
  readonly logKmsKeyArn?: string;
  /** Create the output bucket; exports may then give a key prefix instead of an s3:// URI. Default false. */
  readonly createOutputBucket?: boolean;
  /** Create the role Personalize assumes, for Personalize exports without roleArn. Default false. */
  readonly createPersonalizeRole?: boolean;
  /** E-mail address the alarms notify (through an encrypted SNS topic). Default: no notifications. */
  readonly alarmEmail?: string;
  /** Where exports given in an execution's input may write, besides the configured prefixes. */
  readonly allowedOutputS3Prefixes?: string[];
  readonly glueExports?: GlueExportProps[];
  readonly personalizeExports?: PersonalizeExportProps[];
}

const TOP_LEVEL_FIELDS = [
  '$comment',
  'eventSource',
  'eventBusName',
  'schedule',
  'scheduleTimeZone',
  'polling',
  'maxConcurrency',
  'maxConcurrentGlueExports',
  'maxConcurrentPersonalizeExports',
  'logRetentionDays',
  'logKmsKeyArn',
  'createOutputBucket',
  'createPersonalizeRole',
  'alarmEmail',
  'allowedOutputS3Prefixes',
  'glueExports',
  'personalizeExports',
];
const POLLING_FIELDS = [
  'initialWaitSeconds',
  'backoffRate',
  'maxWaitSeconds',
  'maxExportSeconds',
  'strategy',
];
const BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN_PATTERN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):\d{12}:event-bus\/[/.\-_A-Za-z0-9]{1,256}$/;
const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/\S+$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const RETENTION_DAYS = Object.values(RetentionDays).filter(
  (v): v is number => typeof v === 'number' && v > 0,
);

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
 * Checks the file and maps it to construct props (Durations, a schedule expression), then checks those
 * props as the construct would: every problem of the file is reported in one message, with its field path
 * as written in the file. `region` is the stack's, when known.
 */
export function configToProps(
  raw: unknown,
  source: string,
  region = Token.asString(Aws.REGION),
): Omit<MlExportWorkflowProps, 'eventBus' | 'logEncryptionKey'> & {
  eventBusName?: string;
  logKmsKeyArn?: string;
} {
  const problems: Problem[] = [];
  if (!isPlainObject(raw)) {
    throw ConfigurationError.of(source, [{ field: '(file)', value: raw, expected: 'a JSON object' }]);
  }
  rejectUnknownFields(raw, TOP_LEVEL_FIELDS, '', problems);
  const config = raw as MlExportsConfig;
  const polling = config.polling ?? {};
  if (!isPlainObject(polling)) problems.push({ field: 'polling', value: polling, expected: 'an object' });
  else rejectUnknownFields(polling, POLLING_FIELDS, 'polling', problems);
  const optionalString = (key: keyof MlExportsConfig, pattern: RegExp, expected: string) => {
    const value = config[key];
    if (value !== undefined && (typeof value !== 'string' || !pattern.test(value))) {
      problems.push({ field: key, value, expected });
    }
  };
  const scheduleOk =
    config.schedule === undefined || checkScheduleExpression(config.schedule, 'schedule', problems);
  const timeZoneOk =
    config.scheduleTimeZone === undefined ||
    checkTimeZone(config.scheduleTimeZone, 'scheduleTimeZone', problems);
  // A time zone alone would be ignored: say so rather than deploy no schedule.
  if (config.scheduleTimeZone !== undefined && config.schedule === undefined)
    problems.push({
      field: 'scheduleTimeZone',
      value: config.scheduleTimeZone,
      expected: 'no time zone without a "schedule" (add the schedule, or remove the time zone)',
    });
  const busArn = typeof config.eventBusName === 'string' ? BUS_ARN_PATTERN.exec(config.eventBusName) : null;
  if (busArn && !Token.isUnresolved(region) && busArn[1] !== region) {
    problems.push({
      field: 'eventBusName',
      value: config.eventBusName,
      expected: `an event bus in the stack's region ${region}`,
    });
  } else if (!busArn) {
    optionalString(
      'eventBusName',
      BUS_NAME_PATTERN,
      'an event bus name of 1-256 letters, digits, ".", "-", "_" or "/", or an event bus ARN "arn:aws:events:<region>:<account>:event-bus/<name>"',
    );
  }
  optionalString(
    'logKmsKeyArn',
    KMS_KEY_ARN_PATTERN,
    'a KMS key ARN "arn:aws:kms:<region>:<account>:key/<key id>"',
  );
  optionalString('alarmEmail', EMAIL_PATTERN, 'an e-mail address');
  if (config.logRetentionDays !== undefined && !RETENTION_DAYS.includes(config.logRetentionDays)) {
    problems.push({
      field: 'logRetentionDays',
      value: config.logRetentionDays,
      expected: `one of ${RETENTION_DAYS.join(', ')}`,
    });
  }
  for (const key of ['createOutputBucket', 'createPersonalizeRole'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'boolean') {
      problems.push({ field: key, value: config[key], expected: 'true or false' });
    }
  }
  // A bad value is reported here and left out, so that the props check below does not report it again.
  const seconds = (field: Exclude<keyof typeof polling, 'strategy'>) => {
    const value = isPlainObject(polling) ? polling[field] : undefined;
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      problems.push({ field: `polling.${field}`, value, expected: 'a whole number of seconds' });
      return undefined;
    }
    return Duration.seconds(value);
  };
  const props = {
    eventSource: config.eventSource,
    eventBusName: config.eventBusName,
    schedule:
      config.schedule !== undefined && scheduleOk && timeZoneOk
        ? ScheduleExpression.expression(config.schedule, TimeZone.of(config.scheduleTimeZone ?? 'UTC'))
        : undefined,
    initialPollWait: seconds('initialWaitSeconds'),
    pollBackoffRate: isPlainObject(polling) ? polling.backoffRate : undefined,
    maxPollWait: seconds('maxWaitSeconds'),
    maxExportDuration: seconds('maxExportSeconds'),
    pollingStrategy: isPlainObject(polling) ? polling.strategy : undefined,
    maxConcurrency: config.maxConcurrency,
    maxConcurrentGlueExports: config.maxConcurrentGlueExports,
    maxConcurrentPersonalizeExports: config.maxConcurrentPersonalizeExports,
    logRetention: config.logRetentionDays as RetentionDays | undefined,
    logKmsKeyArn: config.logKmsKeyArn,
    createOutputBucket: config.createOutputBucket === true,
    createPersonalizeRole: config.createPersonalizeRole === true,
    alarmEmail: config.alarmEmail,
    allowedOutputS3Prefixes: config.allowedOutputS3Prefixes,
    glueExports: config.glueExports,
    personalizeExports: config.personalizeExports,
  };
  problems.push(...checkWorkflowProps(props, region).problems);
  if (problems.length > 0) throw ConfigurationError.of(source, problems);
  return props;
}
