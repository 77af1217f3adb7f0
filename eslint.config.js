import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'log/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    // The page runs in the browser.
    files: ['client/web/**/*.ts'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', sessionStorage: 'readonly', WebSocket: 'readonly', Notification: 'readonly' },
    },
  },
  {
    // process.env is read only by the entry points; everything below takes validated options.
    files: ['shared/**/*.ts', 'server/**/*.ts', 'client/**/*.ts'],
    ignores: ['server/main.ts', 'server/web/main.ts', 'server/dead-letters-cli.ts', 'server/log/chat-log-cli.ts', 'client/main.ts', 'client/standby.ts', 'server/broker/cluster-cli.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in main and pass options down.' },
        { object: 'process', property: 'exit', message: 'Only entry points may exit the process.' }],
    },
  },
);
