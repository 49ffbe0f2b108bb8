/**
 * Reads what `cdk deploy` would deploy from a cloud assembly (cdk.out): the state machine definition from
 * the synthesized template, and each Lambda function's bundled code from its asset folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG_FILE, parseCatalog } from '../lambda/shared/catalog';
import type { Quotas } from './stand-in/world';

export const LOCAL_ACCOUNT = '123456789012';

export interface LocalFunction {
  readonly logicalId: string;
  /** The placeholder ARN the resolved definition uses for this function. */
  readonly arn: string;
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
}

export interface LoadedAssembly {
  readonly stackName: string;
  readonly region: string;
  readonly definition: Record<string, unknown>;
  readonly stateMachineArn: string;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly template: Record<string, unknown>;
  /** The clean-up of ended runs, as the template wires it (a rule on the run's status changes). */
  readonly statusChangeTarget?: StatusChangeTarget;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export function loadAssembly(assemblyDir: string, region: string): LoadedAssembly {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stack = Object.entries(manifest.artifacts).find(([, a]) => a.type === 'aws:cloudformation:stack');
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
    const env = resolveIntrinsics(
      (res.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      region,
      resources,
    ) as Record<string, string>;
    functions.set(logicalId, {
      logicalId,
      arn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${logicalId}`,
      codeFile: path.resolve(assemblyDir, assetPath, `${file}.js`),
      handlerExport,
      environment: env,
      timeoutSeconds: Number(res.Properties?.Timeout ?? 3),
    });
  }
  const { logicalId, definition } = definitionFromTemplate(template, region);
  const statusChangeTarget = findStatusChangeTarget(resources, functions);
  return {
    stackName,
    region,
    definition,
    stateMachineArn: `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`,
    functions,
    template,
    ...(statusChangeTarget ? { statusChangeTarget } : {}),
  };
}

/** The function the template's rule on "Step Functions Execution Status Change" events invokes. */
function findStatusChangeTarget(
  resources: Record<string, CfnResource>,
  functions: ReadonlyMap<string, LocalFunction>,
): StatusChangeTarget | undefined {
  for (const rule of Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule')) {
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
      ...(destination ? { deadLetterQueue: destination } : {}),
    };
  }
  return undefined;
}

/** The template's one state machine definition as plain ASL, intrinsics replaced by local placeholders. */
export function definitionFromTemplate(
  template: { Resources: Record<string, CfnResource> },
  region: string,
): { logicalId: string; definition: Record<string, unknown> } {
  const resources = template.Resources;
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1)
    throw new Error(`Expected one state machine in the template, found ${machines.length}`);
  const [logicalId, sm] = machines[0];
  const definitionString = resolveIntrinsics(sm.Properties?.DefinitionString, region, resources);
  if (typeof definitionString !== 'string') throw new Error('The state machine has no DefinitionString');
  return { logicalId, definition: JSON.parse(definitionString) as Record<string, unknown> };
}

/** Resolves the intrinsics CDK puts in a definition (Fn::Join, Ref, Fn::GetAtt) to local placeholders. */
function resolveIntrinsics(value: unknown, region: string, resources: Record<string, CfnResource>): unknown {
  if (typeof value === 'string' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, region, resources));
  const obj = value as Record<string, unknown>;
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, region, resources)).join(sep);
  }
  if ('Ref' in obj) {
    const ref = obj.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': region,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    // A bucket's Ref is its name: lower-case, as S3 requires.
    if (resources[ref]?.Type === 'AWS::S3::Bucket') return ref.toLowerCase();
    // A state machine's Ref is its ARN (its name is the logical id here).
    if (resources[ref]?.Type === 'AWS::StepFunctions::StateMachine')
      return `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${ref}`;
    return pseudo[ref] ?? ref;
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    const type = resources[id]?.Type;
    if (type === 'AWS::Lambda::Function' && attr === 'Arn')
      return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${id}`;
    if (type === 'AWS::IAM::Role' && attr === 'Arn') return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}`;
    if (type === 'AWS::StepFunctions::StateMachine' && attr === 'Name') return id;
    return `arn:aws:local:${region}:${LOCAL_ACCOUNT}:${id}/${attr}`;
  }
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, region, resources)]),
  );
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
