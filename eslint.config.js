// ESLint 10 reads only flat config; the rules live in .eslintrc.json and are loaded from it here.
import { readFileSync } from 'node:fs';
import { FlatCompat } from '@eslint/eslintrc';
import js from '@eslint/js';

const compat = new FlatCompat({
  baseDirectory: import.meta.dirname,
  recommendedConfig: js.configs.recommended,
  allConfig: js.configs.all,
});
const legacy = JSON.parse(readFileSync(new URL('./.eslintrc.json', import.meta.url), 'utf8'));

export default [
  { ignores: ['dist/', 'node_modules/', 'stubs/'] },
  ...compat.config(legacy),
];
