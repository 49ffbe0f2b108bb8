/** Maps a Glue ML task run (GetMLTaskRun) to the workflow's outcome. Pure, so each status is unit-tested. */
import type { GetMLTaskRunResponse } from '@aws-sdk/client-glue';
import type { StatusObservation } from '../shared/polling';

const STILL_RUNNING = new Set(['STARTING', 'RUNNING', 'STOPPING']);
const FAILED = new Set(['FAILED', 'TIMEOUT', 'STOPPED']);

export function observeGlueTaskRun(run: GetMLTaskRunResponse): StatusObservation {
  const status = run.Status ?? 'UNKNOWN';
  const times = {
    ...(run.StartedOn ? { jobStartedAt: run.StartedOn.toISOString() } : {}),
    ...(run.CompletedOn ? { jobCompletedAt: run.CompletedOn.toISOString() } : {}),
  };
  if (STILL_RUNNING.has(status)) return { outcome: 'RUNNING', serviceStatus: status, ...times };
  if (status === 'SUCCEEDED') return { outcome: 'SUCCEEDED', serviceStatus: status, ...times };
  const serviceError = FAILED.has(status)
    ? (run.ErrorString ?? `the task run ended with status ${status}`)
    : `unexpected task run status ${JSON.stringify(status)}; treated as a failure`;
  return { outcome: 'FAILED', serviceStatus: status, serviceError, ...times };
}
