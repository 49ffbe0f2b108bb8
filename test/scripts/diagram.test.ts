import { exampleDiagram, mermaidFromDefinition } from '../../scripts/docs/diagram';

describe('the workflow picture', () => {
  it('labels every branch it draws, whatever the choice tests', () => {
    expect(exampleDiagram()).not.toMatch(/\|\|/);
    const diagram = mermaidFromDefinition({
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.tracking', IsPresent: true, Next: 'S' },
            { Variable: '$.n', NumericGreaterThan: 3, Next: 'S' },
            {
              And: [{ Variable: '$.a', StringEquals: 'X' }, { Not: { Variable: '$.b', IsPresent: true } }],
              Next: 'S',
            },
          ],
          Default: 'S',
        },
        S: { Type: 'Succeed' },
      },
    });
    expect(diagram.split('\n').filter((l) => l.includes('-->|'))).toEqual([
      '  C -->|tracking present| S',
      '  C -->|n NumericGreaterThan 3| S',
      '  C -->|X and not b present| S',
      '  C -->|otherwise| S',
    ]);
  });

  it('draws states, choices, catches and map item processors', () => {
    const diagram = mermaidFromDefinition({
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Next: 'M', Catch: [{ ErrorEquals: ['X'], Next: 'F' }] },
        M: {
          Type: 'Map',
          Next: 'C',
          ItemProcessor: { StartAt: 'W', States: { W: { Type: 'Wait', End: true } } },
        },
        C: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'S' }], Default: 'F' },
        S: { Type: 'Succeed' },
        F: { Type: 'Fail' },
      },
    });
    expect(diagram.split('\n')).toEqual([
      'flowchart TD',
      '  start((start)) --> A',
      '  A["A"]',
      '  A --> M',
      '  A -.->|X| F',
      '  subgraph M["M (one child execution per export)"]',
      '    direction TB',
      '    M_start((item)) --> W',
      '    W[/"W"/]',
      '  end',
      '  M --> C',
      '  C{"C"}',
      '  C -->|true| S',
      '  C -->|otherwise| F',
      '  S(["S"])',
      '  F(["F"])',
    ]);
  });
});
