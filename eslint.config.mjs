import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** A relative import of `room` (a top-level folder, or a regex alternation of them) from any depth. */
const up = (room) => `^(\\.\\./)+${room}(/|$)`;
/** `no-restricted-imports` with these patterns (each `{ regex, message, allowTypeImports? }`). */
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
/** Any import but a relative one, aws-cdk-lib, constructs or a Node built-in: the library's users install no more. */
const LIBRARY_PACKAGES_ONLY = '^(?!\\.{1,2}/|aws-cdk-lib(/|$)|constructs(/|$)|node:)';
const NO_CDK = '^(aws-cdk-lib|constructs)(/|$)';

/**
 * The rooms (CONTRIBUTING.md): what each folder may import. One block per room: in flat config a later
 * block setting the same rule for a file replaces the earlier one's options, so a room's patterns must
 * all be in its own block. local/, scripts/ and test/ may import anything.
 * @see https://eslint.org/docs/latest/rules/no-restricted-imports#patterns
 */
export const roomRules = [
  {
    files: ['contract/**/*.ts'],
    rules: restrict(
      {
        regex: up('(lib|lambda|app|bin|local|scripts|test)'),
        message: 'contract/ depends on nothing else in this repository.',
      },
      { regex: '^(?!zod(/|$)|\\.{1,2}/)', message: 'contract/ may use zod only: no CDK, no SDK, no Node.' },
    ),
  },
  {
    files: ['lib/**/*.ts'],
    rules: restrict(
      {
        regex: up('(lambda|app|bin|local|scripts|test)'),
        message: 'lib/ imports contract/ and its own files only.',
      },
      {
        regex: LIBRARY_PACKAGES_ONLY,
        message:
          'lib/ imports no package but aws-cdk-lib and constructs: zod in contract/, SDK calls in lambda/.',
      },
    ),
  },
  {
    files: ['lambda/**/*.ts'],
    ignores: ['lambda/shared/**'],
    rules: restrict(
      {
        regex: up('(lib|app|bin|local|scripts|test)'),
        message: 'A handler imports contract/ and lambda/shared/ only.',
      },
      { regex: NO_CDK, message: 'Handlers run in Lambda: no CDK.' },
      {
        regex: '^\\.\\./(?!shared(/|$))[^./][^/]*|^(\\.\\./)+lambda/(?!shared(/|$))',
        message: 'A handler never imports another handler (each is bundled on its own).',
      },
    ),
  },
  {
    files: ['lambda/shared/**/*.ts'],
    rules: restrict(
      {
        regex: up('(lib|app|bin|local|scripts|test)'),
        message: 'lambda/shared/ imports contract/ only.',
      },
      { regex: NO_CDK, message: 'lambda/shared/ runs in Lambda: no CDK.' },
      { regex: '^\\.\\./(?!\\.\\./contract(/|$))', message: 'lambda/shared/ never imports a handler.' },
    ),
  },
  {
    files: ['app/**/*.ts', 'bin/**/*.ts'],
    rules: restrict(
      { regex: up('(lambda|local|scripts|test)'), message: 'The app uses the library like any consumer.' },
      {
        regex: '^(\\.\\./)+lib/(?!index$).+',
        message: "The app imports the library through its index only ('../lib'), never lib/private.",
      },
    ),
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      'dist/**',
      '.sim-out/**',
      '.test-out/**',
      '**/*.js',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['local/**', 'bin/**'], rules: { 'no-console': 'off' } },
  ...roomRules,
);
