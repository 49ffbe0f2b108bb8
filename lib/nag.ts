import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
// The same rendering cdk-nag uses for finding ids, so each acknowledgement names exactly one resource.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

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
    .map((r) => flattenCfnReference(stack.resolve(r)) as string)
    .filter((r) => r.includes('*'))
    .map((r) => ({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason }));
  if (ids.length > 0) Validations.of(scope).acknowledge(...ids);
}
