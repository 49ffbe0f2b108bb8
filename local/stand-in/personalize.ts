/**
 * Personalize's dataset export jobs: CreateDatasetExportJob, validated as the service does and within its
 * limit of unfinished jobs, DescribeDatasetExportJob, and ListDatasetExportJobs (with the datasets' past
 * jobs, for the history look-up). A job that becomes ACTIVE writes the dataset's records, as the role it
 * was given: a job whose role may not write there ends CREATE FAILED instead.
 */
import type { AccessGuard, ExportWriteAccess } from './access-guard';
import { exportJobNamePrefix } from '../../contract/names';
import { personalizeCsv } from './csv';
import type { LocalS3Folder } from './local-files';
import type { JsonOperation } from './server';
import { requireString, ServiceError } from './service-error';
import { QUEUED_SECONDS, type Account, type JobFate } from './world';

export interface PersonalizeJob {
  readonly jobName: string;
  readonly arn: string;
  readonly datasetArn: string;
  readonly roleArn: string;
  readonly path: string;
  readonly ingestionMode: string;
  readonly kmsKeyArn?: string;
  readonly createdMs: number;
  readonly fate: JobFate;
  written: boolean;
  /** How long this job takes, when not `world.personalizeJobSeconds` (past jobs). */
  readonly seconds?: number;
  /** Whether its role may write the export (decided at creation, counted when it writes). */
  writeAccess?: ExportWriteAccess;
}

const ARN = /^arn:([a-z\d-]+):personalize:.*:.*:.+$/;

export class PersonalizeStandIn {
  /** Jobs created during this execution. */
  readonly jobs: PersonalizeJob[] = [];
  /** Past jobs (`world.pastRuns`): listed, never created or counted as created by this execution. */
  private readonly pastJobs: PersonalizeJob[] = [];

  constructor(
    private readonly account: Account,
    private readonly files: LocalS3Folder,
    private readonly access?: AccessGuard,
  ) {
    this.seedPastJobs(account.pastRunsBeforeMs());
  }

  /** The awsJson operations, by X-Amz-Target. */
  operations(): [string, JsonOperation][] {
    return [
      ['AmazonPersonalize.CreateDatasetExportJob', (input) => this.createDatasetExportJob(input)],
      ['AmazonPersonalize.DescribeDatasetExportJob', (input) => this.describeDatasetExportJob(input)],
      ['AmazonPersonalize.ListDatasetExportJobs', (input) => this.listDatasetExportJobs(input)],
    ];
  }

  /** Writes the records of every job that has become ACTIVE by now (and counts a refused write as made). */
  materialize(now: number): void {
    for (const job of this.jobs) {
      const status = this.status(job, now);
      // A job bound to succeed writes its files at its end, unless its role was refused.
      const writesNow = job.fate.kind === 'succeed' && (status === 'ACTIVE' || status === 'CREATE FAILED');
      if (job.written || !writesNow) continue;
      job.written = true;
      job.writeAccess?.made();
      if (status === 'ACTIVE')
        this.files.write(this.objectUri(job), personalizeCsv(job.datasetArn, job.jobName));
    }
  }

  private objectUri(job: Pick<PersonalizeJob, 'path' | 'jobName'>): string {
    return `${job.path}${job.jobName}_00000.csv`;
  }

  private seedPastJobs(nowMs: number): void {
    for (const past of this.account.world.pastRuns ?? []) {
      if (!past.target.startsWith('arn:')) continue;
      past.seconds.forEach((seconds, i) => {
        const startedMs = nowMs - (i + 1) * 86_400_000;
        const day = new Date(startedMs).toISOString().slice(0, 10);
        const jobName = `${exportJobNamePrefix(past.exportName ?? 'past')}nightly-${day}-${String(i).padStart(8, '0')}`;
        const [, partition, , region, account] = past.target.split(':');
        this.pastJobs.push({
          fate: { kind: 'succeed' },
          written: true,
          seconds,
          jobName,
          arn: `arn:${partition}:personalize:${region}:${account}:dataset-export-job/${jobName}`,
          datasetArn: past.target,
          roleArn: `arn:${partition}:iam::${account}:role/past`,
          path: `s3://past-exports/${day}/`,
          ingestionMode: 'BULK',
          createdMs: startedMs,
        });
      });
    }
  }

