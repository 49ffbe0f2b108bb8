/**
 * What AWS does after a run ends, in the local run: the template's EventBridge rule on the run's
 * "Step Functions Execution Status Change" event invokes the clean-up function (its bundle from the cloud
 * assembly, or from another assembly: the configuration deployed by the time the run ended), asynchronously:
 * a failed invocation is retried as Lambda retries it, on the simulated clock, and past its retries the
 * event goes to the dead-letter queue. The function's real SDK clients talk to the stand-in, whose Step
 * Functions answers from the run's own recorded executions.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
import { randomUUID } from 'node:crypto';
import type { Authorizer } from './access/authorizer';
import { servicePrincipal } from './access/callers';
import { RunAccess } from './access/run-access';
import { loadAssembly, type LoadedAssembly } from './assembly';
import { LambdaRuntime } from './lambda-runtime';
import type { ExecutionFeed } from './execution-feed';
import { describeFailure } from './run-outcome';
import type { CleanupResult } from './run-types';
import type { CallRecord } from './stand-in/server';
import type { ExecutionRecord } from './stand-in/executions';
import type { SimClock } from './sim-clock';

/** Lambda's waits before its retries of an asynchronous invocation (about a minute, then two). */
const RETRY_DELAYS_MS = [60_000, 120_000];

/** The event the rule delivers: "Step Functions Execution Status Change", from the run's recorded state. */
export function statusChangeEvent(run: ExecutionRecord, region: string, account: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date(run.stopMs ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [run.executionArn],
    detail: {
      executionArn: run.executionArn,
      stateMachineArn: run.stateMachineArn,
      name: run.name,
      status: run.status,
      startDate: run.startMs,
      stopDate: run.stopMs ?? null,
      input: JSON.stringify(run.input),
      inputDetails: { included: true },
    },
  };
}

/**
 * Delivers the ended run's status change to the clean-up when the rule matches it, retrying as Lambda does.
 * Returns undefined when no rule matches (the run succeeded, or the assembly has no such rule).
 */
export async function cleanUpEndedRun(
  run: ExecutionRecord,
  ctx: {
    readonly assembly: LoadedAssembly;
    readonly region: string;
    readonly clock: SimClock;
    readonly say: (text: string) => void;
    /** The deployment's functions (own environment and credentials) and its authorizer. */
    readonly lambdas: LambdaRuntime;
    readonly authorizer: Authorizer;
  },
): Promise<CleanupResult | undefined> {
  const target = ctx.assembly.statusChangeTarget;
  if (!target || !target.statuses.includes(run.status)) return undefined;
  const fn = target.function;
  const lambda = ctx.lambdas.get(fn);
  const event = statusChangeEvent(run, ctx.region, ctx.assembly.account);
  // EventBridge invokes the function as its service principal, for the rule: the function's policy (the
  // rule's Lambda permission) must allow it.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions
  const delivery = await ctx.authorizer.authorize({
    caller: servicePrincipal('events.amazonaws.com', 'EventBridge'),
    action: 'lambda:InvokeFunction',
    resource: fn.arn,
    context: { 'aws:SourceArn': target.ruleArn, 'aws:SourceAccount': ctx.assembly.account },
    by: 'service',
  });
  if (!delivery.allowed) {
    ctx.say(`run ended ${run.status}: the rule may not invoke the clean-up (${delivery.message})`);
    return { executionStatus: run.status, attempts: 0, error: delivery.message };
  }
  let error: string | undefined;
  const attempts = 1 + target.retryAttempts;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    ctx.say(
      `run ended ${run.status}: the rule invokes the clean-up (${fn.logicalId})${attempt > 1 ? `, retry ${attempt - 1}` : ''}`,
    );
    const invoked = lambda.invoke(event).then(
      (report) => ({ ok: true as const, report }),
      (err: unknown) => ({ ok: false as const, err: err as Error }),
    );
    // The function waits on the simulated clock too (its second look for a start in flight).
    ctx.clock.taskStarted();
    await ctx.clock.drive(invoked);
    ctx.clock.taskEnded();
    const outcome = await invoked;
    if (outcome.ok) {
      const report = outcome.report as Record<string, unknown>;
      ctx.say(`clean-up done${report.skipped ? `: nothing to do (${String(report.skipped)})` : ''}`);
      return { executionStatus: run.status, attempts: attempt, report };
    }
    error = `${outcome.err.name}: ${outcome.err.message}`;
    ctx.say(`clean-up failed: ${error}`);
    if (attempt < attempts) {
      const retry = new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt - 1] ?? 120_000));
      await ctx.clock.drive(retry);
    }
  }
  if (target.deadLetterQueue) {
    ctx.say(`the status change went to the dead-letter queue ${target.deadLetterQueue}`);
    // Lambda sends it there as the function's role.
    // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    if (target.deadLetterQueueArn)
      await ctx.authorizer.authorize({
        caller: lambda.caller,
        action: 'sqs:SendMessage',
        resource: target.deadLetterQueueArn,
        by: 'service',
      });
  }
  return {
    executionStatus: run.status,
    attempts,
    ...(error ? { error } : {}),
    ...(target.deadLetterQueue ? { deadLetterQueue: target.deadLetterQueue } : {}),
  };
}

/**
 * Ends the run as Step Functions records it (`outcome`, unless it was stopped: the stop ended it) and
 * delivers its status change to the clean-up, from `cleanupAssemblyDir` when the configuration changed.
 */
export async function endRun(
  feed: ExecutionFeed,
  outcome: { ok: true; output: unknown } | { ok: false; err: unknown } | undefined,
  ctx: Omit<Parameters<typeof cleanUpEndedRun>[1], 'assembly' | 'authorizer'> & {
    readonly assembly: LoadedAssembly;
    /** The run's access rules (its authorizer, the credentials it hands out). */
    readonly access: RunAccess;
    readonly cleanupAssemblyDir?: string;
    /** Every call the stand-in answered: the clean-up's are moved from here to its result. */
    readonly calls: CallRecord[];
  },
): Promise<CleanupResult | undefined> {
  if (outcome) {
    const e = outcome.ok ? undefined : describeFailure(outcome.err);
    feed.end(outcome.ok, outcome.ok ? { output: outcome.output } : { error: e?.error, cause: e?.cause });
  }
  const before = ctx.calls.length;
  let result: CleanupResult | undefined;
  if (ctx.cleanupAssemblyDir) {
    // Another deployment by the time the run ended: its functions, with its roles' policies.
    const assembly = loadAssembly(ctx.cleanupAssemblyDir, ctx.region, ctx.assembly.account);
    const access = new RunAccess(assembly, feed.run.name, ctx.access.organization, ctx.access.credentials);
    const lambdas = new LambdaRuntime({ ...ctx.lambdas.options, authorizer: access.authorizer });
    result = await cleanUpEndedRun(feed.run, { ...ctx, assembly, lambdas, authorizer: access.authorizer });
    if (result) result = { ...result, permissions: access.report() };
  } else {
    result = await cleanUpEndedRun(feed.run, { ...ctx, authorizer: ctx.access.authorizer });
  }
  const calls = ctx.calls.splice(before);
  return result && { ...result, calls };
}
