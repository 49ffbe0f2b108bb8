/**
 * What AWS authorizes for each API call the stand-in answers: the IAM actions, the resources they act on
 * and the request's condition keys, as the Service Authorization Reference lists them for each action.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
import type { StackPlace } from '../intrinsics';

export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

/** An event bus's ARN from what PutEvents' EventBusName holds: a name (of the caller's account) or an ARN. */
export function eventBusArn(nameOrArn: string | undefined, place: StackPlace): string {
  if (nameOrArn?.startsWith('arn:')) return nameOrArn;
  return `arn:aws:events:${place.region}:${place.account}:event-bus/${nameOrArn ?? 'default'}`;
}

/** events:PutEvents for each entry, with the entry's source and detail-type as condition keys. */
export function putEventsRequests(
  entries: readonly Record<string, unknown>[],
  place: StackPlace,
): IamRequest[] {
  return entries.map((entry) => ({
    action: 'events:PutEvents',
    resource: eventBusArn(entry.EventBusName as string | undefined, place),
    context: { 'events:source': String(entry.Source), 'events:detail-type': String(entry.DetailType) },
  }));
}

const transform = (place: StackPlace, input: Record<string, unknown>) =>
  `arn:aws:glue:${place.region}:${place.account}:mlTransform/${String(input.TransformId)}`;

/** The job a CreateDatasetExportJob call creates: in the dataset's partition, region and account. */
function exportJobArn(input: Record<string, unknown>): string {
  const [, partition, , region, account] = String(input.datasetArn).split(':');
  return `arn:${partition}:personalize:${region}:${account}:dataset-export-job/${String(input.jobName)}`;
}

/** The awsJson operations, by X-Amz-Target. */
const JSON_OPERATIONS: Record<string, (input: Record<string, unknown>, place: StackPlace) => IamRequest[]> = {
  'AWSGlue.StartExportLabelsTaskRun': (i, p) => [
    { action: 'glue:StartExportLabelsTaskRun', resource: transform(p, i) },
  ],
  'AWSGlue.GetMLTaskRun': (i, p) => [{ action: 'glue:GetMLTaskRun', resource: transform(p, i) }],
  'AWSGlue.GetMLTaskRuns': (i, p) => [{ action: 'glue:GetMLTaskRuns', resource: transform(p, i) }],
  'AWSGlue.CancelMLTaskRun': (i, p) => [{ action: 'glue:CancelMLTaskRun', resource: transform(p, i) }],
  // Both resource types are required; passing the role is authorized as iam:PassRole with the service it
  // goes to. https://docs.aws.amazon.com/personalize/latest/dg/security_iam_service-with-iam.html
  'AmazonPersonalize.CreateDatasetExportJob': (i) => [
    { action: 'personalize:CreateDatasetExportJob', resource: String(i.datasetArn) },
    { action: 'personalize:CreateDatasetExportJob', resource: exportJobArn(i) },
    {
      action: 'iam:PassRole',
      resource: String(i.roleArn),
      context: { 'iam:PassedToService': 'personalize.amazonaws.com' },
    },
    ...(Array.isArray(i.tags) && i.tags.length > 0
      ? [{ action: 'personalize:TagResource', resource: exportJobArn(i) }]
      : []),
  ],
  'AmazonPersonalize.DescribeDatasetExportJob': (i) => [
    { action: 'personalize:DescribeDatasetExportJob', resource: String(i.datasetExportJobArn) },
  ],
  // No resource type: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonpersonalize.html
  'AmazonPersonalize.ListDatasetExportJobs': () => [
    { action: 'personalize:ListDatasetExportJobs', resource: '*' },
  ],
  // A state machine's executions, or a Map Run's child executions.
  'AWSStepFunctions.ListExecutions': (i) => [
    { action: 'states:ListExecutions', resource: String(i.mapRunArn ?? i.stateMachineArn) },
  ],
  'AWSStepFunctions.ListMapRuns': (i) => [{ action: 'states:ListMapRuns', resource: String(i.executionArn) }],
  'AWSStepFunctions.GetExecutionHistory': (i) => [
    { action: 'states:GetExecutionHistory', resource: String(i.executionArn) },
  ],
  'AWSStepFunctions.DescribeExecution': (i) => [
    { action: 'states:DescribeExecution', resource: String(i.executionArn) },
  ],
  'AWSEvents.PutEvents': (i, p) =>
    putEventsRequests(Array.isArray(i.Entries) ? (i.Entries as Record<string, unknown>[]) : [], p),
};

/** What a call needs allowed; undefined for an operation the stand-in does not know (it refuses it anyway). */
export function requestsForJsonCall(
  target: string,
  input: Record<string, unknown>,
  place: StackPlace,
): IamRequest[] | undefined {
  return JSON_OPERATIONS[target]?.(input, place);
}

/** An S3 REST call on an object. */
export function requestsForS3Call(operation: string, bucket: string, key: string): IamRequest[] {
  const action =
    operation === 'GetObject' ? 's3:GetObject' : operation === 'PutObject' ? 's3:PutObject' : undefined;
  return action ? [{ action, resource: `arn:aws:s3:::${bucket}/${key}` }] : [];
}
