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
import { parseS3Uri } from '../../contract/s3-uri';
import type { MlExportWorkflowProps } from '../workflow-props';
import type { DeployTimeValues } from './deploy-time-values';
import { MAX_LISTED_RESOURCES } from './policy-size';

/**
 * For each bucket of the app an export location or `outputBucket` names: Personalize may write under the
 * prefixes in it that Prepare Run admits (the configured exports' and the allowed locations).
 * @param admittedPrefixes S3 URI prefixes, a bucket known only at deployment as its stand-in in `values`
 */
export function allowPersonalizeWritesToAppBuckets(
  props: MlExportWorkflowProps,
  admittedPrefixes: readonly string[],
  values: DeployTimeValues,
): void {
  for (const bucket of appBuckets(props)) {
    const standIn = values.standIn(bucket.bucketName, 'bucket');
    const keys = admittedPrefixes.flatMap((uri) => {
      const location = parseS3Uri(uri);
      return location?.bucket === standIn ? [location.key] : [];
    });
    allowPersonalizeWrites(bucket, keys);
  }
}

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

/** The buckets of the app the exports write to (an imported bucket's policy is left to its owner). */
function appBuckets(props: MlExportWorkflowProps): IBucket[] {
  const locations = [
    ...(props.glueExports ?? []).map((e) => e.output),
    ...(props.personalizeExports ?? []).map((e) => e.output),
    ...(props.allowedOutputLocations ?? []),
  ];
  const buckets = [...locations.map((l) => l?.bucket), props.outputBucket];
  return [...new Set(buckets.filter((b): b is IBucket => b !== undefined))];
}
