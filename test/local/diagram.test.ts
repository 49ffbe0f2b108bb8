import * as fs from 'node:fs';
import {
  diagramBlock,
  exampleDiagram,
  mermaidFromDefinition,
  README,
  readmeDiagramBlock,
} from '../../local/diagram';

describe('the workflow picture in the README', () => {
  it('is the one drawn from the synthesized definition (run npm run diagram after changing the workflow)', () => {
    expect(readmeDiagramBlock(fs.readFileSync(README, 'utf8'))).toBe(diagramBlock(exampleDiagram()));
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
