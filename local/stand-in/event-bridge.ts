/** EventBridge's PutEvents, which Summarize Run calls to deliver the export events refused during the run. */
import type { JsonOperation } from './server';
import { ServiceError } from './service-error';

/** Takes the entries and answers as the service does (the local run's event bus decides). */
export type PutEventsHandler = (entries: Record<string, unknown>[]) => {
  FailedEntryCount: number;
  Entries: Record<string, unknown>[];
};

export class EventBridgeStandIn {
  /** @param onPutEvents the event bus; without one, PutEvents is refused. */
  constructor(private readonly onPutEvents?: PutEventsHandler) {}

  /** The awsJson operations, by X-Amz-Target. */
  operations(): [string, JsonOperation][] {
    return [['AWSEvents.PutEvents', (input) => this.putEvents(input)]];
  }

  private putEvents(input: Record<string, unknown>) {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10)
      throw new ServiceError('ValidationException', 'Entries must hold 1-10 entries');
    if (!this.onPutEvents)
      throw new ServiceError('UnknownOperationException', 'The stand-in has no event bus');
    return this.onPutEvents(entries as Record<string, unknown>[]);
  }
}
