/**
 * Delivers the export events a run still owes (held after EventBridge refused them, or made for child
 * executions that failed) with PutEvents, in batches of 10 entries, the most one call takes. An entry
 * EventBridge refuses fails the task as transient: the state machine retries it, and past its retries the
 * execution fails at Summarize Run, where a redrive delivers them again.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { classifyAwsError } from '../shared/aws-errors';
import { CLIENT_CONFIG } from '../shared/client-config';
import { TransientServiceError } from '../shared/errors';
import { logger } from '../shared/logger';
import type { OwedEvent } from './map-results';

const events = new EventBridgeClient(CLIENT_CONFIG);
const BATCH = 10;

export interface EventTarget {
  readonly source: string;
  readonly eventBusName: string;
}

export async function deliverOwedEvents(owed: readonly OwedEvent[], target: EventTarget): Promise<void> {
  for (let i = 0; i < owed.length; i += BATCH) {
    const batch = owed.slice(i, i + BATCH);
    const response = await events
      .send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            Source: target.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            EventBusName: target.eventBusName,
          })),
        }),
      )
      .catch((err: unknown) => {
        throw classifyAwsError(err, 'EventBridge PutEvents', `bus ${target.eventBusName}`);
      });
    if ((response.FailedEntryCount ?? 0) > 0) {
      const failed = (response.Entries ?? []).find((e) => e.ErrorCode);
      throw new TransientServiceError(
        `EventBridge PutEvents for bus ${target.eventBusName} refused ${response.FailedEntryCount} of ${batch.length} owed export events: ${failed?.ErrorCode}: ${failed?.ErrorMessage}`,
      );
    }
    logger.info('Delivered owed export events', {
      count: batch.length,
      exports: batch.map((e) => e.detail.exportName),
    });
  }
}
