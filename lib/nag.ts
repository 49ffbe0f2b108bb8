import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnPolicy } from 'aws-cdk-lib/aws-iam';
// The same rendering cdk-nag uses for finding ids, so each acknowledgement names exactly one resource.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for each wildcard resource of one policy, with the
 * reason. Call it once the policy has all its statements; a wildcard added later is still reported.
 */
export function acknowledgeWildcardResources(policy: CfnPolicy, reason: string): void {
  const statements = Stack.of(policy).resolve(policy.policyDocument).Statement as { Resource: unknown }[];
  Validations.of(policy).acknowledge(
    ...statements
      .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
      .map((resource) => flattenCfnReference(resource) as string)
      .filter((resource) => resource.includes('*'))
      .map((resource) => ({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason })),
  );
}
