import { ArnFormat, Stack } from 'aws-cdk-lib';
import { type CfnPolicy, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { ExportFunction } from './export-function';
import { acknowledgeWildcardResources } from './nag';
import type { WorkflowHandlers } from './workflow-functions';

/**
 * The handlers that read the state machine's own executions, each with a policy of its own so that the
 * functions do not depend on the state machine that depends on them: Prepare Run and the start tasks look
 * for other runs exporting the same data (the overlap rule; a start task before each new job, so that a
 * redriven run yields too), and the Glue tasks ask whether their run was redriven (a task run cancelled by
 * the clean-up of the stopped run is then replaced, not adopted).
 */
export function grantRunVisibility(
  scope: Construct,
  sm: StateMachine,
  fns: WorkflowHandlers,
  configured: { glue: boolean; personalize: boolean },
): void {
  const list = new PolicyStatement({ actions: ['states:ListExecutions'], resources: [sm.stateMachineArn] });
  const describe = new PolicyStatement({
    actions: ['states:DescribeExecution'],
    resources: [
      Stack.of(scope).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${sm.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ],
  });
  const policies: [string, ExportFunction[], PolicyStatement[]][] = [
    ['PrepareRunSeesOtherRuns', [fns.prepareRun], [list, describe]],
    [
      'StartTasksSeeOtherRuns',
      [
        ...(configured.glue ? [fns.startGlueExport] : []),
        ...(configured.personalize ? [fns.startPersonalizeExport] : []),
      ],
      [list, describe],
    ],
    ['GlueStatusSeesItsRun', configured.glue ? [fns.checkGlueExport] : [], [describe]],
  ];
  for (const [id, roles, statements] of policies) {
    if (roles.length === 0) continue;
    const policy = new Policy(scope, id, { roles: roles.map((fn) => fn.role!), statements });
    acknowledgeWildcardResources(
      policy.node.defaultChild as CfnPolicy,
      'Execution names are chosen per run; the ARN is scoped to executions of this state machine',
    );
  }
}
