/**
 * The local run's authorization on a small template of its own: the stand-in knows the caller from the
 * request's signature and answers as AWS does (AccessDeniedException for awsJson services, AccessDenied for
 * S3, UnrecognizedClientException for a key it never issued), through the real SDK clients; each reason of
 * IAM's is worded as AWS words it.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetMLTaskRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Authorizer, type Caller } from '../../local/access/authorizer';
import { CallerCredentials, roleSession } from '../../local/access/callers';
import { readAccessModel } from '../../local/access/policies';
import { StandInAccess } from '../../local/access/stand-in-access';
import type { CfnResources } from '../../local/intrinsics';
import { AwsStandIn } from '../../local/stand-in/aws-stand-in';

const PLACE = { region: 'us-east-1', account: '111122223333' };
const TRANSFORM = 'tfm-1';
const policy = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });
const trust = policy({
  Effect: 'Allow',
  Principal: { Service: 'lambda.amazonaws.com' },
  Action: 'sts:AssumeRole',
});

/** Two roles: one may read the transform's runs and the bucket's objects, the other nothing but a deny. */
const RESOURCES: CfnResources = {
  Reader: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: trust } },
  ReaderPolicy: {
    Type: 'AWS::IAM::Policy',
    Properties: {
      Roles: [{ Ref: 'Reader' }],
      PolicyDocument: policy(
        {
          Effect: 'Allow',
          Action: 'glue:GetMLTaskRuns',
          Resource: `arn:aws:glue:us-east-1:111122223333:mlTransform/${TRANSFORM}`,
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Results', 'Arn'] }, '/*']] },
        },
      ),
    },
  },
  Denied: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: trust } },
  DeniedPolicy: {
    Type: 'AWS::IAM::Policy',
    Properties: {
      Roles: [{ Ref: 'Denied' }],
      PolicyDocument: policy(
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Deny', Action: 'glue:*', Resource: '*' },
      ),
    },
  },
  Results: { Type: 'AWS::S3::Bucket' },
  ResultsPolicy: {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: 'Results' },
      PolicyDocument: policy({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Results', 'Arn'] }, '/private/*']] },
      }),
    },
  },
};

let standIn: AwsStandIn;
let endpoint: string;
let authorizer: Authorizer;
const credentials = new CallerCredentials();
const role = (name: string): Caller =>
  roleSession(`arn:aws:iam::111122223333:role/${name}`, `${name}Function`, name);

beforeAll(async () => {
  authorizer = new Authorizer(readAccessModel(RESOURCES, PLACE));
  standIn = new AwsStandIn({
    world: { transforms: [TRANSFORM], datasets: [], glueJobSeconds: 60, personalizeJobSeconds: 60 },
    outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-access-')),
    access: new StandInAccess(authorizer, credentials),
  });
  endpoint = await standIn.start();
  standIn.putObject('results', 'runs/1.json', '{}');
  standIn.putObject('results', 'private/1.json', '{}');
});

afterAll(() => standIn.stop());

const glueAs = (caller: Caller) =>
  new GlueClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: credentials.issue(caller) });
const s3As = (caller: Caller) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: credentials.issue(caller),
  });

it('answers a call the role may make, and tells which statement allowed it', async () => {
  await expect(
    glueAs(role('Reader')).send(new GetMLTaskRunsCommand({ TransformId: TRANSFORM })),
  ).resolves.toMatchObject({
    TaskRuns: [],
  });
  expect(
    [...authorizer.log.records.values()].find((r) => r.request.action === 'glue:GetMLTaskRuns'),
  ).toMatchObject({
    allowed: true,
    grantedBy: ['ReaderPolicy#1'],
  });
});

it("refuses a call no statement allows, an explicit deny, and a bucket policy's deny, in AWS's words", async () => {
  await expect(
    glueAs(role('Reader')).send(new GetMLTaskRunsCommand({ TransformId: 'tfm-2' })),
  ).rejects.toMatchObject({
    name: 'AccessDeniedException',
    message:
      'User: arn:aws:sts::111122223333:assumed-role/Reader/ReaderFunction is not authorized to perform: glue:GetMLTaskRuns on resource: arn:aws:glue:us-east-1:111122223333:mlTransform/tfm-2 because no identity-based policy allows the glue:GetMLTaskRuns action',
  });
  await expect(
    glueAs(role('Denied')).send(new GetMLTaskRunsCommand({ TransformId: TRANSFORM })),
  ).rejects.toMatchObject({
    name: 'AccessDeniedException',
    message: expect.stringMatching(/mlTransform\/tfm-1 with an explicit deny in an identity-based policy$/),
  });
  await expect(
    s3As(role('Reader')).send(new GetObjectCommand({ Bucket: 'results', Key: 'private/1.json' })),
  ).rejects.toMatchObject({
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
    message:
      'User: arn:aws:sts::111122223333:assumed-role/Reader/ReaderFunction is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::results/private/1.json with an explicit deny in a resource-based policy',
  });
  const read = await s3As(role('Reader')).send(
    new GetObjectCommand({ Bucket: 'results', Key: 'runs/1.json' }),
  );
  expect(await read.Body?.transformToString()).toBe('{}');
});

it('refuses a key it never issued, as AWS refuses an invalid token', async () => {
  const stranger = new GlueClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'ASIASTRANGERSTRANGER', secretAccessKey: 'x', sessionToken: 'x' },
  });
  await expect(stranger.send(new GetMLTaskRunsCommand({ TransformId: TRANSFORM }))).rejects.toMatchObject({
    name: 'UnrecognizedClientException',
  });
});
