/**
 * Reads what `cdk deploy` would deploy from a cloud assembly (cdk.out): the state machine definition from
 * the synthesized template, and each Lambda function's bundled code from its asset folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG_FILE, parseCatalog } from '../lambda/shared/catalog';
import { resolveIntrinsics, resourceArn, type CfnResource, type StackPlace } from './intrinsics';

export type { StackPlace } from './intrinsics';
import type { Quotas } from './stand-in/world';

/** The account a local run deploys into when neither the assembly nor the configuration names one. */
export const LOCAL_ACCOUNT = '123456789012';

export interface LocalFunction {
  readonly logicalId: string;
  /** The function's ARN, as the resolved definition names it. */
  readonly arn: string;
  /** Its execution role's ARN. */
  readonly roleArn: string;
  /** The log group its runtime writes to, when the template names one (LoggingConfig.LogGroup). */
  readonly logGroupArn?: string;
  /** X-Ray active tracing: the runtime sends trace segments as the function's role. */
  readonly tracing: boolean;
  /** Absolute path of the bundled handler file. */
  readonly codeFile: string;
  readonly handlerExport: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/** The function an EventBridge rule on the state machine's status changes invokes, and how it retries. */
export interface StatusChangeTarget {
  readonly function: LocalFunction;
  /** Execution statuses the rule matches. */
  readonly statuses: readonly string[];
  /** Lambda's retries of a failed asynchronous invocation (its EventInvokeConfig). */
  readonly retryAttempts: number;
  /** Where a failed event goes past them (the logical id of its dead-letter queue), if anywhere. */
  readonly deadLetterQueue?: string;
  /** That queue's ARN. */
  readonly deadLetterQueueArn?: string;
  /** The rule's ARN: EventBridge invokes the function for it (aws:SourceArn). */
  readonly ruleArn: string;
}

export interface LoadedAssembly {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly definition: Record<string, unknown>;
  readonly stateMachineArn: string;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly template: { readonly Resources: Record<string, CfnResource> };
  /** The clean-up of ended runs, as the template wires it (a rule on the run's status changes). */
  readonly statusChangeTarget?: StatusChangeTarget;
}

/** A logical id as a person reads it: without the construct path's `Workflow` and CDK's hash. */
export function readableName(logicalId: string): string {
  return logicalId.replace(/^Workflow/, '').replace(/[0-9A-F]{8}$/, '') || logicalId;
}

interface StackArtifact {
  readonly type: string;
  /** `aws://<account>/<region>`, `unknown-account` / `unknown-region` for an environment-agnostic stack. */
  readonly environment?: string;
  readonly properties?: { readonly templateFile?: string };
}

function stackArtifact(assemblyDir: string): [string, StackArtifact] | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, StackArtifact>;
  };
  return Object.entries(manifest.artifacts).find(([, a]) => a.type === 'aws:cloudformation:stack');
}

/** The account and region the stack was synthesized for, when it names them (a stack with `env`). */
export function synthesizedPlace(assemblyDir: string): Partial<StackPlace> {
  const match = /^aws:\/\/([^/]+)\/(.+)$/.exec(stackArtifact(assemblyDir)?.[1].environment ?? '');
  return {
    ...(match && /^\d{12}$/.test(match[1]) ? { account: match[1] } : {}),
    ...(match && match[2] !== 'unknown-region' ? { region: match[2] } : {}),
  };
}

export function loadAssembly(assemblyDir: string, region: string, account = LOCAL_ACCOUNT): LoadedAssembly {
  const place: StackPlace = { region, account };
  const stack = stackArtifact(assemblyDir);
  if (!stack?.[1].properties?.templateFile)
    throw new Error(`No stack template in the cloud assembly ${assemblyDir}`);
  const stackName = stack[0];
  const template = JSON.parse(
    fs.readFileSync(path.join(assemblyDir, stack[1].properties.templateFile), 'utf8'),
  ) as {
    Resources: Record<string, CfnResource>;
  };
  const resources = template.Resources;
  const functions = new Map<string, LocalFunction>();
  for (const [logicalId, res] of Object.entries(resources)) {
    if (res.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = res.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      throw new Error(
        `Function ${logicalId} has no aws:asset:path metadata: synthesize with asset metadata enabled (the CDK CLI does)`,
      );
    }
    const [file, handlerExport] = String(res.Properties?.Handler ?? 'index.handler').split('.');
    const props = resolveIntrinsics(res.Properties ?? {}, place, resources) as {
      Environment?: { Variables?: Record<string, string> };
      Role?: string;
      LoggingConfig?: { LogGroup?: string };
      TracingConfig?: { Mode?: string };
    };
    const logGroup = props.LoggingConfig?.LogGroup;
    functions.set(logicalId, {
      logicalId,
      arn: resourceArn(logicalId, resources, place)!,
      roleArn: String(props.Role),
      ...(logGroup ? { logGroupArn: `arn:aws:logs:${region}:${account}:log-group:${logGroup}:*` } : {}),
      tracing: props.TracingConfig?.Mode === 'Active',
      codeFile: path.resolve(assemblyDir, assetPath, `${file}.js`),
      handlerExport,
      environment: props.Environment?.Variables ?? {},
      timeoutSeconds: Number(res.Properties?.Timeout ?? 3),
    });
  }
  const { logicalId, definition } = definitionFromTemplate(template, region, account);
  const statusChangeTarget = findStatusChangeTarget(resources, functions, place);
  return {
    stackName,
    region,
    account,
    definition,
    stateMachineArn: resourceArn(logicalId, resources, place)!,
    functions,
    template,
    ...(statusChangeTarget ? { statusChangeTarget } : {}),
  };
}

