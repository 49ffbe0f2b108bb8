/**
 * The Lambda runtime of a local run: each function's bundle from the cloud assembly, loaded in this process
 * on its first invocation, with an environment of its own, as Lambda gives each function: its template
 * Environment, the run's endpoints, and temporary credentials of its execution role (so the stand-in knows
 * which role calls, local/access/callers.ts). The bundle's `process` is a view of this process whose `env` is
 * that environment, so functions running side by side never see each other's variables. On the first
 * invocation (a cold start) Lambda assumes the role, and the runtime writes the function's logs and traces
 * as that role: those requests are authorized and counted as the runtime's, not the code's.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { AccessRequest, Authorizer, Caller } from './access/authorizer';
import { roleSession, servicePrincipal, type CallerCredentials } from './access/callers';
import { readableName, type LocalFunction } from './assembly';

export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface LambdaRuntimeOptions {
  /** What every function's environment holds besides its own: region, endpoints, config files, ... */
  readonly environment: Readonly<Record<string, string>>;
  readonly credentials: CallerCredentials;
  readonly authorizer: Authorizer;
}

/**
 * What every function's environment holds in a local run besides its own: the region, the stand-in as
 * every service's endpoint, no shared config files, the handlers' log level.
 */
export function runEnvironment(run: {
  readonly region: string;
  /** The stand-in's URL. */
  readonly endpoint: string;
  /** The run's folder, where the config files the SDK must not find would be. */
  readonly runDir: string;
  /** Powertools log level. */
  readonly logLevel: string;
}): Record<string, string> {
  return {
    AWS_REGION: run.region,
    AWS_DEFAULT_REGION: run.region,
    AWS_ENDPOINT_URL_GLUE: run.endpoint,
    AWS_ENDPOINT_URL_PERSONALIZE: run.endpoint,
    AWS_ENDPOINT_URL_SFN: run.endpoint,
    AWS_ENDPOINT_URL_S3: run.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: run.endpoint,
    // No shared config files: nothing on this machine may change how the handlers behave.
    AWS_CONFIG_FILE: path.join(run.runDir, '.no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(run.runDir, '.no-aws-credentials'),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    POWERTOOLS_LOG_LEVEL: run.logLevel,
    POWERTOOLS_DEV: 'true',
    // The local Node.js may be older than Lambda's; the SDK's notice about it is not the run's business.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** This process, as a function's bundle sees it: the same, but for `env`, which is the function's own. */
function processWith(env: Record<string, string>): NodeJS.Process {
  return Object.create(process, {
    env: { value: env, writable: true, enumerable: true, configurable: true },
  }) as NodeJS.Process;
}

/**
 * Loads a bundle afresh, as Node wraps a CommonJS module, in this module's realm, whatever module cache
 * the host keeps (Jest keeps its own), with the globals the simulated clock fakes and its own `process`.
 */
function loadBundle(fn: LocalFunction, env: Record<string, string>): Record<string, unknown> {
  const code = fs.readFileSync(fn.codeFile, 'utf8');
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = new Function('exports', 'require', 'module', '__filename', '__dirname', 'process', code);
  wrapper(
    module.exports,
    createRequire(fn.codeFile),
    module,
    fn.codeFile,
    path.dirname(fn.codeFile),
    processWith(env),
  );
  if (typeof module.exports[fn.handlerExport] !== 'function')
    throw new Error(`${fn.codeFile} exports no function ${fn.handlerExport}`);
  return module.exports;
}

/** One function of the run: loaded on its first invocation, then kept (a warm execution environment). */
export class LocalLambda {
  /** Its execution role's session, as AWS names the caller of its requests. */
  readonly caller: Caller;
  /** The loaded bundle: loaded once, by the first invocation, however many invocations wait for it. */
  private module?: Promise<Record<string, unknown>>;
  private invocations = 0;

  constructor(
    readonly fn: LocalFunction,
    private readonly runtime: LambdaRuntimeOptions,
  ) {
    this.caller = roleSession(fn.roleArn, fn.logicalId, readableName(fn.logicalId));
  }

  /** The function's environment, as Lambda sets it. */
  environment(): Record<string, string> {
    const credentials = this.runtime.credentials.issue(this.caller, this.runtime.authorizer);
    return {
      ...this.runtime.environment,
      ...this.fn.environment,
      AWS_LAMBDA_FUNCTION_NAME: this.fn.logicalId,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      ...(this.fn.logGroupArn ? { AWS_LAMBDA_LOG_GROUP_NAME: this.fn.logGroupArn.split(':')[6] } : {}),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    };
  }

  /** What the bundle exports (its handler and anything else), loaded at the cold start. */
  exports(): Promise<Record<string, unknown>> {
    this.module ??= this.coldStart().then(() => loadBundle(this.fn, this.environment()));
    return this.module;
  }

  async invoke(event: unknown): Promise<unknown> {
    const handler = (await this.exports())[this.fn.handlerExport] as LambdaHandler;
    this.invocations++;
    return handler(event, {
      functionName: this.fn.logicalId,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.fn.arn,
      memoryLimitInMB: '256',
      awsRequestId: `local-${this.fn.logicalId}-${this.invocations}`,
      getRemainingTimeInMillis: () => this.fn.timeoutSeconds * 1000,
    });
  }

  /**
   * Lambda assumes the execution role, and the runtime writes the function's logs to its log group and,
   * with active tracing, its trace segments to X-Ray, as that role. A denial does not stop the function
   * (its logs or traces are lost): the permissions report shows it.
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
   * https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html#services-xray-permissions
   */
  private async coldStart(): Promise<void> {
    const { authorizer } = this.runtime;
    const requests: AccessRequest[] = [
      {
        caller: servicePrincipal('lambda.amazonaws.com', 'Lambda'),
        action: 'sts:AssumeRole',
        resource: this.fn.roleArn,
        by: 'service',
      },
    ];
    if (this.fn.logGroupArn) {
      const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
      const stream = `${this.fn.logGroupArn.replace(/:\*$/, '')}:log-stream:${day}/[$LATEST]local`;
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
        requests.push({ caller: this.caller, action, resource: stream, by: 'runtime' });
    }
    if (this.fn.tracing)
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
        requests.push({ caller: this.caller, action, resource: '*', by: 'runtime' });
    for (const request of requests) await authorizer.authorize(request);
  }
}

/** The run's functions, each loaded once, on first use. */
export class LambdaRuntime {
  private readonly lambdas = new Map<string, LocalLambda>();

  constructor(readonly options: LambdaRuntimeOptions) {}

  get(fn: LocalFunction): LocalLambda {
    let lambda = this.lambdas.get(fn.logicalId);
    if (!lambda) {
      lambda = new LocalLambda(fn, this.options);
      this.lambdas.set(fn.logicalId, lambda);
    }
    return lambda;
  }
}
