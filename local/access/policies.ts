/**
 * Every access rule the synthesized template holds, read as AWS would hold them once deployed: each role
 * with its trust policy and identity policies (inline, AWS::IAM::Policy, customer managed), and the
 * resource policies (bucket policies, KMS key policies, SNS topic policies, Lambda permissions), plus what
 * the local run checks on the template (alarms and their topics, rules and their targets, schedules). Every
 * intrinsic goes through local/intrinsics.ts, so the ARNs here are the ones the run's requests name.
 */
import {
  physicalName,
  resolveIntrinsics,
  resourceArn,
  type CfnResources,
  type StackPlace,
} from '../intrinsics';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement[];
}

/** A policy and where it comes from: its logical id in the template (the name the report uses). */
export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface TemplateRole {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
  readonly trustPolicy: NamedPolicy;
  readonly policies: NamedPolicy[];
  /** AWS managed policies attached by ARN: their documents are not in the template. */
  readonly managedPolicyArns: string[];
}

export interface TemplateAlarm {
  readonly logicalId: string;
  readonly arn: string;
  /** Topic ARNs (and any other action ARNs) the alarm notifies. */
  readonly actions: string[];
}

export interface TemplateRule {
  readonly logicalId: string;
  readonly arn: string;
  readonly targets: {
    readonly arn: string;
    readonly roleArn?: string;
    /** The queue EventBridge sends an event it could not deliver to. */
    readonly deadLetterArn?: string;
  }[];
}

export interface TemplateSchedule {
  readonly logicalId: string;
  /** Where Scheduler sends an event it could not deliver, as the schedule's role. */
  readonly deadLetterArn?: string;
  /** The schedule group's ARN: what EventBridge Scheduler gives as aws:SourceArn when it assumes the role. */
  readonly groupArn: string;
  readonly roleArn: string;
  readonly targetArn: string;
}

export interface AccessModel {
  readonly place: StackPlace;
  /** Roles by ARN. */
  readonly roles: ReadonlyMap<string, TemplateRole>;
  /** Resource policies by the ARN of the resource they protect (a bucket, key, topic or function). */
  readonly resourcePolicies: ReadonlyMap<string, NamedPolicy>;
  /** Buckets of the template by name, with the KMS key of their default encryption. */
  readonly buckets: ReadonlyMap<string, { readonly arn: string; readonly kmsKeyArn?: string }>;
  /** Topics by ARN, with their KMS key. */
  readonly topics: ReadonlyMap<string, { readonly kmsKeyArn?: string }>;
  readonly alarms: readonly TemplateAlarm[];
  readonly rules: readonly TemplateRule[];
  readonly schedules: readonly TemplateSchedule[];
  /** Where Lambda sends a function's failed asynchronous events (EventInvokeConfig), as the function's role. */
  readonly failureDestinations: readonly {
    readonly functionLogicalId: string;
    readonly roleArn: string;
    readonly destinationArn: string;
  }[];
  /** KMS keys the log groups are encrypted with: CloudWatch Logs uses them, as their key policies allow. */
  readonly logGroupKeys: readonly string[];
  readonly stateMachine?: {
    readonly arn: string;
    readonly roleArn: string;
    readonly logging: boolean;
    readonly tracing: boolean;
  };
}

type Resolve = (value: unknown) => unknown;

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function document(value: unknown): PolicyDocument {
  const doc = value as { Version?: string; Statement?: PolicyStatement | PolicyStatement[] };
  return { Version: doc?.Version ?? '2012-10-17', Statement: asList(doc?.Statement) };
}

/** A Lambda function's ARN from what AWS::Lambda::Permission's FunctionName holds (a name or an ARN). */
function functionArn(nameOrArn: string, place: StackPlace): string {
  return nameOrArn.startsWith('arn:')
    ? nameOrArn
    : `arn:aws:lambda:${place.region}:${place.account}:function:${nameOrArn}`;
}