/** The function the template's rule on "Step Functions Execution Status Change" events invokes. */
function findStatusChangeTarget(
  resources: Record<string, CfnResource>,
  functions: ReadonlyMap<string, LocalFunction>,
  place: StackPlace,
): StatusChangeTarget | undefined {
  for (const [ruleId, rule] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
    const pattern = rule.Properties?.EventPattern as
      { source?: string[]; detail?: { status?: string[] } } | undefined;
    if (!pattern?.source?.includes('aws.states')) continue;
    const targets = (rule.Properties?.Targets ?? []) as { Arn?: { 'Fn::GetAtt'?: [string, string] } }[];
    const fnId = targets[0]?.Arn?.['Fn::GetAtt']?.[0];
    const fn = fnId ? functions.get(fnId) : undefined;
    if (!fn) continue;
    const invokeConfig = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventInvokeConfig' &&
        (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === fnId,
    )?.Properties as
      | { MaximumRetryAttempts?: number; DestinationConfig?: { OnFailure?: { Destination?: unknown } } }
      | undefined;
    const destination = (
      invokeConfig?.DestinationConfig?.OnFailure?.Destination as
        { 'Fn::GetAtt'?: [string, string] } | undefined
    )?.['Fn::GetAtt']?.[0];
    return {
      function: fn,
      statuses: pattern.detail?.status ?? [],
      retryAttempts: invokeConfig?.MaximumRetryAttempts ?? 2,
      ...(destination
        ? { deadLetterQueue: destination, deadLetterQueueArn: resourceArn(destination, resources, place) }
        : {}),
      ruleArn: resourceArn(ruleId, resources, place)!,
    };
  }
  return undefined;
}

/** The template's one state machine definition as plain ASL, its intrinsics resolved (local/intrinsics.ts). */
export function definitionFromTemplate(
  template: { Resources: Record<string, CfnResource> },
  region: string,
  account = LOCAL_ACCOUNT,
): { logicalId: string; definition: Record<string, unknown> } {
  const resources = template.Resources;
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1)
    throw new Error(`Expected one state machine in the template, found ${machines.length}`);
  const [logicalId, sm] = machines[0];
  const definitionString = resolveIntrinsics(sm.Properties?.DefinitionString, { region, account }, resources);
  if (typeof definitionString !== 'string') throw new Error('The state machine has no DefinitionString');
  return { logicalId, definition: JSON.parse(definitionString) as Record<string, unknown> };
}

/**
 * The exports configured at synth time: the export catalog bundled with the functions that look exports
 * up, a created bucket or role filled in from the function's environment as Lambda would.
 */
export function configuredExports(assembly: LoadedAssembly): Record<string, string>[] {
  const fn = [...assembly.functions.values()].find((f) =>
    fs.existsSync(path.join(path.dirname(f.codeFile), CATALOG_FILE)),
  );
  if (!fn) throw new Error(`No function bundles ${CATALOG_FILE} (is this the ml-exports stack?)`);
  const file = path.join(path.dirname(fn.codeFile), CATALOG_FILE);
  return parseCatalog(fs.readFileSync(file, 'utf8'), fn.environment, file) as unknown as Record<
    string,
    string
  >[];
}

/**
 * The concurrency the deployment was configured for (Prepare Run's limits in the definition): the local
 * account's quotas unless a scenario or option says otherwise.
 */
export function configuredQuotas(assembly: LoadedAssembly): Partial<Quotas> {
  const prepare = (assembly.definition.States as Record<string, { Parameters?: { Payload?: unknown } }>)[
    'Prepare Run'
  ];
  const limits = (prepare?.Parameters?.Payload as { limits?: { glue?: number; personalize?: number } })
    ?.limits;
  return {
    ...(limits?.glue ? { glueTaskRunsPerAccount: limits.glue } : {}),
    ...(limits?.personalize ? { personalizeExportJobs: limits.personalize } : {}),
  };
}
