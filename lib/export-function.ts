import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
 * function's own log group with retention, source maps, and a minified bundle built with the local esbuild
 * that includes its pinned AWS SDK clients (the bundle that runs in AWS is the one the local run executes).
 */
export class ExportFunction extends NodejsFunction {
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
    const code = prebundledCode(props.handlerDir, props.bundledFiles);
    super(scope, id, {
      role,
      entry: path.join(__dirname, '..', 'lambda', props.handlerDir, 'index.ts'),
      // The built package ships each handler bundled (scripts/bundle-lambdas.mjs): an app using it needs
      // no esbuild. From the sources (this repository), NodejsFunction bundles with the settings below.
      code,
      handler: code ? 'index.handler' : 'handler',
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
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: OutputFormat.CJS,
        // Bundle the pinned SDK clients rather than use the runtime's copy, so what runs is what was tested.
        externalModules: [],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            Object.entries(props.bundledFiles ?? {}).map(
              ([name, source]) => `cp ${shellQuote(source)} ${shellQuote(path.join(outputDir, name))}`,
            ),
        },
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
 * The handler's bundle from the built package (dist/lambda/<handler>/, next to dist/lib/), with the files
 * to bundle copied in beside it; undefined when running from the sources.
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.NodejsFunctionProps.html#code
 */
function prebundledCode(
  handlerDir: string,
  bundledFiles: Readonly<Record<string, string>> = {},
): Code | undefined {
  const bundle = path.join(__dirname, '..', 'lambda', handlerDir);
  if (!fs.existsSync(path.join(bundle, 'index.js')) || fs.existsSync(path.join(bundle, 'index.ts'))) {
    return undefined;
  }
  const staged = fs.mkdtempSync(path.join(os.tmpdir(), `ml-exports-${handlerDir}-`));
  for (const file of ['index.js', 'index.js.map']) {
    if (fs.existsSync(path.join(bundle, file)))
      fs.copyFileSync(path.join(bundle, file), path.join(staged, file));
  }
  for (const [name, source] of Object.entries(bundledFiles)) fs.copyFileSync(source, path.join(staged, name));
  return Code.fromAsset(staged);
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
