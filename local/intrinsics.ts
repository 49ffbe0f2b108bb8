/**
 * The one place the local run turns a template's intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Select,
 * Fn::Split) into values, as CloudFormation would once the stack is deployed in the local account: each
 * resource gets a physical name (the name its properties give, else its logical id) and the ARN AWS would
 * give it. The definition, the functions' environment and every policy read from the template go through
 * here, so that the ARNs a handler sends and the ARNs a policy names are the same strings.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export type CfnResources = Readonly<Record<string, CfnResource>>;

/** Where the stack is deployed. */
export interface StackPlace {
  readonly region: string;
  readonly account: string;
}

/** The property that names a resource of each type, when the template sets it. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Scheduler::Schedule': 'Name',
};

/** A resource's physical name: the one its properties give, else (as a stand-in for the generated one) its logical id. */
export function physicalName(logicalId: string, resources: CfnResources, place: StackPlace): string {
  const resource = resources[logicalId];
  const named = resource && NAME_PROPERTY[resource.Type];
  const given = named ? resolveIntrinsics(resource.Properties?.[named], place, resources) : undefined;
  if (typeof given === 'string') return given;
  // S3 bucket names are lower case.
  return resource?.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

/** The ARN AWS gives a resource of the template, or undefined for a type the local run does not name. */
export function resourceArn(
  logicalId: string,
  resources: CfnResources,
  place: StackPlace,
): string | undefined {
  const type = resources[logicalId]?.Type;
  const name = physicalName(logicalId, resources, place);
  const { region, account } = place;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${account}:function:${name}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${account}:role/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${account}:${name}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${region}:${account}:key/${name}`;
    case 'AWS::Logs::LogGroup':
      // What Fn::GetAtt Arn returns for a log group: the log streams' wildcard included.
      return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
    case 'AWS::Events::Rule':
      return `arn:aws:events:${region}:${account}:rule/${name}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${account}:event-bus/${name}`;
    case 'AWS::CloudWatch::Alarm':
      return `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${region}:${account}:${name}`;
    case 'AWS::Scheduler::Schedule':
      return `arn:aws:scheduler:${region}:${account}:schedule/default/${name}`;
    default:
      return undefined;
  }
}

/** What `Ref` returns for a resource: its name, or its ARN for the types whose Ref is the ARN. */
function refOf(logicalId: string, resources: CfnResources, place: StackPlace): string {
  const type = resources[logicalId]?.Type;
  if (type === 'AWS::StepFunctions::StateMachine' || type === 'AWS::SNS::Topic')
    return resourceArn(logicalId, resources, place)!;
  if (type === 'AWS::SQS::Queue')
    return `https://sqs.${place.region}.amazonaws.com/${place.account}/${physicalName(logicalId, resources, place)}`;
  return physicalName(logicalId, resources, place);
}

function getAtt(logicalId: string, attribute: string, resources: CfnResources, place: StackPlace): string {
  const resource = resources[logicalId];
  if (!resource) return `arn:aws:local:${place.region}:${place.account}:${logicalId}/${attribute}`;
  if (['Arn', 'TopicArn', 'QueueArn'].includes(attribute)) {
    const arn = resourceArn(logicalId, resources, place);
    if (arn) return arn;
  }
  if (['Name', 'TopicName', 'QueueName', 'FunctionName', 'RoleId'].includes(attribute))
    return physicalName(logicalId, resources, place);
  if (attribute === 'QueueUrl') return refOf(logicalId, resources, place);
  return `arn:aws:local:${place.region}:${place.account}:${logicalId}/${attribute}`;
}

/** A value of the template with its intrinsics resolved (strings, arrays and objects all the way down). */
export function resolveIntrinsics(value: unknown, place: StackPlace, resources: CfnResources): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, place, resources));
  const obj = value as Record<string, unknown>;
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
    return (resolveIntrinsics(parts, place, resources) as unknown[]).join(sep);
  }
  if ('Fn::Split' in obj) {
    const [sep, text] = obj['Fn::Split'] as [string, unknown];
    return String(resolveIntrinsics(text, place, resources)).split(sep);
  }
  if ('Fn::Select' in obj) {
    const [index, list] = obj['Fn::Select'] as [unknown, unknown];
    return (resolveIntrinsics(list, place, resources) as unknown[])[
      Number(resolveIntrinsics(index, place, resources))
    ];
  }
  if ('Ref' in obj) {
    const ref = obj.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': place.region,
      'AWS::AccountId': place.account,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[ref] ?? refOf(ref, resources, place);
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attribute] = obj['Fn::GetAtt'] as [string, string];
    return getAtt(id, attribute, resources, place);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, place, resources)]));
}
