/**
 * Named situations for the local run, built from the exports the assembly was synthesized with: the first
 * configured Glue export and the first configured Personalize export are the ones that misbehave.
 */
import type { FaultRule, JobFate, PastRuns, Quotas, World } from './stand-in/aws-stand-in';

export interface ScenarioPlan {
  readonly description: string;
  /** When to stop the run, unless the user says (--stop-after, --time-out-after). */
  readonly stopAfterSeconds?: number;
  readonly world: World;
  readonly fates?: Record<string, JobFate>;
  readonly faults?: FaultRule[];
  /** putEvents calls that fail (EventBridge.FailedEntry) before EventBridge accepts events again. */
  readonly eventBusFailures?: number;
  /** Execution input to use when the user gives none. */
  readonly input?: unknown;
}

export interface ScenarioContext {
  readonly configured: readonly Record<string, string>[];
  readonly glueJobSeconds: number;
  readonly personalizeJobSeconds: number;
  /** The account's concurrency quotas (by default what the deployment was configured for). */
  readonly quotas?: Partial<Quotas>;
}

type Build = (
  ctx: ScenarioContext,
  world: World,
  glue?: Record<string, string>,
  personalize?: Record<string, string>,
) => Omit<ScenarioPlan, 'world'> & { world?: World };

const SCENARIOS: Record<string, Build> = {
  happy: () => ({ description: 'Every configured export succeeds after several status checks.' }),

  'stable-history': (ctx, world, glue, personalize) => ({
    description:
      'Each export ran the last 5 days within 2 % of today: the first check waits until just before the expected end, then a few close checks.',
    world: { ...world, pastRuns: pastRuns(ctx, 1, glue, personalize) },
  }),

  'slower-than-history': (ctx, world, glue, personalize) => ({
    description:
      'Each job takes 3x as long as its last 5 runs: the checks around the expected end find it running, then the backoff takes over.',
    world: { ...world, pastRuns: pastRuns(ctx, 1 / 3, glue, personalize) },
  }),

  'job-fails': (_c, _w, glue, personalize) => ({
    description:
      'The Glue task run ends FAILED (or, without Glue exports, the Personalize job ends CREATE FAILED); the others succeed.',
    fates: glue
      ? {
          [glue.transformId]: {
            kind: 'fail',
            message: 'Labeling file has no labeled records for transform.',
          },
        }
      : personalize
        ? {
            [personalize.datasetArn]: {
              kind: 'fail',
              message: 'Access Denied: the role cannot write to the output path.',
            },
          }
        : {},
  }),

  'personalize-fails': (_c, _w, _g, personalize) => ({
    description: 'The Personalize export job ends CREATE FAILED with a failureReason; the others succeed.',
    fates: personalize
      ? {
          [personalize.datasetArn]: {
            kind: 'fail',
            message: 'Insufficient privileges for accessing data in S3.',
          },
        }
      : {},
  }),

  'glue-stopped': (_c, _w, glue) => ({
    description: 'The Glue task run is stopped by someone (STOPPED); the export fails, the others succeed.',
    fates: glue ? { [glue.transformId]: { kind: 'stop' } } : {},
  }),

  'stuck-job': (_c, _w, _g, personalize) => ({
    description:
      'The Personalize job never finishes: the export ends TIMED_OUT at its time limit; the others succeed.',
    fates: personalize ? { [personalize.datasetArn]: { kind: 'never-finish' } } : {},
  }),

  'glue-stuck-job': (_c, _w, glue) => ({
    description:
      'The Glue task run never finishes: the export ends TIMED_OUT at its time limit and the task run is cancelled (STOPPING, then STOPPED); the others succeed.',
    fates: glue ? { [glue.transformId]: { kind: 'never-finish' } } : {},
  }),

  throttling: () => ({
    description:
      "Bursts of throttling on every status call, longer than the SDK's own three attempts: the state machine retries, all succeed.",
    faults: [
      { operation: 'GetMLTaskRun', error: 'ThrottlingException', count: 7 },
      { operation: 'DescribeDatasetExportJob', error: 'ThrottlingException', count: 7 },
    ],
  }),

  'service-errors': () => ({
    description:
      'The services answer 5xx to the first start calls: the starts are retried and each export starts exactly one job.',
    faults: [
      { operation: 'StartExportLabelsTaskRun', error: 'InternalServiceException', count: 2 },
      { operation: 'GetMLTaskRuns', error: 'ServiceUnavailable', count: 4 },
      { operation: 'CreateDatasetExportJob', error: 'InternalServiceException', count: 4 },
    ],
  }),

  'lost-start-response': () => ({
    description:
      'Each start call creates its job but the response is lost (500): the retried start adopts the job instead of starting another.',
    faults: [
      {
        operation: 'StartExportLabelsTaskRun',
        error: 'InternalServiceException',
        count: 1,
        afterEffect: true,
      },
      { operation: 'CreateDatasetExportJob', error: 'InternalServiceException', count: 1, afterEffect: true },
    ],
  }),

  'unknown-transform': (_c, world, glue) => ({
    description:
      "The Glue transform does not exist (EntityNotFoundException): that export fails at once with the service's message.",
    world: { ...world, transforms: world.transforms.filter((t) => t !== glue?.transformId) },
  }),

  'unknown-dataset': (_c, world, _g, personalize) => ({
    description:
      'The Personalize dataset does not exist (ResourceNotFoundException): that export fails at once.',
    world: { ...world, datasets: world.datasets.filter((d) => d !== personalize?.datasetArn) },
  }),

  'access-denied': (_c, world) => ({
    description:
      "The account's organization denies creating export jobs (a service control policy): CreateDatasetExportJob gets AWS's AccessDeniedException and the Personalize export fails at once, no retries.",
    world: organizationDenies(world, 'personalize:CreateDatasetExportJob'),
  }),

  'overlapping-run': (_c, world, _g, personalize) => ({
    description:
      'A manual run exporting the same dataset started 30 minutes ago and is still going: this run is skipped and starts no job.',
    world: {
      ...world,
      runningExecutions: [
        {
          name: 'manual-backfill',
          input: personalize ? { exportNames: [personalize.name] } : {},
          startedSecondsAgo: 1800,
        },
      ],
    },
  }),

  'stopped-run': (_c, world, glue) => ({
    description:
      "An operator stops the run 5 minutes in (StopExecution), while another run's task run writes to the same transform and another application's to another one: the clean-up cancels this run's task run only, and sends one ML Export Stopped per export, then ML Export Run Stopped.",
    stopAfterSeconds: 300,
    world: {
      ...world,
      transforms: [...world.transforms, 'tfm-another-application'],
      otherTaskRuns: [
        ...(glue
          ? [{ transformId: glue.transformId, outputS3Path: `${glue.outputS3Prefix}2026-01-01/another-run/` }]
          : []),
        { transformId: 'tfm-another-application', outputS3Path: 's3://another-application/labels/' },
      ],
    },
  }),

  'prepare-run-denied': (_c, world) => ({
    description:
      "The organization denies Prepare Run's ListExecutions (a service control policy: AccessDeniedException): the run fails in Prepare Run, before any job, and the clean-up sends its run event (ML Export Run Stopped, FAILED).",
    world: organizationDenies(world, 'states:ListExecutions'),
  }),

  'results-unreadable': (_c, world) => ({
    description:
      "The organization denies reading objects (a service control policy): S3 refuses Summarize Run the Map's result files (AccessDenied), the exports succeed and send their events, the run fails in Summarize Run, and the clean-up sends its run event (ML Export Run Stopped, FAILED).",
    world: organizationDenies(world, 's3:GetObject'),
  }),

  'newer-run': (_c, world) => ({
    description:
      'A newer run of the same exports starts 5 minutes after this one and runs on: this run goes ahead (it started first); stopped and redriven while the newer one runs (--stop-after N --redrive), its redriven exports yield to it.',
    world: {
      ...world,
      runningExecutions: [{ name: 'nightly-newer', input: {}, startedSecondsAgo: -300 }],
    },
  }),

  'eventbridge-outage': () => ({
    description:
      "EventBridge refuses the first export's event past its retries while the other export is still polling: that event is held, the other export goes on and sends its own, and Summarize Run delivers the held one before the run event.",
    eventBusFailures: 12,
  }),

  'eventbridge-long-outage': () => ({
    description:
      'EventBridge refuses every event for longer than all retries: both export events are held, and the execution fails at Summarize Run, where a redrive delivers them.',
    eventBusFailures: 30,
  }),

  'mixed-outcomes': (ctx) => {
    const transforms = ctx.configured.filter((e) => e.type === 'glue').map((e) => e.transformId);
    const datasets = [
      ...new Set(ctx.configured.filter((e) => e.type === 'personalize').map((e) => e.datasetArn)),
    ];
    const fates: Record<string, JobFate> = {};
    transforms.forEach((t, i) => {
      if (i % 5 === 1) fates[t] = { kind: 'fail', message: `Labeling file for ${t} has no labeled records.` };
      if (i % 5 === 3) fates[t] = { kind: 'stop' };
    });
    datasets.forEach((d, i) => {
      if (i % 3 === 1) fates[d] = { kind: 'never-finish' };
    });
    return {
      description:
        'For many exports: every 5th transform (from the 2nd) fails, every 5th (from the 4th) is stopped, every 3rd dataset (from the 2nd) never finishes.',
      fates,
    };
  },

  'busy-account': (_c, world) => ({
    description:
      "Other applications' jobs fill the account's quotas (1 Glue task run, 1 Personalize job) for 20 minutes: each export waits for capacity, then starts and succeeds.",
    world: {
      ...world,
      quotas: { glueTaskRunsPerAccount: 1, personalizeExportJobs: 1 },
      otherJobs: { glue: 1, personalize: 1, seconds: 1200 },
    },
  }),

  'over-quota': (_c, world) => ({
    description:
      'Quotas of 1 Glue task run and 1 Personalize job at a time: with more exports than that, the extra ones wait for capacity and start one after another; none fails for capacity.',
    world: { ...world, quotas: { glueTaskRunsPerAccount: 1, personalizeExportJobs: 1 } },
  }),

  'bad-input': () => ({
    description:
      'An operator pastes input with bad fields: the run is rejected with one error naming each field, and no job starts.',
    input: {
      exports: [
        { type: 'glue', name: 'nightly labels', transformId: '', outputS3Prefix: 'https://bucket/labels' },
      ],
      dryRun: true,
    },
  }),
};

