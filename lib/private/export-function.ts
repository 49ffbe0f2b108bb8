import { Duration, RemovalPolicy, Stage, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { handlerBundleDir } from './handler-bundles';

export interface ExportFunctionProps {
  /** Folder under `lambda/` holding the handler's `index.ts`. */
  readonly handlerDir: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /**
   * Longest run of one invocation. Handlers make one or two API calls, each retried by the SDK.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default - logs encrypted with the CloudWatch Logs service key */
  readonly logEncryptionKey?: IKey;
  /**
   * Files bundled beside the handler, by the name the handler reads them under.
   * @default - none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /** @default - none beyond the defaults */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The one place Lambda defaults live: current Node.js runtime on arm64, X-Ray tracing, JSON logs in the
 * function's own log group with retention, source maps, and a minified bundle that includes its pinned
 * AWS SDK clients (lib/handler-bundles.ts: the bundle that runs in AWS is the one the local run executes).
 */
export class ExportFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: ExportFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, allowed to write to its own log group only (no AWSLambdaBasicExecutionRole, which
    // may write to every log group of the account).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.handlerDir} handler of ml-exports`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      code: Code.fromAsset(stageBundle(scope, props.handlerDir, props.bundledFiles)),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'ml-exports',
        ...props.environment,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permissions',
    });
  }
}

/**
 * The folder deployed as the function's code: the handler's bundle, or, when files go beside it (the
 * export catalog), a copy of the bundle with them, staged in the cloud assembly folder.
 */
function stageBundle(
  scope: Construct,
  handlerDir: string,
  bundledFiles: Readonly<Record<string, string>> = {},
): string {
  const bundle = handlerBundleDir(handlerDir);
  if (Object.keys(bundledFiles).length === 0) return bundle;
  const outdir = Stage.of(scope)?.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-'));
  // No dot in the name: CDK would keep what follows it as an extension of the staged asset folder.
  const staged = path.join(outdir, `${scope.node.addr}-${handlerDir}`);
  fs.rmSync(staged, { recursive: true, force: true });
  fs.mkdirSync(staged, { recursive: true });
  for (const file of fs.readdirSync(bundle))
    fs.copyFileSync(path.join(bundle, file), path.join(staged, file));
  for (const [name, source] of Object.entries(bundledFiles)) fs.copyFileSync(source, path.join(staged, name));
  return staged;
}