  private createDatasetExportJob(input: Record<string, unknown>) {
    const jobName = requireString(
      input,
      'jobName',
      1,
      63,
      'InvalidInputException',
      /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/,
    );
    const datasetArn = requireString(input, 'datasetArn', 1, 256, 'InvalidInputException', ARN);
    const roleArn = requireString(
      input,
      'roleArn',
      1,
      256,
      'InvalidInputException',
      /^arn:([a-z\d-]+):iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/,
    );
    const destination = ((input.jobOutput as Record<string, unknown> | undefined)?.s3DataDestination ??
      {}) as Record<string, unknown>;
    const outPath = requireString(
      destination,
      'path',
      1,
      256,
      'InvalidInputException',
      /^(s3|http|https):\/\/.+$/,
    );
    if (destination.kmsKeyArn !== undefined)
      requireString(
        destination,
        'kmsKeyArn',
        1,
        2048,
        'InvalidInputException',
        /^arn:aws.*:kms:.*:[0-9]{12}:key\/.*$/,
      );
    const ingestionMode = (input.ingestionMode as string | undefined) ?? 'PUT';
    if (!['BULK', 'PUT', 'ALL'].includes(ingestionMode))
      throw new ServiceError(
        'InvalidInputException',
        `ingestionMode ${ingestionMode} must be BULK, PUT or ALL`,
      );
    this.files.fileFor(outPath);
    if (!this.account.world.datasets.includes(datasetArn))
      throw new ServiceError('ResourceNotFoundException', `Dataset ${datasetArn} does not exist.`);
    if (/\/(ACTIONS|ACTION_INTERACTIONS)$/.test(datasetArn))
      throw new ServiceError('InvalidInputException', `Dataset type of ${datasetArn} cannot be exported.`);
    const [, partition, , region, account] = datasetArn.split(':');
    const arn = `arn:${partition}:personalize:${region}:${account}:dataset-export-job/${jobName}`;
    if (this.jobs.some((j) => j.arn === arn))
      throw new ServiceError(
        'ResourceAlreadyExistsException',
        `Dataset export job ${jobName} already exists.`,
      );
    const now = Date.now();
    const unfinished =
      this.jobs.filter(
        (j) => this.status(j, now).startsWith('CREATE ') && this.status(j, now) !== 'CREATE FAILED',
      ).length + this.account.otherJobs('personalize');
    const limit = this.account.quota('personalizeExportJobs');
    if (unfinished >= limit)
      throw new ServiceError(
        'LimitExceededException',
        `More than ${limit} resources with PENDING or IN_PROGRESS status.`,
      );
    const job: PersonalizeJob = {
      jobName,
      arn,
      datasetArn,
      roleArn,
      path: outPath,
      ingestionMode,
      ...(destination.kmsKeyArn ? { kmsKeyArn: destination.kmsKeyArn as string } : {}),
      createdMs: Date.now(),
      fate: this.account.fateOf(datasetArn),
      written: false,
    };
    this.jobs.push(job);
    if (!this.access) return { datasetExportJobArn: arn };
    // Whether the role may write there is decided now, while the call is in flight (the clock holds).
    return this.access
      .exportWrite({
        jobArn: arn,
        roleArn,
        path: outPath,
        objectKey: this.objectUri(job).replace(/^s3:\/\/[^/]+\//, ''),
        ...(job.kmsKeyArn ? { kmsKeyArn: job.kmsKeyArn } : {}),
      })
      .then((access) => {
        job.writeAccess = access;
        return { datasetExportJobArn: arn };
      });
  }

  private describeDatasetExportJob(input: Record<string, unknown>) {
    const arn = requireString(input, 'datasetExportJobArn', 1, 256, 'InvalidInputException', ARN);
    const job = this.jobs.find((j) => j.arn === arn);
    if (!job) throw new ServiceError('ResourceNotFoundException', `Could not find dataset export job ${arn}`);
    const now = Date.now();
    const status = this.status(job, now);
    const ended = status === 'ACTIVE' || status === 'CREATE FAILED';
    return {
      datasetExportJob: {
        jobName: job.jobName,
        datasetExportJobArn: job.arn,
        datasetArn: job.datasetArn,
        ingestionMode: job.ingestionMode,
        roleArn: job.roleArn,
        status,
        jobOutput: {
          s3DataDestination: { path: job.path, ...(job.kmsKeyArn ? { kmsKeyArn: job.kmsKeyArn } : {}) },
        },
        creationDateTime: job.createdMs / 1000,
        lastUpdatedDateTime: (ended ? this.endMs(job) : now) / 1000,
        ...(status === 'CREATE FAILED' ? { failureReason: this.failureReason(job) } : {}),
      },
    };
  }

  /** A dataset's export jobs, newest first, one page of `maxResults` (1-100) from `nextToken`. */
  private listDatasetExportJobs(input: Record<string, unknown>) {
    const max = (input.maxResults as number | undefined) ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw new ServiceError('InvalidInputException', `maxResults ${max} must be 1-100`);
    const offset = input.nextToken === undefined ? 0 : Number(input.nextToken);
    if (!Number.isInteger(offset) || offset < 0)
      throw new ServiceError('InvalidNextTokenException', `Invalid next token ${String(input.nextToken)}`);
    const now = Date.now();
    const jobs = [...this.jobs, ...this.pastJobs]
      .filter((j) => input.datasetArn === undefined || j.datasetArn === input.datasetArn)
      .sort((a, b) => b.createdMs - a.createdMs);
    const page = jobs.slice(offset, offset + max).map((job) => {
      const status = this.status(job, now);
      const ended = status === 'ACTIVE' || status === 'CREATE FAILED';
      return {
        jobName: job.jobName,
        datasetExportJobArn: job.arn,
        status,
        creationDateTime: job.createdMs / 1000,
        lastUpdatedDateTime: (ended ? this.endMs(job) : now) / 1000,
      };
    });
    return {
      datasetExportJobs: page,
      ...(offset + max < jobs.length ? { nextToken: String(offset + max) } : {}),
    };
  }

  private jobSeconds(job: PersonalizeJob): number {
    return job.seconds ?? this.account.world.personalizeJobSeconds;
  }

  private endMs(job: PersonalizeJob): number {
    return job.createdMs + this.jobSeconds(job) * 1000;
  }

  private status(job: PersonalizeJob, now: number): string {
    const elapsed = (now - job.createdMs) / 1000;
    if (elapsed < QUEUED_SECONDS) return 'CREATE PENDING';
    if (job.fate.kind === 'never-finish' || elapsed < this.jobSeconds(job)) return 'CREATE IN_PROGRESS';
    return job.fate.kind === 'succeed' && !job.writeAccess?.failureReason ? 'ACTIVE' : 'CREATE FAILED';
  }

  /** Why a job ended CREATE FAILED: its fate, or its role's refused write. */
  private failureReason(job: PersonalizeJob): string | undefined {
    if (job.fate.kind === 'fail') return job.fate.message;
    return job.writeAccess?.failureReason;
  }
}