/**
 * A Lambda permission as Lambda renders it in the function's resource-based policy.
 * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
 */
function lambdaPermissionStatement(sid: string, props: Record<string, string>, arn: string): PolicyStatement {
  const principal = props.Principal;
  const conditions: Record<string, Record<string, unknown>> = {};
  if (props.SourceArn) conditions.ArnLike = { 'AWS:SourceArn': props.SourceArn };
  if (props.SourceAccount) conditions.StringEquals = { 'AWS:SourceAccount': props.SourceAccount };
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    Action: props.Action,
    Resource: arn,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
}

/** Reads the template's access rules, resolved for a stack deployed at `place`. */
export function readAccessModel(resources: CfnResources, place: StackPlace): AccessModel {
  const resolve: Resolve = (value) => resolveIntrinsics(value, place, resources);
  const of = (type: string) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ id, props: (resolve(r.Properties ?? {}) ?? {}) as Record<string, unknown> }));
  const arnOf = (id: string) => resourceArn(id, resources, place)!;

  const roles = new Map<string, TemplateRole>();
  const roleByName = new Map<string, TemplateRole>();
  for (const { id, props } of of('AWS::IAM::Role')) {
    const role: TemplateRole = {
      logicalId: id,
      arn: arnOf(id),
      name: physicalName(id, resources, place),
      trustPolicy: { name: `${id} (trust policy)`, document: document(props.AssumeRolePolicyDocument) },
      policies: asList(props.Policies as { PolicyName: string; PolicyDocument: unknown }[]).map((p) => ({
        name: `${id}/${p.PolicyName}`,
        document: document(p.PolicyDocument),
      })),
      managedPolicyArns: asList(props.ManagedPolicyArns as string[]),
    };
    roles.set(role.arn, role);
    roleByName.set(role.name, role);
  }
  // Policies attach to roles by name (Ref); a customer managed policy also by the roles' ManagedPolicyArns.
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const { id, props } of of(type)) {
      for (const roleName of asList(props.Roles as string[]))
        roleByName.get(roleName)?.policies.push({ name: id, document: document(props.PolicyDocument) });
    }
  }

  const resourcePolicies = new Map<string, NamedPolicy>();
  const addStatements = (arn: string, name: string, statements: PolicyStatement[]) => {
    const existing = resourcePolicies.get(arn);
    resourcePolicies.set(arn, {
      name: existing ? existing.name : name,
      document: {
        Version: '2012-10-17',
        Statement: [...(existing?.document.Statement ?? []), ...statements],
      },
    });
  };
  for (const { id, props } of of('AWS::S3::BucketPolicy'))
    addStatements(`arn:aws:s3:::${String(props.Bucket)}`, id, document(props.PolicyDocument).Statement);
  for (const { id, props } of of('AWS::KMS::Key'))
    addStatements(arnOf(id), `${id} (key policy)`, document(props.KeyPolicy).Statement);
  for (const { id, props } of of('AWS::SNS::TopicPolicy'))
    for (const topic of asList(props.Topics as string[]))
      addStatements(topic, id, document(props.PolicyDocument).Statement);
  for (const { id, props } of of('AWS::SQS::QueuePolicy'))
    for (const url of asList(props.Queues as string[]))
      addStatements(queueArn(url), id, document(props.PolicyDocument).Statement);
  // CloudWatch Logs' resource policies are the account's, for the log groups their statements name.
  for (const { id, props } of of('AWS::Logs::ResourcePolicy'))
    addStatements(logsPolicyKey(place), id, document(JSON.parse(String(props.PolicyDocument))).Statement);
  for (const { id, props } of of('AWS::Lambda::Permission')) {
    const arn = functionArn(String(props.FunctionName), place);
    addStatements(arn, `${arn.split(':').pop()} (function policy)`, [
      lambdaPermissionStatement(id, props as Record<string, string>, arn),
    ]);
  }

  const buckets = new Map(
    of('AWS::S3::Bucket').map(({ id, props }) => {
      const rule = (
        props.BucketEncryption as
          | {
              ServerSideEncryptionConfiguration?: {
                ServerSideEncryptionByDefault?: { KMSMasterKeyID?: string };
              }[];
            }
          | undefined
      )?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
      return [
        physicalName(id, resources, place),
        { arn: arnOf(id), ...(rule?.KMSMasterKeyID ? { kmsKeyArn: rule.KMSMasterKeyID } : {}) },
      ] as const;
    }),
  );
  const topics = new Map(
    of('AWS::SNS::Topic').map(({ id, props }) => [
      arnOf(id),
      props.KmsMasterKeyId ? { kmsKeyArn: String(props.KmsMasterKeyId) } : {},
    ]),
  );
  const alarms = of('AWS::CloudWatch::Alarm').map(({ id, props }) => ({
    logicalId: id,
    arn: arnOf(id),
    actions: [...asList(props.AlarmActions as string[]), ...asList(props.OKActions as string[])],
  }));
  const rules = of('AWS::Events::Rule').map(({ id, props }) => ({
    logicalId: id,
    arn: arnOf(id),
    targets: asList(
      props.Targets as { Arn: string; RoleArn?: string; DeadLetterConfig?: { Arn?: string } }[],
    ).map((t) => ({
      arn: t.Arn,
      ...(t.RoleArn ? { roleArn: t.RoleArn } : {}),
      ...(t.DeadLetterConfig?.Arn ? { deadLetterArn: t.DeadLetterConfig.Arn } : {}),
    })),
  }));
  const schedules = of('AWS::Scheduler::Schedule').map(({ id, props }) => {
    const target = props.Target as { Arn: string; RoleArn: string; DeadLetterConfig?: { Arn?: string } };
    const group = String(props.GroupName ?? 'default');
    return {
      logicalId: id,
      ...(target.DeadLetterConfig?.Arn ? { deadLetterArn: target.DeadLetterConfig.Arn } : {}),
      groupArn: `arn:aws:scheduler:${place.region}:${place.account}:schedule-group/${group}`,
      roleArn: target.RoleArn,
      targetArn: target.Arn,
    };
  });
  const functionRoles = new Map(
    of('AWS::Lambda::Function').map(({ id, props }) => [
      physicalName(id, resources, place),
      String(props.Role),
    ]),
  );
  const failureDestinations = of('AWS::Lambda::EventInvokeConfig').flatMap(({ props }) => {
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure?.Destination;
    const name = String(props.FunctionName);
    const roleArn = functionRoles.get(name);
    return destination && roleArn ? [{ functionLogicalId: name, roleArn, destinationArn: destination }] : [];
  });
  const machine = of('AWS::StepFunctions::StateMachine')[0];
  const logGroupKeys = [
    ...new Set(
      of('AWS::Logs::LogGroup').flatMap(({ props }) => (props.KmsKeyId ? [String(props.KmsKeyId)] : [])),
    ),
  ];
  return {
    place,
    logGroupKeys,
    failureDestinations,
    roles,
    resourcePolicies,
    buckets,
    topics,
    alarms,
    rules,
    schedules,
    ...(machine
      ? {
          stateMachine: {
            arn: arnOf(machine.id),
            roleArn: String(machine.props.RoleArn),
            logging: machine.props.LoggingConfiguration !== undefined,
            tracing:
              (machine.props.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled === true,
          },
        }
      : {}),
  };
}

/** Where the model keeps the account's CloudWatch Logs resource policy (not one resource's). */
export function logsPolicyKey(place: StackPlace): string {
  return `arn:aws:logs:${place.region}:${place.account}`;
}

/** A queue's ARN from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), as a QueuePolicy names it. */
function queueArn(url: string): string {
  const match = /^https:\/\/sqs\.([^.]+)\.[^/]+\/(\d{12})\/(.+)$/.exec(url);
  return match ? `arn:aws:sqs:${match[1]}:${match[2]}:${match[3]}` : url;
}
