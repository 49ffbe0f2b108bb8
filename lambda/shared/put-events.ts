/**
 * Delivers events the state machine could not send itself with PutEvents, in batches of 10 entries, the most
 * one call takes: the export events a run still owes (held after EventBridge refused them, or made for child
 * executions that failed), from Summarize Run; and the events of a run that ended without its own run event,
 * from its clean-up. An entry EventBridge refuses fails the call as transient: the state machine retries
 * Summarize Run (past its retries the execution fails there, and a redrive delivers them again); Lambda
 * retries the clean-up.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { classifyAwsError } from './aws-errors';
import type { OwedEvent } from './child-outcome';
import { CLIENT_CONFIG } from './client-config';
import { TransientServiceError } from './errors';
import { logger } from './logger';

const events = new EventBridgeClient(CLIENT_CONFIG);
const BATCH = 10;

export interface EventTarget {
  readonly source: string;
  readonly eventBusName: string;
}

export async function deliverEvents(owed: readonly OwedEvent[], target: EventTarget): Promise<void> {
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
        `EventBridge PutEvents for bus ${target.eventBusName} refused ${response.FailedEntryCount} of ${batch.length} events: ${failed?.ErrorCode}: ${failed?.ErrorMessage}`,
      );
    }
    logger.info('Delivered events', {
      count: batch.length,
      detailTypes: [...new Set(batch.map((e) => e.detailType))],
      exports: batch.flatMap((e) => (typeof e.detail.exportName === 'string' ? [e.detail.exportName] : [])),
    });
  }
}