/** The world with a service control policy of the account's organization that denies `action`. */
function organizationDenies(world: World, action: string): World {
  return {
    ...world,
    serviceControlPolicies: [
      {
        name: `Deny ${action}`,
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] },
      },
    ],
  };
}

/** Five past runs of each export (newest first), `scale` times today's job length, within +-2 %. */
function pastRuns(
  ctx: ScenarioContext,
  scale: number,
  glue?: Record<string, string>,
  personalize?: Record<string, string>,
): PastRuns[] {
  const spread = [1.01, 0.99, 1.02, 0.98, 1];
  const runs = (seconds: number) => spread.map((f) => Math.round(seconds * scale * f));
  return [
    ...(glue
      ? [
          {
            target: glue.transformId,
            exportName: glue.name,
            outputS3Prefix: glue.outputS3Prefix,
            seconds: runs(ctx.glueJobSeconds),
          },
        ]
      : []),
    ...(personalize
      ? [
          {
            target: personalize.datasetArn,
            exportName: personalize.name,
            seconds: runs(ctx.personalizeJobSeconds),
          },
        ]
      : []),
  ];
}

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

export function describeScenarios(): string {
  return SCENARIO_NAMES.map(
    (name) =>
      `  ${name.padEnd(20)} ${SCENARIOS[name]({ configured: [], glueJobSeconds: 0, personalizeJobSeconds: 0 }, { transforms: [], datasets: [], glueJobSeconds: 0, personalizeJobSeconds: 0 }).description}`,
  ).join('\n');
}

