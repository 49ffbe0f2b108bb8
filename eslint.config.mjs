import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

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
  {
    // A handler imports lambda/shared and contract/, never another handler (each is bundled on its own).
    files: ['lambda/**/*.ts'],
    ignores: ['lambda/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!shared/|\\.\\./)',
              message: 'A handler imports only lambda/shared and contract/, never another handler.',
            },
          ],
        },
      ],
    },
  },
);
