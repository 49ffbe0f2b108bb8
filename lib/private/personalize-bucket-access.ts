/**
 * Personalize checks the bucket policy as well as its role's permissions before it writes an export
 * (https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html): for a bucket of
 * the app (one an `ExportLocation.fromBucket` or `outputBucket` names), the workflow adds the statement,
 * for this account's Personalize resources only
 * (https://docs.aws.amazon.com/personalize/latest/dg/cross-service-confused-deputy-prevention.html).
 * An imported bucket's policy is its owner's: `addToResourcePolicy` adds nothing to it.
 */
import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { MAX_LISTED_RESOURCES } from './policy-size';

export function allowPersonalizeWrites(bucket: IBucket, keyPrefixes: readonly string[]): void {
  if (keyPrefixes.length === 0) return;
  const stack = Stack.of(bucket);
  const personalize = new ServicePrincipal('personalize.amazonaws.com');
  const conditions = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'personalize', resource: '*' }) },
  };
  const unique = [...new Set(keyPrefixes)];
  // Beyond the listing limit, the whole bucket: S3 bucket policies are limited to 20 KB.
  const objects =
    unique.length > MAX_LISTED_RESOURCES
      ? [bucket.arnForObjects('*')]
      : unique.map((p) => bucket.arnForObjects(`${p}*`));
  bucket.addToResourcePolicy(
    new PolicyStatement({
      principals: [personalize],
      actions: ['s3:PutObject'],
      resources: objects,
      conditions,
    }),
  );
  bucket.addToResourcePolicy(
    new PolicyStatement({
      principals: [personalize],
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions,
    }),
  );
}
