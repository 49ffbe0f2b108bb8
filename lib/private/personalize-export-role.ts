import { Stack } from 'aws-cdk-lib';
import { parseS3Uri } from '../../contract/s3-uri';
import { type CfnPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './nag';

export interface PersonalizeExportRoleProps {
  /** `s3://bucket/prefix/` locations Personalize may write exports under. */
  readonly outputS3Prefixes: string[];
  /** KMS keys the exports are encrypted with. @default - none */
  readonly kmsKeyArns?: string[];
}

/** Prefixes listed one by one in the role's policy; beyond this, whole buckets. */
const MAX_LISTED_PREFIXES = 40;

/**
 * The role Personalize assumes to write dataset exports, for users who do not bring their own: trusted by
 * personalize.amazonaws.com only for this account's Personalize resources, allowed to write only under
 * the configured output prefixes (and to use the configured KMS keys).
 */
export class PersonalizeExportRole extends Construct {
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: PersonalizeExportRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      description: 'Assumed by Amazon Personalize to write ml-exports dataset exports',
      assumedBy: new ServicePrincipal('personalize.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'personalize', resource: '*' }) },
        },
      }),
    });
    const locations = props.outputS3Prefixes.map((uri) => {
      const { bucket, key } = parseS3Uri(uri) ?? { bucket: '', key: '' };
      const bucketArn = stack.formatArn({ service: 's3', region: '', account: '', resource: bucket });
      return { bucketArn, objects: `${bucketArn}/${key}*` };
    });
    let objectArns = [...new Set(locations.map((l) => l.objects))];
    const bucketArns = [...new Set(locations.map((l) => l.bucketArn))];
    // Many prefixes would outgrow IAM's policy size limit: then the role may write anywhere in their buckets.
    if (objectArns.length > MAX_LISTED_PREFIXES) objectArns = bucketArns.map((arn) => `${arn}/*`);
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: objectArns }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: bucketArns }));
    if (props.kmsKeyArns?.length) {
      this.role.addToPolicy(
        new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: props.kmsKeyArns }),
      );
    }
    acknowledgeWildcardResources(
      this.role.node.findChild('DefaultPolicy').node.defaultChild as CfnPolicy,
      'Exports are written under per-run folders of the configured prefixes: the object ARNs end in a wildcard',
    );
  }
}
