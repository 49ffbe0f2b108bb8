import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends up in the queue, for cdk-nag and the alarm. */
  readonly purpose: string;
  /** @default Duration.days(14) - the most SQS keeps a message */
  readonly retentionPeriod?: Duration;
}

/**
 * Where an asynchronous delivery that failed past its retries is kept instead of dropped: encrypted
 * (SSE-SQS), TLS only, messages kept 14 days. ExportOperations alarms when a message arrives.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;
  public readonly purpose: string;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.purpose = props.purpose;
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue (${props.purpose}), alarmed when a message arrives`,
    });
  }
}
