/**
 * The physical names the workflow sets itself (CloudFormation names everything else): unique per construct
 * path, so that many deployments share an account, and valid whatever the construct ids hold.
 */
import { Names, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

const VENDED_LOGS_PREFIX = '/aws/vendedlogs/states/';

/**
 * The state machine's log group name, unique per construct path and valid whatever the ids: the stack's
 * name, then the path's letters, digits and `-_.#` with a hash of the path, within CloudWatch Logs' 512
 * characters. Under /aws/vendedlogs/ Step Functions delivers logs without growing the account's CloudWatch
 * Logs resource policy.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export function stateMachineLogGroupName(scope: Construct): string {
  const stackName = Stack.of(scope).stackName;
  const lead = Token.isUnresolved(stackName) ? '' : `${stackName}-`;
  return (
    VENDED_LOGS_PREFIX +
    lead +
    Names.uniqueResourceName(scope, {
      maxLength: 512 - VENDED_LOGS_PREFIX.length - lead.length,
      separator: '-',
      allowedSpecialCharacters: '-_.#',
    })
  );
}