export function buildScenario(name: string, ctx: ScenarioContext): ScenarioPlan {
  const build = SCENARIOS[name];
  if (!build) throw new Error(`Unknown scenario "${name}": expected one of ${SCENARIO_NAMES.join(', ')}`);
  const world: World = {
    transforms: ctx.configured.filter((e) => e.type === 'glue').map((e) => e.transformId),
    datasets: ctx.configured.filter((e) => e.type === 'personalize').map((e) => e.datasetArn),
    glueJobSeconds: ctx.glueJobSeconds,
    personalizeJobSeconds: ctx.personalizeJobSeconds,
    ...(ctx.quotas ? { quotas: ctx.quotas } : {}),
  };
  const glue = ctx.configured.find((e) => e.type === 'glue');
  const personalize = ctx.configured.find((e) => e.type === 'personalize');
  const plan = build(ctx, world, glue, personalize);
  return { ...plan, world: plan.world ?? world };
}

/**
 * A configuration of many exports for the `mixed-outcomes` scenario: Glue transforms, and Personalize
 * exports spread over 8 datasets written to the created bucket with the created role (the catalog's
 * placeholders), with a 2-hour limit so that the exports that never finish time out.
 */
export function manyExportsConfig(counts: {
  readonly glue: number;
  readonly personalize: number;
  readonly maxConcurrency: number;
}): Record<string, unknown> {
  const datasets = Array.from(
    { length: 8 },
    (_, i) => `arn:aws:personalize:us-east-1:111122223333:dataset/group-${i}/INTERACTIONS`,
  );
  return {
    maxConcurrency: counts.maxConcurrency,
    // Every export at once: the account is taken to allow it (the stand-in's quotas follow these).
    maxConcurrentGlueExports: counts.glue,
    maxConcurrentPersonalizeExports: counts.personalize,
    createOutputBucket: true,
    createPersonalizeRole: true,
    polling: { maxExportSeconds: 7200 },
    glueExports: Array.from({ length: counts.glue }, (_, i) => ({
      name: `labels-${i}`,
      transformId: `tfm-${String(i).padStart(32, '0')}`,
      outputS3Prefix: `s3://many-bucket/labels/${i}/`,
    })),
    personalizeExports: Array.from({ length: counts.personalize }, (_, i) => ({
      name: `records-${i}`,
      datasetArn: datasets[i % datasets.length],
      outputS3Prefix: `records/${i}/`,
      ingestionMode: 'BULK',
    })),
  };
}
