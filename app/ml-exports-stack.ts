import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { configToProps } from './config';
import { MlExportWorkflow } from './ml-export-workflow';

export interface MlExportsStackProps extends StackProps {
  /** The parsed configuration file (see lib/config.ts and config/example.json). */
  readonly config: unknown;
  /** Where the configuration came from, for error messages. */
  readonly configSource: string;
}

/** The deployable app: one export workflow built from the configuration file. */
export class MlExportsStack extends Stack {
  public readonly workflow: MlExportWorkflow;

  constructor(scope: Construct, id: string, props: MlExportsStackProps) {
    super(scope, id, props);
    const { eventBusName, logKmsKeyArn, ...workflowProps } = configToProps(
      props.config,
      props.configSource,
      this.region,
    );
    this.workflow = new MlExportWorkflow(this, 'Workflow', {
      ...workflowProps,
      logEncryptionKey: logKmsKeyArn ? Key.fromKeyArn(this, 'LogKey', logKmsKeyArn) : undefined,
      // A bus of another account is named by its ARN.
      eventBus:
        eventBusName && eventBusName !== 'default'
          ? eventBusName.startsWith('arn:')
            ? EventBus.fromEventBusArn(this, 'EventBus', eventBusName)
            : EventBus.fromEventBusName(this, 'EventBus', eventBusName)
          : undefined,
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventSource', { value: this.workflow.eventSource });
    if (this.workflow.outputBucket) {
      new CfnOutput(this, 'OutputBucketName', { value: this.workflow.outputBucket.bucket.bucketName });
    }
    if (this.workflow.personalizeRole) {
      new CfnOutput(this, 'PersonalizeExportRoleArn', { value: this.workflow.personalizeRole.role.roleArn });
    }
  }
}
