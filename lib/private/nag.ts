/**
 * cdk-nag acknowledgements for wildcard resources. cdk-nag itself is the app's (a development
 * dependency): its finding ids name a resource by the flattened form below, the same rendering as cdk-nag's
 * `flattenCfnReference` (test/lib/nag.test.ts compares the two), so each acknowledgement names exactly one
 * resource. `Validations.of(...).acknowledge` is aws-cdk-lib's.
 * @see https://github.com/cdklabs/cdk-nag
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';

/** A resolved CloudFormation value as one string: references as `<Logical.Attr>`, joins joined. */
export function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  // Fn::Sub's `${...}` becomes `<...>`, as references do.
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const fn = node as Record<string, unknown>;
  if (fn['Fn::Join']) {
    const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (fn['Fn::Sub']) return flattenCfnReference(fn['Fn::Sub']);
  if (fn['Fn::GetAtt']) {
    const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (fn['Fn::ImportValue']) return flattenCfnReference(fn['Fn::ImportValue']);
  if (fn.Ref) return `<${flattenCfnReference(fn.Ref)}>`;
  return JSON.stringify(node);
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for each wildcard resource of one policy, with the
 * reason. Call it once the policy has all its statements; a wildcard added later is still reported.
 */
export function acknowledgeWildcardResources(policy: CfnPolicy, reason: string): void {
  const statements = Stack.of(policy).resolve(policy.policyDocument).Statement as { Resource: unknown }[];
  acknowledgeWildcards(
    policy,
    statements.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource])),
    reason,
  );
}

/** Acknowledges AwsSolutions-IAM5 for these wildcard resources (ARNs, tokens or resolved values) on one construct. */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly unknown[], reason: string): void {
  const stack = Stack.of(scope);
  const ids = resources
    .map((r) => flattenCfnReference(stack.resolve(r)))
    .filter((r) => r.includes('*'))
    .map((r) => ({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason }));
  if (ids.length > 0) Validations.of(scope).acknowledge(...ids);
}

/**
 * The state machine's grants that cdk-nag sees as wildcards, each for its reason: vended logs and X-Ray,
 * the versions of its own functions (LambdaInvoke grants `<arn>:*`), the ResultWriter's folders per Map
 * Run under the results prefix, and the Distributed Map's own child executions.
 */
export function acknowledgeStateMachineGrants(
  stateMachine: StateMachine,
  functions: Readonly<Record<string, IFunction>>,
  resultObjectsArn: string,
): void {
  const stack = Stack.of(stateMachine);
  Validations.of(stateMachine).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs vended-log delivery and X-Ray tracing actions support no resource-level permissions',
    },
    ...Object.values(functions).map((fn) => ({
      id: `AwsSolutions-IAM5[Resource::<${stack.resolve((fn.node.defaultChild as CfnFunction).logicalId)}.Arn>:*]`,
      reason: 'Invoking the versions of a function this workflow owns',
    })),
  );
  acknowledgeWildcards(
    stateMachine.role,
    [resultObjectsArn],
    "The Distributed Map writes each run's results under the results prefix of this workflow's own bucket, in folders named by the Map Run",
  );
  acknowledgeWildcardResources(
    stateMachine.node.findChild('DistributedMapPolicy').node.defaultChild as CfnPolicy,
    "The Distributed Map manages this state machine's own child executions, whose names are generated",
  );
}
