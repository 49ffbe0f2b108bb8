/**
 * What the simulated account holds and how its jobs behave: the world a local run starts in (resources,
 * job lengths, quotas, other applications' jobs, past runs, other executions), how each job ends, and the
 * account-wide rules every service of the stand-in shares (quotas, queueing).
 */

/** What exists in the simulated account. */
export interface World {
  /** Transform ids that exist, with the record columns their labels carry. */
  readonly transforms: readonly string[];
  /** Dataset ARNs that exist. */
  readonly datasets: readonly string[];
  /** How long a job runs before it ends (seconds of simulated time). */
  readonly glueJobSeconds: number;
  readonly personalizeJobSeconds: number;
  /**
   * The account's concurrency quotas, enforced as the services do: a start beyond them is refused
   * (Glue ConcurrentRunsExceededException, Personalize LimitExceededException) until a job ends.
   * @default AWS's defaults: 30 concurrent ML task runs per account and 3 per transform; 5 unfinished
   * dataset export jobs
   */
  readonly quotas?: Partial<Quotas>;
  /**
   * Jobs of other applications that hold slots of the quotas when the run starts, for this long.
   * @default none
   */
  readonly otherJobs?: { readonly glue: number; readonly personalize: number; readonly seconds: number };
  /** Jobs that ran before this execution, one a day, newest first: each export's history. */
  readonly pastRuns?: readonly PastRuns[];
  /**
   * Service control policies of the account's organization (the documents only), besides FullAWSAccess.
   * @default none
   */
  readonly serviceControlPolicies?: readonly { readonly name: string; readonly policy: unknown }[];
  /**
   * Task runs already running when the execution starts, never finishing: another run's, another
   * application's (on another transform). Listed, described and cancellable like the run's own.
   * @default none
   */
  readonly otherTaskRuns?: readonly { readonly transformId: string; readonly outputS3Path: string }[];
  /** Other executions of the state machine already running when this one starts (e.g. a manual backfill). */
  readonly runningExecutions?: readonly {
    readonly name: string;
    readonly input: unknown;
    readonly startedSecondsAgo: number;
  }[];
}

/** Concurrency quotas of the simulated account. */
export interface Quotas {
  readonly glueTaskRunsPerAccount: number;
  readonly glueTaskRunsPerTransform: number;
  readonly personalizeExportJobs: number;
}

/**
 * AWS's default quotas: Glue "Max concurrent ML task runs per account" (30) and "per transform" (3),
 * https://docs.aws.amazon.com/general/latest/gr/glue.html; Personalize's limit of 5 resources of a kind
 * with PENDING or IN_PROGRESS status, https://docs.aws.amazon.com/personalize/latest/dg/limits.html
 */
export const DEFAULT_QUOTAS: Quotas = {
  glueTaskRunsPerAccount: 30,
  glueTaskRunsPerTransform: 3,
  personalizeExportJobs: 5,
};

/**
 * Successful past jobs of a transform or dataset (`target`): Personalize ones named for `exportName`, Glue
 * ones written to run folders below `outputS3Prefix`, as the export's own.
 */
export interface PastRuns {
  readonly target: string;
  readonly exportName?: string;
  readonly outputS3Prefix?: string;
  /** Durations in seconds, newest first. */
  readonly seconds: readonly number[];
}

/** The execution being run, as Step Functions lists it. */
export interface SelfExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  /** Simulated start, epoch milliseconds. */
  readonly startMs: number;
}

/** How one job ends, by export target (transform id or dataset ARN). */
export type JobFate =
  | { readonly kind: 'succeed' }
  | { readonly kind: 'fail'; readonly message: string }
  | { readonly kind: 'stop' }
  | { readonly kind: 'never-finish' };

/** Seconds a job spends in its first status (STARTING / CREATE PENDING) before it runs. */
export const QUEUED_SECONDS = 5;

/** What the Glue and Personalize stand-ins share: the world, the fates, and the run being simulated. */
export class Account {
  constructor(
    readonly world: World,
    private readonly fates: Readonly<Record<string, JobFate>> = {},
    /** The execution being run, when there is one. */
    readonly self?: SelfExecution,
  ) {}

  /** How the job of a transform or dataset ends. @default it succeeds */
  fateOf(target: string): JobFate {
    return this.fates[target] ?? { kind: 'succeed' };
  }

  quota<K extends keyof Quotas>(key: K): number {
    return this.world.quotas?.[key] ?? DEFAULT_QUOTAS[key];
  }

  /** Slots of other applications' jobs still held now. */
  otherJobs(kind: 'glue' | 'personalize'): number {
    const other = this.world.otherJobs;
    const held = other && Date.now() - (this.self?.startMs ?? 0) < other.seconds * 1000;
    return held ? other[kind] : 0;
  }

  /** When past runs are counted back from: the execution's start, else now. */
  pastRunsBeforeMs(): number {
    return this.self?.startMs ?? Date.now();
  }
}
