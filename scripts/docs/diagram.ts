/**
 * The workflow as a Mermaid flowchart, drawn from the synthesized state machine definition of the example
 * configuration: README.md shows it (`npm run docs` writes it; a test fails when it is stale).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlExportsStack } from '../../app/ml-exports-stack';
import { definitionFromTemplate } from '../../local/assembly';

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: (ChoiceRule & { Next: string })[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { StartAt: string; States: Record<string, AslState> };
}

/** A Choice rule: one comparison of `Variable`, or And / Or / Not of rules. */
type ChoiceRule = { Variable?: string; And?: ChoiceRule[]; Or?: ChoiceRule[]; Not?: ChoiceRule } & Record<
  string,
  unknown
>;

/**
 * What a choice tests, in a few words: the value compared with (`RUNNING`), or the field and the test
 * (`tracking present`), so that no branch is drawn without a label.
 */
function conditionLabel(rule: ChoiceRule): string {
  if (rule.And) return rule.And.map(conditionLabel).join(' and ');
  if (rule.Or) return rule.Or.map(conditionLabel).join(' or ');
  if (rule.Not) return `not ${conditionLabel(rule.Not)}`;
  const field =
    String(rule.Variable ?? '')
      .split('.')
      .pop() ?? '';
  const [test, value] = Object.entries(rule).find(([key]) => key !== 'Variable' && key !== 'Next') ?? [
    '',
    '',
  ];
  if (test === 'StringEquals' || test === 'BooleanEquals') return String(value);
  if (test === 'IsPresent') return `${field} ${value ? 'present' : 'absent'}`;
  return `${field} ${test} ${String(value)}`;
}

const id = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_');
const label = (name: string) => name.replace(/"/g, "'");

/** A Mermaid flowchart of an ASL definition, nested Map item processors as subgraphs. */
export function mermaidFromDefinition(definition: {
  StartAt: string;
  States: Record<string, AslState>;
}): string {
  const lines = ['flowchart TD', `  start((start)) --> ${id(definition.StartAt)}`];
  const draw = (states: Record<string, AslState>, indent: string) => {
    for (const [name, state] of Object.entries(states)) {
      const shape =
        state.Type === 'Choice'
          ? `{"${label(name)}"}`
          : state.Type === 'Wait'
            ? `[/"${label(name)}"/]`
            : state.Type === 'Succeed' || state.Type === 'Fail'
              ? `(["${label(name)}"])`
              : `["${label(name)}"]`;
      if (state.ItemProcessor) {
        lines.push(`${indent}subgraph ${id(name)}["${label(name)} (one child execution per export)"]`);
        lines.push(`${indent}  direction TB`);
        lines.push(`${indent}  ${id(name)}_start((item)) --> ${id(state.ItemProcessor.StartAt)}`);
        draw(state.ItemProcessor.States, `${indent}  `);
        lines.push(`${indent}end`);
      } else {
        lines.push(`${indent}${id(name)}${shape}`);
      }
      for (const choice of state.Choices ?? [])
        lines.push(`${indent}${id(name)} -->|${label(conditionLabel(choice))}| ${id(choice.Next)}`);
      if (state.Default) lines.push(`${indent}${id(name)} -->|otherwise| ${id(state.Default)}`);
      if (state.Next) lines.push(`${indent}${id(name)} --> ${id(state.Next)}`);
      for (const c of state.Catch ?? [])
        lines.push(`${indent}${id(name)} -.->|${label(c.ErrorEquals.join(', '))}| ${id(c.Next)}`);
    }
  };
  draw(definition.States, '  ');
  return lines.join('\n');
}

/** The diagram of the app as configured by config/example.json. */
export function exampleDiagram(): string {
  const config = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'example.json'), 'utf8'),
  ) as unknown;
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new MlExportsStack(app, 'Diagram', { config, configSource: 'config/example.json' });
  const { definition } = definitionFromTemplate(Template.fromStack(stack).toJSON() as never, 'us-east-1');
  return mermaidFromDefinition(definition as never);
}
