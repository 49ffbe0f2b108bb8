import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENTS_PER_EXPORT_OVERHEAD,
  HISTORY_EVENTS_PER_POLL,
  RUN_PAYLOAD_BUDGET_BYTES,
  runPayloadBytes,
  worstCaseExportHistoryEvents,
} from '../../contract/limits';
import { MlExportsStack } from '../../app/ml-exports-stack';
import { maxChecks, maxPolls } from '../../lambda/shared/polling';
import { POLLING_LIMITS } from '../../contract/validation';
import { definitionFromTemplate } from '../../local/assembly';
import { HISTORY_EVENTS_BY_STATE } from '../../local/run';
import { example, newApp, synth, type State, allStates } from './helpers';

describe('execution history stays bounded', () => {
  // Worst case: every status check retried to the limit costs 45 events; each export adds at most 150
  // outside its checks. Synth refuses settings whose longest export could pass 20,000 of the 25,000.
  it('counts 45 events per check plus 150 per export, against a budget of 20,000 of the 25,000 allowed', () => {
    expect([HISTORY_EVENTS_PER_POLL, HISTORY_EVENTS_PER_EXPORT_OVERHEAD, HISTORY_EVENT_BUDGET]).toEqual([
      45, 150, 20_000,
    ]);
  });

  it('keeps the default 12-hour export at 129 start attempts and checks, at most about 5,900 events', () => {
    const defaults = {
      initialWaitSeconds: 30,
      backoffRate: 2,
      maxWaitSeconds: 360,
      maxExportSeconds: 43_200,
    };
    // 4 checks while the wait grows (30+60+120+240 = 450 s), then one per 360 s until 43,200 s.
    expect(maxPolls(defaults)).toBe(4 + Math.ceil((43_200 - 450) / 360));
    expect(maxPolls(defaults)).toBe(123);
    // Waiting for capacity shares the time limit but starts its own backoff: at most the 4 growing checks
    // the successful start and one for rounding more.
    expect(maxChecks(defaults)).toBe(123 + 4 + 2);
    expect(worstCaseExportHistoryEvents(defaults)).toBe(129 * 45 + 150);
  });

  it('accepts the longest export (7 days) with a 30-minute cap: 349 attempts and checks, at most about 15,900 events', () => {
    const week = {
      initialWaitSeconds: 30,
      backoffRate: 2,
      maxWaitSeconds: 1800,
      maxExportSeconds: POLLING_LIMITS.maxExportSeconds.max,
    };
    // 6 growing checks (30+60+120+240+480+960 = 1,890 s), then one per 1,800 s until 604,800 s.
    expect(maxPolls(week)).toBe(6 + Math.ceil((604_800 - 1890) / 1800));
    expect(maxChecks(week)).toBe(341 + 6 + 2);
    expect(worstCaseExportHistoryEvents(week)).toBe(349 * 45 + 150);
    expect(worstCaseExportHistoryEvents(week)).toBeLessThan(HISTORY_EVENT_BUDGET);
    expect(() => synth({ ...example, polling: week })).not.toThrow();
  });

  it('refuses the same 7 days with the 6-minute cap: 1,689 attempts and checks could cost about 76,200 events', () => {
    const dense = { initialWaitSeconds: 30, backoffRate: 2, maxWaitSeconds: 360, maxExportSeconds: 604_800 };
    expect(maxPolls(dense)).toBe(4 + Math.ceil((604_800 - 450) / 360));
    expect(worstCaseExportHistoryEvents(dense)).toBe(1689 * 45 + 150);
    expect(() => synth({ ...example, polling: dense })).toThrow(
      'expected settings whose longest export (1689 start attempts and status checks, ~76155 history events) stays under 20000 events',
    );
  });

  it('derives those bounds from the synthesized definition: the run has no loop, an export two loops of three states', () => {
    const { template } = synth(example);
    const { definition } = definitionFromTemplate(template.toJSON() as never, 'us-east-1');
    const retries = (s: State) =>
      ((s.Retry as { MaxAttempts: number }[] | undefined) ?? []).reduce((sum, r) => sum + r.MaxAttempts, 0);
    const worst = (s: State) => HISTORY_EVENTS_BY_STATE[s.Type] + 3 * retries(s);
    // The run (parent execution): every state at most once, whatever the number of exports.
    const runStates = Object.values(definition.States as Record<string, State>);
    expect(runStates.reduce((sum, s) => sum + worst(s), 2)).toBeLessThan(200);
    // One export (child execution): a check is Wait, Task and Choice, with the task's retries.
    const exportStates = (
      definition.States as Record<string, State & { ItemProcessor: { States: Record<string, State> } }>
    )['Export Each'].ItemProcessor.States;
    for (const kind of ['Glue', 'Personalize']) {
      const loop = [`Wait For ${kind} Export`, `Get ${kind} Export Status`, `${kind} Export Done?`].map(
        (n) => exportStates[n],
      );
      expect(loop.reduce((sum, s) => sum + worst(s), 0)).toBe(HISTORY_EVENTS_PER_POLL);
      // Waiting for capacity: Wait, the start again, and its Choice, counted as checks (maxChecks).
      const capacityLoop = [
        `Wait For ${kind} Capacity`,
        `Start ${kind} Export`,
        `${kind} Export Started?`,
      ].map((n) => exportStates[n]);
      expect(capacityLoop.reduce((sum, s) => sum + worst(s), 0)).toBe(HISTORY_EVENTS_PER_POLL);
      const once = [
        'Export Type?',
        `Start ${kind} Export`,
        `${kind} Export Started?`,
        'Finalize Export',
        'Emit Export Event',
        'Export Done',
      ].map((n) => exportStates[n]);
      expect(once.reduce((sum, s) => sum + worst(s), 2)).toBeLessThanOrEqual(
        HISTORY_EVENTS_PER_EXPORT_OVERHEAD,
      );
    }
  });

  describe('a configuration of thousands of exports', () => {
    /** n Glue and n Personalize exports (a dataset group each), in the created bucket and role. */
    const many = (n: number) => ({
      ...example,
      createOutputBucket: true,
      createPersonalizeRole: true,
      glueExports: Array.from({ length: n }, (_, i) => ({
        name: `labels-${i}`,
        transformId: `tfm-${String(i).padStart(32, '0')}`,
        outputS3Prefix: `glue/labels-${i}/`,
      })),
      personalizeExports: Array.from({ length: n }, (_, i) => ({
        name: `dataset-${i}`,
        datasetArn: `arn:aws:personalize:us-east-1:111122223333:dataset/group-${i}/INTERACTIONS`,
        outputS3Prefix: `personalize/dataset-${i}/`,
      })),
    });
    const TYPES = ['INTERACTIONS', 'ITEMS', 'USERS'];
    const small = synth(many(1));
    const large = synth(many(2500));
    /** The definition, less the run timeout (sized for the waves of exports, so it differs). */
    const definitionOf = (t: Template) =>
      JSON.stringify(definitionFromTemplate(t.toJSON() as never, 'us-east-1').definition).replace(
        /"(runTimeoutSeconds|TimeoutSeconds)":\d{4,}/g,
        '"$1":0',
      );
    const bytes = (t: Template) => JSON.stringify(t.toJSON()).length;

    it('keeps the state machine definition the same whatever the number of exports', () => {
      expect(large.stack.workflow._exportCatalog).toHaveLength(5000);
      expect(definitionOf(large.template)).toBe(definitionOf(small.template));
    });

    it('keeps the template and every policy small: beyond 40 resources a grant uses the narrowest wildcard', () => {
      expect(bytes(large.template)).toBeLessThan(bytes(small.template) + 5_000);
      const policies = Object.values(large.template.findResources('AWS::IAM::Policy')).map(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
            .Properties.PolicyDocument,
      );
      // IAM's limit for a role's inline policies is 10,240 characters.
      for (const doc of policies) expect(JSON.stringify(doc).length).toBeLessThan(4_000);
      const resourcesOf = (action: string) =>
        policies
          .flatMap((d) => d.Statement)
          .filter((st) => ([] as unknown[]).concat(st.Action).includes(action))
          .flatMap((st) => ([] as unknown[]).concat(st.Resource));
      expect(resourcesOf('glue:StartExportLabelsTaskRun')).toEqual([
        {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:us-east-1:111122223333:mlTransform/*']],
        },
      ]);
      // 2,500 dataset groups are more than 40: the account's datasets in the region.
      expect(resourcesOf('personalize:CreateDatasetExportJob')).toEqual([
        'arn:aws:personalize:us-east-1:111122223333:dataset/*',
        'arn:aws:personalize:us-east-1:111122223333:dataset-export-job/mlx-*',
      ]);
      expect(resourcesOf('s3:PutObject')).toContainEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':s3:::',
            {
              Ref: large.stack.getLogicalId(large.stack.outputBucket!.bucket.node.defaultChild as never),
            },
            '/*',
          ],
        ],
      });
    });

    it('lists the datasets of up to 40 dataset groups by group', () => {
      const grouped = synth({
        ...many(0),
        personalizeExports: Array.from({ length: 60 }, (_, i) => ({
          name: `dataset-${i}`,
          datasetArn: `arn:aws:personalize:us-east-1:111122223333:dataset/group-${Math.floor(i / 3)}/${TYPES[i % 3]}`,
          outputS3Prefix: `personalize/dataset-${i}/`,
        })),
        glueExports: [],
      });
      grouped.template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'personalize:CreateDatasetExportJob',
              Resource: [
                ...Array.from(
                  { length: 20 },
                  (_, g) => `arn:aws:personalize:us-east-1:111122223333:dataset/group-${g}/*`,
                ),
                'arn:aws:personalize:us-east-1:111122223333:dataset-export-job/mlx-*',
              ],
            }),
          ]),
        },
      });
    });

    it('passes cdk-nag, each wildcard acknowledged with its reason', () => {
      const app = newApp();
      new MlExportsStack(app, 'Many', {
        config: many(2500),
        configSource: 'test',
        env: { region: 'us-east-1', account: '111122223333' },
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    });

    it('fits a run of all 5,000 in the state payload, and refuses at synth what would not fit, with the number that does', () => {
      expect(
        runPayloadBytes(large.stack.workflow._exportCatalog, large.stack.workflow._polling),
      ).toBeLessThan(RUN_PAYLOAD_BUDGET_BYTES);
      expect(() => synth(many(4000))).toThrow(
        /glueExports \+ personalizeExports: got "8000 exports"; expected at most about \d+ exports \(shorter names allow more\): a run's list names each export \(\d+ bytes for all of them\) and must fit Step Functions' 256 KiB state payload/,
      );
    });
  });

  it('gives every export its own child execution, so the run history does not grow with the number of exports', () => {
    const { template } = synth(example);
    const { definition } = definitionFromTemplate(template.toJSON() as never, 'us-east-1');
    const exportEach = allStates(definition)['Export Each'] as unknown as {
      ItemProcessor: { ProcessorConfig: { Mode: string } };
    };
    expect(exportEach.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
  });
});
