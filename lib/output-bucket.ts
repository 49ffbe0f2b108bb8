import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * An S3 bucket for the exports, for users who do not bring their own: encrypted, private, TLS-only,
 * versioned, with server access logs, and a bucket policy that lets Personalize (in this account only)
 * write dataset exports, as Personalize requires. Glue writes with the transform's own role.
 */
export class OutputBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string) {
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
    // Personalize checks the bucket policy as well as its role's permissions before it writes an export.
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('personalize.amazonaws.com')],
        actions: ['s3:PutObject', 's3:ListBucket'],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }
}
