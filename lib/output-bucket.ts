import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MAX_LISTED_RESOURCES } from './workflow-props';

export interface OutputBucketProps {
  /**
   * Key prefixes (`personalize/interactions/`) Personalize may write dataset exports under; beyond 40, the
   * whole bucket, to keep the bucket policy within S3's size limit.
   * @default - the whole bucket
   */
  readonly personalizeExportPrefixes?: readonly string[];
}

/**
 * An S3 bucket for the exports, for users who do not bring their own: encrypted, private, TLS-only,
 * versioned, with server access logs, and a bucket policy that lets Personalize (for this account's
 * Personalize resources only) write dataset exports under the export prefixes, as Personalize requires.
 * Glue writes with the transform's own role.
 */
export class OutputBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: OutputBucketProps = {}) {
    super(scope, id);
    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the output bucket; logging it to itself would loop',
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'output-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Personalize checks the bucket policy as well as its role's permissions before it writes an export;
    // aws:SourceAccount and aws:SourceArn keep it to this account's Personalize resources.
    // https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html
    // https://docs.aws.amazon.com/personalize/latest/dg/cross-service-confused-deputy-prevention.html
    const stack = Stack.of(this);
    const personalize = new ServicePrincipal('personalize.amazonaws.com');
    const conditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'personalize', resource: '*' }) },
    };
    const prefixes = props.personalizeExportPrefixes ?? [''];
    if (prefixes.length === 0) return;
    const objects =
      prefixes.length > MAX_LISTED_RESOURCES
        ? [this.bucket.arnForObjects('*')]
        : [...new Set(prefixes)].map((p) => this.bucket.arnForObjects(`${p}*`));
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [personalize],
        actions: ['s3:PutObject'],
        resources: objects,
        conditions,
      }),
    );
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [personalize],
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions,
      }),
    );
  }
}
