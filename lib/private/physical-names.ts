/**
 * The physical names the workflow sets itself (CloudFormation names everything else): unique per stack
 * name and construct path, so that many deployments share an account and region (two workflows in a stack,
 * one app deployed as two stacks), and valid whatever the construct ids hold. aws-cdk-lib's
 * `Names.uniqueResourceName` makes them: the stack's name and the path's ids, characters outside the allowed
 * set dropped, a hash of the path, shortened in the middle when too long.
 */
import { Names } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** A name of `scope` after `prefix`, of at most `maxLength` characters in all, of `[A-Za-z0-9]` and `allowed`. */
export function physicalName(scope: Construct, prefix: string, maxLength: number, allowed: string): string {
  return (
    prefix +
    Names.uniqueResourceName(scope, {
      maxLength: maxLength - prefix.length,
      separator: '-',
      allowedSpecialCharacters: allowed,
    })
  );
}

/** CreateLogGroup: 1-512 of `a-z A-Z 0-9 _ - / . #` (no `/` from the ids: they cannot fake folders). */
const LOG_GROUP = { maxLength: 512, allowed: '-_.#' };

/**
 * The state machine's log group. Under /aws/vendedlogs/ Step Functions delivers logs without growing the
 * account's CloudWatch Logs resource policy.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export function stateMachineLogGroupName(scope: Construct): string {
  return physicalName(scope, '/aws/vendedlogs/states/', LOG_GROUP.maxLength, LOG_GROUP.allowed);
}

/**
 * The log group the export events are written to for the metrics: EventBridge writes only to log groups
 * named /aws/events/...
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html
 */
export function exportEventsLogGroupName(scope: Construct): string {
  return physicalName(scope, '/aws/events/ml-exports/', LOG_GROUP.maxLength, LOG_GROUP.allowed);
}

/**
 * The CloudWatch Logs resource policy that lets EventBridge write there; its name is unique per account and
 * region.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
 */
export function exportEventsPolicyName(scope: Construct): string {
  return physicalName(scope, 'ml-exports-', 255, '-_');
}
