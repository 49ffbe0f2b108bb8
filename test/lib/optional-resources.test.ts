/** The output bucket and Personalize role the construct may create, or use when given, and the log key. */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Role } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { ExportLocation, MlExportWorkflow } from '../../lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MlExportsStack } from '../../app/ml-exports-stack';
import {
  example,
  TRANSFORM_ID,
  DATASET_ARN,
  ROLE_ARN,
  newApp,
  synth,
  PRIVATE_SSE_S3_BUCKET,
} from './helpers';

describe('optional resources (off by default)', () => {
  const created = {
    createOutputBucket: true,
    createPersonalizeRole: true,
    allowedOutputS3Prefixes: ['adhoc/'],
    glueExports: [{ name: 'labels', transformId: TRANSFORM_ID, outputS3Prefix: 'glue/labels/' }],
    personalizeExports: [
      {
        name: 'interactions',
        datasetArn: DATASET_ARN,
        outputS3Prefix: 'personalize/interactions/',
        kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
      },
    ],
  };
  const { stack, template } = synth(created);

  it('uses an existing bucket and role given as objects instead of creating them', () => {
    const stack = new Stack(newApp(), 'Existing', { env: { region: 'us-east-1', account: '111122223333' } });
    const bucket = Bucket.fromBucketName(stack, 'Bucket', 'existing-exports');
    const role = Role.fromRoleArn(stack, 'Role', 'arn:aws:iam::111122223333:role/ExistingExportRole');
    const workflow = new MlExportWorkflow(stack, 'Workflow', {
      outputBucket: bucket,
      personalizeRole: role,
      glueExports: [
        {
          name: 'labels',
          transformId: TRANSFORM_ID,
          output: ExportLocation.fromBucket(bucket, 'glue/labels/'),
        },
      ],
      personalizeExports: [
        {
          name: 'interactions',
          datasetArn: DATASET_ARN,
          output: ExportLocation.fromBucket(bucket, 'personalize/'),
        },
      ],
    });
    const template = Template.fromStack(stack);
    expect(workflow.personalizeRole).toBe(role);
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toEqual([
      expect.stringMatching(/^WorkflowRunResults/),
    ]);
    expect(workflow._exportCatalog.map((e) => e.outputS3Prefix)).toEqual([
      's3://existing-exports/glue/labels/',
      's3://existing-exports/personalize/',
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'iam:PassRole',
            Resource: 'arn:aws:iam::111122223333:role/ExistingExportRole',
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ML_EXPORTS_OUTPUT_BUCKET: 'existing-exports' }),
      },
    });
  });

  it('creates no output bucket (only the results bucket) and no Personalize role for the example configuration', () => {
    const plain = synth(example).template;
    expect(Object.keys(plain.findResources('AWS::S3::Bucket'))).toEqual([
      expect.stringMatching(/^WorkflowRunResults/),
    ]);
    expect(
      Object.keys(
        plain.findResources('AWS::IAM::Role', {
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: [{ Principal: { Service: 'personalize.amazonaws.com' } }],
            },
          },
        }),
      ),
    ).toEqual([]);
  });

  it('creates an encrypted, private, TLS-only, versioned output bucket with access logs that Personalize may write to', () => {
    // The output bucket and its access log bucket, beside the results bucket.
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...PRIVATE_SSE_S3_BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'output-bucket/' }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // Personalize (for this account's Personalize resources) may write under the prefixes Prepare Run admits.
    const bucketId = stack.getLogicalId(stack.outputBucket!.bucket.node.defaultChild as never);
    const objects = (prefix: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}*`]],
    });
    const fromPersonalize = {
      StringEquals: { 'aws:SourceAccount': '111122223333' },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':personalize:us-east-1:111122223333:*']],
        },
      },
    };
    const policy = Object.values(
      template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }),
    )[0] as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } };
    expect(policy.Properties.PolicyDocument.Statement.filter((st) => st.Effect === 'Allow')).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'personalize.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: [objects('glue/labels/'), objects('personalize/interactions/'), objects('adhoc/')],
        Condition: fromPersonalize,
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'personalize.amazonaws.com' },
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
        Condition: fromPersonalize,
      },
    ]);
  });

  it('creates the Personalize role trusted only for this account, writing only where Prepare Run admits exports', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'personalize.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':personalize:us-east-1:111122223333:*'],
                  ],
                },
              },
            },
          },
        ],
      },
    });
    const roleId = stack.getLogicalId(stack.workflow.personalizeRole!.node.defaultChild as never);
    const bucketRef = {
      Ref: stack.getLogicalId(stack.outputBucket!.bucket.node.defaultChild as never),
    };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          {
            // Every prefix an explicit export may use the created role with: the configured exports' and
            // allowedOutputS3Prefixes.
            Action: 's3:PutObject',
            Effect: 'Allow',
            Resource: ['glue/labels/', 'personalize/interactions/', 'adhoc/'].map((prefix) => ({
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', bucketRef, `/${prefix}*`]],
            })),
          },
          {
            Action: 's3:ListBucket',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', bucketRef]] },
          },
          {
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Effect: 'Allow',
            Resource: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
          },
        ],
      },
    });
  });

  it('lets the created role use the key of an export that has its own role (Prepare Run admits either key)', () => {
    const other = {
      name: 'items',
      datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/ITEMS',
      roleArn: ROLE_ARN,
      outputS3Prefix: 's3://example-ml-exports/items/',
      kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/efgh',
    };
    const both = synth({ ...created, personalizeExports: [...created.personalizeExports, other] });
    const roleId = both.stack.getLogicalId(both.stack.workflow.personalizeRole!.node.defaultChild as never);
    both.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Effect: 'Allow',
            Resource: ['arn:aws:kms:us-east-1:111122223333:key/abcd', other.kmsKeyArn],
          },
        ]),
      },
    });
  });

  it('places key prefixes in the created bucket and passes only the created role', () => {
    // The catalog names them by placeholder; the functions that read it get the deployed values.
    const configured = stack.workflow._exportCatalog as unknown as Record<string, string>[];
    const bucketId = stack.getLogicalId(stack.outputBucket!.bucket.node.defaultChild as never);
    const roleId = stack.getLogicalId(stack.workflow.personalizeRole!.node.defaultChild as never);
    expect(configured.map((e) => e.outputS3Prefix)).toEqual([
      's3://{{ml-exports:output-bucket}}/glue/labels/',
      's3://{{ml-exports:output-bucket}}/personalize/interactions/',
    ]);
    expect(configured[1].roleArn).toBe('{{ml-exports:personalize-role-arn}}');
    for (const fn of ['prepareRun', 'startGlueExport', 'startPersonalizeExport', 'finalizeExport'] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Role: {
          'Fn::GetAtt': [
            stack.getLogicalId(stack.workflow.functions[fn].role!.node.defaultChild as never),
            'Arn',
          ],
        },
        Environment: {
          Variables: Match.objectLike({
            ML_EXPORTS_OUTPUT_BUCKET: { Ref: bucketId },
            ML_EXPORTS_PERSONALIZE_ROLE_ARN: { 'Fn::GetAtt': [roleId, 'Arn'] },
          }),
        },
      });
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [roleId, 'Arn'] } }),
        ]),
      },
    });
  });

  it('passes cdk-nag with the optional resources too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new MlExportsStack(app, 'Created', {
      config: created,
      configSource: 'test',
      env: { region: 'us-east-1', account: '111122223333' },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('encrypts the logs with the configured key', () => {
    const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const logGroups = synth({ ...example, logKmsKeyArn: keyArn }).template.findResources(
      'AWS::Logs::LogGroup',
    );
    expect(Object.values(logGroups).map((g) => g.Properties.KmsKeyId)).toEqual(Array(10).fill(keyArn));
  });

  it('still needs a role ARN and an s3:// URI when nothing is created', () => {
    expect(() => synth({ ...created, createOutputBucket: false, createPersonalizeRole: false })).toThrow(
      /glueExports\[0\]\.outputS3Prefix: got "glue\/labels\/"; expected an S3 URI[\s\S]*personalizeExports\[0\]\.roleArn: got nothing; expected an IAM role ARN/,
    );
  });
});
