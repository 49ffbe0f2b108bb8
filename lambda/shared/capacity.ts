/** A start refused because the account's quota of concurrent jobs is full: the export waits for a slot. */
import { describeAwsError } from './aws-errors';
import { logger } from './logger';
import { recordCapacityRefusal } from './polling';
import type { ExportState } from './types';

/**
 * The state with the refusal recorded: the state machine waits `capacity.waitSeconds` and calls the start
 * again, or, past the export's time limit, ends it TIMED_OUT with the refusal as the reason.
 */
export function waitForCapacity(
  state: ExportState,
  refusal: unknown,
  keys: Record<string, string>,
): ExportState {
  const capacity = recordCapacityRefusal(
    state.capacity,
    describeAwsError(refusal),
    Date.now(),
    state.run.polling,
  );
  const log = capacity.outcome === 'WAITING' ? logger.warn.bind(logger) : logger.error.bind(logger);
  log(
    capacity.outcome === 'WAITING'
      ? 'Waiting for capacity: the start was refused because a concurrency quota is full'
      : 'No capacity before the time limit: the export never started',
    {
      ...keys,
      attempts: capacity.attempts,
      waitingSince: capacity.since,
      nextAttemptSeconds: capacity.waitSeconds,
      refusal: capacity.lastRefusal,
    },
  );
  return { ...state, capacity };
}
