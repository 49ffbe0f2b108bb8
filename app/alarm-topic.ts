/**
 * The app's alarm notifications (`alarmEmail`): an SNS topic, encrypted with a key of its own, that the
 * workflow's alarms publish to, with an e-mail subscription.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { MlExportWorkflow } from '../lib';

export class AlarmTopic extends Construct {
  public readonly topic: Topic;

  constructor(scope: Construct, id: string, props: { workflow: MlExportWorkflow; email: string }) {
    super(scope, id);
    const alarms: IAlarm[] = props.workflow.alarms;
    // CloudWatch publishes an alarm's notification as its service principal, for that alarm (aws:SourceArn):
    // the topic policy (which replaces SNS's default policy) and the topic's key must allow it, for these
    // alarms of this account only.
    // https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const account = { 'aws:SourceAccount': Stack.of(this).account };
    // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key: a key of its own. Its
    // policy admits CloudWatch for alarms of this account and region: naming the alarms themselves would
    // make the key depend on the alarms, which depend on its topic (a cycle CloudFormation refuses).
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'ml-exports alarm topic',
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: account,
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'ml-exports alarms',
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: account,
          ArnLike: { 'aws:SourceArn': alarms.map((a) => a.alarmArn) },
        },
      }),
    );
    this.topic.addSubscription(new EmailSubscription(props.email));
    props.workflow.addAlarmAction(new SnsAction(this.topic));
  }
}
